package NotifyTest;
# A service manager's receiving side for the notify tests (t/83-notify.t,
# t/84-notify-systemd.t): a datagram socket bound at "/path" or "@name"
# with SO_PASSCRED, and t/c/notify-mgr.c (built with build_c) to read one
# datagram from it with its credentials, which Perl cannot without
# Socket::MsgHdr, and hand its descriptors back.
use strict;
use warnings;
use Exporter 'import';
use Errno qw(EAGAIN EWOULDBLOCK);
use Fcntl qw(F_SETFD);
use POSIX ();
use Test::More ();
use Socket qw(AF_UNIX SOCK_DGRAM SOL_SOCKET SO_PASSCRED MSG_DONTWAIT
              MSG_PEEK pack_sockaddr_un);
use File::FDpasser qw(spipe recv_fds);
use FDPassTest qw(build_c tmpdir);

our @EXPORT = qw(build_manager manager take nothing_queued);

my $mgrbin;

# Build t/c/notify-mgr.c; returns (1) or (undef, why).
sub build_manager {
    my ($bin, $why) = build_c(tmpdir() . '/notify-mgr', ['t/c/notify-mgr.c'],
                              qw(-g -O1));
    $mgrbin = $bin;
    return ($bin ? 1 : undef, $why);
}

# A manager bound at $addr ("/path" or "@name"), asking for credentials.
sub manager {
    my ($addr) = @_;
    socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    my $name = $addr =~ /^\@(.*)/s ? "\0$1" : $addr;
    bind($s, pack_sockaddr_un($name)) or die "bind $addr: $!";
    setsockopt($s, SOL_SOCKET, SO_PASSCRED, 1) or die "SO_PASSCRED: $!";
    return $s;
}

# True when nothing is queued on the manager.
sub nothing_queued {
    my ($mgr) = @_;
    my $buf;
    my $r = recv($mgr, $buf, 1, MSG_DONTWAIT | MSG_PEEK);
    return !defined $r && ($! == EAGAIN || $! == EWOULDBLOCK);
}

# One datagram from the manager, read by notify-mgr: (\%info, @fds), with
# %info's pid, uid, gid (-1 without credentials), nfds, types (each
# descriptor's S_IFMT >> 12, joined by commas) and data (the bytes); the
# descriptors as numbers this process owns now.
# Every sender has exited before this is called, so what it sent is
# queued or never comes: with nothing queued, (\%info) is empty at once
# and the caller's checks fail; nothing waits.
sub take {
    my ($mgr) = @_;
    if (nothing_queued($mgr)) {
        Test::More::diag('the manager has no datagram');
        return ({ data => '' });
    }
    my ($mine, $theirs) = spipe();
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>&', $w) or POSIX::_exit(126);
        fcntl($_, F_SETFD, 0) or POSIX::_exit(126) for $mgr, $theirs;
        { exec $mgrbin, fileno($mgr), fileno($theirs) }
        POSIX::_exit(127);
    }
    close $w;
    close $theirs;
    my $line = <$r>;
    close $r;
    waitpid($pid, 0);
    if ($? || !defined $line) {
        Test::More::diag("notify-mgr failed (status $?)");
        return ({ data => '' });
    }
    my %info = $line =~ /(\w+)=(\S*)/g;
    $info{data} = pack('H*', $info{data});
    my @fds;
    (undef, @fds) = recv_fds($mine) if $info{nfds};
    return (\%info, @fds);
}

1;
