/*
 * tap.h - the TAP of every C test (t/c, xt/c): one "ok N - name" or
 * "not ok N - name" per check, "ok N # skip why" for a check that cannot
 * run here, "# ..." for diagnostics, and the plan printed last, by
 * done_testing(), whose value is main's exit status.  The Perl tests that
 * run these programs pass each line on to their own TAP, skips as skips.
 */
#ifndef FDPASS_TEST_TAP_H
#define FDPASS_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int n_test;
static int n_fail;

/* One check; returns cond. */
static inline int
ok(int cond, const char *name)
{
    n_test++;
    if (!cond)
        n_fail++;
    printf("%sok %d - %s\n", cond ? "" : "not ", n_test, name);
    fflush(stdout);
    return cond;
}

/* One check whose name is made from a printf format. */
static inline int
okf(int cond, const char *fmt, ...)
{
    char name[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return ok(cond, name);
}

/* One check that cannot run here, and why. */
static inline void
skip(const char *fmt, ...)
{
    va_list ap;

    printf("ok %d # skip ", ++n_test);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* A diagnostic line. */
static inline void
diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* The plan, after the last check; returns main's exit status. */
static inline int
done_testing(void)
{
    printf("1..%d\n", n_test);
    fflush(stdout);
    return n_fail != 0;
}

#ifndef _WIN32
#include <dirent.h>
#include <fcntl.h>

/* Descriptors open now, from /proc/self/fd, or by probing the table:
 * counted around a call, it shows what the call left open. */
static inline int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0, fd;

    if (d != NULL) {
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        return n - 1;
    }
    for (fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}
#endif /* !_WIN32 */

#endif /* FDPASS_TEST_TAP_H */
