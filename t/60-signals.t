# Proves signal behaviour between two processes: a blocking receive or
# accept interrupted by a signal runs the Perl handler and carries on; a
# handler that dies propagates its exception and loses no descriptor;
# sending to a peer that has gone fails with EPIPE and SIGPIPE is never
# raised.
use strict;
use warnings;
use Test::More;
use Errno qw(EPIPE);
use Time::HiRes qw(sleep);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my $dir = tmpdir();
open(my $f, '<', $0) or die;
my $parent = $$;

# A handler runs, then the receive carries on and gets the descriptor.
my ($a, $b) = spipe();
my $hits = 0;
local $SIG{USR1} = sub { $hits++ };
my $pid = run_child {
    sleep 0.3;
    kill 'USR1', $parent;
    sleep 0.3;
    kill 'USR1', $parent;
    sleep 0.3;
    send_file($a, $f) or die;
    1;
};
my $fh = recv_fh($b);
ok($fh, 'recv_fh got the descriptor after the signals');
is($hits, 2, 'the Perl handler ran for each signal');
reap_ok($pid);

# A handler that dies: the exception propagates; the message sent later
# is still there for the next call.
($a, $b) = spipe();
local $SIG{USR1} = sub { die "handler died\n" };
$pid = run_child {
    sleep 0.3;
    kill 'USR1', $parent;
    sleep 0.3;
    send_file($a, $f) or die;
    1;
};
my $before = open_fds();
my $r = eval { recv_fh($b) };
is($@, "handler died\n", 'a dying handler propagates out of recv_fh');
is(open_fds(), $before, '... with no descriptor left behind');
$fh = recv_fh($b);
ok($fh, 'the next recv_fh gets the descriptor sent afterwards');
reap_ok($pid);

# accept is interrupted and resumed too.
my $ls = endp_create("$dir/ep") or die;
$hits = 0;
local $SIG{USR1} = sub { $hits++ };
$pid = run_child {
    sleep 0.3;
    kill 'USR1', $parent;
    sleep 0.3;
    endp_connect("$dir/ep") or die;
    1;
};
my $uid;
ok(serv_accept_fh($ls, $uid), 'serv_accept_fh resumed after a signal');
is($hits, 1, 'its handler ran');
reap_ok($pid);

# EPIPE without SIGPIPE: in a child with SIGPIPE at its default, which
# would kill it if raised.
($a, $b) = spipe();
close $b;
$pid = run_child {
    $SIG{PIPE} = 'DEFAULT';
    my $ok = send_file($a, $f);
    my $err = $! + 0;
    exit 3 if $ok;
    $err == EPIPE;
};
waitpid($pid, 0);
is($?, 0, 'send_file to a closed peer: false, EPIPE, and no SIGPIPE');
$pid = run_child {
    $SIG{PIPE} = 'DEFAULT';
    !send_fds($a, [$f], 'data') && $! == EPIPE;
};
waitpid($pid, 0);
is($?, 0, 'send_fds to a closed peer: EPIPE, no SIGPIPE');

done_testing;
