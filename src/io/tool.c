/* tool: run Graphviz and gnuplot by fork/exec and turn their failures into
 * one-line messages for the command line and the UI's status line. */
#include "dartboard/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int tool_available(const char *name)
{
    const char *path = getenv("PATH");
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char full[4096];
        if (snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? path : ".", name) <
            (int)sizeof full) {
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
                return 1;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return 0;
}

/* The first non-empty line of a program's output, for the message. */
static void first_line(const char *out, char *line, size_t n)
{
    while (*out == '\n' || *out == '\r' || *out == ' ')
        out++;
    size_t k = strcspn(out, "\r\n");
    if (k >= n)
        k = n - 1;
    memcpy(line, out, k);
    line[k] = '\0';
}

/* The child: stdin from /dev/null, stdout to stdout_path or the pipe,
 * stderr to the pipe, then exec. A failure before exec goes to the parent
 * as an errno through status_fd. Only async-signal-safe calls: the parent
 * may be threaded. */
static void run_child(const char *const argv[], const char *cwd, const char *stdout_path,
                      int out_read, int out_write, int status_fd) __attribute__((noreturn));
static void run_child(const char *const argv[], const char *cwd, const char *stdout_path,
                      int out_read, int out_write, int status_fd)
{
    /* The UI's helper threads block every signal; the tool must not
     * inherit that mask. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int err = 0;
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    int out_fd = out_write;
    if (stdout_path) {
        out_fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out_fd < 0)
            err = errno;
    }
    if (!err && cwd && chdir(cwd) != 0)
        err = errno;
    if (!err) {
        dup2(out_fd, 1);
        dup2(out_write, 2);
        close(out_read);
        execvp(argv[0], (char *const *)argv);
        err = errno;
    }
    ssize_t unused = write(status_fd, &err, sizeof err);
    (void)unused;
    _exit(127);
}

/* Reads fd to its end, keeping the head in out (NUL-terminated) and
 * draining the rest so the child never blocks on a full pipe. */
static void read_head(int fd, char *out, size_t len)
{
    size_t have = 0;
    for (;;) {
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n < len - 1 - have ? (size_t)n : len - 1 - have;
        memcpy(out + have, chunk, take);
        have += take;
    }
    out[have] = '\0';
}

/* The message for a child that could not exec (exec_err) or exited with
 * `status`; 0 when it exited with status 0. */
static int child_result(const char *const argv[], const char *cwd, const char *stdout_path,
                        const char *package, int exec_err, int status, const char *out, char *msg,
                        size_t msglen)
{
    if (exec_err) {
        if (exec_err == ENOENT && package)
            snprintf(msg, msglen, "%s: not installed (install the Debian package %s)", argv[0],
                     package);
        else if (stdout_path && exec_err != ENOENT)
            snprintf(msg, msglen, "%s: cannot run (%s; output %s, directory %s)", argv[0],
                     strerror(exec_err), stdout_path, cwd ? cwd : ".");
        else
            snprintf(msg, msglen, "%s: cannot run: %s", argv[0], strerror(exec_err));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char line[512];
    first_line(out, line, sizeof line);
    if (WIFSIGNALED(status))
        snprintf(msg, msglen, "%s killed by signal %d%s%s", argv[0], WTERMSIG(status),
                 *line ? ": " : "", line);
    else
        snprintf(msg, msglen, "%s failed (exit status %d)%s%s", argv[0], WEXITSTATUS(status),
                 *line ? ": " : "", line);
    return -1;
}

int tool_run(const char *const argv[], const char *cwd, const char *stdout_path,
             const char *package, char *msg, size_t msglen)
{
    int out_pipe[2], status_pipe[2];
    if (pipe(out_pipe) != 0) {
        snprintf(msg, msglen, "%s: pipe: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pipe(status_pipe) != 0) {
        snprintf(msg, msglen, "%s: pipe: %s", argv[0], strerror(errno));
        close(out_pipe[0]);
        close(out_pipe[1]);
        return -1;
    }
    fcntl(status_pipe[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "%s: fork: %s", argv[0], strerror(errno));
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(status_pipe[0]);
        close(status_pipe[1]);
        return -1;
    }
    if (pid == 0)
        run_child(argv, cwd, stdout_path, out_pipe[0], out_pipe[1], status_pipe[1]);
    close(out_pipe[1]);
    close(status_pipe[1]);

    char out[2048];
    read_head(out_pipe[0], out, sizeof out);
    close(out_pipe[0]);

    int exec_err = 0;
    ssize_t got;
    do
        got = read(status_pipe[0], &exec_err, sizeof exec_err);
    while (got < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (got != (ssize_t)sizeof exec_err)
        exec_err = 0; /* the exec succeeded and closed the pipe */

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(msg, msglen, "%s: waitpid: %s", argv[0], strerror(errno));
            return -1;
        }
    }
    return child_result(argv, cwd, stdout_path, package, exec_err, status, out, msg, msglen);
}
