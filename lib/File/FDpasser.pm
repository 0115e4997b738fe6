package File::FDpasser;

=head1 NAME

File::FDpasser - pass open files, sockets and pipes between processes

=head1 SYNOPSIS

    use File::FDpasser;                 # the 0.09 interface

    # Across fork
    my ($parent_end, $child_end) = spipe() or die "spipe: $!";
    send_file($parent_end, $fh) or die "send_file: $!";
    my $fh = recv_fh($child_end)
        or die($! ? "recv_fh: $!" : "peer closed");

    # Between unrelated processes
    my $ls = endp_create("/tmp/openserver", mode => 0600)
        or die "endp_create: $!";
    my $conn = serv_accept_fh($ls, my $uid) or die "accept: $!";
    send_file($conn, $socket_or_file) or die "send_file: $!";

    my $c = endp_connect("/tmp/openserver") or die "endp_connect: $!";
    my $sock = recv_fh($c, 'IO::Socket::INET');

    # Several descriptors and data in one message, peer credentials
    use File::FDpasser qw(:all);
    send_fds($conn, [$in, $out, $err], "job 42") or die $!;
    my ($data, @fds) = recv_fds($c) or die $! ? $! : "peer closed";
    my ($pid, $uid, $gid) = peer_cred($c);

    # Message boundaries kept (see MESSAGE BOUNDARIES)
    my ($p, $q) = spipe(type => 'seqpacket') or die "spipe: $!";

    # Under systemd: activated listeners by name, readiness, the fd store
    my %listener = listen_fds();        # (http => IO::Socket::INET, ...)
    notify("READY=1") or die "notify: $!";
    fdstore('conn-42', [$client]) or die "fdstore: $!";

    # Drop-in for IO::FDPass
    File::FDpasser::send(fileno $socket, fileno $fh) or die $!;
    my $fd = File::FDpasser::recv(fileno $socket);
    $fd >= 0 or die "recv: $!";

=head1 DESCRIPTION

File::FDpasser hands an open file, socket or pipe from one process to
another: from a server that accepts connections to the pre-forked workers
that serve them, from an old server to its replacement during a restart,
from a privileged process that may open a file to one that may not.  The
receiver gets its own descriptor on the same open file, with the same
offset and flags, whatever its path or permissions.

Descriptors travel over a connected I<endpoint>: either one end of a pair
made with C<spipe> before C<fork>, or a connection through a named
endpoint in the file system made with C<endp_create>,
C<serv_accept_fh> and C<endp_connect>.

It carries the interface of File::FDpasser 0.09 (exported by default), the
C<send>/C<recv> calls and wire format of L<IO::FDPass>, and goes beyond
both: several descriptors and data in one message, the peer's
credentials, close-on-exec by Perl's rules, retrying after signals, and a
guarantee that no descriptor is leaked or lost, even when the receiver's
descriptor table is full.  The work is done in a small C library
(F<fdpass.c>, L</C API>) that C programs can use on their own, and that
speaks to Python's C<socket.send_fds>, IO::FDPass, plan9port's C<sendfd>,
libancillary, Ruby's C<send_io> and Python's multiprocessing on the same
connection (L</Other peers>).

Under systemd it is both sides of socket activation, the notification
socket and the descriptor store (L</Supervisors: systemd and others>),
with no library of systemd's linked in.

=head1 QUICK START

From the unpacked distribution, on any system with a C compiler:

    perl Makefile.PL && make && perl -Mblib eg/prefork.pl --demo
    make test

F<eg/prefork.pl> is a pre-fork server: its parent accepts each TCP
connection on a loopback port and passes it to the least busy of three
workers.  With C<--demo> it also starts a client that makes twelve
connections, prints who answered each, and stops the server.  The
programs in F<eg/> (L</EXAMPLES>) are short and each runs on its own.

=head1 EXAMPLES

Each runs from the built distribution directory (C<perl -Mblib eg/...>),
where C<make test> runs it too (F<t/45-eg.t>, F<t/46-eg-async.t>).

=over

=item F<eg/prefork.pl> [C<--demo> | I<PORT>]

a pre-fork server: the parent takes connections with C<serv_accept_fd>
and hands each to the least busy worker with C<send_file>.

=item F<eg/handoff.pl> [C<--demo>] [C<--port> I<PORT>]

a server that, on SIGHUP, starts a new copy of itself with C<spawn>,
hands it its listening socket by name with C<handoff_give> (the copy
calls C<handoff_take>), and exits once the copy holds it; no client is
refused meanwhile.

=item F<eg/privsep.pl>

privilege separation: a root parent opens a file only root may read and
passes the handle to a worker chrooted to an empty directory as nobody.

=item F<eg/openserver.pl> I<PATH>, F<eg/openclient.pl> I<PATH>

a server on a named endpoint that answers requests with open
descriptors (a file, its log, a socket to an echo service), and an
unrelated client that uses them; F<eg/demo.sh> runs the two together.

=item F<eg/systemd/hello.pl> [C<--listen> I<ADDR:PORT>]...

an HTTP server for systemd, with its unit files beside it
(F<fdpass-hello.socket>, F<fdpass-hello-local.socket>,
F<fdpass-hello.service>): socket-activated, it takes its listeners by name
with C<listen_fds>; started alone, it opens its own and keeps them in
systemd's descriptor store with C<fdstore>, so a restart of the service
keeps them; it reports C<READY=1> with C<notify>.  Outside systemd it
runs as a plain server.  F<xt/42-systemd-hello.t> runs it under
C<systemd-socket-activate> and through a restart.

=item F<eg/anyevent-collector.pl>, F<eg/io-async-collector.pl>

collectors that receive pipes from several producer processes on a
non-blocking endpoint in an AnyEvent or IO::Async loop.

=back

F<bench/prefork-httpd.pl>, the pre-fork HTTP/1.1 server the benchmark
measures (F<bench/prefork.sh>), is a larger program with Linux tuning.

=head1 API AT A GLANCE

    # exported by default (the 0.09 interface)
    ($a, $b) = spipe([type => 'seqpacket'])     connected pair, for fork
    $ls  = endp_create($path, mode => 0600)     named listening endpoint
                      [, type => 'seqpacket']
    $c   = serv_accept_fh($ls [, $uid])         accept; $uid of the peer
    $fd  = serv_accept_fd($ls [, $uid])
    $c   = endp_connect($path [, type => ...])  connect to an endpoint
    $fd  = cli_conn($path)
    $ok  = send_file($c, $fh)                   pass one descriptor
    $fh  = recv_fh($c [, $class])               receive one, as a handle
    $fd  = recv_fd($c)                          receive one, as a number
    get_fopen_mode($fd), my_getfl($fd)

    # IO::FDPass's calls, fully qualified
    File::FDpasser::send($sock_fd, $fd)         true / false
    File::FDpasser::recv($sock_fd)              fd / -1

    # on request, or with :all
    send_fds($c, \@fhs [, $data])               many descriptors and data
    ($data, @fds) = recv_fds($c [, $max_fds [, $max_bytes]])
    close_fds(@fds)                             close numbers, without POSIX
    ($pid, $uid, $gid) = peer_cred($c)
    $ok  = send_file_v009($c, $fh)              send_file in 0.09's form
    $pid = spawn([$prog, @args], fds => { 3 => $sock }, chdir => $dir,
                 env => \%env)                   start a program, fds placed
    FDPASS_MAX                                  253

    # supervisors (systemd's protocols), on request, or with :all
    @l  = listen_fds()                          (name => handle, ...) passed in
                                                (systemd, Server::Starter)
    $pid = spawn([...], listen => [http => $ls]) be the supervisor
    $ok = notify("READY=1" [, fds => \@fhs])    tell $NOTIFY_SOCKET
    $ok = fdstore($name, \@fhs [, poll => 0])   keep descriptors in the store
    $ok = fdstore_remove($name)
    $pidfd = peer_pidfd($c)                     the peer as a pidfd

    # handing listeners on: haproxy's socket transfer, own generations
    @l  = haproxy_getsocks($stats_path)         a running haproxy's listeners
    $n  = haproxy_serve_getsocks($c, \@ls)      answer `haproxy -x`
    $ok = handoff_give($path, [http => $ls])    to the next generation
    @l  = handoff_take($path)                   from the previous one

=head1 HANDLE ARGUMENTS

Wherever a function takes an endpoint or a file to pass, it accepts a
glob (C<*FH>), a glob reference (C<\*FH>, C<my $fh>), an IO object
(C<*FH{IO}>), an object built on a glob such as IO::Handle and
IO::Socket objects, or a plain descriptor number (C<3> or C<"3">).

Anything else fails with C<$!> set to C<EBADF> (except in C<send_file>,
which dies as 0.09 did; see there): undef, a string that is
not a number, a negative or fractional number, an unopened or closed
handle, a tied handle with no descriptor behind it, a reference to
anything but a glob or IO object.  The wrong number of arguments croaks
with C<Usage: File::FDpasser::...>.

A handle that is passed has its pending output flushed first, so what the
sender printed before passing is in the file before the receiver writes.
Input that the sender's PerlIO layer has already read ahead is not
passed: it stays in the sender's buffer.  Pass a handle before reading
from it with C<readline>/C<read>, or use C<sysread>.

=head1 MESSAGE BOUNDARIES

An endpoint is a stream by default (C<SOCK_STREAM>), as in 0.09: the
kernel keeps no message boundaries for bytes.  A message that carries
descriptors is never joined to another message with descriptors, and no
bytes sent after it arrive with it, but bytes sent I<without>
descriptors just before it can arrive together with it: after
C<send_fds($c, [], "abc")> and C<send_fds($c, [$fh], "X")> the receiver
may get C<("abcX", $fd)> from one C<recv_fds> (Linux does that whenever
both are queued; Python's C<socket.recv_fds> behaves the same), and
bytes-only messages run together like any stream.  A long message may
also come in parts.  On a stream, give bytes-only messages a length or a
terminator of their own, or send every message with a descriptor.

A I<SEQPACKET> endpoint (C<AF_UNIX> C<SOCK_SEQPACKET>; C<< type =>
'seqpacket' >> to C<spipe>, C<endp_create> and C<endp_connect>) keeps
every message whole: each C<send_fds>, C<send_file> or C<send> is one
message, and each receive returns exactly one message, its bytes and its
descriptors, never a part of it and never two.  Then:

=over

=item * A message longer than the receive call takes (C<$max_bytes> for
C<recv_fds>; two bytes for C<recv_fh>, C<recv_fd> and C<recv>, see
L</THE WIRE>) fails with
C<EMSGSIZE>; every descriptor it carried is closed and the message is
gone (the kernel cannot return the rest of a datagram).  It is never cut
silently.  A message of bytes without a descriptor to C<recv_fh>,
C<recv_fd> or C<recv> is C<EBADMSG>, whatever its length.

=item * A message of no bytes and no descriptors (another program can
send one; this module's sends always carry at least one byte) is a
message, not the end of stream: C<recv_fds> returns C<("")>, C<recv_fh>
and C<recv_fd> fail with C<EBADMSG>.  End of stream is the peer closing
its end or shutting down its writing side.  The kernel reports both with
the same zero, so after a zero the call looks once, without waiting,
whether a message follows or the peer can still send.  One case stays
ambiguous: an
empty message that the peer sent just before closing, with nothing but
empty messages after it, is reported as the end of stream (the next call
would report that end anyway).  On systems other than Linux an empty
message directly followed by another one is reported as the end of
stream too, although more may follow: do
not send empty messages to programs on such systems.

=item * A message must fit the sender's socket send buffer (about 208 KiB
by default on Linux, C<SO_SNDBUF>): a longer one fails with C<EMSGSIZE>
from the kernel and nothing is sent.  A send never sends part of a
message: it goes whole, or the call fails (C<EAGAIN> on a non-blocking
endpoint when the peer's queue is full).

=back

C<endp_connect> without C<type> connects to either kind of endpoint and
takes the listener's type (C<serv_accept_fh> gives an end of the same
type), so clients need not know which kind a server made.  SEQPACKET
endpoints exist where the system's C<AF_UNIX> sockets have them (Linux,
tested here; FreeBSD, NetBSD and OpenBSD have them too); macOS, the
STREAMS backend and Windows have none (L</PORTABILITY>).  The wire
format is the one streams carry, so Python's C<socket.send_fds> and
C<socket.recv_fds> and C programs on F<fdpass.h> work on a SEQPACKET
endpoint as on a stream (t/90-interop.t).

=head2 Other peers

Every send puts one message on the wire: the data bytes (the single byte
0 when there is no data) with one C<SCM_RIGHTS> control message holding
the descriptors; every receive takes any data byte.  So the peers below
talk to this module as they are, in both directions (t/92-interop-peers.t
runs each against a real process).  Each has limits of its own:

=over

=item * Ruby: C<UNIXSocket#send_io> sends one descriptor with the byte 0;
C<recv_fh>, C<recv_fd> or C<recv_fds> take it.  C<#recv_io> takes one
message of exactly one descriptor and reads one byte: send to it with
C<send_file> or C<send>, never C<send_fds> of two or more (C<recv_io>
raises C<SocketError> and closes them) nor with longer C<$data> (the
rest stays queued as bytes).  For several descriptors and data use
C<#sendmsg> with C<Socket::AncillaryData.unix_rights(@ios)> and
C<#recvmsg(maxlen, 0, nil, scm_rights: true)> with C<send_fds> and
C<recv_fds>.

=item * plan9port's C<sendfd>/C<recvfd> (and programs that pass
descriptors the same way): one descriptor and one byte per message.
C<recv_fd>/C<recv_fh> take what C<sendfd> sends; C<recvfd> takes what
C<send_file>, C<send> or a C<send_fds> of one descriptor sends.  Send it
no more than one descriptor per message.

=item * libancillary: its sender puts the byte C<"!"> beside the
descriptors (C<recv_fds> returns C<"!"> as the data); its receiver takes
any one byte, so the 0 of C<send_file> does; send it no more
descriptors in one message than it asks for.

=item * Python's C<multiprocessing.reduction>: C<sendfds(sock, fds)>
(and C<send_handle>, one descriptor) sends C<chr(@fds % 256)>, the
count, as the data byte; take them with C<recv_fds($c, $n)> and ignore
the byte.  Its C<recvfds(sock, size)> (and C<recv_handle>, size 1)
insists that the byte be the count and fails otherwise (C<send_file>'s
0 makes it raise C<AssertionError>), so send to it with
C<send_fds($c, \@files, chr(@files % 256))>, at most C<size>
descriptors in the message.  On macOS multiprocessing also acknowledges
each message: its sender waits for one byte C<"A"> after each message
(C<syswrite($c, "A")> after C<recv_fds>) and its receiver sends one
(C<sysread> it after C<send_fds>); elsewhere there is no acknowledgement.

=back

=head1 THE WIRE

Each descriptor that C<send_file> and C<File::FDpasser::send> pass goes
in one message with the single byte 0, as IO::FDPass and plan9port's
C<sendfd> send it, and as they expect it.  File::FDpasser 0.09 sent two
bytes with each descriptor, a 0 and a status byte (0 when a descriptor
comes with it; non-zero, with no descriptor, for an error), and its
receiver insists on them: a one-byte message makes a 0.09 process print
"message format error" and exit with status 2.  So, with a 0.09 process
at the other end (a program that still loads 0.09, not a script run with
this module):

=over

=item * Every receive takes both forms.  C<recv_fh>, C<recv_fd> and
C<File::FDpasser::recv> read up to two bytes with the descriptor, so a
0.09 sender's messages are read one per call, the right file each time,
with nothing left over to fail the next call.  A stream read ends with
the message that carried the descriptor: it never takes a byte of the
message after it, with or without descriptors (bytes sent I<without> a
descriptor just I<before> it may come with it, as L</MESSAGE
BOUNDARIES> says; a one-byte receive would then have failed with
C<EBADMSG> and left the descriptor for the next call, a two-byte one
returns the descriptor).  On a SEQPACKET endpoint a message of one or two
bytes with its descriptor is taken; three or more are C<EMSGSIZE>.
C<recv_fds> returns 0.09's two bytes as its data, C<"\0\0">.  0.09's
error form, a 0 and a non-zero status without a descriptor, is
C<EBADMSG> to C<recv_fh>, C<recv_fd> and C<recv>.

=item * Sends keep the one byte by default: IO::FDPass and this
module's own receivers before this version read exactly one byte, and a
second would be left for their next receive.  C<send_file_v009> sends
0.09's form (a 0, then the status 0) for a 0.09 receiver.  The choice
is made per call: the endpoint keeps no setting, so one endpoint can
serve both kinds of peer if the program knows which one it talks to.

=back

Both hold on the C<SCM_RIGHTS> backend, where 0.09 ran.  On the STREAMS
backend (0.09's C<sysv> code wrote its messages otherwise) and on
Windows (0.09 never ran there; the exchange has its own framing) a
receive still reads one byte, and C<send_file_v009> fails with
C<ENOSYS>.

=head2 The handoff wire

C<handoff_give> and C<handoff_take> speak a small protocol of their own
over a stream connection, so a program in another language can take
part.  All numbers are ASCII decimal, lines end in C<\n>.  The old side
sends, as the data of the message that carries the first batch's
descriptors:

    FDPASSER-HANDOFF/1 COUNT BATCHES TYPE METALEN\n
    METADATA (METALEN bytes)

TYPE is C<-> (no metadata; METALEN 0), C<s> (a string) or C<h> (a hash:
one record per key, in any order, each C<KEYLEN VALUELEN\n> then the key's
and the value's bytes).  METALEN is at most 65536.  Each batch, the
first right after the metadata in the same message, every other one in
a message of its own, is

    batch K NAMELEN\n
    NAMES (NAMELEN bytes: K names, each followed by \n)

and its message carries its K descriptors (1 to C<FDPASS_MAX>), in the
order of the names.  COUNT (at least 1) is the sum of the Ks, BATCHES
the number of batches.  A name is 1 to 255 bytes of printable ASCII
(space to C<~>) without C<:>.  The successor, once it has all COUNT
descriptors and nothing else, answers C<held COUNT\n>; that line is
the acknowledgement the old side waits for.  An old side that refuses
the successor's uid sends C<FDPASSER-HANDOFF/1 refused\n> instead of
the header and closes.

On a stream the kernel may join or split the data of those messages;
the descriptors always arrive with or before the bytes of their batch.
So the receiver reads the bytes as one stream and the descriptors as
one queue, in order, and checks the totals: COUNT descriptors, no more,
with every byte accounted for.

=head1 FUNCTIONS

C<use File::FDpasser> exports the 0.09 interface; the newer calls are
exported on request, and C<use File::FDpasser qw(:all)> exports
everything.  C<send> and C<recv> are never exported.  Names are exported
by L<Exporter>, which croaks for a name the module does not export.

=head2 The 0.09 interface (exported by default)

=head3 ($end1, $end2) = spipe([type => $type])

Two connected endpoints, IO::Handle objects, for use across C<fork>: an
C<AF_UNIX> C<SOCK_STREAM> socket pair (a STREAMS pipe on SysV builds, a
loopback TCP pair on Windows; see L</PORTABILITY>).  Each end can send and receive.
Returns the empty list on failure with C<$!> set (C<EMFILE>, C<ENFILE>).
Called in scalar or void context, where one end would be dropped, it
croaks (C<File::FDpasser::spipe: returns two endpoints; call it in list
context>) before making anything.

C<< type => 'seqpacket' >> makes a C<SOCK_SEQPACKET> pair, which keeps
message boundaries (L</MESSAGE BOUNDARIES>); where there is none it fails
with C<EPROTONOSUPPORT>.  C<< type => 'stream' >> is the default.  An
unknown type croaks; C<spipe()> with no arguments is the 0.09 call.

    my ($parent, $child) = spipe() or die "spipe: $!";
    defined(my $pid = fork) or die "fork: $!";
    if ($pid == 0) {                    # the child keeps $child
        close $parent;
        my $fh = recv_fh($child) or die($! ? "recv_fh: $!" : "no file");
        print while <$fh>;
        exit 0;
    }
    close $child;
    open(my $log, '<', '/var/log/syslog') or die "open: $!";
    send_file($parent, $log) or die "send_file: $!";

=head3 $listener = endp_create($path [, mode => $mode] [, backlog => $n] [, type => $type])

A listening endpoint at C<$path>, an IO::Handle; C<select> and C<poll>
report it readable when a client waits.  Returns undef on failure with
C<$!> set.

=over

=item * C<mode> gives the node exactly those permissions (a number, e.g.
C<0600>), whatever the umask; the node appears at C<$path> only once it
has them and the endpoint listens, so no client ever finds it with other
permissions.  Without it, the umask decides.  C<mode> on a Linux
abstract name (which has no node to carry permissions) fails with
C<EINVAL> rather than leaving the endpoint open to every user.  Any
umask works, with one exception: where Linux has no F</proc> (a
C<chroot>), a user other than root whose umask takes the owner's read
bit (0777, 0477) gets C<EACCES>, since the private directory below must
then be opened to be given mode 0700.

=item * C<backlog> is the listen backlog (default 128).

=item * C<type> is C<'stream'> (the default, C<SOCK_STREAM>) or
C<'seqpacket'> (C<SOCK_SEQPACKET>, which keeps message boundaries; see
L</MESSAGE BOUNDARIES>; C<EPROTONOSUPPORT> where there is none).  The
connections accepted on it are of the same type.  An unknown type
croaks.

=item * A path beginning with C<"\0"> names a Linux abstract socket, with
nothing in the file system (C<EINVAL> elsewhere).

=item * A path too long for the platform (on Linux 107 bytes, plus the NUL
that ends it) fails with C<ENAMETOOLONG>; it is never truncated.  A path
with a NUL byte inside fails with C<EINVAL>, an empty one with C<ENOENT>,
undef with C<EINVAL>.

=item * A socket node left behind by a server that has gone (nobody
accepts on it) is replaced.  A live one, where a server still accepts,
fails with C<EADDRINUSE>; to tell, C<endp_create> connects to it once,
so that server accepts a connection that is closed at once.  On Linux
that connection goes to the node looked at, through F</proc/self/fd>,
never to a socket named by a symlink another user put at C<$path>
meanwhile (without F</proc> it goes by C<$path>).  Anything at
the path that is not a socket (a symlink too, whatever it points to) is
left untouched and the call fails with C<EEXIST>.

=item * Safe in a directory other users can write (F</tmp>, a shared run
directory), for a server running as root too: C<endp_create> never
follows a symlink, never changes the permissions of anything but the
socket it made, and never removes anything but a socket node that no
server accepts on, whatever another user does to the directory
meanwhile.  Of two servers starting on one path at the same moment with
C<endp_create>, exactly one wins and the other fails with C<EADDRINUSE>
(a program that binds and then listens shows a node nobody accepts on
in between, which counts as stale).  A stale node another user left in
a sticky directory such as F</tmp> can be replaced only by root; others
get C<EPERM> (C<EADDRINUSE> if they may not even connect to it, so
cannot tell whether it is live), as before.  The socket is made in a
private directory (mode 0700, named F<.fdpass->I<XXXXXXXX>) beside
C<$path> and appears at C<$path> once it listens, so what differs from
a plain C<bind> is:

=over

=item - the directory of C<$path> must be writable (it always had to be,
to make a node there);

=item - the listener's own address (C<getsockname>, C<hostpath> of an
IO::Socket::UNIX view of it) and a client's C<getpeername> name the
address the socket was bound under, not C<$path>: on Linux
F</proc/self/fd/>I<N>F</s>, since that route leads to the private
directory the call holds whatever another user does to any name on
the way (one who may rename the private directory, or a directory
above it, could otherwise put a symlink in its place before the
C<bind>); elsewhere, and on Linux without F</proc> (a C<chroot>), the
private path, which no longer exists.  There a path that does not fit
in C<sun_path> (a short name at the end of a directory path near the
length limit) fails with C<ENAMETOOLONG>, and a private directory
redirected that way by a user who may rename it or a directory above
it makes the call fail, with a socket node named F<s> left where the
symlink led;

=item - a process killed during the call can leave the empty private
directory behind, which C<rmdir> removes.  Something another user
swaps in at C<$path> during the stale check is put back, and the call
fails with C<EEXIST> (C<EADDRINUSE> if it is another socket); if it
cannot be put back without replacing anything (the name was taken again
meanwhile; or, on systems other than Linux, it is a directory or another
user's file), it stays in that directory, and the directory stays.

=back

=item * The node stays in the file system when the endpoint is closed, as
0.09 left it; the next C<endp_create> on the path replaces it.  Remove it
with C<unlink> when done.

=back

An unknown option croaks.

=head3 $conn = endp_connect($path [, type => $type])

A connected endpoint (IO::Handle), or undef with C<$!>: C<ENOENT> (no
such endpoint), C<ECONNREFUSED> (a node with no server), C<ENAMETOOLONG>,
C<EINVAL>, C<EACCES>.

The connection takes the type of the endpoint at C<$path>: a stream
connection is tried first and, when the server's endpoint is a
SEQPACKET one (the kernel answers C<EPROTOTYPE>), a SEQPACKET connection
is made instead.  That is also what C<< type => 'stream' >> does.  With
C<< type => 'seqpacket' >> only a SEQPACKET connection is made: a stream
endpoint fails with C<EPROTOTYPE>, and a system without SEQPACKET with
C<EPROTONOSUPPORT>.  An unknown type or option croaks.  C<cli_conn>
connects the first way.

    my $c = endp_connect('/run/myserver.sock')
        or die "cannot reach the server: $!";

=head3 $conn = serv_accept_fh($listener [, $uid])

Accepts a connection on a listening endpoint and returns it (an
IO::Handle), or undef with C<$!> (C<EAGAIN> when the listener is
non-blocking and nobody waits).  With a second argument, that variable is
set to the effective user id the connecting process had when it called
C<endp_connect>, as C<peer_cred> on the accepted endpoint reports it
(undef where the platform cannot tell, and for a connection that carries
no credentials, such as TCP).

    while (1) {
        my $c = serv_accept_fh($listener, my $uid) or die "accept: $!";
        if (!defined $uid || $uid != $<) { close $c; next }   # own uid only
        send_file($c, $fh) or warn "send_file: $!";
        close $c;
    }

=head3 $fd = serv_accept_fd($listener [, $uid])

The same, returning the descriptor number.

Both accept on any listening stream socket, a TCP one too (C<$uid> is
then undef).  A server that only passes its connections on can take them
with C<serv_accept_fd>, hand the number to C<send_file> and close it with
C<close_fds>, never making a Perl handle of them, as F<eg/prefork.pl>
does.

=head3 $ok = send_file($endpoint, $file)

Sends the descriptor of C<$file> (see L</HANDLE ARGUMENTS>).  True on
success; undef on failure with C<$!>, as 0.09 returned: C<EBADF> (a
descriptor number that is not open), C<EPIPE> (the peer has gone;
C<SIGPIPE> is never raised), C<EAGAIN> (a non-blocking endpoint is
full), C<ENOTSOCK>.  The sender keeps its own descriptor; close it when
it is no longer needed.

An argument that is neither a handle with a descriptor nor a descriptor
number (undef, C<"abc">, C<"">, C<-1>, C<"3.5">, a closed or unopened
handle, a hash reference) dies, as in 0.09, with 0.09's message to the
byte, both arguments interpolated as Perl does (undef as the empty
string):

    Invalid args to send_file: IO::Handle=GLOB(0x...), abc

Programs written for 0.09 test for that message.  C<File::FDpasser::send>
fails quietly with C<EBADF> instead, as IO::FDPass does.

    send_file($conn, $client_socket) or die "send_file: $!";
    close $client_socket;               # the receiver has its own now

=head3 $fh = recv_fh($endpoint [, $class])

Receives one descriptor and returns a handle open on it, without
duplicating it (as C<open($fh, "+<&=", $fd)> would), in the mode its
flags give (see C<get_fopen_mode>), blessed into C<$class> when given
(e.g. C<IO::Socket::INET>), else into IO::Handle (loaded with the
module).  C<$class> is read before anything is received, and must be
loaded already: the call never loads it (it only blesses into that
package), because nothing may be loaded once the descriptor has
arrived.  Nothing the call does after receiving needs a
descriptor or a file, so a receive into the last free slot of the
descriptor table, or in a C<chroot> that has no C<@INC>, succeeds (so do
C<spipe>, C<endp_create>, C<endp_connect> and C<serv_accept_fh> when the
kernel could make their descriptors).  A received socket gets separate
read and write buffers, as Perl's own sockets have, and autoflush, as
IO::Socket's constructors set it.

Returns undef on failure with C<$!> set, and undef with C<$!> equal to 0
at end of stream (the peer closed the connection):

    defined(my $fh = recv_fh($c)) or die($! ? "recv_fh: $!" : "peer closed");

Errors: C<EBADMSG> (bytes arrived without a descriptor; on a SEQPACKET
endpoint also an empty message), C<EMSGSIZE> (the message carried more
than one descriptor, or, on a SEQPACKET endpoint, a descriptor with more
than two bytes (L</THE WIRE>); all were closed), C<EMFILE> (no
free slot in the descriptor table; the message stays queued), C<EAGAIN>
(non-blocking, nothing waiting), C<EBADF>, C<ENOTSOCK>.

=head3 $fd = recv_fd($endpoint)

The same as C<recv_fh>, returning the descriptor number.

=head3 $mode = get_fopen_mode($fd)

The stdio mode that matches a descriptor's open flags, as 0.09 computed
it: C<"r">, C<"w">, C<"a">, C<"w+"> (read-write) or C<"a+">
(read-append).  Undef with C<EBADF> for a descriptor that is not open.
Takes a handle too.

=head3 $flags = my_getfl($fd)

The descriptor's C<F_GETFL> flags; C<-1> with C<$!> (C<EBADF>) for one
that is not open, as 0.09 returned C<fcntl>'s result (its callers test
C<< < 0 >>).

=head3 $fd = cli_conn($path)

C<endp_connect> returning the descriptor number; undef on failure, with
C<$!> as for C<endp_connect>.

=head2 The IO::FDPass interface (never exported)

=head3 $ok = File::FDpasser::send($socket_fd, $fd)

Sends one descriptor, as C<IO::FDPass::send>: true, or false with C<$!>.
Handles are accepted too.

=head3 $fd = File::FDpasser::recv($socket_fd)

Receives one descriptor, as C<IO::FDPass::recv>: the descriptor, or -1
with C<$!> set (0 at end of stream).  Bytes that arrive without a
descriptor fail with C<EDOM>, as in IO::FDPass 1.3 (C<recv_fd> and
C<recv_fh> say C<EBADMSG>).  Unlike IO::FDPass, the descriptor is
close-on-exec when above C<$^F> (L</CLOSE-ON-EXEC>); L</COMPATIBILITY>
lists every difference.

Same arguments, results and wire format as IO::FDPass 1.x: a program
switches by renaming the package, and either end may keep IO::FDPass.

=head2 Beyond both (exported on request; C<:all> exports everything)

=head3 $sent = send_fds($endpoint, \@files [, $data])

Sends every descriptor in C<@files> (handles or numbers, at most
C<FDPASS_MAX>) and the bytes of C<$data> in one message.  Without
C<$data> (or with an empty string) the message carries the single byte
0, the wire format of the other calls.  An empty C<@files> sends C<$data>
alone.

Returns the number of data bytes sent (true), exact at any size (past
2 GiB too), or false with C<$!>: C<EBADF> (an element is not an open
handle; nothing is sent), C<EMSGSIZE> (more than C<FDPASS_MAX>;
on a SEQPACKET endpoint also C<$data> longer than the socket's send
buffer takes), C<EPIPE>, C<EAGAIN>.  On a blocking endpoint the count is
C<length $data> (1 without data): a long C<$data> goes in parts when
the system takes it so (a signal, Linux's limit of 2 GiB less a page per
call), and the call sends part after part until all went.  Between the
parts Perl's signal handlers run; one that dies propagates its exception
out of the call, and then the descriptors and the first part have gone
and the rest of C<$data> has not (the peer has an incomplete message:
close the connection or send the rest yourself).  A handler that changes
C<$data> does not change what is sent.  On a non-blocking endpoint whose
buffer fills after the descriptors and the first part went, the count is
less than C<length $data> (C<$!> is C<EAGAIN>); send the rest, e.g. with
C<syswrite>, when C<select> says writable.  A failure after the first
part (C<EPIPE>) also returns the count that went, with C<$!> set.
On a SEQPACKET endpoint each call sends one message, all of it or
nothing: the count is always C<length $data> (1 without data), and the
rest of a message is never sent as a second one.

Every element of C<@files> is fetched (a tied element's C<FETCH> runs
once) before C<$data> is read, once: what is sent is what C<$data> holds
after those fetches, and nothing that runs later (a signal handler
between the parts) changes it.  C<$data> is sent as bytes; a string with
characters above 255 croaks ("Wide character").  C<files> that is not an
ARRAY reference croaks.

    # a job for a worker: its standard streams and a description
    send_fds($worker, [$in, $out, $err], "job 42") or die "send_fds: $!";

=head3 ($data, @fds) = recv_fds($endpoint [, $max_fds [, $max_bytes]])

Receives one message: its data (at most C<$max_bytes>, default 4096, and
never more than 1 MiB in one call: a stream hands out the rest as data on
the next call; on a SEQPACKET endpoint a longer message fails with
C<EMSGSIZE>) and
its descriptors (at most C<$max_fds>, default C<FDPASS_MAX>), as numbers.
A message sent without data carries the one filler byte, so C<$data> is
C<"\0"> then.  A message of bytes only gives C<$data> and no descriptors.
On a SEQPACKET endpoint an empty message (no bytes, no descriptors, as
another program may send) gives C<("")>, not the end of stream.

Returns the empty list on failure with C<$!> set, and the empty list with
C<$!> equal to 0 at end of stream.  Called in scalar or void context,
where descriptors would be dropped with nothing to close them, it croaks
(C<File::FDpasser::recv_fds: returns ($data, @fds); call it in list
context>) before anything is received: the message stays queued.  Write
C<my ($data, @fds) = recv_fds($c)>, or C<if (my @r = recv_fds($c))> for
a test.  C<EMSGSIZE>: the message carried more
than C<$max_fds> descriptors, all of which were closed.  C<EMFILE>: the
descriptor table has no room for C<$max_fds> more descriptors when the
message is there (however long the call waited for it); nothing was read,
and the call can be repeated once slots are free.  In one case C<EMFILE>
means the message is gone: when another thread took the last slots in
the instant between the check and the read, the system installed what
fitted and dropped the rest; what did arrive is closed (see
L</No descriptor is lost when the table is full>).  Room is checked
for C<$max_fds>, not for what the message turns out to carry, so pass the
number you expect when the table may be nearly full; a smaller
C<$max_fds> also makes the check quicker.  C<EMSGSIZE> also: on a SEQPACKET endpoint, the message had more
than C<$max_bytes> bytes (its descriptors were closed; the message is
gone).  C<EINVAL>: C<$max_fds> outside 1 .. C<FDPASS_MAX> or
C<$max_bytes> below 1.

On a stream endpoint bytes sent alone just before a message with
descriptors can come in one result with it, and a long message can come
in parts; descriptors always come with the message they were sent in.
L</MESSAGE BOUNDARIES> says more, and how a SEQPACKET endpoint keeps
each message whole and alone.

=head3 $ok = close_fds(@fds)

Closes descriptors given by number, such as C<recv_fds>, C<recv_fd> and
C<File::FDpasser::recv> return, without loading POSIX for
C<POSIX::close>.  Every number in the list is closed even
when one of them fails; the result is then false with C<$!> from the
first failure (C<EBADF> for a number that is not an open descriptor, or
not a number at all).  True when all were closed, and for an empty list.
An interrupted close counts as done: the descriptor is already released
then on Linux and the BSDs, and closing the number again could close one
that another thread has just opened.

A handle among the arguments is a mistake (its Perl handle would be left
holding a closed descriptor): the call croaks before closing anything.
Close handles with C<close>.  Like C<POSIX::close>, it cannot know whether
a number is also behind a Perl handle; closing such a number leaves the
handle unusable.

    my ($data, @fds) = recv_fds($c, 3);
    ...                                 # use what is wanted
    close_fds(@fds) or warn "close_fds: $!";

=head3 ($pid, $uid, $gid) = peer_cred($endpoint)

The credentials the kernel recorded for the connection when it was made:
a process id and the I<effective> user and group ids that process had
then (C<SO_PEERCRED> on Linux; C<getpeereid> on the BSDs and macOS, where
C<$pid> is always undef; C<getpeerucred> on illumos).  They are not always
those of the process at the other end now.  Whose they are depends on the
kind of endpoint:

=over

=item * An endpoint returned by C<serv_accept_fh> or C<serv_accept_fd>:
the process that called C<endp_connect> (or C<cli_conn>), as it was at
that moment.  A client that changes its uid after connecting, or passes
its end to another process, is still reported with the ids it connected
with.

=item * An endpoint returned by C<endp_connect> or C<cli_conn>: the process
that called C<listen()> on the listener, that is the one that called
C<endp_create>, with the ids it had then; B<not> the process that
accepted.  A listener is a descriptor like any other: when the process
of uid A that made it hands it with C<send_file> to a process of uid B,
which accepts, the client's C<peer_cred> reports A and that process's
pid, while it talks to B.  A client that must know who accepts it has to
learn that by other means (e.g. the server checks the client's uid, or
passes a descriptor only the real server could have).  On the BSDs and
macOS C<getpeereid> gives the listener's credentials in the same way.

=item * C<spipe> ends: both ends report the process that called C<spipe>,
before and after C<fork>, whichever process holds the other end and
wherever either end is sent; use it to check who made the pair
(Linux; a system that records nothing for a pair fails instead).

=back

What has no peer fails with C<ENOTCONN>: a listening endpoint (from
C<endp_create>, or any listening socket; on Linux the kernel would report
the listener's own credentials), and a socket that was never connected.
A connected socket for which nothing was recorded fails with
C<EOPNOTSUPP>: one that is not a Unix domain socket (TCP, UDP), and a
Unix datagram socket C<connect>ed to a bound name (Linux records the
maker for socket pairs of every type, stream, SEQPACKET and datagram,
but nothing for such a C<connect>).  The kernel's placeholder
for "nothing recorded" (Linux's uid and gid 4294967295) is never returned
as an id.  A peer in another user namespace whose ids have no mapping in
the caller's shows as the overflow ids (usually 65534, see
F</proc/sys/kernel/overflowuid>), and one in another pid namespace with
C<$pid> undef: that is what Linux records for the caller.  Also fails with
C<EBADF>, C<ENOTSOCK> (a file or a pipe), C<ENOSYS> (the system has no
way to tell; what has no peer is still C<ENOTCONN>).  Returns the empty
list with C<$!> on failure.

=head3 $pid = spawn(\@argv [, fds => \%map] [, listen => \@pairs] [, chdir => $dir] [, env => \%env] [, via_fork => 1])

Starts the program C<$argv[0]> with arguments C<@argv[1..$#argv]> and the
descriptors of C<%map> placed at the numbers its keys give.  Returns the
child's pid, or undef with C<$!> set.  Wait for the child with
C<waitpid> as for any other.  Everything between starting the child and
running the program is done in C, from a plan made beforehand in the
parent: no Perl code runs in the child and nothing is allocated there.

=over

=item * C<< fds => { TARGET => SOURCE, ... } >>: each SOURCE (any
L</HANDLE ARGUMENTS> form) is duplicated onto the number TARGET in the
child.  Cycles such as C<< { 3 => 4, 4 => 3 } >> or rotations are broken
with one temporary descriptor, at a number that is neither a TARGET nor
open in the parent, closed again before the program starts.  Any TARGET
below the descriptor limit (the soft C<RLIMIT_NOFILE>, which the child
inherits) works, the limit minus one included; the plan is made in
O(n log n) time for n entries.  C<< TARGET => TARGET >> keeps the
descriptor and only clears its close-on-exec flag.  SOURCE may be
C<[SOURCE, 'blocking' | 'nonblocking' | 'preserve']> to clear or set
C<O_NONBLOCK> (the default is C<preserve>).  That flag belongs to the
open file, which parent and child share, so the parent's descriptor sees
the change too, as with any descriptor the two share.

=item * Every descriptor not listed keeps its close-on-exec flag as it
is: Perl's own descriptors above C<$^F> do not reach the child; STDIN,
STDOUT and STDERR (0, 1, 2) do unless the map replaces them.

=item * C<< chdir => $dir >>: a path, or a directory handle (C<opendir>)
or a handle open on a directory, for C<fchdir>.  The change of directory
comes before the descriptors are placed, so a relative program path is
taken from the new directory.

=item * C<< listen => [NAME => SOURCE, ...] >>: listening sockets placed
at 3, 4, ... with C<LISTEN_FDS>, C<LISTEN_FDNAMES> and C<LISTEN_PID> set,
as systemd's socket activation does; see
L</"spawn(..., listen =E<gt> [NAME =E<gt> SOURCE, ...])">.

=item * C<< env => \%env >>: the whole environment of the child.  Without
it the child gets C<%ENV> as Perl sees it at the call.

=item * C<$argv[0]> without a slash is looked up in the parent's C<PATH>
(as C<execvp> and C<posix_spawnp> do), whatever C<env> gives the child.
As with C<execvp>, C<EACCES> at one place in C<PATH> wins over C<ENOENT>
at a later one: a program found nowhere fails with C<EACCES>, not
C<ENOENT>, when C<PATH> holds a directory the user may not search (or a
file of that name without execute permission).

=back

An argument, environment entry or C<chdir> path with a NUL byte inside
fails with C<EINVAL> rather than being cut short.

A failure before the program runs comes back as undef with the child's
C<$!>: C<ENOENT> (no such program), C<EACCES> (not executable, or see
C<PATH> above), C<ENOTDIR>/C<ENOENT> (bad C<chdir>), C<ENOEXEC>.  The
failed child has been reaped; no zombie is left.  These fail before
anything is started, either way: C<EBADF> for a SOURCE that is not an
open handle, and for a TARGET at or above the descriptor limit (2**31 - 1
among them); C<EMFILE> when a cycle needs the temporary descriptor and
every number below the limit is a TARGET or open.  Misuse croaks:
C<\@argv> not an array or empty, a TARGET that is not a number written
in ASCII digits (C<0>-C<9>; digits of other scripts are refused, not
read as numbers) or is above 2**31 - 1, an unknown blocking mode or
option.

The child is started with C<posix_spawn> where the C library can carry
out the whole plan (glibc 2.29 and later), which costs the same however
large the perl process is, and otherwise with C<fork> and C<exec>; an
C<exec> failure comes back as C<$!> either way.  C<< via_fork => 1 >>
asks for C<fork> and C<exec>, and C<listen> with a listener always uses
them; F<bench/spawn.pl> compares the two.
Signal handlers that
Perl installed are reset to their defaults in the child before the
program starts.  On Windows C<spawn> fails with C<ENOSYS>.

Handing a listening socket to a worker program, as systemd's socket
activation does:

    use IO::Socket::INET;
    use File::FDpasser qw(spawn);

    my $listener = IO::Socket::INET->new(
        LocalAddr => '0.0.0.0:8080', Listen => 128, ReuseAddr => 1,
    ) or die "listen: $!";
    my $pid = spawn(['/usr/local/bin/worker', '--foreground'],
        listen => [http => $listener],
        chdir  => '/srv/www',
    ) or die "worker: $!";

    # in the worker (any language): descriptor 3 is the listening socket,
    # found by sd_listen_fds(3), or by listen_fds in Perl
    my $l = IO::Socket::INET->new_from_fd(3, 'r') or die;
    while (my $c = $l->accept) { ... }

=head3 $ok = send_file_v009($endpoint, $file)

C<send_file> in File::FDpasser 0.09's form: the descriptor goes with the
two bytes 0 and 0 (a status byte, 0 meaning a descriptor follows), which
a 0.09 receiver insists on (L</THE WIRE>).  Use it only when the peer is
a 0.09 process: a receiver that reads one byte, as IO::FDPass does,
would find the second byte at its next receive.  Every receive of this
module takes either form.  Returns and fails as C<send_file>; also
C<ENOSYS> on the STREAMS and Windows backends.

    send_file_v009($conn_to_old_server, $fh) or die "send_file_v009: $!";

=head3 FDPASS_MAX

The most descriptors one message may carry: 253, Linux's limit, on every
platform.

=head2 Supervisors: systemd and others

Exported on request; C<:all> exports everything.  Calls for a server
whose listeners outlive its processes, on both sides of each protocol
that hands them on: systemd's socket activation, notification and
descriptor store (or anything that speaks them:
C<systemd-socket-activate>, or this module's own C<spawn>),
Server::Starter's C<start_server>, haproxy's socket transfer, and this
module's own generation handoff.  None links a library of theirs; each
speaks the documented protocol (L<sd_listen_fds(3)>, L<sd_notify(3)>,
haproxy's management guide) itself.  Where one cannot work it fails
with C<ENOSYS>; each says where that is (C<listen_fds> and C<spawn>'s
C<listen> work on every POSIX system, C<notify>, the fd store and the
haproxy calls on the SCM_RIGHTS backend anywhere, C<peer_pidfd> on Linux
only).

=head3 @listeners = listen_fds([unset_env => 0] [, from => $source])

Takes the listeners a supervisor passed to this process: systemd's
socket activation, or Server::Starter's C<SERVER_STARTER_PORT> (below)
when no systemd listeners were passed.  C<< from => 'systemd' >> or
C<< from => 'server_starter' >> reads one of the two only (the default
is C<any>).  Socket activation: C<$ENV{LISTEN_FDS}> descriptors from number 3 on, named by
C<$ENV{LISTEN_FDNAMES}>, and only when C<$ENV{LISTEN_PID}> is this
process's pid.  Returns (NAME, HANDLE) pairs in descriptor order (3, 4,
...), so C<my %l = listen_fds()> gives them by name when the names are
distinct (systemd lets two listeners share a name; keep the list then).
A listener without a name (no C<LISTEN_FDNAMES>) is named C<unknown>, as
systemd names it.  C<LISTEN_FDNAMES> is split at every C<:> as
libsystemd splits it: C<a::b> is three names, the middle one empty (a
valid name), and an empty C<LISTEN_FDNAMES> is no names at all, which
matches no count but 0.

    my %l = listen_fds() or die $! ? "listen_fds: $!" : "no listeners passed";
    while (my $c = $l{http}->accept) { ... }

Each descriptor keeps its number and is set close-on-exec, whatever
C<$^F> says (as C<sd_listen_fds> does; a program the server starts
should get its listeners through C<spawn>'s C<fds> or C<listen>).  Its
handle is of the class its kind calls for: C<IO::Socket::INET>
(C<AF_INET>), C<IO::Socket::IP> (C<AF_INET6>; the maintained class for
IPv6, where C<IO::Socket::INET6> is not; C<IO::Socket> on a perl older
than 5.20 without it), C<IO::Socket::UNIX> (C<AF_UNIX>, any socket
type), C<IO::Socket> (other families), C<IO::Handle> (fifos, character
devices, regular files and other files, opened with the descriptor's
own access mode).  The handle owns the descriptor, which is not
duplicated: closing it closes the listener.  The numbers are trusted as
C<sd_listen_fds> trusts them: a descriptor in the range that the
program already has open under a Perl handle of its own is handed out
all the same (the script's C<DATA> handle at 3, when a supervisor said
C<LISTEN_FDS=1> but left 3 closed, so that perl opened the script
there; a handle a forked child inherited at 3 and then placed a
listener of its own over with C<dup2>).  The two handles then share the
descriptor: PerlIO counts its handles on each number, and closing one
of them leaves the descriptor open until the other is closed too.  A
forked child that places listeners for itself should close the Perl
handles at those numbers first.  The kind is asked of the
descriptor (C<SO_TYPE>, C<getsockname>), never taken from the name.
The socket classes are loaded with the module (see L</Nothing is
loaded after a descriptor is taken>), and taking listeners makes no new
descriptor, so a full table does not stop C<listen_fds>.

The three variables, and a C<LISTEN_PIDFDID> (which systemd 258 and
later set beside them), are removed from C<%ENV> on every path, as
C<sd_listen_fds(unset_environment=1)> does, and so is
C<SERVER_STARTER_PORT>, unless C<< unset_env => 0 >> (any false value
keeps them).  Only the variables of the sources C<from> names are read
or removed.  Where the system can say which process a pidfd names for
good (pidfs, Linux 6.9 and later), a C<LISTEN_PIDFDID> that is not this
process's pidfd identity means the listeners are for another process
that had our pid, as a C<LISTEN_PID> of another process does: nothing
is taken and C<$!> is 0.  Elsewhere C<LISTEN_PID> alone decides.  A
C<LISTEN_PIDFDID> that is not a plain decimal number is C<EINVAL>.  Each is read once, and all of them before anything is
removed, loaded or taken, so an exception from a tied C<%ENV>'s
C<FETCH> leaves everything as it was.

A process looks at its listeners once: the first call that finds
C<LISTEN_PID> naming this process is the only one that touches
descriptors, whatever it returns; every later call in the process
returns the empty list with C<$!> set to 0, even with
C<< unset_env => 0 >> or with the variables set again, so no descriptor
gets two handles, and no descriptor the program opened since at a
number that was free then is taken for a listener.  The record is kept
with the process's pid: a child forked afterwards (without C<exec>)
starts without one, so listeners placed for it at 3, 4, ... with
C<LISTEN_PID> set to the child's own pid are its to take, while the
parent's variables, if kept, name the parent and give the child
nothing.  The record belongs to the Perl interpreter: under ithreads,
take the listeners before starting threads.  A thread started before
the call has its own copy of C<%ENV>, with the variables still in it,
and of the record, so a call in it would take the same descriptors
again, a second handle on each.

Nothing passed (no C<LISTEN_PID> or C<LISTEN_FDS>, another process's
pid, C<LISTEN_FDS=0>, or looked at already): the empty list with C<$!>
set to 0; C<LISTEN_FDS> and C<LISTEN_FDNAMES> are not looked at when
C<LISTEN_PID> names another process.  Bad values give the empty list
with C<$!> set and take nothing (no descriptor is changed, closed or
opened): C<EINVAL> for a C<LISTEN_PID> or C<LISTEN_FDS> that is not a
plain decimal number (ASCII digits only: no sign, space, C<0x> or
trailing newline; leading zeros are allowed) or a C<LISTEN_PID> of 0,
or a C<LISTEN_FDNAMES> whose count of names differs from C<LISTEN_FDS>
or with a name systemd would refuse (more than 255 bytes, a byte outside
printable ASCII, C<0x20> to C<0x7e>); C<EBADF> when a descriptor the
count names is not open (a count past the table, or too large for an
C<int>, among them: the highest descriptor is asked first, so any count
is answered at once).  Pids are compared as digit strings and counts
checked for size before any use, so no value wraps round to this
process's pid or to a small count.  If a handle cannot be made once the descriptors are taken
(out of memory), every listener is closed and the empty list returned
with C<$!>.  Croaks outside list context, and for an unknown option.
On Windows the call fails with C<ENOSYS>; on every POSIX backend
(C<SCM_RIGHTS> and STREAMS) it works, as the protocol is only
descriptors and the environment.

B<Server::Starter.>  C<start_server> (L<Server::Starter>) opens the
listeners, keeps them across hot deploys (C<SIGHUP> starts a new
generation of the server, then stops the old one) and names them in
C<SERVER_STARTER_PORT>: C<NAME=FD> entries joined by C<;>, NAME being
what C<--port> or C<--path> was given (C<127.0.0.1:8080>, C<8080>,
C<[::1]:8080>, C<u53> for UDP, a path).  C<listen_fds> returns (NAME,
HANDLE) pairs in that order, each descriptor at its own number, set
close-on-exec, of the class its kind calls for, as above, under the
same once-per-process record, which here a child forked without C<exec>
inherits: the variable names no process, and such a child already has
its parent's handles on the descriptors it inherited, so when the
parent took them (or tried to) and kept the variable
(C<< unset_env => 0 >>), C<listen_fds> in the child returns the empty
list with C<$!> set to 0 instead of a second handle on each.  The protocol has no C<LISTEN_PID>: the
variable reaches every process the server starts, which is why it is
removed by default and why each descriptor must be what
C<start_server> makes: an open socket (C<EBADF> otherwise, C<ENOTSOCK>
for another file) that listens, unless it is a datagram socket
(C<EINVAL> for a connected or unbound stream socket).  C<EINVAL> also
for an entry that is not C<NAME=FD> (an empty name or entry, a number
with a sign, a space or other digits than ASCII's) and for a descriptor
named twice; C<EBADF> for a number too large for an C<int>.  The last
C<=> of an entry ends its name, so a path may hold one.  All or
nothing, as above.

    # start_server --port=127.0.0.1:8080 --path=/run/app.sock -- perl app.pl
    my %l = listen_fds() or die $! ? "listen_fds: $!" : "not under start_server";
    my $http = $l{'127.0.0.1:8080'};

Other supervisors that pass listeners by environment, and why they are
not read: Mojolicious's C<hypnotoad> hands its listeners to its own
next generation in C<MOJO_REUSE>, a private format that only its
C<Mojo::IOLoop::Server> reads; L<Net::Server> re-executes itself on
C<SIGHUP> with its listeners described in its own private variable;
einhorn (C<EINHORN_FD_COUNT>, C<EINHORN_FD_0>, ...) is simple to read but
has no Debian package to test against.  A server run by any of them
uses their own reading; a program can hand its listeners to this
module's calls as ordinary handles.

=head3 spawn(..., listen => [NAME => SOURCE, ...])

Makes C<spawn> a socket-activating supervisor: the SOURCEs (any
L</HANDLE ARGUMENTS> form) are placed at 3, 4, ... in the order given,
and the child's environment (C<env> or C<%ENV>) gets C<LISTEN_FDS> (their
count), C<LISTEN_FDNAMES> (the NAMEs joined by C<:>; an undef NAME is
C<unknown>) and C<LISTEN_PID>, the child's own pid; any such variables
already there are replaced, so the child's environment holds each once.
A C<LISTEN_PIDFDID> there (systemd 258 and later name the receiving
process's pidfd by it, and libsystemd then ignores listeners whose
C<LISTEN_PIDFDID> is not its own) is removed; C<spawn> does not set it.
C<%ENV> and C<env> themselves are not changed.  With an empty list
(C<< listen => [] >>) the four variables are removed and none is set,
as systemd sets none when it passes no descriptor.  A NAME systemd would
refuse croaks: more than 255 bytes, a character outside printable ASCII
(C<0x20>-C<0x7e>), a C<:>; an empty NAME is allowed (libsystemd reads it
as an empty name).  So do a C<fds> TARGET among 3, 4, ... and a
C<listen> value that is not an ARRAY reference with an even count.  The
SOURCEs' C<O_NONBLOCK> is left as it is; other C<fds> targets (0, 1, 2,
or numbers above the listeners) may be given beside them.  Failures are
those of C<spawn>.

The child's pid is not known before the child exists, so with a listener
the child is always started with C<fork> and C<exec>, C<via_fork> or not:
the child writes its pid, with no allocation, into room made for it
before the fork.  C<posix_spawn> cannot do this, as it runs no code of
the caller's between the two.  This works wherever C<spawn> does (not
only on Linux).

    # start a socket-activated server, as systemd would
    my $pid = spawn(['/usr/sbin/some-daemon', '--foreground'],
                    listen => [http => $http, admin => $admin_sock])
        or die "spawn: $!";

=head3 $ok = notify($state [, fds => \@files] [, unset_env => 1])

Sends C<$state> (one or more C<VARIABLE=value> lines: C<READY=1>,
C<STATUS=...>, C<RELOADING=1>, C<STOPPING=1>, C<WATCHDOG=1>, any field
systemd knows) to the service manager named by C<$ENV{NOTIFY_SOCKET}>,
an absolute path or an abstract name written C<@name>, as one datagram,
with the descriptors of C<@files> in the same message.  Returns 1 when
sent; C<"0E0"> (true, numerically 0) without sending when
C<NOTIFY_SOCKET> is unset or empty, so C<notify(...) or die> works
outside systemd too; undef with C<$!> on failure: C<EAFNOSUPPORT> (a
C<NOTIFY_SOCKET> that is neither C<@...> nor an absolute path, such as
a relative path or systemd's C<vsock:...>; C<@...> outside Linux),
C<EINVAL> (an address too long, 108 bytes or more on Linux, or C<@> or
C</> alone, as libsystemd refuses them; an empty or undef C<$state> or
one with a NUL byte), C<EBADF> (an element of C<@files> not open),
C<EMSGSIZE> (more than C<FDPASS_MAX> descriptors, or a C<$state> over
4096 bytes, which systemd's manager would drop), C<ENOENT>/
C<ECONNREFUSED> (no manager there), C<EPROTOTYPE> (a socket there that
is not a datagram one), C<EACCES> (no write permission on it or search
permission on a directory above it), C<EMFILE> (no free descriptor for
the sending socket; nothing is sent or left open).  C<$state> and C<@files> are
checked before C<NOTIFY_SOCKET> is looked at, so a bad call fails
outside systemd too, and a failed call has sent nothing.  C<$state> is
sent as bytes (wide characters croak): systemd reads it as UTF-8 and
ignores a C<STATUS=> that is not, so encode text first
(C<Encode::encode('UTF-8', $text)>).  The kernel attaches this
process's credentials (its pid, real uid and real gid), which the
manager checks, as for C<sd_notify>.  As C<sd_notify>, the call waits
while the manager's queue is full; a signal meanwhile runs its Perl
handler and the send is tried again.  C<< unset_env => 1 >> deletes
C<NOTIFY_SOCKET> from C<%ENV> afterwards, whatever the result, with
C<$!> kept (C<sd_notify>'s C<unset_environment>), also when a signal
handler dies while the call waits (the exception then propagates
unchanged, and nothing was sent).  It works on the
SCM_RIGHTS backend on any system; on the STREAMS and Windows backends
it returns C<"0E0"> without C<NOTIFY_SOCKET> and fails with C<ENOSYS>
with it.

A path in C<NOTIFY_SOCKET> is followed as C<connect(2)> follows it,
symbolic links included, as C<sd_notify> follows it: the message, with
its descriptors, goes to whatever datagram socket is bound there when
the call sends.  Nothing guards against another user who can write to a
directory on that path (the same holds for C<sd_notify>); systemd's own
C<NOTIFY_SOCKET>, C</run/systemd/notify>, is in a directory only root
writes, and a manager of your own should bind in one too.

B<A sender that exits at once.>  systemd finds the unit a notification
belongs to by the sender's pid (or its cgroup), looked up when it reads
the message; a process that has exited by then, such as a short helper
that only says C<READY=1> for a service with C<NotifyAccess=all>, may
not be found, and its message is then ignored.  C<sd_notify_barrier>
closes that gap, and the same is done with C<notify>: after the state,
send C<BARRIER=1> with the write end of a pipe, close your own copy of
it, and wait for end of file on the read end.  The manager closes the
descriptor it got once it has handled every message sent before it, so
the end of file means the state was read while this process still
existed.  C<sd_notify_barrier> waits 5 seconds at most:

    notify("READY=1") or die "notify: $!";
    pipe(my $r, my $w) or die "pipe: $!";
    notify('BARRIER=1', fds => [$w]) or die "notify: $!";
    close $w;                   # only the manager's copy is left open
    my $in = '';
    vec($in, fileno $r, 1) = 1;
    select(my $ready = $in, undef, undef, 5)
        or warn "the manager did not answer the barrier in 5 s\n";
    # sysread now returns 0: end of file, the messages were handled.

Outside a manager (C<"0E0">) C<$w> is closed by the C<close>, so the end
of file comes at once.

=head3 $ok = fdstore($name, \@files [, poll => 0])

Hands descriptors to the manager's file descriptor store (C<FDSTORE=1>
with C<FDNAME=$name>; C<< poll => 0 >> adds C<FDPOLL=0>, so the manager
does not drop them on C<POLLHUP>/C<POLLERR>).  They come back, through
C<listen_fds> under C<$name>, when the service is started again while
the manager keeps them: on a restart (C<systemctl restart>, or
C<Restart=> after the main process exited or crashed).  They are closed
and forgotten when the service stops (C<systemctl stop>, or an exit that
no restart follows), unless the unit has
C<FileDescriptorStorePreserve=yes> (systemd 254 and later; they are then
kept while the unit is loaded), and one by one when one reports
C<POLLHUP> or C<POLLERR> (unless stored with C<< poll => 0 >>).  What comes
back is systemd's list, not a replay of the calls: the descriptors of
the service's socket units come first, then the stored ones, in an order
of systemd's (not necessarily the order they were stored), so take them
by name; a descriptor that refers to the same open file as one already
stored (a C<dup> of it, or the same one sent twice) is not stored again,
and keeps the name it was first stored under; and several descriptors
may share a name (take the list, not a hash, then).  Results as
C<notify>; a C<$name> systemd would refuse (empty or undef, over 255
bytes, a byte outside printable ASCII 0x20 to 0x7e, which a wide
character always is, a C<:>) is C<EINVAL>, with or without
C<NOTIFY_SOCKET>.  An empty C<@files> sends the message with no
descriptor, which stores nothing.  The unit needs
C<FileDescriptorStoreMax=> above 0, or systemd drops them.

    # keep the listener across "systemctl restart": the next instance
    # gets it back from listen_fds under the same name
    my %l = listen_fds();
    my $http = $l{http} || IO::Socket::INET->new(
        LocalAddr => '0.0.0.0:8080', Listen => 128, ReuseAddr => 1)
        or die "listen: $!";
    fdstore('http', [$http], poll => 0) or die "fdstore: $!" unless $l{http};
    notify("READY=1") or die "notify: $!";

=head3 $ok = fdstore_remove($name)

Asks the manager to close and forget every stored descriptor named
C<$name> (C<FDSTOREREMOVE=1> with C<FDNAME=$name>).  Results as
C<fdstore>.

=head3 $pidfd = peer_pidfd($endpoint)

The process at the other end of a connected C<AF_UNIX> endpoint, as a
pidfd (a read-only, close-on-exec C<IO::Handle> that owns it; at or
below C<$^F>, inherited, as L</CLOSE-ON-EXEC> says): unlike a pid it
cannot come to name another process, it can be polled (readable once
that process has exited), and its C<fileno> works with
C<pidfd_send_signal>.  It names the same process as C<peer_cred>'s pid,
case by case: on an accepted endpoint the process that connected, on an
C<endp_connect>ed one the process that called C<endp_create>, on either
C<spipe> end the process that made the pair.  Undef with C<$!>:
C<ENOPROTOOPT> (a kernel without C<SO_PEERPIDFD>, before Linux 6.5;
asked at run time, whatever the build's headers said), C<ENOSYS> (not
Linux, the STREAMS and Windows backends, or a Linux architecture whose
C<SO_PEERPIDFD> number neither the headers nor this module know; a
listener is still C<ENOTCONN> there, as for C<peer_cred> without
credentials), C<ENOTCONN>, C<EOPNOTSUPP>, C<EBADF>, C<ENOTSOCK> as for
C<peer_cred>, C<ESRCH> (the peer has exited and been reaped; on every
kernel for a peer in this process's pid namespace or one below it,
though Linux 6.16 and later hand out a pidfd of such a process:
it is refused after C<pidfd_send_signal> with signal 0 says C<ESRCH>,
and only where that call is refused itself, by a seccomp filter or under
valgrind, does such a pidfd come back, readable at once), C<EMFILE>.  A
peer that has exited but is not yet reaped (a zombie) is returned, its
pidfd readable at once; so is one that exits and is reaped just after
the call.  A peer outside this process's pid namespace (one
C<peer_cred> reports with C<$pid> undef: a process of the host seen from
inside a container) is returned as a pidfd all the same, since the
kernel records it, and it can be polled; but C<pidfd_send_signal>
refuses it (C<EINVAL>), so there is no asking whether it has been
reaped: there, from Linux 6.16 on, a peer that has exited and been
reaped also comes back as a pidfd (readable at once), not C<ESRCH>.
The handle is for C<poll>, C<select>, C<fileno> and C<close>: nothing
is read from a pidfd.

    # a worker that gives up its job when the client process is gone,
    # whatever pid the system hands out meanwhile
    my $pidfd = peer_pidfd($conn) or die "peer_pidfd: $!";
    my $in = '';
    vec($in, fileno $pidfd, 1) = 1;
    until (job_done()) {
        select(my $r = $in, undef, undef, 1);
        last if vec($r, fileno $pidfd, 1);    # the client exited
        work_a_little();
    }

=head3 @listeners = haproxy_getsocks($path [, timeout => $s])

Takes every listener of a running haproxy, as C<haproxy -x $path> does
on a reload: connects to its stats socket at C<$path>, which needs
C<expose-fd listeners> in haproxy's configuration (C<stats socket $path
mode 600 level admin expose-fd listeners>), sends C<_getsocks> and
receives the sockets.  C<$path> may also be an endpoint already
connected to such a socket (a handle; a plain number is taken as a
path here), which is left open.  haproxy keeps serving on them until it
is told to stop; both processes then accept on the very same sockets.

Returns one hash reference per listener, in the order haproxy sent them:

    {
        handle    => $fh,         # owns the descriptor, close-on-exec
        address   => '127.0.0.1:8080',
        family    => AF_INET,     # Socket's constants
        type      => SOCK_STREAM,
        namespace => '',          # haproxy's "namespace" of the bind line
        interface => '',          # its "interface"
        options   => 0,
    }

C<handle> is of the class its family calls for, as C<listen_fds> makes
them: C<IO::Socket::INET>, C<IO::Socket::IP> (C<AF_INET6>),
C<IO::Socket::UNIX>, C<IO::Socket> for others.  C<address> is
C<ip:port>, C<[ip6]:port>, a path, or C<@name> for a Linux abstract name
(haproxy's C<abns@>; the padding NULs removed), undef for other
families.  haproxy binds a UNIX socket as C<PATH.PID.tmp> and renames it
to C<PATH>; the system keeps the first name, so a final C<.NUMBER.tmp> is
removed, as haproxy does when it compares them.  C<namespace> and
C<interface> are empty when the bind line had none.  C<options> is 0
from haproxy 2.3 on; older versions sent their listener's option bits
there, which are given as they came.  Every socket haproxy has bound is
among them, its stats sockets too (they are listeners of its own), so
pick by C<address>.

The whole transfer must be done within C<timeout> seconds (default 10,
fractions allowed).  The empty list with C<$!> on failure; everything
that had arrived is closed, nothing else is:
C<ENOENT>, C<ECONNREFUSED>, C<EACCES> (permission on C<$path>), as for
C<endp_connect>; C<EACCES> also when haproxy closed without a count,
which it does when the socket lacks C<expose-fd listeners> and when it
has no listener left to give; C<ETIMEDOUT> when the peer stopped
sending before the end, or stopped reading the acknowledgements the call
sends (each waits for room within the time, never in a blocking write);
C<EPROTO> when what came is not the transfer: a
count that is negative or above 1048576 (text, such as an older
haproxy's C<Unknown command>, reads as one), bytes instead of a count,
the end of stream before the last descriptor, metadata that does not
describe exactly the descriptors that came, a descriptor that is not a
socket; C<EMSGSIZE> for a message with more descriptors than the count
left room for (all of them were closed); C<EMFILE> for a full descriptor
table (the call needs room only for the descriptors still due in a
batch; reading the count needs none).  A count of 0 gives the empty list with C<$!> equal to 0.  Croaks
outside list context, and for an unknown option or a C<timeout> that is
not a positive number.

    # take over a running haproxy's listeners, then stop it
    my @l = haproxy_getsocks('/run/haproxy/admin.sock', timeout => 5)
        or die "haproxy_getsocks: $!";
    my ($http) = grep { $_->{address} eq '0.0.0.0:80' } @l;

=head3 $n = haproxy_serve_getsocks($conn, \@listeners [, timeout => $s])

The other side: answers one C<_getsocks> on C<$conn>, a connected stream
endpoint, with the sockets of C<@listeners>, so that a haproxy started
with C<-x> and pointed at this program takes them instead of binding its
own: each bind line of its configuration picks the socket with the same
address (and namespace, interface, and for IPv6 the same C<v6only>).  A
stand-in for haproxy's stats socket is three lines:

    my $admin = endp_create($path, mode => 0600) or die "endp_create: $!";
    my $c = serv_accept_fh($admin, $<) or die "serv_accept_fh: $!";
    haproxy_serve_getsocks($c, \@listeners, timeout => 5)
        or die "haproxy_serve_getsocks: $!";
    # then: haproxy -x $path -f haproxy.cfg, started meanwhile

Each element of C<@listeners> is a handle (any L</HANDLE ARGUMENTS>
form) or a hash reference like those C<haproxy_getsocks> returns
(C<handle>, and optionally C<namespace>, C<interface>, C<options>; the
names at most 255 bytes, C<options> a 32-bit number, else it croaks), so
listeners taken from one haproxy can be handed to the next.  They stay
open here: the client gets its own copies; stop accepting on them once
it serves.

The client's first line must be C<_getsocks> alone (blanks around it
allowed); anything else is answered with a line saying so and fails with
C<EPROTO>; no socket is sent.  Then, as haproxy does: the count, then the
sockets in batches of at most 252 (haproxy's batch since 2.6; every
version since 1.8 takes it), each followed by the client's
acknowledgement.  Returns the number of listeners sent, C<"0E0"> (true,
numerically 0) for none, once the client acknowledged the last batch or
closed after it: it has them all then.  Undef with C<$!>: C<EBADF> (an
element is not open; checked before anything is read or sent),
C<ETIMEDOUT> (the client sent no command or no acknowledgement within
C<timeout> seconds, default 10), C<EPROTO> (another command, a line
over 1024 bytes, descriptors sent to us, which are closed), C<EPIPE>
(the client went before the last batch), C<EMFILE> (fewer than two
free descriptor slots, one for the copy below and one for reading,
however many listeners are sent), 0 (it closed without a command).
The caller closes C<$conn>, which may be blocking or not: the call
sets C<O_NONBLOCK> on it while it runs (through a copy of the
descriptor) and puts the flag back as it was before it returns, however it
ends, so no write waits past C<timeout>, even for a client that
acknowledges batches it never reads (C<ETIMEDOUT>).

Both calls wait with C<select> and never use C<alarm>, so the caller
may; a signal handler that dies during either propagates its exception,
at whatever step it lands: every descriptor that had arrived is closed
first, and C<haproxy_serve_getsocks> has put C<$conn>'s C<O_NONBLOCK>
back.

Both calls need the SCM_RIGHTS backend (haproxy's systems); elsewhere
they fail with C<ENOSYS>.  The wire, and how it changed between haproxy
versions, is described in HACKING.

=head3 $ok = handoff_give($path_or_endpoint, [NAME => HANDLE, ...] [, uid => $uid] [, meta => $meta] [, timeout => $seconds])

Hands this process's listeners, by name, to its successor (the next
generation of the same server) over a named endpoint, and returns once
the successor holds every one of them.  The successor calls
C<handoff_take> on the same path.  The listeners are usually listening
sockets (TCP, UNIX stream or SEQPACKET endpoints), but any open handle
or descriptor number goes (a pipe, a file, a connected socket); each
arrives as a descriptor of its own on the same open file.

C<$path_or_endpoint> is a path (a plain string; a C<"\0"> prefix names a
Linux abstract socket), at which the call makes an endpoint with
C<endp_create($path, mode =E<gt> 0600)> and which it removes again
before it returns (only while the node is still the one it made), or a
listening endpoint the caller made (a handle, e.g. from C<endp_create>,
which it leaves open, so a server can keep a control endpoint and call
C<handoff_give> when C<select> says a successor waits).  A plain number
is taken as a path.

The call accepts connections on the endpoint until one comes from a
process of uid C<$uid> (default: this process's effective uid, C<$E<gt>>),
as C<peer_cred> reports it; a peer of another uid is told it was refused
(the successor's C<handoff_take> fails with C<EACCES>) and closed, and
the call goes on waiting.  Where the system records no credentials
(C<peer_cred> fails with C<ENOSYS>), the endpoint's mode is the check:
the 0600 of an endpoint the call makes admits only its owner (and
root).  To the first successor of the right uid it sends every listener
with its name, in messages of at most C<FDPASS_MAX> descriptors (any
number of listeners goes, in batches), and C<$meta> with the first:
undef (the default, no metadata), a string of bytes, or a reference to a
hash of strings (keys and values; each value a defined plain scalar),
at most 65536 bytes as written on the wire (L</The handoff wire>).  Then
it waits for the successor to acknowledge that it holds them all.

Returns true when the successor acknowledged.  Returns false with C<$!>
otherwise: C<ETIMEDOUT> (no successor of the right uid came, or it did
not acknowledge, within C<$seconds>, default 30; the whole call is
bounded by it), C<ECONNRESET> or C<EPIPE> (the successor closed the
connection or died before it acknowledged), C<EPROTO> (it answered
something other than the acknowledgement), C<EBADF> (a HANDLE is not
open; checked before anything is made or sent), or what C<endp_create>
gives for a path.  The successor that failed is not waited for again:
the call returns, and the caller may call it again.  Misuse croaks: the
listeners not an ARRAY of NAME =E<gt> HANDLE pairs or empty, a NAME that is
not 1 to 255 bytes of printable ASCII without C<:> (the names systemd
accepts, so they can go on to C<fdstore> or C<spawn>'s C<listen>),
C<$meta> that is neither a string nor such a hash, or too long, a
negative or non-numeric timeout, an unknown option.

What the old side can rely on: its listeners stay open in every case,
success included; the call never closes, changes (not even
C<O_NONBLOCK>) or takes any of them.  On success the successor holds a
descriptor on every one; the old process decides itself when to stop
accepting on them (close them, drain, exit).  Until it does, both
processes accept on the same sockets, which is harmless: each connection
goes to one of them.  On failure nothing was handed over for good: the
successor, if it got as far as receiving, closes what it received and
fails too, and the old process simply goes on serving.  One case is left
open, as by any acknowledgement: when the time runs out just as the
successor's acknowledgement is on its way, the successor serves and the
old side reports C<ETIMEDOUT> and goes on serving as well; nothing is
refused, and the old side may stop once it learns otherwise.  The call
waits with C<select> on the endpoint and never uses C<alarm>, so the
caller may; signal handlers run while it waits, and one that dies
propagates its exception after the endpoint the call made is removed.
C<SIGPIPE> is never raised.  The connection is close-on-exec and
closed before the call returns.

    # the old generation, in its loop, when its control endpoint is readable
    if (handoff_give($control, [http => $listener, admin => $admin],
                     meta => { generation => $gen, pid => $$ }, timeout => 10)) {
        close $listener; close $admin;   # the successor serves now; drain
    } else {
        warn "handoff failed: $!; still serving\n";
    }

=head3 @listeners = handoff_take($path [, uid => $uid] [, meta => \$meta] [, timeout => $seconds] [, max => $n])

The successor's side of C<handoff_give>: connects to C<$path>, checks
that the endpoint was made by a process of uid C<$uid> (default: this
process's effective uid; C<peer_cred> on the connection reports the uid
of whoever made the listening endpoint; where the system records no
credentials, the socket node at C<$path> must be owned by C<$uid> and
not writable by group or others, and an abstract name fails), receives
every batch, checks it, and acknowledges only once it holds every
descriptor.  Returns (NAME, HANDLE) pairs in the order the old side gave
them, so C<my %l = handoff_take($path)> gives them by name when the
names are distinct.  C<< meta => \$meta >> sets C<$meta> to the
metadata sent: undef when none, the string, or a new hash reference.

Each handle owns its descriptor, which is close-on-exec (as every
received descriptor above C<$^F>), and is of the class its kind calls
for, as with C<listen_fds>: C<IO::Socket::INET> (C<AF_INET>),
C<IO::Socket::IP> (C<AF_INET6>), C<IO::Socket::UNIX> (C<AF_UNIX>, any
socket type), C<IO::Socket> (other families), C<IO::Handle> (pipes,
files and devices, opened in the descriptor's own access mode).  Those
classes are loaded with the module, never by the call.

On failure it returns the empty list with C<$!> set, and every
descriptor it received is closed before it returns: no handle is made
and no descriptor is left open for a failed take; nothing the process
held before the call is touched.  C<$!>: C<ENOENT> or C<ECONNREFUSED>
(nobody at C<$path>), C<EACCES> (the endpoint's maker is not of uid
C<$uid>, the old side refused this process's uid, or the endpoint's
permissions), C<ETIMEDOUT> (the old side sent nothing, or stopped in
the middle, for C<$seconds>, default 30; the whole call is bounded by
it), C<EPROTO> (what came is not a handoff: garbage, an unknown version,
a count, batch or name that does not add up, more descriptors than
announced, bytes left over, or the connection closed part-way, a batch
cut short), C<ECONNRESET> (the old side closed the connection before
sending anything), C<EMSGSIZE> (more than C<$n> listeners announced,
default 1024; what came with the announcement is closed), C<EMFILE> (no room in the descriptor
table for the next batch; what arrived before is closed), C<EPIPE>
(the old side went away before the acknowledgement could be sent).
A failure leaves the old side serving.  Misuse croaks: an unknown
option, C<meta> not a SCALAR reference, a bad timeout or C<max>, a call
outside list context (which would drop the handles).

The connection is made as C<endp_connect> makes it; the time limit
applies from then on.  Once this call has returned the list, the old side
has been told (the acknowledgement was sent) and the successor may serve
at once; the old side stops accepting on its own terms, so for a while
both may accept, and no connection is refused on the way.

    my %l = handoff_take('/run/myserver/control', meta => \my $meta,
                         timeout => 10)
        or die "no listeners from the old generation: $!";
    my $http = $l{http};                  # an IO::Socket::INET
    print "generation ", $meta->{generation} + 1, "\n";

F<bench/prefork-httpd.pl> uses the two for its C<--control>/C<--takeover>
restart, and F<eg/handoff.pl> shows one generation after another.

=head1 BEHAVIOUR EVERY CALL KEEPS

=head2 No descriptor leaks

Every failure path closes every descriptor that arrived: a message with
more descriptors than the call takes (C<EMSGSIZE>), bytes without a
descriptor, a failure to make the handle.  Descriptors that ride along
unasked (a Linux C<SCM_PIDFD>) are closed; credentials are skipped.

=head2 No descriptor is lost when the table is full

When the receiving process's descriptor table cannot hold what the next
message may carry (one descriptor for C<recv_fh>, C<recv_fd> and
C<recv>, C<$max_fds> for C<recv_fds>), the receive fails with C<EMFILE>
and the message stays queued; once the process has closed enough
descriptors, the next receive gets all of it.  Room is judged when the
message is there, not before the call waits for one, so this holds
however long the call waited, even when the table filled or
C<RLIMIT_NOFILE> was lowered (C<prlimit>) meanwhile.  A blocking
endpoint with a receive timeout (C<SO_RCVTIMEO>) waits at most that
long and then fails with C<EAGAIN>, as a plain C<recvmsg> would; the
end of stream or a C<shutdown> of the reading side ends the wait with
the end of stream (a datagram socket too), and a signal ends it as
L</Signals> says.

One case remains: another thread of the same process that opens
descriptors in the instant between the room check and the read can take
the slots.  The system then installs what fits and drops the rest; the
call closes what arrived and fails with C<EMFILE>, and in this one case
the message is lost.  (C<EMSGSIZE> always means the message carried
more descriptors than the call takes.)  Keep such threads away from a
nearly full table.

=head2 Nothing is loaded after a descriptor is taken

IO::Handle is loaded with the module, and so are the modules the
listener calls use (Errno, Socket, Time::HiRes, IO::Socket::INET,
IO::Socket::UNIX, IO::Socket::IP where perl has it): no call loads one
when it starts, where a signal handler that dies could cut the load
short and leave the module unloadable for the rest of the process.
Nothing is loaded lazily after a descriptor is taken.  Nothing a call does after taking a descriptor
needs another descriptor or a file, so a receive into the last free
slot of the table, or in a C<chroot> that has no C<@INC>, succeeds (see
C<recv_fh>).

=head2 No stray copies

A descriptor the module opens for its own purposes (a directory, a
pipe, a temporary) is never visible to a child that another thread
forks meanwhile for longer than the call, and never reaches a program
that child runs.

=head2 Endpoints are safe in shared directories

C<endp_create> never follows a symlink, never changes the permissions
of anything but the socket it made, and never removes anything but a
socket node that no server accepts on, whatever another user does to
the directory meanwhile; of two servers starting on one path at once,
exactly one wins and the other fails with C<EADDRINUSE> (see
C<endp_create>).

=head2 CLOSE-ON-EXEC

Received and created descriptors follow Perl's rule for its own: above
C<$^F> (normally 2) they are close-on-exec, set atomically with
C<MSG_CMSG_CLOEXEC> and C<SOCK_CLOEXEC> where the platform has them; at or
below C<$^F> they are inherited.

=head2 Signals

A call interrupted by a signal runs Perl's handlers and carries on; a
handler that dies propagates its exception out of the call, with nothing
received and nothing leaked.  A C<send_fds> of a long C<$data> that goes
in parts runs the handlers between the parts as well, so an C<alarm>
whose handler dies stops a send to a peer that does not read; the
descriptors and the part sent before it have gone then, the rest has not
(see C<send_fds>).  Sending to a peer that has gone fails with
C<EPIPE>; C<SIGPIPE> is never raised (C<MSG_NOSIGNAL>, or C<SO_NOSIGPIPE>
where that is what the platform has).

=head2 Non-blocking endpoints

On a non-blocking endpoint (C<< $fh->blocking(0) >>) no call blocks:
sending, receiving and accepting fail with C<EAGAIN> (C<EWOULDBLOCK>) and
can be retried when C<select> says ready.

=head2 Threads

No static buffers and no shared state: every call may be made from any
thread or interpreter.

=head1 ERRORS

Failures set C<$!>; these are the values the calls give themselves (the
system calls underneath may add their own):

=over

=item C<EBADF> - a handle argument is not an open handle or descriptor.

=item C<EMSGSIZE> - a message carried more descriptors than the call
takes (all were closed), or C<send_fds> was given more than
C<FDPASS_MAX>.  On a SEQPACKET endpoint also: a message longer than the
receive call takes (its descriptors closed), or longer than the
sender's socket buffer.

=item C<EPROTONOSUPPORT> - C<< type => 'seqpacket' >> where the backend
or system has no SEQPACKET endpoints.

=item C<EPROTOTYPE> - C<< endp_connect($path, type => 'seqpacket') >> to a
stream endpoint.

=item C<EMFILE> - no room in the descriptor table; the message is kept
(except when the table filled in the instant between the check and the
read, see L</No descriptor is lost when the table is full>).

=item C<EBADMSG> - C<recv_fh>, C<recv_fd>, C<recv>: bytes arrived without
a descriptor.

=item C<EAFNOSUPPORT>, C<EINVAL>, C<ENOENT>, C<ECONNREFUSED> - C<notify>,
C<fdstore>, C<fdstore_remove>: C<NOTIFY_SOCKET> is not an address
C<sd_notify> takes, or no manager is there; C<EINVAL> also for a bad
state or name, see C<notify>.

=item C<EPIPE> - the peer has gone.

=item C<EAGAIN> / C<EWOULDBLOCK> - a non-blocking endpoint is not ready.

=item C<ENAMETOOLONG>, C<EINVAL>, C<ENOENT>, C<EEXIST>, C<EADDRINUSE>,
C<ECONNREFUSED> - path and endpoint rules, see C<endp_create>.

=item C<ENOENT>, C<EACCES>, C<ENOTDIR>, C<ENOEXEC> - C<spawn>: the
child's own failure before its program ran (the child is reaped);
C<EINVAL> for a NUL byte in an argument, and C<EBADF>/C<EMFILE> for the
map, see C<spawn>.

=item C<ENOSYS> - the platform has no way to do it (e.g. C<peer_cred>
without C<SO_PEERCRED> or C<getpeereid>).

=item C<ENOTCONN>, C<EOPNOTSUPP> - C<peer_cred>: the endpoint has no peer
(a listener, a socket never connected), or its connection carries no
credentials (TCP, a datagram socket connected to a name).

=item C<ESRCH>, C<ENOPROTOOPT> - C<peer_pidfd>: the peer has exited and
been reaped; the running kernel has no C<SO_PEERPIDFD> (before Linux
6.5).

=item 0 - end of stream: the receiving calls return undef (or the empty
list, or -1 for C<recv>) with C<$!> equal to 0.

=back

Misuse of the API croaks with a message that begins with the function's
full name: a wrong number of arguments, C<send_fds> without an ARRAY
reference, an unknown option or C<type> of C<endp_create>,
C<endp_connect> or C<spawn>, a C<spawn> TARGET that is not a number or
an unknown blocking mode, C<recv_fds> or C<spipe> called outside list
context.

C<notify> and C<fdstore> croak likewise for C<fds> or C<\@files> that
is not an ARRAY reference, an unknown option, and a wide character in
C<notify>'s state.

=head1 COMPATIBILITY

=head2 With File::FDpasser 0.09

Scripts written for 0.09 run unchanged.  The same as 0.09:

=over

=item * The default exports: C<spipe>, C<endp_create>, C<endp_connect>,
C<serv_accept_fh>, C<serv_accept_fd>, C<send_file>, C<recv_fh>,
C<recv_fd>, C<get_fopen_mode>, C<my_getfl>, C<cli_conn>.

=item * C<send_file> returns 1 on success and undef on failure, and dies
with C<"Invalid args to send_file: $_[0], $_[1]\n"> on an argument that
is not a descriptor (L</$ok = send_file($endpoint, $file)>).  The other
calls fail quietly, as they did.

=item * C<recv_fh> returns an C<IO::Handle>, opened in the mode
C<get_fopen_mode> gives, as 0.09 did; C<get_fopen_mode> returns the same
five modes.

=item * C<my_getfl> returns the C<F_GETFL> flags, or -1 with C<$!>.

=item * The fully qualified names 0.09 defined: C<File::FDpasser::my_send_fd($clifd, $fd)>
(0, or -1 with C<$!>), C<File::FDpasser::my_recv_fd($fd)> (the
descriptor, or -1), C<File::FDpasser::my_serv_accept($listenfd [, $uid])>
(the descriptor, or -1), and C<$File::FDpasser::OS>: C<'bsd'> on
C<SCM_RIGHTS> builds, C<'sysv'> on STREAMS builds (C<'win32'> on
Windows, which 0.09 did not run on).

=item * Endpoints are stream sockets (STREAMS pipes on SysV) made the same
way, and C<select>/C<poll> on a listener reports a waiting client.

=back

What differs, and why:

=over

=item * B<Handle classes.>  0.09's C<spipe>, C<endp_create>,
C<endp_connect> and C<serv_accept_fh> returned Perl's bare IO objects
(C<*FH{IO}>), which C<ref> calls C<IO::File>; this module returns glob
references blessed into C<IO::Handle>, like C<recv_fh>'s.  What 0.09's
own code tested still holds (C<ref> matches C</^IO::/>, C<isa('IO::Handle')>),
and every C<IO::Handle> method and builtin works; only C<isa('IO::File')>
and the C<IO::File>/C<IO::Seekable> methods (C<seek>, C<tell>, C<open>
as methods) are gone, which mean nothing on a socket.  Loading IO::File
with the module would cost every program its load time.

=item * B<More arguments accepted.>  0.09 took only C<IO::> objects and
numbers (a glob or glob reference made C<send_file> die, C<serv_accept_fd>
return undef); every call here takes the handles of L</HANDLE ARGUMENTS>.

=item * B<Failures are reported, never fatal.>  0.09's C<spipe> died on
failure; here it returns the empty list with C<$!>.  0.09's receiver
wrote stray bytes to STDERR and a malformed message made it exit;
here such a message fails with C<EBADMSG>, end of stream is undef with
C<$!> 0, and a peer that has gone is C<EPIPE>, never C<SIGPIPE>.

=item * B<The wire.>  0.09 sent two bytes with each descriptor (a 0 and a
status byte); this module sends one, as IO::FDPass and the other peers
do.  Every receive accepts 0.09's two-byte form too, so a process still
running 0.09 can send here; C<send_file_v009> sends that form to a 0.09
receiver, which exits on the one-byte form (L</THE WIRE>).

=item * B<Endpoints in the file system.>  0.09's C<endp_create> unlinked
whatever was at the path; here only a socket node no server accepts on is
replaced, anything else fails with C<EEXIST> (see C<endp_create>).  On
C<SCM_RIGHTS> systems 0.09's C<serv_accept_fh> never set C<$uid>, and its
C<cli_conn> and C<my_serv_accept> did nothing (they returned 0); here
they work everywhere.

=item * B<Close-on-exec.>  A received or created descriptor above C<$^F>
is close-on-exec, by Perl's rule for its own handles (L</CLOSE-ON-EXEC>);
0.09 left every descriptor inherited across C<exec>.

=item * B<Names not kept.>  C<serv_listen>, C<bind_to_fs> and
C<my_isastream> were 0.09's STREAMS helpers, and did nothing on socket
systems; C<endp_create> and C<endp_connect> do their work.  0.09 refused
to load on a C<$^O> it did not list; this module builds wherever one of
its backends works (L</PORTABILITY>).

=back

=head2 With IO::FDPass

C<File::FDpasser::send> and C<File::FDpasser::recv> take the same
arguments, return the same results (true or false; the descriptor or -1)
and use the same wire format (one data byte, 0) as IO::FDPass 1.x, so a
program switches by renaming the package and either end may keep
IO::FDPass (F<t/41-compat-iofdpass.t>).  Bytes that arrive without a
descriptor make C<recv> fail with C<EDOM>, as IO::FDPass 1.3.  What
differs, and why:

=over

=item * B<Close-on-exec.>  The descriptor C<recv> returns is close-on-exec
when above C<$^F> (atomically, where the system can), as Perl's own
handles are; IO::FDPass leaves it inherited by every program C<exec>ed
later.  Clear the flag with C<fcntl> before an C<exec> that needs it, or
use C<spawn>.

=item * B<Arguments.>  IO::FDPass takes C integers, so C<"3.5"> is
descriptor 3 and C<"abc"> descriptor 0; here a fractional, negative or
non-numeric argument fails with C<EBADF>, and handles are accepted as
well as numbers (L</HANDLE ARGUMENTS>).

=item * B<No SIGPIPE.>  C<send> to a peer that has gone fails with
C<EPIPE>; IO::FDPass's C<sendmsg> raises C<SIGPIPE>, which kills a
program that does not ignore it.

=item * B<Signals.>  A call interrupted by a signal runs Perl's handler
and is retried (L</Signals>); it does not fail with C<EINTR>.

=item * B<End of stream> is -1 with C<$!> set to 0, so it can be told
from an error.

=item * B<Malformed messages.>  A message with more than one descriptor
fails with C<EMSGSIZE> and every descriptor in it is closed, never
leaked; when the receiver's descriptor table is full, C<recv> fails with
C<EMFILE> and the message stays queued (L</No descriptor is lost when
the table is full>).

=back

=head1 PORTABILITY

The backend is chosen when the C core is compiled, by what compiles
there, never by a table of system names: F<Makefile.PL> tries a small
program with C<SCM_RIGHTS>, then one with STREAMS's C<I_SENDFD>; C<_WIN32>
selects Windows.  C<FDPASS_BACKEND=streams perl Makefile.PL> (or
C<=scm_rights>) forces one.  C<File::FDpasser::_backend()> names the one
built, and C<File::FDpasser::_features()> lists what the build found
(C<cmsg_cloexec nosignal sock_cloexec accept4 pipe2 peer_cred peer_pidfd
posix_spawn> on Linux).

=over

=item SCM_RIGHTS over C<AF_UNIX> stream sockets - Linux, the BSDs,
macOS, illumos

Tested on Debian 12, x86_64, Linux 6.x, perl 5.36 with threads, and
on Linux again with C<MSG_CMSG_CLOEXEC>, C<MSG_NOSIGNAL>,
C<SOCK_CLOEXEC>, C<SO_PEERCRED>, C<SO_PEERPIDFD>, C<accept4>, C<pipe2>
and C<posix_spawn> hidden, as macOS and older BSDs lack some of them.  Where they are
missing, close-on-exec is set right after each descriptor arrives or is
made (a C<fork> and C<exec> in another thread at that moment could
inherit it); C<SIGPIPE> is still never raised; without C<SO_PEERCRED> or
C<getpeereid>, C<peer_cred> fails with C<ENOSYS> for a connection
(C<ENOTCONN> still for what has no peer) and C<serv_accept_fh> sets
C<$uid> to undef; C<peer_pidfd> fails with C<ENOSYS> for a connection
(C<ENOTCONN> still for what has no peer).  Not tested: C<SO_NOSIGPIPE> and C<getpeereid>
themselves, which Linux lacks.

=item SysV STREAMS - Solaris, illumos and other SVR4 systems

Compiled against the illumos interface, not run (no such system was
available).  C<spipe> is a C<pipe()> (a bidirectional STREAMS pipe
there).  C<endp_create>'s C<$path> must be absent or an empty regular
file (what an earlier endpoint leaves behind); anything else is
C<EEXIST>.  A live endpoint there is C<EADDRINUSE>; a dead one (its
server gone) is taken over, so, as with a socket node, the name stays
until the next C<endp_create> on it.  C<endp_connect> to a plain file is
C<ECONNREFUSED>.  C<serv_accept_fh>'s C<$uid> is the one the system
reports with the connection; C<peer_cred> works where the system has
C<getpeerucred>, and fails with C<ENOSYS> otherwise.  Close-on-exec is
set right after receipt; the backlog is ignored; abstract names are
C<EINVAL>.  There are no SEQPACKET endpoints: C<< type => 'seqpacket' >>
fails with C<EPROTONOSUPPORT>.

=item Windows (mingw-w64)

The C core only (L</C API>), tested as 64-bit Windows programs under
wine 8: two processes pass files, pipes and sockets, several in one
message with data, and the error cases below.  The Perl module has not
been built for Windows.

A descriptor is a C runtime descriptor; the connection is a connected
socket (C<spipe> makes a loopback TCP pair and accepts only its own
connection).  Windows cannot queue a handle in a socket, so a message
with descriptors is an exchange between the two processes, in which the
sender duplicates each handle into the receiver.  A sender whose
receiver dies or hangs up before taking the message closes the handles
it pushed into the receiver again, so nothing is left behind in a live
receiver; a socket duplicate cannot be taken back and lives until the
receiving process ends.  Too many descriptors are refused before any is
duplicated (the receiver gets C<EMSGSIZE>); a receiver whose table is
full gets C<EMFILE> and the sender offers the same message again,
waiting.  32- and 64-bit processes understand each other; only 64-bit
processes were run.

What follows from that: C<send_file> and C<send_fds> return only once
the receiver has taken the message, so both processes must be running and
one thread cannot send to itself.  On a non-blocking endpoint C<recv_*>
fails with C<EAGAIN> only before a message begins; an exchange once begun
is finished, waiting if it must.  Data beyond C<$max_bytes> is read and
dropped (a message is a unit).  Close-on-exec means "not inherited"
(C<HANDLE_FLAG_INHERIT>).  C<get_fopen_mode> is always C<w+> and
C<my_getfl> C<O_RDWR> (a handle's access cannot be asked for).
C<endp_create>, C<endp_connect>, C<serv_accept_fh>, C<peer_cred> and
C<spawn> fail with C<ENOSYS>; C<< type => 'seqpacket' >> fails with
C<EPROTONOSUPPORT>.

=back

Abstract endpoint names are Linux's alone.  SEQPACKET endpoints: Linux
(tested), FreeBSD, NetBSD and OpenBSD; macOS has no C<SOCK_SEQPACKET> for
C<AF_UNIX>, so C<< type => 'seqpacket' >> fails there as its C<socket>
call does.  Credentials: Linux gives
pid, uid and gid; the BSDs and macOS uid and gid; illumos (STREAMS)
pid, uid and gid from C<getpeerucred>.

Scripts from 0.09 run unchanged, with one exception that is perl's, not
this module's: the manual's C<die ... if !defined(@fd)> no longer compiles
since perl 5.22; write C<if !@fd>.

=head1 C API

The C core needs no Perl, and a C program can use it on its own.
Nothing of it is installed: C<make install> installs the Perl module
only, not F<fdpass.h> or a library.  Copy F<fdpass.h>, F<fdpass.c> and
the files it includes, F<fdpass-int.h>, F<fdpass-scm.c>,
F<fdpass-streams.c>, F<fdpass-win32.c> and F<fdpass-spawn.c>, from the
distribution into the program's directory (they include nothing else
but system headers), include F<fdpass.h>, and compile F<fdpass.c> alone
with the program; the others are compiled as part of it:

    cc -O2 -o server server.c fdpass.c

That builds the C<SCM_RIGHTS> backend.  For SysV STREAMS add
C<-DFDPASS_BACKEND_STREAMS> (and C<-DFDPASS_HAVE_GETPEERUCRED> where the
system has C<getpeerucred>); a Windows compiler selects the Windows
backend by itself (link with C<ws2_32>).  F<t/c/peer.c> is a small
program built this way.

Every function that returns an C<int> or C<ssize_t> returns C<< >= 0 >>
on success and -1 with C<errno> set; calls that read return 0 at end of
stream; results come back through C<ret_*> out-parameters.  A call
returns C<EINTR> rather than retrying it (or, for C<fdpass_send>, the
count so far), so the caller can deal with its signals first, except
where returning would lose what was done: on STREAMS, once a message's
first descriptor went, its other descriptors and the first part of its
data follow; on Windows the exchange with the receiver is finished;
C<fdpass_spawn> waits out its exec-status pipe.  No function keeps
static state; each may be called from any thread.

The public functions, all of them, as F<fdpass.h> declares them:

    ssize_t fdpass_send(int sock, const int *fds, size_t nfds,
                        const void *data, size_t len);  /* bytes sent */
    int fdpass_send_fd(int sock, int fd);
    int fdpass_send_fd_flags(int sock, int fd, int flags); /* FDPASS_WIRE_009 */
    int fdpass_notify(const char *addr, const void *state, size_t len,
                      const int *fds, size_t nfds); /* 1, or 0: no addr */
    int fdpass_fdstore(const char *addr, const char *name, size_t namelen,
                       const int *fds, size_t nfds, int flags);
    int fdpass_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
                    void *buf, size_t buflen, size_t *ret_len, int flags);
    int fdpass_recv_fd(int sock, int *ret_fd, int flags); /* 1, or 0 at EOF */
    int fdpass_socketpair(int ret_fds[2], int flags);
    int fdpass_listen(const char *path, size_t len, int mode, int backlog,
                      int flags);
    int fdpass_accept(int lsock, fdpass_uid_t *ret_uid, int flags);
    int fdpass_connect(const char *path, size_t len, int flags);
    int fdpass_peer_cred(int sock, pid_t *ret_pid, fdpass_uid_t *ret_uid,
                         fdpass_gid_t *ret_gid);
    int fdpass_peer_pidfd(int sock);             /* the peer's pidfd */
    int fdpass_set_cloexec(int fd, int on);
    int fdpass_fopen_mode(int fd, const char **ret_mode);
    int fdpass_getfl(int fd);                    /* F_GETFL flags */
    int fdpass_is_socket(int fd);                /* 1 or 0 */
    int fdpass_listen_fds(int n);     /* socket activation: take 3 .. n + 2 */
    int fdpass_take_listeners(const int *fds, size_t n); /* by number */
    int fdpass_pidfd_id_self(unsigned long long *id);    /* LISTEN_PIDFDID */
    int fdpass_fd_kind(int fd);       /* FDPASS_KIND_INET, _UNIX, _FILE, ... */
    void fdpass_close_all(const int *fds, size_t nfds); /* errno kept */
    const char *fdpass_backend(void);  /* "scm_rights", "streams", "win32" */
    const char *fdpass_features(void); /* what the build found, as words */
    int fdpass_spawn(char *const argv[], char *const envp[],
                     const struct fdpass_inherit *fds, size_t nfds,
                     const char *dir, int dirfd, int flags, pid_t *ret_pid);

C<fdpass_uid_t> and C<fdpass_gid_t> are C<uid_t> and C<gid_t> on POSIX
systems and C<long> on Windows, which has neither (F<fdpass.h> declares
no system type).

C<flags> is 0 or C<FDPASS_CLOEXEC> (for C<fdpass_spawn>,
C<FDPASS_SPAWN_FORK> and C<FDPASS_SPAWN_LISTEN_PID>, which gives the
child C<LISTEN_PID=> with its own pid in place of any such entry and
always forks; its C<fds> are C<struct fdpass_inherit { int target,
source, blocking; }> with C<FDPASS_PRESERVE>, C<FDPASS_BLOCKING> or
C<FDPASS_NONBLOCKING>); C<fdpass_socketpair>, C<fdpass_listen> and
C<fdpass_connect> also take C<FDPASS_SEQPACKET> (a C<SOCK_SEQPACKET>
endpoint; C<EPROTONOSUPPORT> on the STREAMS and Windows backends), and
C<fdpass_connect> without it takes the listener's type.
C<fdpass_notify> sends C<sd_notify>'s datagram to C<addr>, the value of
C<NOTIFY_SOCKET> (C<getenv("NOTIFY_SOCKET")> as it is: 0 for NULL or
empty), as C<notify> does; C<fdpass_fdstore> builds C<fdstore>'s
message, or with C<FDPASS_FDSTORE_REMOVE> C<fdstore_remove>'s
(C<FDPASS_FDSTORE_NOPOLL> adds C<FDPOLL=0>); both fail with C<ENOSYS> on
the STREAMS and Windows backends when C<addr> is set.
C<fdpass_send_fd_flags> takes 0 (C<fdpass_send_fd>'s one byte) or
C<FDPASS_WIRE_009> (0.09's two bytes, L</THE WIRE>; C<ENOSYS> on the
STREAMS and Windows backends); C<fdpass_recv_fd> takes either form.  C<fdpass_send>
returns the exact number of bytes sent; below C<len> when it stopped
after the descriptors and a first part (a signal during a blocking
send, a full non-blocking endpoint, the kernel's limit per call), and
the rest is then the caller's to send, with C<nfds> 0 (F<fdpass.h>
shows the loop).  F<fdpass.h> documents each function with its C<errno>
values, which are those of the Perl calls above (L</ERRORS>).

=head1 SEE ALSO

L<IO::FDPass>, L<Socket::MsgHdr>, L<AnyEvent::FDpasser>; unix(7),
sendmsg(2), recvmsg(2), cmsg(3); Python's C<socket.send_fds>.

=head1 AUTHOR

The File::FDpasser developers E<lt>bug-File-FDpasser@rt.cpan.orgE<gt>.
Report bugs there, or at
L<https://rt.cpan.org/Dist/Display.html?Name=File-FDpasser>.  The 0.09
interface is that of Arnar Mar Hrafnkelsson's File::FDpasser.

=head1 LICENSE

This library is free software; you may redistribute it and/or modify it
under the same terms as Perl 5 itself: either the GNU General Public
License, version 1 or (at your option) any later version, or the Artistic
License.  The file F<LICENSE> in the distribution says where the full
texts are.

=cut


use strict;
use warnings;

our $VERSION = '1.01';

use Exporter 'import';
use Carp ();

# The class received and created handles are blessed into, loaded now:
# once a call has taken a descriptor nothing may load a module (a full
# table or a chroot would make the load fail and lose the descriptor).
# The XS looks its stash up at boot.
require IO::Handle;
# What the listener calls use (listen_fds, handoff_take, haproxy_getsocks:
# the classes of their handles; the protocols' errno values, addresses
# and deadlines), loaded now too: a load at the start of a call could be
# cut short by a signal handler that dies, and perl refuses to load a
# module again once its load failed, so every later call would fail (or,
# inside an eval, the handler's exception would be lost).
require Errno;
require Socket;
require Time::HiRes;
require IO::Socket::INET;
require IO::Socket::UNIX;
require XSLoader;
XSLoader::load(__PACKAGE__, $VERSION);

# The 0.09 interface.  It never grows: new names go in @EXPORT_OK.
our @EXPORT = qw(
    spipe endp_create endp_connect serv_accept_fh serv_accept_fd
    send_file recv_fh recv_fd get_fopen_mode my_getfl cli_conn
);
our @EXPORT_OK   = qw(send_fds recv_fds close_fds peer_cred spawn FDPASS_MAX
                      send_file_v009
                      listen_fds
                      haproxy_getsocks haproxy_serve_getsocks
                      peer_pidfd
                      notify fdstore fdstore_remove
                      handoff_give handoff_take
);
our %EXPORT_TAGS = (all => [ @EXPORT, @EXPORT_OK ]);

# 0.09's other names, fully qualified (never exported, as in 0.09), with
# its C-style results: my_send_fd 0 or -1, my_recv_fd and my_serv_accept
# the descriptor or -1.  $OS as 0.09 set it, from the backend built.
our $OS = { scm_rights => 'bsd', streams => 'sysv' }->{ _backend() } || _backend();

sub my_send_fd {
    _croak('Usage: File::FDpasser::my_send_fd($clifd, $fd)') unless @_ == 2;
    return File::FDpasser::send($_[0], $_[1]) ? 0 : -1;
}

sub my_recv_fd {
    _croak('Usage: File::FDpasser::my_recv_fd($servfd)') unless @_ == 1;
    my $fd = recv_fd($_[0]);
    return defined $fd ? $fd : -1;
}

sub my_serv_accept {
    _croak('Usage: File::FDpasser::my_serv_accept($listenfd [, $uid])')
        unless @_ == 1 || @_ == 2;
    my $fd = @_ == 2 ? serv_accept_fd($_[0], $_[1]) : serv_accept_fd($_[0]);
    return defined $fd ? $fd : -1;
}

# The type option of spipe, endp_create and endp_connect, as core flags.
my %type = (stream => 0, seqpacket => _SEQPACKET());

sub _type {
    my ($fn, $type) = @_;
    return 0 unless defined $type;
    _croak("File::FDpasser::$fn: unknown type '$type'") unless exists $type{$type};
    return $type{$type};
}

sub spipe {
    _croak('Usage: File::FDpasser::spipe([type => $type])')
        unless !@_ || (@_ == 2 && defined $_[0] && $_[0] eq 'type');
    my $flags = @_ ? _type('spipe', $_[1]) : 0;    # none: the 0.09 call
    # Here as well as in the XS, so the croak names the caller's line.
    _croak('File::FDpasser::spipe: returns two endpoints; call it in list context')
        unless wantarray;
    return _spipe($flags);
}

my %endp_opt = (mode => 1, backlog => 1, type => 1);

sub endp_create {
    _croak('Usage: File::FDpasser::endp_create($path [, %opt])')
        unless @_ && @_ % 2;
    my ($path, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::endp_create: unknown option '$_'")
            unless $endp_opt{$_};
    }
    my $mode = defined $opt{mode} ? $opt{mode} : -1;
    my $backlog = defined $opt{backlog} ? $opt{backlog} : 0;
    return _endp_create($path, $mode, $backlog, _type('endp_create', $opt{type}));
}

sub endp_connect {
    _croak('Usage: File::FDpasser::endp_connect($path [, type => $type])')
        unless @_ == 1 || @_ == 3;
    my ($path, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::endp_connect: unknown option '$_'") unless $_ eq 'type';
    }
    return _endp_connect($path, _type('endp_connect', $opt{type}));
}

my %spawn_opt = (fds => 1, chdir => 1, env => 1, via_fork => 1, listen => 1);
my %blocking  = (preserve => 0, blocking => 1, nonblocking => 2);

sub spawn {
    _croak('Usage: File::FDpasser::spawn(\\@argv, %opt)')
        unless @_ % 2 && ref $_[0] eq 'ARRAY';
    my ($argv, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::spawn: unknown option '$_'") unless $spawn_opt{$_};
    }
    _croak('File::FDpasser::spawn: argv is empty') unless @$argv;
    my @map;
    if (defined(my $fds = $opt{fds})) {
        _croak('File::FDpasser::spawn: fds is not a HASH reference')
            unless ref $fds eq 'HASH';
        for my $target (sort keys %$fds) {
            _croak("File::FDpasser::spawn: target '$target' is not a descriptor number")
                unless $target =~ /^[0-9]+\z/ && $target <= 0x7fffffff;
            my ($source, $mode) = ($fds->{$target}, 'preserve');
            ($source, $mode) = @$source if ref $source eq 'ARRAY';
            _croak("File::FDpasser::spawn: unknown blocking mode '$mode'")
                unless defined $mode && exists $blocking{$mode};
            push @map, $target + 0, $source, $blocking{$mode};
        }
    }
    # listen: NAME => SOURCE pairs placed at 3, 4, ... (socket activation).
    my @names;
    if (defined(my $listen = $opt{listen})) {
        _croak('File::FDpasser::spawn: listen is not an ARRAY reference of NAME => SOURCE pairs')
            unless ref $listen eq 'ARRAY' && @$listen % 2 == 0;
        my $n = @$listen / 2;
        for (my $i = 0; $i < @map; $i += 3) {
            _croak("File::FDpasser::spawn: fds target $map[$i] is taken by listen (3 .. @{[2 + $n]})")
                if $map[$i] >= 3 && $map[$i] < 3 + $n;
        }
        for my $k (0 .. $n - 1) {
            my ($name, $source) = @$listen[2 * $k, 2 * $k + 1];
            # As systemd's fdname_is_valid: printable ASCII but ':', at
            # most 255 bytes; empty allowed.
            $name = defined $name ? "$name" : 'unknown';
            _croak('File::FDpasser::spawn: listen name ' . ($k + 1)
                   . ' is not one systemd accepts (at most 255 bytes of printable ASCII, no ":")')
                if length($name) > 255 || $name =~ /[^\x20-\x39\x3b-\x7e]/;
            push @names, $name;
            push @map, 3 + $k, $source, $blocking{preserve};
        }
    }
    if (defined $opt{env}) {
        _croak('File::FDpasser::spawn: env is not a HASH reference')
            unless ref $opt{env} eq 'HASH';
    }
    my ($env, $flags) = (undef, $opt{via_fork} ? 1 : 0);
    if (defined $opt{listen}) {
        # Any LISTEN_* already there is replaced (or removed, when no
        # listener is given, as systemd sets none then); the core writes
        # LISTEN_PID, the child's own pid, in the child (flag 2).
        my %env = defined $opt{env} ? %{ $opt{env} } : %ENV;
        delete @env{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES LISTEN_PIDFDID)};
        if (@names) {
            @env{qw(LISTEN_FDS LISTEN_FDNAMES)} = (scalar @names, join(':', @names));
            $flags |= 2;
        }
        $env = [ map { "$_=$env{$_}" } sort keys %env ];
    } elsif (defined $opt{env}) {
        $env = [ map { "$_=$opt{env}{$_}" } sort keys %{ $opt{env} } ];
    }
    return _spawn($argv, \@map, $env, $opt{chdir}, $flags);
}

# sd_notify's protocol.  The address is $NOTIFY_SOCKET as the real
# environment holds it (a child would see it so: perl writes a wide value
# there in UTF-8, and a C string ends at its first NUL, which the core
# reads as C does).
sub _notify_addr {
    my $addr = $ENV{NOTIFY_SOCKET};
    return undef unless defined $addr;
    utf8::encode($addr) if utf8::is_utf8($addr);
    return $addr;
}

# As sd_notify's unset_environment: on every path, $! kept.
sub _notify_unset {
    my $err = $! + 0;
    delete $ENV{NOTIFY_SOCKET};
    $! = $err;
}

my %notify_opt = (fds => 1, unset_env => 1);

sub notify {
    _croak('Usage: File::FDpasser::notify($state [, fds => \\@files] [, unset_env => 1])')
        unless @_ && @_ % 2;
    my ($state, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::notify: unknown option '$_'") unless $notify_opt{$_};
    }
    my $files = defined $opt{fds} ? $opt{fds} : [];
    _croak('File::FDpasser::notify: fds is not an ARRAY reference')
        unless ref $files eq 'ARRAY';
    $state = defined $state ? "$state" : '';
    utf8::downgrade($state, 1)
        or _croak('File::FDpasser::notify: wide character in state');
    return _notify(_notify_addr(), $state, $files) unless $opt{unset_env};
    # unset_env holds on every path, as sd_notify's unset_environment:
    # also when a signal handler dies while the call waits on a full
    # queue, so that a program that catches the exception does not pass
    # the variable on.  The exception is thrown again unchanged; the
    # caller's $@ is left alone otherwise, and a $SIG{__DIE__} hook sees
    # it once, when it is thrown again.
    my ($r, $ok, $died);
    {
        local ($@, $SIG{__DIE__});
        $ok = eval { $r = _notify(_notify_addr(), $state, $files); 1 };
        $died = $@;
    }
    _notify_unset();
    die $died unless $ok;
    return $r;
}

# A name goes to the core as bytes; a wide character's UTF-8 bytes are
# outside printable ASCII, so the core refuses it with EINVAL.
sub _fdname {
    my ($name) = @_;
    $name = defined $name ? "$name" : '';
    utf8::encode($name) if utf8::is_utf8($name);
    return $name;
}

sub fdstore {
    _croak('Usage: File::FDpasser::fdstore($name, \\@files [, poll => 0])')
        unless @_ == 2 || @_ == 4;
    my ($name, $files, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::fdstore: unknown option '$_'") unless $_ eq 'poll';
    }
    _croak('File::FDpasser::fdstore: files is not an ARRAY reference')
        unless ref $files eq 'ARRAY';
    my $flags = defined $opt{poll} && !$opt{poll} ? _FDSTORE_NOPOLL() : 0;
    return _fdstore(_notify_addr(), _fdname($name), $files, $flags);
}

sub fdstore_remove {
    _croak('Usage: File::FDpasser::fdstore_remove($name)') unless @_ == 1;
    return _fdstore(_notify_addr(), _fdname($_[0]), [], _FDSTORE_REMOVE());
}

# Generation handoff: Perl over send_fds, recv_fds, peer_cred and the
# endpoint calls; the wire is in the POD (The handoff wire).  Everything
# either side loads is loaded at the start of the call, before any
# connection or descriptor is taken.
my $HO_MAGIC    = 'FDPASSER-HANDOFF/1';
my $HO_META_MAX = 65536;
my $HO_NAME     = qr/\A[\x20-\x39\x3b-\x7e]{1,255}\z/;    # printable, no ':'

# Descriptor numbers received by the protocol calls below, which
# _recv_fds_into appends as they arrive: whatever the array still holds
# when it is freed is closed, however the call ends (a signal handler
# that dies at any step included), and $! is kept.
sub _fds_guard { return bless [], 'File::FDpasser::_Fds' }

sub File::FDpasser::_Fds::DESTROY {
    my ($fds) = @_;
    return unless @$fds;
    local $!;
    $fds->close_all;
}

# Close what the guard holds, one at a time, each dropped once closed:
# run again after an interruption, it closes what is left.
sub File::FDpasser::_Fds::close_all {
    my ($fds) = @_;
    while (@$fds) {
        close_fds($fds->[-1]);
        pop @$fds;
    }
}

# A call's cleanup, which a signal handler's exception must neither cut
# short nor be lost in: $cleanup (safe to run again from the start) runs
# until it completes, and the first exception thrown meanwhile is
# returned for the caller to throw once everything is put back.  Left to
# a guard's DESTROY, an exception thrown there would be only a warning,
# and the rest of the DESTROY undone.
sub _settle {
    my ($cleanup) = @_;
    my $died;
    until (eval { $cleanup->(); 1 }) {
        $died = $@ unless defined $died;
    }
    return $died;
}

# A handle's O_NONBLOCK as it was when the guard was made, put back when
# the guard goes, however its scope ends (a dying signal handler's
# exception included).  Made before the flag is changed.
sub _blocking_guard {
    my ($fh) = @_;
    return bless [ $fh, $fh->blocking ], 'File::FDpasser::_Blocking';
}

sub File::FDpasser::_Blocking::put_back {
    my ($g) = @_;
    $g->[0]->blocking($g->[1]) if defined $g->[1];
    $g->[1] = undef;    # done: nothing left for DESTROY
}

sub File::FDpasser::_Blocking::DESTROY {
    local ($!, $@);
    $_[0]->put_back;
}

sub _ho_load {
    require Errno;
    require Time::HiRes;
}

sub _ho_timeout {
    my ($fn, $t) = @_;
    return 30 unless defined $t;
    _croak("File::FDpasser::$fn: timeout must be a number of seconds, not '$t'")
        unless !ref $t && $t =~ /\A(?:\d+(?:\.\d*)?|\.\d+)\z/;
    return $t;
}

sub _ho_fail { $! = $_[0]; return }

sub _ho_fileno {
    my ($h) = @_;
    return $h if !ref $h && ref \$h ne 'GLOB' && defined $h && $h =~ /\A\d+\z/;
    return fileno($h);
}

# Waits until $h is readable (or writable) or the deadline passes: true
# when ready, false with $! (ETIMEDOUT) otherwise.  Signal handlers run
# while it waits (Perl runs them when select returns EINTR).
sub _ho_wait {
    my ($h, $write, $deadline) = @_;
    my $fd = _ho_fileno($h);
    return _ho_fail(Errno::EBADF()) unless defined $fd;
    while (1) {
        my $left = $deadline - Time::HiRes::time();
        return _ho_fail(Errno::ETIMEDOUT()) if $left <= 0;
        my $v = '';
        vec($v, $fd, 1) = 1;
        my $n = $write ? select(undef, my $w = $v, undef, $left)
                       : select(my $r = $v, undef, undef, $left);
        return 1 if $n > 0;
        return if $n < 0 && $! != Errno::EINTR();
    }
}

# All of $data (and the descriptors, with its first part) on a
# non-blocking connection, before the deadline.
sub _ho_send {
    my ($c, $files, $data, $deadline) = @_;
    my $off = 0;
    while ($off < length $data) {
        _ho_wait($c, 1, $deadline) or return;
        my $n = send_fds($c, $off ? [] : $files, substr($data, $off));
        if ($n) {
            $off += $n;
        } elsif ($! != Errno::EAGAIN() && $! != Errno::EWOULDBLOCK()) {
            return;
        }
    }
    return 1;
}

my %give_opt = (uid => 1, meta => 1, timeout => 1);

sub handoff_give {
    _croak('Usage: File::FDpasser::handoff_give($path_or_endpoint, '
           . '[NAME => HANDLE, ...], %opt)')
        unless @_ >= 2 && !(@_ % 2) && ref $_[1] eq 'ARRAY';
    my ($where, $list, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::handoff_give: unknown option '$_'") unless $give_opt{$_};
    }
    my @list = @$list;    # each element fetched once
    _croak('File::FDpasser::handoff_give: listeners must be NAME => HANDLE pairs')
        if !@list || @list % 2;
    my (@names, @files);
    while (@list) {
        my ($name, $file) = splice(@list, 0, 2);
        _croak('File::FDpasser::handoff_give: bad listener name '
               . (defined $name ? "'$name'" : 'undef')
               . ' (1 to 255 bytes of printable ASCII, no ":")')
            unless defined $name && !ref $name && $name =~ $HO_NAME;
        push @names, "$name";
        push @files, $file;
    }
    my ($mtype, $meta) = ('-', '');
    if (defined(my $m = $opt{meta})) {
        my $bytes = sub {
            my ($s) = @_;
            _croak('File::FDpasser::handoff_give: meta holds something that is not a string')
                unless defined $s && !ref $s;
            $s = "$s";
            utf8::downgrade($s, 1)
                or _croak('File::FDpasser::handoff_give: Wide character in meta');
            return $s;
        };
        if (ref $m eq 'HASH') {
            $mtype = 'h';
            for my $k (sort keys %$m) {
                my ($kb, $vb) = ($bytes->($k), $bytes->($m->{$k}));
                $meta .= length($kb) . ' ' . length($vb) . "\n$kb$vb";
            }
        } else {
            ($mtype, $meta) = ('s', $bytes->($m));
        }
        _croak("File::FDpasser::handoff_give: meta is longer than $HO_META_MAX bytes")
            if length $meta > $HO_META_MAX;
    }
    my $timeout = _ho_timeout('handoff_give', $opt{timeout});
    my $uid = defined $opt{uid} ? $opt{uid} : $>;
    _ho_load();
    my $deadline = Time::HiRes::time() + $timeout;
    for (@files) {
        return _ho_fail(Errno::EBADF()) unless my_getfl($_) >= 0;
    }

    # The messages: the header and metadata with the first batch.
    my @msgs;
    my $max = FDPASS_MAX();
    my $nb = int((@names + $max - 1) / $max);
    for my $i (0 .. $nb - 1) {
        my ($from, $to) = ($i * $max, ($i + 1) * $max - 1);
        $to = $#names if $to > $#names;
        my @n = @names[$from .. $to];
        my $list = join('', map { "$_\n" } @n);
        my $data = ($i ? '' : "$HO_MAGIC " . scalar(@names) . " $nb $mtype "
                              . length($meta) . "\n$meta")
                 . 'batch ' . scalar(@n) . ' ' . length($list) . "\n$list";
        push @msgs, [[ @files[$from .. $to] ], $data];
    }

    my ($ls, $made, $making, @node);
    my ($ok, $err);
    my $done = eval {
        if (ref $where || ref \$where eq 'GLOB') {
            $ls = $where;
        } else {
            # $making is set from before the node's creation until it is
            # recorded: a signal handler that dies in between leaves it
            # set, and the cleanup below knows the node may be ours.
            ($made, $making) = ($where, 1);
            $ls = endp_create($where, mode => 0600);
            if (!$ls) {
                $err = $! + 0;
                ($made, $making) = ();
                return 1;
            }
            @node = (lstat $made)[0, 1] unless substr($made, 0, 1) eq "\0";
            $making = 0;
        }
        $ok = _ho_give_on($ls, \@msgs, scalar(@names), $uid, $deadline);
        $err = $! + 0;
        1;
    };
    my $died = $done ? undef : $@;
    my $late = _settle(sub {
        if ($making) {
            # Interrupted between the node's creation and its record:
            # closed, then removed by endp_create's own rule, only as a
            # socket node that no server accepts on.
            close $ls if $ls;
            undef $ls;
            if (substr($made, 0, 1) ne "\0") {
                my $probe = -S $made && endp_connect($made);
                unlink $made if -S _ && !$probe && $! == Errno::ECONNREFUSED();
                close $probe if $probe;
            }
        } elsif (defined $made) {
            # Removed only while it is still our node: nobody else can
            # make one at the path while we listen on it.
            if (@node) {
                my @now = lstat $made;
                unlink $made if @now && $now[0] == $node[0] && $now[1] == $node[1];
            }
            close $ls;
        }
    });
    $died = $late if !defined $died;
    die $died if defined $died;
    $! = $err;
    return $ok ? 1 : undef;
}

sub _ho_give_on {
    my ($ls, $msgs, $count, $uid, $deadline) = @_;
    my $c;
    while (1) {
        _ho_wait($ls, 0, $deadline) or return;
        $c = serv_accept_fh($ls);
        if (!$c) {
            next if $! == Errno::EAGAIN() || $! == Errno::EWOULDBLOCK()
                 || $! == Errno::ECONNABORTED() || $! == Errno::EINTR();
            return;
        }
        my (undef, $puid) = peer_cred($c);
        last if defined $puid ? $puid == $uid : $! == Errno::ENOSYS();
        # Not our successor: told so, and closed; the wait goes on.
        $c->blocking(0);
        send_fds($c, [], "$HO_MAGIC refused\n");
        close $c;
    }
    $c->blocking(0);
    my $ok = _ho_give_to($c, $msgs, $count, $deadline);
    my $err = $! + 0;
    close $c;
    $! = $err;
    return $ok;
}

sub _ho_give_to {
    my ($c, $msgs, $count, $deadline) = @_;
    for (@$msgs) {
        _ho_send($c, $_->[0], $_->[1], $deadline) or return;
    }
    # The acknowledgement: one short line, nothing else.
    my $want = "held $count\n";
    my $buf = '';
    while (1) {
        _ho_wait($c, 0, $deadline) or return;
        my $n = sysread($c, $buf, 64, length $buf);
        if (!defined $n) {
            next if $! == Errno::EAGAIN() || $! == Errno::EWOULDBLOCK()
                 || $! == Errno::EINTR();
            return;
        }
        return _ho_fail(Errno::ECONNRESET()) unless $n;
        return _ho_fail(Errno::EPROTO())
            unless substr($want, 0, length $buf) eq substr($buf, 0, length $want);
        return 1 if $buf eq $want;
        return _ho_fail(Errno::EPROTO()) if length $buf > length $want;
    }
}

my %take_opt = (uid => 1, meta => 1, timeout => 1, max => 1);

sub handoff_take {
    _croak('Usage: File::FDpasser::handoff_take($path, %opt)') unless @_ % 2;
    my ($path, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::handoff_take: unknown option '$_'") unless $take_opt{$_};
    }
    _croak('File::FDpasser::handoff_take: meta is not a SCALAR reference')
        if defined $opt{meta} && ref $opt{meta} ne 'SCALAR' && ref $opt{meta} ne 'REF';
    my $max = defined $opt{max} ? $opt{max} : 1024;
    _croak("File::FDpasser::handoff_take: max must be a positive whole number, not '$max'")
        unless !ref $max && $max =~ /\A[1-9][0-9]{0,8}\z/;
    my $timeout = _ho_timeout('handoff_take', $opt{timeout});
    _croak('File::FDpasser::handoff_take: returns (NAME => HANDLE, ...); '
           . 'call it in list context')
        unless wantarray;
    my $uid = defined $opt{uid} ? $opt{uid} : $>;
    _ho_load();
    # The classes of the handles, as listen_fds has them.
    my $classes = _listen_classes() or return _ho_fail($! + 0 || Errno::EINVAL());
    my $deadline = Time::HiRes::time() + $timeout;

    my $c = endp_connect($path) or return;
    my $fds = _fds_guard();
    my (@handles, $meta);
    my ($ok, $err);
    my $done = eval {
        $ok = _ho_take_from($c, $path, $uid, $max, $deadline, $fds, \@handles, \$meta,
                            $classes);
        $err = $! + 0;
        1;
    };
    my $died = $done ? undef : $@;
    # Nothing received is kept on failure: the handles made, and the
    # numbers (the guard; _fd_handles empties it when it takes them).
    my $late = _settle(sub {
        close $c;
        if (!$done || !$ok) {
            close $_ for @handles;
            $fds->close_all;
        }
    });
    if (defined $late && !defined $died) {
        # A handler died in the cleanup: the call fails with it, and
        # nothing it took is kept.
        $died = $late;
        _settle(sub { close $_ for @handles; $fds->close_all });
    }
    die $died if defined $died;
    if (!$ok) {
        $! = $err;
        return;
    }
    ${ $opt{meta} } = $meta if $opt{meta};
    return @$ok;
}

# One complete line at $pos of $buf, no longer than $max bytes: the line;
# undef while it is incomplete; dies 'EPROTO' when it cannot be one.
# A failure inside the parser, as an errno value (a die of anything else,
# e.g. from a signal handler, propagates).
sub _ho_die { my $e = $_[0]; die bless \$e, 'File::FDpasser::_handoff_error' }

sub _ho_line {
    my ($buf, $pos, $max) = @_;
    my $nl = index($$buf, "\n", $pos);
    if ($nl < 0) {
        _ho_die(Errno::EPROTO()) if length($$buf) - $pos >= $max;
        return;
    }
    _ho_die(Errno::EPROTO()) if $nl - $pos >= $max;
    return substr($$buf, $pos, $nl - $pos + 1);
}

sub _ho_take_from {
    my ($c, $path, $uid, $max, $deadline, $fds, $handles, $metaref, $classes) = @_;
    my (undef, $ouid) = peer_cred($c);
    if (!defined $ouid) {
        return unless $! == Errno::ENOSYS();
        # No credentials here: the node must be the user's, and closed
        # to others.
        my @st = substr($path, 0, 1) eq "\0" ? () : lstat $path;
        return _ho_fail(Errno::EACCES())
            unless @st && -S _ && $st[4] == $uid && !($st[2] & 022);
    } elsif ($ouid != $uid) {
        return _ho_fail(Errno::EACCES());
    }

    my $buf = '';
    my $pos = 0;
    my ($count, $nb, $mtype, $mlen, $meta, @names);
    my ($batches, $stage) = (0, 'head');
    my $got_any = 0;
    my $proto = sub { _ho_die(Errno::EPROTO()) };
    my $step = eval {
        while (1) {
            # Parse what has come.
            while (1) {
                if ($stage eq 'head') {
                    my $line = _ho_line(\$buf, 0, 128);
                    if (!defined $line) {
                        my $l = length($buf) < length($HO_MAGIC) + 1
                              ? length($buf) : length($HO_MAGIC) + 1;
                        $proto->() if substr($buf, 0, $l) ne substr("$HO_MAGIC ", 0, $l);
                        last;
                    }
                    _ho_die(Errno::EACCES()) if $line eq "$HO_MAGIC refused\n";
                    ($count, $nb, $mtype, $mlen) = $line =~
                        /\A\Q$HO_MAGIC\E ([1-9][0-9]{0,8}) ([1-9][0-9]{0,8}) ([-sh]) (0|[1-9][0-9]{0,5})\n\z/
                        or $proto->();
                    $proto->() if $nb > $count || $mlen > $HO_META_MAX
                               || ($mtype eq '-' && $mlen != 0);
                    _ho_die(Errno::EMSGSIZE()) if $count > $max;
                    $pos = length $line;
                    $stage = 'meta';
                } elsif ($stage eq 'meta') {
                    last if length($buf) - $pos < $mlen;
                    my $m = substr($buf, $pos, $mlen);
                    $pos += $mlen;
                    if ($mtype eq 's') {
                        $meta = $m;
                    } elsif ($mtype eq 'h') {
                        my %h;
                        while (length $m) {
                            my ($kl, $vl) = $m =~ /\A(0|[1-9][0-9]{0,5}) (0|[1-9][0-9]{0,5})\n/
                                or $proto->();
                            my $at = length("$kl $vl\n");
                            $proto->() if $at + $kl + $vl > length $m;
                            $h{ substr($m, $at, $kl) } = substr($m, $at + $kl, $vl);
                            substr($m, 0, $at + $kl + $vl, '');
                        }
                        $meta = \%h;
                    }
                    $stage = 'batch';
                } elsif ($stage eq 'batch') {
                    last if $batches == $nb;
                    my $line = _ho_line(\$buf, $pos, 24) // last;
                    my ($k, $len) = $line =~ /\Abatch ([1-9][0-9]{0,2}) (0|[1-9][0-9]{0,5})\n\z/
                        or $proto->();
                    $proto->() if $k > FDPASS_MAX() || $len > $k * 256
                               || @names + $k > $count;
                    last if length($buf) - $pos - length($line) < $len;
                    my $list = substr($buf, $pos + length $line, $len);
                    $proto->() unless substr($list, -1) eq "\n";
                    my @n = split /\n/, $list, -1;
                    pop @n;
                    $proto->() if @n != $k || grep { !/$HO_NAME/ } @n;
                    push @names, @n;
                    $pos += length($line) + $len;
                    $batches++;
                }
            }
            $proto->() if defined $count && @$fds > $count;
            if ($stage eq 'batch' && $batches == $nb) {
                # Everything announced has come, and nothing else.
                $proto->() if @names != $count || @$fds != $count || $pos != length $buf;
                last;
            }
            # More to come.
            _ho_wait($c, 0, $deadline) or _ho_die($! + 0);
            my $want = defined $count ? $count - @$fds : FDPASS_MAX();
            $want = FDPASS_MAX() if $want > FDPASS_MAX();
            $want = 1 if $want < 1;
            my ($data) = _recv_fds_into($fds, $c, $want, 65536);
            if (!defined $data) {
                # recv_fds: more descriptors than announced (it closed
                # them all).
                _ho_die(Errno::EPROTO()) if $! == Errno::EMSGSIZE();
                _ho_die($! + 0) if $!;
                # End of stream: closed early.
                _ho_die($got_any ? Errno::EPROTO() : Errno::ECONNRESET());
            }
            $got_any = 1;
            $buf .= $data;
        }
        1;
    };
    if (!$step) {
        my $e = $@;
        die $e unless ref $e eq 'File::FDpasser::_handoff_error';
        return _ho_fail($$e);
    }

    # Handles of the class for each kind, in order.  _fd_handles takes
    # every number out of @$fds at once, and closes them all if it fails.
    @$handles = _fd_handles($fds, $classes, 0) or return;
    _ho_send($c, [], "held $count\n", $deadline) or return;
    $$metaref = $meta;
    return [ map { ($names[$_], $handles->[$_]) } 0 .. $#names ];
}

# listen_fds: the pid of the process that has looked at its listeners.
# A pid, not a flag: a child forked afterwards starts without the record
# (its $$ differs), so listeners its parent placed for it, with
# LISTEN_PID set to the child's pid, are its to take.
my $listen_done = 0;
# SERVER_STARTER_PORT names no process, so its record is kept across
# fork: a child forked from a process that took those listeners holds
# its parent's handles on them already, and taking them again would give
# each descriptor a second handle.  A program started with exec begins
# without it.
my $starter_done = 0;
# The classes of listen_fds's handles, by the core's FDPASS_KIND_*: a
# file, AF_INET, AF_INET6, AF_UNIX, another family.  Loaded on the first
# call that has listeners to take, before any descriptor is touched;
# _listen_classes returns a reference to them (handoff_take and
# haproxy_getsocks make their handles with it, through _fd_handles).
my @listen_class;

sub _listen_classes {
    return \@listen_class if @listen_class;
    local $@;
    eval { require IO::Socket::INET; require IO::Socket::UNIX; 1 } or return 0;
    # IO::Socket::IP is in the core from perl 5.20 on.
    my $inet6 = eval { require IO::Socket::IP; 1 } ? 'IO::Socket::IP' : 'IO::Socket';
    @listen_class = ('IO::Handle', 'IO::Socket::INET', $inet6,
                     'IO::Socket::UNIX', 'IO::Socket');
    return \@listen_class;
}

# What LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES (copies) say: 0 and the
# (name, handle) pairs, or an errno value (0: nothing passed).
sub _listen_take {
    my ($pid, $count, $names, $pidfdid) = @_;
    return 0 unless defined $pid && defined $count;
    # Plain decimal: ASCII digits only, no sign, space or base prefix.
    return _EINVAL() unless $pid =~ /\A[0-9]+\z/;
    $pid =~ s/\A0+//;
    return _EINVAL() if $pid eq '';        # 0 names no process
    return 0 unless $pid eq $$;            # meant for another process
    if (defined $pidfdid) {
        # systemd 258's pidfd identity beside the pid: a pid reused by
        # another process since has another.  Where this system cannot
        # say ours (no pidfs), LISTEN_PID alone decides, as libsystemd's.
        return _EINVAL() unless $pidfdid =~ /\A[0-9]+\z/;
        $pidfdid =~ s/\A0+(?=[0-9])//;
        my $own = _pidfd_id_self();
        return 0 if defined $own && $own ne $pidfdid;
    }
    # The first call that finds LISTEN_PID naming this process is the
    # only one that looks at the descriptors, whatever it finds: a retry
    # could otherwise take a descriptor the program has opened since at
    # a number that was not open before.
    return 0 if $listen_done == $$;
    $listen_done = $$;
    return _EINVAL() unless $count =~ /\A[0-9]+\z/;
    $count =~ s/\A0+//;
    return 0 if $count eq '';
    my @names;
    if (defined $names) {
        # As libsystemd splits it: every ':' separates, an empty
        # LISTEN_FDNAMES is no names.
        @names = split /:/, $names, -1;
        return _EINVAL() unless @names == $count;
        for (@names) {
            return _EINVAL() unless length($_) <= 255 && /\A[\x20-\x7e]*\z/;
        }
    }
    # More digits than an int holds: past any descriptor table.
    return _EBADF() if length($count) > 10 || $count > 0x7fffffff;
    _listen_classes() or return $! + 0 || _EINVAL();
    my @fh = _listen_fds($count + 0, \@listen_class) or return $! + 0;
    @names = ('unknown') x @fh unless defined $names;
    return (0, map { ($names[$_], $fh[$_]) } 0 .. $#fh);
}

# What SERVER_STARTER_PORT (a copy) says, as _listen_take: entries
# "NAME=FD" joined by ';', NAME being what start_server was given
# ("127.0.0.1:8080", "[::1]:8080", "8080", "u53", a path), FD a number.
sub _starter_take {
    my ($spec) = @_;
    return 0 unless defined $spec && length $spec;
    return 0 if $listen_done == $$ || $starter_done; # once, as above
    $listen_done = $$;
    $starter_done = 1;
    my (@names, @fds);
    for my $entry (split /;/, $spec, -1) {
        # The last '=' ends the name: a path may hold one.
        return _EINVAL() unless $entry =~ /\A(.+)=([0-9]+)\z/s;
        my ($name, $fd) = ($1, $2);
        $fd =~ s/\A0+(?=[0-9])//;
        return _EBADF() if length($fd) > 10 || $fd > 0x7fffffff;
        push @names, $name;
        push @fds, $fd + 0;
    }
    _listen_classes() or return $! + 0 || _EINVAL();
    my @fh = _take_listeners(\@fds, \@listen_class) or return $! + 0;
    return (0, map { ($names[$_], $fh[$_]) } 0 .. $#fh);
}

my %listen_from = (systemd => 1, server_starter => 2, any => 3);

sub listen_fds {
    _croak('Usage: File::FDpasser::listen_fds([unset_env => 0] [, from => $source])')
        if @_ % 2;
    my %opt = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::listen_fds: unknown option '$_'")
            unless $_ eq 'unset_env' || $_ eq 'from';
    }
    my $from = defined $opt{from} ? "$opt{from}" : 'any';
    _croak("File::FDpasser::listen_fds: unknown source '$from'")
        unless $listen_from{$from};
    _croak('File::FDpasser::listen_fds: returns (name, handle) pairs; '
           . 'call it in list context') unless wantarray;
    my $unset = !exists $opt{unset_env} || $opt{unset_env};
    my ($err, @pairs) = (0);
    # Each variable is read once (a tied %ENV's FETCH runs once).  The
    # classes are loaded before anything is removed or recorded: a load
    # that fails (EMFILE: a full table) leaves everything as it was, so
    # the call can be tried again once descriptors are freed, rather
    # than leave the listeners open with no handle for good.
    my $src = $listen_from{$from};
    my @var = qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES LISTEN_PIDFDID);
    my @val = $src & 1 ? @ENV{@var} : ();
    my $spec = $src & 2 ? $ENV{SERVER_STARTER_PORT} : undef;
    if ($listen_done != $$
        && (defined $val[0] && defined $val[1]
            || defined $spec && length $spec && !$starter_done)
        && !_listen_classes()) {
        $! = $! + 0 || _EINVAL();
        return;
    }
    if ($src & 1) {
        delete @ENV{@var} if $unset;
        ($err, @pairs) = _listen_take(@val);
    }
    if ($src & 2) {
        delete $ENV{SERVER_STARTER_PORT} if $unset;
        ($err, @pairs) = _starter_take($spec) if !$err && !@pairs;
    }
    $! = $err;
    return @pairs;
}

sub _croak { Carp::croak(@_) }

# haproxy's socket transfer: the _getsocks command of its stats socket,
# both sides.  HACKING ("haproxy's socket transfer") has the wire and
# where it was read.  The framing is done here, every read and write by
# send_fds and recv_fds, so descriptors that arrive are always counted
# and closed on failure by the same code as everywhere else.

# Descriptors per message: haproxy's MAX_SEND_FD since 2.6 (253 before;
# musl refuses 253).  Every haproxy receiver takes batches of this size.
sub _HAP_BATCH () { 252 }

# The most listeners a count may announce (Linux's default fs.nr_open),
# and the most metadata one listener can have: two length bytes, two
# names of at most 255 bytes, 32 bits of options.
sub _HAP_MAX_COUNT () { 1 << 20 }
sub _HAP_MAX_META  () { 2 + 255 + 255 + 4 }

# What the calls need, loaded before they take anything (see "Nothing
# is loaded after a descriptor is taken").
sub _hap_load {
    require Errno;
    require Time::HiRes;
    require Socket;
    require IO::Handle;
    # The classes of the handles, as listen_fds has them.
    return _listen_classes();
}

sub _hap_timeout {
    my ($fn, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::$fn: unknown option '$_'") unless $_ eq 'timeout';
    }
    my $t = defined $opt{timeout} ? $opt{timeout} : 10;
    _croak("File::FDpasser::$fn: timeout is not a positive number")
        unless $t =~ /\A(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\z/ && $t > 0;
    return $t;
}

sub _hap_fail { $! = $_[0]; return }

# The descriptor number of a handle argument, for select.
sub _hap_fileno {
    my ($h) = @_;
    return $h + 0 if defined $h && !ref $h && $h =~ /\A[0-9]+\z/;
    my $fd = eval { fileno($h) };
    return $fd;
}

# Waits until $fd is readable (writable, with $write) or $deadline
# passes (false, ETIMEDOUT).
sub _hap_wait {
    my ($fd, $deadline, $write) = @_;
    while (1) {
        my $left = $deadline - Time::HiRes::time();
        return _hap_fail(Errno::ETIMEDOUT()) if $left <= 0;
        my $v = '';
        vec($v, $fd, 1) = 1;
        my $n = $write ? select(undef, $v, undef, $left)
                       : select($v, undef, undef, $left);
        return 1 if $n > 0;
        next if $n == 0 || $! == Errno::EINTR();
        return;
    }
}

# One read of at most $max_bytes, with at most $max_fds descriptors, once
# something is there: recv_fds's results.
sub _hap_read {
    my ($conn, $fd, $deadline, $fds, $max_fds, $max_bytes) = @_;
    _hap_wait($fd, $deadline) or return;
    return _recv_fds_into($fds, $conn, $max_fds, $max_bytes);
}

# Exactly $len bytes that carry no descriptor.  End of stream before the
# first byte: undef with $! 0; before the last: EPROTO.  A reset is an end
# of stream: a peer that closes with our acknowledgement unread causes
# one, by chance of timing.  A read that expects no descriptor asks for
# room for one only (the core wants room for as many as it may take): a
# stray one is closed, more are closed by recv_fds (EMSGSIZE); both are
# EPROTO.
sub _hap_read_bytes {
    my ($conn, $fd, $deadline, $fds, $len) = @_;
    my $buf = '';
    while (length $buf < $len) {
        my $had = @$fds;
        my ($data) = _hap_read($conn, $fd, $deadline, $fds, 1, $len - length $buf);
        # A descriptor stays in @$fds, for the caller's guard to close.
        return _hap_fail(Errno::EPROTO()) if @$fds > $had;
        if (!defined $data) {
            return _hap_fail(Errno::EPROTO()) if $! == Errno::EMSGSIZE();
            return if $! && $! != Errno::ECONNRESET();
            return _hap_fail(length $buf ? Errno::EPROTO() : 0);
        }
        $buf .= $data;
    }
    return $buf;
}

# A listener's address as text: "ip:port", "[ip6]:port", a path (without
# the ".PID.tmp" haproxy binds under before renaming), "@name" for a Linux
# abstract name; undef for other families.
sub _hap_address {
    my ($family, $name) = @_;
    if ($family == Socket::AF_INET()) {
        my ($port, $ip) = Socket::unpack_sockaddr_in($name);
        return Socket::inet_ntoa($ip) . ":$port";
    }
    if ($family == Socket::AF_INET6()) {
        my ($port, $ip) = Socket::unpack_sockaddr_in6($name);
        return '[' . Socket::inet_ntop(Socket::AF_INET6(), $ip) . "]:$port";
    }
    if ($family == Socket::AF_UNIX()) {
        my $path = Socket::unpack_sockaddr_un($name);
        return undef unless defined $path;
        if ($path =~ s/\A\0//) {
            $path =~ s/\0+\z//;        # haproxy pads abstract names with NULs
            return "\@$path";
        }
        $path =~ s/\.[0-9]+\.tmp\z//;
        return $path;
    }
    return undef;
}

# The handles, metadata and addresses of what arrived, or () with EPROTO
# (metadata that does not describe exactly these descriptors, or a
# descriptor that is not a socket).  Closes nothing: the caller does.
sub _hap_listeners {
    my ($fds, $meta) = @_;
    my ($off, @l) = (0);
    for my $fd (@$fds) {
        my %l;
        for my $k (qw(namespace interface)) {
            return _hap_fail(Errno::EPROTO()) if $off >= length $meta;
            my $n = ord substr($meta, $off++, 1);
            return _hap_fail(Errno::EPROTO()) if $off + $n > length $meta;
            $l{$k} = substr($meta, $off, $n);
            $off += $n;
        }
        return _hap_fail(Errno::EPROTO()) if $off + 4 > length $meta;
        $l{options} = unpack 'L', substr($meta, $off, 4);
        $off += 4;
        push @l, \%l;
    }
    return _hap_fail(Errno::EPROTO()) if $off != length $meta;
    # A handle per descriptor, of the class for its kind, as listen_fds
    # makes them: _fd_handles takes every number out of @$fds at once and
    # closes them all if it fails (ENOTSOCK: one is not a socket), and a
    # failure below closes the handles as they go out of scope.
    my @h = _fd_handles($fds, _listen_classes(), 1)
        or return _hap_fail($! == Errno::ENOTSOCK() ? Errno::EPROTO() : $! + 0);
    for my $i (0 .. $#l) {
        my ($h, $l) = ($h[$i], $l[$i]);
        my $name = getsockname($h);
        my $type = getsockopt($h, Socket::SOL_SOCKET(), Socket::SO_TYPE());
        return _hap_fail(Errno::EPROTO())
            unless defined $name && length $name >= 2 && defined $type;
        $l->{family}  = Socket::sockaddr_family($name);
        $l->{type}    = unpack 'i', $type;
        $l->{address} = _hap_address($l->{family}, $name);
        $l->{handle}  = $h;
    }
    return @l;
}

sub haproxy_getsocks {
    _croak('Usage: File::FDpasser::haproxy_getsocks($path [, timeout => $s])')
        unless @_ && @_ % 2;
    my ($where, @opt) = @_;
    my $timeout = _hap_timeout('haproxy_getsocks', @opt);
    _croak('File::FDpasser::haproxy_getsocks: returns a list of listeners; call it in list context')
        unless wantarray;
    _hap_load() or return _hap_fail($! + 0 || Errno::EINVAL());
    return _hap_fail(Errno::ENOSYS()) unless _backend() eq 'scm_rights';
    my $deadline = Time::HiRes::time() + $timeout;
    # A path, or a connected endpoint (a handle: a number is a path here).
    my $conn = $where;
    unless (ref $where || ref \$where eq 'GLOB') {
        $conn = endp_connect($where) or return;
    }
    my $fd = _hap_fileno($conn);
    return _hap_fail(Errno::EBADF()) unless defined $fd;
    my $fds = _fds_guard();
    my @l = eval { _hap_getsocks($conn, $fd, $deadline, $fds) };
    my ($err, $died) = ($! + 0, $@);
    # None left on success: the handles own them.
    my $late = _settle(sub { $fds->close_all });
    $died = $late if !$died && defined $late;
    die $died if $died;           # a signal handler's exception
    $! = @l ? 0 : $err;
    return @l;
}

# The client's side of the exchange; what arrives goes into @$fds first.
sub _hap_getsocks {
    my ($conn, $fd, $deadline, $fds) = @_;
    my $sent = send_fds($conn, [], "_getsocks\n");
    return unless $sent;
    return _hap_fail(Errno::EPROTO()) if $sent != 10;
    # The count, a native int.  haproxy closes without one when the
    # socket lacks "expose-fd listeners" or it has no listener to give.
    my $head = _hap_read_bytes($conn, $fd, $deadline, $fds, 4);
    unless (defined $head) {
        $! = Errno::EACCES() unless $!;
        return;
    }
    my $count = unpack 'l', $head;
    return _hap_fail(Errno::EPROTO()) if $count < 0 || $count > _HAP_MAX_COUNT;
    return _hap_fail(0) unless $count;
    my $meta = '';
    while (@$fds < $count) {
        my $want = $count - @$fds;
        $want = FDPASS_MAX() if $want > FDPASS_MAX();
        my $had = @$fds;
        my ($data) = _hap_read($conn, $fd, $deadline, $fds, $want, 65536);
        # End of stream (or a reset) before the last descriptor: a
        # truncated transfer.
        return _hap_fail($! && $! != Errno::ECONNRESET() ? $! + 0 : Errno::EPROTO())
            unless defined $data;
        # haproxy's receiver acknowledges every read with the count it had
        # before it (4 bytes); its sender waits for one after each full
        # batch.  A sender that has gone makes this fail: ignored, the next
        # read tells.  Written once there is room: a peer that never reads
        # them would otherwise hold a blocking write past the deadline.
        _hap_wait($fd, $deadline, 1) or return;
        send_fds($conn, [], pack('l', $had));
        $meta .= $data;
        return _hap_fail(Errno::EPROTO()) if length $meta > $count * _HAP_MAX_META;
    }
    return _hap_listeners($fds, $meta);
}

sub haproxy_serve_getsocks {
    _croak('Usage: File::FDpasser::haproxy_serve_getsocks($conn, \\@listeners [, timeout => $s])')
        unless @_ >= 2 && !(@_ % 2);
    my ($conn, $list, @opt) = @_;
    _croak('File::FDpasser::haproxy_serve_getsocks: listeners is not an ARRAY reference')
        unless ref $list eq 'ARRAY';
    my $timeout = _hap_timeout('haproxy_serve_getsocks', @opt);
    my (@files, @meta);
    for my $l (@$list) {
        my ($h, $ns, $if, $o) = ($l, '', '', 0);
        if (ref $l eq 'HASH') {
            ($h, $ns, $if, $o) = @$l{qw(handle namespace interface options)};
            $ns = '' unless defined $ns;
            $if = '' unless defined $if;
            $o  = 0  unless defined $o;
        }
        for ($ns, $if) {
            my $bytes = $_;
            _croak('File::FDpasser::haproxy_serve_getsocks: a namespace or interface name is longer than 255 bytes or has wide characters')
                unless utf8::downgrade($bytes, 1) && length $bytes <= 255;
        }
        _croak('File::FDpasser::haproxy_serve_getsocks: options is not a 32-bit unsigned number')
            unless $o =~ /\A[0-9]+\z/ && $o <= 0xffffffff;
        push @files, $h;
        push @meta, pack('C/a* C/a* L', $ns, $if, $o);
    }
    _hap_load() or return _hap_fail($! + 0 || Errno::EINVAL());
    return _hap_fail(Errno::ENOSYS()) unless _backend() eq 'scm_rights';
    # Every listener must be open before anything is said.
    for (@files) {
        return _hap_fail(Errno::EBADF()) if my_getfl($_) < 0;
    }
    my $deadline = Time::HiRes::time() + $timeout;
    my $fd = _hap_fileno($conn);
    return _hap_fail(Errno::EBADF()) unless defined $fd;
    # The connection is non-blocking while the call runs, so that no write
    # waits past the deadline (a client may acknowledge batches it never
    # read), and as it was again afterwards, however the call ends.  The
    # flag is changed through a copy of the descriptor: a number has no
    # handle of its own.
    open(my $flags, '+<&', $fd) or return;
    my $restore = _blocking_guard($flags);
    $flags->blocking(0);
    my $stray = _fds_guard();     # descriptors a client sends us
    my $n = eval { _hap_serve($conn, $fd, $deadline, \@files, \@meta, $stray) };
    my ($err, $died) = ($! + 0, $@);
    my $late = _settle(sub { $stray->close_all; $restore->put_back; close $flags });
    $died = $late if !$died && defined $late;
    die $died if $died;           # a signal handler's exception
    $! = $err;
    return $n ? $n : ();
}

# All of $data (the descriptors with its first part) on the non-blocking
# connection, before the deadline: true, or false with $!.
sub _hap_send {
    my ($conn, $fd, $files, $data, $deadline) = @_;
    my $off = 0;
    while ($off < length $data) {
        _hap_wait($fd, $deadline, 1) or return;
        my $n = send_fds($conn, $off ? [] : $files, substr($data, $off));
        if ($n) {
            $off += $n;
        } elsif ($! != Errno::EAGAIN() && $! != Errno::EWOULDBLOCK()) {
            return;
        }
    }
    return 1;
}

# The server's side of the exchange, on the non-blocking connection.
sub _hap_serve {
    my ($conn, $fd, $deadline, $files, $meta, $stray) = @_;
    my @files = @$files;
    my @meta  = @$meta;

    # One command line.
    my $line = '';
    while ($line !~ /\n/) {
        return _hap_fail(Errno::EPROTO()) if length $line > 1024;
        # No descriptor is expected: room for one only, as _hap_read_bytes.
        my ($data) = _hap_read($conn, $fd, $deadline, $stray, 1, 1025);
        return _hap_fail(Errno::EPROTO()) if @$stray;
        return _hap_fail(Errno::EPROTO()) if !defined $data && $! == Errno::EMSGSIZE();
        return unless defined $data;      # $! 0: gone without asking
        $line .= $data;
    }
    if ($line !~ /\A[ \t]*_getsocks[ \t\r]*\n\z/) {
        _hap_send($conn, $fd, [], "Unknown command: this socket only answers _getsocks.\n\n",
                  $deadline);
        return _hap_fail(Errno::EPROTO());
    }

    _hap_send($conn, $fd, [], pack('l', scalar @files), $deadline) or return;
    for (my $i = 0; $i < @files; $i += _HAP_BATCH) {
        my $last = $i + _HAP_BATCH - 1;
        $last = $#files if $last > $#files;
        my $data = join '', @meta[$i .. $last];
        _hap_send($conn, $fd, [ @files[$i .. $last] ], $data, $deadline) or return;
        # Its acknowledgement; after the last batch it may close instead.
        my $ack = _hap_read_bytes($conn, $fd, $deadline, $stray, 4);
        next if defined $ack;
        return if $!;
        return _hap_fail(Errno::EPIPE()) if $last < $#files;
    }
    $! = 0;
    return @files ? scalar @files : '0E0';
}

# The handle classes (IO::Socket::IP where perl has it), loaded with the
# module: see the loads at the top.
_listen_classes();

1;
