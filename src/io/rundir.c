/* rundir: see include/dartboard/rundir.h */
#include "config.h"
#include "dartboard/rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dartboard/atomic_file.h"
#include "dartboard/genotype_io.h"
#include "dartboard/run_csv.h"

static int buf_reserve(TextBuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int buf_append(TextBuf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int buf_printf(TextBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(TextBuf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    return buf_append(b, line, (size_t)n);
}

void rundir_file(const RunDir *rd, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", rd->path, name);
}

void rundir_default_path(char *buf, size_t len, const char *preset)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, len, "runs/%s-%s", preset && *preset ? preset : "run", stamp);
}

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char tmp[RUNDIR_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: run directory path too long", path);
        return -1;
    }
    for (char *p = tmp + 1;; p++) {
        int end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory (%s)", tmp, strerror(errno));
                return -1;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", path);
        return -1;
    }
    return 0;
}

static int write_buf(const RunDir *rd, const char *name, const TextBuf *b, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, name, path, sizeof path);
    return atomic_file_write_bytes(path, b->data, b->len, err, errlen);
}

/* Every file a run writes into its directory: a directory holding any of
 * them holds a run (or the remains of one), and --out must not write over it. */
static const char *const run_files[] = {"config.yaml",   "checkpoint.bin", "metrics.csv",
                                        "alphas.csv",    "monitors.csv",   "genotype.py",
                                        "genotype.json", "changes.log",    "results.json"};

int rundir_check_new(const char *path, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        char f[RUNDIR_FILE_MAX];
        snprintf(f, sizeof f, "%s/%s", path, run_files[i]);
        struct stat st;
        if (lstat(f, &st) == 0)
            snprintf(err, errlen,
                     "%s: already holds a run (%s); continue it with --resume %s or choose "
                     "another --out",
                     path, run_files[i], path);
        else if (errno != ENOENT)
            snprintf(err, errlen, "%s: cannot look into the run directory (%s)", f,
                     strerror(errno));
        else
            continue;
        return -1;
    }
    return 0;
}

/* The pid written in a lock file, or 0. */
static long lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int rundir_lock(RunDir *rd, const char *path, int create, char *err, size_t errlen)
{
    memset(rd, 0, sizeof *rd);
    rd->lock_fd = -1;
    if (!*path || strlen(path) >= sizeof rd->path) {
        snprintf(err, errlen, "%.80s...: run directory path of %zu bytes (at most %zu)", path,
                 strlen(path), sizeof rd->path - 1);
        return -1;
    }
    snprintf(rd->path, sizeof rd->path, "%s", path);
    if (create && make_dirs(path, err, errlen) != 0)
        return -1;
    char lock[RUNDIR_FILE_MAX];
    rundir_file(rd, RUNDIR_LOCK, lock, sizeof lock);
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot open the run's lock file (%s)", lock,
                     strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int saved = errno;
            long pid = lock_holder(fd);
            close(fd);
            if (saved == EWOULDBLOCK)
                snprintf(err, errlen,
                         "%s: in use by another dartboard (pid %ld holds %s); one process "
                         "writes a run directory at a time",
                         path, pid, lock);
            else
                snprintf(err, errlen, "%s: cannot lock (%s)", lock, strerror(saved));
            return -1;
        }
        /* The holder before us may have removed the file between our open
         * and our flock: then we hold a lock on a name nobody sees. */
        struct stat by_fd, by_name;
        if (fstat(fd, &by_fd) == 0 && lstat(lock, &by_name) == 0 &&
            by_fd.st_ino == by_name.st_ino && by_fd.st_dev == by_name.st_dev) {
            /* A pid left by a holder killed with -9 is stale: the kernel
             * released its lock, and ours replaces the pid. */
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
                snprintf(err, errlen, "%s: cannot write (%s)", lock, strerror(errno));
                close(fd);
                return -1;
            }
            rd->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    snprintf(err, errlen, "%s: the lock file keeps changing; is another dartboard starting here?",
             lock);
    return -1;
}

void rundir_unlock(RunDir *rd)
{
    if (rd->lock_fd < 0)
        return;
    char lock[RUNDIR_FILE_MAX];
    rundir_file(rd, RUNDIR_LOCK, lock, sizeof lock);
    unlink(lock); /* while still held: the next holder checks it locked the live name */
    close(rd->lock_fd);
    rd->lock_fd = -1;
}

static const char *metrics_header(const RunDir *rd)
{
    if (rd->training)
        return rd->recurrent ? RNN_TRAIN_CSV_HEADER : TRAIN_CSV_HEADER;
    return rd->recurrent ? RNN_CSV_HEADER : RUNDIR_METRICS_HEADER;
}

/* monitors.csv: a CNN search's */
static int has_monitors(const RunDir *rd)
{
    return !rd->training && !rd->recurrent;
}

int rundir_create(RunDir *rd, char *err, size_t errlen)
{
    rundir_free(rd);
    const char *header = metrics_header(rd);
    if (buf_append(&rd->metrics, header, strlen(header)) != 0 ||
        (!rd->training &&
         buf_append(&rd->alphas, RUNDIR_ALPHAS_HEADER, strlen(RUNDIR_ALPHAS_HEADER)) != 0) ||
        (has_monitors(rd) &&
         buf_append(&rd->monitors, RUNDIR_MONITORS_HEADER, strlen(RUNDIR_MONITORS_HEADER)) != 0)) {
        snprintf(err, errlen, "%s: out of memory", rd->path);
        rundir_free(rd);
        return -1;
    }
    if (write_buf(rd, "metrics.csv", &rd->metrics, err, errlen) != 0 ||
        (!rd->training && write_buf(rd, "alphas.csv", &rd->alphas, err, errlen) != 0) ||
        (has_monitors(rd) && write_buf(rd, "monitors.csv", &rd->monitors, err, errlen) != 0)) {
        rundir_free(rd);
        return -1;
    }
    return 0;
}

/* Loads DIR/name, checks the header, keeps the rows before the cut. */
static int load_csv(const RunDir *rd, const char *name, const char *header, int64_t cut,
                    int keep_cut, TextBuf *out, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, name, path, sizeof path);
    FILE *f = run_csv_open(path, err, errlen); /* a regular file of sane size */
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, header) != 0) {
                snprintf(err, errlen, "%s:1:1: unexpected header (expected %.*s)", path,
                         (int)strlen(header) - 1, header);
                rc = -1;
                break;
            }
        } else {
            char *end;
            errno = 0;
            long long step = strtoll(line, &end, 10);
            if (end == line || *end != ',' || errno) {
                snprintf(err, errlen, "%s:%d:1: expected %s number at the start of the row", path,
                         lineno, rd->training ? "an epoch" : "a step");
                rc = -1;
                break;
            }
            if (step > cut || (step == cut && !keep_cut))
                continue;
        }
        if (buf_append(out, line, (size_t)n) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && lineno == 0) {
        snprintf(err, errlen, "%s: empty file (expected the header %.*s)", path,
                 (int)strlen(header) - 1, header);
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

int rundir_open(RunDir *rd, int64_t cut, int keep_cut, char *err, size_t errlen)
{
    rundir_free(rd);
    atomic_file_clean_dir(rd->path);
    if (load_csv(rd, "metrics.csv", metrics_header(rd), cut, keep_cut, &rd->metrics, err, errlen) !=
            0 ||
        (!rd->training && load_csv(rd, "alphas.csv", RUNDIR_ALPHAS_HEADER, cut, keep_cut,
                                   &rd->alphas, err, errlen) != 0)) {
        rundir_free(rd);
        return -1;
    }
    if (!has_monitors(rd))
        return 0;
    char path[RUNDIR_FILE_MAX];
    struct stat st;
    rundir_file(rd, "monitors.csv", path, sizeof path);
    int rc;
    if (lstat(path, &st) != 0 && errno == ENOENT) { /* a run from before monitors.csv */
        rc = buf_append(&rd->monitors, RUNDIR_MONITORS_HEADER, strlen(RUNDIR_MONITORS_HEADER));
        if (rc != 0)
            snprintf(err, errlen, "%s: out of memory", path);
    } else {
        rc = load_csv(rd, "monitors.csv", RUNDIR_MONITORS_HEADER, cut, 1, &rd->monitors, err,
                      errlen);
    }
    if (rc != 0)
        rundir_free(rd);
    return rc;
}

int rundir_rewrite_rows(RunDir *rd, char *err, size_t errlen)
{
    if (write_buf(rd, "metrics.csv", &rd->metrics, err, errlen) != 0 ||
        (!rd->training && write_buf(rd, "alphas.csv", &rd->alphas, err, errlen) != 0) ||
        (has_monitors(rd) && write_buf(rd, "monitors.csv", &rd->monitors, err, errlen) != 0))
        return -1;
    return 0;
}

void rundir_kept_state_name(int64_t step, char *buf, size_t len)
{
    snprintf(buf, len, "state-%" PRId64 ".bin", step);
}

int rundir_remove_kept_state(const RunDir *rd, int64_t step, char *err, size_t errlen)
{
    char name[RUNDIR_NAME_MAX], path[RUNDIR_FILE_MAX];
    rundir_kept_state_name(step, name, sizeof name);
    rundir_file(rd, name, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove it (%s)", path, strerror(errno));
        return -1;
    }
    return 0;
}

void rundir_free(RunDir *rd)
{
    free(rd->metrics.data);
    free(rd->alphas.data);
    free(rd->monitors.data);
    memset(&rd->metrics, 0, sizeof rd->metrics);
    memset(&rd->alphas, 0, sizeof rd->alphas);
    memset(&rd->monitors, 0, sizeof rd->monitors);
}

/* Appends to a CSV buffer and rewrites the file; on failure the buffer is
 * rolled back so memory and disk stay in agreement. */
static int commit_rows(RunDir *rd, const char *name, TextBuf *b, size_t old_len, char *err,
                       size_t errlen)
{
    if (write_buf(rd, name, b, err, errlen) != 0) {
        b->len = old_len;
        b->data[old_len] = '\0';
        return -1;
    }
    return 0;
}

/* Appends a formatted row (n bytes of line, or n < 0: too long) to the
 * in-memory copy of FILE and writes the file. */
static int append_row(RunDir *rd, TextBuf *b, const char *file, const char *line, int n, char *err,
                      size_t errlen)
{
    size_t old = b->len;
    if (n < 0 || buf_append(b, line, (size_t)n) != 0) {
        snprintf(err, errlen, "%s/%s: %s", rd->path, file,
                 n < 0 ? "row too long" : "out of memory");
        return -1;
    }
    return commit_rows(rd, file, b, old, err, errlen);
}

int rundir_append_metrics(RunDir *rd, const MetricRow *r, char *err, size_t errlen)
{
    char line[METRIC_ROW_MAX];
    return append_row(rd, &rd->metrics, "metrics.csv", line,
                      metric_row_format(r, ",", line, sizeof line), err, errlen);
}

int rundir_append_train(RunDir *rd, const TrainRow *r, char *err, size_t errlen)
{
    char line[METRIC_ROW_MAX];
    return append_row(rd, &rd->metrics, "metrics.csv", line,
                      train_row_format(r, ",", line, sizeof line), err, errlen);
}

int rundir_append_monitors(RunDir *rd, const MonitorRow *row, char *err, size_t errlen)
{
    char line[MONITOR_ROW_MAX];
    return append_row(rd, &rd->monitors, "monitors.csv", line,
                      monitor_row_format(row, ",", line, sizeof line), err, errlen);
}

int rundir_append_alphas(RunDir *rd, int64_t step, int edges, const float *normal,
                         const float *reduce, char *err, size_t errlen)
{
    size_t old = rd->alphas.len;
    static const char *const cells[2] = {"normal", "reduce"};
    for (int c = 0; c < 2; c++) {
        const float *w = c == 0 ? normal : reduce;
        for (int e = 0; e < edges; e++)
            for (int o = 0; o < OP_COUNT; o++)
                if (buf_printf(&rd->alphas, "%" PRId64 ",%s,%d,%s,%.6f\n", step, cells[c], e,
                               op_names[o], w[e * OP_COUNT + o]) != 0) {
                    rd->alphas.len = old;
                    rd->alphas.data[old] = '\0';
                    snprintf(err, errlen, "%s/alphas.csv: out of memory", rd->path);
                    return -1;
                }
    }
    return commit_rows(rd, "alphas.csv", &rd->alphas, old, err, errlen);
}

static int fill_config(FILE *f, void *ctx)
{
    return config_write_yaml(ctx, f);
}

/* ---------------------------------------------------------------- recurrent search */

int rundir_append_rnn(RunDir *rd, const RnnRow *r, char *err, size_t errlen)
{
    char line[METRIC_ROW_MAX];
    return append_row(rd, &rd->metrics, "metrics.csv", line,
                      rnn_row_format(r, ",", line, sizeof line), err, errlen);
}

int rundir_append_rnn_alphas(RunDir *rd, int64_t step, const float *w, char *err, size_t errlen)
{
    size_t old = rd->alphas.len;
    for (int e = 0; e < RNN_EDGES; e++)
        for (int o = 0; o < RNN_OP_COUNT; o++)
            if (buf_printf(&rd->alphas, "%" PRId64 ",recurrent,%d,%s,%.6f\n", step, e,
                           rnn_op_names[o], w[e * RNN_OP_COUNT + o]) != 0) {
                rd->alphas.len = old;
                rd->alphas.data[old] = '\0';
                snprintf(err, errlen, "%s/alphas.csv: out of memory", rd->path);
                return -1;
            }
    return commit_rows(rd, "alphas.csv", &rd->alphas, old, err, errlen);
}

typedef struct RnnGenotypeFiles {
    const RnnGenotype *g;
    const float *w;
} RnnGenotypeFiles;

static int fill_rnn_genotype_py(FILE *f, void *ctx)
{
    return rnn_genotype_write_py(f, ((const RnnGenotypeFiles *)ctx)->g);
}

static int fill_rnn_genotype_json(FILE *f, void *ctx)
{
    const RnnGenotypeFiles *gf = ctx;
    return rnn_genotype_write_json(f, gf->g, gf->w);
}

int rundir_write_rnn_genotype(const RunDir *rd, const RnnGenotype *g, const float *weights,
                              char *err, size_t errlen)
{
    RnnGenotypeFiles gf = {g, weights};
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, "genotype.py", path, sizeof path);
    if (atomic_file_write(path, fill_rnn_genotype_py, &gf, err, errlen) != 0)
        return -1;
    rundir_file(rd, "genotype.json", path, sizeof path);
    return atomic_file_write(path, fill_rnn_genotype_json, &gf, err, errlen);
}

/* 1 with the path of metrics.csv in name when it holds rows to read back;
 * 0 (and no rows) when there is nothing. */
static int metrics_tail_name(const RunDir *rd, int max, int64_t *total, char name[RUNDIR_FILE_MAX])
{
    *total = 0;
    if (!rd->metrics.data || max <= 0)
        return 0;
    rundir_file(rd, "metrics.csv", name, RUNDIR_FILE_MAX);
    return 1;
}

int rundir_rnn_rows(const RunDir *rd, RnnRow *rows, int max, int64_t *total, char *err,
                    size_t errlen)
{
    char name[RUNDIR_FILE_MAX];
    return metrics_tail_name(rd, max, total, name)
               ? run_rnn_tail(name, rd->metrics.data, rd->metrics.len, rows, max, total, err,
                              errlen)
               : 0;
}

int rundir_write_config(const RunDir *rd, const Config *cfg, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, "config.yaml", path, sizeof path);
    return atomic_file_write(path, fill_config, (void *)cfg, err, errlen);
}

typedef struct GenotypeFiles {
    const Genotype *g;
    const float *normal, *reduce;
} GenotypeFiles;

static int fill_genotype_py(FILE *f, void *ctx)
{
    const GenotypeFiles *gf = ctx;
    return genotype_write_py(f, gf->g);
}

static int fill_genotype_json(FILE *f, void *ctx)
{
    const GenotypeFiles *gf = ctx;
    return genotype_write_json(f, gf->g, gf->normal, gf->reduce);
}

int rundir_write_genotype(const RunDir *rd, const Genotype *g, const float *normal,
                          const float *reduce, char *err, size_t errlen)
{
    GenotypeFiles gf = {g, normal, reduce};
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, "genotype.py", path, sizeof path);
    if (atomic_file_write(path, fill_genotype_py, &gf, err, errlen) != 0)
        return -1;
    rundir_file(rd, "genotype.json", path, sizeof path);
    return atomic_file_write(path, fill_genotype_json, &gf, err, errlen);
}

int rundir_log_change(const RunDir *rd, int64_t step, const char *key, const char *old_value,
                      const char *new_value, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, "changes.log", path, sizeof path);
    TextBuf b = {0};
    if (access(path, F_OK) == 0 || errno != ENOENT) {
        FILE *f = run_csv_open(path, err, errlen); /* a regular file of sane size */
        if (!f)
            return -1;
        char chunk[4096];
        size_t n;
        int bad = 0;
        while (!bad && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            bad = buf_append(&b, chunk, n) != 0;
        bad |= ferror(f) != 0;
        fclose(f);
        if (bad) { /* never rewrite the log from part of it */
            snprintf(err, errlen, "%s: cannot read it whole", path);
            free(b.data);
            return -1;
        }
    }
    int rc = buf_printf(&b, "step %" PRId64 ": %s %s -> %s\n", step, key, old_value, new_value);
    if (rc != 0)
        snprintf(err, errlen, "%s: out of memory", path);
    else
        rc = atomic_file_write_bytes(path, b.data, b.len, err, errlen);
    free(b.data);
    return rc;
}

int rundir_metric_rows(const RunDir *rd, MetricRow *rows, int max, int64_t *total, char *err,
                       size_t errlen)
{
    char name[RUNDIR_FILE_MAX];
    return metrics_tail_name(rd, max, total, name)
               ? run_metrics_tail(name, rd->metrics.data, rd->metrics.len, rows, max, total, err,
                                  errlen)
               : 0;
}

int rundir_train_rows(const RunDir *rd, TrainRow *rows, int max, int64_t *total, char *err,
                      size_t errlen)
{
    char name[RUNDIR_FILE_MAX];
    return metrics_tail_name(rd, max, total, name)
               ? run_train_tail(name, rd->metrics.data, rd->metrics.len, rows, max, total, err,
                                errlen)
               : 0;
}

/* s as a JSON string: quotes, backslashes and control characters escaped
 * (bytes >= 0x80 pass: the names are UTF-8 or shown with '?'). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The genotype as its official Python line, without the newline. */
static void genotype_line(const Genotype *g, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *m = fmemopen(buf, len, "w");
    if (!m)
        return;
    genotype_write_py(m, g);
    fclose(m);
    buf[strcspn(buf, "\n")] = '\0';
}

/* The fields every results.json opens with. */
static void results_head(FILE *f, const char *preset, const char *dataset, const char *genotype)
{
    fprintf(f, "{\n  \"preset\": ");
    json_string(f, preset);
    fprintf(f, ",\n  \"dataset\": ");
    json_string(f, dataset);
    fprintf(f, ",\n  \"genotype\": ");
    json_string(f, genotype);
}

static int fill_results(FILE *f, void *ctx)
{
    const TrainResults *r = ctx;
    char line[4096];
    genotype_line(r->genotype, line, sizeof line);
    results_head(f, r->preset, r->dataset, line);
    fprintf(f,
            ",\n  \"epochs\": %d,\n  \"epochs_planned\": %d,\n  \"test_samples\": %d,\n"
            "  \"test_accuracy\": %.4f,\n  \"test_error\": %.4f,\n  \"test_loss\": %.6f,\n"
            "  \"class_accuracy\": [",
            r->epochs, r->epochs_planned, r->test_samples, r->test_acc, 100.0 - r->test_acc,
            r->test_loss);
    for (int c = 0; c < r->classes; c++)
        fprintf(f, "%s%.4f", c ? ", " : "", r->class_acc[c]);
    fprintf(f,
            "],\n  \"params\": %zu,\n  \"params_with_auxiliary\": %zu,\n"
            "  \"seconds\": %.3f\n}\n",
            r->params, r->params_aux, r->seconds);
    return 0;
}

int rundir_write_results(const RunDir *rd, const TrainResults *r, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, "results.json", path, sizeof path);
    return atomic_file_write(path, fill_results, (void *)r, err, errlen);
}

/* ---------------------------------------------------------------- viewers */

/* The per-user directory for sockets that cannot live in the run
 * directory: created 0700, and used only when it is a real directory of
 * ours that nobody else can enter. */
static int runtime_dir(char *buf, size_t len, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    const char *tmp = getenv("TMPDIR");
    int n = xdg && *xdg ? snprintf(buf, len, "%s/dartboard", xdg)
                        : snprintf(buf, len, "%s/dartboard-%ld", tmp && *tmp ? tmp : "/tmp",
                                   (long)getuid());
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the runtime directory path is too long for a socket");
        return -1;
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create (%s)", buf, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(buf, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077)) {
        snprintf(err, errlen, "%s: not a private directory of this user (expected mode 0700)", buf);
        return -1;
    }
    return 0;
}

int rundir_socket_path(const char *dir, int fallback, char *buf, size_t len, char *err,
                       size_t errlen)
{
    int n = snprintf(buf, len, "%s/%s", dir, RUNDIR_SOCKET);
    if (!fallback && n > 0 && (size_t)n < len && n < RUNDIR_SOCKET_PATH_MAX)
        return 0;
    char real[PATH_MAX], rt[RUNDIR_SOCKET_PATH_MAX];
    if (!realpath(dir, real)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (runtime_dir(rt, sizeof rt, err, errlen) != 0)
        return -1;
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 of the real path: one name per run */
    for (const char *p = real; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    n = snprintf(buf, len, "%s/%016" PRIx64 ".sock", rt, h);
    if (n < 0 || (size_t)n >= len || n >= RUNDIR_SOCKET_PATH_MAX) {
        snprintf(err, errlen, "%s: too long for a socket address", rt);
        return -1;
    }
    return 0;
}

int rundir_open_log(const char *dir, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, RUNDIR_LOG);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    return fd;
}

RunLiveness rundir_liveness(const char *dir, long *pid)
{
    char path[RUNDIR_FILE_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, RUNDIR_LOCK);
    *pid = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return RUN_ENDED;
    *pid = lock_holder(fd);
    /* A shared lock for a moment: refused while the writer holds its
     * exclusive one. */
    RunLiveness l = RUN_STALE;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        l = errno == EWOULDBLOCK ? RUN_LIVE : RUN_STALE;
    close(fd);
    return l;
}

int rundir_write_outcome(const char *dir, const char *state, int64_t step, int64_t total, char *err,
                         size_t errlen)
{
    char path[RUNDIR_FILE_MAX], text[96];
    snprintf(path, sizeof path, "%s/%s", dir, RUNDIR_OUTCOME);
    int n = snprintf(text, sizeof text, "%s %" PRId64 " %" PRId64 "\n", state, step, total);
    return atomic_file_write_bytes(path, text, (size_t)n, err, errlen);
}

int rundir_read_outcome(const char *dir, char *state, size_t len, int64_t *step, int64_t *total)
{
    char path[RUNDIR_FILE_MAX], text[96], word[16];
    snprintf(path, sizeof path, "%s/%s", dir, RUNDIR_OUTCOME);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text, sizeof text - 1) : -1;
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    if (sscanf(text, "%15s %" SCNd64 " %" SCNd64, word, step, total) != 3)
        return -1;
    snprintf(state, len, "%s", word);
    return 0;
}

/* ---------------------------------------------------------------- the training of a recurrent cell
 */

void rundir_rnn_genotype_line(const RnnGenotype *g, char *buf, size_t len)
{
    if (len == 0)
        return;
    buf[0] = '\0';
    FILE *f = fmemopen(buf, len, "w");
    if (!f)
        return;
    rnn_genotype_write_py(f, g);
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

int rundir_append_rnn_train(RunDir *rd, const RnnTrainRow *r, char *err, size_t errlen)
{
    char line[METRIC_ROW_MAX];
    return append_row(rd, &rd->metrics, "metrics.csv", line,
                      rnn_train_row_format(r, ",", line, sizeof line), err, errlen);
}

int rundir_rnn_train_rows(const RunDir *rd, RnnTrainRow *rows, int max, int64_t *total, char *err,
                          size_t errlen)
{
    char name[RUNDIR_FILE_MAX];
    return metrics_tail_name(rd, max, total, name)
               ? run_rnn_train_tail(name, rd->metrics.data, rd->metrics.len, rows, max, total, err,
                                    errlen)
               : 0;
}

/* exp(loss) as JSON can hold it (a diverged loss gives no infinity). */
static double perplexity(double loss)
{
    return exp(loss < 700.0 ? loss : 700.0);
}

static int fill_rnn_results(FILE *f, void *ctx)
{
    const RnnTrainResults *r = ctx;
    char line[1024];
    rundir_rnn_genotype_line(r->genotype, line, sizeof line);
    results_head(f, r->preset, r->dataset, line);
    fprintf(f,
            ",\n  \"epochs\": %d,\n  \"epochs_planned\": %d,\n  \"asgd_after_epoch\": %d,\n"
            "  \"test_tokens\": %lld,\n  \"test_loss\": %.6f,\n  \"test_perplexity\": %.4f,\n"
            "  \"valid_loss\": %.6f,\n  \"valid_perplexity\": %.4f,\n  \"params\": %zu,\n"
            "  \"seconds\": %.3f\n}\n",
            r->epochs, r->epochs_planned, r->asgd_epoch, r->test_tokens, r->test_loss,
            perplexity(r->test_loss), isfinite(r->val_loss) ? r->val_loss : 0.0,
            isfinite(r->val_loss) ? perplexity(r->val_loss) : 0.0, r->params, r->seconds);
    return 0;
}

int rundir_write_rnn_results(const RunDir *rd, const RnnTrainResults *r, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(rd, "results.json", path, sizeof path);
    return atomic_file_write(path, fill_rnn_results, (void *)r, err, errlen);
}
/* ---------------------------------------------------------------- end of the recurrent training */
