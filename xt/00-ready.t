#!perl
# xt/ holds the checks that are too slow or too bound to this machine for
# an install (races, adversaries, sanitizers); CI runs them with
# `prove -b -It/lib xt`.  This one proves the built module loads from blib
# as those checks expect.
use strict;
use warnings;
use Test::More;

use_ok('File::FDpasser');
like(File::FDpasser::_backend(), qr/^(?:scm_rights|streams|win32)\z/,
     'the built backend is named');
done_testing;
