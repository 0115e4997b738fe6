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
for t in core spawn room pidfd pidfd-noopt notify; do
    # Linked with fdpass.c; room.c and spawn.c call its private functions
    # through fdpass-int.h, and spawn.c counts the planner's steps;
    # pidfd-noopt is pidfd.c asking for a socket option no kernel knows.
    src=$t
    case $t in
    spawn) hook=-DFDP_PLAN_STEP=plan_step ;;
    pidfd-noopt) hook=-DFDP_PEERPIDFD_OPT=10000 src=pidfd ;;
    *) hook= ;;
    esac
    $cc -g -O1 -I. -DFDP_TESTING $hook -o "$work/$t" "t/c/$src.c" fdpass.c
    echo "memcheck: t/c/$src.c $hook"
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
