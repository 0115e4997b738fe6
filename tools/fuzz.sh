#!/bin/sh
# tools/fuzz.sh - build each harness in t/fuzz with libFuzzer and run it
# for FUZZ_SECONDS (default 60) from its seed corpus.  New inputs go to a
# scratch directory, so the tree is left as it was.  No -fwrapv: a signed
# overflow is a report.
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
# Each harness is linked with fdpass.c and calls the core's private
# functions through fdpass-int.h (-DFDP_TESTING gives them external
# linkage; the hooks are described there).

# The receive side's control-message walk.
"$cc" -g -O1 $san -I. -DFDP_TESTING -DFDP_CLOSE=fuzz_close \
    -o "$work/cmsg_fuzz" t/fuzz/cmsg_fuzz.c fdpass.c
mkdir "$work/corpus"
"$work/cmsg_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" t/fuzz/corpus

# spawn's planner, run on a simulated descriptor table.
"$cc" -g -O1 $san -I. -DFDP_TESTING -DFDP_PLAN_STEP=plan_step \
    -o "$work/plan_fuzz" t/fuzz/plan_fuzz.c fdpass.c
mkdir "$work/plan_corpus"
"$work/plan_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/plan-" "$work/plan_corpus" t/fuzz/plan_corpus

# The room check's decision (fdp_room_decide) against a simulated
# descriptor table, from t/fuzz/room-corpus.
"$cc" -g -O1 $san -I. -DFDP_TESTING -o "$work/room_fuzz" t/fuzz/room_fuzz.c fdpass.c
mkdir "$work/room-corpus"
"$work/room_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/room-" "$work/room-corpus" t/fuzz/room-corpus
