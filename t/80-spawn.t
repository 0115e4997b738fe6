# Proves spawn between real processes, both ways of starting the child
# (the default, and via_fork): the swap and a three-way rotation, 3 .. 40
# at once, a listening socket handed over as descriptor 3 with
# LISTEN_FDS=1 that accepts a real connection, nonblocking seen in the
# child, unlisted descriptors absent in the child, chdir by path and by
# handle, env exactly as given and %ENV by default, ENOENT/EACCES/ENOTDIR
# and EBADF with no zombie left (the PATH searched is set here, as a
# user's PATH may hold a directory they cannot search, which gives
# EACCES as execvp does), targets at the descriptor limit's edge (INT_MAX
# and the limit fail with EBADF, limit - 1 works, alone and in a swap),
# and spawning from a thread.
use strict;
use warnings;
use Test::More;
use Config;
use Errno qw(ENOENT EACCES ENOTDIR EBADF);
use Fcntl ();
use IO::Socket::INET;
use POSIX ();
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(spawn);

alarm 120;
move_test_output_high();
my $dir = tmpdir();
my $bash = (grep { -x } '/bin/bash', '/usr/bin/bash')[0];
plan skip_all => 'no bash to run the child scripts' unless $bash;

sub wait_ok {
    my ($pid, $name) = @_;
    return fail("$name: spawn failed: $!") unless $pid;
    waitpid($pid, 0);
    is($? >> 8, 0, "$name: child exited 0");
}
sub no_zombie { POSIX::waitpid(-1, POSIX::WNOHANG()) <= 0 }

# A pipe whose write end is at number $n; returns the read end.
sub pipe_at {
    my ($n) = @_;
    pipe(my $r, my $w) or die;
    # The read end moves above the numbers under test first.
    my $high = fcntl($r, Fcntl::F_DUPFD(), 50) or die "F_DUPFD: $!";
    open(my $rh, '<&=', $high) or die;
    close $r;
    POSIX::dup2(fileno $w, $n) or die "dup2: $!";
    close $w unless fileno($w) == $n;
    return $rh;
}

for my $way ([default => ()], [via_fork => (via_fork => 1)]) {
    my ($name, @how) = @$way;

    # The swap.
    my ($r3, $r4) = (pipe_at(3), pipe_at(4));
    my $pid = spawn([$bash, '-c', 'echo three >&3; echo four >&4'],
                    fds => { 3 => 4, 4 => 3 }, @how);
    wait_ok($pid, "$name: swap");
    is(scalar(<$r4>), "three\n", "$name: what the child wrote to 3 reached old 4");
    is(scalar(<$r3>), "four\n", "$name: what it wrote to 4 reached old 3");
    POSIX::close($_) for 3, 4;

    # Three-way rotation.
    my @r = map { pipe_at($_) } 3 .. 5;
    $pid = spawn([$bash, '-c', 'echo a >&3; echo b >&4; echo c >&5'],
                 fds => { 3 => 4, 4 => 5, 5 => 3 }, @how);
    wait_ok($pid, "$name: rotation");
    is(join('', map { scalar readline($_) } @r[1, 2, 0]), "a\nb\nc\n",
       "$name: rotation placed each descriptor");
    POSIX::close($_) for 3 .. 5;

    # 3 .. 40, and unlisted descriptors absent.
    my (%fds, %read);
    for my $n (3 .. 40) {
        pipe(my $rd, my $wr) or die;
        $fds{$n} = $wr;
        $read{$n} = $rd;
    }
    open(my $unlisted, '<', $0) or die;
    my $u = fileno $unlisted;
    my $script = join('; ', map { "echo $_ >&$_ || exit 1" } 3 .. 40)
        . "; (: <&$u) 2>/dev/null && exit 2; exit 0";
    $pid = spawn([$bash, '-c', $script], fds => { map { $_ => $fds{$_} } 3 .. 40 }, @how);
    close $_ for values %fds;
    wait_ok($pid, "$name: 3 .. 40, with descriptor $u unlisted and absent");
    is(join(',', map { my $l = readline($read{$_}); chomp $l; $l } 3 .. 40),
       join(',', 3 .. 40), "$name: each of 3 .. 40 reached its own pipe");

    # A listening socket as descriptor 3, LISTEN_FDS style.
    my $ls = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, ReuseAddr => 1) or die;
    my $worker = q{
        use IO::Socket::INET;
        die "LISTEN_FDS" unless $ENV{LISTEN_FDS} == 1;
        my $l = IO::Socket::INET->new_from_fd(3, 'r') or die "fd 3: $!";
        my $c = $l->accept or die "accept: $!";
        my $line = <$c>;
        print $c "worker $$ got $line";
        close $c;
    };
    $pid = spawn([$^X, '-e', $worker], fds => { 3 => $ls },
                 env => { %ENV, LISTEN_FDS => 1 }, @how);
    ok($pid, "$name: worker started with the listening socket as 3");
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ls->sockport)
        or die "connect: $!";
    print $c "hello\n";
    $c->flush;
    like(scalar(<$c>), qr/^worker \d+ got hello$/, "$name: the worker accepted and answered");
    wait_ok($pid, "$name: worker");

    # nonblocking / blocking, as the child sees them.
    pipe(my $pr, my $pw) or die;
    my $check = q{ use Fcntl; open(my $h, '<&=', 3) or exit 3;
                   exit((fcntl($h, F_GETFL, 0) & O_NONBLOCK) ? 0 : 1) };
    $pid = spawn([$^X, '-e', $check], fds => { 3 => [$pr, 'nonblocking'] }, @how);
    wait_ok($pid, "$name: nonblocking seen in the child");
    $pid = spawn([$^X, '-e', $check], fds => { 3 => [$pr, 'blocking'] }, @how);
    waitpid($pid, 0);
    is($? >> 8, 1, "$name: blocking seen in the child");

    # chdir by path and by handle.
    mkdir "$dir/wd";
    my $real = Cwd::abs_path("$dir/wd");
    pipe(my $cr, my $cw) or die;
    $pid = spawn(['pwd', '-P'], fds => { 1 => $cw }, chdir => "$dir/wd", @how);
    wait_ok($pid, "$name: chdir by path");
    is(scalar(<$cr>), "$real\n", "$name: the child ran in the directory given");
    opendir(my $dh, "$dir/wd") or die;
    $pid = spawn(['pwd', '-P'], fds => { 1 => $cw }, chdir => $dh, @how);
    wait_ok($pid, "$name: chdir by directory handle");
    is(scalar(<$cr>), "$real\n", "$name: fchdir to the handle's directory");

    # env exactly as given, and %ENV by default.
    my $dump = q{print map { "$_=$ENV{$_}\n" } sort keys %ENV};
    $pid = spawn([$^X, '-e', $dump], fds => { 1 => $cw },
                 env => { ONE => 1, TWO => 'two words' }, @how);
    wait_ok($pid, "$name: env given");
    is(join('', scalar(<$cr>), scalar(<$cr>)), "ONE=1\nTWO=two words\n",
       "$name: exactly the environment given");
    {
        local $ENV{FDPASS_SPAWN_TEST} = 'seen';
        $pid = spawn([$^X, '-e', 'print "$ENV{FDPASS_SPAWN_TEST}\n"'],
                     fds => { 1 => $cw }, @how);
    }
    wait_ok($pid, "$name: default env");
    is(scalar(<$cr>), "seen\n", "$name: %ENV as Perl sees it now by default");
    close $cw;

    # Errors, each with no zombie left.
    $! = 0;
    ok(!defined spawn(["$dir/no-such-program"], @how) && $! == ENOENT,
       "$name: no such program: ENOENT");
    ok(no_zombie(), "$name: ... no zombie");
    mkdir "$dir/empty-path";
    mkdir "$dir/plain-path";
    {
        local $ENV{PATH} = "$dir/empty-path:$dir/no-such-dir";
        $! = 0;
        ok(!defined spawn(['fdpass-no-such-program-anywhere'], @how) && $! == ENOENT,
           "$name: not in PATH: ENOENT");
    }
    open(my $plain, '>', "$dir/plain") or die;
    close $plain;
    chmod 0644, "$dir/plain";
    {
        # execvp's rule: EACCES at one place in PATH wins over ENOENT at
        # a later one.
        open(my $p, '>', "$dir/plain-path/fdpass-plain-program") or die;
        close $p;
        local $ENV{PATH} = "$dir/plain-path:$dir/empty-path";
        $! = 0;
        ok(!defined spawn(['fdpass-plain-program'], @how) && $! == EACCES,
           "$name: not executable in PATH, absent later: EACCES");
        ok(no_zombie(), "$name: ... no zombie");
    }
    $! = 0;
    ok(!defined spawn(["$dir/plain"], @how) && $! == EACCES, "$name: not executable: EACCES");
    ok(no_zombie(), "$name: ... no zombie");
    $! = 0;
    ok(!defined spawn(['true'], chdir => "$dir/plain", @how) && $! == ENOTDIR,
       "$name: chdir to a file: ENOTDIR");
    ok(no_zombie(), "$name: ... no zombie");
    $! = 0;
    ok(!defined spawn(['true'], fds => { 3 => 999 }, @how) && $! == EBADF,
       "$name: a source that is not open: EBADF");
    $! = 0;
    ok(!defined spawn(['true'], fds => { 3 => 'nonsense' }, @how) && $! == EBADF,
       "$name: a source that is not a handle: EBADF");
    ok(no_zombie(), "$name: ... nothing was started");

    # The descriptor limit's edge.
    SKIP: {
        my $lim = POSIX::sysconf(POSIX::_SC_OPEN_MAX());
        skip 'no descriptor limit below 2**31 - 1', 7
            unless defined $lim && $lim > 64 && $lim < 0x7fffffff;
        my $top = $lim - 1;
        pipe(my $er, my $ew) or die;
        $! = 0;
        ok(!defined spawn(['true'], fds => { 0x7fffffff => $ew }, @how) && $! == EBADF,
           "$name: target 2**31 - 1: EBADF") or diag("\$! = $!");
        $! = 0;
        ok(!defined spawn(['true'], fds => { $lim => $ew }, @how) && $! == EBADF,
           "$name: target at the limit ($lim): EBADF") or diag("\$! = $!");
        ok(no_zombie(), "$name: ... nothing was started");
        my $say = 'for (@ARGV) { my ($fd, $text) = split /=/; '
                . 'open(my $h, ">&=", $fd) or exit 3; print $h "$text\n" or exit 4; '
                . 'close $h or exit 5 }';
        $pid = spawn([$^X, '-e', $say, "$top=edge"], fds => { $top => $ew }, @how);
        close $ew;
        wait_ok($pid, "$name: target limit - 1 ($top)");
        is(scalar(<$er>), "edge\n", "$name: ... the child wrote through it");
        close $er;
        # A swap of 3 and limit - 1 needs the temporary below the targets.
        my ($r3, $rtop) = (pipe_at(3), pipe_at($top));
        $pid = spawn([$^X, '-e', $say, '3=to-3', "$top=to-top"],
                     fds => { 3 => $top, $top => 3 }, @how);
        POSIX::close($_) for 3, $top;    # the reads below end, whatever happened
        wait_ok($pid, "$name: swap of 3 and limit - 1");
        is(join('', map { defined ? $_ : '' } scalar(<$rtop>), scalar(<$r3>)),
           "to-3\nto-top\n", "$name: ... each reached the other's file");
    }
}

# Misuse croaks.
eval { spawn('true') };
like($@, qr/^Usage: File::FDpasser::spawn/, 'argv not an array: croak');
eval { spawn(['true'], fds => { x => 1 }) };
like($@, qr/^File::FDpasser::spawn: target 'x'/, 'a target that is not a number: croak');
# Digits of another script match \d, and numify to 0: never stdin.
my $kid = eval { spawn(['true'], fds => { "\x{663}" => 1 }) };
like($@, qr/^File::FDpasser::spawn: target '/,
     'a target of ARABIC-INDIC DIGIT THREE: croak (it is not 3, nor 0)');
waitpid($kid, 0) if $kid;
eval { spawn(['true'], fds => { 3 => [0, 'sideways'] }) };
like($@, qr/^File::FDpasser::spawn: unknown blocking mode/, 'unknown blocking mode: croak');
eval { spawn(['true'], colour => 1) };
like($@, qr/^File::FDpasser::spawn: unknown option 'colour'/, 'unknown option: croak');

SKIP: {
    skip 'this perl has no ithreads', 2 unless $Config{useithreads};
    require threads;
    pipe(my $tr, my $tw) or die;
    my $thr = threads->create(sub {
        my $pid = spawn([$^X, '-e', 'print "from the thread\n"'], fds => { 1 => $tw });
        waitpid($pid, 0) if $pid;
        return $pid ? $? : -1;
    });
    is($thr->join, 0, 'spawn from a thread: the child ran');
    close $tw;
    is(scalar(<$tr>), "from the thread\n", 'its output came through the descriptor placed');
}

done_testing;
