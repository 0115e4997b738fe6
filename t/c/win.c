/*
 * win.c - tests of the Windows backend of the C core between two Windows
 * processes; `make wintest` cross-compiles it with mingw-w64 and runs it
 * under wine.  The parent starts this program again as the child,
 * which inherits one end of an spipe pair.  Proves: a file, a pipe and a
 * socket passed and read back in the child; three descriptors and data in
 * one message; EMSGSIZE with nothing left behind; a full descriptor table
 * (EMFILE, then the same message once there is room); end of stream; and
 * receivers that die or hang up in the middle of the exchange, with the
 * handles of both processes counted.  Prints TAP.
 */
#ifndef _WIN32_WINNT
# define _WIN32_WINNT 0x0601
#endif
#include <winsock2.h>
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdpass.h"

#include "tap.h"

/* Handles open in this process, found by asking about each value (wine
 * has no GetProcessHandleCount); seen[] marks them when given. */
#define MAX_HANDLE 0x10000
static DWORD
handles_seen(unsigned char *seen)
{
    DWORD n = 0, flags;
    uintptr_t v;

    for (v = 4; v < MAX_HANDLE; v += 4) {
        int open = GetHandleInformation((HANDLE)v, &flags) != 0;

        if (seen != NULL)
            seen[v / 4] = (unsigned char)open;
        n += (DWORD)open;
    }
    return n;
}

static DWORD
handles(void)
{
    return handles_seen(NULL);
}

static SOCKET
sock_of(int fd)
{
    return (SOCKET)_get_osfhandle(fd);
}

/* One message without descriptors: the child's reports. */
static int
say(int sock, const char *text)
{
    return fdpass_send(sock, NULL, 0, text, strlen(text)) < 0 ? -1 : 0;
}

static int
hear(int sock, char *buf, size_t size)
{
    int fds[1];
    size_t n = 0, len = 0;

    if (fdpass_recv(sock, fds, 1, &n, buf, size - 1, &len, 0) != 1)
        return -1;
    buf[len] = '\0';
    return 0;
}

/* Read a descriptor to its end (a socket: until want bytes came). */
static size_t
slurp(int fd, char *buf, size_t size, size_t want)
{
    size_t got = 0;
    int r;

    while (got < size - 1) {
        if (fdpass_is_socket(fd) == 1)
            r = recv(sock_of(fd), buf + got, (int)(size - 1 - got), 0);
        else
            r = _read(fd, buf + got, (unsigned)(size - 1 - got));
        if (r <= 0)
            break;
        got += (size_t)r;
        if (want > 0 && got >= want)
            break;
    }
    buf[got] = '\0';
    return got;
}

/* ------------------------------------------------------------------ */
/* The child: the receiving side. */

static int
child_basic(int sock)
{
    char buf[256], msg[300];
    int fds[4], fd, i, fill[4096], nfill = 0, status = 0;
    size_t n, len;
    DWORD h0, h1;

    /* 1-3: a file, a pipe, a socket, each read back. */
    for (i = 0; i < 3; i++) {
        if (fdpass_recv_fd(sock, &fd, FDPASS_CLOEXEC) != 1) {
            snprintf(msg, sizeof msg, "recv %d failed: errno %d", i, errno);
            say(sock, msg);
            return 1;
        }
        slurp(fd, buf, sizeof buf, i == 2 ? 11 : 0);
        if (i == 2)
            send(sock_of(fd), "pong", 4, 0);
        _close(fd);
        say(sock, buf);
    }

    /* 4: three descriptors and data in one message. */
    if (fdpass_recv(sock, fds, 4, &n, buf, sizeof buf - 1, &len, 0) == 1) {
        buf[len] = '\0';
        snprintf(msg, sizeof msg, "n=%u data=%s", (unsigned)n, buf);
        fdpass_close_all(fds, n);
    } else {
        snprintf(msg, sizeof msg, "recv failed: errno %d", errno);
    }
    say(sock, msg);

    /* 5: more descriptors than asked for. */
    h0 = handles();
    errno = 0;
    i = fdpass_recv(sock, fds, 1, &n, buf, sizeof buf, &len, 0);
    h1 = handles();
    snprintf(msg, sizeof msg, "r=%d emsgsize=%d handles=%s", i,
             errno == EMSGSIZE, h0 == h1 ? "same" : "changed");
    say(sock, msg);

    /* 6: a full table, then room. */
    while (nfill < 4096 && (fill[nfill] = _open("NUL", _O_RDONLY)) >= 0)
        nfill++;
    errno = 0;
    i = fdpass_recv_fd(sock, &fd, 0);
    snprintf(msg, sizeof msg, "full: r=%d emfile=%d", i, errno == EMFILE);
    while (nfill > 0)
        _close(fill[--nfill]);
    if (fdpass_recv_fd(sock, &fd, 0) == 1) {
        slurp(fd, buf, sizeof buf, 0);
        _close(fd);
        strncat(msg, " then: ", sizeof msg - strlen(msg) - 1);
        strncat(msg, buf, sizeof msg - strlen(msg) - 1);
    }
    say(sock, msg);

    /* 7: end of stream once the parent shuts its side down. */
    i = fdpass_recv_fd(sock, &fd, 0);
    say(sock, i == 0 ? "eof" : "no eof");
    return status;
}

/* A receiver that speaks the wire by hand: takes the offer, asks for the
 * handles with its pid, and then dies or hangs up without an ACK. */
static int
child_broken(int sock, const char *how, HANDLE go)
{
    unsigned char h[16];
    char data[64];
    static unsigned char before[MAX_HANDLE / 4], after[MAX_HANDLE / 4];
    SOCKET s = sock_of(sock);
    DWORD pid = GetCurrentProcessId(), fresh = 0;
    unsigned long dlen;
    int i;

    handles_seen(before);
    if (recv(s, (char *)h, 16, MSG_WAITALL) != 16 || memcmp(h, "Fdp1", 4) != 0)
        return 2;
    dlen = (unsigned long)h[12] | ((unsigned long)h[13] << 8);
    if (dlen > sizeof data || recv(s, data, (int)dlen, MSG_WAITALL) != (int)dlen)
        return 3;
    memcpy(h, "Fdp1", 4);
    memset(h + 4, 0, 12);
    h[4] = 2; /* WANT */
    for (i = 0; i < 4; i++)
        h[8 + i] = (unsigned char)((pid >> (8 * i)) & 0xff);
    if (send(s, (const char *)h, 16, 0) != 16)
        return 4;
    if (strcmp(how, "die") == 0)
        ExitProcess(0);
    /* Hang up (keeping the handle, so its value is not reused), then wait
     * until the sender has given up on us: no handle may be new. */
    shutdown(s, SD_BOTH);
    WaitForSingleObject(go, 30000);
    handles_seen(after);
    for (i = 1; i < MAX_HANDLE / 4; i++)
        fresh += after[i] && !before[i];
    diag("receiver that hung up: %lu handles appeared in it",
         (unsigned long)fresh);
    return fresh == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The parent. */

/*
 * Start this program as the child and connect to it: the parent listens
 * on a loopback port, the child connects, *ret_fd is the parent's end.
 * (Not an inherited spipe end: wine's send() fails with WSAENOTSOCK on a
 * socket a process inherited.)  extra is an inheritable event for the
 * child.
 */
static HANDLE
start_child(const char *mode, HANDLE extra, int *ret_fd)
{
    char self[MAX_PATH], cmd[3 * MAX_PATH];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    struct sockaddr_in addr;
    int alen = sizeof addr;
    SOCKET l, a;

    l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)&addr, sizeof addr) != 0
        || getsockname(l, (struct sockaddr *)&addr, &alen) != 0
        || listen(l, 1) != 0)
        return NULL;
    SetHandleInformation((HANDLE)l, HANDLE_FLAG_INHERIT, 0);
    GetModuleFileNameA(NULL, self, sizeof self);
    snprintf(cmd, sizeof cmd, "\"%s\" child %s %u %llu", self, mode,
             (unsigned)ntohs(addr.sin_port), (unsigned long long)(uintptr_t)extra);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        closesocket(l);
        return NULL;
    }
    CloseHandle(pi.hThread);
    a = accept(l, NULL, NULL);
    closesocket(l);
    if (a == INVALID_SOCKET)
        return NULL;
    SetHandleInformation((HANDLE)a, HANDLE_FLAG_INHERIT, 0);
    *ret_fd = _open_osfhandle((intptr_t)a, _O_BINARY);
    return pi.hProcess;
}

/* The child's end: connect to the parent's port. */
static int
connect_parent(unsigned port)
{
    struct sockaddr_in addr;
    WSADATA wd;
    SOCKET s;

    WSAStartup(MAKEWORD(2, 2), &wd);
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((u_short)port);
    if (s == INVALID_SOCKET || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0)
        return -1;
    return _open_osfhandle((intptr_t)s, _O_BINARY);
}

static DWORD
reap(HANDLE proc)
{
    DWORD code = 99;

    WaitForSingleObject(proc, 60000);
    GetExitCodeProcess(proc, &code);
    CloseHandle(proc);
    return code;
}

static int
temp_file(const char *content)
{
    char dir[MAX_PATH], name[MAX_PATH];
    int fd;

    GetTempPathA(sizeof dir, dir);
    GetTempFileNameA(dir, "fdp", 0, name);
    fd = _open(name, _O_RDWR | _O_BINARY | _O_NOINHERIT | _O_TEMPORARY);
    if (fd < 0)
        return -1;
    _write(fd, content, (unsigned)strlen(content));
    _lseek(fd, 0, SEEK_SET);
    return fd;
}

static void
test_basic(void)
{
    int sv[1], q[2], p[2], f, r, three[3];
    char buf[300];
    HANDLE child;
    DWORD code;

    child = start_child("basic", NULL, &sv[0]);
    ok(child != NULL, "child started and connected");
    if (child == NULL)
        return;

    f = temp_file("file content");
    ok(fdpass_send_fd(sv[0], f) == 0, "file handle sent");
    _close(f);
    ok(hear(sv[0], buf, sizeof buf) == 0 && strcmp(buf, "file content") == 0,
       "the child read the file through its own descriptor");

    ok(_pipe(p, 4096, _O_BINARY | _O_NOINHERIT) == 0, "pipe");
    _write(p[1], "pipe data", 9);
    _close(p[1]);
    ok(fdpass_send_fd(sv[0], p[0]) == 0, "pipe read end sent");
    _close(p[0]);
    ok(hear(sv[0], buf, sizeof buf) == 0 && strcmp(buf, "pipe data") == 0,
       "the child read the pipe to its end");

    ok(fdpass_socketpair(q, FDPASS_CLOEXEC) == 0, "spipe: a loopback pair");
    ok(fdpass_send_fd(sv[0], q[1]) == 0, "socket sent (WSADuplicateSocket)");
    _close(q[1]);
    send(sock_of(q[0]), "socket data", 11, 0);
    ok(hear(sv[0], buf, sizeof buf) == 0 && strcmp(buf, "socket data") == 0,
       "the child read the socket");
    ok(slurp(q[0], buf, sizeof buf, 4) == 4 && strcmp(buf, "pong") == 0,
       "and answered through it");
    _close(q[0]);

    three[0] = temp_file("a");
    _pipe(p, 4096, _O_BINARY | _O_NOINHERIT);
    three[1] = p[0];
    fdpass_socketpair(q, FDPASS_CLOEXEC);
    three[2] = q[0];
    ok(fdpass_send(sv[0], three, 3, "three", 5) == 5,
       "three descriptors and data in one message");
    ok(hear(sv[0], buf, sizeof buf) == 0 && strcmp(buf, "n=3 data=three") == 0,
       "all three and the data arrived");

    ok(fdpass_send(sv[0], three, 3, "x", 1) == 1,
       "sending three to a receiver that takes one succeeds");
    ok(hear(sv[0], buf, sizeof buf) == 0
       && strcmp(buf, "r=-1 emsgsize=1 handles=same") == 0,
       "the receiver got EMSGSIZE and no handle was left in it");
    fdpass_close_all(three, 3);
    _close(p[1]);
    _close(q[1]);

    f = temp_file("after room");
    ok(fdpass_send_fd(sv[0], f) == 0,
       "send to a receiver with a full table waits and succeeds");
    _close(f);
    r = hear(sv[0], buf, sizeof buf);
    if (r != 0 || strcmp(buf, "full: r=-1 emfile=1 then: after room") != 0)
        diag("the child said: %s", buf);
    ok(r == 0 && strcmp(buf, "full: r=-1 emfile=1 then: after room") == 0,
       "the receiver got EMFILE, then the same message once it had room");

    shutdown(sock_of(sv[0]), SD_SEND);
    ok(hear(sv[0], buf, sizeof buf) == 0 && strcmp(buf, "eof") == 0,
       "end of stream: recv returns 0");
    code = reap(child);
    ok(code == 0, "child exit status 0");
    _close(sv[0]);
}

static void
test_broken(const char *how)
{
    int sv[1], f, r, e;
    HANDLE child, go;
    DWORD h0, h1, code;
    SECURITY_ATTRIBUTES sa;
    char name[100];

    sa.nLength = sizeof sa;
    sa.lpSecurityDescriptor = NULL;
    sa.bInheritHandle = TRUE;
    go = CreateEventA(&sa, TRUE, FALSE, NULL);
    child = start_child(how, go, &sv[0]);
    if (child == NULL) {
        ok(0, "child started");
        return;
    }
    f = temp_file("never taken");
    h0 = handles();
    errno = 0;
    r = fdpass_send_fd(sv[0], f);
    e = errno;
    h1 = handles();
    snprintf(name, sizeof name, "receiver that %s mid-exchange: send fails "
             "(errno %d)", how, e);
    ok(r < 0 && (e == EPIPE || e == EACCES || e == EINVAL || e == EIO), name);
    snprintf(name, sizeof name, "receiver that %s: the sender's handles "
             "%lu before, %lu after", how, (unsigned long)h0, (unsigned long)h1);
    ok(h0 == h1, name);
    ok(_lseek(f, 0, SEEK_CUR) == 0, "the sender's own descriptor is intact");
    SetEvent(go);
    code = reap(child);
    if (strcmp(how, "hangup") == 0)
        ok(code == 0, "nothing was left in the live receiver (revoked)");
    else
        ok(code == 0, "the receiver died as planned");
    _close(f);
    _close(sv[0]);
    CloseHandle(go);
}

static void
test_errors(void)
{
    int sv[2], fd, f;
    size_t n, len;
    char b;

    fdpass_socketpair(sv, FDPASS_CLOEXEC);
    f = temp_file("x");
    errno = 0;
    ok(fdpass_send_fd(f, f) < 0 && errno == ENOTSOCK, "send over a file: ENOTSOCK");
    errno = 0;
    ok(fdpass_send_fd(sv[0], 9999) < 0 && errno == EBADF, "send of a bad descriptor: EBADF");
    errno = 0;
    ok(fdpass_recv(9999, &fd, 1, &n, &b, 1, &len, 0) < 0 && errno == EBADF,
       "recv on a bad descriptor: EBADF");
    {
        u_long on = 1;

        ioctlsocket(sock_of(sv[1]), FIONBIO, &on);
    }
    errno = 0;
    ok(fdpass_recv_fd(sv[1], &fd, 0) < 0 && errno == EAGAIN,
       "recv on an empty non-blocking end: EAGAIN");
    errno = 0;
    ok(fdpass_listen("x", 1, -1, 0, 0) < 0 && errno == ENOSYS,
       "named endpoints: ENOSYS");
    errno = 0;
    ok(fdpass_send_fd_flags(sv[0], f, FDPASS_WIRE_009) < 0 && errno == ENOSYS,
       "0.09's two-byte form: ENOSYS");
    errno = 0;
    ok(fdpass_peer_pidfd(sv[0]) < 0 && errno == ENOSYS, "peer_pidfd: ENOSYS");
    errno = 0;
    ok(fdpass_socketpair(sv, FDPASS_SEQPACKET) < 0 && errno == EPROTONOSUPPORT,
       "SEQPACKET pair: EPROTONOSUPPORT");
    errno = 0;
    ok(fdpass_listen("x", 1, -1, 0, FDPASS_SEQPACKET) < 0
       && errno == EPROTONOSUPPORT, "SEQPACKET listener: EPROTONOSUPPORT");
    errno = 0;
    ok(fdpass_connect("x", 1, FDPASS_SEQPACKET) < 0
       && errno == EPROTONOSUPPORT, "SEQPACKET connect: EPROTONOSUPPORT");
    errno = 0;
    ok(fdpass_spawn(NULL, NULL, NULL, 0, NULL, -1, 0, NULL) < 0, "spawn fails");
    errno = 0;
    ok(fdpass_listen_fds(1) < 0 && errno == ENOSYS, "socket activation: ENOSYS");
    errno = 0;
    ok(fdpass_take_listeners(&f, 1) < 0 && errno == ENOSYS, "take_listeners: ENOSYS");
    {
        unsigned long long id;

        errno = 0;
        ok(fdpass_pidfd_id_self(&id) < 0 && errno == ENOSYS, "pidfd_id_self: ENOSYS");
    }
    errno = 0;
    ok(fdpass_fd_kind(f) < 0 && errno == ENOSYS, "fd kind: ENOSYS");
    ok(strcmp(fdpass_backend(), "win32") == 0, "backend is win32");
    _close(f);
    _close(sv[0]);
    _close(sv[1]);
}

int
main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "child") == 0) {
        int fd = connect_parent((unsigned)atoi(argv[3]));
        HANDLE go = (HANDLE)(uintptr_t)_strtoui64(argv[4], NULL, 10);

        if (strcmp(argv[2], "basic") == 0)
            return child_basic(fd);
        return child_broken(fd, argv[2], go);
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    {
        WSADATA wd;

        WSAStartup(MAKEWORD(2, 2), &wd);
    }
    test_basic();
    test_broken("die");
    test_broken("hangup");
    test_errors();
    return done_testing();
}
