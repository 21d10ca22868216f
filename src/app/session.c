/* session: see include/dartboard/session.h
 *
 * Locks: snap_lock guards `shared` (the published snapshot); cmd_lock guards
 * the command queue. The worker never holds both, and never holds either
 * while it computes or writes files. Everything else in a Session belongs to
 * the worker once session_start() has run.
 *
 * Bookkeeping that must survive a resume (the report accumulators, whether
 * the newest metric row was only the end-of-run row of a bounded run, the
 * running time) travels in the checkpoint's extra block, so a resumed run
 * writes exactly the rows an uninterrupted one would.
 */
#include "config.h"
#include "dartboard/session.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dartboard/checkpoint.h"
#include "dartboard/data.h"
#include "dartboard/dist.h"
#include "dartboard/export.h"
#include "dartboard/le.h"
#include "dartboard/parallel.h"
#include "dartboard/rundir.h"
#include "dartboard/search.h"
#include "session_internal.h"

const char *const session_state_names[SESSION_STATE_COUNT] = {
    [SESSION_STARTING] = "STARTING", [SESSION_RUNNING] = "RUNNING", [SESSION_PAUSED] = "PAUSED",
    [SESSION_DONE] = "DONE",         [SESSION_ERROR] = "ERROR",
};

_Static_assert(sizeof(((Snapshot *)0)->run_dir) == RUNDIR_PATH_MAX,
               "a snapshot holds any run path");

#define EMA_WEIGHT 0.1       /* ms/step: new sample's share */
#define APP_STATE_VERSION 2u /* 1: before the DARTS-ES history was checkpointed */

/* ---------------------------------------------------------------- small helpers */

double session_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void session_publish(Session *s)
{
    pthread_mutex_lock(&s->snap_lock);
    s->priv.seq = s->shared.seq + 1;
    memcpy(&s->shared, &s->priv, sizeof s->shared);
    pthread_mutex_unlock(&s->snap_lock);
}

void session_say(Session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->priv.message, sizeof s->priv.message, fmt, ap);
    va_end(ap);
    s->priv.message_seq++;
    /* Also into the ring, so a reader that polls misses none said between two reads. */
    memcpy(s->priv.messages[s->priv.message_seq % SNAPSHOT_MESSAGES], s->priv.message,
           sizeof s->priv.message);
}

const char *snapshot_message(const Snapshot *s, uint64_t n)
{
    if (n == 0 || n > s->message_seq || s->message_seq - n >= SNAPSHOT_MESSAGES)
        return NULL;
    return s->messages[n % SNAPSHOT_MESSAGES];
}

void duration_text(char *buf, size_t len, double seconds)
{
    if (!isfinite(seconds) || seconds < 0.0 || seconds >= 1e9) {
        snprintf(buf, len, "--");
        return;
    }
    long t = (long)(seconds + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

WorkerStep session_step_failed(Session *s, const char *err)
{
    session_say(s, "%s; %s stopped, checkpoint.bin of step %lld kept", err,
                s->training ? "training" : "search", (long long)s->checkpoint_step);
    return WORKER_FAILED;
}

/* A write to the run directory failed: the run stops with exit 1 and
 * writes nothing more, so the newest checkpoint and the rows up to it stay
 * as they are, resumable once the cause is fixed. Returns -1. */
int session_write_failure(Session *s, const char *err)
{
    session_say(s, "%s; %s stopped, checkpoint.bin of step %lld kept (continue with --resume %s)",
                err, s->training ? "training" : "search", (long long)s->checkpoint_step,
                s->rd.path);
    s->write_failed = 1;
    return -1;
}

int64_t session_target(const Session *s)
{
    int64_t total = (int64_t)s->cfg.run.epochs * s->steps_per_epoch;
    if (s->opt.max_epochs > 0 && (int64_t)s->opt.max_epochs * s->steps_per_epoch < total)
        total = (int64_t)s->opt.max_epochs * s->steps_per_epoch;
    if (s->opt.max_steps > 0 && s->opt.max_steps < total)
        total = s->opt.max_steps;
    return total;
}

static void refresh_progress(Session *s)
{
    Snapshot *p = &s->priv;
    s->target = session_target(s);
    p->step = search_step_count(s->search);
    p->total_steps = s->target;
    p->epoch = search_epoch(s->search);
    p->epochs = (int)((s->target + s->steps_per_epoch - 1) / s->steps_per_epoch);
    p->lr = search_current_lr(s->search);
    p->arch_lr = (float)s->cfg.arch.lr;
    p->order = s->cfg.arch.order;
    p->config = s->cfg;
    p->eta_seconds = p->ms_per_step * 1e-3 * (double)(s->target - p->step);
    p->elapsed_seconds = s->app.elapsed;
}

static void refresh_alphas(Session *s)
{
    Snapshot *p = &s->priv;
    search_alpha_weights(s->search, s->w_normal, s->w_reduce);
    for (int e = 0; e < p->edges; e++)
        for (int o = 0; o < OP_COUNT; o++) {
            p->alpha_normal[e][o] = s->w_normal[e * OP_COUNT + o];
            p->alpha_reduce[e][o] = s->w_reduce[e * OP_COUNT + o];
        }
    search_genotype(s->search, &p->genotype);
}

void session_push_row(Snapshot *p, const MetricRow *r)
{
    if (p->n_rows == SNAPSHOT_ROWS) {
        memmove(p->rows, p->rows + 1, sizeof p->rows[0] * (SNAPSHOT_ROWS - 1));
        p->n_rows--;
    }
    p->rows[p->n_rows++] = *r;
    p->rows_total++;
    p->train_loss = r->train_loss;
    p->train_acc = r->train_acc;
    p->val_loss = r->val_loss;
    p->val_acc = r->val_acc;
}

/* ---------------------------------------------------------------- checkpoint extra block */

#define GENOTYPE_BYTES (4 * (1 + 2 * 2 * 2 * GENOTYPE_MAX_NODES + 2 * (GENOTYPE_MAX_NODES + 2) + 2))
#define APP_STATE_V1_BYTES (4 + 4 + 8 + 8 + 2 * 8 + 4 * 8 + GENOTYPE_BYTES)
/* Version 2 adds the DARTS-ES history (monitor.h): evaluations so far, then
 * per ring slot lambda, epoch, step and genotype. */
#define APP_STATE_BYTES (APP_STATE_V1_BYTES + 8 + MONITOR_ES_RING * (3 * 8 + GENOTYPE_BYTES))

/* A cursor over the block; every field through the one codec (le.h). */
typedef struct Cursor {
    unsigned char *p;
    const unsigned char *q;
} Cursor;

static void put_i32(Cursor *c, int v)
{
    le_put_u32(c->p, (uint32_t)(int32_t)v);
    c->p += 4;
}

static void put_i64(Cursor *c, int64_t v)
{
    le_put_u64(c->p, (uint64_t)v);
    c->p += 8;
}

static void put_f64(Cursor *c, double v)
{
    le_put_f64(c->p, v);
    c->p += 8;
}

static int get_i32(Cursor *c)
{
    int v = (int32_t)le_get_u32(c->q);
    c->q += 4;
    return v;
}

static int64_t get_i64(Cursor *c)
{
    int64_t v = (int64_t)le_get_u64(c->q);
    c->q += 8;
    return v;
}

static double get_f64(Cursor *c)
{
    double v = le_get_f64(c->q);
    c->q += 8;
    return v;
}

static void put_genotype(Cursor *c, const Genotype *g)
{
    put_i32(c, g->nodes);
    for (int i = 0; i < 2 * GENOTYPE_MAX_NODES; i++) {
        put_i32(c, g->normal[i].op);
        put_i32(c, g->normal[i].input);
        put_i32(c, g->reduce[i].op);
        put_i32(c, g->reduce[i].input);
    }
    for (int i = 0; i < GENOTYPE_MAX_NODES + 2; i++) {
        put_i32(c, g->normal_concat[i]);
        put_i32(c, g->reduce_concat[i]);
    }
    put_i32(c, g->normal_concat_count);
    put_i32(c, g->reduce_concat_count);
}

static void get_genotype(Cursor *c, Genotype *g)
{
    g->nodes = get_i32(c);
    for (int i = 0; i < 2 * GENOTYPE_MAX_NODES; i++) {
        g->normal[i].op = get_i32(c);
        g->normal[i].input = get_i32(c);
        g->reduce[i].op = get_i32(c);
        g->reduce[i].input = get_i32(c);
    }
    for (int i = 0; i < GENOTYPE_MAX_NODES + 2; i++) {
        g->normal_concat[i] = get_i32(c);
        g->reduce_concat[i] = get_i32(c);
    }
    g->normal_concat_count = get_i32(c);
    g->reduce_concat_count = get_i32(c);
}

/* The bookkeeping and the DARTS-ES history (so that a resumed run stops,
 * or rolls back, where an uninterrupted one does). */
static void app_state_encode(const AppState *a, const EarlyStop *es, unsigned char *buf)
{
    Cursor c = {.p = buf};
    put_i32(&c, APP_STATE_VERSION);
    put_i32(&c, a->tail_row);
    put_f64(&c, a->elapsed);
    put_f64(&c, a->last_lr);
    put_f64(&c, a->acc.train_loss);
    put_f64(&c, a->acc.val_loss);
    put_i64(&c, a->acc.train_correct);
    put_i64(&c, a->acc.val_correct);
    put_i64(&c, a->acc.images);
    put_i64(&c, a->acc.batches);
    put_genotype(&c, &a->report_genotype);
    put_i64(&c, es->evals);
    for (int i = 0; i < MONITOR_ES_RING; i++) {
        put_f64(&c, es->lambda[i]);
        put_f64(&c, es->epoch[i]);
        put_i64(&c, es->step[i]);
        put_genotype(&c, &es->genotype[i]);
    }
}

static int finite_nonneg(double x)
{
    return isfinite(x) && x >= 0;
}

/* The genotype of the previous report: none yet (all zero), or a derived
 * cell of this network: two edges per node from earlier states, real ops,
 * concat = range(2, 2 + nodes). */
static int genotype_plausible(const Genotype *g, int nodes)
{
    Genotype zero;
    memset(&zero, 0, sizeof zero);
    if (memcmp(g, &zero, sizeof zero) == 0)
        return 1;
    if (g->nodes != nodes || g->normal_concat_count != nodes || g->reduce_concat_count != nodes)
        return 0;
    for (int i = 0; i < 2 * GENOTYPE_MAX_NODES; i++) {
        const GenoEdge *e[2] = {&g->normal[i], &g->reduce[i]};
        for (int k = 0; k < 2; k++) {
            int bad = i < 2 * nodes ? e[k]->op <= OP_NONE || e[k]->op >= OP_COUNT ||
                                          e[k]->input < 0 || e[k]->input >= 2 + i / 2
                                    : e[k]->op != 0 || e[k]->input != 0;
            if (bad)
                return 0;
        }
    }
    for (int i = 0; i < GENOTYPE_MAX_NODES + 2; i++) {
        int want = i < nodes ? 2 + i : 0;
        if (g->normal_concat[i] != want || g->reduce_concat[i] != want)
            return 0;
    }
    return 1;
}

/* Decodes and range-checks the block: the CRC only proves the bytes are the
 * ones written, not that the writer wrote sense. NULL, or what is wrong. */
static const char *app_state_decode(AppState *a, EarlyStop *es, const unsigned char *buf,
                                    size_t len, int nodes, int64_t step)
{
    Cursor c = {.q = buf};
    int version = len >= 4 ? get_i32(&c) : 0;
    if ((version != 1 || len != APP_STATE_V1_BYTES) &&
        (version != (int)APP_STATE_VERSION || len != APP_STATE_BYTES))
        return "session state block has an unknown version or length";
    a->tail_row = get_i32(&c);
    a->elapsed = get_f64(&c);
    a->last_lr = get_f64(&c);
    a->acc.train_loss = get_f64(&c);
    a->acc.val_loss = get_f64(&c);
    a->acc.train_correct = get_i64(&c);
    a->acc.val_correct = get_i64(&c);
    a->acc.images = get_i64(&c);
    a->acc.batches = get_i64(&c);
    Genotype *g = &a->report_genotype;
    get_genotype(&c, g);
    es->evals = 0; /* version 1: no history, as that version's runs resumed */
    if (version >= 2) {
        es->evals = get_i64(&c);
        for (int i = 0; i < MONITOR_ES_RING; i++) {
            es->lambda[i] = get_f64(&c);
            es->epoch[i] = get_f64(&c);
            es->step[i] = get_i64(&c);
            get_genotype(&c, &es->genotype[i]);
        }
    }

    const Accum *acc = &a->acc;
    if (a->tail_row != 0 && a->tail_row != 1)
        return "session state: tail-row flag out of range (expected 0 or 1)";
    if (!finite_nonneg(a->elapsed) || !finite_nonneg(a->last_lr))
        return "session state: running time or learning rate out of range (expected finite, "
               ">= 0)";
    if (!finite_nonneg(acc->train_loss) || !finite_nonneg(acc->val_loss) || acc->batches < 0 ||
        acc->images < acc->batches || acc->train_correct < 0 || acc->val_correct < 0 ||
        acc->train_correct > acc->images || acc->val_correct > acc->images)
        return "session state: report accumulators out of range";
    if (!genotype_plausible(g, nodes))
        return "session state: the genotype of the previous report is not a cell of this "
               "network";
    if (es->evals < 0)
        return "session state: DARTS-ES evaluation count out of range (expected >= 0)";
    for (int64_t j = es->evals > MONITOR_ES_RING ? es->evals - MONITOR_ES_RING : 0; j < es->evals;
         j++) {
        int i = (int)(j % MONITOR_ES_RING);
        if (!isfinite(es->lambda[i]) || !finite_nonneg(es->epoch[i]) || es->step[i] < 0 ||
            es->step[i] > step || !genotype_plausible(&es->genotype[i], nodes))
            return "session state: a DARTS-ES evaluation out of range (expected a finite "
                   "lambda_max, a step up to the checkpoint's and a cell of this network)";
    }
    return NULL;
}

static int write_search_body(const void *ctx, FILE *f)
{
    return search_save_state(ctx, f);
}

/* The current step with `app` as the bookkeeping, as the checkpoint file
 * `name` of the run directory. */
static int save_state(Session *s, const AppState *app, const char *name, char *err, size_t errlen)
{
    unsigned char *extra = malloc(APP_STATE_BYTES);
    if (!extra) {
        snprintf(err, errlen, "%s/%s: out of memory", s->rd.path, name);
        return -1;
    }
    app_state_encode(app, &s->es, extra);
    char path[RUNDIR_FILE_MAX];
    rundir_file(&s->rd, name, path, sizeof path);
    int rc = checkpoint_save(path, s->fingerprint, search_step_count(s->search), extra,
                             APP_STATE_BYTES, write_search_body, s->search, err, errlen);
    free(extra);
    return rc;
}

/* Checkpoints the current step with `app` as the bookkeeping. */
static int save_checkpoint(Session *s, const AppState *app, char *err, size_t errlen)
{
    if (save_state(s, app, "checkpoint.bin", err, errlen) != 0)
        return -1;
    s->checkpoint_step = search_step_count(s->search);
    return 0;
}

/* The current state, search or training, as checkpoint.bin. */
static int checkpoint_current(Session *s, char *err, size_t errlen)
{
    if (s->training)
        return training_checkpoint(s, err, errlen);
    return s->recurrent ? rnnsearch_checkpoint(s, err, errlen)
                        : save_checkpoint(s, &s->app, err, errlen);
}

static int64_t current_step(const Session *s)
{
    if (s->training)
        return training_step_count(s);
    if (s->recurrent)
        return s->rnn ? rnnsearch_step_count(s->rnn) : 0;
    return search_step_count(s->search);
}

int session_checkpoint_now(Session *s, int announce)
{
    char err[ERR_LEN];
    if (checkpoint_current(s, err, sizeof err) != 0)
        return session_write_failure(s, err);
    if (announce)
        session_say(s, "checkpoint written: %s/checkpoint.bin (step %lld)", s->rd.path,
                    (long long)current_step(s));
    return 0;
}

/* ---------------------------------------------------------------- metric rows */

/* Steps that get a metric row in every run, however it was interrupted:
 * report intervals and epoch ends. (The last step of a run also gets one.) */
static int regular_row(const Session *s, int64_t step)
{
    return (s->cfg.run.report_every > 0 && step % s->cfg.run.report_every == 0) ||
           step % s->steps_per_epoch == 0;
}

/* Writes the metric row and alpha block for the current step; with `eval`
 * its val_* come from search_evaluate (the row ends an epoch or the run).
 * Returns 0 or -1 (a write failed: the run stops). */
static int write_row(Session *s, int eval)
{
    int64_t step = search_step_count(s->search);
    const Accum *a = &s->app.acc;
    MetricRow r = {0};
    r.step = step;
    r.epoch = (int)((step - 1) / s->steps_per_epoch);
    r.lr = (float)s->app.last_lr;
    if (a->batches > 0) {
        r.train_loss = (float)(a->train_loss / (double)a->batches);
        r.val_loss = (float)(a->val_loss / (double)a->batches);
    }
    if (a->images > 0) {
        r.train_acc = (float)(100.0 * (double)a->train_correct / (double)a->images);
        r.val_acc = (float)(100.0 * (double)a->val_correct / (double)a->images);
    }
    if (eval)
        search_evaluate(s->search, s->cfg.run.eval_samples, &r.val_loss, &r.val_acc);
    r.seconds = s->app.elapsed;

    char err[ERR_LEN];
    refresh_alphas(s);
    if (rundir_append_metrics(&s->rd, &r, err, sizeof err) != 0 ||
        rundir_append_alphas(&s->rd, step, s->priv.edges, s->w_normal, s->w_reduce, err,
                             sizeof err) != 0 ||
        rundir_write_genotype(&s->rd, &s->priv.genotype, s->w_normal, s->w_reduce, err,
                              sizeof err) != 0)
        return session_write_failure(s, err);
    session_push_row(&s->priv, &r);
    s->priv.prev_genotype = s->app.report_genotype;
    s->app.report_genotype = s->priv.genotype;
    memset(&s->app.acc, 0, sizeof s->app.acc);
    s->last_row_step = step;
    return 0;
}

/* ---------------------------------------------------------------- commands */

static void apply_set(Session *s, const Command *c)
{
    char err[ERR_LEN], old_value[CONFIG_STR], new_value[CONFIG_STR];
    const ConfigKey *key = config_key_find(c->key);
    if (key && !config_key_applies(key, s->training, config_is_recurrent(&s->cfg))) {
        session_say(s, "%s does not apply to a %s", c->key,
                    s->training ? "training run" : "search");
        return;
    }
    if (key && !key->live) {
        session_say(s, "%s cannot change while a %s runs (it shapes the network or data)", c->key,
                    s->training ? "training" : "search");
        return;
    }
    Config next = s->cfg;
    if (config_set(&next, c->key, c->value, err, sizeof err) != 0 ||
        config_validate(&next, err, sizeof err) != 0) {
        session_say(s, "refused: %s", err);
        return;
    }
    config_get(&s->cfg, c->key, old_value, sizeof old_value);
    config_get(&next, c->key, new_value, sizeof new_value);
    int64_t step = current_step(s);
    if (strcmp(old_value, new_value) == 0) {
        session_say(s, "%s is already %s", c->key, new_value);
        return;
    }
    s->cfg = next;
    if (strcmp(c->key, "run.threads") == 0)
        parallel_set_threads(s->cfg.run.threads);
    /* The checkpoint first, so a resume never replays steps before this
     * boundary with the new value from config.yaml. */
    if (checkpoint_current(s, err, sizeof err) != 0 ||
        rundir_write_config(&s->rd, &s->cfg, err, sizeof err) != 0 ||
        rundir_log_change(&s->rd, step, c->key, old_value, new_value, err, sizeof err) != 0) {
        session_write_failure(s, err);
        return;
    }
    session_say(s, "step %lld: %s %s -> %s", (long long)step, c->key, old_value, new_value);
}

static void export_all(Session *s)
{
    char err[ERR_LEN], msg[ERR_LEN];
    /* The exporter reads the run directory: bring a search's genotype up to
     * now (a training run's genotype.py is the cell it trains, written once). */
    if (!s->training && s->recurrent) {
        if (rnnsearch_export(s, err, sizeof err) != 0) {
            session_write_failure(s, err);
            return;
        }
    } else if (!s->training) {
        refresh_alphas(s);
        if (rundir_write_genotype(&s->rd, &s->priv.genotype, s->w_normal, s->w_reduce, err,
                                  sizeof err) != 0) {
            session_write_failure(s, err);
            return;
        }
    }
    if (export_run_dir(s->rd.path, "py,json,yaml,dot,tikz,svg", NULL, msg, sizeof msg) != 0)
        session_say(s, "export failed: %s", msg);
    else
        session_say(s, "%s", msg);
}

/* Handles one command. Returns 1 when the worker must stop (asked to, or
 * a write failed). */
static int handle(Session *s, const Command *c, int *step_once)
{
    switch (c->kind) {
    case CMD_PAUSE:
        s->paused = 1;
        break;
    case CMD_RESUME:
        s->paused = 0;
        break;
    case CMD_TOGGLE_PAUSE:
        s->paused = !s->paused;
        break;
    case CMD_STEP_ONCE:
        if (s->paused)
            *step_once = 1;
        break;
    case CMD_SET:
        apply_set(s, c);
        break;
    case CMD_CHECKPOINT:
        session_checkpoint_now(s, 1);
        break;
    case CMD_EXPORT:
        export_all(s);
        break;
    case CMD_STOP:
        return 1;
    }
    return s->write_failed;
}

/* Takes every queued command (waiting while paused and nothing is queued),
 * handles them outside the lock. Returns 1 when the worker must stop;
 * *step_once is set when a paused worker should run exactly one step. */
int session_drain_commands(Session *s, int *step_once, int wait_while_paused)
{
    *step_once = 0;
    for (;;) {
        Command local[QUEUE_SIZE];
        int n = 0, stop;
        pthread_mutex_lock(&s->cmd_lock);
        while (wait_while_paused && s->paused && s->q_count == 0 && !s->stop &&
               !atomic_load(&s->stop_async)) {
            /* Timed, so a signal handler's session_request_stop is seen. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100 * 1000 * 1000;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cmd_cond, &s->cmd_lock, &until);
        }
        while (s->q_count > 0) {
            local[n++] = s->queue[s->q_head];
            s->q_head = (s->q_head + 1) % QUEUE_SIZE;
            s->q_count--;
        }
        stop = s->stop || atomic_load(&s->stop_async);
        pthread_mutex_unlock(&s->cmd_lock);

        uint64_t msg = s->priv.message_seq;
        int was_paused = s->paused;
        for (int i = 0; i < n && !stop; i++)
            stop = handle(s, &local[i], step_once);
        if (stop)
            return 1;
        if (s->priv.state == SESSION_RUNNING || s->priv.state == SESSION_PAUSED)
            s->priv.state = s->paused ? SESSION_PAUSED : SESSION_RUNNING;
        if (n > 0 && (msg != s->priv.message_seq || was_paused != s->paused)) {
            if (s->training)
                training_refresh(s);
            else if (s->recurrent)
                rnnsearch_refresh(s);
            else
                refresh_progress(s);
            session_publish(s);
        }
        if (!wait_while_paused || !s->paused || *step_once)
            return 0;
    }
}

/* ---------------------------------------------------------------- the worker */

/* Keys given anew on a resume (--set, --threads, ...) are changes like the
 * UI's: logged in changes.log and written to config.yaml, so the next resume
 * keeps them. */
int session_record_resume_overrides(Session *s, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX];
    rundir_file(&s->rd, "config.yaml", path, sizeof path);
    Config saved;
    config_defaults(&saved);
    if (config_load_file(&saved, path, err, errlen) != 0)
        return -1;
    int n, changed = 0;
    const ConfigKey *keys = config_keys(&n);
    int64_t step = current_step(s);
    for (int i = 0; i < n; i++) {
        char was[CONFIG_STR], now[CONFIG_STR];
        if (config_get(&saved, keys[i].name, was, sizeof was) != 0 ||
            config_get(&s->cfg, keys[i].name, now, sizeof now) != 0 || strcmp(was, now) == 0)
            continue;
        if (rundir_log_change(&s->rd, step, keys[i].name, was, now, err, errlen) != 0)
            return -1;
        changed = 1;
    }
    return changed ? rundir_write_config(&s->rd, &s->cfg, err, errlen) : 0;
}

/* Reads the checkpoint file `name` (checkpoint.bin, or a state kept for
 * remedy.adaptive_wd) into the search, the bookkeeping and the DARTS-ES
 * history. The search's shape says how large the file must be, so nothing
 * larger is ever read. */
static int load_checkpoint(Session *s, const char *name, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX], why[512];
    rundir_file(&s->rd, name, path, sizeof path);
    size_t body_len = search_state_bytes(s->search);
    Checkpoint c;
    if (checkpoint_read(&c, path, s->fingerprint, checkpoint_size(APP_STATE_BYTES, body_len), err,
                        errlen) != 0)
        return -1;
    int rc = -1;
    EarlyStop *es = malloc(sizeof *es);
    const char *bad =
        !es ? "out of memory"
            : app_state_decode(&s->app, es, c.extra, c.extra_len, s->cfg.model.nodes, c.step);
    FILE *body = NULL;
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, bad);
    } else if (c.body_len != body_len) {
        snprintf(err, errlen, "%s: search state of %zu bytes (this network saves %zu)", path,
                 c.body_len, body_len);
    } else if (!(body = checkpoint_body_stream(&c))) {
        snprintf(err, errlen, "%s: out of memory", path);
    } else if (search_load_state(s->search, body, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
    } else if (search_step_count(s->search) != c.step) {
        snprintf(err, errlen, "%s: header says step %lld, state says %lld", path, (long long)c.step,
                 (long long)search_step_count(s->search));
    } else {
        rc = 0;
        s->es.evals = es->evals; /* the detector's settings stay the live configuration's */
        memcpy(s->es.lambda, es->lambda, sizeof es->lambda);
        memcpy(s->es.epoch, es->epoch, sizeof es->epoch);
        memcpy(s->es.step, es->step, sizeof es->step);
        memcpy(s->es.genotype, es->genotype, sizeof es->genotype);
    }
    if (body)
        fclose(body);
    free(es);
    s->checkpoint_step = c.step;
    checkpoint_release(&c);
    return rc;
}

/* Continues the run from the checkpoint file `name`: the CSV rows after it
 * are dropped and rewritten as the search gets there again. `rollback`: a
 * running search goes back to a state kept for remedy.adaptive_wd; the CSV
 * files are cut on disk at once, and the snapshot's row counts keep growing
 * (front-ends count the rows they have shown). */
static int continue_from(Session *s, const char *name, int rollback, char *err, size_t errlen)
{
    Snapshot *p = &s->priv;
    if (load_checkpoint(s, name, err, errlen) != 0)
        return -1;
    int64_t step = search_step_count(s->search);
    s->target = session_target(s);
    if (rundir_open(&s->rd, step, !s->app.tail_row, err, errlen) != 0 ||
        (rollback && rundir_rewrite_rows(&s->rd, err, errlen) != 0))
        return -1;
    /* A malformed metric row refuses the resume before anything is written. */
    int64_t total;
    int rows = rundir_metric_rows(&s->rd, p->rows, SNAPSHOT_ROWS, &total, err, errlen);
    if (rows < 0)
        return -1;
    p->n_rows = rows;
    if (!rollback)
        p->rows_total = total;
    if (!rollback && session_record_resume_overrides(s, err, errlen) != 0)
        return -1;
    if (p->n_rows > 0) {
        const MetricRow *r = &p->rows[p->n_rows - 1];
        s->last_row_step = r->step;
        p->train_loss = r->train_loss;
        p->train_acc = r->train_acc;
        p->val_loss = r->val_loss;
        p->val_acc = r->val_acc;
    }
    /* The tail row was dropped; counting resumes from before it, and
     * where an uninterrupted run reports at this step, it does so now. */
    p->prev_genotype = s->app.report_genotype;
    if (s->app.tail_row && step < s->target && regular_row(s, step)) {
        s->app.tail_row = 0;
        if (write_row(s, 0) != 0) {
            snprintf(err, errlen, "%s", s->priv.message);
            return -1;
        }
    }
    s->app.tail_row = 0;
    if (!rollback)
        p->rows_resumed = p->rows_total; /* the rewritten tail row was shown back then */
    return 0;
}

int session_rollback(Session *s, int64_t keep_step, double weight_decay)
{
    char name[RUNDIR_NAME_MAX], path[RUNDIR_FILE_MAX], err[ERR_LEN];
    rundir_kept_state_name(keep_step, name, sizeof name);
    rundir_file(&s->rd, name, path, sizeof path);
    if (access(path, F_OK) != 0)
        return 1; /* not kept (monitor.es_window grew on a resume): stop as DARTS-ES does */
    /* The files of every state kept so far: none can be a centre again once
     * the history restarts below. */
    int64_t kept[MONITOR_ES_RING], n_kept = 0;
    for (int64_t j = s->es.evals > MONITOR_ES_RING ? s->es.evals - MONITOR_ES_RING : 0;
         j < s->es.evals; j++)
        kept[n_kept++] = s->es.step[j % MONITOR_ES_RING];
    double elapsed = s->app.elapsed; /* the running time stays the wall clock's */
    if (continue_from(s, name, 1, err, sizeof err) != 0) {
        session_step_failed(s, err);
        return -1;
    }
    s->app.elapsed = elapsed;
    session_monitor_init(s); /* a new history, as RobustDARTS's new tracker */
    Snapshot *p = &s->priv;
    int n = 0;
    for (int i = 0; i < p->n_monitors; i++)
        if (p->monitors[i].step <= keep_step)
            p->monitors[n++] = p->monitors[i];
    p->n_monitors = n;

    /* As a live edit: the checkpoint first, so a resume never replays the
     * steps from here with the old weight decay. */
    char old_value[CONFIG_STR], new_value[CONFIG_STR];
    config_get(&s->cfg, "optim.weight_decay", old_value, sizeof old_value);
    s->cfg.optim.weight_decay = weight_decay;
    config_get(&s->cfg, "optim.weight_decay", new_value, sizeof new_value);
    if (save_checkpoint(s, &s->app, err, sizeof err) != 0 ||
        rundir_write_config(&s->rd, &s->cfg, err, sizeof err) != 0 ||
        rundir_log_change(&s->rd, keep_step, "optim.weight_decay", old_value, new_value, err,
                          sizeof err) != 0)
        return session_write_failure(s, err);
    for (int64_t i = 0; i < n_kept; i++)
        if (rundir_remove_kept_state(&s->rd, kept[i], err, sizeof err) != 0)
            return session_write_failure(s, err);
    p->es_rollbacks++;
    p->es_rollback_step = keep_step;
    return 0;
}

/* After the checkpoint of a step with a monitor row, with
 * remedy.adaptive_wd on: the same state (bookkeeping `app`) as a kept
 * state, and the kept states no later evaluation can roll back to removed.
 * Disk, not memory: a state is the size of checkpoint.bin (a few MB for the
 * demo supernet, ~16 MB for the paper's), at most MONITOR_ES_DELTA +
 * window/2 are kept, and they must outlive the process so that a
 * resumed run rolls back as an uninterrupted one does. */
static int keep_state(Session *s, const AppState *app)
{
    int64_t step = search_step_count(s->search);
    const EarlyStop *es = &s->es;
    if (s->cfg.remedy.adaptive_wd <= 0.0 || es->evals == 0 ||
        es->step[(es->evals - 1) % MONITOR_ES_RING] != step)
        return 0;
    char name[RUNDIR_NAME_MAX], err[ERR_LEN];
    rundir_kept_state_name(step, name, sizeof name);
    if (save_state(s, app, name, err, sizeof err) != 0)
        return session_write_failure(s, err);
    for (int64_t j = es->evals > MONITOR_ES_RING ? es->evals - MONITOR_ES_RING : 0;
         j < early_stop_next_centre(es); j++)
        if (rundir_remove_kept_state(&s->rd, es->step[j % MONITOR_ES_RING], err, sizeof err) != 0)
            return session_write_failure(s, err);
    return 0;
}

int session_start_rundir(Session *s, char *err, size_t errlen)
{
    if (s->restarting)
        session_say(s,
                    "%s: no checkpoint yet (stopped before its first one); starting from step 0 "
                    "with its config.yaml",
                    s->rd.path);
    return rundir_write_config(&s->rd, &s->cfg, err, errlen) != 0 ||
                   rundir_create(&s->rd, err, errlen) != 0
               ? -1
               : 0;
}

/* A new run (or one that never reached its first checkpoint): config.yaml,
 * header-only CSV files, then a checkpoint of step 0, so that from here on
 * the directory is always resumable. */
static int start_run(Session *s, char *err, size_t errlen)
{
    if (session_start_rundir(s, err, errlen) != 0 || save_checkpoint(s, &s->app, err, errlen) != 0)
        return -1;
    s->priv.prev_genotype = s->priv.genotype;
    return 0;
}

static int prepare(Session *s, char *err, size_t errlen)
{
    parallel_set_threads(s->cfg.run.threads); /* OpenMP settings are per thread */
    if (dataset_load(&s->data, &s->cfg, DATA_TRAIN, err, errlen) != 0)
        return -1;
    s->data_loaded = 1;
    s->search = search_create_dist(&s->cfg, &s->data, dist_reduce(&s->cfg), err, errlen);
    if (!s->search)
        return -1;
    s->steps_per_epoch = search_steps_per_epoch(s->search);
    if (s->steps_per_epoch < 1) {
        snprintf(err, errlen, "the weight split holds less than one batch (data.batch_size %d)",
                 s->cfg.data.batch_size);
        return -1;
    }
    Snapshot *p = &s->priv;
    p->nodes = s->cfg.model.nodes;
    p->edges = genotype_edge_count(p->nodes);
    refresh_alphas(s);
    session_monitor_init(s);
    if (s->resuming ? continue_from(s, "checkpoint.bin", 0, err, errlen)
                    : start_run(s, err, errlen))
        return -1;
    if (dist_lead_search(&s->cfg, s->search, err, errlen) != 0) /* the other MPI ranks */
        return -1;
    refresh_alphas(s);
    refresh_progress(s);
    return 0;
}

/* The end of a run that got to its target: the last row, checkpoint and
 * genotype. 0, or -1 when a write failed. */
static int finish_run(Session *s)
{
    int64_t step = search_step_count(s->search);
    char err[ERR_LEN];
    if (step > 0 && s->last_row_step != step && step % s->steps_per_epoch != 0) {
        /* A bounded run ends inside an epoch: this row (evaluated, as it ends
         * the run) exists only because the run ends here. The checkpoint keeps
         * the accumulators from before it and marks it, and a resume drops it
         * (rewriting it as an ordinary report row if it falls on one), so the
         * files come out as an uninterrupted run writes them. */
        AppState before = s->app;
        before.tail_row = 1;
        if (save_checkpoint(s, &before, err, sizeof err) != 0)
            return session_write_failure(s, err);
        if (keep_state(s, &before) != 0)
            return -1;
        return write_row(s, 1);
    }
    if (step > 0 && s->last_row_step != step && write_row(s, 1) != 0)
        return -1;
    if (session_checkpoint_now(s, 0) != 0 || keep_state(s, &s->app) != 0)
        return -1;
    refresh_alphas(s);
    if (rundir_write_genotype(&s->rd, &s->priv.genotype, s->w_normal, s->w_reduce, err,
                              sizeof err) != 0)
        return session_write_failure(s, err);
    return 0;
}

static int search_done(const Session *s)
{
    return search_step_count(s->search) >= s->target;
}

static WorkerStep search_once(Session *s)
{
    char err[ERR_LEN];
    Snapshot *p = &s->priv;
    if (dist_lead_search_step(&s->cfg, s->search, err, sizeof err) != 0) {
        session_say(s, "%s", err);
        return WORKER_FAILED;
    }
    double t0 = session_now();
    StepStats st;
    /* search_step refuses a non-finite loss and leaves the state as it was;
     * nothing of it is checkpointed. */
    if (search_step(s->search, &s->cfg, &st, err, sizeof err) != 0)
        return session_step_failed(s, err);
    Accum *a = &s->app.acc;
    a->train_loss += st.train_loss;
    a->val_loss += st.val_loss;
    a->train_correct += st.train_correct;
    a->val_correct += st.val_correct;
    a->images += st.batch;
    a->batches++;
    s->app.last_lr = st.lr;
    p->step_train_loss = st.train_loss;
    p->step_val_loss = st.val_loss;
    session_step_time(p, (session_now() - t0) * 1e3);
    p->images_per_s = p->ms_per_step > 0 ? st.batch * 1e3 / p->ms_per_step : 0;

    int64_t step = search_step_count(s->search);
    if (step < s->target && regular_row(s, step)) {
        if (write_row(s, step % s->steps_per_epoch == 0) != 0)
            return WORKER_FAILED;
    } else if (step < s->target) {
        refresh_alphas(s);
    }
    /* Before the checkpoint of this step: a resume keeps the row. */
    MonitorAction act;
    if (session_monitor_step(s, &act) != 0)
        return WORKER_FAILED;
    if (act == MONITOR_CONTINUE && step < s->target &&
        ((s->cfg.run.checkpoint_every > 0 && step % s->cfg.run.checkpoint_every == 0 &&
          session_checkpoint_now(s, 0) != 0) ||
         keep_state(s, &s->app) != 0))
        return WORKER_FAILED;
    s->app.elapsed += session_now() - t0;
    if (act == MONITOR_STOP) /* p->es_stopped: a UI that lingers stays open */
        return WORKER_END;
    refresh_progress(s);
    return WORKER_NEXT;
}

static int search_end(Session *s, int stopped)
{
    Snapshot *p = &s->priv;
    double t0 = session_now();
    int failed = (stopped || p->es_stopped) && !search_done(s) ? session_checkpoint_now(s, 1) != 0
                                                               : finish_run(s) != 0;
    if (!failed && p->es_stopped)
        failed = session_monitor_finish(s) != 0;
    s->app.elapsed += session_now() - t0;
    return failed ? -1 : 0;
}

static const WorkerOps search_worker = {prepare, search_done, search_once, search_end,
                                        refresh_progress};

void session_step_time(Snapshot *p, double ms)
{
    p->ms_per_step = p->ms_per_step > 0 ? (1 - EMA_WEIGHT) * p->ms_per_step + EMA_WEIGHT * ms : ms;
}

/* Says, once after prepare, what slows this machine's steps from outside the
 * program: threads outnumbering the CPUs the worker may use
 * (parallel_cpu_shortage), BLAS kernels weaker than the CPU's
 * (parallel_blas_weaker). */
static void session_say_machine(Session *s)
{
    char what[96];
    if (parallel_cpu_shortage(s->cfg.run.threads, what, sizeof what))
        session_say(s, "%s", what);
    if (parallel_blas_weaker(what, sizeof what))
        session_say(s, "%s", what);
}

void *session_worker_run(Session *s, const WorkerOps *ops)
{
    char err[ERR_LEN];
    Snapshot *p = &s->priv;
    if (ops->prepare(s, err, sizeof err) != 0) {
        session_say(s, "%s", err);
        p->state = SESSION_ERROR;
        s->exit_status = 1;
        session_publish(s);
        return NULL;
    }
    session_say_machine(s);
    s->paused = s->opt.start_paused;
    p->state = s->paused ? SESSION_PAUSED : SESSION_RUNNING;
    session_publish(s);

    int stopped = 0, failed = 0;
    for (;;) {
        int step_once;
        if (session_drain_commands(s, &step_once, 1)) {
            stopped = !s->write_failed;
            failed = s->write_failed;
            break;
        }
        if (ops->done(s))
            break;
        WorkerStep r = ops->step(s);
        if (r != WORKER_NEXT) {
            failed = r == WORKER_FAILED;
            break;
        }
        session_publish(s);
    }
    /* The other processes of an MPI run hear that the run ends. */
    if (dist_lead_stop(err, sizeof err) != 0 && !failed) {
        session_say(s, "%s", err);
        failed = 1;
    }
    if (!failed)
        failed = ops->end(s, stopped) != 0;
    p->state = failed ? SESSION_ERROR : SESSION_DONE;
    s->exit_status = failed;
    ops->refresh(s);
    session_publish(s);

    /* A UI that stays open may still checkpoint or export. */
    while (s->opt.linger && !stopped && !failed) {
        int step_once;
        s->paused = 1; /* makes drain_commands wait */
        if (session_drain_commands(s, &step_once, 1)) {
            if (s->write_failed) {
                p->state = SESSION_ERROR;
                s->exit_status = 1;
                session_publish(s);
            }
            break;
        }
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    Session *s = arg;
    const WorkerOps *ops = s->training    ? s->recurrent ? &rnn_training_worker : &training_worker
                           : s->recurrent ? &rnnsearch_worker
                                          : &search_worker;
    return session_worker_run(s, ops);
}

/* ---------------------------------------------------------------- public API */

Session *session_create(const Config *cfg, const SessionOptions *opt, char *err, size_t errlen)
{
    if (config_validate(cfg, err, errlen) != 0)
        return NULL;
    Session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->opt = *opt;
    s->rd.lock_fd = -1;
    s->training = opt->genotype != NULL || opt->rnn_genotype != NULL;
    s->recurrent = config_is_recurrent(cfg);
    if (opt->genotype)
        s->genotype = *opt->genotype;
    if (s->recurrent && dist_size() > 1) {
        snprintf(err, errlen,
                 "a recurrent cell's search and training run in one process (data.set %s): "
                 "start it without mpirun, which spreads the image search and training",
                 cfg->data.set);
        free(s);
        return NULL;
    }
    if (cfg->remedy.adaptive_wd > 0.0 && !s->training && dist_size() > 1) {
        snprintf(err, errlen,
                 "remedy.adaptive_wd=%g rolls the search back to a kept state, which one process "
                 "holds: start it without mpirun",
                 cfg->remedy.adaptive_wd);
        free(s);
        return NULL;
    }
    if (opt->rnn_genotype)
        s->rnn_genotype = *opt->rnn_genotype;
    s->fingerprint = s->training ? s->recurrent ? rnn_training_fingerprint(cfg, opt->rnn_genotype)
                                                : training_fingerprint(cfg, opt->genotype)
                     : s->recurrent ? rnnsearch_fingerprint(cfg)
                                    : checkpoint_fingerprint(cfg);
    const char *dir = opt->resume_dir ? opt->resume_dir : opt->out_dir;
    if (dir) {
        if (snprintf(s->out_dir, sizeof s->out_dir, "%s", dir) >= (int)sizeof s->out_dir) {
            snprintf(err, errlen, "%.60s...: run directory path of %zu bytes (at most %zu)", dir,
                     strlen(dir), sizeof s->out_dir - 1);
            goto fail;
        }
    } else {
        rundir_default_path(s->out_dir, sizeof s->out_dir, cfg->preset);
    }
    /* One writer per run directory, from here to session_free. */
    if (rundir_lock(&s->rd, s->out_dir, !opt->resume_dir, err, errlen) != 0)
        goto fail;
    s->rd.training = s->training;
    s->rd.recurrent = s->recurrent;
    if (opt->resume_dir) {
        /* The checkpoint itself is read by the worker, once the network's
         * shape says how large it may be. A run killed before its first
         * checkpoint starts again from its config.yaml. */
        char path[RUNDIR_FILE_MAX];
        rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
        s->resuming = access(path, F_OK) == 0;
        s->restarting = !s->resuming;
    } else if (rundir_check_new(s->out_dir, err, errlen) != 0) {
        goto fail; /* refused before the worker loads anything */
    }
    s->opt.out_dir = s->out_dir;
    s->opt.genotype = opt->genotype ? &s->genotype : NULL;
    s->opt.rnn_genotype = opt->rnn_genotype ? &s->rnn_genotype : NULL;
    s->opt.resume_dir = opt->resume_dir ? s->out_dir : NULL;

    pthread_mutex_init(&s->snap_lock, NULL);
    pthread_mutex_init(&s->cmd_lock, NULL);
    pthread_cond_init(&s->cmd_cond, NULL);
    atomic_init(&s->stop_async, 0);

    Snapshot *p = &s->priv;
    p->state = SESSION_STARTING;
    snprintf(p->preset, sizeof p->preset, "%s", cfg->preset);
    snprintf(p->run_dir, sizeof p->run_dir, "%s", s->out_dir);
    p->order = cfg->arch.order;
    p->lr = (float)cfg->optim.lr;
    p->arch_lr = (float)cfg->arch.lr;
    p->epochs = cfg->run.epochs;
    p->nodes = cfg->model.nodes;
    p->edges = genotype_edge_count(cfg->model.nodes);
    p->config = *cfg;
    p->training = s->training;
    p->recurrent = s->recurrent;
    if (opt->rnn_genotype)
        p->rnn_genotype = s->rnn_genotype;
    if (opt->genotype)
        p->genotype = s->genotype;
    if (s->recurrent) {
        p->nodes = RNN_NODES;
        p->edges = RNN_EDGES;
    }
    s->shared = *p;
    return s;
fail:
    rundir_unlock(&s->rd);
    free(s);
    return NULL;
}

int session_start(Session *s)
{
    /* The worker inherits a mask that blocks every signal, so SIGINT and
     * friends reach the front-end's thread only. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, worker_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    s->started = 1;
    return 0;
}

uint64_t session_snapshot(Session *s, Snapshot *out)
{
    pthread_mutex_lock(&s->snap_lock);
    memcpy(out, &s->shared, sizeof *out);
    pthread_mutex_unlock(&s->snap_lock);
    return out->seq;
}

uint64_t session_seq(Session *s)
{
    pthread_mutex_lock(&s->snap_lock);
    uint64_t seq = s->shared.seq;
    pthread_mutex_unlock(&s->snap_lock);
    return seq;
}

void session_command(Session *s, const Command *cmd)
{
    pthread_mutex_lock(&s->cmd_lock);
    if (cmd->kind == CMD_STOP) {
        s->stop = 1;
    } else if (s->q_count < QUEUE_SIZE) {
        s->queue[(s->q_head + s->q_count) % QUEUE_SIZE] = *cmd;
        s->q_count++;
    }
    pthread_cond_signal(&s->cmd_cond);
    pthread_mutex_unlock(&s->cmd_lock);
}

void session_request_stop(Session *s)
{
    atomic_store(&s->stop_async, 1);
}

int session_join(Session *s)
{
    if (!s->started)
        return 1;
    if (!s->joined) {
        pthread_join(s->thread, NULL);
        s->joined = 1;
    }
    return s->exit_status;
}

void session_free(Session *s)
{
    if (!s)
        return;
    if (s->started && !s->joined) {
        Command stop = {.kind = CMD_STOP};
        session_command(s, &stop);
        session_join(s);
    }
    if (s->search)
        search_free(s->search);
    rnnsearch_free(s->rnn);
    if (s->corpus_loaded)
        corpus_free(&s->corpus);
    if (s->trainer)
        trainer_free(s->trainer);
    rnn_training_free(s);
    if (s->test_loaded)
        dataset_free(&s->test);
    if (s->data_loaded)
        dataset_free(&s->data);
    rundir_free(&s->rd);
    rundir_unlock(&s->rd);
    pthread_cond_destroy(&s->cmd_cond);
    pthread_mutex_destroy(&s->cmd_lock);
    pthread_mutex_destroy(&s->snap_lock);
    free(s);
}

void session_train_command(const char *run_dir, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "dartboard train --genotype ");
    int plain = run_dir[0] != '\0' && run_dir[0] != '-';
    for (const char *c = run_dir; *c; c++)
        plain &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 strchr("/._+-", *c) != NULL;
    if (plain) {
        snprintf(buf + n, len - n, "%s", run_dir);
        return;
    }
    /* '...' with each ' written as '\'' */
    if (n + 1 < len)
        buf[n++] = '\'';
    for (const char *c = run_dir; *c && n + 5 < len; c++) {
        if (*c == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *c;
        }
    }
    if (n + 1 < len)
        buf[n++] = '\'';
    buf[n < len ? n : len - 1] = '\0';
}
