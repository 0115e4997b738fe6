#!/usr/bin/perl
# privsep.pl - privilege separation.  A parent running as root creates a
# file only root may read; a worker locks itself in an empty directory
# with chroot and becomes the user nobody, so it can open nothing of
# value; the parent opens the file and passes the open handle, which the
# worker reads.  The worker gets exactly the access it was handed.
#
# Run as an ordinary user it does the same without chroot or change of
# user (which need root), and says so.
use strict;
use warnings;
use File::Temp qw(tempdir);
use POSIX ();
use File::FDpasser qw(spipe send_file recv_fh);

$| = 1;
my $dir = tempdir(CLEANUP => 1);
my $secret = "$dir/secret";
open(my $out, '>', $secret) or die "privsep: $secret: $!\n";
chmod(0600, $secret) or die "privsep: chmod: $!\n";
print $out "the password is swordfish\n";
close $out;
mkdir("$dir/jail") or die "privsep: mkdir: $!\n";    # empty: the worker's world

my ($parent_end, $worker_end) = spipe() or die "spipe: $!";
my $pid = fork // die "fork: $!";
if (!$pid) {
    close $parent_end;
    if ($> == 0) {
        my (undef, undef, $uid, $gid) = getpwnam('nobody') or die "privsep: no user nobody\n";
        chroot("$dir/jail") && chdir('/') or die "privsep: chroot: $!\n";
        $) = "$gid $gid";    # the groups too
        POSIX::setgid($gid) && POSIX::setuid($uid) or die "privsep: setuid: $!\n";
        $< == $uid && $> == $uid or die "privsep: still uid $< $>\n";
        print "worker $$: in an empty chroot as uid $uid (nobody)\n";
    } else {
        print "worker $$: not root, so no chroot and no change of user (uid $<)\n";
    }
    if (open(my $try, '<', $secret)) {
        print "worker $$: could open $secret itself\n";
    } else {
        print "worker $$: cannot open $secret itself: $!\n";
    }
    my $fh = recv_fh($worker_end) or die "privsep: recv_fh: ", ($! || 'end of stream'), "\n";
    print "worker $$: read through the handle it was passed: ", scalar <$fh>;
    exit 0;
}
close $worker_end;
open(my $fh, '<', $secret) or die "privsep: $secret: $!\n";
send_file($parent_end, $fh) or die "privsep: send_file: $!\n";
close $fh;
waitpid($pid, 0);
print "parent $$: the worker exited with status ", $? >> 8, "\n";
exit($? ? 1 : 0);
