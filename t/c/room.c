/*
 * room.c - the receive side's room check (fdp_room) seen from inside:
 * the select() probe that answers for many slots at once on Linux, and
 * the check as a whole in the tables that could fool it, among them a
 * full table of more than 1024 slots.  It includes fdpass.c itself, as
 * the fuzz harness does.  Prints TAP; t/95-c-api.t builds and runs it.
 */
#define _GNU_SOURCE 1
#include "../../fdpass.c"

#include <stdio.h>
#include <sys/wait.h>

#include "tap.h"

#ifdef FDP_HAVE_SELECT_PROBE
/* The size of this process's descriptor table (Linux), or -1. */
static int
table_size(void)
{
    char line[256];
    int size = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "FDSize: %d", &size) == 1)
            break;
    fclose(f);
    return size;
}
#endif /* FDP_HAVE_SELECT_PROBE */

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
        printf("ok %d # skip RLIMIT_NOFILE of %lu refused here\n", ++n_test,
               (unsigned long)lim);
        return;
    }
    ok(r == 0, name);
    if (r != 0)
        printf("# child status %d\n", r);
}

/* Fill every free slot below the limit with duplicates of fd. */
static void
fill(int fd)
{
    while (fcntl(fd, F_DUPFD, 0) >= 0)
        ;
}

/* A full table of 1100 slots: slot 1023 (where the probe looks) freed
 * alone is one free slot, not room for 20; then 19 more low ones make
 * room for 20 and not 21. */
static int
full_big(int sock)
{
    int fails = 0, fd;

    fill(sock);
    errno = 0;
    if (fdp_room(sock, 20) != -1 || errno != EMFILE)
        fails |= 1;
    close(1023);
    errno = 0;
    if (fdp_room(sock, 20) != -1 || errno != EMFILE)
        fails |= 2;
    for (fd = 100; fd < 119; fd++)
        close(fd);
    if (fdp_room(sock, 20) != 0)
        fails |= 4;
    errno = 0;
    if (fdp_room(sock, 21) != -1 || errno != EMFILE)
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

int
main(void)
{
    int sv[2], fds[FDPASS_MAX], got[FDPASS_MAX], i, size, r;
    size_t n = 0, len = 0;
    char buf[4];

    if (fdpass_socketpair(sv, FDPASS_CLOEXEC) < 0)
        return 2;

#ifdef FDP_HAVE_SELECT_PROBE
    size = table_size();
    if (size > 0 && size < 1024) {
        ok(fdp_free_from(1023) == 1,
           "probe: slot 1023 beyond a table of fewer slots is free from there up");
        ok(fdp_free_from(size) == 1, "probe: the first slot beyond the table too");
        ok(fdp_free_from(sv[0]) == 0, "probe: an open slot cannot be");
        if (dup2(sv[0], 1023) == 1023) {
            ok(fdp_free_from(1023) == 0, "probe: slot 1023 open: no answer");
            ok(fdp_free_from(1000) == 0,
               "probe: a free slot inside the grown table: no answer");
            close(1023);
            ok(fdp_free_from(1023) == 0,
               "probe: slot 1023 closed again, the table stays grown: no answer");
            ok(fdp_room(sv[1], 64) == 0, "room for 64 after the probe cannot tell");
        }
    } else {
        printf("# table of %d slots: the probe's answers are not checked\n", size);
    }
    ok(fdp_free_from(FD_SETSIZE) == 0 && fdp_free_from(-1) == 0,
       "probe: a slot outside an fd_set is not looked at");
#else
    (void)size;
    printf("# no select() probe in this build\n");
#endif

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
    printf("1..%d\n", n_test);
    return n_fail ? 1 : 0;
}
