/*
 * spawn.c - tests of fdpass_spawn without Perl: both ways of starting the
 * child (posix_spawn where the core uses it, and fork+exec), the swap and
 * a three-way rotation, TARGET => TARGET, close-on-exec of unlisted
 * descriptors, blocking modes, chdir, env, errors with no zombie, the
 * PATH search's ENOENT and EACCES, targets at the descriptor limit's edge
 * (INT_MAX and the limit: EBADF; limit - 1 works, in a swap too, and the
 * report pipe keeps clear of the targets when the top one is limit - 1,
 * and finds a free number between the targets when all above are open),
 * a chain of 4,000 entries, FDPASS_SPAWN_LISTEN_PID (the child's
 * environment as env(1) prints it: LISTEN_PID= its own pid, once, any
 * such entry given dropped, the others kept in order; environ by
 * default; an exec failure reported with no zombie), and the planner's
 * work counted in steps: it must grow as n log n.  It is built with -DFDP_TESTING
 * -DFDP_PLAN_STEP=plan_step (fdpass-int.h) to call the planner and count
 * those steps.  Prints TAP; xt/95-c-api.t builds and runs it, plain and
 * under -fsanitize=address,undefined (without -fwrapv, so a signed
 * overflow is a report).
 */
#define _GNU_SOURCE 1
#include <stdio.h>

#include "fdpass-int.h"

static unsigned long plan_steps;

/* The planner's unit of work (FDP_PLAN_STEP). */
void
plan_step(void)
{
    plan_steps++;
}

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"

/* A check of one way of starting the child: "%s" in fmt names it. */
static void
ok_way(int cond, const char *fmt, int way)
{
    okf(cond, fmt, way ? "fork" : "default");
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

/* The soft descriptor limit, as fdpass_spawn reads it. */
static int
nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX
           ? INT_MAX : (int)rl.rlim_cur;
}

/* The lowest number not open. */
static int
lowest_free(int from)
{
    while (fcntl(from, F_GETFD) >= 0)
        from++;
    return from;
}

/* Targets at the edge of the descriptor limit. */
static void
edge_tests(int flags)
{
    int way = flags != 0, lim = nofile(), p[2], q[2], w, r, top, a, b, c;
    char buf[256], script[300];
    struct fdpass_inherit m[4];
    pid_t pid;

    if (lim < 64 || lim == INT_MAX) {
        skip("%s: no usable descriptor limit", way ? "fork" : "default");
        return;
    }
    top = lim - 1;
    /* Both ends clear of the low numbers the tests below take. */
    pipe(p);
    w = fcntl(p[1], F_DUPFD_CLOEXEC, 20);
    close(p[1]);
    r = fcntl(p[0], F_DUPFD_CLOEXEC, 20);
    close(p[0]);
    p[0] = r;
    m[0].source = w;
    m[0].blocking = FDPASS_PRESERVE;

    m[0].target = INT_MAX;
    errno = 0;
    ok_way(fdpass_spawn((char *[]){ "true", NULL }, NULL, m, 1, NULL, -1, flags, &pid) == -1
       && errno == EBADF && !zombies(), "%s: target INT_MAX: EBADF", way);
    m[0].target = lim;
    errno = 0;
    ok_way(fdpass_spawn((char *[]){ "true", NULL }, NULL, m, 1, NULL, -1, flags, &pid) == -1
       && errno == EBADF && !zombies(), "%s: target at the limit: EBADF", way);

    /* The last number below the limit is a target like any other. */
    m[0].target = top;
    snprintf(script, sizeof script, "echo edge >&%d", top);
    r = run_sh(script, m, 1, NULL, -1, NULL, flags);
    ok_way(r == 0 && strcmp(drain(p[0], buf, sizeof buf), "edge\n") == 0,
       "%s: target limit - 1 placed", way);

    /* ... in a swap with 3, which needs the temporary. */
    pipe(q);
    dup2(q[1], top);
    close(q[1]);
    fcntl(top, F_SETFD, FD_CLOEXEC);
    r = fcntl(q[0], F_DUPFD_CLOEXEC, 20);
    close(q[0]);
    q[0] = r;
    dup2(w, 3);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    m[0].target = 3; m[0].source = top;
    m[1].target = top; m[1].source = 3; m[1].blocking = FDPASS_PRESERVE;
    snprintf(script, sizeof script, "echo to-3 >&3; echo to-top >&%d", top);
    r = run_sh(script, m, 2, NULL, -1, NULL, flags);
    ok_way(r == 0 && strcmp(drain(q[0], buf, sizeof buf), "to-3\n") == 0
       && strcmp(drain(p[0], buf, sizeof buf), "to-top\n") == 0,
       "%s: swap of 3 and limit - 1", way);
    close(3);
    close(top);
    close(q[0]);

    /* The fork path's report pipe: pipe() gives the two lowest free
     * numbers, both targets here, and the next free one is a target too;
     * the top target is limit - 1, so nothing above is left.  A failed
     * exec must still be reported, not sent into a placed descriptor. */
    a = lowest_free(0);
    b = lowest_free(a + 1);
    c = lowest_free(b + 1);
    m[0].target = a; m[1].target = b; m[2].target = c; m[3].target = top;
    for (r = 0; r < 4; r++) {
        m[r].source = w;
        m[r].blocking = FDPASS_PRESERVE;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    errno = 0;
    ok_way(fdpass_spawn((char *[]){ "/nonexistent/program", NULL }, NULL, m, 4,
                    NULL, -1, flags, &pid) == -1 && errno == ENOENT
       && !zombies() && read(p[0], buf, sizeof buf) < 0 && errno == EAGAIN,
       "%s: targets on the report pipe's numbers and limit - 1: ENOENT reported", way);
    fcntl(p[0], F_SETFL, 0);
    snprintf(script, sizeof script, "echo a >&%d; echo b >&%d; echo c >&%d; echo top >&%d",
             a, b, c, top);
    r = run_sh(script, m, 4, NULL, -1, NULL, flags);
    ok_way(r == 0 && strcmp(drain(p[0], buf, sizeof buf), "a\nb\nc\ntop\n") == 0,
       "%s: ... and placed when the program runs", way);
    close(w);
    close(p[0]);
}

/* The fork path's report pipe lands on a target, every number above the
 * highest target is open, and one number between the targets is free:
 * the report end goes there (it used to fail with EMFILE although the
 * table had room).  The soft limit is lowered for the test and put back. */
static void
report_hole_test(int flags)
{
    struct rlimit old, rl;
    struct fdpass_inherit m[2];
    int way = flags != 0, p[2], opened[64], nopen = 0, base, lim, a, b, h;
    int fd, ok_spawn, e;
    char buf[64];
    pid_t pid;

    if (!(flags & FDPASS_SPAWN_FORK))
        return;
    if (pipe(p) < 0 || getrlimit(RLIMIT_NOFILE, &old) < 0) {
        ok_way(0, "%s: report pipe in a hole: setup", way);
        return;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    base = lowest_free(0);
    lim = base + 16;
    a = base;
    b = lowest_free(a + 1);
    h = lowest_free(b + 1);
    if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < (rlim_t)lim + 1) {
        skip("%s: the descriptor limit is too low", way ? "fork" : "default");
        close(p[0]);
        close(p[1]);
        return;
    }
    if (h >= lim - 4) {
        skip("%s: no room below the lowered limit", way ? "fork" : "default");
        close(p[0]);
        close(p[1]);
        return;
    }
    /* Every number from base to lim - 1 open but a, b and h. */
    for (fd = base; fd < lim && nopen < 64; fd++)
        if (fd != a && fd != b && fd != h && fcntl(fd, F_GETFD) < 0
            && dup2(p[1], fd) == fd) {
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            opened[nopen++] = fd;
        }
    /* Targets b (where pipe() puts the report end) and lim - 3: the two
     * numbers above it are open. */
    m[0].target = b;
    m[1].target = lim - 3;
    m[0].source = m[1].source = p[1];
    m[0].blocking = m[1].blocking = FDPASS_PRESERVE;
    rl = old;
    rl.rlim_cur = (rlim_t)lim;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        ok_way(0, "%s: report pipe in a hole: setrlimit", way);
        ok_spawn = -1;
        e = errno;
    } else {
        errno = 0;
        ok_spawn = fdpass_spawn((char *[]){ "/nonexistent/program", NULL },
                                NULL, m, 2, NULL, -1, flags, &pid);
        e = errno;
        (void)setrlimit(RLIMIT_NOFILE, &old);
    }
    ok_way(ok_spawn == -1 && e == ENOENT && !zombies()
       && read(p[0], buf, sizeof buf) < 0 && errno == EAGAIN,
       "%s: report end on a target, nothing free above the targets, a hole "
       "below: ENOENT reported", way);
    while (nopen > 0)
        close(opened[--nopen]);
    close(p[0]);
    close(p[1]);
}

/* A chain of n entries: 3 <- 4 <- 5 ... <- n + 3, listed from the end that
 * must be written last; with cycle, the last reads 3 instead. */
static struct fdpass_inherit *
chain(size_t n, int cycle)
{
    struct fdpass_inherit *m = calloc(n, sizeof(*m));
    size_t i;

    for (i = 0; i < n; i++) {
        size_t k = n - 1 - i; /* the highest target first */

        m[i].target = 3 + (int)k;
        m[i].source = cycle && k == n - 1 ? 3 : 4 + (int)k;
        m[i].blocking = FDPASS_PRESERVE;
    }
    return m;
}

/* The planner's counted steps for a chain (or a ring) of n, or 0 when the
 * plan is not the one expected: n moves (and a save and a close). */
static unsigned long
plan_work(size_t n, int cycle)
{
    struct fdpass_inherit *m = chain(n, cycle);
    struct fdp_plan pl;
    int r;

    plan_steps = 0;
    r = fdp_make_plan(&pl, m, n, INT_MAX);
    free(m);
    if (r < 0)
        return 0;
    r = pl.nops == n + (cycle ? 2 : 0) && pl.need_tmp == cycle;
    fdp_plan_free(&pl);
    return r ? plan_steps : 0;
}

static void
plan_growth(void)
{
    unsigned long s1 = plan_work(4000, 0), s4 = plan_work(16000, 0);
    unsigned long c1 = plan_work(4000, 1), c4 = plan_work(16000, 1);

    /* n log n: four times the entries cost about 4.7 times the steps;
     * n^2 would be 16 times, the old planner's n^3 64 times. */
    diag("plan steps: chain 4000 %lu, 16000 %lu; ring 4000 %lu, 16000 %lu",
         s1, s4, c1, c4);
    ok_way(s1 > 0 && s4 > 0 && s4 < 6 * s1 && s1 < 8UL * 4000 * 13,
       "plan of a chain grows as n log n (4000 -> 16000 entries)", 0);
    ok_way(c1 > 0 && c4 > 0 && c4 < 6 * c1 && c1 < 8UL * 4000 * 13,
       "plan of a ring grows as n log n (4000 -> 16000 entries)", 0);
}

/* A chain of 4,000 entries, for real: the old planner took about 10 s. */
static void
chain_test(int flags)
{
    int way = flags != 0, p[3][2], r, i, n = 4000, pos[3] = { 0, 1999, 3999 };
    char buf[64], script[200];
    struct fdpass_inherit *m;

    if (nofile() < n + 100) {
        skip("%s: the descriptor limit is below 4,100", way ? "fork" : "default");
        return;
    }
    m = chain((size_t)n, 0);
    /* Every source open (close-on-exec); three of them pipes, read back. */
    r = open("/dev/null", O_WRONLY | O_CLOEXEC);
    i = fcntl(r, F_DUPFD_CLOEXEC, n + 100);
    close(r);
    r = i;
    for (i = 4; i <= n + 3; i++) {
        dup2(r, i);
        fcntl(i, F_SETFD, FD_CLOEXEC);
    }
    close(r);
    for (i = 0; i < 3; i++) {
        pipe(p[i]);
        dup2(p[i][1], m[pos[i]].source);
        fcntl(m[pos[i]].source, F_SETFD, FD_CLOEXEC);
        close(p[i][1]);
        p[i][1] = fcntl(p[i][0], F_DUPFD_CLOEXEC, n + 100);
        close(p[i][0]);
    }
    /* Target t writes to what was at t + 1; the chain's last source (n + 3)
     * is no target and stays close-on-exec: absent in the child. */
    snprintf(script, sizeof script,
             "echo first >&%d && echo middle >&%d && echo last >&%d && ! (: >&%d) 2>/dev/null",
             m[pos[0]].target, m[pos[1]].target, m[pos[2]].target, n + 3);
    r = run_sh(script, m, (size_t)n, NULL, -1, NULL, flags);
    ok_way(r == 0 && strcmp(drain(p[0][1], buf, sizeof buf), "first\n") == 0
       && strcmp(drain(p[1][1], buf, sizeof buf), "middle\n") == 0
       && strcmp(drain(p[2][1], buf, sizeof buf), "last\n") == 0,
       "%s: a chain of 4,000 entries placed", way);
    for (i = 0; i < 3; i++)
        close(p[i][1]);
    for (i = 3; i <= n + 3; i++)
        close(i);
    free(m);
}

/* Run env(1) with envp and flags | FDPASS_SPAWN_LISTEN_PID; what it
 * printed goes to buf, its pid to *ret_pid.  -1 when it did not run to a
 * 0 exit. */
static int
run_env(char *const envp[], int flags, char *buf, size_t len, pid_t *ret_pid)
{
    char *argv[] = { "env", NULL };
    struct fdpass_inherit m[1];
    size_t got = 0;
    ssize_t r;
    int p[2], st;

    if (pipe(p) < 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    m[0].target = 1; m[0].source = p[1]; m[0].blocking = FDPASS_PRESERVE;
    if (fdpass_spawn(argv, envp, m, 1, NULL, -1,
                     flags | FDPASS_SPAWN_LISTEN_PID, ret_pid) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    close(p[1]);
    while (got < len - 1 && (r = read(p[0], buf + got, len - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(p[0]);
    if (waitpid(*ret_pid, &st, 0) != *ret_pid || !WIFEXITED(st)
        || WEXITSTATUS(st) != 0)
        return -1;
    return 0;
}

/* How many lines of s begin with prefix. */
static int
lines_with(const char *s, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);

    for (; *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : s + strlen(s))
        n += strncmp(s, prefix, pl) == 0;
    return n;
}

static void
listen_pid_tests(int flags)
{
    int way = flags != 0;
    char buf[65536], want[200], line[64];
    char *given[] = { "A=1", "LISTEN_PID=12345", "LISTEN_PIDX=kept",
                      "LISTEN_FDS=2", "LISTEN_PID=999", "LISTEN_PIDFDID=77",
                      "B=two words", NULL };
    char *none[] = { NULL };
    char *nosuch[] = { "/nonexistent/program", NULL };
    pid_t pid;

    /* The entries given, in order, but LISTEN_PID=, then the child's. */
    pid = 0;
    if (run_env(given, flags, buf, sizeof buf, &pid) == 0) {
        snprintf(want, sizeof want,
                 "A=1\nLISTEN_PIDX=kept\nLISTEN_FDS=2\nB=two words\nLISTEN_PID=%ld\n",
                 (long)pid);
        ok_way(strcmp(buf, want) == 0,
               "%s: LISTEN_PID: the child's own pid; both given and LISTEN_PIDFDID dropped, the rest kept", way);
    } else {
        ok_way(0, "%s: LISTEN_PID: env ran", way);
    }
    if (run_env(none, flags, buf, sizeof buf, &pid) == 0) {
        snprintf(want, sizeof want, "LISTEN_PID=%ld\n", (long)pid);
        ok_way(strcmp(buf, want) == 0, "%s: LISTEN_PID: an empty environment gets it alone", way);
    } else {
        ok_way(0, "%s: LISTEN_PID: env ran with an empty environment", way);
    }
    /* envp NULL: environ, whose own LISTEN_PID goes too. */
    setenv("LISTEN_PID", "1", 1);
    setenv("FDPASS_SPAWN_MARK", "seen", 1);
    if (run_env(NULL, flags, buf, sizeof buf, &pid) == 0) {
        snprintf(line, sizeof line, "LISTEN_PID=%ld\n", (long)pid);
        ok_way(lines_with(buf, "LISTEN_PID=") == 1 && strstr(buf, line) != NULL
               && lines_with(buf, "FDPASS_SPAWN_MARK=seen") == 1,
               "%s: LISTEN_PID: environ by default, its LISTEN_PID replaced", way);
    } else {
        ok_way(0, "%s: LISTEN_PID: env ran with environ", way);
    }
    ok_way(strcmp(getenv("LISTEN_PID"), "1") == 0,
           "%s: LISTEN_PID: the parent's environ untouched", way);
    unsetenv("LISTEN_PID");
    unsetenv("FDPASS_SPAWN_MARK");
    /* A failed exec: reported, reaped; the copy freed (ASan, valgrind). */
    errno = 0;
    ok_way(fdpass_spawn(nosuch, given, NULL, 0, NULL, -1,
                        flags | FDPASS_SPAWN_LISTEN_PID, &pid) == -1
           && errno == ENOENT && !zombies(), "%s: LISTEN_PID: ENOENT, no zombie", way);
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
    ok_way(r == 0, "%s: swap {3 => 4, 4 => 3} ran", way);
    ok_way(strcmp(drain(r4, buf, sizeof buf), "three\n") == 0, "%s: what the child wrote to 3 reached old 4", way);
    ok_way(strcmp(drain(r3, buf, sizeof buf), "four\n") == 0, "%s: what it wrote to 4 reached old 3", way);
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
    ok_way(r == 0, "%s: rotation ran", way);
    ok_way(strcmp(drain(r4, buf, sizeof buf), "a\n") == 0
       && strcmp(drain(r5, buf, sizeof buf), "b\n") == 0
       && strcmp(drain(r3, buf, sizeof buf), "c\n") == 0, "%s: rotation placed each", way);
    close(r3); close(r4); close(r5);

    /* TARGET => TARGET clears close-on-exec; unlisted 4 and 5 stay shut. */
    pipe_at(3, &r3);
    m[0].target = 3; m[0].source = 3;
    r = run_sh("echo self >&3 && ! (: >&4) 2>/dev/null && ! (: >&5) 2>/dev/null",
               m, 1, NULL, -1, NULL, flags);
    ok_way(r == 0 && strcmp(drain(r3, buf, sizeof buf), "self\n") == 0,
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
    ok_way(r == 0, "%s: 3 .. 40 placed", way);
    for (i = 0, r = 1; i < 38; i++) {
        char want[16];

        snprintf(want, sizeof want, "%d\n", 3 + i);
        r &= strcmp(drain(rd[i], buf, sizeof buf), want) == 0;
        close(rd[i]);
        close(m[i].source);
        close(3 + i);
    }
    ok_way(r, "%s: each of 3 .. 40 wrote to its own pipe", way);

    /* Non-blocking as asked. */
    {
        int p[2];

        pipe(p);
        m[0].target = 3; m[0].source = p[0]; m[0].blocking = FDPASS_NONBLOCKING;
        r = run_sh("exec 0<&3; dd bs=1 count=1 2>/dev/null; exit 0", m, 1, NULL, -1, NULL, flags);
        ok_way((fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0, "%s: nonblocking set on the open file", way);
        m[0].blocking = FDPASS_BLOCKING;
        r = run_sh("exit 0", m, 1, NULL, -1, NULL, flags);
        ok_way((fcntl(p[0], F_GETFL) & O_NONBLOCK) == 0, "%s: blocking cleared it", way);
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
        ok_way(strcmp(drain(p[0], buf, sizeof buf), want) == 0, "%s: chdir by path", way);
        run_sh("pwd -P", m, 1, NULL, dfd, NULL, flags);
        ok_way(strcmp(drain(p[0], buf, sizeof buf), want) == 0, "%s: chdir by descriptor", way);
        run_sh("echo \"$ONLY\"; env | grep -c . ", m, 1, NULL, -1, env, flags);
        drain(p[0], buf, sizeof buf);
        ok_way(strncmp(buf, "this\n", 5) == 0, "%s: env as given", way);
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
        ok_way(fdpass_spawn(nosuch, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == ENOENT && !zombies(), "%s: ENOENT, no zombie", way);
        char *plainprog[] = { "plain", NULL };
        char *oldpath = getenv("PATH"), path[700];

        /* The PATH searched is set here: a PATH that holds a directory
         * the user cannot search gives EACCES, as execvp does. */
        oldpath = oldpath ? strdup(oldpath) : NULL;
        snprintf(path, sizeof path, "%s:/nonexistent-fdpass-dir", dir);
        setenv("PATH", path, 1);
        errno = 0;
        ok_way(fdpass_spawn(nopath, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == ENOENT && !zombies(), "%s: ENOENT through PATH", way);
        snprintf(notexec, sizeof notexec, "%s/plain", dir);
        close(open(notexec, O_CREAT | O_WRONLY, 0644));
        /* execvp's rule: EACCES at one place wins over ENOENT at a later. */
        errno = 0;
        ok_way(fdpass_spawn(plainprog, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == EACCES && !zombies(),
           "%s: EACCES in PATH before an ENOENT: EACCES", way);
        if (oldpath) {
            setenv("PATH", oldpath, 1);
            free(oldpath);
        } else {
            unsetenv("PATH");
        }
        noperm[0] = notexec;
        errno = 0;
        ok_way(fdpass_spawn(noperm, NULL, NULL, 0, NULL, -1, flags, &pid) == -1
           && errno == EACCES && !zombies(), "%s: EACCES, no zombie", way);
        errno = 0;
        ok_way(run_sh("exit 0", NULL, 0, notexec, -1, NULL, flags) == -1 && errno == ENOTDIR
           && !zombies(), "%s: chdir to a file: ENOTDIR, no zombie", way);
        m[0].target = 3; m[0].source = 999; m[0].blocking = 0;
        errno = 0;
        ok_way(run_sh("exit 0", m, 1, NULL, -1, NULL, flags) == -1 && errno == EBADF,
           "%s: a bad source: EBADF before anything starts", way);
        unlink(notexec);
    }
    rmdir(dir);
    edge_tests(flags);
    report_hole_test(flags);
    chain_test(flags);
    listen_pid_tests(flags);
}

int
main(int argc, char **argv)
{
    struct rlimit rl;

    /* A guard: a plan that grows too fast ends the run here. */
    alarm(100);
    /* Room for the chain of 4,000 (within the hard limit, as any user
     * may; valgrind may refuse, and that test then skips). */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
        && rl.rlim_cur < 8192) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 8192
                      ? 8192 : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    plan_growth();
    /* "fork": only the fork+exec way (valgrind cannot follow the other). */
    if (argc < 2 || strcmp(argv[1], "fork") != 0)
        tests(0);
    tests(FDPASS_SPAWN_FORK);
    return done_testing();
}
