#!/usr/bin/perl
# tools/min-perl.pl - checks that MIN_PERL_VERSION in Makefile.PL is true:
# that no code needs a newer perl than it states.  Only one perl runs in
# CI, so the check reads the code:
#   - the XS through ppport.h --compat-version: every symbol it reports
#     as not portable to the stated perl fails the check, unless the XS
#     supplies it itself (an "#ifndef SYMBOL" fallback);
#   - the Perl (lib, t, xt, eg, bench, tools) through Perl::MinimumVersion
#     (Debian's libperl-minimumversion-perl): any file that needs more
#     than the stated perl fails the check.
# Run from the top of the distribution.  Exit status 0 when all holds.
use strict;
use warnings;
use File::Find ();
use Perl::MinimumVersion ();
use version ();

my ($stated) = do {
    open(my $fh, '<', 'Makefile.PL') or die "Makefile.PL: $!\n";
    map { /^\s*MIN_PERL_VERSION\s*=>\s*'([0-9._]+)'/ ? $1 : () } <$fh>;
};
die "min-perl: no MIN_PERL_VERSION in Makefile.PL\n" unless $stated;
my $min = version->parse($stated);
my $dotted = $min->normal;
$dotted =~ s/^v//;
my @bad;

# The XS, through ppport.h.
my $xs = 'FDpasser.xs';
my $src = do { local (@ARGV, $/) = ($xs); <> };
my @report = `$^X ppport.h --compat-version=$dotted --nohints --nochanges $xs 2>&1`;
die "min-perl: ppport.h failed: @report" if $? != 0;
for (@report) {
    next unless /^\*\*\*/;
    if (/Uses (\w+), which may not be portable below perl ([0-9.]+)/
        && $src =~ /^\s*#\s*ifndef\s+\Q$1\E\b/m) {
        next;    # the XS defines it where perl does not
    }
    chomp;
    push @bad, "$xs: $_";
}

# The Perl.
my @files;
File::Find::find({ no_chdir => 1, wanted => sub {
    return unless -f $_;
    return push @files, $_ if /\.(?:pm|pl|t|PL)\z/;
    open(my $fh, '<', $_) or return;
    my $first = <$fh>;
    push @files, $_ if defined $first && $first =~ /^#!.*\bperl\b/;
} }, grep { -d } qw(lib t xt eg bench tools));
for my $file ('Makefile.PL', sort @files) {
    my $pmv = Perl::MinimumVersion->new($file)
        or do { push @bad, "$file: Perl::MinimumVersion cannot parse it"; next };
    my $needs = $pmv->minimum_version;
    next if !defined $needs || $needs <= $min;
    my $why = $pmv->minimum_syntax_reason || $pmv->minimum_explicit_version;
    my $where = ref $why && $why->can('rule')
        ? " (" . $why->rule . ($why->element ? " at line " . $why->element->line_number : '') . ")"
        : '';
    push @bad, "$file: needs perl $needs$where";
}

if (@bad) {
    print STDERR "min-perl: MIN_PERL_VERSION $stated is too old for:\n";
    print STDERR "  $_\n" for @bad;
    exit 1;
}
print "min-perl: the XS and ", scalar(@files) + 1,
      " Perl files need no more than perl $stated\n";
