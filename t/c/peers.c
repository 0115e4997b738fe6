/*
 * peers.c - the wire of two other C peers, on plain sendmsg/recvmsg (no
 * fdpass.h), for t/92-interop-peers.t:
 *
 *   plan9port's sendfd(3)/recvfd(3): one descriptor per message, one data
 *   byte with it, one SCM_RIGHTS control message.
 *   libancillary: its sender puts one '!' byte beside the descriptors, its
 *   receiver reads one byte, whatever it is, with the descriptors.
 *
 *   peers p9send SOCK FILE      sendfd of FILE (opened to read and append)
 *   peers p9recv SOCK N         N recvfd calls; writes "p9 I\n" to each
 *   peers ancsend SOCK FILE...  all FILEs in one message with '!'
 *   peers ancrecv SOCK N        one message of exactly N descriptors and one
 *                               byte; writes "anc N byte B\n" to each
 *
 * Exits 0 on success, 1 with a message on stderr otherwise.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define MAXFDS 16

static int
fail(const char *what)
{
    fprintf(stderr, "peers: %s: %s\n", what, errno ? strerror(errno) : "bad message");
    return 1;
}

/* Send n descriptors with the one byte b, in one SCM_RIGHTS. */
static int
send_with_byte(int sock, const int *fds, int n, char b)
{
    union { struct cmsghdr h; char buf[CMSG_SPACE(MAXFDS * sizeof(int))]; } u;
    struct iovec iov = { &b, 1 };
    struct msghdr m;
    struct cmsghdr *c;

    memset(&u, 0, sizeof u);
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(n * sizeof(int));
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

/* Receive one byte and up to max descriptors; returns how many arrived
 * (fds[]), -1 on error, -2 when the message was not one byte with one
 * SCM_RIGHTS whole. */
static int
recv_with_byte(int sock, int *fds, int max, unsigned char *b)
{
    union { struct cmsghdr h; char buf[CMSG_SPACE(MAXFDS * sizeof(int))]; } u;
    struct iovec iov = { b, 1 };
    struct msghdr m;
    struct cmsghdr *c;
    ssize_t r;
    int n;

    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(max * sizeof(int));
    r = recvmsg(sock, &m, 0);
    if (r < 0)
        return -1;
    c = CMSG_FIRSTHDR(&m);
    if (r != 1 || (m.msg_flags & MSG_CTRUNC) || c == NULL
        || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS
        || CMSG_NXTHDR(&m, c) != NULL)
        return -2;
    n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    if (n > max)
        return -2;
    memcpy(fds, CMSG_DATA(c), n * sizeof(int));
    return n;
}

int
main(int argc, char **argv)
{
    int sock, fds[MAXFDS], i, n;
    unsigned char b;
    char line[64];

    if (argc < 3)
        return fail("usage");
    sock = atoi(argv[2]);
    errno = 0;

    if (strcmp(argv[1], "p9send") == 0 || strcmp(argv[1], "ancsend") == 0) {
        int anc = argv[1][0] == 'a';
        n = argc - 3;
        if (n < 1 || n > MAXFDS || (!anc && n != 1))
            return fail("usage");
        for (i = 0; i < n; i++)
            if ((fds[i] = open(argv[3 + i], O_RDWR | O_APPEND)) < 0)
                return fail(argv[3 + i]);
        if (send_with_byte(sock, fds, n, anc ? '!' : 0) < 0)
            return fail("sendmsg");
        return 0;
    }
    if (strcmp(argv[1], "p9recv") == 0) {
        int count = argc > 3 ? atoi(argv[3]) : 0;
        for (i = 1; i <= count; i++) {
            /* recvfd's buffer has room for exactly one descriptor */
            n = recv_with_byte(sock, fds, 1, &b);
            if (n != 1)
                return fail(n == -1 ? "recvmsg" : "recvfd: not one descriptor");
            snprintf(line, sizeof line, "p9 %d\n", i);
            if (write(fds[0], line, strlen(line)) < 0 || close(fds[0]) < 0)
                return fail("write");
        }
        return 0;
    }
    if (strcmp(argv[1], "ancrecv") == 0) {
        int want = argc > 3 ? atoi(argv[3]) : 0;
        if (want < 1 || want > MAXFDS)
            return fail("usage");
        n = recv_with_byte(sock, fds, want, &b);
        if (n != want)
            return fail(n == -1 ? "recvmsg" : "ancil_recv_fds: wrong count");
        for (i = 0; i < n; i++) {
            snprintf(line, sizeof line, "anc %d byte %d\n", n, b);
            if (write(fds[i], line, strlen(line)) < 0 || close(fds[i]) < 0)
                return fail("write");
        }
        return 0;
    }
    return fail("usage");
}
