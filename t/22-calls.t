# Calls to the module's subs in every form a program writes them: by full
# name and by imported name, in scalar, list and void context, as an
# argument of another call, through a reference and with &, with the wrong
# number of arguments, and after the name was bound to another sub: what
# they return, and where, is the same in every form.
use strict;
use warnings;
use Test::More;
use Errno qw(EINVAL);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 60;
my @files = numbered_files('f', 10);

my ($p, $c) = spipe();
my $pid = run_child {
    close $c;
    File::FDpasser::send($p, $files[0]) or die "send: $!";
    send_file($p, $files[$_]) or die "send_file: $!" for 1 .. 7;
    send_fds($p, [@files[8, 9]], 'two') or die "send_fds: $!";
    1;
};
close $p;
my $before = open_fds();

# A sub compiled now, whose call is later bound to another sub.
sub by_name { File::FDpasser::recv_fd($_[0]) }

my $fd = File::FDpasser::recv_fd($c);
is(slurp_fd($fd), "file 0\n", 'scalar context, full name');
ok(close_fds($fd), '... and close_fds in void-like context returns true');

my @list = recv_fd($c);
is(scalar(@list), 1, 'list context: one value');
is(slurp_fd($list[0]), "file 1\n", '... the descriptor');
close_fds(@list);

my $n = open_fds();
ok(close_fds(File::FDpasser::recv($c)), 'a call as the argument of another');
is(open_fds(), $n, '... and the descriptor it gave was closed by the outer');

my $ref = \&File::FDpasser::recv_fd;
$fd = $ref->($c);
is(slurp_fd($fd), "file 3\n", 'through a code reference');
close_fds($fd);

$fd = &File::FDpasser::recv_fd($c);
is(slurp_fd($fd), "file 4\n", 'with &');
close_fds($fd);

my $fh = recv_fh($c);
ok($fh && fileno($fh) >= 0, 'recv_fh in scalar context gives a handle');
seek($fh, 0, 0);
is(scalar(<$fh>), "file 5\n", '... that reads the file');
close $fh;

$fd = by_name($c);
is(slurp_fd($fd), "file 6\n", 'a sub compiled earlier calls the module');
close_fds($fd);
{
    no warnings 'redefine';
    local *File::FDpasser::recv_fd = sub { "replaced($_[0])" };
    is(by_name('x'), 'replaced(x)', '... and the sub now bound to the name once it is rebound');
}
{
    no warnings 'redefine';
    require Scalar::Util;
    local *File::FDpasser::recv_fd = \&Scalar::Util::reftype;
    is(by_name([]), 'ARRAY', '... or the XSUB of another module');
}
$fd = by_name($c);
is(slurp_fd($fd), "file 7\n", '... and the module again once the binding is restored');
close_fds($fd);

my ($data, @fds) = recv_fds($c, 2);
is($data, 'two', 'recv_fds in list context: the data');
is(scalar(@fds), 2, '... and both descriptors');
is(join('', map { slurp_fd($_) } @fds), "file 8\nfile 9\n", '... in order');
close_fds(@fds);

# recv_fds refuses scalar context (it would drop descriptors): the
# croak comes out of a call by name as from any other.
ok(!eval { my $empty = recv_fds($c, 0); 1 }, 'recv_fds in scalar context croaks');
like($@, qr/^File::FDpasser::recv_fds: .*list context/, '... saying why');
my @stack = (1, 2, recv_fds($c, 0), 3);
is("@stack", '1 2 3', '... and in list context nothing, the stack around it intact');

ok(!eval { File::FDpasser::recv_fd(); 1 }, 'too few arguments croak');
like($@, qr/Usage: File::FDpasser::recv_fd\(sock\)/, '... with the usage');
ok(!eval { recv_fd($c, 1); 1 }, 'too many croak too');

is(File::FDpasser::recv_fd($c), undef, 'end of stream: undef');
is(File::FDpasser::recv($c), -1, '... and -1 from recv');
is(open_fds(), $before, 'no descriptor left open');
reap_ok($pid, 'sender');
done_testing;
