/*
 * fdpass-int.h - the C core's private declarations: what fdpass.c shares
 * with the backend and spawn files it #includes, and the pure functions
 * the C tests (t/c/room.c, t/c/spawn.c) and the fuzzers (t/fuzz/) call.
 * Not installed and not part of the API: fdpass.h is.
 *
 * The functions declared FDP_PRIVATE are static in the module.  A test
 * program includes this header and is linked with fdpass.c, both compiled
 * with -DFDP_TESTING, which gives them external linkage (build_c in
 * t/lib/FDPassTest.pm, tools/memcheck.sh and tools/fuzz.sh do so).
 *
 * Test hooks, given with -D to the test program and fdpass.c alike:
 *   FDP_CLOSE=f      the receive path closes what it drops with int f(int)
 *                    (the cmsg fuzzer counts closes instead of making them);
 *   FDP_PLAN_STEP=f  the planner calls void f(void) at each unit of work
 *                    (t/c/spawn.c and the plan fuzzer count them, to show
 *                    that the plan grows as n log n, not by a clock);
 *   FDP_PEERPIDFD_OPT=n  fdpass_peer_pidfd asks for socket option n
 *                    instead of SO_PEERPIDFD (t/c/pidfd.c gives one no
 *                    kernel knows, to see what a kernel before 6.5 gives).
 */
#ifndef FDPASS_INT_H
#define FDPASS_INT_H

#include "fdpass.h"

#include <stddef.h>
#ifndef _WIN32
# include <sys/socket.h>
#endif

#ifdef FDP_TESTING
# define FDP_PRIVATE
#else
# define FDP_PRIVATE static
#endif /* FDP_TESTING */

/* be_recv's flag from fdpass_recv_fd, above every public flag: one
 * descriptor and one byte are wanted, so bytes without a descriptor are
 * EBADMSG however many they are. */
#define FDP_RECV_ONE 0x40000000

/* A fuzzing build counts closes instead of making them. */
#ifdef FDP_CLOSE
int FDP_CLOSE(int fd);
#else
# define FDP_CLOSE close
#endif /* FDP_CLOSE */

/* The planner's unit of work, counted by the tests. */
#ifdef FDP_PLAN_STEP
void FDP_PLAN_STEP(void);
#else
# define FDP_PLAN_STEP() ((void)0)
#endif /* FDP_PLAN_STEP */

#ifndef _WIN32

/* The room check (fdpass.c). */

/* The most slots the room check looks at in one poll(); its pollfd array
 * is on the stack.  At least FDPASS_MAX, so one poll() answers for the
 * top slots of any message. */
#define FDP_ROOM_CHUNK 256

/* How many of the n slots from lo are free (n >= 1, 0 <= lo, lo + n at
 * most the limit), or -1 with errno. */
typedef int (*fdp_count_free_fn)(void *ctx, int lo, int n);

FDP_PRIVATE int fdp_room_decide(int lim, size_t need,
                                fdp_count_free_fn count_free, void *ctx);
FDP_PRIVATE int fdp_room(size_t need);

/* spawn's planner (fdpass-spawn.c). */

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

FDP_PRIVATE void fdp_plan_free(struct fdp_plan *pl);
FDP_PRIVATE int fdp_make_plan(struct fdp_plan *pl,
                              const struct fdpass_inherit *fds, size_t n,
                              int limit);
FDP_PRIVATE int fdp_plan_tmp(struct fdp_plan *pl, int limit,
                             int (*busy)(int, void *), void *ctx);

#endif /* !_WIN32 */

#if !defined(_WIN32) && !defined(FDPASS_BACKEND_STREAMS)

/* The SCM_RIGHTS receive side (fdpass-scm.c). */

/* The receive side's control buffer for n descriptors: the descriptors
 * asked for, plus credentials and a pidfd that a socket with SO_PASSCRED
 * or SO_PASSPIDFD also gets; FDP_CONTROL_SIZE for the most. */
#define FDP_CONTROL_LEN(n) (CMSG_SPACE((n) * sizeof(int)) \
                            + CMSG_SPACE(64) + CMSG_SPACE(sizeof(int)))
#define FDP_CONTROL_SIZE FDP_CONTROL_LEN(FDPASS_MAX)

/* What the walk found: a descriptor, and whether it came as SCM_RIGHTS. */
struct scm_found {
    int fd;
    int rights;
};

FDP_PRIVATE size_t scm_walk(const struct msghdr *msg, struct scm_found *found,
                            size_t cap);
FDP_PRIVATE int scm_collect(struct msghdr *msg, int *fds, size_t maxfds,
                            size_t *ret_nfds);

#endif /* SCM_RIGHTS */

#endif /* FDPASS_INT_H */
