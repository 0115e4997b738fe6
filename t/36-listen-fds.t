# Proves listen_fds, the receiving side of socket activation, between real
# processes with real inherited descriptors.  Programs started by spawn
# (through sh, which sets LISTEN_PID to the pid the program runs as, as a
# supervisor does) take a TCP, an IPv6, a UNIX stream, a UNIX seqpacket
# and a UDP socket, a pipe and a file in append mode at 3 .. 9: names,
# classes, numbers, close-on-exec seen by a fresh exec, the variables
# consumed (or kept with unset_env => 0), and a real client served through
# each (accept on the stream ones).  Then the rules: once per process
# (a second call, the same process with the variables set again), a
# forked child given listeners of its own takes them, another process's
# LISTEN_PID leaves everything alone; every hostile value (signs, spaces,
# 0x, digits of other scripts, counts past the table and past INT_MAX
# that wrap to small numbers in 32 or 64 bits, LISTEN_PID of 0, negative,
# with junk, wrapped; names with control bytes, non-ASCII, DEL, too long,
# a count that differs; a hole in the range) gives the documented $! with
# no descriptor changed, closed or opened (each one's flags in
# /proc/self/fdinfo compared before and after) and the variables removed;
# misuse croaks before anything is touched.
use strict;
use warnings;
use Test::More;
use Errno qw(EINVAL EBADF ENOTSOCK);
use Fcntl ();
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_SEQPACKET SOCK_DGRAM);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(listen_fds spawn);

plan skip_all => 'needs /proc/self/fdinfo to see descriptor flags'
    unless -r '/proc/self/fdinfo/0';
plan skip_all => 'socket activation has no Windows form'
    if File::FDpasser::_backend() eq 'win32';

alarm 120;
move_test_output_high();
my $dir = tmpdir();
my @inc = map { "-I$_" } grep { !ref } @INC;
my $sh = (grep { -x } '/bin/sh', '/usr/bin/sh')[0] or die 'no sh';
# 3 .. 9 are kept for the listeners of the second part: this test's own
# handles go above them (placeholders take whichever are free).
my @low;
while (open(my $h, '<', '/dev/null')) {
    last if fileno $h > 9;
    push @low, $h;
}

# The flags of every open descriptor of this process, from fdinfo: a
# descriptor closed, opened or given close-on-exec changes the string.
# Read with POSIX's raw calls: a PerlIO open would take a number that a
# test closed under a Perl handle, and PerlIO would then keep it open.
my $state_code = q{
    use POSIX ();
    sub fd_state {
        opendir(my $d, '/proc/self/fd') or die "fd: $!";
        my @fds = sort { $a <=> $b } grep { /^\d+$/ } readdir $d;
        closedir $d;
        my @s;
        for my $fd (@fds) {
            my $i = POSIX::open("/proc/self/fdinfo/$fd", POSIX::O_RDONLY()) or next;
            POSIX::read($i, my $info, 4096);
            POSIX::close($i);
            my ($fl) = $info =~ /^flags:\s*([0-7]+)/m or next;
            push @s, "$fd:$fl";
        }
        return join(' ', @s);
    }
};
eval $state_code;
die $@ if $@;

# ---------------------------------------------------------------------
# Programs started as a supervisor starts them.

my $tcp = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                LocalPort => 0, ReuseAddr => 1) or die "tcp: $!";
my $v6 = eval {
    require IO::Socket::IP;
    IO::Socket::IP->new(Listen => 5, LocalHost => '::1', LocalPort => 0)
};
my $unix = IO::Socket::UNIX->new(Local => "$dir/stream", Listen => 5)
    or die "unix: $!";
my $seq = IO::Socket::UNIX->new(Type => SOCK_SEQPACKET, Local => "$dir/seq",
                                Listen => 5) or die "seqpacket: $!";
my $udp = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
                                LocalPort => 0) or die "udp: $!";
pipe(my $pipe_r, my $pipe_w) or die;
open(my $log, '>>', "$dir/log") or die;

# The program: takes its listeners, reports them, serves one client on
# each.  Its first argument is listen_fds's options, e.g. "unset_env=0".
my $server = $state_code . q{
    use strict;
    use warnings;
    use FDPassTest qw(survives_exec);
    use File::FDpasser qw(listen_fds);
    my @opt = map { split /=/ } grep { length } shift @ARGV;
    my $before = fd_state();
    $! = 5;
    my @l = listen_fds(@opt);
    my $err = $! + 0;
    print "err $err\n";
    print "env ", join(',', map { defined $ENV{$_} ? "$_=$ENV{$_}" : () }
                       qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)), "\n";
    my @fh = @l;
    while (my ($name, $h) = splice(@l, 0, 2)) {
        my $fd = fileno($h);
        print "fh $name ", ref($h), " $fd ",
              (survives_exec($fd) ? 'inherited' : 'cloexec'), "\n";
    }
    # A second call, the variables set again when they were consumed.
    $ENV{LISTEN_PID} = $$;
    $ENV{LISTEN_FDS} = 1;
    $! = 5;
    my @again = listen_fds();
    print "again ", scalar(@again), " ", $! + 0, "\n";
    STDOUT->flush;
    while (my ($name, $h) = splice(@fh, 0, 2)) {
        if ($name eq 'pipe') {
            my $line = <$h>;
            print "pipe said $line";
        } elsif ($name eq 'log') {
            print $h "written by $$ through the log handle\n" or die "log: $!";
            close $h or die "log: $!";
        } elsif ($name eq 'udp') {
            my $peer = $h->recv(my $buf, 100) or die "udp recv: $!";
            $h->send("$name got $buf", 0, $peer) or die "udp send: $!";
        } else {
            my $c = $h->accept or die "accept on $name: $!";
            print $c "served by $name\n";
            close $c;
        }
        STDOUT->flush;
    }
    1;
};

# Start the server as sh would be started by a supervisor: sh sets
# LISTEN_PID to its own pid and execs perl, which keeps that pid.
sub start_server {
    my ($fds, $env, $opt) = @_;
    pipe(my $out_r, my $out_w) or die;
    my $pid = spawn([$sh, '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh',
                     $^X, @inc, '-e', $server, $opt || ''],
                    fds => { %$fds, 1 => $out_w }, env => { %ENV, %$env });
    die "spawn: $!" unless $pid;
    close $out_w;
    return ($pid, $out_r);
}

sub read_report {
    my ($out) = @_;
    my %r = (fh => []);
    while (my $line = <$out>) {
        chomp $line;
        my ($k, $v) = split / /, $line, 2;
        if ($k eq 'fh') { push @{ $r{fh} }, $v }
        else { $r{$k} = $v }
        last if $k eq 'again';
    }
    return \%r;
}

{
    my @names = qw(web ctl seq udp pipe log);
    my %fds = (3 => $tcp, 4 => $unix, 5 => $seq, 6 => $udp, 7 => $pipe_r, 8 => $log);
    my @class = qw(IO::Socket::INET IO::Socket::UNIX IO::Socket::UNIX
                   IO::Socket::INET IO::Handle IO::Handle);
    if ($v6) {
        push @names, 'v6';
        $fds{9} = $v6;
        push @class, 'IO::Socket::IP';
    }
    my ($pid, $out) = start_server(\%fds, {
        LISTEN_FDS => scalar(@names), LISTEN_FDNAMES => join(':', @names),
    });
    my $r = read_report($out);
    is($r->{err}, 0, 'server: $! is 0 after taking its listeners');
    is($r->{env}, '', 'server: LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES consumed');
    is_deeply($r->{fh}, [ map { "$names[$_] $class[$_] " . ($_ + 3) . ' cloexec' } 0 .. $#names ],
              'server: each name, class and number as placed, close-on-exec across exec');
    is($r->{again}, '0 0', 'server: a second call takes nothing, $! 0');

    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tcp->sockport)
        or die "connect: $!";
    is(scalar(<$c>), "served by web\n", 'TCP listener: accept served a client');
    $c = IO::Socket::UNIX->new(Peer => "$dir/stream") or die "connect: $!";
    is(scalar(<$c>), "served by ctl\n", 'UNIX stream listener: accept served a client');
    $c = IO::Socket::UNIX->new(Type => SOCK_SEQPACKET, Peer => "$dir/seq")
        or die "connect: $!";
    $c->recv(my $msg, 100);
    is($msg, "served by seq\n", 'UNIX seqpacket listener: accept served a client');
    my $u = IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1',
                                  PeerPort => $udp->sockport) or die;
    $u->send('ping') or die;
    $u->recv($msg, 100);
    is($msg, 'udp got ping', 'UDP socket: a datagram answered');
    print $pipe_w "through the pipe\n";
    $pipe_w->flush;
    is(scalar(<$out>), "pipe said through the pipe\n", 'pipe: read through its handle');
    SKIP: {
        skip 'no IPv6 loopback (::1)', 1 unless $v6;
        $c = IO::Socket::IP->new(PeerHost => '::1', PeerPort => $v6->sockport)
            or die "connect: $!";
        is(scalar(<$c>), "served by v6\n", 'IPv6 listener: accept served a client');
    }
    waitpid($pid, 0);
    is($?, 0, 'server exited 0');
    open(my $lr, '<', "$dir/log") or die;
    is(scalar(<$lr>), "written by $pid through the log handle\n",
       'file in append mode: written through its handle');
}

# unset_env => 0 keeps the variables; no LISTEN_FDNAMES names each unknown.
{
    my ($pid, $out) = start_server({ 3 => $tcp, 4 => $unix }, { LISTEN_FDS => 2 },
                                   'unset_env=0');
    my $r = read_report($out);
    is($r->{err}, 0, 'unset_env => 0: $! is 0');
    like($r->{env}, qr/^LISTEN_PID=$pid,LISTEN_FDS=2$/, 'unset_env => 0: the variables kept');
    is_deeply($r->{fh}, [ 'unknown IO::Socket::INET 3 cloexec', 'unknown IO::Socket::UNIX 4 cloexec' ],
              'no LISTEN_FDNAMES: every listener named unknown');
    is($r->{again}, '0 0', 'unset_env => 0: still taken once only');
    for ([ 'web', IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tcp->sockport) ],
         [ 'ctl', IO::Socket::UNIX->new(Peer => "$dir/stream") ]) {
        my ($what, $c) = @$_;
        is(scalar(<$c>), "served by unknown\n", "unset_env => 0: $what listener served a client");
    }
    waitpid($pid, 0);
    is($?, 0, 'unset_env => 0: server exited 0');
}

# LISTEN_PID of another process: nothing taken, nothing changed, the
# variables still removed.
{
    my $probe = $state_code . q{
        use File::FDpasser qw(listen_fds);
        my $before = fd_state();
        $! = 5;
        my @l = listen_fds();
        my $err = $! + 0;
        print join('|', scalar(@l), $err, $before eq fd_state() ? 'same' : 'changed',
                   join(',', grep { exists $ENV{$_} } qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES))), "\n";
    };
    pipe(my $out_r, my $out_w) or die;
    my $pid = spawn([$^X, @inc, '-e', $probe], fds => { 3 => $tcp, 1 => $out_w },
                    env => { %ENV, LISTEN_PID => getppid(), LISTEN_FDS => 1 });
    close $out_w;
    is(scalar(<$out_r>), "0|0|same|\n",
       "another process's LISTEN_PID: nothing taken, \$! 0, nothing changed, variables removed");
    waitpid($pid, 0);
}

# ---------------------------------------------------------------------
# The rules and every hostile value, each in a process of its own forked
# from here, with a TCP listener at 3 and a UNIX one at 4 inherited as a
# supervisor leaves them (not close-on-exec).

POSIX::dup2(fileno $tcp, 3) or die "dup2: $!";
POSIX::dup2(fileno $unix, 4) or die "dup2: $!";

# Run listen_fds in a child with %ENV set from %$env ('{PID}' is the
# child's pid; undef deletes), after $setup->(); returns what it saw:
# (number of values returned, $!, 'same' or the descriptor states
# before/after, the variables left, the names/classes/numbers).
sub attempt {
    my ($env, %o) = @_;
    pipe(my $r, my $w) or die;
    my $pid = run_child {
        close $r;
        # 5 .. 9 closed: the placeholders through Perl (a raw close would
        # leave PerlIO counting the number as its own, and it would then
        # never close what a later open put there), anything else raw.
        close $_ for grep { fileno($_) >= 5 } @low;
        POSIX::close($_) for 5 .. 9;
        $o{setup}->() if $o{setup};
        no warnings 'utf8';    # a wide character set in %ENV on purpose
        for my $k (sort keys %$env) {
            if (defined $env->{$k}) { ($ENV{$k} = $env->{$k}) =~ s/\{PID\}/$$/g }
            else { delete $ENV{$k} }
        }
        my $before = fd_state();
        $! = 5;
        my @l = listen_fds(@{ $o{opt} || [] });
        my $err = $! + 0;
        my $after = fd_state();
        my $left = join(',', grep { exists $ENV{$_} } qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES));
        my @fh;
        while (my ($n, $h) = splice(@l, 0, 2)) { push @fh, "$n=" . ref($h) . '@' . fileno($h) }
        my $rest = $o{after} ? $o{after}->() : '';
        print $w join('|', scalar(@fh), $err,
                      $before eq $after ? 'same' : "before $before after $after",
                      $left, join(',', @fh), $rest), "\n";
        close $w;
        1;
    };
    close $w;
    my $line = <$r>;
    waitpid($pid, 0);
    $line = "child died ($?)\n" unless defined $line;
    chomp $line;
    return $line;
}

# Refused: the empty list, $! as given, nothing changed, the variables
# gone.
sub refused {
    my ($env, $errno, $name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $want = join('|', 0, $errno + 0, 'same', '', '', '');
    is(attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 2, %$env }, %o), $want, $name);
}

my $two = 'web=IO::Socket::INET@3,ctl=IO::Socket::UNIX@4';
{
    my $line = attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 2, LISTEN_FDNAMES => 'web:ctl' });
    my @f = split /\|/, $line, -1;
    is("$f[0]|$f[1]|$f[3]|$f[4]", "2|0||$two", 'forked child, LISTEN_PID its own: takes 3 and 4 by name')
        or diag $line;
    # Before and after, with O_CLOEXEC (as fdinfo shows it) added to 3 and
    # 4 only.
    my ($before, $after) = $f[2] =~ /^before (.*) after (.*)$/ or diag $line;
    my %want = map { split /:/ } split / /, $before || '';
    $want{$_} = sprintf('0%o', oct($want{$_}) | 02000000) for 3, 4;
    is($after, join(' ', map { "$_:$want{$_}" } sort { $a <=> $b } keys %want),
       '... and the one change to any descriptor is close-on-exec on 3 and 4');
}

# Nothing passed: $! 0, nothing touched.
for ([ {}, 'no variables' ],
     [ { LISTEN_FDS => 2 }, 'LISTEN_FDS without LISTEN_PID' ],
     [ { LISTEN_PID => '{PID}' }, 'LISTEN_PID without LISTEN_FDS' ],
     [ { LISTEN_PID => '{PID}', LISTEN_FDS => 0 }, 'LISTEN_FDS=0' ],
     [ { LISTEN_PID => '{PID}', LISTEN_FDS => '000' }, 'LISTEN_FDS=000' ],
     [ { LISTEN_PID => 1, LISTEN_FDS => 2 }, 'LISTEN_PID of another process (1)' ],
     [ { LISTEN_PID => '{PID}1', LISTEN_FDS => 2 }, 'LISTEN_PID of another process (ours with a digit more)' ],
     [ { LISTEN_PID => 4294967296, LISTEN_FDS => 2 }, 'LISTEN_PID 2**32 (0 in 32 bits)' ],
     [ { LISTEN_PID => 'WRAP32', LISTEN_FDS => 2 }, 'LISTEN_PID that is ours modulo 2**32' ],
     [ { LISTEN_PID => 'WRAP64', LISTEN_FDS => 2 }, 'LISTEN_PID that is ours modulo 2**64' ],
     [ { LISTEN_PID => 1, LISTEN_FDS => '+2x' }, "another process's LISTEN_PID: LISTEN_FDS not looked at" ]) {
    my ($env, $name) = @$_;
    my %e = (LISTEN_PID => undef, LISTEN_FDS => undef, LISTEN_FDNAMES => undef, %$env);
    my $setup;
    if (defined $e{LISTEN_PID} && $e{LISTEN_PID} =~ /^WRAP(\d+)$/) {
        my $bits = $1;
        delete $e{LISTEN_PID};
        # Set in the child: its pid plus 2**bits, written out in full.
        $setup = sub {
            my $big = $bits == 32 ? 4294967296 + $$
                                  : do { require Math::BigInt; Math::BigInt->new(2)->bpow(64)->badd($$)->bstr };
            $ENV{LISTEN_PID} = $big;
        };
    }
    is(attempt(\%e, setup => $setup), '0|0|same|||', "nothing passed: $name");
}

# Refused values: EINVAL.
for my $v ('+2', ' 2', '2 ', "2\n", '0x2', '-2', '', 'two', '2.0', '1e1', '2a',
           "\x{662}", "\xd9\xa2", "2\0") {
    (my $show = $v) =~ s/([^\x21-\x7e])/sprintf('\\x{%x}', ord $1)/ge;
    refused({ LISTEN_FDS => $v }, EINVAL, "LISTEN_FDS '$show': EINVAL");
}
for my $v ('0', '000', '-{PID}', '+{PID}', ' {PID}', '{PID} ', "{PID}\n", '{PID}x',
           '0x{PID}', '', 'self') {
    (my $show = $v) =~ s/([^\x21-\x7e])/sprintf('\\x{%x}', ord $1)/ge;
    refused({ LISTEN_PID => $v }, EINVAL, "LISTEN_PID '$show': EINVAL");
}
{
    my @f = split /\|/, attempt({ LISTEN_PID => '000{PID}', LISTEN_FDS => '0002' }), -1;
    is("$f[0]|$f[1]|$f[4]", '2|0|unknown=IO::Socket::INET@3,unknown=IO::Socket::UNIX@4',
       'leading zeros are still decimal: LISTEN_PID 000<pid>, LISTEN_FDS 0002');
}
for my $v ("a\tb:c", "a:\x01", "web:caf\xc3\xa9", "web:\x7f", "web:\x{e9}", 'web',
           'web:ctl:more', '', '::', 'x' x 256 . ':ctl', "web:ctl\n") {
    (my $show = $v) =~ s/([^\x21-\x7e])/sprintf('\\x{%x}', ord $1)/ge;
    $show = 'x' x 10 . '...(256 bytes):ctl' if length $show > 200;
    refused({ LISTEN_FDNAMES => $v }, EINVAL, "LISTEN_FDNAMES '$show': EINVAL");
}
{
    my @f = split /\|/, attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 2,
                                  LISTEN_FDNAMES => 'x' x 255 . ':' }), -1;
    is("$f[0]|$f[1]|$f[4]", '2|0|' . 'x' x 255 . '=IO::Socket::INET@3,=IO::Socket::UNIX@4',
       'a name of 255 bytes and an empty name are valid');
    @f = split /\|/, attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 2,
                               LISTEN_FDNAMES => ' !~:a b' }), -1;
    is("$f[0]|$f[1]|$f[4]", '2|0| !~=IO::Socket::INET@3,a b=IO::Socket::UNIX@4',
       'names of printable ASCII, spaces included, are valid');
}

# Counts that name descriptors that are not open: EBADF, nothing changed.
for my $v (3, 1000, 65536, 2147483644, 2147483645, 2147483647, 2147483648,
           4294967298, 4294967299, '18446744073709551618', '9' x 100) {
    refused({ LISTEN_FDS => $v }, EBADF, "LISTEN_FDS $v past the open descriptors: EBADF");
}
refused({ LISTEN_FDS => 3 }, EBADF, 'a hole (4 closed, 3 and 5 open): EBADF, 3 and 5 unchanged',
        setup => sub { POSIX::dup2(3, 5) or die; POSIX::close(4) });
refused({ LISTEN_FDS => 2 }, EBADF, 'only 3 open: EBADF',
        setup => sub { POSIX::close(4) });

# A regular file at 3: taken, as a handle in its own mode.
{
    open(my $f, '<', $0) or die;
    my @f = split /\|/, attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 1 },
        setup => sub { POSIX::dup2(fileno $f, 3) or die },
        after => sub { open(my $h, '<&=', 3) or return 'no'; my $l = <$h>; chomp $l; $l }), -1;
    is("$f[0]|$f[1]|$f[4]|$f[5]", "1|0|unknown=IO::Handle\@3|# Proves listen_fds, the receiving side of socket activation, between real",
       'a regular file at 3: an IO::Handle that reads it');
}

# A full table in a fresh perl: the socket classes were loaded with the
# module, and taking listeners needs no new descriptor, so listen_fds
# takes them (once the classes were loaded by the first call: a full
# table made the load fail after the variables were gone, and 3 and 4
# stayed open with no handle for good).
{
    my $code = $state_code . q{
        use File::FDpasser qw(listen_fds);
        @ENV{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)} = ($$, 2, 'web:ctl');
        my $loaded = exists $INC{'IO/Socket/INET.pm'} ? 'loaded' : 'not-loaded';
        my $before = fd_state();
        my @fill;
        while (defined(my $fd = POSIX::open('/dev/null', POSIX::O_RDONLY()))) {
            push @fill, $fd;
            last if @fill > 100_000;
        }
        $! = 0;
        my @l = listen_fds();
        my $err = $! + 0;
        POSIX::close($_) for @fill;
        my $after = fd_state();
        my $env = join(',', grep { exists $ENV{$_} } qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES));
        my @again = listen_fds();
        my @fh;
        while (my ($n, $h) = splice(@again, 0, 2)) { push @fh, "$n=" . ref($h) . '@' . fileno($h) }
        print join('|', $loaded, scalar(@l), $err, $before eq $after ? 'same' : 'changed',
                   $env, join(',', @fh)), "\n";
    };
    open(my $out, '-|', $^X, @inc, '-e', $code) or die "perl: $!";
    my $line = <$out>;
    close $out;
    $line = "no report ($?)" unless defined $line;
    chomp $line;
    is($line, join('|', 'loaded', 4, 0, 'changed', '', ''),
       'a full table: the classes loaded with the module, both listeners taken '
       . '(close-on-exec set), the variables consumed, a second call gives nothing');
}

# Once per process; a forked child is a process of its own.
{
    my @f = split /\|/, attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 2 },
        opt => [ unset_env => 0 ],
        after => sub {
            $! = 5;
            my @again = listen_fds();
            my $r = scalar(@again) . '/' . ($! + 0)
                . '/' . (exists $ENV{LISTEN_PID} ? 'kept' : 'gone');
            # A child forked now, given a listener of its own at 3.
            pipe(my $cr, my $cw) or die;
            my $pid = fork;
            if (!$pid) {
                my $mine = IO::Socket::UNIX->new(Local => "$dir/own-$$", Listen => 1) or POSIX::_exit(3);
                POSIX::dup2(fileno $mine, 3) or POSIX::_exit(4);
                @ENV{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)} = ($$, 1, 'own');
                my @l = listen_fds();
                my $ok = @l == 2 && $l[0] eq 'own' && fileno($l[1]) == 3
                    && $l[1]->hostpath eq "$dir/own-$$";
                print $cw $ok ? "child-took-own\n" : 'child-refused:' . scalar(@l) . ":$!\n";
                close $cw;
                POSIX::_exit(0);
            }
            close $cw;
            # One line, not the end of file: PerlIO may count a number
            # that was closed under it as still its own (see above), so
            # closing $cw here need not close it.
            my $child = <$cr>;
            chomp $child;
            waitpid($pid, 0);
            return "$r/$child";
        });
    is("$f[0]|$f[1]|$f[3]|$f[5]", '2|0|LISTEN_PID,LISTEN_FDS|0/0/gone/child-took-own',
       'once per process: a second call takes nothing ($! 0) and removes the variables; '
       . 'a forked child takes listeners given to it');
}
{
    # The forked child of a process that kept its variables: LISTEN_PID
    # names the parent, so the child takes nothing.
    my @f = split /\|/, attempt({ LISTEN_PID => '{PID}', LISTEN_FDS => 2 },
        opt => [ unset_env => 0 ],
        after => sub {
            pipe(my $cr, my $cw) or die;
            my $pid = fork;
            if (!$pid) {
                $! = 5;
                my @l = listen_fds();
                print $cw scalar(@l) . '/' . ($! + 0) . "\n";
                close $cw;
                POSIX::_exit(0);
            }
            close $cw;
            # One line, not the end of file: PerlIO may count a number
            # that was closed under it as still its own (see above), so
            # closing $cw here need not close it.
            my $child = <$cr>;
            chomp $child;
            waitpid($pid, 0);
            return $child;
        });
    is("$f[0]|$f[1]|$f[5]", '2|0|0/0', "a forked child with its parent's variables takes nothing");
}

# systemd 258's LISTEN_PIDFDID: the inode of a pidfd on the process the
# listeners are for (pidfs, Linux 6.9).  Ours, read here with
# pidfd_open (434 on every Linux architecture but alpha) and stat,
# independently of the module: taken; another: nothing, as for another
# pid; not a number: EINVAL.  Where the build or the system has no
# pidfd identity (make fallback-test, an older kernel), LISTEN_PID alone
# decides: any number is accepted.
{
    my $has_id = defined File::FDpasser::_pidfd_id_self();
    my $own = sub {
        my ($delta) = @_;
        return sub {
            my $ino = 123456789;
            if ($has_id) {
                my $fd = syscall(434, $$, 0);
                die "pidfd_open: $!" if $fd < 0;
                $ino = (stat "/proc/self/fd/$fd")[1];
                POSIX::close($fd);
            }
            $ENV{LISTEN_PIDFDID} = $delta eq 'zeros' ? "000$ino" : $ino + $delta;
        };
    };
    my $gone = sub { exists $ENV{LISTEN_PIDFDID} ? 'kept' : 'gone' };
    my %e = (LISTEN_PID => '{PID}', LISTEN_FDS => 2, LISTEN_FDNAMES => 'web:ctl');
    my @f = split /\|/, attempt(\%e, setup => $own->(0), after => $gone), -1;
    is("$f[0]|$f[1]|$f[4]|$f[5]", "2|0|$two|gone", 'LISTEN_PIDFDID ours: taken, the variable consumed')
        or diag "@f";
    @f = split /\|/, attempt(\%e, setup => $own->('zeros'), after => $gone), -1;
    is("$f[0]|$f[1]|$f[4]", "2|0|$two", 'LISTEN_PIDFDID ours with leading zeros: taken');
    @f = split /\|/, attempt(\%e, setup => $own->(1), after => $gone), -1;
    if ($has_id) {
        is("$f[0]|$f[1]|$f[2]|$f[3]|$f[5]", '0|0|same||gone',
           'LISTEN_PIDFDID of another process (a reused pid): nothing taken or changed, the variables consumed');
    } else {
        is("$f[0]|$f[1]|$f[4]|$f[5]", "2|0|$two|gone",
           'no pidfd identity here: LISTEN_PID alone decides, any LISTEN_PIDFDID number accepted');
    }
    for my $v ('x1', '-1') {
        @f = split /\|/, attempt(\%e, setup => sub { $ENV{LISTEN_PIDFDID} = $v }, after => $gone), -1;
        is("$f[0]|$f[1]|$f[2]|$f[5]", '0|' . EINVAL . '|same|gone', "LISTEN_PIDFDID '$v': EINVAL, nothing changed");
    }
}

# ---------------------------------------------------------------------
# Server::Starter's SERVER_STARTER_PORT ("NAME=FD;..."), read by the same
# call when no systemd listeners were passed: 3 and 4 as start_server
# leaves them.
{
    my $ss = 'SERVER_STARTER_PORT';
    my $left = sub { exists $ENV{$ss} ? "kept $ENV{$ss}" : 'gone' };
    my @f = split /\|/, attempt({ $ss => '127.0.0.1:8080=3;/run/a=b.sock=04' }, after => $left), -1;
    is("$f[0]|$f[1]|$f[4]|$f[5]",
       '2|0|127.0.0.1:8080=IO::Socket::INET@3,/run/a=b.sock=IO::Socket::UNIX@4|gone',
       'SERVER_STARTER_PORT: both taken, named as given (the last "=" ends a name), the variable consumed')
        or diag "@f";
    my ($before, $after) = $f[2] =~ /^before (.*) after (.*)$/ or diag "@f";
    my %want = map { split /:/ } split / /, $before || '';
    $want{$_} = sprintf('0%o', oct($want{$_}) | 02000000) for 3, 4;
    is($after, join(' ', map { "$_:$want{$_}" } sort { $a <=> $b } keys %want),
       '... and the one change to any descriptor is close-on-exec on 3 and 4');

    @f = split /\|/, attempt({ $ss => '8080=3', LISTEN_PID => '{PID}', LISTEN_FDS => 1,
                               LISTEN_FDNAMES => 'web' }, after => $left), -1;
    is("$f[0]|$f[1]|$f[4]|$f[5]", '1|0|web=IO::Socket::INET@3|gone',
       "systemd's listeners first; SERVER_STARTER_PORT consumed unread");
    @f = split /\|/, attempt({ $ss => '8080=3' }, opt => [ unset_env => 0 ], after => $left), -1;
    is("$f[0]|$f[1]|$f[4]|$f[5]", '1|0|8080=IO::Socket::INET@3|kept 8080=3',
       'unset_env => 0 keeps SERVER_STARTER_PORT');
    # A child forked (no exec) from a process that took them and kept the
    # variable: the descriptors it inherited are already its parent's
    # handles, which it has too, so it takes nothing (no second handle).
    @f = split /\|/, attempt({ $ss => '8080=3' }, opt => [ unset_env => 0 ], after => sub {
        pipe(my $cr, my $cw) or die;
        my $pid = fork;
        if (!$pid) {
            $! = 5;
            my @l = listen_fds();
            print $cw scalar(@l) . '/' . ($! + 0) . "\n";
            close $cw;
            POSIX::_exit(0);
        }
        close $cw;
        my $child = <$cr>;
        chomp $child;
        waitpid($pid, 0);
        return $child;
    }), -1;
    is("$f[0]|$f[1]|$f[4]|$f[5]", '1|0|8080=IO::Socket::INET@3|0/0',
       'SERVER_STARTER_PORT kept: a forked child of the process that took it takes nothing');
    @f = split /\|/, attempt({ $ss => '8080=3' }, opt => [ from => 'systemd' ], after => $left), -1;
    is("$f[0]|$f[1]|$f[2]|$f[4]|$f[5]", '0|0|same||kept 8080=3',
       "from => 'systemd': SERVER_STARTER_PORT neither read nor removed");
    @f = split /\|/, attempt({ $ss => '8080=3', LISTEN_PID => '{PID}', LISTEN_FDS => 2 },
                             opt => [ from => 'server_starter' ], after => $left), -1;
    is("$f[0]|$f[1]|$f[3]|$f[4]", '1|0|LISTEN_PID,LISTEN_FDS|8080=IO::Socket::INET@3',
       "from => 'server_starter': LISTEN_* neither read nor removed");
    @f = split /\|/, attempt({ $ss => 'u5353=5' }, setup => sub {
        my $u = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1') or die;
        POSIX::dup2(fileno $u, 5) or die;
    }), -1;
    is("$f[0]|$f[1]|$f[4]", '1|0|u5353=IO::Socket::INET@5', 'a UDP socket (start_server --port=u...)');
    @f = split /\|/, attempt({ $ss => '8080=3', LISTEN_PID => '{PID}', LISTEN_FDS => '+2' }), -1;
    is("$f[0]|$f[1]|$f[2]", '0|' . EINVAL . '|same', "bad LISTEN_FDS: its EINVAL, no fallback");

    my %refused = (
        'a trailing ;'       => ['8080=3;', EINVAL],
        'an empty entry'     => ['8080=3;;/run/a=4', EINVAL],
        'no name'            => ['=3', EINVAL],
        'no number'          => ['8080=', EINVAL],
        'no ='               => ['8080', EINVAL],
        'a sign'             => ['8080=+3', EINVAL],
        'a negative number'  => ['8080=-3', EINVAL],
        'junk after'         => ['8080=3x', EINVAL],
        'a space'            => ['8080= 3', EINVAL],
        'a digit of another script' => ["8080=\x{663}", EINVAL],
        'a descriptor twice' => ['8080=3;other=003', EINVAL],
        'not open'           => ['8080=3;other=9', EBADF],
        'past INT_MAX'       => ['8080=2147483648', EBADF],
        'wraps to 3 in 32 bits' => ['8080=4294967299', EBADF],
        'many digits'        => ['8080=' . '9' x 40, EBADF],
        'a pipe'             => ['8080=3;p=5', ENOTSOCK, sub { pipe(my $r, my $w) or die; POSIX::dup2(fileno $r, 5) or die }],
        'a connected socket' => ['8080=3;c=5', EINVAL, sub {
            socketpair(my $x, my $y, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or die;
            POSIX::dup2(fileno $x, 5) or die }],
    );
    for my $name (sort keys %refused) {
        my ($v, $errno, $setup) = @{ $refused{$name} };
        is(attempt({ $ss => $v }, setup => $setup, after => $left), join('|', 0, $errno + 0, 'same', '', '', 'gone'),
           "SERVER_STARTER_PORT, $name: " . ($! = $errno) . ', nothing changed, the variable consumed');
    }
}

# A tied %ENV whose FETCH dies (here for SERVER_STARTER_PORT, read after
# the LISTEN_* variables): every variable is read before anything is
# removed, loaded or taken, so the exception leaves the descriptors and
# the variables as they were, and a call without the failing FETCH then
# takes the listeners (before, LISTEN_* were removed and 3 and 4 taken
# and then closed with the dropped handles).
{
    pipe(my $r, my $w) or die;
    my $pid = run_child {
        close $r;
        close $_ for grep { fileno($_) >= 5 } @low;
        require Tie::Hash;
        @ENV{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)} = ($$, 2, 'web:ctl');
        $ENV{SERVER_STARTER_PORT} = '8080=3';
        {
            package DyingEnv;
            our @ISA = ('Tie::StdHash');
            our $die = 1;
            sub FETCH {
                die "fetch\n" if $die && $_[1] eq 'SERVER_STARTER_PORT';
                $_[0]->SUPER::FETCH($_[1]);
            }
        }
        my %copy = %ENV;
        tie %ENV, 'DyingEnv';
        %ENV = %copy;
        my $before = fd_state();
        my $ok = eval { my @l = listen_fds(); 1 };
        my $err = $ok ? 'no exception' : $@;
        chomp $err;
        my $after = fd_state();
        my $left = join(',', grep { exists $ENV{$_} } qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES));
        $DyingEnv::die = 0;
        my @l = listen_fds();
        my @fh;
        while (my ($n, $h) = splice(@l, 0, 2)) { push @fh, "$n=" . ref($h) . '@' . fileno($h) }
        print $w join('|', $err, $before eq $after ? 'same' : 'changed', $left, join(',', @fh)), "\n";
        close $w;
        1;
    };
    close $w;
    my $line = <$r>;
    waitpid($pid, 0);
    $line = "child died ($?)\n" unless defined $line;
    chomp $line;
    is($line, "fetch|same|LISTEN_PID,LISTEN_FDS,LISTEN_FDNAMES|$two",
       "a tied %ENV's FETCH that dies: nothing taken, removed or changed; the listeners taken afterwards");
}

# Misuse croaks, with nothing touched.
{
    local @ENV{qw(LISTEN_PID LISTEN_FDS)} = ($$, 2);
    my $before = fd_state();
    eval { my $x = listen_fds() };
    like($@, qr/^File::FDpasser::listen_fds: .*list context/, 'scalar context croaks');
    eval { listen_fds(); 1 };
    like($@, qr/^File::FDpasser::listen_fds: .*list context/, 'void context croaks');
    eval { my @l = listen_fds(unset => 0) };
    like($@, qr/^File::FDpasser::listen_fds: unknown option 'unset'/, 'unknown option croaks');
    eval { my @l = listen_fds(from => 'inetd') };
    like($@, qr/^File::FDpasser::listen_fds: unknown source 'inetd'/, 'unknown source croaks');
    eval { my @l = listen_fds('unset_env') };
    like($@, qr/^Usage: File::FDpasser::listen_fds/, 'odd arguments croak');
    is(fd_state(), $before, '... no descriptor changed');
    is("$ENV{LISTEN_PID}:$ENV{LISTEN_FDS}", "$$:2", '... the variables left alone');
}

done_testing;
