/*
 * A peer that speaks File::FDpasser 0.09's wire, written from its
 * description: each descriptor goes with two bytes, a 0 and a status
 * byte (0: a descriptor came with it; non-zero: an error, no descriptor),
 * and the receiver insists on them.  Driven by t/42-wire-0.09.t.
 *
 *   v009 send SOCK FILE...  send each FILE, opened for reading, as 0.09
 *                           does, one message after another, then exit 0
 *   v009 recv SOCK N        receive N descriptors as 0.09's receiver
 *                           does, and write the first line read from each
 *                           to stdout; on a message that is not 0.09's
 *                           form, print "message format error" to
 *                           stderr and exit 2, as 0.09 does
 *
 * No part of the module is used: this is the other end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BUFSIZE 4096 /* 0.09 reads into a buffer of MAXLINE bytes */

static int
send_one(int sock, int fd)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *c;
    char two[2] = { 0, 0 }; /* the 0, then status 0: a descriptor */

    memset(&msg, 0, sizeof(msg));
    memset(&cb, 0, sizeof(cb));
    iov.iov_base = two;
    iov.iov_len = 2;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = sizeof(cb.buf);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 2 ? 0 : -1;
}

/* One message the way 0.09's receiver reads it: the 0 must be the next
 * to last byte and the status the last; status 0 needs a descriptor.
 * Bytes before the 0 are the sender's error text. */
static int
recv_one(int sock)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *c;
    char buf[BUFSIZE];
    ssize_t n, i;
    int fd = -1, status = -1;

    memset(&msg, 0, sizeof(msg));
    iov.iov_base = buf;
    iov.iov_len = sizeof(buf);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = sizeof(cb.buf);
    n = recvmsg(sock, &msg, 0);
    if (n <= 0)
        return -1;
    c = CMSG_FIRSTHDR(&msg);
    if (c != NULL && c->cmsg_level == SOL_SOCKET
        && c->cmsg_type == SCM_RIGHTS
        && c->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
    for (i = 0; i < n; i++) {
        if (buf[i] != 0)
            continue;
        if (i != n - 2) {
            fprintf(stderr, "message format error\n");
            exit(2);
        }
        status = buf[n - 1] & 255;
        if (status == 0 && fd < 0) {
            fprintf(stderr, "status = 0 but no fd\n");
            exit(2);
        }
        break;
    }
    if (status < 0) {
        fprintf(stderr, "message format error\n");
        exit(2);
    }
    return status == 0 ? fd : -1;
}

int
main(int argc, char **argv)
{
    int sock, i, fd;

    if (argc < 3)
        return 64;
    sock = atoi(argv[2]);
    if (strcmp(argv[1], "send") == 0) {
        for (i = 3; i < argc; i++) {
            fd = open(argv[i], O_RDONLY);
            if (fd < 0 || send_one(sock, fd) < 0) {
                perror(argv[i]);
                return 1;
            }
            close(fd);
        }
        return 0;
    }
    if (strcmp(argv[1], "recv") == 0) {
        int count = atoi(argv[3]);

        for (i = 0; i < count; i++) {
            char line[256];
            ssize_t n;

            fd = recv_one(sock);
            if (fd < 0) {
                fprintf(stderr, "no descriptor: %s\n", strerror(errno));
                return 1;
            }
            n = pread(fd, line, sizeof(line) - 1, 0);
            if (n < 0)
                n = 0;
            line[n] = '\0';
            fputs(line, stdout);
            close(fd);
        }
        return 0;
    }
    return 64;
}
