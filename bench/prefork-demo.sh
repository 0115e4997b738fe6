#!/bin/sh
# The pre-fork demo: bench/prefork-httpd.pl in pass mode on a free loopback
# port; twelve requests, each answered by the worker its connection was
# passed to; then a zero-downtime handoff to a new instance while
# requests go on, and SIGTERM.  Run from the built distribution directory.
set -e
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'kill $old $new 2>/dev/null || true; rm -rf "$dir"' EXIT

# get PORT N: N requests, one connection each; prints who answered.
get() {
    perl -MIO::Socket::INET -e '
        my ($port, $n) = @ARGV;
        my %by;
        for (1 .. $n) {
            my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!\n";
            print $s "GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n";
            my $r = do { local $/; <$s> };
            $r =~ /^HTTP\/1\.1 200 .*worker +(\d+) of server +(\d+)/s or die "bad answer\n";
            $by{"worker $1 of server $2"}++;
        }
        print "  $by{$_} answered by $_\n" for sort keys %by;' "$@"
}

wait_for() {
    i=0
    until grep -q "$2" "$1" 2> /dev/null; do
        i=$((i + 1))
        [ $i -lt 200 ] || { echo "demo: no '$2' in $1" >&2; cat "$1" >&2; exit 1; }
        sleep 0.05
    done
}

perl -Mblib bench/prefork-httpd.pl --listen 127.0.0.1:0 --workers 3 --mode pass \
    --control "$dir/ctl" > "$dir/old.out" 2>&1 &
old=$!
wait_for "$dir/old.out" 'listening on'
cat "$dir/old.out"
port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$dir/old.out")
echo "12 requests, each connection passed to the least busy worker:"
get "$port" 12

wait_for "$dir/old.out" 'listening on'
while [ ! -S "$dir/ctl" ]; do sleep 0.05; done
echo "a new instance takes the listening socket over while requests go on:"
get "$port" 400 > "$dir/during" &
client=$!
perl -Mblib bench/prefork-httpd.pl --listen 127.0.0.1:0 --workers 3 --mode pass \
    --takeover "$dir/ctl" --control "$dir/ctl" > "$dir/new.out" 2>&1 &
new=$!
wait $old
wait $client
# The new instance says it listens once its workers are started, which
# can be after the old one has drained: the line is waited for, or the
# 'sed 1d' below would drop the first line printed after it instead.
wait_for "$dir/new.out" 'listening on'
cat "$dir/old.out" | sed 1d
cat "$dir/new.out"
echo "the 400 requests made meanwhile (none failed):"
cat "$dir/during"
kill -TERM $new
wait $new
sed 1d "$dir/new.out"
