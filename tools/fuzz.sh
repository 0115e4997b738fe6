#!/bin/sh
# tools/fuzz.sh - build t/fuzz/cmsg_fuzz.c with libFuzzer and run it for
# FUZZ_SECONDS (default 60) from the seed corpus in t/fuzz/corpus.  New
# inputs go to a scratch directory, so the tree is left as it was.
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I. -o "$work/cmsg_fuzz" t/fuzz/cmsg_fuzz.c
mkdir "$work/corpus"
"$work/cmsg_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" t/fuzz/corpus

# The room check's decision (fdp_room_decide) against a simulated
# descriptor table, from t/fuzz/room-corpus; as above, no -fwrapv, so
# UBSan reports a signed overflow.
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I. -o "$work/room_fuzz" t/fuzz/room_fuzz.c
mkdir "$work/room-corpus"
"$work/room_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/room-" "$work/room-corpus" t/fuzz/room-corpus
