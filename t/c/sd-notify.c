/*
 * sd-notify.c - libsystemd's own sender, the reference the notify tests
 * (t/84-notify-systemd.t) compare File::FDpasser's with.  Linked with
 * libsystemd (pkg-config libsystemd), not with the core:
 *
 *     sd-notify STATE [FD ...]
 *
 * calls sd_pid_notify_with_fds(0, 0, STATE, FDs, n) once; exit status 0
 * when it returned > 0 (sent), 2 when it returned 0 (no NOTIFY_SOCKET),
 * 1 with the error on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

int
main(int argc, char **argv)
{
    int fds[64];
    int i, n, r;

    if (argc < 2 || argc - 2 > 64) {
        fprintf(stderr, "usage: sd-notify STATE [FD ...]\n");
        return 1;
    }
    n = argc - 2;
    for (i = 0; i < n; i++)
        fds[i] = atoi(argv[i + 2]);
    r = sd_pid_notify_with_fds(0, 0, argv[1], n ? fds : NULL, (unsigned)n);
    if (r < 0) {
        fprintf(stderr, "sd-notify: %s\n", strerror(-r));
        return 1;
    }
    return r > 0 ? 0 : 2;
}
