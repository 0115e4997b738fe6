#!/bin/sh
# bench/prefork.sh - bench/prefork-httpd.pl in its two modes, the same
# workers, under ApacheBench (apache2-utils): requests per second, and
# each worker's share of the requests (from the lines the workers print
# when they exit).  Modes alternate; ROUNDS rounds; medians.
#
#   sh bench/prefork.sh [ROUNDS] [REQUESTS]
#
# Two loads: a new connection per request (-c 8), and keep-alive with one
# connection per worker (-k -c WORKERS; a worker serves one connection at
# a time, so more would queue behind long-lived ones).
#
# DEFER=0 starts the server with --no-defer (no TCP_DEFER_ACCEPT on the
# listening socket).
#
# POLICY=batch runs the server (parent and workers, both modes alike)
# under SCHED_BATCH (chrt -b 0, util-linux): a woken process then does
# not preempt the running one, so the pass-mode parent is not switched
# out after each connection it hands to an idle worker.
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
requests=${2:-20000}
workers=${WORKERS:-4}
policy=${POLICY:-normal}
case ${DEFER:-1} in
    0) defer=--no-defer ;;
    *) defer= ;;
esac
case $policy in
    normal) sched= ;;
    batch) command -v chrt > /dev/null || { echo "POLICY=batch needs chrt (util-linux)" >&2; exit 1; }
           sched="chrt -b 0" ;;
    *) echo "POLICY is normal or batch" >&2; exit 1 ;;
esac
command -v ab > /dev/null || { echo "needs ab (apt-get install apache2-utils)" >&2; exit 1; }
[ -f blib/arch/auto/File/FDpasser/FDpasser.so ] || { echo "build first: perl Makefile.PL && make" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $(cat "$work"/pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

# run MODE LOAD: one server, one ab run; prints "rps max/min".
run() {
    mode=$1 load=$2
    $sched perl -Mblib bench/prefork-httpd.pl --listen 127.0.0.1:0 --workers "$workers" \
        --mode "$mode" $defer > "$work/out" 2>&1 &
    echo $! > "$work/pid"
    i=0
    until grep -q 'listening on' "$work/out"; do
        i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/out" >&2; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/out")
    if [ "$load" = keepalive ]; then
        opts="-k -c $workers"
    else
        opts="-c 8"
    fi
    ab -q -n "$requests" $opts "http://127.0.0.1:$port/" > "$work/ab" 2>&1
    failed=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' "$work/ab")
    rps=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$work/ab")
    kill -TERM "$(cat "$work/pid")"
    wait "$(cat "$work/pid")" || true
    share=$(sed -n 's/.* served \([0-9]*\) requests.*/\1/p' "$work/out" \
            | sort -n | awk 'NR == 1 { min = $1 } { max = $1 }
                             END { printf "%.2f", (min > 0 ? max / min : 999) }')
    echo "$rps $share ${failed:-?}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for load in close keepalive; do
    : > "$work/pass"; : > "$work/accept"
    r=0
    while [ $r -lt "$rounds" ]; do
        for mode in pass accept; do
            set -- $(run $mode $load)
            echo "$load round $((r + 1)) $mode: $1 req/s, busiest/least busy worker $2, failed $3" >&2
            echo "$1 $2" >> "$work/$mode"
        done
        r=$((r + 1))
    done
    p=$(cut -d' ' -f1 "$work/pass" | median)
    a=$(cut -d' ' -f1 "$work/accept" | median)
    ps=$(cut -d' ' -f2 "$work/pass" | median)
    as=$(cut -d' ' -f2 "$work/accept" | median)
    echo "$load ($policy${defer:+, $defer}): pass $p req/s (busiest/least $ps), accept $a req/s (busiest/least $as), pass/accept $(echo "$p $a" | awk '{ printf "%.2f", $1 / $2 }')"
done
