/*
 * room_fuzz.c - libFuzzer harness for the receive side's room check
 * (fdp_room_decide), driven against an independent model: a simulated
 * descriptor table.
 *
 * Input: bytes 0-3 the soft RLIMIT_NOFILE (small, or near INT_MAX when
 * byte 0's top bit is set), bytes 4-5 the number of descriptors wanted
 * (0 .. 2 * FDP_ROOM_CHUNK, beyond FDPASS_MAX on purpose), byte 6 the
 * question on which counting the slots fails (0: none), byte 7 flags:
 * bit 0 every slot below the window is open (a full table; only for
 * limits up to 65536, a table no real process exceeds by much), bits 1-7
 * how many slots at and above the limit are open (a limit lowered below
 * open descriptors).  The rest is a bitmap of the slots just below the
 * limit, bit i for slot lim - 1 - i: the window where a full table
 * differs from an empty one.  Slots below the window are open or free as
 * bit 0 says.
 *
 * Checked: the answer is the model's (room exactly when the free slots
 * below the limit number at least what is wanted; EMFILE otherwise);
 * every question asks about 1 .. FDP_ROOM_CHUNK slots inside [0, limit),
 * no slot is asked about twice, the questions are few (one when the top
 * slots are free, never more than the limit's chunks); a failure to count
 * is passed on with its errno.
 *
 * Built with fdpass.c and -DFDP_TESTING (fdpass-int.h):
 *
 *   make fuzz FUZZ_SECONDS=60
 */
#define _GNU_SOURCE 1 /* as fdpass.c wants, before any header */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdpass-int.h"

#include <errno.h>
#include <limits.h>

#define WINDOW_MAX 4096 /* slots the bitmap can describe */

struct table {
    long long lim;             /* the limit, as the model sees it */
    long long win;             /* the window: [lim - win, lim) */
    int full_below;            /* every slot below the window is open */
    int above;                 /* slots lim .. lim + above - 1 are open */
    unsigned char bits[WINDOW_MAX / 8];
    /* what the decision asked */
    long long last_lo;         /* the lowest slot asked about so far */
    unsigned long questions;
    unsigned long fail_at;     /* the question that fails, 0 for none */
    int bad;                   /* a question outside the rules */
};

/* The model's table: whether slot s is open. */
static int
slot_open(const struct table *t, long long s)
{
    long long i;

    if (s >= t->lim)
        return s < t->lim + t->above;
    if (s < t->lim - t->win)
        return t->full_below;
    i = t->lim - 1 - s;
    return (t->bits[i / 8] >> (i % 8)) & 1;
}

/* count_free as the simulated table answers it, checking each question. */
static int
sim_count_free(void *ctx, int lo, int n)
{
    struct table *t = ctx;
    int i, c = 0;

    t->questions++;
    if (n < 1 || n > FDP_ROOM_CHUNK || lo < 0
        || (long long)lo + n > t->lim || (long long)lo + n > t->last_lo)
        t->bad = 1;
    if (t->bad)
        return 0;
    t->last_lo = lo;
    if (t->questions == t->fail_at) {
        errno = EINTR;
        return -1;
    }
    for (i = 0; i < n; i++)
        c += !slot_open(t, (long long)lo + i);
    return c;
}

/* The model's count of free slots below the limit, in closed form. */
static long long
model_free(const struct table *t)
{
    long long free_slots = 0, i;

    for (i = 0; i < t->win; i++)
        free_slots += !((t->bits[i / 8] >> (i % 8)) & 1);
    if (!t->full_below)
        free_slots += t->lim - t->win;
    return free_slots;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct table t;
    unsigned long lim32;
    size_t need, nbits;
    long long free_slots, top;
    int r, e, top_free;

    if (size < 8)
        return 0;
    memset(&t, 0, sizeof(t));
    lim32 = ((unsigned long)data[0] << 24) | ((unsigned long)data[1] << 16)
            | ((unsigned long)data[2] << 8) | data[3];
    if (data[0] & 0x80)
        t.lim = INT_MAX - (long long)(lim32 & 0xffff);
    else
        t.lim = (long long)(lim32 % 70000);
    need = (((size_t)data[4] << 8) | data[5]) % (2 * FDP_ROOM_CHUNK + 1);
    t.fail_at = data[6] % 16;
    t.full_below = (data[7] & 1) && t.lim <= 65536;
    t.above = data[7] >> 1;
    nbits = (size - 8) * 8;
    if (nbits > WINDOW_MAX)
        nbits = WINDOW_MAX;
    memcpy(t.bits, data + 8, (nbits + 7) / 8);
    t.win = (long long)nbits < t.lim ? (long long)nbits : t.lim;
    t.last_lo = t.lim;

    errno = 0;
    r = fdp_room_decide((int)t.lim, need, sim_count_free, &t);
    e = errno;
    if (t.bad)
        abort(); /* a question outside [0, lim), too large, or repeated */

    free_slots = model_free(&t);
    if (t.fail_at != 0 && t.questions >= t.fail_at) {
        if (r != -1 || e != EINTR)
            abort(); /* a failure to count must be passed on */
        return 0;
    }
    if (need == 0 || free_slots >= (long long)need) {
        if (r != 0)
            abort();
    } else if (r != -1 || e != EMFILE) {
        abort();
    }
    /* The top slots free: one question answers. */
    if (need > 0 && need <= FDP_ROOM_CHUNK && (long long)need <= t.lim) {
        top_free = 1;
        for (top = t.lim - 1; top >= t.lim - (long long)need; top--)
            if (slot_open(&t, top))
                top_free = 0;
        if (top_free && t.questions != 1)
            abort();
    }
    /* Never more questions than the limit has chunks, plus the first. */
    if (t.questions > 2 + (unsigned long)(t.lim / FDP_ROOM_CHUNK))
        abort();
    return 0;
}
