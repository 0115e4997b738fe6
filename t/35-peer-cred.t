# Proves peer_cred reports, for each kind of endpoint, exactly whose
# credentials the POD says, between real processes: an accepted endpoint
# gives the process that connected, as it was at connect(); an
# endp_connect'ed one gives the process that called listen() (endp_create),
# even after the listener was handed with send_file to a process of another
# uid that accepts; spipe ends give whoever made the pair; serv_accept_fh's
# $uid is the connecting process's uid at connect().  An endpoint with no
# peer (a listener, a socket never connected) fails with ENOTCONN, a TCP
# socket (no credentials) and a datagram socket connected to a name with
# EOPNOTSUPP, socket pairs of every type their maker, a non-socket with
# ENOTSOCK, and none of them leaks a descriptor.  The cases with two uids
# need root (a child drops to 65534); as an ordinary user they skip, the
# rest run.
use strict;
use warnings;
use Test::More;
use Errno qw(ENOTCONN EOPNOTSUPP ENOSYS ENOTSOCK);
use IO::Handle;
use POSIX ();
use Socket qw(PF_UNIX PF_INET SOCK_STREAM INADDR_LOOPBACK pack_sockaddr_in);
use IO::Socket::INET;
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
# A build without SO_PEERCRED or getpeereid (make fallback-test) still
# refuses what has no peer, but has nothing to report for a connection:
# there peer_cred fails with ENOSYS and $uid is undef.
my $creds = File::FDpasser::_features() =~ /\bpeer_cred\b/;
my $dir = tmpdir();
my $where = $dir;    # where the endpoints go; one uid 65534 reaches, later
my $root = $> == 0;
my $NOBODY = 65534;
my ($me_uid, $me_gid) = ($>, (split ' ', $))[0]);

# peer_cred's answer as one string: "PID UID GID" or "fail ERRNO".
sub cred_str {
    my @c = peer_cred($_[0]);
    return 'fail ' . ($! + 0) unless @c;
    return join ' ', map { defined $_ ? $_ : 'undef' } @c;
}

# What a build reports for a connection recorded for ($pid, $uid, $gid).
sub want {
    my ($pid, $uid, $gid) = @_;
    return $creds ? "$pid $uid $gid" : 'fail ' . ENOSYS;
}
sub want_uid { $creds ? $_[0] : undef }


my $before = open_fds();

# --- What has no peer, or no credentials --------------------------------

sub refused {
    my ($h, $errno, $name) = @_;
    is(cred_str($h), 'fail ' . $errno, $name);
}

my $ls = endp_create("$dir/ls") or die "endp_create: $!";
refused($ls, ENOTCONN, 'a listening endpoint has no peer: ENOTCONN');

socket(my $unix, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
refused($unix, ENOTCONN, 'an AF_UNIX socket never connected: ENOTCONN');

socket(my $tcp, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
refused($tcp, ENOTCONN, 'a TCP socket never connected: ENOTCONN');

SKIP: {
    my $tl = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp')
        or skip "no TCP on the loopback interface: $!", 5;
    refused($tl, ENOTCONN, 'a TCP listener: ENOTCONN');
    my $tc = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                   PeerPort => $tl->sockport, Proto => 'tcp')
        or die "connect: $!";
    refused($tc, EOPNOTSUPP, 'a connected TCP client carries no credentials: EOPNOTSUPP');
    my $uid = 'untouched';
    my $ta = serv_accept_fh($tl, $uid);
    ok($ta, 'serv_accept_fh on a TCP listener') or diag("accept: $!");
    is($uid, undef, '... sets $uid to undef');
    refused($ta, EOPNOTSUPP, 'an accepted TCP connection: EOPNOTSUPP');
}

# Datagram sockets: a socket pair of any type records its maker on both
# ends; a datagram socket connect()ed to a name has a peer but Linux
# records no credentials for it (EOPNOTSUPP, never uid 4294967295); one
# only bound has no peer.
for my $t (['SOCK_DGRAM', Socket::SOCK_DGRAM()],
           ['SOCK_SEQPACKET', Socket::SOCK_SEQPACKET()]) {
    socketpair(my $x, my $y, PF_UNIX, $t->[1], 0) or die "socketpair: $!";
    is(cred_str($y), want($$, $me_uid, $me_gid),
       "an AF_UNIX $t->[0] socket pair: the process that made it");
}
{
    my $name = "$dir/dgram";
    socket(my $ds, PF_UNIX, Socket::SOCK_DGRAM(), 0) or die "socket: $!";
    bind($ds, Socket::pack_sockaddr_un($name)) or die "bind: $!";
    socket(my $dc, PF_UNIX, Socket::SOCK_DGRAM(), 0) or die "socket: $!";
    connect($dc, Socket::pack_sockaddr_un($name)) or die "connect: $!";
    refused($dc, $creds ? EOPNOTSUPP : ENOSYS,
            'a datagram socket connected to a name: EOPNOTSUPP (nothing recorded)');
    refused($ds, ENOTCONN, 'a datagram socket only bound: ENOTCONN');
}

open(my $file, '<', $0) or die;
refused($file, ENOTSOCK, 'a plain file: ENOTSOCK');
pipe(my $pr, my $pw) or die;
refused($pr, ENOTSOCK, 'a pipe: ENOTSOCK');
close $_ for $ls, $unix, $tcp, $file, $pr, $pw;
is(open_fds(), $before, 'no descriptor left open by the refusals');

# --- One uid: pids tell the processes apart -----------------------------

# An accepted endpoint reports the process that connected; the client's
# end reports the process that called listen().
{
    my $path = "$dir/one";
    my $l = endp_create($path) or die "endp_create: $!";
    my ($cpid, $cr) = role(undef, sub {
        my $e = endp_connect($path) or die "endp_connect: $!";
        $_[0]->(cred_str($e));
        $e;
    });
    my $u;
    my $c = serv_accept_fh($l, $u) or die "accept: $!";
    is(cred_str($c), want($cpid, $me_uid, $me_gid),
       'accepted endpoint: the process that connected');
    is($u, want_uid($me_uid), 'serv_accept_fh: $uid of the process that connected');
    is(said($cr), want($$, $me_uid, $me_gid),
       'endp_connect\'ed endpoint: the process that called listen()');
    release('one uid');
}

# The listener made by one process, handed with send_file to another,
# which accepts: the client's end still reports the one that called
# listen(), not the one that accepts.
my $handoffs = 0;
sub handoff {
    my ($maker_uid, $acceptor_uid, $client_uid, $name) = @_;
    my $sub = "$where/h" . ++$handoffs;
    my ($to_acceptor, $from_maker) = spipe() or die "spipe: $!";
    my ($mpid, $mr) = role($maker_uid, sub {
        my $l = endp_create($sub, mode => 0666) or die "endp_create: $!";
        send_file($to_acceptor, $l) or die "send_file: $!";
        close $l;    # the maker keeps no copy
        $_[0]->('sent');
    });
    is(said($mr), 'sent', "$name: the maker made the listener and sent it away");
    my ($apid, $ar) = role($acceptor_uid, sub {
        my $l = recv_fh($from_maker) or die "recv_fh: $!";
        $_[0]->(cred_str($l));
        my $u;
        my $c = serv_accept_fh($l, $u) or die "accept: $!";
        $_[0]->(cred_str($c), defined $u ? $u : 'undef');
        $c;
    });
    close $_ for $to_acceptor, $from_maker;
    is(said($ar), 'fail ' . ENOTCONN,
       "$name: the received listener itself has no peer: ENOTCONN");
    my ($cpid, $cr) = role($client_uid, sub {
        my $e = endp_connect($sub) or die "endp_connect: $!";
        $_[0]->(cred_str($e));
        $e;
    });
    my ($mu, $au, $cu) = map { defined $_ ? $_ : $me_uid }
                         $maker_uid, $acceptor_uid, $client_uid;
    my $gid = sub { defined $_[0] ? $_[0] : $me_gid };
    is(said($cr), want($mpid, $mu, $gid->($maker_uid)),
       "$name: the client reports the maker (uid $mu, pid $mpid), not the acceptor (uid $au, pid $apid)");
    is(said($ar), want($cpid, $cu, $gid->($client_uid)) . ' ' . ($creds ? $cu : 'undef'),
       "$name: the acceptor reports the client (uid $cu), \$uid too");
    release($name);
}
handoff(undef, undef, undef, 'handed listener, one uid');

# spipe ends: both report the process that made the pair, whoever holds
# the other end.
{
    my ($a, $b) = spipe() or die "spipe: $!";
    my ($cpid, $cr) = role(undef, sub { close $a; $_[0]->(cred_str($b)) });
    close $b;
    is(said($cr), want($$, $me_uid, $me_gid), 'spipe end in a forked child: the maker');
    is(cred_str($a), want($$, $me_uid, $me_gid), 'spipe end in the maker: the maker too');
    release('spipe');
    my ($x, $y) = spipe() or die "spipe: $!";
    my ($mpid, $mr) = role(undef, sub {
        my ($p, $q) = spipe() or die "spipe: $!";
        send_file($y, $p) or die "send_file: $!";
        $_[0]->('sent');
        $q;
    });
    is(said($mr), 'sent', 'a child made a pair and sent one end');
    my $got = recv_fh($x) or die "recv_fh: $!";
    is(cred_str($got), want($mpid, $me_uid, $me_gid), 'a received spipe end: its maker');
    release('spipe sent');
}

# --- Two uids -------------------------------------------------------------

SKIP: {
    skip 'needs root: two uids (a child drops to 65534)', 31 unless $root;
    chmod 0711, $dir or die "chmod: $!";    # uid 65534 reaches $dir/two
    mkdir "$dir/two", 01777 or die "mkdir: $!";
    chmod 01777, "$dir/two" or die "chmod: $!";
    $where = "$dir/two";

    # Accepted endpoint and the client's end, client of the other uid.
    my $path = "$where/acc";
    my $l = endp_create($path, mode => 0666) or die "endp_create: $!";
    my ($cpid, $cr) = role($NOBODY, sub {
        my $e = endp_connect($path) or die "endp_connect: $!";
        $_[0]->(cred_str($e));
        $e;
    });
    my $u;
    my $c = serv_accept_fh($l, $u) or die "accept: $!";
    is(cred_str($c), want($cpid, $NOBODY, $NOBODY),
       'two uids: accepted endpoint reports the client, uid 65534');
    is($u, want_uid($NOBODY), 'two uids: serv_accept_fh $uid is 65534');
    is(said($cr), want($$, 0, 0),
       'two uids: the uid-65534 client reports root, who called listen()');
    release('two uids, accept');

    # Credentials are those at connect(): a client that drops its
    # privileges after connecting is still reported as root.
    my ($dpid, $dr) = role(undef, sub {
        my $e = endp_connect($path) or die "endp_connect: $!";
        become($NOBODY);
        $_[0]->("now $>");
        $e;
    });
    is(said($dr), "now $NOBODY", 'a root client connected, then became 65534');
    $u = undef;
    $c = serv_accept_fh($l, $u) or die "accept: $!";
    is(cred_str($c), want($dpid, 0, 0),
       'accepted endpoint: the credentials at connect(), not now');
    is($u, want_uid(0), 'serv_accept_fh $uid: the uid at connect()');
    release('two uids, connect then drop');

    # A listener made by a uid-65534 process is refused, not reported as
    # that process.
    my ($sx, $sy) = spipe() or die "spipe: $!";
    my ($lpid, $lr) = role($NOBODY, sub {
        my $n = endp_create("$where/nl") or die "endp_create: $!";
        send_file($sy, $n) or die "send_file: $!";
        $_[0]->('sent');
    });
    is(said($lr), 'sent', 'a uid-65534 listener sent to root');
    my $nl = recv_fh($sx) or die "recv_fh: $!";
    is(cred_str($nl), 'fail ' . ENOTCONN, 'its listener, held by root: ENOTCONN');
    release('two uids, listener');

    # Handed listeners, both ways: root's listener accepted by uid 65534
    # (a uid-65534 client would believe it talks to root), and the reverse.
    handoff(0, $NOBODY, $NOBODY, 'root made, 65534 accepts');
    handoff($NOBODY, 0, 0, '65534 made, root accepts');

    # spipe made by root, the other end used by a uid-65534 child, and a
    # pair made by uid 65534 with one end sent to root.
    my ($a, $b) = spipe() or die "spipe: $!";
    my ($spid, $sr) = role($NOBODY, sub { close $a; $_[0]->(cred_str($b)) });
    close $b;
    is(said($sr), want($$, 0, 0), 'two uids: a uid-65534 child\'s spipe end reports root, its maker');
    is(cred_str($a), want($$, 0, 0), 'two uids: root\'s end reports root too, not the child');
    release('two uids, spipe');
    my ($x, $y) = spipe() or die "spipe: $!";
    my ($mpid, $mr) = role($NOBODY, sub {
        my ($p, $q) = spipe() or die "spipe: $!";
        send_file($y, $p) or die "send_file: $!";
        $_[0]->('sent');
        $q;
    });
    is(said($mr), 'sent', 'a uid-65534 child made a pair and sent one end');
    my $got = recv_fh($x) or die "recv_fh: $!";
    is(cred_str($got), want($mpid, $NOBODY, $NOBODY),
       'two uids: the received spipe end reports uid 65534, its maker');
    release('two uids, spipe sent');
}

done_testing;
