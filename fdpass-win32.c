/*
 * fdpass-win32.c - the Windows backend of the C core,
 * #included by fdpass.c (see its layout comment); not compiled alone.
 */

/* ---------------------------------------------------------------------
 * Windows: a descriptor is a C runtime descriptor over a HANDLE or a
 * SOCKET, and the connection is a connected TCP socket (spipe makes a
 * loopback pair).  Windows cannot queue a handle in a socket, so every
 * message that carries descriptors is an exchange:
 *
 *   sender   OFFER   count, data length, data
 *   receiver WANT    its process id; or "refused" (more descriptors
 *                    than it takes: EMSGSIZE) or "later" (its table is
 *                    full: EMFILE; the sender offers again)
 *   sender   HANDLES each handle duplicated into the receiver with
 *                    DuplicateHandle, each socket as the
 *                    WSAPROTOCOL_INFOW of WSADuplicateSocket
 *   receiver ACK     it owns them now
 *
 * A sender that gets no ACK (the receiver died or closed the connection)
 * closes the handles it pushed (DuplicateHandle with
 * DUPLICATE_CLOSE_SOURCE on the receiver), so nothing stays behind in a
 * live receiver.  A socket duplicate cannot be taken back that way; it
 * lives until the receiving process ends.  A message without descriptors
 * is an OFFER alone.  So send returns only once the receiver has received:
 * sending and receiving in one thread of one process cannot work here.
 *
 * Every frame starts with 16 bytes: "Fdp1", then type, a, b as 32-bit
 * little-endian numbers; an entry of HANDLES is kind (1 handle, 2 socket),
 * length of what follows it, and a 64-bit handle value, then that many
 * bytes.  So 32- and 64-bit processes understand each other.
 */

#define BE_NAME "win32"
/* One byte: 0.09 never ran here; the exchange has its own framing. */
#define BE_FD_BYTES 1
#define BE_SEQPACKET 0 /* no SOCK_SEQPACKET for a connected pair here */

#define W32_HDR      16
#define W32_ENTRY    16
#define W32_OFFER    1u
#define W32_WANT     2u
#define W32_HANDLES  3u
#define W32_ACK      4u
#define W32_TAKE     0u /* WANT: a = pid */
#define W32_REFUSE   1u /* WANT: too many descriptors */
#define W32_LATER    2u /* WANT: no room now, offer again */
#define W32_FAILED   0xffffffffu /* HANDLES: a; b = the sender's errno */
#define W32_HANDLE   1u
#define W32_SOCKET   2u

/* Winsock must be started once per process before the first socket call;
 * INIT_ONCE makes that safe from any thread and is written only by it. */
static INIT_ONCE w32_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK
w32_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    WSADATA wd;

    (void)once;
    (void)param;
    (void)ctx;
    return WSAStartup(MAKEWORD(2, 2), &wd) == 0;
}

static int
w32_startup(void)
{
    if (!InitOnceExecuteOnce(&w32_once, w32_start, NULL, NULL))
        return fdp_fail(ENETDOWN);
    return 0;
}

/* GetLastError() or WSAGetLastError() as errno, at the point of return. */
static int
w32_fail(DWORD e)
{
    switch (e) {
    case WSAEWOULDBLOCK:
        return fdp_fail(EAGAIN);
    case WSAEINTR:
        return fdp_fail(EINTR);
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAESHUTDOWN:
    case WSAENOTCONN:
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
        return fdp_fail(EPIPE);
    case WSAENOTSOCK:
        return fdp_fail(ENOTSOCK);
    case WSAEMSGSIZE:
        return fdp_fail(EMSGSIZE);
    case WSAEMFILE:
    case ERROR_TOO_MANY_OPEN_FILES:
        return fdp_fail(EMFILE);
    case WSAENOBUFS:
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return fdp_fail(ENOMEM);
    case WSAEACCES:
    case ERROR_ACCESS_DENIED:
        return fdp_fail(EACCES);
    case WSAEBADF:
    case ERROR_INVALID_HANDLE:
        return fdp_fail(EBADF);
    case WSAECONNREFUSED:
        return fdp_fail(ECONNREFUSED);
    case WSAEADDRINUSE:
        return fdp_fail(EADDRINUSE);
    case WSANOTINITIALISED:
    case WSAENETDOWN:
        return fdp_fail(ENETDOWN);
    default:
        return fdp_fail(EIO);
    }
}

static void
w32_put32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
    p[2] = (unsigned char)((v >> 16) & 0xff);
    p[3] = (unsigned char)((v >> 24) & 0xff);
}

static unsigned long
w32_get32(const unsigned char *p)
{
    return (unsigned long)p[0] | ((unsigned long)p[1] << 8)
           | ((unsigned long)p[2] << 16) | ((unsigned long)p[3] << 24);
}

static void
w32_header(unsigned char *p, unsigned long type, unsigned long a,
             unsigned long b)
{
    memcpy(p, "Fdp1", 4);
    w32_put32(p + 4, type);
    w32_put32(p + 8, a);
    w32_put32(p + 12, b);
}

/* The handle behind a C runtime descriptor, or -1 and EBADF (-2 is the
 * runtime's answer for a descriptor with no handle). */
static intptr_t
w32_osf(int fd)
{
    intptr_t h = _get_osfhandle(fd);

    if (h == (intptr_t)INVALID_HANDLE_VALUE || h == -2)
        return fdp_fail(EBADF);
    return h;
}

/* The SOCKET behind a C runtime descriptor: EBADF, or ENOTSOCK. */
static int
w32_sock(int fd, SOCKET *ret)
{
    intptr_t h = w32_osf(fd);
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    if (h < 0)
        return -1;
    if (w32_startup() < 0)
        return -1;
    /* getsockname rather than getsockopt: wine answers getsockopt with
     * WSAENOTSOCK for an inherited socket.  An unbound socket fails with
     * WSAEINVAL, which still says "socket"; anything else (WSAENOTSOCK,
     * or wine's WSAEOPNOTSUPP for a file) says it is not one. */
    if (GetFileType((HANDLE)h) != FILE_TYPE_PIPE
        || (getsockname((SOCKET)h, (struct sockaddr *)&ss, &len) != 0
            && WSAGetLastError() != WSAEINVAL))
        return fdp_fail(ENOTSOCK);
    *ret = (SOCKET)h;
    return 0;
}

/* Wait until s is readable (or writable), for the rest of an exchange. */
static void
w32_wait(SOCKET s, int write)
{
    fd_set set;

    FD_ZERO(&set);
    FD_SET(s, &set);
    (void)select(0, write ? NULL : &set, write ? &set : NULL, NULL, NULL);
}

/*
 * Send all of out, or receive exactly len bytes into in.  begun says the
 * exchange has started: then a non-blocking socket is waited on rather
 * than left half done; before that, EAGAIN is returned as such.  Returns
 * 1, or 0 when the stream ended before the first byte of a frame that had
 * not begun; an end in the middle is EPIPE.
 */
static int
w32_xfer(SOCKET s, const char *out, char *in, size_t len, int begun)
{
    int r, e, n;

    while (len > 0) {
        n = len > INT_MAX ? INT_MAX : (int)len;
        r = out != NULL ? send(s, out, n, 0) : recv(s, in, n, 0);
        if (r == 0 && out == NULL)
            return begun ? fdp_fail(EPIPE) : 0;
        if (r == SOCKET_ERROR) {
            e = WSAGetLastError();
            if ((e == WSAEWOULDBLOCK && begun) || e == WSAEINTR) {
                if (e == WSAEWOULDBLOCK)
                    w32_wait(s, out != NULL);
                continue;
            }
            return w32_fail((DWORD)e);
        }
        if (out != NULL)
            out += r;
        else
            in += r;
        len -= (size_t)r;
        begun = 1;
    }
    return 1;
}

static int
w32_sendall(SOCKET s, const void *buf, size_t len, int begun)
{
    return w32_xfer(s, (const char *)buf, NULL, len, begun);
}

static int
w32_recvall(SOCKET s, void *buf, size_t len, int begun)
{
    return w32_xfer(s, NULL, (char *)buf, len, begun);
}

/* Read a frame header of the given type into a and b. */
static int
w32_expect(SOCKET s, unsigned long type, unsigned long *a,
             unsigned long *b, int begun)
{
    unsigned char h[W32_HDR];
    int r = w32_recvall(s, h, sizeof(h), begun);

    if (r <= 0)
        return r;
    if (memcmp(h, "Fdp1", 4) != 0 || w32_get32(h + 4) != type)
        return fdp_fail(EBADMSG);
    *a = w32_get32(h + 8);
    *b = w32_get32(h + 12);
    return 1;
}

/* Is fd a socket?  1, 0, or -1 and EBADF. */
static int
be_is_socket(int fd)
{
    SOCKET s;

    if (w32_sock(fd, &s) == 0)
        return 1;
    return errno == ENOTSOCK ? 0 : -1;
}

static int
be_set_cloexec(int fd, int on)
{
    intptr_t h = w32_osf(fd);

    if (h < 0)
        return -1;
    /* Not inherited by programs started later: Windows's close-on-exec. */
    if (!SetHandleInformation((HANDLE)h, HANDLE_FLAG_INHERIT,
                              on ? 0 : HANDLE_FLAG_INHERIT))
        return w32_fail(GetLastError());
    return 0;
}

static int
be_getfl(int fd)
{
    if (w32_osf(fd) < 0)
        return -1;
    return _O_RDWR; /* a handle's access cannot be asked for */
}

/* Take back what was pushed into proc for a receiver that never
 * acknowledged. */
static void
w32_revoke(HANDLE proc, const unsigned long long *pushed, size_t n)
{
    HANDLE back;
    size_t i;

    /* Brought back here and closed: a NULL target process, the shorter
     * form, is refused by wine. */
    for (i = 0; i < n; i++)
        if (pushed[i] != 0
            && DuplicateHandle(proc, (HANDLE)(uintptr_t)pushed[i],
                               GetCurrentProcess(), &back, 0, FALSE,
                               DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS))
            CloseHandle(back);
}

static ssize_t
be_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    static const char zero = 0;
    unsigned char hdr[W32_HDR];
    unsigned long long pushed[FDPASS_MAX];
    unsigned char kind[FDPASS_MAX];
    intptr_t h[FDPASS_MAX];
    unsigned char *frame, *p;
    size_t i, size;
    unsigned long a, b;
    HANDLE proc;
    SOCKET s;
    int r, e;

    if (w32_sock(sock, &s) < 0)
        return -1;
    e = errno;
    for (i = 0; i < nfds; i++) {
        SOCKET t;

        if ((h[i] = w32_osf(fds[i])) < 0)
            return -1;
        kind[i] = w32_sock(fds[i], &t) == 0 ? W32_SOCKET : W32_HANDLE;
    }
    errno = e; /* asking left ENOTSOCK */
    if (len == 0) {
        data = &zero;
        len = 1;
    }
    if (len > 0xffffffffu)
        return fdp_fail(EMSGSIZE);
    w32_header(hdr, W32_OFFER, (unsigned long)nfds, (unsigned long)len);
    if (w32_sendall(s, hdr, sizeof(hdr), 0) < 0)
        return -1;
    for (;;) {
        if (w32_sendall(s, data, len, 1) < 0)
            return -1;
        if (nfds == 0)
            return (ssize_t)len;
        r = w32_expect(s, W32_WANT, &a, &b, 1);
        if (r <= 0)
            return r == 0 ? fdp_fail(EPIPE) : -1;
        if (b == W32_REFUSE) /* the receiver fails with EMSGSIZE */
            return (ssize_t)len;
        if (b != W32_LATER)
            break;
        /* The receiver's table is full: offer again, and wait. */
        if (w32_sendall(s, hdr, sizeof(hdr), 1) < 0)
            return -1;
    }
    if (b != W32_TAKE)
        return fdp_fail(EBADMSG);

    size = W32_HDR + nfds * W32_ENTRY;
    for (i = 0; i < nfds; i++)
        if (kind[i] == W32_SOCKET)
            size += sizeof(WSAPROTOCOL_INFOW);
    frame = (unsigned char *)malloc(size);
    proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)a);
    e = frame == NULL ? ENOMEM : 0;
    if (e == 0 && proc == NULL) {
        w32_fail(GetLastError());
        e = errno;
    }
    memset(pushed, 0, sizeof(pushed));
    p = frame + W32_HDR;
    for (i = 0; i < nfds && e == 0; i++) {
        HANDLE dup = NULL;

        w32_put32(p, kind[i]);
        if (kind[i] == W32_SOCKET) {
            WSAPROTOCOL_INFOW info;

            if (WSADuplicateSocketW((SOCKET)h[i], (DWORD)a, &info) != 0) {
                w32_fail((DWORD)WSAGetLastError());
                e = errno;
                break;
            }
            w32_put32(p + 4, sizeof(info));
            memset(p + 8, 0, 8);
            memcpy(p + W32_ENTRY, &info, sizeof(info));
            p += W32_ENTRY + sizeof(info);
        } else {
            if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)h[i], proc,
                                 &dup, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
                w32_fail(GetLastError());
                e = errno;
                break;
            }
            pushed[i] = (unsigned long long)(uintptr_t)dup;
            w32_put32(p + 4, 0);
            w32_put32(p + 8, (unsigned long)(pushed[i] & 0xffffffffu));
            w32_put32(p + 12, (unsigned long)(pushed[i] >> 32));
            p += W32_ENTRY;
        }
    }
    if (e != 0) {
        /* Tell the receiver, which is waiting, and take back what went. */
        if (proc != NULL)
            w32_revoke(proc, pushed, nfds);
        w32_header(hdr, W32_HANDLES, W32_FAILED, (unsigned long)e);
        (void)w32_sendall(s, hdr, sizeof(hdr), 1);
        if (proc != NULL)
            CloseHandle(proc);
        free(frame);
        return fdp_fail(e);
    }
    w32_header(frame, W32_HANDLES, (unsigned long)nfds, 0);
    r = w32_sendall(s, frame, (size_t)(p - frame), 1);
    free(frame);
    if (r > 0)
        r = w32_expect(s, W32_ACK, &a, &b, 1);
    if (r <= 0) {
        /* No ACK: the receiver is gone or closed the connection. */
        e = r == 0 ? EPIPE : errno;
        w32_revoke(proc, pushed, nfds);
        CloseHandle(proc);
        return fdp_fail(e == EBADMSG ? EBADMSG : EPIPE);
    }
    CloseHandle(proc);
    return (ssize_t)len;
}

/* Can this process's descriptor table take n more?  Slots are taken on
 * the NUL device and given back.  be_recv asks once the OFFER is in, so
 * room is judged when the message is there; the C runtime has no way to
 * count free slots without taking them, and these are made not
 * inheritable (_O_NOINHERIT), and Windows has no fork, so no child sees
 * them. */
static int
w32_room(size_t n)
{
    int got[FDPASS_MAX];
    size_t i, k;
    int e = 0;

    for (k = 0; k < n; k++) {
        got[k] = _open("NUL", _O_RDONLY | _O_NOINHERIT);
        if (got[k] < 0) {
            /* A full table is EMFILE here as everywhere (wine's C
             * runtime says ENFILE). */
            e = errno == ENFILE ? EMFILE : errno;
            break;
        }
    }
    for (i = 0; i < k; i++)
        _close(got[i]);
    return e == 0 ? 0 : fdp_fail(e);
}

/* A descriptor over the handle or socket h, inheritable or not; h is
 * closed when that fails. */
static int
w32_fd(intptr_t h, int socket, int flags)
{
    int fd, e;

    if (!SetHandleInformation((HANDLE)h, HANDLE_FLAG_INHERIT,
                              (flags & FDPASS_CLOEXEC) ? 0
                                                       : HANDLE_FLAG_INHERIT)) {
        (void)w32_fail(GetLastError());
        fd = -1;
    } else {
        fd = _open_osfhandle(h, _O_BINARY);
    }
    if (fd < 0) {
        e = errno;
        if (socket)
            closesocket((SOCKET)h);
        else
            CloseHandle((HANDLE)h);
        return fdp_fail(e);
    }
    return fd;
}

/* Turn one entry of HANDLES into a descriptor; -1 with errno (the entry
 * is closed then). */
static int
w32_adopt(unsigned long kind, unsigned long long value,
            const WSAPROTOCOL_INFOW *info, int flags)
{
    SOCKET t;

    if (kind != W32_SOCKET)
        return w32_fd((intptr_t)(uintptr_t)value, 0, flags);
    t = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                   (LPWSAPROTOCOL_INFOW)info, 0, WSA_FLAG_OVERLAPPED);
    if (t == INVALID_SOCKET)
        return w32_fail((DWORD)WSAGetLastError());
    return w32_fd((intptr_t)t, 1, flags);
}

/* No service manager speaks sd_notify's protocol on Windows. */
static int
be_notify(const char *addr, const void *state, size_t len, const int *fds,
          size_t nfds)
{
    (void)addr;
    (void)state;
    (void)len;
    (void)fds;
    (void)nfds;
    return fdp_fail(ENOSYS);
}

static int
be_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
        void *buf, size_t buflen, size_t *ret_len, int flags)
{
    unsigned char hdr[W32_HDR], ent[W32_ENTRY], kinds[FDPASS_MAX];
    unsigned long long vals[FDPASS_MAX];
    int out[FDPASS_MAX];
    char scrap[512];
    unsigned long nfds, dlen, a, b, elen;
    size_t got, left, i;
    WSAPROTOCOL_INFOW info;
    SOCKET s;
    int r, e = 0;

    if (w32_sock(sock, &s) < 0)
        return -1;
    r = w32_expect(s, W32_OFFER, &nfds, &dlen, 0);
    if (r <= 0)
        return r; /* 0: end of stream */
    if (nfds > FDPASS_MAX)
        return fdp_fail(EBADMSG);
    got = dlen < buflen ? dlen : buflen;
    if (w32_recvall(s, buf, got, 1) < 0)
        return -1;
    /* Data beyond buflen belongs to this message: it is read and dropped. */
    for (left = dlen - got; left > 0; left -= got) {
        got = left < sizeof(scrap) ? left : sizeof(scrap);
        if (w32_recvall(s, scrap, got, 1) < 0)
            return -1;
    }
    *ret_len = dlen < buflen ? dlen : buflen;
    if (nfds == 0)
        return 1;
    if (nfds > maxfds) {
        w32_header(hdr, W32_WANT, 0, W32_REFUSE);
        if (w32_sendall(s, hdr, sizeof(hdr), 1) < 0)
            return -1;
        return fdp_fail(EMSGSIZE);
    }
    if (w32_room(nfds) < 0) {
        e = errno;
        w32_header(hdr, W32_WANT, 0, W32_LATER);
        if (w32_sendall(s, hdr, sizeof(hdr), 1) < 0)
            return -1;
        return fdp_fail(e); /* offered again; the next call gets it */
    }
    w32_header(hdr, W32_WANT, (unsigned long)GetCurrentProcessId(),
                 W32_TAKE);
    if (w32_sendall(s, hdr, sizeof(hdr), 1) < 0)
        return -1;
    r = w32_expect(s, W32_HANDLES, &a, &b, 1);
    if (r <= 0)
        return r == 0 ? fdp_fail(EPIPE) : -1;
    if (a == W32_FAILED)
        return fdp_fail(b > 0 && b < 0x10000 ? (int)b : EIO);
    if (a != nfds)
        return fdp_fail(EBADMSG);
    /*
     * Sockets are made as their entries arrive (the sender cannot take
     * them back).  Handles are adopted only once the whole frame is in: if
     * it breaks off, the sender, getting no ACK, takes them back, and a
     * handle closed here could by then be another one of ours.
     */
    for (i = 0; i < nfds; i++) {
        out[i] = -1;
        vals[i] = 0;
        if (w32_recvall(s, ent, sizeof(ent), 1) <= 0)
            break;
        kinds[i] = (unsigned char)w32_get32(ent);
        elen = w32_get32(ent + 4);
        vals[i] = (unsigned long long)w32_get32(ent + 8)
                  | ((unsigned long long)w32_get32(ent + 12) << 32);
        if (kinds[i] == W32_SOCKET && elen == sizeof(info)) {
            if (w32_recvall(s, &info, sizeof(info), 1) <= 0)
                break;
            out[i] = w32_adopt(W32_SOCKET, 0, &info,
                                 e == 0 ? flags : FDPASS_CLOEXEC);
            if (out[i] < 0 && e == 0)
                e = errno;
        } else if (kinds[i] != W32_HANDLE || elen != 0) {
            errno = EBADMSG;
            break;
        }
    }
    if (i < nfds) {
        /* The exchange broke: no ACK, so the sender takes back the
         * handles; the sockets made here are closed. */
        e = errno;
        fdpass_close_all(out, i + 1);
        return fdp_fail(e);
    }
    for (i = 0; i < nfds; i++) {
        if (kinds[i] != W32_HANDLE)
            continue;
        if (e != 0) { /* after a failure the rest are only closed */
            CloseHandle((HANDLE)(uintptr_t)vals[i]);
            continue;
        }
        out[i] = w32_adopt(W32_HANDLE, vals[i], NULL, flags);
        if (out[i] < 0)
            e = errno;
    }
    w32_header(hdr, W32_ACK, 0, 0);
    if (w32_sendall(s, hdr, sizeof(hdr), 1) < 0 && e == 0)
        e = errno;
    if (e != 0) {
        fdpass_close_all(out, nfds);
        return fdp_fail(e);
    }
    memcpy(fds, out, nfds * sizeof(int));
    *ret_nfds = nfds;
    return 1;
}

static SOCKET
w32_tcp(void)
{
    return WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

static int
be_socketpair(int ret_fds[2], int flags)
{
    struct sockaddr_in addr, mine, peer;
    SOCKET l, c = INVALID_SOCKET, a = INVALID_SOCKET;
    int alen, tries, one = 1;
    DWORD e = 0;

    if (w32_startup() < 0)
        return -1;
    l = w32_tcp();
    if (l == INVALID_SOCKET)
        return w32_fail((DWORD)WSAGetLastError());
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = (int)sizeof(addr);
    if (setsockopt(l, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&one,
                   sizeof(one)) != 0
        || bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0
        || getsockname(l, (struct sockaddr *)&addr, &alen) != 0
        || listen(l, 1) != 0
        || (c = w32_tcp()) == INVALID_SOCKET
        || connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        e = (DWORD)WSAGetLastError();
    } else {
        alen = (int)sizeof(mine);
        if (getsockname(c, (struct sockaddr *)&mine, &alen) != 0)
            e = (DWORD)WSAGetLastError();
        /* Only our own connect is taken, not another process's. */
        for (tries = 0; e == 0 && tries < 16; tries++) {
            alen = (int)sizeof(peer);
            a = accept(l, (struct sockaddr *)&peer, &alen);
            if (a == INVALID_SOCKET) {
                e = (DWORD)WSAGetLastError();
                break;
            }
            if (peer.sin_port == mine.sin_port
                && peer.sin_addr.s_addr == mine.sin_addr.s_addr)
                break;
            closesocket(a);
            a = INVALID_SOCKET;
        }
        if (e == 0 && a == INVALID_SOCKET)
            e = WSAECONNREFUSED;
    }
    closesocket(l);
    if (e != 0) {
        if (c != INVALID_SOCKET)
            closesocket(c);
        return w32_fail(e);
    }
    ret_fds[0] = w32_fd((intptr_t)a, 1, flags);
    if (ret_fds[0] < 0) {
        int saved = errno;

        closesocket(c);
        return fdp_fail(saved);
    }
    ret_fds[1] = w32_fd((intptr_t)c, 1, flags);
    if (ret_fds[1] < 0)
        return fdp_close_fail(ret_fds[0]);
    return 0;
}

/* Named endpoints and peer credentials have no Windows form here. */
static int
be_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    (void)path; (void)len; (void)mode; (void)backlog; (void)flags;
    return fdp_fail(ENOSYS);
}

static int
be_accept(int lsock, fdpass_uid_t *ret_uid, int flags)
{
    (void)lsock; (void)ret_uid; (void)flags;
    return fdp_fail(ENOSYS);
}

static int
be_connect(const char *path, size_t len, int flags)
{
    (void)path; (void)len; (void)flags;
    return fdp_fail(ENOSYS);
}

static int
be_peer_cred(int sock, pid_t *ret_pid, fdpass_uid_t *ret_uid,
             fdpass_gid_t *ret_gid)
{
    (void)sock; (void)ret_pid; (void)ret_uid; (void)ret_gid;
    return fdp_fail(ENOSYS);
}

/* Socket activation is a POSIX supervisors' protocol: no Windows form. */
static int
be_listen_fds(int n)
{
    (void)n;
    return fdp_fail(ENOSYS);
}

static int
be_take_listeners(const int *fds, int *sorted, size_t n)
{
    (void)fds;
    (void)sorted;
    (void)n;
    return fdp_fail(ENOSYS);
}

static int
be_fd_kind(int fd)
{
    (void)fd;
    return fdp_fail(ENOSYS);
}

static int
be_peer_pidfd(int sock)
{
    (void)sock;
    return fdp_fail(ENOSYS);
}

static int
be_spawn(char *const argv[], char *const envp[],
         const struct fdpass_inherit *fds, size_t nfds,
         const char *dir, int dirfd, int flags, pid_t *ret_pid)
{
    (void)argv; (void)envp; (void)fds; (void)nfds;
    (void)dir; (void)dirfd; (void)flags; (void)ret_pid;
    return fdp_fail(ENOSYS);
}
