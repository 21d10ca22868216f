/* viewer_probe RUN_DIR MODE: a viewer of the search in RUN_DIR that
 * misbehaves on purpose, for tests/test_viewers.sh.
 *
 *   garbage     sends bytes that are no message
 *   huge        sends a header that claims a 2 GiB message
 *   silent      connects and says nothing
 *   other-user  (as root) connects as uid 65534
 *   hello       a proper read-only viewer: prints "STATE STEP" of the first snapshot
 *   stop        a proper viewer that sends CMD_STOP
 *
 * The misbehaving modes exit 0 when the search closed the connection within
 * 10 s (and 1 when it did not); hello and stop exit 0 when they got through.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "dartboard/rundir.h"
#include "wire.h"

static int connect_run(const char *dir)
{
    for (int fallback = 0; fallback < 2; fallback++) {
        char path[RUNDIR_SOCKET_PATH_MAX], err[512];
        if (rundir_socket_path(dir, fallback, path, sizeof path, err, sizeof err) != 0)
            continue;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        memcpy(a.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
    }
    fprintf(stderr, "viewer_probe: %s: no socket answers\n", dir);
    return -1;
}

/* Reads (and drops) what the search sends until it closes: 0, or 1 after 10 s. */
static int closed_by_search(int fd)
{
    char buf[65536];
    for (int waited = 0; waited < 100;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 0) {
            waited++;
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return 0;
    }
    fprintf(stderr, "viewer_probe: the search kept the connection open\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: viewer_probe RUN_DIR garbage|huge|silent|other-user|hello|stop\n");
        return 2;
    }
    const char *dir = argv[1], *mode = argv[2];
    char err[1024];
    if (strcmp(mode, "hello") == 0 || strcmp(mode, "stop") == 0) {
        int stop = mode[0] == 's';
        Client *c = client_connect(dir, !stop, 5000, err, sizeof err);
        if (!c) {
            fprintf(stderr, "viewer_probe: %s\n", err);
            return 1;
        }
        const Snapshot *s = client_snapshot(c);
        printf("%s %lld\n", session_state_names[s->state], (long long)s->step);
        if (stop) {
            Feed f;
            client_feed(c, &f);
            Command cmd = {.kind = CMD_STOP};
            f.command(f.ctx, &cmd);
            f.finish(f.ctx);
        }
        client_close(c);
        return 0;
    }
    if (strcmp(mode, "other-user") == 0) {
        if (getuid() != 0) {
            fprintf(stderr, "viewer_probe: other-user needs root\n");
            return 77;
        }
        if (setgid(65534) != 0 || setuid(65534) != 0) {
            perror("viewer_probe: setuid");
            return 77;
        }
        /* The socket is 0600: another user cannot even connect, which is
         * a refusal too. */
        int fd = connect_run(dir);
        return fd < 0 ? 0 : closed_by_search(fd);
    }
    int fd = connect_run(dir);
    if (fd < 0)
        return 1;
    if (strcmp(mode, "garbage") == 0) {
        static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
        if (write(fd, junk, sizeof junk - 1) < 0)
            return 1;
    } else if (strcmp(mode, "huge") == 0) {
        unsigned char h[WIRE_HEADER];
        wire_header(h, WIRE_COMMAND, 0x80000000u);
        if (write(fd, h, sizeof h) < 0)
            return 1;
    } else if (strcmp(mode, "silent") != 0) {
        fprintf(stderr, "viewer_probe: unknown mode %s\n", mode);
        return 2;
    }
    return closed_by_search(fd);
}
