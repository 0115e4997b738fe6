# Proves the C core on its own, without Perl: t/c/core.c, t/c/spawn.c
# and t/c/room.c are each built against fdpass.c (room.c and spawn.c look
# inside, through fdpass-int.h), with the configured compiler (and again with
# AddressSanitizer and UndefinedBehaviorSanitizer where the compiler has
# them) and run; their TAP lines become tests here, skips as skips.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;

my $dir = tmpdir();
my @warn = qw(-Wall -Wextra -Werror);
my @san = ('-fsanitize=address,undefined', qw(-fno-omit-frame-pointer
           -fno-sanitize-recover=all));
my @runs;
# Each program, and the fewest tests it runs to its end.
my %least = (core => 30, spawn => 30, room => 4);
# spawn.c counts the planner's steps (FDP_PLAN_STEP in fdpass-int.h).
my %hooks = (spawn => ['-DFDP_PLAN_STEP=plan_step']);
for my $test (qw(core spawn room)) {
    my $srcs = ["t/c/$test.c"];
    my @hook = @{ $hooks{$test} || [] };
    my ($prog, $why) = build_c("$dir/$test", $srcs, @warn, @hook, qw(-g -O1));
    plan skip_all => "cannot build the C tests: $why" unless $prog;
    push @runs, ["$test plain" => $prog, $least{$test}];
    my ($asan) = build_c("$dir/$test-asan", $srcs, @warn, @hook, qw(-g -O1), @san);
    if ($asan) { push @runs, ["$test sanitized" => $asan, $least{$test}] }
    else { diag("no -fsanitize=address here: $test runs once, unsanitized") }
}

alarm 120;
for my $run (@runs) {
    my ($name, $bin, $least) = @$run;
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=1:abort_on_error=0:exitcode=23';
    my @out = `$bin 2>&1`;
    my $status = $? >> 8;
    my $plan;
    for (@out) {
        chomp;
        if (/^(not )?ok \d+ - (.*)/) { ok(!$1, "$name: $2") }
        elsif (/^ok \d+ # skip (.*)/) { SKIP: { skip "$name: $1", 1 } }
        elsif (/^1\.\.(\d+)/) { $plan = $1 }
        else { diag("$name: $_") }
    }
    ok($plan && $plan >= $least, "$name: the C tests ran to the end (" . ($plan || 0) . ")");
    is($status, 0, "$name: exit status 0 (23 would be a sanitizer report)");
}

done_testing;
