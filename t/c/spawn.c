/*
 * spawn.c - tests of fdpass_spawn without Perl: both ways of starting the
 * child (posix_spawn where the core uses it, and fork+exec), the swap and
 * a three-way rotation, TARGET => TARGET, close-on-exec of unlisted
 * descriptors, blocking modes, chdir, env, and errors with no zombie.
 * Prints TAP; t/95-c-api.t builds and runs it.
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int n_test, n_fail;

static void
ok(int cond, const char *fmt, int way)
{
    char name[200];

    snprintf(name, sizeof name, fmt, way ? "fork" : "default");
    n_test++;
    if (!cond)
        n_fail++;
    printf("%sok %d - %s\n", cond ? "" : "not ", n_test, name);
    fflush(stdout);
}

/* Run bash -c script with the given map; return its exit status, or -1 and
 * errno when it could not start. */
static int
run_sh(const char *script, struct fdpass_inherit *m, size_t n, const char *dir,
       int dirfd, char *const envp[], int flags)
{
    char *argv[] = { "bash", "-c", (char *)script, NULL };
    pid_t pid;
    int st;

    if (fdpass_spawn(argv, envp, m, n, dir, dirfd, flags, &pid) < 0)
        return -1;
    if (waitpid(pid, &st, 0) != pid)
        return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read what is waiting in a pipe. */
static const char *
drain(int fd, char *buf, size_t len)
{
    ssize_t r = read(fd, buf, len - 1);

    buf[r < 0 ? 0 : r] = '\0';
    return buf;
}

/* A pipe whose write end sits at number at (closed first if open). */
static int
pipe_at(int at, int *ret_read)
{
    int p[2];

    if (pipe(p) < 0)
        return -1;
    if (p[0] == at) {
        p[0] = fcntl(at, F_DUPFD_CLOEXEC, 60);
        close(at);
    }
    if (p[1] != at) {
        dup2(p[1], at);
        close(p[1]);
    }
    /* The read end goes high, out of the way of the numbers tested. */
    *ret_read = fcntl(p[0], F_DUPFD_CLOEXEC, 60);
    close(p[0]);
    fcntl(at, F_SETFD, FD_CLOEXEC);
    return at;
}

static int
zombies(void)
{
    return waitpid(-1, NULL, WNOHANG) > 0;
}

static void
tests(int flags)
{
    int way = flags != 0, r3, r4, r5, r, i, rd[40];
    char buf[256], dir[] = "/tmp/fdpass-spawn-XXXXXX", script[2048];
    struct fdpass_inherit m[40];
    char *env[] = { "ONLY=this", NULL };

    /* The swap: 3 and 4 change places. */
    pipe_at(10, &r3);
    pipe_at(11, &r4);
    dup2(10, 3);
    dup2(11, 4);
    close(10);
    close(11);
    m[0].target = 3; m[0].source = 4; m[0].blocking = FDPASS_PRESERVE;
    m[1].target = 4; m[1].source = 3; m[1].blocking = FDPASS_PRESERVE;
    r = run_sh("echo three >&3; echo four >&4", m, 2, NULL, -1, NULL, flags);
    ok(r == 0, "%s: swap {3 => 4, 4 => 3} ran", way);
    ok(strcmp(drain(r4, buf, sizeof buf), "three\n") == 0, "%s: what the child wrote to 3 reached old 4", way);
    ok(strcmp(drain(r3, buf, sizeof buf), "four\n") == 0, "%s: what it wrote to 4 reached old 3", way);
    close(3); close(4); close(r3); close(r4);

    /* A three-way rotation. */
    pipe_at(3, &r3);
    pipe_at(4, &r4);
    pipe_at(5, &r5);
    m[0].target = 3; m[0].source = 4;
    m[1].target = 4; m[1].source = 5;
    m[2].target = 5; m[2].source = 3;
    for (i = 0; i < 3; i++)
        m[i].blocking = FDPASS_PRESERVE;
    r = run_sh("echo a >&3; echo b >&4; echo c >&5", m, 3, NULL, -1, NULL, flags);
    ok(r == 0, "%s: rotation ran", way);
    ok(strcmp(drain(r4, buf, sizeof buf), "a\n") == 0
       && strcmp(drain(r5, buf, sizeof buf), "b\n") == 0
       && strcmp(drain(r3, buf, sizeof buf), "c\n") == 0, "%s: rotation placed each", way);
    close(r3); close(r4); close(r5);

    /* TARGET => TARGET clears close-on-exec; unlisted 4 and 5 stay shut. */
    pipe_at(3, &r3);
    m[0].target = 3; m[0].source = 3;
    r = run_sh("echo self >&3 && ! (: >&4) 2>/dev/null && ! (: >&5) 2>/dev/null",
               m, 1, NULL, -1, NULL, flags);
    ok(r == 0 && strcmp(drain(r3, buf, sizeof buf), "self\n") == 0,
       "%s: 3 => 3 inherited, close-on-exec 4 and 5 not", way);
    close(3); close(4); close(5); close(r3);

    /* 3 .. 40 at once, each from a pipe elsewhere. */
    for (i = 0; i < 38; i++) {
        int p[2];

        pipe(p);
        rd[i] = p[0];
        m[i].target = 3 + i;
        m[i].source = fcntl(p[1], F_DUPFD_CLOEXEC, 100);
        m[i].blocking = FDPASS_PRESERVE;
        close(p[1]);
        fcntl(p[0], F_SETFD, FD_CLOEXEC);
    }
    strcpy(script, "");
    for (i = 3; i <= 40; i++)
        snprintf(script + strlen(script), sizeof script - strlen(script),
                 "echo %d >&%d || exit 1; ", i, i);
    r = run_sh(script, m, 38, NULL, -1, NULL, flags);
    ok(r == 0, "%s: 3 .. 40 placed", way);
    for (i = 0, r = 1; i < 38; i++) {
        char want[16];

        snprintf(want, sizeof want, "%d\n", 3 + i);
        r &= strcmp(drain(rd[i], buf, sizeof buf), want) == 0;
        close(rd[i]);
        close(m[i].source);
        close(3 + i);
    }
    ok(r, "%s: each of 3 .. 40 wrote to its own pipe", way);

    /* Non-blocking as asked. */
    {
        int p[2];

        pipe(p);
        m[0].target = 3; m[0].source = p[0]; m[0].blocking = FDPASS_NONBLOCKING;
        r = run_sh("exec 0<&3; dd bs=1 count=1 2>/dev/null; exit 0", m, 1, NULL, -1, NULL, flags);
        ok((fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0, "%s: nonblocking set on the open file", way);
        m[0].blocking = FDPASS_BLOCKING;
        r = run_sh("exit 0", m, 1, NULL, -1, NULL, flags);
        ok((fcntl(p[0], F_GETFL) & O_NONBLOCK) == 0, "%s: blocking cleared it", way);
        close(p[0]); close(p[1]);
    }

    /* chdir by path and by descriptor; env exactly as given. */
    mkdtemp(dir);
    {
        int p[2], dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char want[300];

        pipe(p);
        m[0].target = 1; m[0].source = p[1]; m[0].blocking = FDPASS_PRESERVE;
        snprintf(want, sizeof want, "%s\n", dir);
        run_sh("pwd -P", m, 1, dir, -1, NULL, flags);
        ok(strcmp(drain(p[0], buf, sizeof buf), want) == 0, "%s: chdir by path", way);
        run_sh("pwd -P", m, 1, NULL, dfd, NULL, flags);
        ok(strcmp(drain(p[0], buf, sizeof buf), want) == 0, "%s: chdir by descriptor", way);
        run_sh("echo \"$ONLY\"; env | grep -c . ", m, 1, NULL, -1, env, flags);
        drain(p[0], buf, sizeof buf);
        ok(strncmp(buf, "this\n", 5) == 0, "%s: env as given", way);
        close(p[0]); close(p[1]); close(dfd);
    }

    /* Errors: the child's errno, and no zombie left. */
    {
        char *nosuch[] = { "/nonexistent/program", NULL };
        char *nopath[] = { "fdpass-no-such-program", NULL };
        char *noperm[] = { dir, NULL };
        char notexec[300];
        pid_t pid;

        errno = 0;
        ok(fdpass_spawn(nosuch, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == ENOENT && !zombies(), "%s: ENOENT, no zombie", way);
        errno = 0;
        ok(fdpass_spawn(nopath, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == ENOENT && !zombies(), "%s: ENOENT through PATH", way);
        snprintf(notexec, sizeof notexec, "%s/plain", dir);
        close(open(notexec, O_CREAT | O_WRONLY, 0644));
        noperm[0] = notexec;
        errno = 0;
        ok(fdpass_spawn(noperm, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == EACCES && !zombies(), "%s: EACCES, no zombie", way);
        errno = 0;
        ok(run_sh("exit 0", NULL, 0, notexec, -1, NULL, flags) == -1 && errno == ENOTDIR
           && !zombies(), "%s: chdir to a file: ENOTDIR, no zombie", way);
        m[0].target = 3; m[0].source = 999; m[0].blocking = 0;
        errno = 0;
        ok(run_sh("exit 0", m, 1, NULL, -1, NULL, flags) == -1 && errno == EBADF,
           "%s: a bad source: EBADF before anything starts", way);
        unlink(notexec);
    }
    rmdir(dir);
}

int
main(int argc, char **argv)
{
    /* "fork": only the fork+exec way (valgrind cannot follow the other). */
    if (argc < 2 || strcmp(argv[1], "fork") != 0)
        tests(0);
    tests(FDPASS_SPAWN_FORK);
    printf("1..%d\n", n_test);
    return n_fail != 0;
}
