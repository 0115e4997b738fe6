# The spipe example of File::FDpasser 0.09's manual, in its style: no
# strict, globals, bareword handles.  One change: 0.09 wrote
# 'if !defined(@fd)', which perl 5.22 and later refuse to compile.
use File::FDpasser;

$tmp = shift;
open(FH, ">$tmp") || die "open: $!\n";
print FH "written by the parent\n";

@fd=spipe();
die "spipe() failed\n" if !@fd;

$pid = fork();
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
    close($fd[0]);
    $newfh=recv_fh($fd[1]) || die "recv_fh: $!\n";
    print $newfh "written by the child\n";
    close($newfh);
    exit(0);
}
close($fd[1]);
$rc=send_file($fd[0],*FH{IO});
die "send_file: $!\n" unless $rc;
close(FH);
waitpid($pid, 0);
exit($? >> 8);
