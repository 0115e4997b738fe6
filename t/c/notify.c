/*
 * notify.c - fdpass_notify and fdpass_fdstore without Perl: this program
 * plays the service manager (a datagram socket at an abstract name and at
 * a path, SO_PASSCRED set) and a forked child sends, so each datagram is
 * checked with the credentials the kernel attached; then every refusal,
 * with nothing sent and the descriptor table unchanged.  Prints TAP;
 * xt/95-c-api.t builds it (with the sanitizers where the compiler has
 * them) and tools/memcheck.sh runs it under valgrind.
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* A manager at addr ("/path" or "@name"), asking for credentials. */
static int
manager(const char *addr)
{
    struct sockaddr_un sun;
    socklen_t len;
    size_t l = strlen(addr);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, addr, l);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l);
    if (addr[0] == '@')
        sun.sun_path[0] = '\0';
    else
        len++;
    if (s < 0 || bind(s, (struct sockaddr *)&sun, len) < 0
        || setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
        perror("manager");
        exit(2);
    }
    return s;
}

/* What one datagram brought. */
struct got {
    char data[512];
    ssize_t len;
    int fds[8];
    size_t nfds;
    struct ucred cred;
    int have_cred;
};

/* One datagram from the manager, without waiting: -1 when none. */
static int
take(int mgr, struct got *g)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(8 * sizeof(int))
                 + CMSG_SPACE(sizeof(struct ucred))];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *c;
    size_t n;

    memset(g, 0, sizeof(*g));
    memset(&msg, 0, sizeof(msg));
    iov.iov_base = g->data;
    iov.iov_len = sizeof(g->data) - 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = sizeof(cb.buf);
    g->len = recvmsg(mgr, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (g->len < 0)
        return -1;
    for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (g->nfds + n > 8)
                n = 8 - g->nfds;
            memcpy(g->fds + g->nfds, CMSG_DATA(c), n * sizeof(int));
            g->nfds += n;
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            memcpy(&g->cred, CMSG_DATA(c), sizeof(g->cred));
            g->have_cred = 1;
        }
    }
    return 0;
}

/* In a child: fdpass_notify (name NULL) or fdpass_fdstore; the child
 * exits 0 when the call returned 1.  Returns the child's pid once it
 * exited, or -1 when it failed. */
static pid_t
child_sends(const char *addr, const char *state, const char *name,
            const int *fds, size_t nfds, int flags)
{
    pid_t pid = fork();
    int st, r;

    if (pid == 0) {
        if (name == NULL)
            r = fdpass_notify(addr, state, strlen(state), fds, nfds);
        else
            r = fdpass_fdstore(addr, name, strlen(name), fds, nfds, flags);
        _exit(r == 1 ? 0 : 1);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
        return -1;
    return pid;
}

static void
sends(int mgr, const char *addr)
{
    struct got g;
    pid_t pid;
    int p[2], i;
    char buf[8];

    pid = child_sends(addr, "READY=1\nSTATUS=up", NULL, NULL, 0, 0);
    okf(pid > 0, "%s: fdpass_notify returned 1 in the child", addr);
    ok(take(mgr, &g) == 0, "the manager got a datagram");
    ok(g.len == 17 && memcmp(g.data, "READY=1\nSTATUS=up", 17) == 0,
       "the state, byte for byte, without a NUL");
    ok(g.nfds == 0, "no descriptor");
    ok(g.have_cred && g.cred.pid == pid && g.cred.uid == getuid()
       && g.cred.gid == getgid(), "the kernel's credentials: the sender's");

    if (pipe(p) < 0)
        exit(2);
    pid = child_sends(addr, "", "web", p, 2, FDPASS_FDSTORE_NOPOLL);
    okf(pid > 0, "%s: fdpass_fdstore(NOPOLL) with a pipe's two ends", addr);
    ok(take(mgr, &g) == 0, "the manager got it");
    ok(g.len == 29 && memcmp(g.data, "FDSTORE=1\nFDNAME=web\nFDPOLL=0", 29) == 0,
       "FDSTORE=1, FDNAME=web, FDPOLL=0");
    ok(g.nfds == 2, "two descriptors in the same message");
    ok(g.have_cred && g.cred.pid == pid, "the sender's pid with them");
    close(p[1]);
    if (g.nfds == 2) {
        ok(write(g.fds[1], "hi", 2) == 2, "the stored write end takes data");
        ok(read(p[0], buf, sizeof(buf)) == 2 && memcmp(buf, "hi", 2) == 0,
           "and the pipe carries it");
    }
    for (i = 0; i < (int)g.nfds; i++)
        close(g.fds[i]);
    close(p[0]);

    pid = child_sends(addr, "", "web", NULL, 0, FDPASS_FDSTORE_REMOVE);
    okf(pid > 0, "%s: fdpass_fdstore(REMOVE)", addr);
    ok(take(mgr, &g) == 0 && g.len == 26
       && memcmp(g.data, "FDSTOREREMOVE=1\nFDNAME=web", 26) == 0
       && g.nfds == 0, "FDSTOREREMOVE=1, FDNAME=web, no descriptor");
}

/* A call that must fail with e, send nothing and leave the table as it
 * was. */
static void
refused(int mgr, int r, int err, int e, int before, const char *what)
{
    struct got g;

    okf(r == -1 && err == e, "%s: -1, %s (got %d, %s)", what, strerror(e),
        r, strerror(err));
    okf(open_fds() == before, "%s: no descriptor left open", what);
    okf(take(mgr, &g) < 0 && errno == EAGAIN, "%s: nothing sent", what);
}

#define REFUSED(call, e, what) do { \
        int before_ = open_fds(), r_ = (call), err_ = errno; \
        refused(mgr, r_, err_, e, before_, what); \
    } while (0)

int
main(void)
{
    char dir[] = "/tmp/fdpass-notify-XXXXXX";
    char path[256], abs[64], stale[256], toolong[300];
    int mgr, amgr, fds[FDPASS_MAX + 1], p[2], s, before, i;
    struct sockaddr_un sun;

    if (mkdtemp(dir) == NULL)
        return 2;
    snprintf(path, sizeof(path), "%s/notify", dir);
    snprintf(stale, sizeof(stale), "%s/stale", dir);
    snprintf(abs, sizeof(abs), "@fdpass-c-notify-%ld", (long)getpid());
    mgr = manager(path);
    amgr = manager(abs);
    sends(mgr, path);
    sends(amgr, abs);

    before = open_fds();
    ok(fdpass_notify(NULL, "READY=1", 7, NULL, 0) == 0,
       "no address (NULL): 0, nothing sent");
    ok(fdpass_notify("", "READY=1", 7, NULL, 0) == 0, "an empty one: 0");
    ok(fdpass_fdstore(NULL, "x", 1, &before, 0, 0) == 0, "fdpass_fdstore too");
    ok(open_fds() == before, "no socket left open");

    /* A socket node nobody reads. */
    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, stale);
    if (s < 0 || bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        return 2;
    close(s);
    memset(toolong, 'x', 108);
    toolong[0] = '/';
    toolong[108] = '\0';
    if (pipe(p) < 0)
        return 2;
    for (i = 0; i <= FDPASS_MAX; i++)
        fds[i] = p[0];

    REFUSED(fdpass_notify("run/notify", "A=1", 3, NULL, 0), EAFNOSUPPORT,
            "a relative path");
    REFUSED(fdpass_notify("vsock:2:1", "A=1", 3, p, 2), EAFNOSUPPORT,
            "a vsock address");
    REFUSED(fdpass_notify("@", "A=1", 3, NULL, 0), EINVAL, "\"@\" alone");
    REFUSED(fdpass_notify(toolong, "A=1", 3, p, 1), EINVAL,
            "a path of 108 bytes");
    toolong[0] = '@';
    REFUSED(fdpass_notify(toolong, "A=1", 3, NULL, 0), EINVAL,
            "an abstract name of 108 bytes");
    REFUSED(fdpass_notify("/nonexistent/fdpass/notify", "A=1", 3, p, 2),
            ENOENT, "no such path");
    REFUSED(fdpass_notify(stale, "A=1", 3, p, 2), ECONNREFUSED,
            "a socket nobody reads");
    REFUSED(fdpass_notify("@fdpass-c-notify-nobody", "A=1", 3, NULL, 0),
            ECONNREFUSED, "an abstract name nobody bound");
    REFUSED(fdpass_notify(path, NULL, 3, NULL, 0), EINVAL, "state NULL");
    REFUSED(fdpass_notify(path, "A=1", 0, NULL, 0), EINVAL, "len 0");
    REFUSED(fdpass_notify(path, "A=1\0B=2", 7, NULL, 0), EINVAL,
            "a NUL in the state");
    REFUSED(fdpass_notify(path, "A=1", 3, NULL, 1), EINVAL, "fds NULL");
    REFUSED(fdpass_notify(path, "A=1", 3, fds, FDPASS_MAX + 1), EMSGSIZE,
            "FDPASS_MAX + 1 descriptors");
    {
        static char big[FDPASS_NOTIFY_MAX + 1];

        memset(big, 'x', sizeof big);
        memcpy(big, "STATUS=", 7);
        REFUSED(fdpass_notify(path, big, sizeof big, NULL, 0), EMSGSIZE,
                "a state of FDPASS_NOTIFY_MAX + 1 bytes");
    }
    fds[1] = 1000;
    REFUSED(fdpass_notify(path, "A=1", 3, fds, 2), EBADF,
            "a descriptor not open");
    REFUSED(fdpass_notify(NULL, "A=1", 3, fds, 2), EBADF,
            "a descriptor not open, no address");
    fds[1] = -1;
    REFUSED(fdpass_notify(path, "A=1", 3, fds, 2), EBADF,
            "a negative descriptor");
    REFUSED(fdpass_fdstore(path, "a:b", 3, p, 1, 0), EINVAL,
            "a name with a colon");
    REFUSED(fdpass_fdstore(path, "", 0, p, 1, 0), EINVAL, "an empty name");
    REFUSED(fdpass_fdstore(NULL, "", 0, p, 1, 0), EINVAL,
            "an empty name, no address");
    REFUSED(fdpass_fdstore(path, "a\nb", 3, p, 1, 0), EINVAL,
            "a name with a newline");
    REFUSED(fdpass_fdstore(path, "caf\xc3\xa9", 5, p, 1, 0), EINVAL,
            "a name beyond ASCII");
    memset(toolong, 'n', 256);
    REFUSED(fdpass_fdstore(path, toolong, 256, p, 1, 0), EINVAL,
            "a name of 256 bytes");
    REFUSED(fdpass_fdstore(path, "x", 1, p, 1, 0x80), EINVAL,
            "an unknown flag");
    REFUSED(fdpass_fdstore(path, "x", 1, p, 1, FDPASS_FDSTORE_REMOVE), EINVAL,
            "REMOVE with descriptors");
    REFUSED(fdpass_fdstore(path, "x", 1, NULL, 0,
                           FDPASS_FDSTORE_REMOVE | FDPASS_FDSTORE_NOPOLL),
            EINVAL, "REMOVE with NOPOLL");

    close(p[0]);
    close(p[1]);
    close(mgr);
    close(amgr);
    unlink(path);
    unlink(stale);
    rmdir(dir);
    return done_testing();
}
