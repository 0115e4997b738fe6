/*
 * sd-listen.c - a socket-activated server written against libsystemd
 * itself, for xt/81-spawn-listen-systemd.t: it takes its listeners with
 * sd_listen_fds_with_names(1, &names) and prints
 *
 *     count N                    (N < 0: the -errno libsystemd returned)
 *     fd F name NAME socket S    (for each: S is sd_is_socket(F, 0,
 *                                 SOCK_STREAM, 1), 1 for a listening
 *                                 stream socket)
 *     env LISTEN_PID=unset LISTEN_FDS=unset LISTEN_FDNAMES=unset
 *
 * then, with "serve", accepts one connection on each listener in turn
 * and writes the listener's name to it.  With "count" it only prints
 * sd_listen_fds(0)'s count.  Built with pkg-config's flags for
 * libsystemd.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

static const char *
set(const char *name)
{
    return getenv(name) != NULL ? "set" : "unset";
}

int
main(int argc, char **argv)
{
    char **names = NULL;
    int n, i;

    alarm(30);
    if (argc > 1 && strcmp(argv[1], "count") == 0) {
        printf("count %d\n", sd_listen_fds(0));
        return 0;
    }
    n = sd_listen_fds_with_names(1, &names);
    printf("count %d\n", n);
    for (i = 0; i < n; i++)
        printf("fd %d name %s socket %d\n", SD_LISTEN_FDS_START + i,
               names[i], sd_is_socket(SD_LISTEN_FDS_START + i, 0,
                                      SOCK_STREAM, 1));
    printf("env LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s\n",
           set("LISTEN_PID"), set("LISTEN_FDS"), set("LISTEN_FDNAMES"));
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        for (i = 0; i < n; i++) {
            int c = accept(SD_LISTEN_FDS_START + i, NULL, NULL);
            size_t len = strlen(names[i]);

            if (c < 0) {
                printf("accept %d: %s\n", SD_LISTEN_FDS_START + i,
                       strerror(errno));
                return 1;
            }
            if (write(c, names[i], len) != (ssize_t)len)
                return 1;
            close(c);
        }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return 0;
}
