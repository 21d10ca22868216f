/* server: see server.h */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include "config.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dartboard/rundir.h"
#include "wire.h"

#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct Viewer {
    int fd;    /* -1: a free slot */
    int id;    /* counted from 1, for the log */
    long pid;  /* the peer's, from SO_PEERCRED */
    int hello; /* its HELLO arrived */
    int read_only;
    double since;      /* accepted at (monotonic seconds) */
    uint64_t sent_seq; /* the snapshot last queued for it (UINT64_MAX: none) */
    unsigned char in[WIRE_CLIENT_MAX];
    size_t in_len;
    unsigned char *out; /* WIRE_SNAPSHOT_FRAME bytes */
    size_t out_len, out_off;
} Viewer;

struct Server {
    Session *session;
    int listen_fd;
    int wake[2]; /* server_stop writes a byte: the loop ends */
    pthread_t thread;
    char path[RUNDIR_SOCKET_PATH_MAX];
    Snapshot *snap; /* the newest snapshot, copied when seq moves */
    uint64_t snap_seq;
    int have_snap; /* snap holds a copy (seq 0 is a valid one: before the first publish) */
    int next_id;
    Viewer viewers[SERVER_MAX_VIEWERS];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void drop(Viewer *v)
{
    close(v->fd);
    v->fd = -1;
    free(v->out);
    v->out = NULL;
}

/* A viewer that broke the protocol: closed, and one line says why. */
static void refuse(Viewer *v, const char *why)
{
    fprintf(stderr, "dartboard: viewer %d (pid %ld) closed: %s\n", v->id, v->pid, why);
    fflush(stderr);
    drop(v);
}

/* Writes what is pending without blocking; -1 when the viewer is gone. */
static int flush(Viewer *v)
{
    while (v->out_off < v->out_len) {
        ssize_t n = send(v->fd, v->out + v->out_off, v->out_len - v->out_off, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        v->out_off += (size_t)n;
    }
    v->out_len = v->out_off = 0;
    return 0;
}

static void accept_viewers(Server *sv)
{
    for (;;) {
        int fd = accept4(sv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
            fprintf(stderr, "dartboard: viewer refused: another user (uid %ld)\n",
                    len == sizeof cred ? (long)cred.uid : -1L);
            close(fd);
            continue;
        }
        Viewer *v = NULL;
        for (int i = 0; i < SERVER_MAX_VIEWERS && !v; i++)
            if (sv->viewers[i].fd < 0)
                v = &sv->viewers[i];
        unsigned char *out = v ? malloc(WIRE_SNAPSHOT_FRAME) : NULL;
        if (!out) {
            fprintf(stderr, "dartboard: viewer refused (pid %ld): %s\n", (long)cred.pid,
                    v ? "out of memory" : "too many viewers");
            close(fd);
            continue;
        }
        memset(v, 0, sizeof *v);
        v->fd = fd;
        v->id = ++sv->next_id;
        v->pid = cred.pid;
        v->since = now_seconds();
        v->out = out;
        v->out_len = wire_welcome(out, (uint32_t)getpid());
        v->sent_seq = UINT64_MAX; /* nothing sent yet */
    }
}

/* Reads and handles what the viewer sent; 0, or -1 when it was closed. */
static int read_viewer(Server *sv, Viewer *v)
{
    ssize_t n = recv(v->fd, v->in + v->in_len, sizeof v->in - v->in_len, 0);
    if (n == 0) {
        if (!v->hello)
            refuse(v, "left without a hello");
        else
            drop(v); /* detached */
        return -1;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        drop(v);
        return -1;
    }
    v->in_len += (size_t)n;
    for (;;) {
        WireMsg m;
        size_t used = 0;
        char err[160];
        WireParse r = wire_parse(v->in, v->in_len, 0, &m, &used, err, sizeof err);
        if (r == WIRE_NEED_MORE)
            return 0; /* the buffer holds the largest message, so it always can */
        if (r == WIRE_BAD) {
            refuse(v, err);
            return -1;
        }
        if (m.type == WIRE_HELLO) {
            if (v->hello) {
                refuse(v, "a second hello");
                return -1;
            }
            v->hello = 1;
            v->read_only = (m.flags & WIRE_READ_ONLY) != 0;
        } else if (!v->hello) {
            refuse(v, "a command before the hello");
            return -1;
        } else if (!v->read_only) {
            session_command(sv->session, &m.command);
        }
        memmove(v->in, v->in + used, v->in_len - used);
        v->in_len -= used;
    }
}

/* The newest snapshot to every viewer that has taken the previous one. */
static void publish(Server *sv)
{
    uint64_t seq = session_seq(sv->session);
    if (seq != sv->snap_seq || !sv->have_snap) {
        sv->snap_seq = session_snapshot(sv->session, sv->snap);
        sv->have_snap = 1;
    }
    for (int i = 0; i < SERVER_MAX_VIEWERS; i++) {
        Viewer *v = &sv->viewers[i];
        if (v->fd < 0 || !v->hello || v->out_len || v->sent_seq == sv->snap_seq)
            continue;
        wire_header(v->out, WIRE_SNAPSHOT, (uint32_t)sizeof(Snapshot));
        memcpy(v->out + WIRE_HEADER, sv->snap, sizeof(Snapshot));
        v->out_len = WIRE_SNAPSHOT_FRAME;
        v->out_off = 0;
        v->sent_seq = sv->snap_seq;
        if (flush(v) != 0)
            drop(v);
    }
}

/* The last state to every viewer, waiting at most a second for each. */
static void farewell(Server *sv)
{
    publish(sv);
    for (int i = 0; i < SERVER_MAX_VIEWERS; i++) {
        Viewer *v = &sv->viewers[i];
        if (v->fd < 0)
            continue;
        double deadline = now_seconds() + 1;
        while (v->out_len && flush(v) == 0 && now_seconds() < deadline) {
            struct pollfd p = {.fd = v->fd, .events = POLLOUT};
            poll(&p, 1, 100);
        }
        drop(v);
    }
}

static void *server_main(void *arg)
{
    Server *sv = arg;
    pthread_setname_np(pthread_self(), "dartboard-view"); /* for top -H and the measurements */
    struct pollfd fds[2 + SERVER_MAX_VIEWERS];
    Viewer *of[2 + SERVER_MAX_VIEWERS];
    for (;;) {
        int n = 0;
        fds[n++] = (struct pollfd){.fd = sv->wake[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = sv->listen_fd, .events = POLLIN};
        for (int i = 0; i < SERVER_MAX_VIEWERS; i++) {
            Viewer *v = &sv->viewers[i];
            if (v->fd < 0)
                continue;
            of[n] = v;
            fds[n++] = (struct pollfd){.fd = v->fd, .events = POLLIN | (v->out_len ? POLLOUT : 0)};
        }
        /* 100 ms: the viewers see a new step within a frame of the UI. */
        if (poll(fds, (nfds_t)n, 100) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN)
            accept_viewers(sv);
        double now = now_seconds();
        for (int k = 2; k < n; k++) {
            Viewer *v = of[k];
            if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) && read_viewer(sv, v) != 0)
                continue;
            if (v->out_len && flush(v) != 0) {
                drop(v);
                continue;
            }
            if (!v->hello && now - v->since > SERVER_HELLO_SECONDS)
                refuse(v, "said nothing (no hello within " STR(SERVER_HELLO_SECONDS) " s)");
        }
        publish(sv);
    }
    farewell(sv);
    return NULL;
}

/* Binds a listening socket at path, 0600, replacing a stale one. */
static int listen_at(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "%s: too long for a socket address", path);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* We hold the run's lock, so a socket already there was left by a
     * search that was killed. Only a socket is removed, never a file. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    /* Created 0600 from the start (the main thread binds before the worker
     * exists, so the umask changes for nobody else). */
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    int saved = errno;
    umask(old);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, SERVER_MAX_VIEWERS) != 0) {
        snprintf(err, errlen, "%s: cannot listen (%s)", path, strerror(rc ? saved : errno));
        close(fd);
        return -1;
    }
    return fd;
}

Server *server_start(Session *s, const char *run_dir, char *err, size_t errlen)
{
    Server *sv = calloc(1, sizeof *sv);
    if (!sv || !(sv->snap = calloc(1, sizeof *sv->snap))) {
        free(sv);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sv->session = s;
    sv->listen_fd = -1;
    for (int i = 0; i < SERVER_MAX_VIEWERS; i++)
        sv->viewers[i].fd = -1;
    /* The run directory first; its file system may not hold a socket (some
     * network and FUSE ones), or its path may be too long for one. */
    char first_err[512] = "";
    for (int fallback = 0; fallback < 2 && sv->listen_fd < 0; fallback++) {
        char *e = fallback ? err : first_err;
        size_t elen = fallback ? errlen : sizeof first_err;
        if (rundir_socket_path(run_dir, fallback, sv->path, sizeof sv->path, e, elen) == 0)
            sv->listen_fd = listen_at(sv->path, e, elen);
        if (fallback && sv->listen_fd < 0 && first_err[0]) {
            char both[1024];
            snprintf(both, sizeof both, "%s; %s", first_err, err);
            snprintf(err, errlen, "%s", both);
        }
    }
    if (sv->listen_fd < 0)
        goto fail;
    if (pipe2(sv->wake, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail_socket;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&sv->thread, NULL, server_main, sv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        return sv;
    snprintf(err, errlen, "cannot start the viewer thread");
    close(sv->wake[0]);
    close(sv->wake[1]);
fail_socket:
    close(sv->listen_fd);
    unlink(sv->path);
fail:
    free(sv->snap);
    free(sv);
    return NULL;
}

void server_stop(Server *sv)
{
    if (!sv)
        return;
    char byte = 1;
    if (write(sv->wake[1], &byte, 1) != 1) {
        /* a pipe with room for one byte cannot fail; the join below would hang */
    }
    pthread_join(sv->thread, NULL);
    unlink(sv->path);
    close(sv->listen_fd);
    close(sv->wake[0]);
    close(sv->wake[1]);
    free(sv->snap);
    free(sv);
}
