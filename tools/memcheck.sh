#!/bin/sh
# tools/memcheck.sh - the C tests and a Perl soak (passes mixed with every
# error path) under valgrind memcheck.  Any error or definitely-lost block
# fails it.  Run from the built distribution (after make).
set -eu
cd "$(dirname "$0")/.."
cc=${CC:-$(perl -MConfig -e 'print $Config{cc}')}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no --child-silent-after-fork=yes"
status=0
for t in core spawn room notify; do
    # Linked with fdpass.c; room.c and spawn.c call its private functions
    # through fdpass-int.h, and spawn.c counts the planner's steps.
    if [ "$t" = spawn ]; then hook=-DFDP_PLAN_STEP=plan_step; else hook=; fi
    $cc -g -O1 -I. -DFDP_TESTING $hook -o "$work/$t" "t/c/$t.c" fdpass.c
    echo "memcheck: t/c/$t.c"
    # The spawn test's own default way is posix_spawn, whose exec-failure
    # report valgrind cannot carry (it runs CLONE_VFORK as a fork): only
    # the fork+exec half runs here.
    if [ "$t" = spawn ]; then args=fork; else args=; fi
    if ! $vg "$work/$t" $args > "$work/$t.out" 2>&1; then
        cat "$work/$t.out"; status=1
    elif grep -q '^not ok' "$work/$t.out"; then
        cat "$work/$t.out"; status=1
    fi
done
echo "memcheck: tools/soak.pl"
if ! FDPASS_SOAK_VIA_FORK=1 PERL_DESTRUCT_LEVEL=2 $vg perl -Mblib tools/soak.pl "${SOAK_ROUNDS:-200}"; then
    status=1
fi
[ $status -eq 0 ] && echo "memcheck: clean"
exit $status
