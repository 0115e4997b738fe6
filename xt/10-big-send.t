#!perl
# Proves counts are exact past 2 GiB: one send_fds of 2 GiB and some
# bytes to a peer that reads and counts reports exactly what went (the
# kernel takes at most 2 GiB less a page per call, so it goes in parts),
# and so does the C API (xt/c/bigsend.c).  Needs some 3 GB of memory.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

my $len = 2**31 + 12345;
my ($avail) = do {
    open(my $m, '<', '/proc/meminfo');
    map { /^MemAvailable:\s+(\d+)/ ? $1 * 1024 : () } $m ? <$m> : ();
};
plan skip_all => 'needs 4 GB of available memory (MemAvailable in /proc/meminfo)'
    unless defined $avail && $avail >= 4 * 2**30;
alarm 300;

# Perl: the peer is forked before the data is made, so it holds none.
{
    my ($x, $y) = spipe();
    pipe(my $r, my $w) or die;
    my $pid = run_child {
        close $x;
        close $r;
        my ($data, @fds) = recv_fds($y, 1, 1 << 20) or die "recv_fds: $!";
        my $total = length $data;
        my $bad = $data =~ tr/x//c;
        while (my $n = sysread($y, my $buf, 1 << 20)) {
            $total += $n;
            $bad += $buf =~ tr/x//c;
        }
        syswrite($w, "$total " . scalar(@fds) . " $bad");
        1;
    };
    close $y;
    close $w;
    open(my $f, '<', '/dev/null') or die;
    my $n = do {
        my $data = 'x' x $len;
        send_fds($x, [$f], $data);
    };
    close $x;
    is($n, $len, "send_fds of $len bytes reports $len");
    my $got = join('', <$r>);
    is($got, "$len 1 0", '... and the peer read exactly that, all of it the data, with the descriptor');
    reap_ok($pid, 'the peer');
}

# C: the first call's count, the sum of every call's, what the peer read.
SKIP: {
    my ($prog, $why) = build_c(tmpdir() . '/bigsend', ['xt/c/bigsend.c'], qw(-O1));
    skip "no C program: $why", 2 unless $prog;
    chomp(my $out = `$prog $len`);
    my ($first, $sent, $received) = $out =~ /^first (-?\d+) sent (\d+) received (\d+)$/;
    ok(defined $first && $first > 0 && $first <= $len,
       "fdpass_send's first count is what went in that call ($out)");
    ok(defined $sent && $sent == $len && $received == $len,
       '... the counts add up to exactly what the peer read');
}

done_testing;
