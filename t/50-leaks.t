# Proves no descriptor leaks on any error path (the count in /proc/self/fd
# stays the same over many failing calls), and that a full descriptor table
# loses nothing: under "ulimit -n 32" receiving fails with EMFILE, the
# message stays queued, and once slots are free the next receive gets all
# of it.  That holds when the limit is lowered from outside (prlimit)
# while recv_fds or recv_fd waits for the message: room is judged when the
# message is there.
use strict;
use warnings;
use Test::More;
use Errno qw(EMFILE);
use Fcntl ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

plan skip_all => 'no /proc/self/fd to count descriptors' unless defined open_fds();
alarm 60;
my $dir = tmpdir();
open(my $plain, '>', "$dir/plain") or die;
close $plain;
my $live = endp_create("$dir/live") or die;

my %cases = (
    'recv_fh: bytes without a descriptor' => sub {
        my ($a, $b) = spipe();
        syswrite($a, 'x');
        recv_fh($b);
    },
    'recv_fds: more than max_fds' => sub {
        my ($a, $b) = spipe();
        send_fds($a, [0, 1, 2]);
        my @r = recv_fds($b, 2);
    },
    'recv_fh: two descriptors' => sub {
        my ($a, $b) = spipe();
        send_fds($a, [0, 1]);
        recv_fh($b);
    },
    'recv_fh: end of stream' => sub {
        my ($a, $b) = spipe();
        close $a;
        recv_fh($b);
    },
    'send_file: peer gone (EPIPE)' => sub {
        my ($a, $b) = spipe();
        close $b;
        local $SIG{PIPE} = 'IGNORE';
        send_file($a, 0);
    },
    'send_fds: a bad descriptor in the list' => sub {
        my ($a, $b) = spipe();
        send_fds($a, [0, 'x', 1]);
    },
    'send_fds: too many' => sub {
        my ($a, $b) = spipe();
        send_fds($a, [(0) x (FDPASS_MAX + 1)]);
    },
    'endp_create: not a socket' => sub { endp_create("$dir/plain") },
    'endp_create: live' => sub { endp_create("$dir/live") },
    'endp_create: too long' => sub { endp_create("$dir/" . 'x' x 200) },
    'endp_create: no such directory' => sub { endp_create("$dir/no/such") },
    'endp_connect: nothing there' => sub { endp_connect("$dir/none") },
    'cli_conn: nothing there' => sub { cli_conn("$dir/none") },
    'recv_fds: EINVAL' => sub { my ($a, $b) = spipe(); my @r = recv_fds($b, 0) },
    'serv_accept_fh: not listening' => sub {
        my ($a, $b) = spipe();
        serv_accept_fh($a);
    },
    'recv_fh: not a socket' => sub { recv_fh(0) },
);
for my $name (sort keys %cases) {
    $cases{$name}->() for 1 .. 3;    # let perl settle its own descriptors
    my $before = open_fds();
    my @results = map { scalar $cases{$name}->() } 1 .. 50;
    ok(!grep({ $_ } @results), "$name: fails every time");
    is(open_fds(), $before, "$name: no descriptor leaked over 50 calls");
}

# Every handle made (recv_fh, spipe) gives back what it takes: the
# reference counts of the stashes its glob and IO object are blessed into
# stay flat.
{
    require B;
    my $count = sub { B::svref_2object($_[0])->REFCNT };
    open(my $null, '<', '/dev/null') or die;
    my ($x, $y) = spipe() or die "spipe: $!";
    my @before = ($count->(\%IO::File::), $count->(\%IO::Handle::));
    for (1 .. 200) {
        send_file($x, $null) or die "send_file: $!";
        my $fh = recv_fh($y) or die "recv_fh: $!";
        my ($p, $q) = spipe() or die "spipe: $!";
    }
    is_deeply([$count->(\%IO::File::), $count->(\%IO::Handle::)], \@before,
              'stash reference counts unchanged over 200 recv_fh and spipe');
}

# The full table, in a process of its own with 32 slots.
my ($p, $c) = spipe();
my @msg;
for my $i (1 .. 4) {
    open(my $h, '+>', "$dir/full$i") or die;
    syswrite($h, "file $i");
    push @msg, $h;
}
send_file($p, $msg[0]) or die;
send_fds($p, [@msg[1 .. 3]], 'three') or die;
my $fd = fileno $c;
my $pid = open(my $from, '-|');
die "fork: $!" unless defined $pid;
if (!$pid) {
    close $p;
    # Let the endpoint survive the exec.
    fcntl($c, Fcntl::F_SETFD(), 0) or die "fcntl: $!";
    my @inc = map { "-I$_" } grep { !ref } @INC;
    { exec('sh', '-c', 'ulimit -n 32 && exec "$@"', 'sh',
           $^X, @inc, 't/fulltable.pl', $fd) }
    POSIX::_exit(9);
}
close $c;
my @out = <$from>;
close $from;
is($?, 0, 'the full-table process ran');
chomp @out;
my $emfile = EMFILE + 0;
like($out[0], qr/^full after \d+ opens: $emfile$/, 'its table was full');
is($out[1], "recv_fd full: $emfile", 'recv_fd with a full table: EMFILE');
is($out[2], 'recv_fd one free: content file 1',
   'one slot freed: the queued descriptor arrives');
is($out[3], "recv_fds full: $emfile", 'recv_fds with a full table: EMFILE');
is($out[4], "recv_fds one free: $emfile", 'one slot for three: still EMFILE');
is($out[5], 'recv_fds three free: file 2 file 3 file 4',
   'three slots: all three descriptors of the queued message arrive');

# A receiver waiting in recv_fds / recv_fd whose RLIMIT_NOFILE another
# process lowers (prlimit) to its lowest free slot, so that no slot is
# free below it; then the message arrives.  The call must fail with EMFILE
# and leave the message queued; once the limit is raised again, the next
# call gets every descriptor, the right files.
sub prlimit_nofile {
    my ($pid, $soft) = @_;
    return system('prlimit', "--pid=$pid", "--nofile=$soft:") == 0;
}

# The soft RLIMIT_NOFILE of a process, from /proc/PID/limits.
sub nofile_soft {
    my ($pid) = @_;
    open(my $l, '<', "/proc/$pid/limits") or return undef;
    while (<$l>) {
        return $1 if /^Max open files\s+(\d+)/;
    }
    return undef;
}

sub lowest_free_slot {
    my ($pid) = @_;
    opendir(my $d, "/proc/$pid/fd") or return undef;
    my %open = map { $_ => 1 } grep { /^\d+$/ } readdir $d;
    my $fd = 0;
    $fd++ while $open{$fd};
    return $fd;
}

# Whether the process sleeps (state S): the test's child does nothing else
# but wait in the receive once it said it is ready.
sub sleeping {
    my ($pid) = @_;
    open(my $st, '<', "/proc/$pid/stat") or return 0;
    my $line = <$st>;
    return $line =~ /\) S /;
}

SKIP: {
    skip 'no prlimit(1) to lower a limit from outside', 8
        unless system('prlimit --version >/dev/null 2>&1') == 0;
    skip 'no /proc/PID/stat', 8 unless -r "/proc/$$/stat";
    for my $call ('recv_fds', 'recv_fd') {
        my $n = $call eq 'recv_fds' ? 2 : 1;
        my @files = numbered_files("lowered-$call-", $n);
        my ($s, $r) = spipe() or die "spipe: $!";
        pipe(my $report_r, my $report_w) or die "pipe: $!";
        pipe(my $go_r, my $go_w) or die "pipe: $!";
        my $pid = run_child {
            close $s;
            close $report_r;
            close $go_w;
            alarm 20;
            syswrite($report_w, "ready\n");
            $! = 0;
            my @got = $call eq 'recv_fds' ? recv_fds($r, $n)
                    : (defined(my $fd = recv_fd($r)) ? (undef, $fd) : ());
            my $err = $! + 0;
            syswrite($report_w, "first: " . (@got ? 'got ' . (@got - 1) : $err) . "\n");
            sysread($go_r, my $go, 1) or return 0;
            @got = $call eq 'recv_fds' ? recv_fds($r, $n)
                 : (defined($fd = recv_fd($r)) ? (undef, $fd) : ());
            $err = $! + 0;
            shift @got;
            my @content = map { slurp_fd($_) } @got;
            chomp @content;
            syswrite($report_w, "second: " . (@got ? join(',', @content) : $err) . "\n");
            1;
        };
        close $r;
        close $report_w;
        close $go_r;
        my $ready = <$report_r>;
        my $slept = 0;
        for (1 .. 1000) {
            last if $slept = sleeping($pid) && sleeping($pid);
            select(undef, undef, undef, 0.01);
        }
        select(undef, undef, undef, 0.1);
        ok($ready && $slept, "$call: the receiver waits");
        my $old = nofile_soft($pid);
        my $soft = lowest_free_slot($pid);
        ok(defined $old && defined $soft && prlimit_nofile($pid, $soft),
           "$call: its RLIMIT_NOFILE lowered to its lowest free slot, "
           . (defined $soft ? $soft : 'unknown') . ", from outside");
        if ($call eq 'recv_fds') { send_fds($s, \@files) or die "send_fds: $!" }
        else { send_file($s, $files[0]) or die "send_file: $!" }
        my $first = <$report_r>;
        $first = "nothing\n" unless defined $first;
        chomp $first;
        is($first, 'first: ' . (EMFILE + 0),
           "$call: the message arrives while it waits: EMFILE");
        prlimit_nofile($pid, $old) if defined $old;
        syswrite($go_w, 'g');
        my $second = <$report_r>;
        $second = "nothing\n" unless defined $second;
        chomp $second;
        is($second, 'second: ' . join(',', map { "file $_" } 0 .. $n - 1),
           "$call: limit raised: the next call gets the queued message, "
           . "every descriptor, the right files");
        waitpid($pid, 0);
    }
}

done_testing;
