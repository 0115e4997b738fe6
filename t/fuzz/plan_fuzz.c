/*
 * plan_fuzz.c - libFuzzer harness for spawn's planner: fdp_make_plan
 * (the map turned into steps) and fdp_plan_tmp (the temporary's number),
 * both pure, run on a simulated descriptor table.
 *
 * Input: byte 0 picks the descriptor limit (bits 0-1: 1 .. 256 from byte
 * 1, INT_MAX, INT_MAX - byte 1, or four raw bytes) and whether a report
 * pipe's end is open (bit 2, as on the fork path); then a count of other
 * open descriptors and their numbers (each with a close-on-exec byte);
 * the report end's number (with bit 2); then entries (target, source,
 * blocking) to the end.  A number is one byte: a small number, limit - 1
 * - k, INT_MAX - k, or four raw bytes (negative ones too).
 *
 * The table holds every source (the real call checks they are open), the
 * other open numbers and the report end, each with an open file and a
 * close-on-exec flag.  Checked against a model written separately:
 * - the error: EINVAL (negative target, bad blocking, a repeated target),
 *   else EBADF (negative source, target at or above the limit), else
 *   EMFILE only when a cycle needs a temporary and every number below the
 *   limit is a target or open, else success;
 * - the steps, run on the table as the child runs them: never a dup2
 *   from a closed number, onto a number at or above the limit, or onto the
 *   report end; afterwards every target holds its source's original open
 *   file without close-on-exec, the temporary is closed and was neither a
 *   target nor open (so no source, not the report end), and every other
 *   number holds what it held, with its flag;
 * - the temporary is used only when the map has a cycle, and the plan's
 *   length and its counted steps stay within their n log n bounds.
 * All of it under -fsanitize=address,undefined and without -fwrapv, so a
 * signed overflow anywhere (INT_MAX + 1) stops the run.
 *
 * Built with fdpass.c and -DFDP_TESTING -DFDP_PLAN_STEP=plan_step
 * (fdpass-int.h), so that the planner's steps are counted here:
 *
 *   make fuzz FUZZ_SECONDS=60
 */
#define _GNU_SOURCE 1 /* as fdpass.c wants, before any header */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdpass-int.h"

static unsigned long plan_steps;

/* The planner's unit of work (FDP_PLAN_STEP). */
void
plan_step(void)
{
    plan_steps++;
}

#define MAX_ENT 64
#define MAX_EXTRA 16
#define MAX_SLOT (2 * MAX_ENT + MAX_EXTRA + 4)

/* The simulated table: number -> open file id (0: closed), flag. */
struct slot {
    long long num;
    int file, cloexec;
};

struct table {
    struct slot s[MAX_SLOT];
    size_t n;
};

static struct slot *
t_find(struct table *t, long long num)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (t->s[i].num == num)
            return &t->s[i];
    return NULL;
}

static int
t_file(struct table *t, long long num)
{
    struct slot *s = t_find(t, num);

    return s ? s->file : 0;
}

/* Put file at num (file 0 closes it). */
static void
t_set(struct table *t, long long num, int file, int cloexec)
{
    struct slot *s = t_find(t, num);

    if (s == NULL) {
        if (t->n == MAX_SLOT)
            abort();
        s = &t->s[t->n++];
        s->num = num;
    }
    s->file = file;
    s->cloexec = cloexec;
}

static int
sim_busy(int fd, void *ctx)
{
    return t_file(ctx, fd) != 0;
}

struct input {
    const uint8_t *p;
    size_t left;
};

static unsigned
next_byte(struct input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

static long long
next_raw(struct input *in)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++)
        v = v << 8 | next_byte(in);
    return (long long)(int32_t)v;
}

static long long
next_num(struct input *in, long long limit)
{
    unsigned b = next_byte(in), k = b & 63;

    switch (b >> 6) {
    case 0:
        return k;
    case 1:
        return limit - 1 - k;
    case 2:
        return (long long)INT_MAX - k;
    default:
        return next_raw(in);
    }
}

/* The model: does the map (self-maps aside) hold a cycle?  Each pending
 * entry reads one target; follow that at most n times from each. */
static int
has_cycle(const struct fdpass_inherit *m, size_t n)
{
    size_t i, j, k, steps;

    for (i = 0; i < n; i++) {
        if (m[i].source == m[i].target)
            continue;
        for (k = i, steps = 0; steps <= n; steps++) {
            for (j = 0; j < n; j++)
                if (m[j].target == m[k].source && m[j].source != m[j].target)
                    break;
            if (j == n)
                break;
            if (j == i)
                return 1;
            k = j;
        }
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fdpass_inherit m[MAX_ENT];
    static struct table before, t;
    struct input in = { data, size };
    struct fdp_plan pl;
    long long limit, report = -1;
    size_t n = 0, i, j, nextra;
    unsigned mode, lb;
    int want = 0, r, e, cycle, next_file = 1;
    double lg;

    mode = next_byte(&in);
    lb = next_byte(&in);
    switch (mode & 3) {
    case 0:
        limit = 1 + lb;
        break;
    case 1:
        limit = INT_MAX;
        break;
    case 2:
        limit = (long long)INT_MAX - lb;
        break;
    default:
        limit = next_raw(&in) & 0x7fffffff;
        break;
    }
    before.n = 0;
    nextra = next_byte(&in) % (MAX_EXTRA + 1);
    for (i = 0; i < nextra; i++) {
        long long num = next_num(&in, limit);
        int cloexec = next_byte(&in) & 1;

        if (num >= 0 && num <= INT_MAX && !t_file(&before, num))
            t_set(&before, num, next_file++, cloexec);
    }
    if (mode & 4)
        report = next_num(&in, limit);
    while (in.left > 0 && n < MAX_ENT) {
        long long tg = next_num(&in, limit), sr = next_num(&in, limit);
        unsigned b = next_byte(&in);

        if (tg < INT_MIN || tg > INT_MAX || sr < INT_MIN || sr > INT_MAX)
            continue;
        m[n].target = (int)tg;
        m[n].source = (int)sr;
        m[n].blocking = b < 0xf0 ? (int)(b % 3) : (b & 1 ? 3 : -1);
        n++;
    }
    /* Every source is open, as fdpass_spawn checks before the plan runs. */
    for (i = 0; i < n; i++)
        if (m[i].source >= 0 && !t_file(&before, m[i].source))
            t_set(&before, m[i].source, next_file++, (int)(i & 1));
    /* The fork path's report end: open, and kept clear of every target
     * (fdp_report_fd's promise). */
    if (mode & 4) {
        long long c = report;
        size_t tries;

        report = -1;
        for (tries = 0; c >= 0 && c < limit && tries <= MAX_SLOT + MAX_ENT;
             tries++, c++) {
            for (j = 0; j < n && m[j].target != c; j++)
                ;
            if (j == n && !t_file(&before, c))
                break;
        }
        if (c >= 0 && c < limit && tries <= MAX_SLOT + MAX_ENT) {
            report = c;
            t_set(&before, report, next_file++, 1);
        }
    }

    /* The error the model expects. */
    for (i = 0; i < n && !want; i++)
        if (m[i].target < 0 || m[i].blocking < 0 || m[i].blocking > 2)
            want = EINVAL;
    for (i = 0; i < n && !want; i++)
        for (j = 0; j < i && !want; j++)
            if (m[i].target == m[j].target)
                want = EINVAL;
    for (i = 0; i < n && !want; i++)
        if (m[i].source < 0 || m[i].target >= limit)
            want = EBADF;
    cycle = !want && has_cycle(m, n);
    if (cycle) {
        /* EMFILE when no number below the limit is free of targets and of
         * open descriptors. */
        long long taken = 0, fd;

        for (i = 0; i < before.n; i++)
            taken += before.s[i].file != 0 && before.s[i].num < limit;
        for (i = 0; i < n; i++)
            taken += !t_file(&before, m[i].target);
        if (taken >= limit) {
            for (fd = 0; fd < limit; fd++) {
                for (j = 0; j < n && m[j].target != fd; j++)
                    ;
                if (j == n && !t_file(&before, fd))
                    break;
            }
            if (fd == limit)
                want = EMFILE;
        }
    }

    plan_steps = 0;
    errno = 0;
    r = fdp_make_plan(&pl, m, n, (int)limit);
    e = errno;
    if (r == 0 && (r = fdp_plan_tmp(&pl, (int)limit, sim_busy, &before)) < 0)
        e = errno;
    if (r < 0) {
        if (e != want)
            abort();
        fdp_plan_free(&pl);
        return 0;
    }
    if (want != 0 || pl.need_tmp != cycle)
        abort();
    /* One step per entry, a save per cycle, one close: 2n + 1 at most.
     * The planner's work: sorting and a binary search per entry,
     * generously bounded by 6 (n + 1) (log2 n + 2). */
    if (pl.nops > 2 * n + 1)
        abort();
    for (lg = 0, i = n; i > 1; i >>= 1)
        lg++;
    if ((double)plan_steps > 6.0 * (double)(n + 1) * (lg + 2))
        abort();
    if (pl.need_tmp) {
        if (pl.tmp < 0 || pl.tmp >= limit || t_file(&before, pl.tmp))
            abort();
        for (i = 0; i < n; i++)
            if (m[i].target == pl.tmp || m[i].source == pl.tmp)
                abort();
    }

    /* Run the steps as the child does. */
    t = before;
    for (i = 0; i < pl.nops; i++) {
        const struct fdp_op *o = &pl.ops[i];
        int f;

        switch (o->op) {
        case FDP_OP_DUP2:
            f = t_file(&t, o->a);
            if (!f || o->a == o->b || o->b < 0 || o->b >= limit
                || o->b == report)
                abort();
            t_set(&t, o->b, f, 0);
            break;
        case FDP_OP_SAVE:
            f = t_file(&t, o->a);
            if (!f || pl.tmp < 0)
                abort();
            t_set(&t, pl.tmp, f, 0);
            break;
        case FDP_OP_FROM_TMP:
            f = t_file(&t, pl.tmp);
            if (!f || o->b < 0 || o->b >= limit || o->b == report)
                abort();
            t_set(&t, o->b, f, 0);
            break;
        case FDP_OP_CLEAR:
            f = t_file(&t, o->a);
            if (!f)
                abort();
            t_set(&t, o->a, f, 0);
            break;
        case FDP_OP_DROP_TMP:
            if (!t_file(&t, pl.tmp))
                abort();
            t_set(&t, pl.tmp, 0, 0);
            break;
        default:
            abort();
        }
    }

    /* Every target holds its source's original file, inheritable. */
    for (i = 0; i < n; i++) {
        struct slot *s = t_find(&t, m[i].target);

        if (s == NULL || s->file != t_file(&before, m[i].source) || s->cloexec)
            abort();
    }
    /* Nothing else changed; the temporary (never open before) is closed. */
    for (i = 0; i < t.n; i++) {
        struct slot *s = &t.s[i], *b;

        for (j = 0; j < n && m[j].target != s->num; j++)
            ;
        if (j < n)
            continue;
        b = t_find(&before, s->num);
        if (b == NULL) {
            if (s->file != 0 || s->num != pl.tmp)
                abort();
        } else if (b->file != s->file || (b->file && b->cloexec != s->cloexec)) {
            abort();
        }
    }
    fdp_plan_free(&pl);
    return 0;
}
