package PreforkServer;
# bench/prefork-httpd.pl as the xt tests run it.  Each server runs in a
# process group of its own, with its workers.  If a test dies or runs out
# of time, the groups still running are killed (kill_running, and at
# END), so that no server or worker is left holding the test's output
# open (the harness would wait for it for ever).
use strict;
use warnings;
use Exporter 'import';
use POSIX ();

our @EXPORT = qw(start_server finish kill_running running);

my %running;

# The servers still running (their pids, which are their groups).
sub running { return sort keys %running }

sub kill_running { kill 'KILL', map { -$_ } keys %running }
END { kill_running() }

# Start a server on a free loopback port with @args; returns (pid,
# output handle, port, the line that said so).
sub start_server {
    my @args = @_;
    my $pid = open(my $out, '-|') // die "cannot start the server: $!";
    if (!$pid) {
        setpgrp(0, 0);
        exec($^X, '-Mblib', 'bench/prefork-httpd.pl', '--listen', '127.0.0.1:0', @args)
            or POSIX::_exit(127);
    }
    $running{$pid} = 1;
    while (defined(my $line = <$out>)) {
        return ($pid, $out, $1, $line) if $line =~ /listening on [\d.]+:(\d+)/;
    }
    die "the server said nothing about listening";
}

# The rest of a server's output, once it has exited: (exit status, lines).
sub finish {
    my ($pid, $out) = @_;
    my @lines = <$out>;
    close $out;
    delete $running{$pid};
    return ($? >> 8, @lines);
}

1;
