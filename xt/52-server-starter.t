# Server::Starter's start_server (Debian libserver-starter-perl) runs
# eg/systemd/hello.pl, which takes its listeners with listen_fds from
# SERVER_STARTER_PORT (a TCP port and a UNIX path, named as start_server
# names them), and a hot deploy (SIGHUP to start_server) under ab's load
# (apache2-utils) refuses no connection: no failed request, and the new
# generation serves once the old one has gone.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Time::HiRes qw(sleep time);

my ($starter) = grep { -x } '/usr/bin/start_server';
my ($ab)      = grep { -x } '/usr/bin/ab';
plan skip_all => 'needs start_server (Debian libserver-starter-perl)' unless $starter;
plan skip_all => 'needs ab (Debian apache2-utils)' unless $ab;

alarm 180;
my $dir = tmpdir();
my $script = 'eg/systemd/hello.pl';
my $port = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    $s->sockport;
};
my $path = "$dir/hello.sock";

sub get {
    my ($sock) = @_;
    return (undef, "connect: $!") unless $sock;
    print $sock "GET / HTTP/1.0\r\n\r\n";
    local $/;
    my $reply = <$sock>;
    return (undef, 'no reply') unless defined $reply;
    return $reply =~ /^hello from pid (\d+) via (.+)$/m ? ($1, $2) : (undef, "reply: $reply");
}
sub tcp  { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") }
sub unix { IO::Socket::UNIX->new(Peer => $path) }

my $ss = fork // die "fork: $!";
if (!$ss) {
    setpgrp(0, 0);    # its own group: END stops it and its generations
    open(STDOUT, '>', "$dir/starter.out") or POSIX::_exit(126);
    open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
    { exec $starter, "--port=127.0.0.1:$port", "--path=$path", '--interval=1',
          '--', $^X, '-Mblib', $script }
    POSIX::_exit(127);
}

my ($pid1, $via);
for (1 .. 100) {
    ($pid1, $via) = get(tcp());
    last if $pid1;
    sleep 0.1;
}
ok($pid1, 'the first generation answers') or diag($via);
is($via, "127.0.0.1:$port", "through the TCP listener, named as SERVER_STARTER_PORT names it");
my ($p, $v) = get(unix());
is($p, $pid1, 'the same process answers on the UNIX listener');
is($v, $path, '... named by its path');

# ab's load, and a client that notes who answered, while start_server
# starts a new generation and stops the old one.
# ab runs for 5 s (-t; -n only caps it), across the whole deploy.
my $abpid = fork // die "fork: $!";
if (!$abpid) {
    open(STDOUT, '>', "$dir/ab.out") or POSIX::_exit(126);
    open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
    { exec $ab, '-q', '-t', 5, '-n', 1000000, '-c', 4, "http://127.0.0.1:$port/" }
    POSIX::_exit(127);
}
my $ab_started = time;
pipe(my $rd, my $wr) or die $!;
my $client = fork // die "fork: $!";
if (!$client) {
    close $rd;
    my $stop;
    local $SIG{TERM} = sub { $stop = 1 };
    my $t0 = time;
    until ($stop || time - $t0 > 60) {
        my ($who, $why) = get(tcp());
        print $wr defined $who ? "$who\n" : "FAILED $why\n";
        sleep 0.002;
    }
    close $wr;
    POSIX::_exit(0);
}
close $wr;
sleep 0.3;
kill 'HUP', $ss;
# The old generation goes once the new one has run for --interval.
my $t0 = time;
sleep 0.1 while kill(0, $pid1) && time - $t0 < 30;
ok(!kill(0, $pid1), 'the old generation exited');
ok(waitpid($abpid, POSIX::WNOHANG()) == 0, 'ab was still running then');
my @after;
for (1 .. 20) {
    my ($who, $why) = get(tcp());
    push @after, $who // "FAILED $why";
}
kill 'TERM', $client;
my @seen = <$rd>;
chomp @seen;
waitpid($client, 0);
waitpid($abpid, 0);
is($?, 0, 'ab ran');
my $about = do { local (@ARGV, $/) = "$dir/ab.out"; <> } // '';

my ($pid2) = grep { $_ ne $pid1 && /^\d+$/ } @after;
ok($pid2, "a new generation answers after the old one left ($pid2)") if $pid2;
ok(!grep({ $_ ne $pid2 } @after), 'every request after that: the new generation')
    or diag("@after");
my @failed = grep { /^FAILED/ } @seen;
is(scalar(@failed), 0, 'the client saw no failure through the deploy') or diag("@failed");
my %by; $by{$_}++ for grep { /^\d+$/ } @seen;
ok($by{$pid1} && $by{$pid2}, "the client was answered by both generations ("
   . join(', ', map { "$_: $by{$_}" } sort keys %by) . ")");
my ($complete) = $about =~ /^Complete requests:\s+(\d+)$/m;
ok($complete && $complete >= 100, "ab: requests completed (" . ($complete // 0) . ")");
like($about, qr/^Failed requests:\s+0$/m, 'ab: no failed request') or diag($about);
unlike($about, qr/Non-2xx/, 'ab: no non-200 answer');

done_testing;

# However the test ends: start_server and every generation it started.
END {
    local $?;    # the test's own exit status stays
    if ($ss) {
        kill 'TERM', -$ss;
        my $t = time;
        sleep 0.1 while waitpid($ss, POSIX::WNOHANG()) == 0 && time - $t < 10;
        kill 'KILL', -$ss;
    }
}
