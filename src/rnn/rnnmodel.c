/* rnnmodel: see include/dartboard/rnnmodel.h
 *
 * What the backward needs is kept per step: the cell inputs [x mx, h mh],
 * the pre-activations [c0, h0] of s0, the nine states and every node's
 * product [c, hh]; the decoder's softmax (which becomes its gradient). The
 * products over the whole sequence (the input half of W0, the decoder and
 * their gradients) are single sgemm calls over T x B rows; only the recurrent
 * ones run step by step, as in rnnnet.c. */
#include "config.h"
#include "dartboard/rnnmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "rnn_math.h"

#define INIT_RANGE 0.04f
#define STATES (RNN_NODES + 1)
#define BIAS_BLOCK 256

typedef struct RnnModelWork {
    int T, training, valid;
    float beta;
    int32_t *words, *targets; /* T x B */
    float *probs;             /* T B x V: the decoder's softmax, then its gradient */
    double *nll;              /* T B */
    float *xh;                /* T B x (ninp + nhid): [x mx, h_{t-1} mh] */
    float *ch0;               /* T B x 2 nhid: [c0, h0] */
    float *hs;                /* (T + 1) B x nhid: h_0 (carried in), h_1 .. h_T */
    float *drop;              /* T B x nhid: h_t mo, the decoder input */
    float *states;            /* T x 9 x B x nhid (evaluation: one step's 9) */
    float *ch;                /* T x 8 x B x 2 nhid (evaluation: one step's 8) */
    float *masked;            /* B x nhid: s_p mh */
    float *dstates;           /* 9 x B x nhid */
    float *dch;               /* B x 2 nhid */
    float *dmasked;           /* B x nhid */
    float *dh;                /* B x nhid: gradient into h_t from step t + 1 */
    float *dout;              /* T B x nhid */
    float *dch0;              /* T B x 2 nhid */
    float *dx;                /* T B x ninp */
    float *ones;
} RnnModelWork;

typedef struct Views {
    const float *embed, *w0, *ws[RNN_NODES], *bias;
} Views;

typedef struct GradViews {
    float *embed, *w0, *ws[RNN_NODES], *bias;
} GradViews;

size_t rnn_model_weight_count(int ntoken, int ninp, int nhid)
{
    const size_t V = (size_t)ntoken, n = (size_t)nhid, ni = (size_t)ninp;
    return V * ni + (ni + n) * 2 * n + RNN_NODES * n * 2 * n + V;
}

static Views views(const RnnModel *m, const float *p)
{
    const size_t V = m->shape.ntoken, n = m->shape.nhid, ni = m->shape.ninp;
    Views v;
    v.embed = p;
    p += V * ni;
    v.w0 = p;
    p += (ni + n) * 2 * n;
    for (int i = 0; i < RNN_NODES; i++, p += n * 2 * n)
        v.ws[i] = p;
    v.bias = p;
    return v;
}

static GradViews grad_views(const RnnModel *m, float *p)
{
    Views v = views(m, p);
    GradViews g = {(float *)v.embed, (float *)v.w0, {0}, (float *)v.bias};
    for (int i = 0; i < RNN_NODES; i++)
        g.ws[i] = (float *)v.ws[i];
    return g;
}

static void plan(RnnModel *m, Arena *a)
{
    const RnnShape *s = &m->shape;
    const size_t V = s->ntoken, n = s->nhid, ni = s->ninp, B = s->batch, T = s->bptt_max;
    const size_t TB = T * B, Tk = m->trainable ? T : 1;
    RnnModelWork *w = m->work;
    m->mask_embed = arena_floats(a, V);
    m->mask_in = arena_floats(a, B * ni);
    m->mask_x = arena_floats(a, B * ni);
    m->mask_h = arena_floats(a, B * n);
    m->mask_out = arena_floats(a, B * n);
    w->words = arena_bytes(a, TB * sizeof(int32_t));
    w->targets = arena_bytes(a, TB * sizeof(int32_t));
    w->probs = arena_floats(a, TB * V);
    w->nll = arena_bytes(a, TB * sizeof(double));
    w->xh = arena_floats(a, TB * (ni + n));
    w->ch0 = arena_floats(a, TB * 2 * n);
    w->hs = arena_floats(a, (T + 1) * B * n);
    w->drop = arena_floats(a, TB * n);
    w->states = arena_floats(a, Tk * STATES * B * n);
    w->ch = arena_floats(a, Tk * RNN_NODES * B * 2 * n);
    w->masked = arena_floats(a, B * n);
    if (m->trainable) {
        w->dstates = arena_floats(a, STATES * B * n);
        w->dch = arena_floats(a, B * 2 * n);
        w->dmasked = arena_floats(a, B * n);
        w->dh = arena_floats(a, B * n);
        w->dout = arena_floats(a, TB * n);
        w->dch0 = arena_floats(a, TB * 2 * n);
        w->dx = arena_floats(a, TB * ni);
    }
    const size_t most = V > B * ni ? V : B * ni;
    w->ones = arena_floats(a, most);
}

/* NULL when g is a derived cell of the recurrent space, else what is wrong. */
static const char *genotype_problem(const RnnGenotype *g)
{
    for (int i = 0; i < RNN_NODES; i++) {
        if (g->recurrent[i].op <= RNN_OP_NONE || g->recurrent[i].op >= RNN_OP_COUNT)
            return "an op outside tanh, relu, sigmoid, identity";
        if (g->recurrent[i].input < 0 || g->recurrent[i].input > i)
            return "a predecessor that is not an earlier state";
    }
    if (g->concat_count < 1 || g->concat_count > RNN_NODES)
        return "an empty concat";
    for (int i = 0; i < g->concat_count; i++)
        if (g->concat[i] < 1 || g->concat[i] > RNN_NODES)
            return "a concat state outside 1..8";
    return NULL;
}

RnnModel *rnn_model_create(const RnnShape *shape, const RnnGenotype *g, int trainable, char *err,
                           size_t errlen)
{
    const RnnShape *s = shape;
    if (s->ntoken < 2 || s->nhid < 1 || s->ninp != s->nhid || s->batch < 1 || s->bptt_max < 1) {
        snprintf(err, errlen,
                 "recurrent model: ntoken %d, ninp %d, nhid %d, batch %d, bptt %d (expected "
                 "ntoken >= 2, ninp = nhid >= 1 since the decoder is tied to the embedding, "
                 "batch >= 1, bptt >= 1)",
                 s->ntoken, s->ninp, s->nhid, s->batch, s->bptt_max);
        return NULL;
    }
    const char *bad = genotype_problem(g);
    if (bad) {
        snprintf(err, errlen, "recurrent cell: %s (expected a derived recurrent genotype)", bad);
        return NULL;
    }
    RnnModel *m = calloc(1, sizeof *m);
    RnnModelWork *w = calloc(1, sizeof *w);
    if (!m || !w) {
        free(m);
        free(w);
        snprintf(err, errlen, "recurrent model: out of memory");
        return NULL;
    }
    m->shape = *s;
    m->genotype = *g;
    m->trainable = trainable;
    m->work = w;
    m->nweights = rnn_model_weight_count(s->ntoken, s->ninp, s->nhid);
    Arena measure;
    arena_measure(&measure);
    plan(m, &measure);
    if (arena_init(&m->arena, measure.peak) != 0) {
        snprintf(err, errlen, "recurrent model: out of memory (%.1f MiB planned)",
                 measure.peak / 1048576.0);
        free(w);
        free(m);
        return NULL;
    }
    plan(m, &m->arena);
    const size_t V = s->ntoken, n = s->nhid, ni = s->ninp;
    const size_t most = V > s->batch * ni ? V : s->batch * ni;
    for (size_t k = 0; k < most; k++)
        w->ones[k] = 1.0f;
    memcpy(m->mask_embed, w->ones, V * sizeof(float));
    memcpy(m->mask_in, w->ones, (size_t)s->batch * ni * sizeof(float));
    memcpy(m->mask_x, w->ones, (size_t)s->batch * ni * sizeof(float));
    memcpy(m->mask_h, w->ones, (size_t)s->batch * n * sizeof(float));
    memcpy(m->mask_out, w->ones, (size_t)s->batch * n * sizeof(float));
    return m;
}

void rnn_model_free(RnnModel *m)
{
    if (!m)
        return;
    arena_free(&m->arena);
    free(m->work);
    free(m);
}

void rnn_model_init_weights(const RnnShape *s, float *weights, Rng *rng)
{
    const size_t count = rnn_model_weight_count(s->ntoken, s->ninp, s->nhid);
    const size_t V = s->ntoken;
    for (size_t k = 0; k < count - V; k++)
        weights[k] = INIT_RANGE * (2.0f * rng_uniform(rng) - 1.0f);
    memset(weights + count - V, 0, V * sizeof(float));
}

static void draw_mask(float *mask, size_t count, float p, Rng *rng)
{
    const float keep = 1.0f - p;
    for (size_t k = 0; k < count; k++)
        mask[k] = p > 0.0f ? (rng_uniform(rng) < keep ? 1.0f / keep : 0.0f) : 1.0f;
}

void rnn_model_draw_masks(RnnModel *m, Rng *rng)
{
    const RnnShape *s = &m->shape;
    const size_t Bi = (size_t)s->batch * s->ninp, Bh = (size_t)s->batch * s->nhid;
    draw_mask(m->mask_embed, s->ntoken, m->dropout.embedding, rng);
    draw_mask(m->mask_in, Bi, m->dropout.input, rng);
    draw_mask(m->mask_x, Bi, m->dropout.cell_in, rng);
    draw_mask(m->mask_h, Bh, m->dropout.hidden, rng);
    draw_mask(m->mask_out, Bh, m->dropout.output, rng);
}

/* ---------------------------------------------------------------- the cell's rows */

RNN_CLONES static void s0_forward_row(int b, int n, const float *ch0, const float *h, float *s)
{
    const float *c = ch0 + (size_t)b * 2 * n, *hp = h + (size_t)b * n;
    float *o = s + (size_t)b * n;
#pragma omp simd
    for (int k = 0; k < n; k++)
        o[k] = hp[k] + sigmoidf(c[k]) * (fast_tanhf(c[n + k]) - hp[k]);
}

/* From ds (the gradient of s0): dch0, and dh = ds (1 - sigmoid(c0)). */
RNN_CLONES static void s0_backward_row(int b, int n, const float *ch0, const float *h,
                                       const float *ds, float *dch0, float *dh)
{
    const float *c = ch0 + (size_t)b * 2 * n, *hp = h + (size_t)b * n, *d = ds + (size_t)b * n;
    float *dc = dch0 + (size_t)b * 2 * n, *o = dh + (size_t)b * n;
#pragma omp simd
    for (int k = 0; k < n; k++) {
        const float sg = sigmoidf(c[k]), th = fast_tanhf(c[n + k]);
        o[k] = d[k] * (1.0f - sg);
        dc[k] = d[k] * (th - hp[k]) * sg * (1.0f - sg);
        dc[n + k] = d[k] * sg * (1.0f - th * th);
    }
}

/* s = sp + sigmoid(c) (f(hh) - sp) over row b; f chosen outside the loop so
 * each variant vectorises. */
#define NODE_FORWARD(F)                                                                            \
    _Pragma("omp simd") for (int k = 0; k < n; k++)                                                \
    {                                                                                              \
        const float x = hh[k], f = (F);                                                            \
        o[k] = sp[k] + sigmoidf(c[k]) * (f - sp[k]);                                               \
    }

RNN_CLONES static void node_forward_row(int op, int b, int n, const float *ch, const float *prev,
                                        float *out)
{
    const float *c = ch + (size_t)b * 2 * n, *hh = c + n, *sp = prev + (size_t)b * n;
    float *o = out + (size_t)b * n;
    switch (op) {
    case RNN_OP_TANH:
        NODE_FORWARD(fast_tanhf(x))
        break;
    case RNN_OP_RELU:
        NODE_FORWARD(x > 0.0f ? x : 0.0f)
        break;
    case RNN_OP_SIGMOID:
        NODE_FORWARD(sigmoidf(x))
        break;
    default:
        NODE_FORWARD(x)
        break;
    }
}

/* From ds (the node's gradient): dch = [ds (f - sp) sg (1 - sg), ds sg f'],
 * and dsp += ds (1 - sg) (the direct path to the predecessor). */
#define NODE_BACKWARD(F, DF)                                                                       \
    _Pragma("omp simd") for (int k = 0; k < n; k++)                                                \
    {                                                                                              \
        const float x = hh[k], f = (F), df = (DF), sg = sigmoidf(c[k]);                            \
        dc[k] = d[k] * (f - sp[k]) * sg * (1.0f - sg);                                             \
        dc[n + k] = d[k] * sg * df;                                                                \
        dp[k] += d[k] * (1.0f - sg);                                                               \
    }

RNN_CLONES static void node_backward_row(int op, int b, int n, const float *ch, const float *prev,
                                         const float *ds, float *dch, float *dprev)
{
    const float *c = ch + (size_t)b * 2 * n, *hh = c + n, *sp = prev + (size_t)b * n;
    const float *d = ds + (size_t)b * n;
    float *dc = dch + (size_t)b * 2 * n, *dp = dprev + (size_t)b * n;
    switch (op) {
    case RNN_OP_TANH:
        NODE_BACKWARD(fast_tanhf(x), 1.0f - f * f)
        break;
    case RNN_OP_RELU:
        NODE_BACKWARD(x > 0.0f ? x : 0.0f, x > 0.0f ? 1.0f : 0.0f)
        break;
    case RNN_OP_SIGMOID:
        NODE_BACKWARD(sigmoidf(x), f * (1.0f - f))
        break;
    default:
        NODE_BACKWARD(x, 1.0f)
        break;
    }
}

/* ---------------------------------------------------------------- forward */

static void cell_forward(RnnModel *m, const Views *v, int T, int training)
{
    RnnModelWork *w = m->work;
    const int B = m->shape.batch, n = m->shape.nhid, ni = m->shape.ninp;
    const size_t Bn = (size_t)B * n, ld = (size_t)ni + n;
    const float *mh = training ? m->mask_h : w->ones;
    const RnnGenotype *g = &m->genotype;
    rnn_mm(CblasNoTrans, CblasNoTrans, T * B, 2 * n, ni, w->xh, (int)ld, v->w0, 2 * n, 0.0f, w->ch0,
           2 * n);
    for (int t = 0; t < T; t++) {
        const float *h = w->hs + t * Bn;
        float *xh = w->xh + (size_t)t * B * ld, *ch0 = w->ch0 + (size_t)t * B * 2 * n;
        const size_t tk = training ? (size_t)t : 0;
        float *S = w->states + tk * STATES * Bn;
        float *CH = w->ch + tk * RNN_NODES * Bn * 2;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (int b = 0; b < B; b++)
            for (int k = 0; k < n; k++)
                xh[b * ld + ni + k] = h[(size_t)b * n + k] * mh[(size_t)b * n + k];
        rnn_mm(CblasNoTrans, CblasNoTrans, B, 2 * n, n, xh + ni, (int)ld,
               v->w0 + (size_t)ni * 2 * n, 2 * n, 1.0f, ch0, 2 * n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (int b = 0; b < B; b++)
            s0_forward_row(b, n, ch0, h, S);
        for (int i = 1; i <= RNN_NODES; i++) {
            const int op = g->recurrent[i - 1].op, p = g->recurrent[i - 1].input;
            const float *sp = S + (size_t)p * Bn;
            float *ch = CH + (size_t)(i - 1) * Bn * 2;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                w->masked[q] = sp[q] * mh[q];
            rnn_mm(CblasNoTrans, CblasNoTrans, B, 2 * n, n, w->masked, n, v->ws[i - 1], 2 * n, 0.0f,
                   ch, 2 * n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (int b = 0; b < B; b++)
                node_forward_row(op, b, n, ch, sp, S + (size_t)i * Bn);
        }
        float *hn = w->hs + (t + 1) * Bn;
        const float inv = 1.0f / (float)g->concat_count;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++) {
            float sum = 0.0f;
            for (int c = 0; c < g->concat_count; c++)
                sum += S[(size_t)g->concat[c] * Bn + q];
            hn[q] = sum * inv;
        }
    }
}

RnnLoss rnn_model_forward(RnnModel *m, const float *weights, const int32_t *words,
                          const int32_t *targets, int T, const float *h0, float *h_next,
                          int training, float beta)
{
    RnnModelWork *w = m->work;
    const int B = m->shape.batch, n = m->shape.nhid, ni = m->shape.ninp, V = m->shape.ntoken;
    const size_t Bn = (size_t)B * n, TB = (size_t)T * B, ld = (size_t)ni + n;
    w->valid = 0;
    if (T < 1 || T > m->shape.bptt_max || (training && !m->trainable))
        return (RnnLoss){NAN, NAN};
    for (size_t r = 0; r < TB; r++)
        if (words[r] < 0 || words[r] >= V || targets[r] < 0 || targets[r] >= V)
            return (RnnLoss){NAN, NAN};
    const Views v = views(m, weights);
    w->T = T;
    w->training = training;
    w->beta = beta;
    memcpy(w->words, words, TB * sizeof(int32_t));
    memcpy(w->targets, targets, TB * sizeof(int32_t));
    memcpy(w->hs, h0, Bn * sizeof(float));

    const float *me = training ? m->mask_embed : w->ones;
    const float *mi = training ? m->mask_in : w->ones, *mx = training ? m->mask_x : w->ones;
#pragma omp parallel for schedule(static) if ((long)TB * ni >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++) {
        const int32_t word = words[r];
        const size_t b = r % B;
        const float *e = v.embed + (size_t)word * ni;
        float *x = w->xh + r * ld;
        for (int k = 0; k < ni; k++)
            x[k] = e[k] * me[word] * mi[b * ni + k] * mx[b * ni + k];
    }
    cell_forward(m, &v, T, training);

    const float *mo = training ? m->mask_out : w->ones;
#pragma omp parallel for schedule(static) if ((long)TB * n >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++)
        for (int k = 0; k < n; k++)
            w->drop[r * n + k] = w->hs[Bn + r * n + k] * mo[(r % B) * n + k];
    rnn_mm(CblasNoTrans, CblasTrans, (int)TB, V, n, w->drop, n, v.embed, n, 0.0f, w->probs, V);
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++)
        w->nll[r] = rnn_softmax_row(w->probs + r * V, v.bias, V, w->targets[r]);
    double total = 0.0;
    for (size_t r = 0; r < TB; r++)
        total += w->nll[r];
    RnnLoss out;
    out.loss = total / (double)TB;
    double reg = 0.0;
    if (beta > 0.0f && T > 1) {
        for (size_t q = Bn; q < TB * n; q++) {
            const double d = (double)w->hs[Bn + q] - w->hs[q];
            reg += d * d;
        }
        reg = beta * reg / ((double)(T - 1) * Bn);
    }
    out.total = out.loss + reg;
    memcpy(h_next, w->hs + (size_t)T * Bn, Bn * sizeof(float));
    w->valid = training;
    return out;
}

/* ---------------------------------------------------------------- backward */

static void decoder_backward(RnnModel *m, const Views *v, GradViews *g)
{
    RnnModelWork *w = m->work;
    const int T = w->T, B = m->shape.batch, V = m->shape.ntoken, n = m->shape.nhid;
    const int TB = T * B;
    const size_t Bn = (size_t)B * n;
    const float scale = 1.0f / TB;
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
    for (int r = 0; r < TB; r++) {
        float *z = w->probs + (size_t)r * V;
        z[w->targets[r]] -= 1.0f;
        for (int k = 0; k < V; k++)
            z[k] *= scale;
    }
    const int blocks = (V + BIAS_BLOCK - 1) / BIAS_BLOCK;
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
    for (int blk = 0; blk < blocks; blk++) {
        const int v0 = blk * BIAS_BLOCK, nv = V - v0 < BIAS_BLOCK ? V - v0 : BIAS_BLOCK;
        double sum[BIAS_BLOCK] = {0.0};
        for (int r = 0; r < TB; r++) {
            const float *z = w->probs + (size_t)r * V + v0;
            for (int k = 0; k < nv; k++)
                sum[k] += z[k];
        }
        for (int k = 0; k < nv; k++)
            g->bias[v0 + k] = (float)sum[k];
    }
    rnn_mm(CblasTrans, CblasNoTrans, V, n, TB, w->probs, V, w->drop, n, 0.0f, g->embed, n);
    rnn_mm(CblasNoTrans, CblasNoTrans, TB, n, V, w->probs, V, v->embed, n, 0.0f, w->dout, n);
    const float *mo = m->mask_out;
#pragma omp parallel for schedule(static) if ((long)TB * n >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < (size_t)TB; r++)
        for (int k = 0; k < n; k++)
            w->dout[r * n + k] *= mo[(r % B) * n + k];
    if (w->beta > 0.0f && T > 1) {
        /* d/dh_t of beta mean((h_t - h_{t-1})^2), t = 1..T; hs[t] is h_t */
        const float c = (float)(2.0 * w->beta / ((double)(T - 1) * Bn));
        for (int t = 1; t <= T; t++) {
            float *d = w->dout + (size_t)(t - 1) * Bn;
            const float *h = w->hs + (size_t)t * Bn;
            for (size_t q = 0; q < Bn; q++) {
                float gq = 0.0f;
                if (t >= 2)
                    gq += h[q] - h[q - Bn];
                if (t <= T - 1)
                    gq -= h[q + Bn] - h[q];
                d[q] += c * gq;
            }
        }
    }
}

int rnn_model_backward(RnnModel *m, const float *weights, float *grad)
{
    RnnModelWork *w = m->work;
    if (!w->valid || !w->training)
        return -1;
    w->valid = 0; /* the decoder's softmax becomes its gradient */
    const int T = w->T, B = m->shape.batch, n = m->shape.nhid, ni = m->shape.ninp;
    const size_t Bn = (size_t)B * n, ld = (size_t)ni + n, TB = (size_t)T * B;
    const float *mh = m->mask_h;
    const RnnGenotype *g = &m->genotype;
    const Views v = views(m, weights);
    GradViews gv = grad_views(m, grad);
    for (int i = 0; i < RNN_NODES; i++)
        memset(gv.ws[i], 0, (size_t)n * 2 * n * sizeof(float));
    decoder_backward(m, &v, &gv);

    memset(w->dh, 0, Bn * sizeof(float));
    const float inv = 1.0f / (float)g->concat_count;
    for (int t = T - 1; t >= 0; t--) {
        const float *S = w->states + (size_t)t * STATES * Bn;
        const float *CH = w->ch + (size_t)t * RNN_NODES * Bn * 2;
        const float *dout = w->dout + (size_t)t * Bn;
        float *dS = w->dstates;
        memset(dS, 0, STATES * Bn * sizeof(float));
        /* h_t = mean of the concat states */
        for (int c = 0; c < g->concat_count; c++) {
            float *d = dS + (size_t)g->concat[c] * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                d[q] += (dout[q] + w->dh[q]) * inv;
        }
        for (int i = RNN_NODES; i >= 1; i--) {
            const int op = g->recurrent[i - 1].op, p = g->recurrent[i - 1].input;
            const float *sp = S + (size_t)p * Bn, *ch = CH + (size_t)(i - 1) * Bn * 2;
            float *dsp = dS + (size_t)p * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (int b = 0; b < B; b++)
                node_backward_row(op, b, n, ch, sp, dS + (size_t)i * Bn, w->dch, dsp);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                w->masked[q] = sp[q] * mh[q];
            rnn_mm(CblasTrans, CblasNoTrans, n, 2 * n, B, w->masked, n, w->dch, 2 * n, 1.0f,
                   gv.ws[i - 1], 2 * n);
            rnn_mm(CblasNoTrans, CblasTrans, B, n, 2 * n, w->dch, 2 * n, v.ws[i - 1], 2 * n, 0.0f,
                   w->dmasked, n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                dsp[q] += w->dmasked[q] * mh[q];
        }
        /* s0 = h + sigmoid(c0) (tanh(h0) - h) */
        const float *h = w->hs + (size_t)t * Bn, *ch0 = w->ch0 + (size_t)t * B * 2 * n;
        float *dch0 = w->dch0 + (size_t)t * B * 2 * n;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (int b = 0; b < B; b++)
            s0_backward_row(b, n, ch0, h, dS, dch0, w->dh);
        /* the recurrent half of W0: dh += (dch0 W0h^T) mh */
        rnn_mm(CblasNoTrans, CblasTrans, B, n, 2 * n, dch0, 2 * n, v.w0 + (size_t)ni * 2 * n, 2 * n,
               0.0f, w->dmasked, n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++)
            w->dh[q] += w->dmasked[q] * mh[q];
    }

    rnn_mm(CblasTrans, CblasNoTrans, (int)ld, 2 * n, (int)TB, w->xh, (int)ld, w->dch0, 2 * n, 0.0f,
           gv.w0, 2 * n);
    rnn_mm(CblasNoTrans, CblasTrans, (int)TB, ni, 2 * n, w->dch0, 2 * n, v.w0, 2 * n, 0.0f, w->dx,
           ni);
    /* x mx = E[w] me[w] mi mx: scattered into the embedding rows in token
     * order (one thread per column block, so the sums keep that order) */
    const float *me = m->mask_embed, *mi = m->mask_in, *mx = m->mask_x;
    const int parts = (long)TB * ni >= PAR_MIN_ELEMS ? parallel_threads() : 1;
#pragma omp parallel for schedule(static) if (parts > 1)
    for (int p = 0; p < parts; p++) {
        const int k0 = ni * p / parts, k1 = ni * (p + 1) / parts;
        for (size_t r = 0; r < TB; r++) {
            const int32_t word = w->words[r];
            const size_t b = r % B;
            float *ge = gv.embed + (size_t)word * ni;
            const float *dx = w->dx + r * ni;
            for (int k = k0; k < k1; k++)
                ge[k] += dx[k] * me[word] * mi[b * ni + k] * mx[b * ni + k];
        }
    }
    return 0;
}
