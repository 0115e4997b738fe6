/*
 * room.c - the receive side's room check (fdp_room) seen from inside, in
 * the tables that could fool it: a full table of more than 1024 slots,
 * the top slot taken with room below, and a kernel truncation (the table
 * filled between check and read) told apart from a message that carried
 * too many.  It calls the core's private functions through fdpass-int.h,
 * built with -DFDP_TESTING as the fuzz harness is.  Prints TAP;
 * xt/95-c-api.t builds and runs it.
 */
#define _GNU_SOURCE 1
#include "fdpass-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tap.h"

/* How many descriptors this process has open below 4096. */
static int
count_open(void)
{
    int fd, n = 0;

    for (fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* body(arg) in a child with RLIMIT_NOFILE at lim, as one test named name:
 * ok when it exits 0, skipped when the limit cannot be set here. */
static void
ok_in_child(rlim_t lim, int (*body)(int), int arg, const char *name)
{
    struct rlimit rl;
    pid_t pid;
    int status, r = -1;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < lim)
            _exit(100);
        rl.rlim_cur = lim;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            _exit(100);
        _exit(body(arg));
    }
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
        r = WEXITSTATUS(status);
    if (r == 100) {
        skip("RLIMIT_NOFILE of %lu refused here", (unsigned long)lim);
        return;
    }
    ok(r == 0, name);
    if (r != 0)
        diag("child status %d", r);
}

/* Fill every free slot below the limit with duplicates of fd. */
static void
fill(int fd)
{
    while (fcntl(fd, F_DUPFD, 0) >= 0)
        ;
}

/* A full table of 1100 slots: slot 1023 freed alone is one free slot,
 * not room for 20; then 19 more low ones make room for 20 and not 21. */
static int
full_big(int sock)
{
    int fails = 0, fd;

    fill(sock);
    errno = 0;
    if (fdp_room(20) != -1 || errno != EMFILE)
        fails |= 1;
    close(1023);
    errno = 0;
    if (fdp_room(20) != -1 || errno != EMFILE)
        fails |= 2;
    for (fd = 100; fd < 119; fd++)
        close(fd);
    if (fdp_room(20) != 0)
        fails |= 4;
    errno = 0;
    if (fdp_room(21) != -1 || errno != EMFILE)
        fails |= 8;
    return fails;
}

/* A message of 20 descriptors into a full table: EMFILE and kept; all of
 * it once 20 slots are free. */
static int
full_message(int sock)
{
    int fails = 0, fds[FDPASS_MAX], fd;
    size_t n = 0, len = 0;
    char buf[4];

    fill(sock);
    errno = 0;
    if (fdpass_recv(sock, fds, 20, &n, buf, sizeof buf, &len, 0) != -1
        || errno != EMFILE)
        fails |= 1;
    for (fd = 200; fd < 220; fd++)
        close(fd);
    if (fdpass_recv(sock, fds, 20, &n, buf, sizeof buf, &len, 0) != 1
        || n != 20)
        fails |= 2;
    return fails;
}

/* Slot 1099, the top one, taken and the rest nearly empty: room for
 * FDPASS_MAX is found below, and no descriptor was made to find it; then
 * with every slot but 252 taken, no room for 253, and room for 252. */
static int
top_taken(int sock)
{
    int fails = 0, before, fd, left;

    if (dup2(sock, 1099) != 1099)
        return 1;
    before = count_open();
    if (fdp_room(FDPASS_MAX) != 0)
        fails |= 2;
    if (count_open() != before)
        fails |= 4;
    fill(sock);
    for (fd = 500, left = 252; left > 0; fd += 2, left--)
        close(fd);
    errno = 0;
    if (fdp_room(FDPASS_MAX) != -1 || errno != EMFILE)
        fails |= 8;
    if (fdp_room(FDPASS_MAX - 1) != 0)
        fails |= 16;
    return fails;
}

/* The message of three whose read finds one free slot (the table filled
 * after the check): Linux installs one, drops two and sets MSG_CTRUNC.
 * scm_collect calls that EMFILE, not EMSGSIZE, and closes the one; with
 * three free slots the next message, of three for a call that takes two,
 * is EMSGSIZE. */
static int
truncated(int sock)
{
    union {
        struct cmsghdr h;
        char buf[FDP_CONTROL_SIZE];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    char byte;
    int fails = 0, fds[FDPASS_MAX], before;
    size_t n = 5;

    fill(sock);
    close(300);
    before = count_open();
    memset(&msg, 0, sizeof(msg));
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = FDP_CONTROL_LEN(3);
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return 1;
    if (!(msg.msg_flags & MSG_CTRUNC))
        fails |= 2;
    if (scm_collect(&msg, fds, 3, &n) != -1 || errno != EMFILE || n != 0)
        fails |= 4;
    if (count_open() != before)
        fails |= 8;
    close(301);
    close(302);
    close(303);
    before = count_open();
    msg.msg_controllen = FDP_CONTROL_LEN(2);
    msg.msg_flags = 0;
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return fails | 16;
    if (scm_collect(&msg, fds, 2, &n) != -1 || errno != EMSGSIZE)
        fails |= 32;
    if (count_open() != before)
        fails |= 64;
    return fails;
}

int
main(void)
{
    int sv[2], fds[FDPASS_MAX], got[FDPASS_MAX], i, r;
    const char *lp;
    size_t n = 0, len = 0;
    char buf[4];

    if (fdpass_socketpair(sv, FDPASS_CLOEXEC) < 0)
        return 2;

    /* The top slot below the limit taken, room below it: the check
     * counts the free slots without making a descriptor. */
    ok_in_child(1100, top_taken, sv[1],
                "top slot taken: room for 253 counted below it, no "
                "descriptor made; a full table below it is EMFILE");

    /* The check as a whole, in tables that could fool it. */
    ok_in_child(1100, full_big, sv[1],
                "full table of 1100 slots: no room for 20 with slot 1023 "
                "free, room for 20 and not 21 with 20 free");

    for (i = 0; i < 20; i++)
        fds[i] = sv[0];
    fdpass_send(sv[0], fds, 20, NULL, 0);
    ok_in_child(1100, full_message, sv[1],
                "a 20-descriptor message into a full table: EMFILE, kept, "
                "all of it once 20 slots are free");

    for (i = 0; i < 3; i++)
        fds[i] = sv[0];
    fdpass_send(sv[0], fds, 3, NULL, 0);
    fdpass_send(sv[0], fds, 3, NULL, 0);
    /* valgrind keeps descriptors of its own above the limit it shows the
     * program, so the kernel installs what the program's table has no
     * room for: the truncation cannot be made there. */
    lp = getenv("LD_PRELOAD");
    if (lp != NULL && strstr(lp, "vgpreload") != NULL)
        skip("under valgrind the kernel's table is not the program's");
    else
        ok_in_child(1100, truncated, sv[1],
                    "a message cut short by a full table (MSG_CTRUNC, fewer "
                    "than asked) is EMFILE, one that carried too many "
                    "EMSGSIZE; nothing left open");
    /* The child read both from the socket it shares with this process;
     * a skipped child left them queued: they are taken out here. */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    while (fdpass_recv(sv[1], got, FDPASS_MAX, &n, buf, sizeof buf, &len,
                       0) == 1)
        fdpass_close_all(got, n);
    fcntl(sv[1], F_SETFL, 0);

    /* The usual case: room, and a full message of 64 arrives. */
    for (i = 0; i < 64; i++)
        fds[i] = sv[0];
    ok(fdpass_send(sv[0], fds, 64, NULL, 0) >= 0, "sent 64");
    r = fdpass_recv(sv[1], got, 64, &n, buf, sizeof buf, &len, 0);
    ok(r == 1 && n == 64, "received 64");
    for (i = 0; i < (int)n; i++)
        close(got[i]);
    close(sv[0]);
    close(sv[1]);
    return done_testing();
}
