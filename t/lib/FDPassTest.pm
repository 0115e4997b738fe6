package FDPassTest;
# Helpers for the tests, in this order: forked children that never call
# Test::More, reaping with a verdict, programs started with an endpoint;
# descriptor counts and contents; the test directory and files in it;
# C programs built against the core.
use strict;
use warnings;
use Exporter 'import';
use POSIX ();
use Test::More ();

our @EXPORT = qw(run_child reap_ok exec_with become role said release
                 open_fds survives_exec slurp_fd move_test_output_high
                 tmpdir installed_copy numbered_files
                 build_c run_c_tap);

# Run the block in a forked child; the child exits 0 when the block
# returns true, 1 otherwise (or when it dies, with the message on STDERR).
sub run_child(&) {
    my ($code) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    return $pid if $pid;
    my $ok = eval { $code->() };
    print STDERR "child: $@" if $@;
    POSIX::_exit($ok ? 0 : 1);
}

# Wait for the child and pass when it exited 0.
sub reap_ok {
    my ($pid, $name) = @_;
    my $r = waitpid($pid, 0);
    my $st = $?;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::ok($r == $pid && $st == 0,
        ($name || 'child') . " exited cleanly (status $st)");
}

# Become $id (uid and gid, supplementary groups cleared), for good;
# nothing when $id is undef or the current uid.
sub become {
    my ($id) = @_;
    return if !defined $id || $id == $>;
    $) = "$id $id";
    POSIX::setgid($id) or die "setgid: $!";
    POSIX::setuid($id) or die "setuid: $!";
    die "still uid $< / $> gid $( / $)" if $< != $id || $> != $id || $( != $id;
}

# A process playing one part: forked, as uid $uid when defined, running
# $code with a function that reports a line to the parent; it then stays
# (so its pid stays its own) until release() closes its hold pipe.
# Returns its pid and the handle its report lines arrive on.
my @held;
sub role {
    my ($uid, $code) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    pipe(my $hr, my $hw) or die "pipe: $!";
    my $pid = run_child {
        close $r;
        close $hw;
        alarm 30;
        become($uid);
        $w->autoflush(1);
        # What the part returns (its endpoints) stays open meanwhile.
        my @keep = $code->(sub { print $w "@_\n" });
        sysread($hr, my $x, 1);    # EOF: the parent is done
        1;
    };
    close $w;
    close $hr;
    push @held, [$pid, $hw];
    return ($pid, $r);
}

# A part's next report line, or what its silence means.
sub said {
    my ($r) = @_;
    my $l = <$r>;
    return 'nothing (the child died)' unless defined $l;
    chomp $l;
    return $l;
}

# Every part started since the last release() ends, and passes when it
# exited cleanly.
sub release {
    my ($name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    close $_->[1] for @held;
    reap_ok($_->[0], "$name: child") for @held;
    @held = ();
}

# Start a program that inherits the endpoint $sock (its descriptor number
# is passed in the arguments by the caller).  Returns the pid.
sub exec_with {
    my ($sock, @cmd) = @_;
    require Fcntl;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    return $pid if $pid;
    fcntl($sock, Fcntl::F_SETFD(), 0) or POSIX::_exit(126);
    { exec @cmd }
    POSIX::_exit(127);
}

# The descriptors this process has open now.
sub open_fds {
    opendir(my $d, '/proc/self/fd') or return undef;
    my @fds = grep { /^\d+$/ } readdir $d;
    closedir $d;
    return scalar(@fds) - 1;    # minus the directory handle itself
}

# True when descriptor $fd survives an exec: a fresh perl is started and
# asked whether it has $fd open.  This is close-on-exec seen for real.
sub survives_exec {
    my ($fd) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        { exec $^X, '-e', 'exit(open(my $h, "<&=", $ARGV[0]) ? 0 : 3)', $fd };
        POSIX::_exit(2);
    }
    waitpid($pid, 0);
    my $st = $? >> 8;
    die "exec check failed with $st" if $st != 0 && $st != 3;
    return $st == 0;
}

# Read everything from a descriptor number through a dup, from the start.
sub slurp_fd {
    my ($fd) = @_;
    open(my $h, '<&', $fd) or return undef;
    seek($h, 0, 0);
    local $/;
    my $s = <$h>;
    close $h;
    return $s;
}

# Test::Builder keeps its output on the lowest free numbers (3, 4, ...).
# Tests that place descriptors at those numbers move its handles above 100
# and free the old numbers.
sub move_test_output_high {
    require Fcntl;
    my $tb = Test::More->builder;
    my %old;
    for my $m (qw(output failure_output todo_output)) {
        my $fh = $tb->$m;
        $old{ fileno $fh } = 1;
        my $n = fcntl($fh, Fcntl::F_DUPFD(), 100) or die "F_DUPFD: $!";
        open(my $new, '>&=', $n) or die "fdopen: $!";
        $new->autoflush(1);
        $tb->$m($new);
    }
    POSIX::close($_) for grep { $_ > 2 } keys %old;
}

# A directory for this test's files, the same on every call, removed at
# exit.
my $tmp;
sub tmpdir {
    return $tmp if $tmp;
    require File::Temp;
    $tmp = File::Temp::tempdir('fdpassXXXXXX', TMPDIR => 1, CLEANUP => 1);
    return $tmp;
}

# Lay the built module out under $dir as an install does, the .pm beside
# auto/ (blib keeps them in two trees, and XSLoader then falls back to
# DynaLoader); returns $dir, for -I.
sub installed_copy {
    my ($dir) = @_;
    require Config;
    require File::Copy;
    require File::Path;
    my $so = "blib/arch/auto/File/FDpasser/FDpasser.$Config::Config{dlext}";
    File::Path::mkpath(["$dir/File", "$dir/auto/File/FDpasser"]);
    File::Copy::copy('blib/lib/File/FDpasser.pm', "$dir/File/") or die "copy: $!";
    File::Copy::copy($so, "$dir/auto/File/FDpasser/") or die "copy $so: $!";
    return $dir;
}

# Files NAME0 .. NAME(n-1) in the test directory, each holding
# "file I\n", open for reading and writing; returns the handles.
sub numbered_files {
    my ($name, $n) = @_;
    my $dir = tmpdir();
    my @files;
    for my $i (0 .. $n - 1) {
        open(my $h, '+>', "$dir/$name$i") or die "$dir/$name$i: $!";
        syswrite($h, "file $i\n");
        push @files, $h;
    }
    return @files;
}

# Compile C sources (relative to the distribution) against fdpass.c with
# the compiler perl was built with.  Returns the program's path, or undef
# and the reason.  -DFDP_TESTING lets a test call the core's private
# functions through fdpass-int.h (t/c/room.c, t/c/spawn.c); test hooks
# such as -DFDP_PLAN_STEP=plan_step come in @flags.
sub build_c {
    my ($out, $srcs, @flags) = @_;
    require Config;
    my $cc = $ENV{FDPASS_TEST_CC} || $Config::Config{cc} or return (undef, 'no compiler');
    my $log = "$out.log";
    # The core is built as the module was (make fallback-test).
    require File::FDpasser;
    unshift @flags, '-DFDPASS_FALLBACKS'
        if File::FDpasser::_features() =~ /\bfallbacks\b/;
    # Only the compiler, never perl's ccflags: those hold -fwrapv, which
    # would hide a signed overflow from -fsanitize=undefined.
    my @cmd = ((grep { $_ ne '-fwrapv' } split(' ', $cc)), '-I.', '-DFDP_TESTING',
               @flags, '-o', $out, @$srcs, 'fdpass.c');
    my $pid = fork;
    return (undef, "fork: $!") unless defined $pid;
    if (!$pid) {
        open(STDOUT, '>', $log);
        open(STDERR, '>&', \*STDOUT);
        { exec @cmd }
        POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return $out if $? == 0 && -x $out;
    my $why = do { local (@ARGV, $/) = ($log); <> } || '';
    return (undef, "@cmd failed: $why");
}

# Run a C test program (@cmd) and make its TAP lines tests here, its skips
# skips, under $name; then check that it ran at least $least checks to
# its end and exited 0 (23 is a sanitizer report: ASAN_OPTIONS below).
sub run_c_tap {
    my ($name, $least, @cmd) = @_;
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=1:abort_on_error=0:exitcode=23';
    my $out = '';
    if (open(my $fh, '-|') // die "fork: $!") {
        local $/;
        $out = <$fh>;
        close $fh;
    } else {
        open(STDERR, '>&', \*STDOUT);
        { exec @cmd }
        POSIX::_exit(127);
    }
    my $status = $? >> 8;
    my $plan;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    for (split /\n/, $out) {
        if (/^(not )?ok \d+ - (.*)/) { Test::More::ok(!$1, "$name: $2") }
        elsif (/^ok \d+ # skip (.*)/) { Test::More->builder->skip("$name: $1") }
        elsif (/^1\.\.(\d+)/) { $plan = $1 }
        else { Test::More::diag("$name: $_") }
    }
    Test::More::ok($plan && $plan >= $least,
                   "$name: ran to the end (" . ($plan || 0) . " checks)");
    Test::More::is($status, 0, "$name: exit status 0 (23 would be a sanitizer report)");
}

1;
