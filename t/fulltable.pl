# Helper of t/50-leaks.t, run under "ulimit -n 32": with its descriptor
# table full, receiving must fail with EMFILE and leave the message queued.
# Prints one line per step; t/50-leaks.t checks them.
use strict;
use warnings;
use File::FDpasser qw(:all);

my $sock = shift;
$| = 1;
my @fill;
while (open(my $h, '<', '/dev/null')) { push @fill, $h }
print "full after ", scalar(@fill), " opens: ", ($! + 0), "\n";

$! = 0;
my $fd = recv_fd($sock);
print "recv_fd full: ", (defined $fd ? "got $fd" : $! + 0), "\n";
close(pop @fill);
$fd = recv_fd($sock);
print "recv_fd one free: ", (defined $fd ? "content " . content($fd) : $! + 0), "\n";

$! = 0;
my @r = recv_fds($sock, 3);
print "recv_fds full: ", (@r ? "got @r" : $! + 0), "\n";
close(pop @fill);
$! = 0;
@r = recv_fds($sock, 3);
print "recv_fds one free: ", (@r ? "got @r" : $! + 0), "\n";
close(pop @fill) for 1 .. 2;
@r = recv_fds($sock, 3);
my $data = shift @r;
print "recv_fds three free: ", (@r ? join(' ', map { content($_) } @r) : $! + 0), "\n";

sub content {
    my ($n) = @_;
    # fdopen, so no new slot is needed; the offset is shared with the sender.
    open(my $h, '<&=', $n) or return "?$!";
    sysseek($h, 0, 0);
    sysread($h, my $buf, 100);
    chomp $buf;
    return $buf;
}
