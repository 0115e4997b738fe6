# Proves peer_pidfd between real processes: the pidfd names the process
# whose pid peer_cred reports, case by case (an accepted endpoint: the
# process that connected; an endp_connect'ed one: the process that called
# endp_create; spipe ends: the maker of the pair), in both directions and
# on both sides; it is a read-only handle, close-on-exec across a real
# exec; it polls unreadable while that process lives and readable once it
# has exited; once the process is reaped the pidfd names no pid (fdinfo
# "Pid: -1") instead of a new process, and a new call fails with ESRCH
# while peer_cred still gives the old number.  What has no peer or no
# credentials fails as peer_cred fails (ENOTCONN, EOPNOTSUPP, ENOTSOCK,
# EBADF), leaving no descriptor open.  Then the C test t/c/pidfd.c (plain,
# sanitized where the compiler can, and built to ask for an option no
# kernel knows: ENOPROTOOPT, what a kernel before Linux 6.5 gives).  The
# cases with two uids need root (a child drops to 65534).
use strict;
use warnings;
use Test::More;
use Errno qw(ENOTCONN EOPNOTSUPP ENOSYS ENOTSOCK EBADF ESRCH ENOPROTOOPT);
use IO::Handle;
use IO::Socket::INET;
use POSIX ();
use Socket qw(PF_UNIX SOCK_STREAM);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
# A build without SO_PEERPIDFD (make fallback-test) fails with ENOSYS for
# every connection.
my $built = File::FDpasser::_features() =~ /\bpeer_pidfd\b/;
my $creds = File::FDpasser::_features() =~ /\bpeer_cred\b/;
{
    my ($x, $y) = spipe() or die "spipe: $!";
    my $p = peer_pidfd($x);
    plan skip_all => "this kernel has no SO_PEERPIDFD (before Linux 6.5): $!"
        if !$p && $! == ENOPROTOOPT;
}
my $dir = tmpdir();
my $root = $> == 0;
my $NOBODY = 65534;

# The pid a pidfd names, from /proc/self/fdinfo: -1 once reaped.
sub fdinfo_pid {
    my ($fh) = @_;
    open(my $f, '<', '/proc/self/fdinfo/' . fileno($fh)) or return "no fdinfo: $!";
    while (<$f>) { return $1 if /^Pid:\s*(-?\d+)/ }
    return 'not a pidfd';
}

# peer_pidfd's answer as one string: "pid N" or "fail ERRNO".
sub pidfd_str {
    my $p = peer_pidfd($_[0]);
    return 'fail ' . ($! + 0) unless $p;
    return 'pid ' . fdinfo_pid($p);
}
# peer_cred's pid in the same form.
sub cred_str {
    my @c = peer_cred($_[0]);
    return 'fail ' . ($! + 0) unless @c;
    return 'pid ' . (defined $c[0] ? $c[0] : 'undef');
}
# What a build gives for a connection recorded for $pid.
sub want { $built ? "pid $_[0]" : 'fail ' . ENOSYS }
sub want_cred { $creds ? "pid $_[0]" : 'fail ' . ENOSYS }

# Readable within $secs seconds?
sub readable {
    my ($fh, $secs) = @_;
    my $bits = '';
    vec($bits, fileno($fh), 1) = 1;
    return select(my $r = $bits, undef, undef, $secs) == 1;
}

my $before = open_fds();

# --- Refusals, as peer_cred's ---------------------------------------------

sub refused {
    my ($h, $errno, $name) = @_;
    my $n = open_fds();
    my $got = pidfd_str($h);
    is($got, "fail $errno", $name);
    is($got, cred_str($h), "$name: as peer_cred");
    is(open_fds(), $n, "$name: no descriptor left open");
}

my $ls = endp_create("$dir/ls") or die "endp_create: $!";
refused($ls, ENOTCONN, 'a listening endpoint: ENOTCONN');
socket(my $unix, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
refused($unix, ENOTCONN, 'an AF_UNIX socket never connected: ENOTCONN');
pipe(my $pr, my $pw) or die "pipe: $!";
refused($pr, ENOTSOCK, 'a pipe: ENOTSOCK');
open(my $file, '<', $0) or die "open: $!";
refused($file, ENOTSOCK, 'a plain file: ENOTSOCK');
my $closed_fd = fileno($file);
close $file;
refused($closed_fd, EBADF, 'a closed descriptor number: EBADF');
refused($file, EBADF, 'a closed handle: EBADF');
refused(undef, EBADF, 'undef: EBADF');
{
    my $tl = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp')
        or die "no TCP on the loopback interface: $!";
    refused($tl, ENOTCONN, 'a TCP listener: ENOTCONN');
    my $tc = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                   PeerPort => $tl->sockport, Proto => 'tcp')
        or die "connect: $!";
    my $ta = $tl->accept or die "accept: $!";
    refused($tc, EOPNOTSUPP, 'a connected TCP client: EOPNOTSUPP');
    refused($ta, EOPNOTSUPP, 'an accepted TCP connection: EOPNOTSUPP');
}
{
    my $name = "$dir/dgram";
    socket(my $ds, PF_UNIX, Socket::SOCK_DGRAM(), 0) or die "socket: $!";
    bind($ds, Socket::pack_sockaddr_un($name)) or die "bind: $!";
    socket(my $dc, PF_UNIX, Socket::SOCK_DGRAM(), 0) or die "socket: $!";
    connect($dc, Socket::pack_sockaddr_un($name)) or die "connect: $!";
    refused($dc, $built ? EOPNOTSUPP : ENOSYS,
            'a datagram socket connected to a name: EOPNOTSUPP (nothing recorded)');
}
eval { File::FDpasser::peer_pidfd() };
like($@, qr/^Usage: File::FDpasser::peer_pidfd/, 'no argument: croaks');
close $_ for $ls, $unix, $pr, $pw;
is(open_fds(), $before, 'no descriptor left open by the refusals');

# --- Whom it names: both directions, both sides ---------------------------

# Parent listens, child connects: the parent's accepted end names the
# child, the child's end names the parent (who called endp_create).
{
    my $path = "$dir/pc";
    my $l = endp_create($path) or die "endp_create: $!";
    my ($cpid, $cr) = role(undef, sub {
        my $e = endp_connect($path) or die "endp_connect: $!";
        $_[0]->(pidfd_str($e) . ' / ' . cred_str($e));
        $e;
    });
    my $c = serv_accept_fh($l) or die "accept: $!";
    is(pidfd_str($c), want($cpid), 'accepted endpoint: the child that connected');
    is(pidfd_str($c), $built && $creds ? cred_str($c) : want($cpid), '... peer_cred\'s pid');
    is(said($cr), want($$) . ' / ' . want_cred($$),
       'the child\'s endp_connect\'ed end: the parent, who called endp_create (peer_cred too)');
    release('parent listens');
}

# Child listens, parent connects: the parent's endp_connect'ed end names
# the child, the child's accepted end names the parent.
{
    my $path = "$dir/cp";
    my ($cpid, $cr) = role(undef, sub {
        my $l = endp_create($path) or die "endp_create: $!";
        $_[0]->('listening');
        my $a = serv_accept_fh($l) or die "accept: $!";
        $_[0]->(pidfd_str($a) . ' / ' . cred_str($a));
        $a;
    });
    is(said($cr), 'listening', 'the child listens');
    my $e = endp_connect($path) or die "endp_connect: $!";
    is(pidfd_str($e), want($cpid), 'endp_connect\'ed end: the child, who called endp_create');
    is(pidfd_str($e), $built && $creds ? cred_str($e) : want($cpid), '... peer_cred\'s pid');
    is(said($cr), want($$) . ' / ' . want_cred($$),
       'the child\'s accepted end: the parent, who connected (peer_cred too)');
    release('child listens');
}

# spipe: both ends name the maker, whoever holds them; an end a child
# made and sent names that child.
{
    my ($a, $b) = spipe() or die "spipe: $!";
    my ($cpid, $cr) = role(undef, sub {
        close $a;
        $_[0]->(pidfd_str($b) . ' / ' . cred_str($b));
        $b;
    });
    close $b;
    is(said($cr), want($$) . ' / ' . want_cred($$), 'spipe end in a child: the parent, the maker');
    is(pidfd_str($a), want($$), 'spipe end in the parent: the parent too');
    release('spipe');
    my ($x, $y) = spipe() or die "spipe: $!";
    my ($mpid, $mr) = role(undef, sub {
        my ($p, $q) = spipe() or die "spipe: $!";
        send_file($y, $p) or die "send_file: $!";
        $_[0]->('sent');
        $q;
    });
    is(said($mr), 'sent', 'a child made a pair and sent one end');
    my $got = recv_fh($x) or die "recv_fh: $!";
    is(pidfd_str($got), want($mpid), 'the received spipe end: the child, its maker');
    is(pidfd_str($got), $built && $creds ? cred_str($got) : want($mpid), '... peer_cred\'s pid');
    release('spipe sent');
}

# --- The handle, polling, and pid reuse -------------------------------------

# A build without SO_PEERPIDFD (make fallback-test) has no handle to
# look at: its answer, ENOSYS in every case, is asserted above.
if ($built) {
    my $path = "$dir/life";
    my $l = endp_create($path) or die "endp_create: $!";
    my ($cpid, $cr) = role(undef, sub {
        my $e = endp_connect($path) or die "endp_connect: $!";
        $e;
    });
    my $c = serv_accept_fh($l) or die "accept: $!";
    my $n = open_fds();
    my $p = peer_pidfd($c);
    ok($p, 'peer_pidfd on an accepted endpoint') or diag("peer_pidfd: $!");
    is(open_fds(), $n + 1, '... one descriptor: the pidfd');
    is(ref($p), 'IO::Handle', '... an IO::Handle');
    {
        no warnings 'io';
        ok(!defined(syswrite($p, 'x')), '... read-only: a write fails');
    }
    ok(!survives_exec(fileno($p)), '... close-on-exec: gone across an exec');
    {
        local $^F = 1000;    # Perl's rule: at or below $^F, inherited
        my $q = peer_pidfd($c);
        ok($q && survives_exec(fileno($q)), 'with $^F above it: inherited, as Perl does');
    }
    is(fdinfo_pid($p), $cpid, 'it names the child');
    ok(!readable($p, 0), 'not readable while the child lives');

    release('pidfd lifecycle');    # the child exits and is reaped
    ok(readable($p, 10), 'readable once the child has exited');
    is(fdinfo_pid($p), -1, 'reaped: the pidfd names no pid, never a new process');
    my $m = open_fds();
    my $again = peer_pidfd($c);
    my $err = $! + 0;
    is($again, undef, 'a new call after the peer was reaped: undef');
    is($err, ESRCH, '... ESRCH');
    is(open_fds(), $m, '... no descriptor left open');
    is(cred_str($c), want_cred($cpid), 'peer_cred still gives the old pid number');
    is(fdinfo_pid($p), -1, 'the pidfd held meanwhile still names no pid');
    close $_ for $p, $c, $l, $cr;
    is(open_fds(), $before, 'everything closed');

    # A zombie peer: exited, not yet reaped.
    my ($zx, $zy) = spipe() or die "spipe: $!";
    my $zpid = run_child { my ($p, $q) = spipe() or die; send_file($zy, $p) or die; 1 };
    my $zend = recv_fh($zx) or die "recv_fh: $!";
    # Its exit is seen through the pidfd itself (bounded by 10 s).
    my $zp = peer_pidfd($zend);
    ok($zp && readable($zp, 10) && fdinfo_pid($zp) == $zpid,
       'a peer that exited, not yet reaped: a pidfd of it, readable');
    reap_ok($zpid, 'the zombie');
}

# --- Two uids ---------------------------------------------------------------

SKIP: {
    skip 'needs root: two uids (a child drops to 65534)', 3 unless $root;
    chmod 0711, $dir or die "chmod: $!";
    mkdir "$dir/two", 01777 or die "mkdir: $!";
    chmod 01777, "$dir/two" or die "chmod: $!";
    my $path = "$dir/two/acc";
    my $l = endp_create($path, mode => 0666) or die "endp_create: $!";
    # The uid-65534 child may not signal root: pidfd_send_signal gives it
    # EPERM, which is not ESRCH, so the pidfd is still returned.
    my ($cpid, $cr) = role($NOBODY, sub {
        my $e = endp_connect($path) or die "endp_connect: $!";
        $_[0]->(pidfd_str($e) . ' / ' . cred_str($e));
        $e;
    });
    my $c = serv_accept_fh($l) or die "accept: $!";
    is(pidfd_str($c), want($cpid), 'two uids: root\'s accepted end names the uid-65534 child');
    is(said($cr), want($$) . ' / ' . want_cred($$),
       'two uids: the uid-65534 child\'s end names root\'s process (peer_cred too)');
    release('two uids');
}

# --- The C core -------------------------------------------------------------

my @warn = qw(-Wall -Wextra -Werror);
my @san = ('-fsanitize=address,undefined', qw(-fno-omit-frame-pointer
           -fno-sanitize-recover=all));
my @runs;
for my $v (['', []], ['-noopt', ['-DFDP_PEERPIDFD_OPT=10000']]) {
    my ($prog, $why) = build_c("$dir/pidfd$v->[0]", ['t/c/pidfd.c'], @warn,
                               @{ $v->[1] }, qw(-g -O1));
    die "cannot build t/c/pidfd.c: $why" unless $prog;
    push @runs, ["pidfd.c$v->[0]", 20, $prog];
    my ($asan) = build_c("$dir/pidfd$v->[0]-asan", ['t/c/pidfd.c'], @warn,
                         @{ $v->[1] }, qw(-g -O1), @san);
    push @runs, ["pidfd.c$v->[0] sanitized", 20, $asan] if $asan;
}
run_c_tap(@$_) for @runs;

done_testing;
