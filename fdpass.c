/*
 * fdpass.c - the C core of File::FDpasser: passing open file descriptors
 * between processes.  See fdpass.h for the API and its errno contract.
 *
 * Layout: feature-test macros and includes; one portability block; the
 * helpers every backend shares; exactly one backend (Windows, SysV
 * STREAMS or SCM_RIGHTS), each defining the same static be_* set; the
 * public fdpass_* functions, which check arguments and call be_*.
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
 * the socket instead (fdp_nosigpipe below).  Where neither exists,
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

/* 64-bit Linux keeps the older getrlimit system call beside prlimit64,
 * which glibc's getrlimit() makes; the older one costs less than half as
 * much, and the receive path asks for RLIMIT_NOFILE on every message
 * (fdp_nofile below).  Its struct is two unsigned longs, rlim_t's size
 * only where long is 64 bits. */
#if defined(__linux__) && defined(__LP64__) && !defined(FDPASS_FALLBACKS)
# include <sys/syscall.h>
# ifdef SYS_getrlimit
#  define FDP_HAVE_SYS_GETRLIMIT 1
# endif
#endif /* SYS_getrlimit */

/* The peer's credentials: SO_PEERCRED on Linux, getpeereid on macOS and
 * the BSDs; elsewhere peer_cred fails with ENOSYS. */
#if defined(SO_PEERCRED) && defined(__linux__)
# define FDP_PEERCRED_SO 1
#elif (defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) \
       || defined(__NetBSD__) || defined(__DragonFly__)) \
    && !defined(FDPASS_FALLBACKS)
# define FDP_PEERCRED_GETPEEREID 1
#endif /* peer credentials */

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
int
fdpass_set_cloexec(int fd, int on)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl < 0)
        return -1;
    if (!!(fl & FD_CLOEXEC) == !!on)
        return 0;
    return fcntl(fd, F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
}

int
fdpass_getfl(int fd)
{
    return fcntl(fd, F_GETFL);
}

int
fdpass_is_socket(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -1;
    return S_ISSOCK(st.st_mode) ? 1 : 0;
}

int
fdpass_fopen_mode(int fd, const char **ret_mode)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return -1;
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
#ifdef FDP_HAVE_SYS_GETRLIMIT
    struct { unsigned long cur, max; } kl;

    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &kl) == 0)
        return kl.cur > (unsigned long)INT_MAX ? INT_MAX : (int)kl.cur;
#endif
    {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -1;
        return (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
               ? INT_MAX : (int)rl.rlim_cur;
    }
}

/* The most slots the room check looks at in one poll(); its pollfd array
 * is on the stack.  At least FDPASS_MAX, so one poll() answers for the
 * top slots of any message. */
#define FDP_ROOM_CHUNK 256

/* How many of the n slots from lo are free (n >= 1, 0 <= lo, lo + n at
 * most the limit), or -1 with errno. */
typedef int (*fdp_count_free_fn)(void *ctx, int lo, int n);

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
static int
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
static int
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

/* be_recv's flag from fdpass_recv_fd, above every public flag: one
 * descriptor and one byte are wanted, so bytes without a descriptor are
 * EBADMSG however many they are. */
#define FDP_RECV_ONE 0x40000000

/* A fuzzing build counts closes instead of making them. */
#ifndef FDP_CLOSE
# define FDP_CLOSE close
#endif /* !FDP_CLOSE */

#if !defined(_WIN32) && !defined(FDPASS_BACKEND_STREAMS)
/* The receive side's control buffer for n descriptors: the descriptors
 * asked for, plus credentials and a pidfd that a socket with SO_PASSCRED
 * or SO_PASSPIDFD also gets; FDP_CONTROL_SIZE for the most. */
#define FDP_CONTROL_LEN(n) (CMSG_SPACE((n) * sizeof(int)) \
                            + CMSG_SPACE(64) + CMSG_SPACE(sizeof(int)))
#define FDP_CONTROL_SIZE FDP_CONTROL_LEN(FDPASS_MAX)

/* What the walk found: a descriptor, and whether it came as SCM_RIGHTS. */
struct fdp_found {
    int fd;
    int rights;
};

/*
 * Walk the control messages of a received message, a pure function: it
 * reads only inside msg_control/msg_controllen, touches nothing else, and
 * reports in found[] (room for cap entries) every descriptor the kernel
 * put there, in order: those of SCM_RIGHTS messages and those of
 * SCM_PIDFD.  Credentials and anything unknown are skipped.  Returns how
 * many were found; more than cap means found[] holds only the first cap.
 */
static size_t
fdp_walk(const struct msghdr *msg, struct fdp_found *found, size_t cap)
{
    /* Offsets rather than CMSG_NXTHDR: glibc's CMSG_NXTHDR adds the next
     * header's length to a pointer before it checks it, which overflows
     * on a hostile length (found by t/fuzz/cmsg_fuzz.c). */
    const unsigned char *base = (const unsigned char *)msg->msg_control;
    size_t len = base != NULL ? (size_t)msg->msg_controllen : 0;
    size_t off = 0, n = 0, i, cnt, step;
    struct cmsghdr h;
    int fd;

    while (len - off >= sizeof(struct cmsghdr)) {
        memcpy(&h, base + off, sizeof(h));
        if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > len - off)
            break; /* a length that runs past the buffer ends the walk */
        if (h.cmsg_level == SOL_SOCKET
            && (h.cmsg_type == SCM_RIGHTS
#ifdef SCM_PIDFD
                || h.cmsg_type == SCM_PIDFD
#endif
                )) {
            cnt = (h.cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (i = 0; i < cnt; i++, n++) {
                if (n >= cap)
                    continue;
                memcpy(&fd, base + off + CMSG_LEN(0) + i * sizeof(int),
                       sizeof(int));
                found[n].fd = fd;
                found[n].rights = h.cmsg_type == SCM_RIGHTS;
            }
        }
        step = CMSG_ALIGN(h.cmsg_len);
        if (step > len - off)
            break;
        off += step;
    }
    return n;
}

/*
 * Keep up to maxfds SCM_RIGHTS descriptors of a received message in fds
 * and close every other descriptor that arrived.  More than maxfds, or
 * control data the kernel truncated (MSG_CTRUNC), closes them all and
 * fails: with EMSGSIZE when the message carried more than maxfds (more
 * than maxfds arrived, or maxfds and a truncation), else with EMFILE.
 * be_recv's buffer holds maxfds descriptors beside credentials and a
 * pidfd with room to spare, so a truncation with fewer than maxfds is not
 * the buffer's doing: the kernel could not install the rest, because the
 * table filled between the room check and the read (Linux then drops
 * them and sets MSG_CTRUNC).  That message is gone.
 */
static int
fdp_collect(struct msghdr *msg, int *fds, size_t maxfds, size_t *ret_nfds)
{
    /* Room for every int the control buffer can hold. */
    struct fdp_found found[FDP_CONTROL_SIZE / sizeof(int) + 1];
    size_t cap = sizeof(found) / sizeof(found[0]);
    size_t n, i, kept = 0, rights = 0;
    int saved = errno;

    if (msg->msg_controllen > FDP_CONTROL_SIZE)
        return fdp_fail(EINVAL); /* not a buffer of be_recv's */
    /* The usual message, one SCM_RIGHTS header that fills the control
     * data with no room for another, and no more descriptors than are
     * wanted, needs no walk: its descriptors are copied as they are.  One
     * descriptor, the commonest, is matched on constants first. */
    if (msg->msg_controllen >= CMSG_LEN(sizeof(int))
        && !(msg->msg_flags & MSG_CTRUNC)) {
        struct cmsghdr h;
        const unsigned char *data
            = CMSG_DATA((struct cmsghdr *)msg->msg_control);

        memcpy(&h, msg->msg_control, sizeof(h));
        if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
            if (h.cmsg_len == CMSG_LEN(sizeof(int))
                && msg->msg_controllen == CMSG_SPACE(sizeof(int))
                && maxfds >= 1) {
                memcpy(fds, data, sizeof(int));
                *ret_nfds = 1;
                return 0;
            }
            n = (h.cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (h.cmsg_len >= CMSG_LEN(sizeof(int))
                && CMSG_ALIGN(h.cmsg_len) == msg->msg_controllen
                && n <= maxfds) {
                memcpy(fds, data, n * sizeof(int));
                *ret_nfds = n;
                return 0;
            }
        }
    }
    n = fdp_walk(msg, found, cap);
    for (i = 0; i < n; i++)
        rights += (size_t)found[i].rights;
    if (rights > maxfds || (msg->msg_flags & MSG_CTRUNC)) {
        for (i = 0; i < n; i++)
            (void)FDP_CLOSE(found[i].fd);
        *ret_nfds = 0;
        return fdp_fail(rights >= maxfds ? EMSGSIZE : EMFILE);
    }
    for (i = 0; i < n; i++) {
        if (found[i].rights)
            fds[kept++] = found[i].fd;
        else
            (void)FDP_CLOSE(found[i].fd);
    }
    errno = saved;
    *ret_nfds = kept;
    return 0;
}
#endif /* !_WIN32 && !FDPASS_BACKEND_STREAMS */

/* 4. The backend: exactly one of the sections below is compiled. */

#if defined(_WIN32)
/* ---------------------------------------------------------------------
 * Windows: a descriptor is a C runtime descriptor over a HANDLE or a
 * SOCKET, and the connection is a connected TCP socket (spipe makes a
 * loopback pair).  Windows cannot queue a handle in a socket, so every
 * message that carries descriptors is an exchange:
 *
 *   sender   OFFER   count, data length, data
 *   receiver WANT    its process id; or "refused" (more descriptors
 *                    than it takes: EMSGSIZE) or "later" (its table is
 *                    full: EMFILE; the sender offers again)
 *   sender   HANDLES each handle duplicated into the receiver with
 *                    DuplicateHandle, each socket as the
 *                    WSAPROTOCOL_INFOW of WSADuplicateSocket
 *   receiver ACK     it owns them now
 *
 * A sender that gets no ACK (the receiver died or closed the connection)
 * closes the handles it pushed (DuplicateHandle with
 * DUPLICATE_CLOSE_SOURCE on the receiver), so nothing stays behind in a
 * live receiver.  A socket duplicate cannot be taken back that way; it
 * lives until the receiving process ends.  A message without descriptors
 * is an OFFER alone.  So send returns only once the receiver has received:
 * sending and receiving in one thread of one process cannot work here.
 *
 * Every frame starts with 16 bytes: "Fdp1", then type, a, b as 32-bit
 * little-endian numbers; an entry of HANDLES is kind (1 handle, 2 socket),
 * length of what follows it, and a 64-bit handle value, then that many
 * bytes.  So 32- and 64-bit processes understand each other.
 */

#define BE_NAME "win32"
#define BE_SEQPACKET 0 /* no SOCK_SEQPACKET for a connected pair here */

#define FDP_W_HDR      16
#define FDP_W_ENTRY    16
#define FDP_W_OFFER    1u
#define FDP_W_WANT     2u
#define FDP_W_HANDLES  3u
#define FDP_W_ACK      4u
#define FDP_W_TAKE     0u /* WANT: a = pid */
#define FDP_W_REFUSE   1u /* WANT: too many descriptors */
#define FDP_W_LATER    2u /* WANT: no room now, offer again */
#define FDP_W_FAILED   0xffffffffu /* HANDLES: a; b = the sender's errno */
#define FDP_W_HANDLE   1u
#define FDP_W_SOCKET   2u

/* Winsock must be started once per process before the first socket call;
 * INIT_ONCE makes that safe from any thread and is written only by it. */
static INIT_ONCE fdp_w_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK
fdp_w_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    WSADATA wd;

    (void)once;
    (void)param;
    (void)ctx;
    return WSAStartup(MAKEWORD(2, 2), &wd) == 0;
}

static int
fdp_w_startup(void)
{
    if (!InitOnceExecuteOnce(&fdp_w_once, fdp_w_start, NULL, NULL))
        return fdp_fail(ENETDOWN);
    return 0;
}

/* GetLastError() or WSAGetLastError() as errno, at the point of return. */
static int
fdp_w_fail(DWORD e)
{
    switch (e) {
    case WSAEWOULDBLOCK:
        return fdp_fail(EAGAIN);
    case WSAEINTR:
        return fdp_fail(EINTR);
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAESHUTDOWN:
    case WSAENOTCONN:
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
        return fdp_fail(EPIPE);
    case WSAENOTSOCK:
        return fdp_fail(ENOTSOCK);
    case WSAEMSGSIZE:
        return fdp_fail(EMSGSIZE);
    case WSAEMFILE:
    case ERROR_TOO_MANY_OPEN_FILES:
        return fdp_fail(EMFILE);
    case WSAENOBUFS:
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return fdp_fail(ENOMEM);
    case WSAEACCES:
    case ERROR_ACCESS_DENIED:
        return fdp_fail(EACCES);
    case WSAEBADF:
    case ERROR_INVALID_HANDLE:
        return fdp_fail(EBADF);
    case WSAECONNREFUSED:
        return fdp_fail(ECONNREFUSED);
    case WSAEADDRINUSE:
        return fdp_fail(EADDRINUSE);
    case WSANOTINITIALISED:
    case WSAENETDOWN:
        return fdp_fail(ENETDOWN);
    default:
        return fdp_fail(EIO);
    }
}

static void
fdp_w_put32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
    p[2] = (unsigned char)((v >> 16) & 0xff);
    p[3] = (unsigned char)((v >> 24) & 0xff);
}

static unsigned long
fdp_w_get32(const unsigned char *p)
{
    return (unsigned long)p[0] | ((unsigned long)p[1] << 8)
           | ((unsigned long)p[2] << 16) | ((unsigned long)p[3] << 24);
}

static void
fdp_w_header(unsigned char *p, unsigned long type, unsigned long a,
             unsigned long b)
{
    memcpy(p, "Fdp1", 4);
    fdp_w_put32(p + 4, type);
    fdp_w_put32(p + 8, a);
    fdp_w_put32(p + 12, b);
}

/* The handle behind a C runtime descriptor, or -1 and EBADF (-2 is the
 * runtime's answer for a descriptor with no handle). */
static intptr_t
fdp_w_osf(int fd)
{
    intptr_t h = _get_osfhandle(fd);

    if (h == (intptr_t)INVALID_HANDLE_VALUE || h == -2)
        return fdp_fail(EBADF);
    return h;
}

/* The SOCKET behind a C runtime descriptor: EBADF, or ENOTSOCK. */
static int
fdp_w_sock(int fd, SOCKET *ret)
{
    intptr_t h = fdp_w_osf(fd);
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    if (h < 0)
        return -1;
    if (fdp_w_startup() < 0)
        return -1;
    /* getsockname rather than getsockopt: wine answers getsockopt with
     * WSAENOTSOCK for an inherited socket.  An unbound socket fails with
     * WSAEINVAL, which still says "socket"; anything else (WSAENOTSOCK,
     * or wine's WSAEOPNOTSUPP for a file) says it is not one. */
    if (GetFileType((HANDLE)h) != FILE_TYPE_PIPE
        || (getsockname((SOCKET)h, (struct sockaddr *)&ss, &len) != 0
            && WSAGetLastError() != WSAEINVAL))
        return fdp_fail(ENOTSOCK);
    *ret = (SOCKET)h;
    return 0;
}

/* Wait until s is readable (or writable), for the rest of an exchange. */
static void
fdp_w_wait(SOCKET s, int write)
{
    fd_set set;

    FD_ZERO(&set);
    FD_SET(s, &set);
    (void)select(0, write ? NULL : &set, write ? &set : NULL, NULL, NULL);
}

/*
 * Send all of out, or receive exactly len bytes into in.  begun says the
 * exchange has started: then a non-blocking socket is waited on rather
 * than left half done; before that, EAGAIN is returned as such.  Returns
 * 1, or 0 when the stream ended before the first byte of a frame that had
 * not begun; an end in the middle is EPIPE.
 */
static int
fdp_w_xfer(SOCKET s, const char *out, char *in, size_t len, int begun)
{
    int r, e, n;

    while (len > 0) {
        n = len > INT_MAX ? INT_MAX : (int)len;
        r = out != NULL ? send(s, out, n, 0) : recv(s, in, n, 0);
        if (r == 0 && out == NULL)
            return begun ? fdp_fail(EPIPE) : 0;
        if (r == SOCKET_ERROR) {
            e = WSAGetLastError();
            if ((e == WSAEWOULDBLOCK && begun) || e == WSAEINTR) {
                if (e == WSAEWOULDBLOCK)
                    fdp_w_wait(s, out != NULL);
                continue;
            }
            return fdp_w_fail((DWORD)e);
        }
        if (out != NULL)
            out += r;
        else
            in += r;
        len -= (size_t)r;
        begun = 1;
    }
    return 1;
}

static int
fdp_w_sendall(SOCKET s, const void *buf, size_t len, int begun)
{
    return fdp_w_xfer(s, (const char *)buf, NULL, len, begun);
}

static int
fdp_w_recvall(SOCKET s, void *buf, size_t len, int begun)
{
    return fdp_w_xfer(s, NULL, (char *)buf, len, begun);
}

/* Read a frame header of the given type into a and b. */
static int
fdp_w_expect(SOCKET s, unsigned long type, unsigned long *a,
             unsigned long *b, int begun)
{
    unsigned char h[FDP_W_HDR];
    int r = fdp_w_recvall(s, h, sizeof(h), begun);

    if (r <= 0)
        return r;
    if (memcmp(h, "Fdp1", 4) != 0 || fdp_w_get32(h + 4) != type)
        return fdp_fail(EBADMSG);
    *a = fdp_w_get32(h + 8);
    *b = fdp_w_get32(h + 12);
    return 1;
}

/* Is fd a socket?  1, 0, or -1 and EBADF. */
int
fdpass_is_socket(int fd)
{
    SOCKET s;

    if (fdp_w_sock(fd, &s) == 0)
        return 1;
    return errno == ENOTSOCK ? 0 : -1;
}

int
fdpass_set_cloexec(int fd, int on)
{
    intptr_t h = fdp_w_osf(fd);

    if (h < 0)
        return -1;
    /* Not inherited by programs started later: Windows's close-on-exec. */
    if (!SetHandleInformation((HANDLE)h, HANDLE_FLAG_INHERIT,
                              on ? 0 : HANDLE_FLAG_INHERIT))
        return fdp_w_fail(GetLastError());
    return 0;
}

int
fdpass_getfl(int fd)
{
    if (fdp_w_osf(fd) < 0)
        return -1;
    return _O_RDWR; /* a handle's access cannot be asked for */
}

int
fdpass_fopen_mode(int fd, const char **ret_mode)
{
    if (fdpass_getfl(fd) < 0)
        return -1;
    *ret_mode = "w+";
    return 0;
}

/* Take back what was pushed into proc for a receiver that never
 * acknowledged. */
static void
fdp_w_revoke(HANDLE proc, const unsigned long long *pushed, size_t n)
{
    HANDLE back;
    size_t i;

    /* Brought back here and closed: a NULL target process, the shorter
     * form, is refused by wine. */
    for (i = 0; i < n; i++)
        if (pushed[i] != 0
            && DuplicateHandle(proc, (HANDLE)(uintptr_t)pushed[i],
                               GetCurrentProcess(), &back, 0, FALSE,
                               DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS))
            CloseHandle(back);
}

static ssize_t
be_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    static const char zero = 0;
    unsigned char hdr[FDP_W_HDR];
    unsigned long long pushed[FDPASS_MAX];
    unsigned char kind[FDPASS_MAX];
    intptr_t h[FDPASS_MAX];
    unsigned char *frame, *p;
    size_t i, size;
    unsigned long a, b;
    HANDLE proc;
    SOCKET s;
    int r, e;

    if (fdp_w_sock(sock, &s) < 0)
        return -1;
    e = errno;
    for (i = 0; i < nfds; i++) {
        SOCKET t;

        if ((h[i] = fdp_w_osf(fds[i])) < 0)
            return -1;
        kind[i] = fdp_w_sock(fds[i], &t) == 0 ? FDP_W_SOCKET : FDP_W_HANDLE;
    }
    errno = e; /* asking left ENOTSOCK */
    if (len == 0) {
        data = &zero;
        len = 1;
    }
    if (len > 0xffffffffu)
        return fdp_fail(EMSGSIZE);
    fdp_w_header(hdr, FDP_W_OFFER, (unsigned long)nfds, (unsigned long)len);
    if (fdp_w_sendall(s, hdr, sizeof(hdr), 0) < 0)
        return -1;
    for (;;) {
        if (fdp_w_sendall(s, data, len, 1) < 0)
            return -1;
        if (nfds == 0)
            return (ssize_t)len;
        r = fdp_w_expect(s, FDP_W_WANT, &a, &b, 1);
        if (r <= 0)
            return r == 0 ? fdp_fail(EPIPE) : -1;
        if (b == FDP_W_REFUSE) /* the receiver fails with EMSGSIZE */
            return (ssize_t)len;
        if (b != FDP_W_LATER)
            break;
        /* The receiver's table is full: offer again, and wait. */
        if (fdp_w_sendall(s, hdr, sizeof(hdr), 1) < 0)
            return -1;
    }
    if (b != FDP_W_TAKE)
        return fdp_fail(EBADMSG);

    size = FDP_W_HDR + nfds * FDP_W_ENTRY;
    for (i = 0; i < nfds; i++)
        if (kind[i] == FDP_W_SOCKET)
            size += sizeof(WSAPROTOCOL_INFOW);
    frame = (unsigned char *)malloc(size);
    proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)a);
    e = frame == NULL ? ENOMEM : 0;
    if (e == 0 && proc == NULL) {
        fdp_w_fail(GetLastError());
        e = errno;
    }
    memset(pushed, 0, sizeof(pushed));
    p = frame + FDP_W_HDR;
    for (i = 0; i < nfds && e == 0; i++) {
        HANDLE dup = NULL;

        fdp_w_put32(p, kind[i]);
        if (kind[i] == FDP_W_SOCKET) {
            WSAPROTOCOL_INFOW info;

            if (WSADuplicateSocketW((SOCKET)h[i], (DWORD)a, &info) != 0) {
                fdp_w_fail((DWORD)WSAGetLastError());
                e = errno;
                break;
            }
            fdp_w_put32(p + 4, sizeof(info));
            memset(p + 8, 0, 8);
            memcpy(p + FDP_W_ENTRY, &info, sizeof(info));
            p += FDP_W_ENTRY + sizeof(info);
        } else {
            if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)h[i], proc,
                                 &dup, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
                fdp_w_fail(GetLastError());
                e = errno;
                break;
            }
            pushed[i] = (unsigned long long)(uintptr_t)dup;
            fdp_w_put32(p + 4, 0);
            fdp_w_put32(p + 8, (unsigned long)(pushed[i] & 0xffffffffu));
            fdp_w_put32(p + 12, (unsigned long)(pushed[i] >> 32));
            p += FDP_W_ENTRY;
        }
    }
    if (e != 0) {
        /* Tell the receiver, which is waiting, and take back what went. */
        if (proc != NULL)
            fdp_w_revoke(proc, pushed, nfds);
        fdp_w_header(hdr, FDP_W_HANDLES, FDP_W_FAILED, (unsigned long)e);
        (void)fdp_w_sendall(s, hdr, sizeof(hdr), 1);
        if (proc != NULL)
            CloseHandle(proc);
        free(frame);
        return fdp_fail(e);
    }
    fdp_w_header(frame, FDP_W_HANDLES, (unsigned long)nfds, 0);
    r = fdp_w_sendall(s, frame, (size_t)(p - frame), 1);
    free(frame);
    if (r > 0)
        r = fdp_w_expect(s, FDP_W_ACK, &a, &b, 1);
    if (r <= 0) {
        /* No ACK: the receiver is gone or closed the connection. */
        e = r == 0 ? EPIPE : errno;
        fdp_w_revoke(proc, pushed, nfds);
        CloseHandle(proc);
        return fdp_fail(e == EBADMSG ? EBADMSG : EPIPE);
    }
    CloseHandle(proc);
    return (ssize_t)len;
}

/* Can this process's descriptor table take n more?  Slots are taken on
 * the NUL device and given back.  be_recv asks once the OFFER is in, so
 * room is judged when the message is there; the C runtime has no way to
 * count free slots without taking them, and these are made not
 * inheritable (_O_NOINHERIT), and Windows has no fork, so no child sees
 * them. */
static int
fdp_w_room(size_t n)
{
    int got[FDPASS_MAX];
    size_t i, k;
    int e = 0;

    for (k = 0; k < n; k++) {
        got[k] = _open("NUL", _O_RDONLY | _O_NOINHERIT);
        if (got[k] < 0) {
            /* A full table is EMFILE here as everywhere (wine's C
             * runtime says ENFILE). */
            e = errno == ENFILE ? EMFILE : errno;
            break;
        }
    }
    for (i = 0; i < k; i++)
        _close(got[i]);
    return e == 0 ? 0 : fdp_fail(e);
}

/* A descriptor over the handle or socket h, inheritable or not; h is
 * closed when that fails. */
static int
fdp_w_fd(intptr_t h, int socket, int flags)
{
    int fd, e;

    if (!SetHandleInformation((HANDLE)h, HANDLE_FLAG_INHERIT,
                              (flags & FDPASS_CLOEXEC) ? 0
                                                       : HANDLE_FLAG_INHERIT)) {
        (void)fdp_w_fail(GetLastError());
        fd = -1;
    } else {
        fd = _open_osfhandle(h, _O_BINARY);
    }
    if (fd < 0) {
        e = errno;
        if (socket)
            closesocket((SOCKET)h);
        else
            CloseHandle((HANDLE)h);
        return fdp_fail(e);
    }
    return fd;
}

/* Turn one entry of HANDLES into a descriptor; -1 with errno (the entry
 * is closed then). */
static int
fdp_w_adopt(unsigned long kind, unsigned long long value,
            const WSAPROTOCOL_INFOW *info, int flags)
{
    SOCKET t;

    if (kind != FDP_W_SOCKET)
        return fdp_w_fd((intptr_t)(uintptr_t)value, 0, flags);
    t = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                   (LPWSAPROTOCOL_INFOW)info, 0, WSA_FLAG_OVERLAPPED);
    if (t == INVALID_SOCKET)
        return fdp_w_fail((DWORD)WSAGetLastError());
    return fdp_w_fd((intptr_t)t, 1, flags);
}

static int
be_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
        void *buf, size_t buflen, size_t *ret_len, int flags)
{
    unsigned char hdr[FDP_W_HDR], ent[FDP_W_ENTRY], kinds[FDPASS_MAX];
    unsigned long long vals[FDPASS_MAX];
    int out[FDPASS_MAX];
    char scrap[512];
    unsigned long nfds, dlen, a, b, elen;
    size_t got, left, i;
    WSAPROTOCOL_INFOW info;
    SOCKET s;
    int r, e = 0;

    if (fdp_w_sock(sock, &s) < 0)
        return -1;
    r = fdp_w_expect(s, FDP_W_OFFER, &nfds, &dlen, 0);
    if (r <= 0)
        return r; /* 0: end of stream */
    if (nfds > FDPASS_MAX)
        return fdp_fail(EBADMSG);
    got = dlen < buflen ? dlen : buflen;
    if (fdp_w_recvall(s, buf, got, 1) < 0)
        return -1;
    /* Data beyond buflen belongs to this message: it is read and dropped. */
    for (left = dlen - got; left > 0; left -= got) {
        got = left < sizeof(scrap) ? left : sizeof(scrap);
        if (fdp_w_recvall(s, scrap, got, 1) < 0)
            return -1;
    }
    *ret_len = dlen < buflen ? dlen : buflen;
    if (nfds == 0)
        return 1;
    if (nfds > maxfds) {
        fdp_w_header(hdr, FDP_W_WANT, 0, FDP_W_REFUSE);
        if (fdp_w_sendall(s, hdr, sizeof(hdr), 1) < 0)
            return -1;
        return fdp_fail(EMSGSIZE);
    }
    if (fdp_w_room(nfds) < 0) {
        e = errno;
        fdp_w_header(hdr, FDP_W_WANT, 0, FDP_W_LATER);
        if (fdp_w_sendall(s, hdr, sizeof(hdr), 1) < 0)
            return -1;
        return fdp_fail(e); /* offered again; the next call gets it */
    }
    fdp_w_header(hdr, FDP_W_WANT, (unsigned long)GetCurrentProcessId(),
                 FDP_W_TAKE);
    if (fdp_w_sendall(s, hdr, sizeof(hdr), 1) < 0)
        return -1;
    r = fdp_w_expect(s, FDP_W_HANDLES, &a, &b, 1);
    if (r <= 0)
        return r == 0 ? fdp_fail(EPIPE) : -1;
    if (a == FDP_W_FAILED)
        return fdp_fail(b > 0 && b < 0x10000 ? (int)b : EIO);
    if (a != nfds)
        return fdp_fail(EBADMSG);
    /*
     * Sockets are made as their entries arrive (the sender cannot take
     * them back).  Handles are adopted only once the whole frame is in: if
     * it breaks off, the sender, getting no ACK, takes them back, and a
     * handle closed here could by then be another one of ours.
     */
    for (i = 0; i < nfds; i++) {
        out[i] = -1;
        vals[i] = 0;
        if (fdp_w_recvall(s, ent, sizeof(ent), 1) <= 0)
            break;
        kinds[i] = (unsigned char)fdp_w_get32(ent);
        elen = fdp_w_get32(ent + 4);
        vals[i] = (unsigned long long)fdp_w_get32(ent + 8)
                  | ((unsigned long long)fdp_w_get32(ent + 12) << 32);
        if (kinds[i] == FDP_W_SOCKET && elen == sizeof(info)) {
            if (fdp_w_recvall(s, &info, sizeof(info), 1) <= 0)
                break;
            out[i] = fdp_w_adopt(FDP_W_SOCKET, 0, &info,
                                 e == 0 ? flags : FDPASS_CLOEXEC);
            if (out[i] < 0 && e == 0)
                e = errno;
        } else if (kinds[i] != FDP_W_HANDLE || elen != 0) {
            errno = EBADMSG;
            break;
        }
    }
    if (i < nfds) {
        /* The exchange broke: no ACK, so the sender takes back the
         * handles; the sockets made here are closed. */
        e = errno;
        fdpass_close_all(out, i + 1);
        return fdp_fail(e);
    }
    for (i = 0; i < nfds; i++) {
        if (kinds[i] != FDP_W_HANDLE)
            continue;
        if (e != 0) { /* after a failure the rest are only closed */
            CloseHandle((HANDLE)(uintptr_t)vals[i]);
            continue;
        }
        out[i] = fdp_w_adopt(FDP_W_HANDLE, vals[i], NULL, flags);
        if (out[i] < 0)
            e = errno;
    }
    fdp_w_header(hdr, FDP_W_ACK, 0, 0);
    if (fdp_w_sendall(s, hdr, sizeof(hdr), 1) < 0 && e == 0)
        e = errno;
    if (e != 0) {
        fdpass_close_all(out, nfds);
        return fdp_fail(e);
    }
    memcpy(fds, out, nfds * sizeof(int));
    *ret_nfds = nfds;
    return 1;
}

static SOCKET
fdp_w_tcp(void)
{
    return WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

static int
be_socketpair(int ret_fds[2], int flags)
{
    struct sockaddr_in addr, mine, peer;
    SOCKET l, c = INVALID_SOCKET, a = INVALID_SOCKET;
    int alen, tries, one = 1;
    DWORD e = 0;

    if (fdp_w_startup() < 0)
        return -1;
    l = fdp_w_tcp();
    if (l == INVALID_SOCKET)
        return fdp_w_fail((DWORD)WSAGetLastError());
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = (int)sizeof(addr);
    if (setsockopt(l, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&one,
                   sizeof(one)) != 0
        || bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0
        || getsockname(l, (struct sockaddr *)&addr, &alen) != 0
        || listen(l, 1) != 0
        || (c = fdp_w_tcp()) == INVALID_SOCKET
        || connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        e = (DWORD)WSAGetLastError();
    } else {
        alen = (int)sizeof(mine);
        if (getsockname(c, (struct sockaddr *)&mine, &alen) != 0)
            e = (DWORD)WSAGetLastError();
        /* Only our own connect is taken, not another process's. */
        for (tries = 0; e == 0 && tries < 16; tries++) {
            alen = (int)sizeof(peer);
            a = accept(l, (struct sockaddr *)&peer, &alen);
            if (a == INVALID_SOCKET) {
                e = (DWORD)WSAGetLastError();
                break;
            }
            if (peer.sin_port == mine.sin_port
                && peer.sin_addr.s_addr == mine.sin_addr.s_addr)
                break;
            closesocket(a);
            a = INVALID_SOCKET;
        }
        if (e == 0 && a == INVALID_SOCKET)
            e = WSAECONNREFUSED;
    }
    closesocket(l);
    if (e != 0) {
        if (c != INVALID_SOCKET)
            closesocket(c);
        return fdp_w_fail(e);
    }
    ret_fds[0] = fdp_w_fd((intptr_t)a, 1, flags);
    if (ret_fds[0] < 0) {
        int saved = errno;

        closesocket(c);
        return fdp_fail(saved);
    }
    ret_fds[1] = fdp_w_fd((intptr_t)c, 1, flags);
    if (ret_fds[1] < 0)
        return fdp_close_fail(ret_fds[0]);
    return 0;
}

/* Named endpoints and peer credentials have no Windows form here. */
static int
be_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    (void)path; (void)len; (void)mode; (void)backlog; (void)flags;
    return fdp_fail(ENOSYS);
}

static int
be_accept(int lsock, uid_t *ret_uid, int flags)
{
    (void)lsock; (void)ret_uid; (void)flags;
    return fdp_fail(ENOSYS);
}

static int
be_connect(const char *path, size_t len, int flags)
{
    (void)path; (void)len; (void)flags;
    return fdp_fail(ENOSYS);
}

static int
be_peer_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
    (void)sock; (void)ret_pid; (void)ret_uid; (void)ret_gid;
    return fdp_fail(ENOSYS);
}

#elif defined(FDPASS_BACKEND_STREAMS)
/* ---------------------------------------------------------------------
 * SysV STREAMS pipes (Solaris, illumos, other SVR4 systems): descriptors
 * go one per M_PASSFP message with ioctl(I_SENDFD) and come back with
 * ioctl(I_RECVFD); a message is its descriptors followed by its data
 * (one byte 0 when there is none), written with write().  The receiver
 * takes descriptors until I_RECVFD finds data at the head of the stream
 * (EBADMSG), then reads the data, which stops at the next M_PASSFP.
 * Endpoints are pipe ends with connld pushed, fattach()ed to a path: each
 * open() of the path makes a new pipe whose other end the server gets
 * with I_RECVFD, with the client's uid.
 */

#define BE_NAME "streams"
#define BE_SEQPACKET 0 /* a STREAMS pipe has no SEQPACKET kind */

/* Wait on a non-blocking stream for the rest of a message that has
 * begun: a message is never left half sent or half read. */
static void
fdp_wait(int sock, short events)
{
    struct pollfd pf;

    pf.fd = sock;
    pf.events = events;
    pf.revents = 0;
    (void)poll(&pf, 1, -1);
}

/* Send one descriptor; EINTR is retried once the message has begun. */
static int
fdp_sendfd(int sock, int fd, int begun)
{
    int r;

    while ((r = ioctl(sock, I_SENDFD, fd)) < 0 && begun) {
        if (errno == EAGAIN)
            fdp_wait(sock, POLLOUT);
        else if (errno != EINTR)
            break;
    }
    return r;
}

static ssize_t
be_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    static const char zero = 0;
    struct fdp_sigpipe sp;
    size_t i;
    ssize_t r = 0, done = 0;

    if (len == 0) {
        data = &zero;
        len = 1;
    }
    fdp_sigpipe_hold(&sp);
    for (i = 0; i < nfds && r >= 0; i++)
        r = fdp_sendfd(sock, fds[i], i > 0);
    /* The data: once descriptors went, the first part is written whatever
     * comes (the message has begun and nothing could be counted yet);
     * then the count is returned as write() gives it, the rest being the
     * caller's (fdpass.h), so a signal's handlers run before more is
     * sent. */
    while (r >= 0 && done == 0) {
        r = write(sock, data, len);
        if (r > 0)
            done = r;
        else if (r < 0 && nfds > 0 && (errno == EINTR || errno == EAGAIN)) {
            if (errno == EAGAIN)
                fdp_wait(sock, POLLOUT);
            r = 0;
        }
    }
    fdp_sigpipe_release(&sp, r < 0);
    return r < 0 ? -1 : done;
}

/*
 * Wait until a message is at the head of a blocking stream, so that the
 * room check that follows judges the table when the message is there, not
 * before a wait (the table may fill meanwhile).  I_RECVFD cannot be asked
 * not to wait, so a zero-timeout poll() comes first, one system call more
 * per message; only when nothing is queued are the stream's flags read.
 * A non-blocking stream returns at once (I_RECVFD then says EAGAIN); a
 * signal fails with EINTR.
 */
static int
fdp_stream_ready(int sock)
{
    struct pollfd pf;
    int r, fl;

    pf.fd = sock;
    pf.events = POLLIN;
    pf.revents = 0;
    r = poll(&pf, 1, 0);
    if (r != 0)
        return r < 0 ? -1 : 0;
    fl = fcntl(sock, F_GETFL);
    if (fl < 0)
        return -1;
    if (fl & O_NONBLOCK)
        return 0;
    pf.revents = 0;
    return poll(&pf, 1, -1) < 0 ? -1 : 0;
}

static int
be_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
        void *buf, size_t buflen, size_t *ret_len, int flags)
{
    struct strrecvfd rf;
    size_t n = 0, extra = 0;
    ssize_t r;
    int e;

    if (fdp_stream_ready(sock) < 0 || fdp_room(maxfds) < 0)
        return -1;
    for (;;) {
        if (ioctl(sock, I_RECVFD, &rf) < 0) {
            e = errno;
            if (e == EBADMSG)
                break; /* data at the head: the descriptors are done */
            if (n + extra == 0) {
                if (e == EINTR || e == EAGAIN)
                    return -1;
                break; /* hang-up and the like: read() tells */
            }
            if (e == EINTR)
                continue;
            if (e == EAGAIN) {
                fdp_wait(sock, POLLIN);
                continue;
            }
            fdpass_close_all(fds, n);
            return -1;
        }
        if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(rf.fd, 1) < 0) {
            (void)close(rf.fd);
            fdpass_close_all(fds, n);
            return -1;
        }
        if (n < maxfds && extra == 0) {
            fds[n++] = rf.fd;
        } else {
            (void)close(rf.fd); /* more than asked for: EMSGSIZE below */
            extra++;
        }
    }
    for (;;) {
        r = read(sock, buf, buflen);
        if (r >= 0 || n + extra == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            break;
        fdp_wait(sock, POLLIN);
    }
    if (extra > 0) {
        fdpass_close_all(fds, n);
        return fdp_fail(EMSGSIZE);
    }
    if (r < 0) {
        fdpass_close_all(fds, n);
        return -1;
    }
    *ret_nfds = n;
    if (r == 0 && n == 0)
        return 0; /* end of stream */
    *ret_len = (size_t)r;
    return 1;
}

static int
be_socketpair(int ret_fds[2], int flags)
{
    /* A SysV pipe is a bidirectional STREAMS pipe. */
    if (pipe(ret_fds) < 0)
        return -1;
    if ((flags & FDPASS_CLOEXEC)
        && (fdpass_set_cloexec(ret_fds[0], 1) < 0
            || fdpass_set_cloexec(ret_fds[1], 1) < 0)) {
        fdpass_close_all(ret_fds, 2);
        return -1;
    }
    return 0;
}

/* A STREAMS endpoint's path is a file name: no abstract names, no NUL. */
static int
fdp_path(const char *path, size_t len, char *out, size_t outlen)
{
    if (len == 0)
        return fdp_fail(ENOENT);
    if (path[0] == '\0' || memchr(path, '\0', len) != NULL)
        return fdp_fail(EINVAL);
    if (len >= outlen)
        return fdp_fail(ENAMETOOLONG);
    memcpy(out, path, len);
    out[len] = '\0';
    return 0;
}

/* Open an endpoint path; succeeds only where a server end is attached
 * and alive (connld hands the server a new pipe). */
static int
fdp_open_stream(const char *name, int flags)
{
    int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return -1;
    if (!isastream(fd)) {
        (void)close(fd);
        return fdp_fail(ECONNREFUSED); /* a plain file: nobody listens */
    }
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fd, 1) < 0)
        return fdp_close_fail(fd);
    /* Blocking again, as a connected socket would be. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
        return fdp_close_fail(fd);
    return fd;
}

static int
be_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    char name[PATH_MAX];
    struct stat st;
    int fds[2], f, live;

    (void)backlog; /* connld queues every open() */
    if (fdp_path(path, len, name, sizeof(name)) < 0)
        return -1;
    /* What is there already: a live endpoint (EADDRINUSE), a dead one
     * whose server is gone (fdetach it and take the name over), a plain
     * file left by one (reused), or something else (EEXIST). */
    if (lstat(name, &st) == 0) {
        live = fdp_open_stream(name, FDPASS_CLOEXEC);
        if (live >= 0) {
            (void)close(live);
            return fdp_fail(EADDRINUSE);
        }
        if (errno != ECONNREFUSED) {
            if (fdetach(name) < 0 && errno != EINVAL)
                return -1; /* EINVAL: nothing was attached */
            if (lstat(name, &st) < 0)
                return -1;
        }
        /* Only an empty file, as be_listen leaves, is taken over. */
        if (!S_ISREG(st.st_mode) || st.st_size != 0)
            return fdp_fail(EEXIST);
    } else if (errno != ENOENT) {
        return -1;
    }
    /* Another user who can write the directory may have swapped a symlink
     * or a hard link to some other file in since the lstat: never follow
     * one, and give a mode only to an empty regular file of ours with no
     * other name.  (fattach and fdetach below still go by the path; the
     * SCM_RIGHTS backend's private-directory scheme has no STREAMS
     * counterpart here.) */
#ifdef O_NOFOLLOW
    f = open(name, O_WRONLY | O_CREAT | O_NOCTTY | O_NOFOLLOW, 0600);
#else
    f = open(name, O_WRONLY | O_CREAT | O_NOCTTY, 0600);
#endif
    if (f < 0)
        return errno == ELOOP ? fdp_fail(EEXIST) : -1;
    if (fstat(f, &st) < 0)
        return fdp_close_fail(f);
    if (!S_ISREG(st.st_mode) || st.st_size != 0 || st.st_nlink != 1
        || st.st_uid != geteuid()) {
        (void)close(f);
        return fdp_fail(EEXIST);
    }
    /* fattach gives the name the file's owner and mode. */
    if (fchmod(f, (mode_t)(mode >= 0 ? (mode & 07777) : 0666)) < 0)
        return fdp_close_fail(f);
    (void)close(f);
    if (be_socketpair(fds, flags | FDPASS_CLOEXEC) < 0)
        return -1;
    if (ioctl(fds[1], I_PUSH, "connld") < 0 || fattach(fds[1], name) < 0) {
        fdpass_close_all(fds, 2);
        return -1;
    }
    /* The attached name holds its end; the server keeps the other. */
    (void)close(fds[1]);
    if (!(flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fds[0], 0) < 0) {
        (void)fdetach(name);
        return fdp_close_fail(fds[0]);
    }
    return fds[0];
}

static int
be_accept(int lsock, uid_t *ret_uid, int flags)
{
    struct strrecvfd rf;

    if (ioctl(lsock, I_RECVFD, &rf) < 0)
        return -1;
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(rf.fd, 1) < 0)
        return fdp_close_fail(rf.fd);
    if (ret_uid != NULL)
        *ret_uid = rf.uid;
    return rf.fd;
}

static int
be_connect(const char *path, size_t len, int flags)
{
    char name[PATH_MAX];

    if (fdp_path(path, len, name, sizeof(name)) < 0)
        return -1;
    return fdp_open_stream(name, flags);
}

static int
be_peer_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
#ifdef FDPASS_HAVE_GETPEERUCRED
    ucred_t *uc = NULL;

    if (getpeerucred(sock, &uc) < 0)
        return -1;
    if (ret_pid)
        *ret_pid = ucred_getpid(uc);
    if (ret_uid)
        *ret_uid = ucred_geteuid(uc);
    if (ret_gid)
        *ret_gid = ucred_getegid(uc);
    ucred_free(uc);
    return 0;
#else
    (void)sock;
    (void)ret_pid;
    (void)ret_uid;
    (void)ret_gid;
    return fdp_fail(ENOSYS);
#endif
}

#else /* SCM_RIGHTS */
/* ---------------------------------------------------------------------
 * SCM_RIGHTS over AF_UNIX stream sockets: Linux, the BSDs, macOS,
 * illumos; SOCK_SEQPACKET ones with FDPASS_SEQPACKET.
 */

#define BE_NAME "scm_rights"
#define BE_SEQPACKET 1 /* where the system has none, socket() says so */

/* Where SOCK_CLOEXEC is missing, set the flag right after creation. */
static int
fdp_cloexec_after(int fd, int flags)
{
#ifdef FDP_NO_SOCK_CLOEXEC
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fd, 1) < 0)
        return fdp_close_fail(fd);
#else
    (void)flags;
#endif
    return fd;
}

#ifdef FDP_NEED_SO_NOSIGPIPE
/* macOS, older BSDs: no MSG_NOSIGNAL, so the socket itself is told. */
static void
fdp_nosigpipe(int sock)
{
    int one = 1;

    (void)setsockopt(sock, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
}
#else
# define fdp_nosigpipe(sock) ((void)0)
#endif

/* The socket's type (SOCK_STREAM, SOCK_SEQPACKET, ...), or -1. */
static int
fdp_sock_type(int sock)
{
    int type;
    socklen_t l = sizeof(type);

    if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
        return -1;
    return type;
}

/*
 * A received message that says something only on a socket that keeps
 * message boundaries (SEQPACKET, or a datagram socket a caller passed):
 * cut short (MSG_TRUNC, which a stream never reports), or of no bytes
 * and no descriptors.  Returns -1 with EMSGSIZE for a cut message, every
 * descriptor in fds closed (EBADMSG when it had none and fdpass_recv_fd
 * asked, FDP_RECV_ONE in flags); 0 at end of stream; 1 for an empty
 * message.
 *
 * recvmsg returns 0 both for an empty message and when the peer has
 * closed or shut down writing and nothing is queued.  After an end
 * nothing more can be queued, so a message waiting behind ours, or a
 * peer that can still send, proves ours was a message:
 *  - a peek without waiting: bytes mean a message follows; EAGAIN means
 *    nothing is queued and the peer has not shut down;
 *  - a peek of 0 is a queued empty message or the end: poll then tells
 *    whether the peer has hung up (POLLHUP) or shut down writing
 *    (POLLRDHUP, Linux).
 * What remains: an empty message that the peer sent just before it shut
 * down, with nothing but empty messages between, is taken for the end
 * of stream, which is then what the next call would report.  Where there
 * is no POLLRDHUP, a queued empty message behind ours when the peer has
 * not hung up is taken for the end too, so that a peer which shut down
 * writing (POSIX promises POLLHUP only for a hang-up) gives an end, not
 * endless empty messages.
 */
static int
fdp_record_end(int sock, const struct msghdr *msg, int *fds,
               size_t *ret_nfds, ssize_t r, int flags)
{
    struct pollfd pf;
    char c;
    ssize_t p;

    if (msg->msg_flags & MSG_TRUNC) {
        if (*ret_nfds == 0 && (flags & FDP_RECV_ONE))
            return fdp_fail(EBADMSG);
        fdpass_close_all(fds, *ret_nfds);
        *ret_nfds = 0;
        return fdp_fail(EMSGSIZE);
    }
    if (r != 0 || *ret_nfds != 0 || fdp_sock_type(sock) == SOCK_STREAM)
        return r != 0 || *ret_nfds != 0;
    /* No control buffer: a peek must not install descriptors. */
    p = recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (p > 0)
        return 1;
    if (p < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return 0; /* the connection is gone */
    pf.fd = sock;
    pf.events = POLLIN | POLLRDHUP;
    pf.revents = 0;
    if (p < 0) {
        /* Nothing queued: ours was a message, unless this end was shut
         * down for reading (a Linux datagram socket, which says EAGAIN
         * then; POLLRDHUP), where nothing can come any more. */
        return !(POLLRDHUP != 0 && poll(&pf, 1, 0) == 1
                 && (pf.revents & (POLLHUP | POLLRDHUP)));
    }
    if (POLLRDHUP != 0 && poll(&pf, 1, 0) == 1
        && !(pf.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)))
        return 1;
    return 0;
}

static ssize_t
be_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
    } cb;
    static const char zero = 0;
    struct msghdr msg;
    struct iovec iov;
    ssize_t r;
#ifdef FDP_NEED_SIGPIPE_MASK
    struct fdp_sigpipe sp;
#endif

    if (len == 0) {
        data = &zero;
        len = 1;
    }
    memset(&msg, 0, sizeof(msg));
    iov.iov_base = (void *)data;
    iov.iov_len = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        memset(&cb, 0, CMSG_SPACE(nfds * sizeof(int)));
        msg.msg_control = cb.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cb.h.cmsg_level = SOL_SOCKET;
        cb.h.cmsg_type = SCM_RIGHTS;
        cb.h.cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(&cb.h), fds, nfds * sizeof(int));
    }
    fdp_nosigpipe(sock);
#ifdef FDP_NEED_SIGPIPE_MASK
    fdp_sigpipe_hold(&sp);
#endif
    /* One call.  The descriptors go with the first part; a count below
     * len (a full non-blocking socket, a signal during a blocking send,
     * Linux's per-call cap of 2 GiB less a page) is returned as it is and
     * the rest is the caller's (fdpass.h).  Sending it here would keep a
     * signal's handlers from running until the peer had read it all.
     * On a SEQPACKET socket Linux sends the message whole or fails, so
     * there is no rest there. */
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
#ifdef FDP_NEED_SIGPIPE_MASK
    fdp_sigpipe_release(&sp, r < 0);
#endif
    return r;
}

/*
 * recvmsg() once a message is there and the table has room for need more
 * descriptors.  Room is judged right before each read, never before a
 * wait: the table may fill, or RLIMIT_NOFILE be lowered from outside
 * (prlimit), while the call waits.  So the read never waits (MSG_DONTWAIT);
 * when nothing is queued the call waits in a peek of one byte with no
 * control buffer, which takes nothing from the queue and installs no
 * descriptor (as in fdp_record_end), then judges room again.  The peek
 * waits as the socket's own recvmsg would: not at all on a non-blocking
 * socket (EAGAIN), at most SO_RCVTIMEO (EAGAIN), until a signal (EINTR;
 * a handler installed with SA_RESTART restarts it, as it would recvmsg),
 * and it ends where recvmsg would, with what recvmsg would say.  A peek
 * of 0 is an empty message or an end; when the read after it finds
 * nothing, it was an end that only a waiting read reports (a Linux
 * datagram socket shut down for reading says EAGAIN when told not to
 * wait, 0 otherwise, while poll() calls it readable: a wait in poll()
 * spun there for ever), and the call returns 0 as recvmsg would have
 * (fdp_record_end then tells an end from an empty message; an empty
 * message that another reader of the socket took between the peek and
 * the read is reported to both).  The common case, a message already queued, costs the check and one
 * recvmsg.
 */
static ssize_t
fdp_recvmsg_room(int sock, struct msghdr *msg, int rflags, size_t need)
{
    size_t controllen = msg->msg_controllen;
    ssize_t r, peeked = 1;
    char c;

    for (;;) {
        if (fdp_room(need) < 0)
            return -1;
        msg->msg_controllen = controllen;
        msg->msg_flags = 0;
        r = recvmsg(sock, msg, rflags | MSG_DONTWAIT);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return r;
        if (peeked == 0) {
            msg->msg_controllen = 0;
            return 0;
        }
        peeked = recv(sock, &c, 1, MSG_PEEK);
        if (peeked < 0)
            return -1;
    }
}

static int
be_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
        void *buf, size_t buflen, size_t *ret_len, int flags)
{
    union {
        struct cmsghdr h;
        char buf[FDP_CONTROL_SIZE];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    ssize_t r;

    memset(&msg, 0, sizeof(msg));
    iov.iov_base = buf;
    iov.iov_len = buflen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = FDP_CONTROL_LEN(maxfds);
    r = fdp_recvmsg_room(sock, &msg,
                         (flags & FDPASS_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0,
                         maxfds);
    if (r < 0)
        return -1;
    if (fdp_collect(&msg, fds, maxfds, ret_nfds) < 0)
        return -1;
#ifdef FDP_NEED_CLOEXEC_AFTER
    if (flags & FDPASS_CLOEXEC) {
        size_t i;

        for (i = 0; i < *ret_nfds; i++)
            (void)fdpass_set_cloexec(fds[i], 1);
    }
#endif
    if ((msg.msg_flags & MSG_TRUNC) || (r == 0 && *ret_nfds == 0)) {
        int m = fdp_record_end(sock, &msg, fds, ret_nfds, r, flags);

        if (m <= 0)
            return m; /* EMSGSIZE, or end of stream */
    }
    *ret_len = (size_t)r;
    return 1;
}

static int
be_socketpair(int ret_fds[2], int flags)
{
    int type = (flags & FDPASS_SEQPACKET) ? SOCK_SEQPACKET : SOCK_STREAM;

    if (flags & FDPASS_CLOEXEC)
        type |= SOCK_CLOEXEC;
    if (socketpair(AF_UNIX, type, 0, ret_fds) < 0)
        return -1;
    if (fdp_cloexec_after(ret_fds[0], flags) < 0)
        return fdp_close_fail(ret_fds[1]);
    if (fdp_cloexec_after(ret_fds[1], flags) < 0)
        return fdp_close_fail(ret_fds[0]);
    fdp_nosigpipe(ret_fds[0]);
    fdp_nosigpipe(ret_fds[1]);
    return 0;
}

static int
fdp_socket(int flags)
{
    int fd = socket(AF_UNIX,
                    ((flags & FDPASS_SEQPACKET) ? SOCK_SEQPACKET : SOCK_STREAM)
                    | ((flags & FDPASS_CLOEXEC) ? SOCK_CLOEXEC : 0),
                    0);

    if (fd < 0)
        return -1;
    fd = fdp_cloexec_after(fd, flags);
    if (fd >= 0)
        fdp_nosigpipe(fd);
    return fd;
}

/* Fill sun from path, refusing what would not fit rather than cutting it. */
static int
fdp_sockaddr(struct sockaddr_un *sun, socklen_t *ret_len,
             const char *path, size_t len)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len == 0)
        return fdp_fail(ENOENT);
    if (path[0] == '\0') {
#ifdef __linux__
        if (len > sizeof(sun->sun_path))
            return fdp_fail(ENAMETOOLONG);
        memcpy(sun->sun_path, path, len);
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        return 0;
#else
        return fdp_fail(EINVAL); /* abstract sockets are Linux's alone */
#endif
    }
    if (memchr(path, '\0', len) != NULL)
        return fdp_fail(EINVAL);
    if (len >= sizeof(sun->sun_path)) /* room for the NUL too */
        return fdp_fail(ENAMETOOLONG);
    memcpy(sun->sun_path, path, len);
    *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    return 0;
}

/*
 * Is a server still accepting at sun?  Returns 1 (live), 0 (nobody
 * accepts: connect says ECONNREFUSED, which a node of any kind with no
 * listener behind it says, so the caller still has to look at what it
 * is) or -1 with errno (ENOENT: nothing there any more; anything else:
 * cannot tell).  The probe is a socket of the type flags ask for, as the
 * listener being made; a listener of the other type answers EPROTOTYPE,
 * and is live too.
 */
static int
fdp_probe_live(const struct sockaddr_un *sun, socklen_t slen, int flags)
{
    int fd = fdp_socket(flags | FDPASS_CLOEXEC), r, e;

    if (fd < 0)
        return 1; /* cannot tell: do not remove anything */
    /* Non-blocking, so a live server with a full backlog answers EAGAIN
     * instead of making us wait. */
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    r = connect(fd, (const struct sockaddr *)sun, slen);
    e = errno;
    (void)close(fd);
    if (r == 0 || e == EAGAIN || e == EINPROGRESS || e == EINTR
        || e == EPROTOTYPE)
        return 1;
    if (e == ECONNREFUSED)
        return 0;
    return fdp_fail(e);
}

/*
 * Making a named endpoint safely in a directory other users can write
 * (/tmp, a shared run directory), for a server that may be root.
 *
 * Binding at the name and then calling chmod(path) or unlink(path) looks
 * the name up again, and another user can have put a symlink or a file of
 * theirs there meanwhile: root then chmods the file the symlink names, or
 * the stale-node check unlinks a file or fifo (connect to those says
 * ECONNREFUSED too).  A node that exists before listen() also lets a
 * second server take it for stale and replace it.  fchmod on the socket
 * before bind (Linux) avoids the lookup but still leaves the umask's mark
 * and does nothing for the other two.  So no call here looks a name up
 * where another user can create one, except to create or move:
 *
 *   1. the target's directory is opened once; everything after is
 *      relative to that descriptor;
 *   2. a private directory (".fdpass-XXXXXXXX", mode 0700, checked with
 *      fstat to be ours and closed to others) is made in it; nobody else
 *      can add, swap or remove anything there;
 *   3. the socket is bound there, its mode set there (fchmodat relative
 *      to the private directory), and it starts listening there;
 *   4. only then is the node moved to its name, without replacing
 *      anything (renameat2 RENAME_NOREPLACE, or linkat + unlinkat, both
 *      of which refuse an existing name).  OpenSSH's control master
 *      publishes its socket the same way (bind a temporary name, link).
 *      A node thus appears only once its server listens, so of two
 *      servers starting at once the second finds a live node: exactly
 *      one wins, the other gets EADDRINUSE;
 *   5. a stale node is taken by moving whatever is at the name into the
 *      private directory (rename), where nobody can change it; it is
 *      unlinked only if it is the socket node seen before the probe (same
 *      device and inode) and still nobody accepts on it.  Anything else is
 *      put back without replacing, and the call fails.
 * The private directory goes on every path (only what is ours in it is
 * removed, and it is removed only while its name still leads to the one
 * we made: in a sticky directory such as /tmp nobody else can rename it;
 * in a directory without the sticky bit, whoever can write it can remove
 * anything in it anyway); a process killed in the middle can leave it
 * behind.
 *
 * A client's getpeername() and the listener's getsockname() name the
 * address the socket was bound under, /proc/self/fd/N/s on Linux (the
 * private path where there is no /proc), not the public name.
 */

/* How the two directories are opened: for their *at calls only, so with
 * no read permission needed where the system allows (a directory users
 * may write and search but not list, as bind alone needed). */
#if defined(__linux__) && defined(O_PATH)
# define SCM_DIR_OPEN (O_PATH | O_DIRECTORY | O_CLOEXEC)
#elif defined(O_SEARCH)
# define SCM_DIR_OPEN (O_SEARCH | O_DIRECTORY | O_CLOEXEC)
#else
# define SCM_DIR_OPEN (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

#define SCM_PRIV_PREFIX ".fdpass-"
#define SCM_PRIV_TRIES 16 /* names tried for the private directory */
#define SCM_MOVE_TRIES 4  /* stale nodes taken before giving up */

struct scm_place {
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *base; /* the last component of the path */
    char priv[sizeof(SCM_PRIV_PREFIX) + 8];
    int dfd;          /* the target's directory */
    int pfd;          /* the private directory in it, or -1 */
    struct stat pst;  /* what pfd is */
    int via_proc;     /* reach pfd through /proc/self/fd, not its name */
};

/* Append s at offset n of a sun_path, keeping a NUL at the end; returns
 * the new length, sizeof(sun_path) or more when it did not fit. */
static size_t
scm_cat(char *buf, size_t n, const char *s)
{
    size_t size = sizeof(((struct sockaddr_un *)0)->sun_path), l = strlen(s);

    if (n >= size || l >= size - n)
        return size;
    memcpy(buf + n, s, l + 1);
    return n + l;
}

#ifdef __linux__
/* "/proc/self/fd/N/leaf" into a sun_path-sized buf: the entry leaf of the
 * directory open at dfd, whatever happens to the directory's name. */
static size_t
scm_proc_path(char *buf, int dfd, const char *leaf)
{
    char num[24], *q = num + sizeof(num);
    unsigned int v = (unsigned int)dfd;
    size_t n;

    *--q = '\0';
    do
        *--q = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    memset(buf, 0, sizeof(((struct sockaddr_un *)0)->sun_path));
    n = scm_cat(buf, 0, "/proc/self/fd/");
    n = scm_cat(buf, n, q);
    n = scm_cat(buf, n, "/");
    return scm_cat(buf, n, leaf);
}
#endif /* __linux__ */

/* The address of leaf in the private directory: on Linux through
 * /proc/self/fd, which leads to the directory we hold whatever is done to
 * any name (scm_dir_via_proc), else its path, when that fits in
 * sun_path. */
static int
scm_priv_addr(const struct scm_place *pl, const char *leaf,
              struct sockaddr_un *sun, socklen_t *ret_len)
{
    size_t n;

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    n = scm_cat(sun->sun_path, 0, pl->dir);
    if (strcmp(pl->dir, "/") != 0)
        n = scm_cat(sun->sun_path, n, "/");
    n = scm_cat(sun->sun_path, n, pl->priv);
    n = scm_cat(sun->sun_path, n, "/");
    n = scm_cat(sun->sun_path, n, leaf);
#ifdef __linux__
    if (n >= sizeof(sun->sun_path) || pl->via_proc)
        n = scm_proc_path(sun->sun_path, pl->pfd, leaf);
#endif
    if (n >= sizeof(sun->sun_path))
        return fdp_fail(ENAMETOOLONG);
    *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

/* A name for the private directory, different on every try: it only has
 * to be hard to guess, since mkdirat refuses a name already taken. */
static void
scm_priv_name(struct scm_place *pl, unsigned int attempt)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz234567";
    struct timeval tv;
    unsigned long x;
    size_t i, n = strlen(SCM_PRIV_PREFIX);

    (void)gettimeofday(&tv, NULL);
    x = (unsigned long)getpid() * 2654435761UL
        ^ (unsigned long)tv.tv_usec * 40503UL ^ (unsigned long)tv.tv_sec
        ^ (unsigned long)(size_t)&tv ^ (unsigned long)attempt * 0x9e3779b9UL;
    memcpy(pl->priv, SCM_PRIV_PREFIX, n);
    for (i = 0; i < 8; i++) {
        x ^= x >> 13;
        x *= 0x5bd1e995UL;
        x ^= x >> 15;
        pl->priv[n + i] = digits[x & 31];
    }
    pl->priv[n + 8] = '\0';
}

/*
 * Whether the private directory is reached through /proc/self/fd (Linux,
 * where /proc shows it) rather than by its path.  bind() and the probe
 * take a path, and another user who can rename the private directory,
 * or any directory on the path to it (one they may write without the
 * sticky bit, or one they own), can put a symlink in its place between
 * mkdirat and bind: the node would be made wherever the symlink leads.
 * /proc/self/fd/N leads to the directory we hold, whatever is done to
 * any name.  Without /proc (a chroot) the path is used, and a redirected
 * bind is caught after the fact (its node left where it was made).
 */
static int
scm_dir_via_proc(const struct scm_place *pl)
{
#ifdef __linux__
    char p[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct stat st;

    (void)scm_proc_path(p, pl->pfd, "");
    return stat(p, &st) == 0 && st.st_dev == pl->pst.st_dev
           && st.st_ino == pl->pst.st_ino;
#else
    (void)pl;
    return 0;
#endif
}

#if defined(__linux__) && defined(O_PATH)
/* chmod 0700 the private directory a umask left without some of the
 * owner's bits, when pfd (O_PATH) cannot be given to fchmod: through
 * /proc/self/fd (via_proc), or where there is no /proc (a chroot) through a
 * descriptor of it opened for reading without following a symlink and
 * checked to be the directory we made (which a user other than root
 * cannot open when the umask took the owner's read bit too: EACCES). */
static int
scm_priv_chmod(const struct scm_place *pl)
{
    char p[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct stat st;
    int fd;

    if (pl->via_proc) {
        (void)scm_proc_path(p, pl->pfd, "");
        return chmod(p, 0700);
    }
    fd = openat(pl->dfd, pl->priv,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0)
        return fdp_close_fail(fd);
    if (st.st_dev != pl->pst.st_dev || st.st_ino != pl->pst.st_ino) {
        errno = EEXIST; /* another directory swapped in */
        return fdp_close_fail(fd);
    }
    if (fchmod(fd, 0700) < 0)
        return fdp_close_fail(fd);
    (void)close(fd);
    return 0;
}
#endif /* __linux__ && O_PATH */

/* Make the private directory and open it: a fresh directory that is ours
 * and open to nobody else, or the call fails. */
static int
scm_priv_make(struct scm_place *pl)
{
    unsigned int i;

    for (i = 0;; i++) {
        scm_priv_name(pl, i);
        if (mkdirat(pl->dfd, pl->priv, 0700) == 0)
            break;
        if (errno != EEXIST || i + 1 >= SCM_PRIV_TRIES)
            return -1;
    }
    /* O_PATH on Linux: a umask that takes the owner's read bit away must
     * not stop us. */
    pl->pfd = openat(pl->dfd, pl->priv, SCM_DIR_OPEN | O_NOFOLLOW);
    if (pl->pfd < 0)
        return -1; /* not ours to remove: leave the name alone */
    if (fstat(pl->pfd, &pl->pst) < 0) {
        (void)close(pl->pfd);
        pl->pfd = -1;
        return -1;
    }
    if (!S_ISDIR(pl->pst.st_mode) || pl->pst.st_uid != geteuid()
        || (pl->pst.st_mode & 077) != 0) {
        (void)close(pl->pfd);
        pl->pfd = -1; /* someone else's, swapped in: not ours to remove */
        return fdp_fail(EEXIST);
    }
    pl->via_proc = scm_dir_via_proc(pl);
    if ((pl->pst.st_mode & 0700) != 0700) {
        /* The umask took some of the owner's bits; put them back on the
         * directory we hold, never through its name. */
#if defined(__linux__) && defined(O_PATH)
        if (scm_priv_chmod(pl) < 0)
            return -1;
#else
        if (fchmod(pl->pfd, 0700) < 0)
            return -1;
#endif
    }
    return 0;
}

/* Take the private directory away: what we put in it, then the directory
 * itself while its name still leads to the one we made (rmdir fails, and
 * the directory stays, if something we could not put back is in it).
 * Keeps errno. */
static void
scm_place_done(struct scm_place *pl)
{
    int saved = errno;
    struct stat st;

    if (pl->pfd >= 0) {
        (void)unlinkat(pl->pfd, "s", 0);
        if (fstatat(pl->dfd, pl->priv, &st, AT_SYMLINK_NOFOLLOW) == 0
            && st.st_dev == pl->pst.st_dev && st.st_ino == pl->pst.st_ino)
            (void)unlinkat(pl->dfd, pl->priv, AT_REMOVEDIR);
        (void)close(pl->pfd);
        pl->pfd = -1;
    }
    if (pl->dfd >= 0)
        (void)close(pl->dfd);
    pl->dfd = -1;
    errno = saved;
}

/* Move from (in the private directory) to to (in dfd), never replacing
 * what is at to: EEXIST then. */
static int
scm_move_noreplace(struct scm_place *pl, const char *from, int tdfd,
                   const char *to)
{
#ifdef FDP_HAVE_RENAMEAT2
    if (syscall(SYS_renameat2, pl->pfd, from, tdfd, to, RENAME_NOREPLACE) == 0)
        return 0;
    /* ENOSYS: Linux before 3.15; EINVAL: a file system without the flag. */
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    if (linkat(pl->pfd, from, tdfd, to, 0) < 0)
        return -1;
    /* Only we can touch the private directory; should this fail, the
     * name goes with the directory in scm_place_done. */
    (void)unlinkat(pl->pfd, from, 0);
    return 0;
}

/* What is at the name: 0 (nothing), 1 (a socket node nobody accepts on;
 * st says which), or -1 with errno: EEXIST (not a socket: a symlink is
 * not followed), EADDRINUSE (a live socket, or one we cannot probe). */
static int
scm_judge_name(struct scm_place *pl, const struct sockaddr_un *sun,
               socklen_t slen, int flags, struct stat *st)
{
    int r;
#if defined(__linux__) && defined(O_PATH)
    /* The probe connects to the node just looked at, through
     * /proc/self/fd: connect() follows a symlink at the name, which
     * another user could put there after the look, making root connect
     * to any socket (one of root's own, 0600, that acts on a connection)
     * while judging a name in a shared directory. */
    struct sockaddr_un nsun;
    struct stat pst;
    int nfd = openat(pl->dfd, pl->base, O_PATH | O_NOFOLLOW | O_CLOEXEC);

    if (nfd < 0)
        return errno == ENOENT ? 0 : -1;
    if (fstat(nfd, st) < 0)
        return fdp_close_fail(nfd);
    if (!S_ISSOCK(st->st_mode)) {
        errno = EEXIST;
        return fdp_close_fail(nfd);
    }
    memset(&nsun, 0, sizeof(nsun));
    nsun.sun_family = AF_UNIX;
    (void)scm_proc_path(nsun.sun_path, nfd, "");
    nsun.sun_path[strlen(nsun.sun_path) - 1] = '\0'; /* no trailing "/" */
    if (stat(nsun.sun_path, &pst) == 0 && pst.st_dev == st->st_dev
        && pst.st_ino == st->st_ino)
        r = fdp_probe_live(&nsun, (socklen_t)(offsetof(struct sockaddr_un,
                           sun_path) + strlen(nsun.sun_path) + 1), flags);
    else
        r = fdp_probe_live(sun, slen, flags); /* no /proc: a chroot */
    (void)close(nfd);
#else
    if (fstatat(pl->dfd, pl->base, st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st->st_mode))
        return fdp_fail(EEXIST);
    r = fdp_probe_live(sun, slen, flags);
#endif
    switch (r) {
    case 0:
        return 1;
    case -1:
        if (errno == ENOENT)
            return 0;
        /* FALLTHROUGH */
    default:
        return fdp_fail(EADDRINUSE);
    }
}

/* The name is taken: remove it if, and only if, it is a socket node that
 * nobody accepts on.  Returns 0 when the name may be free now (try the
 * move again), -1 with errno otherwise. */
static int
scm_take_stale(struct scm_place *pl, const struct sockaddr_un *sun,
               socklen_t slen, int flags)
{
    struct sockaddr_un psun;
    socklen_t pslen;
    struct stat st, mv;
    int r;

    if ((r = scm_judge_name(pl, sun, slen, flags, &st)) <= 0)
        return r;
    /* Take whatever is there now out of everybody else's reach.  No
     * "old" exists in the private directory, so nothing is replaced. */
    if (renameat(pl->dfd, pl->base, pl->pfd, "old") < 0)
        return errno == ENOENT ? 0 : -1;
    memset(&mv, 0, sizeof(mv));
    if (fstatat(pl->pfd, "old", &mv, AT_SYMLINK_NOFOLLOW) == 0
        && S_ISSOCK(mv.st_mode)
        && mv.st_dev == st.st_dev && mv.st_ino == st.st_ino
        && scm_priv_addr(pl, "old", &psun, &pslen) == 0
        && fdp_probe_live(&psun, pslen, flags) == 0) {
        /* A dead socket node, and no server can bind to an existing
         * node: it stays dead. */
        if (unlinkat(pl->pfd, "old", 0) < 0)
            return -1;
        return 0;
    }
    /* Something else was swapped in after the probe: put it back.  Should
     * even that be refused (the name taken again meanwhile; a directory or
     * another user's file where only linkat is at hand), it stays in the
     * private directory, which then stays too, rather than anything being
     * replaced. */
    (void)scm_move_noreplace(pl, "old", pl->dfd, pl->base);
    return fdp_fail(S_ISSOCK(mv.st_mode) ? EADDRINUSE : EEXIST);
}

/* Bind fd in a private directory beside the name, set its mode, listen,
 * and move the node to the name (see above).  Returns 0 or -1 with
 * errno; fd is the caller's to close. */
static int
scm_place_listener(int fd, const struct sockaddr_un *sun, socklen_t slen,
                   int mode, int backlog, int flags)
{
    struct scm_place pl;
    struct sockaddr_un psun;
    socklen_t pslen;
    struct stat st;
    char *slash;
    int tries;

    memcpy(pl.dir, sun->sun_path, sizeof(pl.dir));
    pl.dfd = pl.pfd = -1;
    pl.via_proc = 0;
    slash = strrchr(pl.dir, '/');
    if (slash == NULL) {
        pl.base = sun->sun_path;
        strcpy(pl.dir, ".");
    } else {
        pl.base = sun->sun_path + (slash - pl.dir) + 1;
        if (slash == pl.dir)
            slash[1] = '\0'; /* "/name": the root directory */
        else
            *slash = '\0';
    }
    if (pl.base[0] == '\0' || strcmp(pl.base, ".") == 0
        || strcmp(pl.base, "..") == 0) {
        /* "dir/", "dir/.": a directory or nothing, never a new node. */
        if (stat(sun->sun_path, &st) == 0)
            return fdp_fail(EEXIST);
        return -1;
    }
    pl.dfd = open(pl.dir, SCM_DIR_OPEN);
    if (pl.dfd < 0)
        return -1;
    /* What is there decides the error before anything is made (and in a
     * directory we may not write, as a plain bind would). */
    if (scm_judge_name(&pl, sun, slen, flags, &st) < 0
        || scm_priv_make(&pl) < 0
        || scm_priv_addr(&pl, "s", &psun, &pslen) < 0
        || bind(fd, (const struct sockaddr *)&psun, pslen) < 0)
        goto fail;
    /* The node must be in the directory we hold (a path through a
     * directory another user renamed could have led elsewhere). */
    if (fstatat(pl.pfd, "s", &st, AT_SYMLINK_NOFOLLOW) < 0
        || !S_ISSOCK(st.st_mode)) {
        errno = ENOENT;
        goto fail;
    }
    /* Nobody else can make or swap a name in the private directory, so
     * the name "s" there is the node bind just made. */
    if (mode >= 0 && fchmodat(pl.pfd, "s", (mode_t)(mode & 07777), 0) < 0)
        goto fail;
    if (listen(fd, backlog) < 0)
        goto fail;
    for (tries = 0;; tries++) {
        if (scm_move_noreplace(&pl, "s", pl.dfd, pl.base) == 0)
            break;
        if (errno != EEXIST)
            goto fail;
        if (tries >= SCM_MOVE_TRIES) {
            errno = EADDRINUSE; /* taken again and again: someone races us */
            goto fail;
        }
        if (scm_take_stale(&pl, sun, slen, flags) < 0)
            goto fail;
    }
    scm_place_done(&pl);
    return 0;
fail:
    scm_place_done(&pl);
    return -1;
}

static int
be_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    struct sockaddr_un sun;
    socklen_t slen;
    int fd;

    if (fdp_sockaddr(&sun, &slen, path, len) < 0)
        return -1;
    if ((fd = fdp_socket(flags)) < 0)
        return -1;
    if (path[0] == '\0') {
        /* A Linux abstract name: no node, nothing to race for (and no
         * mode: fdpass_listen refuses one). */
        if (bind(fd, (struct sockaddr *)&sun, slen) < 0
            || listen(fd, backlog) < 0)
            return fdp_close_fail(fd);
        return fd;
    }
    if (scm_place_listener(fd, &sun, slen, mode, backlog, flags) < 0)
        return fdp_close_fail(fd);
    return fd;
}

/* What the kernel recorded for a connection, asked without first making
 * sure there is one (be_accept's fresh connection has a peer).  Linux
 * answers SO_PEERCRED on any socket and never fails: where nothing was
 * recorded (a socket never connected, a listener's own, TCP, a datagram
 * socket connect()ed to a name) it gives pid 0 and uid and gid
 * (uid_t)-1, which is no user's id (setuid refuses it), so that answer
 * is refused here instead of being reported as a uid.  A peer in another
 * user namespace whose ids have no mapping in ours reads as the overflow
 * ids (/proc/sys/kernel/overflowuid, usually 65534): that is what the
 * kernel recorded, and the POD says so. */
static int
scm_recorded_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
#if defined(FDP_PEERCRED_SO)
    struct ucred uc;
    socklen_t l = sizeof(uc);

    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
        return -1;
    if (uc.uid == (uid_t)-1 || uc.gid == (gid_t)-1)
        return fdp_fail(EOPNOTSUPP);
    if (ret_pid)
        *ret_pid = uc.pid > 0 ? uc.pid : -1;
    if (ret_uid)
        *ret_uid = uc.uid;
    if (ret_gid)
        *ret_gid = uc.gid;
    return 0;
#elif defined(FDP_PEERCRED_GETPEEREID)
    uid_t u;
    gid_t g;

    if (getpeereid(sock, &u, &g) < 0)
        return -1;
    if (u == (uid_t)-1 || g == (gid_t)-1)
        return fdp_fail(EOPNOTSUPP);
    if (ret_pid)
        *ret_pid = -1;
    if (ret_uid)
        *ret_uid = u;
    if (ret_gid)
        *ret_gid = g;
    return 0;
#else
    (void)sock;
    (void)ret_pid;
    (void)ret_uid;
    (void)ret_gid;
    return fdp_fail(ENOSYS);
#endif
}

/* Only a socket with a peer is asked.  Linux answers SO_PEERCRED on a
 * listening socket with the credentials listen() recorded (the caller's
 * own, as a rule) and getpeereid on the BSDs does the same, so a listener
 * is refused first: SO_ACCEPTCONN where the system answers it, and
 * getpeername, which fails with ENOTCONN for a listener and for a socket
 * never connected on Linux and the BSDs.  A connected socket that is not
 * AF_UNIX (TCP) has a peer but no credentials: EOPNOTSUPP. */
static int
be_peer_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
#ifdef SO_ACCEPTCONN
    int listening = 0;
    socklen_t ll = sizeof(listening);

    if (getsockopt(sock, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) == 0) {
        if (listening)
            return fdp_fail(ENOTCONN);
    } else if (errno != ENOPROTOOPT && errno != EINVAL) {
        return -1;    /* EBADF, ENOTSOCK */
    }
#endif
    memset(&ss, 0, sizeof(ss));
    if (getpeername(sock, (struct sockaddr *)&ss, &sl) < 0)
        return -1;
    if (ss.ss_family != AF_UNIX)
        return fdp_fail(EOPNOTSUPP);
    return scm_recorded_cred(sock, ret_pid, ret_uid, ret_gid);
}

static int
be_accept(int lsock, uid_t *ret_uid, int flags)
{
    int fd;

#ifdef FDP_HAVE_ACCEPT4
    fd = accept4(lsock, NULL, NULL,
                 (flags & FDPASS_CLOEXEC) ? SOCK_CLOEXEC : 0);
    if (fd < 0)
        return -1;
#else
    fd = accept(lsock, NULL, NULL);
    if (fd < 0)
        return -1;
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fd, 1) < 0)
        return fdp_close_fail(fd);
#endif
    fdp_nosigpipe(fd);
    if (ret_uid != NULL && scm_recorded_cred(fd, NULL, ret_uid, NULL) < 0)
        *ret_uid = (uid_t)-1;
    return fd;
}

static int
be_connect(const char *path, size_t len, int flags)
{
    struct sockaddr_un sun;
    socklen_t slen;
    int fd;

    if (fdp_sockaddr(&sun, &slen, path, len) < 0)
        return -1;
    if ((fd = fdp_socket(flags)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, slen) == 0)
        return fd;
    /* A stream socket meets a SEQPACKET listener with EPROTOTYPE (Linux,
     * the BSDs): connect again with the listener's type. */
    if (errno != EPROTOTYPE || (flags & FDPASS_SEQPACKET))
        return fdp_close_fail(fd);
    (void)close(fd);
    if ((fd = fdp_socket(flags | FDPASS_SEQPACKET)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, slen) < 0)
        return fdp_close_fail(fd);
    return fd;
}

#endif /* backend */

/* 4b. Starting a program with descriptors placed (POSIX systems). */

#ifndef _WIN32

/* glibc 2.29 added posix_spawn_file_actions_addchdir_np and made
 * adddup2(fd, fd) clear close-on-exec: then posix_spawn can carry out the
 * whole plan, and it starts the child with clone(CLONE_VM|CLONE_VFORK),
 * which costs the same however large the parent is. */
#if defined(__GLIBC__) && !defined(FDPASS_NO_POSIX_SPAWN) \
    && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
# define FDP_USE_POSIX_SPAWN 1
# include <spawn.h>
#endif

extern char **environ;

/* One step of the plan, carried out in the child in order. */
enum fdp_opcode {
    FDP_OP_DUP2,     /* a onto b */
    FDP_OP_SAVE,     /* a onto the temporary number (plan.tmp) */
    FDP_OP_FROM_TMP, /* the temporary number onto b */
    FDP_OP_CLEAR,    /* clear close-on-exec on a (a target that is its source) */
    FDP_OP_DROP_TMP  /* close the temporary number */
};

struct fdp_op {
    int op, a, b;
};

struct fdp_plan {
    struct fdp_op *ops;
    size_t nops;
    int *targets;   /* every target, ascending (fdp_plan_is_target) */
    size_t ntargets;
    int need_tmp;   /* 1 when a cycle is broken through the temporary */
    int tmp;        /* the temporary's number (fdp_plan_tmp), or -1 */
    int max_target; /* the highest target, -1 for an empty map */
    int max_used;   /* the highest target or source, 2 at least */
};

/* The planner's unit of work, counted by the tests (t/c/spawn.c) to show
 * that the plan grows as n log n, not by a clock. */
#ifndef FDP_PLAN_STEP
# define FDP_PLAN_STEP() ((void)0)
#endif /* !FDP_PLAN_STEP */

/* One entry of the map while the plan is made. */
struct fdp_plan_ent {
    int target, source;
    int left;    /* 1 while it is still to be placed */
    size_t need; /* how many entries still to be placed read its target */
    size_t reads; /* the entry whose target is this one's source, or n */
};

static int
fdp_plan_cmp(const void *a, const void *b)
{
    const struct fdp_plan_ent *x = a, *y = b;

    FDP_PLAN_STEP();
    return (x->target > y->target) - (x->target < y->target);
}

/* Where fd is in the ascending v[0 .. n), or n. */
static size_t
fdp_plan_find(const int *v, size_t n, int fd)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        FDP_PLAN_STEP();
        if (v[mid] < fd)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == fd ? lo : n;
}

static int
fdp_plan_is_target(const struct fdp_plan *pl, int fd)
{
    return fdp_plan_find(pl->targets, pl->ntargets, fd) < pl->ntargets;
}

static void
fdp_plan_free(struct fdp_plan *pl)
{
    free(pl->ops);
    free(pl->targets);
    pl->ops = NULL;
    pl->targets = NULL;
}

static void
fdp_plan_op(struct fdp_plan *pl, int op, int a, int b)
{
    pl->ops[pl->nops].op = op;
    pl->ops[pl->nops].a = a;
    pl->ops[pl->nops].b = b;
    pl->nops++;
}

/*
 * Turn the map into steps, in the parent, with no system call (so the
 * fuzzer, t/fuzz/plan_fuzz.c, runs it as it is).  limit is the number no
 * target may reach (RLIMIT_NOFILE).  EINVAL: a negative or repeated
 * target, a bad blocking value; EBADF: a negative source, or a target at
 * or above limit; ENOMEM.  Whether each source is open is not asked here.
 *
 * The entries are sorted by target, so "which entry's target is this
 * number" is a binary search.  Each entry reads one number (its source);
 * an entry may be written once no entry still to be placed reads its
 * target, so each keeps a count of its pending readers, and those at zero
 * wait in a queue: writing one lowers the count of the entry it read.
 * That places every chain, from the end nobody reads.  What is left then
 * is a set of disjoint cycles, each entry read by exactly one other: one
 * entry's target is saved at the temporary number, which frees it, and
 * the cycle unwinds through the queue until its last entry takes the
 * saved descriptor from the temporary.  Sorting is O(n log n), the rest
 * O(n log n) for the searches and O(n) for the queue.  No arithmetic is
 * done on descriptor numbers, so INT_MAX is an ordinary value here.
 */
static int
fdp_make_plan(struct fdp_plan *pl, const struct fdpass_inherit *fds,
              size_t n, int limit)
{
    struct fdp_plan_ent *ent;
    size_t *queue, head = 0, tail = 0, i, scan = 0, pending = 0;
    int saved = -1, e;

    pl->ops = NULL;
    pl->nops = 0;
    pl->targets = NULL;
    pl->ntargets = 0;
    pl->need_tmp = 0;
    pl->tmp = -1;
    pl->max_target = -1;
    pl->max_used = 2;
    for (i = 0; i < n; i++)
        if (fds[i].target < 0 || fds[i].blocking < FDPASS_PRESERVE
            || fds[i].blocking > FDPASS_NONBLOCKING)
            return fdp_fail(EINVAL);
    if (n == 0)
        return 0;
    /* At most one step per entry, one save per cycle of two or more, one
     * final close: 2n + 1 steps. */
    if (n > ((size_t)-1 / 2 - 1) / (sizeof(struct fdp_op) + sizeof(*ent)))
        return fdp_fail(ENOMEM);
    pl->ops = malloc((2 * n + 1) * sizeof(*pl->ops));
    pl->targets = malloc(n * sizeof(int));
    ent = malloc(n * sizeof(*ent));
    queue = malloc(n * sizeof(size_t));
    if (pl->ops == NULL || pl->targets == NULL || ent == NULL
        || queue == NULL) {
        e = ENOMEM;
        goto fail;
    }
    for (i = 0; i < n; i++) {
        ent[i].target = fds[i].target;
        ent[i].source = fds[i].source;
    }
    qsort(ent, n, sizeof(*ent), fdp_plan_cmp);
    for (i = 0; i < n; i++) {
        FDP_PLAN_STEP();
        pl->targets[i] = ent[i].target;
        if (i > 0 && ent[i].target == ent[i - 1].target) {
            e = EINVAL;
            goto fail;
        }
    }
    pl->ntargets = n;
    pl->max_target = ent[n - 1].target;
    for (i = 0; i < n; i++) {
        if (ent[i].source < 0 || ent[i].target >= limit) {
            e = EBADF;
            goto fail;
        }
        if (ent[i].source > pl->max_used)
            pl->max_used = ent[i].source;
        ent[i].left = ent[i].source != ent[i].target;
        ent[i].need = 0;
        pending += (size_t)ent[i].left;
    }
    if (pl->max_target > pl->max_used)
        pl->max_used = pl->max_target;
    /* Who reads whom.  A target that is its own source is never written,
     * so reading it holds nothing up. */
    for (i = 0; i < n; i++) {
        size_t j = n;

        if (ent[i].left) {
            j = fdp_plan_find(pl->targets, n, ent[i].source);
            if (j < n && !ent[j].left)
                j = n;
        }
        ent[i].reads = j;
        if (j < n)
            ent[j].need++;
    }
    for (i = 0; i < n; i++)
        if (ent[i].left && ent[i].need == 0)
            queue[tail++] = i;
    for (;;) {
        while (head < tail) {
            size_t j;

            FDP_PLAN_STEP();
            i = queue[head++];
            /* Only the last entry of the cycle being undone still reads
             * the saved number: its descriptor waits at the temporary. */
            if (ent[i].source == saved)
                fdp_plan_op(pl, FDP_OP_FROM_TMP, -1, ent[i].target);
            else
                fdp_plan_op(pl, FDP_OP_DUP2, ent[i].source, ent[i].target);
            ent[i].left = 0;
            pending--;
            j = ent[i].reads;
            if (j < n && ent[j].left && --ent[j].need == 0)
                queue[tail++] = j;
        }
        if (pending == 0)
            break;
        /* Only cycles are left: free the first pending target. */
        while (!ent[scan].left) {
            FDP_PLAN_STEP();
            scan++;
        }
        fdp_plan_op(pl, FDP_OP_SAVE, ent[scan].target, -1);
        saved = ent[scan].target;
        pl->need_tmp = 1;
        ent[scan].need = 0;
        queue[tail++] = scan;
    }
    if (pl->need_tmp)
        fdp_plan_op(pl, FDP_OP_DROP_TMP, -1, -1);
    /* dup2 clears close-on-exec on what it makes; a target that is its own
     * source needs it cleared by hand, after every move. */
    for (i = 0; i < n; i++)
        if (ent[i].source == ent[i].target)
            fdp_plan_op(pl, FDP_OP_CLEAR, ent[i].target, -1);
    free(ent);
    free(queue);
    return 0;
fail:
    free(ent);
    free(queue);
    fdp_plan_free(pl);
    return fdp_fail(e);
}

/*
 * Choose the temporary's number for a plan that needs one: below limit,
 * not a target, and free (busy(fd, ctx) == 0: not open here, so neither a
 * source nor the report pipe nor anything else the child has).  Above
 * every number the plan uses while that is below limit, as that needs no
 * look-up of targets; else the lowest such number.  EMFILE when there is
 * none.  Pure but for busy(), which the fuzzer simulates.
 */
static int
fdp_plan_tmp(struct fdp_plan *pl, int limit, int (*busy)(int, void *),
             void *ctx)
{
    int fd;

    pl->tmp = -1;
    if (!pl->need_tmp)
        return 0;
    /* max_used < limit - 1, so max_used + 1 is below limit <= INT_MAX. */
    if (pl->max_used < limit - 1)
        for (fd = pl->max_used + 1; fd < limit; fd++)
            if (!busy(fd, ctx)) {
                pl->tmp = fd;
                return 0;
            }
    for (fd = 0; fd < limit && fd <= pl->max_used; fd++)
        if (!fdp_plan_is_target(pl, fd) && !busy(fd, ctx)) {
            pl->tmp = fd;
            return 0;
        }
    return fdp_fail(EMFILE);
}

static int
fdp_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int
fdp_busy(int fd, void *ctx)
{
    (void)ctx;
    return fdp_is_open(fd);
}

/* O_NONBLOCK lives on the open file, which parent and child share, so it
 * is set here once rather than in the child. */
static int
fdp_set_blocking(const struct fdpass_inherit *fds, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int fl;

        if (fds[i].blocking == FDPASS_PRESERVE)
            continue;
        if ((fl = fcntl(fds[i].source, F_GETFL)) < 0)
            return -1;
        fl = fds[i].blocking == FDPASS_NONBLOCKING ? fl | O_NONBLOCK
                                                   : fl & ~O_NONBLOCK;
        if (fcntl(fds[i].source, F_SETFL, fl) < 0)
            return -1;
    }
    return 0;
}

/* Wait for a child that failed before its program ran, keeping errno. */
static void
fdp_reap(pid_t pid)
{
    int saved = errno, st;

    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    errno = saved;
}

/*
 * The child of the fork path: only system calls, on memory made before
 * the fork.  Any failure is written to the report pipe as an errno.
 */
static void
fdp_child(const struct fdp_plan *pl, char *const argv[], char *const envp[],
          char **paths, const char *dir, int dirfd, int report,
          const sigset_t *mask)
{
    struct sigaction sa;
    size_t i;
    int sig, e = 0, eacces = 0;

    /* Handlers belong to the parent's program: back to defaults before
     * any signal is let in. */
    memset(&sa, 0, sizeof(sa));
    for (sig = 1; sig < NSIG; sig++) {
        struct sigaction old;

        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN
            && old.sa_handler != SIG_DFL) {
            sa.sa_handler = SIG_DFL;
            (void)sigaction(sig, &sa, NULL);
        }
    }
    (void)sigprocmask(SIG_SETMASK, mask, NULL);

    if (dir != NULL ? chdir(dir) < 0 : dirfd >= 0 && fchdir(dirfd) < 0)
        goto fail;
    for (i = 0; i < pl->nops; i++) {
        const struct fdp_op *o = &pl->ops[i];
        int r = 0;

        switch (o->op) {
        case FDP_OP_DUP2:
            r = dup2(o->a, o->b);
            break;
        case FDP_OP_SAVE:
            r = dup2(o->a, pl->tmp);
            break;
        case FDP_OP_FROM_TMP:
            r = dup2(pl->tmp, o->b);
            break;
        case FDP_OP_CLEAR:
            r = fdpass_set_cloexec(o->a, 0);
            break;
        case FDP_OP_DROP_TMP:
            r = close(pl->tmp);
            break;
        }
        if (r < 0)
            goto fail;
    }
    /* As execvp: try each place in PATH; EACCES anywhere wins over a
     * later ENOENT. */
    for (i = 0; paths[i] != NULL; i++) {
        (void)execve(paths[i], argv, envp);
        if (errno == EACCES)
            eacces = 1;
        else if (errno != ENOENT && errno != ENOTDIR)
            break;
    }
    if (eacces && (errno == ENOENT || errno == ENOTDIR))
        errno = EACCES;
fail:
    e = errno;
    while (write(report, &e, sizeof(e)) < 0 && errno == EINTR)
        ;
    _exit(127);
}

/* The places to try for argv[0], as execvp would, made before the fork.
 * One allocation holds the pointers and the strings. */
static char **
fdp_exec_paths(const char *prog)
{
    const char *path, *p, *end;
    size_t n = 1, size, plen = strlen(prog);
    char **v, *buf;

    if (strchr(prog, '/') != NULL) {
        v = malloc(2 * sizeof(char *) + plen + 1);
        if (v == NULL)
            return NULL;
        v[0] = (char *)(v + 2);
        memcpy(v[0], prog, plen + 1);
        v[1] = NULL;
        return v;
    }
    path = getenv("PATH");
    if (path == NULL)
        path = "/bin:/usr/bin";
    for (p = path; *p; p++)
        n += *p == ':';
    size = (n + 1) * sizeof(char *) + strlen(path) + n * (plen + 3);
    if ((v = malloc(size)) == NULL)
        return NULL;
    buf = (char *)(v + n + 1);
    for (n = 0, p = path;; p = end + 1) {
        size_t dl;

        end = strchr(p, ':');
        if (end == NULL)
            end = p + strlen(p);
        dl = (size_t)(end - p);
        v[n++] = buf;
        if (dl == 0) {
            *buf++ = '.';
        } else {
            memcpy(buf, p, dl);
            buf += dl;
        }
        *buf++ = '/';
        memcpy(buf, prog, plen + 1);
        buf += plen + 1;
        if (*end == '\0')
            break;
    }
    v[n] = NULL;
    return v;
}

/*
 * Where the child's end of the report pipe sits.  The child writes its
 * errno there after the plan has run, so the number must not be a target
 * (a dup2 onto it would send the report into the file placed there) nor
 * the temporary (fdp_plan_tmp, called after this, takes only numbers not
 * open here).  A fresh descriptor is never a source: those were open
 * before the pipe was made.  So fd stays where pipe() put it unless that
 * number is a target.  Then it moves above the highest target, or, when
 * that target is the last number below the limit (limit - 1 is a valid
 * target, and F_DUPFD at limit fails with EINVAL), to the lowest free
 * number that is not a target: each try that lands on a target skips it,
 * so there are at most one more tries than targets.  No number is ever
 * computed past limit - 1 + 1 = limit <= INT_MAX.  The descriptor given is
 * closed when it is replaced, and on failure (EMFILE when no number
 * below the limit is left).
 */
static int
fdp_report_fd(const struct fdp_plan *pl, int fd, int limit)
{
    int from, nfd, e;

    if (!fdp_plan_is_target(pl, fd))
        return fd;
    /* The map is not empty, and max_target < limit (fdp_make_plan). */
    from = pl->max_target < limit - 1 ? pl->max_target + 1 : 0;
    for (;;) {
        if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, from)) < 0) {
            e = errno == EINVAL ? EMFILE : errno;
            (void)close(fd);
            return fdp_fail(e);
        }
        if (!fdp_plan_is_target(pl, nfd))
            break;
        (void)close(nfd);
        from = nfd + 1; /* nfd < limit */
    }
    (void)close(fd);
    (void)fdpass_set_cloexec(nfd, 1); /* F_DUPFD_CLOEXEC may be F_DUPFD */
    return nfd;
}

static int
fdp_spawn_fork(struct fdp_plan *pl, char *const argv[], char *const envp[],
               const char *dir, int dirfd, int limit, pid_t *ret_pid)
{
    sigset_t all, old;
    char **paths;
    int pfd[2], report, e, got;
    ssize_t r;
    pid_t pid;

    if ((paths = fdp_exec_paths(argv[0])) == NULL)
        return fdp_fail(ENOMEM);
#ifdef FDP_HAVE_PIPE2
    if (pipe2(pfd, O_CLOEXEC) < 0) {
#else
    if (pipe(pfd) < 0) {
#endif
        free(paths);
        return -1;
    }
#ifndef FDP_HAVE_PIPE2
    (void)fdpass_set_cloexec(pfd[0], 1);
    (void)fdpass_set_cloexec(pfd[1], 1);
#endif
    if ((report = fdp_report_fd(pl, pfd[1], limit)) < 0
        || fdp_plan_tmp(pl, limit, fdp_busy, NULL) < 0) {
        e = errno;
        if (report >= 0)
            (void)close(report);
        (void)close(pfd[0]);
        free(paths);
        return fdp_fail(e);
    }

    sigfillset(&all);
    (void)sigprocmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        fdp_child(pl, argv, envp, paths, dir, dirfd, report, &old);
    e = errno;
    (void)sigprocmask(SIG_SETMASK, &old, NULL);
    (void)close(report);
    free(paths);
    if (pid < 0) {
        (void)close(pfd[0]);
        return fdp_fail(e);
    }
    /* EOF: the exec went through and closed the child's end. */
    do
        r = read(pfd[0], &got, sizeof(got));
    while (r < 0 && errno == EINTR);
    (void)close(pfd[0]);
    if (r == (ssize_t)sizeof(got)) {
        fdp_reap(pid);
        return fdp_fail(got);
    }
    *ret_pid = pid;
    return 0;
}

#ifdef FDP_USE_POSIX_SPAWN
static int
fdp_spawn_posix(struct fdp_plan *pl, char *const argv[], char *const envp[],
                const char *dir, int dirfd, int limit, pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    size_t i;
    int r = 0;
    pid_t pid;

    if (fdp_plan_tmp(pl, limit, fdp_busy, NULL) < 0)
        return -1;
    if ((r = posix_spawn_file_actions_init(&fa)) != 0)
        return fdp_fail(r);
    if (dir != NULL)
        r = posix_spawn_file_actions_addchdir_np(&fa, dir);
    else if (dirfd >= 0)
        r = posix_spawn_file_actions_addfchdir_np(&fa, dirfd);
    for (i = 0; r == 0 && i < pl->nops; i++) {
        const struct fdp_op *o = &pl->ops[i];

        switch (o->op) {
        case FDP_OP_DUP2:
            r = posix_spawn_file_actions_adddup2(&fa, o->a, o->b);
            break;
        case FDP_OP_SAVE:
            r = posix_spawn_file_actions_adddup2(&fa, o->a, pl->tmp);
            break;
        case FDP_OP_FROM_TMP:
            r = posix_spawn_file_actions_adddup2(&fa, pl->tmp, o->b);
            break;
        case FDP_OP_CLEAR:
            /* glibc 2.29 and later clear FD_CLOEXEC for dup2(fd, fd). */
            r = posix_spawn_file_actions_adddup2(&fa, o->a, o->a);
            break;
        case FDP_OP_DROP_TMP:
            r = posix_spawn_file_actions_addclose(&fa, pl->tmp);
            break;
        }
    }
    if (r == 0)
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    (void)posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return fdp_fail(r); /* glibc has already reaped the failed child */
    *ret_pid = pid;
    return 0;
}
#endif /* FDP_USE_POSIX_SPAWN */

int
fdpass_spawn(char *const argv[], char *const envp[],
             const struct fdpass_inherit *fds, size_t nfds,
             const char *dir, int dirfd, int flags, pid_t *ret_pid)
{
    struct fdp_plan pl;
    size_t i;
    int r, limit;

    if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0'
        || ret_pid == NULL || (nfds > 0 && fds == NULL))
        return fdp_fail(EINVAL);
    if (dir == NULL && dirfd >= 0 && !fdp_is_open(dirfd))
        return fdp_fail(EBADF);
    /* The child inherits this limit: a target at or above it could never
     * be made there (dup2 says EBADF), so the call says so at once. */
    if ((limit = fdp_nofile()) < 0)
        return -1;
    if (fdp_make_plan(&pl, fds, nfds, limit) < 0)
        return -1;
    for (i = 0; i < nfds; i++)
        if (!fdp_is_open(fds[i].source)) {
            fdp_plan_free(&pl);
            return fdp_fail(EBADF);
        }
    if (fdp_set_blocking(fds, nfds) < 0) {
        fdp_plan_free(&pl);
        return -1;
    }
    if (envp == NULL)
        envp = environ;
#ifdef FDP_USE_POSIX_SPAWN
    if (!(flags & FDPASS_SPAWN_FORK))
        r = fdp_spawn_posix(&pl, argv, envp, dir, dirfd, limit, ret_pid);
    else
#endif
        r = fdp_spawn_fork(&pl, argv, envp, dir, dirfd, limit, ret_pid);
    (void)flags;
    fdp_plan_free(&pl);
    return r;
}

#else /* _WIN32 */

int
fdpass_spawn(char *const argv[], char *const envp[],
             const struct fdpass_inherit *fds, size_t nfds,
             const char *dir, int dirfd, int flags, pid_t *ret_pid)
{
    (void)argv; (void)envp; (void)fds; (void)nfds;
    (void)dir; (void)dirfd; (void)flags; (void)ret_pid;
    return fdp_fail(ENOSYS);
}

#endif /* _WIN32 */

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
#else
# define FDP_F_CMSG ""
# define FDP_F_PIPE ""
# define FDP_F_SOCK ""
# define FDP_F_ACCEPT4 ""
# define FDP_F_CRED ""
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
        FDP_F_ACCEPT4 FDP_F_PIPE2 FDP_F_CRED FDP_F_SPAWN FDP_F_FALLBACKS;

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
    char byte;
    size_t n = 0, len = 0;
    int r;

    /* What fdpass_recv checks besides holds for these arguments. */
    if (sock < 0)
        return fdp_fail(EBADF);
    if (ret_fd == NULL)
        return fdp_fail(EINVAL);
    r = be_recv(sock, ret_fd, 1, &n, &byte, 1, &len, flags | FDP_RECV_ONE);
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
fdpass_accept(int lsock, uid_t *ret_uid, int flags)
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
fdpass_peer_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
    if (sock < 0)
        return fdp_fail(EBADF);
    return be_peer_cred(sock, ret_pid, ret_uid, ret_gid);
}
