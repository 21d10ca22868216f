/* rundir: the files of a run directory (docs/ARCHITECTURE.md, Run directory).
 *
 * config.yaml, metrics.csv, alphas.csv, monitors.csv (a CNN search's
 * collapse monitors), genotype.py, genotype.json and changes.log are all
 * rewritten whole through atomic_file, so a reader (or a crash) sees either
 * the old or the new file. The CSV files are kept in
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
#include "dartboard/rnn_genotype.h"
#include "dartboard/run_csv.h"
#include "dartboard/session.h"

#define RUNDIR_METRICS_HEADER METRICS_CSV_HEADER /* the columns of run_csv.h */
#define RUNDIR_ALPHAS_HEADER "step,cell,edge,op,weight\n"
#define RUNDIR_MONITORS_HEADER MONITORS_CSV_HEADER

typedef struct TextBuf {
    char *data;
    size_t len, cap;
} TextBuf;

#define RUNDIR_PATH_MAX 1024                   /* longest run directory path, with its NUL */
#define RUNDIR_FILE_MAX (RUNDIR_PATH_MAX + 64) /* "DIR/NAME" */
#define RUNDIR_LOCK "lock"                     /* holds the writer's pid while it runs */

typedef struct RunDir {
    char path[RUNDIR_PATH_MAX];
    int training;  /* a dartboard train run: metrics.csv of TRAIN_COLUMNS, no alphas.csv */
    int recurrent; /* a recurrent cell: metrics.csv of RNN_COLUMNS and alphas.csv of one cell
                    * (search), or of RNN_TRAIN_COLUMNS (with training) */
    int lock_fd;
    TextBuf metrics, alphas;
    TextBuf monitors; /* a CNN search only (neither training nor recurrent) */
} RunDir;

/* "runs/<preset>-YYYYMMDD-HHMMSS" for the current local time. */
void rundir_default_path(char *buf, size_t len, const char *preset);
/* 0 when `path` holds none of the files a run writes. */
int rundir_check_new(const char *path, char *err, size_t errlen);
/* Takes the run directory for this process: creates it (and its parents)
 * when `create`, and holds an exclusive flock on DIR/lock (which holds our
 * pid) until rundir_unlock. A second writer is refused with the holder's
 * pid; a lock left by a process killed with -9 is free again (the kernel
 * dropped it). Paths of RUNDIR_PATH_MAX bytes or more are refused. */
int rundir_lock(RunDir *rd, const char *path, int create, char *err, size_t errlen);
void rundir_unlock(RunDir *rd);
/* A new run in the locked directory: header-only CSV files. */
int rundir_create(RunDir *rd, char *err, size_t errlen);
/* Opens the locked run for resuming: removes stray temporaries, loads the
 * CSV files and keeps the rows with step < cut (and step == cut when
 * keep_cut; monitors.csv keeps step == cut always, as a monitor row is
 * written before the checkpoint of its step, and a run from before
 * monitors.csv gets a header-only one); later rows are rewritten as the
 * search gets there again. A file
 * that is not regular or larger than RUN_CSV_MAX_BYTES is refused (the bound
 * cannot come from run.epochs: a resume may lower it below the rows written). */
int rundir_open(RunDir *rd, int64_t cut, int keep_cut, char *err, size_t errlen);
/* Frees the in-memory CSV files (the lock stays). */
void rundir_free(RunDir *rd);

/* "DIR/NAME" into buf. */
void rundir_file(const RunDir *rd, const char *name, char *buf, size_t len);

/* remedy.adaptive_wd's kept states: "state-STEP.bin", each in checkpoint.bin's
 * format, the state after step STEP (session.c keeps a bounded number and
 * removes the rest). */
#define RUNDIR_NAME_MAX 64
void rundir_kept_state_name(int64_t step, char *buf, size_t len);
/* Removes the kept state of `step` (none there: nothing to do). */
int rundir_remove_kept_state(const RunDir *rd, int64_t step, char *err, size_t errlen);
/* Writes the CSV files whole from memory: after rundir_open cut them for a
 * rollback, the files on disk say so at once. */
int rundir_rewrite_rows(RunDir *rd, char *err, size_t errlen);

int rundir_append_metrics(RunDir *rd, const MetricRow *row, char *err, size_t errlen);
int rundir_append_monitors(RunDir *rd, const MonitorRow *row, char *err, size_t errlen);
/* One block: both cells, every edge, every op (softmaxed weights). */
int rundir_append_alphas(RunDir *rd, int64_t step, int edges, const float *normal,
                         const float *reduce, char *err, size_t errlen);
/* One epoch's row of a training run. */
int rundir_append_train(RunDir *rd, const TrainRow *row, char *err, size_t errlen);
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

/* The training rows held in memory, as rundir_metric_rows (rows by epoch). */
int rundir_train_rows(const RunDir *rd, TrainRow *rows, int max, int64_t *total, char *err,
                      size_t errlen);

/* What results.json of a training run says: the test split's figures after
 * the last epoch trained, the network's size and the cell. */
typedef struct TrainResults {
    const char *preset, *dataset;
    const Genotype *genotype;
    int epochs, epochs_planned; /* trained; run.epochs */
    int test_samples, classes;
    float test_loss, test_acc; /* test_acc in % */
    float class_acc[10];
    size_t params, params_aux; /* without and with the auxiliary head */
    double seconds;            /* running time of the whole run */
} TrainResults;

/* A recurrent search (rd->recurrent): its report row; one alphas.csv block
 * of cell `recurrent` (RNN_EDGES x RNN_OP_COUNT softmaxed weights, ops by
 * name); genotype.py (the official line `Genotype(recurrent=[('op', j), ...],
 * concat=range(1, 9))`) and genotype.json (`recurrent`, `concat`, `ops`,
 * `alphas`: {`recurrent`: edges x ops} when weights is not NULL); the rows
 * held in memory, as rundir_metric_rows. */
int rundir_append_rnn(RunDir *rd, const RnnRow *row, char *err, size_t errlen);
int rundir_append_rnn_alphas(RunDir *rd, int64_t step, const float *weights, char *err,
                             size_t errlen);
int rundir_write_rnn_genotype(const RunDir *rd, const RnnGenotype *g, const float *weights,
                              char *err, size_t errlen);
int rundir_rnn_rows(const RunDir *rd, RnnRow *rows, int max, int64_t *total, char *err,
                    size_t errlen);

int rundir_write_results(const RunDir *rd, const TrainResults *r, char *err, size_t errlen);
/* ---- viewers (dartboard attach, ls): the socket, the log, the outcome ---- */

#define RUNDIR_SOCKET "dartboard.sock" /* where a live search listens for viewers */
#define RUNDIR_LOG "dartboard.log"     /* a detached search's stdout and stderr */
#define RUNDIR_OUTCOME "outcome"       /* "STATE STEP TOTAL\n" when a search process ends */
#define RUNDIR_SOCKET_PATH_MAX 108     /* sizeof sun_path on Linux */

/* The socket of the search in `dir`: DIR/dartboard.sock, or with `fallback`
 * (the directory's file system cannot hold a socket) or when that path is too
 * long for a socket address, RUNTIME/<hash of the directory's real path>.sock
 * with RUNTIME $XDG_RUNTIME_DIR/dartboard or /tmp/dartboard-UID, created
 * 0700 and refused unless it is ours and closed to others. 0, or -1 + err. */
int rundir_socket_path(const char *dir, int fallback, char *buf, size_t len, char *err,
                       size_t errlen);
/* DIR/dartboard.log opened for appending (created 0600, never through a
 * symbolic link): the descriptor, or -1 + err naming the file. */
int rundir_open_log(const char *dir, char *err, size_t errlen);

typedef enum RunLiveness {
    RUN_ENDED, /* no lock file: no process has it (finished, stopped or failed) */
    RUN_LIVE,  /* a process holds the lock */
    RUN_STALE  /* a lock file nobody holds: its process was killed */
} RunLiveness;

/* Whether a process holds the run's lock, without taking it; *pid is the
 * pid the lock file names (0: none). */
RunLiveness rundir_liveness(const char *dir, long *pid);
/* Writes DIR/outcome when the search process ends: "done 40 40". */
int rundir_write_outcome(const char *dir, const char *state, int64_t step, int64_t total, char *err,
                         size_t errlen);
/* Reads DIR/outcome; 0, or -1 when there is none or it is malformed. */
int rundir_read_outcome(const char *dir, char *state, size_t len, int64_t *step, int64_t *total);

/* --- the training of a recurrent cell ------------------------------------ */
/* The official line of a recurrent genotype, without a newline:
 * Genotype(recurrent=[('sigmoid', 0), ...], concat=range(1, 9)) (a concat
 * that is not a range is written as a list). */
void rundir_rnn_genotype_line(const RnnGenotype *g, char *buf, size_t len);
int rundir_append_rnn_train(RunDir *rd, const RnnTrainRow *row, char *err, size_t errlen);
int rundir_rnn_train_rows(const RunDir *rd, RnnTrainRow *rows, int max, int64_t *total, char *err,
                          size_t errlen);
/* results.json of a recurrent training run: the test split's loss and
 * perplexity on the best weights (as train.py reloads the best model), the
 * best valid loss, when averaging began, the size and the cell. */
typedef struct RnnTrainResults {
    const char *preset, *dataset;
    const RnnGenotype *genotype;
    int epochs, epochs_planned;
    int asgd_epoch; /* the epoch after which ASGD began (0: it did not) */
    long long test_tokens;
    double test_loss, val_loss; /* val_loss: the best */
    size_t params;
    double seconds;
} RnnTrainResults;
int rundir_write_rnn_results(const RunDir *rd, const RnnTrainResults *r, char *err, size_t errlen);
/* --- end of the recurrent training's files --- */

#endif
