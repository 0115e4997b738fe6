/*
 * t/streams/stropts.h - the SysV STREAMS interface File::FDpasser's
 * STREAMS backend uses, declared as the illumos manual pages give it
 * (streamio(4I), ioctl(2), isastream(3C), fattach(3C), fdetach(3C)), so
 * that `make streams-check` can compile that backend with -Wall -Werror on
 * a system without STREAMS.  Compile-only: nothing here is implemented.
 */
#ifndef FDPASS_TEST_STROPTS_H
#define FDPASS_TEST_STROPTS_H

#include <sys/types.h>

#define STR       ('S' << 8)
#define I_PUSH    (STR | 02)  /* arg: const char *module name */
#define I_RECVFD  (STR | 016) /* arg: struct strrecvfd * */
#define I_SENDFD  (STR | 021) /* arg: int fd */

/* streamio(4I): what I_RECVFD fills in. */
struct strrecvfd {
    int fd;
    uid_t uid;
    gid_t gid;
    char fill[8];
};

extern int ioctl(int fildes, int request, /* arg */ ...);
extern int isastream(int fildes);
extern int fattach(int fildes, const char *path);
extern int fdetach(const char *path);

#endif /* FDPASS_TEST_STROPTS_H */
