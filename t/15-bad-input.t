# Proves every Perl entry point meets bad input with the documented error
# and never a crash, a hang or a descriptor left open: undef, empty and
# NUL-bearing strings, references of every kind, tied and closed handles,
# huge, negative and non-finite numbers, wrong argument counts; calls that
# return several things in scalar or void context; tied arguments whose
# FETCH frees what another argument held (make asan-test runs this file
# under AddressSanitizer).
use strict;
use warnings;
use Test::More;
use Errno qw(EBADF EINVAL ENOENT ENOTSOCK EMSGSIZE EAGAIN ENAMETOOLONG);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my $dir = tmpdir();
chdir $dir or die;    # any path made from a bad value lands here

open(my $closed, '<', '/dev/null') or die;
close $closed;
{
    package Tied::Nothing;
    sub TIEHANDLE { bless {}, shift }
    sub FILENO { 0 }
}
no warnings 'once';
tie *TIED, 'Tied::Nothing';
my %bad = (
    'undef'          => undef,
    'empty'          => '',
    'NUL inside'     => "3\0junk",
    'negative'       => -1,
    'very negative'  => -2**63,
    'huge'           => 2**64,
    'inf'            => 9**9**9,
    'nan'            => -sin(9**9**9),
    'text'           => 'not a handle',
    'scalar ref'     => \1,
    'ref ref'        => \\1,
    'array ref'      => [],
    'hash ref'       => {},
    'code ref'       => sub { 1 },
    'regexp'         => qr/x/,
    'closed handle'  => $closed,
    'unopened glob'  => \*NEVER_OPENED,
    'tied handle'    => \*TIED,
    'object'         => bless({}, 'Some::Class'),
);

my ($a, $b) = spipe();
$b->blocking(0);
my $before = open_fds();

# name => [call, errnos that may come back]
my @handle_calls = (
    ['send_file endpoint', sub { send_file($_[0], 0) },       [EBADF]],
    ['send_file file',     sub { send_file($a, $_[0]) },      [EBADF]],
    ['send endpoint',      sub { File::FDpasser::send($_[0], 0) }, [EBADF]],
    ['send file',          sub { File::FDpasser::send($a, $_[0]) }, [EBADF]],
    ['recv_fh',            sub { recv_fh($_[0]) },            [EBADF]],
    ['recv_fd',            sub { recv_fd($_[0]) },            [EBADF]],
    ['recv',               sub { my $r = File::FDpasser::recv($_[0]); $r == -1 ? undef : $r }, [EBADF]],
    ['send_fds endpoint',  sub { send_fds($_[0], [0]) },      [EBADF]],
    ['send_fds element',   sub { send_fds($a, [0, $_[0]]) },  [EBADF]],
    ['recv_fds',           sub { my @r = recv_fds($_[0]); @r ? 1 : undef }, [EBADF]],
    ['peer_cred',          sub { my @r = peer_cred($_[0]); @r ? 1 : undef }, [EBADF]],
    ['get_fopen_mode',     sub { get_fopen_mode($_[0]) },     [EBADF]],
    ['my_getfl',           sub { my $r = my_getfl($_[0]); $r == -1 ? undef : $r }, [EBADF]],
    ['serv_accept_fh',     sub { serv_accept_fh($_[0]) },     [EBADF]],
    ['serv_accept_fd',     sub { serv_accept_fd($_[0]) },     [EBADF]],
    ['spawn fds source',   sub { spawn(['true'], fds => { 3 => $_[0] }) }, [EBADF]],
    ['spawn listen source', sub { spawn(['true'], listen => [a => $_[0]]) }, [EBADF]],
);
my @path_calls = (
    ['endp_create',  sub { endp_create($_[0]) },  [EINVAL, ENOENT]],
    ['endp_connect', sub { endp_connect($_[0]) }, [EINVAL, ENOENT]],
    ['cli_conn',     sub { cli_conn($_[0]) },     [EINVAL, ENOENT]],
    # The PATH searched holds no such program and nothing unreadable
    # (an unreadable directory there would give EACCES, as execvp does).
    ['spawn argv',   sub { local $ENV{PATH} = '/nonexistent-fdpass-dir'; spawn([$_[0]]) },
     [EINVAL, ENOENT, EBADF]],
    ['spawn chdir',  sub { spawn(['true'], chdir => $_[0]) }, [EINVAL, ENOENT, EBADF]],
);

my $empty = "$dir/empty";
mkdir $empty or die "mkdir $empty: $!";
for my $call (@handle_calls, @path_calls) {
    my ($name, $code, $allowed) = @$call;
    my @wrong;
    for my $what (sort keys %bad) {
        # Numbers and words are fine paths; they are tried below.
        next if $name =~ /^(endp_create|endp_connect|cli_conn)$/
             && $what =~ /^(negative|very negative|huge|inf|nan|text)$/;
        next if $name eq 'spawn chdir' && $what eq 'undef';    # no chdir at all
        local $SIG{__WARN__} = sub { };    # "isn't numeric" and the like
        # A bad value as a program name is looked up in PATH; a directory
        # there that the user cannot read makes execvp and posix_spawnp say
        # EACCES, not ENOENT (POSIX), so the search gets a PATH of one
        # readable, empty directory.
        local $ENV{PATH} = $name eq 'spawn argv' ? $empty : $ENV{PATH};
        $! = 0;
        my $r = eval { $code->($bad{$what}) };
        my $err = $! + 0;
        if ($name =~ /^send_file/) {
            # send_file dies with 0.09's message, as 0.09 did.
            my $want = $name eq 'send_file file'
                ? "Invalid args to send_file: $a, " . (defined $bad{$what} ? "$bad{$what}" : '') . "\n"
                : 'Invalid args to send_file: ' . (defined $bad{$what} ? "$bad{$what}" : '') . ", 0\n";
            push @wrong, "$what: " . ($@ ? "died with $@" : "did not die")
                unless $@ eq $want;
        } elsif ($@) {
            # [SOURCE, MODE] with no source is misuse: a croak.
            push @wrong, "$what: croaked: $@"
                unless $name eq 'spawn fds source' && $what eq 'array ref'
                    && $@ =~ /^File::FDpasser::spawn: /;
        } elsif ($r) {
            push @wrong, "$what: succeeded ($r)";
        } elsif (!grep { $err == $_ } @$allowed) {
            push @wrong, "$what: \$! = $err ($!)";
        }
    }
    ok(!@wrong, $name =~ /^send_file/ ? "$name: every bad value dies with 0.09's message"
                : "$name: every bad value fails with " . join('/', @$allowed))
        or diag(join("\n", @wrong));
}
# Strings as paths: what is not a number stays a path and fails cleanly.
for my $what ('text', 'negative', 'huge') {
    $! = 0;
    ok(!endp_connect($bad{$what}) && $! == ENOENT, "endp_connect('$bad{$what}'): ENOENT");
}
ok(!spawn(['true'], env => { A => "x\0y" }) && $! == EINVAL, 'spawn env with NUL: EINVAL');

# Limits out of range.
for my $max (0, -1, -2**63, FDPASS_MAX + 1, 2**64, 'abc') {
    local $SIG{__WARN__} = sub { };
    $! = 0;
    my @r = recv_fds($b, $max);
    ok(!@r && $! == EINVAL, "recv_fds max_fds $max: EINVAL");
}
for my $bytes (0, -5) {
    $! = 0;
    my @r = recv_fds($b, 1, $bytes);
    ok(!@r && $! == EINVAL, "recv_fds max_bytes $bytes: EINVAL");
}
$! = 0;
my @r = recv_fds($b, 1, 2**62);
ok(!@r && $! == EAGAIN, 'recv_fds with a huge max_bytes does not try to allocate it');
$! = 0;
ok(!send_fds($a, [(0) x 300]) && $! == EMSGSIZE, 'send_fds 300 descriptors: EMSGSIZE');
ok(!defined recv_fh($b, []) && $! == EAGAIN, 'recv_fh with an odd class: just EAGAIN');
ok(!endp_create('x' x 5000) && $! == ENAMETOOLONG, 'a 5000-byte path: ENAMETOOLONG');
ok(!endp_create("\x{263a}") && $! == EINVAL, 'a path with wide characters: EINVAL');

# recv_fds and spipe in scalar or void context, where a descriptor would
# be dropped with nothing to close it, croak before anything is taken.
{
    my ($x, $y) = spipe();
    $y->blocking(0);    # an old build consumed the message: never wait
    my @three = map { open(my $h, '<', '/dev/null') or die; $h } 1 .. 3;
    send_fds($x, \@three, 'three') or die "send_fds: $!";
    my $fds = open_fds();
    my $r = eval { recv_fds($y) };
    like($@, qr/^File::FDpasser::recv_fds: .*list context/, 'recv_fds in scalar context croaks');
    is(open_fds(), $fds, '... before receiving: no descriptor taken or left open');
    eval { recv_fds($y); 1 };
    like($@, qr/^File::FDpasser::recv_fds: .*list context/, 'recv_fds in void context croaks');
    is(open_fds(), $fds, '... before receiving too');
    my ($data, @got) = recv_fds($y);
    ok($data eq 'three' && @got == 3, 'the message stayed queued: a list-context call gets all of it');
    close_fds(@got);
    $fds = open_fds();
    my $one = eval { spipe() }; my $line = __LINE__;
    like($@, qr/^File::FDpasser::spipe: .*list context at \Q$0\E line $line\.$/,
         'spipe in scalar context croaks, naming the caller\'s line');
    $one = eval { spipe(type => 'seqpacket') }; $line = __LINE__;
    like($@, qr/^File::FDpasser::spipe: .*list context at \Q$0\E line $line\.$/,
         '... with a type too');
    is(open_fds(), $fds, '... having made nothing');
}

# recv_fh's $class is read before the descriptor is taken: a tied class
# name whose FETCH dies leaves the message queued and nothing open.
{
    package DiesOnFetch;
    sub TIESCALAR { bless [], shift }
    sub FETCH { die "FETCH died\n" }
}
{
    my ($x, $y) = spipe();
    $y->blocking(0);
    open(my $h, '<', '/dev/null') or die;
    send_file($x, $h) or die "send_file: $!";
    tie my $class, 'DiesOnFetch';
    my $fds = open_fds();
    my $r = eval { recv_fh($y, $class) };
    is($@, "FETCH died\n", 'recv_fh with a tied class whose FETCH dies: the exception');
    is(open_fds(), $fds, '... thrown before receiving: nothing taken, nothing left open');
    untie $class;
    ok(defined recv_fh($y, 'IO::Handle'), '... and the message is still there');
}

# Magic in spawn's arguments: a tied element whose FETCH frees the string
# of an element fetched before it (and fills the freed memory with other
# strings).  The program must get exactly the values fetched, never the
# bytes of freed memory.  Each victim gets a buffer of its own (.=), not
# one shared copy-on-write, so freeing it really frees it.
{
    package Realloc;
    sub TIESCALAR { my ($c, $victim, $value) = @_; bless [$victim, $value], $c }
    sub FETCH {
        my ($s) = @_;
        undef ${ $s->[0] };
        ${ $s->[0] } = 'R' x 5000;
        my @junk = map { 'Z' x 40 } 1 .. 200;
        return $s->[1];
    }
}
{
    my $forty = 'forty bytes of argument, before the tie';
    my $show = sub {
        my ($code) = @_;
        pipe(my $r, my $w) or die;
        my $pid = $code->($w);
        close $w;
        my $out = defined $pid ? join('', <$r>) : "spawn: $!";
        waitpid($pid, 0) if defined $pid;
        return $out;
    };
    my @argv = ($^X, '-e', 'print join("|", @ARGV)', '', 'x');
    $argv[3] .= $forty;
    tie $argv[4], 'Realloc', \$argv[3], 'from FETCH';
    my $out = $show->(sub { spawn(\@argv, fds => { 1 => $_[0] }) });
    untie $argv[4];
    is($out, "$forty|from FETCH", 'spawn: a FETCH that frees an earlier argv string does not change it');

    my @env = ('', 'B=x');
    $env[0] .= "A=$forty";
    tie $env[1], 'Realloc', \$env[0], 'B=from FETCH';
    # The env array as spawn's Perl layer hands it to the XS (the public
    # spawn builds it from a hash, whose values it copies first).
    $out = $show->(sub {
        File::FDpasser::_spawn([$^X, '-e', 'print "$ENV{A}|$ENV{B}"'],
                               [1, $_[0], 0], \@env, undef, 0);
    });
    untie $env[1];
    is($out, "$forty|from FETCH", 'spawn: the same for the environment');

    # An overloaded object as an argument is stringified once, in order.
    {
        package Stringy;
        use overload '""' => sub {
            undef ${ $_[0][0] };
            ${ $_[0][0] } = 'S' x 5000;
            my @j = map { 'Z' x 40 } 1 .. 200;
            'overloaded';
        },
                     fallback => 1;
    }
    my @argv2 = ($^X, '-e', 'print join("|", @ARGV)', '', bless([], 'Stringy'));
    $argv2[3] .= $forty;
    $argv2[4][0] = \$argv2[3];
    $out = $show->(sub { spawn(\@argv2, fds => { 1 => $_[0] }) });
    is($out, "$forty|overloaded", 'spawn: an overloaded argument that frees an earlier one');
}

# Wrong argument counts croak with the function's name.
my @counts = (
    [spipe          => sub { spipe(1) }],
    [endp_connect   => sub { endp_connect() }],
    [endp_connect   => sub { endp_connect(1, 2) }],
    [serv_accept_fh => sub { serv_accept_fh() }],
    [serv_accept_fh => sub { serv_accept_fh(1, 2, 3) }],
    [send_file      => sub { send_file(1) }],
    [send_file      => sub { send_file(1, 2, 3) }],
    [recv_fh        => sub { recv_fh() }],
    [recv_fd        => sub { recv_fd(1, 2) }],
    [send           => sub { File::FDpasser::send(1) }],
    [recv           => sub { File::FDpasser::recv() }],
    [send_fds       => sub { send_fds(1) }],
    [recv_fds       => sub { recv_fds() }],
    [peer_cred      => sub { peer_cred() }],
    [get_fopen_mode => sub { get_fopen_mode() }],
    [my_getfl       => sub { my_getfl(1, 2) }],
    [cli_conn       => sub { cli_conn() }],
    [endp_create    => sub { endp_create() }],
    [spawn          => sub { spawn() }],
    [spawn          => sub { spawn(['true'], 'fds') }],
);
for my $c (@counts) {
    my ($name, $code) = @$c;
    eval { $code->() };
    like($@, qr/^Usage: File::FDpasser::\Q$name\E\b/, "$name with the wrong argument count croaks");
}
eval { send_fds($a, {}) };
like($@, qr/^File::FDpasser::send_fds: files is not an ARRAY/, 'send_fds with a hash: croak');
eval { spawn([]) };
like($@, qr/^File::FDpasser::spawn: argv is empty/, 'spawn with no program: croak');
eval { spawn(['true'], fds => [3, 4]) };
like($@, qr/^File::FDpasser::spawn: fds is not a HASH/, 'spawn fds not a hash: croak');
eval { spawn(['true'], env => 'PATH=/') };
like($@, qr/^File::FDpasser::spawn: env is not a HASH/, 'spawn env not a hash: croak');

1 while waitpid(-1, 0) > 0;
is(open_fds(), $before, 'no descriptor left open by any of it');

done_testing;
