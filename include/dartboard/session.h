/* session: a search (or the training of a derived cell) running in a worker thread, seen through
 * snapshots and steered through commands.
 *
 * The worker owns the Search, the data and the run directory. After every
 * step it publishes a Snapshot (lock, copy, bump seq, unlock: it never waits
 * on a reader). Front-ends (the ncurses UI, the headless printer) copy the
 * newest snapshot out and draw after unlocking; they send Commands through a
 * small queue the worker drains between steps. No front-end touches a tensor,
 * and nothing here includes curses.
 */
#ifndef DARTBOARD_SESSION_H
#define DARTBOARD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/config.h"
#include "dartboard/genotype.h"
#include "dartboard/rnn_genotype.h"
#include "dartboard/run_csv.h" /* MetricRow and MonitorRow, rows of metrics.csv and monitors.csv */

typedef enum SessionState {
    SESSION_STARTING, /* loading data, planning the network */
    SESSION_RUNNING,
    SESSION_PAUSED,
    SESSION_DONE,
    SESSION_ERROR,
    SESSION_STATE_COUNT
} SessionState;

extern const char *const session_state_names[SESSION_STATE_COUNT]; /* "RUNNING", ... */

#define SNAPSHOT_ROWS 512     /* newest metric rows kept in a snapshot */
#define SNAPSHOT_MONITORS 128 /* newest monitor rows kept in a snapshot */
#define SNAPSHOT_MESSAGE 256
#define SNAPSHOT_MESSAGES 16 /* newest messages kept, for a reader that polls (headless) */
#define SNAPSHOT_PROGRESS 32 /* newest progress points of a training run kept */

/* A training run's progress every run.report_every steps, between its epoch
 * rows (not at an epoch's end, which has its row). */
typedef struct TrainProgress {
    int64_t step;
    int epoch;        /* the epoch under way, from 0 */
    float epoch_done; /* how much of it is done, in [0, 1) */
    float lr;         /* of this step */
    float train_loss; /* mean over the epoch's steps so far */
    /* the epoch so far: accuracy in percent, or for a recurrent cell the perplexity */
    float train_acc;
    double ms_per_step, per_s; /* per_s: images, or for a recurrent cell tokens, per second */
    double eta_seconds;
} TrainProgress;

typedef struct Snapshot {
    uint64_t seq; /* bumped at every publish */
    SessionState state;
    /* 1: `dartboard train`, the derived cell `genotype` trained from scratch.
     * Then rows are epochs (step = epoch = the epoch's number, from 1),
     * val_* are the test split's figures, and there are no alphas. */
    int training;
    /* Training a recurrent cell (recurrent below): averaged SGD is on. */
    int asgd;
    float drop_path;              /* drop-path probability of the next step */
    long long params, params_aux; /* weights without and with the auxiliary head */
    char preset[64];
    char run_dir[1024];        /* RUNDIR_PATH_MAX */
    int64_t step, total_steps; /* steps done, steps the run will do */
    int epoch, epochs;         /* epoch of the next step, from 0; epochs the run will do */
    float lr, arch_lr;         /* lr of the next step */
    int order;
    /* latest step (per-step values, noisy) */
    float step_train_loss, step_val_loss;
    /* latest report row (also rows[n_rows - 1]) */
    float train_loss, train_acc, val_loss, val_acc;
    double ms_per_step, images_per_s, eta_seconds, elapsed_seconds;
    int nodes, edges;
    float alpha_normal[GENOTYPE_MAX_EDGES][OP_COUNT]; /* softmaxed */
    float alpha_reduce[GENOTYPE_MAX_EDGES][OP_COUNT];
    Genotype genotype;      /* derived now */
    Genotype prev_genotype; /* derived at the previous report */
    int64_t rows_total;     /* rows ever reported; rows[] holds the newest n_rows */
    int64_t rows_resumed;   /* of those, rows read back from a resumed run directory */
    int n_rows;
    MetricRow rows[SNAPSHOT_ROWS];
    /* 1: the recurrent cell (data.set kjv or text). Then the rows' train_acc
     * and val_acc hold the perplexities (train_ppl, val_ppl) and the cell is
     * rnn_genotype; nodes and edges are those of the recurrent cell (8, 36).
     * A search's alphas are alpha_rnn. With training (a recurrent cell
     * trained from scratch, rnntrain.h): val_loss is the valid loss,
     * images_per_s is tokens per second, steps are BPTT windows (their count
     * per epoch varies: total_steps is an estimate), and there are no alphas. */
    int recurrent;
    float alpha_rnn[RNN_EDGES][RNN_OP_COUNT]; /* softmaxed */
    RnnGenotype rnn_genotype, rnn_prev_genotype;
    double tokens_per_s;
    int seq_len; /* of the latest step's weight window */
    /* the collapse monitors (monitor.h) of a CNN search, every monitor.every
     * steps: this process's rows (a resumed run's earlier ones are in
     * monitors.csv) */
    int64_t monitors_total; /* rows computed; monitors[] holds the newest n_monitors */
    int n_monitors;
    MonitorRow monitors[SNAPSHOT_MONITORS];
    double monitor_ms; /* the time the newest row took */
    /* DARTS-ES (monitor.es) stopped the search at step es_stop_step: the
     * local average of lambda_max grew es_growth-fold since the one centred
     * at es_keep_step (epoch es_keep_epoch), whose genotype es_genotype is
     * the run's result */
    int es_stopped;
    int64_t es_stop_step, es_keep_step;
    double es_keep_epoch, es_growth;
    Genotype es_genotype;
    /* A training run's progress points: progress_total made; point n (from
     * 1) is progress[n % SNAPSHOT_PROGRESS] while n > progress_total -
     * SNAPSHOT_PROGRESS. */
    int64_t progress_total;
    TrainProgress progress[SNAPSHOT_PROGRESS];
    /* remedy.adaptive_wd: DARTS-ES's triggers this process turned into
     * rollbacks, the newest to es_rollback_step (config.optim.weight_decay
     * is the raised value) */
    int es_rollbacks;
    int64_t es_rollback_step;
    Config config;                  /* the live hyperparameters */
    uint64_t message_seq;           /* messages said so far (bumped with each) */
    char message[SNAPSHOT_MESSAGE]; /* the newest (the UI's message line) */
    /* Message n (from 1) is messages[n % SNAPSHOT_MESSAGES] while n >
     * message_seq - SNAPSHOT_MESSAGES: a reader that polls prints every one
     * it has not seen (snapshot_message). */
    char messages[SNAPSHOT_MESSAGES][SNAPSHOT_MESSAGE];
} Snapshot;

/* Message n (1 <= n <= s->message_seq) while the snapshot still holds it,
 * else NULL (overwritten by newer ones, or never said). */
const char *snapshot_message(const Snapshot *s, uint64_t n);

/* Seconds (an ETA, a wall time) as "1:02:03" or "4:05"; "--" when unknown
 * (negative, not finite, or beyond 1e9 s, which no long may hold on every
 * platform's cast). For the front-ends' status lines. */
void duration_text(char *buf, size_t len, double seconds);

typedef enum CommandKind {
    CMD_PAUSE,
    CMD_RESUME,
    CMD_TOGGLE_PAUSE,
    CMD_STEP_ONCE, /* while paused: run exactly one step */
    CMD_SET,       /* key = value, validated by config_set() */
    CMD_CHECKPOINT,
    CMD_EXPORT, /* genotype and diagrams into the run directory */
    CMD_STOP    /* checkpoint and finish */
} CommandKind;

typedef struct Command {
    CommandKind kind;
    char key[64];
    char value[64];
} Command;

typedef struct SessionOptions {
    const char *out_dir;    /* NULL: runs/<preset>-<timestamp> */
    const char *resume_dir; /* continue this run */
    int64_t max_steps;      /* stop after this global step (0: from epochs) */
    int max_epochs;         /* 0: cfg->run.epochs */
    int start_paused;
    int linger; /* after the run ends, keep serving CMD_CHECKPOINT/CMD_EXPORT
                   until CMD_STOP (a UI that stays open); 0: finish at once */
    /* Not NULL: train this cell from scratch (dartboard train) instead of
     * searching; copied by session_create. */
    const Genotype *genotype;
    /* Not NULL: train this recurrent cell from scratch instead (the
     * configuration's data.set is kjv or text); copied by session_create. */
    const RnnGenotype *rnn_genotype;
} SessionOptions;

typedef struct Session Session;

/* Validates, loads data lazily in the worker. Returns NULL + err on a bad
 * configuration or an unusable resume directory. */
Session *session_create(const Config *cfg, const SessionOptions *opt, char *err, size_t errlen);
int session_start(Session *s);
/* Copies the newest snapshot; returns its seq. Cheap; never blocks on the worker's step. */
uint64_t session_snapshot(Session *s, Snapshot *out);
/* Seq of the newest snapshot, without copying (to skip redraws). */
uint64_t session_seq(Session *s);
void session_command(Session *s, const Command *cmd);
/* CMD_STOP that is safe to call from a signal handler (one atomic store; the
 * worker notices within 100 ms, also while paused). */
void session_request_stop(Session *s);
/* Waits for the worker to finish; returns the exit status (0 done, 1 error). */
int session_join(Session *s);
void session_free(Session *s);

/* The command that trains the cell a search found in run_dir from scratch,
 * for the user to copy: dartboard train --genotype RUN_DIR, the directory
 * quoted for a POSIX shell when it holds anything but [A-Za-z0-9/._+-]. */
#define SESSION_TRAIN_COMMAND_MAX (4 * 1024 + 64)
void session_train_command(const char *run_dir, char *buf, size_t len);

#endif
