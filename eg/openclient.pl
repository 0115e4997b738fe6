#!/usr/bin/perl
# openclient.pl PATH - connects to openserver.pl and uses what it is given:
# reads a file it never opened, appends to the server's log, and talks to
# the server's echo service through a socket it never connected.
use strict;
use warnings;
use File::FDpasser qw(:all);

$| = 1;
my $path = shift or die "usage: $0 PATH\n";
my $conn = endp_connect($path) or die "openclient: endp_connect $path: $!\n";
my ($spid, $suid) = peer_cred($conn);
print "openclient $$: connected to server pid ", $spid // '?', " (uid ", $suid // '?', ")\n";

sub ask {
    my ($request, $class) = @_;
    syswrite($conn, "$request\n");
    my $fh = recv_fh($conn, $class);
    die "openclient: $request: ", ($! ? "$!" : 'server closed'), "\n" unless $fh;
    return $fh;
}

my $file = ask('file /etc/os-release');
my $first = <$file>;
print "openclient $$: first line of /etc/os-release, read through the passed descriptor: $first";

my $log = ask('log');
print $log "client $$ was here at ", scalar(localtime), "\n";
close $log;
print "openclient $$: wrote a line into the server's log\n";

my $echo = ask('echo');
print $echo "hello\n";
$echo->flush;
print "openclient $$: the echo service answered: ", scalar(<$echo>);
close $echo;

syswrite($conn, "quit\n");
