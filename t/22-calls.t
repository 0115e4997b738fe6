# Calls to the module's subs in every form a program writes them: by full
# name and by imported name, in scalar, list and void context, as an
# argument of another call, through a reference and with &, with the wrong
# number of arguments, and after the name was bound to another sub: what
# they return, and where, must be what any other call gets.  And a profiler
# sees them: Devel::NYTProf, run over a loop of calls, counts every one.
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
# croak comes out as from any other call.
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

# Every call in a loop is counted by Devel::NYTProf (perl -d:NYTProf), in
# void, scalar and list context, by full and by imported name, alone and
# as the argument of another call.  A call that went into the module by
# a way of its own, around perl's entersub, would be missing.
SKIP: {
    skip 'no Devel::NYTProf (Debian libdevel-nytprof-perl)', 2
        unless eval { require Devel::NYTProf::Data; 1 };
    my $dir = tmpdir();
    my $n = 50;
    open(my $fh, '>', "$dir/loop.pl") or die "loop.pl: $!";
    print $fh <<'LOOP';
use strict;
use warnings;
use File::FDpasser qw(:all);
my ($dir, $n) = @ARGV;
my ($a, $b) = spipe() or die "spipe: $!";
my $ls = endp_create("$dir/ep") or die "endp_create: $!";
open(my $f, '<', $0) or die "open: $!";
for (1 .. $n) {
    send_file($a, $f) or die "send_file: $!";
    my $fd = recv_fd($b);
    defined $fd or die "recv_fd: $!";
    close_fds($fd);
    File::FDpasser::send(fileno($a), fileno($f)) or die "send: $!";
    my @one = File::FDpasser::recv(fileno($b));
    close_fds(@one) or die "recv: $!";
    send_fds($a, [$f, $f], 'two') or die "send_fds: $!";
    my ($data, @fds) = recv_fds($b, 2);
    @fds == 2 && close_fds(@fds) or die "recv_fds: $!";
    File::FDpasser::send_file($a, $f) or die "send_file: $!";
    my $fh = recv_fh($b) or die "recv_fh: $!";
    my $c = endp_connect("$dir/ep") or die "endp_connect: $!";
    File::FDpasser::close_fds(serv_accept_fd($ls)) or die "serv_accept_fd: $!";
}
print "done\n";
LOOP
    close $fh;
    local $ENV{NYTPROF} = "file=$dir/nytprof.out";
    my $out = `$^X -Mblib -d:NYTProf $dir/loop.pl $dir $n 2>&1`;
    is($out, "done\n", "a loop of $n rounds of calls runs under Devel::NYTProf");
    my %want = (
        send_file => 2 * $n, recv_fd => $n, close_fds => 4 * $n,
        send => $n, recv => $n, send_fds => $n, recv_fds => $n,
        recv_fh => $n, endp_connect => $n, serv_accept_fd => $n,
    );
    my %got;
    if (-s "$dir/nytprof.out") {
        my $map = Devel::NYTProf::Data->new({ filename => "$dir/nytprof.out", quiet => 1 })
            ->subname_subinfo_map;
        $got{$_} = $map->{"File::FDpasser::$_"} ? $map->{"File::FDpasser::$_"}->calls : 0
            for keys %want;
    }
    my $show = sub { my $h = shift; join ' ', map { "$_=" . ($h->{$_} // '-') } sort keys %want };
    is($show->(\%got), $show->(\%want), 'the profile counts every call to every sub');
}
done_testing;
