# Proves the examples in eg/ run and do what their comments say, each
# through its own demo: eg/prefork.pl passes twelve connections to three
# workers; eg/handoff.pl hands its listening socket over twice while a
# client keeps connecting, none refused; eg/privsep.pl reads a file
# through a handle passed into an empty chroot as nobody (when root);
# eg/demo.sh runs eg/openserver.pl and eg/openclient.pl as two unrelated
# processes.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser ();

alarm 60;

my $out = `$^X -Mblib eg/prefork.pl --demo 2>&1`;
is($?, 0, 'eg/prefork.pl --demo ran') or diag($out);
# connection => the worker that answered it
my %conns = reverse $out =~ /^client: worker (\d+): hello from connection (\d+)$/mg;
is_deeply([sort { $a <=> $b } keys %conns], [1 .. 12], 'twelve connections answered');
my %workers = map { $_ => 1 } values %conns;
is(scalar(keys %workers), 3, 'by three workers');
like($out, qr/^client: 12 connections answered by 3 workers$/m, 'the client says so');
my ($passed) = $out =~ /^prefork \d+: passed (.*)$/m;
my %passed = reverse(($passed // '') =~ /(\d+) to (\d+)/g);
is_deeply([sort keys %passed], [sort keys %workers],
          'the parent passed connections to those workers and no other');

$out = `$^X -Mblib eg/handoff.pl --demo 2>&1`;
is($?, 0, 'eg/handoff.pl --demo ran') or diag($out);
like($out, qr/^client: 30 connections, 0 failed; answered by generation 1 \(10\), generation 2 \(10\), generation 3 \(10\)$/m,
     'thirty connections, none refused, ten answered by each of three processes');
my @handed = $out =~ /^handoff: generation (\d) \(pid (\d+)\) handed the socket to pid (\d+), exits$/mg;
is(scalar(@handed), 6, 'two handoffs');
is($handed[2], $handed[4], 'the second generation handed over to the third')
    if @handed == 6;
like($out, qr/^handoff: generation 3 \(pid $handed[5]\) stops$/m, 'the third stopped')
    if @handed == 6;

$out = `$^X -Mblib eg/privsep.pl 2>&1`;
is($?, 0, 'eg/privsep.pl ran') or diag($out);
like($out, qr/^worker \d+: read through the handle it was passed: the password is swordfish$/m,
     'the worker read the file through the handle it was passed');
if ($> == 0) {
    like($out, qr/^worker \d+: in an empty chroot as uid (?!0\b)\d+ \(nobody\)$/m,
         'as root: the worker ran chrooted as nobody');
    like($out, qr/^worker \d+: cannot open \S+ itself: /m, 'and could not open the file itself');
} else {
    like($out, qr/^worker \d+: not root, so no chroot and no change of user/m,
         'not root: the example says it runs without chroot');
}

SKIP: {
    skip 'no /etc/os-release for eg/openserver.pl to serve', 5 unless -r '/etc/os-release';
    $out = `sh eg/demo.sh 2>&1`;
    is($?, 0, 'eg/demo.sh ran') or diag($out);
    like($out, qr/first line of \/etc\/os-release, read through the passed descriptor: \S/,
         'the client read the file the server opened');
    like($out, qr/the echo service answered: echo from pid \d+: hello/,
         'the client talked through the passed socket');
    like($out, qr/\| client \d+ was here/, 'the server\'s log holds the client\'s line');
    if (File::FDpasser::_features() =~ /\bpeer_cred\b/) {
        like($out, qr/client pid \d+ uid \d+ connected/, 'the server saw the client\'s pid and uid');
    } else {
        like($out, qr/client pid \? uid \? connected/, 'no peer credentials in this build: shown as ?');
    }
}

done_testing;
