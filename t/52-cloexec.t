# Proves Perl's close-on-exec rule for every descriptor the module makes or
# receives: above $^F it does not survive an exec (checked by exec'ing a
# fresh perl), at or below $^F it does.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my $dir = tmpdir();
my ($a, $b) = spipe();
ok(!survives_exec(fileno $a), 'spipe end: close-on-exec');
my $ls = endp_create("$dir/ep") or die;
ok(!survives_exec(fileno $ls), 'endp_create: close-on-exec');
my $cl = endp_connect("$dir/ep") or die;
ok(!survives_exec(fileno $cl), 'endp_connect: close-on-exec');
my $sv = serv_accept_fh($ls) or die;
ok(!survives_exec(fileno $sv), 'serv_accept_fh: close-on-exec');
my $fd = cli_conn("$dir/ep");
ok(!survives_exec($fd), 'cli_conn: close-on-exec');
$fd = serv_accept_fd($ls);
ok(!survives_exec($fd), 'serv_accept_fd: close-on-exec');

open(my $f, '<', $0) or die;
send_file($a, $f) for 1 .. 3;
send_fds($a, [$f, $f]);
my $fh = recv_fh($b);
ok(!survives_exec(fileno $fh), 'recv_fh: close-on-exec');
$fd = recv_fd($b);
ok(!survives_exec($fd), 'recv_fd: close-on-exec');
$fd = File::FDpasser::recv(fileno $b);
ok(!survives_exec($fd), 'recv: close-on-exec');
my (undef, @fds) = recv_fds($b);
ok(!survives_exec($fds[0]) && !survives_exec($fds[1]), 'recv_fds: close-on-exec');

# With $^F raised, what is made and received survives exec, as Perl's own
# open and socket do.
{
    local $^F = 10_000;
    my ($c, $d) = spipe();
    ok(survives_exec(fileno $c), 'spipe with $^F raised: inherited');
    send_file($c, $f);
    my $g = recv_fh($d);
    ok(survives_exec(fileno $g), 'recv_fh with $^F raised: inherited');
}

done_testing;
