#!/usr/bin/perl
# handoff.pl [--demo] [--port PORT] - a server that hands its listening
# socket to a new process it starts, and exits, while clients go on
# connecting: no connection is refused on the way.
#
# Each connection is answered with one line naming the generation and pid
# of the server.  On SIGHUP the server starts a new copy of itself with
# spawn, the listening socket placed at descriptor 3 of the new process
# (as systemd's socket activation does), and exits.  Connections that
# arrive meanwhile wait in the socket's queue, which the new process
# inherits.
#
# --demo: a free port; a client process makes 30 connections, one after
# another, while every generation hands over after 10 of them (the third
# stops instead), and says who answered.
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;
use File::FDpasser qw(spawn);

$| = 1;
GetOptions('demo' => \my $demo, 'port=i' => \(my $port = 8080),
           'fd=i' => \my $fd, 'generation=i' => \(my $generation = 1))
    or die "usage: $0 [--demo] [--port PORT]\n";
my $listener;
if (defined $fd) {    # started by the previous generation
    $listener = IO::Socket::INET->new_from_fd($fd, 'r')
        or die "handoff: descriptor $fd: $!\n";
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

# The same perl, module path and script; the listening socket at 3.
my $next = spawn([$^X, (map { "-I$_" } @INC), $0, '--fd', 3,
                  '--generation', $generation + 1, $demo ? '--demo' : ()],
                 fds => { 3 => $listener })
    or die "handoff: spawn: $!\n";
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
