/*
 * loop.c - the limit: a plain C sendmsg/recvmsg loop over the benchmark's
 * protocol.  An AF_UNIX stream socketpair, fork; the child writes a ready
 * byte, receives each message and closes every descriptor, then writes a
 * done byte; the parent passes /dev/null N times.  Prints the seconds from
 * the first send to the done byte.
 *   loop one|many|handle|pingpong N
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MANY 64

#ifdef LOOP_FDPASS
# include "fdpass.h"
# include <termios.h>

/* The system calls of making a Perl handle on fd, alone. */
static void
handle_calls(int fd)
{
    const char *mode;
    struct termios t;

    if (fdpass_is_socket(fd) != 0 || fdpass_fopen_mode(fd, &mode) < 0)
        exit(6);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void)tcgetattr(fd, &t);
    (void)lseek(fd, 0, SEEK_CUR);
}

static void
send_fds(int s, int fd, int n)
{
    int fds[MANY], i;

    for (i = 0; i < n; i++)
        fds[i] = fd;
    if (fdpass_send(s, fds, (size_t)n, NULL, 0) != 1)
        exit(3);
}

static int
recv_fds(int s, int *fds, int max)
{
    size_t got, len;
    char z;

    if (fdpass_recv(s, fds, (size_t)max, &got, &z, 1, &len,
                    FDPASS_CLOEXEC) != 1)
        exit(4);
    return (int)got;
}
#else /* !LOOP_FDPASS */

static void
send_fds(int s, int fd, int n)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(MANY * sizeof(int))];
    } cb;
    struct msghdr m;
    struct iovec v;
    char z = 0;
    int i;

    memset(&m, 0, sizeof m);
    v.iov_base = &z;
    v.iov_len = 1;
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = cb.b;
    m.msg_controllen = CMSG_SPACE(n * sizeof(int));
    cb.h.cmsg_level = SOL_SOCKET;
    cb.h.cmsg_type = SCM_RIGHTS;
    cb.h.cmsg_len = CMSG_LEN(n * sizeof(int));
    for (i = 0; i < n; i++)
        memcpy(CMSG_DATA(&cb.h) + i * sizeof(int), &fd, sizeof(int));
    if (sendmsg(s, &m, MSG_NOSIGNAL) != 1)
        exit(3);
}

static int
recv_fds(int s, int *fds, int max)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(MANY * sizeof(int))];
    } cb;
    struct msghdr m;
    struct iovec v;
    struct cmsghdr *c;
    char z;

    memset(&m, 0, sizeof m);
    v.iov_base = &z;
    v.iov_len = 1;
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = cb.b;
    m.msg_controllen = CMSG_SPACE(max * sizeof(int));
    if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) != 1)
        exit(4);
    c = CMSG_FIRSTHDR(&m);
    if (c == NULL)
        exit(5);
    memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
    return (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
}
#endif /* LOOP_FDPASS */

int
main(int argc, char **argv)
{
    const char *v = argc > 1 ? argv[1] : "one";
    long n = argc > 2 ? atol(argv[2]) : 100000, k;
    int per = strcmp(v, "many") == 0 ? MANY : 1, ping = strcmp(v, "pingpong") == 0;
#ifdef LOOP_FDPASS
    int handle = strcmp(v, "handle") == 0;
#endif
    int sv[2], fds[MANY], i, got, null = open("/dev/null", O_RDWR);
    struct timespec a, b;
    char c;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 1;
    if (fork() == 0) {
        close(sv[0]);
        if (write(sv[1], "r", 1) != 1)
            _exit(1);
        for (k = 0; k < n / per; k++) {
            got = recv_fds(sv[1], fds, per);
#ifdef LOOP_FDPASS
            if (handle)
                handle_calls(fds[0]);
#endif
            for (i = 0; i < got; i++)
                close(fds[i]);
            if (ping && write(sv[1], "p", 1) != 1)
                _exit(1);
        }
        if (write(sv[1], "d", 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(sv[1]);
    if (read(sv[0], &c, 1) != 1)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (k = 0; k < n / per; k++) {
        send_fds(sv[0], null, per);
        if (ping && read(sv[0], &c, 1) != 1)
            return 1;
    }
    if (read(sv[0], &c, 1) != 1)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    wait(NULL);
    printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
