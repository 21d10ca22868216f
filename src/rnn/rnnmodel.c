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

#include "rnn_lm.h"
#include "rnn_math.h"

#define STATES (RNN_NODES + 1)

/* The cell's part; the language model around it is rnn_lm.h's. */
typedef struct RnnModelWork {
    RnnLmWork lm;
    float *states;  /* T x 9 x B x nhid (evaluation: one step's 9) */
    float *ch;      /* T x 8 x B x 2 nhid (evaluation: one step's 8) */
    float *masked;  /* B x nhid: s_p mh */
    float *dstates; /* 9 x B x nhid */
    float *dch;     /* B x 2 nhid */
    float *dmasked; /* B x nhid */
} RnnModelWork;

size_t rnn_model_weight_count(int ntoken, int ninp, int nhid)
{
    return rnn_lm_weight_count(ntoken, ninp, nhid);
}

static RnnMasks masks(const RnnModel *m)
{
    return (RnnMasks){m->mask_embed, m->mask_in, m->mask_x, m->mask_h, m->mask_out};
}

static void plan(RnnModel *m, Arena *a)
{
    const RnnShape *s = &m->shape;
    const size_t n = s->nhid, B = s->batch, Tk = m->trainable ? s->bptt_max : 1;
    RnnModelWork *w = m->work;
    const RnnMasks mk = rnn_masks_plan(s, a);
    m->mask_embed = mk.embed, m->mask_in = mk.in, m->mask_x = mk.x;
    m->mask_h = mk.h, m->mask_out = mk.out;
    rnn_lm_plan(&w->lm, s, m->trainable, a);
    w->states = arena_floats(a, Tk * STATES * B * n);
    w->ch = arena_floats(a, Tk * RNN_NODES * B * 2 * n);
    w->masked = arena_floats(a, B * n);
    if (m->trainable) {
        w->dstates = arena_floats(a, STATES * B * n);
        w->dch = arena_floats(a, B * 2 * n);
        w->dmasked = arena_floats(a, B * n);
    }
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
    rnn_lm_init(&w->lm, s);
    const RnnMasks mk = masks(m);
    rnn_masks_set_one(&mk, s);
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
    rnn_lm_init_weights(s, weights, rng);
}

void rnn_model_draw_masks(RnnModel *m, Rng *rng)
{
    const RnnMasks mk = masks(m);
    rnn_masks_draw(&mk, &m->shape, &m->dropout, rng);
}

/* ---------------------------------------------------------------- the cell's rows */

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

static void cell_forward(RnnModel *m, const RnnWeights *v, int T, int training)
{
    RnnModelWork *w = m->work;
    const int B = m->shape.batch, n = m->shape.nhid;
    const size_t Bn = (size_t)B * n;
    const float *mh = training ? m->mask_h : w->lm.ones;
    const RnnGenotype *g = &m->genotype;
    for (int t = 0; t < T; t++) {
        const size_t tk = training ? (size_t)t : 0;
        float *S = w->states + tk * STATES * Bn;
        float *CH = w->ch + tk * RNN_NODES * Bn * 2;
        rnn_lm_s0_forward(&w->lm, &m->shape, v, mh, t, S);
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
        float *hn = w->lm.hs + (t + 1) * Bn;
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
    const RnnWeights v = rnn_lm_weights(&m->shape, weights);
    const RnnMasks mk = masks(m);
    w->lm.valid = 0;
    if ((training && !m->trainable) ||
        rnn_lm_forward_begin(&w->lm, &m->shape, &v, &mk, words, targets, T, h0, training, beta))
        return (RnnLoss){NAN, NAN};
    cell_forward(m, &v, T, training);
    const RnnLoss out = rnn_lm_forward_end(&w->lm, &m->shape, &v, &mk, h_next);
    w->lm.valid = training;
    return out;
}

/* ---------------------------------------------------------------- backward */

int rnn_model_backward(RnnModel *m, const float *weights, float *grad)
{
    RnnModelWork *w = m->work;
    if (!w->lm.valid || !w->lm.training)
        return -1;
    w->lm.valid = 0; /* the decoder's softmax becomes its gradient */
    const int T = w->lm.T, B = m->shape.batch, n = m->shape.nhid;
    const size_t Bn = (size_t)B * n;
    const float *mh = m->mask_h;
    const RnnGenotype *g = &m->genotype;
    const RnnWeights v = rnn_lm_weights(&m->shape, weights);
    const RnnMasks mk = masks(m);
    RnnWeights gv = rnn_lm_weights(&m->shape, grad);
    for (int i = 0; i < RNN_NODES; i++)
        memset(gv.ws[i], 0, (size_t)n * 2 * n * sizeof(float));
    rnn_lm_decoder_backward(&w->lm, &m->shape, &v, &mk, &gv);

    memset(w->lm.dh, 0, Bn * sizeof(float));
    const float inv = 1.0f / (float)g->concat_count;
    for (int t = T - 1; t >= 0; t--) {
        const float *S = w->states + (size_t)t * STATES * Bn;
        const float *CH = w->ch + (size_t)t * RNN_NODES * Bn * 2;
        const float *dout = w->lm.dout + (size_t)t * Bn, *dh = w->lm.dh;
        float *dS = w->dstates;
        memset(dS, 0, STATES * Bn * sizeof(float));
        /* h_t = mean of the concat states */
        for (int c = 0; c < g->concat_count; c++) {
            float *d = dS + (size_t)g->concat[c] * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                d[q] += (dout[q] + dh[q]) * inv;
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
        rnn_lm_s0_backward(&w->lm, &m->shape, &v, mh, t, dS, w->dmasked);
    }
    rnn_lm_input_backward(&w->lm, &m->shape, &v, &mk, &gv);
    return 0;
}
