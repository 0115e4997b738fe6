# Proves interoperation on the wire, both directions, with real peers in
# processes of their own: Python 3's socket.send_fds/recv_fds (including a
# data byte other than 0, as libancillary and multiprocessing send), and a
# C program built on fdpass.h (including one message with two SCM_RIGHTS
# control messages).  On SEQPACKET pairs too, both ways: Python's
# bytes-only, empty and descriptor messages arrive one by one, a message
# longer than $max_bytes is EMSGSIZE with its descriptors closed, and
# Python receives Perl's messages with their boundaries.
use strict;
use warnings;
use Test::More;
use Errno qw(EMSGSIZE);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my $dir = tmpdir();

sub fresh {
    my ($name) = @_;
    open(my $h, '>', "$dir/$name") or die;
    close $h;
    return "$dir/$name";
}
sub text { slurp_fd(fileno(do { open(my $x, '<', $_[0]) or die; $x })) }

SKIP: {
    my $py = 'python3';
    my $probe = `$py -c "import socket; socket.send_fds; socket.recv_fds; print('yes')" 2>&1`;
    skip "python3 with socket.send_fds is not available: $probe", 10
        unless defined $probe && $probe =~ /^yes/;

    # Python sends: one with b'\0', one with b'!', three with data.
    my ($p, $c) = spipe();
    my @f = map { fresh("py$_") } 1 .. 5;
    my $script = <<'PY';
import os, socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
fds = [os.open(p, os.O_WRONLY | os.O_APPEND) for p in sys.argv[2:]]
socket.send_fds(s, [b'\0'], fds[0:1])
socket.send_fds(s, [b'!'], fds[1:2])
socket.send_fds(s, [b'from python'], fds[2:5])
PY
    my $pid = exec_with($c, $py, '-c', $script, fileno($c), @f);
    close $c;
    my $fh = recv_fh($p);
    ok($fh, 'recv_fh takes what Python sent with a 0 byte');
    print $fh "perl 1\n";
    close $fh;
    my $fd = recv_fd($p);
    ok(defined $fd, 'recv_fd takes a message whose byte is "!"');
    open($fh, '>>&=', $fd) or die;
    print $fh "perl 2\n";
    close $fh;
    my ($data, @fds) = recv_fds($p);
    is($data, 'from python', 'recv_fds: Python\'s data');
    is(scalar(@fds), 3, 'recv_fds: Python\'s three descriptors');
    for my $n (@fds) { open(my $h, '>>&=', $n) or die; print $h "perl many\n"; close $h }
    waitpid($pid, 0);
    is($?, 0, 'the Python sender exited cleanly');
    is(join('', map { text($_) } @f), "perl 1\nperl 2\nperl many\nperl many\nperl many\n",
       'every descriptor Python sent reaches its file');

    # Python receives what Perl sends.
    ($p, $c) = spipe();
    @f = map { fresh("topy$_") } 1 .. 3;
    $script = <<'PY';
import os, socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
msg, fds, flags, addr = socket.recv_fds(s, 16, 1)
os.write(fds[0], b'python got %r\n' % msg)
msg, fds, flags, addr = socket.recv_fds(s, 16, 8)
for fd in fds:
    os.write(fd, b'python got %d with %r\n' % (len(fds), msg))
PY
    $pid = exec_with($c, $py, '-c', $script, fileno($c));
    close $c;
    my @h = map { open(my $h, '>>', $_) or die; $h } @f;
    ok(send_file($p, $h[0]), 'send_file to Python');
    ok(send_fds($p, [@h[1, 2]], 'two'), 'send_fds to Python');
    waitpid($pid, 0);
    is($?, 0, 'the Python receiver exited cleanly');
    is(join('', map { text($_) } @f),
       "python got b'\\x00'\npython got 2 with b'two'\npython got 2 with b'two'\n",
       'Python received the byte, the data and every descriptor');
}

# The same peers on SEQPACKET pairs: every message whole and alone.
SKIP: {
    my $py = 'python3';
    my $probe = `$py -c "import socket; socket.send_fds; socket.recv_fds; print('yes')" 2>&1`;
    skip "python3 with socket.send_fds is not available: $probe", 14
        unless defined $probe && $probe =~ /^yes/;

    my ($p, $c) = spipe(type => 'seqpacket');
    my @f = map { fresh("sq$_") } 1 .. 3;
    my $script = <<'PY';
import os, socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
assert s.type == socket.SOCK_SEQPACKET, s.type
fds = [os.open(p, os.O_WRONLY | os.O_APPEND) for p in sys.argv[2:]]
s.send(b'bytes only')
socket.send_fds(s, [b'\0'], fds[0:1])
socket.send_fds(s, [b'two'], fds[1:3])
s.send(b'')
socket.send_fds(s, [b'x' * 100], fds[0:3])
s.send(b'end')
PY
    my $pid = exec_with($c, $py, '-c', $script, fileno($c), @f);
    close $c;
    waitpid($pid, 0);
    is($?, 0, 'the Python SEQPACKET sender exited cleanly');
    my ($data, @fds) = recv_fds($p);
    is_deeply([$data, scalar @fds], ['bytes only', 0],
              'Python\'s bytes without descriptors arrive alone');
    my $fh = recv_fh($p);
    ok($fh, 'recv_fh takes Python\'s next message, a descriptor and its byte');
    print $fh "perl sq 1\n";
    close $fh;
    ($data, @fds) = recv_fds($p);
    is_deeply([$data, scalar @fds], ['two', 2], 'recv_fds: Python\'s data and two descriptors');
    for my $n (@fds) { open(my $h, '>>&=', $n) or die; print $h "perl sq many\n"; close $h }
    is_deeply([recv_fds($p)], [''], 'Python\'s empty message: (""), not the end');
    my $before = open_fds();
    $! = 0;
    my @r = recv_fds($p, 10, 50);
    my $err = $! + 0;
    ok(!@r && $err == EMSGSIZE, '100 bytes with $max_bytes 50: EMSGSIZE');
    is(open_fds(), $before, '... and the three descriptors it carried are closed');
    is_deeply([recv_fds($p)], ['end'], 'the next message is whole');
    $! = 0;
    @r = recv_fds($p);
    ok(!@r && $! == 0, 'then the end of stream');
    is(join('', map { text($_) } @f), "perl sq 1\nperl sq many\nperl sq many\n",
       'every descriptor Python sent on SEQPACKET reaches its file');

    # Python receives.
    ($p, $c) = spipe(type => 'seqpacket');
    my $out = fresh('sq-out');
    $script = <<'PY';
import os, socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
got = []
for i in range(3):
    msg, fds, flags, addr = socket.recv_fds(s, 100, 4)
    got.append(b'%r %d %d' % (msg, len(fds), flags & socket.MSG_TRUNC))
    if fds:
        out = fds[0]
os.write(out, b'\n'.join(got) + b'\n')
PY
    $pid = exec_with($c, $py, '-c', $script, fileno($c));
    close $c;
    open(my $o, '>>', $out) or die;
    ok(send_fds($p, [], 'perl bytes'), 'send_fds of bytes alone to Python');
    ok(send_fds($p, [$o], 'with a file'), 'send_fds of a descriptor to Python');
    ok(send_file($p, $o), 'send_file to Python');
    waitpid($pid, 0);
    is(text($out), "b'perl bytes' 0 0\nb'with a file' 1 0\nb'\\x00' 1 0\n",
       'Python received three messages with their boundaries');
}

SKIP: {
    my ($peer, $why) = build_c("$dir/peer", ['t/c/peer.c']);
    skip "cannot build the C peer: $why", 8 unless $peer;

    my ($p, $c) = spipe();
    my @f = map { fresh("c$_") } 1 .. 5;
    my $pid = exec_with($c, $peer, 'send', fileno($c), $f[0]);
    close $c;
    my $fh = recv_fh($p);
    ok($fh, 'recv_fh from the C peer');
    print $fh "perl from C\n";
    close $fh;
    waitpid($pid, 0);

    ($p, $c) = spipe();
    $pid = exec_with($c, $peer, 'many', fileno($c), @f[1, 2]);
    close $c;
    my ($data, @fds) = recv_fds($p);
    ok($data eq 'from C' && @fds == 2, 'recv_fds from the C peer: data and two descriptors');
    for my $n (@fds) { open(my $h, '>>&=', $n) or die; print $h "perl many\n"; close $h }
    waitpid($pid, 0);

    ($p, $c) = spipe();
    $pid = exec_with($c, $peer, 'twocmsg', fileno($c), @f[3, 4]);
    close $c;
    ($data, @fds) = recv_fds($p);
    is(scalar(@fds), 2, 'two SCM_RIGHTS control messages in one message: both descriptors');
    for my $n (@fds) { open(my $h, '>>&=', $n) or die; print $h "perl two\n"; close $h }
    waitpid($pid, 0);
    is(join('', map { text($_) } @f),
       "perl from C\nperl many\nperl many\nperl two\nperl two\n",
       'every descriptor the C peer sent reaches its file');

    # The C peer receives.
    ($p, $c) = spipe();
    my @g = map { fresh("toc$_") } 1 .. 4;
    $pid = exec_with($c, $peer, 'recv', fileno($c), 2);
    close $c;
    my @h = map { open(my $h, '>>', $_) or die; $h } @g;
    ok(send_file($p, $h[0]) && File::FDpasser::send(fileno $p, fileno $h[1]),
       'send_file and send to the C peer');
    waitpid($pid, 0);
    is($?, 0, 'the C receiver exited cleanly');
    ($p, $c) = spipe();
    $pid = exec_with($c, $peer, 'recvmany', fileno($c));
    close $c;
    ok(send_fds($p, [@h[2, 3]], 'perl data'), 'send_fds to the C peer');
    waitpid($pid, 0);
    is(join('', map { text($_) } @g),
       "C was here\nC was here\nC got 2 with 'perl data'\nC got 2 with 'perl data'\n",
       'the C peer wrote through every descriptor');
}

done_testing;
