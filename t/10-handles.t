# Proves every handle form of SPEC.md works as the endpoint and as the file
# passed (glob, glob reference, *FH{IO}, IO::Handle and IO::Socket objects,
# a descriptor number, a numeric string), between two processes, and that
# every bad form fails with EBADF without croaking or crashing.  A handle
# received in a thread is blessed into that interpreter's IO::Handle.
use strict;
use warnings;
use Test::More;
use Errno qw(EBADF);
use IO::Handle;
use IO::Socket::UNIX;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);
no warnings "once";

alarm 30;
my $dir = tmpdir();

# One file per form, each holding its own name.
my @forms = qw(glob globref io object number string);
for my $f (@forms) {
    open(my $h, '>', "$dir/$f") or die;
    print $h "content of $f\n";
    close $h;
}

sub form_of {
    my ($form, $glob_name) = @_;
    no strict 'refs';
    my $g = \*{"main::$glob_name"};
    return *$g                        if $form eq 'glob';
    return $g                         if $form eq 'globref';
    return *$g{IO}                    if $form eq 'io';
    return IO::Handle->new_from_fd(fileno($g), 'r') if $form eq 'object';
    return fileno($g)                 if $form eq 'number';
    return '' . fileno($g)            if $form eq 'string';
    die;
}

my ($a, $b) = spipe();
ok($a && $b, 'spipe');

my $pid = run_child {
    close $b;
    # The endpoint as a glob too.
    open(EP, '+<&=', fileno($a)) or die "EP: $!";
    for my $i (0 .. $#forms) {
        my $f = $forms[$i];
        no strict 'refs';
        open(*{"main::F$i"}, '<', "$dir/$f") or die "$f: $!";
        my $file = form_of($f, "F$i");
        my $ep = form_of($forms[($i + 1) % @forms], 'EP');
        send_file($ep, $file) or die "send_file $f: $!";
    }
    # An IO::Socket::UNIX object as the file passed.
    my ($s1, $s2) = IO::Socket::UNIX->socketpair(1, 1, 0) or die;
    send_file($a, $s1) or die "socket object: $!";
    print $s2 "through the socket\n";
    $s2->flush;
    1;
};
close $a;
for my $f (@forms) {
    my $fh = recv_fh($b);
    ok($fh, "received the file sent as $f") or diag("recv_fh: $!");
    is(scalar(<$fh>), "content of $f\n", "$f: content read back");
}
my $sock = recv_fh($b, 'IO::Socket::UNIX');
isa_ok($sock, 'IO::Socket::UNIX', 'socket blessed into the class asked');
is(scalar(<$sock>), "through the socket\n", 'socket passed as an object works');
reap_ok($pid);

# Bad handles: EBADF, never a croak.
open(my $closed, '<', '/dev/null') or die;
close $closed;
{
    package Tied::NoFD;
    sub TIEHANDLE { bless {}, shift }
    sub FILENO { -1 }
}
tie *TIED, 'Tied::NoFD';
my %bad = (
    'undef'            => undef,
    'empty string'     => '',
    'non-number'       => 'abc',
    'negative number'  => -1,
    'fractional'       => 3.5,
    'huge number'      => 2**40,
    'closed handle'    => $closed,
    'unopened glob'    => \*NEVER_OPENED,
    'tied handle'      => \*TIED,
    'hash reference'   => {},
    'array reference'  => [],
    'code reference'   => sub { 1 },
    'scalar reference' => \1,
);
my ($c, $d) = spipe();
for my $name (sort keys %bad) {
    my $arg = $bad{$name};
    $! = 0;
    # send_file dies as 0.09 did (t/40-compat-0.09.t); send fails quietly.
    my $r = eval { send_file($arg, \*STDIN) };
    like($@, qr/^Invalid args to send_file: /, "$name as endpoint: 0.09's death");
    $r = eval { File::FDpasser::send($arg, \*STDIN) };
    my $err = $! + 0;
    is($@, '', "$name as endpoint to send: no croak");
    ok(!$r, "$name as endpoint to send: false");
    is($err, EBADF, "$name as endpoint to send: EBADF");

    $r = eval { send_file($c, $arg) };
    like($@, qr/^Invalid args to send_file: /, "$name as file: 0.09's death");
    $! = 0;
    $r = eval { File::FDpasser::send($c, $arg) };
    $err = $! + 0;
    ok(!$r && $err == EBADF && $@ eq '', "$name as file to send: false, EBADF")
        or diag("r=$r err=$err at=$@");

    $! = 0;
    $r = eval { recv_fh($arg) };
    $err = $! + 0;
    ok(!defined $r && $err == EBADF && $@ eq '', "$name to recv_fh: EBADF");

    $! = 0;
    my @r = eval { peer_cred($arg) };
    $err = $! + 0;
    ok(!@r && $err == EBADF, "$name to peer_cred: EBADF");

    $! = 0;
    $r = eval { get_fopen_mode($arg) };
    $err = $! + 0;
    ok(!defined $r && $err == EBADF, "$name to get_fopen_mode: EBADF");

    $! = 0;
    $r = eval { File::FDpasser::recv($arg) };
    $err = $! + 0;
    ok(defined $r && $r == -1 && $err == EBADF, "$name to recv: -1, EBADF");
}
# A number that is not an open descriptor.
$! = 0;
ok(!send_file($c, 1000), 'unopened descriptor number: false');
is($! + 0, EBADF, 'unopened descriptor number: EBADF');

# Misuse croaks with the function's name.
eval { send_file($c) };
like($@, qr/^Usage: File::FDpasser::send_file/, 'wrong argument count croaks');
eval { File::FDpasser::send_fds($c, 'not an array') };
like($@, qr/^File::FDpasser::send_fds: files is not an ARRAY reference/,
     'send_fds without an array croaks');

# Nothing a call does after taking a descriptor may need another one, or
# a file: IO::Handle is loaded with the module, never when the first
# handle is made.  Each check runs in a fresh perl that loads only
# File::FDpasser (not IO::Handle itself), with the endpoint inherited.
{
    require Fcntl;
    my @inc = ('-Iblib/lib', '-Iblib/arch');
    my $inherit = sub {
        my ($h) = @_;
        fcntl($h, Fcntl::F_SETFD(), 0) or die "F_SETFD: $!";
    };
    # Run a script file in a fresh perl (through the commands in $wrap),
    # under sh (for ulimit), with its output and errors as the result.
    my $run = sub {
        my ($pre, $wrap, $name, $script, @args) = @_;
        open(my $w, '>', "$dir/$name.pl") or die;
        print $w $script;
        close $w;
        open(my $p, '-|', 'sh', '-c', "$pre exec \"\$@\" 2>&1", 'sh',
             @$wrap, $^X, @inc, "$dir/$name.pl", @args) or die "sh: $!";
        local $/;
        my $out = <$p>;
        close $p;
        return defined $out ? $out : '';
    };
    my $file_with = sub {
        my ($name, $text) = @_;
        open(my $w, '>', "$dir/$name") or die;
        print $w $text;
        close $w;
        open(my $r, '<', "$dir/$name") or die;
        return $r;
    };

    # A receive into the last free slot: the table is filled, one slot
    # freed, and recv_fh must give a working handle.
    my ($s, $r) = spipe();
    $inherit->($r);
    my $f = $file_with->('lastslot', "last slot\n");
    ok(send_file($s, $f), 'a descriptor for the last free slot sent');
    my $script = q{
        use File::FDpasser;
        my $sock = shift;
        my @fill;
        while (open(my $h, '<', '/dev/null')) { push @fill, $h }
        my $why = $! + 0;
        close(pop @fill);
        my $fh = eval { recv_fh($sock) };
        if (!defined $fh) {
            print "full ($why) then recv_fh failed: ", ($@ || "$!"), "\n";
            exit 0;
        }
        my $n = sysread($fh, my $buf, 100);
        print "full ($why) then ", ref($fh), ' ', ($fh->opened ? 'opened' : 'closed'),
            ': ', (defined $n ? $buf : "read: $!");
    };
    my $out = $run->('ulimit -n 40 &&', [], 'lastslot', $script, fileno($r));
    is($out, sprintf("full (%d) then IO::Handle opened: last slot\n", Errno::EMFILE()),
       'recv_fh into the last free slot, IO::Handle not loaded by the script: a working handle');

    # In a chroot without @INC (an empty directory): recv_fh, spipe,
    # endp_connect, endp_create and serv_accept_fh, with the module loaded
    # before the chroot.  As root with chroot itself; as another user in
    # a user namespace (unshare -r) where the system allows one, and
    # where it does not with @INC emptied instead, which fails a load the
    # same way.
    my @wrap = $> == 0 ? () : ('unshare', '-r');
    my $mode = 'chroot';
    if (@wrap && system("unshare -r true >/dev/null 2>&1") != 0) {
        @wrap = ();
        $mode = 'no @INC';
    }
    {
        my $root = "$dir/chroot";
        mkdir $root or die "mkdir $root: $!";
        my $ls = endp_create("$root/ep") or die "endp_create: $!";
        ($s, $r) = spipe();
        $inherit->($r);
        $f = $file_with->('inchroot', "in the chroot\n");
        send_file($s, $f) or die;
        my $script = q{
            use File::FDpasser;
            my ($sock, $root, $mode) = @ARGV;
            my $base = $root;
            if ($mode eq 'chroot') {
                chroot($root) or die "chroot: $!\n";
                chdir('/') or die "chdir: $!\n";
                $base = '';
            } else {
                @INC = ();
            }
            my @out;
            my $fh = eval { recv_fh($sock) };
            my $buf;
            push @out, defined $fh && sysread($fh, $buf, 100)
                ? "recv_fh: $buf" : "recv_fh: failed: " . ($@ || "$!\n");
            my ($x, $y) = eval { spipe() };
            push @out, $y ? "spipe: ok\n" : "spipe: failed: " . ($@ || "$!\n");
            my $c = eval { endp_connect("$base/ep") };
            push @out, $c ? "endp_connect: ok\n" : "endp_connect: failed: " . ($@ || "$!\n");
            my $l = eval { endp_create("$base/ep2") };
            push @out, $l ? "endp_create: ok\n" : "endp_create: failed: " . ($@ || "$!\n");
            my $a = $l && eval { endp_connect("$base/ep2") } && eval { serv_accept_fh($l) };
            push @out, $a ? "serv_accept_fh: ok\n" : "serv_accept_fh: failed: " . ($@ || "$!\n");
            print @out;
        };
        my $got = $run->('', \@wrap, 'inchroot', $script, fileno($r), $root, $mode);
        is($got, "recv_fh: in the chroot\nspipe: ok\nendp_connect: ok\n"
               . "endp_create: ok\nserv_accept_fh: ok\n",
           "$mode: every call that makes a handle succeeds" . (@wrap ? ' (unshare -r)' : ''));
    }
}

# A handle received in another thread is blessed into that interpreter's
# IO::Handle (its own stash, looked up when the thread was made), not the
# stash of the interpreter that loaded the module: a method defined in
# the thread alone is found on it.  Both halves in a child process, so
# threads leave the rest of this file alone.
SKIP: {
    require Config;
    skip 'this perl has no ithreads', 1 unless $Config::Config{useithreads};
    my $pid = run_child {
        require threads;
        my ($a, $b) = spipe() or die "spipe: $!";
        open(my $f, '<', "$dir/glob") or die;
        send_file($a, $f) or die "send_file: $!";
        my $thr = threads->create(sub {
            no strict 'refs';
            *{'IO::Handle::only_in_this_thread'} = sub { 'here' };
            my $h = recv_fh($b) or return "recv_fh: $!";
            return 'class ' . ref($h) unless ref($h) eq 'IO::Handle';
            return 'method not found' unless $h->can('only_in_this_thread');
            my $line = <$h>;
            return "read $line";
        });
        my $r = $thr->join;
        die "$r\n" unless $r eq "read content of glob\n";
        1;
    };
    reap_ok($pid, 'recv_fh in a thread: the thread\'s own IO::Handle');
}

done_testing;
