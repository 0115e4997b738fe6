# Proves that non-blocking endpoints never block: receive, accept and send
# fail with EAGAIN, leave nothing open, and succeed once select says ready.
use strict;
use warnings;
use Test::More;
use Errno qw(EAGAIN EWOULDBLOCK);
use IO::Handle;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my $dir = tmpdir();
open(my $f, '<', $0) or die;
sub again { my $e = shift; $e == EAGAIN || $e == EWOULDBLOCK }

my ($a, $b) = spipe();
$b->blocking(0);
my $before = open_fds();
$! = 0;
my $fh = recv_fh($b);
my $err = $! + 0;
ok(!defined $fh && again($err), 'recv_fh on an empty non-blocking endpoint: EAGAIN');
$! = 0;
my @r = recv_fds($b);
ok(!@r && again($! + 0), 'recv_fds: EAGAIN');
is(File::FDpasser::recv(fileno $b), -1, 'recv: -1');
is(open_fds(), $before, 'nothing left open');

my $pid = run_child { sleep 1; send_file($a, $f) or die; 1 };
my $rin = '';
vec($rin, fileno $b, 1) = 1;
ok(select(my $rout = $rin, undef, undef, 10), 'select says readable');
ok(recv_fh($b), 'then recv_fh succeeds');
reap_ok($pid);

my $ls = endp_create("$dir/ep") or die;
$ls->blocking(0);
$! = 0;
ok(!serv_accept_fh($ls) && again($! + 0), 'serv_accept_fh with nobody waiting: EAGAIN');
$! = 0;
ok(!defined serv_accept_fd($ls) && again($! + 0), 'serv_accept_fd: EAGAIN');

# Fill the socket buffer, then sending must not block.
($a, $b) = spipe();
$a->blocking(0);
my $chunk = 'x' x 4096;
1 while defined syswrite($a, $chunk);
ok(again($! + 0), 'socket buffer full');
$before = open_fds();
$! = 0;
ok(!send_file($a, $f) && again($! + 0), 'send_file on a full non-blocking endpoint: EAGAIN');
$! = 0;
ok(!send_fds($a, [$f], 'data') && again($! + 0), 'send_fds: EAGAIN');
is(open_fds(), $before, 'nothing left open');
# Drain, and the send goes through.
$b->blocking(0);
1 while sysread($b, my $buf, 1 << 16);
my $win = '';
vec($win, fileno $a, 1) = 1;
ok(select(undef, my $wout = $win, undef, 10), 'select says writable after draining');
ok(send_file($a, $f), 'then send_file succeeds');

# A non-blocking endpoint that fills after the descriptor and a first
# part: send_fds returns the count that went ($! EAGAIN), and the peer
# gets the descriptor with those bytes.
{
    my ($x, $y) = spipe();
    $x->blocking(0);
    my $big = join('', map { chr(97 + $_ % 26) } 0 .. 999) x 4096;    # 4 MB
    $! = 0;
    my $n = send_fds($x, [$f], $big);
    my $err = $! + 0;
    ok($n && $n < length($big) && again($err),
       "non-blocking, longer than the buffer: a count below the length ($n), EAGAIN");
    $y->blocking(0);
    my ($got, @fds) = recv_fds($y, 1, 1 << 20);
    while (sysread($y, my $more, 1 << 20)) { $got .= $more }
    ok(@fds == 1 && $got eq substr($big, 0, $n),
       '... the peer has the descriptor and exactly those bytes');
    close_fds(@fds);
}

done_testing;
