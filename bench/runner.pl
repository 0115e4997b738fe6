#!/usr/bin/perl
# runner.pl IMPL VARIANT N - one timed run of the benchmark's protocol in
# perl, for IMPL fdpasser, iofdpass or msghdr.  Prints seconds from the
# first send to the done byte.  Driven by bench/bench.pl.
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC SOL_SOCKET SCM_RIGHTS);
use POSIX ();
use Time::HiRes qw(time);

my ($impl, $variant, $n) = @ARGV;
my $per = $variant eq 'many' ? 64 : 1;
my $ping = $variant eq 'pingpong';
my ($send, $recv);    # send($sock_fd, $fd); recv($sock_fd) -> count closed
if ($impl eq 'fdpasser') {
    require File::FDpasser;
    if ($per > 1) {
        $send = sub { File::FDpasser::send_fds($_[0], [($_[1]) x $per]) or die "send_fds: $!" };
        $recv = sub {
            my (undef, @fds) = File::FDpasser::recv_fds($_[0], $per) or die "recv_fds: $!";
            POSIX::close($_) for @fds;
        };
    } elsif ($variant eq 'handle') {
        $send = sub { File::FDpasser::send($_[0], $_[1]) or die "send: $!" };
        $recv = sub { my $fh = File::FDpasser::recv_fh($_[0]) or die "recv_fh: $!"; close $fh };
    } else {
        $send = sub { File::FDpasser::send($_[0], $_[1]) or die "send: $!" };
        $recv = sub { my $fd = File::FDpasser::recv($_[0]); die "recv: $!" if $fd < 0; POSIX::close($fd) };
    }
} elsif ($impl eq 'iofdpass') {
    require IO::FDPass;
    die "IO::FDPass passes one descriptor per message\n" if $per > 1;
    $send = sub { IO::FDPass::send($_[0], $_[1]) or die "send: $!" };
    if ($variant eq 'handle') {
        $recv = sub {
            my $fd = IO::FDPass::recv($_[0]);
            die "recv: $!" if $fd < 0;
            open(my $fh, '+<&=', $fd) or die "open: $!";
            close $fh;
        };
    } else {
        $recv = sub { my $fd = IO::FDPass::recv($_[0]); die "recv: $!" if $fd < 0; POSIX::close($fd) };
    }
} elsif ($impl eq 'msghdr') {
    require Socket::MsgHdr;
    die "no handle variant for Socket::MsgHdr\n" if $variant eq 'handle';
    my %h;
    $send = sub {
        my $m = Socket::MsgHdr->new(buf => "\0");
        $m->cmsghdr(SOL_SOCKET, SCM_RIGHTS, pack('i*', ($_[1]) x $per));
        Socket::MsgHdr::sendmsg($h{$_[0]}, $m) or die "sendmsg: $!";
    };
    $recv = sub {
        my $m = Socket::MsgHdr->new(buflen => 1, controllen => 16 + 4 * $per + 8);
        defined Socket::MsgHdr::recvmsg($h{$_[0]}, $m) or die "recvmsg: $!";
        my (undef, undef, $data) = $m->cmsghdr;
        POSIX::close($_) for unpack('i*', $data);
    };
    # Socket::MsgHdr wants handles: keep one per descriptor number.
    $impl = sub { my ($fh) = @_; $h{ fileno $fh } = $fh };
} else {
    die "unknown implementation $impl\n";
}

socketpair(my $p, my $c, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
open(my $null, '+<', '/dev/null') or die;
my $pid = fork;
die "fork: $!" unless defined $pid;
if (!$pid) {
    close $p;
    $impl->($c) if ref $impl;
    my $fd = fileno $c;
    syswrite($c, 'r');
    for (1 .. $n / $per) {
        $recv->($fd);
        syswrite($c, 'p') if $ping;
    }
    syswrite($c, 'd');
    POSIX::_exit(0);
}
close $c;
$impl->($p) if ref $impl;
my ($sfd, $nfd) = (fileno $p, fileno $null);
sysread($p, my $byte, 1) == 1 or die "no ready byte";
my $t0 = time;
for (1 .. $n / $per) {
    $send->($sfd, $nfd);
    sysread($p, $byte, 1) if $ping;
}
sysread($p, $byte, 1) == 1 or die "no done byte";
my $t = time - $t0;
waitpid($pid, 0);
printf "%.6f\n", $t;
