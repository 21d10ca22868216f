/* rnntrain: see include/dartboard/rnntrain.h */
#include "config.h"
#include "dartboard/rnntrain.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/le.h"
#include "dartboard/optim.h"
#include "dartboard/rng.h"
#include "dartboard/rnnmodel.h"
#include "rnn_lm.h"

#define STATE_MAGIC "DBRNNTR1"
#define STATE_END "DBRNNEND"
#define STATE_VERSION 1u
#define SHAPE_FIELDS 7

struct RnnTrainer {
    RnnShape shape;
    int bptt;
    RnnGenotype genotype;
    RnnModel *train, *valid, *test;
    size_t nw;
    float *w, *grad, *ax, *best;
    float *hidden, *hidden_saved; /* batch x nhid, carried between windows */
    float *eval_hidden;           /* RNN_TRAIN_EVAL_BATCH x nhid */
    Batches data[CORPUS_SPLITS];
    Rng rng;
    int64_t steps;
    int epoch;
    int64_t pos; /* row i of the next window in this epoch */
    int asgd;
    int64_t asgd_steps;
    double eta;       /* ASGD's state['eta']: the lr of the previous step */
    double best_loss; /* train.py's stored_loss */
    int have_best;
    int history_n; /* train.py's best_val_loss (recorded before the switch) */
    double *history;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void rnn_trainer_free(RnnTrainer *t)
{
    if (!t)
        return;
    rnn_model_free(t->train);
    rnn_model_free(t->valid);
    rnn_model_free(t->test);
    free(t->w);
    free(t->grad);
    free(t->ax);
    free(t->best);
    free(t->hidden);
    free(t->hidden_saved);
    free(t->eval_hidden);
    free(t->history);
    for (int s = 0; s < CORPUS_SPLITS; s++)
        batches_free(&t->data[s]);
    free(t);
}

RnnTrainer *rnn_trainer_create(const Config *cfg, const RnnGenotype *g, const Corpus *corpus,
                               char *err, size_t errlen)
{
    RnnTrainer *t = calloc(1, sizeof *t);
    if (!t) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    const int n = cfg->rnn.size, B = cfg->data.batch_size;
    t->bptt = cfg->rnn.bptt;
    t->genotype = *g;
    t->shape = (RnnShape){.ntoken = corpus->vocab.count,
                          .ninp = n,
                          .nhid = n,
                          .batch = B,
                          .bptt_max = cfg->rnn.bptt + RNN_TRAIN_MAX_DELTA};
    if (corpus_check_window(corpus, CORPUS_TRAIN, B, t->bptt, err, errlen) != 0)
        goto fail;
    const int32_t bsz[CORPUS_SPLITS] = {B, RNN_TRAIN_EVAL_BATCH, RNN_TRAIN_TEST_BATCH};
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        if (corpus_batchify(corpus, (CorpusSplit)s, bsz[s], &t->data[s], err, errlen) != 0)
            goto fail;
        if (t->data[s].nbatch < 2) {
            fail(err, errlen,
                 "%s: the %s split gives %lld row at batch %d (expected at least 2: an input and "
                 "its target)",
                 corpus->source[s], corpus_split_name((CorpusSplit)s), (long long)t->data[s].nbatch,
                 bsz[s]);
            goto fail;
        }
    }
    RnnShape vs = t->shape, ts = t->shape;
    vs.batch = RNN_TRAIN_EVAL_BATCH;
    vs.bptt_max = t->bptt;
    ts.batch = RNN_TRAIN_TEST_BATCH;
    ts.bptt_max = t->bptt;
    if (!(t->train = rnn_model_create(&t->shape, g, 1, err, errlen)) ||
        !(t->valid = rnn_model_create(&vs, g, 0, err, errlen)) ||
        !(t->test = rnn_model_create(&ts, g, 0, err, errlen)))
        goto fail;
    t->train->dropout = rnn_dropout_from_config(cfg);
    t->nw = t->train->nweights;
    t->w = malloc(t->nw * sizeof(float));
    t->grad = malloc(t->nw * sizeof(float));
    t->ax = calloc(t->nw, sizeof(float));
    t->best = malloc(t->nw * sizeof(float));
    t->hidden = calloc((size_t)B * n, sizeof(float));
    t->hidden_saved = malloc((size_t)B * n * sizeof(float));
    t->eval_hidden = malloc((size_t)RNN_TRAIN_EVAL_BATCH * n * sizeof(float));
    t->history = malloc(RNN_TRAIN_HISTORY * sizeof(double));
    if (!t->w || !t->grad || !t->ax || !t->best || !t->hidden || !t->hidden_saved ||
        !t->eval_hidden || !t->history) {
        fail(err, errlen, "recurrent training: out of memory (%zu weights, 4 copies)", t->nw);
        goto fail;
    }
    rng_seed(&t->rng, cfg->run.seed);
    rnn_model_init_weights(&t->shape, t->w, &t->rng);
    memcpy(t->best, t->w, t->nw * sizeof(float));
    t->best_loss = INFINITY;
    return t;
fail:
    rnn_trainer_free(t);
    return NULL;
}

int64_t rnn_trainer_step_count(const RnnTrainer *t)
{
    return t->steps;
}

int rnn_trainer_epoch(const RnnTrainer *t)
{
    return t->epoch;
}

int rnn_trainer_asgd(const RnnTrainer *t)
{
    return t->asgd;
}

size_t rnn_trainer_param_count(const RnnTrainer *t)
{
    return t->nw;
}

int64_t rnn_trainer_train_rows(const RnnTrainer *t)
{
    return t->data[CORPUS_TRAIN].nbatch;
}

double rnn_trainer_epoch_fraction(const RnnTrainer *t)
{
    return (double)t->pos / (double)(t->data[CORPUS_TRAIN].nbatch - 2);
}

double rnn_trainer_best_val_loss(const RnnTrainer *t)
{
    return t->best_loss;
}

float *rnn_trainer_weights(RnnTrainer *t)
{
    return t->w;
}

const float *rnn_trainer_average(const RnnTrainer *t)
{
    return t->ax;
}

struct RnnModel *rnn_trainer_model(RnnTrainer *t)
{
    return t->train;
}

void rnn_trainer_switch_asgd(RnnTrainer *t)
{
    t->asgd = 1;
    t->asgd_steps = 0;
}

/* Forward, backward, clip and the update on one window; the masks are the
 * model's. The hidden state is restored when the step fails. */
static int train_window(RnnTrainer *t, const Config *cfg, const int32_t *x, const int32_t *y,
                        int len, int seq_len, RnnTrainStats *st, char *err, size_t errlen)
{
    const size_t hn = (size_t)t->shape.batch * t->shape.nhid;
    memcpy(t->hidden_saved, t->hidden, hn * sizeof(float));
    RnnLoss l =
        rnn_model_forward(t->train, t->w, x, y, len, t->hidden, t->hidden, 1, (float)cfg->rnn.tar);
    if (!isfinite(l.total)) {
        memcpy(t->hidden, t->hidden_saved, hn * sizeof(float));
        return fail(err, errlen, "the training loss is not finite (%g) at step %lld", l.total,
                    (long long)t->steps + 1);
    }
    rnn_model_backward(t->train, t->w, t->grad);
    const double norm = optim_clip_grad_norm(t->grad, t->nw, cfg->optim.grad_clip);
    if (!isfinite(norm)) {
        memcpy(t->hidden, t->hidden_saved, hn * sizeof(float));
        return fail(err, errlen, "the gradient is not finite at step %lld (lower optim.lr?)",
                    (long long)t->steps + 1);
    }
    const double lr = cfg->optim.lr * seq_len / t->bptt;
    st->loss = l.loss;
    st->total = l.total;
    st->lr = (float)lr;
    st->grad_norm = (float)norm;
    st->seq_len = seq_len;
    st->tokens = len * t->shape.batch;
    st->asgd = t->asgd;
    if (!t->asgd) {
        optim_sgd_step(t->w, t->grad, NULL, t->nw, lr, 0.0, cfg->optim.weight_decay, 0);
    } else {
        /* torch.optim.ASGD, t0 = 0, lambd = 0: eta and mu come from the
         * previous step (at the first, eta is this step's lr and mu 1) */
        if (t->asgd_steps == 0)
            t->eta = lr;
        const int64_t k = ++t->asgd_steps;
        optim_sgd_step(t->w, t->grad, NULL, t->nw, t->eta, 0.0, cfg->optim.weight_decay, 0);
        const float mu = k <= 2 ? 1.0f : (float)(1.0 / (double)(k - 1));
        if (mu == 1.0f)
            memcpy(t->ax, t->w, t->nw * sizeof(float));
        else
            for (size_t q = 0; q < t->nw; q++)
                t->ax[q] += (t->w[q] - t->ax[q]) * mu;
        t->eta = lr;
    }
    t->steps++;
    return 0;
}

int rnn_trainer_step(RnnTrainer *t, const Config *cfg, RnnTrainStats *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    const Batches *b = &t->data[CORPUS_TRAIN];
    const Rng saved = t->rng;
    if (t->pos == 0)
        memset(t->hidden, 0, (size_t)t->shape.batch * t->shape.nhid * sizeof(float));
    const int32_t seq_len = corpus_bptt_draw(&t->rng, t->bptt, RNN_TRAIN_MAX_DELTA);
    BpttWindow win;
    corpus_get_batch(b, t->pos, seq_len, &win);
    t->train->dropout = rnn_dropout_from_config(cfg);
    rnn_model_draw_masks(t->train, &t->rng);
    if (train_window(t, cfg, win.x, win.y, win.seq_len, seq_len, st, err, errlen) != 0) {
        t->rng = saved;
        return -1;
    }
    t->pos += seq_len;
    if (t->pos >= b->nbatch - 2) {
        t->pos = 0;
        t->epoch++;
        st->epoch_done = 1;
    }
    return 0;
}

int rnn_trainer_step_fixed(RnnTrainer *t, const Config *cfg, const int32_t *words,
                           const int32_t *targets, int seq_len, RnnTrainStats *st, char *err,
                           size_t errlen)
{
    memset(st, 0, sizeof *st);
    return train_window(t, cfg, words, targets, seq_len, seq_len, st, err, errlen);
}

/* train.py's evaluate() of split s at the weights w. */
static double evaluate(RnnTrainer *t, CorpusSplit s, const float *w)
{
    RnnModel *m = s == CORPUS_TEST ? t->test : t->valid;
    const Batches *b = &t->data[s];
    memset(t->eval_hidden, 0, (size_t)m->shape.batch * m->shape.nhid * sizeof(float));
    BpttIter it;
    BpttWindow win;
    bptt_begin(&it, b, 1);
    double total = 0.0;
    while (bptt_next(&it, t->bptt, &win)) {
        RnnLoss l = rnn_model_forward(m, w, win.x, win.y, win.seq_len, t->eval_hidden,
                                      t->eval_hidden, 0, 0.0f);
        total += l.loss * win.seq_len;
    }
    return total / (double)b->nbatch;
}

static const float *eval_weights(const RnnTrainer *t)
{
    return t->asgd ? t->ax : t->w;
}

void rnn_trainer_end_epoch(RnnTrainer *t, const Config *cfg, double *val_loss, int *switched)
{
    *switched = 0;
    const double v = evaluate(t, CORPUS_VALID, eval_weights(t));
    *val_loss = v;
    if (v < t->best_loss) {
        t->best_loss = v;
        t->have_best = 1;
        memcpy(t->best, eval_weights(t), t->nw * sizeof(float));
    }
    if (t->asgd)
        return;
    const int nm = cfg->rnn.nonmono;
    if (nm > 0 && t->history_n > nm) {
        double least = INFINITY;
        for (int i = 0; i < t->history_n - nm; i++)
            least = t->history[i] < least ? t->history[i] : least;
        if (v > least) {
            rnn_trainer_switch_asgd(t);
            *switched = 1;
        }
    }
    if (t->history_n < RNN_TRAIN_HISTORY)
        t->history[t->history_n++] = v;
}

double rnn_trainer_test(RnnTrainer *t)
{
    return evaluate(t, CORPUS_TEST, t->have_best ? t->best : eval_weights(t));
}

double rnn_trainer_valid(RnnTrainer *t)
{
    return evaluate(t, CORPUS_VALID, eval_weights(t));
}

/* ---------------------------------------------------------------- state */

static const char *const shape_names[SHAPE_FIELDS] = {
    "vocabulary size", "rnn.size",      "data.batch_size", "rnn.bptt",
    "weight count",    "training rows", "the cell"};

static void shape(const RnnTrainer *t, int64_t v[SHAPE_FIELDS])
{
    uint64_t cell = 1469598103934665603ull; /* FNV-1a over (op, input) x 8 and concat */
    for (int i = 0; i < RNN_NODES; i++) {
        cell = (cell ^ (uint64_t)t->genotype.recurrent[i].op) * 1099511628211ull;
        cell = (cell ^ (uint64_t)t->genotype.recurrent[i].input) * 1099511628211ull;
    }
    for (int i = 0; i < t->genotype.concat_count; i++)
        cell = (cell ^ (uint64_t)t->genotype.concat[i]) * 1099511628211ull;
    v[0] = t->shape.ntoken;
    v[1] = t->shape.nhid;
    v[2] = t->shape.batch;
    v[3] = t->bptt;
    v[4] = (int64_t)t->nw;
    v[5] = t->data[CORPUS_TRAIN].nbatch;
    v[6] = (int64_t)(cell >> 1);
}

static size_t fixed_bytes(const RnnTrainer *t)
{
    const size_t hn = (size_t)t->shape.batch * t->shape.nhid;
    return 8 + 4 + 8 * SHAPE_FIELDS + 8 + 4 + 8 + 4 + 8 + 8 + 8 + 4 + 4 + 4 * 8 + 4 * hn +
           3 * 4 * t->nw + 8;
}

size_t rnn_trainer_state_bytes_max(const RnnTrainer *t)
{
    return fixed_bytes(t) + 8 * (size_t)RNN_TRAIN_HISTORY;
}

static int write_f64(FILE *f, double v)
{
    unsigned char b[8];
    le_put_f64(b, v);
    return fwrite(b, 1, 8, f) != 8;
}

static int read_f64(FILE *f, double *v)
{
    unsigned char b[8];
    if (fread(b, 1, 8, f) != 8)
        return -1;
    *v = le_get_f64(b);
    return 0;
}

int rnn_trainer_save_state(const RnnTrainer *t, FILE *f)
{
    int64_t v[SHAPE_FIELDS];
    shape(t, v);
    int rc = fwrite(STATE_MAGIC, 1, 8, f) != 8;
    rc |= le_write_u32(f, STATE_VERSION);
    for (int i = 0; i < SHAPE_FIELDS; i++)
        rc |= le_write_u64(f, (uint64_t)v[i]);
    rc |= le_write_u64(f, (uint64_t)t->steps) | le_write_u32(f, (uint32_t)t->epoch) |
          le_write_u64(f, (uint64_t)t->pos) | le_write_u32(f, (uint32_t)t->asgd) |
          le_write_u64(f, (uint64_t)t->asgd_steps) | write_f64(f, t->eta) |
          write_f64(f, t->best_loss) | le_write_u32(f, (uint32_t)t->have_best) |
          le_write_u32(f, (uint32_t)t->history_n);
    for (int i = 0; i < t->history_n; i++)
        rc |= write_f64(f, t->history[i]);
    for (int i = 0; i < 4; i++)
        rc |= le_write_u64(f, t->rng.s[i]);
    rc |= le_write_words(f, t->hidden, (size_t)t->shape.batch * t->shape.nhid) |
          le_write_words(f, t->w, t->nw) | le_write_words(f, t->ax, t->nw) |
          le_write_words(f, t->best, t->nw);
    rc |= fwrite(STATE_END, 1, 8, f) != 8;
    return rc ? -1 : 0;
}

static int truncated(char *err, size_t errlen, const char *what)
{
    return fail(err, errlen, "recurrent training state: truncated while reading the %s", what);
}

int rnn_trainer_load_state(RnnTrainer *t, FILE *f, char *err, size_t errlen)
{
    char magic[8], end[8];
    uint32_t version, epoch, asgd, have_best, hist_n;
    uint64_t steps, pos, asgd_steps;
    double eta, best_loss;
    int64_t want[SHAPE_FIELDS];
    shape(t, want);
    if (fread(magic, 1, 8, f) != 8)
        return truncated(err, errlen, "header");
    if (memcmp(magic, STATE_MAGIC, 8) != 0)
        return fail(err, errlen,
                    "not a recurrent training state (expected the magic \"" STATE_MAGIC "\")");
    if (le_read_u32(f, &version) != 0)
        return truncated(err, errlen, "header");
    if (version != STATE_VERSION)
        return fail(err, errlen, "recurrent training state: version %u (expected %u)", version,
                    STATE_VERSION);
    for (int i = 0; i < SHAPE_FIELDS; i++) {
        uint64_t v;
        if (le_read_u64(f, &v) != 0)
            return truncated(err, errlen, "network shape");
        if ((int64_t)v != want[i])
            return fail(err, errlen,
                        "recurrent training state: %s is %lld in the checkpoint but %lld here "
                        "(expected the network and corpus it was saved from)",
                        shape_names[i], (long long)v, (long long)want[i]);
    }
    if (le_read_u64(f, &steps) || le_read_u32(f, &epoch) || le_read_u64(f, &pos) ||
        le_read_u32(f, &asgd) || le_read_u64(f, &asgd_steps) || read_f64(f, &eta) ||
        read_f64(f, &best_loss) || le_read_u32(f, &have_best) || le_read_u32(f, &hist_n))
        return truncated(err, errlen, "counters");
    const int64_t rows = t->data[CORPUS_TRAIN].nbatch;
    if ((int64_t)steps < 0 || epoch > (uint32_t)steps || (int64_t)pos < 0 ||
        (int64_t)pos >= rows - 2 || asgd > 1 || asgd_steps > steps || (!asgd && asgd_steps) ||
        !(eta >= 0 && isfinite(eta)) || have_best > 1 || !(best_loss >= 0) ||
        (have_best && !isfinite(best_loss)) || hist_n > RNN_TRAIN_HISTORY || hist_n > epoch)
        return fail(err, errlen,
                    "recurrent training state: counters out of range (step %llu, epoch %u, row "
                    "%llu of %lld, asgd %u)",
                    (unsigned long long)steps, epoch, (unsigned long long)pos, (long long)rows,
                    asgd);
    /* staged in the gradient and scratch buffers, committed once all is read */
    double *hist = malloc(((size_t)hist_n + 1) * sizeof(double));
    const size_t hn = (size_t)t->shape.batch * t->shape.nhid;
    float *stage = malloc((3 * t->nw + hn) * sizeof(float));
    if (!hist || !stage) {
        free(hist);
        free(stage);
        return fail(err, errlen, "recurrent training state: out of memory");
    }
    int rc = 0;
    for (uint32_t i = 0; i < hist_n && rc == 0; i++)
        if (read_f64(f, &hist[i]) || !isfinite(hist[i]))
            rc = truncated(err, errlen, "validation losses");
    Rng rng;
    for (int i = 0; i < 4 && rc == 0; i++)
        if (le_read_u64(f, &rng.s[i]))
            rc = truncated(err, errlen, "random state");
    if (rc == 0 && (le_read_words(f, stage, hn) || le_read_words(f, stage + hn, 3 * t->nw)))
        rc = truncated(err, errlen, "weights");
    if (rc == 0 && (fread(end, 1, 8, f) != 8 || memcmp(end, STATE_END, 8) != 0))
        rc = fail(err, errlen,
                  "recurrent training state: no end marker (expected \"" STATE_END "\")");
    if (rc == 0) {
        t->steps = (int64_t)steps;
        t->epoch = (int)epoch;
        t->pos = (int64_t)pos;
        t->asgd = (int)asgd;
        t->asgd_steps = (int64_t)asgd_steps;
        t->eta = eta;
        t->best_loss = best_loss;
        t->have_best = (int)have_best;
        t->history_n = (int)hist_n;
        memcpy(t->history, hist, hist_n * sizeof(double));
        t->rng = rng;
        memcpy(t->hidden, stage, hn * sizeof(float));
        memcpy(t->w, stage + hn, t->nw * sizeof(float));
        memcpy(t->ax, stage + hn + t->nw, t->nw * sizeof(float));
        memcpy(t->best, stage + hn + 2 * t->nw, t->nw * sizeof(float));
    }
    free(hist);
    free(stage);
    return rc;
}
