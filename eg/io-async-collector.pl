#!/usr/bin/perl
# io-async-collector.pl [PRODUCERS [LINES]] - the same collector as
# anyevent-collector.pl, in an IO::Async loop: the shared end is an
# IO::Async::Handle whose on_read_ready calls recv_fh until EAGAIN, and
# each pipe received becomes an IO::Async::Stream reading lines.
use strict;
use warnings;
use IO::Async::Loop;
use IO::Async::Handle;
use IO::Async::Stream;
use IO::Async::Timer::Periodic;
use Errno qw(EAGAIN EWOULDBLOCK);
use File::FDpasser qw(spipe send_file recv_fh);

$| = 1;
my $producers = shift // 4;
my $lines     = shift // 100;

my ($collector, $shared) = spipe() or die "spipe: $!";
for my $n (1 .. $producers) {
    my $pid = fork // die "fork: $!";
    next if $pid;
    close $collector;
    pipe(my $r, my $w) or die "pipe: $!";
    send_file($shared, $r) or die "send_file: $!";
    close $r;
    print $w "producer $n ($$) line $_\n" for 1 .. $lines;
    close $w;
    exit 0;
}
close $shared;
$collector->blocking(0);

my $loop = IO::Async::Loop->new;
my ($total, $received, $open, $ticks, $channel_open) = (0, 0, 0, 0, 1);
my $finish = sub { $loop->stop if !$channel_open && !$open };

my $timer = IO::Async::Timer::Periodic->new(
    interval => 0.01, on_tick => sub { $ticks++ });
$timer->start;
$loop->add($timer);

my $chan;
$chan = IO::Async::Handle->new(
    read_handle  => $collector,
    on_read_ready => sub {
        while (1) {
            my $fh = recv_fh($collector);
            if (!$fh) {
                last if $! == EAGAIN || $! == EWOULDBLOCK;
                die "recv_fh: $!" if $!;
                $loop->remove($chan);                   # every producer gone
                $channel_open = 0;
                $finish->();
                last;
            }
            my $id = ++$received;
            $open++;
            $loop->add(IO::Async::Stream->new(
                read_handle => $fh,
                on_read     => sub {
                    my ($self, $buffref, $eof) = @_;
                    while ($$buffref =~ s/^(.*)\n//) {
                        $total++;
                        print "pipe $id: $1\n" if $total <= 3;
                    }
                    if ($eof) {
                        $self->close_now;
                        $open--;
                        $finish->();
                    }
                    return 0;
                },
            ));
        }
    },
);
$loop->add($chan);
$loop->run;
1 while waitpid(-1, 0) > 0;
print "collected $total lines from $received pipes",
      $ticks ? "; the loop ticked meanwhile\n" : "\n";
