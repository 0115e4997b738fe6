#!/usr/bin/perl
# openserver.pl PATH - hands out open descriptors over a named endpoint.
#
# Any process that connects to PATH may ask, one line at a time, for:
#   file NAME   a read-only descriptor on NAME (opened by this server)
#   log         an append descriptor on the server's own log
#   echo        a socket connected to an echo service this server runs
#   quit        the server closes the connection and, with --once, exits
# Every answer is one passed descriptor; a refusal is a byte without one.
use strict;
use warnings;
use File::FDpasser qw(:all);

$| = 1;
my $once = @ARGV && $ARGV[0] eq '--once' ? shift : 0;
my $path = shift or die "usage: $0 [--once] PATH\n";
my $log  = "$path.log";

my $ls = endp_create($path, mode => 0600)
    or die "openserver: endp_create $path: $!\n";
print "openserver $$: listening on $path\n";

# The echo service: a child process at the far end of a socket pair.
sub echo_socket {
    my ($mine, $theirs) = spipe() or die "spipe: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        close $theirs;
        while (defined(my $line = <$mine>)) {
            print $mine "echo from pid $$: $line";
        }
        exit 0;
    }
    close $mine;
    return $theirs;
}

$SIG{CHLD} = 'IGNORE';
while (1) {
    my $uid;
    my $conn = serv_accept_fh($ls, $uid) or die "openserver: accept: $!\n";
    my ($pid) = peer_cred($conn);
    print "openserver $$: client pid ", $pid // '?', " uid ", $uid // '?', " connected\n";
    my $buf = '';
    while (sysread($conn, $buf, 4096, length $buf)) {
        while ($buf =~ s/^([^\n]*)\n//) {
            my ($cmd, $arg) = split ' ', $1, 2;
            $cmd //= '';
            my $fh;
            if ($cmd eq 'file') {
                open($fh, '<', $arg) or warn "openserver: $arg: $!\n";
            } elsif ($cmd eq 'log') {
                open($fh, '>>', $log) or warn "openserver: $log: $!\n";
            } elsif ($cmd eq 'echo') {
                $fh = echo_socket();
            } elsif ($cmd eq 'quit') {
                close $conn;
                if ($once) {
                    if (open(my $l, '<', $log)) {
                        print "openserver $$: the log now reads:\n", map { "  | $_" } <$l>;
                    }
                    unlink $path, $log;
                    exit 0;
                }
                last;
            }
            print "openserver $$: $cmd", (defined $arg ? " $arg" : ''),
                  $fh ? " -> descriptor " . fileno($fh) . "\n" : " -> refused\n";
            if ($fh) {
                send_file($conn, $fh) or warn "openserver: send_file: $!\n";
                close $fh;    # the client holds its own copy now
            } else {
                syswrite($conn, "\0");
            }
        }
    }
}
