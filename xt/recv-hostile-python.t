#!perl
# Crafted control messages from a Python peer (socket.sendmsg with its own
# ancillary list) to recv_fds on an endpoint that takes credentials
# (SO_PASSCRED): several SCM_RIGHTS headers in one message, credentials
# between them, more descriptors than the call takes, a stream of such
# messages.  Each gives what the POD says (every descriptor, the right
# files; or EMSGSIZE with all of them closed), and the descriptor count in
# /proc/self/fd ends where it began.
use strict;
use warnings;
use Test::More;
use Errno qw(EMSGSIZE);
use Socket qw(SOL_SOCKET);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

plan skip_all => 'no /proc/self/fd to count descriptors' unless defined open_fds();
plan skip_all => 'the SCM_RIGHTS backend only'
    unless File::FDpasser::_backend() eq 'scm_rights';
my $so_passcred = eval { Socket::SO_PASSCRED() };
plan skip_all => 'no SO_PASSCRED here' unless defined $so_passcred;
my $py = 'python3';
my $probe = `$py -c "import socket; socket.SCM_CREDENTIALS; socket.socket.sendmsg; print('yes')" 2>&1`;
plan skip_all => "python3 with socket.sendmsg and SCM_CREDENTIALS is not available: $probe"
    unless defined $probe && $probe =~ /^yes/;

alarm 60;
my @files = numbered_files('py-hostile', 4);
my $script = <<'PY';
import array, os, socket, struct, sys
s = socket.socket(fileno=int(sys.argv[1]))
fds = [int(f) for f in sys.argv[2:]]
R = lambda l: (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', l).tobytes())
C = (socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
     struct.pack('iII', os.getpid(), os.getuid(), os.getgid()))
# 1: three SCM_RIGHTS headers, 1 + 2 + 1.
s.sendmsg([b'a'], [R(fds[0:1]), R(fds[1:3]), R(fds[3:4])])
# 2: credentials between them.
s.sendmsg([b'b'], [R(fds[0:2]), C, R(fds[2:3]), C, R(fds[3:4])])
# 3: 40 descriptors in four headers, for a call that takes four.
s.sendmsg([b'c'], [R(fds * 3), C, R(fds * 4), R(fds * 2), R(fds)])
# 4: 50 messages of 5 for calls that take 4.
for i in range(50):
    s.sendmsg([b'd'], [R(fds[0:1]), C, R(fds[0:4])])
# 5: the last, well formed.
s.sendmsg([b'e'], [C, R(fds)])
PY
my ($p, $c) = spipe() or die "spipe: $!";
setsockopt($p, SOL_SOCKET, $so_passcred, 1) or die "SO_PASSCRED: $!";
my @pass = map { fileno $_ } @files;
require Fcntl;
fcntl($_, Fcntl::F_SETFD(), 0) for @files;
my $pid = exec_with($c, $py, '-c', $script, fileno($c), @pass);
close $c;
fcntl($_, Fcntl::F_SETFD(), Fcntl::FD_CLOEXEC()) for @files;

my $before = open_fds();
my $names = sub { join ',', map { my $s = slurp_fd($_); chomp $s; $s } @_ };
my $want = join ',', map { "file $_" } 0 .. 3;

my ($data, @fds) = recv_fds($p, 4);
is($data, 'a', 'three SCM_RIGHTS headers: the data');
is($names->(@fds), $want, 'three SCM_RIGHTS headers: all four, in order, the right files');
close_fds(@fds);
($data, @fds) = recv_fds($p, 4);
is($names->(@fds), $want, 'credentials between the headers: the four descriptors, none taken from the credentials');
close_fds(@fds);
$! = 0;
my @r = recv_fds($p, 4);
my $err = $! + 0;
ok(!@r && $err == EMSGSIZE, '40 descriptors for a call that takes 4: EMSGSIZE')
    or diag("got @r, errno $err");
my $bad = 0;
for (1 .. 50) {
    $! = 0;
    @r = recv_fds($p, 4);
    $bad++ unless !@r && $! == EMSGSIZE;
}
is($bad, 0, '50 messages of 5 (credentials between) for calls that take 4: each EMSGSIZE');
($data, @fds) = recv_fds($p, 4);
is($data, 'e', 'then a well-formed message: the data');
is($names->(@fds), $want, 'then a well-formed message: its four descriptors');
close_fds(@fds);
is(open_fds(), $before, 'no descriptor left open by any of them');
waitpid($pid, 0);
is($?, 0, 'the Python peer exited cleanly');

done_testing;
