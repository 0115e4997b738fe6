# Proves named endpoints between unrelated processes: endp_create,
# select readiness, serv_accept_fh/fd with the peer's uid, endp_connect and
# cli_conn, peer_cred on each kind of end, and the path rules: mode exact
# whatever the umask, stale node replaced, live one EADDRINUSE, non-socket
# EEXIST and untouched, ENAMETOOLONG never truncated, NUL bytes refused,
# Linux abstract names (mode on one: EINVAL), and no descriptor or private
# directory left behind by any failure; SEQPACKET endpoints
# (type => 'seqpacket'), which endp_connect finds without being told.  The
# races against another user in a shared directory are in
# xt/30-endpoint-races.t.
use strict;
use warnings;
use Test::More;
use Errno qw(EADDRINUSE EEXIST ENAMETOOLONG EINVAL ENOENT ENOTDIR EACCES
             ECONNREFUSED ENOSYS EPROTOTYPE);
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
# The same where there is no /proc, as in a chroot: the private directory
# that a umask of 0277 or 0777 left without the owner's bits gets them
# back through a descriptor of it (the call failed with ENOENT before).
SKIP: {
    skip('needs root: chroot', 2) unless $> == 0;
    for my $umask (0277, 0777) {
        my $croot = sprintf('%s/chroot%o', $dir, $umask);
        mkdir $croot or die "mkdir: $!";
        my $pid = run_child {
            chroot($croot) or die "chroot: $!\n";
            chdir '/' or die "chdir: $!\n";
            die "/proc is there\n" if -e '/proc';
            umask $umask;
            my $e = endp_create('/ep', mode => 0600) or die "endp_create: $!\n";
            my $m = (stat '/ep')[2] & 07777;
            die sprintf("mode %04o\n", $m) if $m != 0600;
            opendir(my $d, '/') or die "opendir: $!\n";
            my @left = grep { /^\.fdpass-/ } readdir $d;
            die "left behind: @left\n" if @left;
            1;
        };
        reap_ok($pid, sprintf('in a chroot without /proc, umask %03o: endp_create '
                              . 'mode 0600 works, nothing left behind', $umask));
    }
}
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

# mode on an abstract name, which has no node to carry it: EINVAL, never
# an endpoint every user can reach.
$! = 0;
ok(!endp_create("\0fdpass-mode-$$", mode => 0600), 'mode on an abstract name fails');
is($! + 0, EINVAL, '... with EINVAL');
ok(!endp_connect("\0fdpass-mode-$$"), '... and no endpoint was made');

# The socket is made in a private directory beside the name and moved
# into place: every path, failing or not, leaves no descriptor and no
# private directory behind, and never touches what is at the name.
{
    my $fdir = "$dir/fail";
    mkdir $fdir or die;
    my $priv = sub {
        opendir(my $d, $fdir) or die;
        return grep { /^\.fdpass-/ } readdir $d;
    };
    my $live = endp_create("$fdir/live") or die "endp_create: $!";
    open(my $pf, '>', "$fdir/file") or die;
    print $pf "keep me\n";
    close $pf;
    symlink("$fdir/file", "$fdir/link") or die;
    symlink("$fdir/nowhere", "$fdir/dangling") or die;
    $pid = run_child { endp_create("$fdir/stale") or die $!; 1 };
    reap_ok($pid, 'a server that leaves a stale node');
    symlink("$fdir/stale", "$fdir/tostale") or die;
    my $before = open_fds();
    my @cases = (
        ['live', EADDRINUSE, 'a live endpoint'],
        ['file', EEXIST, 'a regular file'],
        ['link', EEXIST, 'a symlink to a file'],
        ['dangling', EEXIST, 'a dangling symlink'],
        ['tostale', EEXIST, 'a symlink to a stale node'],
        ['none/ep', ENOENT, 'no such directory'],
        ['file/ep', ENOTDIR, 'a file as the directory'],
        ["\0fdpass-mode-$$", EINVAL, 'mode on an abstract name', 1],
    );
    for my $c (@cases) {
        my ($name, $errno, $what, $abs) = @$c;
        for my $mode (-1, 0600) {
            next if $abs && $mode < 0;
            $! = 0;
            my $e = endp_create($abs ? $name : "$fdir/$name",
                                $mode >= 0 ? (mode => $mode) : ());
            my $err = $! + 0;
            ok(!$e && $err == $errno,
               "$what" . ($mode >= 0 ? ' (with mode)' : '') . ": $!");
        }
    }
    is(open_fds(), $before, 'no descriptor left open by the failures');
    is(join(' ', $priv->()), '', 'no private directory left behind');
    is(slurp_fd(fileno(do { open(my $x, '<', "$fdir/file"); $x })), "keep me\n",
       'the regular file is untouched');
    is((lstat "$fdir/file")[2] & 07777, 0666 & ~umask, '... its mode too');
    is(readlink("$fdir/link"), "$fdir/file", 'the symlinks are untouched');
    ok(-S "$fdir/stale", 'the stale node behind a symlink is still there');
    ok(endp_connect("$fdir/live"), 'the live endpoint still takes connections');

    # Not root: a directory we cannot write fails with EACCES, leaving nothing.
    if ($> != 0) {
        mkdir "$fdir/ro", 0500 or die;
        $! = 0;
        ok(!endp_create("$fdir/ro/ep") && $! == EACCES, 'unwritable directory: EACCES');
        is(open_fds(), $before, '... no descriptor left open');
        chmod 0700, "$fdir/ro";
    }

    # Success leaves no private directory either, stale node or not.
    ok(my $e1 = endp_create("$fdir/stale2"), 'endp_create on a fresh name');
    undef $e1;
    ok($e1 = endp_create("$fdir/stale2", mode => 0640),
       'endp_create over the stale node it left');
    is((stat "$fdir/stale2")[2] & 07777, 0640, '... with the mode asked');
    is(open_fds(), $before + 1, 'no descriptor left open but the listener');
    is(join(' ', $priv->()), '', 'no private directory left behind');

    # A directory we may write and search but not list, as bind needed.
    mkdir "$fdir/wx", 0300 or die;
    chmod 0300, "$fdir/wx" or die;
    ok(my $e2 = endp_create("$fdir/wx/ep", mode => 0600),
       'endp_create in a directory we cannot read') or diag("endp_create: $!");
    chmod 0700, "$fdir/wx";
    ok(-S "$fdir/wx/ep", '... the node is there');
    opendir(my $wd, "$fdir/wx") or die;
    ok(!grep({ /^\.fdpass-/ } readdir $wd), '... and no private directory');
}

# A short name at the end of a long directory: the private path is longer
# than the name, and too long for sun_path; Linux binds it through
# /proc/self/fd, elsewhere it fails with ENAMETOOLONG.
{
    my $ldir = "$dir/" . ('d' x (107 - length($dir) - 1 - 3));
    mkdir $ldir or die "mkdir: $!";
    my $lp = "$ldir/ep";
    is(length $lp, 107, 'a path of 107 bytes, 3 of them the name');
    $! = 0;
    my $e = endp_create($lp, mode => 0600);
    my $err = $! + 0;
    if ($e) {
        ok(-S $lp, '... an endpoint is made');
        is((stat $lp)[2] & 07777, 0600, '... with the mode asked');
        my $c = endp_connect($lp);
        ok($c && serv_accept_fh($e), '... and it takes connections');
    } else {
        is($err, ENAMETOOLONG, '... or fails with ENAMETOOLONG')
            or diag("endp_create: $!");
    }
    opendir(my $d, $ldir) or die;
    ok(!grep({ /^\.fdpass-/ } readdir $d), '... leaving no private directory');
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
