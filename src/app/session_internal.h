/* session_internal: what session.c (the plumbing and the search's worker)
 * shares with training.c (the worker of `dartboard train`). Private to
 * src/app: front-ends see only session.h. */
#ifndef DARTBOARD_SESSION_INTERNAL_H
#define DARTBOARD_SESSION_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "dartboard/data.h"
#include "dartboard/corpus.h"
#include "dartboard/monitor.h"
#include "dartboard/rnnsearch.h"
#include "dartboard/rundir.h"
#include "dartboard/search.h"
#include "dartboard/session.h"
#include "dartboard/rnntrain.h"
#include "dartboard/trainer.h"

#define QUEUE_SIZE 64
#define ERR_LEN 2048

/* Sums over the steps since the previous metric row. */
typedef struct Accum {
    double train_loss, val_loss; /* sums of batch means */
    int64_t train_correct, val_correct, images, batches;
} Accum;

/* What a search checkpoint's extra block carries. */
typedef struct AppState {
    int tail_row;   /* the row at this step exists only because a bounded run ended here */
    double elapsed; /* running seconds so far */
    double last_lr; /* weight lr of the latest step (the lr column of a row) */
    Accum acc;      /* since the previous row (before the tail row, if any) */
    Genotype report_genotype;
} AppState;

/* What a training checkpoint's extra block carries: the epoch's sums so
 * far, so a resumed epoch's row averages the same steps. */
typedef struct TrainState {
    double elapsed;
    double last_lr, last_drop_path;
    Accum acc;       /* val_* unused */
    TestResult test; /* the newest test of the split */
    int have_test;   /* ... taken at the end of the step just run */
} TrainState;

/* What a recurrent search checkpoint's extra block carries (rnnsearch_worker.c). */
typedef struct RnnAppState {
    int tail_row;
    double elapsed, last_lr;
    double train_loss, val_loss; /* sums of window losses since the previous row */
    int64_t steps, val_steps, tokens;
    RnnGenotype report_genotype;
} RnnAppState;

struct Session {
    Config cfg; /* live: the worker applies CMD_SET to it */
    SessionOptions opt;
    char out_dir[RUNDIR_PATH_MAX];
    int resuming;   /* from checkpoint.bin */
    int restarting; /* --resume of a run that never reached a checkpoint: step 0 */
    uint64_t fingerprint;

    pthread_t thread;
    int started, joined, exit_status;

    pthread_mutex_t snap_lock;
    Snapshot shared;

    pthread_mutex_t cmd_lock;
    pthread_cond_t cmd_cond;
    Command queue[QUEUE_SIZE];
    int q_head, q_count;
    int stop; /* a CMD_STOP arrived (never lost to a full queue) */
    atomic_int stop_async;

    /* worker-owned */
    Snapshot priv;
    Dataset data;
    int data_loaded;
    Search *search;
    RunDir rd;        /* locked from session_create to session_free */
    int write_failed; /* a write to the run directory failed: the run stops */
    AppState app;
    int paused;
    int64_t target;
    int steps_per_epoch;
    int64_t last_row_step;
    int64_t checkpoint_step; /* step of the newest checkpoint.bin */
    float w_normal[GENOTYPE_MAX_EDGES * OP_COUNT], w_reduce[GENOTYPE_MAX_EDGES * OP_COUNT];
    int lambda_high, skips_high; /* the newest monitor row was past its threshold */
    EarlyStop es;                /* DARTS-ES over this process's monitor rows */

    /* dartboard train (opt.genotype set) */
    int training;
    Genotype genotype; /* the cell trained */
    Trainer *trainer;
    Dataset test;
    int test_loaded;
    TrainState train;

    /* data.set kjv or text: a recurrent search, or with `training` the
     * training of a recurrent cell (training_rnn.c) */
    int recurrent;
    Corpus corpus;
    int corpus_loaded;
    RnnSearch *rnn;
    RnnAppState rapp;
    float w_rnn[RNN_EDGES * RNN_OP_COUNT];
    RnnGenotype rnn_genotype;
    RnnTrainer *rnn_trainer;
    double rnn_loss_sum; /* the epoch's window losses so far */
    int64_t rnn_windows, rnn_tokens;
    int rnn_asgd_epoch; /* the epoch after which ASGD began (0: not yet) */
};

void session_publish(Session *s);
double session_now(void); /* seconds on the monotonic clock */
void session_say(Session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* checkpoint.bin of the current step, search or training; with `announce`
 * the message says so. 0, or -1 (said: the run stops). */
int session_checkpoint_now(Session *s, int announce);
/* A write to the run directory failed: say so, stop. Returns -1. */
int session_write_failure(Session *s, const char *err);
/* Takes and handles queued commands; see session.c. 1: the worker must stop. */
int session_drain_commands(Session *s, int *step_once, int wait_while_paused);
/* A run's files from step 0: config.yaml and the header-only CSV logs
 * (said when a --resume restarts a run that never reached a checkpoint). */
int session_start_rundir(Session *s, char *err, size_t errlen);
/* Keys given anew on a resume, logged and written to config.yaml. */
int session_record_resume_overrides(Session *s, char *err, size_t errlen);
/* The steps of a run: run.epochs, bounded by --epochs and --steps. */
int64_t session_target(const Session *s);

/* session_monitor.c: the collapse monitors of a CNN search */
void session_monitor_init(Session *s); /* DARTS-ES starts empty (a resume then loads its history) */
typedef enum MonitorAction {
    MONITOR_CONTINUE,   /* the search goes on from this step */
    MONITOR_STOP,       /* DARTS-ES stops the search */
    MONITOR_ROLLED_BACK /* remedy.adaptive_wd took the search back to an earlier step */
} MonitorAction;
/* The monitor row when the current step is due: 0, or -1 when a write
 * or a rollback failed (the run stops with the message set). */
int session_monitor_step(Session *s, MonitorAction *act);
/* session.c: remedy.adaptive_wd's rollback to the state kept at keep_step,
 * which continues with optim.weight_decay = weight_decay and a new DARTS-ES
 * history. 0; 1 when that state is not kept (nothing changed); -1 when it
 * failed (message set). */
int session_rollback(Session *s, int64_t keep_step, double weight_decay);
/* After the checkpoint of a DARTS-ES stop: the kept genotype as the run's
 * genotype files, and the message. 0 or -1. */
int session_monitor_finish(Session *s);

/* A worker's parts. session_worker_run (session.c) drives every kind of run
 * (search, training, and their recurrent cells) through one frame: prepare,
 * then steps between the commands until done or stopped, then the end, the
 * final state, and a UI that lingers. */
typedef enum WorkerStep {
    WORKER_NEXT,  /* the step and its rows and checkpoints are written */
    WORKER_END,   /* the run ends here, not failed (DARTS-ES) */
    WORKER_FAILED /* the reason is said */
} WorkerStep;
typedef struct WorkerOps {
    int (*prepare)(Session *s, char *err, size_t errlen); /* load, plan, resume or start */
    int (*done)(const Session *s);                        /* every step of the run is taken */
    WorkerStep (*step)(Session *s); /* one step, its rows, checkpoints, snapshot fields */
    /* After the loop, not failed (stopped: by a command): a checkpoint to
     * continue from if steps remain, else the results. 0, or -1 (said). */
    int (*end)(Session *s, int stopped);
    void (*refresh)(Session *s); /* the snapshot's progress fields */
} WorkerOps;
void *session_worker_run(Session *s, const WorkerOps *ops);
/* A metrics row into the snapshot's ring (the newest SNAPSHOT_ROWS), and
 * its losses and accuracies as the latest. */
void session_push_row(Snapshot *p, const MetricRow *r);
/* The snapshot's ms/step, a moving average, after a step of `ms`. */
void session_step_time(Snapshot *p, double ms);
/* A step refused (a non-finite loss): said, with the checkpoint kept. */
WorkerStep session_step_failed(Session *s, const char *err);

/* training.c */
extern const WorkerOps training_worker;
void training_refresh(Session *s); /* progress fields of the snapshot */
int training_checkpoint(Session *s, char *err, size_t errlen);
int64_t training_step_count(const Session *s);
/* A progress point of the epoch so far (after the refresh of a step that
 * does not end its epoch): train_acc is a perplexity for a recurrent cell. */
void training_progress(Session *s, double epoch_done, float lr, float train_loss, float train_acc);
uint64_t training_fingerprint(const Config *cfg, const Genotype *g);

/* rnnsearch_worker.c */
extern const WorkerOps rnnsearch_worker;
int rnnsearch_checkpoint(Session *s, char *err, size_t errlen);
void rnnsearch_refresh(Session *s);                         /* progress fields of the snapshot */
int rnnsearch_export(Session *s, char *err, size_t errlen); /* genotype files brought up to now */
uint64_t rnnsearch_fingerprint(const Config *cfg);
/* training_rnn.c: the same for a recurrent cell (training.c's functions
 * hand a recurrent run to these) */
extern const WorkerOps rnn_training_worker;
void rnn_training_refresh(Session *s);
int rnn_training_checkpoint(Session *s, char *err, size_t errlen);
int64_t rnn_training_step_count(const Session *s);
uint64_t rnn_training_fingerprint(const Config *cfg, const RnnGenotype *g);
void rnn_training_free(Session *s);

#endif
