/*
 * fdpass.c - the C core of File::FDpasser: passing open file descriptors
 * between processes.  See fdpass.h for the API and its errno contract.
 *
 * Layout: feature-test macros and includes; one portability block; the
 * helpers every backend shares; exactly one backend (Windows, SysV
 * STREAMS or SCM_RIGHTS), each defining the same static be_* set; the
 * public fdpass_* functions, which check arguments and call be_*.
 *
 * Each backend is a file of its own, #included below under one #if chain:
 * fdpass-win32.c, fdpass-streams.c or fdpass-scm.c; spawn is in
 * fdpass-spawn.c.  They are not compiled alone: MakeMaker builds the one
 * object from this file, and its `depend` entry (Makefile.PL) rebuilds it
 * when an included file changes.  A C program that uses the core copies
 * fdpass.h, fdpass.c and every fdpass-*.c and fdpass-*.h beside it.
 */

/* 1. Feature-test macros and includes. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
# define _GNU_SOURCE 1 /* accept4, MSG_CMSG_CLOEXEC, SO_PEERCRED, F_DUPFD_CLOEXEC */
#endif

#include "fdpass.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#ifndef _WIN32
# include <fcntl.h>
# include <poll.h>
# include <signal.h>
# include <stdio.h> /* renameat */
# include <stdlib.h>
# include <unistd.h>
# include <sys/resource.h>
# include <sys/socket.h>
# include <sys/stat.h>
# include <sys/time.h>
# include <sys/uio.h>
# include <sys/un.h>
# include <sys/wait.h>
#else
# ifndef _WIN32_WINNT
#  define _WIN32_WINNT 0x0601 /* Windows 7: WSA_FLAG_NO_HANDLE_INHERIT */
# endif
# include <winsock2.h>
# include <ws2tcpip.h>
# include <windows.h>
# include <fcntl.h>
# include <io.h>
# include <stdint.h>
# include <stdlib.h>
#endif
#ifdef FDPASS_BACKEND_STREAMS
# include <stropts.h>
# ifdef FDPASS_HAVE_GETPEERUCRED
#  include <ucred.h>
# endif
#endif

/* 2. Portability: every fallback in one place. */

/* FDPASS_FALLBACKS (`make fallback-test`) hides what Linux has and macOS
 * or an older BSD lacks, so that the fallbacks below are built and run on
 * Linux too. */
#ifdef FDPASS_FALLBACKS
# undef MSG_CMSG_CLOEXEC
# undef MSG_NOSIGNAL
# undef SOCK_CLOEXEC
# undef SO_PEERCRED
# undef SO_PEERPIDFD
# undef POLLRDHUP
# ifndef FDPASS_NO_POSIX_SPAWN
#  define FDPASS_NO_POSIX_SPAWN 1
# endif
#endif /* FDPASS_FALLBACKS */

/* CMSG_SPACE and CMSG_LEN are missing on some older systems (Solaris 9,
 * old HP-UX); the definitions follow their meaning in RFC 3542. */
#ifndef CMSG_ALIGN
# define CMSG_ALIGN(n) (((n) + sizeof(long) - 1) & ~(sizeof(long) - 1))
#endif /* !CMSG_ALIGN */
#ifndef CMSG_SPACE
# define CMSG_SPACE(n) (CMSG_ALIGN(sizeof(struct cmsghdr)) + CMSG_ALIGN(n))
#endif /* !CMSG_SPACE */
#ifndef CMSG_LEN
# define CMSG_LEN(n) (CMSG_ALIGN(sizeof(struct cmsghdr)) + (n))
#endif /* !CMSG_LEN */

/* macOS and the older BSDs have no MSG_NOSIGNAL; SO_NOSIGPIPE is set on
 * the socket instead (scm_nosigpipe in fdpass-scm.c).  Where neither exists,
 * SIGPIPE is blocked around the send (fdp_sigpipe_hold below). */
#ifndef MSG_NOSIGNAL
# define MSG_NOSIGNAL 0
# ifdef SO_NOSIGPIPE
#  define FDP_NEED_SO_NOSIGPIPE 1
# else
#  define FDP_NEED_SIGPIPE_MASK 1
# endif
#endif /* !MSG_NOSIGNAL */

/* A STREAMS pipe is written with write(2), which has no MSG_NOSIGNAL. */
#if defined(FDPASS_BACKEND_STREAMS) && !defined(FDP_NEED_SIGPIPE_MASK)
# define FDP_NEED_SIGPIPE_MASK 1
#endif

/* Without MSG_CMSG_CLOEXEC (macOS, OpenBSD before 5.7) close-on-exec is
 * set on each received descriptor right after recvmsg. */
#ifndef MSG_CMSG_CLOEXEC
# define MSG_CMSG_CLOEXEC 0
# define FDP_NEED_CLOEXEC_AFTER 1
#endif /* !MSG_CMSG_CLOEXEC */

/* POLLRDHUP (the peer shut down writing) is Linux's alone; elsewhere a
 * SEQPACKET receiver learns from POLLHUP only that the peer has gone. */
#ifndef POLLRDHUP
# define POLLRDHUP 0
#endif /* !POLLRDHUP */

/* Without SOCK_CLOEXEC (macOS) fcntl follows socket/socketpair/accept. */
#ifndef SOCK_CLOEXEC
# define SOCK_CLOEXEC 0
# define FDP_NO_SOCK_CLOEXEC 1
#endif /* !SOCK_CLOEXEC */

#ifndef F_DUPFD_CLOEXEC
# define F_DUPFD_CLOEXEC F_DUPFD
#endif /* !F_DUPFD_CLOEXEC */

/* pipe2 and accept4 (atomic O_CLOEXEC) are missing on macOS. */
#if (defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) \
     || defined(__OpenBSD__) || defined(__DragonFly__)) \
    && !defined(FDPASS_FALLBACKS)
# define FDP_HAVE_PIPE2 1
# define FDP_HAVE_ACCEPT4 1
#endif /* pipe2, accept4 */

/* The peer's credentials: SO_PEERCRED on Linux, getpeereid on macOS and
 * the BSDs; elsewhere peer_cred fails with ENOSYS. */
#if defined(SO_PEERCRED) && defined(__linux__)
# define FDP_PEERCRED_SO 1
#elif (defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) \
       || defined(__NetBSD__) || defined(__DragonFly__)) \
    && !defined(FDPASS_FALLBACKS)
# define FDP_PEERCRED_GETPEEREID 1
#endif /* peer credentials */

/* SO_PEERPIDFD (Linux 6.5): the peer as a pidfd.  Headers older than
 * the kernel (Debian 12's linux-libc-dev 6.1) lack it; its number is the
 * kernel's ABI, taken here from the uapi headers, per architecture: 77 in
 * asm-generic/socket.h (x86, arm, arm64, riscv, loongarch, s390) and in
 * alpha's and mips's own; 0x404B on parisc, 0x0056 on sparc.  Another
 * architecture without the constant in its headers gets no number, and
 * peer_pidfd fails with ENOSYS there.  Whether the running kernel has it
 * is learnt from the call itself (ENOPROTOOPT before 6.5).  The test
 * hook FDP_PEERPIDFD_OPT (fdpass-int.h) asks for another number. */
#if defined(__linux__) && !defined(SO_PEERPIDFD) && !defined(FDPASS_FALLBACKS)
# if defined(__hppa__)
#  define SO_PEERPIDFD 0x404B
# elif defined(__sparc__)
#  define SO_PEERPIDFD 0x0056
# elif defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) \
    || defined(__arm__) || defined(__riscv) || defined(__loongarch__) \
    || defined(__s390__) || defined(__alpha__) || defined(__mips__)
#  define SO_PEERPIDFD 77
# endif
#endif /* !SO_PEERPIDFD */
#if defined(SO_PEERPIDFD) && defined(__linux__)
# include <sys/syscall.h> /* SYS_pidfd_send_signal */
# ifdef FDP_PEERPIDFD_OPT
#  define FDP_SO_PEERPIDFD FDP_PEERPIDFD_OPT
# else
#  define FDP_SO_PEERPIDFD SO_PEERPIDFD
# endif
#endif /* peer pidfd */

/* Linux 6.5 added SCM_PIDFD: a pidfd that rides along when the receiver
 * set SO_PASSPIDFD.  It is a descriptor too and must never leak. */
#if defined(__linux__) && !defined(SCM_PIDFD)
# define SCM_PIDFD 0x04
#endif /* __linux__ && !SCM_PIDFD */

/* renameat2(RENAME_NOREPLACE) (Linux 3.15) moves a name into place
 * without replacing whatever may be there, of any kind; be_listen uses it
 * through syscall(2), which older C libraries (glibc before 2.28) also
 * have.  Elsewhere, and where the file system refuses the flag, linkat +
 * unlinkat does the same for everything but a directory. */
#if defined(__linux__) && !defined(FDPASS_FALLBACKS)
# include <sys/syscall.h>
# ifdef SYS_renameat2
#  define FDP_HAVE_RENAMEAT2 1
#  ifndef RENAME_NOREPLACE
#   define RENAME_NOREPLACE (1 << 0)
#  endif
# endif
#endif /* renameat2 */

/* pidfd_open (Linux 5.3) and pidfs (Linux 6.9), where a pidfd's inode
 * number names one process for as long as the system runs: systemd 258
 * passes it as LISTEN_PIDFDID (fdpass_pidfd_id_self). */
#if defined(__linux__) && !defined(FDPASS_FALLBACKS)
# include <sys/syscall.h>
# include <sys/vfs.h>
# ifdef SYS_pidfd_open
#  define FDP_HAVE_PIDFD_ID 1
#  define FDP_PIDFS_MAGIC 0x50494446
# endif
#endif /* pidfd id */

/* The private declarations: what the backends share with this file, and
 * what the C tests and fuzzers look at. */
#include "fdpass-int.h"

/* 3. Helpers shared by every backend. */

#define fdp_fail(e) (errno = (e), -1)

void
fdpass_close_all(const int *fds, size_t nfds)
{
    int saved = errno;
    size_t i;

    for (i = 0; i < nfds; i++)
        if (fds[i] >= 0)
            (void)close(fds[i]);
    errno = saved;
}

/* Close one descriptor on an error path, keeping errno. */
static int
fdp_close_fail(int fd)
{
    int saved = errno;

    (void)close(fd);
    errno = saved;
    return -1;
}

#ifndef _WIN32
/* The descriptor calls of both POSIX backends (SCM_RIGHTS, STREAMS); the
 * Windows backend has its own in fdpass-win32.c. */
static int
be_set_cloexec(int fd, int on)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl < 0)
        return -1;
    if (!!(fl & FD_CLOEXEC) == !!on)
        return 0;
    return fcntl(fd, F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
}

static int
be_getfl(int fd)
{
    return fcntl(fd, F_GETFL);
}

static int
be_is_socket(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -1;
    return S_ISSOCK(st.st_mode) ? 1 : 0;
}

/* Socket activation: the kind of a descriptor a supervisor passed.
 * SO_TYPE tells a socket from anything else (ENOTSOCK); its address
 * family tells the rest.  A socket whose address cannot be asked for is
 * still a socket. */
static int
be_fd_kind(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int type;
    socklen_t tlen = sizeof(type);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0)
        return errno == ENOTSOCK ? FDPASS_KIND_FILE : -1;
    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return FDPASS_KIND_SOCKET;
    switch (ss.ss_family) {
    case AF_INET:
        return FDPASS_KIND_INET;
#ifdef AF_INET6
    case AF_INET6:
        return FDPASS_KIND_INET6;
#endif /* AF_INET6 */
    case AF_UNIX:
        return FDPASS_KIND_UNIX;
    default:
        return FDPASS_KIND_SOCKET;
    }
}

/* Socket activation: check that each of the n descriptors from
 * FDPASS_LISTEN_FDS_START is open, then set close-on-exec on each. */
static int
be_listen_fds(int n)
{
    const int first = FDPASS_LISTEN_FDS_START;
    int i;

    if (n == 0)
        return 0;
    /* The highest first: a count past the table (LISTEN_FDS=2000000000)
     * fails with one call, not after a walk up to the end of the table. */
    if (fcntl(first + n - 1, F_GETFD) < 0)
        return -1;
    for (i = 0; i < n - 1; i++)
        if (fcntl(first + i, F_GETFD) < 0)
            return -1;
    /* All are open; only another thread closing one of them now can
     * make a flag fail to change. */
    for (i = 0; i < n; i++)
        if (be_set_cloexec(first + i, 1) < 0)
            return -1;
    return 0;
}

static int
fdp_int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Listeners named by number (Server::Starter): each is an open socket,
 * and a listening one where its type has connections; none is named
 * twice (sorted is a copy made by the caller).  Then close-on-exec on
 * each.  Every one is checked before any flag changes. */
static int
be_take_listeners(const int *fds, int *sorted, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int type, on;
        socklen_t len = sizeof(type);

        if (fcntl(fds[i], F_GETFD) < 0)
            return -1;
        if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) < 0)
            return -1; /* ENOTSOCK for anything but a socket */
        if (type == SOCK_DGRAM)
            continue;
#ifdef SO_ACCEPTCONN
        len = sizeof(on);
        if (getsockopt(fds[i], SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0)
            return -1;
        if (!on)
            return fdp_fail(EINVAL); /* connected, or never listened */
#else
        (void)on;
#endif /* SO_ACCEPTCONN */
    }
    qsort(sorted, n, sizeof(int), fdp_int_cmp);
    for (i = 1; i < n; i++)
        if (sorted[i] == sorted[i - 1])
            return fdp_fail(EINVAL);
    for (i = 0; i < n; i++)
        if (be_set_cloexec(fds[i], 1) < 0)
            return -1;
    return 0;
}

#ifdef FDP_NEED_SIGPIPE_MASK
/* Neither MSG_NOSIGNAL nor SO_NOSIGPIPE, or a STREAMS pipe (written with
 * write): SIGPIPE is blocked in this thread while sending, and one that
 * the send raised is taken off the pending set before the mask is
 * restored.  One that was pending before stays. */
struct fdp_sigpipe {
    sigset_t old;
    int was_pending;
};

static void
fdp_sigpipe_hold(struct fdp_sigpipe *sp)
{
    sigset_t set, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sp->was_pending = sigpending(&pending) == 0
                      && sigismember(&pending, SIGPIPE) == 1;
    (void)pthread_sigmask(SIG_BLOCK, &set, &sp->old);
}

static void
fdp_sigpipe_release(const struct fdp_sigpipe *sp, int failed)
{
    static const struct timespec zero = { 0, 0 };
    int saved = errno;
    sigset_t set;

    if (failed && saved == EPIPE && !sp->was_pending) {
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    (void)pthread_sigmask(SIG_SETMASK, &sp->old, NULL);
    errno = saved;
}
#endif /* FDP_NEED_SIGPIPE_MASK */

/* The soft RLIMIT_NOFILE, INT_MAX for none, or -1 with errno set. */
static int
fdp_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    return (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
           ? INT_MAX : (int)rl.rlim_cur;
}

/*
 * The room check's decision, a pure function of the limit, the number of
 * descriptors wanted and what count_free says about the slots (the fuzz
 * harness t/fuzz/room_fuzz.c drives it against a simulated table): 0 when
 * the slots below lim can take need more descriptors, else -1 with errno
 * EMFILE, or count_free's errno.
 *
 * New descriptors take the lowest free slots below RLIMIT_NOFILE, so
 * there is room exactly when need slots below lim are free, wherever they
 * are.  The top need slots are asked first: a table that ends well below
 * its limit, as nearly every one does, is answered by that one question.
 * Otherwise the count goes on downward, FDP_ROOM_CHUNK slots at a time,
 * until need free slots are found or too few slots are left below to make
 * up the difference.
 */
FDP_PRIVATE int
fdp_room_decide(int lim, size_t need, fdp_count_free_fn count_free,
                void *ctx)
{
    size_t found = 0;
    int hi, n, c;

    if (need == 0)
        return 0;
    if (lim < 0 || (size_t)lim < need)
        return fdp_fail(EMFILE);
    hi = lim;
    n = need < FDP_ROOM_CHUNK ? (int)need : FDP_ROOM_CHUNK;
    for (;;) {
        c = count_free(ctx, hi - n, n);
        if (c < 0)
            return -1;
        found += (size_t)c;
        if (found >= need)
            return 0;
        hi -= n;
        if ((size_t)hi < need - found)
            return fdp_fail(EMFILE);
        n = hi < FDP_ROOM_CHUNK ? hi : FDP_ROOM_CHUNK;
    }
}

/*
 * count_free for the real table, without making a descriptor (a
 * duplicate would be copied into a child that another thread forks
 * meanwhile): one slot is asked with fcntl(F_GETFD), which fails with
 * EBADF on a free slot; several with one zero-timeout poll(), which
 * reports POLLNVAL for each that is not open.
 */
static int
fdp_count_free(void *ctx, int lo, int n)
{
    struct pollfd pf[FDP_ROOM_CHUNK];
    int i, c = 0;

    (void)ctx;
    if (n == 1) {
        if (fcntl(lo, F_GETFD) >= 0)
            return 0;
        return errno == EBADF ? 1 : -1;
    }
    for (i = 0; i < n; i++) {
        pf[i].fd = lo + i;
        pf[i].events = 0;
        pf[i].revents = 0;
    }
    if (poll(pf, (nfds_t)n, 0) < 0) {
        /* poll() refuses more entries than RLIMIT_NOFILE: the limit was
         * lowered below n since it was read.  EMFILE; the next call
         * reads the new limit. */
        return errno == EINVAL ? fdp_fail(EMFILE) : -1;
    }
    for (i = 0; i < n; i++)
        c += (pf[i].revents & POLLNVAL) != 0;
    return c;
}

/*
 * Make sure the descriptor table has room for need more descriptors
 * before a message is read: Linux consumes a message whose descriptors do
 * not all fit, and drops the ones it could not install.  Two system
 * calls when the top slots are free (getrlimit, then fcntl or poll).
 */
FDP_PRIVATE int
fdp_room(size_t need)
{
    int lim;

    if (need == 0)
        return 0;
    lim = fdp_nofile();
    if (lim < 0)
        return -1;
    return fdp_room_decide(lim, need, fdp_count_free, NULL);
}
#endif /* !_WIN32 */

/* 4. The backend: exactly one of the sections below is compiled. */

#if defined(_WIN32)
# include "fdpass-win32.c"
#elif defined(FDPASS_BACKEND_STREAMS)
# include "fdpass-streams.c"
#else /* SCM_RIGHTS */
# include "fdpass-scm.c"
#endif /* backend */

/* 4b. Starting a program with descriptors placed (the POSIX backends). */

#ifndef _WIN32
# include "fdpass-spawn.c" /* be_spawn; Windows has its own */
#endif /* !_WIN32 */

/* 5. The public API: argument checks, then the backend. */

#ifdef FDPASS_FALLBACKS
# define FDP_F_FALLBACKS " fallbacks"
#else
# define FDP_F_FALLBACKS ""
#endif
#if !defined(_WIN32) && !defined(FDPASS_BACKEND_STREAMS)
# ifdef FDP_NEED_CLOEXEC_AFTER
#  define FDP_F_CMSG ""
# else
#  define FDP_F_CMSG " cmsg_cloexec"
# endif
# if defined(FDP_NEED_SO_NOSIGPIPE)
#  define FDP_F_PIPE " so_nosigpipe"
# elif defined(FDP_NEED_SIGPIPE_MASK)
#  define FDP_F_PIPE " sigpipe_mask"
# else
#  define FDP_F_PIPE " nosignal"
# endif
# ifdef FDP_NO_SOCK_CLOEXEC
#  define FDP_F_SOCK ""
# else
#  define FDP_F_SOCK " sock_cloexec"
# endif
# ifdef FDP_HAVE_ACCEPT4
#  define FDP_F_ACCEPT4 " accept4"
# else
#  define FDP_F_ACCEPT4 ""
# endif
# if defined(FDP_PEERCRED_SO) || defined(FDP_PEERCRED_GETPEEREID)
#  define FDP_F_CRED " peer_cred"
# else
#  define FDP_F_CRED ""
# endif
# ifdef FDP_SO_PEERPIDFD
#  define FDP_F_PIDFD " peer_pidfd"
# else
#  define FDP_F_PIDFD ""
# endif
#else
# define FDP_F_CMSG ""
# define FDP_F_PIPE ""
# define FDP_F_SOCK ""
# define FDP_F_ACCEPT4 ""
# define FDP_F_CRED ""
# define FDP_F_PIDFD ""
#endif /* SCM_RIGHTS features */
#ifdef FDP_HAVE_PIPE2
# define FDP_F_PIPE2 " pipe2"
#else
# define FDP_F_PIPE2 ""
#endif
#ifdef FDP_USE_POSIX_SPAWN
# define FDP_F_SPAWN " posix_spawn"
#else
# define FDP_F_SPAWN ""
#endif

const char *
fdpass_features(void)
{
    /* Each piece starts with a space; the first is skipped. */
    static const char words[] = FDP_F_CMSG FDP_F_PIPE FDP_F_SOCK
        FDP_F_ACCEPT4 FDP_F_PIPE2 FDP_F_CRED FDP_F_PIDFD FDP_F_SPAWN
        FDP_F_FALLBACKS;

    return words[0] == ' ' ? words + 1 : words;
}

const char *
fdpass_backend(void)
{
    return BE_NAME;
}

ssize_t
fdpass_send(int sock, const int *fds, size_t nfds, const void *data,
            size_t len)
{
    if (sock < 0)
        return fdp_fail(EBADF);
    if (nfds > FDPASS_MAX)
        return fdp_fail(EMSGSIZE);
    if (nfds > 0 && fds == NULL)
        return fdp_fail(EINVAL);
    if (len > 0 && data == NULL)
        return fdp_fail(EINVAL);
    return be_send(sock, fds, nfds, data, len);
}

int
fdpass_send_fd(int sock, int fd)
{
    /* What fdpass_send checks besides holds for one descriptor. */
    if (sock < 0 || fd < 0)
        return fdp_fail(EBADF);
    return be_send(sock, &fd, 1, NULL, 0) < 0 ? -1 : 0;
}

int
fdpass_send_fd_flags(int sock, int fd, int flags)
{
    static const char v009[2] = { 0, 0 }; /* the 0, then status 0: OK */
    ssize_t r;

    if (sock < 0 || fd < 0)
        return fdp_fail(EBADF);
    if (flags & ~FDPASS_WIRE_009)
        return fdp_fail(EINVAL);
    if (!(flags & FDPASS_WIRE_009))
        return fdpass_send_fd(sock, fd);
    if (BE_FD_BYTES < 2)
        return fdp_fail(ENOSYS);
    /* An AF_UNIX socket takes two bytes whole or not at all; a short
     * count would leave 0.09's receiver half a message, so it is an
     * error, never a success. */
    r = be_send(sock, &fd, 1, v009, 2);
    if (r < 0)
        return -1;
    return r == 2 ? 0 : fdp_fail(EIO);
}

int
fdpass_notify(const char *addr, const void *state, size_t len,
              const int *fds, size_t nfds)
{
    size_t i;

    /* Every argument is checked before the address is looked at, so a
     * mistake shows outside a manager too. */
    if (state == NULL || len == 0 || memchr(state, '\0', len) != NULL)
        return fdp_fail(EINVAL);
    /* systemd reads a notification into 4096 bytes and drops a longer
     * one with a line in its log: refused here, where the caller sees. */
    if (len > FDPASS_NOTIFY_MAX || nfds > FDPASS_MAX)
        return fdp_fail(EMSGSIZE);
    if (nfds > 0 && fds == NULL)
        return fdp_fail(EINVAL);
    /* A descriptor that is not open would fail the send with EBADF too,
     * but only once an address was found good: asked here, the answer
     * is the same with and without a manager. */
    for (i = 0; i < nfds; i++)
        if (fds[i] < 0 || be_getfl(fds[i]) < 0)
            return fdp_fail(EBADF);
    if (addr == NULL || addr[0] == '\0')
        return 0;
    return be_notify(addr, state, len, fds, nfds);
}

/* A name systemd accepts for FDNAME= (and LISTEN_FDNAMES): 1 to 255
 * bytes of printable ASCII other than ':' (fdname_is_valid). */
static int
fdp_notify_name_ok(const char *name, size_t len)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t i;

    if (name == NULL || len < 1 || len > 255)
        return 0;
    for (i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == ':')
            return 0;
    return 1;
}

int
fdpass_fdstore(const char *addr, const char *name, size_t namelen,
               const int *fds, size_t nfds, int flags)
{
    /* The longest message: "FDSTORE=1\nFDNAME=" 255 bytes "\nFDPOLL=0". */
    char state[sizeof("FDSTOREREMOVE=1\nFDNAME=") + 255
               + sizeof("\nFDPOLL=0")];
    const char *head;
    size_t n;

    if (!fdp_notify_name_ok(name, namelen))
        return fdp_fail(EINVAL);
    if (flags & ~(FDPASS_FDSTORE_NOPOLL | FDPASS_FDSTORE_REMOVE))
        return fdp_fail(EINVAL);
    if ((flags & FDPASS_FDSTORE_REMOVE)
        && (nfds > 0 || (flags & FDPASS_FDSTORE_NOPOLL)))
        return fdp_fail(EINVAL);
    head = (flags & FDPASS_FDSTORE_REMOVE) ? "FDSTOREREMOVE=1\nFDNAME="
                                            : "FDSTORE=1\nFDNAME=";
    n = strlen(head);
    memcpy(state, head, n);
    memcpy(state + n, name, namelen);
    n += namelen;
    if (flags & FDPASS_FDSTORE_NOPOLL) {
        memcpy(state + n, "\nFDPOLL=0", sizeof("\nFDPOLL=0") - 1);
        n += sizeof("\nFDPOLL=0") - 1;
    }
    return fdpass_notify(addr, state, n, fds, nfds);
}

int
fdpass_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
            void *buf, size_t buflen, size_t *ret_len, int flags)
{
    if (sock < 0)
        return fdp_fail(EBADF);
    if (maxfds < 1 || maxfds > FDPASS_MAX || fds == NULL || buf == NULL
        || buflen < 1 || ret_nfds == NULL || ret_len == NULL)
        return fdp_fail(EINVAL);
    *ret_nfds = 0;
    *ret_len = 0;
    return be_recv(sock, fds, maxfds, ret_nfds, buf, buflen, ret_len, flags);
}

int
fdpass_recv_fd(int sock, int *ret_fd, int flags)
{
    char bytes[BE_FD_BYTES];
    size_t n = 0, len = 0;
    int r;

    /* What fdpass_recv checks besides holds for these arguments. */
    if (sock < 0)
        return fdp_fail(EBADF);
    if (ret_fd == NULL)
        return fdp_fail(EINVAL);
    /* Up to two bytes where the backend allows (BE_FD_BYTES): 0.09's
     * form, a 0 and a status byte, is taken whole.  A stream read stops
     * right after the message that carried the descriptor, so it never
     * takes a byte of the next one; SEQPACKET keeps messages whole. */
    r = be_recv(sock, ret_fd, 1, &n, bytes, sizeof(bytes), &len,
                flags | FDP_RECV_ONE);
    if (r <= 0)
        return r;
    if (n != 1)
        return fdp_fail(EBADMSG);
    return 1;
}

int
fdpass_socketpair(int ret_fds[2], int flags)
{
    if (ret_fds == NULL)
        return fdp_fail(EINVAL);
    if ((flags & FDPASS_SEQPACKET) && !BE_SEQPACKET)
        return fdp_fail(EPROTONOSUPPORT);
    return be_socketpair(ret_fds, flags);
}

int
fdpass_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    if (path == NULL)
        return fdp_fail(EINVAL);
    if (mode > 07777)
        return fdp_fail(EINVAL);
    /* A Linux abstract name has no node to give a mode to; ignoring the
     * mode would leave the endpoint open to every user. */
    if (mode >= 0 && len > 0 && path[0] == '\0')
        return fdp_fail(EINVAL);
    if ((flags & FDPASS_SEQPACKET) && !BE_SEQPACKET)
        return fdp_fail(EPROTONOSUPPORT);
    return be_listen(path, len, mode, backlog < 1 ? FDPASS_BACKLOG : backlog,
                     flags);
}

int
fdpass_accept(int lsock, fdpass_uid_t *ret_uid, int flags)
{
    if (lsock < 0)
        return fdp_fail(EBADF);
    return be_accept(lsock, ret_uid, flags);
}

int
fdpass_connect(const char *path, size_t len, int flags)
{
    if (path == NULL)
        return fdp_fail(EINVAL);
    if ((flags & FDPASS_SEQPACKET) && !BE_SEQPACKET)
        return fdp_fail(EPROTONOSUPPORT);
    return be_connect(path, len, flags);
}

int
fdpass_peer_cred(int sock, pid_t *ret_pid, fdpass_uid_t *ret_uid,
                 fdpass_gid_t *ret_gid)
{
    if (sock < 0)
        return fdp_fail(EBADF);
    return be_peer_cred(sock, ret_pid, ret_uid, ret_gid);
}

int
fdpass_peer_pidfd(int sock)
{
    if (sock < 0)
        return fdp_fail(EBADF);
    return be_peer_pidfd(sock);
}

int
fdpass_spawn(char *const argv[], char *const envp[],
             const struct fdpass_inherit *fds, size_t nfds,
             const char *dir, int dirfd, int flags, pid_t *ret_pid)
{
    return be_spawn(argv, envp, fds, nfds, dir, dirfd, flags, ret_pid);
}

int
fdpass_set_cloexec(int fd, int on)
{
    return be_set_cloexec(fd, on);
}

int
fdpass_getfl(int fd)
{
    return be_getfl(fd);
}

int
fdpass_is_socket(int fd)
{
    return be_is_socket(fd);
}

int
fdpass_listen_fds(int n)
{
    if (n < 0)
        return fdp_fail(EINVAL);
    /* Such descriptors could not be numbered. */
    if (n > INT_MAX - FDPASS_LISTEN_FDS_START)
        return fdp_fail(EBADF);
    return be_listen_fds(n);
}

int
fdpass_take_listeners(const int *fds, size_t n)
{
    int *sorted;
    size_t i;
    int r, e;

    if (n == 0)
        return 0;
    if (fds == NULL)
        return fdp_fail(EINVAL);
    for (i = 0; i < n; i++)
        if (fds[i] < 0)
            return fdp_fail(EBADF);
    if (n > (size_t)-1 / sizeof(int) || (sorted = malloc(n * sizeof(int))) == NULL)
        return fdp_fail(ENOMEM);
    memcpy(sorted, fds, n * sizeof(int));
    r = be_take_listeners(fds, sorted, n);
    e = errno;
    free(sorted);
    errno = e;
    return r;
}

int
fdpass_pidfd_id_self(unsigned long long *id)
{
#ifdef FDP_HAVE_PIDFD_ID
    struct statfs sf;
    struct stat st;
    int fd, r = -1, e;

    if (id == NULL)
        return fdp_fail(EINVAL);
    /* pidfd_open sets close-on-exec itself. */
    if ((fd = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
        return -1;
    if (fstatfs(fd, &sf) == 0 && fstat(fd, &st) == 0) {
        if ((unsigned long)sf.f_type == FDP_PIDFS_MAGIC) {
            *id = (unsigned long long)st.st_ino;
            r = 0;
        } else {
            errno = ENOSYS; /* an anonymous inode, the same for all */
        }
    }
    e = errno;
    (void)close(fd);
    errno = e;
    return r;
#else
    (void)id;
    return fdp_fail(ENOSYS);
#endif /* FDP_HAVE_PIDFD_ID */
}

int
fdpass_fd_kind(int fd)
{
    if (fd < 0)
        return fdp_fail(EBADF);
    return be_fd_kind(fd);
}

int
fdpass_fopen_mode(int fd, const char **ret_mode)
{
    int fl = be_getfl(fd);

    if (fl < 0)
        return -1;
    /* Windows reports every descriptor as _O_RDWR: "w+". */
    switch (fl & O_ACCMODE) {
    case O_RDONLY:
        *ret_mode = "r";
        break;
    case O_WRONLY:
        *ret_mode = (fl & O_APPEND) ? "a" : "w";
        break;
    default:
        *ret_mode = (fl & O_APPEND) ? "a+" : "w+";
        break;
    }
    return 0;
}
