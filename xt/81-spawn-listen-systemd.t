# Proves that what spawn's listen option sets is socket activation as
# systemd's own readers take it, both ways of starting the child (the
# default call and via_fork):
#  - libsystemd: xt/c/sd-listen.c, built with pkg-config's flags for
#    libsystemd, calls sd_listen_fds_with_names(1, &names) and must count
#    the listeners given (TCP and UNIX), name each as given (an undef
#    name as "unknown"), find each a listening stream socket
#    (sd_is_socket) and accept a real connection on each, answering with
#    its name; started without listen (after spawns with it, so nothing
#    may have leaked into the parent's environment), sd_listen_fds sees
#    nothing;
#  - python3-systemd (Debian's /usr/bin/python3, not whatever python3 is
#    first in PATH): systemd.daemon.listen_fds_with_names() gives the
#    descriptors and names as given, and each accepts a connection.
# Environment-bound (libsystemd-dev, pkg-config, python3-systemd), hence
# in xt/; each part skips with its reason when they are absent.
use strict;
use warnings;
use Test::More;
use Config;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(spawn);

alarm 120;
my $dir = tmpdir();

# Run a command, return (its exit status, its output with stderr).
sub run {
    my @cmd = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open(STDERR, '>&', \*STDOUT);
        { exec @cmd }
        POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, defined $out ? $out : '');
}

sub tcp_listener {
    IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1', LocalPort => 0,
                          ReuseAddr => 1) or die "listen: $!";
}

# Start @cmd with the listeners given and its stdout and stderr to a
# pipe; connect to each listener; read the child's output to its end and
# wait for it; close the listeners, so that a connection the child never
# accepted is reset rather than left waiting; then read what each
# connection got.  Returns (those answers, the child's output, its wait
# status).
sub activate {
    my ($cmd, $listen, @how) = @_;
    pipe(my $r, my $w) or die;
    my $pid = spawn($cmd, fds => { 1 => $w, 2 => $w }, listen => $listen, @how);
    my $err = "$!";
    close $w;
    my @socks = @$listen[ grep { $_ % 2 } 0 .. $#$listen ];
    if (!$pid) {
        close $_ for @socks;
        return ([], "spawn failed: $err", -1);
    }
    my @conn = map {
        ref($_) eq 'IO::Socket::INET'
            ? IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $_->sockport)
            : IO::Socket::UNIX->new(Peer => $_->hostpath)
    } @socks;
    my $out = do { local $/; <$r> };
    waitpid($pid, 0);
    my $status = $?;
    close $_ for @socks;
    my @got = map {
        my $c = $_;
        $c ? do { local $/; my $s = <$c>; defined $s ? $s : '' } : 'connect failed';
    } @conn;
    return (\@got, $out, $status);
}

my $n = 0;
sub listeners {
    $n++;
    my $unix = IO::Socket::UNIX->new(Local => "$dir/l$n.sock", Listen => 5)
        or die "unix: $!";
    return (web => tcp_listener(), 'admin.sock' => $unix, undef, tcp_listener(),
            'metrics-2' => tcp_listener());
}

SKIP: {
    my ($st, $cflags) = run(qw(pkg-config --cflags libsystemd));
    my ($st2, $libs) = run(qw(pkg-config --libs libsystemd));
    skip "libsystemd not found by pkg-config (libsystemd-dev, pkg-config): $cflags$libs", 1
        if $st || $st2;
    my $prog = "$dir/sd-listen";
    my ($cst, $log) = run(split(' ', $Config{cc}), split(' ', $cflags), '-o', $prog,
                          'xt/c/sd-listen.c', split(' ', $libs));
    skip "cannot build xt/c/sd-listen.c against libsystemd: $log", 1 if $cst;

    for my $way ([default => ()], [via_fork => (via_fork => 1)]) {
        my ($name, @how) = @$way;
        local $ENV{LISTEN_PID} = 1;          # stale: replaced
        local $ENV{LISTEN_FDNAMES} = 'old';
        my ($got, $out, $status) = activate([$prog, 'serve'], [listeners()], @how);
        is($out, "count 4\n"
               . "fd 3 name web socket 1\n"
               . "fd 4 name admin.sock socket 1\n"
               . "fd 5 name unknown socket 1\n"
               . "fd 6 name metrics-2 socket 1\n"
               . "env LISTEN_PID=unset LISTEN_FDS=unset LISTEN_FDNAMES=unset\n",
           "$name: sd_listen_fds_with_names: 4 listening stream sockets, named as given");
        is_deeply($got, ['web', 'admin.sock', 'unknown', 'metrics-2'],
                  "$name: each accepted a connection (TCP, UNIX, TCP, TCP) and answered its name");
        is($status, 0, "$name: the libsystemd program exited 0");

        # An empty name, alone and among others.
        ($got, $out, $status) = activate([$prog, 'serve'], ['' => tcp_listener()], @how);
        is($out, "count 1\nfd 3 name  socket 1\n"
               . "env LISTEN_PID=unset LISTEN_FDS=unset LISTEN_FDNAMES=unset\n",
           "$name: one listener with an empty name: libsystemd reads an empty name");
        my @three = ('' => tcp_listener(), mid => tcp_listener(), '' => tcp_listener());
        ($got, $out, $status) = activate([$prog, 'serve'], \@three, @how);
        is($out, "count 3\nfd 3 name  socket 1\nfd 4 name mid socket 1\nfd 5 name  socket 1\n"
               . "env LISTEN_PID=unset LISTEN_FDS=unset LISTEN_FDNAMES=unset\n",
           "$name: empty names first and last: libsystemd reads them as given");
        is_deeply($got, ['', 'mid', ''], "$name: ... each accepted a connection");

        # Without listen nothing is passed, even with a listener at 3 and
        # after the spawns above.
        ok(!grep({ defined $ENV{$_} } qw(LISTEN_FDS)) && $ENV{LISTEN_PID} eq '1',
           "$name: the parent's environment untouched by the spawns");
        delete local $ENV{LISTEN_PID};
        delete local $ENV{LISTEN_FDNAMES};
        pipe(my $r, my $w) or die;
        my $pid = spawn([$prog, 'count'], fds => { 1 => $w, 3 => tcp_listener() }, @how);
        close $w;
        is(scalar(<$r>), "count 0\n", "$name: spawn without listen: sd_listen_fds sees nothing");
        waitpid($pid, 0) if $pid;
    }
}

SKIP: {
    my $py = '/usr/bin/python3';
    my ($st, $why) = -x $py ? run($py, '-c', 'import systemd.daemon') : (1, "no $py");
    skip "python3-systemd is not there for $py: $why", 1 if $st;
    my $script = <<'PY';
import socket, sys
from systemd import daemon
fds = daemon.listen_fds_with_names()
for fd in sorted(fds):
    print(fd, fds[fd])
sys.stdout.flush()
for fd in sorted(fds):
    s = socket.socket(fileno=fd)
    c, _ = s.accept()
    c.sendall(fds[fd].encode())
    c.close()
PY
    for my $way ([default => ()], [via_fork => (via_fork => 1)]) {
        my ($name, @how) = @$way;
        local $ENV{LISTEN_FDS} = 7;          # stale: replaced
        my ($got, $out, $status) = activate([$py, '-c', $script], [listeners()], @how);
        is($out, "3 web\n4 admin.sock\n5 unknown\n6 metrics-2\n",
           "$name: python3-systemd's listen_fds_with_names: descriptors and names as given");
        is_deeply($got, ['web', 'admin.sock', 'unknown', 'metrics-2'],
                  "$name: ... each accepted a connection and answered its name");
        is($status, 0, "$name: ... python exited 0");
    }
}

done_testing;
