/*
 * fdpass-scm.c - the SCM_RIGHTS backend of the C core,
 * #included by fdpass.c (see its layout comment); not compiled alone.
 */

/* ---------------------------------------------------------------------
 * SCM_RIGHTS over AF_UNIX stream sockets: Linux, the BSDs, macOS,
 * illumos; SOCK_SEQPACKET ones with FDPASS_SEQPACKET.
 */

#define BE_NAME "scm_rights"
/* recv_fd reads up to two bytes (0.09's form too: a stream read stops
 * after a message with descriptors), and FDPASS_WIRE_009 sends it. */
#define BE_FD_BYTES 2
#define BE_SEQPACKET 1 /* where the system has none, socket() says so */

/*
 * Walk the control messages of a received message, a pure function: it
 * reads only inside msg_control/msg_controllen, touches nothing else, and
 * reports in found[] (room for cap entries) every descriptor the kernel
 * put there, in order: those of SCM_RIGHTS messages and those of
 * SCM_PIDFD.  Credentials and anything unknown are skipped.  Returns how
 * many were found; more than cap means found[] holds only the first cap.
 */
FDP_PRIVATE size_t
scm_walk(const struct msghdr *msg, struct scm_found *found, size_t cap)
{
    /* Offsets rather than CMSG_NXTHDR: glibc's CMSG_NXTHDR adds the next
     * header's length to a pointer before it checks it, which overflows
     * on a hostile length (found by t/fuzz/cmsg_fuzz.c). */
    const unsigned char *base = (const unsigned char *)msg->msg_control;
    size_t len = base != NULL ? (size_t)msg->msg_controllen : 0;
    size_t off = 0, n = 0, i, cnt, step;
    struct cmsghdr h;
    int fd;

    while (len - off >= sizeof(struct cmsghdr)) {
        memcpy(&h, base + off, sizeof(h));
        if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > len - off)
            break; /* a length that runs past the buffer ends the walk */
        if (h.cmsg_level == SOL_SOCKET
            && (h.cmsg_type == SCM_RIGHTS
#ifdef SCM_PIDFD
                || h.cmsg_type == SCM_PIDFD
#endif
                )) {
            cnt = (h.cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (i = 0; i < cnt; i++, n++) {
                if (n >= cap)
                    continue;
                memcpy(&fd, base + off + CMSG_LEN(0) + i * sizeof(int),
                       sizeof(int));
                found[n].fd = fd;
                found[n].rights = h.cmsg_type == SCM_RIGHTS;
            }
        }
        step = CMSG_ALIGN(h.cmsg_len);
        if (step > len - off)
            break;
        off += step;
    }
    return n;
}

/*
 * Keep up to maxfds SCM_RIGHTS descriptors of a received message in fds
 * and close every other descriptor that arrived.  More than maxfds, or
 * control data the kernel truncated (MSG_CTRUNC), closes them all and
 * fails: with EMSGSIZE when the message carried more than maxfds (more
 * than maxfds arrived, or maxfds and a truncation), else with EMFILE.
 * be_recv's buffer holds maxfds descriptors beside credentials and a
 * pidfd with room to spare, so a truncation with fewer than maxfds is not
 * the buffer's doing: the kernel could not install the rest, because the
 * table filled between the room check and the read (Linux then drops
 * them and sets MSG_CTRUNC).  That message is gone.
 */
FDP_PRIVATE int
scm_collect(struct msghdr *msg, int *fds, size_t maxfds, size_t *ret_nfds)
{
    /* Room for every int the control buffer can hold. */
    struct scm_found found[FDP_CONTROL_SIZE / sizeof(int) + 1];
    size_t cap = sizeof(found) / sizeof(found[0]);
    size_t n, i, kept = 0, rights = 0;
    int saved = errno;

    if (msg->msg_controllen > FDP_CONTROL_SIZE)
        return fdp_fail(EINVAL); /* not a buffer of be_recv's */
    /* The usual message, one SCM_RIGHTS header that fills the control
     * data with no room for another, and no more descriptors than are
     * wanted, needs no walk: its descriptors are copied as they are.  One
     * descriptor, the commonest, is matched on constants first. */
    if (msg->msg_controllen >= CMSG_LEN(sizeof(int))
        && !(msg->msg_flags & MSG_CTRUNC)) {
        struct cmsghdr h;
        const unsigned char *data
            = CMSG_DATA((struct cmsghdr *)msg->msg_control);

        memcpy(&h, msg->msg_control, sizeof(h));
        if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
            if (h.cmsg_len == CMSG_LEN(sizeof(int))
                && msg->msg_controllen == CMSG_SPACE(sizeof(int))
                && maxfds >= 1) {
                memcpy(fds, data, sizeof(int));
                *ret_nfds = 1;
                return 0;
            }
            n = (h.cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (h.cmsg_len >= CMSG_LEN(sizeof(int))
                && CMSG_ALIGN(h.cmsg_len) == msg->msg_controllen
                && n <= maxfds) {
                memcpy(fds, data, n * sizeof(int));
                *ret_nfds = n;
                return 0;
            }
        }
    }
    n = scm_walk(msg, found, cap);
    for (i = 0; i < n; i++)
        rights += (size_t)found[i].rights;
    if (rights > maxfds || (msg->msg_flags & MSG_CTRUNC)) {
        for (i = 0; i < n; i++)
            (void)FDP_CLOSE(found[i].fd);
        *ret_nfds = 0;
        return fdp_fail(rights >= maxfds ? EMSGSIZE : EMFILE);
    }
    for (i = 0; i < n; i++) {
        if (found[i].rights)
            fds[kept++] = found[i].fd;
        else
            (void)FDP_CLOSE(found[i].fd);
    }
    errno = saved;
    *ret_nfds = kept;
    return 0;
}

/* Where SOCK_CLOEXEC is missing, set the flag right after creation. */
static int
scm_cloexec_after(int fd, int flags)
{
#ifdef FDP_NO_SOCK_CLOEXEC
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fd, 1) < 0)
        return fdp_close_fail(fd);
#else
    (void)flags;
#endif
    return fd;
}

#ifdef FDP_NEED_SO_NOSIGPIPE
/* macOS, older BSDs: no MSG_NOSIGNAL, so the socket itself is told. */
static void
scm_nosigpipe(int sock)
{
    int one = 1;

    (void)setsockopt(sock, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
}
#else
# define scm_nosigpipe(sock) ((void)0)
#endif

/* The socket's type (SOCK_STREAM, SOCK_SEQPACKET, ...), or -1. */
static int
scm_sock_type(int sock)
{
    int type;
    socklen_t l = sizeof(type);

    if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
        return -1;
    return type;
}

/*
 * A received message that says something only on a socket that keeps
 * message boundaries (SEQPACKET, or a datagram socket a caller passed):
 * cut short (MSG_TRUNC, which a stream never reports), or of no bytes
 * and no descriptors.  Returns -1 with EMSGSIZE for a cut message, every
 * descriptor in fds closed (EBADMSG when it had none and fdpass_recv_fd
 * asked, FDP_RECV_ONE in flags); 0 at end of stream; 1 for an empty
 * message.
 *
 * recvmsg returns 0 both for an empty message and when the peer has
 * closed or shut down writing and nothing is queued.  After an end
 * nothing more can be queued, so a message waiting behind ours, or a
 * peer that can still send, proves ours was a message:
 *  - a peek without waiting: bytes mean a message follows; EAGAIN means
 *    nothing is queued and the peer has not shut down;
 *  - a peek of 0 is a queued empty message or the end: poll then tells
 *    whether the peer has hung up (POLLHUP) or shut down writing
 *    (POLLRDHUP, Linux).
 * What remains: an empty message that the peer sent just before it shut
 * down, with nothing but empty messages between, is taken for the end
 * of stream, which is then what the next call would report.  Where there
 * is no POLLRDHUP, a queued empty message behind ours when the peer has
 * not hung up is taken for the end too, so that a peer which shut down
 * writing (POSIX promises POLLHUP only for a hang-up) gives an end, not
 * endless empty messages.
 */
static int
scm_record_end(int sock, const struct msghdr *msg, int *fds,
               size_t *ret_nfds, ssize_t r, int flags)
{
    struct pollfd pf;
    char c;
    ssize_t p;

    if (msg->msg_flags & MSG_TRUNC) {
        if (*ret_nfds == 0 && (flags & FDP_RECV_ONE))
            return fdp_fail(EBADMSG);
        fdpass_close_all(fds, *ret_nfds);
        *ret_nfds = 0;
        return fdp_fail(EMSGSIZE);
    }
    if (r != 0 || *ret_nfds != 0 || scm_sock_type(sock) == SOCK_STREAM)
        return r != 0 || *ret_nfds != 0;
    /* No control buffer: a peek must not install descriptors. */
    p = recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (p > 0)
        return 1;
    if (p < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return 0; /* the connection is gone */
    pf.fd = sock;
    pf.events = POLLIN | POLLRDHUP;
    pf.revents = 0;
    if (p < 0) {
        /* Nothing queued: ours was a message, unless this end was shut
         * down for reading (a Linux datagram socket, which says EAGAIN
         * then; POLLRDHUP), where nothing can come any more. */
        return !(POLLRDHUP != 0 && poll(&pf, 1, 0) == 1
                 && (pf.revents & (POLLHUP | POLLRDHUP)));
    }
    if (POLLRDHUP != 0 && poll(&pf, 1, 0) == 1
        && !(pf.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)))
        return 1;
    return 0;
}

/*
 * One sendmsg of len bytes (len >= 1) with the nfds descriptors in an
 * SCM_RIGHTS control message, to the address to (tolen bytes) or, with
 * to NULL, to sock's peer.  SIGPIPE is never raised.
 */
static ssize_t
scm_sendmsg(int sock, const void *to, socklen_t tolen, const int *fds,
            size_t nfds, const void *data, size_t len)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    ssize_t r;
#ifdef FDP_NEED_SIGPIPE_MASK
    struct fdp_sigpipe sp;
#endif

    memset(&msg, 0, sizeof(msg));
    msg.msg_name = (void *)to;
    msg.msg_namelen = tolen;
    iov.iov_base = (void *)data;
    iov.iov_len = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        memset(&cb, 0, CMSG_SPACE(nfds * sizeof(int)));
        msg.msg_control = cb.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cb.h.cmsg_level = SOL_SOCKET;
        cb.h.cmsg_type = SCM_RIGHTS;
        cb.h.cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(&cb.h), fds, nfds * sizeof(int));
    }
    scm_nosigpipe(sock);
#ifdef FDP_NEED_SIGPIPE_MASK
    fdp_sigpipe_hold(&sp);
#endif
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
#ifdef FDP_NEED_SIGPIPE_MASK
    fdp_sigpipe_release(&sp, r < 0);
#endif
    return r;
}

static ssize_t
be_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    static const char zero = 0;

    if (len == 0) {
        data = &zero;
        len = 1;
    }
    /* One call.  The descriptors go with the first part; a count below
     * len (a full non-blocking socket, a signal during a blocking send,
     * Linux's per-call cap of 2 GiB less a page) is returned as it is and
     * the rest is the caller's (fdpass.h).  Sending it here would keep a
     * signal's handlers from running until the peer had read it all.
     * On a SEQPACKET socket Linux sends the message whole or fails, so
     * there is no rest there. */
    return scm_sendmsg(sock, NULL, 0, fds, nfds, data, len);
}

/*
 * sd_notify's protocol (fdpass_notify in fdpass.h; HACKING says where it
 * differs from libsystemd's): addr, $NOTIFY_SOCKET, is "/path" or
 * "@abstract", as libsystemd reads it (sockaddr_un_set_path): at least
 * two bytes and a NUL that fits sun_path, the abstract name's length
 * without a NUL.  A fresh datagram socket, one sendmsg with the state
 * and the descriptors, closed again on every path.  No SCM_CREDENTIALS
 * is sent: the kernel attaches the sender's pid and real uid and gid
 * when the manager asked for them (SO_PASSCRED), which is what
 * libsystemd sends itself for pid 0.
 */
static int
be_notify(const char *addr, const void *state, size_t len, const int *fds,
          size_t nfds)
{
    struct sockaddr_un sun;
    socklen_t slen;
    size_t l = strlen(addr);
    ssize_t r;
    int sock;

    if (addr[0] != '/' && addr[0] != '@')
        return fdp_fail(EAFNOSUPPORT);
#ifndef __linux__
    if (addr[0] == '@')
        return fdp_fail(EAFNOSUPPORT); /* abstract names are Linux's alone */
#endif
    if (l < 2 || l + 1 > sizeof(sun.sun_path))
        return fdp_fail(EINVAL);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (addr[0] == '@') {
        memcpy(sun.sun_path + 1, addr + 1, l - 1);
        slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l);
    } else {
        memcpy(sun.sun_path, addr, l);
        slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l + 1);
    }
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return -1;
    if (scm_cloexec_after(sock, FDPASS_CLOEXEC) < 0)
        return -1;
    /* A blocking socket: while the manager's queue is full the call
     * waits, as sd_notify does; a signal ends the wait with EINTR and
     * nothing sent. */
    r = scm_sendmsg(sock, &sun, slen, fds, nfds, state, len);
    if (r < 0)
        return fdp_close_fail(sock);
    (void)close(sock);
    /* A datagram goes whole or not at all; a short count would be a
     * message cut, which the manager would misread. */
    return (size_t)r == len ? 1 : fdp_fail(EIO);
}

/*
 * recvmsg() once a message is there and the table has room for need more
 * descriptors.  Room is judged right before each read, never before a
 * wait: the table may fill, or RLIMIT_NOFILE be lowered from outside
 * (prlimit), while the call waits.  So the read never waits (MSG_DONTWAIT);
 * when nothing is queued the call waits in a peek of one byte with no
 * control buffer, which takes nothing from the queue and installs no
 * descriptor (as in scm_record_end), then judges room again.  The peek
 * waits as the socket's own recvmsg would: not at all on a non-blocking
 * socket (EAGAIN), at most SO_RCVTIMEO (EAGAIN), until a signal (EINTR;
 * a handler installed with SA_RESTART restarts it, as it would recvmsg),
 * and it ends where recvmsg would, with what recvmsg would say.  A peek
 * of 0 is an empty message or an end; when the read after it finds
 * nothing, it was an end that only a waiting read reports (a Linux
 * datagram socket shut down for reading says EAGAIN when told not to
 * wait, 0 otherwise, while poll() calls it readable: a wait in poll()
 * spun there for ever), and the call returns 0 as recvmsg would have
 * (scm_record_end then tells an end from an empty message; an empty
 * message that another reader of the socket took between the peek and
 * the read is reported to both).  The common case, a message already queued, costs the check and one
 * recvmsg.
 */
static ssize_t
scm_recvmsg_room(int sock, struct msghdr *msg, int rflags, size_t need)
{
    size_t controllen = msg->msg_controllen;
    ssize_t r, peeked = 1;
    char c;

    for (;;) {
        if (fdp_room(need) < 0)
            return -1;
        msg->msg_controllen = controllen;
        msg->msg_flags = 0;
        r = recvmsg(sock, msg, rflags | MSG_DONTWAIT);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return r;
        if (peeked == 0) {
            msg->msg_controllen = 0;
            return 0;
        }
        peeked = recv(sock, &c, 1, MSG_PEEK);
        if (peeked < 0)
            return -1;
    }
}

static int
be_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
        void *buf, size_t buflen, size_t *ret_len, int flags)
{
    union {
        struct cmsghdr h;
        char buf[FDP_CONTROL_SIZE];
    } cb;
    struct msghdr msg;
    struct iovec iov;
    ssize_t r;

    memset(&msg, 0, sizeof(msg));
    iov.iov_base = buf;
    iov.iov_len = buflen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cb.buf;
    msg.msg_controllen = FDP_CONTROL_LEN(maxfds);
    r = scm_recvmsg_room(sock, &msg,
                         (flags & FDPASS_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0,
                         maxfds);
    if (r < 0)
        return -1;
    if (scm_collect(&msg, fds, maxfds, ret_nfds) < 0)
        return -1;
#ifdef FDP_NEED_CLOEXEC_AFTER
    if (flags & FDPASS_CLOEXEC) {
        size_t i;

        for (i = 0; i < *ret_nfds; i++)
            (void)fdpass_set_cloexec(fds[i], 1);
    }
#endif
    if ((msg.msg_flags & MSG_TRUNC) || (r == 0 && *ret_nfds == 0)) {
        int m = scm_record_end(sock, &msg, fds, ret_nfds, r, flags);

        if (m <= 0)
            return m; /* EMSGSIZE, or end of stream */
    }
    *ret_len = (size_t)r;
    return 1;
}

static int
be_socketpair(int ret_fds[2], int flags)
{
    int type = (flags & FDPASS_SEQPACKET) ? SOCK_SEQPACKET : SOCK_STREAM;

    if (flags & FDPASS_CLOEXEC)
        type |= SOCK_CLOEXEC;
    if (socketpair(AF_UNIX, type, 0, ret_fds) < 0)
        return -1;
    if (scm_cloexec_after(ret_fds[0], flags) < 0)
        return fdp_close_fail(ret_fds[1]);
    if (scm_cloexec_after(ret_fds[1], flags) < 0)
        return fdp_close_fail(ret_fds[0]);
    scm_nosigpipe(ret_fds[0]);
    scm_nosigpipe(ret_fds[1]);
    return 0;
}

static int
scm_socket(int flags)
{
    int fd = socket(AF_UNIX,
                    ((flags & FDPASS_SEQPACKET) ? SOCK_SEQPACKET : SOCK_STREAM)
                    | ((flags & FDPASS_CLOEXEC) ? SOCK_CLOEXEC : 0),
                    0);

    if (fd < 0)
        return -1;
    fd = scm_cloexec_after(fd, flags);
    if (fd >= 0)
        scm_nosigpipe(fd);
    return fd;
}

/* Fill sun from path, refusing what would not fit rather than cutting it. */
static int
scm_sockaddr(struct sockaddr_un *sun, socklen_t *ret_len,
             const char *path, size_t len)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len == 0)
        return fdp_fail(ENOENT);
    if (path[0] == '\0') {
#ifdef __linux__
        if (len > sizeof(sun->sun_path))
            return fdp_fail(ENAMETOOLONG);
        memcpy(sun->sun_path, path, len);
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        return 0;
#else
        return fdp_fail(EINVAL); /* abstract sockets are Linux's alone */
#endif
    }
    if (memchr(path, '\0', len) != NULL)
        return fdp_fail(EINVAL);
    if (len >= sizeof(sun->sun_path)) /* room for the NUL too */
        return fdp_fail(ENAMETOOLONG);
    memcpy(sun->sun_path, path, len);
    *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    return 0;
}

/*
 * Is a server still accepting at sun?  Returns 1 (live), 0 (nobody
 * accepts: connect says ECONNREFUSED, which a node of any kind with no
 * listener behind it says, so the caller still has to look at what it
 * is) or -1 with errno (ENOENT: nothing there any more; anything else:
 * cannot tell).  The probe is a socket of the type flags ask for, as the
 * listener being made; a listener of the other type answers EPROTOTYPE,
 * and is live too.
 */
static int
scm_probe_live(const struct sockaddr_un *sun, socklen_t slen, int flags)
{
    int fd = scm_socket(flags | FDPASS_CLOEXEC), r, e;

    if (fd < 0)
        return 1; /* cannot tell: do not remove anything */
    /* Non-blocking, so a live server with a full backlog answers EAGAIN
     * instead of making us wait. */
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    r = connect(fd, (const struct sockaddr *)sun, slen);
    e = errno;
    (void)close(fd);
    if (r == 0 || e == EAGAIN || e == EINPROGRESS || e == EINTR
        || e == EPROTOTYPE)
        return 1;
    if (e == ECONNREFUSED)
        return 0;
    return fdp_fail(e);
}

/*
 * Making a named endpoint safely in a directory other users can write
 * (/tmp, a shared run directory), for a server that may be root.
 *
 * Binding at the name and then calling chmod(path) or unlink(path) looks
 * the name up again, and another user can have put a symlink or a file of
 * theirs there meanwhile: root then chmods the file the symlink names, or
 * the stale-node check unlinks a file or fifo (connect to those says
 * ECONNREFUSED too).  A node that exists before listen() also lets a
 * second server take it for stale and replace it.  fchmod on the socket
 * before bind (Linux) avoids the lookup but still leaves the umask's mark
 * and does nothing for the other two.  So no call here looks a name up
 * where another user can create one, except to create or move:
 *
 *   1. the target's directory is opened once; everything after is
 *      relative to that descriptor;
 *   2. a private directory (".fdpass-XXXXXXXX", mode 0700, checked with
 *      fstat to be ours and closed to others) is made in it; nobody else
 *      can add, swap or remove anything there;
 *   3. the socket is bound there, its mode set there (fchmodat relative
 *      to the private directory), and it starts listening there;
 *   4. only then is the node moved to its name, without replacing
 *      anything (renameat2 RENAME_NOREPLACE, or linkat + unlinkat, both
 *      of which refuse an existing name).  OpenSSH's control master
 *      publishes its socket the same way (bind a temporary name, link).
 *      A node thus appears only once its server listens, so of two
 *      servers starting at once the second finds a live node: exactly
 *      one wins, the other gets EADDRINUSE;
 *   5. a stale node is taken by moving whatever is at the name into the
 *      private directory (rename), where nobody can change it; it is
 *      unlinked only if it is the socket node seen before the probe (same
 *      device and inode) and still nobody accepts on it.  Anything else is
 *      put back without replacing, and the call fails.
 * The private directory goes on every path (only what is ours in it is
 * removed, and it is removed only while its name still leads to the one
 * we made: in a sticky directory such as /tmp nobody else can rename it;
 * in a directory without the sticky bit, whoever can write it can remove
 * anything in it anyway); a process killed in the middle can leave it
 * behind.
 *
 * A client's getpeername() and the listener's getsockname() name the
 * address the socket was bound under, /proc/self/fd/N/s on Linux (the
 * private path where there is no /proc), not the public name.
 */

/* How the two directories are opened: for their *at calls only, so with
 * no read permission needed where the system allows (a directory users
 * may write and search but not list, as bind alone needed). */
#if defined(__linux__) && defined(O_PATH)
# define SCM_DIR_OPEN (O_PATH | O_DIRECTORY | O_CLOEXEC)
#elif defined(O_SEARCH)
# define SCM_DIR_OPEN (O_SEARCH | O_DIRECTORY | O_CLOEXEC)
#else
# define SCM_DIR_OPEN (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

#define SCM_PRIV_PREFIX ".fdpass-"
#define SCM_PRIV_TRIES 16 /* names tried for the private directory */
#define SCM_MOVE_TRIES 4  /* stale nodes taken before giving up */

struct scm_place {
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *base; /* the last component of the path */
    char priv[sizeof(SCM_PRIV_PREFIX) + 8];
    int dfd;          /* the target's directory */
    int pfd;          /* the private directory in it, or -1 */
    struct stat pst;  /* what pfd is */
    int via_proc;     /* reach pfd through /proc/self/fd, not its name */
};

/* Append s at offset n of a sun_path, keeping a NUL at the end; returns
 * the new length, sizeof(sun_path) or more when it did not fit. */
static size_t
scm_cat(char *buf, size_t n, const char *s)
{
    size_t size = sizeof(((struct sockaddr_un *)0)->sun_path), l = strlen(s);

    if (n >= size || l >= size - n)
        return size;
    memcpy(buf + n, s, l + 1);
    return n + l;
}

#ifdef __linux__
/* "/proc/self/fd/N/leaf" into a sun_path-sized buf: the entry leaf of the
 * directory open at dfd, whatever happens to the directory's name. */
static size_t
scm_proc_path(char *buf, int dfd, const char *leaf)
{
    char num[24], *q = num + sizeof(num);
    unsigned int v = (unsigned int)dfd;
    size_t n;

    *--q = '\0';
    do
        *--q = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    memset(buf, 0, sizeof(((struct sockaddr_un *)0)->sun_path));
    n = scm_cat(buf, 0, "/proc/self/fd/");
    n = scm_cat(buf, n, q);
    n = scm_cat(buf, n, "/");
    return scm_cat(buf, n, leaf);
}
#endif /* __linux__ */

/* The address of leaf in the private directory: on Linux through
 * /proc/self/fd, which leads to the directory we hold whatever is done to
 * any name (scm_dir_via_proc), else its path, when that fits in
 * sun_path. */
static int
scm_priv_addr(const struct scm_place *pl, const char *leaf,
              struct sockaddr_un *sun, socklen_t *ret_len)
{
    size_t n;

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    n = scm_cat(sun->sun_path, 0, pl->dir);
    if (strcmp(pl->dir, "/") != 0)
        n = scm_cat(sun->sun_path, n, "/");
    n = scm_cat(sun->sun_path, n, pl->priv);
    n = scm_cat(sun->sun_path, n, "/");
    n = scm_cat(sun->sun_path, n, leaf);
#ifdef __linux__
    if (n >= sizeof(sun->sun_path) || pl->via_proc)
        n = scm_proc_path(sun->sun_path, pl->pfd, leaf);
#endif
    if (n >= sizeof(sun->sun_path))
        return fdp_fail(ENAMETOOLONG);
    *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

/* A name for the private directory, different on every try: it only has
 * to be hard to guess, since mkdirat refuses a name already taken. */
static void
scm_priv_name(struct scm_place *pl, unsigned int attempt)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz234567";
    struct timeval tv;
    unsigned long x;
    size_t i, n = strlen(SCM_PRIV_PREFIX);

    (void)gettimeofday(&tv, NULL);
    x = (unsigned long)getpid() * 2654435761UL
        ^ (unsigned long)tv.tv_usec * 40503UL ^ (unsigned long)tv.tv_sec
        ^ (unsigned long)(size_t)&tv ^ (unsigned long)attempt * 0x9e3779b9UL;
    memcpy(pl->priv, SCM_PRIV_PREFIX, n);
    for (i = 0; i < 8; i++) {
        x ^= x >> 13;
        x *= 0x5bd1e995UL;
        x ^= x >> 15;
        pl->priv[n + i] = digits[x & 31];
    }
    pl->priv[n + 8] = '\0';
}

/*
 * Whether the private directory is reached through /proc/self/fd (Linux,
 * where /proc shows it) rather than by its path.  bind() and the probe
 * take a path, and another user who can rename the private directory,
 * or any directory on the path to it (one they may write without the
 * sticky bit, or one they own), can put a symlink in its place between
 * mkdirat and bind: the node would be made wherever the symlink leads.
 * /proc/self/fd/N leads to the directory we hold, whatever is done to
 * any name.  Without /proc (a chroot) the path is used, and a redirected
 * bind is caught after the fact (its node left where it was made).
 */
static int
scm_dir_via_proc(const struct scm_place *pl)
{
#ifdef __linux__
    char p[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct stat st;

    (void)scm_proc_path(p, pl->pfd, "");
    return stat(p, &st) == 0 && st.st_dev == pl->pst.st_dev
           && st.st_ino == pl->pst.st_ino;
#else
    (void)pl;
    return 0;
#endif
}

#if defined(__linux__) && defined(O_PATH)
/* chmod 0700 the private directory a umask left without some of the
 * owner's bits, when pfd (O_PATH) cannot be given to fchmod: through
 * /proc/self/fd (via_proc), or where there is no /proc (a chroot) through a
 * descriptor of it opened for reading without following a symlink and
 * checked to be the directory we made (which a user other than root
 * cannot open when the umask took the owner's read bit too: EACCES). */
static int
scm_priv_chmod(const struct scm_place *pl)
{
    char p[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct stat st;
    int fd;

    if (pl->via_proc) {
        (void)scm_proc_path(p, pl->pfd, "");
        return chmod(p, 0700);
    }
    fd = openat(pl->dfd, pl->priv,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0)
        return fdp_close_fail(fd);
    if (st.st_dev != pl->pst.st_dev || st.st_ino != pl->pst.st_ino) {
        errno = EEXIST; /* another directory swapped in */
        return fdp_close_fail(fd);
    }
    if (fchmod(fd, 0700) < 0)
        return fdp_close_fail(fd);
    (void)close(fd);
    return 0;
}
#endif /* __linux__ && O_PATH */

/* Make the private directory and open it: a fresh directory that is ours
 * and open to nobody else, or the call fails. */
static int
scm_priv_make(struct scm_place *pl)
{
    unsigned int i;

    for (i = 0;; i++) {
        scm_priv_name(pl, i);
        if (mkdirat(pl->dfd, pl->priv, 0700) == 0)
            break;
        if (errno != EEXIST || i + 1 >= SCM_PRIV_TRIES)
            return -1;
    }
    /* O_PATH on Linux: a umask that takes the owner's read bit away must
     * not stop us. */
    pl->pfd = openat(pl->dfd, pl->priv, SCM_DIR_OPEN | O_NOFOLLOW);
    if (pl->pfd < 0)
        return -1; /* not ours to remove: leave the name alone */
    if (fstat(pl->pfd, &pl->pst) < 0) {
        (void)close(pl->pfd);
        pl->pfd = -1;
        return -1;
    }
    if (!S_ISDIR(pl->pst.st_mode) || pl->pst.st_uid != geteuid()
        || (pl->pst.st_mode & 077) != 0) {
        (void)close(pl->pfd);
        pl->pfd = -1; /* someone else's, swapped in: not ours to remove */
        return fdp_fail(EEXIST);
    }
    pl->via_proc = scm_dir_via_proc(pl);
    if ((pl->pst.st_mode & 0700) != 0700) {
        /* The umask took some of the owner's bits; put them back on the
         * directory we hold, never through its name. */
#if defined(__linux__) && defined(O_PATH)
        if (scm_priv_chmod(pl) < 0)
            return -1;
#else
        if (fchmod(pl->pfd, 0700) < 0)
            return -1;
#endif
    }
    return 0;
}

/* Take the private directory away: what we put in it, then the directory
 * itself while its name still leads to the one we made (rmdir fails, and
 * the directory stays, if something we could not put back is in it).
 * Keeps errno. */
static void
scm_place_done(struct scm_place *pl)
{
    int saved = errno;
    struct stat st;

    if (pl->pfd >= 0) {
        (void)unlinkat(pl->pfd, "s", 0);
        if (fstatat(pl->dfd, pl->priv, &st, AT_SYMLINK_NOFOLLOW) == 0
            && st.st_dev == pl->pst.st_dev && st.st_ino == pl->pst.st_ino)
            (void)unlinkat(pl->dfd, pl->priv, AT_REMOVEDIR);
        (void)close(pl->pfd);
        pl->pfd = -1;
    }
    if (pl->dfd >= 0)
        (void)close(pl->dfd);
    pl->dfd = -1;
    errno = saved;
}

/* Move from (in the private directory) to to (in dfd), never replacing
 * what is at to: EEXIST then. */
static int
scm_move_noreplace(struct scm_place *pl, const char *from, int tdfd,
                   const char *to)
{
#ifdef FDP_HAVE_RENAMEAT2
    if (syscall(SYS_renameat2, pl->pfd, from, tdfd, to, RENAME_NOREPLACE) == 0)
        return 0;
    /* ENOSYS: Linux before 3.15; EINVAL: a file system without the flag. */
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    if (linkat(pl->pfd, from, tdfd, to, 0) < 0)
        return -1;
    /* Only we can touch the private directory; should this fail, the
     * name goes with the directory in scm_place_done. */
    (void)unlinkat(pl->pfd, from, 0);
    return 0;
}

/* What is at the name: 0 (nothing), 1 (a socket node nobody accepts on;
 * st says which), or -1 with errno: EEXIST (not a socket: a symlink is
 * not followed), EADDRINUSE (a live socket, or one we cannot probe). */
static int
scm_judge_name(struct scm_place *pl, const struct sockaddr_un *sun,
               socklen_t slen, int flags, struct stat *st)
{
    int r;
#if defined(__linux__) && defined(O_PATH)
    /* The probe connects to the node just looked at, through
     * /proc/self/fd: connect() follows a symlink at the name, which
     * another user could put there after the look, making root connect
     * to any socket (one of root's own, 0600, that acts on a connection)
     * while judging a name in a shared directory. */
    struct sockaddr_un nsun;
    struct stat pst;
    int nfd = openat(pl->dfd, pl->base, O_PATH | O_NOFOLLOW | O_CLOEXEC);

    if (nfd < 0)
        return errno == ENOENT ? 0 : -1;
    if (fstat(nfd, st) < 0)
        return fdp_close_fail(nfd);
    if (!S_ISSOCK(st->st_mode)) {
        errno = EEXIST;
        return fdp_close_fail(nfd);
    }
    memset(&nsun, 0, sizeof(nsun));
    nsun.sun_family = AF_UNIX;
    (void)scm_proc_path(nsun.sun_path, nfd, "");
    nsun.sun_path[strlen(nsun.sun_path) - 1] = '\0'; /* no trailing "/" */
    if (stat(nsun.sun_path, &pst) == 0 && pst.st_dev == st->st_dev
        && pst.st_ino == st->st_ino)
        r = scm_probe_live(&nsun, (socklen_t)(offsetof(struct sockaddr_un,
                           sun_path) + strlen(nsun.sun_path) + 1), flags);
    else
        r = scm_probe_live(sun, slen, flags); /* no /proc: a chroot */
    (void)close(nfd);
#else
    if (fstatat(pl->dfd, pl->base, st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st->st_mode))
        return fdp_fail(EEXIST);
    r = scm_probe_live(sun, slen, flags);
#endif
    switch (r) {
    case 0:
        return 1;
    case -1:
        if (errno == ENOENT)
            return 0;
        /* FALLTHROUGH */
    default:
        return fdp_fail(EADDRINUSE);
    }
}

/* The name is taken: remove it if, and only if, it is a socket node that
 * nobody accepts on.  Returns 0 when the name may be free now (try the
 * move again), -1 with errno otherwise. */
static int
scm_take_stale(struct scm_place *pl, const struct sockaddr_un *sun,
               socklen_t slen, int flags)
{
    struct sockaddr_un psun;
    socklen_t pslen;
    struct stat st, mv;
    int r;

    if ((r = scm_judge_name(pl, sun, slen, flags, &st)) <= 0)
        return r;
    /* Take whatever is there now out of everybody else's reach.  No
     * "old" exists in the private directory, so nothing is replaced. */
    if (renameat(pl->dfd, pl->base, pl->pfd, "old") < 0)
        return errno == ENOENT ? 0 : -1;
    memset(&mv, 0, sizeof(mv));
    if (fstatat(pl->pfd, "old", &mv, AT_SYMLINK_NOFOLLOW) == 0
        && S_ISSOCK(mv.st_mode)
        && mv.st_dev == st.st_dev && mv.st_ino == st.st_ino
        && scm_priv_addr(pl, "old", &psun, &pslen) == 0
        && scm_probe_live(&psun, pslen, flags) == 0) {
        /* A dead socket node, and no server can bind to an existing
         * node: it stays dead. */
        if (unlinkat(pl->pfd, "old", 0) < 0)
            return -1;
        return 0;
    }
    /* Something else was swapped in after the probe: put it back.  Should
     * even that be refused (the name taken again meanwhile; a directory or
     * another user's file where only linkat is at hand), it stays in the
     * private directory, which then stays too, rather than anything being
     * replaced. */
    (void)scm_move_noreplace(pl, "old", pl->dfd, pl->base);
    return fdp_fail(S_ISSOCK(mv.st_mode) ? EADDRINUSE : EEXIST);
}

/* Bind fd in a private directory beside the name, set its mode, listen,
 * and move the node to the name (see above).  Returns 0 or -1 with
 * errno; fd is the caller's to close. */
static int
scm_place_listener(int fd, const struct sockaddr_un *sun, socklen_t slen,
                   int mode, int backlog, int flags)
{
    struct scm_place pl;
    struct sockaddr_un psun;
    socklen_t pslen;
    struct stat st;
    char *slash;
    int tries;

    memcpy(pl.dir, sun->sun_path, sizeof(pl.dir));
    pl.dfd = pl.pfd = -1;
    pl.via_proc = 0;
    slash = strrchr(pl.dir, '/');
    if (slash == NULL) {
        pl.base = sun->sun_path;
        strcpy(pl.dir, ".");
    } else {
        pl.base = sun->sun_path + (slash - pl.dir) + 1;
        if (slash == pl.dir)
            slash[1] = '\0'; /* "/name": the root directory */
        else
            *slash = '\0';
    }
    if (pl.base[0] == '\0' || strcmp(pl.base, ".") == 0
        || strcmp(pl.base, "..") == 0) {
        /* "dir/", "dir/.": a directory or nothing, never a new node. */
        if (stat(sun->sun_path, &st) == 0)
            return fdp_fail(EEXIST);
        return -1;
    }
    pl.dfd = open(pl.dir, SCM_DIR_OPEN);
    if (pl.dfd < 0)
        return -1;
    /* What is there decides the error before anything is made (and in a
     * directory we may not write, as a plain bind would). */
    if (scm_judge_name(&pl, sun, slen, flags, &st) < 0
        || scm_priv_make(&pl) < 0
        || scm_priv_addr(&pl, "s", &psun, &pslen) < 0
        || bind(fd, (const struct sockaddr *)&psun, pslen) < 0)
        goto fail;
    /* The node must be in the directory we hold (a path through a
     * directory another user renamed could have led elsewhere). */
    if (fstatat(pl.pfd, "s", &st, AT_SYMLINK_NOFOLLOW) < 0
        || !S_ISSOCK(st.st_mode)) {
        errno = ENOENT;
        goto fail;
    }
    /* Nobody else can make or swap a name in the private directory, so
     * the name "s" there is the node bind just made. */
    if (mode >= 0 && fchmodat(pl.pfd, "s", (mode_t)(mode & 07777), 0) < 0)
        goto fail;
    if (listen(fd, backlog) < 0)
        goto fail;
    for (tries = 0;; tries++) {
        if (scm_move_noreplace(&pl, "s", pl.dfd, pl.base) == 0)
            break;
        if (errno != EEXIST)
            goto fail;
        if (tries >= SCM_MOVE_TRIES) {
            errno = EADDRINUSE; /* taken again and again: someone races us */
            goto fail;
        }
        if (scm_take_stale(&pl, sun, slen, flags) < 0)
            goto fail;
    }
    scm_place_done(&pl);
    return 0;
fail:
    scm_place_done(&pl);
    return -1;
}

static int
be_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    struct sockaddr_un sun;
    socklen_t slen;
    int fd;

    if (scm_sockaddr(&sun, &slen, path, len) < 0)
        return -1;
    if ((fd = scm_socket(flags)) < 0)
        return -1;
    if (path[0] == '\0') {
        /* A Linux abstract name: no node, nothing to race for (and no
         * mode: fdpass_listen refuses one). */
        if (bind(fd, (struct sockaddr *)&sun, slen) < 0
            || listen(fd, backlog) < 0)
            return fdp_close_fail(fd);
        return fd;
    }
    if (scm_place_listener(fd, &sun, slen, mode, backlog, flags) < 0)
        return fdp_close_fail(fd);
    return fd;
}

/* What the kernel recorded for a connection, asked without first making
 * sure there is one (be_accept's fresh connection has a peer).  Linux
 * answers SO_PEERCRED on any socket and never fails: where nothing was
 * recorded (a socket never connected, a listener's own, TCP, a datagram
 * socket connect()ed to a name) it gives pid 0 and uid and gid
 * (uid_t)-1, which is no user's id (setuid refuses it), so that answer
 * is refused here instead of being reported as a uid.  A peer in another
 * user namespace whose ids have no mapping in ours reads as the overflow
 * ids (/proc/sys/kernel/overflowuid, usually 65534): that is what the
 * kernel recorded, and the POD says so. */
static int
scm_recorded_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
#if defined(FDP_PEERCRED_SO)
    struct ucred uc;
    socklen_t l = sizeof(uc);

    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
        return -1;
    if (uc.uid == (uid_t)-1 || uc.gid == (gid_t)-1)
        return fdp_fail(EOPNOTSUPP);
    if (ret_pid)
        *ret_pid = uc.pid > 0 ? uc.pid : -1;
    if (ret_uid)
        *ret_uid = uc.uid;
    if (ret_gid)
        *ret_gid = uc.gid;
    return 0;
#elif defined(FDP_PEERCRED_GETPEEREID)
    uid_t u;
    gid_t g;

    if (getpeereid(sock, &u, &g) < 0)
        return -1;
    if (u == (uid_t)-1 || g == (gid_t)-1)
        return fdp_fail(EOPNOTSUPP);
    if (ret_pid)
        *ret_pid = -1;
    if (ret_uid)
        *ret_uid = u;
    if (ret_gid)
        *ret_gid = g;
    return 0;
#else
    (void)sock;
    (void)ret_pid;
    (void)ret_uid;
    (void)ret_gid;
    return fdp_fail(ENOSYS);
#endif
}

/* Only a socket with a peer is asked (peer_cred and peer_pidfd alike):
 * 0, or -1 with errno.  Linux answers SO_PEERCRED and SO_PEERPIDFD on a
 * listening socket with what listen() recorded (the caller itself, as a
 * rule) and getpeereid on the BSDs does the same, so a listener is
 * refused first: SO_ACCEPTCONN where the system answers it, and
 * getpeername, which fails with ENOTCONN for a listener and for a socket
 * never connected on Linux and the BSDs.  A connected socket that is not
 * AF_UNIX (TCP) has a peer but no credentials: EOPNOTSUPP. */
static int
scm_peer_check(int sock)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
#ifdef SO_ACCEPTCONN
    int listening = 0;
    socklen_t ll = sizeof(listening);

    if (getsockopt(sock, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) == 0) {
        if (listening)
            return fdp_fail(ENOTCONN);
    } else if (errno != ENOPROTOOPT && errno != EINVAL) {
        return -1;    /* EBADF, ENOTSOCK */
    }
#endif
    memset(&ss, 0, sizeof(ss));
    if (getpeername(sock, (struct sockaddr *)&ss, &sl) < 0)
        return -1;
    if (ss.ss_family != AF_UNIX)
        return fdp_fail(EOPNOTSUPP);
    return 0;
}

static int
be_peer_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
    if (scm_peer_check(sock) < 0)
        return -1;
    return scm_recorded_cred(sock, ret_pid, ret_uid, ret_gid);
}

/*
 * The peer as a pidfd: SO_PEERPIDFD (Linux 6.5), asked after the same
 * checks as be_peer_cred, so that the two agree case by case.  The pidfd
 * names the process whose pid SO_PEERCRED reports (the kernel records
 * both at once).  What the kernel answers, and what it means here:
 * - ENODATA: nothing was recorded (an AF_UNIX datagram socket connect()ed
 *   to a name), where be_peer_cred refuses the uid -1 with EOPNOTSUPP;
 * - ENOPROTOOPT: a kernel before 6.5, passed on as it is;
 * - EINVAL: Linux 6.5 to 6.15, the recorded process has exited and been
 *   reaped (pidfd_prepare finds no task); ESRCH here;
 * - since 6.16 such a process is given as a pidfd all the same (one that
 *   polls readable at once and names no pid); pidfd_send_signal with
 *   signal 0 fails with ESRCH for exactly that case (documented in
 *   pidfd_send_signal(2)), and it is refused with ESRCH too, so that the
 *   result does not depend on the kernel.  A zombie, or a process this
 *   one may not signal (EPERM), exists: its pidfd is returned; so is the
 *   pidfd when the call itself is refused (ENOSYS from a seccomp filter
 *   or valgrind), which leaves the stale one of 6.16+ undetected.
 * The kernel makes the pidfd close-on-exec (pidfd_prepare's O_CLOEXEC);
 * that is checked, and the flag set should a kernel ever not do so.
 */
static int
be_peer_pidfd(int sock)
{
#ifdef FDP_SO_PEERPIDFD
    int pidfd = -1, fl;
    socklen_t l = sizeof(pidfd);

    if (scm_peer_check(sock) < 0)
        return -1;
    if (getsockopt(sock, SOL_SOCKET, FDP_SO_PEERPIDFD, &pidfd, &l) < 0) {
        if (errno == ENODATA)
            return fdp_fail(EOPNOTSUPP);
        if (errno == EINVAL)
            return fdp_fail(ESRCH);
        return -1;
    }
    fl = fcntl(pidfd, F_GETFD);
    if (fl < 0
        || (!(fl & FD_CLOEXEC) && fcntl(pidfd, F_SETFD, fl | FD_CLOEXEC) < 0))
        return fdp_close_fail(pidfd);
# ifdef SYS_pidfd_send_signal
    if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0
        && errno == ESRCH) {
        (void)close(pidfd);
        return fdp_fail(ESRCH);
    }
# endif
    return pidfd;
#else
    /* No SO_PEERPIDFD in this build (not Linux, or an architecture whose
     * number is unknown here): what has no peer is still ENOTCONN, as for
     * be_peer_cred without credentials. */
    if (scm_peer_check(sock) < 0)
        return -1;
    return fdp_fail(ENOSYS);
#endif
}

static int
be_accept(int lsock, uid_t *ret_uid, int flags)
{
    int fd;

#ifdef FDP_HAVE_ACCEPT4
    fd = accept4(lsock, NULL, NULL,
                 (flags & FDPASS_CLOEXEC) ? SOCK_CLOEXEC : 0);
    if (fd < 0)
        return -1;
#else
    fd = accept(lsock, NULL, NULL);
    if (fd < 0)
        return -1;
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fd, 1) < 0)
        return fdp_close_fail(fd);
#endif
    scm_nosigpipe(fd);
    if (ret_uid != NULL && scm_recorded_cred(fd, NULL, ret_uid, NULL) < 0)
        *ret_uid = (uid_t)-1;
    return fd;
}

static int
be_connect(const char *path, size_t len, int flags)
{
    struct sockaddr_un sun;
    socklen_t slen;
    int fd;

    if (scm_sockaddr(&sun, &slen, path, len) < 0)
        return -1;
    if ((fd = scm_socket(flags)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, slen) == 0)
        return fd;
    /* A stream socket meets a SEQPACKET listener with EPROTOTYPE (Linux,
     * the BSDs): connect again with the listener's type. */
    if (errno != EPROTOTYPE || (flags & FDPASS_SEQPACKET))
        return fdp_close_fail(fd);
    (void)close(fd);
    if ((fd = scm_socket(flags | FDPASS_SEQPACKET)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, slen) < 0)
        return fdp_close_fail(fd);
    return fd;
}
