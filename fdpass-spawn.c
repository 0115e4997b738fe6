/*
 * fdpass-spawn.c - be_spawn for the POSIX backends: a program started with
 * descriptors placed.  #included by fdpass.c (see its layout comment);
 * not compiled alone.
 */

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

FDP_PRIVATE void
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
FDP_PRIVATE int
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
FDP_PRIVATE int
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

/* FDPASS_SPAWN_LISTEN_PID's entry: the name, then room for the decimal
 * digits of any pid (a byte of pid_t adds fewer than three) and the NUL. */
#define FDP_LISTEN_PID "LISTEN_PID="
#define FDP_LISTEN_PID_LEN (sizeof(FDP_LISTEN_PID) - 1)
#define FDP_PID_ROOM (sizeof(pid_t) * 3 + 1)

/*
 * The environment for FDPASS_SPAWN_LISTEN_PID, made in the parent before
 * the fork: envp's pointers but those to LISTEN_PID= and LISTEN_PIDFDID=
 * entries, then one to
 * "LISTEN_PID=" with room after it, then NULL.  One allocation holds the
 * pointers and that entry (the strings of envp are not copied); the child
 * writes its pid at *ret_slot (fdp_put_pid).  NULL with ENOMEM.
 */
static char **
fdp_listen_env(char *const envp[], char **ret_slot)
{
    size_t n = 0, i, k = 0;
    char **v, *entry;

    while (envp[n] != NULL)
        n++;
    if (n > ((size_t)-1 - FDP_LISTEN_PID_LEN - FDP_PID_ROOM)
                / sizeof(char *) - 2) {
        errno = ENOMEM;
        return NULL;
    }
    v = malloc((n + 2) * sizeof(char *) + FDP_LISTEN_PID_LEN + FDP_PID_ROOM);
    if (v == NULL)
        return NULL;
    entry = (char *)(v + n + 2);
    /* A LISTEN_PIDFDID= left from another supervisor (systemd 258 names
     * the receiver's pidfd by it) would make libsystemd ignore ours. */
    for (i = 0; i < n; i++)
        if (strncmp(envp[i], FDP_LISTEN_PID, FDP_LISTEN_PID_LEN) != 0
            && strncmp(envp[i], "LISTEN_PIDFDID=", 15) != 0)
            v[k++] = envp[i];
    memcpy(entry, FDP_LISTEN_PID, FDP_LISTEN_PID_LEN + 1);
    v[k++] = entry;
    v[k] = NULL;
    *ret_slot = entry + FDP_LISTEN_PID_LEN;
    return v;
}

/* In the child: its own pid, in decimal, at slot (FDP_PID_ROOM bytes).
 * getpid and arithmetic only, async-signal-safe; a pid is positive. */
static void
fdp_put_pid(char *slot)
{
    char digits[FDP_PID_ROOM];
    pid_t v = getpid();
    size_t n = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        *slot++ = digits[--n];
    *slot = '\0';
}

/*
 * The child of the fork path: only system calls, on memory made before
 * the fork.  Any failure is written to the report pipe as an errno.
 * pid_slot, when not NULL, is where envp's LISTEN_PID= entry takes the
 * child's pid (FDPASS_SPAWN_LISTEN_PID).
 */
static void
fdp_child(const struct fdp_plan *pl, char *const argv[], char *const envp[],
          char *pid_slot, char **paths, const char *dir, int dirfd,
          int report, const sigset_t *mask)
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

    if (pid_slot != NULL)
        fdp_put_pid(pid_slot);
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
 * target, and F_DUPFD at limit fails with EINVAL), or when every number
 * above it is open, to the lowest free number that is not a target: each
 * try that lands on a target skips it, so there are at most one more
 * tries than targets.  No number is ever computed past
 * limit - 1 + 1 = limit <= INT_MAX.  The descriptor given is closed when
 * it is replaced, and on failure (EMFILE when no number below the limit
 * is left that is not a target).
 */
static int
fdp_report_fd(const struct fdp_plan *pl, int fd, int limit)
{
    int from, nfd, e, low;

    if (!fdp_plan_is_target(pl, fd))
        return fd;
    /* The map is not empty, and max_target < limit (fdp_make_plan). */
    low = pl->max_target >= limit - 1;
    from = low ? 0 : pl->max_target + 1;
    for (;;) {
        if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, from)) < 0) {
            /* Nothing free above the targets (EMFILE, or EINVAL for a
             * limit lowered since it was read): a free number between
             * them will do. */
            if (!low && (errno == EMFILE || errno == EINVAL)) {
                low = 1;
                from = 0;
                continue;
            }
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
               char *pid_slot, const char *dir, int dirfd, int limit,
               pid_t *ret_pid)
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
        fdp_child(pl, argv, envp, pid_slot, paths, dir, dirfd, report,
                  &old);
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

static int
be_spawn(char *const argv[], char *const envp[],
         const struct fdpass_inherit *fds, size_t nfds,
         const char *dir, int dirfd, int flags, pid_t *ret_pid)
{
    struct fdp_plan pl;
    size_t i;
    int r, e, limit;
    char **listen_env = NULL, *pid_slot = NULL;

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
    /* LISTEN_PID is the child's own pid, known only after the fork: the
     * child writes it into the copy made here, so that takes the fork
     * path (posix_spawn runs nothing of ours between fork and exec). */
    if (flags & FDPASS_SPAWN_LISTEN_PID) {
        if ((listen_env = fdp_listen_env(envp, &pid_slot)) == NULL) {
            fdp_plan_free(&pl);
            return fdp_fail(ENOMEM);
        }
        envp = listen_env;
        flags |= FDPASS_SPAWN_FORK;
    }
#ifdef FDP_USE_POSIX_SPAWN
    if (!(flags & FDPASS_SPAWN_FORK))
        r = fdp_spawn_posix(&pl, argv, envp, dir, dirfd, limit, ret_pid);
    else
#endif
        r = fdp_spawn_fork(&pl, argv, envp, pid_slot, dir, dirfd, limit,
                           ret_pid);
    e = errno;
    free(listen_env);
    fdp_plan_free(&pl);
    errno = e;
    return r;
}
