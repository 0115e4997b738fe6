# Proves the C core on its own, without Perl: t/c/core.c, t/c/spawn.c,
# t/c/room.c and t/c/notify.c are each built against fdpass.c (room.c
# and spawn.c look inside, through fdpass-int.h), with the configured
# compiler (and again with AddressSanitizer and UndefinedBehaviorSanitizer
# where the compiler has them) and run; their TAP lines become tests
# here, skips as skips.
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
my %least = (core => 30, spawn => 30, room => 4, notify => 100);
# spawn.c counts the planner's steps (FDP_PLAN_STEP in fdpass-int.h).
my %hooks = (spawn => ['-DFDP_PLAN_STEP=plan_step']);
for my $test (qw(core spawn room notify)) {
    my $srcs = ["t/c/$test.c"];
    my @hook = @{ $hooks{$test} || [] };
    my ($prog, $why) = build_c("$dir/$test", $srcs, @warn, @hook, qw(-g -O1));
    plan skip_all => "cannot build the C tests: $why" unless $prog;
    push @runs, ["$test plain", $least{$test}, $prog];
    my ($asan) = build_c("$dir/$test-asan", $srcs, @warn, @hook, qw(-g -O1), @san);
    if ($asan) { push @runs, ["$test sanitized", $least{$test}, $asan] }
    else { diag("no -fsanitize=address here: $test runs once, unsanitized") }
}

alarm 120;
run_c_tap(@$_) for @runs;

done_testing;
