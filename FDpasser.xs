/*
 * FDpasser.xs - Perl values in, the C core (fdpass.c) called, Perl values
 * and $! out.  No platform #if belongs here; it goes in fdpass.c.
 */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"
#include "ppport.h"

#include "fdpass.h"

typedef int fdpass_handle;
typedef int fdpass_file;

/*
 * Per interpreter: the stash every received handle is blessed into by
 * default, looked up once (perl empties its stash cache whenever it makes
 * an IO object, so a lookup by name per handle would miss every time).
 */
#define MY_CXT_KEY "File::FDpasser::_guts" XS_VERSION
typedef struct {
    HV *handle_stash; /* IO::Handle, loaded with the module */
} my_cxt_t;
START_MY_CXT

#define DEFAULT_CLASS "IO::Handle"

#ifndef SvPVbyte_nomg /* perl before 5.31.4 */
# define SvPVbyte_nomg(sv, len) \
    (sv_utf8_downgrade((sv), 0), SvPV_nomg((sv), (len)))
#endif
#define RECV_FDS_BYTES 4096 /* recv_fds's default $max_bytes */
/* The most one recv_fds reads; a stream hands out the rest next time. */
#define RECV_FDS_BYTES_CAP (1 << 20)

/*
 * An interrupted call (-1/EINTR) runs Perl's pending signal handlers and
 * asks for the call to be made again; a handler that dies propagates
 * from here.
 */
static int
S_interrupted(pTHX_ ssize_t r)
{
    if (r < 0 && errno == EINTR) {
        PERL_ASYNC_CHECK();
        return 1;
    }
    return 0;
}
#define interrupted(r) S_interrupted(aTHX_ r)

/* Perl's rule: descriptors above $^F are close-on-exec, the others not.
 * The core always sets the flag atomically; the rare low ones lose it. */
static int
S_perl_fd(pTHX_ int fd)
{
    if (fd <= PL_maxsysfd)
        (void)fdpass_set_cloexec(fd, 0);
    return fd;
}
#define perl_fd(fd) S_perl_fd(aTHX_ fd)

/*
 * The descriptor behind a handle argument: a glob, a reference to a glob
 * or an IO object (IO::Handle and IO::Socket objects are such), or a
 * non-negative integer.  Anything else gives -1, never a croak.  With
 * flush set, pending output of the handle is written first, so what was
 * printed before passing is in the file before the receiver uses it.
 * fdp_sv2io gives the IO object of the first three kinds (NULL when the
 * argument is none of them, or a glob with no IO); get-magic has run.
 */
static IO *
fdp_sv2io(pTHX_ SV *sv)
{
    if (SvROK(sv))
        sv = SvRV(sv);
    if (isGV_with_GP(sv))
        return GvIO((GV *)sv);
    if (SvTYPE(sv) == SVt_PVIO)
        return (IO *)sv;
    return NULL;
}

/* Is sv (get-magic run) a handle rather than a number? */
#define fdp_is_handle(sv) \
    (SvROK(sv) || isGV_with_GP(sv) || SvTYPE(sv) == SVt_PVIO)

/*
 * A plain integer, the usual argument in a loop that passes numbers, is
 * taken without a call: one test of its flags rules out magic, a
 * reference and an unsigned value.
 */
#define FDP_PLAIN_IV(sv) \
    ((SvFLAGS(sv) & (SVf_IOK | SVf_IVisUV | SVs_GMG | SVf_ROK)) == SVf_IOK)
#define FDP_IV2FD(iv) ((iv) >= 0 && (iv) <= INT_MAX ? (int)(iv) : -1)

/* A descriptor number (get-magic run): an integer 0 .. INT_MAX, else -1. */
static int
fdp_sv2num(pTHX_ SV *sv)
{
    /* Already an integer: the common case. */
    if (SvIOK(sv) && !SvIsUV(sv))
        return FDP_IV2FD(SvIVX(sv));
    if (SvOK(sv) && looks_like_number(sv)) {
        NV nv = SvNV_nomg(sv);

        if (nv >= 0 && nv <= (NV)INT_MAX && nv == (NV)(int)nv)
            return (int)nv;
    }
    return -1;
}

static int
fdp_sv2fd_any(pTHX_ SV *sv, int flush)
{
    IO *io;
    PerlIO *fp;

    SvGETMAGIC(sv);
    if (!fdp_is_handle(sv))
        return fdp_sv2num(aTHX_ sv);
    io = fdp_sv2io(aTHX_ sv);
    if (io == NULL)
        return -1;
    fp = IoIFP(io) ? IoIFP(io) : IoOFP(io);
    if (fp == NULL)
        return -1;
    if (flush && IoOFP(io))
        (void)PerlIO_flush(IoOFP(io));
    return PerlIO_fileno(fp);
}

PERL_STATIC_INLINE int
fdp_sv2fd(pTHX_ SV *sv, int flush)
{
    if (FDP_PLAIN_IV(sv))
        return FDP_IV2FD(SvIVX(sv));
    return fdp_sv2fd_any(aTHX_ sv, flush);
}

/*
 * The descriptors of notify's and fdstore's \@files, fetched one by one
 * (each element's get-magic run before the next is looked at, as in
 * send_fds).  Returns the count, or -1 with errno: EMSGSIZE (more than
 * FDPASS_MAX), EBADF (an element that is no descriptor).  Croaks, naming
 * fn, when files is not an ARRAY reference.
 */
static SSize_t
notify_fds(pTHX_ const char *fn, SV *files, int *fds)
{
    AV *av;
    SSize_t n, i;

    SvGETMAGIC(files);
    if (!SvROK(files) || SvTYPE(SvRV(files)) != SVt_PVAV)
        croak("File::FDpasser::%s is not an ARRAY reference", fn);
    av = (AV *)sv_2mortal(SvREFCNT_inc_simple_NN(SvRV(files)));
    n = av_len(av) + 1;
    if (n > FDPASS_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    for (i = 0; i < n; i++) {
        SV **e = av_fetch(av, i, 0);

        fds[i] = e ? fdp_sv2fd(aTHX_ *e, 1) : -1;
        if (fds[i] < 0) {
            errno = EBADF;
            return -1;
        }
    }
    return n;
}

/* A new mortal holding an integer, made as an integer from the start
 * (mPUSHi's setter upgrades an empty scalar first): recv_fds returns one
 * per descriptor. */
PERL_STATIC_INLINE SV *
fdp_mortal_iv(pTHX_ IV iv)
{
    SV *sv = newSV_type(SVt_IV);

    SvIV_set(sv, iv);
    SvIOK_on(sv);
    return sv_2mortal(sv);
}

/*
 * Make a handle on fd without duplicating it, as open($fh, "+<&=", $fd)
 * would: the mode comes from the descriptor's flags, a socket gets
 * separate read and write streams as Perl's own sockets do and autoflush
 * as IO::Socket's constructors set it, and the glob
 * reference is blessed into stash (NULL: IO::Handle's).  On failure fd is
 * closed and NULL returned with errno kept.
 */
static SV *
fdp_fd2handle(pTHX_ int fd, HV *stash)
{
    dMY_CXT;
    const char *mode;
    PerlIO *ifp, *ofp;
    char type;
    GV *gv;
    IO *io;
    SV *rv;

    /* A socket first, the usual thing passed: it is always open for
     * reading and writing, so its access mode need not be asked for. */
    switch (fdpass_is_socket(fd)) {
    case 1:
        mode = "r+";
        type = IoTYPE_SOCKET;
        break;
    case 0:
        if (fdpass_fopen_mode(fd, &mode) < 0)
            goto fail;
        if (mode[1] == '+')
            type = IoTYPE_RDWR;
        else if (mode[0] == 'r')
            type = IoTYPE_RDONLY;
        else
            type = mode[0] == 'a' ? IoTYPE_APPEND : IoTYPE_WRONLY;
        break;
    default:
        goto fail;
    }
    ifp = PerlIO_fdopen(fd, type == IoTYPE_SOCKET ? "r" : mode);
    if (ifp == NULL)
        goto fail;
    if (type == IoTYPE_SOCKET) {
        ofp = PerlIO_fdopen(fd, "w");
        if (ofp == NULL) {
            int e = errno;

            (void)PerlIO_close(ifp);
            errno = e;
            return NULL;
        }
    } else {
        ofp = type == IoTYPE_RDONLY ? NULL : ifp;
    }
    gv = MUTABLE_GV(newSV_type(SVt_NULL));
    gv_init_pvn(gv, CopSTASH(PL_curcop), "__ANONIO__", 10, 0);
    /* Perl blesses a new IO object into IO::File itself, taking its
     * reference on that stash (setting the stash again here would take a
     * second one that is never given back). */
    io = MUTABLE_IO(newSV_type(SVt_PVIO));
    GvIOp(gv) = io;
    IoIFP(io) = ifp;
    IoOFP(io) = ofp;
    IoTYPE(io) = type;
    if (type == IoTYPE_SOCKET)
        IoFLAGS(io) |= IOf_FLUSH; /* as IO::Socket->new leaves its sockets */
    rv = newRV_noinc((SV *)gv);
    /* Nothing here may load a module, open a file or run Perl code: the
     * descriptor is taken already, and a full table or a chroot would
     * make a load fail and lose it.  IO::Handle was loaded with this
     * module and its stash looked up at boot; a $class was looked up by
     * the caller before the descriptor was taken (S_class_stash). */
    return sv_bless(rv, stash != NULL ? stash : MY_CXT.handle_stash);
fail:
    {
        int e = errno;

        (void)close(fd);
        errno = e;
    }
    return NULL;
}

/*
 * The stash of a $class argument (NULL for none or undef), looked up
 * before any descriptor is taken: its get-magic may run Perl code, which
 * could die or load something.  The package is made when missing, never
 * loaded: the caller loads it.  A mortal reference keeps the stash alive
 * while the call waits (a signal handler could delete the package).
 */
static HV *
S_class_stash(pTHX_ SV *class)
{
    const char *name;
    STRLEN len;
    HV *stash;

    if (class == NULL)
        return NULL;
    SvGETMAGIC(class);
    if (!SvOK(class))
        return NULL;
    name = SvPV_nomg(class, len);
    stash = gv_stashpvn(name, (U32)len, GV_ADD | (SvUTF8(class) ? SVf_UTF8 : 0));
    return MUTABLE_HV(sv_2mortal(SvREFCNT_inc_simple_NN((SV *)stash)));
}

/* The handle for a descriptor the core just made, with Perl's $^F rule,
 * blessed into stash (NULL: IO::Handle). */
static SV *
S_new_handle(pTHX_ int fd, HV *stash)
{
    return fdp_fd2handle(aTHX_ perl_fd(fd), stash);
}
#define new_handle(fd, stash) S_new_handle(aTHX_ fd, stash)

/*
 * The handle peer_pidfd returns: read-only (the kernel opens a pidfd
 * O_RDWR, but nothing is read from or written to one: it is polled, or
 * given to pidfd_send_signal by its fileno), blessed into IO::Handle,
 * with Perl's $^F rule.  On failure the pidfd is closed and NULL returned
 * with errno kept.
 */
static SV *
S_pidfd_handle(pTHX_ int fd)
{
    dMY_CXT;
    PerlIO *ifp;
    GV *gv;
    IO *io;

    ifp = PerlIO_fdopen(perl_fd(fd), "r");
    if (ifp == NULL) {
        int e = errno;

        (void)close(fd);
        errno = e;
        return NULL;
    }
    gv = MUTABLE_GV(newSV_type(SVt_NULL));
    gv_init_pvn(gv, CopSTASH(PL_curcop), "__ANONIO__", 10, 0);
    io = MUTABLE_IO(newSV_type(SVt_PVIO));
    GvIOp(gv) = io;
    IoIFP(io) = ifp;
    IoTYPE(io) = IoTYPE_RDONLY;
    return sv_bless(newRV_noinc((SV *)gv), MY_CXT.handle_stash);
}

/*
 * A path argument as bytes.  undef, and a string with characters that
 * do not fit in a byte, give NULL and EINVAL.
 */
static const char *
S_path(pTHX_ SV *sv, STRLEN *ret_len)
{
    SvGETMAGIC(sv);
    if (!SvOK(sv) || SvROK(sv)) {
        errno = EINVAL;
        return NULL;
    }
    if (SvUTF8(sv)) {
        sv = sv_2mortal(newSVsv_nomg(sv));
        if (!sv_utf8_downgrade(sv, TRUE)) {
            errno = EINVAL;
            return NULL;
        }
    }
    return SvPV_nomg(sv, *ret_len);
}
#define path_arg(sv, lenp) S_path(aTHX_ sv, lenp)

static int
S_connect(pTHX_ SV *path, int flags)
{
    STRLEN len;
    const char *p = path_arg(path, &len);
    int fd;

    if (p == NULL)
        return -1;
    do
        fd = fdpass_connect(p, len, FDPASS_CLOEXEC | flags);
    while (interrupted(fd));
    return fd < 0 ? -1 : perl_fd(fd);
}

static int
S_accept(pTHX_ int lsock, SV *uidsv)
{
    fdpass_uid_t uid = (fdpass_uid_t)-1;
    int fd;

    do
        fd = fdpass_accept(lsock, uidsv ? &uid : NULL, FDPASS_CLOEXEC);
    while (interrupted(fd));
    if (fd < 0)
        return -1;
    if (uidsv != NULL && !SvREADONLY(uidsv)) {
        if (uid == (fdpass_uid_t)-1)
            sv_setsv_mg(uidsv, &PL_sv_undef);
        else
            sv_setuv_mg(uidsv, (UV)uid);
    }
    return perl_fd(fd);
}

/* Receive one descriptor: 1 with *ret_fd, 0 at end of stream (errno 0),
 * -1 with errno. */
static int
S_recv_one(pTHX_ int sock, int *ret_fd)
{
    int r;

    do
        r = fdpass_recv_fd(sock, ret_fd, FDPASS_CLOEXEC);
    while (interrupted(r));
    if (r == 0)
        errno = 0;
    if (r == 1)
        perl_fd(*ret_fd);
    return r;
}

static int
S_send_one(pTHX_ int sock, int fd)
{
    int r;

    do
        r = fdpass_send_fd(sock, fd);
    while (interrupted(r));
    return r;
}

/* 0.09's death on a bad send_file argument, its message to the byte
 * ("$_[0], $_[1]" as Perl interpolates them, undef as ""). */
static void
S_invalid_args(pTHX_ SV *a, SV *b)
{
    SV *msg = sv_2mortal(newSVpvs("Invalid args to send_file: "));

    if (SvOK(a))
        sv_catsv_nomg(msg, a);
    sv_catpvs(msg, ", ");
    if (SvOK(b))
        sv_catsv_nomg(msg, b);
    sv_catpvs(msg, "\n");
    croak_sv(msg);
}

/*
 * Element i of av as a mortal string of our own: av_fetch (never the
 * array's storage), get-magic and stringification run once, here, and
 * the bytes copied, so no later fetch can change or free them.  A
 * missing element is the empty string.
 */
static SV *
S_fetch_copy(pTHX_ AV *av, SSize_t i)
{
    SV **e = av_fetch(av, i, 0);
    const char *p;
    STRLEN len;

    if (e == NULL)
        return sv_2mortal(newSVpvs(""));
    p = SvPV(*e, len);
    return newSVpvn_flags(p, len, SVs_TEMP);
}

/* The C string in a copy made by S_fetch_copy; NULL and EINVAL when it
 * holds a NUL byte (it would be cut short). */
static char *
S_copy_pv(pTHX_ SV *sv)
{
    if (memchr(SvPVX(sv), '\0', SvCUR(sv)) != NULL) {
        errno = EINVAL;
        return NULL;
    }
    return SvPVX(sv);
}

/* The stashes of the classes for each FDPASS_KIND_* (an ARRAY the Perl
 * layer filled after loading them), looked up before any descriptor is
 * touched. */
static void
S_kind_stashes(pTHX_ SV *classes, HV **stash)
{
    AV *av;
    int i;

    SvGETMAGIC(classes);
    if (!SvROK(classes) || SvTYPE(SvRV(classes)) != SVt_PVAV)
        croak("File::FDpasser: classes is not an ARRAY reference");
    av = (AV *)SvRV(classes);
    for (i = 0; i <= FDPASS_KIND_SOCKET; i++) {
        SV **c = av_fetch(av, i, 0);

        stash[i] = c ? S_class_stash(aTHX_ *c) : NULL;
    }
}

/* A handle owning the passed listener fd at its own number, of the class
 * for its kind; NULL with errno, fd closed: a descriptor left open with
 * no handle could be closed by no one.  The caller closes the listeners
 * after it (those before have handles, freed with the mortals). */
static SV *
S_listener_handle(pTHX_ int fd, HV **stash)
{
    int kind = fdpass_fd_kind(fd);
    SV *h = kind < 0 ? NULL : fdp_fd2handle(aTHX_ fd, stash[kind]);

    if (h == NULL && kind < 0) {
        int e = errno;

        (void)close(fd);
        errno = e;
    }
    return h;
}

MODULE = File::FDpasser		PACKAGE = File::FDpasser

PROTOTYPES: DISABLE

BOOT:
{
    HV *stash = gv_stashpvs("File::FDpasser", GV_ADD);
    MY_CXT_INIT;

    /* File::FDpasser.pm has loaded IO::Handle before this. */
    MY_CXT.handle_stash = MUTABLE_HV(SvREFCNT_inc_simple_NN(
        gv_stashpvs(DEFAULT_CLASS, GV_ADD)));
    newCONSTSUB(stash, "FDPASS_MAX", newSViv(FDPASS_MAX));
    newCONSTSUB(stash, "_SEQPACKET", newSViv(FDPASS_SEQPACKET));
    newCONSTSUB(stash, "_FDSTORE_NOPOLL", newSViv(FDPASS_FDSTORE_NOPOLL));
    newCONSTSUB(stash, "_FDSTORE_REMOVE", newSViv(FDPASS_FDSTORE_REMOVE));
    /* listen_fds's $! for values it refuses before the core is called. */
    newCONSTSUB(stash, "_EINVAL", newSViv(EINVAL));
    newCONSTSUB(stash, "_EBADF", newSViv(EBADF));
}

void
CLONE(...)
  CODE:
    /* A new interpreter (ithreads): its own copy of the stash, looked
     * up now rather than when the first handle is made. */
    PERL_UNUSED_VAR(items);
    {
        MY_CXT_CLONE;
        MY_CXT.handle_stash = MUTABLE_HV(SvREFCNT_inc_simple_NN(
            gv_stashpvs(DEFAULT_CLASS, GV_ADD)));
    }

const char *
_backend()
  CODE:
    RETVAL = fdpass_backend();
  OUTPUT:
    RETVAL

const char *
_features()
  CODE:
    RETVAL = fdpass_features();
  OUTPUT:
    RETVAL

void
_spipe(int flags)
  PREINIT:
    int fds[2];
    SV *a, *b;
  PPCODE:
    /* Two ends, so list context only: anything else would keep one. */
    if (GIMME_V != G_LIST)
        croak("File::FDpasser::spipe: returns two endpoints; "
              "call it in list context");
    if (fdpass_socketpair(fds, FDPASS_CLOEXEC | flags) < 0)
        XSRETURN_EMPTY;
    a = new_handle(fds[0], NULL);
    if (a == NULL) {
        fdpass_close_all(&fds[1], 1);
        XSRETURN_EMPTY;
    }
    b = new_handle(fds[1], NULL);
    if (b == NULL) {
        SvREFCNT_dec(a);
        XSRETURN_EMPTY;
    }
    EXTEND(SP, 2);
    mPUSHs(a);
    mPUSHs(b);

SV *
_endp_create(SV *path, int mode, int backlog, int flags)
  PREINIT:
    STRLEN len;
    const char *p;
    int fd;
  CODE:
    p = path_arg(path, &len);
    if (p == NULL)
        XSRETURN_UNDEF;
    fd = fdpass_listen(p, len, mode, backlog, FDPASS_CLOEXEC | flags);
    if (fd < 0 || (RETVAL = new_handle(fd, NULL)) == NULL)
        XSRETURN_UNDEF;
  OUTPUT:
    RETVAL

SV *
_endp_connect(SV *path, int flags)
  PREINIT:
    int fd;
  CODE:
    fd = S_connect(aTHX_ path, flags);
    if (fd < 0 || (RETVAL = new_handle(fd, NULL)) == NULL)
        XSRETURN_UNDEF;
  OUTPUT:
    RETVAL

void
cli_conn(SV *path)
  PREINIT:
    int fd;
  PPCODE:
    fd = S_connect(aTHX_ path, 0);
    if (fd < 0)
        XSRETURN_UNDEF;
    XSRETURN_IV(fd);

SV *
serv_accept_fh(fdpass_handle lsock, SV *uid = NULL)
  PREINIT:
    int fd;
  CODE:
    fd = S_accept(aTHX_ lsock, uid);
    if (fd < 0 || (RETVAL = new_handle(fd, NULL)) == NULL)
        XSRETURN_UNDEF;
  OUTPUT:
    RETVAL

void
serv_accept_fd(fdpass_handle lsock, SV *uid = NULL)
  PREINIT:
    int fd;
  PPCODE:
    fd = S_accept(aTHX_ lsock, uid);
    if (fd < 0)
        XSRETURN_UNDEF;
    XSRETURN_IV(fd);

void
send_file(fdpass_handle sock, fdpass_file fd)
  ALIAS:
    send = 1
  PPCODE:
    /* send_file dies as 0.09 did on an argument that is neither a handle
     * with a descriptor nor a descriptor number; 0.09's users test for
     * the message.  send keeps IO::FDPass's quiet EBADF. */
    if (ix == 0 && (sock < 0 || fd < 0))
        S_invalid_args(aTHX_ ST(0), ST(1));
    if (S_send_one(aTHX_ sock, fd) < 0) {
        if (ix == 0)
            XSRETURN_UNDEF;     /* 0.09's failure value */
        XSRETURN_NO;
    }
    XSRETURN_YES;

void
send_file_v009(fdpass_handle sock, fdpass_file fd)
  PREINIT:
    int r;
  PPCODE:
    /* 0.09's two-byte form, for a 0.09 receiver (fdpass.h). */
    do
        r = fdpass_send_fd_flags(sock, fd, FDPASS_WIRE_009);
    while (interrupted(r));
    if (r < 0)
        XSRETURN_NO;
    XSRETURN_YES;

void
recv_fd(fdpass_handle sock)
  ALIAS:
    recv = 1
  PREINIT:
    dXSTARG;
    int fd;
  PPCODE:
    /* recv keeps IO::FDPass's -1 for failure and end of stream alike. */
    if (S_recv_one(aTHX_ sock, &fd) <= 0) {
        if (ix == 0)
            XSRETURN_UNDEF;
        /* Bytes without a descriptor: IO::FDPass 1.3 says EDOM. */
        if (errno == EBADMSG)
            errno = EDOM;
        fd = -1;
    }
    /* The number goes back in the sub's own target, no new scalar. */
    PUSHi((IV)fd);

void
close_fds(...)
  PREINIT:
    I32 i;
    int fd, e = 0;
  PPCODE:
    /* Misuse is refused before anything is closed (a plain number needs
     * no look). */
    for (i = 0; i < items; i++) {
        if (FDP_PLAIN_IV(ST(i)))
            continue;
        SvGETMAGIC(ST(i));
        if (fdp_is_handle(ST(i)))
            croak("File::FDpasser::close_fds: takes descriptor numbers; "
                  "close a handle with close");
    }
    /* Every one is closed even after a failure; $! tells the first.  An
     * interrupted close has released the descriptor (Linux, the BSDs),
     * and closing again could close one another thread just opened. */
    for (i = 0; i < items; i++) {
        fd = FDP_PLAIN_IV(ST(i)) ? FDP_IV2FD(SvIVX(ST(i)))
                                 : fdp_sv2num(aTHX_ ST(i));
        if (fd < 0) {
            if (e == 0)
                e = EBADF;
        } else if (PerlLIO_close(fd) < 0 && errno != EINTR && e == 0) {
            e = errno;
        }
    }
    if (e != 0) {
        errno = e;
        XSRETURN_NO;
    }
    XSRETURN_YES;

SV *
_pidfd_id_self()
  PREINIT:
    unsigned long long id;
  CODE:
    /* As a decimal string: LISTEN_PIDFDID is compared as one. */
    if (fdpass_pidfd_id_self(&id) < 0)
        XSRETURN_UNDEF;
    RETVAL = newSVpvf("%llu", id);
  OUTPUT:
    RETVAL

void
_listen_fds(int n, SV *classes)
  PREINIT:
    HV *stash[FDPASS_KIND_SOCKET + 1];
    int i;
  PPCODE:
    /* Handles are made for descriptors nothing else would close. */
    if (GIMME_V != G_LIST)
        croak("File::FDpasser::listen_fds: returns (name, handle) pairs; "
              "call it in list context");
    /* The classes are looked up before any descriptor is touched. */
    S_kind_stashes(aTHX_ classes, stash);
    if (fdpass_listen_fds(n) < 0)
        XSRETURN_EMPTY;
    EXTEND(SP, n);
    for (i = 0; i < n; i++) {
        SV *h = S_listener_handle(aTHX_ FDPASS_LISTEN_FDS_START + i, stash);

        if (h == NULL) {
            int e = errno;

            while (++i < n)
                (void)close(FDPASS_LISTEN_FDS_START + i);
            errno = e;
            XSRETURN_EMPTY;
        }
        mPUSHs(h);
    }

void
_take_listeners(SV *fds_ref, SV *classes)
  PREINIT:
    HV *stash[FDPASS_KIND_SOCKET + 1];
    AV *av;
    int *fds;
    SSize_t n, i;
  PPCODE:
    if (GIMME_V != G_LIST)
        croak("File::FDpasser::listen_fds: returns (name, handle) pairs; "
              "call it in list context");
    S_kind_stashes(aTHX_ classes, stash);
    SvGETMAGIC(fds_ref);
    if (!SvROK(fds_ref) || SvTYPE(SvRV(fds_ref)) != SVt_PVAV)
        croak("File::FDpasser::_take_listeners: fds is not an ARRAY reference");
    av = (AV *)SvRV(fds_ref);
    n = av_len(av) + 1;
    Newx(fds, n > 0 ? n : 1, int);
    SAVEFREEPV(fds);
    /* The numbers were checked by the Perl layer: plain, below 2**31. */
    for (i = 0; i < n; i++) {
        SV **e = av_fetch(av, i, 0);

        fds[i] = e ? (int)SvIV(*e) : -1;
    }
    if (fdpass_take_listeners(fds, (size_t)n) < 0)
        XSRETURN_EMPTY;
    EXTEND(SP, n);
    for (i = 0; i < n; i++) {
        SV *h = S_listener_handle(aTHX_ fds[i], stash);

        if (h == NULL) {
            int e = errno;

            while (++i < n)
                (void)close(fds[i]);
            errno = e;
            XSRETURN_EMPTY;
        }
        mPUSHs(h);
    }

void
_fd_handles(SV *fds_ref, SV *classes, int sockets_only)
  PREINIT:
    HV *stash[FDPASS_KIND_SOCKET + 1];
    AV *av;
    int *fds;
    SSize_t n, i;
  PPCODE:
    /*
     * Handles of the class for their kind, as listen_fds makes them, on
     * descriptors that arrived (handoff_take, haproxy_getsocks).  The
     * call owns every number in @$fds from its start and empties the
     * array before it returns: on success each descriptor is owned by
     * its handle, on failure every one is closed (those behind the
     * handles made so far as the mortals are freed, the rest here), so
     * the caller closes none of them either way.  With sockets_only, a
     * descriptor that is not a socket fails the call with ENOTSOCK
     * before any handle is made.
     */
    if (GIMME_V != G_LIST)
        croak("File::FDpasser::_fd_handles: call it in list context");
    S_kind_stashes(aTHX_ classes, stash);
    SvGETMAGIC(fds_ref);
    if (!SvROK(fds_ref) || SvTYPE(SvRV(fds_ref)) != SVt_PVAV)
        croak("File::FDpasser::_fd_handles: fds is not an ARRAY reference");
    av = (AV *)SvRV(fds_ref);
    n = av_len(av) + 1;
    Newx(fds, n > 0 ? n : 1, int);
    SAVEFREEPV(fds);
    /* The numbers came from recv_fds: plain, open, this process's. */
    for (i = 0; i < n; i++) {
        SV **e = av_fetch(av, i, 0);

        fds[i] = e ? (int)SvIV(*e) : -1;
    }
    av_clear(av);
    for (i = 0; i < n; i++) {
        int r = fds[i] < 0 ? (errno = EBADF, -1) : 1;

        if (r == 1 && sockets_only) {
            r = fdpass_is_socket(fds[i]);
            if (r == 0)
                errno = ENOTSOCK;
        }
        if (r != 1) {
            int e = errno;

            for (i = 0; i < n; i++)
                if (fds[i] >= 0)
                    (void)close(fds[i]);
            errno = e;
            XSRETURN_EMPTY;
        }
    }
    EXTEND(SP, n);
    for (i = 0; i < n; i++) {
        SV *h = S_listener_handle(aTHX_ fds[i], stash);

        if (h == NULL) {
            int e = errno;

            while (++i < n)
                if (fds[i] >= 0)
                    (void)close(fds[i]);
            errno = e;
            XSRETURN_EMPTY;
        }
        mPUSHs(h);
    }

SV *
recv_fh(fdpass_handle sock, SV *class = NULL)
  PREINIT:
    int fd;
    HV *stash;
  CODE:
    /* The class first: nothing that can run Perl code comes after the
     * descriptor was taken. */
    stash = S_class_stash(aTHX_ class);
    if (S_recv_one(aTHX_ sock, &fd) <= 0)
        XSRETURN_UNDEF;
    if ((RETVAL = new_handle(fd, stash)) == NULL)
        XSRETURN_UNDEF;
  OUTPUT:
    RETVAL

void
send_fds(fdpass_handle sock, SV *files, SV *data = NULL)
  PREINIT:
    int fds[FDPASS_MAX];
    AV *av;
    SSize_t n, i;
    const char *buf = NULL;
    const char *p;
    STRLEN len = 0, left, done = 0;
    size_t nf;
    SV *rest = NULL;
    ssize_t r;
  PPCODE:
    SvGETMAGIC(files);
    if (!SvROK(files) || SvTYPE(SvRV(files)) != SVt_PVAV)
        croak("File::FDpasser::send_fds: files is not an ARRAY reference");
    /* A mortal reference of our own: files is an alias of the caller's
     * variable, and an element's FETCH may drop the array's last other
     * reference ($list = undef) while the loop below still reads it. */
    av = (AV *)sv_2mortal(SvREFCNT_inc_simple_NN(SvRV(files)));
    if (sock < 0) {
        errno = EBADF;
        XSRETURN_NO;
    }
    n = av_len(av) + 1;
    if (n > FDPASS_MAX) {
        errno = EMSGSIZE;
        XSRETURN_NO;
    }
    /* Every element is fetched (its get-magic run: a tied element's FETCH,
     * a PerlIO layer's flush) before any pointer into another value is
     * taken, so code run by one cannot free what another pointer still
     * points at.  av_fetch, never the array's storage: the array is
     * looked at afresh for each element. */
    for (i = 0; i < n; i++) {
        SV **e = av_fetch(av, i, 0);

        fds[i] = e ? fdp_sv2fd(aTHX_ *e, 1) : -1;
        if (fds[i] < 0) {
            errno = EBADF;
            XSRETURN_NO;
        }
    }
    /* Then the data, last: nothing runs between here and the first send. */
    if (data != NULL) {
        SvGETMAGIC(data);
        if (SvOK(data))
            buf = SvPVbyte_nomg(data, len);
    }
    /* The descriptors go with the first part.  The core returns when a
     * signal interrupts a long send (fdpass.h), so Perl's handlers run
     * here, between the parts, and one that dies propagates with only the
     * unsent tail lost.  A handler may change $data: before one runs, the
     * rest is copied and sent from the copy.  A failure after the first
     * part (EAGAIN: a full non-blocking endpoint) returns the count so
     * far. */
    p = buf;
    left = len;
    nf = (size_t)n;
    for (;;) {
        r = fdpass_send(sock, fds, nf, p, left);
        if (r >= 0) {
            done += (STRLEN)r;
            nf = 0;
            if ((STRLEN)r >= left)
                break;
            p += r;
            left -= (STRLEN)r;
        } else if (errno != EINTR) {
            if (done == 0)
                XSRETURN_NO;
            break;
        }
        if (PL_sig_pending) {
            if (left > 0 && rest == NULL) {
                rest = sv_2mortal(newSVpvn(p, left));
                p = SvPVX(rest);
            }
            PERL_ASYNC_CHECK();
        }
    }
    XSRETURN_IV((IV)done);

void
_notify(SV *addr, SV *state, SV *files)
  PREINIT:
    int fds[FDPASS_MAX];
    SSize_t n;
    STRLEN len;
    const char *s;
    int r;
  PPCODE:
    /* addr and state are the Perl layer's own copies, as bytes: no
     * magic runs once the descriptors are fetched, and no handler can
     * reach them when one runs between two tries. */
    n = notify_fds(aTHX_ "notify: fds", files, fds);
    if (n < 0)
        XSRETURN_UNDEF;
    do {
        s = SvPV(state, len);
        r = fdpass_notify(SvOK(addr) ? SvPV_nolen(addr) : NULL, s, len,
                          fds, (size_t)n);
    } while (interrupted(r));
    if (r < 0)
        XSRETURN_UNDEF;
    if (r == 0)
        XSRETURN_PV("0E0");
    XSRETURN_IV(1);

void
_fdstore(SV *addr, SV *name, SV *files, int flags)
  PREINIT:
    int fds[FDPASS_MAX];
    SSize_t n;
    STRLEN len;
    const char *s;
    int r;
  PPCODE:
    n = notify_fds(aTHX_ "fdstore: files", files, fds);
    if (n < 0)
        XSRETURN_UNDEF;
    do {
        s = SvPV(name, len);
        r = fdpass_fdstore(SvOK(addr) ? SvPV_nolen(addr) : NULL, s, len,
                           fds, (size_t)n, flags);
    } while (interrupted(r));
    if (r < 0)
        XSRETURN_UNDEF;
    if (r == 0)
        XSRETURN_PV("0E0");
    XSRETURN_IV(1);

void
recv_fds(fdpass_handle sock, IV max_fds = FDPASS_MAX, IV max_bytes = RECV_FDS_BYTES)
  PREINIT:
    int fds[FDPASS_MAX];
    size_t nfds = 0, len = 0, i;
    SV *data;
    int r;
  PPCODE:
    /* Refused before anything is received: scalar or void context
     * would drop descriptors nothing could close. */
    if (GIMME_V != G_LIST)
        croak("File::FDpasser::recv_fds: returns ($data, @fds); "
              "call it in list context");
    if (sock < 0) {
        errno = EBADF;
        XSRETURN_EMPTY;
    }
    if (max_fds < 1 || max_fds > FDPASS_MAX || max_bytes < 1) {
        errno = EINVAL;
        XSRETURN_EMPTY;
    }
    if (max_bytes > RECV_FDS_BYTES_CAP)
        max_bytes = RECV_FDS_BYTES_CAP;
    data = sv_2mortal(newSV((STRLEN)max_bytes));
    do
        r = fdpass_recv(sock, fds, (size_t)max_fds, &nfds, SvPVX(data),
                        (size_t)max_bytes, &len, FDPASS_CLOEXEC);
    while (interrupted(r));
    if (r <= 0) {
        if (r == 0)
            errno = 0;
        XSRETURN_EMPTY;
    }
    SvPOK_only(data);
    SvCUR_set(data, len);
    *SvEND(data) = '\0';
    EXTEND(SP, (SSize_t)nfds + 1);
    PUSHs(data);
    for (i = 0; i < nfds; i++)
        PUSHs(fdp_mortal_iv(aTHX_ perl_fd(fds[i])));

void
_recv_fds_into(SV *fds_ref, fdpass_handle sock, IV max_fds, IV max_bytes)
  PREINIT:
    int fds[FDPASS_MAX];
    size_t nfds = 0, len = 0, i;
    SV *data;
    AV *av;
    int r;
  PPCODE:
    /*
     * recv_fds for the Perl layer's protocols (handoff_take,
     * haproxy_getsocks): the descriptors are appended to @$fds here,
     * where no Perl code runs between their arrival and the record, so a
     * signal handler that dies after the call cannot lose one; the
     * caller closes what the array holds.  Returns the data, or the
     * empty list as recv_fds does.
     */
    SvGETMAGIC(fds_ref);
    if (!SvROK(fds_ref) || SvTYPE(SvRV(fds_ref)) != SVt_PVAV)
        croak("File::FDpasser::_recv_fds_into: fds is not an ARRAY reference");
    av = (AV *)SvRV(fds_ref);
    if (sock < 0) {
        errno = EBADF;
        XSRETURN_EMPTY;
    }
    if (max_fds < 1 || max_fds > FDPASS_MAX || max_bytes < 1) {
        errno = EINVAL;
        XSRETURN_EMPTY;
    }
    if (max_bytes > RECV_FDS_BYTES_CAP)
        max_bytes = RECV_FDS_BYTES_CAP;
    data = sv_2mortal(newSV((STRLEN)max_bytes));
    do
        r = fdpass_recv(sock, fds, (size_t)max_fds, &nfds, SvPVX(data),
                        (size_t)max_bytes, &len, FDPASS_CLOEXEC);
    while (interrupted(r));
    if (r <= 0) {
        if (r == 0)
            errno = 0;
        XSRETURN_EMPTY;
    }
    for (i = 0; i < nfds; i++)
        av_push(av, newSViv((IV)perl_fd(fds[i])));
    SvPOK_only(data);
    SvCUR_set(data, len);
    *SvEND(data) = '\0';
    EXTEND(SP, 1);
    PUSHs(data);

void
peer_cred(fdpass_handle sock)
  PREINIT:
    pid_t pid;
    fdpass_uid_t uid;
    fdpass_gid_t gid;
  PPCODE:
    if (fdpass_peer_cred(sock, &pid, &uid, &gid) < 0)
        XSRETURN_EMPTY;
    EXTEND(SP, 3);
    if (pid < 0)
        PUSHs(&PL_sv_undef);
    else
        mPUSHi((IV)pid);
    mPUSHu((UV)uid);
    mPUSHu((UV)gid);

void
peer_pidfd(fdpass_handle sock)
  PREINIT:
    int pidfd;
    SV *fh;
  PPCODE:
    if ((pidfd = fdpass_peer_pidfd(sock)) < 0)
        XSRETURN_UNDEF;
    if ((fh = S_pidfd_handle(aTHX_ pidfd)) == NULL)
        XSRETURN_UNDEF;
    ST(0) = sv_2mortal(fh);
    XSRETURN(1);

void
get_fopen_mode(fdpass_handle fd)
  PREINIT:
    const char *mode;
  PPCODE:
    if (fdpass_fopen_mode(fd, &mode) < 0)
        XSRETURN_UNDEF;
    XSRETURN_PV(mode);

void
my_getfl(fdpass_handle fd)
  PREINIT:
    int fl;
  PPCODE:
    /* -1 on failure, as 0.09 returned fcntl's result: its callers test
     * "< 0". */
    if ((fl = fdpass_getfl(fd)) < 0)
        fl = -1;
    XSRETURN_IV(fl);

void
_spawn(SV *argv_ref, SV *map_ref, SV *env_ref, SV *dir, int flags)
  PREINIT:
    AV *av, *map;
    char **argv, **envp = NULL;
    SV **argv_sv, **env_sv = NULL;
    struct fdpass_inherit *fds;
    SSize_t i, n, ne = 0, nmap;
    const char *dirpath = NULL;
    int dirfd = -1;
    pid_t pid;
  PPCODE:
    /* The Perl layer has checked the shapes; these are arrays.  Every
     * value is fetched (get-magic, a tied element's FETCH, overloading)
     * and its bytes copied into a mortal of our own before any char
     * pointer is kept: code run by one fetch could otherwise free the
     * string an earlier pointer points into. */
    av = (AV *)SvRV(argv_ref);
    map = (AV *)SvRV(map_ref);
    n = av_len(av) + 1;
    Newx(argv, n + 1, char *);
    SAVEFREEPV(argv);
    Newx(argv_sv, n + 1, SV *);
    SAVEFREEPV(argv_sv);
    for (i = 0; i < n; i++)
        argv_sv[i] = S_fetch_copy(aTHX_ av, i);
    if (SvROK(env_ref)) {
        AV *env = (AV *)SvRV(env_ref);

        ne = av_len(env) + 1;
        Newx(envp, ne + 1, char *);
        SAVEFREEPV(envp);
        Newx(env_sv, ne + 1, SV *);
        SAVEFREEPV(env_sv);
        for (i = 0; i < ne; i++)
            env_sv[i] = S_fetch_copy(aTHX_ env, i);
    }
    nmap = (av_len(map) + 1) / 3;
    Newxz(fds, nmap + 1, struct fdpass_inherit);
    SAVEFREEPV(fds);
    for (i = 0; i < nmap; i++) {
        SV **t = av_fetch(map, 3 * i, 0);

        fds[i].target = t ? (int)SvIV(*t) : -1;
        t = av_fetch(map, 3 * i + 1, 0);
        fds[i].source = t ? fdp_sv2fd(aTHX_ *t, 1) : -1;
        t = av_fetch(map, 3 * i + 2, 0);
        fds[i].blocking = t ? (int)SvIV(*t) : 0;
        if (fds[i].source < 0) {
            errno = EBADF;
            XSRETURN_UNDEF;
        }
    }
    SvGETMAGIC(dir);
    if (SvROK(dir) || isGV_with_GP(dir)) {
        IO *io = fdp_sv2io(aTHX_ dir);

        if (io != NULL && IoDIRP(io) != NULL)
            dirfd = my_dirfd(IoDIRP(io));
        else
            dirfd = fdp_sv2fd(aTHX_ dir, 0);
        if (dirfd < 0) {
            errno = EBADF;
            XSRETURN_UNDEF;
        }
    } else if (SvOK(dir)) {
        STRLEN len;

        if ((dirpath = path_arg(dir, &len)) == NULL)
            XSRETURN_UNDEF;
        if (len == 0 || memchr(dirpath, '\0', len) != NULL) {
            errno = len == 0 ? ENOENT : EINVAL;
            XSRETURN_UNDEF;
        }
    }
    /* Everything is fetched; now the pointers, into our own copies. */
    for (i = 0; i < n; i++)
        if ((argv[i] = S_copy_pv(aTHX_ argv_sv[i])) == NULL)
            XSRETURN_UNDEF;
    argv[n] = NULL;
    for (i = 0; i < ne; i++)
        if ((envp[i] = S_copy_pv(aTHX_ env_sv[i])) == NULL)
            XSRETURN_UNDEF;
    if (envp != NULL)
        envp[ne] = NULL;
    /* flags from the Perl layer: 1 via_fork, 2 listen (LISTEN_PID). */
    if (fdpass_spawn(argv, envp, fds, (size_t)nmap, dirpath, dirfd,
                     (flags & 1 ? FDPASS_SPAWN_FORK : 0)
                     | (flags & 2 ? FDPASS_SPAWN_LISTEN_PID : 0), &pid) < 0)
        XSRETURN_UNDEF;
    XSRETURN_IV((IV)pid);
