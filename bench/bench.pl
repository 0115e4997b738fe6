#!/usr/bin/perl
# bench/bench.pl [--reps R] [--n N] [--soak N] [--only PART] - File::FDpasser against
# IO::FDPass, Socket::MsgHdr, Python 3's socket.send_fds/recv_fds and a
# plain C sendmsg/recvmsg loop (bench/loop.c, the limit), all with one
# protocol (see bench/runner.pl).  Each run is pinned to CPU 0 (taskset),
# implementations alternate, R repetitions, medians, ratios to the C loop.
# Then user-space instructions per descriptor with callgrind (difference
# of two run lengths), system calls per descriptor with strace, the load
# cost of "use File::FDpasser", and a soak.  Then a listener handed on
# under load, three ways (bench/handoff.pl).
# Run from the built distribution: make bench.
use strict;
use warnings;
use Getopt::Long;
use File::Temp qw(tempdir);

GetOptions('reps=i' => \(my $reps = 7), 'n=i' => \(my $n = 200_000),
           'soak=i' => \(my $soak = 1_000_000),
           'only=s' => \(my $only)) or die "usage\n";
# --only times|instructions|syscalls|soak|handoff runs that part alone.
sub want { !defined $only || $only eq $_[0] }
my $tmp = tempdir(CLEANUP => 1);
my $cc = do { require Config; $Config::Config{cc} };
system("$cc -O2 -o $tmp/loop bench/loop.c") == 0 or die "cannot build bench/loop.c\n";
# The same loop through the module's C core, its full-table check included.
system("$cc -O2 -DLOOP_FDPASS -I. -o $tmp/loop-fdpass bench/loop.c fdpass.c") == 0
    or die "cannot build bench/loop.c with fdpass.c\n";
my @pin = grep({ -x "$_/taskset" } split /:/, $ENV{PATH}) ? ('taskset', '-c', '0') : ();
warn "taskset not found: runs are not pinned\n" unless @pin;
my $have = sub { my ($m) = @_; system($^X, '-Mblib', "-M$m", '-e1') == 0 };
my %cmd = (
    c        => sub { ("$tmp/loop", @_) },
    'c-fdpass' => sub { ("$tmp/loop-fdpass", @_) },
    fdpasser => sub { ($^X, '-Mblib', 'bench/runner.pl', 'fdpasser', @_) },
    'fdpasser-posix' => sub { ($^X, '-Mblib', 'bench/runner.pl', 'fdpasser-posix', @_) },
    iofdpass => sub { ($^X, 'bench/runner.pl', 'iofdpass', @_) },
    msghdr   => sub { ($^X, 'bench/runner.pl', 'msghdr', @_) },
    python   => sub { ('python3', 'bench/runner.py', @_) },
);
delete $cmd{iofdpass} unless $have->('IO::FDPass');
delete $cmd{msghdr}   unless $have->('Socket::MsgHdr');
delete $cmd{python}   unless system('python3 -c "import socket; socket.send_fds" 2>/dev/null') == 0;
my %variants = (
    one      => [qw(c c-fdpass fdpasser fdpasser-posix iofdpass msghdr python)],
    many     => [qw(c c-fdpass fdpasser fdpasser-posix msghdr python)],
    handle   => [qw(c c-fdpass fdpasser iofdpass)],
    pingpong => [qw(c c-fdpass fdpasser iofdpass msghdr python)],
);
my %label = (handle => { fdpasser => 'fdpasser recv_fh', iofdpass => 'iofdpass + open',
                          'c-fdpass' => 'c-fdpass + calls' });

sub run {
    my (@cmd) = @_;
    open(my $fh, '-|', @pin, @cmd) or die "@cmd: $!";
    my $out = <$fh>;
    close $fh;
    die "@cmd failed\n" unless $? == 0 && defined $out && $out =~ /^[\d.]+$/;
    return $out + 0;
}
sub median { my @s = sort { $a <=> $b } @_; @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2 }

print "# $n descriptors per run, $reps repetitions, medians; ratio = C loop time / time\n"
    if want('times');
for my $v (want('times') ? qw(one many handle pingpong) : ()) {
    my @impls = grep { $cmd{$_} } @{ $variants{$v} };
    my $count = $v eq 'pingpong' ? $n / 4 : $n;
    my %t;
    for (1 .. $reps) {
        push @{ $t{$_} }, run($cmd{$_}->($v, $count)) for @impls;
    }
    my $c = median(@{ $t{c} });
    printf "%-9s %-18s %8.1f ns/descriptor  ratio %.2f  (%s)\n", $v,
        ($label{$v}{$_} || $_), median(@{ $t{$_} }) / $count * 1e9, $c / median(@{ $t{$_} }),
        join(' ', map { sprintf '%.3f', $_ } @{ $t{$_} }) for @impls;
}

# Runs a measuring tool over a command, the command's output discarded.
sub measure {
    my (@tool) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open(STDOUT, '>', '/dev/null');
        exec(@tool);
        exit 127;
    }
    waitpid($pid, 0);
    die "$tool[0] @tool[1 .. $#tool] failed\n" if $?;
}

# Instructions per descriptor: both processes, two run lengths.
sub instructions {
    my (@cmd) = @_;
    my $dir = tempdir(CLEANUP => 1);
    measure('valgrind', '-q', '--tool=callgrind', "--callgrind-out-file=$dir/cg.%p", @cmd);
    my $sum = 0;
    for my $f (glob "$dir/cg.*") {
        open(my $h, '<', $f) or die;
        while (<$h>) { $sum += $1 if /^summary:\s+(\d+)/ }
    }
    return $sum;
}
if (want('instructions') && system('valgrind --version >/dev/null 2>&1') == 0) {
    print "# user-space instructions per descriptor (callgrind, runs of 20000 and 40000)\n";
    for my $case (['one', 'fdpasser'], ['one', 'fdpasser-posix'], ['one', 'iofdpass'],
                  ['many', 'fdpasser'], ['many', 'fdpasser-posix'],
                  ['handle', 'fdpasser'], ['handle', 'iofdpass'], ['one', 'c'],
                  ['one', 'c-fdpass']) {
        my ($v, $impl) = @$case;
        next unless $cmd{$impl};
        my $short = instructions($cmd{$impl}->($v, 20000) );
        my $long  = instructions($cmd{$impl}->($v, 40000));
        printf "%-9s %-18s %8.0f instructions/descriptor\n", $v,
            ($label{$v}{$impl} || $impl), ($long - $short) / 20000;
    }
    my $base = instructions($^X, '-e1');
    # File::FDpasser as an install lays it out (blib's two trees make
    # XSLoader fall back to DynaLoader, and blib.pm itself costs more than
    # the module).
    require lib;
    lib->import('t/lib');
    require FDPassTest;
    my $inc = FDPassTest::installed_copy("$tmp/inc");
    for my $m (qw(File::FDpasser IO::FDPass POSIX Socket)) {
        next unless $have->($m);
        my $i = instructions($^X, ($m eq 'File::FDpasser' ? ("-I$inc") : ()),
                             "-M$m", '-e1');
        printf "load      %-18s %8.2f M instructions (perl -e1: %.2f M)\n", $m,
            ($i - $base) / 1e6, $base / 1e6;
    }
}

# System calls per descriptor, both processes: strace's counts, the
# difference of two run lengths so that start-up cancels.
sub syscalls {
    my (@cmd) = @_;
    my $dir = tempdir(CLEANUP => 1);
    measure('strace', '-f', '-qq', '-c', '-U', 'calls,name', '-o', "$dir/st", @cmd);
    open(my $h, '<', "$dir/st") or die "$dir/st: $!";
    my %n;
    while (my $l = <$h>) { $n{$2} += $1 if $l =~ /^\s*(\d+)\s+(\w+)\s*$/ && $2 ne 'total' }
    return \%n;
}
if (want('syscalls') && system('strace -V >/dev/null 2>&1') == 0) {
    print "# system calls per descriptor, both processes (strace -c, runs of 2000 and 4000)\n";
    for my $case (['one', 'c'], ['one', 'c-fdpass'], ['one', 'fdpasser'], ['one', 'iofdpass'],
                  ['one', 'python'], ['many', 'c'], ['many', 'c-fdpass'], ['many', 'fdpasser'],
                  ['many', 'python'], ['handle', 'c-fdpass'],
                  ['handle', 'fdpasser'], ['handle', 'iofdpass']) {
        my ($v, $impl) = @$case;
        next unless $cmd{$impl};
        my ($short, $long) = map { syscalls($cmd{$impl}->($v, $_)) } 2000, 4000;
        my %per = map { $_ => (($long->{$_} || 0) - ($short->{$_} || 0)) / 2000 }
                  keys %$long;
        my @names = sort { $per{$b} <=> $per{$a} || $a cmp $b } grep { $per{$_} >= 0.01 } keys %per;
        my $total = 0;
        $total += $per{$_} for @names;
        printf "%-9s %-18s %5.2f system calls/descriptor: %s\n", $v,
            ($label{$v}{$impl} || $impl), $total,
            join(', ', map { sprintf '%s %.2f', $_, $per{$_} } @names);
    }
}

# Soak: RSS and descriptors before and after $soak passes.
if (want('soak')) {
    my $script = q{
        use File::FDpasser qw(:all);
        my $n = shift;
        my ($a, $b) = spipe() or die;
        open(my $null, '<', '/dev/null') or die;
        sub rss { open(my $s, '<', "/proc/$$/status") or return -1;
                  while (<$s>) { return $1 if /^VmRSS:\s+(\d+)/ } -1 }
        sub fds { opendir(my $d, "/proc/$$/fd") or return -1; scalar(grep { /^\d/ } readdir $d) }
        for (1 .. 1000) { send_file($a, $null); my $fh = recv_fh($b) }
        my ($r0, $f0) = (rss(), fds());
        for (1 .. $n) { send_file($a, $null) or die $!; my $fh = recv_fh($b) or die $! }
        my ($r1, $f1) = (rss(), fds());
        print "soak      $n passes (send_file + recv_fh): RSS $r0 -> $r1 kB (", $r1 - $r0,
              " kB), descriptors $f0 -> $f1\n";
    };
    system($^X, '-Mblib', '-e', $script, $soak) == 0 or die "soak failed\n";
}

# A listener handed on under load: the generation handoff, haproxy -x,
# Server::Starter (bench/handoff.pl; a kind whose program is missing is
# left out).
if (want('handoff')) {
    system($^X, '-Mblib', 'bench/handoff.pl') == 0 or die "handoff failed\n";
}
