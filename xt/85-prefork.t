# Proves bench/prefork-httpd.pl as a real server on a loopback port: every
# request answered in both modes (with keep-alive, and spread over the
# workers in pass mode); SIGTERM lets a request under way finish and then
# refuses new connections; a zero-downtime handoff (--control/--takeover)
# under a client that keeps making requests, with no request failing;
# and bench/prefork-demo.sh, which shows the same from the shell.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Socket ();
use Time::HiRes qw(time sleep);
use POSIX ();
use lib 't/lib';
use FDPassTest;
use PreforkServer;
use File::FDpasser ();

$SIG{ALRM} = sub {
    my @left = running();
    kill_running();
    die "timed out; servers still running were killed: @left\n";
};
alarm 120;
my $dir = tmpdir();

# One or more requests on one connection; the answers' bodies, or undef
# for a request that failed.
sub get {
    my ($port, @paths) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
        or return;
    my @bodies;
    for my $i (0 .. $#paths) {
        my $close = $i == $#paths ? "Connection: close\r\n" : '';
        print $s "GET $paths[$i] HTTP/1.1\r\nHost: test\r\n$close\r\n" or return;
        my $head = '';
        while (defined(my $line = <$s>)) {
            last if $line eq "\r\n";
            $head .= $line;
        }
        return unless $head =~ m{^HTTP/1\.1 200 } && $head =~ /Content-Length: (\d+)/;
        read($s, my $body, $1) == $1 or return;
        push @bodies, $body;
    }
    return @bodies;
}

# $n requests, each on a connection of its own, to the server $pid: the
# requests each of its workers answered (by worker pid), and how many
# were not answered by one of them.
sub spread {
    my ($port, $pid, $n) = @_;
    my (%by, $bad);
    for (1 .. $n) {
        my ($body) = get($port, '/');
        if (defined $body && $body =~ /^worker +(\d+) of server +(\d+)$/ && $2 == $pid) {
            $by{$1}++;
        } else {
            $bad++;
        }
    }
    return (\%by, $bad);
}

for my $mode (qw(pass accept)) {
    my ($pid, $out, $port) = start_server('--mode', $mode, '--workers', 3);
    my ($by, $bad) = spread($port, $pid, 30);
    ok(!$bad, "$mode: 30 requests, each answered by a worker of this server");
    is(scalar(keys %$by), 3, "$mode: all three workers served")
        if $mode eq 'pass';
    my @keep = get($port, ('/') x 5);
    my %w = map { /worker +(\d+)/ ? ($1 => 1) : () } @keep;
    ok(@keep == 5 && keys(%w) == 1, "$mode: five requests on one keep-alive connection, one worker");
    kill 'TERM', $pid;
    my ($status, @lines) = finish($pid, $out);
    is($status, 0, "$mode: SIGTERM: exit status 0");
    my $served = 0;
    $served += $_ for map { /served (\d+) requests/ ? $1 : () } @lines;
    is($served, 35, "$mode: the workers' own counts add up to 35 requests");
    ok((grep { /drained, exiting/ } @lines), "$mode: drained");
}

# TCP_DEFER_ACCEPT (Linux): a connection reaches accept only once its
# request has come, so a client that connects and says nothing does not
# hold up the only worker (without it, the worker would wait on that
# connection for the idle timeout).  --no-defer still serves.
SKIP: {
    skip 'no TCP_DEFER_ACCEPT here', 6 unless eval { Socket::TCP_DEFER_ACCEPT() };
    for my $mode (qw(pass accept)) {
        my ($pid, $out, $port) = start_server('--mode', $mode, '--workers', 1,
                                              '--idle', 4);
        my $silent = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die $!;
        sleep 0.2;
        my $t0 = time;
        my ($body) = get($port, '/');
        my $took = time - $t0;
        ok(defined $body && $took < 2,
           sprintf("$mode: a client that connects and stays silent holds up no "
                   . "worker (answered after %.2f s; the idle timeout is 4 s)", $took));
        close $silent;
        kill 'TERM', $pid;
        is((finish($pid, $out))[0], 0, "$mode: exit status 0");
    }
    my ($pid, $out, $port) = start_server('--mode', 'pass', '--workers', 2, '--no-defer');
    my ($by, $bad) = spread($port, $pid, 10);
    ok(!$bad, '--no-defer: 10 requests, each answered by a worker of this server');
    kill 'TERM', $pid;
    is((finish($pid, $out))[0], 0, '--no-defer: exit status 0');
}

# SIGTERM while a request is under way: it is answered, then nothing more.
{
    my ($pid, $out, $port) = start_server('--mode', 'pass', '--workers', 2);
    my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die $!;
    print $c "GET /sleep/1 HTTP/1.1\r\nHost: test\r\n\r\n";
    sleep 0.3;
    kill 'TERM', $pid;
    my $reply = do { local $/; <$c> };
    like($reply, qr{^HTTP/1\.1 200 .*Connection: close.*worker}s,
         'the request under way at SIGTERM is answered, and the connection closed');
    my ($status, @lines) = finish($pid, $out);
    is($status, 0, 'the server exits once it has drained');
    ok(!IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port"),
       'afterwards the port refuses connections');
}

# A worker killed: the connections that follow go to the others, and a
# new worker takes its place.
{
    my ($pid, $out, $port) = start_server('--mode', 'pass', '--workers', 2);
    my ($body) = get($port, '/');
    my ($victim) = defined $body ? $body =~ /worker +(\d+)/ : ();
    ok($victim && kill('KILL', $victim), 'a worker killed');
    # Until it has died, connections may still be queued to it (and go
    # with it, as a worker's accepted connections go in accept mode).
    for (1 .. 100) {
        last unless -d "/proc/$victim";
        open(my $st, '<', "/proc/$victim/stat") or last;
        last if (<$st> // '') =~ /\) Z /;
        select(undef, undef, undef, 0.02);
    }
    select(undef, undef, undef, 0.2) unless -d '/proc/self';
    my ($by, $bad) = spread($port, $pid, 12);
    my %by = %$by;
    ok(!$bad, '12 requests after it, all answered');
    ok(!$by{$victim}, '... none by the dead worker');
    # The replacement is started when the parent reaps the dead one; it
    # has served too by the time a few more requests are through.
    for (1 .. 40) {
        last if keys(%by) >= 2;
        my ($b) = get($port, '/');
        $by{$1}++ if defined $b && $b =~ /^worker +(\d+)/;
        select(undef, undef, undef, 0.05);
    }
    is(scalar(keys %by), 2, '... and a new worker serves beside the survivor');
    kill 'TERM', $pid;
    my ($status) = finish($pid, $out);
    is($status, 0, 'the server exits on SIGTERM');
}

# Zero-downtime handoff under a client loop, in both modes.
for my $mode (qw(pass accept)) {
    my $ctl = "$dir/ctl-$mode";
    my ($old, $oldout, $port) = start_server('--mode', $mode, '--workers', 2,
                                             '--control', $ctl);
    sleep 0.2 until -S $ctl;
    my $stopfile = "$dir/stop-$mode";
    my $client = fork // die;
    if (!$client) {
        my ($ok, $fail, %servers) = (0, 0);
        my $end = time + 60;
        until (-e $stopfile || time > $end) {
            my ($body) = get($port, '/');
            if (defined $body && $body =~ /of server +(\d+)/) {
                $ok++;
                $servers{$1}++;
            } else {
                $fail++;
            }
        }
        open(my $r, '>', "$dir/result-$mode") or die;
        print $r "ok=$ok fail=$fail servers=", join(',', sort keys %servers), "\n";
        close $r;
        POSIX::_exit(0);
    }
    sleep 0.5;
    my ($new, $newout, $newport, $line) = start_server(
        '--mode', $mode, '--workers', 2, '--takeover', $ctl, '--control', $ctl);
    is($newport, $port, "$mode handoff: the new instance listens on the same port");
    # The old instance names itself in the handoff's metadata.
    like($line, qr/taken over from pid $old(?!\d)/, 'it took the socket over from the old one');
    my ($status, @lines) = finish($old, $oldout);
    is($status, 0, 'the old instance drained and exited');
    ok((grep { /handed the listening socket over/ } @lines), 'and said it handed over');
    sleep 0.5;
    open(my $s, '>', $stopfile) or die;
    close $s;
    waitpid($client, 0);
    my $result = slurp_file("$dir/result-$mode");
    my ($ok, $fail, $servers) = $result =~ /ok=(\d+) fail=(\d+) servers=(\S*)/;
    is($fail, 0, "no request failed during the handoff ($ok answered)");
    my %seen = map { $_ => 1 } split /,/, $servers // '';
    ok($seen{$old} && $seen{$new}, 'requests were answered by the old and then the new instance');
    ok(get($port, '/'), 'the new instance serves');
    ok(-S $ctl, 'and has its own control endpoint');
    kill 'TERM', $new;
    ($status) = finish($new, $newout);
    is($status, 0, 'the new instance exits on SIGTERM');
}

# The demo script: twelve requests over three workers, a handoff while
# 400 requests are made, SIGTERM.
{
    my $out = `sh bench/prefork-demo.sh 2>&1`;
    is($?, 0, 'bench/prefork-demo.sh ran') or diag($out);
    like($out, qr/12 requests, each connection passed.*\n(?:  \d+ answered by worker \d+ of server \d+\n){3}/,
         'twelve requests answered by three workers');
    like($out, qr/taken over from pid (?:\d+|\?)\)/, 'a second instance took the socket over');
    like($out, qr/the 400 requests made meanwhile \(none failed\)/, 'no request failed meanwhile');
}

sub slurp_file {
    open(my $f, '<', $_[0]) or return '';
    local $/;
    return scalar <$f>;
}

done_testing;
