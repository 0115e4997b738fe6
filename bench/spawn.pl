#!/usr/bin/perl
# bench/spawn.pl [MB] [N] - the cost of spawn(['/bin/true']) + waitpid from
# a perl process with MB megabytes resident (default 1024), started with
# posix_spawn (the default where the C library has it) and with fork+exec
# (via_fork), alternating, 7 rounds of N spawns each; medians in
# microseconds per spawn.  Run from the built distribution:
#   perl -Mblib bench/spawn.pl 1024 200
use strict;
use warnings;
use Time::HiRes qw(time);
use File::FDpasser qw(spawn);

my $mb = shift || 1024;
my $n  = shift || 200;
my $ballast = 'x' x ($mb << 20);    # written, so resident
if (open(my $st, "<", "/proc/$$/status")) { print grep { /^VmRSS/ } <$st> }

my %t;
for my $round (1 .. 7) {
    for my $way ('posix_spawn', 'fork') {
        my @how = $way eq 'fork' ? (via_fork => 1) : ();
        my $t0 = time;
        for (1 .. $n) {
            my $pid = spawn(['/bin/true'], @how) or die "spawn: $!";
            waitpid($pid, 0);
        }
        push @{ $t{$way} }, (time - $t0) / $n * 1e6;
    }
}
sub median { my @s = sort { $a <=> $b } @_; $s[$#s / 2] }
printf "%-12s %8.1f us per spawn (median of 7 rounds of %d; all: %s)\n",
    $_, median(@{ $t{$_} }), $n, join(' ', map { sprintf '%.0f', $_ } @{ $t{$_} })
    for 'posix_spawn', 'fork';
printf "fork / posix_spawn: %.1fx\n", median(@{ $t{fork} }) / median(@{ $t{posix_spawn} });
