#!/usr/bin/perl
# prefork.pl [--demo | PORT] - a pre-fork server whose parent accepts
# every TCP connection and passes it to the least busy of three workers.
#
# Each worker is forked with one end of a socket pair.  The parent takes a
# connection with serv_accept_fd (a descriptor number, no Perl handle),
# sends it down the least busy worker's pair with send_file and closes its
# own copy with close_fds.  The worker receives it with recv_fh, answers
# each line with its pid, and writes one byte back up its pair when the
# client has gone, so the parent knows how busy every worker is.
#
# PORT (8080 by default) on 127.0.0.1; SIGTERM or SIGINT stops the server.
# --demo: a free port, and a client process that makes 12 connections,
# three at a time, prints the answers and stops the server.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use File::FDpasser qw(spipe serv_accept_fd send_file recv_fh close_fds);

$| = 1;
my $demo = @ARGV && $ARGV[0] eq '--demo';
my $port = $demo ? 0 : shift // 8080;
my $listener = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port",
                                     Listen => 128, ReuseAddr => 1)
    or die "prefork: listen on port $port: $!\n";
print "prefork $$: listening on 127.0.0.1:", $listener->sockport, "\n";
if ($demo) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        demo_client($listener->sockport);
        kill 'TERM', getppid;
        exit 0;
    }
}

my (%pair, %busy, %passed);    # by worker pid
for (1 .. 3) {
    my ($mine, $theirs) = spipe() or die "spipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $_ for $listener, $mine, values %pair;
        $SIG{INT} = 'IGNORE';    # Ctrl-C: the parent stops them
        worker($theirs);
        exit 0;
    }
    ($pair{$pid}, $busy{$pid}, $passed{$pid}) = ($mine, 0, 0);
}
my %worker_of = map { fileno($pair{$_}) => $_ } keys %pair;

my $stop;
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };
my $select = IO::Select->new($listener, values %pair);
until ($stop) {
    for my $ready ($select->can_read(1)) {
        if ($ready == $listener) {
            my $fd = serv_accept_fd($listener) // next;
            my ($w) = sort { $busy{$a} <=> $busy{$b} || $passed{$a} <=> $passed{$b}
                             || $a <=> $b } keys %busy;
            send_file($pair{$w}, $fd) or warn "prefork: send_file: $!\n";
            close_fds($fd);
            $busy{$w}++;
            $passed{$w}++;
        } else {
            my $w = $worker_of{fileno $ready};
            sysread($ready, my $done, 64) or die "prefork: worker $w has gone\n";
            $busy{$w} -= length $done;
        }
    }
}
close $_ for values %pair;    # each worker sees the end of its pair and exits
1 while wait > 0;
print "prefork $$: passed ", join(', ', map { "$passed{$_} to $_" } sort keys %passed), "\n";

sub worker {
    my ($up) = @_;
    while (my $conn = recv_fh($up)) {
        $conn->autoflush(1);
        print $conn "worker $$: $_" while <$conn>;
        close $conn;
        syswrite($up, '.');    # done with one
    }
}

sub demo_client {
    my ($at) = @_;
    my %by;
    for my $round (1 .. 4) {
        my @conns = map { IO::Socket::INET->new("127.0.0.1:$at") or die "connect: $!\n" } 1 .. 3;
        print {$conns[$_]} "hello from connection ", 3 * $round + $_ - 2, "\n" for 0 .. 2;
        for my $conn (@conns) {
            my $answer = <$conn> // die "no answer\n";
            print "client: $answer";
            $by{$1}++ if $answer =~ /^worker (\d+)/;
            close $conn;
        }
    }
    print "client: 12 connections answered by ", scalar(keys %by), " workers\n";
}
