#!/bin/sh
# tools/fallback-test.sh - the whole test suite against a build with
# MSG_CMSG_CLOEXEC, MSG_NOSIGNAL, SOCK_CLOEXEC, SO_PEERCRED, SO_PEERPIDFD,
# accept4, pipe2 and posix_spawn hidden (FDPASS_FALLBACKS), in a scratch
# copy of the distribution: the code that macOS and the older BSDs run, run here.
set -eu
cd "$(dirname "$0")/.."
. tools/scratch.sh
FDPASS_FALLBACKS=1 perl Makefile.PL > /dev/null
make > /dev/null
features=$(perl -Mblib -MFile::FDpasser -e 'print File::FDpasser::_features()')
echo "fallback-test: built with: $features"
case " $features " in
*" fallbacks "*) ;;
*) echo "fallback-test: the build did not hide anything" >&2; exit 1 ;;
esac
make test
# What moved from t/ to xt/ for being slow: load, the pre-fork server, the
# C tests (built with FDPASS_FALLBACKS too, as the module was).
prove -b -It/lib xt/75-load.t xt/85-prefork.t xt/95-c-api.t
