# eg/systemd/hello.pl and its unit files, for real:
# - the unit files pass systemd-analyze verify;
# - under systemd-socket-activate, with a TCP listener named "http" and a
#   UNIX one named "local", it answers through each, by name;
# - a restart kept whole: this test plays the service manager (a
#   NOTIFY_SOCKET and a file descriptor store).  The first instance opens
#   its listener and stores it; it is stopped; a second instance, started
#   by spawn with the stored listener, takes it by name and serves, while a
#   client connects all along: no connection refused, and the second
#   instance answered after the first had gone.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(spawn recv_fds);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Socket qw(AF_UNIX SOCK_DGRAM);
use POSIX ();
use Time::HiRes qw(sleep time);

my $activate = '/usr/bin/systemd-socket-activate';
my $analyze  = '/usr/bin/systemd-analyze';
plan skip_all => "needs $activate and $analyze (Debian package systemd)"
    unless -x $activate && -x $analyze;

alarm 120;
my @running;    # stopped in END, however the test ends
END { local $?; kill "KILL", @running if @running }
# Wait for a child and forget it (its pid may be reused).
sub reap { my ($pid) = @_; waitpid($pid, 0); my $st = $?; @running = grep { $_ != $pid } @running; $? = $st }
my $dir    = tmpdir();
my $script = 'eg/systemd/hello.pl';

# One HTTP request; the answer's line, or undef and why.
sub get {
    my ($sock) = @_;
    return (undef, "connect: $!") unless $sock;
    print $sock "GET / HTTP/1.0\r\nHost: test\r\n\r\n";
    local $/;
    my $reply = <$sock>;
    return (undef, 'no reply') unless defined $reply;
    return $reply =~ /^(hello from pid \d+ via \S+)$/m ? ($1) : (undef, "reply: $reply");
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    return $s->sockport;
}

# --- the unit files ----------------------------------------------------
{
    for my $unit (qw(fdpass-hello.socket fdpass-hello-local.socket fdpass-hello.service)) {
        open(my $in, '<', "eg/systemd/$unit") or die "$unit: $!";
        open(my $out, '>', "$dir/$unit") or die "$dir/$unit: $!";
        while (<$in>) {
            s{^ExecStart=\S+ \S+}{ExecStart=$^X $ENV{PWD}/$script};
            print $out $_;
        }
        close $out or die $!;
    }
    my $err = `$analyze verify --man=no $dir/fdpass-hello.socket $dir/fdpass-hello-local.socket $dir/fdpass-hello.service 2>&1`;
    is($?, 0, 'systemd-analyze verify accepts the unit files');
    # Lines about this container, not about the units, are not warnings.
    my @warn = grep { /fdpass-hello/ } split /\n/, $err;
    is_deeply(\@warn, [], 'with no warning about them') or diag($err);
}

# --- socket activation ------------------------------------------------
{
    my $port = free_port();
    my $path = "$dir/hello.sock";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>', "$dir/activate.out") or POSIX::_exit(126);
        open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
        { exec $activate, '-l', "127.0.0.1:$port", '--fdname=http',
              '-l', $path, '--fdname=local',
              $^X, '-Mblib', $script }
        POSIX::_exit(127);
    }
    push @running, $pid;
    my ($tcp, $unix, $why);
    for (1 .. 100) {    # the activator binds, then execs the server
        ($tcp, $why) = get(IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port"));
        last if $tcp;
        sleep 0.1;
    }
    like($tcp // $why, qr/^hello from pid \d+ via http$/, 'TCP listener: served, by name');
    ($unix, $why) = get(IO::Socket::UNIX->new(Peer => $path));
    like($unix // $why, qr/^hello from pid \d+ via local$/, 'UNIX listener: served, by name');
    my ($p1) = ($tcp // '') =~ /pid (\d+)/;
    my ($p2) = ($unix // '') =~ /pid (\d+)/;
    is($p1, $pid, 'by the process the activator became (LISTEN_PID was its own)');
    is($p2, $pid, 'the same process on both');
    kill 'TERM', $pid;
    reap($pid);
    is($? & 127, 0, 'the server stopped on SIGTERM');
    my $out = do { local (@ARGV, $/) = "$dir/activate.out"; <> } // '';
    like($out, qr/^hello: pid $pid serving on http local \(handed\)$/m,
         'it took both listeners, in order, by name') or diag($out);
}

# --- a restart kept whole ---------------------------------------------
{
    my $notify = "$dir/notify";
    socket(my $mgr, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    bind($mgr, Socket::pack_sockaddr_un($notify)) or die "bind: $!";
    my $sel = IO::Select->new($mgr);
    my %store;    # name => descriptor

    # Messages until one has READY=1 (or the deadline), storing as the
    # manager does.  Returns the state lines seen.
    my $wait_ready = sub {
        my ($what) = @_;
        my @seen;
        my $until = time + 30;
        while (time < $until) {
            next unless $sel->can_read(0.5);
            my ($data, @fds) = recv_fds($mgr, 8, 4096);
            die "recv_fds: $!" unless defined $data;
            my %f = map { /^([A-Z_]+)=(.*)$/ ? ($1 => $2) : () } split /\n/, $data;
            push @seen, $data;
            if ($f{FDSTORE} && defined $f{FDNAME}) {
                $store{ $f{FDNAME} } = $fds[0];
                File::FDpasser::close_fds(@fds[1 .. $#fds]);
            } else {
                File::FDpasser::close_fds(@fds);
            }
            return @seen if $f{READY};
        }
        die "$what: no READY=1 in 30 s (@seen)";
    };
    my %env = (%ENV, NOTIFY_SOCKET => $notify);
    delete @env{qw(LISTEN_FDS LISTEN_PID LISTEN_FDNAMES)};

    open(my $out1, '>', "$dir/first.out") or die $!;
    my $first = spawn([$^X, '-Mblib', $script, '--listen', '127.0.0.1:0'],
                   env => \%env, fds => { 1 => $out1, 2 => $out1 })
        or die "spawn: $!";
    push @running, $first;
    my @states = $wait_ready->('first instance');
    ok(exists $store{http}, 'the first instance put its listener in the store');
    like(join("\n", @states), qr/^FDPOLL=0$/m, 'with FDPOLL=0');
    my $o1 = do { local (@ARGV, $/) = "$dir/first.out"; <> } // '';
    my ($port) = $o1 =~ /^hello: listening on 127\.0\.0\.1:(\d+)$/m;
    ok($port, 'the first instance opened its own listener') or diag($o1);

    # The client: connections one after another until told to stop.
    pipe(my $rd, my $wr) or die $!;
    my $client = fork // die "fork: $!";
    if (!$client) {
        close $rd;
        my ($n, $failed) = (0, 0);
        my $stop = 0;
        local $SIG{TERM} = sub { $stop = 1 };
        my $t0 = time;
        until ($stop || time - $t0 > 60) {
            my ($line, $why) = get(IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port"));
            $n++;
            if ($line) { print $wr "$line\n" } else { $failed++; print $wr "FAILED $why\n" }
            sleep 0.005;
        }
        print $wr "DONE $n $failed\n";
        close $wr;
        POSIX::_exit(0);
    }
    push @running, $client;
    close $wr;
    sleep 0.5;
    kill 'TERM', $first;
    reap($first);
    is($?, 0, 'the first instance stopped cleanly');
    sleep 0.3;    # a gap with no server at all: clients wait in the queue

    open(my $out2, '>', "$dir/second.out") or die $!;
    my $second = spawn([$^X, '-Mblib', $script],
                       env => \%env, fds => { 1 => $out2, 2 => $out2 },
                       listen => [ http => $store{http} ])
        or die "spawn: $!";
    push @running, $second;
    $wait_ready->('second instance');
    sleep 0.5;
    kill 'TERM', $client;
    my @lines = <$rd>;
    reap($client);
    kill 'TERM', $second;
    reap($second);
    is($?, 0, 'the second instance stopped cleanly');

    my ($done) = grep { /^DONE/ } @lines;
    my ($n, $failed) = ($done // '') =~ /^DONE (\d+) (\d+)/;
    ok($n && $n > 10, "the client made connections all along (" . ($n // 0) . ")");
    is($failed, 0, 'none was refused or left unanswered')
        or diag(grep { /^FAILED/ } @lines);
    my @by = map { /pid (\d+)/ ? $1 : () } grep { /^hello/ } @lines;
    my %count;
    $count{$_}++ for @by;
    ok($count{$first} && $count{$second},
       "both instances answered (first $count{$first}, second " . ($count{$second} // 0) . ")");
    my ($last_first) = grep { $by[$_] == $first } reverse 0 .. $#by;
    my ($first_second) = grep { $by[$_] == $second } 0 .. $#by;
    ok(defined $first_second && $first_second > $last_first
       && !grep({ $_ == $first } @by[$first_second .. $#by]),
       'the second instance answered only after the first had gone');
    my $o2 = do { local (@ARGV, $/) = "$dir/second.out"; <> } // '';
    like($o2, qr/^hello: pid $second serving on http \(handed\)$/m,
         'the second instance took the stored listener by name');
}

done_testing;
