# Proves that scripts written for File::FDpasser 0.09 run unchanged: the
# two examples of its manual run as programs of their own (t/compat/),
# spipe + fork + send_file/recv_fh, and an endpoint server (select,
# serv_accept_fh with $uid) with an unrelated client (endp_connect, recv_fh).
use strict;
use warnings;
use Test::More;
use Errno qw(EBADF);
use lib 't/lib';
use FDPassTest;
use File::FDpasser;

alarm 60;
my $dir = tmpdir();
my @inc = map { "-I$_" } grep { !ref } @INC;

system($^X, @inc, 't/compat/spipe.pl', "$dir/spipe.out");
is($?, 0, 'the spipe example ran');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/spipe.out") or die; $x })),
   "written by the parent\nwritten by the child\n",
   'the child wrote through the handle the parent passed');

open(my $data, '>', "$dir/data") or die;
print $data "line one\nline two\n";
close $data;
open(my $server, '-|', $^X, @inc, 't/compat/endpoint.pl', 'server',
     "$dir/openserver", "$dir/data") or die "server: $!";
is(scalar(<$server>), "ready\n", 'the server made its endpoint');
my $out = `$^X @inc t/compat/endpoint.pl client $dir/openserver`;
is($?, 0, 'the client ran');
is($out, "line one\nline two\n", 'the client read the file the server sent');
close $server;
is($?, 0, 'the server finished cleanly');

# send_file dies with 0.09's own message on an argument that is not a
# descriptor number once an IO:: object is made its fileno (File::FDkeeper
# tests for it); a number that is not open fails quietly, with undef.
my ($e1, $e2) = spipe();
open(my $closed, '<', $0) or die;
close $closed;
{
    no warnings;
    my %h;
    for my $case ([undef, 0], [$e1, undef], [$e1, 'abc'], [$e1, ''],
                  [$e1, -1], [$e1, '3.5'], [$e1, $closed], [\%h, 0],
                  ['abc', 0], [-1, 0]) {
        my ($x, $y) = @$case;
        my $want = "Invalid args to send_file: "
                 . (defined $x ? "$x" : '') . ', ' . (defined $y ? "$y" : '') . "\n";
        eval { send_file($x, $y) };
        is($@, $want, "send_file(" . (defined $x ? "$x" : 'undef') . ', '
                    . (defined $y ? "'$y'" : 'undef') . "): 0.09's death");
    }
}
$! = 0;
my $r = send_file($e1, 9999);
ok(!defined $r, 'a failed send_file returns undef, as 0.09');
is($! + 0, EBADF, '... with EBADF for a number that is not open');
is(my_getfl(9999), -1, 'my_getfl on a closed descriptor: -1, as 0.09');
is($! + 0, EBADF, '... with EBADF');
ok(my_getfl($e1) >= 0, 'my_getfl on an open one: its flags');
is(do { no warnings "once"; $File::FDpasser::OS },
   { scm_rights => 'bsd', streams => 'sysv' }->{ File::FDpasser::_backend() }
       || File::FDpasser::_backend(),
   '$File::FDpasser::OS names the backend as 0.09 did');

# 0.09's fully qualified C-level names, between two processes: my_send_fd
# (0 or -1), my_recv_fd (the number or -1), my_serv_accept with $uid.
open(my $f, '>', "$dir/c-level") or die;
my $pid = run_child {
    close $e1;
    my $fd = File::FDpasser::my_recv_fd(fileno $e2);
    die "my_recv_fd: $!" if $fd < 0;
    open(my $g, '>&=', $fd) or die;
    print $g "through my_send_fd\n";
    close $g;
    my $end = File::FDpasser::my_recv_fd(fileno $e2);
    $end == -1 or die "my_recv_fd at end of stream: $end";
    my $c = endp_connect("$dir/c-level.sock") or die "endp_connect: $!";
    recv_fh($c) or die "recv_fh: $!";
};
close $e2;
my $ls = endp_create("$dir/c-level.sock") or die "endp_create: $!";
is(File::FDpasser::my_send_fd(fileno $e1, fileno $f), 0, 'my_send_fd: 0 on success');
close $e1;
is(File::FDpasser::my_send_fd(9999, fileno $f), -1, 'my_send_fd: -1 on failure');
my $conn = File::FDpasser::my_serv_accept(fileno $ls, my $uid);
ok($conn >= 0, 'my_serv_accept: the accepted descriptor');
# undef where the build has no way to ask (peer_cred is not among the
# features: make fallback-test hides SO_PEERCRED).
is($uid, File::FDpasser::_features() =~ /\bpeer_cred\b/ ? $> : undef,
   '... and the peer\'s uid');
is(File::FDpasser::my_send_fd($conn, fileno $f), 0, 'sent on the accepted one');
File::FDpasser::close_fds($conn);
reap_ok($pid, 'the process using my_recv_fd');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/c-level") or die; $x })),
   "through my_send_fd\n", 'the descriptor my_send_fd sent works');
is(File::FDpasser::my_serv_accept(9999), -1, 'my_serv_accept: -1 on failure');
unlink "$dir/c-level.sock";

# The classes of the handles: 0.09's spipe, endp_create, endp_connect and
# serv_accept_fh gave IO::File objects (*FH{IO}), recv_fh an IO::Handle.
# What its scripts could test stays: ref matches /^IO::/ (0.09's own
# check), isa IO::Handle; recv_fh's is exactly IO::Handle.
{
    my ($p, $q) = spipe();
    my $l = endp_create("$dir/class.sock") or die;
    my $c = endp_connect("$dir/class.sock") or die;
    my $s = serv_accept_fh($l) or die;
    for ([spipe => $p], [endp_create => $l], [endp_connect => $c],
         [serv_accept_fh => $s]) {
        my ($name, $h) = @$_;
        like(ref $h, qr/^IO::/, "$name: ref matches /^IO::/");
        ok($h->isa('IO::Handle'), "$name: isa IO::Handle");
    }
    send_file($p, $c) or die;
    my $got = recv_fh($q);
    is(ref $got, 'IO::Handle', 'recv_fh: an IO::Handle, as in 0.09');
    unlink "$dir/class.sock";
}

done_testing;
