# Proves named endpoints between unrelated processes: endp_create,
# select readiness, serv_accept_fh/fd with the peer's uid, endp_connect and
# cli_conn, peer_cred on each kind of end, and the path rules: mode exact
# whatever the umask, stale node replaced, live one EADDRINUSE, non-socket
# EEXIST and untouched, ENAMETOOLONG never truncated, NUL bytes refused,
# Linux abstract names; SEQPACKET endpoints (type => 'seqpacket'), which
# endp_connect finds without being told.
use strict;
use warnings;
use Test::More;
use Errno qw(EADDRINUSE EEXIST ENAMETOOLONG EINVAL ENOENT ECONNREFUSED ENOSYS
             EPROTOTYPE);
use Socket qw(SOL_SOCKET SO_TYPE SOCK_SEQPACKET SOCK_STREAM);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
# A build without SO_PEERCRED or getpeereid (make fallback-test) has no
# peer credentials: peer_cred fails with ENOSYS and $uid is undef.
my $creds = File::FDpasser::_features() =~ /\bpeer_cred\b/;
my $dir = tmpdir();
my $path = "$dir/ep";

my $ls = endp_create($path);
ok($ls, 'endp_create') or diag("endp_create: $!");
ok(-S $path, 'a socket node exists at the path');

my $rin = '';
vec($rin, fileno($ls), 1) = 1;
my $n = select(my $rout = $rin, undef, undef, 0);
is($n, 0, 'not readable with nobody waiting');

my $pid = run_child {
    my $e = endp_connect($path) or die "endp_connect: $!";
    if ($creds) {
        my ($pid, $uid, $gid) = peer_cred($e) or die "peer_cred: $!";
        die "peer pid $pid" unless $pid == getppid();
    } else {
        die "peer_cred without a way to learn it: $!"
            if peer_cred($e) || $! != ENOSYS;
    }
    open(my $f, '<', $0) or die;
    send_file($e, $f) or die "send_file: $!";
    my $fd = cli_conn($path);
    die "cli_conn: $!" unless defined $fd && $fd =~ /^\d+$/;
    open(my $h, '+<&=', $fd) or die;
    send_file($h, $f) or die;
    sleep 1 while 1;    # stay until killed, so peer_cred can see us
};

$n = select($rout = $rin, undef, undef, 10);
is($n, 1, 'readable in select when a client connects');
my $uid;
my $fh = serv_accept_fh($ls, $uid);
ok($fh, 'serv_accept_fh') or diag($!);
my @cred = peer_cred($fh);
if ($creds) {
    is($uid, $<, 'serv_accept_fh sets $uid to the peer\'s uid');
    is($cred[0], $pid, 'peer_cred pid on an accepted end is the client');
    is($cred[1], $<, 'peer_cred uid');
    is($cred[2], (split ' ', $()[0], 'peer_cred gid');
} else {
    is($uid, undef, 'no peer credentials in this build: $uid is undef');
    is(scalar(@cred), 0, '... and peer_cred gives the empty list');
    is($! + 0, ENOSYS, '... with ENOSYS');
}
my $got = recv_fh($fh);
ok($got && scalar(<$got>) =~ /^# Proves named endpoints/, 'file over the endpoint');
my $fd = serv_accept_fd($ls);
like($fd, qr/^\d+$/, 'serv_accept_fd gives a number');
open(my $h2, '+<&=', $fd) or die;
$got = recv_fh($h2);
ok($got, 'file over the cli_conn connection');
kill 'TERM', $pid;
waitpid($pid, 0);

# spipe ends: the kernel records whoever made the pair.
my ($a, $b) = spipe();
@cred = peer_cred($a);
if ($creds) {
    is($cred[0], $$, 'peer_cred on an spipe end names the creator');
} else {
    is(scalar(@cred), 0, 'peer_cred on an spipe end: empty list in this build');
}

# A live endpoint is not taken over; the node stays usable.
$! = 0;
ok(!endp_create($path), 'second endp_create on a live path fails');
is($! + 0, EADDRINUSE, '... with EADDRINUSE');
ok(endp_connect($path), 'the live endpoint still takes connections');

# A stale node (its server gone without removing it) is replaced.
my $stale = "$dir/stale";
$pid = run_child { endp_create($stale) or die $!; 1 };
reap_ok($pid, 'a server that exits leaving its node');
ok(-S $stale, 'node left behind');
$! = 0;
ok(!endp_connect($stale), 'connecting to the stale node fails');
is($! + 0, ECONNREFUSED, '... with ECONNREFUSED');
ok(my $ls2 = endp_create($stale), 'endp_create replaces the stale node');
ok(endp_connect($stale), 'and the new endpoint takes connections');

# Something that is not a socket is left alone.
my $plain = "$dir/plain";
open(my $pf, '>', $plain) or die;
print $pf "keep me\n";
close $pf;
$! = 0;
ok(!endp_create($plain), 'endp_create on a regular file fails');
is($! + 0, EEXIST, '... with EEXIST');
is(slurp_fd(fileno(do { open(my $x, '<', $plain); $x })), "keep me\n",
   '... and the file is untouched');
mkdir "$dir/adir";
$! = 0;
ok(!endp_create("$dir/adir") && $! == EEXIST, 'a directory: EEXIST');

# Mode exactly as asked, whatever the umask.
for my $case ([0600, 0], [0660, 077], [0666, 022], [0700, 0777]) {
    my ($mode, $umask) = @$case;
    my $old = umask $umask;
    my $p = sprintf("%s/mode%o", $dir, $mode);
    my $e = endp_create($p, mode => $mode);
    umask $old;
    ok($e, sprintf('endp_create mode %04o under umask %03o', $mode, $umask));
    is((stat $p)[2] & 07777, $mode, sprintf('... node has mode %04o', $mode));
}
ok(endp_create("$dir/bl", backlog => 1), 'backlog option');
eval { endp_create("$dir/x", colour => 'red') };
like($@, qr/^File::FDpasser::endp_create: unknown option 'colour'/,
     'unknown option croaks');
eval { endp_create("$dir/x", 'mode') };
like($@, qr/^Usage: File::FDpasser::endp_create/, 'odd option list croaks');

# Paths: too long, NUL inside, empty, undef.
my $long = "$dir/" . ('x' x 200);
$! = 0;
ok(!endp_create($long), 'a 200-byte path fails');
is($! + 0, ENAMETOOLONG, '... with ENAMETOOLONG');
my $limit = $dir . '/' . ('y' x (108 - length($dir) - 1));    # exactly 108 bytes
is(length $limit, 108, 'a path of exactly sun_path\'s size');
$! = 0;
ok(!endp_create($limit) && $! == ENAMETOOLONG, '... ENAMETOOLONG: no room for the NUL');
opendir(my $dh, $dir) or die;
ok(!grep({ /^yyyy/ || /^xxxx/ } readdir $dh), 'no truncated node was created');
$! = 0;
ok(!endp_connect($long) && $! == ENAMETOOLONG, 'endp_connect: ENAMETOOLONG');
$! = 0;
ok(!endp_create("$dir/nul\0after") && $! == EINVAL, 'NUL inside a path: EINVAL');
ok(!-e "$dir/nul", '... and nothing made at the truncated path');
$! = 0;
ok(!endp_connect("$dir/nul\0after") && $! == EINVAL, 'endp_connect NUL: EINVAL');
$! = 0;
ok(!endp_create('') && $! == ENOENT, 'empty path: ENOENT');
$! = 0;
ok(!endp_create(undef) && $! == EINVAL, 'undef path: EINVAL');
$! = 0;
ok(!endp_connect("$dir/nothing-here") && $! == ENOENT, 'endp_connect to nothing: ENOENT');
$! = 0;
ok(!defined cli_conn("$dir/nothing-here") && $! == ENOENT, 'cli_conn to nothing: ENOENT');

# Linux abstract names.
SKIP: {
    my $name = "\0fdpass-test-$$";
    my $e = endp_create($name);
    skip "no abstract sockets here: $!", 4 unless $e;
    ok(!-e substr($name, 1), 'abstract: nothing in the file system');
    $pid = run_child {
        my $c = endp_connect($name) or die "connect: $!";
        open(my $f, '<', $0) or die;
        send_file($c, $f) or die;
        1;
    };
    my $s = serv_accept_fh($e) or die $!;
    ok(recv_fh($s), 'a file over an abstract endpoint');
    reap_ok($pid);
    $! = 0;
    ok(!endp_create("\0" . ('z' x 108)) && $! == ENAMETOOLONG,
       'abstract name too long: ENAMETOOLONG');
}

# SEQPACKET endpoints between unrelated processes: the client finds the
# listener's type by itself, and messages keep their boundaries.
{
    my $sq = "$dir/seqpacket";
    my $type = sub { unpack('i', getsockopt($_[0], SOL_SOCKET, SO_TYPE)) };
    my $sl = endp_create($sq, type => 'seqpacket', mode => 0600);
    ok($sl, 'endp_create(type => "seqpacket")') or diag("endp_create: $!");
    is($type->($sl), SOCK_SEQPACKET, '... a SOCK_SEQPACKET listener');
    $pid = run_child {
        my $c = endp_connect($sq) or die "endp_connect: $!";
        die 'not SEQPACKET' unless $type->($c) == SOCK_SEQPACKET;
        open(my $f, '<', $0) or die;
        send_fds($c, [], 'hello') or die "bytes: $!";
        send_fds($c, [$f], 'a file') or die "file: $!";
        my $t = endp_connect($sq, type => 'seqpacket') or die "typed: $!";
        send_fds($t, [], 'typed') or die;
        1;
    };
    reap_ok($pid, 'a client that does not say the type');
    my $s = serv_accept_fh($sl) or die "accept: $!";
    is($type->($s), SOCK_SEQPACKET, 'the accepted end is SEQPACKET');
    my ($data, @fds) = recv_fds($s);
    is_deeply([$data, scalar @fds], ['hello', 0], 'the bytes sent alone arrive alone');
    ($data, @fds) = recv_fds($s);
    is($data, 'a file', 'the descriptor message keeps its own bytes');
    like(slurp_fd($fds[0]), qr/^# Proves named endpoints/, '... and its descriptor');
    close_fds(@fds);
    $s = serv_accept_fh($sl) or die "accept: $!";
    is_deeply([recv_fds($s)], ['typed'], 'endp_connect(type => "seqpacket")');
    $! = 0;
    ok(!endp_create($sq, type => 'seqpacket'), 'a live SEQPACKET endpoint is not taken over');
    is($! + 0, EADDRINUSE, '... EADDRINUSE');
    $! = 0;
    ok(!endp_connect($path, type => 'seqpacket'), 'type => "seqpacket" to a stream endpoint fails');
    is($! + 0, EPROTOTYPE, '... with EPROTOTYPE');
    my $st = endp_connect($path, type => 'stream');
    ok($st && $type->($st) == SOCK_STREAM, 'type => "stream" to a stream endpoint');
    my $fd = cli_conn($sq);
    ok(defined $fd, 'cli_conn finds the SEQPACKET endpoint too');
    close_fds($fd) if defined $fd;
}

# Any listening stream socket: a TCP one, as a pre-fork server's parent
# that passes connections on uses it.  No local peer, so $uid is undef.
{
    require IO::Socket::INET;
    require POSIX;
    my $lsn = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                    LocalPort => 0, Proto => 'tcp')
        or die "listen: $!";
    my $cl = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                   PeerPort => $lsn->sockport) or die "connect: $!";
    my $tuid = 'untouched';
    my $fd = serv_accept_fd($lsn, $tuid);
    ok(defined $fd && $fd =~ /^\d+$/, 'serv_accept_fd on a TCP listener')
        or diag("serv_accept_fd: $!");
    is($tuid, undef, '$uid of a TCP peer is undef');
    is(POSIX::write($fd, "tcp", 3), 3, 'the accepted TCP descriptor writes');
    sysread($cl, my $got, 3);
    is($got, 'tcp', 'and the client reads it');
    POSIX::close($fd);
}

done_testing;
