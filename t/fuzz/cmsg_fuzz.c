/*
 * cmsg_fuzz.c - libFuzzer harness for the receive side's control-message
 * walk (scm_walk) and the decision made on it (scm_collect).
 *
 * Input: byte 0 selects MSG_CTRUNC (bit 0), byte 1 the call's maxfds
 * (0 .. FDPASS_MAX); the rest is the control buffer exactly as a kernel
 * would leave it, of any length up to the real buffer's size, in a heap
 * block of exactly that size so AddressSanitizer sees any read past it.
 *
 * Checked: the walk reports exactly the descriptors an independent
 * reading of the buffer finds (never one that was not there); every
 * reported descriptor is either handed to the caller or closed, once;
 * nothing is handed over on failure; never more than maxfds handed over;
 * it fails exactly when more than maxfds came or the kernel truncated,
 * with EMSGSIZE when the message carried more than maxfds and EMFILE
 * when the truncation left fewer (the table filled before the read).
 *
 * Built with fdpass.c and -DFDP_TESTING -DFDP_CLOSE=fuzz_close
 * (fdpass-int.h), so that the core's closes come here:
 *
 *   make fuzz FUZZ_SECONDS=60
 */
#define _GNU_SOURCE 1 /* as fdpass.c wants, before any header */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdpass-int.h"

/* The walk takes SCM_PIDFD descriptors too; where the headers predate
 * Linux 6.5, fdpass.c's portability block gives the number, and so does
 * this file for its reference reading. */
#if defined(__linux__) && !defined(SCM_PIDFD)
# define SCM_PIDFD 0x04
#endif /* __linux__ && !SCM_PIDFD */

static int closed_fds[FDP_CONTROL_SIZE];
static size_t n_closed;

/* The core's FDP_CLOSE: counted, not made. */
int
fuzz_close(int fd)
{
    if (n_closed < sizeof(closed_fds) / sizeof(closed_fds[0]))
        closed_fds[n_closed++] = fd;
    return 0;
}

/* The reference reading, written out separately: headers follow one
 * another at CMSG_ALIGN(cmsg_len); a header that does not fit, or whose
 * length is below a bare header or runs past the end, ends the reading. */
static size_t
reference(const unsigned char *buf, size_t len, int *out, size_t *rights)
{
    size_t off = 0, n = 0, i, cnt;
    struct cmsghdr h;

    while (off + sizeof(struct cmsghdr) <= len) {
        memcpy(&h, buf + off, sizeof(h));
        if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > len - off)
            break;
        if (h.cmsg_level == SOL_SOCKET
            && (h.cmsg_type == SCM_RIGHTS
#ifdef SCM_PIDFD
                || h.cmsg_type == SCM_PIDFD
#endif
                )) {
            cnt = (h.cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (h.cmsg_type == SCM_RIGHTS)
                *rights += cnt;
            for (i = 0; i < cnt; i++)
                memcpy(&out[n++], buf + off + CMSG_LEN(0) + i * sizeof(int),
                       sizeof(int));
        }
        if (CMSG_ALIGN(h.cmsg_len) > len - off)
            break;
        off += CMSG_ALIGN(h.cmsg_len);
    }
    return n;
}

static int
cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scm_found found[FDP_CONTROL_SIZE / sizeof(int) + 1];
    static int want[FDP_CONTROL_SIZE / sizeof(int) + 1];
    static int all[2 * (FDP_CONTROL_SIZE / sizeof(int) + 1)];
    int fds[FDPASS_MAX];
    struct msghdr msg;
    unsigned char *buf;
    size_t len, n, nwant, nfds = 0, i, nall, rights = 0;
    size_t maxfds;
    int r;

    if (size < 2)
        return 0;
    len = size - 2;
    if (len > FDP_CONTROL_SIZE)
        len = FDP_CONTROL_SIZE;
    maxfds = data[1] % (FDPASS_MAX + 1);
    buf = malloc(len ? len : 1);
    memcpy(buf, data + 2, len);
    memset(&msg, 0, sizeof(msg));
    msg.msg_control = len ? buf : NULL;
    msg.msg_controllen = len;
    msg.msg_flags = (data[0] & 1) ? MSG_CTRUNC : 0;

    n = scm_walk(&msg, found, sizeof(found) / sizeof(found[0]));
    nwant = reference(buf, len, want, &rights);
    if (n != nwant)
        abort();
    for (i = 0; i < n; i++)
        if (found[i].fd != want[i])
            abort();

    n_closed = 0;
    r = scm_collect(&msg, fds, maxfds, &nfds);
    if (r == 0 && nfds > maxfds)
        abort();
    /* Failure exactly when too many came or the kernel truncated: too
     * many (more than maxfds, or maxfds and cut short) is EMSGSIZE; cut
     * short with fewer is the table's doing, EMFILE. */
    if ((r < 0) != (rights > maxfds || (data[0] & 1)))
        abort();
    if (r < 0 && (nfds != 0
                  || errno != (rights >= maxfds ? EMSGSIZE : EMFILE)))
        abort();
    /* Handed over plus closed is exactly what was found. */
    nall = 0;
    for (i = 0; i < nfds; i++)
        all[nall++] = fds[i];
    for (i = 0; i < n_closed; i++)
        all[nall++] = closed_fds[i];
    if (nall != n)
        abort();
    qsort(all, nall, sizeof(int), cmp_int);
    qsort(want, nwant, sizeof(int), cmp_int);
    if (memcmp(all, want, nall * sizeof(int)) != 0)
        abort();
    free(buf);
    return 0;
}
