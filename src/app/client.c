/* client: see client.h */
#include "config.h"
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dartboard/rundir.h"
#include "wire.h"

struct Client {
    int fd;
    int read_only;
    int lost;
    char why[256];
    char path[RUNDIR_SOCKET_PATH_MAX];
    char dir[RUNDIR_PATH_MAX]; /* the run directory as this viewer names it */
    Snapshot *snap;            /* the newest valid snapshot */
    int have_snap;
    unsigned char *in; /* one snapshot frame */
    size_t in_len;
};

static void lose(Client *c, const char *why)
{
    if (c->lost)
        return;
    c->lost = 1;
    snprintf(c->why, sizeof c->why, "%s", why);
    close(c->fd);
    c->fd = -1;
}

/* Takes what has arrived; waits up to wait_ms for it (0: never waits). */
static void pump(Client *c, int wait_ms)
{
    while (!c->lost) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, wait_ms) <= 0)
            return;
        wait_ms = 0;
        ssize_t n = recv(c->fd, c->in + c->in_len, WIRE_SNAPSHOT_FRAME - c->in_len, MSG_DONTWAIT);
        if (n == 0) {
            lose(c, "the search closed the connection");
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                lose(c, strerror(errno));
            return;
        }
        c->in_len += (size_t)n;
        for (;;) {
            WireMsg m;
            size_t used;
            char err[200];
            WireParse r = wire_parse(c->in, c->in_len, 1, &m, &used, err, sizeof err);
            if (r == WIRE_NEED_MORE)
                break;
            if (r == WIRE_BAD) {
                lose(c, err);
                return;
            }
            if (m.type != WIRE_WELCOME) { /* the welcome asks nothing of a viewer */
                /* Checked in place; the UI sees only a snapshot that passed. */
                Snapshot *s = malloc(sizeof *s);
                if (!s) {
                    lose(c, "out of memory");
                    return;
                }
                memcpy(s, m.payload, sizeof *s);
                if (wire_snapshot_check(s, err, sizeof err) != 0) {
                    free(s);
                    lose(c, err);
                    return;
                }
                /* The search names its directory from its own working
                 * directory; the viewer's `g` reads it from here. */
                snprintf(s->run_dir, sizeof s->run_dir, "%s", c->dir);
                free(c->snap);
                c->snap = s;
                c->have_snap = 1;
            }
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
        }
    }
}

static int connect_at(const char *path)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path)
        return -1;
    memcpy(addr.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Client *client_connect(const char *run_dir, int read_only, int timeout_ms, char *err, size_t errlen)
{
    Client *c = calloc(1, sizeof *c);
    if (!c || !(c->in = malloc(WIRE_SNAPSHOT_FRAME))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = -1;
    c->read_only = read_only;
    if (snprintf(c->dir, sizeof c->dir, "%s", run_dir) >= (int)sizeof c->dir) {
        snprintf(err, errlen, "%.80s...: run directory path of %zu bytes (at most %d)", run_dir,
                 strlen(run_dir), RUNDIR_PATH_MAX - 1);
        goto fail;
    }
    /* Where server_start put it: the run directory, else the fallback. A
     * search that holds the run's lock but answers on neither is still
     * opening its socket (it takes the lock first): tried again until the
     * deadline. */
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        for (int fallback = 0; fallback < 2 && c->fd < 0; fallback++) {
            char e[256];
            if (rundir_socket_path(run_dir, fallback, c->path, sizeof c->path, e, sizeof e) == 0)
                c->fd = connect_at(c->path);
        }
        long pid;
        if (c->fd >= 0 || now_ms() >= deadline || rundir_liveness(run_dir, &pid) != RUN_LIVE)
            break;
        struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    if (c->fd < 0) {
        snprintf(err, errlen, "%s: no search is running there (no socket answers)", run_dir);
        goto fail;
    }
    unsigned char hello[WIRE_HEADER + 4];
    size_t n = wire_hello(hello, read_only ? WIRE_READ_ONLY : 0);
    if (send(c->fd, hello, n, MSG_NOSIGNAL) != (ssize_t)n) {
        snprintf(err, errlen, "%s: %s", c->path, strerror(errno));
        goto fail;
    }
    while (!c->have_snap && !c->lost && now_ms() < deadline)
        pump(c, 100);
    if (!c->have_snap) {
        snprintf(err, errlen, "%s: %s", c->path,
                 c->lost ? c->why : "the search sent no snapshot in time");
        goto fail;
    }
    return c;
fail:
    client_close(c);
    return NULL;
}

const Snapshot *client_snapshot(const Client *c)
{
    return c->snap;
}

const char *client_socket_path(const Client *c)
{
    return c->path;
}

static uint64_t remote_seq(void *ctx)
{
    Client *c = ctx;
    pump(c, 0);
    return c->snap->seq;
}

static uint64_t remote_snapshot(void *ctx, Snapshot *out)
{
    Client *c = ctx;
    memcpy(out, c->snap, sizeof *out);
    return out->seq;
}

static void remote_command(void *ctx, const Command *cmd)
{
    Client *c = ctx;
    if (c->read_only || c->lost)
        return;
    unsigned char buf[WIRE_CLIENT_MAX];
    size_t n = wire_command(buf, cmd);
    /* Small and rare: a blocking send is fine (the search's side never
     * blocks on us). */
    if (send(c->fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
        lose(c, strerror(errno));
}

static int remote_status(void *ctx, const char **why)
{
    Client *c = ctx;
    *why = c->why;
    return c->lost ? -1 : 0;
}

/* After a stop: the search checkpoints and finishes; wait for its last
 * state (or for it to go). */
static int remote_finish(void *ctx)
{
    Client *c = ctx;
    while (!c->lost && c->snap->state != SESSION_DONE && c->snap->state != SESSION_ERROR)
        pump(c, 100);
    return c->snap->state == SESSION_DONE ? 0 : 1;
}

void client_feed(Client *c, Feed *f)
{
    *f = (Feed){.ctx = c,
                .seq = remote_seq,
                .snapshot = remote_snapshot,
                .command = remote_command,
                .status = remote_status,
                .finish = remote_finish,
                .remote = 1,
                .read_only = c->read_only};
}

void client_close(Client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->snap);
    free(c->in);
    free(c);
}
