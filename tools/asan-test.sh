#!/bin/sh
# tools/asan-test.sh - the core and the XS built with
# -fsanitize=address,undefined in a scratch copy of the distribution, and
# the whole test suite run against that build with the sanitizer runtimes
# preloaded into perl.  Any report fails it.  Leak detection is left to
# the C tests (xt/95-c-api.t, tools/memcheck.sh): perl itself does not free
# everything at exit.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
cc=${CC:-gcc}
. tools/scratch.sh
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
lddl=$(perl -MConfig -e 'print $Config{lddlflags}')
perl Makefile.PL CC="$cc" LD="$cc" OPTIMIZE="-O1 -g $san" LDDLFLAGS="$lddl $san" > /dev/null
make > /dev/null
if ! nm -D blib/arch/auto/File/FDpasser/FDpasser.so | grep -q __asan_; then
    echo "asan-test: the build is not instrumented" >&2
    exit 1
fi
preload="$($cc -print-file-name=libasan.so) $($cc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=23:log_path=$work/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$work/ubsan"
status=0
LD_PRELOAD="$preload" make test || status=1
# and the tests moved from t/ to xt/ for being slow that run the module
# (load, the pre-fork server)
LD_PRELOAD="$preload" prove -b -It/lib xt/75-load.t xt/85-prefork.t || status=1
for log in "$work"/asan.* "$work"/ubsan.*; do
    [ -e "$log" ] || continue
    echo "asan-test: report in $(basename "$log"):"
    cat "$log"
    status=1
done
[ $status -eq 0 ] && echo "asan-test: clean"
exit $status
