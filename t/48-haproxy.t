# haproxy's listener transfer (haproxy_getsocks, haproxy_serve_getsocks)
# on the wire, between two processes, without haproxy (xt/50-haproxy.t
# runs the real one):
# - batches: 300 listeners go as a count of 300, then 252 + 48
#   descriptors, six bytes of metadata each;
# - hostile servers: garbage, a wrong count, a truncated transfer, too
#   many descriptors in one message, a hang, metadata that does not fit, a
#   descriptor that is not a socket: a clear $!, nothing received left
#   open, a descriptor held before untouched;
# - hostile clients: another command, none, no acknowledgement,
#   descriptors sent to the server: a clear $!, nothing left open, the
#   listeners still open;
# - misuse croaks.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);
use Errno qw(EACCES EPROTO ETIMEDOUT EMSGSIZE);
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use POSIX ();

plan skip_all => 'haproxy_getsocks needs the SCM_RIGHTS backend'
    unless File::FDpasser::_backend() eq 'scm_rights';

alarm 60;
my $dir = tmpdir();

# --- batches of 252 ------------------------------------------------------
{
    my ($a, $b) = spipe() or die $!;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    my $pid = run_child {
        close $a;
        my $n = haproxy_serve_getsocks($b, [ ($l) x 300 ], timeout => 10);
        return $n && $n == 300;
    };
    close $b;
    send_fds($a, [], "_getsocks\n");
    my ($count) = recv_fds($a, 1, 4);
    is unpack('l', $count), 300, 'a count of 300 in host order';
    my @sizes;
    my $got = 0;
    while ($got < 300) {
        my ($data, @fds) = recv_fds($a, 253, 1 << 16);
        last unless defined $data;
        send_fds($a, [], pack 'l', $got);
        $got += @fds;
        push @sizes, scalar @fds;
        is length $data, 6 * @fds, 'six bytes of metadata per listener' if @fds;
        close_fds(@fds);
    }
    is "@sizes", '252 48', 'sent as a batch of 252, then the rest';
    reap_ok $pid, 'the server side';
}

# --- hostile servers -----------------------------------------------------
# Each fake haproxy reads the command, then misbehaves; the client must fail
# with the expected $! and leave the descriptor table as it was, and a
# descriptor held before untouched.
open(my $held, '<', $0) or die $!;
my $held_fd = fileno $held;

sub meta { join '', map { pack 'C/a* C/a* L', '', '', 0 } 1 .. $_[0] }

my @hostile = (
    [ 'closes without a count', EACCES, sub { } ],
    [ 'text instead of a count', EPROTO,
      sub { syswrite($_[0], "Unknown command. Please enter one of the following commands only:\n") } ],
    [ 'a negative count', EPROTO, sub { send_fds($_[0], [], pack 'l', -1) } ],
    [ 'a count too large', EPROTO, sub { send_fds($_[0], [], pack 'l', 1 << 30) } ],
    [ 'half a count, then the end', EPROTO, sub { send_fds($_[0], [], "\2\0") } ],
    [ 'descriptors with the count', EPROTO,
      sub { send_fds($_[0], [$_[1]], "\2\0") } ],
    [ 'many descriptors with the count', EPROTO,
      sub { send_fds($_[0], [ ($_[1]) x 5 ], pack 'l', 5) } ],
    [ 'a truncated transfer', EPROTO, sub {
          send_fds($_[0], [], pack 'l', 3);
          send_fds($_[0], [ $_[1], $_[1] ], meta(2));
      } ],
    [ 'more descriptors than announced in one message', EMSGSIZE, sub {
          send_fds($_[0], [], pack 'l', 2);
          send_fds($_[0], [ ($_[1]) x 5 ], meta(5));
      } ],
    [ 'a hang after the first descriptors', ETIMEDOUT, sub {
          send_fds($_[0], [], pack 'l', 3);
          send_fds($_[0], [ $_[1] ], meta(1));
          sleep 5;
      } ],
    [ 'a hang before the count', ETIMEDOUT, sub { sleep 5 } ],
    [ 'garbage metadata', EPROTO, sub {
          send_fds($_[0], [], pack 'l', 2);
          send_fds($_[0], [ $_[1], $_[1] ], "\xc8\0\0\0\0\0\0\0\0\0\0\0");
      } ],
    [ 'metadata past the records', EPROTO, sub {
          send_fds($_[0], [], pack 'l', 1);
          send_fds($_[0], [ $_[1] ], meta(1) . 'x');
      } ],
    [ 'endless bytes without descriptors', EPROTO, sub {
          send_fds($_[0], [], pack 'l', 1);
          send_fds($_[0], [], 'x' x 4096) for 1 .. 10;
      } ],
    [ 'a descriptor that is not a socket', EPROTO, sub {
          pipe(my $r, my $w) or return;
          send_fds($_[0], [], pack 'l', 2);
          send_fds($_[0], [ $_[1], $r ], meta(2));
      } ],
    [ 'a directory instead of a socket', EPROTO, sub {
          my $d = POSIX::open('/', POSIX::O_RDONLY()) or return;
          send_fds($_[0], [], pack 'l', 2);
          send_fds($_[0], [ $_[1], $d ], meta(2));
      } ],
    [ 'a device instead of a socket', EPROTO, sub {
          open(my $null, '+<', '/dev/null') or return;
          send_fds($_[0], [], pack 'l', 1);
          send_fds($_[0], [ $null ], meta(1));
      } ],
    # One descriptor a message (so no read joins two) and never a read of
    # the client's acknowledgements: they fill its buffer, and a blocking
    # write of the next would wait for ever.
    [ 'acknowledgements never read', ETIMEDOUT, sub {
          send_fds($_[0], [], pack 'l', 100000);
          send_fds($_[0], [ $_[1] ], "\0") or last for 1 .. 2000;
          sleep 5;
      } ],
);

for my $case (@hostile) {
    my ($name, $want, $act) = @$case;
    my ($a, $b) = spipe() or die $!;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    my $pid = run_child {
        close $a;
        my $line = '';
        while ($line !~ /\n/) {
            my ($d) = recv_fds($b, 1, 64);
            return 0 unless defined $d;
            $line .= $d;
        }
        return 0 unless $line eq "_getsocks\n";
        $act->($b, $l);
        return 1;
    };
    close $b;
    close $l;
    my $before = open_fds();
    # A short timeout only where the peer hangs: elsewhere a slow machine
    # must not turn the expected error into ETIMEDOUT.
    my @got = haproxy_getsocks($a, timeout => $want == ETIMEDOUT ? 1 : 20);
    my $err = $! + 0;
    is scalar(@got), 0, "$name: nothing returned";
    is $err, $want, "$name: \$! is " . ($! = $want);
    is open_fds(), $before, "$name: nothing received is left open";
    ok defined(fileno $held) && fileno($held) == $held_fd && -f $held,
        "$name: a descriptor held before is untouched";
    close $a;
    kill 'KILL', $pid;
    waitpid($pid, 0);
}
{
    my $line = <$held>;
    ok defined $line, 'the held file still reads';
}

# The client's table made full while it waits (prlimit on the waiting
# process, by the server): EMFILE, and what came before is closed.  The
# client is a child of its own, so the limit goes with it.
SKIP: {
    skip 'needs prlimit (util-linux)', 3
        unless system('prlimit --version >/dev/null 2>&1') == 0;
    my ($a, $b) = spipe() or die $!;
    pipe(my $rep, my $rep_w) or die $!;
    my $pid = run_child {
        close $b;
        close $rep;
        my $before = open_fds();
        my @l = haproxy_getsocks($a, timeout => 20);
        my $err = $! + 0;
        syswrite($rep_w, join(' ', scalar(@l), $err, $before, open_fds()) . "\n");
        1;
    };
    close $a;
    close $rep_w;
    my ($line) = recv_fds($b, 1, 64);
    # Room for one descriptor more: the lowest free number is the last.
    opendir(my $d, "/proc/$pid/fd") or die "/proc/$pid/fd: $!";
    my %open = map { $_ => 1 } grep { /\A[0-9]+\z/ } readdir $d;
    closedir $d;
    my $free = 0;
    $free++ while $open{$free};
    my $lim = $free + 1;
    system('prlimit', "--pid=$pid", "--nofile=$lim:$lim") == 0 or die "prlimit failed";
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    send_fds($b, [], pack 'l', 3);
    send_fds($b, [$l], meta(1));
    send_fds($b, [$l, $l], meta(2));    # fails once the client gave up
    my $got = <$rep>;
    my ($took, $err, $before, $after) = split ' ', $got // '';
    is($took, 0, 'a table made full while haproxy_getsocks waits: it fails');
    is($err, POSIX::EMFILE(), '... with EMFILE');
    is($after, $before, '... and the descriptor it had received is closed');
    close $b;
    reap_ok($pid, 'the client');
}

# Reads that expect no descriptor (the count, the command, the
# acknowledgements) need no room for any: a process with a few free slots
# gives and takes one listener.  Each side is a child whose limit is
# lowered (prlimit) once it waits, to five slots above what it holds.
SKIP: {
    skip 'needs prlimit (util-linux)', 4
        unless system('prlimit --version >/dev/null 2>&1') == 0;
    my $few = sub {
        my ($pid) = @_;
        opendir(my $d, "/proc/$pid/fd") or die "/proc/$pid/fd: $!";
        my $max = (sort { $b <=> $a } grep { /\A[0-9]+\z/ } readdir $d)[0];
        closedir $d;
        my $lim = $max + 6;
        system('prlimit', "--pid=$pid", "--nofile=$lim:$lim") == 0 or die "prlimit failed";
    };
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    my $port = $l->sockport;
    # The taker with few slots.
    my ($a, $b) = spipe() or die $!;
    pipe(my $go, my $go_w) or die $!;
    pipe(my $rep, my $rep_w) or die $!;
    my $pid = run_child {
        close $b; close $rep; close $go_w;
        <$go>;    # its limit is lowered meanwhile
        my @l = haproxy_getsocks($a, timeout => 20);
        syswrite($rep_w, @l ? "took $l[0]{address}\n" : 'failed ' . ($! + 0) . "\n");
        1;
    };
    close $a; close $rep_w; close $go;
    $few->($pid);
    close $go_w;
    my $n = haproxy_serve_getsocks($b, [$l], timeout => 20);
    is(scalar <$rep>, "took 127.0.0.1:$port\n", 'a client with five free slots takes a listener');
    ok($n, '... which the server gave');
    reap_ok($pid, 'the client');
    close $b;
    # The server with few slots.
    ($a, $b) = spipe() or die $!;
    pipe($go, $go_w) or die $!;
    pipe($rep, $rep_w) or die $!;
    $pid = run_child {
        close $a; close $rep; close $go_w;
        <$go>;
        my $n = haproxy_serve_getsocks($b, [$l], timeout => 20);
        syswrite($rep_w, $n ? "gave $n\n" : 'failed ' . ($! + 0) . "\n");
        1;
    };
    close $b; close $rep_w; close $go;
    $few->($pid);
    close $go_w;
    my @got = haproxy_getsocks($a, timeout => 20);
    is(scalar <$rep>, "gave 1\n", 'a server with five free slots gives a listener');
    reap_ok($pid, 'the server');
}

# --- hostile clients -----------------------------------------------------
{
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    my @cases = (
        [ 'another command', EPROTO, sub {
              send_fds($_[0], [], "show info\n");
              my ($r) = recv_fds($_[0], 1, 200);
              return defined $r && $r =~ /only answers _getsocks/;
          } ],
        [ 'no command', ETIMEDOUT, sub { sleep 5; 1 } ],
        [ 'no acknowledgement', ETIMEDOUT, sub {
              send_fds($_[0], [], "_getsocks\n");
              my ($n) = recv_fds($_[0], 1, 4);
              my ($d, @fds) = recv_fds($_[0], 2, 64);
              close_fds(@fds);
              sleep 5;
              1;
          } ],
        [ 'descriptors with the command', EPROTO, sub {
              send_fds($_[0], [ $l ], "_getsocks\n");
              1;
          } ],
        [ 'many descriptors with the command', EPROTO, sub {
              send_fds($_[0], [ ($l) x 5 ], "_getsocks\n");
              1;
          } ],
    );
    for my $case (@cases) {
        my ($name, $want, $act) = @$case;
        my ($a, $b) = spipe() or die $!;
        my $pid = run_child { close $a; $act->($b) };
        close $b;
        my $before = open_fds();
        my $n = haproxy_serve_getsocks($a, [$l], timeout => $want == ETIMEDOUT ? 1 : 20);
        my $err = $! + 0;
        ok !$n, "client with $name: fails";
        is $err, $want, "client with $name: \$! is " . ($! = $want);
        is open_fds(), $before, "client with $name: nothing left open";
        ok defined $l->sockport, "client with $name: our listener is still open";
        close $a;
        if ($want == ETIMEDOUT) { kill 'KILL', $pid; waitpid($pid, 0) }
        else { reap_ok $pid, "client with $name" }
    }
    # A client that acknowledges every batch at once and never reads: the
    # batches (130 KB of metadata each here) fill the connection, and a
    # blocking write of the next would wait for ever.
    {
        my ($a, $b) = spipe() or die $!;
        my $pid = run_child {
            close $a;
            send_fds($b, [], "_getsocks\n");
            my ($count) = recv_fds($b, 1, 4);
            send_fds($b, [], pack('l', 0) x 20);
            sleep 30;
            1;
        };
        close $b;
        my $before = open_fds();
        my $big = { handle => $l, namespace => 'n' x 255, interface => 'i' x 255 };
        my $n = haproxy_serve_getsocks($a, [ ($big) x 2000 ], timeout => 2);
        my $err = $! + 0;
        ok !$n, 'client that never reads: fails';
        is $err, ETIMEDOUT, 'client that never reads: $! is ETIMEDOUT';
        is open_fds(), $before, 'client that never reads: nothing left open';
        ok $a->blocking, 'client that never reads: the connection is blocking again';
        ok defined $l->sockport, 'client that never reads: our listener is still open';
        close $a;
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    my ($a) = spipe();
    eval { haproxy_serve_getsocks($a, $l) };
    like $@, qr/^File::FDpasser::haproxy_serve_getsocks: listeners is not an ARRAY/, 'misuse croaks';
    eval { my $x = haproxy_getsocks("$dir/none") };
    like $@, qr/^File::FDpasser::haproxy_getsocks: .*list context/, 'scalar context croaks';
    eval { my @x = haproxy_getsocks("$dir/none", timeout => -1) };
    like $@, qr/^File::FDpasser::haproxy_getsocks: timeout/, 'a bad timeout croaks';
    eval { haproxy_serve_getsocks($a, [ { handle => $l, interface => 'x' x 256 } ]) };
    like $@, qr/^File::FDpasser::haproxy_serve_getsocks: a namespace or interface/, 'a long name croaks';
}

done_testing;
