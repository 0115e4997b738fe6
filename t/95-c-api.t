# Proves the C core on its own, without Perl: t/c/core.c is built against
# fdpass.c with the configured compiler (with AddressSanitizer and
# UndefinedBehaviorSanitizer where the compiler has them) and run; its TAP
# lines become tests here.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;

my $dir = tmpdir();
my @warn = qw(-Wall -Wextra -Werror);
my ($prog, $why) = build_c("$dir/core", ['t/c/core.c'], @warn, qw(-g -O1));
plan skip_all => "cannot build the C tests: $why" unless $prog;
my @runs = ([plain => $prog]);
my ($asan) = build_c("$dir/core-asan", ['t/c/core.c'], @warn, qw(-g -O1),
    '-fsanitize=address,undefined', qw(-fno-omit-frame-pointer -fno-sanitize-recover=all));
if ($asan) { push @runs, [sanitized => $asan] }
else { diag('no -fsanitize=address here: the C tests run once, unsanitized') }

alarm 120;
for my $run (@runs) {
    my ($name, $bin) = @$run;
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=1:abort_on_error=0:exitcode=23';
    my @out = `$bin 2>&1`;
    my $status = $? >> 8;
    my $plan;
    for (@out) {
        chomp;
        if (/^(not )?ok \d+ - (.*)/) { ok(!$1, "$name: $2") }
        elsif (/^1\.\.(\d+)/) { $plan = $1 }
        else { diag("$name: $_") }
    }
    ok($plan && $plan > 30, "$name: the C tests ran to the end ($plan)");
    is($status, 0, "$name: exit status 0 (23 would be a sanitizer report)");
}

done_testing;
