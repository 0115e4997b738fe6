/*
 * t/streams/ucred.h - getpeerucred(3C) and ucred_get(3C) as the illumos
 * manual pages declare them, for `make streams-check` (compile-only).
 */
#ifndef FDPASS_TEST_UCRED_H
#define FDPASS_TEST_UCRED_H

#include <sys/types.h>

typedef struct ucred_s ucred_t;

extern int getpeerucred(int fd, ucred_t **ucred);
extern uid_t ucred_geteuid(const ucred_t *uc);
extern gid_t ucred_getegid(const ucred_t *uc);
extern pid_t ucred_getpid(const ucred_t *uc);
extern void ucred_free(ucred_t *uc);

#endif /* FDPASS_TEST_UCRED_H */
