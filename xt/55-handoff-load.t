# Proves the generation handoff under load: ab (apache2-utils) keeps four
# keep-alive clients busy on bench/prefork-httpd.pl while a second
# instance takes the listening socket over with handoff_take (--takeover)
# from the first, which hands it with handoff_give (--control) and then
# drains and exits.  No request fails, none is answered with anything but
# 200, both instances answered some of ab's requests, and once the old
# one has gone the new one answers (the body names the server).  In both
# of the server's modes.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX ();
use lib 't/lib';
use FDPassTest;
use PreforkServer;

my $ab = (grep { -x "$_/ab" } split /:/, $ENV{PATH})[0];
plan skip_all => 'no ab here (apache2-utils)' unless $ab;
$ab .= '/ab';

$SIG{ALRM} = sub { kill_running(); die "timed out\n" };
alarm 120;
my $dir = tmpdir();

sub served {
    my $n = 0;
    $n += $_ for map { /served (\d+) requests/ ? $1 : () } @_;
    return $n;
}

sub get_body {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or return;
    print $s "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    my $r = do { local $/; <$s> };
    return defined $r && $r =~ m{^HTTP/1\.1 200 .*\r\n\r\n(.*)\z}s ? $1 : undef;
}

for my $mode (qw(pass accept)) {
    my $ctl = "$dir/ctl-$mode";
    my ($old, $oldout, $port) = start_server('--mode', $mode, '--workers', 4,
                                             '--control', $ctl);
    for (1 .. 100) { last if -S $ctl; select(undef, undef, undef, 0.05) }
    # ab for two seconds (or 200000 requests), four keep-alive clients.
    my $abpid = open(my $about, '-|') // die "ab: $!";
    if (!$abpid) {
        open(STDERR, '>&', \*STDOUT);
        exec($ab, '-k', '-c', 4, '-t', 2, '-n', 200000, "http://127.0.0.1:$port/")
            or POSIX::_exit(127);
    }
    select(undef, undef, undef, 0.5);
    my ($new, $newout, $newport, $line) = start_server(
        '--mode', $mode, '--workers', 4, '--takeover', $ctl);
    is($newport, $port, "$mode: the new instance took the same port over");
    like($line, qr/taken over from pid $old\b/, "$mode: from the old instance");
    my ($status, @oldlines) = finish($old, $oldout);
    is($status, 0, "$mode: the old instance drained and exited");
    ok((grep { /handed the listening socket over/ } @oldlines), "$mode: after handing over");
    my $report = do { local $/; <$about> };
    close $about;
    is($?, 0, "$mode: ab ran") or diag($report);
    my ($complete) = $report =~ /^Complete requests:\s+(\d+)/m;
    my ($failed) = $report =~ /^Failed requests:\s+(\d+)/m;
    ok($complete, "$mode: ab completed " . ($complete // 0) . ' requests');
    is($failed, 0, "$mode: Failed requests: 0") or diag($report);
    unlike($report, qr/^Non-2xx responses/m, "$mode: no answer but 200");
    # After the old one left, the new one answers, by name.
    my $body = get_body($port);
    like($body // '', qr/^worker +\d+ of server +$new$/m,
         "$mode: after the old instance left, the new one answers");
    kill 'TERM', $new;
    my ($nstatus, @newlines) = finish($new, $newout);
    is($nstatus, 0, "$mode: the new instance exits on SIGTERM");
    my ($o, $n) = (served(@oldlines), served(@newlines));
    ok($o > 0 && $n > 1, "$mode: both answered ab's requests (old $o, new "
                         . ($n - 1) . ')');
    cmp_ok($o + $n - 1, '>=', $complete // 0, "$mode: every request ab counted was served");
}

done_testing;
