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
#include "dartboard/export.h"
#include "dartboard/parallel.h"
#include "dartboard/rundir.h"
#include "dartboard/search.h"

const char *const session_state_names[SESSION_STATE_COUNT] = {
    [SESSION_STARTING] = "STARTING", [SESSION_RUNNING] = "RUNNING", [SESSION_PAUSED] = "PAUSED",
    [SESSION_DONE] = "DONE",         [SESSION_ERROR] = "ERROR",
};

#define QUEUE_SIZE 64
#define ERR_LEN 1024
#define EMA_WEIGHT 0.1 /* ms/step: new sample's share */
#define APP_STATE_VERSION 1u

/* Sums over the steps since the previous metric row. */
typedef struct Accum {
    double train_loss, val_loss; /* sums of batch means */
    int64_t train_correct, val_correct, images, batches;
} Accum;

/* What the checkpoint's extra block carries. */
typedef struct AppState {
    int tail_row;   /* the row at this step exists only because a bounded run ended here */
    double elapsed; /* running seconds so far */
    double last_lr; /* weight lr of the latest step (the lr column of a row) */
    Accum acc;      /* since the previous row (before the tail row, if any) */
    Genotype report_genotype;
} AppState;

struct Session {
    Config cfg; /* live: the worker applies CMD_SET to it */
    SessionOptions opt;
    char out_dir[512];
    int resuming;
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
    RunDir rd;
    int rd_open;
    Checkpoint resume_ckpt;
    AppState app;
    int paused;
    int64_t target;
    int steps_per_epoch;
    int64_t last_row_step;
    int64_t checkpoint_step; /* step of the newest checkpoint.bin */
    float w_normal[GENOTYPE_MAX_EDGES * OP_COUNT], w_reduce[GENOTYPE_MAX_EDGES * OP_COUNT];
};

/* ---------------------------------------------------------------- small helpers */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void publish(Session *s)
{
    pthread_mutex_lock(&s->snap_lock);
    s->priv.seq = s->shared.seq + 1;
    memcpy(&s->shared, &s->priv, sizeof s->shared);
    pthread_mutex_unlock(&s->snap_lock);
}

static void say(Session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(Session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->priv.message, sizeof s->priv.message, fmt, ap);
    va_end(ap);
    s->priv.message_seq++;
}

static int64_t compute_target(const Session *s)
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
    s->target = compute_target(s);
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

static void push_row(Snapshot *p, const MetricRow *r)
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

#define APP_STATE_BYTES                                                                            \
    (4 + 4 + 8 + 8 + 2 * 8 + 4 * 8 +                                                               \
     4 * (1 + 2 * 2 * 2 * GENOTYPE_MAX_NODES + 2 * (GENOTYPE_MAX_NODES + 2) + 2))

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

static unsigned char *put_i32(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(u >> (8 * i));
    return p + 4;
}

static unsigned char *put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return put_u64(p, u);
}

static const unsigned char *get_u64(const unsigned char *p, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)p[i] << (8 * i);
    return p + 8;
}

static const unsigned char *get_i32(const unsigned char *p, int32_t *v)
{
    uint32_t u = 0;
    for (int i = 0; i < 4; i++)
        u |= (uint32_t)p[i] << (8 * i);
    *v = (int32_t)u;
    return p + 4;
}

static const unsigned char *get_f64(const unsigned char *p, double *v)
{
    uint64_t u;
    p = get_u64(p, &u);
    memcpy(v, &u, sizeof *v);
    return p;
}

static const unsigned char *get_int(const unsigned char *p, int *v)
{
    int32_t x;
    p = get_i32(p, &x);
    *v = x;
    return p;
}

static void app_state_encode(const AppState *a, unsigned char *buf)
{
    unsigned char *p = buf;
    p = put_i32(p, APP_STATE_VERSION);
    p = put_i32(p, a->tail_row);
    p = put_f64(p, a->elapsed);
    p = put_f64(p, a->last_lr);
    p = put_f64(p, a->acc.train_loss);
    p = put_f64(p, a->acc.val_loss);
    p = put_u64(p, (uint64_t)a->acc.train_correct);
    p = put_u64(p, (uint64_t)a->acc.val_correct);
    p = put_u64(p, (uint64_t)a->acc.images);
    p = put_u64(p, (uint64_t)a->acc.batches);
    const Genotype *g = &a->report_genotype;
    p = put_i32(p, g->nodes);
    for (int i = 0; i < 2 * GENOTYPE_MAX_NODES; i++) {
        p = put_i32(p, g->normal[i].op);
        p = put_i32(p, g->normal[i].input);
        p = put_i32(p, g->reduce[i].op);
        p = put_i32(p, g->reduce[i].input);
    }
    for (int i = 0; i < GENOTYPE_MAX_NODES + 2; i++) {
        p = put_i32(p, g->normal_concat[i]);
        p = put_i32(p, g->reduce_concat[i]);
    }
    p = put_i32(p, g->normal_concat_count);
    put_i32(p, g->reduce_concat_count);
}

static int app_state_decode(AppState *a, const unsigned char *buf, size_t len)
{
    if (len != APP_STATE_BYTES)
        return -1;
    int32_t version;
    const unsigned char *p = get_i32(buf, &version);
    if (version != (int32_t)APP_STATE_VERSION)
        return -1;
    uint64_t u;
    p = get_int(p, &a->tail_row);
    p = get_f64(p, &a->elapsed);
    p = get_f64(p, &a->last_lr);
    p = get_f64(p, &a->acc.train_loss);
    p = get_f64(p, &a->acc.val_loss);
    p = get_u64(p, &u), a->acc.train_correct = (int64_t)u;
    p = get_u64(p, &u), a->acc.val_correct = (int64_t)u;
    p = get_u64(p, &u), a->acc.images = (int64_t)u;
    p = get_u64(p, &u), a->acc.batches = (int64_t)u;
    Genotype *g = &a->report_genotype;
    p = get_int(p, &g->nodes);
    for (int i = 0; i < 2 * GENOTYPE_MAX_NODES; i++) {
        p = get_int(p, &g->normal[i].op);
        p = get_int(p, &g->normal[i].input);
        p = get_int(p, &g->reduce[i].op);
        p = get_int(p, &g->reduce[i].input);
    }
    for (int i = 0; i < GENOTYPE_MAX_NODES + 2; i++) {
        p = get_int(p, &g->normal_concat[i]);
        p = get_int(p, &g->reduce_concat[i]);
    }
    p = get_int(p, &g->normal_concat_count);
    get_int(p, &g->reduce_concat_count);
    return 0;
}

static int write_search_body(const void *ctx, FILE *f)
{
    return search_save_state(ctx, f);
}

/* Checkpoints the current step with `app` as the bookkeeping. */
static int save_checkpoint(Session *s, const AppState *app, char *err, size_t errlen)
{
    unsigned char extra[APP_STATE_BYTES];
    app_state_encode(app, extra);
    char path[600];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    int64_t step = search_step_count(s->search);
    if (checkpoint_save(path, s->fingerprint, step, extra, sizeof extra, write_search_body,
                        s->search, err, errlen) != 0)
        return -1;
    s->checkpoint_step = step;
    return 0;
}

static void checkpoint_now(Session *s, int announce)
{
    char err[ERR_LEN];
    if (save_checkpoint(s, &s->app, err, sizeof err) != 0)
        say(s, "checkpoint failed: %s", err);
    else if (announce)
        say(s, "checkpoint written: %s/checkpoint.bin (step %lld)", s->rd.path,
            (long long)search_step_count(s->search));
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
 * Returns 0 or -1 (message already set). */
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
                              sizeof err) != 0) {
        say(s, "%s", err);
        return -1;
    }
    push_row(&s->priv, &r);
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
    if (key && !key->live) {
        say(s, "%s cannot change while a search runs (it shapes the network or data)", c->key);
        return;
    }
    Config next = s->cfg;
    if (config_set(&next, c->key, c->value, err, sizeof err) != 0 ||
        config_validate(&next, err, sizeof err) != 0) {
        say(s, "refused: %s", err);
        return;
    }
    config_get(&s->cfg, c->key, old_value, sizeof old_value);
    config_get(&next, c->key, new_value, sizeof new_value);
    int64_t step = search_step_count(s->search);
    if (strcmp(old_value, new_value) == 0) {
        say(s, "%s is already %s", c->key, new_value);
        return;
    }
    s->cfg = next;
    if (strcmp(c->key, "run.threads") == 0)
        parallel_set_threads(s->cfg.run.threads);
    /* The checkpoint first, so a resume never replays steps before this
     * boundary with the new value from config.yaml. */
    if (save_checkpoint(s, &s->app, err, sizeof err) != 0 ||
        rundir_write_config(&s->rd, &s->cfg, err, sizeof err) != 0 ||
        rundir_log_change(&s->rd, step, c->key, old_value, new_value, err, sizeof err) != 0) {
        say(s, "%s changed, but: %s", c->key, err);
        return;
    }
    say(s, "step %lld: %s %s -> %s", (long long)step, c->key, old_value, new_value);
}

static void export_all(Session *s)
{
    char err[ERR_LEN], msg[ERR_LEN];
    /* The exporter reads the run directory: bring its genotype up to now. */
    refresh_alphas(s);
    if (rundir_write_genotype(&s->rd, &s->priv.genotype, s->w_normal, s->w_reduce, err,
                              sizeof err) != 0) {
        say(s, "export failed: %s", err);
        return;
    }
    if (export_run_dir(s->rd.path, "py,json,yaml,dot,tikz,svg", NULL, msg, sizeof msg) != 0)
        say(s, "export failed: %s", msg);
    else
        say(s, "%s", msg);
}

/* Handles one command. Returns 1 when the worker must stop. */
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
        checkpoint_now(s, 1);
        break;
    case CMD_EXPORT:
        export_all(s);
        break;
    case CMD_STOP:
        return 1;
    }
    return 0;
}

/* Takes every queued command (waiting while paused and nothing is queued),
 * handles them outside the lock. Returns 1 when the worker must stop;
 * *step_once is set when a paused worker should run exactly one step. */
static int drain_commands(Session *s, int *step_once, int wait_while_paused)
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
            refresh_progress(s);
            publish(s);
        }
        if (!wait_while_paused || !s->paused || *step_once)
            return 0;
    }
}

/* ---------------------------------------------------------------- the worker */

/* Keys given anew on a resume (--set, --threads, ...) are changes like the
 * UI's: logged in changes.log and written to config.yaml, so the next resume
 * keeps them. */
static int record_resume_overrides(Session *s, char *err, size_t errlen)
{
    char path[600];
    rundir_file(&s->rd, "config.yaml", path, sizeof path);
    Config saved;
    config_defaults(&saved);
    if (config_load_file(&saved, path, err, errlen) != 0)
        return -1;
    int n, changed = 0;
    const ConfigKey *keys = config_keys(&n);
    int64_t step = search_step_count(s->search);
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

static int prepare(Session *s, char *err, size_t errlen)
{
    parallel_set_threads(s->cfg.run.threads); /* OpenMP settings are per thread */
    if (dataset_load(&s->data, &s->cfg, DATA_TRAIN, err, errlen) != 0)
        return -1;
    s->data_loaded = 1;
    s->search = search_create(&s->cfg, &s->data, err, errlen);
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

    if (s->resuming) {
        FILE *body = checkpoint_body_stream(&s->resume_ckpt);
        int rc = body ? search_load_state(s->search, body, err, errlen) : -1;
        if (body)
            fclose(body);
        if (rc == 0 && search_step_count(s->search) != s->resume_ckpt.step) {
            snprintf(err, errlen, "%s/checkpoint.bin: header says step %lld, state says %lld",
                     s->out_dir, (long long)s->resume_ckpt.step,
                     (long long)search_step_count(s->search));
            rc = -1;
        }
        s->checkpoint_step = s->resume_ckpt.step;
        checkpoint_release(&s->resume_ckpt);
        if (rc != 0)
            return -1;
        if (rundir_open(&s->rd, s->out_dir, search_step_count(s->search), !s->app.tail_row, err,
                        errlen) != 0)
            return -1;
        s->rd_open = 1;
        /* A malformed metric row refuses the resume before anything is written. */
        int rows = rundir_metric_rows(&s->rd, p->rows, SNAPSHOT_ROWS, &p->rows_total, err, errlen);
        if (rows < 0)
            return -1;
        p->n_rows = rows;
        if (record_resume_overrides(s, err, errlen) != 0)
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
        int64_t step = search_step_count(s->search);
        s->target = compute_target(s);
        if (s->app.tail_row && step < s->target && regular_row(s, step)) {
            s->app.tail_row = 0;
            if (write_row(s, 0) != 0) {
                snprintf(err, errlen, "%s", s->priv.message);
                return -1;
            }
        }
        s->app.tail_row = 0;
        p->rows_resumed = p->rows_total; /* the rewritten tail row was shown back then */
    } else {
        if (rundir_create(&s->rd, s->out_dir, err, errlen) != 0)
            return -1;
        s->rd_open = 1;
        if (rundir_write_config(&s->rd, &s->cfg, err, errlen) != 0)
            return -1;
    }
    refresh_alphas(s);
    if (!s->resuming)
        p->prev_genotype = p->genotype;
    refresh_progress(s);
    return 0;
}

static void finish_run(Session *s)
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
            say(s, "checkpoint failed: %s", err);
        write_row(s, 1);
        return;
    }
    if (step > 0 && s->last_row_step != step)
        write_row(s, 1);
    checkpoint_now(s, 0);
    refresh_alphas(s);
    if (rundir_write_genotype(&s->rd, &s->priv.genotype, s->w_normal, s->w_reduce, err,
                              sizeof err) != 0)
        say(s, "%s", err);
}

static void *worker_main(void *arg)
{
    Session *s = arg;
    char err[ERR_LEN];
    Snapshot *p = &s->priv;

    if (prepare(s, err, sizeof err) != 0) {
        say(s, "%s", err);
        p->state = SESSION_ERROR;
        s->exit_status = 1;
        publish(s);
        return NULL;
    }
    s->paused = s->opt.start_paused;
    p->state = s->paused ? SESSION_PAUSED : SESSION_RUNNING;
    publish(s);

    int stopped = 0, failed = 0;
    for (;;) {
        int step_once;
        if (drain_commands(s, &step_once, 1)) {
            stopped = 1;
            break;
        }
        if (search_step_count(s->search) >= s->target)
            break;

        double t0 = now_seconds();
        StepStats st;
        int rc = search_step(s->search, &s->cfg, &st, err, sizeof err);
        if (rc != 0) {
            /* search_step refuses a non-finite loss and leaves the state as
             * it was; nothing of it is checkpointed. */
            say(s, "%s; search stopped, checkpoint.bin of step %lld kept", err,
                (long long)s->checkpoint_step);
            failed = 1;
            break;
        }
        double step_seconds = now_seconds() - t0;
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
        double ms = step_seconds * 1e3;
        p->ms_per_step =
            p->ms_per_step > 0 ? (1 - EMA_WEIGHT) * p->ms_per_step + EMA_WEIGHT * ms : ms;
        p->images_per_s = p->ms_per_step > 0 ? st.batch * 1e3 / p->ms_per_step : 0;

        int64_t step = search_step_count(s->search);
        if (step < s->target && regular_row(s, step))
            write_row(s, step % s->steps_per_epoch == 0);
        else if (step < s->target)
            refresh_alphas(s);
        if (step < s->target && s->cfg.run.checkpoint_every > 0 &&
            step % s->cfg.run.checkpoint_every == 0)
            checkpoint_now(s, 0);
        s->app.elapsed += now_seconds() - t0;
        refresh_progress(s);
        publish(s);
    }
    if (failed) {
        p->state = SESSION_ERROR;
        s->exit_status = 1;
    } else {
        double t0 = now_seconds();
        if (stopped && search_step_count(s->search) < s->target)
            checkpoint_now(s, 1);
        else
            finish_run(s);
        s->app.elapsed += now_seconds() - t0;
        p->state = SESSION_DONE;
    }
    refresh_progress(s);
    publish(s);

    /* A UI that stays open may still checkpoint or export. */
    while (s->opt.linger && !stopped && !failed) {
        int step_once;
        s->paused = 1; /* makes drain_commands wait */
        if (drain_commands(s, &step_once, 1))
            break;
    }
    return NULL;
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
    s->fingerprint = checkpoint_fingerprint(cfg);
    if (opt->resume_dir) {
        s->resuming = 1;
        snprintf(s->out_dir, sizeof s->out_dir, "%s", opt->resume_dir);
        char path[600];
        snprintf(path, sizeof path, "%s/checkpoint.bin", s->out_dir);
        if (checkpoint_read(&s->resume_ckpt, path, s->fingerprint, err, errlen) != 0)
            goto fail;
        if (app_state_decode(&s->app, s->resume_ckpt.extra, s->resume_ckpt.extra_len) != 0) {
            snprintf(err, errlen, "%s: session state block has an unknown layout", path);
            checkpoint_release(&s->resume_ckpt);
            goto fail;
        }
    } else if (opt->out_dir) {
        snprintf(s->out_dir, sizeof s->out_dir, "%s", opt->out_dir);
    } else {
        rundir_default_path(s->out_dir, sizeof s->out_dir, cfg->preset);
    }
    s->opt.out_dir = s->out_dir;
    s->opt.resume_dir = s->resuming ? s->out_dir : NULL;
    if (!s->resuming) {
        /* Refuse to write over a run now, before the worker loads anything. */
        if (rundir_check_new(s->out_dir, err, errlen) != 0)
            goto fail;
    }

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
    s->shared = *p;
    return s;
fail:
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
    if (s->data_loaded)
        dataset_free(&s->data);
    if (s->rd_open)
        rundir_free(&s->rd);
    checkpoint_release(&s->resume_ckpt);
    pthread_cond_destroy(&s->cmd_cond);
    pthread_mutex_destroy(&s->cmd_lock);
    pthread_mutex_destroy(&s->snap_lock);
    free(s);
}
