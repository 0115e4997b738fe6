#!perl
# The receive side under races and hostile peers, through the C API
# (xt/c/recv_race.c, built with -pthread, plain and with AddressSanitizer
# and UndefinedBehaviorSanitizer where the compiler has them, never with
# -fwrapv): a table filled by another thread while fdpass_recv waits
# (EMFILE, the message kept, then all of it); fork() in another thread
# during the room check's slow path (no child holds a descriptor the
# parent did not have before); crafted control messages from a C peer
# (several SCM_RIGHTS headers, credentials between them, more descriptors
# than asked, a nearly full table: the right errno, nothing left open).
# Each part runs in a process of its own; their TAP lines become tests.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser ();

plan skip_all => 'the races are those of the SCM_RIGHTS backend'
    unless File::FDpasser::_backend() eq 'scm_rights';
plan skip_all => 'no /proc/self/task to see a thread wait'
    unless -d "/proc/self/task/$$";

my $dir = tmpdir();
my @warn = qw(-Wall -Wextra -Werror -g -O1 -pthread);
my @san = ('-fsanitize=address,undefined', qw(-fno-omit-frame-pointer
           -fno-sanitize-recover=all));
my $srcs = ['xt/c/recv_race.c'];
my ($prog, $why) = build_c("$dir/recv_race", $srcs, @warn);
plan skip_all => "cannot build xt/c/recv_race.c: $why" unless $prog;
my @runs = (['plain' => $prog]);
my ($asan) = build_c("$dir/recv_race-asan", $srcs, @warn, @san);
if ($asan) { push @runs, ['sanitized' => $asan] }
else { diag('no -fsanitize=address here: the races run once, unsanitized') }

# Each part, and the fewest tests it runs to its end.
my %least = (fill => 5, fork => 3, hostile => 9);
alarm 300;
for my $run (@runs) {
    my ($kind, $bin) = @$run;
    run_c_tap("$_ ($kind)", $least{$_}, $bin, $_) for qw(fill fork hostile);
}

done_testing;
