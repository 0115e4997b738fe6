#!perl
# Attacks endp_create's promise for shared directories with real racing
# processes: another user (uid 65534 when we are root) who can write the
# directory swaps the fresh node for a symlink to a 0600 file while the
# server creates endpoints with mode 0666 (the file's mode must never
# change); swaps a regular file or a fifo in for a stale socket node while
# the server checks it (neither may ever lose a name); and two servers
# start on one path at the same moment, round after round (exactly one
# wins, the other gets EADDRINUSE, and a client reaches the winner); and
# the attacker replaces the server's private directory, or a directory
# above it, by a symlink (no node may ever appear where it leads), or
# the stale node being probed (no probe may reach where it leads).
# Every loop is bounded in count and in time.
use strict;
use warnings;
use Test::More;
use Errno qw(EADDRINUSE EEXIST);
use POSIX ();
use Socket qw(AF_UNIX SOCK_STREAM pack_sockaddr_un);
use lib 't/lib';
use FDPassTest;
use File::FDpasser qw(:all);

alarm 400;
my $root = $> == 0;
my $nobody = 65534;

# A base the attacker can pass through (0711) holding a directory every
# user can write, without the sticky bit (so the attacker can rename and
# replace the server's nodes, as in a group-writable run directory), and
# a private one for the file the attacker aims at.
my $base = tmpdir();
chmod 0711, $base or die "chmod: $!";
my $shared = "$base/shared";
mkdir $shared or die "mkdir: $!";
chmod 0777, $shared or die "chmod: $!";
mkdir "$base/private", 0700 or die "mkdir: $!";
my $ep = "$shared/ep";

diag($root ? "attacker runs as uid $nobody" : 'not root: attacker runs as our own uid');

# Fork the attacker: another uid when we are root; it stops on SIGTERM,
# or by itself after 120 s, and reports on STDOUT of a pipe.
sub attacker {
    my ($code) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        close $r;
        alarm 120;
        if ($root) {
            POSIX::setgid($nobody) or POSIX::_exit(2);
            POSIX::setuid($nobody) or POSIX::_exit(2);
            POSIX::_exit(2) if $> != $nobody;
        }
        my $stop = 0;
        local $SIG{TERM} = sub { $stop = 1 };
        local $SIG{ALRM} = sub { $stop = 1 };
        my $report = eval { $code->(\$stop) };
        $report = "died: $@" unless defined $report;
        syswrite($w, $report);
        POSIX::_exit(0);
    }
    close $w;
    return ($pid, $r);
}

sub stop_attacker {
    my ($pid, $r) = @_;
    kill 'TERM', $pid;
    local $/;
    my $report = <$r>;
    waitpid($pid, 0);
    return $report;
}

# 1. The symlink swap.  The attacker waits for a socket node at the name
#    and renames a symlink to the secret file over it; the old code then
#    chmodded the secret (0600 -> 0666) about once in 250 tries.
{
    my $secret = "$base/private/secret";
    open(my $f, '>', $secret) or die "$secret: $!";
    close $f;
    chmod 0600, $secret or die;
    my ($apid, $ar) = attacker(sub {
        my ($stop) = @_;
        my $swaps = 0;
        for (my $i = 0; !$$stop && $i < 50_000_000; $i++) {
            next unless lstat($ep) && -S _;
            my $l = "$shared/l$i";
            symlink($secret, $l) or next;
            $swaps++ if rename($l, $ep);
            unlink $l;
        }
        "swaps=$swaps";
    });
    my ($made, $changed, $tries) = (0, 0, 0);
    my $deadline = time + 40;
    for ($tries = 0; $tries < 3000 && time < $deadline; $tries++) {
        unlink $ep;
        my $e = endp_create($ep, mode => 0666);
        $made++ if $e;
        if (((stat $secret)[2] & 07777) != 0600) {
            $changed = 1;
            last;
        }
    }
    my $report = stop_attacker($apid, $ar);
    diag("symlink swap: $tries tries, $made endpoints made, attacker $report");
    like($report, qr/^swaps=\d+/, 'the attacker ran as planned');
    ok(!$changed, 'the secret file\'s mode never changed')
        or diag(sprintf('mode is now %04o', (stat $secret)[2] & 07777));
    ok($made > 0, 'endpoints were made meanwhile');
    unlink $ep;
}

# 2. A regular file or a fifo swapped in for a stale socket node while the
#    server looks at it.  The attacker only ever adds names (link, which
#    refuses to replace) and moves the name away to a fresh one (rename),
#    so each of its files must keep every name it was given: one name
#    fewer means the server removed it.
{
    my ($apid, $ar) = attacker(sub {
        my ($stop) = @_;
        my $s0 = "$shared/s0";
        socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
        bind($s, pack_sockaddr_un($s0)) or die "bind: $!";
        close $s;    # a stale node: nobody listens
        my $file = "$shared/file";
        open(my $f, '>', $file) or die "$file: $!";
        print $f "keep me\n";
        close $f;
        my $fifo = "$shared/fifo";
        POSIX::mkfifo($fifo, 0600) or die "mkfifo: $!";
        my %links = (file => 0, fifo => 0);
        my $j = 0;
        for (my $i = 0; !$$stop && $i < 10_000_000; $i++) {
            my $kind = $i % 2 ? 'fifo' : 'file';
            rename($ep, "$shared/away" . $j++);
            link($s0, $ep) or next;
            rename($ep, "$shared/away" . $j++) or next;
            $links{$kind}++ if link($kind eq 'file' ? $file : $fifo, $ep);
        }
        "file=$links{file} fifo=$links{fifo}";
    });
    my ($made, $tries) = (0, 0);
    my $deadline = time + 40;
    for ($tries = 0; $tries < 8000 && time < $deadline; $tries++) {
        my $e = endp_create($ep);
        $made++ if $e;
    }
    my $report = stop_attacker($apid, $ar);
    diag("swap in during the stale check: $tries tries, $made made, attacker $report");
    my ($lf, $lp) = $report =~ /^file=(\d+) fifo=(\d+)$/;
    ok(defined $lf, 'the attacker ran as planned') or diag($report);
    $lf ||= 0;
    $lp ||= 0;
    ok($lf > 0 && $lp > 0, 'files and fifos were swapped in');
    is((lstat "$shared/file")[3], 1 + $lf, 'the regular file lost no name');
    is((lstat "$shared/fifo")[3], 1 + $lp, 'the fifo lost no name');
}

# 5. The probe redirected.  The attacker puts a dead socket node at the
#    name and then a symlink to a live socket of the server's (0600, in a
#    directory only the server can enter) over it; a probe that connects
#    by name after the server looked at the node follows the symlink, and
#    a root server connects to any socket it names.  The server's socket
#    must never be connected to.
{
    my $secret = "$base/private/secret.sock";
    socket(my $ss, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
    bind($ss, pack_sockaddr_un($secret)) or die "bind: $!";
    chmod 0600, $secret or die "chmod: $!";
    listen($ss, 128) or die "listen: $!";
    $ss->blocking(0);
    my ($apid, $ar) = attacker(sub {
        my ($stop) = @_;
        my $swaps = 0;
        for (my $i = 0; !$$stop && $i < 10_000_000; $i++) {
            my $s0 = "$shared/st$i";
            socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
            bind($s, pack_sockaddr_un($s0)) or next;
            close $s;    # a dead node
            rename($s0, $ep) or next;
            my $l = "$shared/ln$i";
            symlink($secret, $l) or next;
            $swaps++ if rename($l, $ep);
            unlink $l;
        }
        "swaps=$swaps";
    });
    my ($tries, $accepted) = (0, 0);
    my $deadline = time + 40;
    for ($tries = 0; $tries < 40_000 && time < $deadline; $tries++) {
        my $e = endp_create($ep);
        undef $e;
        while (accept(my $c, $ss)) {
            $accepted++;
        }
    }
    my $report = stop_attacker($apid, $ar);
    while (accept(my $c, $ss)) {
        $accepted++;
    }
    diag("probe redirected: $tries tries, attacker $report, "
         . "$accepted connections to the server's socket");
    like($report, qr/^swaps=[1-9]/, 'the attacker ran and swapped');
    is($accepted, 0, 'the server never connected to a socket a symlink named');
    unlink $ep;
}

# 4. The private directory redirected.  The attacker (xt/c/privswap.c)
#    sees each private directory appear and puts a symlink to a directory
#    of the server's in its place: in the shared directory itself it
#    renames the private directory away and puts the symlink at its name;
#    in a directory of the server's within the shared one ("up") it puts
#    the symlink in a directory of its own and exchanges that with the
#    server's directory.  A bind that reached the private directory by
#    its path then made its node in the symlink's target; the server must
#    never make a node anywhere but in its own private directory.
SKIP: {
    my $bdir = tmpdir();
    my ($prog, $why) = build_c("$bdir/privswap", ['xt/c/privswap.c']);
    skip("privswap: $why", 4) unless $prog;
    chmod 0755, $bdir, $prog;
    for my $how ('name', 'up') {
        my $target = "$base/target-$how";
        mkdir $target, 0755 or die "mkdir $target: $!";
        my $sub = "$shared/redir-$how";
        mkdir $sub or die "mkdir: $!";
        chmod($how eq 'up' ? 0755 : 0777, $sub) or die "chmod: $!";
        my $ino = (lstat $sub)[1];
        pipe(my $r, my $w) or die "pipe: $!";
        my $apid = fork;
        die "fork: $!" unless defined $apid;
        if (!$apid) {
            close $r;
            open(STDOUT, '>&', $w) or POSIX::_exit(2);
            if ($root) {
                POSIX::setgid($nobody) or POSIX::_exit(2);
                POSIX::setuid($nobody) or POSIX::_exit(2);
            }
            { exec $prog, $sub, $target, 120, ($how eq 'up' ? 'up' : ()) }
            POSIX::_exit(127);
        }
        close $w;
        my $ready = <$r>;
        my ($made, $tries, $hit) = (0, 0, 0);
        my $deadline = time + 40;
        for ($tries = 0; $tries < 20_000 && time < $deadline; $tries++) {
            my $e = endp_create("$sub/ep", mode => 0600);
            $made++ if $e;
            unlink "$sub/ep";
            if (my @in = glob("$target/* $target/.[!.]*")) {
                $hit = "@in";
                last;
            }
            # Exchanged: the server's own directory back at its name.
            if ($how eq 'up' && (lstat $sub)[1] != $ino) {
                my ($own) = grep { (lstat $_)[1] == $ino } glob("$sub.e*");
                last unless $own;
                rename($sub, "$shared/spent$tries") or die "rename: $!";
                rename($own, $sub) or die "rename: $!";
            }
        }
        kill 'TERM', $apid;
        my $report = do { local $/; <$r> };
        waitpid($apid, 0);
        $report = ($ready // '') . ($report // '');
        $report =~ s/\n/ /g;
        diag("private directory redirected ($how): $tries tries, $made made, "
             . "attacker $report");
        like($report, qr/^ready seen=\d+ swaps=[1-9]/,
             "$how: the attacker ran and swapped");
        ok(!$hit, "$how: no node was ever made outside the private directory")
            or diag("made: $hit");
    }
}

# 3. Two servers on one path at the same moment, many rounds.  Both wait
#    on one pipe and start when it closes.  Exactly one may win; the loser
#    gets EADDRINUSE; the winner must get the client that connects.
{
    my $rounds = 300;
    my ($bad, $both, $none, $lost) = (0, 0, 0, 0);
    my @why;
    my $deadline = time + 120;
    my $round;
    for ($round = 0; $round < $rounds && time < $deadline; $round++) {
        my $p = "$shared/two$round";
        pipe(my $gr, my $gw) or die "pipe: $!";
        my (@kids, @res);
        for my $k (0, 1) {
            pipe(my $rr, my $rw) or die "pipe: $!";
            my $pid = fork;
            die "fork: $!" unless defined $pid;
            if (!$pid) {
                close $gw;
                close $rr;
                alarm 20;
                sysread($gr, my $x, 1);    # the start gun: end of file
                my $e = endp_create($p, ($round % 2 ? (mode => 0600) : ()));
                my $err = $! + 0;
                if (!$e) {
                    syswrite($rw, "fail $err\n");
                    POSIX::_exit(0);
                }
                syswrite($rw, "ok\n");
                # The loser's probe (a connection closed at once) may
                # come first: take up to three connections.
                my $said = "noclient\n";
                for (1 .. 3) {
                    my $rin = '';
                    vec($rin, fileno($e), 1) = 1;
                    last unless select(my $rout = $rin, undef, undef, 5);
                    my $c = serv_accept_fh($e) or last;
                    my $buf = "";
                    if (sysread($c, $buf, 1) && $buf eq "x") {
                        $said = "client\n";
                        last;
                    }
                }
                syswrite($rw, $said);
                POSIX::_exit(0);
            }
            close $rw;
            push @kids, [$pid, $rr];
        }
        close $gr;
        close $gw;    # go
        for my $kid (@kids) {
            my $fh = $kid->[1];
            my $line = <$fh>;
            push @res, defined $line ? $line : "none\n";
        }
        my @won = grep { $res[$_] eq "ok\n" } 0, 1;
        my $why;
        if (@won == 2) {
            $both++;
            $why = 'both won';
        } elsif (@won == 0) {
            $none++;
            $why = "none won: @res";
        } elsif ($res[1 - $won[0]] ne sprintf("fail %d\n", EADDRINUSE)) {
            $why = "loser: $res[1 - $won[0]]";
        }
        # A client for the winner (or the winners).
        my $c = endp_connect($p);
        syswrite($c, 'x') if $c;
        for my $i (@won) {
            my $fh = $kids[$i][1];
            my $line = <$fh>;
            if (!defined $line || $line ne "client\n") {
                $lost++;
                $why ||= 'the winner got no client';
            }
        }
        undef $c;
        waitpid($_->[0], 0) for @kids;
        if ($why) {
            $bad++;
            push @why, "round $round: $why" if @why < 5;
        }
        unlink $p;
    }
    diag("two servers: $round rounds");
    ok($round >= 50, 'enough rounds ran');
    is($bad, 0, 'every round: exactly one won, the other got EADDRINUSE, '
              . 'the client reached the winner')
        or diag(join "\n", "both won $both times, none $none, client lost $lost",
                @why);
}

done_testing;
