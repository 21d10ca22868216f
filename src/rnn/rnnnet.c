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

#include "dartboard/parallel.h"
#include "rnn_math.h"

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f
#define INIT_RANGE 0.04f
#define STATES (RNN_NODES + 1)
#define NA (RNN_EDGES * RNN_OP_COUNT)
#define BIAS_BLOCK 256

typedef struct RnnWork {
    int T, training, valid;
    float beta;
    int32_t *words, *targets; /* T x B */
    float probs_a[NA];        /* softmax(alpha) of the last forward */
    float *probs;             /* T B x V: the decoder's softmax, then its gradient */
    double *nll;              /* T B: per-token loss, summed in order */
    float *xh;                /* T B x (ninp + nhid): [x mx, h_{t-1} mh] */
    float *ch0;               /* T B x 2 nhid: [c0, h0] */
    float *hs;                /* (T + 1) B x nhid: h_0 (carried in), h_1 .. h_T */
    float *drop;              /* T B x nhid: h_t mo, the decoder input */
    float *states;            /* T x 9 x B x nhid: s0 .. s8 after BN */
    float *invstd;            /* T x 9 x nhid */
    float *masked;            /* 9 x B x nhid: one step's s_j mh */
    float *ch;                /* T x 36 B x 2 nhid: every node's [c, hh], node i at edge
                                 rnn_edge_offset(i) */
    float *dch;               /* 8 B x 2 nhid: one node's gradient of [c, hh] */
    float *dmasked;           /* 8 B x nhid */
    float *dstates;           /* 9 x B x nhid */
    float *du;                /* B x nhid: gradient before a BN */
    float *dh;                /* B x nhid: gradient into h_t from step t + 1 */
    float *dout;              /* T B x nhid: gradient of the outputs h_1 .. h_T */
    float *dch0;              /* T B x 2 nhid */
    float *dx;                /* T B x ninp: gradient of x mx */
    double *rowdot;           /* 8 B x 4: per-row alpha dot products of one node */
    double dprob[NA];         /* gradient of softmax(alpha) */
    float *ones;              /* the masks of evaluation */
} RnnWork;

/* ---------------------------------------------------------------- helpers */

static void plan(RnnNet *net, Arena *a)
{
    const RnnShape *s = &net->shape;
    const size_t V = s->ntoken, n = s->nhid, ni = s->ninp, B = s->batch, T = s->bptt_max;
    const size_t TB = T * B;
    RnnWork *w = net->work;
    net->nweights = V * ni + (ni + n) * 2 * n + RNN_NODES * n * 2 * n + V;
    net->weights = arena_floats(a, net->nweights);
    net->grad = arena_floats(a, net->nweights);
    net->bn_mean = arena_floats(a, n);
    net->bn_var = arena_floats(a, n);
    net->mask_embed = arena_floats(a, V);
    net->mask_in = arena_floats(a, B * ni);
    net->mask_x = arena_floats(a, B * ni);
    net->mask_h = arena_floats(a, B * n);
    net->mask_out = arena_floats(a, B * n);
    w->words = arena_bytes(a, TB * sizeof(int32_t));
    w->targets = arena_bytes(a, TB * sizeof(int32_t));
    w->probs = arena_floats(a, TB * V);
    w->nll = arena_bytes(a, TB * sizeof(double));
    w->xh = arena_floats(a, TB * (ni + n));
    w->ch0 = arena_floats(a, TB * 2 * n);
    w->hs = arena_floats(a, (T + 1) * B * n);
    w->drop = arena_floats(a, TB * n);
    w->states = arena_floats(a, T * STATES * B * n);
    w->invstd = arena_floats(a, T * STATES * n);
    w->masked = arena_floats(a, STATES * B * n);
    w->ch = arena_floats(a, T * RNN_EDGES * B * 2 * n);
    w->dch = arena_floats(a, RNN_NODES * B * 2 * n);
    w->dmasked = arena_floats(a, RNN_NODES * B * n);
    w->dstates = arena_floats(a, STATES * B * n);
    w->du = arena_floats(a, B * n);
    w->dh = arena_floats(a, B * n);
    w->dout = arena_floats(a, TB * n);
    w->dch0 = arena_floats(a, TB * 2 * n);
    w->dx = arena_floats(a, TB * ni);
    w->rowdot = arena_bytes(a, RNN_NODES * B * 4 * sizeof(double));
    const size_t most = V > B * ni ? V : B * ni;
    w->ones = arena_floats(a, most);
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

    const size_t V = s->ntoken, n = s->nhid, ni = s->ninp;
    float *p = net->weights, *g = net->grad;
    net->embed = p, net->g_embed = g;
    p += V * ni, g += V * ni;
    net->w0 = p, net->g_w0 = g;
    p += (ni + n) * 2 * n, g += (ni + n) * 2 * n;
    for (int i = 0; i < RNN_NODES; i++) {
        net->ws[i] = p, net->g_ws[i] = g;
        p += n * 2 * n, g += n * 2 * n;
    }
    net->bias = p, net->g_bias = g;

    const size_t most = V > s->batch * ni ? V : s->batch * ni;
    for (size_t k = 0; k < most; k++)
        w->ones[k] = 1.0f;
    for (size_t k = 0; k < n; k++)
        net->bn_var[k] = 1.0f;
    memcpy(net->mask_embed, w->ones, V * sizeof(float));
    memcpy(net->mask_in, w->ones, (size_t)s->batch * ni * sizeof(float));
    memcpy(net->mask_x, w->ones, (size_t)s->batch * ni * sizeof(float));
    memcpy(net->mask_h, w->ones, (size_t)s->batch * n * sizeof(float));
    memcpy(net->mask_out, w->ones, (size_t)s->batch * n * sizeof(float));
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
    const size_t V = net->shape.ntoken;
    for (size_t k = 0; k < net->nweights - V; k++)
        net->weights[k] = INIT_RANGE * (2.0f * rng_uniform(rng) - 1.0f);
    memset(net->bias, 0, V * sizeof(float));
    for (int k = 0; k < NA; k++)
        net->alpha[k] = (float)(1e-3 * rng_normal(rng));
}

static void draw_mask(float *m, size_t count, float p, Rng *rng)
{
    const float keep = 1.0f - p;
    for (size_t k = 0; k < count; k++)
        m[k] = p > 0.0f ? (rng_uniform(rng) < keep ? 1.0f / keep : 0.0f) : 1.0f;
}

void rnn_draw_masks(RnnNet *net, Rng *rng)
{
    const RnnShape *s = &net->shape;
    const size_t Bi = (size_t)s->batch * s->ninp, Bh = (size_t)s->batch * s->nhid;
    draw_mask(net->mask_embed, s->ntoken, net->dropout.embedding, rng);
    draw_mask(net->mask_in, Bi, net->dropout.input, rng);
    draw_mask(net->mask_x, Bi, net->dropout.cell_in, rng);
    draw_mask(net->mask_h, Bh, net->dropout.hidden, rng);
    draw_mask(net->mask_out, Bh, net->dropout.output, rng);
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

/* Row b of s0's sum before BN: h + sigmoid(c0) (tanh(h0) - h). */
RNN_CLONES static void s0_forward_row(int b, int n, const float *ch0, const float *h, float *u)
{
    const float *c = ch0 + (size_t)b * 2 * n, *hp = h + (size_t)b * n;
    float *o = u + (size_t)b * n;
#pragma omp simd
    for (int k = 0; k < n; k++)
        o[k] = hp[k] + sigmoidf(c[k]) * (fast_tanhf(c[n + k]) - hp[k]);
}

/* Row b of its backward from du: into dch0 and dh (the direct part). */
RNN_CLONES static void s0_backward_row(int b, int n, const float *ch0, const float *h,
                                       const float *du, float *dch0, float *dh)
{
    const float *c = ch0 + (size_t)b * 2 * n, *hp = h + (size_t)b * n, *d = du + (size_t)b * n;
    float *dc = dch0 + (size_t)b * 2 * n, *o = dh + (size_t)b * n;
#pragma omp simd
    for (int k = 0; k < n; k++) {
        const float sg = sigmoidf(c[k]), th = fast_tanhf(c[n + k]);
        o[k] = d[k] * (1.0f - sg);
        dc[k] = d[k] * (th - hp[k]) * sg * (1.0f - sg);
        dc[n + k] = d[k] * sg * (1.0f - th * th);
    }
}

/* ---------------------------------------------------------------- forward */

/* The cell over the sequence: states, hs and (training) everything the
 * backward reads. */
static void cell_forward(RnnNet *net, int T, int training)
{
    RnnWork *w = net->work;
    const int B = net->shape.batch, n = net->shape.nhid, ni = net->shape.ninp;
    const size_t Bn = (size_t)B * n, ld = (size_t)ni + n;
    const float *mh = training ? net->mask_h : w->ones;
    /* [c0, h0] of every step from the inputs at once; the recurrent half is
     * added step by step */
    rnn_mm(CblasNoTrans, CblasNoTrans, T * B, 2 * n, ni, w->xh, (int)ld, net->w0, 2 * n, 0.0f,
           w->ch0, 2 * n);
    for (int t = 0; t < T; t++) {
        const float *h = w->hs + t * Bn;
        float *xh = w->xh + (size_t)t * B * ld, *ch0 = w->ch0 + (size_t)t * B * 2 * n;
        float *S = w->states + (size_t)t * STATES * Bn, *is = w->invstd + (size_t)t * STATES * n;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (int b = 0; b < B; b++)
            for (int k = 0; k < n; k++)
                xh[b * ld + ni + k] = h[(size_t)b * n + k] * mh[(size_t)b * n + k];
        rnn_mm(CblasNoTrans, CblasNoTrans, B, 2 * n, n, xh + ni, (int)ld,
               net->w0 + (size_t)ni * 2 * n, 2 * n, 1.0f, ch0, 2 * n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (int b = 0; b < B; b++)
            s0_forward_row(b, n, ch0, h, S);
        bn_forward(net, S, is, training);
        for (int i = 1; i <= RNN_NODES; i++) {
            const float *si = S + (size_t)(i - 1) * Bn;
            float *mi = w->masked + (size_t)(i - 1) * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
            for (size_t q = 0; q < Bn; q++)
                mi[q] = si[q] * mh[q];
            float *ch = w->ch + ((size_t)t * RNN_EDGES + rnn_edge_offset(i)) * B * 2 * n;
            rnn_mm(CblasNoTrans, CblasNoTrans, i * B, 2 * n, n, w->masked, n, net->ws[i - 1], 2 * n,
                   0.0f, ch, 2 * n);
            node_forward(i, B, n, w->probs_a, ch, S, S + (size_t)i * Bn);
            bn_forward(net, S + (size_t)i * Bn, is + (size_t)i * n, training);
        }
        float *hn = w->hs + (t + 1) * Bn;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++) {
            float sum = 0.0f;
            for (int i = 1; i <= RNN_NODES; i++)
                sum += S[(size_t)i * Bn + q];
            hn[q] = sum / RNN_NODES;
        }
    }
}

/* The decoder's softmax into probs and the per-token losses; returns their mean. */
static double decoder_forward(RnnNet *net, int T)
{
    RnnWork *w = net->work;
    const int V = net->shape.ntoken, n = net->shape.nhid, TB = T * net->shape.batch;
    rnn_mm(CblasNoTrans, CblasTrans, TB, V, n, w->drop, n, net->embed, n, 0.0f, w->probs, V);
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
    for (int r = 0; r < TB; r++)
        w->nll[r] = rnn_softmax_row(w->probs + (size_t)r * V, net->bias, V, w->targets[r]);
    double total = 0.0;
    for (int r = 0; r < TB; r++)
        total += w->nll[r];
    return total / TB;
}

RnnLoss rnn_forward(RnnNet *net, const int32_t *words, const int32_t *targets, int T,
                    const float *h0, float *h_next, int training, float beta)
{
    RnnWork *w = net->work;
    const int B = net->shape.batch, n = net->shape.nhid, ni = net->shape.ninp;
    const size_t Bn = (size_t)B * n, TB = (size_t)T * B, ld = (size_t)ni + n;
    w->valid = 0;
    if (T < 1 || T > net->shape.bptt_max)
        return (RnnLoss){NAN, NAN};
    for (size_t r = 0; r < TB; r++)
        if (words[r] < 0 || words[r] >= net->shape.ntoken || targets[r] < 0 ||
            targets[r] >= net->shape.ntoken)
            return (RnnLoss){NAN, NAN};
    w->T = T;
    w->training = training;
    w->beta = beta;
    w->valid = 1;
    memcpy(w->words, words, TB * sizeof(int32_t));
    memcpy(w->targets, targets, TB * sizeof(int32_t));
    memcpy(w->hs, h0, Bn * sizeof(float));
    rnn_alpha_softmax(net, w->probs_a);

    /* x mx = E[w] me[w] mi mx, into the input half of xh */
    const float *me = training ? net->mask_embed : w->ones;
    const float *mi = training ? net->mask_in : w->ones, *mx = training ? net->mask_x : w->ones;
#pragma omp parallel for schedule(static) if ((long)TB * ni >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++) {
        const int32_t word = words[r];
        const size_t b = r % B;
        const float *e = net->embed + (size_t)word * ni;
        float *x = w->xh + r * ld;
        for (int k = 0; k < ni; k++)
            x[k] = e[k] * me[word] * mi[b * ni + k] * mx[b * ni + k];
    }
    cell_forward(net, T, training);

    const float *mo = training ? net->mask_out : w->ones;
#pragma omp parallel for schedule(static) if ((long)TB * n >= PAR_MIN_ELEMS)
    for (size_t r = 0; r < TB; r++)
        for (int k = 0; k < n; k++)
            w->drop[r * n + k] = w->hs[Bn + r * n + k] * mo[(r % B) * n + k];
    RnnLoss out;
    out.loss = decoder_forward(net, T);
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
    return out;
}

/* ---------------------------------------------------------------- backward */

/* The gradient of the total loss with respect to the outputs h_1 .. h_T
 * (dout) and, with want_weights, to the decoder bias and the decoder's use of
 * the embedding. */
static void decoder_backward(RnnNet *net, int want_weights)
{
    RnnWork *w = net->work;
    const int T = w->T, B = net->shape.batch, V = net->shape.ntoken, n = net->shape.nhid;
    const int TB = T * B;
    const size_t Bn = (size_t)B * n;
    const float scale = 1.0f / TB;
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
    for (int r = 0; r < TB; r++) {
        float *z = w->probs + (size_t)r * V;
        z[w->targets[r]] -= 1.0f;
        for (int v = 0; v < V; v++)
            z[v] *= scale;
    }
    if (want_weights) {
        /* column sums by blocks of columns, the rows in order */
        const int blocks = (V + BIAS_BLOCK - 1) / BIAS_BLOCK;
#pragma omp parallel for schedule(static) if ((long)TB * V >= PAR_MIN_ELEMS)
        for (int blk = 0; blk < blocks; blk++) {
            const int v0 = blk * BIAS_BLOCK, nv = V - v0 < BIAS_BLOCK ? V - v0 : BIAS_BLOCK;
            double sum[BIAS_BLOCK] = {0.0};
            for (int r = 0; r < TB; r++) {
                const float *z = w->probs + (size_t)r * V + v0;
                for (int v = 0; v < nv; v++)
                    sum[v] += z[v];
            }
            for (int v = 0; v < nv; v++)
                net->g_bias[v0 + v] = (float)sum[v];
        }
        rnn_mm(CblasTrans, CblasNoTrans, V, n, TB, w->probs, V, w->drop, n, 0.0f, net->g_embed, n);
    }
    rnn_mm(CblasNoTrans, CblasNoTrans, TB, n, V, w->probs, V, net->embed, n, 0.0f, w->dout, n);
    const float *mo = w->training ? net->mask_out : w->ones;
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
                float g = 0.0f;
                if (t >= 2)
                    g += h[q] - h[q - Bn];
                if (t <= T - 1)
                    g -= h[q + Bn] - h[q];
                d[q] += c * g;
            }
        }
    }
}

int rnn_backward(RnnNet *net, int want_weights, int want_alpha)
{
    RnnWork *w = net->work;
    if (!w->valid || !w->training)
        return -1;
    w->valid = 0; /* the decoder's softmax becomes its gradient */
    const int T = w->T, B = net->shape.batch, n = net->shape.nhid, ni = net->shape.ninp;
    const size_t Bn = (size_t)B * n, ld = (size_t)ni + n, TB = (size_t)T * B;
    const float *mh = net->mask_h;
    if (want_weights)
        memset(net->grad, 0, net->nweights * sizeof(float));
    memset(w->dprob, 0, sizeof w->dprob);
    decoder_backward(net, want_weights);

    memset(w->dh, 0, Bn * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        const float *S = w->states + (size_t)t * STATES * Bn;
        const float *is = w->invstd + (size_t)t * STATES * n;
        const float *dout = w->dout + (size_t)t * Bn;
        float *dS = w->dstates;
        /* h_t = mean(s_1 .. s_8) */
        memset(dS, 0, Bn * sizeof(float));
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++) {
            const float d = (dout[q] + w->dh[q]) / RNN_NODES;
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
                       net->g_ws[i - 1], 2 * n);
            rnn_mm(CblasNoTrans, CblasTrans, i * B, n, 2 * n, w->dch, 2 * n, net->ws[i - 1], 2 * n,
                   0.0f, w->dmasked, n);
#pragma omp parallel for schedule(static) if ((long)i * B * n >= PAR_MIN_ELEMS)
            for (int j = 0; j < i; j++)
                for (size_t q = 0; q < Bn; q++)
                    dS[j * Bn + q] += w->dmasked[j * Bn + q] * mh[q];
        }
        /* s0 = BN(h + sigmoid(c0) (tanh(h0) - h)) */
        bn_backward(B, n, w->du, dS, S, is);
        const float *h = w->hs + (size_t)t * Bn, *ch0 = w->ch0 + (size_t)t * B * 2 * n;
        float *dch0 = w->dch0 + (size_t)t * B * 2 * n;
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (int b = 0; b < B; b++)
            s0_backward_row(b, n, ch0, h, w->du, dch0, w->dh);
        /* the recurrent half of W0: dh += (dch0 W0h^T) mh */
        rnn_mm(CblasNoTrans, CblasTrans, B, n, 2 * n, dch0, 2 * n, net->w0 + (size_t)ni * 2 * n,
               2 * n, 0.0f, w->dmasked, n);
#pragma omp parallel for schedule(static) if ((long)B * n >= PAR_MIN_ELEMS)
        for (size_t q = 0; q < Bn; q++)
            w->dh[q] += w->dmasked[q] * mh[q];
    }

    if (want_weights) {
        rnn_mm(CblasTrans, CblasNoTrans, (int)ld, 2 * n, (int)TB, w->xh, (int)ld, w->dch0, 2 * n,
               0.0f, net->g_w0, 2 * n);
        rnn_mm(CblasNoTrans, CblasTrans, (int)TB, ni, 2 * n, w->dch0, 2 * n, net->w0, 2 * n, 0.0f,
               w->dx, ni);
        /* x mx = E[w] me[w] mi mx: scattered into the embedding rows in token
         * order (one thread per column block, so the sums keep that order) */
        const float *me = net->mask_embed, *mi = net->mask_in, *mx = net->mask_x;
        const int parts = TB * ni >= PAR_MIN_ELEMS ? parallel_threads() : 1;
#pragma omp parallel for schedule(static) if (parts > 1)
        for (int p = 0; p < parts; p++) {
            const int k0 = ni * p / parts, k1 = ni * (p + 1) / parts;
            for (size_t r = 0; r < TB; r++) {
                const int32_t word = w->words[r];
                const size_t b = r % B;
                float *ge = net->g_embed + (size_t)word * ni;
                const float *dx = w->dx + r * ni;
                for (int k = k0; k < k1; k++)
                    ge[k] += dx[k] * me[word] * mi[b * ni + k] * mx[b * ni + k];
            }
        }
    }
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
