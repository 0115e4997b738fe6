package File::FDpasser;

use strict;
use warnings;

our $VERSION = '1.00';

use Exporter 'import';
require XSLoader;
XSLoader::load(__PACKAGE__, $VERSION);

# The 0.09 interface.  It never grows: new names go in @EXPORT_OK.
our @EXPORT = qw(
    spipe endp_create endp_connect serv_accept_fh serv_accept_fd
    send_file recv_fh recv_fd get_fopen_mode my_getfl cli_conn
);
our @EXPORT_OK   = qw(send_fds recv_fds peer_cred FDPASS_MAX);
our %EXPORT_TAGS = (all => [ @EXPORT, @EXPORT_OK ]);

my %endp_opt = (mode => 1, backlog => 1);

sub endp_create {
    _croak('Usage: File::FDpasser::endp_create($path [, %opt])')
        unless @_ && @_ % 2;
    my ($path, %opt) = @_;
    for (sort keys %opt) {
        _croak("File::FDpasser::endp_create: unknown option '$_'")
            unless $endp_opt{$_};
    }
    my $mode = defined $opt{mode} ? $opt{mode} : -1;
    my $backlog = defined $opt{backlog} ? $opt{backlog} : 0;
    return _endp_create($path, $mode, $backlog);
}

sub _croak { require Carp; Carp::croak(@_) }

1;
