#!/usr/bin/perl
# prefork-httpd.pl - a small pre-fork HTTP/1.1 server, two ways.
#
#   prefork-httpd.pl --listen HOST:PORT [--workers N] [--mode pass|accept]
#                    [--control PATH] [--takeover PATH] [--no-defer]
#
# --mode pass (the default): the parent accepts every connection and hands
# it with send_file to the least busy worker; each worker reports back
# when it is done with one, on a pipe all workers share, which the parent
# reads just before it dispatches (so a report costs the parent no
# wake-up of its own).  --mode accept: the workers all accept on the
# listening socket they inherited, the classic design, for comparison.
#
# Every answer is 200 with a body naming the worker and the server
# ("worker W of server S").  /sleep/SECONDS waits that long
# first.  Keep-alive is honoured (HTTP/1.1 unless "Connection: close";
# HTTP/1.0 with "Connection: keep-alive").
#
# SIGTERM: stop accepting, finish the requests under way (and the
# connections already accepted; a keep-alive client's next request, if it
# comes within a second, is answered and its connection closed), then
# exit.
#
# Zero-downtime restart: an instance started with --control PATH listens
# there; a new one started with --takeover PATH takes the listening
# socket over with handoff_take (which checks that the old one runs as
# the same user, and acknowledges once it holds the socket), and the old
# one, in handoff_give, learns that it may go: it stops accepting, drains
# and exits, while the new one goes on accepting on the same socket, so
# no connection is refused on the way.  A takeover that fails on either
# side leaves the old instance serving.  Port 0 in
# --listen picks a free port; the line "listening on HOST:PORT" tells it.
#
# Where the system has TCP_DEFER_ACCEPT (Linux), the listening socket
# hands a connection to accept only once its first bytes have come, as
# Apache's "AcceptFilter http data" and nginx's "deferred" ask for: who
# accepts it (the parent in pass mode, a worker in accept mode) finds the
# request there, and the worker reads it without sleeping again first.
# Both modes alike.  A client that connects and stays silent is accepted
# when the idle timeout has passed.  --no-defer leaves it off.
use strict;
use warnings;
use File::FDpasser qw(:all);
use Getopt::Long;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVTIMEO);
use POSIX qw(WNOHANG);
use Errno qw(EINTR);

$| = 1;
my %opt = (workers => 4, mode => 'pass', listen => '127.0.0.1:8080', defer => 1);
GetOptions(\%opt, 'listen=s', 'workers=i', 'mode=s', 'control=s',
           'takeover=s', 'idle=f', 'defer!')
    && $opt{mode} =~ /^(?:pass|accept)$/ && $opt{workers} >= 1
    or die "usage: $0 --listen HOST:PORT [--workers N] [--mode pass|accept]"
         . " [--control PATH] [--takeover PATH] [--no-defer]\n";
my $idle_timeout = $opt{idle} || 5;
my $grace = $idle_timeout < 1 ? $idle_timeout : 1;
my $me = "prefork-httpd $$";

# ---------------------------------------------------------------------
# The listening socket: our own, or the old instance's.
my ($listener, $from);
if (defined $opt{takeover}) {
    # The old instance learns that we hold the socket when this returns,
    # and stops accepting then; connections meanwhile wait in the queue.
    my %l = handoff_take($opt{takeover}, meta => \my $meta, timeout => 30)
        or die "$me: no listening socket from $opt{takeover}: $!\n";
    $listener = $l{http}
        or die "$me: $opt{takeover} handed over no listener named http\n";
    $from = ref $meta eq 'HASH' ? $meta->{pid} : undef;
} else {
    $listener = IO::Socket::INET->new(LocalAddr => $opt{listen},
                                      Listen => 1024, ReuseAddr => 1)
        or die "$me: cannot listen on $opt{listen}: $@\n";
    # A socket taken over keeps the setting its first instance gave it.
    my $defer = $opt{defer} && eval { Socket::TCP_DEFER_ACCEPT() };
    setsockopt($listener, Socket::IPPROTO_TCP(), $defer,
               int($idle_timeout + 0.999))
        or die "$me: TCP_DEFER_ACCEPT: $!\n" if $defer;
}

# ---------------------------------------------------------------------
# Workers.
my $stop = 0;       # set by SIGTERM (and in the old instance at handoff)
my %workers;        # pid => { chan, active, served }
my ($reports, $report_w);    # pass mode: the workers' reports, 4 bytes each
if ($opt{mode} eq 'pass') {
    pipe($reports, $report_w) or die "$me: pipe: $!\n";
    $reports->blocking(0);
}

sub serve_connection {
    my ($c, $stats) = @_;
    my $buf = '';
    my $answered = 0;    # requests answered on this connection
    while (1) {
        # A request's head; an idle keep-alive connection ends at the idle
        # timeout, or, when we are stopping, after a grace of a second at
        # most: a busy client's next request may be on its way already,
        # and is answered (with "Connection: close") rather than lost to a
        # close that crosses it.  A new connection's first request is
        # waited for in full even then: its client has not been answered
        # yet.
        while ($buf !~ /\r?\n\r?\n/) {
            my $rin = '';
            vec($rin, fileno($c), 1) = 1;
            my $n = select(my $rout = $rin, undef, undef,
                           ($stop && $answered && $buf eq '') ? $grace : $idle_timeout);
            next if $n < 0 && $! == EINTR;
            return if $n <= 0;
            $n = sysread($c, $buf, 65536, length $buf);
            next if !defined $n && $! == EINTR;
            return unless $n;
        }
        $buf =~ s/\A(.*?)\r?\n((?:.*?\r?\n)*?)\r?\n//s or return;
        my ($line, $head) = ($1, $2);
        my ($method, $path, $version) = split ' ', $line;
        return unless defined $version && $version =~ m{^HTTP/1\.([01])$};
        my $minor = $1;
        my %h;
        $h{lc $1} = $2 while $head =~ /^([^:\r\n]+):\s*(.*?)\r?$/mg;
        my $len = $h{'content-length'} || 0;
        while (length($buf) < $len) {      # a body is read and dropped
            my $n = sysread($c, $buf, 65536, length $buf);
            next if !defined $n && $! == EINTR;
            return unless $n;
        }
        substr($buf, 0, $len, '');
        my $conn = lc($h{connection} || '');
        my $keep = $minor ? $conn ne 'close' : $conn eq 'keep-alive';
        if ($path =~ m{^/sleep/([\d.]+)$}) {
            my $until = time + $1;
            select(undef, undef, undef, $1) while time < $until && !$stop;
            select(undef, undef, undef, $until - time) if $until > time;
        }
        $keep = 0 if $stop;
        $stats->{requests}++;
        # Fixed width, so every answer has the same length.
        my $body = sprintf("worker %7d of server %7d\n", $$, getppid());
        my $resp = "HTTP/1.$minor 200 OK\r\nContent-Type: text/plain\r\n"
                 . "Content-Length: " . length($body) . "\r\n"
                 . "Connection: " . ($keep ? 'keep-alive' : 'close')
                 . "\r\n\r\n$body";
        while (length $resp) {
            my $n = syswrite($c, $resp);
            next if !defined $n && $! == EINTR;
            return unless $n;
            substr($resp, 0, $n, '');
        }
        $answered++;
        return unless $keep;
    }
}

# A stopping worker may end a keep-alive connection just as the client
# sends its next request on it.  Closed with that request unread, the
# socket would send the client a reset, which can also destroy the
# answer before it (a failed request for the client); so our side is
# ended first and the connection closed once the client has closed its
# own, as Apache's lingering close does (for two seconds at most).  The
# client then sees a keep-alive connection closed before an answer, which
# it retries on a new connection, served by whoever accepts then.
sub end_connection {
    my ($c) = @_;
    if ($stop) {
        shutdown($c, 1);
        my $until = time + 2;
        while (time <= $until) {
            my $rin = '';
            vec($rin, fileno($c), 1) = 1;
            my $n = select(my $rout = $rin, undef, undef, 0.5);
            next if $n < 0 && $! == EINTR;
            last if $n < 0;
            next if $n == 0;
            my $got = sysread($c, my $junk, 65536);
            next if !defined $got && $! == EINTR;
            last unless $got;
        }
    }
    close $c;
}

sub worker_exit {
    my ($stats) = @_;
    print "$me worker $$ served $stats->{requests} requests on "
        . "$stats->{connections} connections\n";
    POSIX::_exit(0);
}

# Pass mode: connections arrive over $chan; after each, our pid on the
# report pipe (a write of 4 bytes to a pipe is never split or mixed with
# another worker's).
sub worker_pass {
    my ($chan) = @_;
    my $done = pack('N', $$);
    my %stats = (requests => 0, connections => 0);
    # Connections already handed over are still served after SIGTERM;
    # the parent closing its end (end of stream) is what ends the loop.
    while (1) {
        my $c = recv_fh($chan);
        last unless $c;
        $stats{connections}++;
        serve_connection($c, \%stats);
        end_connection($c);
        syswrite($report_w, $done);
    }
    worker_exit(\%stats);
}

# Accept mode: every worker accepts on the inherited listening socket.
sub worker_accept {
    my %stats = (requests => 0, connections => 0);
    until ($stop) {
        accept(my $c, $listener) or next;
        $stats{connections}++;
        serve_connection($c, \%stats);
        end_connection($c);
    }
    worker_exit(\%stats);
}

sub start_worker {
    my ($chan, $theirs);
    if ($opt{mode} eq 'pass') {
        ($chan, $theirs) = spipe() or die "$me: spipe: $!\n";
    }
    my $pid = fork;
    die "$me: fork: $!\n" unless defined $pid;
    if (!$pid) {
        $SIG{TERM} = sub { $stop = 1 };
        $SIG{CHLD} = 'DEFAULT';
        if ($opt{mode} eq 'pass') {
            close $chan;
            close $listener;
            close $reports;
            worker_pass($theirs);
        }
        worker_accept();
    }
    close $theirs if $theirs;
    $workers{$pid} = { chan => $chan, active => 0, served => 0 };
}

# The handlers set flags, which the parent's loop looks at between
# connections (a handler that died out of a wait could drop a connection
# accepted just before the signal came).  SIGTERM goes on to the workers
# at once, so that the requests under way end their connections.
my $reap = 1;
$SIG{TERM} = sub { $stop = 1; kill 'TERM', keys %workers };
$SIG{CHLD} = sub { $reap = 1 };
# Whoever waits in accept itself (an accept-mode worker; a pass-mode
# parent with no control endpoint, see the parent's loop) does so on Linux
# with a receive timeout on the listening socket, which Linux applies to
# accept: the wait ends four times a second.  A worker checks its flag
# before each accept, and a SIGTERM that comes after the check and before
# the accept begins does not interrupt it; it still stops within a quarter
# of a second.
my $timed_accept = $^O eq 'linux'
    && ($opt{mode} eq 'accept' || !defined $opt{control});
setsockopt($listener, SOL_SOCKET, SO_RCVTIMEO, pack('l!l!', 0, 250_000))
    if $timed_accept;
start_worker() for 1 .. $opt{workers};
my ($host, $port) = ($listener->sockhost, $listener->sockport);
print "$me: listening on $host:$port (mode $opt{mode}, $opt{workers} workers",
      defined $opt{takeover} ? ", taken over from pid " . ($from // '?') : '', ")\n";

# Our own control endpoint, once the old instance has closed its own.
my $control;
if (defined $opt{control}) {
    for (1 .. 100) {
        last if $control = endp_create($opt{control}, mode => 0600);
        select(undef, undef, undef, 0.05);
    }
    die "$me: endp_create $opt{control}: $!\n" unless $control;
}

# ---------------------------------------------------------------------
# The parent's loop: accept and dispatch (pass mode), count what the
# workers report, hand the listening socket over when asked.
#
# A pass-mode parent with no control endpoint has only the listening
# socket to wait for, so on Linux it waits in accept itself: one system
# call per connection instead of select, accept and an accept that finds
# nothing.  A signal does not end that wait (serv_accept_fd runs the
# handler and goes on waiting), so the receive timeout set on the socket
# before the workers started ends it four times a second: an idle server
# closes its listening socket at SIGTERM, or replaces a worker that died,
# within a quarter of a second, a busy one at the next connection.  With
# a control endpoint, or elsewhere, it selects.
my $wait_in_accept = $opt{mode} eq 'pass' && $timed_accept;
$listener->blocking(0) if $opt{mode} eq 'pass' && !$wait_in_accept;
my $accepting = 1;
my $turn = 0;
my $changed = 1;    # the worker set or the watched descriptors changed

# The worker with the fewest connections in hand; among equals, the next
# in turn, so that a quiet server still spreads its connections.
my (@ring, $rin_all);
sub rebuild {
    @ring = map { $workers{$_} } sort { $a <=> $b } keys %workers;
    $rin_all = '';
    vec($rin_all, fileno($listener), 1) = 1
        if $accepting && $opt{mode} eq 'pass' && !$wait_in_accept;
    vec($rin_all, fileno($control), 1) = 1 if $control;
}

# The reports that have come since the last look: one per connection a
# worker has finished with.
sub read_reports {
    while (1) {
        my $got = sysread($reports, my $buf, 4096);
        last unless $got;
        for my $pid (unpack('N*', $buf)) {
            my $w = $workers{$pid} or next;    # a worker gone since
            $w->{active}--;
            $w->{served}++;
        }
        last if $got < 4096;
    }
}

sub least_busy {
    # Only when nobody is idle by the counts is it worth reading the
    # reports (the counts never show a worker less busy than it is).
    read_reports() unless grep { !$_->{active} } @ring;
    $turn = 0 if ++$turn >= @ring;
    my $best = $ring[$turn];
    for my $w (@ring[$turn + 1 .. $#ring], @ring[0 .. $turn - 1]) {
        $best = $w if $w->{active} < $best->{active};
    }
    return $best;
}

# Hand a connection, a bare descriptor, to the least busy worker; the
# parent never makes a Perl handle of it.  A worker that has died (its
# channel gives EPIPE) is passed over until it is reaped and replaced.
sub dispatch {
    my ($fd) = @_;
    for (@ring) {
        my $w = least_busy();
        if (send_file($w->{chan}, $fd)) {
            $w->{active}++;
            last;
        }
        $w->{active} = 9**9**9;
    }
    close_fds($fd);
}

# A successor waits on the control endpoint: hand it the listening
# socket (a process of another user is refused there, and the wait goes
# on for a while).  The workers go on serving meanwhile; in pass mode the
# connections that come wait in the queue, which the successor shares.
sub hand_over {
    if (!handoff_give($control, [http => $listener],
                      meta => { pid => $$, mode => $opt{mode} }, timeout => 10)) {
        print "$me: the takeover failed ($!); still serving\n";
        return;
    }
    print "$me: handed the listening socket over; draining\n";
    close $control;
    undef $control;
    $stop = 1;
}

while (1) {
    if ($stop && $accepting) {
        $accepting = 0;
        close $listener;
        close $control if $control;
        undef $control;
        # Workers finish what they have; pass-mode workers see the end of
        # their channel once they have served everything sent to them.
        kill 'TERM', keys %workers;
        if ($opt{mode} eq 'pass') {
            close $_->{chan} for values %workers;
            $_->{chan} = undef for values %workers;
        }
        $changed = 1;
    }
    if ($reap) {
        $reap = 0;
        while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
            my $w = delete $workers{$pid} or next;
            $changed = 1;
            close $w->{chan} if $w->{chan};
            start_worker() if !$stop;    # a worker died: replace it
        }
    }
    last if $stop && !%workers;

    rebuild() if $changed;
    $changed = 0;
    if ($accepting && $wait_in_accept) {
        my $fd = serv_accept_fd($listener);
        dispatch($fd) if defined $fd;
        next;
    }
    my $n = select(my $rout = $rin_all, undef, undef, $stop ? 0.05 : 1);
    next if $n <= 0;

    if ($control && vec($rout, fileno($control), 1)) {
        hand_over();
        $changed = 1;
    }
    if ($accepting && $opt{mode} eq 'pass' && vec($rout, fileno($listener), 1)) {
        while (defined(my $fd = serv_accept_fd($listener))) {
            dispatch($fd);
        }
    }
}
print "$me: drained, exiting\n";
exit 0;
