# Proves that notify, fdstore and fdstore_remove send what systemd's own
# senders send: libsystemd's sd_pid_notify_with_fds (t/c/sd-notify.c,
# linked with libsystemd) and python3-systemd's daemon.notify each send
# the same requests to the same manager (t/lib/NotifyTest.pm), at a path
# and at an abstract name, and each datagram is compared with ours: the
# bytes, the number, kind and identity of the descriptors, and the
# credentials (the sender's pid, uid and gid).  As root, also for a
# sender whose real and effective ids differ, where libsystemd sends
# SCM_CREDENTIALS itself and File::FDpasser leaves them to the kernel.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use FDPassTest;
use NotifyTest;
use Fcntl qw(F_SETFD);
use POSIX ();
use File::FDpasser qw(:all);

alarm 60;

plan skip_all => 'notify needs the SCM_RIGHTS backend'
    unless File::FDpasser::_backend() eq 'scm_rights';
my ($built, $why) = build_manager();
plan skip_all => "cannot build t/c/notify-mgr.c: $why" unless $built;

my $dir = tmpdir();

# The reference senders.  libsystemd's: t/c/sd-notify.c built against
# pkg-config's libsystemd (libsystemd-dev); python3-systemd's module, run
# by the system's python3, which is where Debian installs it.
my %ref;
{
    my $flags = `pkg-config --cflags --libs libsystemd 2>/dev/null`;
    if ($? == 0 && defined $flags) {
        require Config;
        my $out = "$dir/sd-notify";
        my @cc = split ' ', $Config::Config{cc};
        system(@cc, '-o', $out, 't/c/sd-notify.c', split(' ', $flags)) == 0
            and -x $out and $ref{libsystemd} = [$out];
    }
    my $py = '/usr/bin/python3';
    my $prog = 'import sys; from systemd import daemon; '
             . 'sys.exit(0 if daemon.notify(sys.argv[1], '
             . 'fds=[int(a) for a in sys.argv[2:]]) else 2)';
    if (-x $py && system($py, '-c', 'from systemd import daemon') == 0) {
        $ref{python3_systemd} = [$py, '-c', $prog];
    }
}
plan skip_all => 'neither libsystemd (libsystemd-dev, pkg-config) nor '
               . 'python3-systemd is installed' unless %ref;
SKIP: {
    skip 'not compared with libsystemd: libsystemd-dev or pkg-config '
       . 'missing', 1 unless $ref{libsystemd};
    pass('libsystemd built in');
}
SKIP: {
    skip 'not compared with python3-systemd: not installed', 1
        unless $ref{python3_systemd};
    pass('python3-systemd found');
}

# Start $cmd with NOTIFY_SOCKET=$addr, the state and the descriptor
# numbers of @files (inherited) as arguments; $ids, when given, is
# [uid, gid] to make the real ids before the exec.  Returns the pid.
sub ref_sender {
    my ($cmd, $addr, $state, $files, $ids) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    $ENV{NOTIFY_SOCKET} = $addr;
    fcntl($_, F_SETFD, 0) or POSIX::_exit(126) for @$files;
    if ($ids) {
        $( = $ids->[1];
        $< = $ids->[0];
    }
    { exec @$cmd, $state, map { fileno $_ } @$files }
    POSIX::_exit(127);
}

# Our sender for the same request: a child calling the module.
sub our_sender {
    my ($addr, $call, $ids) = @_;
    return run_child {
        if ($ids) {
            $( = $ids->[1];
            $< = $ids->[0];
        }
        $ENV{NOTIFY_SOCKET} = $addr;
        my $r = $call->();
        defined $r && $r eq '1';
    };
}

# The device and inode of each received descriptor, then closed.
sub identities {
    my @id = map { join ':', (POSIX::fstat($_))[0, 1] } @_;
    close_fds(@_);
    return join ',', @id;
}

my $uid = $<;
my $gid = (split ' ', $()[0];
pipe(my $pr, my $pw) or die "pipe: $!";
my $listener = endp_create("$dir/listener") or die "endp_create: $!";
my $want_ids = join ',', map { join ':', (stat $_)[0, 1] } $pw, $listener;

my $main = $$;
my @requests = (
    ['READY=1', [], sub { notify('READY=1') }],
    ['STATUS=serving 3 clients', [], sub { notify('STATUS=serving 3 clients') }],
    ["READY=1\nSTATUS=up\nMAINPID=$main", [],
     sub { notify("READY=1\nSTATUS=up\nMAINPID=$main") }],
    ["FDSTORE=1\nFDNAME=web\nFDPOLL=0", [$pw, $listener],
     sub { fdstore('web', [$pw, $listener], poll => 0) }],
    ["FDSTORE=1\nFDNAME=web", [$listener],
     sub { fdstore('web', [$listener]) }],
    ["FDSTOREREMOVE=1\nFDNAME=web", [], sub { fdstore_remove('web') }],
    ["WATCHDOG=1", [$pw], sub { notify('WATCHDOG=1', fds => [$pw]) }],
);

# One request from one reference and from us, compared.
sub compare {
    my ($ref, $mgr, $addr, $req, $ids, $label) = @_;
    my ($state, $files, $call) = @$req;
    (my $what = $state) =~ s/\n/\\n/g;
    $what = "$label: $ref, $what";
    my $rpid = ref_sender($ref{$ref}, $addr, $state, $files, $ids);
    waitpid($rpid, 0);
    is($?, 0, "$what: $ref sent it");
    my ($theirs, @tfds) = take($mgr);
    my $opid = our_sender($addr, $call, $ids);
    reap_ok($opid, "$what: we sent it");
    my ($ours, @ofds) = take($mgr);
    is($ours->{data}, $theirs->{data}, "$what: the same bytes");
    is($ours->{data}, $state, "$what: the request's bytes");
    is($ours->{nfds}, $theirs->{nfds}, "$what: the same number of descriptors");
    is($ours->{nfds}, scalar(@$files), "$what: as many as given");
    is($ours->{types}, $theirs->{types}, "$what: of the same kinds");
    my $tid = identities(@tfds);
    my $oid = identities(@ofds);
    is($oid, $tid, "$what: the same open files");
    is($oid, (@$files ? join(',', map { join ':', (stat $_)[0, 1] } @$files) : ''),
       "$what: the files given");
    is($theirs->{pid}, $rpid, "$what: ${ref}'s datagram has its pid");
    is($ours->{pid}, $opid, "$what: ours has our sender's pid");
    is($ours->{uid}, $theirs->{uid}, "$what: the same uid");
    is($ours->{gid}, $theirs->{gid}, "$what: the same gid");
    is($ours->{uid}, $ids ? $ids->[0] : $uid, "$what: the sender's real uid");
    is($ours->{gid}, $ids ? $ids->[1] : $gid, "$what: the sender's real gid");
}

my %addr = (path => "$dir/notify", abstract => "\@fdpass-notify-sd-$$");
for my $form (sort keys %addr) {
    my $mgr = manager($addr{$form});
    for my $ref (sort keys %ref) {
        compare($ref, $mgr, $addr{$form}, $_, undef, $form) for @requests;
    }
    ok(nothing_queued($mgr), "$form: nothing else was sent");
}

# Real ids other than the effective ones (a set-user-ID program): then
# libsystemd sends SCM_CREDENTIALS with getuid() and getgid() itself;
# the kernel attaches the same for us.
SKIP: {
    skip 'needs root (real and effective ids that differ)', 1 if $> != 0;
    my $mgr = manager("\@fdpass-notify-sd-ids-$$");
    for my $ref (sort keys %ref) {
        compare($ref, $mgr, "\@fdpass-notify-sd-ids-$$", $_, [65534, 65534],
                'real ids 65534, effective 0')
            for @requests[0, 3];
    }
    ok(nothing_queued($mgr), 'ids: nothing else was sent');
}

done_testing;
