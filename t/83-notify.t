# Proves notify, fdstore and fdstore_remove against a service manager
# played here: a datagram socket bound at a path and at an abstract name,
# with SO_PASSCRED, that $NOTIFY_SOCKET names.  A child process sends;
# t/c/notify-mgr.c (t/lib/NotifyTest.pm) reads each datagram (its bytes, its descriptors and
# the credentials the kernel attached) and hands the descriptors on, and
# the test uses them: a stored pipe end carries data, a stored listener
# accepts.  Then every refusal: no manager configured ("0E0", nothing
# sent), addresses that are not sd_notify's, no manager there, bad
# descriptors, bad names, bad states; each with the descriptor table
# unchanged and nothing sent.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use NotifyTest;
use Errno qw(EAFNOSUPPORT EINVAL ENOENT ECONNREFUSED EBADF EMSGSIZE EAGAIN
             EWOULDBLOCK);
use Fcntl qw(S_IFIFO S_IFSOCK);
use POSIX ();
use Socket qw(AF_UNIX SOCK_DGRAM MSG_DONTWAIT pack_sockaddr_un);
use File::FDpasser qw(:all);

alarm 60;

my $dir = tmpdir();
my ($built, $why) = build_manager();
plan skip_all => "cannot build t/c/notify-mgr.c: $why" unless $built;
plan skip_all => 'notify needs the SCM_RIGHTS backend'
    unless File::FDpasser::_backend() eq 'scm_rights';

# Run $code in a child with NOTIFY_SOCKET set to $addr; the child passes
# when $code returns true and its descriptor table is as it was.
sub sender {
    my ($addr, $code) = @_;
    return run_child {
        $ENV{NOTIFY_SOCKET} = $addr;
        my $before = open_fds();
        my $ok = $code->();
        $ok && open_fds() == $before;
    };
}

my $gid = (split ' ', $()[0];
my $path = "$dir/notify";
my $abstract = "\@fdpass-notify-test-$$";
my %mgr = (path => manager($path), abstract => manager($abstract));
my %addr = (path => $path, abstract => $abstract);

for my $form (qw(path abstract)) {
    my $mgr = $mgr{$form};
    my $addr = $addr{$form};

    # A state alone.
    my $pid = sender($addr, sub { notify("READY=1\nSTATUS=serving") eq '1' });
    reap_ok($pid, "$form: notify READY=1 in a child");
    my ($i, @fds) = take($mgr);
    is($i->{data}, "READY=1\nSTATUS=serving", "$form: the state, byte for byte");
    is($i->{nfds}, 0, "$form: no descriptor");
    is($i->{pid}, $pid, "$form: the kernel's credentials name the sender's pid");
    is($i->{uid}, $<, "$form: ... its uid");
    is($i->{gid}, $gid, "$form: ... its gid");

    # The longest state systemd reads, 4096 bytes, goes whole.
    $pid = sender($addr, sub { notify('STATUS=' . ('y' x 4089)) eq '1' });
    reap_ok($pid, "$form: a state of 4096 bytes");
    ($i) = take($mgr);
    is(length($i->{data}), 4096, "$form: ... all of it arrived");

    # Descriptors with the state: a pipe end and a listener.
    pipe(my $pr, my $pw) or die "pipe: $!";
    my $lpath = "$dir/listener-$form";
    my $listener = endp_create($lpath) or die "endp_create: $!";
    $pid = sender($addr, sub {
        notify("FDSTORE=1\nFDNAME=web", fds => [$pw, $listener]) eq '1';
    });
    reap_ok($pid, "$form: notify with fds => [pipe, listener]");
    close $pw;
    close $listener;
    ($i, @fds) = take($mgr);
    is($i->{data}, "FDSTORE=1\nFDNAME=web", "$form: the state with the descriptors");
    is($i->{nfds}, 2, "$form: two descriptors in the same message");
    is($i->{types}, join(",", Fcntl::S_IFIFO() >> 12, Fcntl::S_IFSOCK() >> 12),
       "$form: a fifo and a socket, in order");
    is($i->{pid}, $pid, "$form: the sender's pid with them");
    SKIP: {
        skip 'no descriptors arrived', 2 unless @fds == 2;
        open(my $w, '>&=', $fds[0]) or die "fdopen: $!";
        syswrite($w, "through the store\n");
        close $w;
        is(scalar(<$pr>), "through the store\n", "$form: the stored pipe end carries data");
        my $c = endp_connect($lpath);
        my $l = recv_fh_from_fd($fds[1]);
        my $a = $c && serv_accept_fh($l);
        ok($a, "$form: the stored listener accepts") or diag("accept: $!");
    }
    close $pr;

    # fdstore with poll => 0, in the form systemd reads.
    pipe($pr, $pw) or die "pipe: $!";
    $pid = sender($addr, sub { fdstore('db', [$pr, $pw], poll => 0) eq '1' });
    reap_ok($pid, "$form: fdstore('db', [two], poll => 0)");
    ($i, @fds) = take($mgr);
    is($i->{data}, "FDSTORE=1\nFDNAME=db\nFDPOLL=0", "$form: FDSTORE=1, FDNAME=, FDPOLL=0");
    is($i->{nfds}, 2, "$form: fdstore's two descriptors");
    is($i->{pid}, $pid, "$form: fdstore's credentials");
    close_fds(@fds);

    $pid = sender($addr, sub { fdstore('db', [$pr]) eq '1' });
    reap_ok($pid, "$form: fdstore('db', [one])");
    ($i, @fds) = take($mgr);
    is($i->{data}, "FDSTORE=1\nFDNAME=db", "$form: no FDPOLL= by default");
    close_fds(@fds);

    $pid = sender($addr, sub { fdstore_remove('db') eq '1' });
    reap_ok($pid, "$form: fdstore_remove('db')");
    ($i, @fds) = take($mgr);
    is($i->{data}, "FDSTOREREMOVE=1\nFDNAME=db", "$form: FDSTOREREMOVE=1 with FDNAME=");
    is($i->{nfds}, 0, "$form: fdstore_remove sends no descriptor");
    is($i->{uid}, $<, "$form: fdstore_remove's credentials");
    close $pr;
    close $pw;

    # unset_env: NOTIFY_SOCKET gone afterwards, on success and on failure.
    $pid = sender($addr, sub {
        notify('WATCHDOG=1', unset_env => 1) eq '1'
            && !exists $ENV{NOTIFY_SOCKET}
            && notify('READY=1') eq '0E0';
    });
    reap_ok($pid, "$form: unset_env => 1 removes NOTIFY_SOCKET after sending");
    ($i) = take($mgr);
    is($i->{data}, 'WATCHDOG=1', "$form: ... and the message went");
    ok(nothing_queued($mgr), "$form: the call after it sent nothing");
}

# A full manager queue: notify waits, as sd_notify does, and sends once
# there is room; a signal meanwhile runs its Perl handler and the send is
# tried again.
{
    my $name = "\@fdpass-notify-full-$$";
    my $full = manager($name);
    socket(my $filler, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    my $to = pack_sockaddr_un("\0" . substr($name, 1));
    my $queued = 0;
    $queued++ while $queued < 100_000
        && defined send($filler, 'filler', MSG_DONTWAIT, $to);
    ok($queued > 0 && ($! == EAGAIN || $! == EWOULDBLOCK),
       "the manager's queue filled ($queued datagrams)");
    my $pid = run_child {
        my $handled = 0;
        local $SIG{USR1} = sub { $handled++ };
        $ENV{NOTIFY_SOCKET} = $name;
        my $r = notify('READY=1');
        defined $r && $r eq '1' && $handled == 1;
    };
    # Wait (bounded) until the child sleeps in the send.
    my $state = '';
    for (1 .. 500) {
        open(my $st, '<', "/proc/$pid/stat") or last;
        $state = (split ' ', (split /\)/, scalar <$st>)[-1])[0];
        last if $state eq 'S';
        select(undef, undef, undef, 0.01);
    }
    is(waitpid($pid, POSIX::WNOHANG()), 0, 'notify waits while the queue is full');
    kill 'USR1', $pid;
    my ($data, $n) = ('', 0);
    while ($n++ < $queued + 1) {
        defined recv($full, $data, 64, 0) or last;
        last if $data ne 'filler';
    }
    is($data, 'READY=1', 'its message arrives once there is room');
    reap_ok($pid, 'notify returned 1 after its signal handler ran once');
}

# A signal handler that dies while notify waits on a full queue: the
# exception propagates, nothing is sent or left open, and unset_env => 1
# still removes NOTIFY_SOCKET (sd_notify's unset_environment holds on
# every path: a program that catches the exception must not pass the
# variable on to what it starts next).
{
    my $name = "\@fdpass-notify-die-$$";
    my $full = manager($name);
    socket(my $filler, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    my $to = pack_sockaddr_un("\0" . substr($name, 1));
    my $queued = 0;
    $queued++ while $queued < 100_000
        && defined send($filler, 'filler', MSG_DONTWAIT, $to);
    my $pid = run_child {
        local $SIG{USR1} = sub { die "usr1\n" };
        my $hooks = 0;
        local $SIG{__DIE__} = sub { $hooks++ };
        $ENV{NOTIFY_SOCKET} = $name;
        pipe(my $r, my $w) or return 0;
        my $before = open_fds();
        my $ok = eval { notify('READY=1', fds => [$w], unset_env => 1); 1 };
        !$ok && $@ eq "usr1\n" && $hooks == 1 && !exists $ENV{NOTIFY_SOCKET}
            && open_fds() == $before;
    };
    my $state = '';
    for (1 .. 500) {
        open(my $st, '<', "/proc/$pid/stat") or last;
        $state = (split ' ', (split /\)/, scalar <$st>)[-1])[0];
        last if $state eq 'S';
        select(undef, undef, undef, 0.01);
    }
    is(waitpid($pid, POSIX::WNOHANG()), 0, 'notify waits on a full queue');
    kill 'USR1', $pid;
    reap_ok($pid, 'a handler that dies: its exception (a __DIE__ hook sees it once), '
            . 'nothing left open, NOTIFY_SOCKET removed all the same (unset_env => 1)');
    my ($data, $n) = ('', 0);
    while ($n++ < $queued + 1) {
        defined recv($full, $data, 64, MSG_DONTWAIT) or last;
        last if $data ne 'filler';
    }
    is($data, 'filler', '... and nothing but the fillers was sent');
}

# The credentials are the sender's own, not the manager's: as root, a
# sender that became another user.
SKIP: {
    skip 'needs root (a sender with another uid)', 4 if $> != 0;
    my $pid = run_child {
        POSIX::setgid(65534) or return 0;
        POSIX::setuid(65534) or return 0;
        $ENV{NOTIFY_SOCKET} = $abstract;
        notify('READY=1') eq '1';
    };
    reap_ok($pid, 'a sender that switched to uid and gid 65534');
    my ($i) = take($mgr{abstract});
    is($i->{pid}, $pid, 'its pid');
    is($i->{uid}, 65534, 'its uid, 65534');
    is($i->{gid}, 65534, 'its gid, 65534');
}

# Refusals, in this process: nothing sent, the table unchanged.
my $mgr = $mgr{path};
sub refused {
    my ($name, $addr, $code, $errno) = @_;
    local $ENV{NOTIFY_SOCKET} = $addr;
    delete $ENV{NOTIFY_SOCKET} unless defined $addr;
    my $before = open_fds();
    my $r = $code->();
    my $err = $! + 0;
    my $after = open_fds();
    ok(!defined $r, "$name: undef") or diag("got $r");
    is($err, $errno, "$name: errno " . ($! = $errno));
    is($after, $before, "$name: no descriptor left open");
    ok(nothing_queued($mgr), "$name: nothing sent");
}

for my $addr (undef, '') {
    my $what = defined $addr ? 'empty' : 'unset';
    local $ENV{NOTIFY_SOCKET} = $addr;
    delete $ENV{NOTIFY_SOCKET} unless defined $addr;
    my $before = open_fds();
    is(notify('READY=1'), '0E0', "NOTIFY_SOCKET $what: notify gives 0E0");
    is(notify('READY=1', fds => [\*STDIN]), '0E0', "... with fds too");
    is(fdstore('x', [\*STDIN]), '0E0', "... fdstore too");
    is(fdstore_remove('x'), '0E0', "... fdstore_remove too");
    ok(notify('READY=1') && notify('READY=1') == 0, '... which is true and numerically 0');
    is(open_fds(), $before, "NOTIFY_SOCKET $what: no socket left open");
    refused("NOTIFY_SOCKET $what, a bad descriptor", $addr,
            sub { notify('READY=1', fds => [99999]) }, EBADF);
    refused("NOTIFY_SOCKET $what, a bad name", $addr,
            sub { fdstore('a:b', [\*STDIN]) }, EINVAL);
}
ok(nothing_queued($mgr), 'no manager configured: nothing reached the manager');

my $stale = "$dir/stale";
{
    socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die;
    bind($s, pack_sockaddr_un($stale)) or die "bind: $!";
}
my %bad_addr = (
    'a relative path'   => ['run/notify', EAFNOSUPPORT],
    'a vsock address'   => ['vsock:2:1234', EAFNOSUPPORT],
    '"@" alone'         => ['@', EINVAL],
    'a path too long'   => ['/' . ('x' x 107), EINVAL],
    'an abstract name too long' => ['@' . ('x' x 107), EINVAL],
    'no such path'      => ["$dir/none/notify", ENOENT],
    'a socket nobody reads' => [$stale, ECONNREFUSED],
    'an abstract name nobody bound' => ["\@fdpass-nobody-$$", ECONNREFUSED],
);
for my $name (sort keys %bad_addr) {
    my ($addr, $errno) = @{ $bad_addr{$name} };
    refused("NOTIFY_SOCKET $name", $addr, sub { notify('READY=1') }, $errno);
    refused("NOTIFY_SOCKET $name, with descriptors", $addr,
            sub { fdstore('x', [\*STDIN, \*STDOUT]) }, $errno);
}
{
    # unset_env removes it on the failure path too, $! kept.
    local $ENV{NOTIFY_SOCKET} = 'relative';
    my $r = notify('READY=1', unset_env => 1);
    my $err = $! + 0;
    ok(!defined $r && $err == EAFNOSUPPORT && !exists $ENV{NOTIFY_SOCKET},
       'unset_env => 1 on a failure: NOTIFY_SOCKET removed, $! kept');
}

open(my $closed, '<', $0) or die;
my $closed_fd = fileno($closed);
close $closed;
my %bad_call = (
    'a descriptor not open' => [sub { notify('READY=1', fds => [$closed_fd]) }, EBADF],
    'a closed handle'       => [sub { fdstore('x', [\*STDIN, $closed]) }, EBADF],
    'a string for a handle' => [sub { fdstore('x', ['abc']) }, EBADF],
    'more than FDPASS_MAX'  => [sub { notify('A=1', fds => [(0) x (FDPASS_MAX + 1)]) }, EMSGSIZE],
    'a state of 4097 bytes' => [sub { notify('STATUS=' . ('x' x 4090)) }, EMSGSIZE],
    'an empty state'        => [sub { notify('') }, EINVAL],
    'an undef state'        => [sub { notify(undef) }, EINVAL],
    'a NUL in the state'    => [sub { notify("READY=1\0STATUS=x") }, EINVAL],
    'an empty name'         => [sub { fdstore('', [\*STDIN]) }, EINVAL],
    'an undef name'         => [sub { fdstore_remove(undef) }, EINVAL],
    'a name with a colon'   => [sub { fdstore('a:b', [\*STDIN]) }, EINVAL],
    'a name of 256 bytes'   => [sub { fdstore('x' x 256, [\*STDIN]) }, EINVAL],
    'a name with a tab'     => [sub { fdstore("a\tb", [\*STDIN]) }, EINVAL],
    'a name with a newline' => [sub { fdstore_remove("a\nFDSTORE=1") }, EINVAL],
    'a name with a DEL'     => [sub { fdstore("a\x7f", [\*STDIN]) }, EINVAL],
    'a name with a wide character' => [sub { fdstore("caf\x{e9}\x{263a}", [\*STDIN]) }, EINVAL],
    'a name with a Latin-1 byte'   => [sub { fdstore_remove("caf\xe9") }, EINVAL],
);
for my $name (sort keys %bad_call) {
    my ($code, $errno) = @{ $bad_call{$name} };
    refused($name, $path, $code, $errno);
}

# The edges of a good name and address: accepted.
{
    local $ENV{NOTIFY_SOCKET} = $path;
    is(fdstore('x' x 255, [\*STDIN]), 1, 'a name of 255 bytes is sent');
    my ($i, @fds) = take($mgr);
    is($i->{data}, "FDSTORE=1\nFDNAME=" . ('x' x 255), '... whole');
    close_fds(@fds);
    is(fdstore_remove(' !~;='), 1, 'a name of printable ASCII with spaces is sent');
    ($i) = take($mgr);
    is($i->{data}, "FDSTOREREMOVE=1\nFDNAME= !~;=", '... as it was');
    # A tied array's elements, fetched one by one.
    require Tie::Array;
    tie my @tied, 'Tie::StdArray';
    @tied = (\*STDIN, \*STDOUT);
    is(fdstore('tied', \@tied), 1, 'fdstore takes a tied array');
    ($i, @fds) = take($mgr);
    is($i->{nfds}, 2, '... with both its descriptors');
    close_fds(@fds);
    my $long = '@' . ('y' x 106);
    my $lmgr = manager($long);
    local $ENV{NOTIFY_SOCKET} = $long;
    is(notify('READY=1'), 1, 'an abstract name of 107 bytes with its @ is sent');
    ($i) = take($lmgr);
    is($i->{data}, 'READY=1', '... and arrives at that name');
}

# The POD's recipe for a sender that exits at once (sd_notify_barrier's
# BARRIER=1): the helper sends READY=1, then BARRIER=1 with a pipe's
# write end, closes its own copy and waits for end of file on the read
# end, which comes only once the manager has read the messages and closed
# the descriptor it got; so the helper is still there while the manager
# has not read them.
{
    my $mgr = $mgr{abstract};
    my $pid = run_child {
        $ENV{NOTIFY_SOCKET} = $abstract;
        notify('READY=1') or return 0;
        pipe(my $r, my $w) or return 0;
        notify('BARRIER=1', fds => [$w]) or return 0;
        close $w;
        my $in = '';
        vec($in, fileno $r, 1) = 1;
        select(my $ready = $in, undef, undef, 30) or return 0;
        my $got = sysread($r, my $buf, 1);
        defined $got && $got == 0;
    };
    # Both messages queued (bounded wait), then the helper still waits.
    my ($queued, $ready) = (0, 0);
    for (1 .. 3000) {
        my $buf;
        my $n = recv($mgr, $buf, 4096, MSG_DONTWAIT | Socket::MSG_PEEK());
        last if defined $n && $buf eq 'BARRIER=1' && ($queued = 1);
        if (defined $n && $buf eq 'READY=1') {
            my ($i) = take($mgr);
            is($i->{data}, 'READY=1', 'barrier: the state comes first');
            is($i->{pid}, $pid, '... from the helper');
            $ready = 1;
            next;
        }
        select(undef, undef, undef, 0.01);
    }
    ok($ready && $queued, 'barrier: BARRIER=1 queued behind it');
    is(waitpid($pid, POSIX::WNOHANG()), 0,
       '... and the helper waits while the manager has not read it');
    my ($i, @fds) = take($mgr);
    is($i->{data}, 'BARRIER=1', 'BARRIER=1 arrives');
    is($i->{nfds}, 1, '... with the one descriptor');
    is($i->{types}, Fcntl::S_IFIFO() >> 12, '... a pipe end');
    close_fds(@fds);
    reap_ok($pid, 'the helper saw end of file once the manager closed it, and exited');
}

# A full descriptor table: notify and fdstore need a socket of their own
# and fail with EMFILE, with nothing sent and nothing left open.
{
    my $pid = run_child {
        $ENV{NOTIFY_SOCKET} = $path;
        my $before = open_fds();
        my @fill;
        while (defined(my $fd = POSIX::open('/dev/null', POSIX::O_RDONLY()))) {
            push @fill, $fd;
            last if @fill > 100_000;
        }
        my $r1 = notify('READY=1', fds => [\*STDIN]);
        my $e1 = $! + 0;
        my $r2 = fdstore('full', [\*STDIN]);
        my $e2 = $! + 0;
        POSIX::close($_) for @fill;
        !defined $r1 && $e1 == Errno::EMFILE() && !defined $r2 && $e2 == Errno::EMFILE()
            && open_fds() == $before;
    };
    reap_ok($pid, 'a full table: notify and fdstore fail with EMFILE, nothing left open');
    ok(nothing_queued($mgr{path}), '... and nothing was sent');
}

# Programmer errors croak.
for ([sub { notify('A=1', fds => \*STDIN) }, qr/^File::FDpasser::notify: fds is not an ARRAY/],
     [sub { notify('A=1', fd => []) }, qr/^File::FDpasser::notify: unknown option 'fd'/],
     [sub { notify('A=1', 'fds') }, qr/^Usage: File::FDpasser::notify/],
     [sub { notify("STATUS=\x{263a}") }, qr/^File::FDpasser::notify: wide character in state/],
     [sub { fdstore('x', \*STDIN) }, qr/^File::FDpasser::fdstore: files is not an ARRAY/],
     [sub { fdstore('x') }, qr/^Usage: File::FDpasser::fdstore/],
     [sub { fdstore('x', [], pol => 0) }, qr/^File::FDpasser::fdstore: unknown option 'pol'/],
     [sub { fdstore_remove('x', 'y') }, qr/^Usage: File::FDpasser::fdstore_remove/]) {
    my ($code, $re) = @$_;
    local $ENV{NOTIFY_SOCKET} = $path;
    ok(!eval { $code->(); 1 } && $@ =~ $re, "croaks: $re") or diag($@);
}
ok(nothing_queued($mgr), 'no croak sent anything');

# A handle for a received descriptor number, for serv_accept_fh.
sub recv_fh_from_fd {
    my ($fd) = @_;
    open(my $fh, '+<&=', $fd) or die "fdopen $fd: $!";
    return $fh;
}

done_testing;
