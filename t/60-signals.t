# Proves signal behaviour between two processes: a blocking receive or
# accept interrupted by a signal runs the Perl handler and carries on; a
# handler that dies propagates its exception and loses no descriptor; a
# long send_fds runs the handlers between its parts, so a dying one stops
# a send to a peer that does not read; sending to a peer that has gone
# fails with EPIPE and SIGPIPE is never raised.
use strict;
use warnings;
use Test::More;
use Errno qw(EPIPE);
use Time::HiRes qw(sleep);
use POSIX ();
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

# A peer that goes after the first part of a long send_fds: the call
# returns the count that went, with $! EPIPE, and no SIGPIPE.
{
    my ($x, $y) = spipe();
    my $reader = run_child {
        close $x;
        my ($d, @fds) = recv_fds($y, 1, 100);
        @fds == 1;
    };
    close $y;
    my $big = 'p' x (4 << 20);
    $pid = run_child {
        $SIG{PIPE} = 'DEFAULT';
        my $n = send_fds($x, [$f], $big);
        my $err = $! + 0;
        $n && $n > 0 && $n < length($big) && $err == EPIPE;
    };
    close $x;
    waitpid($pid, 0);
    is($?, 0, 'a peer gone after the first part: the count so far, $! EPIPE, no SIGPIPE');
    reap_ok($reader, '... the peer got the descriptor first');
}

# A long send_fds to a peer that does not read goes in parts, and Perl's
# handlers run between them: a handler that dies stops the send, having
# sent the descriptor and a first part; one that returns lets the send
# carry on to the exact count.  The signal is sent once data has arrived
# (the sender is then inside send_fds, blocked on a full socket).  The
# sender is a child, killed if still there after 20 s: an old build
# retried inside C after the first part and hung.
{
    my $big = join('', map { chr(65 + $_ % 26) } 0 .. 999) x (16 << 10);    # 16 MB
    my $wait_readable = sub {
        my ($h) = @_;
        my $rin = '';
        vec($rin, fileno($h), 1) = 1;
        return select(my $r = $rin, undef, undef, 20) == 1;
    };
    my $reap_within = sub {
        my ($pid) = @_;
        for (1 .. 200) {
            return $? if waitpid($pid, POSIX::WNOHANG()) == $pid;
            sleep 0.1;
        }
        kill 'KILL', $pid;
        waitpid($pid, 0);
        return "killed after 20 s";
    };
    my $read_all = sub {
        my ($h) = @_;
        my ($data, @fds) = recv_fds($h, 1, 1 << 20);
        $data = '' unless defined $data;
        while (sysread($h, my $buf, 1 << 20)) { $data .= $buf }
        return ($data, @fds);
    };

    my ($x, $y) = spipe();
    my $pid = run_child {
        close $y;
        local $SIG{USR1} = sub { die "handler died\n" };
        my $n = eval { send_fds($x, [$f], $big) };
        $@ eq "handler died\n";
    };
    close $x;
    ok($wait_readable->($y), 'a long send_fds to a peer that does not read has begun');
    kill 'USR1', $pid;
    is($reap_within->($pid), 0, '... a dying handler stops it, and its exception propagates');
    my ($data, @fds) = $read_all->($y);
    is(scalar(@fds), 1, '... the descriptor went with the first part');
    ok(length($data) > 0 && length($data) < length($big)
       && $data eq substr($big, 0, length $data),
       '... and only what was sent before the handler died, in order (' . length($data) . ' bytes)');
    close_fds(@fds);

    ($x, $y) = spipe();
    $pid = run_child {
        close $y;
        my $hits = 0;
        local $SIG{USR1} = sub { $hits++ };
        my $n = send_fds($x, [$f], $big);
        defined $n && $n == length($big) && $hits == 1;
    };
    close $x;
    ok($wait_readable->($y), 'another long send_fds has begun');
    kill 'USR1', $pid;
    sleep 0.3;
    ($data, @fds) = $read_all->($y);
    is($reap_within->($pid), 0, '... a handler that returns lets it finish with the exact count');
    ok(@fds == 1 && $data eq $big, '... and the peer gets the descriptor and every byte, in order');
    close_fds(@fds);
}

done_testing;
