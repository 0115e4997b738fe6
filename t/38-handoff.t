# Proves handoff_give and handoff_take between real processes: a TCP
# listener, a UNIX stream and a SEQPACKET endpoint, named, with metadata,
# go to a freshly started perl that serves a client on each; the old
# side's call returns only once the successor acknowledged (the test
# plays the successor by the wire and holds back its acknowledgement);
# 300 pipes (more than FDPASS_MAX) go in batches, in order, close-on-exec;
# metadata of every form (none, empty, 64 KiB, a hash) arrives as sent;
# a successor that dies or never acknowledges leaves the old side with an
# error and its listener, which still serves; hostile old sides (garbage,
# counts that do not add up, a batch cut short, more descriptors than
# announced, a hang, a refusal) make the taker fail with the documented
# $! and leave its descriptor count as it was; a caller's alarm handler
# that dies ends either call, which cleans up.  The cases with two uids
# need root (a child drops to 65534).
use strict;
use warnings;
use Test::More;
use Errno qw(EPROTO ETIMEDOUT EACCES ECONNRESET EPIPE ENOENT ECONNREFUSED
             EMSGSIZE EBADF);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Time::HiRes ();
use Socket ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 90;
my $dir = tmpdir();
my $creds = File::FDpasser::_features() =~ /\bpeer_cred\b/;
my $n = 0;
sub path { "$dir/h" . ++$n }

# The wire, for the parts the test plays by hand.
sub header { "FDPASSER-HANDOFF/1 $_[0] $_[1] - 0\n" }
sub batch  { my $l = join('', map { "$_\n" } @_); 'batch ' . @_ . ' ' . length($l) . "\n$l" }

# --- Listeners to a successor that serves on them ---------------------------

{
    my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
    my $upath = path();
    my $unix = endp_create($upath, mode => 0600) or die "endp_create: $!";
    my $spath = path();
    my $seq = endp_create($spath, mode => 0600, type => 'seqpacket')
        or die "endp_create seqpacket: $!";
    my $ctl = path();
    my $successor = <<'EOF';
use strict; use warnings;
use File::FDpasser qw(handoff_take);
alarm 30;
$| = 1;
my @l = handoff_take($ARGV[0], meta => \my $meta, timeout => 20)
    or die "handoff_take: $!\n";
my %l = @l;
print "names ", join(' ', map { $l[2 * $_] } 0 .. $#l / 2), "\n";
print "classes ", join(' ', map { ref $l{$_} } sort keys %l), "\n";
print "meta ", join(' ', map { "$_=$meta->{$_}" } sort keys %$meta), "\n";
for my $name (sort keys %l) {
    accept(my $c, $l{$name}) or die "accept $name: $!\n";
    syswrite($c, "new $$ $name\n");
    close $c;
}
print "served\n";
EOF
    my $pid = open(my $out, '-|', $^X, '-Mblib', '-e', $successor, $ctl)
        // die "cannot start the successor: $!";
    my $ok = handoff_give($ctl, [tcp => $tcp, unix => $unix, 'seq packet' => $seq],
                          meta => { generation => 7, from => $$ }, timeout => 20);
    my $err = $! + 0;
    ok($ok, 'handoff_give: true once the successor held the listeners')
        or diag("handoff_give: $!");
    ok(!-e $ctl, 'the endpoint it made at the path is gone');
    ok(defined fileno($tcp) && defined fileno($unix) && defined fileno($seq),
       'the old side still has its listeners');
    my %lines = map { /^(\w+) ?(.*)$/ ? ($1 => $2) : () } map { scalar <$out> } 1 .. 3;
    is($lines{names}, 'tcp unix seq packet', 'the names arrived, in order');
    is($lines{classes}, 'IO::Socket::UNIX IO::Socket::INET IO::Socket::UNIX',
       'as handles of the class their family calls for');
    is($lines{meta}, "from=$$ generation=7", 'the metadata arrived');
    # The old side accepts nothing: whoever answers is the successor.
    # All three connect first (the successor accepts in its own order).
    my %c = (tcp => IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $tcp->sockport),
             unix => endp_connect($upath),
             'seq packet' => endp_connect($spath, type => 'seqpacket'));
    my %answer;
    sysread($c{$_} // die("connect $_: $!"), $answer{$_}, 100) for sort keys %c;
    for (sort keys %answer) {
        is($answer{$_}, "new $pid $_\n", "a client on '$_' was answered by the successor");
    }
    is(scalar <$out>, "served\n", 'the successor served all three');
    close $out;
    is($?, 0, 'the successor exited cleanly');
}

# --- The old side returns only after the successor acknowledged -----------

{
    my $ctl = path();
    pipe(my $rep, my $rep_w) or die;
    my $giver = run_child {
        close $rep;
        my @pipes = map { pipe(my $r, my $w) or die; ($r, $w) } 1 .. 3;
        my $ok = handoff_give($ctl, [a => $pipes[0], b => $pipes[2], c => $pipes[4]],
                              meta => 'plain', timeout => 20);
        syswrite($rep_w, $ok ? "true\n" : "false $!\n");
        1;
    };
    close $rep_w;
    my $c;
    for (1 .. 200) {
        last if $c = endp_connect($ctl);
        select(undef, undef, undef, 0.05);
    }
    ok($c, 'connected to the old side');
    my ($buf, @fds) = ('');
    for (1 .. 10) {
        my ($data, @got) = recv_fds($c);
        last unless defined $data;
        $buf .= $data;
        push @fds, @got;
        last if @fds == 3;
    }
    is($buf, header(3, 1) =~ s/- 0/s 5/r . 'plain' . batch(qw(a b c)),
       'the wire: header, metadata and the batch, as THE WIRE says');
    is(scalar(@fds), 3, 'with its three descriptors');
    my $rin = '';
    vec($rin, fileno($rep), 1) = 1;
    is(select(my $rout = $rin, undef, undef, 0), 0,
       'the successor holds everything and has not acknowledged: handoff_give has not returned');
    send_fds($c, [], "held 3\n") or die "ack: $!";
    is(scalar <$rep>, "true\n", 'after the acknowledgement it returns true');
    close_fds(@fds);
    reap_ok($giver, 'the old side');
}

# --- More than FDPASS_MAX, in batches -------------------------------------

{
    my $ctl = path();
    my $count = 300;
    my $giver = run_child {
        my (@list, @w);
        for my $i (1 .. $count) {
            pipe(my $r, my $w) or die "pipe: $!";
            syswrite($w, "pipe $i\n");
            push @list, "p$i" => $r;
            push @w, $w;
        }
        handoff_give($ctl, \@list, timeout => 20);
    };
    my $before = open_fds();
    my @l;
    for (1 .. 200) {
        @l = handoff_take($ctl, timeout => 20);
        last if @l || ($! != ENOENT && $! != ECONNREFUSED);
        select(undef, undef, undef, 0.05);
    }
    is(scalar(@l), 2 * $count, "$count pipes taken (FDPASS_MAX is " . FDPASS_MAX . ')')
        or diag("handoff_take: $!");
    my $bad = grep { $l[2 * $_] ne 'p' . ($_ + 1) || ref $l[2 * $_ + 1] ne 'IO::Handle'
                     || readline($l[2 * $_ + 1]) ne 'pipe ' . ($_ + 1) . "\n" } 0 .. $count - 1;
    is($bad, 0, 'each under its name, in order, an IO::Handle on its own pipe');
    ok(!survives_exec(fileno $l[-1]), 'close-on-exec');
    is(open_fds(), $before + $count, 'one descriptor each, nothing more');
    reap_ok($giver, 'the old side (its handoff_give returned true)');
    close $_ for map { $l[2 * $_ + 1] } 0 .. $count - 1;
}

# --- Metadata of every form ----------------------------------------------

for my $meta (undef, '', {}, 'x' x 65536, { '' => '', "k\n" => "v\0\n", wide => "\xe9" }) {
    my $ctl = path();
    my $ls = endp_create($ctl, mode => 0600) or die;
    my $giver = run_child {
        pipe(my $r, my $w) or die;
        handoff_give($ls, [p => $r], meta => $meta, timeout => 20);
    };
    close $ls;
    my @l = handoff_take($ctl, meta => \my $got, timeout => 20);
    my $what = !defined $meta ? 'none' : ref $meta ? 'a hash of ' . keys(%$meta)
             : 'a string of ' . length($meta) . ' bytes';
    ok(@l == 2, "metadata $what: taken") or diag("handoff_take: $!");
    is_deeply($got, $meta, "metadata $what: arrived as sent");
    reap_ok($giver, "metadata $what: the old side");
}
ok(!eval { handoff_give(path(), [p => \*STDIN], meta => 'x' x 65537); 1 }
   && $@ =~ /^File::FDpasser::handoff_give: meta is longer/, 'metadata over 65536 bytes croaks');

# --- Successors that fail: the old side keeps serving ---------------------

# The old side still serves on $tcp: a client connects, we answer.
sub still_serves {
    my ($tcp) = @_;
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tcp->sockport)
        or return 0;
    accept(my $s, $tcp) or return 0;
    syswrite($s, "old $$\n");
    close $s;
    return scalar(<$c>) eq "old $$\n";
}

for my $case (['dies after the first message', sub { POSIX::_exit(0) }],
              ['never acknowledges', sub { sleep 30 }]) {
    my ($what, $then) = @$case;
    my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
    my $ctl = path();
    my $ls = endp_create($ctl, mode => 0600) or die;
    my $taker = run_child {
        my $c = endp_connect($ctl) or die "connect: $!";
        my ($data, @fds) = recv_fds($c);
        $then->();
        1;
    };
    my $ok = handoff_give($ls, [tcp => $tcp], timeout => 2);
    my $err = $! + 0;
    ok(!$ok, "a successor that $what: handoff_give fails");
    if ($what =~ /dies/) {
        ok($err == ECONNRESET || $err == EPIPE, '... with ECONNRESET or EPIPE')
            or diag("\$! = $err");
    } else {
        is($err, ETIMEDOUT, '... with ETIMEDOUT');
    }
    ok(still_serves($tcp), '... and the old side still serves on its listener');
    kill 'KILL', $taker;
    waitpid($taker, 0);
}

{
    my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
    my $ctl = path();
    ok(!handoff_give($ctl, [tcp => $tcp], timeout => 0.3), 'nobody comes: false');
    is($! + 0, ETIMEDOUT, '... with ETIMEDOUT');
    ok(!-e $ctl, '... and the endpoint it made is gone');
    open(my $closed, '<', '/dev/null') or die;
    close $closed;
    ok(!handoff_give($ctl, [tcp => $tcp, x => $closed], timeout => 5), 'a closed handle: false');
    is($! + 0, EBADF, '... with EBADF, before waiting');
    ok(still_serves($tcp), 'the listener still serves');
}

# --- Hostile old sides -----------------------------------------------------

# An old side played by hand: a forked child accepts on a fresh endpoint
# and runs $code with the connection and some pipes to send; the test
# takes and must fail with $want, its descriptor count unchanged.
sub hostile {
    my ($what, $want, $code, $timeout) = @_;
    my $ctl = path();
    my $ls = endp_create($ctl, mode => 0600) or die "endp_create: $!";
    my $pid = run_child {
        my $c = serv_accept_fh($ls) or die "accept: $!";
        my @p = map { pipe(my $r, my $w) or die; $r } 1 .. 6;
        $code->($c, @p);
        sleep 30;
        1;
    };
    close $ls;
    my $before = open_fds();
    my @l = handoff_take($ctl, timeout => $timeout || 10);
    my $err = $! + 0;
    ok(!@l, "$what: handoff_take fails");
    is($err, $want, "... with \$! = " . ($! = $want)) or diag("got $err: " . ($! = $err));
    is(open_fds(), $before, '... and every descriptor it received is closed');
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

hostile('garbage', EPROTO, sub { send_fds($_[0], [$_[1]], "GET / HTTP/1.0\r\n\r\n") });
hostile('another version', EPROTO,
        sub { send_fds($_[0], [$_[1]], "FDPASSER-HANDOFF/2 1 1 - 0\n" . batch('a')) });
hostile('a count the batches fall short of', EPROTO,
        sub { send_fds($_[0], [@_[1, 2]], header(3, 1) . batch(qw(a b))) });
hostile('a batch larger than the count', EPROTO,
        sub { send_fds($_[0], [@_[1, 2]], header(1, 1) . batch(qw(a b))) });
hostile('a batch with fewer descriptors than names', EPROTO,
        sub { send_fds($_[0], [$_[1]], header(2, 1) . batch(qw(a b))) });
hostile('a bad name', EPROTO,
        sub { send_fds($_[0], [$_[1]], header(1, 1) . batch('a:b')) });
hostile('a batch cut short, then the connection closed', EPROTO, sub {
    send_fds($_[0], [@_[1, 2]], header(2, 1) . substr(batch(qw(a b)), 0, -2));
    POSIX::_exit(0);
});
hostile('more descriptors than announced', EPROTO, sub {
    send_fds($_[0], [$_[1]], header(2, 2) . batch('a'));
    send_fds($_[0], [@_[2 .. 5]], batch('b'));
});
hostile('more descriptors than announced, in the same message', EPROTO,
        sub { send_fds($_[0], [@_[1 .. 4]], header(2, 1) . batch(qw(a b))) });
hostile('bytes left over', EPROTO,
        sub { send_fds($_[0], [$_[1]], header(1, 1) . batch('a') . "x") });
hostile('a hang in the middle', ETIMEDOUT,
        sub { send_fds($_[0], [$_[1]], header(2, 2) . batch('a')) }, 1);
hostile('silence', ETIMEDOUT, sub { }, 0.5);
hostile('a close before anything', ECONNRESET, sub { POSIX::_exit(0) });
hostile('a refusal', EACCES, sub { send_fds($_[0], [], "FDPASSER-HANDOFF/1 refused\n") });
hostile('more listeners than max', EMSGSIZE,
        sub { send_fds($_[0], [$_[1]], header(2000, 8)) });

hostile('a count past 32 bits', EPROTO,
        sub { send_fds($_[0], [$_[1]], header(4294967297, 1) . batch('a')) });
hostile('a metadata length past what comes', EPROTO, sub {
    send_fds($_[0], [$_[1]], "FDPASSER-HANDOFF/1 1 1 s 65536\nabc");
    POSIX::_exit(0);
});
hostile('hash metadata whose lengths run past it', EPROTO, sub {
    my $m = "3 70000\nkeyv";
    send_fds($_[0], [$_[1]], "FDPASSER-HANDOFF/1 1 1 h " . length($m) . "\n$m" . batch('a'));
});
hostile('2**31 listeners announced', EPROTO,
        sub { send_fds($_[0], [$_[1]], header(2147483648, 1)) });
# An old side that trickles a byte at a time, never finishing: the time
# limit bounds the whole call, not each read.
hostile('a trickle, a byte every 50 ms', ETIMEDOUT, sub {
    my $m = header(2, 1) . batch(qw(a b));
    for my $i (0 .. length($m) - 2) {
        send_fds($_[0], $i ? [] : [@_[1, 2]], substr($m, $i, 1)) or last;
        Time::HiRes::sleep(0.05);
    }
}, 1);

# The taker's table made full while it waits (prlimit on the waiting
# process): the next batch fails with EMFILE, what came before is closed.
# The taker is a child of its own, so the limit goes with it.
SKIP: {
    skip 'needs prlimit (util-linux)', 3
        unless system('prlimit --version >/dev/null 2>&1') == 0;
    my $ctl = path();
    my $ls = endp_create($ctl, mode => 0600) or die;
    pipe(my $rep, my $rep_w) or die;
    my $taker = run_child {
        close $rep;
        my $before = open_fds();
        my @l = handoff_take($ctl, timeout => 20);
        my $err = $! + 0;
        syswrite($rep_w, join(' ', scalar(@l), $err, $before, open_fds()) . "\n");
        1;
    };
    close $rep_w;
    my $c = serv_accept_fh($ls) or die "accept: $!";
    close $ls;
    # Room for one descriptor more: the lowest free number is the last.
    opendir(my $d, "/proc/$taker/fd") or die "/proc/$taker/fd: $!";
    my %open = map { $_ => 1 } grep { /\A[0-9]+\z/ } readdir $d;
    closedir $d;
    my $free = 0;
    $free++ while $open{$free};
    my $lim = $free + 1;
    system('prlimit', "--pid=$taker", "--nofile=$lim:$lim") == 0 or die "prlimit failed";
    my @p = map { pipe(my $r, my $w) or die; $r } 1 .. 2;
    send_fds($c, [$p[0]], header(2, 2) . batch("a")) or die "send: $!";
    send_fds($c, [$p[1]], batch("b"));    # fails once the taker gave up
    my $got = <$rep>;
    my ($took, $err, $b, $a) = split ' ', $got // '';
    is($took, 0, 'a table made full while handoff_take waits: it fails');
    is($err, POSIX::EMFILE(), '... with EMFILE');
    is($a, $b, '... and the descriptor it had received is closed');
    close $c;
    reap_ok($taker, 'the taker');
}

# The caller's alarm: a handler that dies ends the wait; the exception
# propagates, and what the call took or made is gone.
{
    my $ctl = path();
    my $ls = endp_create($ctl, mode => 0600) or die;
    my $pid = run_child {
        my $c = serv_accept_fh($ls) or die;
        my @p = map { pipe(my $r, my $w) or die; $r } 1 .. 2;
        send_fds($c, [$p[0]], header(2, 2) . batch('a'));
        sleep 30;
        1;
    };
    close $ls;
    my $before = open_fds();
    my @l = eval {
        local $SIG{ALRM} = sub { die "alarm\n" };
        alarm 1;
        handoff_take($ctl, timeout => 20);
    };
    alarm 90;
    is($@, "alarm\n", "handoff_take: a dying alarm handler's exception propagates");
    is(open_fds(), $before, '... and what it received is closed');
    kill 'KILL', $pid;
    waitpid($pid, 0);

    my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
    $ctl = path();
    $before = open_fds();
    my $ok = eval {
        local $SIG{ALRM} = sub { die "alarm\n" };
        alarm 1;
        handoff_give($ctl, [tcp => $tcp], timeout => 20);
    };
    alarm 90;
    is($@, "alarm\n", "handoff_give: a dying alarm handler's exception propagates");
    ok(!-e $ctl, '... the endpoint it made is gone');
    is(open_fds(), $before, '... closed too');
    ok(still_serves($tcp), '... and the listener serves');
}

{
    my $before = open_fds();
    my @l = handoff_take(path(), timeout => 1);
    ok(!@l, 'nobody there: fails');
    is($! + 0, ENOENT, '... with ENOENT');
    is(open_fds(), $before, '... nothing left open');
}

# --- Misuse ------------------------------------------------------------------

for (['give: no listeners', sub { handoff_give(path(), []) }],
     ['give: odd list', sub { handoff_give(path(), [a => \*STDIN, 'b']) }],
     ['give: bad name', sub { handoff_give(path(), ['a:b' => \*STDIN]) }],
     ['give: unknown option', sub { handoff_give(path(), [a => \*STDIN], bogus => 1) }],
     ['give: meta not a string', sub { handoff_give(path(), [a => \*STDIN], meta => [1]) }],
     ['give: bad timeout', sub { handoff_give(path(), [a => \*STDIN], timeout => -1) }],
     ['take: scalar context', sub { my $x = handoff_take(path()) }],
     ['take: meta not a reference', sub { my @x = handoff_take(path(), meta => 1) }]) {
    my ($what, $code) = @$_;
    ok(!eval { $code->(); 1 } && $@ =~ /^File::FDpasser::handoff_(?:give|take)/,
       "$what croaks") or diag($@);
}

# --- Two uids ----------------------------------------------------------------

SKIP: {
    skip 'needs root: two uids (a child drops to 65534)', 15 + 3 * !!$creds unless $> == 0;
    chmod 0711, $dir or die;
    my $two = "$dir/two";
    mkdir $two, 01777 or die;
    chmod 01777, $two or die;

    # A successor of uid 65534 at an endpoint anyone may reach; the old
    # side wants its own uid, 0.
    for my $give_uid (undef, 65534) {
        my $ctl = "$two/c" . ++$n;
        my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
        my $ls = endp_create($ctl, mode => 0666) or die;
        pipe(my $rep, my $rep_w) or die;
        my $taker = run_child {
            become(65534);
            my @l = handoff_take($ctl, uid => 0, timeout => 10);
            syswrite($rep_w, @l ? "took $l[0]\n" : 'failed ' . ($! + 0) . "\n");
            1;
        };
        close $rep_w;
        my $ok = handoff_give($ls, [tcp => $tcp], timeout => 2,
                              defined $give_uid ? (uid => $give_uid) : ());
        my $err = $! + 0;
        my $got = <$rep>;
        if (!defined $give_uid) {
            ok(!$ok, 'a successor of another uid: handoff_give does not hand over');
            if ($creds) {
                is($err, ETIMEDOUT, '... refuses it and waits for another (ETIMEDOUT)');
                is($got, 'failed ' . EACCES . "\n", '... and the successor is told: EACCES');
            } else {
                # No credentials: the endpoint's owner and mode are the check.
                ok($err == ECONNRESET || $err == EPIPE, '... (no credentials: the taker refuses)');
                is($got, 'failed ' . EACCES . "\n", '... the successor fails with EACCES');
            }
            ok(still_serves($tcp), '... and the old side still serves');
        } elsif ($creds) {
            ok($ok, 'uid => 65534: handed over to that uid');
            is($got, "took tcp\n", '... which took the listener');
        } else {
            ok(!$ok, 'uid => 65534 without credentials: the taker cannot check, refuses');
            is($got, 'failed ' . EACCES . "\n", '... with EACCES');
        }
        reap_ok($taker, 'the successor');
    }

    # Many peers of another uid at once, connected and silent, never
    # reading: each is refused without a wait, and the successor that
    # comes after them gets the listener in time.
    if ($creds) {
        my $ctl = "$two/c" . ++$n;
        my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
        my $ls = endp_create($ctl, mode => 0666) or die;
        pipe(my $rep, my $rep_w) or die;
        my $strangers = run_child {
            close $rep;
            become(65534);
            my @c = map { endp_connect($ctl) or die "connect: $!" } 1 .. 40;
            syswrite($rep_w, "in\n");
            sleep 30;
            1;
        };
        close $rep_w;
        <$rep>;    # all forty are queued
        my $taker = run_child {
            my @l = handoff_take($ctl, timeout => 10);
            @l == 2 && $l[0] eq 'tcp';
        };
        my $before = open_fds();
        my $ok = handoff_give($ls, [tcp => $tcp], timeout => 10);
        my $err = $! + 0;
        ok($ok, 'forty silent peers of another uid, then the successor: handed over')
            or diag("\$! = " . ($! = $err));
        is(open_fds(), $before, '... no connection of theirs left open');
        reap_ok($taker, '... the successor took it');
        kill 'KILL', $strangers;
        waitpid($strangers, 0);
    }

    # A symlink another user put at the path first: handoff_give fails,
    # neither following it nor removing it.
    {
        my $ctl = "$two/c" . ++$n;
        my $target = "$two/target$n";
        my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 5) or die $!;
        my $pid = run_child { become(65534); symlink($target, $ctl) };
        reap_ok($pid, 'another user made a symlink at the path');
        my $before = open_fds();
        my $ok = handoff_give($ctl, [tcp => $tcp], timeout => 1);
        ok(!$ok, 'a symlink of another user at the path: handoff_give fails');
        ok(-l $ctl && readlink($ctl) eq $target, '... leaves the symlink as it was');
        ok(!-e $target && !-l $target, '... makes nothing where it points');
        is(open_fds(), $before, '... and leaves nothing open');
    }

    # An old side of uid 65534: a root successor refuses it.
    my $ctl = "$two/c" . ++$n;
    pipe(my $go, my $go_w) or die;
    my $giver = run_child {
        close $go;
        become(65534);
        my $ls = endp_create($ctl, mode => 0666) or die "endp_create: $!";
        close $go_w;
        pipe(my $r, my $w) or die;
        handoff_give($ls, [p => $r], uid => 0, timeout => 3);
        1;
    };
    close $go_w;
    <$go>;    # the endpoint is there
    my $before = open_fds();
    my @l = handoff_take($ctl, timeout => 10);
    is($! + 0, EACCES, 'an old side of another uid: handoff_take fails with EACCES');
    is(open_fds(), $before, '... nothing left open');
    kill 'KILL', $giver;
    waitpid($giver, 0);
}

done_testing;
