/* rnnnet: see include/dartboard/rnnnet.h
 *
 * What a backward needs is kept per step: the nine states after BN (BN is
 * affine-free, so its output is also its normalised input), their inverse
 * deviations, the pre-activations [c0, h0] of s0, the cell inputs [x mx, h mh]
 * the nodes' products [c, hh] = (s_j mh) W_i and the softmax of the decoder.
 * The products are the largest part (36 B x 2 nhid a step: 0.8 GB of the
 * 1.4 GB planned at the published shape), kept because recomputing them made
 * the backward do three products per node instead of two.
 *
 * The products over the whole sequence (the input half of W0, the decoder and
 * their gradients) are single sgemm calls over T x B rows; only the recurrent
 * ones run step by step. */
#include "config.h"
#include "dartboard/rnnnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnn_lm.h"
#include "rnn_math.h"

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f
#define STATES (RNN_NODES + 1)
#define NA (RNN_EDGES * RNN_OP_COUNT)

/* The cell's part; the language model around it is rnn_lm.h's. */
typedef struct RnnWork {
    RnnLmWork lm;
    float probs_a[NA]; /* softmax(alpha) of the last forward */
    float *states;     /* T x 9 x B x nhid: s0 .. s8 after BN */
    float *invstd;     /* T x 9 x nhid */
    float *masked;     /* 9 x B x nhid: one step's s_j mh */
    float *ch;         /* T x 36 B x 2 nhid: every node's [c, hh], node i at edge
                          rnn_edge_offset(i) */
    float *dch;        /* 8 B x 2 nhid: one node's gradient of [c, hh] */
    float *dmasked;    /* 8 B x nhid */
    float *dstates;    /* 9 x B x nhid */
    float *du;         /* B x nhid: gradient before a BN */
    double *rowdot;    /* 8 B x 4: per-row alpha dot products of one node */
    double dprob[NA];  /* gradient of softmax(alpha) */
} RnnWork;

/* ---------------------------------------------------------------- helpers */

static RnnMasks masks(const RnnNet *net)
{
    return (RnnMasks){net->mask_embed, net->mask_in, net->mask_x, net->mask_h, net->mask_out};
}

static RnnWeights weights(const RnnNet *net)
{
    return rnn_lm_weights(&net->shape, net->weights);
}

static void plan(RnnNet *net, Arena *a)
{
    const RnnShape *s = &net->shape;
    const size_t n = s->nhid, B = s->batch, T = s->bptt_max;
    RnnWork *w = net->work;
    net->nweights = rnn_lm_weight_count(s->ntoken, s->ninp, s->nhid);
    net->weights = arena_floats(a, net->nweights);
    net->grad = arena_floats(a, net->nweights);
    net->bn_mean = arena_floats(a, n);
    net->bn_var = arena_floats(a, n);
    const RnnMasks mk = rnn_masks_plan(s, a);
    net->mask_embed = mk.embed, net->mask_in = mk.in, net->mask_x = mk.x;
    net->mask_h = mk.h, net->mask_out = mk.out;
    rnn_lm_plan(&w->lm, s, 1, a);
    w->states = arena_floats(a, T * STATES * B * n);
    w->invstd = arena_floats(a, T * STATES * n);
    w->masked = arena_floats(a, STATES * B * n);
    w->ch = arena_floats(a, T * RNN_EDGES * B * 2 * n);
    w->dch = arena_floats(a, RNN_NODES * B * 2 * n);
    w->dmasked = arena_floats(a, RNN_NODES * B * n);
    w->dstates = arena_floats(a, STATES * B * n);
    w->du = arena_floats(a, B * n);
    w->rowdot = arena_bytes(a, RNN_NODES * B * 4 * sizeof(double));
}

RnnNet *rnn_create(const RnnShape *shape, char *err, size_t errlen)
{
    const RnnShape *s = shape;
    if (s->ntoken < 2 || s->nhid < 1 || s->ninp != s->nhid || s->batch < 2 || s->bptt_max < 1) {
        snprintf(err, errlen,
                 "recurrent network: ntoken %d, ninp %d, nhid %d, batch %d, bptt %d (expected "
                 "ntoken >= 2, ninp = nhid >= 1 since the decoder is tied to the embedding, "
                 "batch >= 2 for the batch statistics, bptt >= 1)",
                 s->ntoken, s->ninp, s->nhid, s->batch, s->bptt_max);
        return NULL;
    }
    RnnNet *net = calloc(1, sizeof *net);
    RnnWork *w = calloc(1, sizeof *w);
    if (!net || !w) {
        free(net);
        free(w);
        snprintf(err, errlen, "recurrent network: out of memory");
        return NULL;
    }
    net->shape = *s;
    net->work = w;
    Arena measure;
    arena_measure(&measure);
    plan(net, &measure);
    if (arena_init(&net->arena, measure.peak) != 0) {
        snprintf(err, errlen, "recurrent network: out of memory (%.1f MiB planned)",
                 measure.peak / 1048576.0);
        free(w);
        free(net);
        return NULL;
    }
    plan(net, &net->arena);

    const RnnWeights v = weights(net), g = rnn_lm_weights(s, net->grad);
    net->embed = v.embed, net->g_embed = g.embed;
    net->w0 = v.w0, net->g_w0 = g.w0;
    for (int i = 0; i < RNN_NODES; i++)
        net->ws[i] = v.ws[i], net->g_ws[i] = g.ws[i];
    net->bias = v.bias, net->g_bias = g.bias;
    rnn_lm_init(&w->lm, s);
    for (int k = 0; k < s->nhid; k++)
        net->bn_var[k] = 1.0f;
    const RnnMasks mk = masks(net);
    rnn_masks_set_one(&mk, s);
    net->dropout = (RnnDropout){
        .output = 0.75f, .hidden = 0.25f, .cell_in = 0.75f, .input = 0.2f, .embedding = 0.0f};
    return net;
}

void rnn_free(RnnNet *net)
{
    if (!net)
        return;
    arena_free(&net->arena);
    free(net->work);
    free(net);
}

void rnn_init(RnnNet *net, Rng *rng)
{
    rnn_lm_init_weights(&net->shape, net->weights, rng);
    for (int k = 0; k < NA; k++)
        net->alpha[k] = (float)(1e-3 * rng_normal(rng));
}

void rnn_draw_masks(RnnNet *net, Rng *rng)
{
    const RnnMasks mk = masks(net);
    rnn_masks_draw(&mk, &net->shape, &net->dropout, rng);
}

void rnn_alpha_softmax(const RnnNet *net, float *out)
{
    for (int e = 0; e < RNN_EDGES; e++) {
        const float *a = net->alpha + e * RNN_OP_COUNT;
        float m = a[0];
        for (int k = 1; k < RNN_OP_COUNT; k++)
            m = a[k] > m ? a[k] : m;
        double z = 0.0;
        for (int k = 0; k < RNN_OP_COUNT; k++)
            z += exp((double)a[k] - m);
        for (int k = 0; k < RNN_OP_COUNT; k++)
            out[e * RNN_OP_COUNT + k] = (float)(exp((double)a[k] - m) / z);
    }
}

void rnn_derive(const RnnNet *net, RnnGenotype *g)
{
    float w[NA];
    rnn_alpha_softmax(net, w);
    rnn_genotype_derive(g, w);
}

/* ---------------------------------------------------------------- batch norm */

#define BN_BLOCK 64

/* Batch mean and biased variance of columns k0..k1 of u (B x n), in double,
 * the rows in order. */
RNN_CLONES static void bn_stats(int B, int n, int k0, int k1, const float *u, double *mean,
                                double *var)
{
    double sum[BN_BLOCK] = {0.0}, sq[BN_BLOCK] = {0.0};
    const int w = k1 - k0;
    for (int b = 0; b < B; b++) {
        const float *x = u + (size_t)b * n + k0;
#pragma omp simd
        for (int k = 0; k < w; k++)
            sum[k] += x[k];
    }
    for (int k = 0; k < w; k++)
        mean[k] = sum[k] / B;
    for (int b = 0; b < B; b++) {
        const float *x = u + (size_t)b * n + k0;
#pragma omp simd
        for (int k = 0; k < w; k++) {
            const double d = x[k] - mean[k];
            sq[k] += d * d;
        }
    }
    for (int k = 0; k < w; k++)
        var[k] = sq[k] / B;
}

/* In place over u (B x n): training normalises with the batch statistics,
 * keeps 1/sqrt(var + eps) for the backward and moves the running ones;
 * evaluation uses the running ones. */
static void bn_forward(RnnNet *net, float *u, float *invstd, int training)
{
    const int B = net->shape.batch, n = net->shape.nhid;
    const int blocks = (n + BN_BLOCK - 1) / BN_BLOCK;
    if (!training)
        for (int k = 0; k < n; k++)
            invstd[k] = 1.0f / sqrtf(net->bn_var[k] + BN_EPS);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
    for (int blk = 0; blk < blocks; blk++) {
        const int k0 = blk * BN_BLOCK, k1 = k0 + BN_BLOCK < n ? k0 + BN_BLOCK : n;
        float shift[BN_BLOCK], *is = invstd + k0;
        if (training) {
            double mean[BN_BLOCK], var[BN_BLOCK];
            bn_stats(B, n, k0, k1, u, mean, var);
            for (int k = k0; k < k1; k++) {
                is[k - k0] = (float)(1.0 / sqrt(var[k - k0] + BN_EPS));
                shift[k - k0] = (float)mean[k - k0];
                net->bn_mean[k] =
                    (1.0f - BN_MOMENTUM) * net->bn_mean[k] + BN_MOMENTUM * (float)mean[k - k0];
                net->bn_var[k] = (1.0f - BN_MOMENTUM) * net->bn_var[k] +
                                 BN_MOMENTUM * (float)(var[k - k0] * B / (B - 1));
            }
        } else
            for (int k = k0; k < k1; k++)
                shift[k - k0] = net->bn_mean[k];
        for (int b = 0; b < B; b++) {
            float *x = u + (size_t)b * n + k0;
            for (int k = 0; k < k1 - k0; k++)
                x[k] = (x[k] - shift[k]) * is[k];
        }
    }
}

/* du = invstd (ds - mean(ds) - s mean(ds s)), the means over the batch:
 * the gradient through an affine-free training BN whose output is s. */
RNN_CLONES static void bn_backward_block(int B, int n, int k0, int k1, float *du, const float *ds,
                                         const float *s, const float *invstd)
{
    double m1[BN_BLOCK] = {0.0}, m2[BN_BLOCK] = {0.0};
    const int w = k1 - k0;
    for (int b = 0; b < B; b++) {
        const float *d = ds + (size_t)b * n + k0, *x = s + (size_t)b * n + k0;
#pragma omp simd
        for (int k = 0; k < w; k++) {
            m1[k] += d[k];
            m2[k] += (double)d[k] * x[k];
        }
    }
    float a[BN_BLOCK], c[BN_BLOCK];
    for (int k = 0; k < w; k++)
        a[k] = (float)(m1[k] / B), c[k] = (float)(m2[k] / B);
    for (int b = 0; b < B; b++) {
        const float *d = ds + (size_t)b * n + k0, *x = s + (size_t)b * n + k0;
        float *o = du + (size_t)b * n + k0;
#pragma omp simd
        for (int k = 0; k < w; k++)
            o[k] = invstd[k0 + k] * (d[k] - a[k] - x[k] * c[k]);
    }
}

static void bn_backward(int B, int n, float *du, const float *ds, const float *s,
                        const float *invstd)
{
    const int blocks = (n + BN_BLOCK - 1) / BN_BLOCK;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
    for (int blk = 0; blk < blocks; blk++)
        bn_backward_block(B, n, blk * BN_BLOCK,
                          blk * BN_BLOCK + BN_BLOCK < n ? blk * BN_BLOCK + BN_BLOCK : n, du, ds, s,
                          invstd);
}

/* ---------------------------------------------------------------- the cell */

/* Row b of node i's sum before BN, into u (B x n), from the products ch of
 * its i predecessors (i B x 2n) and their states S (i x B x n). */
RNN_CLONES static void node_forward_row(int i, int b, int B, int n, const float *probs,
                                        const float *ch, const float *S, float *u)
{
    const int off = rnn_edge_offset(i);
    float *ub = u + (size_t)b * n;
    for (int k = 0; k < n; k++)
        ub[k] = 0.0f;
    for (int j = 0; j < i; j++) {
        const float *p = probs + (off + j) * RNN_OP_COUNT;
        const float p1 = p[1], p2 = p[2], p3 = p[3], p4 = p[4], P = p1 + p2 + p3 + p4;
        const float *c = ch + ((size_t)j * B + b) * 2 * n, *hh = c + n;
        const float *sj = S + ((size_t)j * B + b) * n;
#pragma omp simd
        for (int k = 0; k < n; k++) {
            const float h = hh[k];
            const float g =
                p1 * fast_tanhf(h) + p2 * (h > 0.0f ? h : 0.0f) + p3 * sigmoidf(h) + p4 * h;
            ub[k] += P * sj[k] + sigmoidf(c[k]) * (g - P * sj[k]);
        }
    }
}

static void node_forward(int i, int B, int n, const float *probs, const float *ch, const float *S,
                         float *u)
{
#pragma omp parallel for schedule(static) if ((long)i * B * n >= PAR_MIN_ELEMS)
    for (int b = 0; b < B; b++)
        node_forward_row(i, b, B, n, probs, ch, S, u);
}

/* Row r = (j, b) of node i's backward from du (B x n): the gradient of the
 * products into dch, the direct (highway) gradient of predecessor j into dS,
 * and with dot != NULL the row's dot products with the four ops' outputs. */
RNN_CLONES static void node_backward_row(int i, int r, int B, int n, const float *probs,
                                         const float *ch, const float *S, const float *du,
                                         float *dch, float *dS, double *dot)
{
    const int j = r / B, b = r % B;
    const float *p = probs + (rnn_edge_offset(i) + j) * RNN_OP_COUNT;
    const float p1 = p[1], p2 = p[2], p3 = p[3], p4 = p[4], P = p1 + p2 + p3 + p4;
    const float *c = ch + (size_t)r * 2 * n, *hh = c + n;
    const float *sj = S + (size_t)r * n, *d = du + (size_t)b * n;
    float *dc = dch + (size_t)r * 2 * n, *dhh = dc + n, *ds = dS + (size_t)r * n;
    float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
#pragma omp simd reduction(+ : d0, d1, d2, d3)
    for (int k = 0; k < n; k++) {
        const float h = hh[k], sg = sigmoidf(c[k]);
        const float th = fast_tanhf(h), rl = h > 0.0f ? h : 0.0f, sh = sigmoidf(h);
        const float g = p1 * th + p2 * rl + p3 * sh + p4 * h;
        const float dk = d[k], s = sj[k];
        ds[k] += dk * P * (1.0f - sg);
        dc[k] = dk * (g - P * s) * sg * (1.0f - sg);
        dhh[k] =
            dk * sg * (p1 * (1.0f - th * th) + (h > 0.0f ? p2 : 0.0f) + p3 * sh * (1.0f - sh) + p4);
        d0 += dk * (s + sg * (th - s));
        d1 += dk * (s + sg * (rl - s));
        d2 += dk * (s + sg * (sh - s));
        d3 += dk * (s + sg * (h - s));
    }
    if (dot)
        dot[0] = d0, dot[1] = d1, dot[2] = d2, dot[3] = d3;
}

static void node_backward(int i, int B, int n, const float *probs, const float *ch, const float *S,
                          const float *du, float *dch, float *dS, double *rowdot)
{
#pragma omp parallel for schedule(static) if ((long)i * B * n >= PAR_MIN_ELEMS)
    for (int r = 0; r < i * B; r++)
        node_backward_row(i, r, B, n, probs, ch, S, du, dch, dS,
                          rowdot ? rowdot + (size_t)r * 4 : NULL);
}

/* ---------------------------------------------------------------- forward */

/* The cell over the sequence: states, hs and (training) everything the
 * backward reads. */
static void cell_forward(RnnNet *net, const RnnWeights *v, int T, int training)
{
    RnnWork *w = net->work;
    const int B = net->shape.batch, n = net->shape.nhid;
    const size_t Bn = (size_t)B * n;
    const float *mh = training ? net->mask_h : w->lm.ones;
    for (int t = 0; t < T; t++) {
        float *S = w->states + (size_t)t * STATES * Bn, *is = w->invstd + (size_t)t * STATES * n;
        rnn_lm_s0_forward(&w->lm, &net->shape, v, mh, t, S);
        bn_forward(net, S, is, training);
        for (int i = 1; i <= RNN_NODES; i++) {
            const float *si = S + (size_t)(i - 1) * Bn;
            float *mi = w->masked + (size_t)(i - 1) * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                mi[q] = si[q] * mh[q];
            float *ch = w->ch + ((size_t)t * RNN_EDGES + rnn_edge_offset(i)) * B * 2 * n;
            rnn_mm(CblasNoTrans, CblasNoTrans, i * B, 2 * n, n, w->masked, n, v->ws[i - 1], 2 * n,
                   0.0f, ch, 2 * n);
            node_forward(i, B, n, w->probs_a, ch, S, S + (size_t)i * Bn);
            bn_forward(net, S + (size_t)i * Bn, is + (size_t)i * n, training);
        }
        float *hn = w->lm.hs + (t + 1) * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++) {
            float sum = 0.0f;
            for (int i = 1; i <= RNN_NODES; i++)
                sum += S[(size_t)i * Bn + q];
            hn[q] = sum / RNN_NODES;
        }
    }
}

RnnLoss rnn_forward(RnnNet *net, const int32_t *words, const int32_t *targets, int T,
                    const float *h0, float *h_next, int training, float beta)
{
    RnnWork *w = net->work;
    const RnnWeights v = weights(net);
    const RnnMasks mk = masks(net);
    if (rnn_lm_forward_begin(&w->lm, &net->shape, &v, &mk, words, targets, T, h0, training, beta))
        return (RnnLoss){NAN, NAN};
    rnn_alpha_softmax(net, w->probs_a);
    cell_forward(net, &v, T, training);
    const RnnLoss out = rnn_lm_forward_end(&w->lm, &net->shape, &v, &mk, h_next);
    w->lm.valid = 1;
    return out;
}

/* ---------------------------------------------------------------- backward */

int rnn_backward(RnnNet *net, int want_weights, int want_alpha)
{
    RnnWork *w = net->work;
    if (!w->lm.valid || !w->lm.training)
        return -1;
    w->lm.valid = 0; /* the decoder's softmax becomes its gradient */
    const int T = w->lm.T, B = net->shape.batch, n = net->shape.nhid;
    const size_t Bn = (size_t)B * n;
    const float *mh = net->mask_h;
    const RnnWeights v = weights(net);
    const RnnMasks mk = masks(net);
    RnnWeights g = rnn_lm_weights(&net->shape, net->grad);
    if (want_weights)
        memset(net->grad, 0, net->nweights * sizeof(float));
    memset(w->dprob, 0, sizeof w->dprob);
    rnn_lm_decoder_backward(&w->lm, &net->shape, &v, &mk, want_weights ? &g : NULL);

    memset(w->lm.dh, 0, Bn * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        const float *S = w->states + (size_t)t * STATES * Bn;
        const float *is = w->invstd + (size_t)t * STATES * n;
        const float *dout = w->lm.dout + (size_t)t * Bn, *dh = w->lm.dh;
        float *dS = w->dstates;
        /* h_t = mean(s_1 .. s_8) */
        memset(dS, 0, Bn * sizeof(float));
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++) {
            const float d = (dout[q] + dh[q]) / RNN_NODES;
            for (int i = 1; i <= RNN_NODES; i++)
                dS[(size_t)i * Bn + q] = d;
        }
        /* s_j mh for the weight gradients */
        if (want_weights)
#pragma omp parallel for schedule(static) if ((long)STATES * B * n >= PAR_MIN_ELEMS)
            for (int j = 0; j < RNN_NODES; j++)
                for (size_t q = 0; q < Bn; q++)
                    w->masked[j * Bn + q] = S[j * Bn + q] * mh[q];
        for (int i = RNN_NODES; i >= 1; i--) {
            bn_backward(B, n, w->du, dS + (size_t)i * Bn, S + (size_t)i * Bn, is + (size_t)i * n);
            const float *ch = w->ch + ((size_t)t * RNN_EDGES + rnn_edge_offset(i)) * B * 2 * n;
            node_backward(i, B, n, w->probs_a, ch, S, w->du, w->dch, dS,
                          want_alpha ? w->rowdot : NULL);
            if (want_alpha) {
                const int off = rnn_edge_offset(i);
                for (int j = 0; j < i; j++)
                    for (int f = 0; f < 4; f++) {
                        double sum = 0.0;
                        for (int b = 0; b < B; b++)
                            sum += w->rowdot[((size_t)j * B + b) * 4 + f];
                        w->dprob[(off + j) * RNN_OP_COUNT + 1 + f] += sum;
                    }
            }
            if (want_weights)
                rnn_mm(CblasTrans, CblasNoTrans, n, 2 * n, i * B, w->masked, n, w->dch, 2 * n, 1.0f,
                       g.ws[i - 1], 2 * n);
            rnn_mm(CblasNoTrans, CblasTrans, i * B, n, 2 * n, w->dch, 2 * n, v.ws[i - 1], 2 * n,
                   0.0f, w->dmasked, n);
#pragma omp parallel for schedule(static) if ((long)i * B * n >= PAR_MIN_ELEMS)
            for (int j = 0; j < i; j++)
                for (size_t q = 0; q < Bn; q++)
                    dS[j * Bn + q] += w->dmasked[j * Bn + q] * mh[q];
        }
        /* s0 = BN(h + sigmoid(c0) (tanh(h0) - h)) */
        bn_backward(B, n, w->du, dS, S, is);
        rnn_lm_s0_backward(&w->lm, &net->shape, &v, mh, t, w->du, w->dmasked);
    }

    if (want_weights)
        rnn_lm_input_backward(&w->lm, &net->shape, &v, &mk, &g);
    if (want_alpha)
        for (int e = 0; e < RNN_EDGES; e++) {
            const float *p = w->probs_a + e * RNN_OP_COUNT;
            const double *dp = w->dprob + e * RNN_OP_COUNT;
            double dot = 0.0;
            for (int k = 0; k < RNN_OP_COUNT; k++)
                dot += p[k] * dp[k];
            for (int k = 0; k < RNN_OP_COUNT; k++)
                net->g_alpha[e * RNN_OP_COUNT + k] = (float)(p[k] * (dp[k] - dot));
        }
    return 0;
}
