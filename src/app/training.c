/* training: the worker of `dartboard train`, a derived cell trained from
 * scratch (the second phase of DARTS) in the session's thread, with the
 * session's snapshots, commands and run directory (session_internal.h).
 *
 * A training run's directory: config.yaml, genotype.py/.json (the cell
 * trained, written once), metrics.csv with one row per epoch (TRAIN_COLUMNS:
 * the epoch's training averages and the test split evaluated at its end),
 * changes.log, checkpoint.bin and, when the schedule is done, results.json.
 * A checkpoint is written at every epoch end, every run.checkpoint_every
 * steps and on stop; its extra block carries the epoch's sums so far, so a
 * resumed run writes the same rows as an uninterrupted one.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/checkpoint.h"
#include "dartboard/dist.h"
#include "dartboard/le.h"
#include "dartboard/optim.h"
#include "dartboard/parallel.h"
#include "session_internal.h"

#define TRAIN_STATE_VERSION 1u
#define TRAIN_STATE_BYTES (4 + 3 * 8 + 2 * 8 + 4 * 8)

/* The configuration's shape, the auxiliary head and the cell: a checkpoint
 * of another network is refused before its body is read. */
uint64_t training_fingerprint(const Config *cfg, const Genotype *g)
{
    uint64_t h = checkpoint_fingerprint(cfg);
    h = checkpoint_fingerprint_u32(h, 0x7472616eu); /* "tran": never equal to a search's */
    h = checkpoint_fingerprint_u32(h, (uint32_t)cfg->train.auxiliary);
    h = checkpoint_fingerprint_u32(h, (uint32_t)g->nodes);
    for (int i = 0; i < 2 * g->nodes; i++) {
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->normal[i].op);
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->normal[i].input);
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->reduce[i].op);
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->reduce[i].input);
    }
    h = checkpoint_fingerprint_u32(h, (uint32_t)g->normal_concat_count);
    for (int i = 0; i < g->normal_concat_count; i++)
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->normal_concat[i]);
    h = checkpoint_fingerprint_u32(h, (uint32_t)g->reduce_concat_count);
    for (int i = 0; i < g->reduce_concat_count; i++)
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->reduce_concat[i]);
    return h;
}

int64_t training_step_count(const Session *s)
{
    if (s->recurrent)
        return rnn_training_step_count(s);
    return s->trainer ? trainer_step_count(s->trainer) : 0;
}

/* ---------------------------------------------------------------- checkpoint */

static void state_encode(const TrainState *t, unsigned char *b)
{
    le_put_u32(b, TRAIN_STATE_VERSION);
    le_put_f64(b + 4, t->elapsed);
    le_put_f64(b + 12, t->last_lr);
    le_put_f64(b + 20, t->last_drop_path);
    le_put_f64(b + 28, t->acc.train_loss);
    le_put_f64(b + 36, t->acc.val_loss);
    le_put_u64(b + 44, (uint64_t)t->acc.train_correct);
    le_put_u64(b + 52, (uint64_t)t->acc.val_correct);
    le_put_u64(b + 60, (uint64_t)t->acc.images);
    le_put_u64(b + 68, (uint64_t)t->acc.batches);
}

/* Decodes and range-checks the block. NULL, or what is wrong. */
static const char *state_decode(TrainState *t, const unsigned char *b, size_t len)
{
    if (len != TRAIN_STATE_BYTES)
        return "training state block has an unknown length";
    if (le_get_u32(b) != TRAIN_STATE_VERSION)
        return "training state block has an unknown version";
    t->elapsed = le_get_f64(b + 4);
    t->last_lr = le_get_f64(b + 12);
    t->last_drop_path = le_get_f64(b + 20);
    t->acc.train_loss = le_get_f64(b + 28);
    t->acc.val_loss = le_get_f64(b + 36);
    t->acc.train_correct = (int64_t)le_get_u64(b + 44);
    t->acc.val_correct = (int64_t)le_get_u64(b + 52);
    t->acc.images = (int64_t)le_get_u64(b + 60);
    t->acc.batches = (int64_t)le_get_u64(b + 68);
    const Accum *a = &t->acc;
    if (!(t->elapsed >= 0 && isfinite(t->elapsed)) || !(t->last_lr >= 0 && isfinite(t->last_lr)) ||
        !(t->last_drop_path >= 0 && t->last_drop_path < 1))
        return "training state: running time, learning rate or drop-path out of range";
    if (!(a->train_loss >= 0 && isfinite(a->train_loss)) || a->val_loss != 0 || a->batches < 0 ||
        a->images < a->batches || a->train_correct < 0 || a->train_correct > a->images ||
        a->val_correct != 0)
        return "training state: epoch accumulators out of range";
    return NULL;
}

static int write_trainer_body(const void *ctx, FILE *f)
{
    return trainer_save_state(ctx, f);
}

int training_checkpoint(Session *s, char *err, size_t errlen)
{
    if (s->recurrent)
        return rnn_training_checkpoint(s, err, errlen);
    unsigned char extra[TRAIN_STATE_BYTES];
    state_encode(&s->train, extra);
    char path[RUNDIR_FILE_MAX];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    int64_t step = trainer_step_count(s->trainer);
    if (checkpoint_save(path, s->fingerprint, step, extra, sizeof extra, write_trainer_body,
                        s->trainer, err, errlen) != 0)
        return -1;
    s->checkpoint_step = step;
    return 0;
}

static int load_checkpoint(Session *s, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX], why[512];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    size_t body_len = trainer_state_bytes(s->trainer);
    Checkpoint c;
    if (checkpoint_read(&c, path, s->fingerprint, checkpoint_size(TRAIN_STATE_BYTES, body_len), err,
                        errlen) != 0)
        return -1;
    int rc = -1;
    const char *bad = state_decode(&s->train, c.extra, c.extra_len);
    FILE *body = NULL;
    if (bad)
        snprintf(err, errlen, "%s: %s", path, bad);
    else if (c.body_len != body_len)
        snprintf(err, errlen, "%s: training state of %zu bytes (this network saves %zu)", path,
                 c.body_len, body_len);
    else if (!(body = checkpoint_body_stream(&c)))
        snprintf(err, errlen, "%s: out of memory", path);
    else if (trainer_load_state(s->trainer, body, why, sizeof why) != 0)
        snprintf(err, errlen, "%s: %s", path, why);
    else if (trainer_step_count(s->trainer) != c.step)
        snprintf(err, errlen, "%s: header says step %lld, state says %lld", path, (long long)c.step,
                 (long long)trainer_step_count(s->trainer));
    else
        rc = 0;
    if (body)
        fclose(body);
    s->checkpoint_step = c.step;
    checkpoint_release(&c);
    return rc;
}

/* ---------------------------------------------------------------- snapshot */

static MetricRow as_metric_row(const TrainRow *t)
{
    MetricRow m = {.step = t->epoch,
                   .epoch = t->epoch - 1,
                   .lr = t->lr,
                   .train_loss = t->train_loss,
                   .train_acc = t->train_acc,
                   .val_loss = t->test_loss,
                   .val_acc = t->test_acc,
                   .seconds = t->seconds,
                   .drop_path = t->drop_path};
    return m;
}

static double drop_path_at(const Config *cfg, int epoch)
{
    return cfg->train.drop_path * epoch / cfg->run.epochs;
}

void training_refresh(Session *s)
{
    if (s->recurrent) {
        rnn_training_refresh(s);
        return;
    }
    Snapshot *p = &s->priv;
    s->target = session_target(s);
    int spe = s->steps_per_epoch;
    p->step = trainer_step_count(s->trainer);
    p->total_steps = s->target;
    p->epoch = trainer_epoch(s->trainer);
    p->epochs = (int)((s->target + spe - 1) / spe);
    p->lr =
        (float)optim_cosine_lr(s->cfg.optim.lr, s->cfg.optim.lr_min, p->epoch, s->cfg.run.epochs);
    p->drop_path = (float)drop_path_at(&s->cfg, p->epoch);
    p->config = s->cfg;
    p->eta_seconds = p->ms_per_step * 1e-3 * (double)(s->target - p->step);
    p->elapsed_seconds = s->train.elapsed;
}

void training_progress(Session *s, double epoch_done, float lr, float train_loss, float train_acc)
{
    Snapshot *p = &s->priv;
    TrainProgress *g = &p->progress[++p->progress_total % SNAPSHOT_PROGRESS];
    *g = (TrainProgress){.step = p->step,
                         .epoch = p->epoch,
                         .epoch_done = (float)epoch_done,
                         .lr = lr,
                         .train_loss = train_loss,
                         .train_acc = train_acc,
                         .ms_per_step = p->ms_per_step,
                         .per_s = p->images_per_s,
                         .eta_seconds = p->eta_seconds};
}

/* ---------------------------------------------------------------- run */

static int resume(Session *s, char *err, size_t errlen)
{
    Snapshot *p = &s->priv;
    if (load_checkpoint(s, err, errlen) != 0)
        return -1;
    int64_t epochs_done = trainer_step_count(s->trainer) / s->steps_per_epoch;
    if (rundir_open(&s->rd, epochs_done, 1, err, errlen) != 0)
        return -1;
    TrainRow *rows = malloc(SNAPSHOT_ROWS * sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t total;
    int n = rundir_train_rows(&s->rd, rows, SNAPSHOT_ROWS, &total, err, errlen);
    for (int i = 0; i < n; i++) {
        MetricRow m = as_metric_row(&rows[i]);
        session_push_row(p, &m);
    }
    free(rows);
    if (n < 0)
        return -1;
    p->rows_total = total;
    p->rows_resumed = total;
    return session_record_resume_overrides(s, err, errlen);
}

static int start(Session *s, char *err, size_t errlen)
{
    return session_start_rundir(s, err, errlen) != 0 ||
                   rundir_write_genotype(&s->rd, &s->genotype, NULL, NULL, err, errlen) != 0 ||
                   training_checkpoint(s, err, errlen) != 0
               ? -1
               : 0;
}

static int prepare(Session *s, char *err, size_t errlen)
{
    parallel_set_threads(s->cfg.run.threads);
    if (dataset_load(&s->data, &s->cfg, DATA_TRAIN, err, errlen) != 0)
        return -1;
    s->data_loaded = 1;
    if (dataset_load(&s->test, &s->cfg, DATA_TEST, err, errlen) != 0)
        return -1;
    s->test_loaded = 1;
    s->trainer = trainer_create_dist(&s->cfg, &s->genotype, &s->data, &s->test,
                                     dist_reduce(&s->cfg), err, errlen);
    if (!s->trainer)
        return -1;
    s->steps_per_epoch = trainer_steps_per_epoch(s->trainer);
    if (s->steps_per_epoch < 1) {
        snprintf(err, errlen, "the training split holds less than one batch (data.batch_size %d)",
                 s->cfg.data.batch_size);
        return -1;
    }
    Snapshot *p = &s->priv;
    p->params = (long long)trainer_param_count(s->trainer, 0);
    p->params_aux = (long long)trainer_param_count(s->trainer, 1);
    session_say(s, "%lld weights (%lld with the auxiliary head)", p->params, p->params_aux);
    if (s->resuming ? resume(s, err, errlen) : start(s, err, errlen))
        return -1;
    if (dist_lead_train(&s->cfg, &s->genotype, s->trainer, err, errlen) != 0) /* other MPI ranks */
        return -1;
    training_refresh(s);
    return 0;
}

/* The end of an epoch: the test split, its row, a checkpoint. */
static int end_epoch(Session *s, TestResult *test)
{
    char err[ERR_LEN];
    double t0 = session_now();
    trainer_test(s->trainer, s->cfg.run.eval_samples, test);
    s->train.elapsed += session_now() - t0;
    const Accum *a = &s->train.acc;
    TrainRow r = {
        .epoch = (int)(trainer_step_count(s->trainer) / s->steps_per_epoch),
        .lr = (float)s->train.last_lr,
        .drop_path = (float)s->train.last_drop_path,
        .train_loss = a->batches ? (float)(a->train_loss / (double)a->batches) : 0,
        .train_acc = a->images ? (float)(100.0 * (double)a->train_correct / (double)a->images) : 0,
        .test_loss = test->loss,
        .test_acc = test->acc,
        .seconds = s->train.elapsed,
    };
    if (rundir_append_train(&s->rd, &r, err, sizeof err) != 0)
        return session_write_failure(s, err);
    MetricRow m = as_metric_row(&r);
    session_push_row(&s->priv, &m);
    memset(&s->train.acc, 0, sizeof s->train.acc);
    if (training_checkpoint(s, err, sizeof err) != 0)
        return session_write_failure(s, err);
    return 0;
}

/* The schedule is done: checkpoint and results.json (the test split of the
 * last epoch, evaluated again only when this run did not just do it). */
static int finish(Session *s, TestResult *test, int have_test)
{
    char err[ERR_LEN];
    if (training_checkpoint(s, err, sizeof err) != 0)
        return session_write_failure(s, err);
    if (!have_test)
        trainer_test(s->trainer, s->cfg.run.eval_samples, test);
    int64_t step = trainer_step_count(s->trainer);
    TrainResults r = {
        .preset = s->cfg.preset,
        .dataset = s->cfg.data.set,
        .genotype = &s->genotype,
        .epochs = (int)(step / s->steps_per_epoch),
        .epochs_planned = s->cfg.run.epochs,
        .test_samples = test->samples,
        .classes = test->classes,
        .test_loss = test->loss,
        .test_acc = test->acc,
        .params = trainer_param_count(s->trainer, 0),
        .params_aux = trainer_param_count(s->trainer, 1),
        .seconds = s->train.elapsed,
    };
    memcpy(r.class_acc, test->class_acc, sizeof r.class_acc);
    if (rundir_write_results(&s->rd, &r, err, sizeof err) != 0)
        return session_write_failure(s, err);
    session_say(s,
                "test accuracy %.2f%% (error %.2f%%) on %d images after %d of %d epochs (step "
                "%lld); %s/results.json",
                test->acc, 100.0 - test->acc, test->samples, r.epochs, r.epochs_planned,
                (long long)step, s->rd.path);
    return 0;
}

static int training_done(const Session *s)
{
    return trainer_step_count(s->trainer) >= s->target;
}

static WorkerStep training_once(Session *s)
{
    char err[ERR_LEN];
    Snapshot *p = &s->priv;
    if (dist_lead_train_step(&s->cfg, s->trainer, err, sizeof err) != 0) {
        session_say(s, "%s", err);
        return WORKER_FAILED;
    }
    double t0 = session_now();
    TrainStats st;
    if (trainer_step(s->trainer, &s->cfg, &st, err, sizeof err) != 0)
        return session_step_failed(s, err);
    Accum *a = &s->train.acc;
    a->train_loss += st.loss;
    a->train_correct += st.correct;
    a->images += st.batch;
    a->batches++;
    s->train.last_lr = st.lr;
    s->train.last_drop_path = st.drop_path;
    p->step_train_loss = st.loss;
    session_step_time(p, (session_now() - t0) * 1e3);
    p->images_per_s = p->ms_per_step > 0 ? st.batch * 1e3 / p->ms_per_step : 0;
    s->train.elapsed += session_now() - t0;

    int64_t step = trainer_step_count(s->trainer);
    s->train.have_test = step % s->steps_per_epoch == 0;
    if (s->train.have_test) {
        if (end_epoch(s, &s->train.test) != 0)
            return WORKER_FAILED;
    } else if (s->cfg.run.checkpoint_every > 0 && step % s->cfg.run.checkpoint_every == 0 &&
               training_checkpoint(s, err, sizeof err) != 0) {
        session_write_failure(s, err);
        return WORKER_FAILED;
    }
    training_refresh(s);
    if (!s->train.have_test && step % s->cfg.run.report_every == 0)
        training_progress(s, (double)(step % s->steps_per_epoch) / (double)s->steps_per_epoch,
                          st.lr, (float)(a->train_loss / (double)a->batches),
                          (float)(100.0 * (double)a->train_correct / (double)a->images));
    return WORKER_NEXT;
}

static int training_end(Session *s, int stopped)
{
    return training_done(s) ? finish(s, &s->train.test, s->train.have_test)
                            : session_checkpoint_now(s, stopped);
}

const WorkerOps training_worker = {prepare, training_done, training_once, training_end,
                                   training_refresh};
