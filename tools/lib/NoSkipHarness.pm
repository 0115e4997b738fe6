package NoSkipHarness;
# A TAP::Harness that fails the run when any test or test file was
# skipped: CI installs everything the tests need, so a skip there means
# something is missing.  The one exception: a skip whose reason begins
# with "needs root", seen when the run is not root's (the cases that need
# two uids, in the ordinary user's run).  The tests themselves are not
# changed; the check reads the TAP they print.
#
#   make test:  HARNESS_SUBCLASS=NoSkipHarness PERL5LIB=tools/lib make test
#   prove:      PERL5LIB=tools/lib prove --harness NoSkipHarness ...
use strict;
use warnings;
use parent 'TAP::Harness';

sub _allowed {
    my ($why) = @_;
    return $> != 0 && defined $why && $why =~ /^needs root\b/;
}

sub make_parser {
    my ($self, $job) = @_;
    my ($parser, $session) = $self->SUPER::make_parser($job);
    my $file = $job->description;
    my $bad = $self->{no_skip_bad} ||= [];
    $parser->callback(test => sub {
        my ($r) = @_;
        push @$bad, "$file: test " . $r->number . " skipped: " . $r->explanation
            if $r->has_skip && !_allowed($r->explanation);
    });
    $parser->callback(plan => sub {
        my ($r) = @_;
        push @$bad, "$file: skipped: " . $r->explanation
            if $r->directive eq 'SKIP' && !_allowed($r->explanation);
    });
    return ($parser, $session);
}

# Both ways in call this: prove through TAP::Harness::runtests, make test
# through Test::Harness, which calls it directly and never runtests.
sub aggregate_tests {
    my ($self, @args) = @_;
    my @r = $self->SUPER::aggregate_tests(@args);
    my $bad = $self->{no_skip_bad} || [];
    if (@$bad) {
        print STDERR "Skipped where nothing may be skipped:\n";
        print STDERR "  $_\n" for @$bad;
        die scalar(@$bad) . " skip(s): the run fails\n";
    }
    return @r;
}

1;
