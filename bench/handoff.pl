#!/usr/bin/perl
# bench/handoff.pl [--reps R] [--clients K] [--duration S] [--trigger S]
#                  [--interval S] [--starter-app SCRIPT] [--only KIND,...]
# - a listener handed on under load, three ways (bench/README.md,
# "Handing listeners on under load"):
#
#   generation      bench/prefork-httpd.pl --control PATH, a new instance
#                   started with --takeover PATH (handoff_give/handoff_take);
#   haproxy         a Perl server answering _getsocks with
#                   haproxy_serve_getsocks while it serves HTTP, and
#                   "haproxy -x" taking its listener;
#   server-starter  start_server (Server::Starter) running
#                   eg/systemd/hello.pl, the deploy a SIGHUP to start_server
#                   (which starts a new generation and stops the old one
#                   --interval seconds later).  --starter-app runs another
#                   script whose answer says "hello from pid N" instead.
#
# K client processes each make sequential HTTP/1.0 GETs, a new connection
# each, as fast as they can, for S seconds, and note when each request
# completed, which server answered it (every body names its server) or how
# it failed (refused, reset, short answer, time-out).  The handoff is
# triggered at a fixed point of the load; the window runs from the
# trigger until the old server has exited and the new one has answered.
# For each run: the window, the requests completed in it and overall, the
# failures, and the longest gap a client saw between two of its completed
# requests, during the window and in a baseline stretch of the same run
# before the trigger.  Kinds alternate; R repetitions; medians and the
# range.  A kind whose program is missing, or whose server does not
# answer, is left out and said so.
#
# Run from the built distribution: perl -Mblib bench/handoff.pl, or
# perl -Mblib bench/bench.pl --only handoff.  Every process it starts is
# in a process group of its own and is killed when it ends or times out.
use strict;
use warnings;
use Getopt::Long;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Socket qw(PF_INET SOCK_STREAM pack_sockaddr_in inet_aton);
use Errno ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC sleep);
use File::FDpasser qw(:all);

my @all_kinds = qw(generation haproxy server-starter);
my ($reps, $clients, $duration, $trigger, $interval, $only) = (5, 4, 6, 2.5, 1);
my $app = 'eg/systemd/hello.pl';
GetOptions('reps=i' => \$reps, 'clients=i' => \$clients, 'duration=f' => \$duration,
           'trigger=f' => \$trigger, 'interval=f' => \$interval, 'only=s' => \$only,
           'starter-app=s' => \$app)
    && $reps >= 1 && $clients >= 1 && $trigger >= 1 && $duration > $trigger + 1
    or die "usage: $0 [--reps R] [--clients K] [--duration S] [--trigger S]"
         . " [--interval S] [--only " . join(',', @all_kinds) . "]\n";
my @kinds = defined $only ? split(/,/, $only) : @all_kinds;
for my $k (@kinds) {
    die "$0: unknown kind $k (" . join(', ', @all_kinds) . ")\n"
        unless grep { $_ eq $k } @all_kinds;
}
my $warmup = 0.5;           # the baseline runs from here to the trigger
my $haproxy = '/usr/sbin/haproxy';
my ($start_server) = grep { -x "$_/start_server" } split /:/, $ENV{PATH};
$start_server .= '/start_server' if defined $start_server;

$| = 1;
my $tmp = tempdir(CLEANUP => 1);
chmod 0755, $tmp;
sub now { clock_gettime(CLOCK_MONOTONIC) }

# ---------------------------------------------------------------------
# Processes: each in a group of its own, all killed on the way out.
my %groups;                 # pid (= group) => 1
sub kill_all { kill 'KILL', map { -$_ } keys %groups if %groups; %groups = () }
END { kill_all() }
$SIG{$_} = sub { kill_all(); die "handoff.pl: interrupted\n" } for qw(INT TERM);
$SIG{ALRM} = sub { kill_all(); die "handoff.pl: a run took too long\n" };

sub start {
    my ($log, $code) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        setpgrp(0, 0);
        $SIG{$_} = 'DEFAULT' for qw(INT TERM ALRM);
        if (defined $log) {
            open(STDOUT, '>>', $log) && open(STDERR, '>&', \*STDOUT)
                or POSIX::_exit(126);
        }
        eval { $code->() };
        print STDERR $@ if $@;
        POSIX::_exit(127);
    }
    $groups{$pid} = 1;
    return $pid;
}
sub start_cmd { my ($log, @cmd) = @_; start($log, sub { exec @cmd }) }

# Stops a process group: TERM, then KILL after five seconds; the status of
# the leader if it is our child.
sub stop {
    my ($pid) = @_;
    return unless delete $groups{$pid};
    kill 'TERM', -$pid;
    my $until = now() + 5;
    while (now() < $until) {
        my $r = waitpid($pid, WNOHANG);
        return $? if $r == $pid || $r < 0;
        sleep 0.01;
    }
    kill 'KILL', -$pid;
    waitpid($pid, 0);
    return $?;
}

sub slurp { open(my $f, '<', $_[0]) or return ''; local $/; return scalar <$f> }
sub tail { my @l = split /\n/, slurp($_[0]); join("\n", @l > 8 ? @l[-8 .. -1] : @l) }

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1) or die $!;
    return $s->sockport;
}

# ---------------------------------------------------------------------
# The client: one HTTP/1.0 GET on a new connection.  (1, body) or
# (0, what failed).
my $REQUEST = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n";
sub errname { my $e = $! + 0; (grep { $!{$_} } keys %!)[0] || "errno$e" }
sub get_once {
    my ($addr) = @_;
    socket(my $s, PF_INET, SOCK_STREAM, 0) or return (0, 'socket-' . errname());
    connect($s, $addr) or return (0, 'connect-' . errname());
    my $n = syswrite($s, $REQUEST);
    return (0, 'write-' . errname()) unless defined $n;
    return (0, 'write-short') unless $n == length $REQUEST;
    my $buf = '';
    while (1) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        my $r = select(my $rout = $rin, undef, undef, 10);
        next if $r < 0 && $!{EINTR};
        return (0, 'timeout') if $r == 0;
        $n = sysread($s, $buf, 65536, length $buf);
        next if !defined $n && $!{EINTR};
        return (0, 'read-' . errname()) unless defined $n;
        last unless $n;
    }
    return (0, length($buf) ? 'garbled' : 'empty')
        unless $buf =~ m{\AHTTP/1\.[01] (\d+) [^\r\n]*\r\n(.*?)\r\n\r\n(.*)\z}s;
    my ($status, $head, $body) = ($1, $2, $3);
    return (0, "status-$status") unless $status == 200;
    my ($len) = $head =~ /^Content-Length:\s*(\d+)\s*$/mi;
    return (0, 'short') if !defined $len || length($body) != $len;
    $body =~ s/\s+/ /g;
    $body =~ s/^ | $//g;
    $body =~ tr/ /_/;
    return (1, $body);
}

# K clients until $t_end; each writes "TIME ok BODY" or "TIME fail WHY"
# per request to $tmp/client-N.
sub start_clients {
    my ($port, $t_end) = @_;
    my $addr = pack_sockaddr_in($port, inet_aton('127.0.0.1'));
    return map {
        my $file = "$tmp/client-$_";
        unlink $file;
        start(undef, sub {
            my @rec;
            while (now() < $t_end) {
                my ($ok, $what) = get_once($addr);
                push @rec, sprintf('%.6f %s %s', now(), $ok ? 'ok' : 'fail', $what);
            }
            open(my $f, '>', $file) or die "$file: $!";
            print $f "$_\n" for @rec;
            close $f or die "$file: $!";
            POSIX::_exit(0);
        });
    } 1 .. $clients;
}

# ---------------------------------------------------------------------
# The kinds.  Each setup starts the old server and returns a hash: port,
# trigger (starts the handoff), gone (true once the old server has left),
# who (a body -> 'old', 'new' or 'other'), cleanup; or a string saying
# why the kind cannot run.

# Waits (bounded) for a 200 from the port; its body, or undef.
sub probe {
    my ($port, $secs) = @_;
    my $addr = pack_sockaddr_in($port, inet_aton('127.0.0.1'));
    my $until = now() + $secs;
    while (now() < $until) {
        my ($ok, $body) = get_once($addr);
        return $body if $ok;
        sleep 0.05;
    }
    return undef;
}

sub reaped {
    my ($pid, $status) = @_;
    return 1 unless $groups{$pid};
    my $r = waitpid($pid, WNOHANG);
    return 0 unless $r == $pid || $r < 0;
    $$status = $? if $status;
    delete $groups{$pid};
    # What the group may still hold (a worker) goes with it.
    kill 'KILL', -$pid;
    return 1;
}

my %setup;
$setup{generation} = sub {
    my ($run) = @_;
    my $ctl = "$tmp/ctl-$run";
    my $log = "$tmp/gen-$run.log";
    my @server = ($^X, '-Mblib', 'bench/prefork-httpd.pl', '--listen', '127.0.0.1:0',
                  '--workers', 4);
    my $old = start_cmd($log, @server, '--control', $ctl);
    my $port;
    for (1 .. 400) {
        last if ($port) = slurp($log) =~ /listening on [\d.]+:(\d+)/ and -S $ctl;
        sleep 0.025;
    }
    if (!$port || !-S $ctl || !probe($port, 10)) {
        stop($old);
        return "the old instance did not start or does not answer:\n" . tail($log);
    }
    my ($new, $status);
    return {
        port => $port,
        trigger => sub { $new = start_cmd($log, @server, '--takeover', $ctl) },
        gone => sub { reaped($old, \$status) },
        who => sub {
            my ($srv) = $_[0] =~ /_of_server_(\d+)$/ or return 'other';
            $srv == $old ? 'old' : defined $new && $srv == $new ? 'new' : 'other';
        },
        check => sub {
            return "the old instance exited with status $status" if $status;
            return "the old instance did not hand over:\n" . tail($log)
                unless slurp($log) =~ /prefork-httpd $old: handed the listening socket over/;
            return '';
        },
        cleanup => sub { stop($old); stop($new) if $new },
    };
};

$setup{haproxy} = sub {
    my ($run) = @_;
    return "no $haproxy (Debian package haproxy)" unless -x $haproxy;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1024)
        or die "listen: $!";
    my $port = $l->sockport;
    my $path = "$tmp/getsocks-$run.sock";
    my $stand_in = endp_create($path, mode => 0600) or die "endp_create $path: $!";
    my $log = "$tmp/haproxy-$run.log";
    # Our server: answers each connection, until haproxy -x asks for the
    # listener on the stand-in stats socket; then it hands the listener
    # over and exits (0 when the handoff succeeded).  Connections that
    # come meanwhile wait in the listener's queue for haproxy.
    my $server = start($log, sub {
        alarm($duration + 60);
        my $body = "perl-fd $$\n";
        my $reply = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                  . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
        $l->blocking(0);
        my $sel = IO::Select->new($l, $stand_in);
        while (1) {
            for my $h ($sel->can_read(60)) {
                if ($h == $l) {
                    my $c = $l->accept or next;
                    $c->blocking(1);
                    my $req = '';
                    my $in = IO::Select->new($c);
                    while ($req !~ /\r?\n\r?\n/ && $in->can_read(5)) {
                        sysread($c, $req, 4096, length $req) or last;
                    }
                    syswrite($c, $reply);
                    close $c;
                    next;
                }
                my $c = serv_accept_fh($stand_in) or next;
                my $n = haproxy_serve_getsocks($c, [$l], timeout => 20);
                print "perl-fd $$: ", ($n ? "handed $n listener over" : "handoff failed: $!"), "\n";
                POSIX::_exit($n ? 0 : 1);
            }
        }
    });
    close $l;
    close $stand_in;
    my $cfg = "$tmp/haproxy-$run.cfg";
    open(my $fh, '>', $cfg) or die "$cfg: $!";
    print $fh <<"EOF";
global
    stats socket $tmp/stats-$run.sock mode 600 level admin expose-fd listeners
defaults
    mode http
    timeout client 5s
    timeout connect 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$port
    http-request return status 200 content-type text/plain string "haproxy"
EOF
    close $fh or die "$cfg: $!";
    if (!probe($port, 10)) {
        stop($server);
        unlink $path;
        return "our server does not answer:\n" . tail($log);
    }
    my ($hap, $status);
    return {
        port => $port,
        trigger => sub { $hap = start_cmd($log, $haproxy, '-db', '-x', $path, '-f', $cfg) },
        gone => sub { reaped($server, \$status) },
        who => sub {
            $_[0] eq "perl-fd_$server" ? 'old' : $_[0] eq 'haproxy' ? 'new' : 'other';
        },
        check => sub { $status ? "our server: the handoff failed:\n" . tail($log) : '' },
        cleanup => sub { stop($server); stop($hap) if $hap; unlink $path },
    };
};

$setup{'server-starter'} = sub {
    my ($run) = @_;
    return 'no start_server (Debian package libserver-starter-perl)' unless $start_server;
    my $port = free_port();
    my $log = "$tmp/starter-$run.log";
    my $ss = start_cmd($log, $start_server, "--port=127.0.0.1:$port",
                       "--interval=$interval", '--', $^X, '-Mblib', $app);
    my $body = probe($port, 10);
    my ($old) = ($body // '') =~ /^hello_from_pid_(\d+)_via_/;
    if (!$old) {
        stop($ss);
        return "$app under start_server does not answer:\n" . tail($log);
    }
    return {
        port => $port,
        trigger => sub { kill 'HUP', $ss },
        gone => sub { !kill 0, $old },
        who => sub {
            my ($pid) = $_[0] =~ /^hello_from_pid_(\d+)_via_/ or return 'other';
            $pid == $old ? 'old' : 'new';
        },
        check => sub { '' },
        cleanup => sub { stop($ss) },
    };
};

# ---------------------------------------------------------------------
# One run of one kind: the figures, or a string saying why there are none.
sub one_run {
    my ($kind, $run) = @_;
    alarm($duration + 90);
    my $k = $setup{$kind}->($run);
    if (!ref $k) { alarm 0; return $k }
    my $t0 = now();
    my $t_end = $t0 + $duration;
    my @client = start_clients($k->{port}, $t_end);
    sleep($t0 + $trigger - now());
    my $t_trig = now();
    $k->{trigger}->();
    my $t_gone;
    until (defined $t_gone) {
        $t_gone = now() if $k->{gone}->();
        last if now() > $t_trig + $duration + 30;
        sleep 0.002 unless defined $t_gone;
    }
    for my $c (@client) {
        waitpid($c, 0);
        delete $groups{$c};
    }
    my $problem = defined $t_gone ? $k->{check}->() : 'the old server never left';
    $k->{cleanup}->();
    alarm 0;

    my (@gaps, %r);
    $r{$_} = 0 for qw(total fail in_window old new other old_after);
    my %why;
    my @recs;
    for my $i (1 .. $clients) {
        open(my $f, '<', "$tmp/client-$i") or return "client $i left no record";
        my @mine;
        while (<$f>) {
            my ($t, $ok, $what) = split ' ';
            # The request under way at the end finishes while the other
            # clients stop and write their records: not counted.
            last if $t > $t_end;
            if ($ok eq 'fail') { $r{fail}++; $why{$what}++; next }
            my $who = $k->{who}->($what);
            push @mine, $t;
            push @recs, [$t, $who];
        }
        push @gaps, [$mine[$_ - 1], $mine[$_]] for 1 .. $#mine;
    }
    my ($first_new) = sort { $a <=> $b } map { $_->[0] } grep { $_->[1] eq 'new' } @recs;
    my ($last_old) = sort { $b <=> $a } map { $_->[0] } grep { $_->[1] eq 'old' } @recs;
    return $problem if $problem;
    return 'the new server never answered' unless defined $first_new;
    my $w_end = $t_gone > $first_new ? $t_gone : $first_new;
    return sprintf('the window outlasted the load by %.0f ms', ($w_end - $t_end) * 1e3)
        if $w_end > $t_end;
    for (@recs) {
        my ($t, $who) = @$_;
        $r{total}++;
        $r{$who}++;
        $r{in_window}++ if $t >= $t_trig && $t <= $w_end;
        $r{old_after}++ if $who eq 'old' && $t > $w_end;
        $r{base}++ if $t >= $t0 + $warmup && $t < $t_trig;
    }
    my ($gap_w, $gap_b, $gap_all, $all_in, $all_at) = (0, 0, 0, 0, 0);
    for (@gaps) {
        my ($a, $b) = @$_;
        my $g = $b - $a;
        my $in = $b > $t_trig && $a < $w_end;
        $gap_w = $g if $in && $g > $gap_w;
        $gap_b = $g if $a >= $t0 + $warmup && $b < $t_trig && $g > $gap_b;
        ($gap_all, $all_in, $all_at) = ($g, $in, $a - $t_trig) if $g > $gap_all;
    }
    return {
        window => $w_end - $t_trig, gone => $t_gone - $t_trig, first_new => $first_new - $t_trig,
        last_old => $last_old - $t_trig, gap_all_at => $all_at,
        requests => $r{total}, in_window => $r{in_window}, failures => $r{fail},
        why => join(' ', map { "$_:$why{$_}" } sort keys %why),
        old => $r{old}, new => $r{new}, other => $r{other}, old_after => $r{old_after},
        base_rate => $r{base} / ($t_trig - $t0 - $warmup),
        gap_window => $gap_w, gap_base => $gap_b, gap_all => $gap_all, gap_all_in => $all_in,
    };
}

sub median { my @s = sort { $a <=> $b } @_; @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2 }
sub ms { sprintf '%.0f', $_[0] * 1e3 }

printf "# %d clients (sequential HTTP/1.0 GETs, a new connection each) for %g s;"
     . " handoff at %g s; baseline %g-%g s; %d repetitions, kinds alternating\n",
     $clients, $duration, $trigger, $warmup, $trigger, $reps;
my (%res, %skip);
for my $run (1 .. $reps) {
    for my $kind (@kinds) {
        next if $skip{$kind};
        my $r = one_run($kind, "$run-$kind");
        if (!ref $r) {
            print "$kind run $run: not measured: $r\n";
            # A missing program or a server that does not start will not
            # do better next time; a failed run is shown and the next run
            # is tried.
            $skip{$kind} = $r if $r =~ /^no |does not answer/;
            next;
        }
        push @{ $res{$kind} }, $r;
        printf "%-14s run %d: window %s ms (new first answer %s, old last answer %s, old gone %s);"
             . " requests %d, in window %d (baseline rate %.0f/s x window = %.0f);"
             . " answers old %d new %d other %d, old after window %d;"
             . " failures %d%s; longest gap: window %s ms, baseline %s ms, whole run %s ms"
             . " (%s, from %+d ms)\n",
            $kind, $run, ms($r->{window}), ms($r->{first_new}), ms($r->{last_old}), ms($r->{gone}),
            $r->{requests}, $r->{in_window}, $r->{base_rate}, $r->{base_rate} * $r->{window},
            $r->{old}, $r->{new}, $r->{other}, $r->{old_after},
            $r->{failures}, ($r->{why} ? " ($r->{why})" : ''),
            ms($r->{gap_window}), ms($r->{gap_base}), ms($r->{gap_all}),
            $r->{gap_all_in} ? 'in the window' : 'outside it', ms($r->{gap_all_at});
    }
}

# The summary: medians, with the range over the runs.
sub cell {
    my ($runs, $f, $fmt) = @_;
    my @v = map { $f->($_) } @$runs;
    my @s = sort { $a <=> $b } @v;
    my $c = sprintf("$fmt ($fmt to $fmt)", median(@v), $s[0], $s[-1]);
    $c =~ s/(?<![\d.])-(0(?:\.0+)?)(?![\d.])/$1/g;    # -0 is 0
    return $c;
}
print "\n| kind | runs | window ms | requests in window | at the baseline rate"
    . " | old's last answer to new's first, ms | requests overall | failures"
    . " | longest gap in window, ms | longest gap in baseline, ms"
    . " | runs whose longest gap fell in the window |\n";
print "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
for my $kind (@kinds) {
    my $runs = $res{$kind};
    if (!$runs || !@$runs) {
        my ($why) = split /\n/, $skip{$kind} // 'every run failed';
        $why =~ s/:\z//;
        printf "| %s | 0 | not measured: %s | | | | | | | | |\n", $kind, $why;
        next;
    }
    my $fail = 0;
    $fail += $_->{failures} for @$runs;
    printf "| %s | %d | %s | %s | %s | %s | %s | %d | %s | %s | %d of %d |\n", $kind, scalar @$runs,
        cell($runs, sub { $_[0]{window} * 1e3 }, '%.0f'),
        cell($runs, sub { $_[0]{in_window} }, '%.0f'),
        cell($runs, sub { $_[0]{base_rate} * $_[0]{window} }, '%.0f'),
        cell($runs, sub { ($_[0]{first_new} - $_[0]{last_old}) * 1e3 }, '%.0f'),
        cell($runs, sub { $_[0]{requests} }, '%.0f'),
        $fail,
        cell($runs, sub { $_[0]{gap_window} * 1e3 }, '%.0f'),
        cell($runs, sub { $_[0]{gap_base} * 1e3 }, '%.0f'),
        scalar(grep { $_->{gap_all_in} } @$runs), scalar @$runs;
}
my $bad = grep { $_->{failures} } map { @$_ } values %res;
exit($bad ? 1 : 0);
