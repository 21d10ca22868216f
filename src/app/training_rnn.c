/* training_rnn: the worker of `dartboard train` for a recurrent cell (the
 * official rnn/train.py; rnntrain.h), in the session's thread with the
 * session's snapshots, commands and run directory (session_internal.h).
 * training.c hands a recurrent run (s->recurrent) to the functions here.
 *
 * The corpus comes from data.set: kjv (the prepared KJV cache, made once)
 * or text (PTB or WikiText-2 files in data.dir). An epoch is one pass of
 * BPTT windows over the training split, so its step count varies; the run
 * ends after run.epochs epochs (or --epochs), or at --steps windows.
 *
 * Run directory: config.yaml, genotype.py (the official recurrent line,
 * written once), metrics.csv with one row per epoch (RNN_TRAIN_COLUMNS),
 * changes.log, checkpoint.bin and, when the epochs are done, results.json
 * with the test perplexity on the best weights. A checkpoint is written at
 * every epoch end, every run.checkpoint_every steps and on stop; its extra
 * block carries the epoch's sums so far, so a resumed run writes the same
 * rows as an uninterrupted one.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/checkpoint.h"
#include "dartboard/corpus_cache.h"
#include "dartboard/le.h"
#include "dartboard/parallel.h"
#include "session_internal.h"

#define RNN_STATE_VERSION 1u
#define RNN_STATE_BYTES (4 + 8 + 8 + 8 + 8 + 4)
#define PPL_LOSS_MAX 80.0 /* exp(80) still fits a float */

static float perplexity(double loss)
{
    return (float)exp(loss < PPL_LOSS_MAX ? loss : PPL_LOSS_MAX);
}

/* The configuration's data keys, the cell's size and window, and the cell:
 * a checkpoint of another network is refused before its body is read. */
uint64_t rnn_training_fingerprint(const Config *cfg, const RnnGenotype *g)
{
    uint64_t h = checkpoint_fingerprint(cfg);
    h = checkpoint_fingerprint_u32(
        h, 0x726e6e74u); /* "rnnt": never equal to a search's or a CNN training's */
    h = checkpoint_fingerprint_u32(h, (uint32_t)cfg->rnn.size);
    h = checkpoint_fingerprint_u32(h, (uint32_t)cfg->rnn.bptt);
    for (int i = 0; i < RNN_NODES; i++) {
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->recurrent[i].op);
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->recurrent[i].input);
    }
    h = checkpoint_fingerprint_u32(h, (uint32_t)g->concat_count);
    for (int i = 0; i < g->concat_count; i++)
        h = checkpoint_fingerprint_u32(h, (uint32_t)g->concat[i]);
    return h;
}

int64_t rnn_training_step_count(const Session *s)
{
    return s->rnn_trainer ? rnn_trainer_step_count(s->rnn_trainer) : 0;
}

void rnn_training_free(Session *s)
{
    rnn_trainer_free(s->rnn_trainer);
    s->rnn_trainer = NULL;
    if (s->corpus_loaded)
        corpus_free(&s->corpus);
    s->corpus_loaded = 0;
}

/* ---------------------------------------------------------------- checkpoint */

static void state_encode(const Session *s, unsigned char *b)
{
    le_put_u32(b, RNN_STATE_VERSION);
    le_put_f64(b + 4, s->train.elapsed);
    le_put_f64(b + 12, s->rnn_loss_sum);
    le_put_u64(b + 20, (uint64_t)s->rnn_windows);
    le_put_u64(b + 28, (uint64_t)s->rnn_tokens);
    le_put_u32(b + 36, (uint32_t)s->rnn_asgd_epoch);
}

/* Decodes and range-checks the block into s. NULL, or what is wrong. */
static const char *state_decode(Session *s, const unsigned char *b, size_t len)
{
    if (len != RNN_STATE_BYTES)
        return "recurrent training state block has an unknown length";
    if (le_get_u32(b) != RNN_STATE_VERSION)
        return "recurrent training state block has an unknown version";
    const double elapsed = le_get_f64(b + 4), sum = le_get_f64(b + 12);
    const int64_t windows = (int64_t)le_get_u64(b + 20), tokens = (int64_t)le_get_u64(b + 28);
    const uint32_t asgd_epoch = le_get_u32(b + 36);
    if (!(elapsed >= 0 && isfinite(elapsed)) || !(sum >= 0 && isfinite(sum)) || windows < 0 ||
        tokens < windows || asgd_epoch > RNN_TRAIN_HISTORY)
        return "recurrent training state: running time or epoch sums out of range";
    s->train.elapsed = elapsed;
    s->rnn_loss_sum = sum;
    s->rnn_windows = windows;
    s->rnn_tokens = tokens;
    s->rnn_asgd_epoch = (int)asgd_epoch;
    return NULL;
}

static int write_body(const void *ctx, FILE *f)
{
    return rnn_trainer_save_state(ctx, f);
}

int rnn_training_checkpoint(Session *s, char *err, size_t errlen)
{
    unsigned char extra[RNN_STATE_BYTES];
    state_encode(s, extra);
    char path[RUNDIR_FILE_MAX];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    int64_t step = rnn_trainer_step_count(s->rnn_trainer);
    if (checkpoint_save(path, s->fingerprint, step, extra, sizeof extra, write_body, s->rnn_trainer,
                        err, errlen) != 0)
        return -1;
    s->checkpoint_step = step;
    return 0;
}

static int load_checkpoint(Session *s, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX], why[512];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    Checkpoint c;
    if (checkpoint_read(
            &c, path, s->fingerprint,
            checkpoint_size(RNN_STATE_BYTES, rnn_trainer_state_bytes_max(s->rnn_trainer)), err,
            errlen) != 0)
        return -1;
    int rc = -1;
    const char *bad = state_decode(s, c.extra, c.extra_len);
    FILE *body = NULL;
    if (bad)
        snprintf(err, errlen, "%s: %s", path, bad);
    else if (!(body = checkpoint_body_stream(&c)))
        snprintf(err, errlen, "%s: out of memory", path);
    else if (rnn_trainer_load_state(s->rnn_trainer, body, why, sizeof why) != 0)
        snprintf(err, errlen, "%s: %s", path, why);
    else if (rnn_trainer_step_count(s->rnn_trainer) != c.step)
        snprintf(err, errlen, "%s: header says step %lld, state says %lld", path, (long long)c.step,
                 (long long)rnn_trainer_step_count(s->rnn_trainer));
    else
        rc = 0;
    if (body)
        fclose(body);
    s->checkpoint_step = c.step;
    checkpoint_release(&c);
    return rc;
}

/* ---------------------------------------------------------------- snapshot */

static void push_row(Snapshot *p, const RnnTrainRow *t)
{
    session_push_row(p, &(MetricRow){.step = t->epoch,
                                     .epoch = t->epoch - 1,
                                     .lr = t->lr,
                                     .train_loss = t->train_loss,
                                     .train_acc = t->train_ppl,
                                     .val_loss = t->val_loss,
                                     .val_acc = t->val_ppl,
                                     .seconds = t->seconds});
}

/* The epochs this run does: run.epochs, bounded by --epochs. */
static int target_epochs(const Session *s)
{
    int e = s->cfg.run.epochs;
    return s->opt.max_epochs > 0 && s->opt.max_epochs < e ? s->opt.max_epochs : e;
}

static int finished(const Session *s)
{
    const RnnTrainer *t = s->rnn_trainer;
    return rnn_trainer_epoch(t) >= target_epochs(s) ||
           (s->opt.max_steps > 0 && rnn_trainer_step_count(t) >= s->opt.max_steps);
}

void rnn_training_refresh(Session *s)
{
    Snapshot *p = &s->priv;
    const RnnTrainer *t = s->rnn_trainer;
    p->step = rnn_trainer_step_count(t);
    p->epoch = rnn_trainer_epoch(t);
    p->epochs = target_epochs(s);
    /* windows per epoch: about (rows - 2) / bptt, the mean window */
    const int64_t per_epoch =
        (rnn_trainer_train_rows(t) - 2 + s->cfg.rnn.bptt - 1) / s->cfg.rnn.bptt;
    int64_t total = (int64_t)p->epochs * (per_epoch > 0 ? per_epoch : 1);
    if (s->opt.max_steps > 0 && s->opt.max_steps < total)
        total = s->opt.max_steps;
    /* an estimate: never reached before the run is done, exact once it is */
    if (finished(s))
        total = p->step;
    else if (total <= p->step)
        total = p->step + 1;
    s->target = total;
    p->total_steps = total;
    p->lr = (float)s->cfg.optim.lr;
    p->asgd = rnn_trainer_asgd(t);
    p->config = s->cfg;
    p->eta_seconds = p->ms_per_step * 1e-3 * (double)(total - p->step);
    p->elapsed_seconds = s->train.elapsed;
}

/* ---------------------------------------------------------------- run */

static int resume(Session *s, char *err, size_t errlen)
{
    Snapshot *p = &s->priv;
    if (load_checkpoint(s, err, errlen) != 0)
        return -1;
    if (rundir_open(&s->rd, rnn_trainer_epoch(s->rnn_trainer), 1, err, errlen) != 0)
        return -1;
    RnnTrainRow *rows = malloc(SNAPSHOT_ROWS * sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t total;
    int n = rundir_rnn_train_rows(&s->rd, rows, SNAPSHOT_ROWS, &total, err, errlen);
    for (int i = 0; i < n; i++)
        push_row(p, &rows[i]);
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
                   rundir_write_rnn_genotype(&s->rd, &s->rnn_genotype, NULL, err, errlen) != 0 ||
                   rnn_training_checkpoint(s, err, errlen) != 0
               ? -1
               : 0;
}

static int prepare(Session *s, char *err, size_t errlen)
{
    parallel_set_threads(s->cfg.run.threads);
    const int kjv = strcmp(s->cfg.data.set, "kjv") == 0;
    if (kjv)
        session_say(s, "loading the KJV corpus (prepared once into the cache)");
    if (corpus_load(&s->corpus, kjv ? NULL : s->cfg.data.dir, NULL, NULL, err, errlen) != 0)
        return -1;
    s->corpus_loaded = 1;
    s->rnn_trainer = rnn_trainer_create(&s->cfg, &s->rnn_genotype, &s->corpus, err, errlen);
    if (!s->rnn_trainer)
        return -1;
    Snapshot *p = &s->priv;
    p->params = (long long)rnn_trainer_param_count(s->rnn_trainer);
    p->params_aux = p->params;
    if (s->resuming ? resume(s, err, errlen) : start(s, err, errlen))
        return -1;
    rnn_training_refresh(s);
    return 0;
}

/* The end of an epoch: the valid split, its row, a checkpoint. */
static int end_epoch(Session *s)
{
    char err[ERR_LEN];
    double t0 = session_now(), val;
    int switched;
    rnn_trainer_end_epoch(s->rnn_trainer, &s->cfg, &val, &switched);
    s->train.elapsed += session_now() - t0;
    const int epoch = rnn_trainer_epoch(s->rnn_trainer);
    if (switched) {
        s->rnn_asgd_epoch = epoch;
        session_say(s,
                    "epoch %d: no better validation loss in %d epochs; switching to averaged SGD",
                    epoch, s->cfg.rnn.nonmono);
    }
    const double train = s->rnn_windows ? s->rnn_loss_sum / (double)s->rnn_windows : 0.0;
    RnnTrainRow r = {
        .epoch = epoch,
        .lr = (float)s->cfg.optim.lr,
        .train_loss = (float)train,
        .train_ppl = perplexity(train),
        .val_loss = (float)val,
        .val_ppl = perplexity(val),
        .asgd = rnn_trainer_asgd(s->rnn_trainer),
        .seconds = s->train.elapsed,
    };
    if (rundir_append_rnn_train(&s->rd, &r, err, sizeof err) != 0)
        return session_write_failure(s, err);
    push_row(&s->priv, &r);
    s->rnn_loss_sum = 0;
    s->rnn_windows = 0;
    s->rnn_tokens = 0;
    if (rnn_training_checkpoint(s, err, sizeof err) != 0)
        return session_write_failure(s, err);
    return 0;
}

/* The epochs are done: checkpoint, the test split on the best weights,
 * results.json. */
static int finish(Session *s)
{
    char err[ERR_LEN];
    if (rnn_training_checkpoint(s, err, sizeof err) != 0)
        return session_write_failure(s, err);
    double t0 = session_now();
    const double test = rnn_trainer_test(s->rnn_trainer);
    s->train.elapsed += session_now() - t0;
    RnnTrainResults r = {
        .preset = s->cfg.preset,
        .dataset = s->cfg.data.set,
        .genotype = &s->rnn_genotype,
        .epochs = rnn_trainer_epoch(s->rnn_trainer),
        .epochs_planned = s->cfg.run.epochs,
        .asgd_epoch = s->rnn_asgd_epoch,
        .test_tokens = (long long)s->corpus.len[CORPUS_TEST],
        .test_loss = test,
        .val_loss = rnn_trainer_best_val_loss(s->rnn_trainer),
        .params = rnn_trainer_param_count(s->rnn_trainer),
        .seconds = s->train.elapsed,
    };
    if (rundir_write_rnn_results(&s->rd, &r, err, sizeof err) != 0)
        return session_write_failure(s, err);
    session_say(
        s, "test perplexity %.2f (loss %.4f) on the best weights after %d epochs; %s/results.json",
        exp(test < 700 ? test : 700), test, r.epochs, s->rd.path);
    return 0;
}

static WorkerStep rnn_training_once(Session *s)
{
    char err[ERR_LEN];
    Snapshot *p = &s->priv;
    double t0 = session_now();
    RnnTrainStats st;
    if (rnn_trainer_step(s->rnn_trainer, &s->cfg, &st, err, sizeof err) != 0)
        return session_step_failed(s, err);
    s->rnn_loss_sum += st.loss;
    s->rnn_windows++;
    s->rnn_tokens += st.tokens;
    p->step_train_loss = (float)st.loss;
    session_step_time(p, (session_now() - t0) * 1e3);
    p->images_per_s = p->ms_per_step > 0 ? st.tokens * 1e3 / p->ms_per_step : 0; /* tokens/s */
    s->train.elapsed += session_now() - t0;

    const int64_t step = rnn_trainer_step_count(s->rnn_trainer);
    if (st.epoch_done) {
        if (end_epoch(s) != 0)
            return WORKER_FAILED;
    } else if (s->cfg.run.checkpoint_every > 0 && step % s->cfg.run.checkpoint_every == 0 &&
               rnn_training_checkpoint(s, err, sizeof err) != 0) {
        session_write_failure(s, err);
        return WORKER_FAILED;
    }
    rnn_training_refresh(s);
    if (!st.epoch_done && step % s->cfg.run.report_every == 0) {
        const double train = s->rnn_loss_sum / (double)s->rnn_windows;
        training_progress(s, rnn_trainer_epoch_fraction(s->rnn_trainer), (float)s->cfg.optim.lr,
                          (float)train, perplexity(train));
    }
    return WORKER_NEXT;
}

static int rnn_training_end(Session *s, int stopped)
{
    return finished(s) ? finish(s) : session_checkpoint_now(s, stopped);
}

const WorkerOps rnn_training_worker = {prepare, finished, rnn_training_once, rnn_training_end,
                                       rnn_training_refresh};
