#!/usr/bin/perl
# handoff.pl [--demo] [--port PORT] - a server that hands its listening
# socket to a new process it starts, and exits, while clients go on
# connecting: no connection is refused on the way.
#
# Each connection is answered with one line naming the generation and pid
# of the server.  On SIGHUP the server makes a control endpoint, starts a
# new copy of itself with spawn, and hands it the listening socket, by
# name, with its generation as metadata (handoff_give; the new copy calls
# handoff_take); once the new copy says it holds the socket, the old one
# exits.  Connections that arrive meanwhile wait in the socket's queue,
# which both share.  Should the new copy fail, the old one goes on
# serving.
#
# --demo: a free port; a client process makes 30 connections, one after
# another, while every generation hands over after 10 of them (the third
# stops instead), and says who answered.
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;
use File::Spec;
use File::FDpasser qw(spawn endp_create handoff_give handoff_take);

$| = 1;
GetOptions('demo' => \my $demo, 'port=i' => \(my $port = 8080),
           'takeover=s' => \my $takeover)
    or die "usage: $0 [--demo] [--port PORT]\n";
my ($listener, $generation) = (undef, 1);
if (defined $takeover) {    # started by the previous generation
    my %l = handoff_take($takeover, meta => \my $meta, timeout => 10)
        or die "handoff: nothing taken over from $takeover: $!\n";
    $listener = $l{http} or die "handoff: no listener named http\n";
    $generation = $meta->{generation} + 1;
} else {
    $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 128,
                                      LocalPort => $demo ? 0 : $port, ReuseAddr => 1)
        or die "handoff: listen: $!\n";
    print "handoff: listening on 127.0.0.1:", $listener->sockport, "\n";
    if ($demo) {
        my $pid = fork // die "fork: $!";
        if ($pid) {
            my $at = $listener->sockport;
            close $listener;
            demo_client($at);
            waitpid($pid, 0);
            exit 0;
        }
    }
}

my ($hup, $served) = (0, 0);
$SIG{HUP} = sub { $hup = 1 };
until ($hup) {
    my $conn = $listener->accept or next;    # undef when SIGHUP interrupts it
    print $conn "generation $generation (pid $$)\n";
    close $conn;
    next unless $demo && ++$served == 10;
    if ($generation == 3) {
        print "handoff: generation 3 (pid $$) stops\n";
        exit 0;
    }
    $hup = 1;
}

# The control endpoint first, so the new copy finds it; then the same
# perl, module path and script, told where to take the socket from.
my $path = File::Spec->catfile(File::Spec->tmpdir, "handoff-$$.ctl");
my $control = endp_create($path, mode => 0600)
    or die "handoff: endp_create $path: $!\n";
my $next = spawn([$^X, (map { "-I$_" } @INC), $0, '--takeover', $path,
                  $demo ? '--demo' : ()])
    or die "handoff: spawn: $!\n";
my $ok = handoff_give($control, [http => $listener],
                      meta => { generation => $generation }, timeout => 10);
my $err = $!;
close $control;
unlink $path;
die "handoff: generation $generation (pid $$): pid $next took nothing ($err)\n"
    unless $ok;
print "handoff: generation $generation (pid $$) handed the socket to pid $next, exits\n";

sub demo_client {
    my ($at) = @_;
    my ($failed, %by) = (0);
    for (1 .. 30) {
        my $conn = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$at", Timeout => 10);
        my $answer = $conn ? <$conn> : undef;
        if (defined $answer && $answer =~ /^generation (\d+)/) {
            $by{$1}++;
        } else {
            $failed++;
        }
    }
    print "client: 30 connections, $failed failed; answered by ",
          join(', ', map { "generation $_ ($by{$_})" } sort keys %by), "\n";
}
