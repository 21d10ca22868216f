/* run_csv: metrics.csv and alphas.csv of a run directory, written through
 * one column table and read back with positioned errors. Lines are read
 * byte by byte into a fixed buffer and counted against the bounds of
 * run_csv.h, so no input makes a reader grow without limit. */
#define _GNU_SOURCE /* fmemopen, getc_unlocked */
#include "dartboard/run_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 32

/* ------------------------------------------------------------ the table */

#define METRIC_NAME(id, name, field, conv) [id] = name,
const char *const metric_column_names[METRIC_COLUMN_COUNT] = {METRIC_COLUMNS(METRIC_NAME)};
const char *const train_column_names[TRAIN_COLUMN_COUNT] = {TRAIN_COLUMNS(METRIC_NAME)};
const char *const rnn_column_names[RNN_COLUMN_COUNT] = {RNN_COLUMNS(METRIC_NAME)};
const char *const rnn_train_column_names[RNN_TRAIN_COLUMN_COUNT] = {RNN_TRAIN_COLUMNS(METRIC_NAME)};
#undef METRIC_NAME

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len - *used)
        return -1;
    *used += (size_t)n;
    return 0;
}

int metric_row_format(const MetricRow *r, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -1;
#define METRIC_WRITE(id, name, field, conv)                                                        \
    if (append(buf, len, &used, "%s" conv, (id) == 0 ? "" : sep, r->field) != 0)                   \
        return -1;
    METRIC_COLUMNS(METRIC_WRITE)
#undef METRIC_WRITE
    if (append(buf, len, &used, "\n") != 0)
        return -1;
    return (int)used;
}

#define MONITOR_NAME(id, name, field, conv) name,
const char *const monitor_column_names[MONITOR_COLUMN_COUNT] = {MONITOR_COLUMNS(MONITOR_NAME)};
#undef MONITOR_NAME

int monitor_row_format(const MonitorRow *r, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -1;
#define MONITOR_WRITE(id, name, field, conv)                                                       \
    if (append(buf, len, &used, "%s" conv, (id) == 0 ? "" : sep, r->field) != 0)                   \
        return -1;
    MONITOR_COLUMNS(MONITOR_WRITE)
#undef MONITOR_WRITE
    if (append(buf, len, &used, "\n") != 0)
        return -1;
    return (int)used;
}

int train_row_format(const TrainRow *r, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -1;
#define TRAIN_WRITE(id, name, field, conv)                                                         \
    if (append(buf, len, &used, "%s" conv, (id) == 0 ? "" : sep, r->field) != 0)                   \
        return -1;
    TRAIN_COLUMNS(TRAIN_WRITE)
#undef TRAIN_WRITE
    if (append(buf, len, &used, "\n") != 0)
        return -1;
    return (int)used;
}

int rnn_row_format(const RnnRow *r, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -1;
#define RNN_WRITE(id, name, field, conv)                                                           \
    if (append(buf, len, &used, "%s" conv, (id) == 0 ? "" : sep, r->field) != 0)                   \
        return -1;
    RNN_COLUMNS(RNN_WRITE)
#undef RNN_WRITE
    if (append(buf, len, &used, "\n") != 0)
        return -1;
    return (int)used;
}

int rnn_train_row_format(const RnnTrainRow *r, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -1;
#define RNN_TRAIN_WRITE(id, name, field, conv)                                                     \
    if (append(buf, len, &used, "%s" conv, (id) == 0 ? "" : sep, r->field) != 0)                   \
        return -1;
    RNN_TRAIN_COLUMNS(RNN_TRAIN_WRITE)
#undef RNN_TRAIN_WRITE
    if (append(buf, len, &used, "\n") != 0)
        return -1;
    return (int)used;
}

/* ------------------------------------------------------------ the reader */

typedef struct CsvFile {
    const char *path;
    FILE *f;
    int line;
    int64_t bytes; /* read so far */
    char buf[RUN_CSV_MAX_LINE + 1];
    int nfields;
    char *field[MAX_FIELDS];
    int col[MAX_FIELDS]; /* 1-based column of each field */
    char *err;
    size_t errlen;
} CsvFile;

static int csv_error(CsvFile *c, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int csv_error(CsvFile *c, int col, const char *fmt, ...)
{
    int n = col > 0 ? snprintf(c->err, c->errlen, "%s:%d:%d: ", c->path, c->line, col)
                    : snprintf(c->err, c->errlen, "%s:%d: ", c->path, c->line);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

FILE *run_csv_open(const char *path, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s (expected a regular file written by dartboard)", path,
                 file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    if ((int64_t)st.st_size > RUN_CSV_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes (expected at most %lld for a run's log)", path,
                 (long long)st.st_size, (long long)RUN_CSV_MAX_BYTES);
        close(fd);
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *f = flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

/* The next line into c->buf (without its '\n', '\r' dropped). 1 = a line,
 * 0 = end of file, -1 = error. A file that grows while it is read is held
 * to the same bound as one that was large from the start. */
static int csv_read_line(CsvFile *c, size_t *len)
{
    size_t n = 0;
    int ch;
    c->line++;
    while ((ch = getc_unlocked(c->f)) != EOF && ch != '\n') {
        if (++c->bytes > RUN_CSV_MAX_BYTES)
            return csv_error(c, 0, "more than %lld bytes (expected at most that for a run's log)",
                             (long long)RUN_CSV_MAX_BYTES);
        if (ch == '\0')
            return csv_error(c, (int)n + 1, "a NUL byte (expected text)");
        if (n == RUN_CSV_MAX_LINE)
            return csv_error(c, 0, "line longer than %d bytes (expected a short CSV row)",
                             RUN_CSV_MAX_LINE);
        c->buf[n++] = (char)ch;
    }
    if (ch == EOF) {
        if (ferror(c->f))
            return csv_error(c, 0, "read error: %s", strerror(errno));
        if (n == 0) {
            c->line--;
            return 0;
        }
    } else {
        c->bytes++;
    }
    while (n && c->buf[n - 1] == '\r')
        n--;
    c->buf[n] = '\0';
    *len = n;
    return 1;
}

/* Next non-empty line split at commas, fields trimmed. 1 = a line, 0 = end, -1 = error. */
static int csv_next(CsvFile *c)
{
    size_t len;
    int rc;
    do
        rc = csv_read_line(c, &len);
    while (rc == 1 && len == 0);
    if (rc != 1)
        return rc;
    c->nfields = 0;
    char *p = c->buf;
    for (;;) {
        if (c->nfields == MAX_FIELDS)
            return csv_error(c, (int)(p - c->buf) + 1, "more than %d fields", MAX_FIELDS);
        while (*p == ' ' || *p == '\t')
            p++;
        c->col[c->nfields] = (int)(p - c->buf) + 1;
        c->field[c->nfields++] = p;
        char *comma = strchr(p, ',');
        char *end = comma ? comma : p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *end = '\0';
        if (!comma)
            return 1;
        p = comma + 1;
    }
}

/* Reads the header of an opened file and maps each wanted column name to
 * its field index. Closes f on failure. */
static int csv_begin(CsvFile *c, const char *path, FILE *f, const char *const *names, int nnames,
                     int *index, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->f = f;
    c->err = err;
    c->errlen = errlen;
    int rc = csv_next(c);
    if (rc <= 0) {
        if (rc == 0) {
            c->line = 1;
            csv_error(c, 1, "empty file (expected a header line)");
        }
        fclose(f);
        return -1;
    }
    for (int k = 0; k < nnames; k++) {
        index[k] = -1;
        for (int i = 0; i < c->nfields; i++)
            if (strcmp(c->field[i], names[k]) == 0)
                index[k] = i;
        if (index[k] < 0) {
            char want[256] = "";
            for (int j = 0; j < nnames; j++) {
                size_t n = strlen(want);
                snprintf(want + n, sizeof want - n, "%s%s", j ? "," : "", names[j]);
            }
            csv_error(c, 1, "header lacks column '%s' (expected %s)", names[k], want);
            fclose(f);
            return -1;
        }
    }
    return 0;
}

static int csv_text(CsvFile *c, int i, const char **out)
{
    if (i >= c->nfields)
        return csv_error(c, 0, "row has %d fields (expected at least %d)", c->nfields, i + 1);
    *out = c->field[i];
    return 0;
}

static int csv_double(CsvFile *c, int i, double *out)
{
    const char *s = "";
    if (csv_text(c, i, &s) != 0)
        return -1;
    char *end;
    *out = strtod(s, &end);
    if (end == s || *end != '\0')
        return csv_error(c, c->col[i], "'%s' is not a number", s);
    return 0;
}

static int csv_float(CsvFile *c, int i, float *out)
{
    double v;
    if (csv_double(c, i, &v) != 0)
        return -1;
    *out = (float)v;
    return 0;
}

static int csv_long(CsvFile *c, int i, long long lo, long long hi, long long *out)
{
    const char *s = "";
    if (csv_text(c, i, &s) != 0)
        return -1;
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return csv_error(c, c->col[i], "'%s' is not an integer", s);
    if (*out < lo || *out > hi)
        return csv_error(c, c->col[i], "%s out of range (expected %lld..%lld)", s, lo, hi);
    return 0;
}

static int csv_i64(CsvFile *c, int i, int64_t *out)
{
    long long v;
    if (csv_long(c, i, INT64_MIN, INT64_MAX, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

static int csv_int(CsvFile *c, int i, int *out)
{
    long long v;
    if (csv_long(c, i, INT_MIN, INT_MAX, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* ----------------------------------------------------------- metrics.csv */

/* The parser of a row field, chosen by the field's type. */
#define CSV_PARSE(field)                                                                           \
    _Generic((field), int64_t *: csv_i64, int *: csv_int, float *: csv_float, double *: csv_double)

static int metric_row_read(CsvFile *c, const int *idx, void *row)
{
    MetricRow *r = row;
#define METRIC_READ(id, name, field, conv)                                                         \
    if (CSV_PARSE(&r->field)(c, idx[id], &r->field) != 0)                                          \
        return -1;
    METRIC_COLUMNS(METRIC_READ)
#undef METRIC_READ
    return 0;
}

static int train_row_read(CsvFile *c, const int *idx, void *row)
{
    TrainRow *r = row;
#define TRAIN_READ(id, name, field, conv)                                                          \
    if (CSV_PARSE(&r->field)(c, idx[id], &r->field) != 0)                                          \
        return -1;
    TRAIN_COLUMNS(TRAIN_READ)
#undef TRAIN_READ
    return 0;
}

static int rnn_row_read(CsvFile *c, const int *idx, void *row)
{
    RnnRow *r = row;
#define RNN_READ(id, name, field, conv)                                                            \
    if (CSV_PARSE(&r->field)(c, idx[id], &r->field) != 0)                                          \
        return -1;
    RNN_COLUMNS(RNN_READ)
#undef RNN_READ
    return 0;
}

static int64_t rnn_row_key(const void *row)
{
    return ((const RnnRow *)row)->step;
}

static int rnn_train_row_read(CsvFile *c, const int *idx, void *row)
{
    RnnTrainRow *r = row;
#define RNN_TRAIN_READ(id, name, field, conv)                                                      \
    if (CSV_PARSE(&r->field)(c, idx[id], &r->field) != 0)                                          \
        return -1;
    RNN_TRAIN_COLUMNS(RNN_TRAIN_READ)
#undef RNN_TRAIN_READ
    return 0;
}

static int64_t rnn_train_row_key(const void *row)
{
    return ((const RnnTrainRow *)row)->epoch;
}

static int64_t metric_row_key(const void *row)
{
    return ((const MetricRow *)row)->step;
}

static int64_t train_row_key(const void *row)
{
    return ((const TrainRow *)row)->epoch;
}

/* What differs between the two kinds of metrics.csv: a search's (a row per
 * report, ascending steps) and a training run's (a row per epoch). */
typedef struct RowKind {
    const char *const *names;
    int count;
    size_t size;
    int key_column; /* ascending: step or epoch */
    int (*read)(CsvFile *c, const int *idx, void *row);
    int64_t (*key)(const void *row);
} RowKind;

static const RowKind metric_kind = {metric_column_names, METRIC_COLUMN_COUNT, sizeof(MetricRow),
                                    METRIC_STEP,         metric_row_read,     metric_row_key};
static const RowKind train_kind = {train_column_names, TRAIN_COLUMN_COUNT, sizeof(TrainRow),
                                   TRAIN_EPOCH,        train_row_read,     train_row_key};
static const RowKind rnn_kind = {rnn_column_names, RNN_COLUMN_COUNT, sizeof(RnnRow),
                                 RNN_STEP,         rnn_row_read,     rnn_row_key};

static const RowKind rnn_train_kind = {rnn_train_column_names, RNN_TRAIN_COLUMN_COUNT,
                                       sizeof(RnnTrainRow),    RNN_TRAIN_EPOCH,
                                       rnn_train_row_read,     rnn_train_row_key};

/* Where the rows of rows_read() go: all of them into a growing array
 * (a file), or the newest `cap` into a ring (the text of a run being
 * resumed, already in memory: no bound on the number of rows). */
typedef struct RowSink {
    void **all; /* the growing array */
    int *n;
    char *ring;
    int cap;
    int64_t count;
} RowSink;

static int row_store(CsvFile *c, const RowKind *k, RowSink *sink, const void *r)
{
    if (sink->ring) {
        memcpy(sink->ring + (size_t)(sink->count++ % sink->cap) * k->size, r, k->size);
        return 0;
    }
    if (*sink->n == RUN_CSV_MAX_REPORTS)
        return csv_error(c, 0, "more than %d rows (expected at most that many reports)",
                         RUN_CSV_MAX_REPORTS);
    if (*sink->n == sink->cap) {
        int cap = sink->cap ? 2 * sink->cap : 64;
        void *rows = realloc(*sink->all, (size_t)cap * k->size);
        if (!rows)
            return csv_error(c, 0, "out of memory");
        *sink->all = rows;
        sink->cap = cap;
    }
    memcpy((char *)*sink->all + (size_t)(*sink->n)++ * k->size, r, k->size);
    sink->count++;
    return 0;
}

/* Reads the rows of an opened metrics file into sink; closes it. */
static int rows_read(const RowKind *k, const char *path, FILE *f, RowSink *sink, char *err,
                     size_t errlen)
{
    int idx[MAX_FIELDS];
    CsvFile c;
    if (csv_begin(&c, path, f, k->names, k->count, idx, err, errlen) != 0)
        return -1;
    int rc;
    int64_t prev = INT64_MIN;
    union {
        MetricRow m;
        TrainRow t;
    } row;
    while ((rc = csv_next(&c)) == 1) {
        memset(&row, 0, sizeof row);
        if (k->read(&c, idx, &row) != 0) {
            rc = -1;
            break;
        }
        int64_t key = k->key(&row);
        if (key < prev) {
            const char *name = k->names[k->key_column];
            rc = csv_error(&c, c.col[idx[k->key_column]],
                           "%s %lld after %s %lld (expected ascending %ss)", name, (long long)key,
                           name, (long long)prev, name);
            break;
        }
        prev = key;
        if (row_store(&c, k, sink, &row) != 0) {
            rc = -1;
            break;
        }
    }
    fclose(c.f);
    return rc;
}

int run_metrics_load(const char *path, RunMetrics *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    FILE *f = run_csv_open(path, err, errlen);
    RowSink sink = {.all = (void **)&m->rows, .n = &m->n};
    if (!f)
        return -1;
    if (rows_read(&metric_kind, path, f, &sink, err, errlen) != 0) {
        run_metrics_free(m);
        return -1;
    }
    return 0;
}

static void reverse(char *rows, size_t size, int n)
{
    char t[sizeof(MetricRow) > sizeof(TrainRow) ? sizeof(MetricRow) : sizeof(TrainRow)];
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        memcpy(t, rows + (size_t)i * size, size);
        memcpy(rows + (size_t)i * size, rows + (size_t)j * size, size);
        memcpy(rows + (size_t)j * size, t, size);
    }
}

static int rows_tail(const RowKind *k, const char *name, const char *text, size_t len, void *rows,
                     int max, int64_t *total, char *err, size_t errlen)
{
    *total = 0;
    if (len == 0) {
        snprintf(err, errlen, "%s:1:1: empty file (expected a header line)", name);
        return -1;
    }
    FILE *f = max > 0 ? fmemopen((void *)text, len, "r") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", name, max > 0 ? strerror(errno) : "no room for rows");
        return -1;
    }
    RowSink sink = {.ring = rows, .cap = max};
    if (rows_read(k, name, f, &sink, err, errlen) != 0)
        return -1;
    *total = sink.count;
    if (sink.count <= max)
        return (int)sink.count;
    /* Rotate the ring in place so the oldest kept row comes first. */
    int start = (int)(sink.count % max);
    reverse(rows, k->size, start);
    reverse((char *)rows + (size_t)start * k->size, k->size, max - start);
    reverse(rows, k->size, max);
    return max;
}

int run_metrics_tail(const char *name, const char *text, size_t len, MetricRow *rows, int max,
                     int64_t *total, char *err, size_t errlen)
{
    return rows_tail(&metric_kind, name, text, len, rows, max, total, err, errlen);
}

int run_train_tail(const char *name, const char *text, size_t len, TrainRow *rows, int max,
                   int64_t *total, char *err, size_t errlen)
{
    return rows_tail(&train_kind, name, text, len, rows, max, total, err, errlen);
}

int run_rnn_tail(const char *name, const char *text, size_t len, RnnRow *rows, int max,
                 int64_t *total, char *err, size_t errlen)
{
    return rows_tail(&rnn_kind, name, text, len, rows, max, total, err, errlen);
}

int run_rnn_load(const char *path, RunRnn *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    FILE *f = run_csv_open(path, err, errlen);
    RowSink sink = {.all = (void **)&r->rows, .n = &r->n};
    if (!f)
        return -1;
    if (rows_read(&rnn_kind, path, f, &sink, err, errlen) != 0) {
        run_rnn_free(r);
        return -1;
    }
    return 0;
}

void run_rnn_free(RunRnn *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

int run_rnn_train_tail(const char *name, const char *text, size_t len, RnnTrainRow *rows, int max,
                       int64_t *total, char *err, size_t errlen)
{
    return rows_tail(&rnn_train_kind, name, text, len, rows, max, total, err, errlen);
}

int run_train_load(const char *path, RunTrain *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = run_csv_open(path, err, errlen);
    RowSink sink = {.all = (void **)&t->rows, .n = &t->n};
    if (!f)
        return -1;
    if (rows_read(&train_kind, path, f, &sink, err, errlen) != 0) {
        run_train_free(t);
        return -1;
    }
    return 0;
}

void run_train_free(RunTrain *t)
{
    free(t->rows);
    t->rows = NULL;
    t->n = 0;
}

void run_metrics_free(RunMetrics *m)
{
    free(m->rows);
    m->rows = NULL;
    m->n = 0;
}

/* ------------------------------------------------------------ alphas.csv */

enum { ALPHA_STEP, ALPHA_CELL, ALPHA_EDGE, ALPHA_OP, ALPHA_WEIGHT, ALPHA_COLUMN_COUNT };
static const char *const alpha_column_names[ALPHA_COLUMN_COUNT] = {"step", "cell", "edge", "op",
                                                                   "weight"};

/* One row of alphas.csv. */
typedef struct AlphaRow {
    int64_t step;
    int cell, edge, op;
    double weight;
} AlphaRow;

/* The reader's state: the file, the frames so far and what the current
 * block has listed (on the stack: the UI plots from a helper thread). */
typedef struct AlphaReader {
    CsvFile c;
    int idx[ALPHA_COLUMN_COUNT];
    AlphaHistory *h;
    AlphaFrame *cur; /* the block being read */
    int cap, block_edges;
    unsigned char seen[2 * GENOTYPE_MAX_EDGES * OP_COUNT];
} AlphaReader;

static const char *const cell_names[2] = {"normal", "reduce"};

static int alpha_row_read(AlphaReader *a, AlphaRow *r)
{
    CsvFile *c = &a->c;
    const int *idx = a->idx;
    const char *cell = "", *op = "";
    if (csv_i64(c, idx[ALPHA_STEP], &r->step) != 0 || csv_text(c, idx[ALPHA_CELL], &cell) != 0 ||
        csv_text(c, idx[ALPHA_OP], &op) != 0 || csv_double(c, idx[ALPHA_WEIGHT], &r->weight) != 0)
        return -1;
    r->cell = strcmp(cell, "normal") == 0 ? 0 : strcmp(cell, "reduce") == 0 ? 1 : -1;
    if (r->cell < 0)
        return csv_error(c, c->col[idx[ALPHA_CELL]], "cell '%s' (expected normal or reduce)", cell);
    long long edge;
    if (csv_long(c, idx[ALPHA_EDGE], 0, GENOTYPE_MAX_EDGES - 1, &edge) != 0)
        return -1;
    r->edge = (int)edge;
    r->op = op_from_name(op);
    if (r->op < 0) {
        char *end;
        long long n = strtoll(op, &end, 10);
        if (*end == '\0' && end != op && n >= 0 && n < OP_COUNT)
            r->op = (int)n;
    }
    if (r->op < 0)
        return csv_error(c, c->col[idx[ALPHA_OP]],
                         "unknown op '%s' (expected a DARTS op name or 0..%d)", op, OP_COUNT - 1);
    return 0;
}

/* Checks that the current block listed every (cell, edge, op) once and has
 * as many edges as the blocks before it. */
static int block_close(AlphaReader *a, const char *where)
{
    for (int cell = 0; cell < 2; cell++)
        for (int e = 0; e < a->block_edges; e++)
            for (int o = 0; o < OP_COUNT; o++)
                if (!a->seen[(cell * GENOTYPE_MAX_EDGES + e) * OP_COUNT + o])
                    return csv_error(&a->c, 0,
                                     "the block of step %lld lacks %s edge %d op %s "
                                     "(expected every cell, edge and op once per report)",
                                     (long long)a->cur->step, cell_names[cell], e, op_names[o]);
    if (a->h->n > 1 && a->block_edges != a->h->edges)
        return csv_error(&a->c, 0,
                         "%s has %d edges, earlier ones %d (expected the same cell in every "
                         "report)",
                         where, a->block_edges, a->h->edges);
    a->h->edges = a->block_edges;
    return 0;
}

/* Starts the block of r->step after closing the current one. */
static int block_open(AlphaReader *a, const AlphaRow *r)
{
    AlphaHistory *h = a->h;
    if (a->cur) {
        if (block_close(a, "the block before this line") != 0)
            return -1;
        if (r->step < a->cur->step)
            return csv_error(&a->c, a->c.col[a->idx[ALPHA_STEP]],
                             "step %lld after step %lld (expected ascending report blocks)",
                             (long long)r->step, (long long)a->cur->step);
    }
    if (h->n == RUN_CSV_MAX_REPORTS)
        return csv_error(&a->c, 0, "more than %d report blocks (expected at most that many)",
                         RUN_CSV_MAX_REPORTS);
    if (h->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 32;
        AlphaFrame *frames = realloc(h->frames, (size_t)cap * sizeof *frames);
        if (!frames)
            return csv_error(&a->c, 0, "out of memory");
        h->frames = frames;
        a->cap = cap;
    }
    a->cur = &h->frames[h->n++];
    memset(a->cur, 0, sizeof *a->cur);
    a->cur->step = r->step;
    memset(a->seen, 0, sizeof a->seen);
    a->block_edges = 0;
    return 0;
}

static int alpha_row_store(AlphaReader *a, const AlphaRow *r)
{
    if ((!a->cur || a->cur->step != r->step) && block_open(a, r) != 0)
        return -1;
    unsigned char *s = &a->seen[(r->cell * GENOTYPE_MAX_EDGES + r->edge) * OP_COUNT + r->op];
    if (*s)
        return csv_error(&a->c, 0,
                         "%s edge %d op %s listed twice in the block of step %lld (expected once)",
                         cell_names[r->cell], r->edge, op_names[r->op], (long long)r->step);
    *s = 1;
    (r->cell ? a->cur->reduce : a->cur->normal)[r->edge * OP_COUNT + r->op] = (float)r->weight;
    if (r->edge + 1 > a->block_edges)
        a->block_edges = r->edge + 1;
    return 0;
}

/* After the last row: the last block is complete and the edges are a cell's. */
static int alphas_finish(AlphaReader *a)
{
    AlphaHistory *h = a->h;
    if (!a->cur)
        return csv_error(&a->c, 0, "no rows (expected at least one report block)");
    if (block_close(a, "the last block") != 0)
        return -1;
    h->nodes = 0;
    for (int n = 1; n <= GENOTYPE_MAX_NODES; n++)
        if (genotype_edge_count(n) == h->edges)
            h->nodes = n;
    if (!h->nodes)
        return csv_error(&a->c, 0,
                         "%d edges per cell is no DARTS cell (expected 2, 5, 9, 14, ...: "
                         "n(n+3)/2 for n nodes)",
                         h->edges);
    return 0;
}

int run_alphas_load(const char *path, AlphaHistory *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    FILE *f = run_csv_open(path, err, errlen);
    if (!f)
        return -1;
    AlphaReader a = {.h = h};
    if (csv_begin(&a.c, path, f, alpha_column_names, ALPHA_COLUMN_COUNT, a.idx, err, errlen) != 0)
        return -1;
    int rc;
    while ((rc = csv_next(&a.c)) == 1) {
        AlphaRow r;
        if (alpha_row_read(&a, &r) != 0 || alpha_row_store(&a, &r) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0)
        rc = alphas_finish(&a);
    fclose(a.c.f);
    if (rc != 0)
        run_alphas_free(h);
    return rc;
}

/* A recurrent search's alphas.csv: blocks of cell `recurrent`, every (edge,
 * op) of the 36 x 5 once per block, blocks by ascending step. */
int run_rnn_alphas_load(const char *path, RnnAlphaHistory *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    FILE *f = run_csv_open(path, err, errlen);
    if (!f)
        return -1;
    CsvFile c;
    int idx[ALPHA_COLUMN_COUNT], cap = 0, rc;
    if (csv_begin(&c, path, f, alpha_column_names, ALPHA_COLUMN_COUNT, idx, err, errlen) != 0)
        return -1;
    unsigned char seen[RNN_EDGES * RNN_OP_COUNT];
    RnnAlphaFrame *cur = NULL;
    while ((rc = csv_next(&c)) == 1) {
        const char *cell = "", *opname = "";
        int64_t step;
        long long edge;
        double weight;
        rc = -1;
        if (csv_i64(&c, idx[ALPHA_STEP], &step) != 0 || csv_text(&c, idx[ALPHA_CELL], &cell) != 0 ||
            csv_long(&c, idx[ALPHA_EDGE], 0, RNN_EDGES - 1, &edge) != 0 ||
            csv_text(&c, idx[ALPHA_OP], &opname) != 0 ||
            csv_double(&c, idx[ALPHA_WEIGHT], &weight) != 0)
            break;
        const int op = rnn_op_from_name(opname);
        if (strcmp(cell, "recurrent") != 0) {
            csv_error(&c, c.col[idx[ALPHA_CELL]], "cell '%s' (expected recurrent)", cell);
            break;
        }
        if (op < 0) {
            csv_error(&c, c.col[idx[ALPHA_OP]],
                      "unknown op '%s' (expected none, tanh, relu, sigmoid or identity)", opname);
            break;
        }
        if (!cur || cur->step != step) {
            if (cur && (memchr(seen, 0, sizeof seen) || step < cur->step)) {
                csv_error(&c, 0,
                          "the block of step %lld is incomplete or the next step goes back "
                          "(expected every edge and op once per report, ascending steps)",
                          (long long)cur->step);
                break;
            }
            if (h->n == RUN_CSV_MAX_REPORTS) {
                csv_error(&c, 0, "more than %d report blocks", RUN_CSV_MAX_REPORTS);
                break;
            }
            if (h->n == cap) {
                cap = cap ? 2 * cap : 32;
                RnnAlphaFrame *frames = realloc(h->frames, (size_t)cap * sizeof *frames);
                if (!frames) {
                    csv_error(&c, 0, "out of memory");
                    break;
                }
                h->frames = frames;
            }
            cur = &h->frames[h->n++];
            memset(cur, 0, sizeof *cur);
            cur->step = step;
            memset(seen, 0, sizeof seen);
        }
        unsigned char *once = &seen[edge * RNN_OP_COUNT + op];
        if (*once) {
            csv_error(&c, 0, "edge %lld op %s listed twice in the block of step %lld", edge, opname,
                      (long long)step);
            break;
        }
        *once = 1;
        cur->weights[edge * RNN_OP_COUNT + op] = (float)weight;
        rc = 1;
    }
    if (rc == 0 && !cur)
        rc = csv_error(&c, 0, "no rows (expected at least one report block)");
    else if (rc == 0 && memchr(seen, 0, sizeof seen))
        rc = csv_error(&c, 0, "the last block (step %lld) is incomplete", (long long)cur->step);
    fclose(c.f);
    if (rc != 0)
        run_rnn_alphas_free(h);
    return rc != 0 ? -1 : 0;
}

void run_rnn_alphas_free(RnnAlphaHistory *h)
{
    free(h->frames);
    h->frames = NULL;
    h->n = 0;
}

void run_alphas_free(AlphaHistory *h)
{
    free(h->frames);
    h->frames = NULL;
    h->n = 0;
}
