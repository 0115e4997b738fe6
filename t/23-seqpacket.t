# Proves message boundaries on SEQPACKET endpoints between two processes:
# spipe(type => 'seqpacket') across fork; a message of bytes only and one
# of descriptors and bytes stay apart (on a stream pair they run together,
# t/21); a message longer than $max_bytes fails with EMSGSIZE with every
# descriptor it carried closed, and is gone; a zero-length message is a
# message, not end of stream, while a real close or shutdown is the end;
# recv_fd/recv_fh take exactly one descriptor and one byte; send_fds
# sends one message per call, whole or not at all; the type option is
# checked.
use strict;
use warnings;
use Test::More;
use Errno qw(EMSGSIZE EBADMSG);
use Socket qw(SOL_SOCKET SO_TYPE SOCK_SEQPACKET SOCK_STREAM);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
# A build with POLLRDHUP hidden (make fallback-test), as on systems other
# than Linux, cannot tell a queued empty message from a peer that shut
# down writing; see scm_record_end and MESSAGE BOUNDARIES in the POD.
my $rdhup = File::FDpasser::_features() !~ /\bfallbacks\b/;
my @files = numbered_files('q', 3);

sub sock_type { unpack('i', getsockopt($_[0], SOL_SOCKET, SO_TYPE)) }
# Is there something to read on $fh right now?
sub readable {
    my $rin = '';
    vec($rin, fileno($_[0]), 1) = 1;
    return select(my $r = $rin, undef, undef, 0);
}

# A SEQPACKET pair the caller made with Perl's own socketpair: the receive
# calls keep its rules too.
{
    socketpair(my $x, my $y, Socket::AF_UNIX(), SOCK_SEQPACKET, 0)
        or BAIL_OUT("socketpair SOCK_SEQPACKET: $!");
    my $before = open_fds();
    send_fds($y, [@files[0, 1]], 'y' x 60) or die "send_fds: $!";
    $! = 0;
    my @got = recv_fds($x, 4, 10);
    my $e = $! + 0;
    ok(!@got && $e == EMSGSIZE,
       'own SEQPACKET socket: 60 bytes with $max_bytes 10: EMSGSIZE, not cut to 10');
    is(open_fds(), $before, '... and both descriptors closed');
    send($y, '', 0);
    $! = 0;
    @got = recv_fds($x);
    is_deeply(\@got, [''], '... an empty message is (""), not end of stream');
    close $y;
    $! = 0;
    @got = recv_fds($x);
    ok(!@got && $! == 0, '... the close is the end of stream');
}

my ($p, $c) = spipe(type => 'seqpacket');
ok($p && $c, 'spipe(type => "seqpacket")') or BAIL_OUT("no SEQPACKET pair: $!");
is(sock_type($p), SOCK_SEQPACKET, '... is a SOCK_SEQPACKET pair');
is(sock_type((spipe())[0]), SOCK_STREAM, 'spipe() stays a stream pair');
is(sock_type((spipe(type => 'stream'))[0]), SOCK_STREAM, 'spipe(type => "stream")');

# Across fork: the child sends everything and exits before the parent
# reads, so every message is queued at once, the case where a stream
# joins bytes to the descriptor message that follows.
my $pid = run_child {
    close $p;
    send_fds($c, [], 'bytes only') or die "bytes: $!";
    send_fds($c, [@files[0, 1]], 'two files') or die "two: $!";
    defined(send($c, '', 0)) or die "empty: $!";
    send_fds($c, [], 'after the empty one') or die "after: $!";
    send_file($c, $files[2]) or die "send_file: $!";
    send_fds($c, [@files[0, 1]], 'x' x 100) or die "long: $!";
    send_fds($c, [$files[2]], 'last') or die "last: $!";
    1;
};
close $c;
reap_ok($pid, 'the SEQPACKET sender');
my ($data, @fds) = recv_fds($p);
is($data, 'bytes only', 'a message of bytes only arrives alone');
is(scalar(@fds), 0, '... with no descriptor');
($data, @fds) = recv_fds($p);
is($data, 'two files', 'the descriptor message keeps its own bytes');
is_deeply([map { slurp_fd($_) } @fds], ["file 0\n", "file 1\n"], '... and its two descriptors');
close_fds(@fds);
$! = 0;
my @r = recv_fds($p);
my $err = $! + 0;
is_deeply(\@r, [''], 'a zero-length message: ("") and no descriptor, not end of stream');
is($err, 0, '... $! untouched');
($data, @fds) = recv_fds($p);
is($data, 'after the empty one', 'the message after it follows');
my $fh = recv_fh($p);
ok($fh && slurp_fd(fileno $fh) eq "file 2\n", 'recv_fh: one descriptor and the one byte');
my $before = open_fds();
$! = 0;
@r = recv_fds($p, FDPASS_MAX, 50);
$err = $! + 0;
ok(!@r, '100 bytes to recv_fds with $max_bytes 50: empty list');
is($err, EMSGSIZE, '... with EMSGSIZE');
is(open_fds(), $before, '... and both descriptors it carried are closed');
($data, @fds) = recv_fds($p);
is($data, 'last', '... the cut message is gone: the next one is whole');
is(slurp_fd($fds[0]), "file 2\n", '... with its descriptor');
close_fds(@fds);
$! = 0;
@r = recv_fds($p);
$err = $! + 0;
ok(!@r && $err == 0, 'the peer closed: end of stream, $! 0');

# Zero-length messages while the peer lives: a message each, in order.
($p, $c) = spipe(type => 'seqpacket');
send($c, '', 0);
@r = recv_fds($p);
is_deeply(\@r, [''], 'an empty message with nothing behind it: ("")');
send($c, '', 0) for 1, 2;
send($c, 'z', 0);
if ($rdhup) {
    is_deeply([[recv_fds($p)], [recv_fds($p)]], [[''], ['']],
              'two empty messages in a row: two messages');
} else {
    # What the POD says of systems without POLLRDHUP.
    $! = 0;
    @r = recv_fds($p);
    $err = $! + 0;
    ok(!@r && $err == 0, 'no POLLRDHUP: the first of two empty messages reads as the end');
    is_deeply([recv_fds($p)], [''], '... the second as a message');
}
is_deeply([recv_fds($p)], ['z'], '... then the bytes');
send($c, '', 0);
$! = 0;
my $fd = recv_fd($p);
$err = $! + 0;
ok(!defined $fd && $err == EBADMSG, 'recv_fd on an empty message: EBADMSG, not end of stream');
send_fds($c, [], 'no descriptor');
$! = 0;
$fd = recv_fd($p);
$err = $! + 0;
ok(!defined $fd && $err == EBADMSG, 'recv_fd on bytes without a descriptor: EBADMSG');
ok(!readable($p), '... and the whole message was taken');
# Two bytes are 0.09's form, taken (t/42); three are too many.
send_fds($c, [$files[0]], 'abc');
$before = open_fds();
$! = 0;
$fd = recv_fd($p);
$err = $! + 0;
ok(!defined $fd && $err == EMSGSIZE, 'recv_fd on a descriptor with three bytes: EMSGSIZE');
is(open_fds(), $before, '... and the descriptor is closed');
shutdown($c, 1);
$! = 0;
@r = recv_fds($p);
$err = $! + 0;
ok(!@r && $err == 0, 'the peer shut down writing: end of stream');
ok(send_fds($p, [$files[1]], 'still open'), '... and it can still be sent to');
($data, @fds) = recv_fds($c);
is($data, 'still open', '... and it receives');
close_fds(@fds);

# Sending: one message per call, whole or not at all.
($p, $c) = spipe(type => 'seqpacket');
my $big = 'b' x 100_000;
is(send_fds($p, [$files[0]], $big), 100_000, 'send_fds of 100000 bytes: all of it');
($data, @fds) = recv_fds($c, 1, 200_000);
is(length($data), 100_000, '... arrives as one message in one call');
close_fds(@fds);
my $sndbuf = unpack('i', getsockopt($p, SOL_SOCKET, Socket::SO_SNDBUF()));
$! = 0;
ok(!send_fds($p, [$files[0]], 'h' x ($sndbuf + 1)), 'longer than the send buffer: false');
is($! + 0, EMSGSIZE, '... with EMSGSIZE');
ok(!readable($c), '... and nothing was sent');

# The type option.
for my $call (
    [spipe        => sub { spipe(type => 'datagram') }],
    [endp_create  => sub { endp_create(tmpdir() . '/t1', type => 'datagram') }],
    [endp_connect => sub { endp_connect(tmpdir() . '/t1', type => 'datagram') }],
) {
    my ($name, $code) = @$call;
    ok(!eval { $code->(); 1 }, "$name with an unknown type croaks");
    like($@, qr/^File::FDpasser::$name: unknown type 'datagram'/, '... naming it');
}
ok(!eval { spipe('type'); 1 }, 'spipe with an odd list croaks');
like($@, qr/^Usage: File::FDpasser::spipe/, '... with the usage');
ok(!eval { spipe(mode => 1); 1 } && $@ =~ /^Usage: File::FDpasser::spipe/,
   'spipe with another option croaks');
ok(!eval { endp_connect(tmpdir() . '/t1', mode => 1); 1 }, 'endp_connect with another option croaks');
like($@, qr/^File::FDpasser::endp_connect: unknown option 'mode'/, '... naming it');

done_testing;
