/* viewers: see viewers.h */
#include "config.h"
#include "viewers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "dartboard/config.h"
#include "dartboard/rundir.h"
#include "dartboard/run_csv.h"

/* ---------------------------------------------------------------- detach */

static void to_dev_null(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
}

/* The parent's side: the daemon's word, then exit. */
static void await_daemon(int fd)
{
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    long pid;
    int status, at;
    if (sscanf(buf, "ok %ld %n", &pid, &at) == 1) {
        const char *dir = buf + at;
        buf[strcspn(buf, "\n")] = '\0';
        printf("dartboard: search running in the background (pid %ld), run directory %s\n"
               "dartboard: watch it with: dartboard attach %s  (log: %s/%s)\n",
               pid, dir, dir, dir, RUNDIR_LOG);
        fflush(stdout);
        _exit(0);
    }
    if (sscanf(buf, "error %d %n", &status, &at) == 1) {
        fprintf(stderr, "dartboard: %s", buf + at);
        _exit(status);
    }
    fprintf(stderr, "dartboard: the background search ended before it started\n");
    _exit(1);
}

int detach_begin(int *report)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (child > 0) {
        close(p[1]);
        int st;
        waitpid(child, &st, 0); /* the middle process exits at once */
        await_daemon(p[0]);
    }
    /* A session of its own: no terminal can hang it up or stop it; the
     * second fork makes sure it can never acquire one again. */
    close(p[0]);
    setsid();
    pid_t daemon = fork();
    if (daemon < 0)
        _exit(1);
    if (daemon > 0)
        _exit(0);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    to_dev_null();
    *report = p[1];
    return 0;
}

static void say_to(int fd, const char *text)
{
    size_t len = strlen(text);
    while (len) {
        ssize_t n = write(fd, text, len);
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

int detach_ready(int report, const char *run_dir, char *err, size_t errlen)
{
    int log = rundir_open_log(run_dir, err, errlen);
    if (log < 0)
        return -1;
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    close(log);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char line[RUNDIR_PATH_MAX + 64];
    snprintf(line, sizeof line, "ok %ld %s\n", (long)getpid(), run_dir);
    say_to(report, line);
    close(report);
    return 0;
}

void detach_failed(int report, int status, const char *message)
{
    char line[2048];
    snprintf(line, sizeof line, "error %d %s\n", status, message);
    say_to(report, line);
    close(report);
}

/* ---------------------------------------------------------------- ls */

typedef struct RunInfo {
    char path[RUNDIR_PATH_MAX];
    RunLiveness live;
    long pid;
    char state[16], preset[64], socket[RUNDIR_SOCKET_PATH_MAX];
    int64_t step, total; /* -1: unknown */
    double val_acc;      /* < 0: no row yet */
    time_t changed;      /* newest of config.yaml, metrics.csv, lock */
} RunInfo;

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static void newest(time_t *t, const char *dir, const char *name)
{
    char path[RUNDIR_FILE_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) == 0 && st.st_mtime > *t)
        *t = st.st_mtime;
}

/* What the files (and, for a live run, the search itself) say. 0, or -1
 * when `dir` holds no run: neither config.yaml nor a lock a process holds
 * (a search just started takes its lock and opens its socket before its
 * worker writes config.yaml). */
static int run_info(const char *dir, RunInfo *r)
{
    char path[RUNDIR_FILE_MAX], err[512];
    memset(r, 0, sizeof *r);
    long pid;
    if (strlen(dir) >= sizeof r->path ||
        snprintf(path, sizeof path, "%s/config.yaml", dir) >= (int)sizeof path ||
        (access(path, F_OK) != 0 && rundir_liveness(dir, &pid) != RUN_LIVE))
        return -1;
    snprintf(r->path, sizeof r->path, "%s", dir);
    if (config_saved_preset(path, r->preset, sizeof r->preset) != 0)
        snprintf(r->preset, sizeof r->preset, "?");
    r->step = r->total = -1;
    r->val_acc = -1;
    newest(&r->changed, dir, "config.yaml");
    newest(&r->changed, dir, "metrics.csv");
    newest(&r->changed, dir, RUNDIR_LOCK);
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    RunMetrics m;
    if (run_metrics_load(path, &m, err, sizeof err) == 0) {
        if (m.n > 0) {
            r->step = m.rows[m.n - 1].step;
            r->val_acc = m.rows[m.n - 1].val_acc;
        }
        run_metrics_free(&m);
    }
    r->live = rundir_liveness(dir, &r->pid);
    if (r->live == RUN_LIVE) {
        snprintf(r->state, sizeof r->state, "running");
        Client *c = client_connect(dir, 1, 3000, err, sizeof err);
        if (c) {
            const Snapshot *s = client_snapshot(c);
            snprintf(r->state, sizeof r->state, "%s", session_state_names[s->state]);
            lower(r->state);
            r->step = s->step;
            r->total = s->total_steps;
            if (s->n_rows > 0)
                r->val_acc = s->rows[s->n_rows - 1].val_acc;
            snprintf(r->socket, sizeof r->socket, "%s", client_socket_path(c));
            client_close(c);
        }
    } else if (r->live == RUN_STALE) {
        snprintf(r->state, sizeof r->state, "stale");
    } else {
        int64_t step, total;
        if (rundir_read_outcome(dir, r->state, sizeof r->state, &step, &total) == 0) {
            r->step = step;
            r->total = total;
        } else {
            snprintf(r->state, sizeof r->state, "ended");
        }
    }
    return 0;
}

static void age_text(char *buf, size_t len, time_t since)
{
    long s = (long)(time(NULL) - since);
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(buf, len, "%lds", s);
    else if (s < 7200)
        snprintf(buf, len, "%ldm", s / 60);
    else if (s < 172800)
        snprintf(buf, len, "%ldh", s / 3600);
    else
        snprintf(buf, len, "%ldd", s / 86400);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const RunInfo *)a)->path, ((const RunInfo *)b)->path);
}

/* How deep under DIR runs are looked for: runs/NAME, and the groups a
 * script makes (bench/compare-remedies.sh's OUT/runs/ROW). */
#define RUNS_DEPTH 3

typedef struct RunList {
    RunInfo *runs;
    int n, cap;
} RunList;

/* Adds the runs under dir (depth levels below the top) to l. A run's own
 * subdirectories are not searched, nor symbolic links to directories. */
static int collect_runs(RunList *l, const char *dir, int depth, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (depth > 0)
            return 0; /* unreadable below the top: skipped */
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    char path[RUNDIR_FILE_MAX];
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= RUNDIR_PATH_MAX)
            continue;
        if (l->n == l->cap) {
            int cap = l->cap ? 2 * l->cap : 16;
            RunInfo *more = realloc(l->runs, (size_t)cap * sizeof *more);
            if (!more) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            l->runs = more;
            l->cap = cap;
        }
        struct stat st;
        if (run_info(path, &l->runs[l->n]) == 0)
            l->n++;
        else if (depth + 1 < RUNS_DEPTH && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rc = collect_runs(l, path, depth + 1, err, errlen);
    }
    closedir(d);
    return rc;
}

/* Every run directory under dir, sorted by path. */
static int list_runs(const char *dir, RunInfo **out, char *err, size_t errlen)
{
    RunList l = {NULL, 0, 0};
    if (collect_runs(&l, dir, 0, err, errlen) != 0) {
        free(l.runs);
        return -1;
    }
    if (l.n)
        qsort(l.runs, (size_t)l.n, sizeof *l.runs, by_path);
    *out = l.runs;
    return l.n;
}

int viewers_ls(FILE *out, const char *dir)
{
    char err[512];
    RunInfo *runs = NULL;
    int n = list_runs(dir ? dir : "runs", &runs, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "dartboard: %s\n", err);
        return 1;
    }
    fprintf(out, "%-40s %-8s %7s %-12s %17s %7s %5s\n", "RUN", "STATE", "PID", "PRESET", "STEP",
            "VAL_ACC", "AGE");
    for (int i = 0; i < n; i++) {
        const RunInfo *r = &runs[i];
        char pid[24] = "-", step[48], acc[16] = "-", age[32];
        if (r->pid > 0 && r->live != RUN_ENDED)
            snprintf(pid, sizeof pid, "%ld", r->pid);
        if (r->step < 0)
            snprintf(step, sizeof step, "-");
        else if (r->total < 0)
            snprintf(step, sizeof step, "%" PRId64 "/?", r->step);
        else
            snprintf(step, sizeof step, "%" PRId64 "/%" PRId64, r->step, r->total);
        if (r->val_acc >= 0)
            snprintf(acc, sizeof acc, "%.2f", r->val_acc);
        age_text(age, sizeof age, r->changed);
        fprintf(out, "%-40s %-8s %7s %-12s %17s %7s %5s", r->path, r->state, pid, r->preset, step,
                acc, age);
        /* Only a socket away from its run directory is worth a mention. */
        char here[RUNDIR_FILE_MAX];
        snprintf(here, sizeof here, "%s/%s", r->path, RUNDIR_SOCKET);
        if (r->socket[0] && strcmp(r->socket, here) != 0)
            fprintf(out, "  socket %s", r->socket);
        fputc('\n', out);
    }
    if (n == 0)
        fprintf(out, "(no runs under %s)\n", dir ? dir : "runs");
    free(runs);
    return 0;
}

int viewers_pick(const char *dir, char *buf, size_t len, char *err, size_t errlen)
{
    RunInfo *runs = NULL;
    const char *under = dir ? dir : "runs";
    int n = list_runs(under, &runs, err, errlen);
    if (n < 0)
        return -1;
    int live = 0, latest = -1;
    for (int i = 0; i < n; i++)
        if (runs[i].live == RUN_LIVE) {
            runs[live++] = runs[i];
            if (latest < 0 || runs[live - 1].changed > runs[latest].changed)
                latest = live - 1;
        }
    int rc = -1;
    if (live == 0) {
        snprintf(err, errlen, "no search is running under %s (dartboard ls shows the runs)", under);
    } else if (live == 1) {
        snprintf(buf, len, "%s", runs[0].path);
        rc = 0;
    } else if (isatty(STDIN_FILENO)) {
        /* Several: the user chooses (Enter: the most recent). */
        for (int i = 0; i < live; i++)
            fprintf(stderr, "%2d) %-40s %-8s pid %ld  %s\n", i + 1, runs[i].path, runs[i].state,
                    runs[i].pid, i == latest ? "(most recent)" : "");
        fprintf(stderr, "attach to which run? [%d] ", latest + 1);
        char line[32];
        int k = latest + 1;
        if (fgets(line, sizeof line, stdin) && line[0] != '\n')
            k = atoi(line);
        if (k >= 1 && k <= live) {
            snprintf(buf, len, "%s", runs[k - 1].path);
            rc = 0;
        } else {
            snprintf(err, errlen, "no run numbered '%.20s'", line);
        }
    } else {
        size_t at = (size_t)snprintf(err, errlen, "%d searches are running; name one:", live);
        for (int i = 0; i < live && at < errlen; i++)
            at += (size_t)snprintf(err + at, errlen - at, " %s", runs[i].path);
    }
    free(runs);
    return rc;
}
