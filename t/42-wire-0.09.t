#!perl
# A running File::FDpasser 0.09 process on the other end.  0.09 sends two
# bytes with each descriptor, a 0 and a status byte, and its receiver
# insists on them.  t/c/v009.c is such a peer, in C: every receive here
# takes its messages one by one, and send_file_v009 sends its form.
use strict;
use warnings;
use Test::More;
use Errno qw(EBADMSG);
use Fcntl ();
use POSIX ();
use Socket qw(AF_UNIX SOCK_STREAM SOCK_SEQPACKET PF_UNSPEC);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

plan skip_all => 'the SCM_RIGHTS backend is where 0.09 runs'
    unless File::FDpasser::_backend() eq 'scm_rights';

my $dir = tmpdir();
my ($v009, $why) = build_c("$dir/v009", ['t/c/v009.c']);
plan skip_all => "cannot build t/c/v009.c: $why" unless $v009;

alarm 60;

my $n = 0;
sub file {
    my $path = "$dir/f" . $n++;
    open(my $h, '>', $path) or die "$path: $!";
    print $h "$_[0]\n";
    close $h;
    return $path;
}
sub line_of {
    my ($h) = @_;
    sysseek($h, 0, 0);
    sysread($h, my $buf, 100);
    return $buf;
}
sub pair {
    my ($type) = @_;
    socketpair(my $a, my $b, AF_UNIX, $type, PF_UNSPEC) or die "socketpair: $!";
    return ($a, $b);
}

# A 0.09 sender: six messages queued at once, read by every receive in
# turn: the right file each time, nothing left between them.
for my $type ([stream => SOCK_STREAM], [seqpacket => SOCK_SEQPACKET]) {
    my ($name, $t) = @$type;
    my ($p, $c) = pair($t);
    my @words = qw(one two three four five six);
    my @paths = map { file($_) } @words;
    my $pid = exec_with($c, $v009, 'send', fileno($c), @paths);
    close $c;
    waitpid($pid, 0);
    is($?, 0, "$name: the 0.09 sender sent six");

    my $fh = recv_fh($p);
    is($fh && line_of($fh), "one\n", "$name: recv_fh takes the first");
    my $fd = recv_fd($p);
    ok(defined $fd, "$name: recv_fd takes the second (no EBADMSG)") or diag "$!";
    open(my $h2, '<&=', $fd // -1);
    is($h2 && line_of($h2), "two\n", "$name: ... the second file");
    $fh = recv_fh($p);
    is($fh && line_of($fh), "three\n", "$name: recv_fh, third");
    my ($data, @fds) = recv_fds($p);
    is($data, "\0\0", "$name: recv_fds returns 0.09's two bytes as data");
    is(scalar(@fds), 1, "$name: recv_fds, one descriptor");
    open(my $h4, '<&=', $fds[0] // -1);
    is($h4 && line_of($h4), "four\n", "$name: recv_fds, fourth");
    my $r = File::FDpasser::recv($p);
    ok($r >= 0, "$name: File::FDpasser::recv, fifth");
    open(my $h5, '<&=', $r);
    is($h5 && line_of($h5), "five\n", "$name: ... the fifth file");
    $fh = recv_fh($p);
    is($fh && line_of($fh), "six\n", "$name: recv_fh, sixth");
    $! = EBADMSG;
    ok(!defined(recv_fh($p)) && $! == 0, "$name: then the end, nothing left over");
}

# Our sends to 0.09's strict receiver.
for my $type ([stream => SOCK_STREAM], [seqpacket => SOCK_SEQPACKET]) {
    my ($name, $t) = @$type;
    my @words = qw(alpha beta gamma delta);
    my ($p, $c) = pair($t);
    my $out = "$dir/out-$name";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>', $out) or POSIX::_exit(126);
        open(STDERR, '>>', $out) or POSIX::_exit(126);
        fcntl($c, Fcntl::F_SETFD(), 0);
        exec $v009, 'recv', fileno($c), scalar(@words) or POSIX::_exit(127);
    }
    close $c;
    my $sent = 0;
    for my $w (@words) {
        open(my $h, '<', file($w)) or die;
        $sent++ if send_file_v009($p, $h);
    }
    is($sent, 4, "$name: send_file_v009 sent four");
    waitpid($pid, 0);
    is($? >> 8, 0, "$name: the strict 0.09 receiver took them all");
    open(my $o, '<', $out) or die;
    is(join('', <$o>), "alpha\nbeta\ngamma\ndelta\n", "$name: and read the right files");

    # The default send is still IO::FDPass's one byte: 0.09's receiver
    # refuses it, as it always did.
    ($p, $c) = pair($t);
    $pid = fork // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>', $out) or POSIX::_exit(126);
        open(STDERR, '>>', $out) or POSIX::_exit(126);
        fcntl($c, Fcntl::F_SETFD(), 0);
        exec $v009, 'recv', fileno($c), 1 or POSIX::_exit(127);
    }
    close $c;
    open(my $h, '<', file('plain')) or die;
    ok(send_file($p, $h), "$name: send_file");
    waitpid($pid, 0);
    is($? >> 8, 2, "$name: a one-byte message ends 0.09's receiver");
    open($o, '<', $out) or die;
    like(join('', <$o>), qr/message format error/, "$name: ... with its message");
}

# What a stream read of up to two bytes takes: never a byte of the next
# message, whether that carries a descriptor or not.
{
    my ($p, $c) = pair(SOCK_STREAM);
    open(my $h, '<', file('x')) or die;
    ok(send_file($c, $h) && send_file($c, $h), 'two one-byte messages back to back');
    ok(syswrite($c, "ab") == 2, '... then two bytes without a descriptor');
    ok(defined recv_fd($p), 'recv_fd takes the first');
    my ($data, @fds) = recv_fds($p, 1, 10);
    is(length($data) . "/" . scalar(@fds), "1/1",
       'the second message is whole: its one byte and its descriptor');
    sysread($p, my $rest, 10);
    is($rest, "ab", 'the bytes after it are all there');

    ok(send_file($c, $h) && send_file_v009($c, $h), 'a one-byte message, then a two-byte one');
    ($data, @fds) = recv_fds($p, 1, 10);
    is(length($data) . "/" . scalar(@fds), "1/1", 'the first alone');
    ($data, @fds) = recv_fds($p, 1, 10);
    is(length($data) . "/" . scalar(@fds), "2/1", 'the second whole');

    # Our default send is one byte, as IO::FDPass and plan9port send.
    ok(send_file($c, $h), 'send_file');
    ($data, @fds) = recv_fds($p, 1, 10);
    is($data, "\0", 'send_file sends the single byte 0');

    # 0.09's error form (a 0 and a non-zero status, no descriptor).
    ok(syswrite($c, "\0\x05") == 2, "0.09's error form");
    $! = 0;
    ok(!defined(recv_fd($p)) && $! == EBADMSG, 'is EBADMSG to recv_fd, both bytes taken');
    ok(send_file($c, $h) && defined(recv_fd($p)), 'the next message is read whole');
}

# A SEQPACKET message longer than two bytes is still EMSGSIZE.
{
    my ($p, $c) = pair(SOCK_SEQPACKET);
    open(my $h, '<', file('y')) or die;
    ok(send_fds($c, [$h], "abc"), 'three bytes and a descriptor on SEQPACKET');
    ok(!defined(recv_fd($p)) && $!{EMSGSIZE}, 'recv_fd: EMSGSIZE');
}

done_testing;
