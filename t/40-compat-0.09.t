# Proves that scripts written for File::FDpasser 0.09 run unchanged: the
# two examples of its manual run as programs of their own (t/compat/),
# spipe + fork + send_file/recv_fh, and an endpoint server (select,
# serv_accept_fh with $uid) with an unrelated client (endp_connect, recv_fh).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;

alarm 60;
my $dir = tmpdir();
my @inc = map { "-I$_" } grep { !ref } @INC;

system($^X, @inc, 't/compat/spipe.pl', "$dir/spipe.out");
is($?, 0, 'the spipe example ran');
is(slurp_fd(fileno(do { open(my $x, '<', "$dir/spipe.out") or die; $x })),
   "written by the parent\nwritten by the child\n",
   'the child wrote through the handle the parent passed');

open(my $data, '>', "$dir/data") or die;
print $data "line one\nline two\n";
close $data;
open(my $server, '-|', $^X, @inc, 't/compat/endpoint.pl', 'server',
     "$dir/openserver", "$dir/data") or die "server: $!";
is(scalar(<$server>), "ready\n", 'the server made its endpoint');
my $out = `$^X @inc t/compat/endpoint.pl client $dir/openserver`;
is($?, 0, 'the client ran');
is($out, "line one\nline two\n", 'the client read the file the server sent');
close $server;
is($?, 0, 'the server finished cleanly');

done_testing;
