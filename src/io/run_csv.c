/* run_csv: metrics.csv and alphas.csv of a run directory, read back with
 * positioned errors. The files are written by the search (one row per
 * report), so they are small: read line by line, grow arrays by doubling. */
#include "dartboard/run_csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 32

typedef struct CsvFile {
    const char *path;
    FILE *f;
    int line;
    char buf[4096];
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

/* Next non-empty line split at commas, fields trimmed. 1 = a line, 0 = end, -1 = error. */
static int csv_next(CsvFile *c)
{
    for (;;) {
        if (!fgets(c->buf, sizeof c->buf, c->f))
            return ferror(c->f) ? csv_error(c, 0, "read error: %s", strerror(errno)) : 0;
        c->line++;
        size_t len = strlen(c->buf);
        if (len == sizeof c->buf - 1 && c->buf[len - 1] != '\n')
            return csv_error(c, 0, "line longer than %zu bytes (expected a short CSV row)",
                             sizeof c->buf - 2);
        while (len && (c->buf[len - 1] == '\n' || c->buf[len - 1] == '\r'))
            c->buf[--len] = '\0';
        if (len == 0)
            continue;
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
            if (!comma) {
                *end = '\0';
                break;
            }
            *end = '\0';
            p = comma + 1;
        }
        return 1;
    }
}

/* Opens the file and maps each wanted column name to its field index. */
static int csv_open(CsvFile *c, const char *path, const char *const *names, int nnames, int *index,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->err = err;
    c->errlen = errlen;
    c->f = fopen(path, "r");
    if (!c->f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = csv_next(c);
    if (rc <= 0) {
        if (rc == 0) {
            c->line = 1;
            csv_error(c, 1, "empty file (expected a header line)");
        }
        fclose(c->f);
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
            fclose(c->f);
            return -1;
        }
    }
    return 0;
}

static int csv_double(CsvFile *c, int i, double *out)
{
    if (i >= c->nfields)
        return csv_error(c, 0, "row has %d fields (expected at least %d)", c->nfields, i + 1);
    char *end;
    errno = 0;
    *out = strtod(c->field[i], &end);
    if (end == c->field[i] || *end != '\0')
        return csv_error(c, c->col[i], "'%s' is not a number", c->field[i]);
    return 0;
}

static int csv_long(CsvFile *c, int i, long long *out)
{
    if (i >= c->nfields)
        return csv_error(c, 0, "row has %d fields (expected at least %d)", c->nfields, i + 1);
    char *end;
    errno = 0;
    *out = strtoll(c->field[i], &end, 10);
    if (end == c->field[i] || *end != '\0' || errno == ERANGE)
        return csv_error(c, c->col[i], "'%s' is not an integer", c->field[i]);
    return 0;
}

int run_metrics_load(const char *path, RunMetrics *m, char *err, size_t errlen)
{
    static const char *const names[] = {"step",      "epoch",    "lr",      "train_loss",
                                        "train_acc", "val_loss", "val_acc", "seconds"};
    int idx[8];
    CsvFile c;
    memset(m, 0, sizeof *m);
    if (csv_open(&c, path, names, 8, idx, err, errlen) != 0)
        return -1;
    int cap = 0, rc;
    while ((rc = csv_next(&c)) == 1) {
        RunMetric r;
        long long step, epoch;
        double v[6];
        if (csv_long(&c, idx[0], &step) || csv_long(&c, idx[1], &epoch))
            goto fail;
        for (int k = 0; k < 6; k++)
            if (csv_double(&c, idx[2 + k], &v[k]))
                goto fail;
        r.step = step;
        r.epoch = (int)epoch;
        r.lr = v[0], r.train_loss = v[1], r.train_acc = v[2];
        r.val_loss = v[3], r.val_acc = v[4], r.seconds = v[5];
        if (m->n && r.step < m->rows[m->n - 1].step) {
            csv_error(&c, c.col[idx[0]], "step %lld after step %lld (expected ascending steps)",
                      step, (long long)m->rows[m->n - 1].step);
            goto fail;
        }
        if (m->n == cap) {
            cap = cap ? 2 * cap : 64;
            RunMetric *rows = realloc(m->rows, (size_t)cap * sizeof *rows);
            if (!rows) {
                csv_error(&c, 0, "out of memory");
                goto fail;
            }
            m->rows = rows;
        }
        m->rows[m->n++] = r;
    }
    if (rc < 0)
        goto fail;
    fclose(c.f);
    return 0;
fail:
    fclose(c.f);
    run_metrics_free(m);
    return -1;
}

void run_metrics_free(RunMetrics *m)
{
    free(m->rows);
    m->rows = NULL;
    m->n = 0;
}

/* Checks that the block of frame `fr` listed every (cell, edge, op) once. */
static int block_complete(CsvFile *c, const unsigned char *seen, int edges, int64_t step)
{
    for (int cell = 0; cell < 2; cell++)
        for (int e = 0; e < edges; e++)
            for (int o = 0; o < OP_COUNT; o++)
                if (!seen[(cell * GENOTYPE_MAX_EDGES + e) * OP_COUNT + o])
                    return csv_error(c, 0,
                                     "the block of step %lld lacks %s edge %d op %s "
                                     "(expected every cell, edge and op once per report)",
                                     (long long)step, cell ? "reduce" : "normal", e, op_names[o]);
    return 0;
}

int run_alphas_load(const char *path, AlphaHistory *h, char *err, size_t errlen)
{
    static const char *const names[] = {"step", "cell", "edge", "op", "weight"};
    int idx[5];
    CsvFile c;
    memset(h, 0, sizeof *h);
    if (csv_open(&c, path, names, 5, idx, err, errlen) != 0)
        return -1;
    /* on the stack: the UI plots from a helper thread */
    unsigned char seen[2 * GENOTYPE_MAX_EDGES * OP_COUNT];
    int cap = 0, rc, block_edges = 0;
    AlphaFrame *cur = NULL;
    while ((rc = csv_next(&c)) == 1) {
        long long step, edge, opn;
        double w;
        if (csv_long(&c, idx[0], &step) || csv_long(&c, idx[2], &edge) ||
            csv_double(&c, idx[4], &w))
            goto fail;
        if (idx[1] >= c.nfields || idx[3] >= c.nfields) {
            csv_error(&c, 0, "row has %d fields (expected 5)", c.nfields);
            goto fail;
        }
        const char *cellname = c.field[idx[1]];
        int cell = strcmp(cellname, "normal") == 0 ? 0 : strcmp(cellname, "reduce") == 0 ? 1 : -1;
        if (cell < 0) {
            csv_error(&c, c.col[idx[1]], "cell '%s' (expected normal or reduce)", cellname);
            goto fail;
        }
        if (edge < 0 || edge >= GENOTYPE_MAX_EDGES) {
            csv_error(&c, c.col[idx[2]], "edge %lld out of range (expected 0..%d)", edge,
                      GENOTYPE_MAX_EDGES - 1);
            goto fail;
        }
        int op = op_from_name(c.field[idx[3]]);
        if (op < 0) {
            char *end;
            opn = strtoll(c.field[idx[3]], &end, 10);
            if (*end == '\0' && end != c.field[idx[3]] && opn >= 0 && opn < OP_COUNT)
                op = (int)opn;
        }
        if (op < 0) {
            csv_error(&c, c.col[idx[3]], "unknown op '%s' (expected a DARTS op name or 0..%d)",
                      c.field[idx[3]], OP_COUNT - 1);
            goto fail;
        }
        if (!cur || cur->step != step) { /* a new report block */
            if (cur) {
                if (block_complete(&c, seen, block_edges, cur->step))
                    goto fail;
                if (step < cur->step) {
                    csv_error(&c, c.col[idx[0]],
                              "step %lld after step %lld (expected ascending "
                              "report blocks)",
                              step, (long long)cur->step);
                    goto fail;
                }
                if (h->n > 1 && block_edges != h->edges) {
                    csv_error(&c, 0,
                              "the block before this line has %d edges, earlier ones %d "
                              "(expected the same cell in every report)",
                              block_edges, h->edges);
                    goto fail;
                }
                h->edges = block_edges;
            }
            if (h->n == cap) {
                cap = cap ? 2 * cap : 32;
                AlphaFrame *frames = realloc(h->frames, (size_t)cap * sizeof *frames);
                if (!frames) {
                    csv_error(&c, 0, "out of memory");
                    goto fail;
                }
                h->frames = frames;
            }
            cur = &h->frames[h->n++];
            memset(cur, 0, sizeof *cur);
            cur->step = step;
            memset(seen, 0, sizeof seen);
            block_edges = 0;
        }
        unsigned char *s = &seen[(cell * GENOTYPE_MAX_EDGES + edge) * OP_COUNT + op];
        if (*s) {
            csv_error(&c, 0,
                      "%s edge %lld op %s listed twice in the block of step %lld "
                      "(expected once)",
                      cellname, edge, op_names[op], step);
            goto fail;
        }
        *s = 1;
        (cell ? cur->reduce : cur->normal)[edge * OP_COUNT + op] = (float)w;
        if (edge + 1 > block_edges)
            block_edges = (int)edge + 1;
    }
    if (rc < 0)
        goto fail;
    if (!cur) {
        csv_error(&c, 0, "no rows (expected at least one report block)");
        goto fail;
    }
    if (block_complete(&c, seen, block_edges, cur->step))
        goto fail;
    if (h->n > 1 && block_edges != h->edges) {
        csv_error(&c, 0,
                  "the last block has %d edges, earlier ones %d (expected the same cell "
                  "in every report)",
                  block_edges, h->edges);
        goto fail;
    }
    h->edges = block_edges;
    h->nodes = 0;
    for (int n = 1; n <= GENOTYPE_MAX_NODES; n++)
        if (genotype_edge_count(n) == h->edges)
            h->nodes = n;
    if (!h->nodes) {
        csv_error(&c, 0,
                  "%d edges per cell is no DARTS cell (expected 2, 5, 9, 14, ...: "
                  "n(n+3)/2 for n nodes)",
                  h->edges);
        goto fail;
    }
    fclose(c.f);
    return 0;
fail:
    fclose(c.f);
    run_alphas_free(h);
    return -1;
}

void run_alphas_free(AlphaHistory *h)
{
    free(h->frames);
    h->frames = NULL;
    h->n = 0;
}
