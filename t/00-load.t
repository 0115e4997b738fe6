# Proves the module loads, exports the 0.09 names by default, the new names
# on request and with :all, and never exports send/recv; that it exports
# with Exporter and its code runs with warnings on, and clean under -w.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;

BEGIN { use_ok('File::FDpasser') }

my @old = qw(spipe endp_create endp_connect serv_accept_fh serv_accept_fd
             send_file recv_fh recv_fd get_fopen_mode my_getfl cli_conn);
for my $name (@old) {
    ok(defined &{"main::$name"}, "$name exported by default");
}
for my $name (qw(send_fds recv_fds peer_cred FDPASS_MAX send recv)) {
    ok(!defined &{"main::$name"}, "$name not exported by default");
}

{
    package Want::All;
    File::FDpasser->import(':all');
    package Want::Some;
    File::FDpasser->import(qw(send_fds FDPASS_MAX));
}
for my $name (@old, qw(send_fds recv_fds peer_cred FDPASS_MAX)) {
    ok(defined &{"Want::All::$name"}, ":all exports $name");
}
ok(!defined &Want::All::send && !defined &Want::All::recv,
   ':all leaves send and recv alone');
ok(defined &Want::Some::send_fds && !defined &Want::Some::spipe,
   'names on request only');
is(File::FDpasser::FDPASS_MAX(), 253, 'FDPASS_MAX is 253');
ok(eval { File::FDpasser->import('send'); 0 } || $@ =~ /not exported/,
   'send cannot be imported');
like(File::FDpasser::_backend(), qr/^(scm_rights|streams|win32)$/, 'backend name');
diag('backend: ' . File::FDpasser::_backend());
diag('features: ' . File::FDpasser::_features());

# IO::Handle is loaded with the module, never later, when a call has
# taken a descriptor.
my $loaded = `$^X -Mblib -MFile::FDpasser -e "print join q( ), sort keys %INC"`;
is($?, 0, 'a fresh perl loads File::FDpasser');
like($loaded, qr{\bIO/Handle\.pm}, 'IO::Handle is loaded with the module');

# Exporter's forms, as 0.09 scripts and later ones write them; a name the
# module does not export croaks, naming it.
{
    package Want::Forms;
    File::FDpasser->import(qw(:DEFAULT &send_fds));
}
ok(defined &Want::Forms::spipe && defined &Want::Forms::send_fds,
   ':DEFAULT and &name import');
ok(!eval { File::FDpasser->import(qw(recv_fd nope)); 1 }, 'an unknown name croaks');
like($@, qr/^"nope" is not exported by the File::FDpasser module\n/,
     '... naming it');

# Ordinary Perl: the import is Exporter's, and the module's own code runs
# with warnings on, whether or not the program asked for them (-w).
is(\&File::FDpasser::import, \&Exporter::import, "the import is Exporter's");
{
    my $out = `$^X -Mblib -MFile::FDpasser=spawn -e "waitpid(spawn([q(/bin/sh), q(-c), q(exit 0)], env => { A => undef }), 0); print qq(done\n)" 2>&1`;
    like($out, qr{^Use of uninitialized value .* at \S*File/FDpasser\.pm line \d+\.\ndone\n\z},
         'the module warns about an undefined value without -w');
}

# The module's Perl code runs clean under -w, installed as an install lays
# it out.
{
    my $inc = installed_copy(tmpdir() . '/inc');
    my $script = q{
        BEGIN { $SIG{__WARN__} = sub { print "warning: @_" } }
        use File::FDpasser qw(:all);
        my $dir = shift;
        my $ls = endp_create("$dir/w", mode => 0600, backlog => 2) or die "endp_create: $!";
        my $pid = spawn([$^X, '-e', 'exit 0'], fds => { 3 => [$ls, 'blocking'] },
                        chdir => $dir, env => { A => 1 }) or die "spawn: $!";
        waitpid($pid, 0);
        eval { endp_create("$dir/x", colour => 1) };
        eval { spawn([]) };
        eval { spawn(['x'], fds => { x => 0 }) };
        eval { File::FDpasser->import('nope') };
        print "done\n";
    };
    open(my $fh, '>', "$inc/w.pl") or die $!;
    print $fh $script;
    close $fh;
    my $out = `$^X -w -I$inc $inc/w.pl $inc 2>&1`;
    is($out, "done\n", 'the module\'s Perl code runs clean under -w');
}

done_testing;
