/* run_csv: the CSV logs of a run directory (docs/ARCHITECTURE.md, Run
 * directory), written by the search and read back for resuming, the exports
 * and the gnuplot figures.
 *
 *   metrics.csv  the columns of METRIC_COLUMNS, one row per report
 *   alphas.csv   step,cell,edge,op,weight   (one block per report; cell is
 *                normal|reduce; op is a name or a column index)
 *   monitors.csv the columns of MONITOR_COLUMNS, one row per monitor.every steps
 *
 * The readers find columns by their header names, so extra columns are
 * ignored. Errors are "FILE:LINE:COL: what is wrong (expected ...)".
 * A file that is not a regular file (a FIFO, /dev/zero behind a symlink) or
 * is larger than RUN_CSV_MAX_BYTES is refused before anything is read.
 */
#ifndef DARTBOARD_RUN_CSV_H
#define DARTBOARD_RUN_CSV_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/genotype.h"
#include "dartboard/monitor.h" /* MonitorRow */
#include "dartboard/rnn_genotype.h"

/* One row of metrics.csv: the averages since the previous report. The
 * losses and accuracies are the float32 values the search computed. */
typedef struct MetricRow {
    int64_t step;
    int epoch;
    float lr, train_loss, train_acc, val_loss, val_acc;
    double seconds;
    float drop_path; /* a training run's row only (session.h); no column of a search's file */
} MetricRow;

/* The columns of metrics.csv in file order: the one definition the writer
 * (metric_row_format), the readers and the gnuplot scripts' column numbers
 * (metric_column_number) are made from.
 * X(ID, header name, MetricRow field, printf conversion) */
#define METRIC_COLUMNS(X)                                                                          \
    X(METRIC_STEP, "step", step, "%" PRId64)                                                       \
    X(METRIC_EPOCH, "epoch", epoch, "%d")                                                          \
    X(METRIC_LR, "lr", lr, "%.6g")                                                                 \
    X(METRIC_TRAIN_LOSS, "train_loss", train_loss, "%.6f")                                         \
    X(METRIC_TRAIN_ACC, "train_acc", train_acc, "%.4f")                                            \
    X(METRIC_VAL_LOSS, "val_loss", val_loss, "%.6f")                                               \
    X(METRIC_VAL_ACC, "val_acc", val_acc, "%.4f")                                                  \
    X(METRIC_SECONDS, "seconds", seconds, "%.3f")

#define METRIC_COLUMN_ID(id, name, field, conv) id,
typedef enum MetricColumn { METRIC_COLUMNS(METRIC_COLUMN_ID) METRIC_COLUMN_COUNT } MetricColumn;
#undef METRIC_COLUMN_ID

/* "step,epoch,...,seconds\n": every name preceded by a comma, the first
 * comma skipped. */
#define METRIC_HEADER_PART(id, name, field, conv) "," name
#define METRICS_CSV_HEADER (&(METRIC_COLUMNS(METRIC_HEADER_PART) "\n")[1])

extern const char *const metric_column_names[METRIC_COLUMN_COUNT];

/* The number of column c in metrics.csv and in the figures' data files,
 * counted from 1 as gnuplot's `using` does. */
static inline int metric_column_number(MetricColumn c)
{
    return (int)c + 1;
}

/* Room for the longest row metric_row_format() writes: every number at its
 * widest (seconds, a double in %.3f, alone takes 314 bytes), 549 in all. */
#define METRIC_ROW_MAX 640

/* The row as metrics.csv holds it, columns separated by sep ("," or " ")
 * and ended by '\n'. Returns its length, or -1 when it does not fit. */
int metric_row_format(const MetricRow *r, const char *sep, char *buf, size_t len);

/* The columns of monitors.csv in file order, as METRIC_COLUMNS (monitor.h
 * says what each value is).
 * X(ID, header name, MonitorRow field, printf conversion) */
#define MONITOR_COLUMNS(X)                                                                         \
    X(MONITOR_STEP, "step", step, "%" PRId64)                                                      \
    X(MONITOR_LAMBDA_MAX, "lambda_max", lambda_max, "%.6g")                                        \
    X(MONITOR_LAMBDA_ITERS, "lambda_iters", lambda_iters, "%d")                                    \
    X(MONITOR_LAMBDA_CHANGE, "lambda_change", lambda_change, "%.3g")                               \
    X(MONITOR_LAMBDA_RESIDUAL, "lambda_residual", lambda_residual, "%.3g")                         \
    X(MONITOR_SKIPS_NORMAL, "skips_normal", skips_normal, "%d")                                    \
    X(MONITOR_PARAM_FREE_NORMAL, "param_free_normal", param_free_normal, "%d")                     \
    X(MONITOR_ENTROPY_NORMAL, "entropy_normal", entropy_normal, "%.6f")                            \
    X(MONITOR_ENTROPY_REDUCE, "entropy_reduce", entropy_reduce, "%.6f")                            \
    X(MONITOR_NONE_WEIGHT, "none_weight", none_weight, "%.6f")

#define MONITOR_COLUMN_ID(id, name, field, conv) id,
typedef enum MonitorColumn {
    MONITOR_COLUMNS(MONITOR_COLUMN_ID) MONITOR_COLUMN_COUNT
} MonitorColumn;
#undef MONITOR_COLUMN_ID

#define MONITOR_HEADER_PART(id, name, field, conv) "," name
#define MONITORS_CSV_HEADER (&(MONITOR_COLUMNS(MONITOR_HEADER_PART) "\n")[1])

extern const char *const monitor_column_names[MONITOR_COLUMN_COUNT];

/* Room for the longest row monitor_row_format() writes (a float in %.6f
 * can take 48 bytes). */
#define MONITOR_ROW_MAX 512

/* The row as monitors.csv holds it, as metric_row_format. */
int monitor_row_format(const MonitorRow *r, const char *sep, char *buf, size_t len);

/* One row of a training run's metrics.csv (dartboard train): one per epoch,
 * the training averages over the epoch and the test split evaluated at its
 * end. epoch counts from 1 (the row of the first epoch says 1). */
typedef struct TrainRow {
    int epoch;
    float lr, drop_path, train_loss, train_acc, test_loss, test_acc;
    double seconds;
} TrainRow;

#define TRAIN_COLUMNS(X)                                                                           \
    X(TRAIN_EPOCH, "epoch", epoch, "%d")                                                           \
    X(TRAIN_LR, "lr", lr, "%.6g")                                                                  \
    X(TRAIN_DROP_PATH, "drop_path", drop_path, "%.6g")                                             \
    X(TRAIN_TRAIN_LOSS, "train_loss", train_loss, "%.6f")                                          \
    X(TRAIN_TRAIN_ACC, "train_acc", train_acc, "%.4f")                                             \
    X(TRAIN_TEST_LOSS, "test_loss", test_loss, "%.6f")                                             \
    X(TRAIN_TEST_ACC, "test_acc", test_acc, "%.4f")                                                \
    X(TRAIN_SECONDS, "seconds", seconds, "%.3f")

#define TRAIN_COLUMN_ID(id, name, field, conv) id,
typedef enum TrainColumn { TRAIN_COLUMNS(TRAIN_COLUMN_ID) TRAIN_COLUMN_COUNT } TrainColumn;
#undef TRAIN_COLUMN_ID
#define TRAIN_CSV_HEADER (&(TRAIN_COLUMNS(METRIC_HEADER_PART) "\n")[1])

extern const char *const train_column_names[TRAIN_COLUMN_COUNT];

static inline int train_column_number(TrainColumn c)
{
    return (int)c + 1;
}

/* As metric_row_format, for a training row. */
int train_row_format(const TrainRow *r, const char *sep, char *buf, size_t len);

/* One row of a recurrent search's metrics.csv (data.set kjv or text): per
 * report, the mean cross-entropy of the weight windows and of the alpha
 * windows since the previous row, and their perplexities; a row that ends an
 * epoch or the run takes val_* from an evaluation of the valid split. */
typedef struct RnnRow {
    int64_t step;
    int epoch;
    float lr, train_loss, train_ppl, val_loss, val_ppl;
    double seconds;
} RnnRow;

#define RNN_COLUMNS(X)                                                                             \
    X(RNN_STEP, "step", step, "%" PRId64)                                                          \
    X(RNN_EPOCH, "epoch", epoch, "%d")                                                             \
    X(RNN_LR, "lr", lr, "%.6g")                                                                    \
    X(RNN_TRAIN_LOSS, "train_loss", train_loss, "%.6f")                                            \
    X(RNN_TRAIN_PPL, "train_ppl", train_ppl, "%.3f")                                               \
    X(RNN_VAL_LOSS, "val_loss", val_loss, "%.6f")                                                  \
    X(RNN_VAL_PPL, "val_ppl", val_ppl, "%.3f")                                                     \
    X(RNN_SECONDS, "seconds", seconds, "%.3f")

#define RNN_COLUMN_ID(id, name, field, conv) id,
typedef enum RnnColumn { RNN_COLUMNS(RNN_COLUMN_ID) RNN_COLUMN_COUNT } RnnColumn;
#undef RNN_COLUMN_ID
#define RNN_CSV_HEADER (&(RNN_COLUMNS(METRIC_HEADER_PART) "\n")[1])

extern const char *const rnn_column_names[RNN_COLUMN_COUNT];

static inline int rnn_column_number(RnnColumn c)
{
    return (int)c + 1;
}

/* As metric_row_format, for a recurrent search's row. */
int rnn_row_format(const RnnRow *r, const char *sep, char *buf, size_t len);
/* As run_metrics_tail / run_metrics_load, for a recurrent search's metrics.csv. */
typedef struct RunRnn {
    int n;
    RnnRow *rows;
} RunRnn;
int run_rnn_tail(const char *name, const char *text, size_t len, RnnRow *rows, int max,
                 int64_t *total, char *err, size_t errlen);
int run_rnn_load(const char *path, RunRnn *r, char *err, size_t errlen);
void run_rnn_free(RunRnn *r);

/* --- the training of a recurrent cell (rnntrain) --------------------------
 * One row per epoch of a recurrent training run's metrics.csv: the mean of
 * the epoch's window losses (cross-entropy, without TAR) and the valid split's
 * loss at the epoch's end (with the averaged weights once ASGD is on), each
 * with its perplexity exp(loss); asgd 1 when the epoch's steps were ASGD
 * steps or it switched at its end. epoch counts from 1; lr is optim.lr (each
 * step scales it by seq_len / bptt). */
typedef struct RnnTrainRow {
    int epoch;
    float lr, train_loss, train_ppl, val_loss, val_ppl;
    int asgd;
    double seconds;
} RnnTrainRow;

#define RNN_TRAIN_COLUMNS(X)                                                                       \
    X(RNN_TRAIN_EPOCH, "epoch", epoch, "%d")                                                       \
    X(RNN_TRAIN_LR, "lr", lr, "%.6g")                                                              \
    X(RNN_TRAIN_TRAIN_LOSS, "train_loss", train_loss, "%.6f")                                      \
    X(RNN_TRAIN_TRAIN_PPL, "train_ppl", train_ppl, "%.4f")                                         \
    X(RNN_TRAIN_VAL_LOSS, "val_loss", val_loss, "%.6f")                                            \
    X(RNN_TRAIN_VAL_PPL, "val_ppl", val_ppl, "%.4f")                                               \
    X(RNN_TRAIN_ASGD, "asgd", asgd, "%d")                                                          \
    X(RNN_TRAIN_SECONDS, "seconds", seconds, "%.3f")

#define RNN_TRAIN_COLUMN_ID(id, name, field, conv) id,
typedef enum RnnTrainColumn {
    RNN_TRAIN_COLUMNS(RNN_TRAIN_COLUMN_ID) RNN_TRAIN_COLUMN_COUNT
} RnnTrainColumn;
#undef RNN_TRAIN_COLUMN_ID
#define RNN_TRAIN_CSV_HEADER (&(RNN_TRAIN_COLUMNS(METRIC_HEADER_PART) "\n")[1])

extern const char *const rnn_train_column_names[RNN_TRAIN_COLUMN_COUNT];

/* As metric_row_format, for a recurrent training row. */
int rnn_train_row_format(const RnnTrainRow *r, const char *sep, char *buf, size_t len);
/* As run_train_tail, for a recurrent training run's metrics.csv. */
int run_rnn_train_tail(const char *name, const char *text, size_t len, RnnTrainRow *rows, int max,
                       int64_t *total, char *err, size_t errlen);
/* --- end of the recurrent training's rows --- */

typedef struct RunTrain {
    int n;
    TrainRow *rows;
} RunTrain;

typedef struct RunMetrics {
    int n;
    MetricRow *rows;
} RunMetrics;

/* The alphas of one report: both cells, edges x OP_COUNT, softmaxed. */
typedef struct AlphaFrame {
    int64_t step;
    float normal[GENOTYPE_MAX_EDGES * OP_COUNT];
    float reduce[GENOTYPE_MAX_EDGES * OP_COUNT];
} AlphaFrame;

typedef struct AlphaHistory {
    int nodes, edges; /* from the largest edge index seen */
    int n;            /* frames, in file order (ascending step) */
    AlphaFrame *frames;
} AlphaHistory;

/* The bounds of what a reader takes in. A run writes one metric row and one
 * alpha block per report: the DARTS paper's 50-epoch CIFAR-10 search
 * (19,550 steps) reporting at every step writes 1.3 MB of metrics.csv and,
 * with 8-node cells (the largest), 523 MB of alphas.csv, whose frames take
 * 55 MB in memory. The bounds leave twice and ten times that room; past
 * them a file (or a planted /dev/zero) is refused instead of exhausting
 * memory. */
#define RUN_CSV_MAX_BYTES ((int64_t)1 << 30) /* 1 GiB per file */
#define RUN_CSV_MAX_REPORTS 200000           /* rows of metrics.csv, blocks of alphas.csv */
#define RUN_CSV_MAX_LINE 4096                /* a row is under 100 bytes */

/* Opens path for reading if it is a regular file of at most
 * RUN_CSV_MAX_BYTES (a FIFO does not block the open). NULL with err naming
 * the file and what it is otherwise. */
FILE *run_csv_open(const char *path, char *err, size_t errlen);

int run_metrics_load(const char *path, RunMetrics *m, char *err, size_t errlen);
/* Checks every row of metrics.csv text in memory (len bytes; name is the
 * file for messages) and keeps the newest `max` (>= 1) in rows, oldest
 * first. Returns how many, *total = rows in the text; or -1 with err.
 * Allocates nothing: no bound on the rows (RUN_CSV_MAX_BYTES still holds). */
int run_metrics_tail(const char *name, const char *text, size_t len, MetricRow *rows, int max,
                     int64_t *total, char *err, size_t errlen);
void run_metrics_free(RunMetrics *m);
/* The same for a training run's metrics.csv (rows ascending by epoch). */
int run_train_tail(const char *name, const char *text, size_t len, TrainRow *rows, int max,
                   int64_t *total, char *err, size_t errlen);
int run_train_load(const char *path, RunTrain *t, char *err, size_t errlen);
void run_train_free(RunTrain *t);

/* Every report block must list every (cell, edge, op) once. */
int run_alphas_load(const char *path, AlphaHistory *h, char *err, size_t errlen);
void run_alphas_free(AlphaHistory *h);

/* A recurrent search's alphas.csv: per report one block of cell
 * `recurrent`, RNN_EDGES x RNN_OP_COUNT softmaxed weights (ops by name). */
typedef struct RnnAlphaFrame {
    int64_t step;
    float weights[RNN_EDGES * RNN_OP_COUNT];
} RnnAlphaFrame;

typedef struct RnnAlphaHistory {
    int n; /* frames, ascending step */
    RnnAlphaFrame *frames;
} RnnAlphaHistory;

/* Every block must list every (edge, op) once; another cell is refused. */
int run_rnn_alphas_load(const char *path, RnnAlphaHistory *h, char *err, size_t errlen);
void run_rnn_alphas_free(RnnAlphaHistory *h);

#endif
