# haproxy's listener transfer against the real haproxy (Debian package
# haproxy), both ways, and against hostile peers:
# - fetch: a running haproxy's listeners (two TCP ports, a UNIX socket,
#   its stats socket; as root one bound to an interface) come back with
#   their addresses and metadata; once haproxy is dead they still listen,
#   on the same ports, and this process serves on them;
# - serve: a stand-in stats socket answers _getsocks, and "haproxy -x"
#   takes our listeners (the very sockets: same inodes, no bind of its
#   own, which would fail as we hold the ports without SO_REUSEPORT) and
#   serves HTTP on them;
# - under load: ab runs while the handoff happens; no request fails and
#   haproxy served after our server stopped;
# The wire against hostile peers is t/48-haproxy.t.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);
use Errno qw(EACCES EADDRINUSE);
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(AF_INET AF_UNIX SOCK_STREAM SOL_SOCKET SO_REUSEADDR);
use POSIX ();
use Time::HiRes qw(sleep);

my $haproxy = '/usr/sbin/haproxy';
my $ab      = '/usr/bin/ab';
plan skip_all => "needs $haproxy (Debian package haproxy) and $ab (apache2-utils)"
    unless -x $haproxy && -x $ab;

alarm 240;
$SIG{ALRM} = sub { die "timed out\n" };
my $dir = tmpdir();
chmod 0755, $dir;
my @kill;                   # processes to stop if a test dies
END { kill 'KILL', @kill if @kill; }

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    return $s->sockport;
}

# Starts haproxy in the foreground with $cfg; its output goes to $log.
sub start_haproxy {
    my ($name, $cfg, @args) = @_;
    open(my $fh, '>', "$dir/$name.cfg") or die $!;
    print $fh $cfg;
    close $fh or die $!;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open(STDOUT, '>', "$dir/$name.log") && open(STDERR, '>&', \*STDOUT)
            or POSIX::_exit(126);
        { exec $haproxy, '-db', @args, '-f', "$dir/$name.cfg" }
        POSIX::_exit(127);
    }
    push @kill, $pid;
    return $pid;
}

sub stop {
    my ($pid) = @_;
    kill 'TERM', $pid;
    waitpid($pid, 0);
    @kill = grep { $_ != $pid } @kill;
}

sub slurp { open(my $f, '<', $_[0]) or return ''; local $/; return <$f> }

# Waits (bounded) until $connect gives a connection.
sub wait_for {
    my ($connect) = @_;
    for (1 .. 200) {
        my $c = $connect->();
        return $c if $c;
        sleep 0.05;
    }
    return;
}

# One HTTP/1.0 request on a connected socket; the body, or undef.
sub get_on {
    my ($c) = @_;
    return undef unless $c;
    print $c "GET / HTTP/1.0\r\nHost: test\r\n\r\n";
    local $/;
    my $r = <$c>;
    return undef unless defined $r && $r =~ m{\AHTTP/1\.[01] 200 .*?\r\n\r\n(.*)\z}s;
    return $1;
}
sub get_tcp { get_on(IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_[0]", Timeout => 5)) }

# The HTTP answer of a Perl server: the same length as haproxy's, so that
# ab does not count a length change as a failure.
my $PERL_REPLY = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
               . "Content-Length: 7\r\nConnection: close\r\n\r\nperl-fd";

sub answer_one {
    my ($l) = @_;
    my $c = $l->accept or return 0;
    my $req = '';
    while ($req !~ /\r\n\r\n/) {
        my $n = sysread($c, $req, 4096, length $req);
        last unless $n;
    }
    syswrite($c, $PERL_REPLY);
    close $c;
    return 1;
}

my $is_root = $> == 0;

# --- fetch: haproxy's listeners, taken from it ---------------------------
{
    my ($p1, $p2, $p3) = (free_port(), free_port(), free_port());
    my $iface = $is_root ? "    bind 127.0.0.1:$p3 interface lo\n" : '';
    my $pid = start_haproxy('fetch', <<"EOF");
global
    stats socket $dir/stats.sock mode 600 level admin expose-fd listeners
    stats socket $dir/plain.sock mode 600 level admin
defaults
    mode http
    timeout client 5s
    timeout connect 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$p1
    bind 127.0.0.1:$p2
    bind unix\@$dir/http.sock mode 600
$iface    http-request return status 200 content-type text/plain string "haproxy"
EOF
    my $up = wait_for(sub { IO::Socket::UNIX->new(Peer => "$dir/plain.sock") });
    ok $up, 'haproxy is up' or diag slurp("$dir/fetch.log");
    close $up if $up;
    is get_tcp($p1), 'haproxy', 'haproxy answers on its first port';

    # Without expose-fd haproxy closes without a count.
    my $before = open_fds();
    my @none = haproxy_getsocks("$dir/plain.sock", timeout => 5);
    my $err = $! + 0;
    is scalar(@none), 0, 'a stats socket without expose-fd gives nothing';
    is $err, EACCES, '... with EACCES';
    is open_fds(), $before, '... and leaves no descriptor open';

    my @l = haproxy_getsocks("$dir/stats.sock", timeout => 5);
    $err = $! + 0;
    my %want = ("127.0.0.1:$p1" => '', "127.0.0.1:$p2" => '',
                "$dir/http.sock" => '', "$dir/stats.sock" => '',
                "$dir/plain.sock" => '');
    $want{"127.0.0.1:$p3"} = 'lo' if $is_root;
    is scalar(@l), scalar(keys %want), 'every listener of haproxy arrived'
        or diag "\$! $err: " . join ' ', map { $_->{address} } @l;
    is $err, 0, '... with $! 0';
    is open_fds(), $before + @l, '... one descriptor each';
    my %got = map { $_->{address} => $_ } @l;
    is_deeply [ sort keys %got ], [ sort keys %want ], 'their addresses are those of the bind lines';
    for my $a (sort keys %want) {
        my $x = $got{$a} or next;
        my $unix = $a =~ m{^/};
        is $x->{family}, $unix ? AF_UNIX : AF_INET, "$a: family";
        is $x->{type}, SOCK_STREAM, "$a: type";
        is $x->{interface}, $want{$a}, "$a: interface '$want{$a}'";
        is $x->{namespace}, '', "$a: no namespace";
        is $x->{options}, 0, "$a: options 0 (haproxy 2.3 and later)";
        isa_ok $x->{handle}, $unix ? 'IO::Socket::UNIX' : 'IO::Socket::INET', "$a: handle";
    }
    SKIP: {
        skip 'needs root (a bind line with an interface)', 1 unless $is_root;
        is $got{"127.0.0.1:$p3"}{interface}, 'lo', 'the interface of a bind line arrives';
    }

    # haproxy gone, the sockets still listen: connections to its ports and
    # UNIX path are accepted here, and the ports are not free again.
    stop($pid);
    ok !kill(0, $pid), 'haproxy has exited';
    for my $p ($p1, $p2) {
        my $l = $got{"127.0.0.1:$p"}{handle};
        is $l->sockport, $p, "port $p is still the fetched socket's";
        my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p", Timeout => 5);
        ok $c, "a client connects to port $p after haproxy died";
        print $c "GET / HTTP/1.0\r\n\r\n" if $c;
        ok answer_one($l), '... and this process accepts it on the fetched socket';
        local $/;
        my $r = $c ? <$c> : '';
        like $r, qr/perl-fd\z/, '... and answers it';
        my $again = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$p", Listen => 1, ReuseAddr => 1);
        my $e = $! + 0;
        ok !$again && $e == EADDRINUSE, "port $p cannot be bound again: the fetched socket holds it";
    }
    {
        my $c = IO::Socket::UNIX->new(Peer => "$dir/http.sock");
        ok $c, 'a client connects to the UNIX path after haproxy died';
        print $c "GET / HTTP/1.0\r\n\r\n" if $c;
        ok answer_one($got{"$dir/http.sock"}{handle}), '... accepted on the fetched socket';
        local $/;
        my $r = $c ? <$c> : '';
        like $r, qr/perl-fd\z/, '... and answered';
    }
    close $_->{handle} for @l;
    @l = %got = ();
    is open_fds(), $before, 'closing the handles closes the descriptors';
}

# --- serve: haproxy -x takes our listeners -------------------------------
{
    my @ours = map {
        IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 128) or die $!
    } 1 .. 2;
    my @ports = map { $_->sockport } @ours;
    my $stand_in = endp_create("$dir/ours.sock", mode => 0600) or die "endp_create: $!";
    my $pid = start_haproxy('serve', <<"EOF", '-x', "$dir/ours.sock");
global
    stats socket $dir/stats2.sock mode 600 level admin expose-fd listeners
defaults
    mode http
    timeout client 5s
    timeout connect 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$ports[0]
    bind 127.0.0.1:$ports[1]
    http-request return status 200 content-type text/plain string "haproxy"
EOF
    my $ready = IO::Select->new($stand_in)->can_read(20);
    ok $ready, 'haproxy -x connects to our stand-in';
    my $c = $ready && serv_accept_fh($stand_in);
    my $n = $c && haproxy_serve_getsocks($c, \@ours, timeout => 10);
    my $err = $! + 0;
    is $n, 2, 'our side saw _getsocks and sent both listeners' or diag "\$! $err";
    close $c if $c;
    my $up = wait_for(sub { IO::Socket::UNIX->new(Peer => "$dir/stats2.sock") });
    ok $up, 'haproxy started (it could not have bound the ports we hold)'
        or diag slurp("$dir/serve.log");
    close $up if $up;
    is get_tcp($_), 'haproxy', "haproxy serves on our port $_" for @ports;
    # The very sockets: haproxy's descriptors are our sockets' inodes.
    my %theirs;
    if (opendir(my $d, "/proc/$pid/fd")) {
        for (readdir $d) {
            my $t = readlink("/proc/$pid/fd/$_");
            $theirs{$1} = 1 if defined $t && $t =~ /^socket:\[(\d+)\]$/;
        }
    }
    for my $i (0, 1) {
        my $ino = (stat $ours[$i])[1];
        ok $theirs{$ino}, "haproxy holds our socket for port $ports[$i] (inode $ino)";
    }
    unlike slurp("$dir/serve.log"), qr/cannot bind|Address already in use/i,
        'haproxy bound nothing of its own';
    stop($pid);
    close $_ for @ours;
    close $stand_in;
    unlink "$dir/ours.sock";
}

# --- under load: ab while our server hands over to haproxy -x -------------
{
    my $N = 3000;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1024) or die $!;
    my $port = $l->sockport;
    my $stand_in = endp_create("$dir/load.sock", mode => 0600) or die "endp_create: $!";
    pipe(my $rd, my $wr) or die $!;
    # Our server: answers until haproxy has taken the listener, then stops
    # accepting and reports how many it answered.  Past half of the
    # requests it stops accepting even before (a slow haproxy start), so
    # that haproxy always has some left: they wait in the listener's queue.
    my $server = run_child {
        close $rd;
        $wr->autoflush(1);
        my ($served, $said) = (0, 0);
        my $sel = IO::Select->new($l, $stand_in);
        while (1) {
            $sel->remove($l) if $served >= $N / 2;
            for my $h ($sel->can_read(30)) {
                if ($h == $l) {
                    $served += answer_one($l);
                    print $wr "go\n" if $served == 200 && !$said++;
                    next;
                }
                my $c = serv_accept_fh($stand_in) or next;
                my $n = haproxy_serve_getsocks($c, [$l], timeout => 20);
                print $wr "served $served handoff ", ($n || "failed $!"), "\n";
                return $n;
            }
        }
    };
    push @kill, $server;
    close $wr;
    my $ab_pid = fork;
    die "fork: $!" unless defined $ab_pid;
    if (!$ab_pid) {
        open(STDOUT, '>', "$dir/ab.log") && open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
        { exec $ab, '-n', $N, '-c', 4, '-s', 20, "http://127.0.0.1:$port/" }
        POSIX::_exit(127);
    }
    push @kill, $ab_pid;
    my $go = <$rd>;
    is $go, "go\n", 'our server is answering ab';
    my $hap = start_haproxy('load', <<"EOF", '-x', "$dir/load.sock");
global
    stats socket $dir/stats3.sock mode 600 level admin expose-fd listeners
defaults
    mode http
    timeout client 5s
    timeout connect 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$port
    http-request return status 200 content-type text/plain string "haproxy"
EOF
    my $report = <$rd>;
    like $report, qr/^served (\d+) handoff 1$/, 'the listener was handed to haproxy -x';
    my ($ours) = ($report || '') =~ /^served (\d+)/;
    reap_ok $server, 'our server';
    @kill = grep { $_ != $server } @kill;
    close $l;      # haproxy has its own copy now
    waitpid($ab_pid, 0);
    my $ab_status = $?;
    @kill = grep { $_ != $ab_pid } @kill;
    my $out = slurp("$dir/ab.log");
    is $ab_status, 0, 'ab completed' or diag $out;
    like $out, qr/^Complete requests:\s+$N$/m, "all $N requests completed";
    like $out, qr/^Failed requests:\s+0$/m, 'no request failed';
    unlike $out, qr/Non-2xx responses/, 'no request was answered with an error';
    ok defined $ours && $ours < $N, 'our server stopped before the end'
        and diag "ours: $ours, haproxy: " . ($N - $ours);
    is get_tcp($port), 'haproxy', 'haproxy answers on the port afterwards';
    stop($hap);
    close $stand_in;
}

done_testing;
