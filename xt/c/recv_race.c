/*
 * recv_race.c - the receive side under races and hostile peers, through
 * the C API (fdpass.h); xt/recv-race.t builds it with -pthread and runs
 * each part in a process of its own:
 *
 *   fill     another thread fills the table while fdpass_recv waits for
 *            the message: EMFILE, the message kept, then all of it;
 *   fork     another thread forks again and again while fdpass_recv runs
 *            its room check the slow way (the top slot taken): no child
 *            may hold a descriptor the parent did not have before;
 *   hostile  crafted control messages from a C peer: several SCM_RIGHTS
 *            headers, credentials between them (SO_PASSCRED on the
 *            receiver), more descriptors than asked, into a nearly full
 *            table: the right errno and nothing left open.
 *
 * Prints TAP.  Every loop is bounded in count, every wait by alarm().
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "../../t/c/tap.h"

#define SCAN 2048 /* descriptor numbers looked at by the counts */

static int
is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int
count_open(void)
{
    int fd, n = 0;

    for (fd = 0; fd < SCAN; fd++)
        n += is_open(fd);
    return n;
}

static int
set_nofile(rlim_t soft)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < soft)
        return -1;
    rl.rlim_cur = soft;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

/* A fresh unlinked file; its inode tells it apart. */
static int
temp_file(void)
{
    char path[] = "/tmp/recv_raceXXXXXX";
    int fd = mkstemp(path);

    if (fd >= 0)
        unlink(path);
    return fd;
}

static int
same_file(int a, int b)
{
    struct stat sa, sb;

    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0
           && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether thread tid of this process sleeps (state S in its stat). */
static int
sleeping(pid_t tid)
{
    char path[64], buf[512], *p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && p[2] == 'S';
}

static void
pause_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* ---- fill: the table fills while the call waits ---- */

struct fill_job {
    pid_t main_tid;
    int sock;          /* the sending end */
    int files[2];
    int filler[SCAN];  /* the slots the thread took */
    int nfiller;
    int waited;        /* the receiver was seen waiting */
};

static void *
fill_thread(void *arg)
{
    struct fill_job *j = arg;
    int i, fd, null = open("/dev/null", O_RDONLY | O_CLOEXEC);

    for (i = 0; i < 500 && !j->waited; i++) {
        if (sleeping(j->main_tid) && (pause_ms(50), sleeping(j->main_tid)))
            j->waited = 1;
        else
            pause_ms(10);
    }
    /* Every free slot taken (the last by the /dev/null it came from). */
    while ((fd = fcntl(null, F_DUPFD_CLOEXEC, 0)) >= 0 && j->nfiller < SCAN)
        j->filler[j->nfiller++] = fd;
    j->filler[j->nfiller++] = null;
    fdpass_send(j->sock, j->files, 2, "two", 3);
    return NULL;
}

static int
part_fill(void)
{
    struct fill_job j;
    pthread_t t;
    int sv[2], fds[FDPASS_MAX], i, r, e, before;
    size_t n = 0, len = 0;
    char buf[8];

    if (set_nofile(256) < 0) {
        skip("RLIMIT_NOFILE of 256 refused here");
        return 0;
    }
    memset(&j, 0, sizeof j);
    if (fdpass_socketpair(sv, FDPASS_CLOEXEC) < 0)
        return 2;
    j.main_tid = (pid_t)syscall(SYS_gettid);
    j.sock = sv[0];
    j.files[0] = temp_file();
    j.files[1] = temp_file();
    before = count_open();
    if (pthread_create(&t, NULL, fill_thread, &j) != 0)
        return 2;
    errno = 0;
    r = fdpass_recv(sv[1], fds, 2, &n, buf, sizeof buf, &len, FDPASS_CLOEXEC);
    e = errno;
    pthread_join(t, NULL);
    ok(j.waited, "fill: the receiver was waiting when the table filled");
    ok(r == -1 && e == EMFILE,
       "fill: the message arrives into a table filled meanwhile: EMFILE");
    if (r != -1 || e != EMFILE)
        diag("got %d, errno %d (%s)", r, e, strerror(e));
    for (i = 0; i < j.nfiller; i++)
        close(j.filler[i]);
    ok(count_open() == before, "fill: nothing left open by the refusal");
    /* Nothing else is coming: a lost message shows as EAGAIN, no hang. */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    r = fdpass_recv(sv[1], fds, 2, &n, buf, sizeof buf, &len, FDPASS_CLOEXEC);
    ok(r == 1 && n == 2 && len == 3 && memcmp(buf, "two", 3) == 0,
       "fill: slots freed: the next call gets the queued message");
    ok(r == 1 && n == 2 && same_file(fds[0], j.files[0])
       && same_file(fds[1], j.files[1]),
       "fill: both descriptors, the files that were sent");
    if (r == 1)
        fdpass_close_all(fds, n);
    return 0;
}

/* ---- fork: no stray copies in children forked during the check ---- */

#define FORKS 400

struct fork_job {
    unsigned char before[SCAN]; /* open before the receives began */
    volatile int done;
    int children, strays;
};

static void *
fork_thread(void *arg)
{
    struct fork_job *j = arg;
    int i, fd, stray, status;
    pid_t pid;

    for (i = 0; i < FORKS; i++) {
        pid = fork();
        if (pid == 0) {
            /* Only fcntl here: the parent has other threads. */
            stray = 0;
            for (fd = 0; fd < SCAN; fd++)
                if (!j->before[fd] && fcntl(fd, F_GETFD) >= 0)
                    stray = 1;
            _exit(stray);
        }
        if (pid < 0)
            break;
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
            j->children++;
            j->strays += WEXITSTATUS(status) != 0;
        }
    }
    j->done = 1;
    return NULL;
}

static int
part_fork(void)
{
    static struct fork_job j;
    pthread_t t;
    int sv[2], fds[FDPASS_MAX], fd, r, calls = 0, other = 0;
    size_t n = 0, len = 0;
    char buf[8], name[160];

    if (set_nofile(1100) < 0) {
        skip("RLIMIT_NOFILE of 1100 refused here");
        return 0;
    }
    if (fdpass_socketpair(sv, FDPASS_CLOEXEC) < 0)
        return 2;
    /* The top slot taken: the check counts the free slots below it. */
    if (dup2(sv[0], 1099) != 1099)
        return 2;
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    for (fd = 0; fd < SCAN; fd++)
        j.before[fd] = (unsigned char)is_open(fd);
    if (pthread_create(&t, NULL, fork_thread, &j) != 0)
        return 2;
    while (!j.done && calls < 1000000) {
        r = fdpass_recv(sv[1], fds, FDPASS_MAX, &n, buf, sizeof buf, &len,
                        FDPASS_CLOEXEC);
        calls++;
        if (r != -1 || errno != EAGAIN)
            other++;
    }
    pthread_join(t, NULL);
    ok(j.children == FORKS, "fork: every child ran its check");
    ok(other == 0, "fork: every receive did its check, found nothing queued");
    snprintf(name, sizeof name,
             "fork: %d of %d children forked during %d receives held a "
             "descriptor the parent did not have before (must be 0)",
             j.strays, j.children, calls);
    ok(j.strays == 0, name);
    return 0;
}

/* ---- hostile: crafted control messages from a C peer ---- */

/* Send one message whose control data is the given headers, each
 * SCM_RIGHTS with cnt[i] copies of fd, or SCM_CREDENTIALS where cnt[i]
 * is -1. */
static int
send_crafted(int sock, int fd, const int *cnt, int nhdr)
{
    union {
        struct cmsghdr h;
        char buf[8192];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *c;
    struct ucred uc;
    size_t used = 0;
    char byte = 0;
    int i, k;

    memset(&cb, 0, sizeof cb);
    memset(&msg, 0, sizeof msg);
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    for (i = 0; i < nhdr; i++)
        used += cnt[i] < 0 ? CMSG_SPACE(sizeof uc)
                           : CMSG_SPACE((size_t)cnt[i] * sizeof(int));
    msg.msg_controllen = used;
    c = CMSG_FIRSTHDR(&msg);
    for (i = 0; i < nhdr; i++, c = CMSG_NXTHDR(&msg, c)) {
        c->cmsg_level = SOL_SOCKET;
        if (cnt[i] < 0) {
            uc.pid = getpid();
            uc.uid = getuid();
            uc.gid = getgid();
            c->cmsg_type = SCM_CREDENTIALS;
            c->cmsg_len = CMSG_LEN(sizeof uc);
            memcpy(CMSG_DATA(c), &uc, sizeof uc);
        } else {
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN((size_t)cnt[i] * sizeof(int));
            for (k = 0; k < cnt[i]; k++)
                memcpy(CMSG_DATA(c) + k * sizeof(int), &fd, sizeof(int));
        }
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Receive with maxfds from sock; 1 when it went as expected (want_n
 * descriptors, each the file of fd; or failure with want_errno), and
 * nothing stays open but what was handed over and then closed. */
static int
recv_check(int sock, int fd, size_t maxfds, size_t want_n, int want_errno)
{
    int fds[FDPASS_MAX], r, e, good = 1, before = count_open();
    size_t n = 0, len = 0, i;
    char buf[8];

    errno = 0;
    r = fdpass_recv(sock, fds, maxfds, &n, buf, sizeof buf, &len,
                    FDPASS_CLOEXEC);
    e = errno;
    if (want_errno != 0) {
        good = r == -1 && e == want_errno && n == 0;
    } else {
        good = r == 1 && n == want_n;
        for (i = 0; good && i < n; i++)
            good = same_file(fds[i], fd);
        if (r == 1)
            fdpass_close_all(fds, n);
    }
    if (count_open() != before)
        good = 0;
    if (!good)
        diag("got %d, %lu descriptors, errno %d (%s)", r,
             (unsigned long)n, e, strerror(e));
    return good;
}

static int
part_hostile(void)
{
    static const int three[] = { 1, 2, 1 };
    static const int creds_between[] = { 2, -1, 1, -1, 1 };
    static const int many[] = { FDPASS_MAX };
    int sv[2], one = 1, fd, null, i, filled[SCAN], nfilled = 0;

    if (set_nofile(512) < 0) {
        skip("RLIMIT_NOFILE of 512 refused here");
        return 0;
    }
    if (fdpass_socketpair(sv, FDPASS_CLOEXEC) < 0)
        return 2;
    fd = temp_file();
    ok(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0,
       "hostile: the receiver takes credentials (SO_PASSCRED)");

    send_crafted(sv[0], fd, three, 3);
    ok(recv_check(sv[1], fd, 4, 4, 0),
       "hostile: three SCM_RIGHTS headers (1, 2, 1): all four, the right "
       "file, nothing else left open");
    send_crafted(sv[0], fd, three, 3);
    ok(recv_check(sv[1], fd, 3, 0, EMSGSIZE),
       "hostile: the same four for a call that takes three: EMSGSIZE, all "
       "closed");
    send_crafted(sv[0], fd, creds_between, 5);
    ok(recv_check(sv[1], fd, 4, 4, 0),
       "hostile: credentials between SCM_RIGHTS headers: the four "
       "descriptors, no credential taken for one");
    send_crafted(sv[0], fd, many, 1);
    ok(recv_check(sv[1], fd, 1, 0, EMSGSIZE),
       "hostile: FDPASS_MAX descriptors for a call that takes one: "
       "EMSGSIZE, all closed");
    for (i = 0; i < 20; i++)
        send_crafted(sv[0], fd, three, 3);
    for (i = 0; i < 20; i++)
        if (!recv_check(sv[1], fd, 2, 0, EMSGSIZE))
            break;
    ok(i == 20, "hostile: 20 of them queued, each EMSGSIZE, all closed");

    /* Too many into a nearly full table: one slot free, room for the one
     * the call takes, FDPASS_MAX sent.  The system installs one and drops
     * the rest; the message carried more than asked: EMSGSIZE. */
    null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    while ((i = fcntl(null, F_DUPFD_CLOEXEC, 0)) >= 0 && nfilled < SCAN)
        filled[nfilled++] = i;
    close(filled[--nfilled]);
    send_crafted(sv[0], fd, many, 1);
    ok(recv_check(sv[1], fd, 1, 0, EMSGSIZE),
       "hostile: FDPASS_MAX into a table with one free slot, for a call "
       "that takes one: EMSGSIZE, nothing left open");
    send_crafted(sv[0], fd, three, 3);
    ok(recv_check(sv[1], fd, 4, 0, EMFILE),
       "hostile: four for a call that takes four, one slot free: EMFILE, "
       "nothing read");
    for (i = 0; i < 3; i++)
        close(filled[--nfilled]);
    ok(recv_check(sv[1], fd, 4, 4, 0),
       "hostile: four slots free: the queued four arrive");
    while (nfilled > 0)
        close(filled[--nfilled]);
    close(null);
    return 0;
}

int
main(int argc, char **argv)
{
    int r = 2;

    alarm(60);
    if (argc == 2 && strcmp(argv[1], "fill") == 0)
        r = part_fill();
    else if (argc == 2 && strcmp(argv[1], "fork") == 0)
        r = part_fork();
    else if (argc == 2 && strcmp(argv[1], "hostile") == 0)
        r = part_hostile();
    else
        fprintf(stderr, "usage: recv_race fill|fork|hostile\n");
    if (r != 0)
        return r;
    return done_testing();
}
