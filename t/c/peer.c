/*
 * peer.c - a C program built on fdpass.h, the C peer of t/90-interop.t.
 *
 *   peer send SOCK FILE...     sends each FILE (opened to append) alone
 *   peer many SOCK FILE...     sends all FILEs in one message with "from C"
 *   peer twocmsg SOCK F1 F2    one message, two SCM_RIGHTS control messages
 *   peer recv SOCK N           receives N descriptors, writes to each
 *   peer recvmany SOCK         receives one message, writes to each descriptor
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

static int
die(const char *what)
{
    fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
    return 1;
}

static int
open_all(char **names, int n, int *fds)
{
    int i;

    for (i = 0; i < n; i++)
        if ((fds[i] = open(names[i], O_WRONLY | O_APPEND)) < 0)
            return -1;
    return 0;
}

static int
send_two_cmsgs(int sock, int a, int b)
{
    union {
        struct cmsghdr h;
        char buf[2 * CMSG_SPACE(sizeof(int))];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *c;
    char zero = 0;

    memset(&msg, 0, sizeof msg);
    memset(&cb, 0, sizeof cb);
    iov.iov_base = &zero;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = sizeof cb.buf;
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &a, sizeof a);
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &b, sizeof b);
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
    int sock, fds[FDPASS_MAX], i, n;
    size_t nfds, len;
    char data[64];

    if (argc < 3)
        return 2;
    sock = atoi(argv[2]);
    if (strcmp(argv[1], "send") == 0) {
        n = argc - 3;
        if (open_all(argv + 3, n, fds) < 0)
            return die("open");
        for (i = 0; i < n; i++)
            if (fdpass_send_fd(sock, fds[i]) < 0)
                return die("fdpass_send_fd");
    } else if (strcmp(argv[1], "many") == 0) {
        n = argc - 3;
        if (open_all(argv + 3, n, fds) < 0)
            return die("open");
        if (fdpass_send(sock, fds, (size_t)n, "from C", 6) != 6)
            return die("fdpass_send");
    } else if (strcmp(argv[1], "twocmsg") == 0) {
        if (argc != 5 || open_all(argv + 3, 2, fds) < 0)
            return die("open");
        if (send_two_cmsgs(sock, fds[0], fds[1]) < 0)
            return die("sendmsg");
    } else if (strcmp(argv[1], "recv") == 0) {
        n = argc > 3 ? atoi(argv[3]) : 1;
        for (i = 0; i < n; i++) {
            int fd;

            if (fdpass_recv_fd(sock, &fd, FDPASS_CLOEXEC) != 1)
                return die("fdpass_recv_fd");
            if (write(fd, "C was here\n", 11) != 11)
                return die("write");
            close(fd);
        }
    } else if (strcmp(argv[1], "recvmany") == 0) {
        if (fdpass_recv(sock, fds, FDPASS_MAX, &nfds, data, sizeof data - 1,
                        &len, FDPASS_CLOEXEC) != 1)
            return die("fdpass_recv");
        data[len] = '\0';
        for (i = 0; i < (int)nfds; i++) {
            dprintf(fds[i], "C got %d with '%s'\n", (int)nfds, data);
            close(fds[i]);
        }
    } else {
        return 2;
    }
    return 0;
}
