# Proves the quick-start demos work: eg/demo.sh runs eg/openserver.pl and
# eg/openclient.pl as two unrelated processes (the client reads a file,
# the server's log and its echo service through descriptors it was
# passed); eg/prefork-demo.sh runs the pre-fork server, a handoff under
# requests, and SIGTERM.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser ();

plan skip_all => 'no /etc/os-release to serve' unless -r '/etc/os-release';
alarm 60;
my $out = `sh eg/demo.sh 2>&1`;
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

# The pre-fork demo: connections passed to workers, a handoff under load.
$out = `sh eg/prefork-demo.sh 2>&1`;
is($?, 0, 'eg/prefork-demo.sh ran') or diag($out);
like($out, qr/12 requests, each connection passed.*\n(?:  \d+ answered by worker \d+ of server \d+\n){3}/,
     'twelve requests answered by three workers');
like($out, qr/taken over from pid (?:\d+|\?)\)/, 'a second instance took the socket over');
like($out, qr/the 400 requests made meanwhile \(none failed\)/, 'no request failed meanwhile');

done_testing;
