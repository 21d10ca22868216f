/* rnn_lm: see src/rnn/rnn_lm.h */
#include "config.h"
#include "rnn_lm.h"

#include <math.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "rnn_math.h"

#define INIT_RANGE 0.04f
#define BIAS_BLOCK 256

size_t rnn_lm_weight_count(int ntoken, int ninp, int nhid)
{
    const size_t V = (size_t)ntoken, n = (size_t)nhid, ni = (size_t)ninp;
    return V * ni + (ni + n) * 2 * n + RNN_NODES * n * 2 * n + V;
}

RnnWeights rnn_lm_weights(const RnnShape *s, const float *weights)
{
    const size_t V = s->ntoken, n = s->nhid, ni = s->ninp;
    float *p = (float *)weights;
    RnnWeights v;
    v.embed = p;
    p += V * ni;
    v.w0 = p;
    p += (ni + n) * 2 * n;
    for (int i = 0; i < RNN_NODES; i++, p += n * 2 * n)
        v.ws[i] = p;
    v.bias = p;
    return v;
}

void rnn_lm_init_weights(const RnnShape *s, float *weights, Rng *rng)
{
    const size_t count = rnn_lm_weight_count(s->ntoken, s->ninp, s->nhid);
    const size_t V = s->ntoken;
    for (size_t k = 0; k < count - V; k++)
        weights[k] = INIT_RANGE * (2.0f * rng_uniform(rng) - 1.0f);
    memset(weights + count - V, 0, V * sizeof(float));
}

/* ---------------------------------------------------------------- dropout */

RnnMasks rnn_masks_plan(const RnnShape *s, Arena *a)
{
    const size_t Bi = (size_t)s->batch * s->ninp, Bh = (size_t)s->batch * s->nhid;
    RnnMasks mk;
    mk.embed = arena_floats(a, s->ntoken);
    mk.in = arena_floats(a, Bi);
    mk.x = arena_floats(a, Bi);
    mk.h = arena_floats(a, Bh);
    mk.out = arena_floats(a, Bh);
    return mk;
}

static void fill_one(float *mask, size_t count)
{
    for (size_t k = 0; k < count; k++)
        mask[k] = 1.0f;
}

void rnn_masks_set_one(const RnnMasks *mk, const RnnShape *s)
{
    const size_t Bi = (size_t)s->batch * s->ninp, Bh = (size_t)s->batch * s->nhid;
    fill_one(mk->embed, s->ntoken);
    fill_one(mk->in, Bi);
    fill_one(mk->x, Bi);
    fill_one(mk->h, Bh);
    fill_one(mk->out, Bh);
}

static void draw_mask(float *mask, size_t count, float p, Rng *rng)
{
    const float keep = 1.0f - p;
    for (size_t k = 0; k < count; k++)
        mask[k] = p > 0.0f ? (rng_uniform(rng) < keep ? 1.0f / keep : 0.0f) : 1.0f;
}

void rnn_masks_draw(const RnnMasks *mk, const RnnShape *s, const RnnDropout *d, Rng *rng)
{
    const size_t Bi = (size_t)s->batch * s->ninp, Bh = (size_t)s->batch * s->nhid;
    draw_mask(mk->embed, s->ntoken, d->embedding, rng);
    draw_mask(mk->in, Bi, d->input, rng);
    draw_mask(mk->x, Bi, d->cell_in, rng);
    draw_mask(mk->h, Bh, d->hidden, rng);
    draw_mask(mk->out, Bh, d->output, rng);
}

RnnDropout rnn_dropout_from_config(const Config *cfg)
{
    return (RnnDropout){.output = (float)cfg->rnn.dropout,
                        .hidden = (float)cfg->rnn.dropout_hidden,
                        .cell_in = (float)cfg->rnn.dropout_x,
                        .input = (float)cfg->rnn.dropout_input,
                        .embedding = (float)cfg->rnn.dropout_embed};
}

/* ---------------------------------------------------------------- memory */

static size_t ones_count(const RnnShape *s)
{
    const size_t V = s->ntoken, Bi = (size_t)s->batch * s->ninp;
    return V > Bi ? V : Bi;
}

void rnn_lm_plan(RnnLmWork *w, const RnnShape *s, int trainable, Arena *a)
{
    const size_t V = s->ntoken, n = s->nhid, ni = s->ninp, B = s->batch, T = s->bptt_max;
    const size_t TB = T * B;
    w->words = arena_bytes(a, TB * sizeof(int32_t));
    w->targets = arena_bytes(a, TB * sizeof(int32_t));
    w->probs = arena_floats(a, TB * V);
    w->nll = arena_bytes(a, TB * sizeof(double));
    w->xh = arena_floats(a, TB * (ni + n));
    w->ch0 = arena_floats(a, TB * 2 * n);
    w->hs = arena_floats(a, (T + 1) * B * n);
    w->drop = arena_floats(a, TB * n);
    if (trainable) {
        w->dh = arena_floats(a, B * n);
        w->dout = arena_floats(a, TB * n);
        w->dch0 = arena_floats(a, TB * 2 * n);
        w->dx = arena_floats(a, TB * ni);
    }
    w->ones = arena_floats(a, ones_count(s));
}

void rnn_lm_init(RnnLmWork *w, const RnnShape *s)
{
    fill_one(w->ones, ones_count(s));
}

/* ---------------------------------------------------------------- forward */

int rnn_lm_forward_begin(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const RnnMasks *mk,
                         const int32_t *words, const int32_t *targets, int T, const float *h0,
                         int training, float beta)
{
    const int B = s->batch, n = s->nhid, ni = s->ninp, V = s->ntoken;
    const size_t Bn = (size_t)B * n, TB = (size_t)T * B, ld = (size_t)ni + n;
    w->valid = 0;
    if (T < 1 || T > s->bptt_max)
        return -1;
    for (size_t r = 0; r < TB; r++)
        if (words[r] < 0 || words[r] >= V || targets[r] < 0 || targets[r] >= V)
            return -1;
    w->T = T;
    w->training = training;
    w->beta = beta;
    memcpy(w->words, words, TB * sizeof(int32_t));
    memcpy(w->targets, targets, TB * sizeof(int32_t));
    memcpy(w->hs, h0, Bn * sizeof(float));

    const float *me = training ? mk->embed : w->ones;
    const float *mi = training ? mk->in : w->ones, *mx = training ? mk->x : w->ones;
#pragma omp parallel for schedule(static) if ((long)TB * ni >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++) {
        const int32_t word = words[r];
        const size_t b = r % B;
        const float *e = v->embed + (size_t)word * ni;
        float *x = w->xh + r * ld;
        for (int k = 0; k < ni; k++)
            x[k] = e[k] * me[word] * mi[b * ni + k] * mx[b * ni + k];
    }
    rnn_mm(CblasNoTrans, CblasNoTrans, T * B, 2 * n, ni, w->xh, (int)ld, v->w0, 2 * n, 0.0f, w->ch0,
           2 * n);
    return 0;
}

/* Row b of s0: h + sigmoid(c0) (tanh(h0) - h). */
RNN_CLONES static void s0_forward_row(int b, int n, const float *ch0, const float *h, float *s)
{
    const float *c = ch0 + (size_t)b * 2 * n, *hp = h + (size_t)b * n;
    float *o = s + (size_t)b * n;
#pragma omp simd
    for (int k = 0; k < n; k++)
        o[k] = hp[k] + sigmoidf(c[k]) * (fast_tanhf(c[n + k]) - hp[k]);
}

void rnn_lm_s0_forward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const float *mh, int t,
                       float *s0)
{
    const int B = s->batch, n = s->nhid, ni = s->ninp;
    const size_t Bn = (size_t)B * n, ld = (size_t)ni + n;
    const float *h = w->hs + t * Bn;
    float *xh = w->xh + (size_t)t * B * ld, *ch0 = w->ch0 + (size_t)t * B * 2 * n;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
    for (int b = 0; b < B; b++)
        for (int k = 0; k < n; k++)
            xh[b * ld + ni + k] = h[(size_t)b * n + k] * mh[(size_t)b * n + k];
    rnn_mm(CblasNoTrans, CblasNoTrans, B, 2 * n, n, xh + ni, (int)ld, v->w0 + (size_t)ni * 2 * n,
           2 * n, 1.0f, ch0, 2 * n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
    for (int b = 0; b < B; b++)
        s0_forward_row(b, n, ch0, h, s0);
}

RnnLoss rnn_lm_forward_end(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const RnnMasks *mk,
                           float *h_next)
{
    const int T = w->T, B = s->batch, n = s->nhid, V = s->ntoken;
    const size_t Bn = (size_t)B * n, TB = (size_t)T * B;
    const float *mo = w->training ? mk->out : w->ones;
#pragma omp parallel for schedule(static) if ((long)TB * n >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++)
        for (int k = 0; k < n; k++)
            w->drop[r * n + k] = w->hs[Bn + r * n + k] * mo[(r % B) * n + k];
    rnn_mm(CblasNoTrans, CblasTrans, (int)TB, V, n, w->drop, n, v->embed, n, 0.0f, w->probs, V);
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++)
        w->nll[r] = rnn_softmax_row(w->probs + r * V, v->bias, V, w->targets[r]);
    double total = 0.0;
    for (size_t r = 0; r < TB; r++)
        total += w->nll[r];
    RnnLoss out;
    out.loss = total / (double)TB;
    double reg = 0.0;
    if (w->beta > 0.0f && T > 1) {
        for (size_t q = Bn; q < TB * n; q++) {
            const double d = (double)w->hs[Bn + q] - w->hs[q];
            reg += d * d;
        }
        reg = w->beta * reg / ((double)(T - 1) * Bn);
    }
    out.total = out.loss + reg;
    memcpy(h_next, w->hs + (size_t)T * Bn, Bn * sizeof(float));
    return out;
}

/* ---------------------------------------------------------------- backward */

void rnn_lm_decoder_backward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v,
                             const RnnMasks *mk, RnnWeights *g)
{
    const int T = w->T, B = s->batch, V = s->ntoken, n = s->nhid;
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
    if (g) {
        /* column sums by blocks of columns, the rows in order */
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
    }
    rnn_mm(CblasNoTrans, CblasNoTrans, TB, n, V, w->probs, V, v->embed, n, 0.0f, w->dout, n);
    const float *mo = w->training ? mk->out : w->ones;
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

/* Row b of s0's backward from ds: into dch0 and dh = ds (1 - sigmoid(c0)). */
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

void rnn_lm_s0_backward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const float *mh,
                        int t, const float *ds, float *scratch)
{
    const int B = s->batch, n = s->nhid, ni = s->ninp;
    const size_t Bn = (size_t)B * n;
    const float *h = w->hs + (size_t)t * Bn, *ch0 = w->ch0 + (size_t)t * B * 2 * n;
    float *dch0 = w->dch0 + (size_t)t * B * 2 * n;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
    for (int b = 0; b < B; b++)
        s0_backward_row(b, n, ch0, h, ds, dch0, w->dh);
    /* the recurrent half of W0: dh += (dch0 W0h^T) mh */
    rnn_mm(CblasNoTrans, CblasTrans, B, n, 2 * n, dch0, 2 * n, v->w0 + (size_t)ni * 2 * n, 2 * n,
           0.0f, scratch, n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
    for (size_t q = 0; q < Bn; q++)
        w->dh[q] += scratch[q] * mh[q];
}

void rnn_lm_input_backward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const RnnMasks *mk,
                           RnnWeights *g)
{
    const int B = s->batch, n = s->nhid, ni = s->ninp;
    const size_t ld = (size_t)ni + n, TB = (size_t)w->T * B;
    rnn_mm(CblasTrans, CblasNoTrans, (int)ld, 2 * n, (int)TB, w->xh, (int)ld, w->dch0, 2 * n, 0.0f,
           g->w0, 2 * n);
    rnn_mm(CblasNoTrans, CblasTrans, (int)TB, ni, 2 * n, w->dch0, 2 * n, v->w0, 2 * n, 0.0f, w->dx,
           ni);
    /* x mx = E[w] me[w] mi mx: scattered into the embedding rows in token
     * order (one thread per column block, so the sums keep that order) */
    const float *me = mk->embed, *mi = mk->in, *mx = mk->x;
    const int parts = (long)TB * ni >= PAR_MIN_ELEMS ? parallel_threads() : 1;
#pragma omp parallel for schedule(static) if (parts > 1)
    for (int p = 0; p < parts; p++) {
        const int k0 = ni * p / parts, k1 = ni * (p + 1) / parts;
        for (size_t r = 0; r < TB; r++) {
            const int32_t word = w->words[r];
            const size_t b = r % B;
            float *ge = g->embed + (size_t)word * ni;
            const float *dx = w->dx + r * ni;
            for (int k = k0; k < k1; k++)
                ge[k] += dx[k] * me[word] * mi[b * ni + k] * mx[b * ni + k];
        }
    }
}
