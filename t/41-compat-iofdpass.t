# Proves File::FDpasser::send/recv keep IO::FDPass's calls and wire: a
# process using IO::FDPass (Debian libio-fdpass-perl) and one using this
# module pass descriptors both ways over one socketpair, and a program
# switches by renaming the package (same arguments, same results, -1 on
# failure).
use strict;
use warnings;
use Test::More;
use Errno qw(EBADF EBADMSG EDOM);
use lib 't/lib';
use FDPassTest;
use File::FDpasser ();

plan skip_all => "IO::FDPass is not installed: $@"
    unless eval { require IO::FDPass; 1 };
alarm 30;
my $dir = tmpdir();
open(my $w, '>', "$dir/from-iofdpass") or die;
close $w;

my ($p, $c) = File::FDpasser::spipe();
my $pid = run_child {
    # This process speaks IO::FDPass only.
    close $p;
    open(my $f, '>>', "$dir/from-iofdpass") or die;
    IO::FDPass::send(fileno $c, fileno $f) or die "IO::FDPass::send: $!";
    my $fd = IO::FDPass::recv(fileno $c);
    die "IO::FDPass::recv: $!" if $fd < 0;
    open(my $g, '+<&=', $fd) or die;
    print $g "written by IO::FDPass's side\n";
    close $g;
    # And receives several in turn.
    for (1 .. 10) {
        my $n = IO::FDPass::recv(fileno $c);
        die "recv $_: $!" if $n < 0;
        POSIX::close($n);
    }
    1;
};
close $c;
my $fd = File::FDpasser::recv(fileno $p);
ok($fd >= 0, 'File::FDpasser::recv takes what IO::FDPass::send sent');
open(my $g, '>&=', $fd) or die;
print $g "written by File::FDpasser's side\n";
close $g;
open(my $mine, '>', "$dir/from-fdpasser") or die;
ok(File::FDpasser::send(fileno $p, fileno $mine),
   'File::FDpasser::send to IO::FDPass::recv');
close $mine;
ok(File::FDpasser::send(fileno $p, 0), "send #$_") for 1 .. 10;
reap_ok($pid, 'the IO::FDPass process');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/from-iofdpass"); $x })),
   "written by File::FDpasser's side\n", 'the descriptor IO::FDPass sent works');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/from-fdpasser"); $x })),
   "written by IO::FDPass's side\n", 'the descriptor File::FDpasser sent works');

# The same results for the same bad input.
for my $bad (-1, 9999) {
    $! = 0;
    my $theirs = IO::FDPass::recv($bad);
    my $their_err = $! + 0;
    $! = 0;
    my $ours = File::FDpasser::recv($bad);
    my $our_err = $! + 0;
    is($ours, $theirs, "recv($bad): same result as IO::FDPass ($theirs)");
    is($our_err, EBADF, "recv($bad): EBADF");
    $! = 0;
    ok(!File::FDpasser::send($bad, 0) && !IO::FDPass::send($bad, 0),
       "send($bad): false for both");
}

# Bytes without a descriptor, written by another process: recv fails with
# EDOM as IO::FDPass 1.3 does; recv_fd keeps EBADMSG.  A SEQPACKET pair
# keeps each write a message of its own, so each call meets one.
SKIP: {
    my ($x, $y) = File::FDpasser::spipe(type => 'seqpacket');
    skip "no SEQPACKET pair here: $!", 4 unless $x;
    my $pid = run_child {
        close $x;
        syswrite($y, "z") == 1 or die "write: $!" for 1 .. 3;
        1;
    };
    close $y;
    reap_ok($pid, 'the process that wrote bytes only');
    $! = 0;
    my $theirs = IO::FDPass::recv(fileno $x);
    my $their_err = $! + 0;
    $! = 0;
    my $ours = File::FDpasser::recv(fileno $x);
    my $our_err = $! + 0;
    is($ours, -1, 'recv on bytes without a descriptor: -1');
    is($our_err, EDOM, '... with EDOM');
    is($our_err, $their_err, '... the errno IO::FDPass::recv gives')
        or diag("IO::FDPass: $theirs, $their_err");
    $! = 0;
    ok(!defined File::FDpasser::recv_fd($x) && $! == EBADMSG,
       'recv_fd on the same keeps EBADMSG');
}

done_testing;
