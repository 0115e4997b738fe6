# Proves several descriptors plus data in one message between two
# processes: send_fds/recv_fds with data and without (the one filler byte),
# the FDPASS_MAX limit on both sides, EMSGSIZE with every descriptor closed
# when a message carries more than the call takes, and credentials riding
# along with the descriptors (SO_PASSCRED) not mistaken for descriptors.
# close_fds closes what arrived, all of it even when one number is bad,
# and refuses a handle before closing anything.  On a stream, bytes sent
# alone just before a descriptor message arrive together with it, as the
# POD says (t/23 shows a SEQPACKET endpoint keeping them apart).  A
# receive waits for its message in a peek and judges room when it is
# there: a receive timeout (SO_RCVTIMEO) still bounds that wait (EAGAIN),
# and a message that arrives during it is received whole.
# A tied element whose FETCH frees $data never sends freed memory, nor
# one whose FETCH frees the array itself crashes the call.
use strict;
use warnings;
use Test::More;
use Errno qw(EMSGSIZE EINVAL EBADF);
use Socket qw(SOL_SOCKET);
use POSIX ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my $dir = tmpdir();
my @files = numbered_files('m', 3);

my ($p, $c) = spipe();
my $pid = run_child {
    close $p;
    # 1: three descriptors with data.
    my ($data, @fds) = recv_fds($c) or die "recv_fds: $!";
    die "data '$data'" unless $data eq 'three files';
    die "count" unless @fds == 3;
    for my $i (0 .. 2) {
        my $s = slurp_fd($fds[$i]);
        die "content $i: $s" unless $s eq "file $i\n";
        POSIX::close($fds[$i]);
    }
    # 2: no data: the one filler byte.
    ($data, @fds) = recv_fds($c, 1) or die "recv_fds 1: $!";
    die "filler" unless $data eq "\0" && @fds == 1;
    POSIX::close($fds[0]);
    # 3: FDPASS_MAX descriptors.
    ($data, @fds) = recv_fds($c, FDPASS_MAX) or die "max: $!";
    die "max count " . scalar(@fds) unless @fds == FDPASS_MAX;
    POSIX::close($_) for @fds;
    # 4: answer with a descriptor of our own and data.
    open(my $ans, '<', "$dir/m2") or die;
    send_fds($c, [$ans], "from the child") or die "send_fds: $!";
    1;
};
close $c;

ok(send_fds($p, \@files, 'three files'), 'send_fds three files with data');
ok(send_fds($p, [$files[0]]), 'send_fds one file, no data');
my @many = ($files[1]) x FDPASS_MAX;
ok(send_fds($p, \@many), 'send_fds FDPASS_MAX descriptors');
$! = 0;
ok(!send_fds($p, [($files[1]) x (FDPASS_MAX + 1)]), 'one more than FDPASS_MAX: false');
is($! + 0, EMSGSIZE, '... with EMSGSIZE');
my ($data, @fds) = recv_fds($p);
is($data, 'from the child', 'data from the child');
is(scalar(@fds), 1, 'one descriptor from the child');
is(slurp_fd($fds[0]), "file 2\n", 'the child\'s descriptor reads the file');
POSIX::close($fds[0]);
reap_ok($pid);

# More descriptors than the call takes: EMSGSIZE and none left open.
($p, $c) = spipe();
$pid = run_child { send_fds($c, \@files, 'too many') or die $!; 1 };
reap_ok($pid, 'sender');
my $before = open_fds();
$! = 0;
my @r = recv_fds($p, 2);
my $err = $! + 0;
ok(!@r, 'three descriptors to recv_fds($s, 2): empty list');
is($err, EMSGSIZE, '... with EMSGSIZE');
is(open_fds(), $before, '... and every descriptor that arrived is closed');

($p, $c) = spipe();
$pid = run_child { send_fds($c, [@files[0, 1]]) or die $!; 1 };
reap_ok($pid, 'sender');
$before = open_fds();
$! = 0;
my $fh = recv_fh($p);
$err = $! + 0;
ok(!defined $fh && $err == EMSGSIZE, 'two descriptors to recv_fh: EMSGSIZE');
is(open_fds(), $before, '... and both are closed');

# Bad limits.
$! = 0;
@r = recv_fds($p, 0);
ok(!@r && $! == EINVAL, 'max_fds 0: EINVAL');
$! = 0;
@r = recv_fds($p, FDPASS_MAX + 1);
ok(!@r && $! == EINVAL, 'max_fds above FDPASS_MAX: EINVAL');

# Credentials riding along are walked past, not taken for descriptors.
SKIP: {
    my $passcred = eval { Socket::SO_PASSCRED() };
    skip 'no SO_PASSCRED here', 4 unless defined $passcred;
    ($p, $c) = spipe();
    setsockopt($p, SOL_SOCKET, $passcred, 1) or skip "SO_PASSCRED: $!", 4;
    $pid = run_child { send_fds($c, [@files[0, 1]], 'with creds') or die $!; 1 };
    reap_ok($pid, 'sender');
    ($data, @fds) = recv_fds($p, 2);
    is($data, 'with creds', 'data with credentials alongside');
    is(scalar(@fds), 2, 'exactly the two descriptors');
    is(slurp_fd($fds[1]), "file 1\n", 'the second one is the second file');
    POSIX::close($_) for @fds;
}

# A stream keeps no boundaries for bytes: with both queued, bytes sent
# without descriptors come in one result with the descriptor message
# after them.  Bytes sent after a descriptor message are not joined to it.
{
    my ($s1, $s2) = spipe();
    $pid = run_child {
        close $s1;
        send_fds($s2, [], 'bytes alone, ') or die $!;
        send_fds($s2, [$files[0]], 'then a file') or die $!;
        send_fds($s2, [], 'after') or die $!;
        1;
    };
    close $s2;
    reap_ok($pid, 'the stream sender');
    ($data, @fds) = recv_fds($s1);
    is($data, 'bytes alone, then a file',
       'stream: bytes sent alone arrive with the descriptor message after them');
    is(scalar(@fds), 1, '... in one result with its descriptor');
    close_fds(@fds);
    is_deeply([recv_fds($s1)], ['after'], '... and bytes sent after it come apart');
}

# close_fds: what another process sent, closed without POSIX.
{
    ($p, $c) = spipe();
    $pid = run_child {
        send_fds($c, [@files, @files], 'six') or die $!;
        send_fds($c, [@files[0, 1]], 'two') or die $!;
        send_fds($c, [$files[2]], 'one') or die $!;
        1;
    };
    close $c;
    reap_ok($pid, 'sender');
    my $base = open_fds();
    ($data, @fds) = recv_fds($p);
    is(scalar(@fds), 6, 'six descriptors arrived');
    is(open_fds(), $base + 6, '... and are open');
    ok(close_fds(@fds), 'close_fds(six): true');
    is(open_fds(), $base, '... and all six are closed');
    $! = 0;
    ok(!close_fds($fds[0]), 'closing one again: false');
    is($! + 0, EBADF, '... with EBADF');
    $! = 0;
    ok(!close_fds(-1) && $! == EBADF, 'a negative number alone: false, EBADF');
    $! = 0;
    ok(!close_fds(2**31) && $! == EBADF, 'a number beyond an int alone: false, EBADF');
    is(open_fds(), $base, '... and nothing else closed');

    # A bad number among good ones: false, $! for it, the rest closed.
    (undef, @fds) = recv_fds($p);
    is(open_fds(), $base + 2, 'two more arrived');
    $! = 0;
    ok(!close_fds($fds[0], -1, undef, 'x', $fds[1]), 'close_fds with bad numbers among them: false');
    is($! + 0, EBADF, '... with EBADF');
    is(open_fds(), $base, '... and the good ones are closed all the same');

    # A handle is misuse: croaks, and closes nothing.
    (undef, @fds) = recv_fds($p);
    ok(!eval { close_fds($fds[0], $files[0]); 1 }, 'close_fds with a handle among the numbers croaks');
    like($@, qr/close_fds: takes descriptor numbers/, '... saying what it takes');
    is(open_fds(), $base + 1, '... before closing anything');
    is(slurp_fd($fds[0]), "file 2\n", '... the number given is still the file');
    ok(close_fds("$fds[0]"), 'a number as a string is closed');
    is(open_fds(), $base, '... and gone');
    ok(close_fds(), 'close_fds(): nothing to do, true');
}

# send_fds reads a tied array through FETCH, and a plain array's hole is
# a bad descriptor (EBADF, nothing sent).
{
    require Tie::Array;
    my ($a, $b) = spipe();
    tie my @tied, 'Tie::StdArray';
    @tied = ($files[0], fileno($files[1]));
    ok(send_fds($a, \@tied, 'tied'), 'send_fds from a tied array');
    my ($data, @fds) = recv_fds($b, 2);
    is_deeply([$data, map { slurp_fd($_) } @fds], ['tied', "file 0\n", "file 1\n"],
              '... both of its descriptors arrive, in order');
    close_fds(@fds);
    my @holey = (fileno($files[0]));
    $holey[2] = fileno($files[2]);
    $! = 0;
    ok(!send_fds($a, \@holey) && $! == EBADF, 'an array with a hole: false, EBADF');
    my $rin = '';
    vec($rin, fileno($b), 1) = 1;
    is(select(my $r = $rin, undef, undef, 0.2), 0, '... and nothing was sent');
}

# The wait: a message sent while recv_fds waits arrives whole; with
# SO_RCVTIMEO set and nothing sent, the call gives up with EAGAIN as a
# plain recvmsg would (the alarm above is the guard against a hang).
{
    require Errno;
    my ($a, $b) = spipe();
    my $pid = run_child {
        select(undef, undef, undef, 0.2);
        send_fds($a, [@files[0, 1]], 'late');
    };
    my ($data, @fds) = recv_fds($b, 2);
    is_deeply([$data, map { slurp_fd($_) } @fds], ['late', "file 0\n", "file 1\n"],
              'a message sent while recv_fds waits arrives whole');
    close_fds(@fds);
    reap_ok($pid, 'the late sender');
    ok(setsockopt($b, SOL_SOCKET, Socket::SO_RCVTIMEO(), pack('l!l!', 0, 100_000)),
       'a receive timeout of 0.1 s set');
    $! = 0;
    my @r = recv_fds($b, 2);
    my $err = $! + 0;
    ok(!@r && ($err == Errno::EAGAIN() || $err == Errno::EWOULDBLOCK()),
       'nothing comes: recv_fds gives up after the timeout with EAGAIN')
        or diag("got @r, errno $err");
}

# A socket shut down for reading ends the wait: nothing can come any
# more, so the receive reports the end of stream (errno 0), as a waiting
# recvmsg does.  A Linux datagram socket (a caller may pass one) says
# EAGAIN to a read told not to wait, while poll() calls it readable: a
# wait in poll() spun there without end, and a spinning call never lets
# an alarm handler run, so each receive runs in a child that is killed
# after 10 s.  A fallback build (make fallback-test) has no POLLRDHUP to
# tell that the datagram socket was shut down, and reports an empty
# message there instead, at once too.
{
    my $fallbacks = File::FDpasser::_features() =~ /\bfallbacks\b/;
    my @cases = (['datagram', Socket::SOCK_DGRAM()],
                 ['stream', Socket::SOCK_STREAM()],
                 ['seqpacket', Socket::SOCK_SEQPACKET()]);
    for my $case (@cases) {
        my ($name, $type) = @$case;
        socketpair(my $x, my $y, Socket::AF_UNIX(), $type, 0)
            or do { fail("socketpair $name: $!"); next };
        shutdown($y, 0) or do { fail("shutdown $name: $!"); next };
        my $pid = run_child {
            $! = 0;
            my @r = recv_fds($y, 2);
            my $e = $! + 0;
            return 1 if !@r && $e == 0;
            return $name eq 'datagram' && $fallbacks
                   && @r == 1 && $r[0] eq '';
        };
        my $st;
        for (1 .. 100) {
            if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
                $st = $?;
                last;
            }
            select(undef, undef, undef, 0.1);
        }
        if (!defined $st) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
        ok(defined $st && $st == 0,
           "$name end shut down for reading: recv_fds returns at once, end of stream")
            or diag(defined $st ? "status $st" : 'still waiting after 10 s, killed');
    }
}

# Magic in send_fds's arguments: an element's FETCH that frees $data and
# fills the freed memory with other strings.  Every element is fetched
# before $data is read, so the peer gets exactly the bytes $data held
# when send_fds read it, and the count says how many: never the bytes of
# freed memory (make asan-test runs this under AddressSanitizer).
{
    package FreesData;
    sub TIEARRAY { my ($c, $files, $data) = @_; bless { f => $files, d => $data }, $c }
    sub TIESCALAR { my ($c, $file, $data) = @_; bless { f => [$file], d => $data }, $c }
    sub FETCHSIZE { scalar @{ $_[0]{f} } }
    sub FETCH {
        my ($s, $i) = @_;
        undef ${ $s->{d} };
        ${ $s->{d} } = 'R' x 5000;
        my @junk = map { 'Z' x 64 } 1 .. 200;
        return $s->{f}[$i || 0];
    }
}
for my $how ('a tied array', 'a tied element of a plain array') {
    my ($a, $b) = spipe();
    # A buffer of its own (.=), not shared copy-on-write with a constant.
    my $data = '';
    $data .= 'the data as it was when send_fds was called, in a buffer of its own';
    my @list;
    if ($how eq 'a tied array') {
        tie @list, 'FreesData', [@files[0, 1]], \$data;
    } else {
        @list = ($files[0], undef);
        tie $list[1], 'FreesData', $files[1], \$data;
    }
    my $pid = run_child {
        close $a;
        my ($got, @fds) = recv_fds($b, 2, 65536) or die "recv_fds: $!";
        while (length($got) < 10000) {
            sysread($b, $got, 65536, length $got) or last;
        }
        die "got " . length($got) . " bytes: " . substr($got, 0, 20) . "...\n"
            unless $got eq 'R' x 5000;
        die "descriptors\n" unless @fds == 2 && slurp_fd($fds[1]) eq "file 1\n";
        1;
    };
    my $n = send_fds($a, \@list, $data);
    close $a;
    is($n, 5000, "$how whose FETCH frees \$data: the count of what \$data held when read");
    reap_ok($pid, "... and the peer got exactly those bytes and both descriptors");
    untie $list[1] if $how ne 'a tied array';
}

# An element's FETCH that drops the last reference to the array itself
# (the argument is an alias of the caller's variable, so the FETCH can
# undef it): the array is kept alive until send_fds is done with it, so
# the call reads no freed memory and sends every descriptor.  The send
# runs in a child, so a crash shows as a failed test.
{
    package DropsArray;
    sub TIESCALAR { my ($c, $ref, $file) = @_; bless { r => $ref, f => $file }, $c }
    sub FETCH {
        my ($s) = @_;
        my $file = $s->{f};
        ${ $s->{r} } = undef;
        my @junk = map { [ ('Z' x 64) x 4 ] } 1 .. 200;
        return $file;
    }
}
{
    my ($a, $b) = spipe();
    my $pid = run_child {
        close $b;
        my $list = [ undef, @files[1, 2] ];
        tie $list->[0], 'DropsArray', \$list, $files[0];
        my $n = send_fds($a, $list, 'dropped');
        die "send_fds: $!\n" unless defined $n && $n == 7;
        1;
    };
    close $a;
    my ($got, @fds) = recv_fds($b, 3);
    is($got, 'dropped', 'a FETCH that frees the array: the data arrives');
    is(join(',', map { slurp_fd($_) } @fds), "file 0\n,file 1\n,file 2\n",
       '... with all three descriptors, in order');
    close_fds(@fds);
    reap_ok($pid, '... and the sender neither crashed nor failed');
}

done_testing;
