/* rnnsearch: see include/dartboard/rnnsearch.h
 *
 * The step follows the official rnn/train_search.py (one small batch: the
 * official small_batch_size = batch_size) and rnn/architect.py, whose
 * second order differs from the CNN half's: the virtual step's gradient and
 * the vector v are clipped to optim.grad_clip, and the finite difference is
 * scaled by eta * clip_coef, clip_coef = clip / (||g|| + 1e-6) unclamped, as
 * architect.py's _clip returns it. Every buffer is allocated in
 * rnnsearch_create; a step only copies and computes. */
#include "config.h"
#include "dartboard/rnnsearch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/le.h"
#include "dartboard/optim.h"
#include "rnn_lm.h"

#define NA (RNN_EDGES * RNN_OP_COUNT)
#define STATE_VERSION 1u
#define ADAM_EPS 1e-8
#define HVP_R 1e-2 /* r of architect.py's _hessian_vector_product */

struct RnnSearch {
    RnnNet *net, *eval;
    Batches train, valid; /* batchified at data.batch_size */
    const Corpus *corpus;
    int bptt;
    int64_t step, pos; /* pos: train row of the next window */
    int epoch;
    int64_t adam_t;
    Rng rng;          /* sequence lengths, then the masks of each forward */
    float *h, *hv;    /* hidden states carried: train windows, valid windows (B x nhid) */
    float *h_scratch; /* a forward's throw-away next state */
    float adam_m[NA], adam_v[NA];
    /* The state before the step, for the rollback; its weights are also the w
     * the second order returns to. */
    struct {
        float *weights, *h, *hv, *bn_mean, *bn_var;
        float alpha[NA], adam_m[NA], adam_v[NA];
        int64_t step, pos, adam_t;
        int epoch;
        Rng rng;
    } saved;
    float *vec;                  /* second order: v = the clipped gradient at w' */
    float *bn_keep;              /* second order: running statistics around the w' forward */
    float g_val[NA], g_plus[NA]; /* second order: alpha gradients */
    int32_t *eval_data;          /* the valid split batchified at RNNSEARCH_EVAL_BATCH */
    int64_t eval_rows;
    float *eval_h;
};

static float *floats(size_t n)
{
    return malloc((n ? n : 1) * sizeof(float));
}

RnnSearch *rnnsearch_create(const Config *cfg, const Corpus *corpus, char *err, size_t errlen)
{
    const int B = cfg->data.batch_size, bptt = cfg->rnn.bptt, size = cfg->rnn.size;
    if (corpus_check_window(corpus, CORPUS_TRAIN, B, bptt + 1, err, errlen) != 0 ||
        corpus_check_window(corpus, CORPUS_VALID, B, bptt, err, errlen) != 0)
        return NULL;
    RnnSearch *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->corpus = corpus;
    s->bptt = bptt;
    /* The longest window: bptt (the official search never lengthens it). */
    RnnShape shape = {corpus->vocab.count, size, size, B, bptt};
    RnnShape eshape = {corpus->vocab.count, size, size, RNNSEARCH_EVAL_BATCH, bptt};
    s->net = rnn_create(&shape, err, errlen);
    if (!s->net)
        goto fail;
    s->eval = rnn_create(&eshape, err, errlen);
    if (!s->eval)
        goto fail;
    if (corpus_batchify(corpus, CORPUS_TRAIN, B, &s->train, err, errlen) != 0 ||
        corpus_batchify(corpus, CORPUS_VALID, B, &s->valid, err, errlen) != 0)
        goto fail;
    const size_t Bn = (size_t)B * size, nw = s->net->nweights;
    s->h = calloc(Bn, sizeof(float));
    s->hv = calloc(Bn, sizeof(float));
    s->h_scratch = floats(Bn);
    s->saved.weights = floats(nw);
    s->saved.h = floats(Bn);
    s->saved.hv = floats(Bn);
    s->saved.bn_mean = floats(size);
    s->saved.bn_var = floats(size);
    s->vec = floats(nw);
    s->bn_keep = floats(2 * (size_t)size);
    const int64_t vlen = corpus->len[CORPUS_VALID];
    s->eval_data = malloc((size_t)(vlen > 0 ? vlen : 1) * sizeof(int32_t));
    s->eval_h = floats((size_t)RNNSEARCH_EVAL_BATCH * size);
    if (!s->h || !s->hv || !s->h_scratch || !s->saved.weights || !s->saved.h || !s->saved.hv ||
        !s->saved.bn_mean || !s->saved.bn_var || !s->vec || !s->bn_keep || !s->eval_data ||
        !s->eval_h) {
        snprintf(err, errlen, "out of memory for the recurrent search");
        goto fail;
    }
    Rng init;
    rng_seed(&init, cfg->run.seed);
    rnn_init(s->net, &init);
    rng_seed(&s->rng, cfg->run.seed ^ 0x726e6e7365617263ull); /* "rnnsearc" */
    return s;
fail:
    rnnsearch_free(s);
    return NULL;
}

void rnnsearch_free(RnnSearch *s)
{
    if (!s)
        return;
    rnn_free(s->net);
    rnn_free(s->eval);
    batches_free(&s->train);
    batches_free(&s->valid);
    free(s->h);
    free(s->hv);
    free(s->h_scratch);
    free(s->saved.weights);
    free(s->saved.h);
    free(s->saved.hv);
    free(s->saved.bn_mean);
    free(s->saved.bn_var);
    free(s->vec);
    free(s->bn_keep);
    free(s->eval_data);
    free(s->eval_h);
    free(s);
}

RnnNet *rnnsearch_net(RnnSearch *s)
{
    return s->net;
}

int64_t rnnsearch_step_count(const RnnSearch *s)
{
    return s->step;
}

int rnnsearch_epoch(const RnnSearch *s)
{
    return s->epoch;
}

int64_t rnnsearch_position(const RnnSearch *s)
{
    return s->pos;
}

int64_t rnnsearch_train_rows(const RnnSearch *s)
{
    return s->train.nbatch;
}

double rnnsearch_steps_per_epoch(const RnnSearch *s, const Config *cfg)
{
    const double mean_len = 0.95 * cfg->rnn.bptt + 0.05 * (cfg->rnn.bptt / 2);
    return ceil((double)(s->train.nbatch - 2) / mean_len);
}

void rnnsearch_alpha_weights(const RnnSearch *s, float *w)
{
    rnn_alpha_softmax(s->net, w);
}

void rnnsearch_genotype(const RnnSearch *s, RnnGenotype *g)
{
    rnn_derive(s->net, g);
}

/* ---------------------------------------------------------------- the step */

static void save(RnnSearch *s)
{
    RnnNet *n = s->net;
    const size_t Bn = (size_t)n->shape.batch * n->shape.nhid, H = n->shape.nhid;
    memcpy(s->saved.weights, n->weights, n->nweights * sizeof(float));
    memcpy(s->saved.h, s->h, Bn * sizeof(float));
    memcpy(s->saved.hv, s->hv, Bn * sizeof(float));
    memcpy(s->saved.bn_mean, n->bn_mean, H * sizeof(float));
    memcpy(s->saved.bn_var, n->bn_var, H * sizeof(float));
    memcpy(s->saved.alpha, n->alpha, sizeof n->alpha);
    memcpy(s->saved.adam_m, s->adam_m, sizeof s->adam_m);
    memcpy(s->saved.adam_v, s->adam_v, sizeof s->adam_v);
    s->saved.step = s->step;
    s->saved.pos = s->pos;
    s->saved.adam_t = s->adam_t;
    s->saved.epoch = s->epoch;
    s->saved.rng = s->rng;
}

static int rollback(RnnSearch *s, char *err, size_t errlen, const char *what)
{
    RnnNet *n = s->net;
    const size_t Bn = (size_t)n->shape.batch * n->shape.nhid, H = n->shape.nhid;
    memcpy(n->weights, s->saved.weights, n->nweights * sizeof(float));
    memcpy(s->h, s->saved.h, Bn * sizeof(float));
    memcpy(s->hv, s->saved.hv, Bn * sizeof(float));
    memcpy(n->bn_mean, s->saved.bn_mean, H * sizeof(float));
    memcpy(n->bn_var, s->saved.bn_var, H * sizeof(float));
    memcpy(n->alpha, s->saved.alpha, sizeof n->alpha);
    memcpy(s->adam_m, s->saved.adam_m, sizeof s->adam_m);
    memcpy(s->adam_v, s->saved.adam_v, sizeof s->adam_v);
    s->step = s->saved.step;
    s->pos = s->saved.pos;
    s->adam_t = s->saved.adam_t;
    s->epoch = s->saved.epoch;
    s->rng = s->saved.rng;
    snprintf(err, errlen,
             "step %lld: %s is not finite (the step was undone; try a lower optim.lr or "
             "optim.grad_clip)",
             (long long)s->step + 1, what);
    return -1;
}

static int finite_vec(const float *v, size_t n)
{
    return isfinite(optim_sum_squares(v, n));
}

/* architect.py's _clip: scales g when the coefficient is below 1 and returns
 * the coefficient unclamped. */
static double clip_official(float *g, size_t n, double max_norm)
{
    const double coef = max_norm / (optim_norm(g, n) + 1e-6);
    if (coef < 1.0) {
        const float c = (float)coef;
        for (size_t k = 0; k < n; k++)
            g[k] *= c;
    }
    return coef;
}

/* The unrolled alpha gradient into net->g_alpha (official
 * _backward_step_unrolled); hv moves as the forward at w' moves it. The
 * weights end as they started, bit for bit. 0 or -1 (not finite). */
static int second_order(RnnSearch *s, const Config *cfg, const BpttWindow *tw, const BpttWindow *vw,
                        double eta, double *val_loss)
{
    RnnNet *n = s->net;
    const size_t nw = n->nweights, H = n->shape.nhid;
    /* 1. w' = w - eta (clip(g) + wd w), g the train window's plain loss at w */
    rnn_draw_masks(n, &s->rng);
    RnnLoss l = rnn_forward(n, tw->x, tw->y, tw->seq_len, s->h, s->h_scratch, 1, 0.0f);
    if (!isfinite(l.total) || rnn_backward(n, 1, 0) != 0 || !finite_vec(n->grad, nw))
        return -1;
    const double clip_coef = clip_official(n->grad, nw, cfg->optim.grad_clip);
    const float feta = (float)eta, fwd = (float)cfg->optim.weight_decay;
    for (size_t k = 0; k < nw; k++)
        n->weights[k] -= feta * (n->grad[k] + fwd * s->saved.weights[k]);
    /* 2. at w' (a throw-away model: its running statistics are not kept) */
    memcpy(s->bn_keep, n->bn_mean, H * sizeof(float));
    memcpy(s->bn_keep + H, n->bn_var, H * sizeof(float));
    rnn_draw_masks(n, &s->rng);
    l = rnn_forward(n, vw->x, vw->y, vw->seq_len, s->hv, s->hv, 1, 0.0f);
    memcpy(n->bn_mean, s->bn_keep, H * sizeof(float));
    memcpy(n->bn_var, s->bn_keep + H, H * sizeof(float));
    *val_loss = l.loss;
    if (!isfinite(l.total) || rnn_backward(n, 1, 1) != 0 || !finite_vec(n->grad, nw))
        return -1;
    memcpy(s->g_val, n->g_alpha, sizeof s->g_val);
    memcpy(s->vec, n->grad, nw * sizeof(float));
    clip_official(s->vec, nw, cfg->optim.grad_clip);
    const double vnorm = optim_norm(s->vec, nw);
    if (vnorm > 0.0) {
        /* 3. the alpha gradients of the train window at w + R v and w - R v */
        const double R = HVP_R / vnorm;
        const float fR = (float)R;
        for (int sign = 1; sign >= -1; sign -= 2) {
            for (size_t k = 0; k < nw; k++)
                n->weights[k] = s->saved.weights[k] + (float)sign * fR * s->vec[k];
            rnn_draw_masks(n, &s->rng);
            l = rnn_forward(n, tw->x, tw->y, tw->seq_len, s->h, s->h_scratch, 1, 0.0f);
            if (!isfinite(l.total) || rnn_backward(n, 0, 1) != 0)
                return -1;
            if (sign > 0)
                memcpy(s->g_plus, n->g_alpha, sizeof s->g_plus);
        }
        /* 4. dalpha - eta clip_coef (g+ - g-) / 2R */
        const double scale = eta * clip_coef / (2.0 * R);
        for (int k = 0; k < NA; k++)
            s->g_val[k] -= (float)(scale * ((double)s->g_plus[k] - n->g_alpha[k]));
    }
    memcpy(n->weights, s->saved.weights, nw * sizeof(float));
    memcpy(n->g_alpha, s->g_val, sizeof s->g_val);
    return 0;
}

int rnnsearch_step(RnnSearch *s, const Config *cfg, RnnStepStats *st, char *err, size_t errlen)
{
    RnnNet *n = s->net;
    const size_t nw = n->nweights;
    memset(st, 0, sizeof *st);
    n->dropout = rnn_dropout_from_config(cfg);
    save(s);
    /* seq_len = int(bptt if U < 0.95 else bptt / 2.); lr scaled by seq_len / bptt */
    const int bptt = cfg->rnn.bptt;
    const int seq_len = rng_uniform(&s->rng) < 0.95f ? bptt : bptt / 2;
    const double lr = cfg->optim.lr * seq_len / bptt;
    BpttWindow tw, vw;
    corpus_get_batch(&s->train, s->pos, seq_len, &tw);
    corpus_get_batch(&s->valid, s->pos % (s->valid.nbatch - 1), bptt, &vw);
    st->lr = (float)lr;
    st->seq_len = tw.seq_len;
    st->tokens = (int64_t)tw.seq_len * s->train.bsz;

    if (cfg->arch.order > 0) {
        if (cfg->arch.order == 2) {
            if (second_order(s, cfg, &tw, &vw, lr, &st->val_loss) != 0)
                return rollback(s, err, errlen, "the second-order alpha gradient");
        } else {
            rnn_draw_masks(n, &s->rng);
            RnnLoss l = rnn_forward(n, vw.x, vw.y, vw.seq_len, s->hv, s->hv, 1, 0.0f);
            st->val_loss = l.loss;
            if (!isfinite(l.total) || rnn_backward(n, 0, 1) != 0)
                return rollback(s, err, errlen, "the valid loss");
        }
        if (!finite_vec(n->g_alpha, NA))
            return rollback(s, err, errlen, "the alpha gradient");
        s->adam_t++;
        optim_adam_step(n->alpha, n->g_alpha, s->adam_m, s->adam_v, NA, s->adam_t, cfg->arch.lr,
                        cfg->arch.beta1, cfg->arch.beta2, ADAM_EPS, cfg->arch.weight_decay);
        if (!finite_vec(n->alpha, NA))
            return rollback(s, err, errlen, "an alpha");
        st->alpha_step = 1;
    }

    rnn_draw_masks(n, &s->rng);
    RnnLoss l = rnn_forward(n, tw.x, tw.y, tw.seq_len, s->h, s->h, 1, (float)cfg->rnn.tar);
    st->train_loss = l.loss;
    if (!isfinite(l.total) || rnn_backward(n, 1, 0) != 0)
        return rollback(s, err, errlen, "the train loss");
    st->grad_norm = optim_clip_grad_norm(n->grad, nw, cfg->optim.grad_clip);
    if (!isfinite(st->grad_norm))
        return rollback(s, err, errlen, "the weight gradient");
    optim_sgd_step(n->weights, n->grad, NULL, nw, lr, 0.0, cfg->optim.weight_decay, 0);
    if (!finite_vec(n->weights, nw))
        return rollback(s, err, errlen, "a weight");

    s->step++;
    s->pos += tw.seq_len;
    if (!(s->pos < s->train.nbatch - 2)) { /* the official while condition */
        const size_t Bn = (size_t)n->shape.batch * n->shape.nhid;
        s->epoch++;
        s->pos = 0;
        memset(s->h, 0, Bn * sizeof(float));
        memset(s->hv, 0, Bn * sizeof(float));
        st->new_epoch = 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

double rnnsearch_evaluate(RnnSearch *s, int64_t tokens)
{
    const Corpus *c = s->corpus;
    RnnNet *e = s->eval, *n = s->net;
    const int64_t len = c->len[CORPUS_VALID];
    if (tokens <= 0 || tokens > len)
        tokens = len;
    const int bsz = RNNSEARCH_EVAL_BATCH;
    const int64_t rows = tokens / bsz;
    if (rows < 2)
        return NAN;
    const int32_t *ids = c->ids[CORPUS_VALID];
    for (int64_t t = 0; t < rows; t++)
        for (int b = 0; b < bsz; b++)
            s->eval_data[t * bsz + b] = ids[b * rows + t];
    memcpy(e->weights, n->weights, n->nweights * sizeof(float));
    memcpy(e->alpha, n->alpha, sizeof n->alpha);
    memcpy(e->bn_mean, n->bn_mean, n->shape.nhid * sizeof(float));
    memcpy(e->bn_var, n->bn_var, n->shape.nhid * sizeof(float));
    memset(s->eval_h, 0, (size_t)bsz * n->shape.nhid * sizeof(float));
    double total = 0.0;
    int64_t count = 0;
    for (int64_t i = 0; i < rows - 1; i += s->bptt) {
        const int L = (int)(rows - 1 - i < s->bptt ? rows - 1 - i : s->bptt);
        const int32_t *x = s->eval_data + i * bsz;
        RnnLoss l = rnn_forward(e, x, x + bsz, L, s->eval_h, s->eval_h, 0, 0.0f);
        total += l.loss * L * bsz;
        count += (int64_t)L * bsz;
    }
    return total / (double)count;
}

/* ---------------------------------------------------------------- checkpoint */

#define SHAPE_KEYS 7
static const char *const shape_names[SHAPE_KEYS] = {"vocabulary (the corpus)",
                                                    "rnn.size",
                                                    "data.batch_size",
                                                    "rnn.bptt",
                                                    "weight count",
                                                    "train rows",
                                                    "valid rows"};

static void shape_of(const RnnSearch *s, int64_t *v)
{
    const RnnShape *sh = &s->net->shape;
    v[0] = sh->ntoken;
    v[1] = sh->nhid;
    v[2] = sh->batch;
    v[3] = sh->bptt_max;
    v[4] = (int64_t)s->net->nweights;
    v[5] = s->train.nbatch;
    v[6] = s->valid.nbatch;
}

size_t rnnsearch_state_bytes(const RnnSearch *s)
{
    const RnnNet *n = s->net;
    const size_t Bn = (size_t)n->shape.batch * n->shape.nhid;
    return 8 + 4 + 8 * SHAPE_KEYS + 8 + 8 + 4 + 4 + 8 + 4 * 8 +
           4 * (n->nweights + NA + 2 * (size_t)n->shape.nhid + 2 * NA + 2 * Bn) + 8;
}

int rnnsearch_save_state(const RnnSearch *s, FILE *f)
{
    const RnnNet *n = s->net;
    const size_t Bn = (size_t)n->shape.batch * n->shape.nhid;
    int64_t shape[SHAPE_KEYS];
    shape_of(s, shape);
    int bad = fwrite("DBRNNSRC", 1, 8, f) != 8 || le_write_u32(f, STATE_VERSION) != 0;
    for (int k = 0; k < SHAPE_KEYS; k++)
        bad |= le_write_u64(f, (uint64_t)shape[k]) != 0;
    bad |= le_write_u64(f, (uint64_t)s->step) != 0 || le_write_u64(f, (uint64_t)s->pos) != 0 ||
           le_write_u32(f, (uint32_t)s->epoch) != 0 || le_write_u32(f, 0) != 0 ||
           le_write_u64(f, (uint64_t)s->adam_t) != 0;
    for (int k = 0; k < 4; k++)
        bad |= le_write_u64(f, s->rng.s[k]) != 0;
    bad |=
        le_write_words(f, n->weights, n->nweights) != 0 || le_write_words(f, n->alpha, NA) != 0 ||
        le_write_words(f, n->bn_mean, n->shape.nhid) != 0 ||
        le_write_words(f, n->bn_var, n->shape.nhid) != 0 || le_write_words(f, s->adam_m, NA) != 0 ||
        le_write_words(f, s->adam_v, NA) != 0 || le_write_words(f, s->h, Bn) != 0 ||
        le_write_words(f, s->hv, Bn) != 0 || fwrite("DBSEND01", 1, 8, f) != 8;
    return bad ? -1 : 0;
}

int rnnsearch_load_state(RnnSearch *s, FILE *f, char *err, size_t errlen)
{
    RnnNet *n = s->net;
    const size_t Bn = (size_t)n->shape.batch * n->shape.nhid, H = n->shape.nhid;
    const size_t total = rnnsearch_state_bytes(s), head = 12 + 8 * SHAPE_KEYS;
    unsigned char *buf = malloc(total + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading the search state");
        return -1;
    }
    const unsigned char *p = buf;
    int rc = -1;
    /* The header first, so that another shape is named rather than refused by its size. */
    if (fread(buf, 1, head, f) != head || memcmp(p, "DBRNNSRC", 8) != 0 ||
        le_get_u32(p + 8) != STATE_VERSION) {
        snprintf(err, errlen, "not a recurrent search state (magic, version or header)");
        goto out;
    }
    p += 12;
    int64_t shape[SHAPE_KEYS];
    shape_of(s, shape);
    for (int k = 0; k < SHAPE_KEYS; k++, p += 8)
        if ((int64_t)le_get_u64(p) != shape[k]) {
            snprintf(err, errlen, "the checkpoint's %s is %lld, this run's %lld", shape_names[k],
                     (long long)(int64_t)le_get_u64(p), (long long)shape[k]);
            goto out;
        }
    const size_t got = head + fread(buf + head, 1, total + 1 - head, f);
    if (got != total) {
        snprintf(err, errlen, "recurrent search state of %zu bytes (expected %zu)", got, total);
        goto out;
    }
    const int64_t step = (int64_t)le_get_u64(p), pos = (int64_t)le_get_u64(p + 8);
    const int32_t epoch = (int32_t)le_get_u32(p + 16);
    const int64_t adam_t = (int64_t)le_get_u64(p + 24);
    p += 32;
    if (step < 0 || pos < 0 || pos >= s->train.nbatch - 2 || epoch < 0 || epoch > step ||
        adam_t < 0 || adam_t > step || le_get_u32(p - 12) != 0) {
        snprintf(err, errlen, "recurrent search state: step, position or epoch out of range");
        goto out;
    }
    if (memcmp(buf + total - 8, "DBSEND01", 8) != 0) {
        snprintf(err, errlen, "recurrent search state: no end marker");
        goto out;
    }
    /* Checked: now commit. */
    s->step = step;
    s->pos = pos;
    s->epoch = epoch;
    s->adam_t = adam_t;
    for (int k = 0; k < 4; k++, p += 8)
        s->rng.s[k] = le_get_u64(p);
    float *dst[] = {n->weights, n->alpha, n->bn_mean, n->bn_var, s->adam_m, s->adam_v, s->h, s->hv};
    const size_t cnt[] = {n->nweights, NA, H, H, NA, NA, Bn, Bn};
    for (int k = 0; k < 8; k++)
        for (size_t q = 0; q < cnt[k]; q++, p += 4) {
            const uint32_t u = le_get_u32(p);
            memcpy(&dst[k][q], &u, 4);
        }
    rc = 0;
out:
    free(buf);
    return rc;
}
