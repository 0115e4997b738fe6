/*
 * room-cost.c - what the full-table check costs on the receive path.
 *
 * One process sends /dev/null N times over an AF_UNIX stream pair, the
 * other receives and closes each, then answers a done byte.  Three
 * receivers are compared in one run: a bare recvmsg loop (no check),
 * fdpass_recv with its check, and the same for messages of 64
 * descriptors.  Run pinned to one CPU:
 *   cc -O2 -I. -o room-cost bench/room-cost.c fdpass.c
 *   taskset -c 0 ./room-cost 200000
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A receive with no check at all: the plain C loop. */
static int
bare_recv(int sock, int *fds, size_t max, size_t *ret_n)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    char byte;
    struct cmsghdr *c;

    memset(&msg, 0, sizeof msg);
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = CMSG_SPACE(max * sizeof(int));
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
        return -1;
    c = CMSG_FIRSTHDR(&msg);
    *ret_n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    memcpy(fds, CMSG_DATA(c), *ret_n * sizeof(int));
    return 1;
}

static double
run(int mode, long n, size_t per)
{
    int sv[2], fds[FDPASS_MAX], devnull, i;
    size_t got, len;
    char byte;
    double t0;
    pid_t pid;
    long k;

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    devnull = open("/dev/null", O_RDONLY);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        if (write(sv[1], "r", 1) != 1)
            _exit(1);
        for (k = 0; k < n; k++) {
            int r = mode == 0 ? bare_recv(sv[1], fds, per, &got)
                              : fdpass_recv(sv[1], fds, per, &got, &byte, 1,
                                            &len, FDPASS_CLOEXEC);
            if (r != 1 || got != per)
                _exit(2);
            for (i = 0; i < (int)got; i++)
                close(fds[i]);
        }
        if (write(sv[1], "d", 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(sv[1]);
    if (read(sv[0], &byte, 1) != 1)
        exit(1);
    for (i = 0; i < (int)per; i++)
        fds[i] = devnull;
    t0 = now();
    for (k = 0; k < n; k++)
        if (fdpass_send(sv[0], fds, per, NULL, 0) != 1)
            exit(3);
    if (read(sv[0], &byte, 1) != 1)
        exit(4);
    t0 = now() - t0;
    waitpid(pid, NULL, 0);
    close(sv[0]);
    close(devnull);
    return t0;
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    double t[4][9];
    int r, v;
    static const char *name[4] = {
        "1 per message, bare recvmsg", "1 per message, fdpass_recv",
        "64 per message, bare recvmsg", "64 per message, fdpass_recv",
    };

    for (r = 0; r < 9; r++)
        for (v = 0; v < 4; v++)
            t[v][r] = run(v & 1, v < 2 ? n : n / 64, v < 2 ? 1 : 64);
    for (v = 0; v < 4; v++) {
        qsort(t[v], 9, sizeof(double), cmp);
        printf("%-32s median %.3f s  ns/descriptor %.0f\n", name[v], t[v][4],
               t[v][4] * 1e9 / (v < 2 ? n : (n / 64) * 64));
    }
    printf("ratio bare/fdpass: 1 per message %.3f, 64 per message %.3f\n",
           t[0][4] / t[1][4], t[2][4] / t[3][4]);
    return 0;
}
