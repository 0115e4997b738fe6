#!/usr/bin/perl
# hello.pl [--listen ADDR:PORT]... - a small HTTP server for systemd.
#
# Started by systemd through fdpass-hello.socket (or by any supervisor
# that speaks socket activation: systemd-socket-activate, or
# File::FDpasser's own spawn with listen =>), it serves on the listeners it
# was handed, found by name: "http" (TCP) and "local" (a UNIX socket).
# Started on its own, it opens what --listen names (127.0.0.1:8080 when
# nothing is given) and puts those listeners in systemd's file descriptor
# store, so that when the service restarts the next instance gets the very
# same sockets back and no client is refused in between.  Outside systemd
# (no NOTIFY_SOCKET) the store and the notifications do nothing.
#
# Every request is answered with one line: who answered, and through
# which listener.  SIGTERM stops it after the request in hand.
#
#   perl -Mblib eg/systemd/hello.pl --listen 127.0.0.1:8080 &
#   curl http://127.0.0.1:8080/        # hello from pid 1234 via http
use strict;
use warnings;
use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use File::FDpasser qw(listen_fds notify fdstore);

$| = 1;
GetOptions('listen=s' => \my @addrs) or die "usage: $0 [--listen ADDR:PORT]...\n";

# Socket activation, or the store of a previous instance: (name, handle).
my @listeners = listen_fds();
die "hello: LISTEN_FDS: $!\n" if !@listeners && $!;
my $how = @listeners ? 'handed' : 'opened';
if (!@listeners) {
    for my $addr (@addrs ? @addrs : '127.0.0.1:8080') {
        my $ls = IO::Socket::INET->new(LocalAddr => $addr, Listen => 128,
                                       ReuseAddr => 1)
            or die "hello: listen on $addr: $!\n";
        print "hello: listening on ", $ls->sockhost, ":", $ls->sockport, "\n";
        push @listeners, http => $ls;
        # The store keeps it while we restart; without a manager, nothing.
        fdstore('http', [$ls], poll => 0) or die "hello: FDSTORE: $!\n";
    }
}

my (%name, $stop);
my $select = IO::Select->new;
while (my ($name, $ls) = splice @listeners, 0, 2) {
    $name{ fileno $ls } = $name;
    $ls->blocking(0);
    $select->add($ls);
}
my @names = map { $name{$_} } sort { $a <=> $b } keys %name;
print "hello: pid $$ serving on @names ($how)\n";
notify("READY=1\nSTATUS=serving on @names\nMAINPID=$$")
    or die "hello: READY: $!\n";
$SIG{TERM} = sub { $stop = 1 };

until ($stop) {
    for my $ls ($select->can_read(1)) {
        my $conn = $ls->accept or next;    # another instance took it
        $conn->blocking(1);
        local $SIG{ALRM} = sub { die "slow client\n" };
        alarm 5;
        eval {
            while (defined(my $line = <$conn>)) {
                last if $line =~ /^\r?\n\z/;    # the end of the request head
            }
            my $body = "hello from pid $$ via $name{ fileno $ls }\n";
            print $conn "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n",
                "Content-Length: ", length($body), "\r\nConnection: close\r\n\r\n",
                $body;
        };
        alarm 0;
        close $conn;
    }
}
notify('STOPPING=1') or warn "hello: STOPPING: $!\n";
print "hello: pid $$ stops\n";
