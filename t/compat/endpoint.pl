# The endpoint example of File::FDpasser 0.09's manual, in its style: a
# server polls its endpoint with select, accepts with serv_accept_fh and
# the peer's uid, and sends an open file; a client connects and receives.
use File::FDpasser;

($role, $path, $file) = @ARGV;

if ($role eq 'server') {
    $LS=endp_create($path) || die "endp_create: $!\n";
    print STDOUT "ready\n";
    close(STDOUT);
    $rin = ''; vec($rin,fileno($LS),1) = 1; $timeout=0.5;
    for ($tries = 0; $tries < 40; $tries++) {
        ($nfound,$timeleft) = select($rout=$rin, '', $eout=$rin, $timeout);
        last if $nfound;
    }
    die "nobody came\n" unless $nfound;
    $fh=serv_accept_fh($LS,$uid) || die "serv_accept: $!\n";
    # Without a way to learn it (File::FDpasser::_features), $uid is undef.
    die "uid is not mine\n" if defined($uid) ? $uid != $<
        : File::FDpasser::_features() =~ /\bpeer_cred\b/;
    open(FH, "<$file") || die "open: $!\n";
    $rc=send_file($fh,*FH{IO});
    die "send_file: $!\n" unless $rc;
    exit(0);
}
$fh=endp_connect($path) || die "endp_connect: $!\n";
$newfh=recv_fh($fh);
die "recv_fh: $!\n" unless $newfh;
print STDOUT <$newfh>;
exit(0);
