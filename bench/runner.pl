#!/usr/bin/perl
# runner.pl IMPL VARIANT N - one timed run of the benchmark's protocol in
# perl, for IMPL fdpasser, fdpasser-posix, iofdpass or msghdr.  Prints
# seconds from the first send to the done byte.  Driven by bench/bench.pl.
#
# fdpasser closes what it receives with the module's own close_fds;
# fdpasser-posix with POSIX::close, as the other perl implementations do,
# so that the receive calls alone compare like for like.
#
# Each implementation's loops are written out, one call per descriptor in
# the loop body, as a program using the module would write them: no
# wrapper sub per pass, so what is measured beyond the C loop is the
# module and perl's cost of calling it.
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC SOL_SOCKET SCM_RIGHTS);
use POSIX ();
use Time::HiRes qw(time);

# File::FDpasser is loaded before the loops below are compiled, as a
# program's "use File::FDpasser" loads it, so that their calls to it are
# compiled as calls to subs that exist.
BEGIN { require File::FDpasser if $ARGV[0] =~ /^fdpasser/ }

my ($impl, $variant, $n) = @ARGV;
my $per = $variant eq 'many' ? 64 : 1;
my $ping = $variant eq 'pingpong';
my $msgs = $n / $per;

# sender($sock_handle, $fd): $msgs messages; receiver($sock_handle) likewise.
# pingpong: the receiver answers each message with a byte, the sender
# waits for it.
my ($sender, $receiver);
if ($impl =~ /^fdpasser(-posix)?\z/) {
    my $posix = $1;
    if ($per > 1) {
        $sender = sub {
            my ($s, $fd) = (fileno $_[0], $_[1]);
            my $fds = [($fd) x $per];
            File::FDpasser::send_fds($s, $fds) or die "send_fds: $!" for 1 .. $msgs;
        };
        $receiver = $posix ? sub {
            my $s = fileno $_[0];
            for (1 .. $msgs) {
                my (undef, @fds) = File::FDpasser::recv_fds($s, $per) or die "recv_fds: $!";
                POSIX::close($_) for @fds;
            }
        } : sub {
            my $s = fileno $_[0];
            for (1 .. $msgs) {
                my (undef, @fds) = File::FDpasser::recv_fds($s, $per) or die "recv_fds: $!";
                File::FDpasser::close_fds(@fds) or die "close_fds: $!";
            }
        };
    } elsif ($variant eq 'handle') {
        $receiver = sub {
            my $s = fileno $_[0];
            for (1 .. $msgs) {
                my $fh = File::FDpasser::recv_fh($s) or die "recv_fh: $!";
                close $fh;
            }
        };
    } else {
        $receiver = $posix ? sub {
            my ($h) = @_;
            my $s = fileno $h;
            for (1 .. $msgs) {
                my $fd = File::FDpasser::recv($s);
                die "recv: $!" if $fd < 0;
                POSIX::close($fd);
                syswrite($h, 'p') if $ping;
            }
        } : sub {
            my ($h) = @_;
            my $s = fileno $h;
            for (1 .. $msgs) {
                my $fd = File::FDpasser::recv($s);
                die "recv: $!" if $fd < 0;
                File::FDpasser::close_fds($fd);
                syswrite($h, 'p') if $ping;
            }
        };
    }
    $sender ||= sub {
        my ($h, $fd) = @_;
        my $s = fileno $h;
        for (1 .. $msgs) {
            File::FDpasser::send($s, $fd) or die "send: $!";
            sysread($h, my $b, 1) if $ping;
        }
    };
} elsif ($impl eq 'iofdpass') {
    require IO::FDPass;
    die "IO::FDPass passes one descriptor per message\n" if $per > 1;
    $sender = sub {
        my ($h, $fd) = @_;
        my $s = fileno $h;
        for (1 .. $msgs) {
            IO::FDPass::send($s, $fd) or die "send: $!";
            sysread($h, my $b, 1) if $ping;
        }
    };
    if ($variant eq 'handle') {
        $receiver = sub {
            my $s = fileno $_[0];
            for (1 .. $msgs) {
                my $fd = IO::FDPass::recv($s);
                die "recv: $!" if $fd < 0;
                open(my $fh, '+<&=', $fd) or die "open: $!";
                close $fh;
            }
        };
    } else {
        $receiver = sub {
            my ($h) = @_;
            my $s = fileno $h;
            for (1 .. $msgs) {
                my $fd = IO::FDPass::recv($s);
                die "recv: $!" if $fd < 0;
                POSIX::close($fd);
                syswrite($h, 'p') if $ping;
            }
        };
    }
} elsif ($impl eq 'msghdr') {
    require Socket::MsgHdr;
    die "no handle variant for Socket::MsgHdr\n" if $variant eq 'handle';
    $sender = sub {
        my ($h, $fd) = @_;
        my $rights = pack('i*', ($fd) x $per);
        for (1 .. $msgs) {
            my $m = Socket::MsgHdr->new(buf => "\0");
            $m->cmsghdr(SOL_SOCKET, SCM_RIGHTS, $rights);
            Socket::MsgHdr::sendmsg($h, $m) or die "sendmsg: $!";
            sysread($h, my $b, 1) if $ping;
        }
    };
    $receiver = sub {
        my ($h) = @_;
        my $clen = 16 + 4 * $per + 8;
        for (1 .. $msgs) {
            my $m = Socket::MsgHdr->new(buflen => 1, controllen => $clen);
            defined Socket::MsgHdr::recvmsg($h, $m) or die "recvmsg: $!";
            my (undef, undef, $data) = $m->cmsghdr;
            POSIX::close($_) for unpack('i*', $data);
            syswrite($h, 'p') if $ping;
        }
    };
} else {
    die "unknown implementation $impl\n";
}

socketpair(my $p, my $c, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
open(my $null, '+<', '/dev/null') or die;
my $pid = fork;
die "fork: $!" unless defined $pid;
if (!$pid) {
    close $p;
    syswrite($c, 'r');
    $receiver->($c);
    syswrite($c, 'd');
    POSIX::_exit(0);
}
close $c;
sysread($p, my $byte, 1) == 1 or die "no ready byte";
my $t0 = time;
$sender->($p, fileno $null);
sysread($p, $byte, 1) == 1 or die "no done byte";
my $t = time - $t0;
waitpid($pid, 0);
printf "%.6f\n", $t;
