/*
 * fdpass.h - pass open file descriptors between processes.
 *
 * The C core of File::FDpasser.  It needs no Perl: a C program may link
 * fdpass.c alone (it #includes fdpass-int.h and its fdpass-*.c files,
 * which sit beside it).  Every function that returns an int or ssize_t returns
 * >= 0 on success and -1 with errno set on failure; results come back
 * through ret_* out-parameters.  Calls
 * that read a stream return 0 at end of stream, which is not an error.
 *
 * No function keeps static state, so every one may be called from any
 * thread.  A call interrupted by a signal returns -1/EINTR, or the count
 * so far (fdpass_send), so the caller can run its signal handlers first
 * and call again.  It retries EINTR itself only where returning would
 * lose what was done: on STREAMS, once a message's first descriptor went,
 * its other descriptors and the first part of its data; the Windows
 * exchange; fdpass_spawn's wait for the child's exec report.
 */
#ifndef FDPASS_H
#define FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The user and group ids fdpass_accept and fdpass_peer_cred report:
 * uid_t and gid_t on POSIX systems.  Windows has neither, and this header
 * declares no system type of its own, so there they are long, as Perl's
 * win32.h declares uid_t and gid_t. */
#ifdef _WIN32
typedef long fdpass_uid_t;
typedef long fdpass_gid_t;
#else
typedef uid_t fdpass_uid_t;
typedef gid_t fdpass_gid_t;
#endif /* _WIN32 */

#if defined(_MSC_VER) && !defined(_SSIZE_T_DEFINED)
/* MSVC has no ssize_t (mingw-w64's <sys/types.h> has). */
# include <basetsd.h>
typedef SSIZE_T ssize_t;
# define _SSIZE_T_DEFINED
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The most descriptors one message may carry.  Linux refuses more than
 * SCM_MAX_FD (253) per message; the other backends share the figure so a
 * program behaves the same everywhere.
 */
#define FDPASS_MAX 253

/* Flags for the calls that create descriptors. */
#define FDPASS_CLOEXEC 0x1 /* set close-on-exec, atomically where possible */
/* For fdpass_socketpair, fdpass_listen and fdpass_connect: an AF_UNIX
 * SOCK_SEQPACKET endpoint, which keeps every message whole.  Backends
 * without one (STREAMS, Windows) fail with EPROTONOSUPPORT. */
#define FDPASS_SEQPACKET 0x2
/* For fdpass_send_fd_flags: File::FDpasser 0.09's form of the message,
 * two bytes (a 0, then the status 0) with the descriptor, which 0.09's
 * receiver insists on. */
#define FDPASS_WIRE_009 0x4

/* Default listen backlog of fdpass_listen() when backlog < 1. */
#define FDPASS_BACKLOG 128

/*
 * The name of the backend this file was built with: "scm_rights",
 * "streams" or "win32".
 */
const char *fdpass_backend(void);

/*
 * What the build found and uses, as space-separated words, for
 * diagnostics and tests: "cmsg_cloexec" (MSG_CMSG_CLOEXEC), "nosignal"
 * (MSG_NOSIGNAL), "so_nosigpipe", "sigpipe_mask", "sock_cloexec",
 * "accept4", "pipe2", "peer_cred", "posix_spawn", and "fallbacks" when
 * built with FDPASS_FALLBACKS (the modern features hidden).
 */
const char *fdpass_features(void);

/*
 * Send the nfds descriptors in fds (0 <= nfds <= FDPASS_MAX) with len
 * bytes of data over the connected endpoint sock, in one message.  With
 * no data (data NULL or len 0) the message carries the single byte 0, the
 * wire format of IO::FDPass and plan9port's sendfd.  SIGPIPE is never
 * raised.
 * Returns the number of data bytes sent, exactly, at any size (>= 1; a
 * ssize_t, so a send past 2 GiB is counted too).  The descriptors go with
 * the first byte.  The count is below len when the call stopped after
 * the descriptors and the first part of the data went:
 *   - a non-blocking endpoint filled up: the next send fails with EAGAIN
 *     until poll(2) says POLLOUT;
 *   - a signal interrupted a blocking send (or SO_SNDTIMEO expired): the
 *     caller's handlers can run now, before anything more is sent;
 *   - the kernel took at most what one call may carry (Linux: 2 GiB less
 *     a page).
 * The call tells the cases apart no better than sendmsg(2) does.  A
 * caller that wants to know asks the endpoint: with O_NONBLOCK set
 * (fcntl F_GETFL) a short count means full, without it a signal (or
 * SO_SNDTIMEO, or the cap).  To finish, it need not know: the rest is the
 * caller's to send, as plain data, in order and before anything else on
 * sock, e.g.
 *
 *     while (done < len) {
 *         n = fdpass_send(sock, NULL, 0, (const char *)data + done,
 *                         len - done);
 *         if (n >= 0)
 *             done += (size_t)n;
 *         else if (errno == EAGAIN)
 *             poll_for_pollout(sock);   (non-blocking endpoint)
 *         else if (errno != EINTR)
 *             fail();                    (EPIPE and the like)
 *     }
 *
 * (with nfds 0 and len > 0 the call sends only those bytes), running its
 * signal handlers wherever it likes between calls.  The core never
 * retries after a signal once data went: it returns the count, so a
 * caller's handler always runs between the parts.  (Windows: the
 * message is an exchange with the receiver, which the call finishes
 * itself; it returns len or fails.)  On a SEQPACKET endpoint the message
 * goes whole or not at all (EMSGSIZE when the data is longer than the
 * socket's send buffer takes): there is no rest to send.
 * Errors: EBADF (sock or a descriptor in fds not open), EMSGSIZE (nfds
 * above FDPASS_MAX), EPIPE (the peer has gone), EAGAIN (non-blocking and
 * full), EINTR (nothing sent), ENOTSOCK, and what sendmsg(2) reports.
 */
ssize_t fdpass_send(int sock, const int *fds, size_t nfds,
                    const void *data, size_t len);

/* fdpass_send() of one descriptor with the single byte 0; returns 0. */
int fdpass_send_fd(int sock, int fd);

/*
 * fdpass_send_fd() with flags: 0 sends the single byte 0 as
 * fdpass_send_fd() does; FDPASS_WIRE_009 sends File::FDpasser 0.09's
 * form, the two bytes 0 and 0 (a status byte, 0 meaning a descriptor
 * follows) with the descriptor in one message, for a 0.09 receiver, which
 * exits on a one-byte message.  Every fdpass_recv_fd() takes both forms.
 * Returns 0.
 * Errors: as fdpass_send_fd(); EINVAL (an unknown flag); ENOSYS
 * (FDPASS_WIRE_009 on the STREAMS and Windows backends, which 0.09's
 * form does not reach: 0.09 wrote its STREAMS messages otherwise and
 * never ran on Windows); EIO (only part of the two bytes went, which an
 * AF_UNIX socket does not do).
 */
int fdpass_send_fd_flags(int sock, int fd, int flags);

/*
 * Notify a service manager, with systemd's sd_notify protocol
 * (sd_notify(3)): the len bytes of state, lines of VARIABLE=value
 * ("READY=1", "STATUS=...", ...), go as one datagram, with the nfds
 * descriptors in fds (0 <= nfds <= FDPASS_MAX) in the same message, from
 * a fresh AF_UNIX SOCK_DGRAM socket (close-on-exec) that is closed again
 * before the call returns, on every path.  addr is the value of
 * $NOTIFY_SOCKET: an absolute path, or a Linux abstract name written
 * "@name".  No credentials are sent explicitly: the kernel attaches the
 * caller's pid, uid and gid, which the manager checks.  As sd_notify, the
 * call waits while the manager's queue is full.  SIGPIPE is never raised.
 * Every argument is checked before addr is looked at.
 * Returns 1 when the message was sent; 0, with nothing sent, when addr is
 * NULL or empty (no manager: pass getenv("NOTIFY_SOCKET") as it is).
 * Errors: EINVAL (state NULL, len 0 or a NUL byte in state; fds NULL
 * with nfds > 0; addr "@" or "/" alone, or too long for sun_path with a
 * NUL after it, 108 bytes or more on Linux), EMSGSIZE (nfds above
 * FDPASS_MAX; len above FDPASS_NOTIFY_MAX, which systemd would drop),
 * EBADF (a descriptor in fds not open; nothing is sent), EAFNOSUPPORT
 * (addr neither "/..." nor "@...", e.g. "vsock:2:1" or a relative path;
 * "@..." outside Linux), ENOENT (no such path), ECONNREFUSED (nothing
 * bound there), EACCES, EPROTOTYPE (a socket there that is not a
 * datagram one), EINTR (a signal while waiting; nothing sent), ENOSYS
 * (the STREAMS and Windows backends, when addr is set), and what
 * socket(2) and sendmsg(2) report.
 */
int fdpass_notify(const char *addr, const void *state, size_t len,
                  const int *fds, size_t nfds);

/* The longest state fdpass_notify() sends: systemd's manager reads a
 * notification into this many bytes and ignores a longer one. */
#define FDPASS_NOTIFY_MAX 4096

/* Flags for fdpass_fdstore(). */
#define FDPASS_FDSTORE_NOPOLL 0x1 /* add FDPOLL=0: not dropped on POLLHUP */
#define FDPASS_FDSTORE_REMOVE 0x2 /* FDSTOREREMOVE=1 instead of FDSTORE=1 */

/*
 * The manager's file descriptor store, through fdpass_notify(): stores
 * the nfds descriptors in fds under name ("FDSTORE=1\nFDNAME=name",
 * with "\nFDPOLL=0" for FDPASS_FDSTORE_NOPOLL), or, with
 * FDPASS_FDSTORE_REMOVE, asks the manager to close and forget every
 * descriptor stored under name ("FDSTOREREMOVE=1\nFDNAME=name", no
 * descriptors).  name is namelen bytes; systemd accepts 1 to 255 bytes
 * of printable ASCII (0x20 to 0x7e) other than ':'.
 * Returns as fdpass_notify(): 1 when sent, 0 when addr is NULL or empty.
 * Errors: as fdpass_notify(); EINVAL also for a name systemd would
 * refuse, an unknown flag, or FDPASS_FDSTORE_REMOVE with descriptors or
 * with FDPASS_FDSTORE_NOPOLL.
 */
int fdpass_fdstore(const char *addr, const char *name, size_t namelen,
                   const int *fds, size_t nfds, int flags);

/*
 * Receive one message from sock: up to maxfds descriptors (1 <= maxfds
 * <= FDPASS_MAX) into fds and up to buflen bytes of data into buf.
 * *ret_nfds and *ret_len tell how many of each arrived; a message may
 * carry data and no descriptor.  flags: FDPASS_CLOEXEC.
 * Once a message is queued, and right before it reads it, the call makes
 * sure the descriptor table has room for maxfds more descriptors, so a
 * message is never consumed and lost for want of a slot, however long
 * the call waited.  While nothing is queued a blocking sock waits in a
 * peek that takes nothing (MSG_PEEK, no control buffer), which waits and
 * ends as recvmsg itself would: at most its SO_RCVTIMEO (then EAGAIN),
 * EINTR on a signal (a handler with SA_RESTART restarts it), 0 at the
 * end of stream or once sock is shut down for reading.  The check makes
 * no descriptor.
 * On a stream socket the kernel keeps no boundaries for bytes: bytes
 * sent without descriptors just before a message with descriptors may
 * arrive with it, and a long message may come in parts.  A SEQPACKET
 * socket keeps each message whole: one longer than buflen fails with
 * EMSGSIZE (its descriptors closed, the message gone), and a message of
 * no bytes and no descriptors returns 1 with *ret_len 0; only a peer
 * that closed or shut down writing gives 0 (an empty message that the
 * peer sent just before it did so may be taken for that end).
 * Returns 1 when a message arrived, 0 at end of stream.
 * Errors: EMFILE (no room for maxfds descriptors; the message stays
 * queued; except when another thread took the slots between the check
 * and the read: then the system dropped what did not fit, what arrived
 * is closed and the message is gone), EMSGSIZE (the message carried more
 * than maxfds descriptors, or, on SEQPACKET, more than buflen bytes; all
 * that arrived are closed), EINVAL (maxfds out of range), EBADF,
 * ENOTSOCK, EAGAIN, EINTR.  On every failure no descriptor is left open.
 */
int fdpass_recv(int sock, int *fds, size_t maxfds, size_t *ret_nfds,
                void *buf, size_t buflen, size_t *ret_len, int flags);

/*
 * Receive exactly one descriptor into *ret_fd with its data: one byte of
 * any value (IO::FDPass, plan9port, fdpass_send_fd()) or, on the
 * SCM_RIGHTS backend, two (File::FDpasser 0.09's 0 and status byte,
 * FDPASS_WIRE_009), so a 0.09 sender's messages are read one by one with
 * nothing left behind.  A stream read ends with the message that carried
 * the descriptor, so no byte of the message after it is taken; bytes sent
 * without descriptors right before it may be, as fdpass_recv() says.
 * Returns 1, or 0 at end of stream.
 * Errors: as fdpass_recv() with maxfds 1 and buflen 2 (1 on STREAMS and
 * Windows), so EMSGSIZE on SEQPACKET for a message of more bytes; and
 * EBADMSG when bytes came without a descriptor (0.09's error form, a 0
 * and a non-zero status, is such a message).
 */
int fdpass_recv_fd(int sock, int *ret_fd, int flags);

/*
 * A connected pair of endpoints, for use across fork: an AF_UNIX
 * SOCK_STREAM socketpair, SOCK_SEQPACKET with FDPASS_SEQPACKET.
 * Returns 0 and fills ret_fds.
 * Errors: EMFILE, ENFILE, EPROTONOSUPPORT (FDPASS_SEQPACKET where the
 * backend or system has none), and what socketpair(2) reports.
 */
int fdpass_socketpair(int ret_fds[2], int flags);

/*
 * A listening endpoint at path (len bytes; a path starting with a NUL
 * byte names a Linux abstract socket).  A path too long for the platform
 * fails with ENAMETOOLONG, one with a NUL byte inside with EINVAL, an
 * empty one with ENOENT.  A socket node left by a dead server is
 * replaced; a live one fails with EADDRINUSE; a file that is not a socket
 * fails with EEXIST and is left alone.  mode >= 0 gives the node exactly
 * those permission bits whatever the umask; mode < 0 leaves what the
 * umask gives; a mode for an abstract name fails with EINVAL.  backlog < 1
 * means FDPASS_BACKLOG.  flags: FDPASS_CLOEXEC, FDPASS_SEQPACKET (a
 * SOCK_SEQPACKET listener; EPROTONOSUPPORT where there is none).
 * Safe in a directory other users can write: the socket is bound, given
 * its mode and made to listen in a private directory made beside the
 * name, then moved to the name without replacing anything, so no symlink
 * is followed, nothing but the new socket gets a mode, nothing but a
 * socket node nobody accepts on is removed, and of two servers starting
 * on one path at once exactly one wins (the other: EADDRINUSE).  The
 * listener's own address (getsockname, a client's getpeername) names that
 * private path.  On the SCM_RIGHTS backend, a path whose private path
 * would not fit in sun_path fails with ENAMETOOLONG except on Linux.
 * Returns the listening descriptor.
 */
int fdpass_listen(const char *path, size_t len, int mode, int backlog,
                  int flags);

/*
 * Accept a connection on a listening endpoint.  When ret_uid is not NULL
 * it receives the effective user id the connecting process had when it
 * connected ((fdpass_uid_t)-1 where the platform cannot tell or the connection
 * carries no credentials, e.g. TCP).  Returns the connected descriptor.
 * Errors: EAGAIN (non-blocking, nobody waiting), EINTR, EBADF, EINVAL,
 * EMFILE, and what accept(2) reports.
 */
int fdpass_accept(int lsock, fdpass_uid_t *ret_uid, int flags);

/*
 * Connect to the endpoint at path (same path rules as fdpass_listen).
 * With FDPASS_SEQPACKET the connection is SOCK_SEQPACKET (EPROTOTYPE
 * when the listener is a stream one).  Without it a stream connection is
 * tried first and, when the listener is of the other type (EPROTOTYPE),
 * a SEQPACKET one: the connection takes the listener's type.
 * Returns the connected descriptor.
 * Errors: ENOENT, ECONNREFUSED, ENAMETOOLONG, EINVAL, EINTR, EPROTOTYPE,
 * EPROTONOSUPPORT (FDPASS_SEQPACKET where there is none), and what
 * connect(2) reports.
 */
int fdpass_connect(const char *path, size_t len, int flags);

/*
 * The credentials the kernel recorded for sock's connection (effective
 * uid and gid, and pid), which are not always those of the process at
 * the other end now: on an accepted socket, the process that connected,
 * as it was at connect(); on a connected client, the process that called
 * listen() on the listener, even when the listener has since been passed
 * to the process that accepted; on either end of a socketpair, the
 * process that made the pair.  *ret_pid is -1 where the platform cannot
 * tell (getpeereid; a peer in another pid namespace).  Any out-parameter
 * may be NULL.  Returns 0.
 * Errors: EBADF, ENOTSOCK; ENOTCONN when sock has no peer (a listening
 * socket, one never connected); EOPNOTSUPP when the connection carries no
 * credentials (not AF_UNIX, e.g. TCP; an AF_UNIX datagram socket
 * connect()ed to a bound name); ENOSYS (no way on this platform).
 */
int fdpass_peer_cred(int sock, pid_t *ret_pid, fdpass_uid_t *ret_uid,
                     fdpass_gid_t *ret_gid);

/*
 * The process at the other end of sock's connection as a pidfd, which
 * cannot come to name another process once that one is gone: the one
 * whose pid fdpass_peer_cred reports, case by case.  Returns the pidfd,
 * close-on-exec, for the caller to close (poll it: readable once the
 * process has exited; pidfd_send_signal(2) signals it).
 * Errors: those of fdpass_peer_cred for sock (EBADF, ENOTSOCK, ENOTCONN,
 * EOPNOTSUPP); ESRCH when the process has exited and been reaped;
 * ENOPROTOOPT when the running kernel has no SO_PEERPIDFD (Linux before
 * 6.5); ENOSYS where the system or backend has none at all (not Linux;
 * the STREAMS and Windows backends); EMFILE.
 */
int fdpass_peer_pidfd(int sock);

/* Set (on != 0) or clear close-on-exec on fd.  Returns 0.  EBADF. */
int fdpass_set_cloexec(int fd, int on);

/*
 * The stdio mode that matches fd's open flags, as File::FDpasser 0.09
 * computed it: "r", "w", "a", "w+" or "a+".  Returns 0.  EBADF.
 */
int fdpass_fopen_mode(int fd, const char **ret_mode);

/* The F_GETFL flags of fd, or -1 and EBADF. */
int fdpass_getfl(int fd);

/* 1 when fd is a socket, 0 when it is something else; -1 and EBADF. */
int fdpass_is_socket(int fd);

/*
 * Socket activation, the receiving side (systemd's sd_listen_fds(3)): a
 * supervisor that starts a program places n listeners at descriptors
 * FDPASS_LISTEN_FDS_START, +1, ... and says how many in LISTEN_FDS.  The
 * caller reads the environment (fdpass.h has no view of it);
 * fdpass_listen_fds takes the n descriptors: each must be open, and
 * then each is set close-on-exec.  All or nothing: every one is checked
 * before any flag changes, so a failure leaves each as it was (unless
 * another thread closes one of them meanwhile).  The highest is checked
 * first, so a count past the table fails at once, whatever its size.
 * n == 0 takes nothing.  Returns 0.
 * Errors: EINVAL (n < 0), EBADF (a descriptor in the range not open,
 * n > INT_MAX - FDPASS_LISTEN_FDS_START among them), ENOSYS (Windows).
 */
#define FDPASS_LISTEN_FDS_START 3
int fdpass_listen_fds(int n);

/*
 * Listeners a supervisor named by number (Server::Starter's
 * SERVER_STARTER_PORT): each of the n descriptors in fds must be an open
 * socket, listening where its type has connections (not SOCK_DGRAM), and
 * none may be named twice; then each is set close-on-exec.  All or
 * nothing, as fdpass_listen_fds.  n == 0 takes nothing.  Returns 0.
 * Errors: EBADF (a descriptor negative or not open), ENOTSOCK (not a
 * socket), EINVAL (a stream or seqpacket socket that is not listening, a
 * descriptor named twice, fds NULL), ENOMEM, ENOSYS (Windows).
 */
int fdpass_take_listeners(const int *fds, size_t n);

/*
 * The identity systemd 258 and later pass as LISTEN_PIDFDID beside
 * LISTEN_PID: the inode number of a pidfd on the calling process, which
 * no other process has while the system runs (pidfs, Linux 6.9).
 * Returns 0 with it in *id.  Errors: ENOSYS (no pidfd_open, or pidfds
 * without pidfs, whose inode numbers name nothing; not Linux), EMFILE,
 * EINVAL (id NULL).
 */
int fdpass_pidfd_id_self(unsigned long long *id);

/* What fdpass_fd_kind reports. */
#define FDPASS_KIND_FILE   0 /* not a socket: a fifo, a device, a file */
#define FDPASS_KIND_INET   1 /* an AF_INET socket */
#define FDPASS_KIND_INET6  2 /* an AF_INET6 socket */
#define FDPASS_KIND_UNIX   3 /* an AF_UNIX socket, of any type */
#define FDPASS_KIND_SOCKET 4 /* a socket of another family, or one whose
                              * address cannot be asked for */

/*
 * What kind of descriptor fd is, for choosing the class of its handle:
 * a socket's family (getsockname), or FDPASS_KIND_FILE.  Returns the
 * FDPASS_KIND_* value.  Errors: EBADF, ENOSYS (Windows).
 */
int fdpass_fd_kind(int fd);

/* Close nfds descriptors, keeping errno as it was. */
void fdpass_close_all(const int *fds, size_t nfds);

/* How fdpass_spawn() leaves O_NONBLOCK on an inherited descriptor.  The
 * flag belongs to the open file, so the parent's descriptor sees it too. */
#define FDPASS_PRESERVE    0
#define FDPASS_BLOCKING    1
#define FDPASS_NONBLOCKING 2

/* One descriptor for the child: source placed at number target. */
struct fdpass_inherit {
    int target;
    int source;
    int blocking; /* FDPASS_PRESERVE, FDPASS_BLOCKING, FDPASS_NONBLOCKING */
};

/* fdpass_spawn() flags. */
#define FDPASS_SPAWN_FORK  0x100 /* fork+exec even where posix_spawn serves */
/* The child's environment is envp (or environ) without its LISTEN_PID=
 * and LISTEN_PIDFDID= entries, plus LISTEN_PID=<the child's own pid>, as systemd's socket
 * activation sets it (sd_listen_fds(3)).  The pid is not known before the
 * fork, so the parent makes that copy of the pointer array, with room for
 * the digits of any pid, and the child writes its getpid() there before
 * the exec (no allocation).  Always fork+exec: posix_spawn runs no code
 * between the two.  ENOMEM when the copy cannot be made. */
#define FDPASS_SPAWN_LISTEN_PID 0x200

/*
 * Start argv[0] (searched in the parent's PATH when it has no slash) with
 * arguments argv and environment envp (NULL: the current environ).  Each
 * fds[i].source is duplicated onto fds[i].target in the child; cycles are
 * broken with one temporary descriptor; target == source only clears
 * close-on-exec.  Every other descriptor keeps its close-on-exec flag.
 * The child changes to dir (a path) or dirfd (when dir is NULL and dirfd
 * >= 0) before the descriptors are placed.  No allocation and no caller
 * code runs in the child.
 * Every target below the soft RLIMIT_NOFILE works, limit - 1 included,
 * either way; the plan takes O(n log n) for n entries.  flags: 0, or
 * FDPASS_SPAWN_FORK and FDPASS_SPAWN_LISTEN_PID (above) or'ed.
 * Returns 0 with the child's pid in *ret_pid.  When the program could
 * not be started (no such program, no permission, bad directory) the
 * child has been reaped and errno is the child's: ENOENT, EACCES (also
 * when a place in PATH gave EACCES and a later one ENOENT, as execvp),
 * ENOTDIR, ENOEXEC, ...
 * Errors before anything starts: EBADF (a source or dirfd not open, a
 * target at or above the soft RLIMIT_NOFILE, which the child inherits:
 * INT_MAX among them), EINVAL (a negative or repeated target, a bad
 * blocking value, an empty argv), EMFILE (a cycle needs the temporary
 * and every number below the limit is a target or open), ENOMEM, EAGAIN.
 */
int fdpass_spawn(char *const argv[], char *const envp[],
                 const struct fdpass_inherit *fds, size_t nfds,
                 const char *dir, int dirfd, int flags, pid_t *ret_pid);

#ifdef __cplusplus
}
#endif

#endif /* FDPASS_H */
