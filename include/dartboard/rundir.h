/* rundir: the files of a run directory (DESIGN.md section 2).
 *
 * config.yaml, metrics.csv, alphas.csv, genotype.py, genotype.json and
 * changes.log are all rewritten whole through atomic_file, so a reader (or a
 * crash) sees either the old or the new file. The two CSV files are kept in
 * memory as text: appending a report rewrites the file from that buffer, and
 * resuming reloads it and drops the rows the checkpoint has not reached, so a
 * resumed run writes exactly the bytes an uninterrupted one would.
 * checkpoint.bin has its own module (checkpoint.h).
 */
#ifndef DARTBOARD_RUNDIR_H
#define DARTBOARD_RUNDIR_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/config.h"
#include "dartboard/genotype.h"
#include "dartboard/run_csv.h"
#include "dartboard/session.h"

#define RUNDIR_METRICS_HEADER METRICS_CSV_HEADER /* the columns of run_csv.h */
#define RUNDIR_ALPHAS_HEADER "step,cell,edge,op,weight\n"

typedef struct TextBuf {
    char *data;
    size_t len, cap;
} TextBuf;

typedef struct RunDir {
    char path[512];
    TextBuf metrics, alphas;
} RunDir;

/* "runs/<preset>-YYYYMMDD-HHMMSS" for the current local time. */
void rundir_default_path(char *buf, size_t len, const char *preset);
/* 0 when `path` holds no run (no checkpoint.bin, metrics.csv, config.yaml). */
int rundir_check_new(const char *path, char *err, size_t errlen);
/* Creates `path` (and parents) for a new run and writes header-only CSV
 * files. Refuses a directory that already holds a run (use --resume). */
int rundir_create(RunDir *rd, const char *path, char *err, size_t errlen);
/* Opens an existing run for resuming: removes stray *.tmp files, loads the
 * CSV files and keeps the rows with step < cut (and step == cut when
 * keep_cut); later rows are rewritten as the search gets there again. */
int rundir_open(RunDir *rd, const char *path, int64_t cut, int keep_cut, char *err, size_t errlen);
void rundir_free(RunDir *rd);

/* "DIR/NAME" into buf. */
void rundir_file(const RunDir *rd, const char *name, char *buf, size_t len);

int rundir_append_metrics(RunDir *rd, const MetricRow *row, char *err, size_t errlen);
/* One block: both cells, every edge, every op (softmaxed weights). */
int rundir_append_alphas(RunDir *rd, int64_t step, int edges, const float *normal,
                         const float *reduce, char *err, size_t errlen);
int rundir_write_config(const RunDir *rd, const Config *cfg, char *err, size_t errlen);
int rundir_write_genotype(const RunDir *rd, const Genotype *g, const float *normal,
                          const float *reduce, char *err, size_t errlen);
/* Appends "step N: KEY OLD -> NEW" to changes.log. */
int rundir_log_change(const RunDir *rd, int64_t step, const char *key, const char *old_value,
                      const char *new_value, char *err, size_t errlen);

/* Parses the metric rows held in memory: the newest `max` into rows (oldest
 * first); returns how many were stored, *total = rows in the file. A
 * malformed row is an error: -1 and err "DIR/metrics.csv:LINE:COL: what is
 * wrong (expected ...)" (resuming refuses such a run directory). */
int rundir_metric_rows(const RunDir *rd, MetricRow *rows, int max, int64_t *total, char *err,
                       size_t errlen);

#endif
