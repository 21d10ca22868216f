/* rnnsearch_worker: the worker of a recurrent search (data.set kjv or text)
 * in the session's thread, with the session's snapshots, commands and run
 * directory (session_internal.h).
 *
 * Its run directory: config.yaml; metrics.csv of RNN_COLUMNS, a row per
 * report (every run.report_every steps, at every epoch end and at the run's
 * last step; a row that ends an epoch or the run evaluates the valid split);
 * alphas.csv, one block of cell `recurrent` per row; genotype.py (the
 * official line) and genotype.json with every row; changes.log;
 * checkpoint.bin (the extra block below, then rnnsearch_save_state). Epochs
 * have a random number of steps (the windows' lengths are drawn), so the
 * run ends when the search's epoch counter reaches its target, or at
 * --steps.
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
#define RNN_STATE_BYTES (4 + 4 + 4 * 8 + 3 * 8 + RNN_NODES * 8)
#define TOKENS_EMA 0.1 /* tokens/s: new sample's share */

/* The data keys (checkpoint_fingerprint) and the recurrent network's shape. */
uint64_t rnnsearch_fingerprint(const Config *cfg)
{
    uint64_t h = checkpoint_fingerprint(cfg);
    h = checkpoint_fingerprint_u32(h, 0x726e6e73u); /* "rnns": never equal to a CNN search's */
    h = checkpoint_fingerprint_u32(h, (uint32_t)cfg->rnn.size);
    return checkpoint_fingerprint_u32(h, (uint32_t)cfg->rnn.bptt);
}

/* ---------------------------------------------------------------- checkpoint */

static void state_encode(const RnnAppState *a, unsigned char *b)
{
    le_put_u32(b, RNN_STATE_VERSION);
    le_put_u32(b + 4, (uint32_t)a->tail_row);
    le_put_f64(b + 8, a->elapsed);
    le_put_f64(b + 16, a->last_lr);
    le_put_f64(b + 24, a->train_loss);
    le_put_f64(b + 32, a->val_loss);
    le_put_u64(b + 40, (uint64_t)a->steps);
    le_put_u64(b + 48, (uint64_t)a->val_steps);
    le_put_u64(b + 56, (uint64_t)a->tokens);
    for (int i = 0; i < RNN_NODES; i++) {
        le_put_u32(b + 64 + 8 * i, (uint32_t)a->report_genotype.recurrent[i].op);
        le_put_u32(b + 68 + 8 * i, (uint32_t)a->report_genotype.recurrent[i].input);
    }
}

static const char *state_decode(RnnAppState *a, const unsigned char *b, size_t len)
{
    if (len != RNN_STATE_BYTES || le_get_u32(b) != RNN_STATE_VERSION)
        return "recurrent search block has an unknown length or version";
    a->tail_row = (int)le_get_u32(b + 4);
    a->elapsed = le_get_f64(b + 8);
    a->last_lr = le_get_f64(b + 16);
    a->train_loss = le_get_f64(b + 24);
    a->val_loss = le_get_f64(b + 32);
    a->steps = (int64_t)le_get_u64(b + 40);
    a->val_steps = (int64_t)le_get_u64(b + 48);
    a->tokens = (int64_t)le_get_u64(b + 56);
    if ((a->tail_row != 0 && a->tail_row != 1) || !(a->elapsed >= 0 && isfinite(a->elapsed)) ||
        !(a->last_lr >= 0 && isfinite(a->last_lr)) ||
        !(a->train_loss >= 0 && isfinite(a->train_loss)) ||
        !(a->val_loss >= 0 && isfinite(a->val_loss)) || a->steps < 0 || a->val_steps < 0 ||
        a->val_steps > a->steps || a->tokens < 0)
        return "recurrent search block: times, rates or sums out of range";
    for (int i = 0; i < RNN_NODES; i++) {
        const int op = (int)le_get_u32(b + 64 + 8 * i), in = (int)le_get_u32(b + 68 + 8 * i);
        if (op <= RNN_OP_NONE || op >= RNN_OP_COUNT || in < 0 || in > i)
            return "recurrent search block: the reported cell is not a recurrent cell";
        a->report_genotype.recurrent[i].op = op;
        a->report_genotype.recurrent[i].input = in;
    }
    a->report_genotype.concat_count = RNN_NODES;
    for (int i = 0; i < RNN_NODES; i++)
        a->report_genotype.concat[i] = i + 1;
    return NULL;
}

static int write_body(const void *ctx, FILE *f)
{
    return rnnsearch_save_state(ctx, f);
}

static int save_checkpoint(Session *s, const RnnAppState *a, char *err, size_t errlen)
{
    unsigned char extra[RNN_STATE_BYTES];
    state_encode(a, extra);
    char path[RUNDIR_FILE_MAX];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    const int64_t step = rnnsearch_step_count(s->rnn);
    if (checkpoint_save(path, s->fingerprint, step, extra, sizeof extra, write_body, s->rnn, err,
                        errlen) != 0)
        return -1;
    s->checkpoint_step = step;
    return 0;
}

int rnnsearch_checkpoint(Session *s, char *err, size_t errlen)
{
    return save_checkpoint(s, &s->rapp, err, errlen);
}

static int load_checkpoint(Session *s, char *err, size_t errlen)
{
    char path[RUNDIR_FILE_MAX], why[512];
    rundir_file(&s->rd, "checkpoint.bin", path, sizeof path);
    const size_t body_len = rnnsearch_state_bytes(s->rnn);
    Checkpoint c;
    if (checkpoint_read(&c, path, s->fingerprint, checkpoint_size(RNN_STATE_BYTES, body_len), err,
                        errlen) != 0)
        return -1;
    int rc = -1;
    RnnAppState staged;
    const char *bad = state_decode(&staged, c.extra, c.extra_len);
    FILE *body = NULL;
    if (bad)
        snprintf(err, errlen, "%s: %s", path, bad);
    else if (c.body_len != body_len)
        snprintf(err, errlen, "%s: recurrent search state of %zu bytes (this network saves %zu)",
                 path, c.body_len, body_len);
    else if (!(body = checkpoint_body_stream(&c)))
        snprintf(err, errlen, "%s: out of memory", path);
    else if (rnnsearch_load_state(s->rnn, body, why, sizeof why) != 0)
        snprintf(err, errlen, "%s: %s", path, why);
    else if (rnnsearch_step_count(s->rnn) != c.step)
        snprintf(err, errlen, "%s: header says step %lld, state says %lld", path, (long long)c.step,
                 (long long)rnnsearch_step_count(s->rnn));
    else {
        s->rapp = staged;
        rc = 0;
    }
    if (body)
        fclose(body);
    s->checkpoint_step = c.step;
    checkpoint_release(&c);
    return rc;
}

/* ---------------------------------------------------------------- snapshot */

static int64_t target_steps(const Session *s)
{
    return s->opt.max_steps > 0 ? s->opt.max_steps : INT64_MAX;
}

static int target_epochs(const Session *s)
{
    const int e = s->cfg.run.epochs;
    return s->opt.max_epochs > 0 && s->opt.max_epochs < e ? s->opt.max_epochs : e;
}

static int run_done(const Session *s)
{
    return rnnsearch_step_count(s->rnn) >= target_steps(s) ||
           rnnsearch_epoch(s->rnn) >= target_epochs(s);
}

static void refresh_alphas(Session *s)
{
    Snapshot *p = &s->priv;
    rnnsearch_alpha_weights(s->rnn, s->w_rnn);
    memcpy(p->alpha_rnn, s->w_rnn, sizeof p->alpha_rnn);
    rnnsearch_genotype(s->rnn, &p->rnn_genotype);
}

void rnnsearch_refresh(Session *s)
{
    Snapshot *p = &s->priv;
    const double per_epoch = rnnsearch_steps_per_epoch(s->rnn, &s->cfg);
    const int64_t step = rnnsearch_step_count(s->rnn);
    /* The steps still to go: the rest of this epoch (by its position) and the
     * epochs after it, at the mean window length. */
    const double rows = (double)rnnsearch_train_rows(s->rnn) - 2;
    const double left_this = per_epoch * (1.0 - (double)rnnsearch_position(s->rnn) / rows);
    const int epochs = target_epochs(s);
    double left = left_this + per_epoch * (epochs - 1 - rnnsearch_epoch(s->rnn));
    if (left < 0)
        left = 0;
    int64_t total = step + (int64_t)ceil(left);
    if (total > target_steps(s))
        total = target_steps(s);
    p->step = step;
    p->total_steps = total;
    p->epoch = rnnsearch_epoch(s->rnn);
    p->epochs = epochs;
    p->lr = (float)s->cfg.optim.lr;
    p->arch_lr = (float)s->cfg.arch.lr;
    p->order = s->cfg.arch.order;
    p->config = s->cfg;
    p->eta_seconds = p->ms_per_step * 1e-3 * (double)(total - step);
    p->elapsed_seconds = s->rapp.elapsed;
}

/* The snapshot's rows: train_acc and val_acc carry the perplexities. */
static MetricRow as_metric_row(const RnnRow *r)
{
    MetricRow m = {.step = r->step,
                   .epoch = r->epoch,
                   .lr = r->lr,
                   .train_loss = r->train_loss,
                   .train_acc = r->train_ppl,
                   .val_loss = r->val_loss,
                   .val_acc = r->val_ppl,
                   .seconds = r->seconds};
    return m;
}

static float ppl(double loss)
{
    return (float)exp(loss);
}

/* The row, alphas block and genotype of the current step; `eval`: val_*
 * from the valid split (the row ends an epoch or the run). */
static int write_row(Session *s, int eval)
{
    const int64_t step = rnnsearch_step_count(s->rnn);
    const RnnAppState *a = &s->rapp;
    RnnRow r = {0};
    r.step = step;
    /* the epoch the step belonged to: an epoch that just ended is the one before */
    r.epoch = rnnsearch_epoch(s->rnn) - (rnnsearch_position(s->rnn) == 0 ? 1 : 0);
    if (r.epoch < 0)
        r.epoch = 0;
    r.lr = (float)a->last_lr;
    if (a->steps > 0)
        r.train_loss = (float)(a->train_loss / (double)a->steps);
    if (a->val_steps > 0)
        r.val_loss = (float)(a->val_loss / (double)a->val_steps);
    if (eval) {
        const double t0 = session_now();
        r.val_loss = (float)rnnsearch_evaluate(s->rnn, s->cfg.run.eval_samples);
        s->rapp.elapsed += session_now() - t0;
    }
    r.train_ppl = ppl(r.train_loss);
    r.val_ppl = ppl(r.val_loss);
    r.seconds = s->rapp.elapsed;
    char err[ERR_LEN];
    refresh_alphas(s);
    if (rundir_append_rnn(&s->rd, &r, err, sizeof err) != 0 ||
        rundir_append_rnn_alphas(&s->rd, step, s->w_rnn, err, sizeof err) != 0 ||
        rundir_write_rnn_genotype(&s->rd, &s->priv.rnn_genotype, s->w_rnn, err, sizeof err) != 0)
        return session_write_failure(s, err);
    MetricRow m = as_metric_row(&r);
    session_push_row(&s->priv, &m);
    s->priv.rnn_prev_genotype = s->rapp.report_genotype;
    s->rapp.report_genotype = s->priv.rnn_genotype;
    s->rapp.train_loss = s->rapp.val_loss = 0;
    s->rapp.steps = s->rapp.val_steps = s->rapp.tokens = 0;
    s->last_row_step = step;
    return 0;
}

int rnnsearch_export(Session *s, char *err, size_t errlen)
{
    refresh_alphas(s);
    return rundir_write_rnn_genotype(&s->rd, &s->priv.rnn_genotype, s->w_rnn, err, errlen);
}

/* ---------------------------------------------------------------- run */

static int resume(Session *s, char *err, size_t errlen)
{
    Snapshot *p = &s->priv;
    if (load_checkpoint(s, err, errlen) != 0)
        return -1;
    const int64_t step = rnnsearch_step_count(s->rnn);
    /* a tail row exists only because a bounded run ended there: cut it */
    if (rundir_open(&s->rd, step, !s->rapp.tail_row, err, errlen) != 0)
        return -1;
    const int tail = s->rapp.tail_row;
    s->rapp.tail_row = 0;
    RnnRow *rows = malloc(SNAPSHOT_ROWS * sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t total;
    int n = rundir_rnn_rows(&s->rd, rows, SNAPSHOT_ROWS, &total, err, errlen);
    for (int i = 0; i < n; i++) {
        MetricRow m = as_metric_row(&rows[i]);
        session_push_row(p, &m);
    }
    if (n > 0)
        s->last_row_step = rows[n - 1].step;
    free(rows);
    if (n < 0)
        return -1;
    p->rows_total = total;
    p->rows_resumed = total;
    p->rnn_prev_genotype = s->rapp.report_genotype;
    /* The dropped tail row is written again as the ordinary row an
     * uninterrupted run writes at a report step. */
    if (tail && step > 0 && step % s->cfg.run.report_every == 0 && write_row(s, 0) != 0) {
        snprintf(err, errlen, "%s: could not rewrite the row of step %lld", s->rd.path,
                 (long long)step);
        return -1;
    }
    return session_record_resume_overrides(s, err, errlen);
}

static int start(Session *s, char *err, size_t errlen)
{
    rnnsearch_genotype(s->rnn, &s->rapp.report_genotype);
    s->priv.rnn_prev_genotype = s->rapp.report_genotype;
    return session_start_rundir(s, err, errlen) != 0 ||
                   save_checkpoint(s, &s->rapp, err, errlen) != 0
               ? -1
               : 0;
}

static int prepare(Session *s, char *err, size_t errlen)
{
    parallel_set_threads(s->cfg.run.threads);
    corpus_init(&s->corpus);
    s->corpus_loaded = 1;
    const int kjv = strcmp(s->cfg.data.set, "kjv") == 0;
    if (!kjv)
        session_say(s, "reading the text corpus in %s", s->cfg.data.dir);
    else
        session_say(s, "reading the KJV corpus (prepared once from bible-kjv into the cache)");
    session_publish(s);
    if (corpus_load(&s->corpus, kjv ? NULL : s->cfg.data.dir, NULL, NULL, err, errlen) != 0)
        return -1;
    s->rnn = rnnsearch_create(&s->cfg, &s->corpus, err, errlen);
    if (!s->rnn)
        return -1;
    if (s->resuming ? resume(s, err, errlen) : start(s, err, errlen))
        return -1;
    refresh_alphas(s);
    rnnsearch_refresh(s);
    session_say(s, "vocabulary %d words; train %lld, valid %lld tokens; %zu weights",
                s->corpus.vocab.count, (long long)s->corpus.len[CORPUS_TRAIN],
                (long long)s->corpus.len[CORPUS_VALID], rnnsearch_net(s->rnn)->nweights);
    return 0;
}

/* The end of a run that got to its target: the last row, checkpoint, genotype. */
static int finish(Session *s)
{
    const int64_t step = rnnsearch_step_count(s->rnn);
    char err[ERR_LEN];
    if (step > 0 && s->last_row_step != step) {
        /* A run bounded by --steps ends between reports: the row exists only
         * because it ends here; the checkpoint before it marks it. */
        RnnAppState before = s->rapp;
        before.tail_row = rnnsearch_position(s->rnn) != 0;
        if (save_checkpoint(s, &before, err, sizeof err) != 0)
            return session_write_failure(s, err);
        if (write_row(s, 1) != 0)
            return -1;
    } else if (save_checkpoint(s, &s->rapp, err, sizeof err) != 0) {
        return session_write_failure(s, err);
    }
    return rnnsearch_export(s, err, sizeof err) != 0 ? session_write_failure(s, err) : 0;
}

static WorkerStep rnnsearch_once(Session *s)
{
    char err[ERR_LEN];
    Snapshot *p = &s->priv;
    const double t0 = session_now();
    RnnStepStats st;
    if (rnnsearch_step(s->rnn, &s->cfg, &st, err, sizeof err) != 0)
        return session_step_failed(s, err);
    const double ms = (session_now() - t0) * 1e3;
    RnnAppState *a = &s->rapp;
    a->train_loss += st.train_loss;
    a->steps++;
    if (st.alpha_step) {
        a->val_loss += st.val_loss;
        a->val_steps++;
    }
    a->tokens += st.tokens;
    a->last_lr = st.lr;
    p->step_train_loss = (float)st.train_loss;
    p->step_val_loss = (float)st.val_loss;
    p->seq_len = st.seq_len;
    session_step_time(p, ms);
    /* The windows' lengths vary: the rate is averaged, not the time. */
    const double tok_s = ms > 0 ? st.tokens * 1e3 / ms : 0;
    p->tokens_per_s =
        p->tokens_per_s > 0 ? (1 - TOKENS_EMA) * p->tokens_per_s + TOKENS_EMA * tok_s : tok_s;
    p->images_per_s = p->tokens_per_s;
    a->elapsed += session_now() - t0;

    const int64_t step = rnnsearch_step_count(s->rnn);
    const int done = run_done(s), report = st.new_epoch || step % s->cfg.run.report_every == 0;
    if (!done && report && write_row(s, st.new_epoch) != 0)
        return WORKER_FAILED;
    if (!done && !report)
        refresh_alphas(s);
    if (!done && s->cfg.run.checkpoint_every > 0 && step % s->cfg.run.checkpoint_every == 0 &&
        save_checkpoint(s, &s->rapp, err, sizeof err) != 0) {
        session_write_failure(s, err);
        return WORKER_FAILED;
    }
    rnnsearch_refresh(s);
    return WORKER_NEXT;
}

static int rnnsearch_end(Session *s, int stopped)
{
    const double t0 = session_now();
    int rc = stopped && !run_done(s) ? session_checkpoint_now(s, 1) : finish(s);
    s->rapp.elapsed += session_now() - t0;
    return rc;
}

const WorkerOps rnnsearch_worker = {prepare, run_done, rnnsearch_once, rnnsearch_end,
                                    rnnsearch_refresh};
