# Proves one descriptor at a time between two processes: files in each
# open mode come back as handles in that mode (get_fopen_mode), pipes and
# TCP sockets work after passing, recv_fd gives a usable number, buffered
# output is flushed before a handle is passed, end of stream is undef with
# $! == 0, and bytes without a descriptor fail with EBADMSG.
use strict;
use warnings;
use Test::More;
use Errno qw(EBADMSG);
use Fcntl qw(O_RDONLY O_WRONLY O_RDWR O_APPEND O_CREAT);
use IO::Socket::INET;
use lib 't/lib';
use FDPassTest;
use File::FDpasser;

alarm 30;
my $dir = tmpdir();
for my $f ('mode', 'f+<') {
    open(my $h, '>', "$dir/$f") or die;
}

# get_fopen_mode on each kind of open.
my %want = ('<' => 'r', '>' => 'w', '>>' => 'a', '+<' => 'w+', '+>>' => 'a+');
for my $m (sort keys %want) {
    open(my $h, $m, "$dir/mode") or die "$m: $!";
    is(get_fopen_mode(fileno $h), $want{$m}, "get_fopen_mode for '$m'");
    is(get_fopen_mode($h), $want{$m}, "get_fopen_mode takes the handle too");
    close $h;
}
ok(my_getfl(0) >= 0, 'my_getfl on STDIN');
ok(!defined get_fopen_mode(999), 'get_fopen_mode on a closed descriptor is undef');

my ($p, $c) = spipe();
isa_ok($p, 'IO::Handle', 'spipe end');
pipe(my $pr, my $pw) or die;
my $lsn = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                LocalPort => 0, Proto => 'tcp') or die;
my $port = $lsn->sockport;

my $pid = run_child {
    close $p;
    close $pr;
    # A file for each mode, written through what the parent sends.
    for my $m ('>', '>>', '+<') {
        my $fh = recv_fh($c) or die "recv_fh $m: $!";
        print $fh "written by the child through '$m'\n";
        close $fh;
    }
    # A read-only file: read it.
    my $rd = recv_fh($c) or die "recv_fh <: $!";
    my $line = <$rd>;
    # The pipe's write end: answer through it.
    my $pw2 = recv_fh($c) or die "pipe: $!";
    print $pw2 "pipe says: $line";
    close $pw2;
    # A connected TCP socket, blessed as asked: talk over it.
    my $tcp = recv_fh($c, 'IO::Socket::INET') or die "tcp: $!";
    die "not INET" unless $tcp->isa('IO::Socket::INET');
    die "no peer port" unless $tcp->peerport;
    print $tcp "hello over tcp\n";
    my $reply = <$tcp>;
    print $tcp "child got: $reply";
    close $tcp;
    # recv_fd gives a plain number.
    my $fd = recv_fd($c);
    die "recv_fd: $!" unless defined $fd && $fd > 2;
    open(my $byfd, '>&=', $fd) or die "fdopen: $!";
    print $byfd "through recv_fd\n";
    close $byfd;
    # A handle with output still in its PerlIO buffer.
    my $buffered = recv_fh($c) or die;
    print $buffered "after the flushed part\n";
    close $buffered;
    # IO::FDPass-style calls.
    my $n = File::FDpasser::recv(fileno $c);
    die "recv: $!" if $n < 0;
    open(my $viarecv, '>&=', $n) or die;
    print $viarecv "through File::FDpasser::recv\n";
    close $viarecv;
    # Bytes without a descriptor, then end of stream.
    print $c "x";
    $c->flush;
    1;
};
close $c;
close $pw;

for my $m ('>', '>>', '+<') {
    open(my $h, $m, "$dir/f$m") or die;
    ok(send_file($p, $h), "send_file '$m'");
    close $h;
}
open(my $rd, '<', "$dir/f>") or die;
ok(send_file($p, $rd), 'send_file a read-only handle');
ok(send_file($p, $pw = do { pipe(my $r2, my $w2); $pr = $r2; $w2 }),
   'send_file a pipe');
close $pw;
is(scalar(<$pr>), "pipe says: written by the child through '>'\n",
   'child read the file and answered through the passed pipe');
for my $m ('>>', '+<') {
    is(slurp_fd(fileno(do { open(my $x, '<', "$dir/f$m"); $x })),
       "written by the child through '$m'\n", "file '$m' written by the child");
}

my $tcp_client = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                       PeerPort => $port) or die;
my $tcp_server = $lsn->accept or die;
ok(send_file($p, $tcp_server), 'send_file an accepted TCP socket');
close $tcp_server;
is(scalar(<$tcp_client>), "hello over tcp\n", 'child spoke over the TCP socket');
print $tcp_client "ping\n";
is(scalar(<$tcp_client>), "child got: ping\n", 'and read from it');

open(my $viafd, '>', "$dir/viafd") or die;
ok(send_file($p, fileno $viafd), 'send_file by number');
close $viafd;

open(my $buf, '>', "$dir/buffered") or die;
print $buf "flushed before passing\n";      # still in the PerlIO buffer
ok(send_file($p, $buf), 'send_file a handle with buffered output');

open(my $vr, '>', "$dir/viarecv") or die;
ok(File::FDpasser::send(fileno $p, fileno $vr), 'File::FDpasser::send');
close $vr;

reap_ok($pid);    # the child has sent its byte and gone
$! = 0;
my $none = recv_fh($p);
my $err = $! + 0;
ok(!defined $none, 'bytes without a descriptor: undef');
is($err, EBADMSG, '... with EBADMSG');
$! = 0;
$none = recv_fh($p);
$err = $! + 0;
ok(!defined $none && $err == 0, 'end of stream: undef and $! == 0');
$! = 0;
my @none = File::FDpasser::recv_fds($p);
ok(!@none && $! == 0, 'recv_fds at end of stream: empty list, $! == 0');
is(File::FDpasser::recv(fileno $p), -1, 'recv at end of stream: -1');

close $buf;
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/viafd"); $x })),
   "through recv_fd\n", 'recv_fd number usable');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/buffered"); $x })),
   "flushed before passing\nafter the flushed part\n",
   'buffered output reached the file before the receiver wrote');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/viarecv"); $x })),
   "through File::FDpasser::recv\n", 'File::FDpasser::recv number usable');

done_testing;
