#!/bin/sh
# tools/wintest.sh - the Windows backend, cross-compiled with mingw-w64 and
# run under wine: t/c/win.c (two Windows processes passing a file, a pipe
# and sockets; EMSGSIZE, EMFILE, end of stream; receivers that die or hang
# up mid-exchange, with their handles counted).  Needs Debian's
# gcc-mingw-w64-x86-64 and wine; no display.  Any "not ok" fails it.
set -eu
cd "$(dirname "$0")/.."
cc=${MINGW_CC:-x86_64-w64-mingw32-gcc}
wine=$(command -v wine || command -v wine64 || echo /usr/lib/wine/wine64)
if ! command -v "$cc" > /dev/null || [ ! -x "$wine" ]; then
    echo "wintest: needs $cc and wine (apt-get install gcc-mingw-w64-x86-64 wine wine64)" >&2
    exit 1
fi
work=$(mktemp -d)
cleanup() {
    WINEPREFIX="$work/prefix" wineserver -k 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$cc" -Wall -Wextra -Werror -O2 -I. -o "$work/win.exe" t/c/win.c fdpass.c -lws2_32
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# The first start creates the prefix; its chatter is not the test's.
"$wine" cmd /c exit > /dev/null 2>&1 || true
status=0
timeout 300 "$wine" "$work/win.exe" > "$work/out" 2> "$work/err" || status=$?
cat "$work/out"
planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$work/out")
passed=$(grep -c '^ok ' "$work/out" || true)
if [ "$status" -ne 0 ] || [ -z "$planned" ] || [ "$passed" -ne "$planned" ] \
   || grep -q '^not ok' "$work/out"; then
    echo "wintest: FAILED (exit $status, $passed of ${planned:-?} passed)" >&2
    sed 's/^/wintest stderr: /' "$work/err" >&2
    exit 1
fi
echo "wintest: $passed of $planned passed under $("$wine" --version 2> /dev/null)"
