#!/usr/bin/perl
# anyevent-collector.pl [PRODUCERS [LINES]] - non-blocking descriptor
# passing in an AnyEvent loop.
#
# Producer processes each make a pipe, pass its read end to the collector
# over one shared spipe end, and write LINES lines into it.  The collector
# never blocks: its end is non-blocking, it calls recv_fh when AnyEvent
# says the end is readable (until EAGAIN), and watches every pipe it
# receives with its own I/O watcher; a timer ticks meanwhile.  It ends
# when every producer has gone and every pipe is drained.
use strict;
use warnings;
use AnyEvent;
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

my $done = AE::cv;
my (%pipes, $total, $ticks, $channel_open);
my $received = 0;
$channel_open = 1;
my $finish = sub { $done->send if !$channel_open && !%pipes };

my $tick = AE::timer 0, 0.01, sub { $ticks++ };
my $chan_w;
$chan_w = AE::io $collector, 0, sub {
    while (1) {
        my $fh = recv_fh($collector);
        if (!$fh) {
            last if $! == EAGAIN || $! == EWOULDBLOCK;   # nothing more now
            die "recv_fh: $!" if $!;
            undef $chan_w;                              # every producer gone
            $channel_open = 0;
            $finish->();
            last;
        }
        my $id = ++$received;
        $fh->blocking(0);
        my $buf = '';
        $pipes{$id} = AE::io $fh, 0, sub {
            my $n = sysread($fh, $buf, 65536, length $buf);
            return if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK);
            while ($buf =~ s/^(.*)\n//) {
                $total++;
                print "pipe $id: $1\n" if $total <= 3;
            }
            if (!$n) {
                delete $pipes{$id};
                close $fh;
                $finish->();
            }
        };
    }
};
$done->recv;
1 while waitpid(-1, 0) > 0;
print "collected $total lines from $received pipes",
      $ticks ? "; the loop ticked meanwhile\n" : "\n";
