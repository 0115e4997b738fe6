# Proves the non-blocking examples: eg/anyevent-collector.pl and
# eg/io-async-collector.pl receive pipes from several producer processes
# in an event loop (recv_fh on a non-blocking end until EAGAIN) and read
# every line of every pipe.  Each runs where its event loop is installed
# (.ci/run installs both).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;

alarm 60;
for my $ex (['AnyEvent', 'eg/anyevent-collector.pl'],
            ['IO::Async::Loop', 'eg/io-async-collector.pl']) {
    my ($module, $script) = @$ex;
    SKIP: {
        skip "$module is not installed", 3 unless eval "require $module; 1";
        my $out = `$^X -Mblib $script 6 200 2>&1`;
        is($?, 0, "$script ran") or diag($out);
        like($out, qr/^collected 1200 lines from 6 pipes\b/m,
             "$script: 6 pipes received in the loop, all 1200 lines read");
        like($out, qr/^pipe \d+: producer \d+ \(\d+\) line 1$/m,
             "$script: lines read through the received pipes");
    }
}
done_testing;
