/*
 * notify-mgr.c - the receiving half of a service manager, for the notify
 * tests (t/83-notify.t, t/84-notify-systemd.t): what the Perl side cannot
 * read without Socket::MsgHdr, the credentials of a datagram.
 *
 *     notify-mgr SOCK FWD
 *
 * reads one datagram, queued already (it never waits), from the
 * inherited descriptor SOCK (an AF_UNIX SOCK_DGRAM socket the test bound,
 * with SO_PASSCRED set), prints one line
 *
 *     pid=P uid=U gid=G nfds=N types=T,T,... data=HEX
 *
 * (pid, uid and gid -1 when no credentials came; T the descriptor's
 * S_IFMT >> 12: 1 fifo, 8 file, 12 socket, ...), then passes the
 * descriptors it received on to the inherited endpoint FWD with
 * fdpass_send (nothing when there were none), so that the test can try
 * them.  Exit status 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MGR_DATA 65536

int
main(int argc, char **argv)
{
    static char data[MGR_DATA];
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))
                 + CMSG_SPACE(sizeof(struct ucred))];
    } cb;
    int fds[FDPASS_MAX];
    size_t nfds = 0, i, n;
    struct ucred cred;
    int have_cred = 0, sock, fwd;
    struct msghdr msg;
    struct cmsghdr *c;
    struct iovec iov;
    struct stat st;
    ssize_t r;

    if (argc != 3) {
        fprintf(stderr, "usage: notify-mgr SOCK FWD\n");
        return 1;
    }
    sock = atoi(argv[1]);
    fwd = atoi(argv[2]);
    memset(&msg, 0, sizeof(msg));
    iov.iov_base = data;
    iov.iov_len = sizeof(data);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = sizeof(cb.buf);
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        perror("notify-mgr: recvmsg");
        return 1;
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        fprintf(stderr, "notify-mgr: message cut (flags %#x)\n",
                (unsigned)msg.msg_flags);
        return 1;
    }
    for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (nfds + n > FDPASS_MAX)
                return 1;
            memcpy(fds + nfds, CMSG_DATA(c), n * sizeof(int));
            nfds += n;
        } else if (c->cmsg_type == SCM_CREDENTIALS
                   && c->cmsg_len >= CMSG_LEN(sizeof(cred))) {
            memcpy(&cred, CMSG_DATA(c), sizeof(cred));
            have_cred = 1;
        }
    }
    if (have_cred)
        printf("pid=%ld uid=%ld gid=%ld", (long)cred.pid, (long)cred.uid,
               (long)cred.gid);
    else
        printf("pid=-1 uid=-1 gid=-1");
    printf(" nfds=%lu types=", (unsigned long)nfds);
    for (i = 0; i < nfds; i++)
        printf("%s%ld", i ? "," : "",
               fstat(fds[i], &st) == 0 ? (long)((st.st_mode & S_IFMT) >> 12)
                                       : -1L);
    printf(" data=");
    for (i = 0; i < (size_t)r; i++)
        printf("%02x", (unsigned char)data[i]);
    printf("\n");
    fflush(stdout);
    if (nfds > 0 && fdpass_send(fwd, fds, nfds, NULL, 0) < 0) {
        perror("notify-mgr: fdpass_send");
        return 1;
    }
    fdpass_close_all(fds, nfds);
    return 0;
}
