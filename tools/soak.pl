#!/usr/bin/perl
# tools/soak.pl [N] - N rounds of passes mixed with every error path, in
# one process pair; run under valgrind by tools/memcheck.sh.  Exits 0 when
# every pass arrived and the descriptor count is where it began.
use strict;
use warnings;
use File::FDpasser qw(:all);
use POSIX ();

my $n = shift || 200;
# valgrind runs clone(CLONE_VM|CLONE_VFORK) as a plain fork, so glibc's
# posix_spawn cannot report an exec failure under it; tools/memcheck.sh
# sets FDPASS_SOAK_VIA_FORK to take the fork+exec way there.
my @how = $ENV{FDPASS_SOAK_VIA_FORK} ? (via_fork => 1) : ();
my $count = sub { opendir(my $d, '/proc/self/fd') or return -1; my @f = readdir $d; scalar(@f) - 3 };
my $dir = "/tmp/fdpass-soak-$$";
mkdir $dir or die "$dir: $!";
open(my $plain, '>', "$dir/plain") or die;
my $ls = endp_create("$dir/ep") or die "endp_create: $!";
my $before = $count->();
my ($ok, $bad) = (0, 0);
for my $i (1 .. $n) {
    my ($a, $b) = spipe() or die "spipe: $!";
    send_file($a, $plain) or die "send_file: $!";
    my $fh = recv_fh($b) or die "recv_fh: $!";
    $ok++;
    send_fds($a, [$plain, $plain, 0], "round $i") or die;
    my ($data, @fds) = recv_fds($b, 3) or die;
    $ok++ if $data eq "round $i" && @fds == 3;
    POSIX::close($_) for @fds;
    # Error paths.
    send_fds($a, [0, 1, 2]);
    $bad++ unless my @r = recv_fds($b, 2);    # EMSGSIZE
    syswrite($a, 'x');
    $bad++ unless recv_fh($b);                 # EBADMSG
    $bad++ unless File::FDpasser::send('junk', 0);      # EBADF
    $bad++ unless eval { send_file('junk', 0); 1 };     # 0.09's death
    $bad++ unless endp_create("$dir/plain");   # EEXIST
    $bad++ unless endp_connect("$dir/none");   # ENOENT
    $bad++ unless spawn(["$dir/none"], @how);  # ENOENT
    $bad++ unless spawn(['true'], fds => { 3 => 999 }, @how);    # EBADF
    my $pid = spawn(['true'], fds => { 3 => $plain }, @how) or die "spawn: $!";
    waitpid($pid, 0);
    my $c = endp_connect("$dir/ep") or die;
    my $s = serv_accept_fh($ls, my $uid) or die;
    my @cred = peer_cred($s);
    # A pidfd's handle, made and freed; now and then only, as valgrind
    # 3.19 warns at length of the pidfd_send_signal it cannot run.
    my $pidfd = $i % 50 == 1 ? peer_pidfd($s) : undef;
    $bad++ unless peer_pidfd($ls);             # ENOTCONN
    close $a;
    $bad++ unless recv_fh($b);                 # end of stream
    {
        local $SIG{PIPE} = 'IGNORE';
        $bad++ unless send_file($b, 0);        # EPIPE
    }
}
my $after = $count->();
unlink "$dir/plain", "$dir/ep";
rmdir $dir;
print "soak: $n rounds, $ok passes, $bad failures as expected, descriptors $before -> $after\n";
exit($ok == 2 * $n && $bad == 11 * $n && $before == $after ? 0 : 1);
