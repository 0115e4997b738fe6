/*
 * tap.h - the TAP lines of the C tests (core.c, room.c, win.c): one
 * "ok N - name" or "not ok N - name" per check; main prints the plan.
 */
#ifndef FDPASS_TEST_TAP_H
#define FDPASS_TEST_TAP_H

#include <stdio.h>

static int n_test;
static int n_fail;

static void
ok(int cond, const char *name)
{
    n_test++;
    if (!cond)
        n_fail++;
    printf("%sok %d - %s\n", cond ? "" : "not ", n_test, name);
    fflush(stdout);
}

#endif /* FDPASS_TEST_TAP_H */
