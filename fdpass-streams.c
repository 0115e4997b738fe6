/*
 * fdpass-streams.c - the SysV STREAMS backend of the C core,
 * #included by fdpass.c (see its layout comment); not compiled alone.
 */

/* ---------------------------------------------------------------------
 * SysV STREAMS pipes (Solaris, illumos, other SVR4 systems): descriptors
 * go one per M_PASSFP message with ioctl(I_SENDFD) and come back with
 * ioctl(I_RECVFD); a message is its descriptors followed by its data
 * (one byte 0 when there is none), written with write().  The receiver
 * takes descriptors until I_RECVFD finds data at the head of the stream
 * (EBADMSG), then reads the data, which stops at the next M_PASSFP.
 * Endpoints are pipe ends with connld pushed, fattach()ed to a path: each
 * open() of the path makes a new pipe whose other end the server gets
 * with I_RECVFD, with the client's uid.
 */

#define BE_NAME "streams"
/* One byte: a read() here may run on into the next message's data. */
#define BE_FD_BYTES 1
#define BE_SEQPACKET 0 /* a STREAMS pipe has no SEQPACKET kind */

/* Wait on a non-blocking stream for the rest of a message that has
 * begun: a message is never left half sent or half read. */
static void
str_wait(int sock, short events)
{
    struct pollfd pf;

    pf.fd = sock;
    pf.events = events;
    pf.revents = 0;
    (void)poll(&pf, 1, -1);
}

/* Send one descriptor; EINTR is retried once the message has begun. */
static int
str_sendfd(int sock, int fd, int begun)
{
    int r;

    while ((r = ioctl(sock, I_SENDFD, fd)) < 0 && begun) {
        if (errno == EAGAIN)
            str_wait(sock, POLLOUT);
        else if (errno != EINTR)
            break;
    }
    return r;
}

static ssize_t
be_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
    static const char zero = 0;
    struct fdp_sigpipe sp;
    size_t i;
    ssize_t r = 0, done = 0;

    if (len == 0) {
        data = &zero;
        len = 1;
    }
    /* Each descriptor is its own I_SENDFD: one that is not open, found
     * after the first went, would leave half a message on the stream.
     * So all are checked first (EBADF, nothing sent), as sendmsg does. */
    for (i = 0; i < nfds; i++)
        if (fcntl(fds[i], F_GETFD) < 0)
            return -1;
    fdp_sigpipe_hold(&sp);
    for (i = 0; i < nfds && r >= 0; i++)
        r = str_sendfd(sock, fds[i], i > 0);
    /* The data: once descriptors went, the first part is written whatever
     * comes (the message has begun and nothing could be counted yet);
     * then the count is returned as write() gives it, the rest being the
     * caller's (fdpass.h), so a signal's handlers run before more is
     * sent. */
    while (r >= 0 && done == 0) {
        r = write(sock, data, len);
        if (r > 0)
            done = r;
        else if (r < 0 && nfds > 0 && (errno == EINTR || errno == EAGAIN)) {
            if (errno == EAGAIN)
                str_wait(sock, POLLOUT);
            r = 0;
        }
    }
    fdp_sigpipe_release(&sp, r < 0);
    return r < 0 ? -1 : done;
}

/*
 * Wait until a message is at the head of a blocking stream, so that the
 * room check that follows judges the table when the message is there, not
 * before a wait (the table may fill meanwhile).  I_RECVFD cannot be asked
 * not to wait, so a zero-timeout poll() comes first, one system call more
 * per message; only when nothing is queued are the stream's flags read.
 * A non-blocking stream returns at once (I_RECVFD then says EAGAIN); a
 * signal fails with EINTR.
 */
static int
str_stream_ready(int sock)
{
    struct pollfd pf;
    int r, fl;

    pf.fd = sock;
    pf.events = POLLIN;
    pf.revents = 0;
    r = poll(&pf, 1, 0);
    if (r != 0)
        return r < 0 ? -1 : 0;
    fl = fcntl(sock, F_GETFL);
    if (fl < 0)
        return -1;
    if (fl & O_NONBLOCK)
        return 0;
    pf.revents = 0;
    return poll(&pf, 1, -1) < 0 ? -1 : 0;
}

/* sd_notify's datagram needs an AF_UNIX socket, which a STREAMS build
 * does not use. */
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
    struct strrecvfd rf;
    size_t n = 0, extra = 0;
    ssize_t r;
    int e;

    if (str_stream_ready(sock) < 0 || fdp_room(maxfds) < 0)
        return -1;
    for (;;) {
        if (ioctl(sock, I_RECVFD, &rf) < 0) {
            e = errno;
            if (e == EBADMSG)
                break; /* data at the head: the descriptors are done */
            if (n + extra == 0) {
                if (e == EINTR || e == EAGAIN)
                    return -1;
                break; /* hang-up and the like: read() tells */
            }
            if (e == EINTR)
                continue;
            if (e == EAGAIN) {
                str_wait(sock, POLLIN);
                continue;
            }
            fdpass_close_all(fds, n);
            return -1;
        }
        if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(rf.fd, 1) < 0) {
            (void)close(rf.fd);
            fdpass_close_all(fds, n);
            return -1;
        }
        if (n < maxfds && extra == 0) {
            fds[n++] = rf.fd;
        } else {
            (void)close(rf.fd); /* more than asked for: EMSGSIZE below */
            extra++;
        }
    }
    for (;;) {
        r = read(sock, buf, buflen);
        if (r >= 0 || n + extra == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            break;
        str_wait(sock, POLLIN);
    }
    if (extra > 0) {
        fdpass_close_all(fds, n);
        return fdp_fail(EMSGSIZE);
    }
    if (r < 0) {
        fdpass_close_all(fds, n);
        return -1;
    }
    *ret_nfds = n;
    if (r == 0 && n == 0)
        return 0; /* end of stream */
    *ret_len = (size_t)r;
    return 1;
}

static int
be_socketpair(int ret_fds[2], int flags)
{
    /* A SysV pipe is a bidirectional STREAMS pipe. */
    if (pipe(ret_fds) < 0)
        return -1;
    if ((flags & FDPASS_CLOEXEC)
        && (fdpass_set_cloexec(ret_fds[0], 1) < 0
            || fdpass_set_cloexec(ret_fds[1], 1) < 0)) {
        fdpass_close_all(ret_fds, 2);
        return -1;
    }
    return 0;
}

/* A STREAMS endpoint's path is a file name: no abstract names, no NUL. */
static int
str_path(const char *path, size_t len, char *out, size_t outlen)
{
    if (len == 0)
        return fdp_fail(ENOENT);
    if (path[0] == '\0' || memchr(path, '\0', len) != NULL)
        return fdp_fail(EINVAL);
    if (len >= outlen)
        return fdp_fail(ENAMETOOLONG);
    memcpy(out, path, len);
    out[len] = '\0';
    return 0;
}

/* Open an endpoint path; succeeds only where a server end is attached
 * and alive (connld hands the server a new pipe). */
static int
str_open_stream(const char *name, int flags)
{
    int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return -1;
    if (!isastream(fd)) {
        (void)close(fd);
        return fdp_fail(ECONNREFUSED); /* a plain file: nobody listens */
    }
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fd, 1) < 0)
        return fdp_close_fail(fd);
    /* Blocking again, as a connected socket would be. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
        return fdp_close_fail(fd);
    return fd;
}

static int
be_listen(const char *path, size_t len, int mode, int backlog, int flags)
{
    char name[PATH_MAX];
    struct stat st;
    int fds[2], f, live;

    (void)backlog; /* connld queues every open() */
    if (str_path(path, len, name, sizeof(name)) < 0)
        return -1;
    /* What is there already: a live endpoint (EADDRINUSE), a dead one
     * whose server is gone (fdetach it and take the name over), a plain
     * file left by one (reused), or something else (EEXIST). */
    if (lstat(name, &st) == 0) {
        live = str_open_stream(name, FDPASS_CLOEXEC);
        if (live >= 0) {
            (void)close(live);
            return fdp_fail(EADDRINUSE);
        }
        if (errno != ECONNREFUSED) {
            if (fdetach(name) < 0 && errno != EINVAL)
                return -1; /* EINVAL: nothing was attached */
            if (lstat(name, &st) < 0)
                return -1;
        }
        /* Only an empty file, as be_listen leaves, is taken over. */
        if (!S_ISREG(st.st_mode) || st.st_size != 0)
            return fdp_fail(EEXIST);
    } else if (errno != ENOENT) {
        return -1;
    }
    /* Another user who can write the directory may have swapped a symlink
     * or a hard link to some other file in since the lstat: never follow
     * one, and give a mode only to an empty regular file of ours with no
     * other name.  (fattach and fdetach below still go by the path; the
     * SCM_RIGHTS backend's private-directory scheme has no STREAMS
     * counterpart here.) */
#ifdef O_NOFOLLOW
    f = open(name, O_WRONLY | O_CREAT | O_NOCTTY | O_NOFOLLOW, 0600);
#else
    f = open(name, O_WRONLY | O_CREAT | O_NOCTTY, 0600);
#endif
    if (f < 0)
        return errno == ELOOP ? fdp_fail(EEXIST) : -1;
    if (fstat(f, &st) < 0)
        return fdp_close_fail(f);
    if (!S_ISREG(st.st_mode) || st.st_size != 0 || st.st_nlink != 1
        || st.st_uid != geteuid()) {
        (void)close(f);
        return fdp_fail(EEXIST);
    }
    /* fattach gives the name the file's owner and mode. */
    if (fchmod(f, (mode_t)(mode >= 0 ? (mode & 07777) : 0666)) < 0)
        return fdp_close_fail(f);
    (void)close(f);
    if (be_socketpair(fds, flags | FDPASS_CLOEXEC) < 0)
        return -1;
    if (ioctl(fds[1], I_PUSH, "connld") < 0 || fattach(fds[1], name) < 0) {
        fdpass_close_all(fds, 2);
        return -1;
    }
    /* The attached name holds its end; the server keeps the other. */
    (void)close(fds[1]);
    if (!(flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(fds[0], 0) < 0) {
        (void)fdetach(name);
        return fdp_close_fail(fds[0]);
    }
    return fds[0];
}

static int
be_accept(int lsock, uid_t *ret_uid, int flags)
{
    struct strrecvfd rf;

    if (ioctl(lsock, I_RECVFD, &rf) < 0)
        return -1;
    if ((flags & FDPASS_CLOEXEC) && fdpass_set_cloexec(rf.fd, 1) < 0)
        return fdp_close_fail(rf.fd);
    if (ret_uid != NULL)
        *ret_uid = rf.uid;
    return rf.fd;
}

static int
be_connect(const char *path, size_t len, int flags)
{
    char name[PATH_MAX];

    if (str_path(path, len, name, sizeof(name)) < 0)
        return -1;
    return str_open_stream(name, flags);
}

static int
be_peer_cred(int sock, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
#ifdef FDPASS_HAVE_GETPEERUCRED
    ucred_t *uc = NULL;

    if (getpeerucred(sock, &uc) < 0)
        return -1;
    if (ret_pid)
        *ret_pid = ucred_getpid(uc);
    if (ret_uid)
        *ret_uid = ucred_geteuid(uc);
    if (ret_gid)
        *ret_gid = ucred_getegid(uc);
    ucred_free(uc);
    return 0;
#else
    (void)sock;
    (void)ret_pid;
    (void)ret_uid;
    (void)ret_gid;
    return fdp_fail(ENOSYS);
#endif
}

/* A STREAMS pipe has no pidfd of its peer (SO_PEERPIDFD is Linux's). */
static int
be_peer_pidfd(int sock)
{
    (void)sock;
    return fdp_fail(ENOSYS);
}
