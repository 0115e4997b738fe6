# Proves spawn's listen option (socket activation as systemd does it)
# between real processes, both ways of starting the child (the default
# call and via_fork): a Perl child sees LISTEN_PID equal to its own $$,
# LISTEN_FDS and LISTEN_FDNAMES as given (an undef name is "unknown", an
# empty one stays empty), and each listener at 3, 4, ... accepts a real
# connection (TCP and UNIX); stale LISTEN_* in %ENV or in env are
# replaced, the child's environment holds each exactly once, the other
# entries are kept, the parent's %ENV is left alone; listen => [] removes
# them; the croaks (odd count, not an ARRAY, names systemd refuses, an fds
# TARGET among 3, 4, ...); ENOENT and EBADF with no zombie; and the
# parent's descriptor table unchanged after each success and failure.
# libsystemd and python3-systemd reading what spawn sets: xt/81-*.
use strict;
use warnings;
use Test::More;
use Errno qw(ENOENT EBADF);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(spawn);

alarm 60;
my $dir = tmpdir();
my $env_prog = (grep { -x } '/usr/bin/env', '/bin/env')[0];

sub no_zombie { POSIX::waitpid(-1, POSIX::WNOHANG()) <= 0 }

sub tcp_listener {
    IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1', LocalPort => 0,
                          ReuseAddr => 1) or die "listen: $!";
}

# The child: reports what it was given, then accepts one connection on
# each listener in order and writes that listener's name to it.
my $server = q{
    $| = 1;
    my @v = map { defined $ENV{$_} ? $ENV{$_} : '-' } qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES);
    print "pid=$$ LISTEN_PID=$v[0] LISTEN_FDS=$v[1] LISTEN_FDNAMES=$v[2] OTHER=",
          (defined $ENV{OTHER} ? $ENV{OTHER} : '-'), "\n";
    my @names = split /:/, $v[2], -1;
    @names = ('') if $v[2] eq '' && $v[1] == 1;
    for my $i (0 .. $v[1] - 1) {
        open(my $l, '+<&=', 3 + $i) or die "fd @{[3 + $i]}: $!";
        accept(my $c, $l) or die "accept on @{[3 + $i]}: $!";
        syswrite($c, "$names[$i]\n");
        close $c;
    }
};

my $nsock = 0;
sub unix_listener {
    $nsock++;
    IO::Socket::UNIX->new(Local => "$dir/l$nsock.sock", Listen => 5) or die "unix: $!";
}

# Connect to each listener; wait for the child to end; close the
# listeners, so that a connection the child never accepted is reset
# rather than left waiting; then read what each connection got.  Returns
# the child's wait status and those answers.
sub answers {
    my ($pid, @socks) = @_;
    my @conn = map {
        ref($_) eq 'IO::Socket::INET'
            ? IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $_->sockport)
            : IO::Socket::UNIX->new(Peer => $_->hostpath)
    } @socks;
    waitpid($pid, 0);
    my $status = $?;
    close $_ for @socks;
    return ($status, map { my $c = $_; my $l = $c && <$c>; defined $l ? $l : '' } @conn);
}

for my $way ([default => ()], [via_fork => (via_fork => 1)]) {
    my ($name, @how) = @$way;
    my @socks = (tcp_listener(), unix_listener(), tcp_listener());

    # Stale variables in %ENV are replaced, and %ENV itself is untouched.
    local $ENV{LISTEN_PID} = 1;
    local $ENV{LISTEN_FDS} = 9;
    local $ENV{LISTEN_FDNAMES} = 'stale';
    local $ENV{OTHER} = 'kept';
    pipe(my $r, my $w) or die;
    my $before = open_fds();
    my $pid = spawn([$^X, '-e', $server], fds => { 1 => $w },
                    listen => [web => $socks[0], 'admin.sock' => $socks[1], undef, $socks[2]],
                    @how);
    my $err = $! + 0;
    is(open_fds(), $before, "$name: the parent's descriptors are as they were");
    close $w;
    ok($pid, "$name: spawn with three listeners") or diag("\$! = $err");
    is_deeply([ @ENV{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)} ], [1, 9, 'stale'],
              "$name: the parent's %ENV is untouched");
    my $line = <$r>;
    is($line, "pid=$pid LISTEN_PID=$pid LISTEN_FDS=3 LISTEN_FDNAMES=web:admin.sock:unknown OTHER=kept\n",
       "$name: LISTEN_PID is the child's own pid, LISTEN_FDS 3, the names in order, "
       . "an undef name 'unknown', the other entries kept");
    is_deeply([ answers($pid, @socks) ], [0, "web\n", "admin.sock\n", "unknown\n"],
              "$name: each listener at 3, 4, 5 accepted a real connection (TCP, UNIX, TCP); "
              . "the child exited 0");

    # env given: its LISTEN_* replaced too; an empty name kept as empty.
    my $tcp = tcp_listener();
    pipe($r, $w) or die;
    $pid = spawn([$^X, '-e', $server], fds => { 1 => $w },
                 env => { LISTEN_PID => 42, LISTEN_FDS => 5, LISTEN_FDNAMES => 'x:y',
                          OTHER => 'given' },
                 listen => ['' => $tcp], @how);
    close $w;
    $line = <$r>;
    is($line, "pid=$pid LISTEN_PID=$pid LISTEN_FDS=1 LISTEN_FDNAMES= OTHER=given\n",
       "$name: env given: its LISTEN_* replaced, an empty name passed as empty");
    is_deeply([ answers($pid, $tcp) ], [0, "\n"],
              "$name: ... the listener at 3 accepted; the child exited 0");

    # Each variable exactly once in the child's environment, as env(1)
    # prints every entry, duplicates included.
    SKIP: {
        skip 'no env program', 2 unless $env_prog;
        @socks = (tcp_listener(), unix_listener());
        pipe($r, $w) or die;
        # systemd 258's LISTEN_PIDFDID, left from another supervisor,
        # would make libsystemd ignore the listeners: gone.
        local $ENV{LISTEN_PIDFDID} = 12345;
        $pid = spawn([$env_prog], fds => { 1 => $w }, listen => [a => $socks[0], b => $socks[1]],
                     @how);
        close $w;
        my @lines = <$r>;
        waitpid($pid, 0);
        close $_ for @socks;
        is_deeply([ sort grep { /^LISTEN_/ } @lines ],
                  ["LISTEN_FDNAMES=a:b\n", "LISTEN_FDS=2\n", "LISTEN_PID=$pid\n"],
                  "$name: each LISTEN_ variable once in the child's environment");
        ok((grep { $_ eq "OTHER=kept\n" } @lines), "$name: ... %ENV's other entries kept");
    }

    # listen => []: no listener, so none of the variables (systemd sets
    # none then either).
    pipe($r, $w) or die;
    $pid = spawn([$^X, '-e', $server], fds => { 1 => $w }, listen => [], @how);
    close $w;
    is(scalar(<$r>), "pid=$pid LISTEN_PID=- LISTEN_FDS=- LISTEN_FDNAMES=- OTHER=kept\n",
       "$name: listen => []: the stale variables removed, none set");
    waitpid($pid, 0);

    # listen beside fds: other targets, 0 .. 2 and above the listeners.
    @socks = (tcp_listener(), tcp_listener());
    pipe($r, $w) or die;
    pipe(my $r6, my $w6) or die;
    $pid = spawn([$^X, '-e', $server . 'open(my $h, ">&=", 6) or die; print $h "six\n";'],
                 fds => { 1 => $w, 6 => $w6 }, listen => [one => $socks[0], two => $socks[1]],
                 @how);
    close $w;
    close $w6;
    like(scalar(<$r>), qr/ LISTEN_FDS=2 LISTEN_FDNAMES=one:two /, "$name: listen beside fds 1 and 6");
    is_deeply([ answers($pid, @socks) ], [0, "one\n", "two\n"],
              "$name: ... both listeners accepted; the child exited 0");
    is(scalar(<$r6>), "six\n", "$name: ... and 6 placed");

    # Failures: the child's ENOENT, a source not open; no zombie, no
    # descriptor left behind.
    $tcp = tcp_listener();
    $before = open_fds();
    $! = 0;
    ok(!defined spawn(["$dir/no-such-program"], listen => [web => $tcp], @how) && $! == ENOENT,
       "$name: no such program: ENOENT");
    ok(no_zombie(), "$name: ... no zombie");
    is(open_fds(), $before, "$name: ... the parent's descriptors are as they were");
    $! = 0;
    ok(!defined spawn(['true'], listen => [web => $tcp, bad => 999], @how) && $! == EBADF,
       "$name: a listener that is not open: EBADF");
    is(open_fds(), $before, "$name: ... the parent's descriptors are as they were");
    ok(no_zombie(), "$name: ... nothing was started");
}

# Misuse croaks, before anything starts.
my $ls = tcp_listener();
my $before = open_fds();
my @croaks = (
    [ 'not an ARRAY',      [ listen => { web => $ls } ],      qr/listen is not an ARRAY reference/ ],
    [ 'an odd count',      [ listen => [ web => $ls, 'x' ] ], qr/listen is not an ARRAY reference/ ],
    [ 'a name with ":"',   [ listen => [ 'a:b' => $ls ] ],    qr/listen name 1 is not one systemd accepts/ ],
    [ 'a name over 255 bytes', [ listen => [ ok => $ls, 'x' x 256 => $ls ] ],
                                                               qr/listen name 2 is not/ ],
    [ 'a tab',             [ listen => [ "a\tb" => $ls ] ],   qr/listen name 1 is not/ ],
    [ 'a newline',         [ listen => [ "a\n" => $ls ] ],    qr/listen name 1 is not/ ],
    [ 'DEL',               [ listen => [ "a\x7f" => $ls ] ],  qr/listen name 1 is not/ ],
    [ 'a byte above 0x7f', [ listen => [ "caf\xe9" => $ls ] ], qr/listen name 1 is not/ ],
    [ 'a wide character',  [ listen => [ "\x{263a}" => $ls ] ], qr/listen name 1 is not/ ],
    [ 'fds target 3 with one listener', [ fds => { 3 => $ls }, listen => [ a => $ls ] ],
                                                               qr/fds target 3 is taken by listen \(3 \.\. 3\)/ ],
    [ 'fds target 05 with three', [ fds => { '05' => $ls }, listen => [ a => $ls, b => $ls, c => $ls ] ],
                                                               qr/fds target 5 is taken by listen/ ],
);
for my $c (@croaks) {
    my ($what, $args, $re) = @$c;
    my $pid = eval { spawn(['true'], @$args) };
    like($@, qr/^File::FDpasser::spawn: $re/, "listen: $what: croak");
    waitpid($pid, 0) if $pid;
}
is(open_fds(), $before, 'the croaks left the descriptors as they were');
ok(no_zombie(), '... and started nothing');

# Names systemd accepts: 255 bytes, every printable byte but ':', empty.
{
    my $long = 'n' x 255;
    my $all = join('', map { chr } 0x20 .. 0x39, 0x3b .. 0x7e);
    pipe(my $r, my $w) or die;
    my $pid = spawn([$^X, '-e', 'print "$ENV{LISTEN_FDNAMES}\n"'], fds => { 1 => $w },
                    listen => [ $long => $ls, $all => $ls, '' => $ls ]);
    close $w;
    is(scalar(<$r>), "$long:$all:\n", '255 bytes, every printable byte but ":", empty: accepted');
    waitpid($pid, 0);
    is($?, 0, '... the child exited 0');
}

# LISTEN_PID at the limit: the child writes its own pid into room made
# before the fork.  In a new pid namespace (root, or a user namespace)
# the next pid is set to the largest one pid_max allows (4194303, seven
# digits, where pid_max is at its 64-bit ceiling), so the child's pid
# has as many digits as any pid there can have.
SKIP: {
    my $unshare = (grep { -x } '/usr/bin/unshare', '/bin/unshare')[0];
    skip 'needs unshare (util-linux) and /proc', 2 unless $unshare && -d '/proc/self';
    my @userns = $> == 0 ? () : ('-U', '-r');
    my @inc = map { "-I$_" } grep { !ref } @INC;
    my $code = q{
        use strict;
        use File::FDpasser qw(spawn);
        use IO::Socket::INET;
        open(my $m, '<', '/proc/sys/kernel/pid_max') or die "pid_max: $!";
        chomp(my $max = <$m>);
        open(my $n, '>', '/proc/sys/kernel/ns_last_pid') or die "ns_last_pid: $!";
        print $n $max - 2;
        close $n or die "ns_last_pid: $!";
        my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1') or die "listen: $!";
        pipe(my $r, my $w) or die;
        my $pid = spawn([$^X, '-e', 'print "$ENV{LISTEN_PID} $$ $ENV{LISTEN_FDS}\n"'],
                        listen => [web => $l], fds => { 1 => $w }) or die "spawn: $!";
        close $w;
        my $line = <$r>;
        waitpid($pid, 0);
        print "max=$max spawned=$pid child=$line";
    };
    my $out = '';
    if (open(my $p, '-|', $unshare, @userns, '-p', '-f', '--mount-proc', $^X, @inc, '-e', $code)) {
        local $/;
        $out = <$p> // '';
        close $p;
    }
    skip "needs root (or user namespaces) for a pid namespace: $out", 2
        unless $out =~ /^max=(\d+) /;
    my $want = $1 - 1;
    is($out, "max=$1 spawned=$want child=$want $want 1\n",
       "the largest pid there is ($want): LISTEN_PID is the child's pid, every digit");
    cmp_ok(length $want, '>=', length($1) - 1, '... as many digits as pid_max allows');
}

done_testing;
