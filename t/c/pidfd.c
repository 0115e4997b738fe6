/*
 * pidfd.c - fdpass_peer_pidfd without Perl, between real processes: the
 * pidfd names the process fdpass_peer_cred reports (a connecting child,
 * the maker of a pair), is close-on-exec, polls readable only once that
 * process has exited, and once it has been reaped names no pid (fdinfo
 * "Pid: -1", pidfd_send_signal ESRCH) while a new call gives ESRCH; the
 * refusals match fdpass_peer_cred's errno case by case and leave no
 * descriptor open.  t/37-peer-pidfd.t builds and runs it (sanitized too
 * where the compiler can), tools/memcheck.sh under valgrind.
 *
 * Built with -DFDP_PEERPIDFD_OPT=n (the core asks for an option no kernel
 * knows), it checks what a kernel before Linux 6.5 gives instead:
 * ENOPROTOOPT for a connection, the refusals unchanged.
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "tap.h"

/* fdpass_peer_pidfd's result as errno (0: a pidfd, closed here). */
static int
pidfd_errno(int sock)
{
    int fd;

    errno = 0;
    fd = fdpass_peer_pidfd(sock);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno;
}

static int
cred_errno(int sock)
{
    pid_t pid;
    fdpass_uid_t uid;
    fdpass_gid_t gid;

    errno = 0;
    return fdpass_peer_cred(sock, &pid, &uid, &gid) < 0 ? errno : 0;
}

/* A refusal: the errno wanted, the same as fdpass_peer_cred's (unless
 * the kernel lacks the option: ENOPROTOOPT is peer_pidfd's alone), and
 * no descriptor left behind. */
static void
refused(int sock, int want, const char *what)
{
    int before = open_fds(), e = pidfd_errno(sock), c = cred_errno(sock);

    okf(e == want, "%s: %s (got %s)", what, strerror(want), strerror(e));
    if (want != ENOPROTOOPT)
        okf(e == c, "%s: as fdpass_peer_cred (%s)", what, strerror(c));
    okf(open_fds() == before, "%s: no descriptor left open", what);
}

static void
test_refusals(const char *dir, int conn_errno)
{
    struct sockaddr_un sun;
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    char path[256];
    int ls, s, p[2], tl, tc, ta, ds, dc;

    snprintf(path, sizeof path, "%s/ls", dir);
    ls = fdpass_listen(path, strlen(path), -1, 0, FDPASS_CLOEXEC);
    refused(ls, ENOTCONN, "a listener");
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    refused(s, ENOTCONN, "an AF_UNIX socket never connected");
    close(s);
    if (pipe(p) == 0) {
        refused(p[0], ENOTSOCK, "a pipe");
        close(p[0]);
        close(p[1]);
    }
    refused(-1, EBADF, "descriptor -1");
    s = dup(ls);
    close(s);
    refused(s, EBADF, "a closed descriptor");
    close(ls);

    /* TCP on the loopback: connected, it has a peer but no credentials. */
    tl = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (tl >= 0 && bind(tl, (struct sockaddr *)&sin, sizeof(sin)) == 0
        && listen(tl, 1) == 0
        && getsockname(tl, (struct sockaddr *)&sin, &sl) == 0
        && (tc = socket(AF_INET, SOCK_STREAM, 0)) >= 0) {
        refused(tc, ENOTCONN, "a TCP socket never connected");
        if (connect(tc, (struct sockaddr *)&sin, sizeof(sin)) == 0
            && (ta = accept(tl, NULL, NULL)) >= 0) {
            refused(tc, EOPNOTSUPP, "a connected TCP client");
            refused(ta, EOPNOTSUPP, "an accepted TCP connection");
            close(ta);
        } else {
            ok(0, "TCP connect on the loopback");
        }
        close(tc);
    } else {
        skip("no TCP on the loopback interface");
    }
    if (tl >= 0)
        close(tl);

    /* A datagram socket connect()ed to a name: a peer, nothing recorded
     * (the kernel's ENODATA). */
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s/dg", dir);
    ds = socket(AF_UNIX, SOCK_DGRAM, 0);
    dc = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (ds >= 0 && dc >= 0 && bind(ds, (struct sockaddr *)&sun, sizeof(sun)) == 0
        && connect(dc, (struct sockaddr *)&sun, sizeof(sun)) == 0)
        refused(dc, conn_errno ? conn_errno : EOPNOTSUPP,
                "a datagram socket connected to a name");
    else
        ok(0, "datagram socket setup");
    close(ds);
    close(dc);
}

#ifndef FDP_PEERPIDFD_OPT
/* The "Pid:" line of fd's fdinfo: the pid, -1 once reaped; -2 when there
 * is no such line (not a pidfd). */
static long
fdinfo_pid(int fd)
{
    char path[64], line[128];
    long pid = -2;
    FILE *f;

    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    if ((f = fopen(path, "r")) == NULL)
        return -2;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Pid:", 4) == 0)
            pid = strtol(line + 4, NULL, 10);
    fclose(f);
    return pid;
}

/* 1 when fd polls readable within ms milliseconds. */
static int
readable(int fd, int ms)
{
    struct pollfd p;

    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/*
 * A child connects and waits for word on a pipe; the parent accepts and
 * takes the child as a pidfd, then lets it go and watches it end.
 */
static void
test_peer_lifecycle(const char *dir)
{
    char path[256], c;
    int ls, s, fd, fd2, go[2], before, status, pss, e;
    pid_t child, cred_pid = 0;
    fdpass_uid_t uid;
    fdpass_gid_t gid;

    snprintf(path, sizeof path, "%s/life", dir);
    ls = fdpass_listen(path, strlen(path), -1, 0, FDPASS_CLOEXEC);
    if (ls < 0 || pipe(go) < 0) {
        ok(0, "lifecycle setup");
        return;
    }
    child = fork();
    if (child == 0) {
        int e = fdpass_connect(path, strlen(path), 0);

        close(go[1]);
        /* The end of the pipe: the parent is done with this process. */
        _exit(e < 0 || read(go[0], &c, 1) != 0);
    }
    close(go[0]);
    s = fdpass_accept(ls, NULL, FDPASS_CLOEXEC);
    before = open_fds();
    fd = fdpass_peer_pidfd(s);
    okf(fd >= 0, "accepted endpoint: a pidfd (%s)", fd < 0 ? strerror(errno) : "ok");
    if (fd < 0) {
        close(go[1]);
        waitpid(child, &status, 0);
        close(s);
        close(ls);
        return;
    }
    okf(fdinfo_pid(fd) == (long)child, "it names the child that connected (%ld, child %ld)",
        fdinfo_pid(fd), (long)child);
    ok(fdpass_peer_cred(s, &cred_pid, &uid, &gid) == 0 && cred_pid == child,
       "... the pid fdpass_peer_cred reports");
    ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "... close-on-exec");
    ok(!readable(fd, 0), "... not readable while the child lives");
    /* valgrind 3.19 does not know pidfd_send_signal (nor does a seccomp
     * filter always let it through): ENOSYS.  The core then cannot tell
     * a reaped peer, and on Linux 6.16+ gives its pidfd, naming no pid. */
    errno = 0;
    pss = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0 || errno != ENOSYS;
    if (!pss)
        diag("no pidfd_send_signal here (valgrind?): a reaped peer is a pidfd");
    ok(!pss || syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0,
       "... pidfd_send_signal(0) reaches it");
    fd2 = fdpass_peer_pidfd(s);
    ok(fd2 >= 0 && fd2 != fd && fdinfo_pid(fd2) == (long)child,
       "a second call: another pidfd, the same process");
    if (fd2 >= 0)
        close(fd2);

    close(go[1]); /* the child exits */
    before--;     /* that end was open when counted */
    ok(readable(fd, 10000), "readable once the child has exited");
    okf(fdinfo_pid(fd) == (long)child, "a zombie still has its pid (%ld)", fdinfo_pid(fd));
    fd2 = fdpass_peer_pidfd(s);
    ok(fd2 >= 0 && readable(fd2, 0), "a zombie peer: a pidfd, readable at once");
    if (fd2 >= 0)
        close(fd2);
    ok(waitpid(child, &status, 0) == child && status == 0, "the child exited cleanly");

    okf(fdinfo_pid(fd) == -1, "reaped: the pidfd names no pid (Pid: %ld)", fdinfo_pid(fd));
    errno = 0;
    ok(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == -1
       && errno == (pss ? ESRCH : ENOSYS),
       "... pidfd_send_signal: ESRCH, never another process");
    ok(fdpass_peer_cred(s, &cred_pid, &uid, &gid) == 0 && cred_pid == child,
       "fdpass_peer_cred still reports the old pid number");
    close(fd);
    okf(open_fds() == before, "no descriptor left open (%d, was %d)", open_fds(), before);
    errno = 0;
    fd2 = fdpass_peer_pidfd(s);
    e = errno;
    if (pss)
        okf(fd2 == -1 && e == ESRCH, "a reaped peer: ESRCH (got %d, %s)", fd2,
            strerror(e));
    else
        okf((fd2 == -1 && e == ESRCH) || (fd2 >= 0 && fdinfo_pid(fd2) == -1),
            "a reaped peer, no pidfd_send_signal: ESRCH, or a pidfd naming no pid");
    if (fd2 >= 0)
        close(fd2);
    okf(open_fds() == before, "... and nothing left open");
    close(s);
    close(ls);
}

/* Both ends of a pair name its maker, whoever holds the other end. */
static void
test_pair(void)
{
    int sv[2], fd, st = -1, rep[2];
    pid_t child;
    long got = 0;

    if (fdpass_socketpair(sv, FDPASS_CLOEXEC) < 0 || pipe(rep) < 0) {
        ok(0, "pair setup");
        return;
    }
    child = fork();
    if (child == 0) {
        int f = fdpass_peer_pidfd(sv[1]);
        long p = f < 0 ? -3 : fdinfo_pid(f);

        _exit(write(rep[1], &p, sizeof p) != (ssize_t)sizeof p);
    }
    close(rep[1]);
    ok(read(rep[0], &got, sizeof got) == (ssize_t)sizeof got && got == (long)getpid(),
       "a pair's end in a child: the maker, this process");
    waitpid(child, &st, 0);
    close(rep[0]);
    fd = fdpass_peer_pidfd(sv[0]);
    ok(fd >= 0 && fdinfo_pid(fd) == (long)getpid(), "the maker's own end: the maker");
    if (fd >= 0)
        close(fd);
    close(sv[0]);
    close(sv[1]);
}
#endif /* !FDP_PEERPIDFD_OPT */

int
main(void)
{
    char dir[] = "/tmp/fdpass-pidfd-XXXXXX", cmd[64];
    int have = strstr(fdpass_features(), "peer_pidfd") != NULL;
    int before, sv[2], conn_errno = 0;

    if (mkdtemp(dir) == NULL)
        return 2;
    before = open_fds();
#ifdef FDP_PEERPIDFD_OPT
    conn_errno = have ? ENOPROTOOPT : ENOSYS;
#else
    if (!have)
        conn_errno = ENOSYS;
#endif
    if (conn_errno) {
        /* No pidfd to be had: a connection gets conn_errno, with no
         * descriptor left behind; what has no peer is still refused as
         * fdpass_peer_cred refuses it. */
        if (fdpass_socketpair(sv, FDPASS_CLOEXEC) == 0) {
            int b = open_fds(), r, e;

            errno = 0;
            r = fdpass_peer_pidfd(sv[0]);
            e = errno;
            okf(r == -1 && e == conn_errno, "a connection, no SO_PEERPIDFD: %s (got %s)",
                strerror(conn_errno), strerror(e));
            ok(open_fds() == b, "... no descriptor left open");
            close(sv[0]);
            close(sv[1]);
        }
        test_refusals(dir, conn_errno);
    } else {
        test_refusals(dir, 0);
#ifndef FDP_PEERPIDFD_OPT
        test_peer_lifecycle(dir);
        test_pair();
#endif
    }
    ok(open_fds() == before, "no descriptor left open by the whole run");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
