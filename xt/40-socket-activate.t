# Proves listen_fds against the real supervisor: systemd's
# systemd-socket-activate (it needs no systemd running) listens, and on
# the first client starts a Perl server that takes the listeners by name
# with listen_fds and answers one client on each with its name.  Cases:
# TCP (127.0.0.1), IPv6 (::1) and a UNIX stream path named with one
# --fdname=a:b:c; two SEQPACKET UNIX paths named with two --fdname
# options; --datagram on UDP and a UNIX datagram path; a listener with no
# --fdname (named unknown); and --accept, where the activator accepts and
# the program gets the connection itself.  Every wait is bounded by alarm;
# each activator is killed at the end if still running.
use strict;
use warnings;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_SEQPACKET SOCK_DGRAM);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(spawn);

my ($activate) = grep { -x } map { "$_/systemd-socket-activate" }
    '/usr/bin', '/bin', split(/:/, $ENV{PATH} || '');
plan skip_all => 'needs systemd-socket-activate (Debian package systemd)'
    unless $activate;

alarm 120;
my $dir = tmpdir();
my $has_v6 = eval {
    require IO::Socket::IP;
    IO::Socket::IP->new(Listen => 1, LocalHost => '::1', LocalPort => 0)
} ? 1 : 0;

# The server: takes its listeners, reports them, serves one client on
# each (a datagram answered, or a connection accepted and answered), then
# exits.  A connection handed over by --accept is answered at once.
my $server = q{
    use strict;
    use warnings;
    use IO::Select;
    use Socket qw(SOCK_DGRAM);
    use File::FDpasser qw(listen_fds);
    $| = 1;
    my @l = listen_fds() or die "listen_fds: $!\n";
    my %by_fd;
    my @names;
    while (my ($name, $h) = splice(@l, 0, 2)) {
        push @names, $name;
        print "fd $name ", ref($h), ' ', fileno($h), "\n";
        $by_fd{ fileno $h } = [ $name, $h ];
    }
    print 'env ', join(',', grep { exists $ENV{$_} } qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)), "\n";
    # A connection (--accept) is answered at once; listeners when a
    # client comes.
    for my $fd (sort keys %by_fd) {
        my ($name, $h) = @{ $by_fd{$fd} };
        next if $h->socktype == SOCK_DGRAM || !defined $h->peername;
        $h->send("$name $$\n") or die "send $name: $!\n";
        delete $by_fd{$fd};
    }
    my $sel = IO::Select->new(map { $_->[1] } values %by_fd);
    my $left = keys %by_fd;
    while ($left > 0) {
        for my $h ($sel->can_read) {
            my ($name) = @{ $by_fd{ fileno $h } };
            if ($h->socktype == SOCK_DGRAM) {
                my $peer = $h->recv(my $buf, 100) or die "recv $name: $!\n";
                $h->send("$name got $buf", 0, $peer) or die "send $name: $!\n";
            } else {
                my $c = $h->accept or die "accept $name: $!\n";
                $c->send("$name $$\n") or die "send $name: $!\n";
                close $c;
            }
            $sel->remove($h);
            $left--;
        }
    }
    print "served\n";
};

# A free TCP or UDP port on 127.0.0.1 or ::1 (free when asked; the
# activator may still lose it to another program, and is then retried).
sub free_port {
    my ($host, $proto) = @_;
    my $class = $host eq '::1' ? 'IO::Socket::IP' : 'IO::Socket::INET';
    my $s = $class->new(LocalHost => $host, LocalPort => 0, Proto => $proto,
                        $proto eq 'tcp' ? (Listen => 1) : ()) or die "port: $!";
    return $s->sockport;
}

my (@keep, @activators);
# Whatever happens, no activator outlives the test.
END { kill 'TERM', @activators if @activators }
sub reaped { my ($pid) = @_; @activators = grep { $_ != $pid } @activators }

# Start the activator with @args (a code ref making them, called afresh
# on each try with new ports) and wait until it listens on all of them.
# Returns its pid and its stdout, stderr.
sub activate {
    my ($make_args, $n) = @_;
    for my $try (1 .. 5) {
        my @args = $make_args->();
        pipe(my $out_r, my $out_w) or die;
        pipe(my $err_r, my $err_w) or die;
        my $pid = spawn([$activate, @args, $^X, '-Mblib', '-e', $server],
                        fds => { 1 => $out_w, 2 => $err_w }) or die "spawn: $!";
        push @activators, $pid;
        close $out_w;
        close $err_w;
        my ($listening, $log) = (0, '');
        while ($listening < $n && defined(my $line = <$err_r>)) {
            $log .= $line;
            $listening++ if $line =~ /^Listening on /;
        }
        # The activator's stderr stays open until the end: it writes
        # there when it starts the server, and SIGPIPE would end it.
        push @keep, $err_r;
        return ($pid, $out_r) if $listening == $n;
        kill 'TERM', $pid;
        waitpid($pid, 0);
        reaped($pid);
        diag("try $try: the activator did not listen on all: $log");
    }
    die 'systemd-socket-activate never listened';
}

sub finish {
    my ($pid, $out, $name) = @_;
    my %r = (fd => []);
    while (defined(my $line = <$out>)) {
        chomp $line;
        my ($k, $v) = split / /, $line, 2;
        if ($k eq 'fd') { push @{ $r{fd} }, $v } else { $r{$k} = defined $v ? $v : 1 }
    }
    my $r = waitpid($pid, 0);
    reaped($pid);
    is($r == $pid ? $? : 'not reaped', 0, "$name: the server exited 0");
    return \%r;
}

# The answer on $sock; a server that died answers nothing, and the wait
# ends after 20 s rather than at the alarm, so the other cases still run.
sub reply {
    my ($sock) = @_;
    defined $sock or return "connect: $!";
    IO::Select->new($sock)->can_read(20) or return 'no answer';
    defined $sock->recv(my $buf, 100) or return "recv: $!";
    return $buf;
}

# TCP, IPv6 and UNIX stream, named with one --fdname=a:b:c.
{
    my ($tcp, $v6);
    my @names = ('web', 'ctl', $has_v6 ? 'v6' : ());
    my ($pid, $out) = activate(sub {
        $tcp = free_port('127.0.0.1', 'tcp');
        $v6 = $has_v6 ? free_port('::1', 'tcp') : undef;
        unlink "$dir/ctl";
        return ('-l', "127.0.0.1:$tcp", '-l', "$dir/ctl",
                $has_v6 ? ('-l', "[::1]:$v6") : (), '--fdname=' . join(':', @names));
    }, scalar @names);
    like(reply(IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tcp)),
         qr/^web \d+\n\z/, 'stream: a TCP client started the server and got the name web');
    like(reply(IO::Socket::UNIX->new(Peer => "$dir/ctl")),
         qr/^ctl \d+\n\z/, 'stream: a UNIX client got the name ctl');
    SKIP: {
        skip 'no IPv6 loopback (::1)', 1 unless $has_v6;
        like(reply(IO::Socket::IP->new(PeerHost => '::1', PeerPort => $v6)),
             qr/^v6 \d+\n\z/, 'stream: an IPv6 client got the name v6');
    }
    my $r = finish($pid, $out, 'stream');
    is_deeply($r->{fd}, [ 'web IO::Socket::INET 3', 'ctl IO::Socket::UNIX 4',
                          $has_v6 ? 'v6 IO::Socket::IP 5' : () ],
              'stream: names, classes and numbers as the activator passed them');
    is($r->{env}, '', 'stream: the variables consumed');
    ok($r->{served}, 'stream: every listener served');
}

# SEQPACKET, names given as two --fdname options.
{
    my ($pid, $out) = activate(sub {
        unlink "$dir/sp1", "$dir/sp2";
        return ('--seqpacket', '-l', "$dir/sp1", '-l', "$dir/sp2",
                '--fdname=first', '--fdname=second');
    }, 2);
    for (['sp2', 'second'], ['sp1', 'first']) {
        my ($path, $name) = @$_;
        like(reply(IO::Socket::UNIX->new(Type => SOCK_SEQPACKET, Peer => "$dir/$path")),
             qr/^$name \d+\n\z/, "seqpacket: a client of $path got the name $name");
    }
    my $r = finish($pid, $out, 'seqpacket');
    is_deeply($r->{fd}, [ 'first IO::Socket::UNIX 3', 'second IO::Socket::UNIX 4' ],
              'seqpacket: names, classes and numbers');
}

# Datagrams: UDP and a UNIX datagram path.
{
    my $udp;
    my ($pid, $out) = activate(sub {
        $udp = free_port('127.0.0.1', 'udp');
        unlink "$dir/dg";
        return ('--datagram', '-l', "127.0.0.1:$udp", '-l', "$dir/dg", '--fdname=udp:dgram');
    }, 2);
    my $u = IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1', PeerPort => $udp)
        or die "udp: $!";
    $u->send('ping') or die "send: $!";
    is(reply($u), 'udp got ping', 'datagram: a UDP datagram answered by the server named udp');
    my $d = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => "$dir/dg-client",
                                  Peer => "$dir/dg") or die "dgram: $!";
    $d->send('pong') or die "send: $!";
    is(reply($d), 'dgram got pong', 'datagram: a UNIX datagram answered by the server named dgram');
    my $r = finish($pid, $out, 'datagram');
    is_deeply($r->{fd}, [ 'udp IO::Socket::INET 3', 'dgram IO::Socket::UNIX 4' ],
              'datagram: names, classes and numbers');
}

# No --fdname: the listener is named unknown.
{
    my ($pid, $out) = activate(sub { unlink "$dir/anon"; ('-l', "$dir/anon") }, 1);
    like(reply(IO::Socket::UNIX->new(Peer => "$dir/anon")),
         qr/^unknown \d+\n\z/, 'no --fdname: the listener is named unknown');
    my $r = finish($pid, $out, 'no --fdname');
    is_deeply($r->{fd}, [ 'unknown IO::Socket::UNIX 3' ], 'no --fdname: class and number');
}

# --accept: the activator accepts, the program gets the connection.
{
    my ($pid, $out) = activate(sub { unlink "$dir/acc"; ('--accept', '-l', "$dir/acc") }, 1);
    like(reply(IO::Socket::UNIX->new(Peer => "$dir/acc")),
         qr/^unknown \d+\n\z/, '--accept: the connection handed over is answered');
    my $r = { fd => [] };
    while (defined(my $line = <$out>)) {
        chomp $line;
        push @{ $r->{fd} }, $1 if $line =~ /^fd (.*)/;
        last if $line eq 'served';
    }
    is_deeply($r->{fd}, [ 'unknown IO::Socket::UNIX 3' ], '--accept: the connection as an IO::Socket::UNIX at 3');
    kill 'TERM', $pid;
    is(waitpid($pid, 0), $pid, '--accept: the activator stopped');
    reaped($pid);
}

done_testing;
