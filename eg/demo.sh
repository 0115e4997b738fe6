#!/bin/sh
# eg/demo.sh - the endpoint pair, two unrelated processes: openserver.pl
# creates a named endpoint and serves open files and sockets;
# openclient.pl connects and uses what it receives.  Run from the built
# distribution directory.
set -e
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
perl -Mblib eg/openserver.pl --once "$dir/openserver" &
server=$!
i=0
while [ ! -S "$dir/openserver" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "demo: the server did not start" >&2; exit 1; }
    sleep 0.1
done
perl -Mblib eg/openclient.pl "$dir/openserver"
wait $server
