/*
 * bigsend.c - one fdpass_send of more than 2 GiB to a peer that reads
 * and counts.  Prints "first N sent M received R": the count of the
 * first call, the sum of the counts of every call (the rest sent with
 * nfds 0, as fdpass.h shows) and what the peer read.  xt/10-big-send.t
 * builds and runs it.  The data is untouched anonymous memory, so it
 * takes no room.
 */
#define _GNU_SOURCE 1
#include "fdpass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

int
main(int argc, char **argv)
{
    size_t len = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10)
                          : ((size_t)1 << 31) + 12345;
    int sv[2], rep[2], fd = 0, st;
    unsigned long long received = 0;
    size_t done;
    ssize_t n, first;
    char *data;
    pid_t pid;

    data = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0
        || pipe(rep) < 0) {
        perror("setup");
        return 2;
    }
    pid = fork();
    if (pid == 0) {
        static char buf[1 << 20];
        int got[1];
        size_t nfds = 0, l = 0;

        close(sv[0]);
        if (fdpass_recv(sv[1], got, 1, &nfds, buf, sizeof(buf), &l, 0) != 1
            || nfds != 1)
            _exit(3);
        received = l;
        while ((n = read(sv[1], buf, sizeof(buf))) > 0)
            received += (unsigned long long)n;
        if (write(rep[1], &received, sizeof(received)) < 0)
            _exit(4);
        _exit(0);
    }
    close(sv[1]);
    close(rep[1]);
    first = n = fdpass_send(sv[0], &fd, 1, data, len);
    done = n > 0 ? (size_t)n : 0;
    while (n >= 0 && done < len) {
        n = fdpass_send(sv[0], NULL, 0, data + done, len - done);
        if (n > 0)
            done += (size_t)n;
        else if (n < 0 && errno == EINTR)
            n = 0;
    }
    if (n < 0)
        perror("fdpass_send");
    close(sv[0]);
    if (read(rep[0], &received, sizeof(received)) != sizeof(received))
        received = 0;
    waitpid(pid, &st, 0);
    printf("first %lld sent %llu received %llu\n", (long long)first,
           (unsigned long long)done, received);
    return 0;
}
