# The other peers the POD names, each in both directions between real
# processes over an inherited socket: Ruby's UNIXSocket#send_io/#recv_io
# and #sendmsg/#recvmsg with SCM_RIGHTS; plan9port-style sendfd/recvfd
# (one descriptor and one byte per message) and libancillary's '!' byte,
# both as C programs on plain sendmsg/recvmsg (t/c/peers.c); Python's
# multiprocessing.reduction send_handle/recv_handle and sendfds/recvfds
# (the count as the data byte), with the recipe the POD gives.  Every
# descriptor is checked to be the file sent (its content is read, and a
# line written through it lands in that file), and the parent's
# descriptor count is the same after each exchange.
use strict;
use warnings;
use Test::More;
use Fcntl qw(O_RDWR O_APPEND);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 120;
my $dir = tmpdir();

# Files NAME1 .. NAMEn holding "NAME I\n"; returns their paths.
my %content;
sub files {
    my ($name, $n) = @_;
    my @paths;
    for my $i (1 .. $n) {
        my $path = "$dir/$name$i";
        open(my $h, '>', $path) or die "$path: $!";
        print $h "$name$i\n";
        close $h;
        $content{$path} = "$name$i\n";
        push @paths, $path;
    }
    return @paths;
}
# A handle on $path to read and append, as every peer here opens its files.
sub rw {
    sysopen(my $h, $_[0], O_RDWR | O_APPEND) or die "$_[0]: $!";
    return $h;
}
sub text {
    open(my $h, '<', $_[0]) or die "$_[0]: $!";
    local $/;
    return scalar <$h>;
}

# A received descriptor: it reads as $path did, then takes a line.
sub is_file {
    my ($fd, $path, $line, $name) = @_;
    my $got = slurp_fd($fd);
    open(my $h, '>>&=', $fd) or die "fdopen $fd: $!";
    print $h $line;
    close $h;
    is($got, $content{$path}, "$name: the descriptor reads as the file sent");
}

# The program to run: the system's, not a shim earlier in PATH.
sub program {
    my ($name, $probe) = @_;
    for my $p ("/usr/bin/$name", $name) {
        next if $p =~ m{/} && !-x $p;
        my $out = `$p $probe 2>&1`;
        return ($p, '') if defined $out && $out =~ /^yes/;
        $out = "$p: " . (defined $out ? $out : $!);
        return (undef, $out) unless $p =~ m{/};
    }
    return (undef, "no $name");
}

# ---- Ruby ------------------------------------------------------------
SKIP: {
    my ($rb, $why) = program('ruby',
        q{-rsocket -e 'Socket::AncillaryData.method(:unix_rights); UNIXSocket.instance_method(:send_io); puts "yes"'});
    skip "ruby with UNIXSocket#send_io is not available: $why", 12 unless $rb;

    # Ruby sends: send_io of one file, then sendmsg of two with data.
    my $before = open_fds();
    my ($p, $c) = spipe();
    my @f = files('rbout', 3);
    my $script = <<'RB';
require 'socket'
s = UNIXSocket.for_fd(Integer(ARGV[0]))
s.autoclose = false
io = ARGV[1..3].map { |path| File.open(path, File::RDWR | File::APPEND) }
s.send_io(io[0])
s.sendmsg("from ruby", 0, nil, Socket::AncillaryData.unix_rights(io[1], io[2]))
RB
    my $pid = exec_with($c, $rb, '-e', $script, fileno($c), @f);
    close $c;
    my $fd = recv_fd($p);
    ok(defined $fd, 'recv_fd takes what Ruby\'s send_io sent');
    is_file($fd, $f[0], "perl from send_io\n", 'send_io');
    my ($data, @fds) = recv_fds($p);
    is_deeply([$data, scalar @fds], ['from ruby', 2],
              'recv_fds: the data and two descriptors of Ruby\'s sendmsg');
    is_file($fds[$_], $f[$_ + 1], "perl from sendmsg\n", "sendmsg descriptor $_") for 0, 1;
    reap_ok($pid, 'the Ruby sender');
    close $p;
    is(open_fds(), $before, 'no descriptor left open after Ruby sent');

    # Ruby receives: recv_io of send_file, recvmsg(scm_rights: true) of
    # send_fds.
    $before = open_fds();
    ($p, $c) = spipe();
    my @g = files('rbin', 3);
    $script = <<'RB';
require 'socket'
s = UNIXSocket.for_fd(Integer(ARGV[0]))
s.autoclose = false
io = s.recv_io
io.rewind
io.write("ruby recv_io read #{io.read.inspect}\n")
msg, _addr, _flags, *ctl = s.recvmsg(64, 0, nil, scm_rights: true)
raise "#{ctl.size} control messages" unless ctl.size == 1
ios = ctl[0].unix_rights
ios.each { |f| f.rewind; f.write("ruby recvmsg #{ios.size} #{msg.inspect} read #{f.read.inspect}\n") }
RB
    $pid = exec_with($c, $rb, '-e', $script, fileno($c));
    close $c;
    {
        my @h = map { rw($_) } @g;
        ok(send_file($p, $h[0]), 'send_file to Ruby\'s recv_io');
        ok(send_fds($p, [@h[1, 2]], 'perl data'), 'send_fds to Ruby\'s recvmsg');
    }
    reap_ok($pid, 'the Ruby receiver');
    close $p;
    is(join('', map { text($_) } @g),
       qq{rbin1\nruby recv_io read "rbin1\\n"\n}
     . qq{rbin2\nruby recvmsg 2 "perl data" read "rbin2\\n"\n}
     . qq{rbin3\nruby recvmsg 2 "perl data" read "rbin3\\n"\n},
       'Ruby read every file through the descriptor it received and wrote to it');
    is(open_fds(), $before, 'no descriptor left open after Ruby received');
}

# ---- plan9port sendfd/recvfd, libancillary -----------------------------
SKIP: {
    my ($peers, $why) = build_c("$dir/peers", ['t/c/peers.c']);
    skip "cannot build t/c/peers.c: $why", 23 unless $peers;

    # plan9port-style sendfd, twice, to recv_fd and recv_fh.
    my $before = open_fds();
    my @f = files('p9out', 2);
    my ($p, $c) = spipe();
    my @pids = map { exec_with($c, $peers, 'p9send', fileno($c), $_) } @f;
    close $c;
    my $fd = recv_fd($p);
    ok(defined $fd, 'recv_fd takes a plan9port-style sendfd');
    # Which sender came first is not fixed: match on the content.
    my ($path) = grep { $content{$_} eq slurp_fd($fd) } @f;
    ok($path, 'and it is one of the files sent');
    is_file($fd, $path // $f[0], "perl p9\n", 'sendfd');
    my $fh = recv_fh($p);
    ok($fh, 'recv_fh takes the second sendfd');
    my ($other) = grep { !defined $path || $_ ne $path } @f;
    is(do { local $/; seek($fh, 0, 0); scalar <$fh> }, $content{$other},
       'sendfd: recv_fh reads as the other file');
    print $fh "perl p9\n";
    close $fh;
    reap_ok($_, 'a plan9port-style sender') for @pids;
    close $p;
    is(open_fds(), $before, 'no descriptor left open after sendfd');

    # plan9port-style recvfd: one descriptor per message, each of our sends.
    $before = open_fds();
    my @g = files('p9in', 3);
    ($p, $c) = spipe();
    my $pid = exec_with($c, $peers, 'p9recv', fileno($c), 3);
    close $c;
    {
        my @h = map { rw($_) } @g;
        ok(send_file($p, $h[0]) && File::FDpasser::send(fileno $p, fileno $h[1])
           && send_fds($p, [$h[2]]),
           'send_file, send and send_fds of one descriptor to recvfd');
    }
    reap_ok($pid, 'the plan9port-style receiver');
    close $p;
    is(join('', map { text($_) } @g), "p9in1\np9 1\np9in2\np9 2\np9in3\np9 3\n",
       'recvfd got every descriptor, each in a message of its own');
    is(open_fds(), $before, 'no descriptor left open after recvfd');

    # libancillary-style sender: '!' with three descriptors.
    $before = open_fds();
    @f = files('ancout', 3);
    ($p, $c) = spipe();
    $pid = exec_with($c, $peers, 'ancsend', fileno($c), @f);
    close $c;
    my ($data, @fds) = recv_fds($p);
    is_deeply([$data, scalar @fds], ['!', 3], 'recv_fds: libancillary\'s "!" and three descriptors');
    is_file($fds[$_], $f[$_], "perl anc\n", "libancillary descriptor $_") for 0 .. 2;
    reap_ok($pid, 'the libancillary-style sender');
    close $p;

    # libancillary-style receiver: any byte, so our 0 and our data.
    @g = files('ancin', 3);
    ($p, $c) = spipe();
    $pid = exec_with($c, $peers, 'ancrecv', fileno($c), 1);
    close $c;
    {
        my $h = rw($g[0]);
        ok(send_file($p, $h), 'send_file to a libancillary-style receiver');
    }
    reap_ok($pid, 'the libancillary-style receiver of one');
    close $p;
    ($p, $c) = spipe();
    $pid = exec_with($c, $peers, 'ancrecv', fileno($c), 2);
    close $c;
    {
        my @h = map { rw($_) } @g[1, 2];
        ok(send_fds($p, \@h, '!'), 'send_fds of two with "!" to it');
    }
    reap_ok($pid, 'the libancillary-style receiver of two');
    close $p;
    is(join('', map { text($_) } @f, @g),
       "ancout1\nperl anc\nancout2\nperl anc\nancout3\nperl anc\n"
     . "ancin1\nanc 1 byte 0\nancin2\nanc 2 byte 33\nancin3\nanc 2 byte 33\n",
       'libancillary-style peers: every descriptor reached its file');
    is(open_fds(), $before, 'no descriptor left open after libancillary');
}

# ---- Python multiprocessing ------------------------------------------
SKIP: {
    my ($py, $why) = program('python3',
        q{-c 'from multiprocessing import reduction as r; r.sendfds; r.recvfds; r.send_handle; r.recv_handle; print("yes")'});
    skip "python3 with multiprocessing.reduction.sendfds is not available: $why", 13 unless $py;

    # multiprocessing sends: send_handle (one), sendfds (three: the byte 3).
    my $before = open_fds();
    my @f = files('mpout', 4);
    my ($p, $c) = spipe();
    my $script = <<'PY';
import os, socket, sys
from multiprocessing import reduction
s = socket.socket(fileno=int(sys.argv[1]))
fds = [os.open(p, os.O_RDWR | os.O_APPEND) for p in sys.argv[2:]]
reduction.send_handle(s, fds[0], os.getppid())
reduction.sendfds(s, fds[1:4])
s.detach()
PY
    my $pid = exec_with($c, $py, '-c', $script, fileno($c), @f);
    close $c;
    my ($data, @fds) = recv_fds($p, 1);
    is_deeply([$data, scalar @fds], ["\x01", 1], 'send_handle: the byte 1 and one descriptor');
    is_file($fds[0], $f[0], "perl mp\n", 'send_handle');
    ($data, @fds) = recv_fds($p, 3);
    is_deeply([$data, scalar @fds], ["\x03", 3], 'sendfds: the count 3 as the byte, three descriptors');
    is_file($fds[$_], $f[$_ + 1], "perl mp\n", "sendfds descriptor $_") for 0 .. 2;
    reap_ok($pid, 'the multiprocessing sender');
    close $p;
    is(join('', map { text($_) } @f), join('', map { "mpout$_\nperl mp\n" } 1 .. 4),
       'every descriptor multiprocessing sent reached its file');

    # multiprocessing receives: recv_handle and recvfds(s, 3), sent with
    # the count as the data byte.
    my @g = files('mpin', 4);
    ($p, $c) = spipe();
    $script = <<'PY';
import os, socket, sys
from multiprocessing import reduction
s = socket.socket(fileno=int(sys.argv[1]))
def mark(fd, what):
    os.lseek(fd, 0, os.SEEK_SET)
    got = os.read(fd, 100)
    os.write(fd, b'%s read %r\n' % (what, got))
    os.close(fd)
mark(reduction.recv_handle(s), b'recv_handle')
fds = reduction.recvfds(s, 3)
for fd in fds:
    mark(fd, b'recvfds %d' % len(fds))
s.detach()
PY
    $pid = exec_with($c, $py, '-c', $script, fileno($c));
    close $c;
    {
        my @h = map { rw($_) } @g;
        ok(send_fds($p, [$h[0]], chr(1)), 'send_fds with chr(1) to recv_handle');
        ok(send_fds($p, [@h[1 .. 3]], chr(3)), 'send_fds of three with chr(3) to recvfds');
    }
    reap_ok($pid, 'the multiprocessing receiver');
    close $p;
    is(join('', map { text($_) } @g),
       "mpin1\nrecv_handle read b'mpin1\\n'\n"
     . join('', map { "mpin$_\nrecvfds 3 read b'mpin$_\\n'\n" } 2 .. 4),
       'multiprocessing read every file through the descriptor it received');
    is(open_fds(), $before, 'no descriptor left open after multiprocessing');
}

done_testing;
