# Proves the module under load, with nothing lost, leaked or hung: 64
# client processes at once on one endpoint, each getting its own file; a
# sender and a receiver passing 2000 descriptors while signals arrive
# every millisecond on both sides; ithreads passing concurrently.
use strict;
use warnings;
use Test::More;
use Config;
use Time::HiRes qw(ualarm);
use POSIX ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 120;
my $dir = tmpdir();

# 64 clients at once.
my $ls = endp_create("$dir/ep", backlog => 64) or die "endp_create: $!";
my $before = open_fds();
my @kids;
for my $id (1 .. 64) {
    push @kids, run_child {
        my $c = endp_connect("$dir/ep") or die "connect $id: $!";
        syswrite($c, "$id\n");
        my $fh = recv_fh($c) or die "recv $id: $!";
        my $line = <$fh>;
        $line eq "file of client $id\n" or die "client $id got $line";
    };
}
my $served = 0;
for (1 .. 64) {
    my $c = serv_accept_fh($ls) or die "accept: $!";
    my $id = <$c>;
    chomp $id;
    open(my $f, '+>', "$dir/f$id") or die;
    print $f "file of client $id\n";
    $f->flush;
    seek($f, 0, 0);
    $served++ if send_file($c, $f);
}
my $clean = grep { waitpid($_, 0) == $_ && $? == 0 } @kids;
is($served, 64, '64 connections accepted and served');
is($clean, 64, 'every client got its own file');
is(open_fds(), $before, 'the server holds nothing more than before');

# 20000 passes with signals every millisecond on both sides.
my ($a, $b) = spipe();
open(my $src, '<', $0) or die;
my $n = 20000;
my $pid = run_child {
    my $ticks = 0;
    local $SIG{ALRM} = sub { $ticks++ };
    ualarm(1000, 1000);
    for (1 .. $n) { send_file($a, $src) or die "send: $!" }
    ualarm(0);
    send_fds($a, [], "ticks $ticks");
    1;
};
my $ticks = 0;
$before = open_fds();
{
    local $SIG{ALRM} = sub { $ticks++ };
    ualarm(1000, 1000);
    my $got = 0;
    for (1 .. $n) {
        my $fd = recv_fd($b);
        last unless defined $fd;
        POSIX::close($fd);
        $got++;
    }
    ualarm(0);
    is($got, $n, "all $n descriptors arrived with signals every millisecond");
}
my ($data) = recv_fds($b, 1);
reap_ok($pid, 'the sender');
ok($ticks > 0, "the receiver's handler ran ($ticks times)");
like($data, qr/^ticks [1-9]\d*$/, "the sender was interrupted too ($data)");
is(open_fds(), $before, 'nothing leaked while interrupted');

SKIP: {
    skip 'this perl has no ithreads', 3 unless $Config{useithreads};
    require threads;
    $before = open_fds();
    my @pairs = map { [spipe()] } 1 .. 4;
    my @threads;
    for my $p (@pairs) {
        my ($s, $r) = @$p;
        push @threads, threads->create(sub {
            for (1 .. 500) { send_fds($s, [$src, $src]) or return -1 }
            return 0;
        });
        push @threads, threads->create(sub {
            my $got = 0;
            for (1 .. 500) {
                my ($d, @fds) = recv_fds($r, 2) or last;
                POSIX::close($_) for @fds;
                $got += @fds;
            }
            return $got;
        });
    }
    my @res = map { $_->join } @threads;
    is_deeply([ @res[grep { $_ % 2 == 0 } 0 .. $#res] ], [0, 0, 0, 0],
              'four sender threads sent everything');
    is_deeply([ @res[grep { $_ % 2 } 0 .. $#res] ], [1000, 1000, 1000, 1000],
              'four receiver threads got every descriptor');
    @pairs = ();
    is(open_fds(), $before, 'no descriptor left by the threads');
}

done_testing;
