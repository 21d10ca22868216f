/* mixedop: see mixedop.h. */
#include "mixedop.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"
#include "dartboard/genotype.h"
#include "dartboard/pool.h"

/* Kernel size, padding and dilation of sep_conv_3x3 .. dil_conv_5x5. */
static const struct {
    int blocks, k, pad, dilation;
} conv_ops[4] = {{2, 3, 1, 1}, {2, 5, 2, 1}, {1, 3, 2, 2}, {1, 5, 4, 2}};

static int has_task(const MixedOp *m, int k)
{
    if (k == MIXEDOP_AUX)
        return m->aux && m->stride == 2;
    return k != OP_NONE && (k != OP_SKIP_CONNECT || m->stride == 2);
}

static int reads_relu(int k)
{
    return k >= OP_SKIP_CONNECT;
}

/* Longest task first onto the least loaded lane (ties: the lower lane): a
 * fixed assignment, so the sums of an edge depend only on the lane count.
 * Costs are relative run times measured per op (config A, one thread): a
 * ReLU-depthwise-pointwise-BN block ~ 60 + 1.3 k^2 + 2 C, a pool with its BN
 * about one block, FactorizedReduce 40 + 6 C. */
static void assign_lanes(MixedOp *m, int lanes)
{
    int cost[MIXEDOP_TASKS] = {0}, load[SCRATCH_MAX_LANES] = {0}, done[MIXEDOP_TASKS] = {0};
    cost[OP_MAX_POOL_3X3] = 70;
    cost[OP_AVG_POOL_3X3] = 60;
    cost[OP_SKIP_CONNECT] = cost[MIXEDOP_AUX] = 40 + 6 * m->c;
    for (int i = 0; i < 4; i++)
        cost[OP_SEP_CONV_3X3 + i] =
            conv_ops[i].blocks * (60 + 13 * conv_ops[i].k * conv_ops[i].k / 10 + 2 * m->c);
    m->lane_tasks = m->lane_relu = m->lane_pool = 0;
    for (;;) {
        int k = -1;
        for (int j = 0; j < MIXEDOP_TASKS; j++)
            if (has_task(m, j) && !done[j] && (k < 0 || cost[j] > cost[k]))
                k = j;
        if (k < 0)
            break;
        int t = 0;
        for (int l = 1; l < lanes; l++)
            if (load[l] < load[t])
                t = l;
        done[k] = 1;
        load[t] += cost[k];
        m->lane_of[k] = t;
        m->lane_tasks |= 1u << t;
        if (reads_relu(k))
            m->lane_relu |= 1u << t;
        else
            m->lane_pool |= 1u << t;
    }
}

void mixedop_plan(Plan *p, MixedOp *m, int c, int h, int w, int stride, int aux, int pc_k)
{
    size_t n = (size_t)p->batch;
    m->pc_k = pc_k > 1 ? pc_k : 1;
    m->c_full = c;
    c /= m->pc_k;
    m->c = c;
    m->h = h;
    m->w = w;
    m->stride = stride;
    m->aux = aux;
    m->ho = pool3x3_out_size(h, stride);
    m->wo = pool3x3_out_size(w, stride);
    p->in_edge = 1;
    /* PyTorch's module order: none, max_pool+BN, avg_pool+BN, skip, convs */
    plan_bn(p, &m->pool_bn[0], c);
    plan_bn(p, &m->pool_bn[1], c);
    if (stride == 2)
        plan_fact_red(p, &m->skip, c, c, h, w);
    for (int i = 0; i < 4; i++)
        plan_sep_dil(p, &m->conv[i], conv_ops[i].blocks, c, conv_ops[i].k, stride, conv_ops[i].pad,
                     conv_ops[i].dilation, h, w);
    if (aux && stride == 2) /* DARTS-'s MixedOp registers it after its ops */
        plan_fact_red(p, &m->aux_skip, c, c, h, w);
    m->kinks = plan_kinks(p, n * (size_t)c * (size_t)m->ho * (size_t)m->wo);
    scratch_need(&p->need_edge.edge_in, n * (size_t)c * (size_t)h * (size_t)w);
    scratch_need(&p->need_edge.slot, n * (size_t)c * (size_t)m->ho * (size_t)m->wo);
    m->pc_arg = NULL;
    if (m->pc_k > 1) {
        scratch_need(&p->need.pc_in, n * (size_t)c * (size_t)h * (size_t)w);
        scratch_need(&p->need.pc_out, n * (size_t)c * (size_t)m->ho * (size_t)m->wo);
        if (stride == 2) /* the bypass's max pool: its argmax, for the backward */
            m->pc_arg =
                arena_bytes(p->arena, n * (size_t)(m->c_full - c) * (size_t)m->ho * (size_t)m->wo);
    }
    p->in_edge = 0;
    assign_lanes(m, p->lanes);
}

/* The input offset of tap t (0..8, row-major in the 3x3 window, padding 1)
 * of output (oy, ox) in one plane, or -1 in the padding. */
static long pool_tap(const MixedOp *m, int oy, int ox, int t)
{
    int iy = oy * m->stride - 1 + t / 3, ix = ox * m->stride - 1 + t % 3;
    return iy < 0 || iy >= m->h || ix < 0 || ix >= m->w ? -1 : (long)iy * m->w + ix;
}

/* Frozen kinks of the max pool (supernet_set_kinks): RECORD saves the tap
 * of each window's first maximum (strict > in window order, as the kernel
 * and PyTorch choose), FROZEN takes the input at the saved taps; scalar
 * loops, as only the collapse monitor runs them. */
static void maxpool_kinks(const Ctx *x, const MixedOp *m, float *out, const float *in)
{
    long planes = (long)x->n * m->c, hw = (long)m->h * m->w;
    for (long q = 0; q < planes; q++) {
        const float *ip = in + q * hw;
        for (int oy = 0; oy < m->ho; oy++)
            for (int ox = 0; ox < m->wo; ox++) {
                size_t o = ((size_t)q * (size_t)m->ho + (size_t)oy) * (size_t)m->wo + (size_t)ox;
                if (x->kinks == SUPERNET_KINKS_FROZEN) {
                    out[o] = ip[pool_tap(m, oy, ox, m->kinks[o])];
                    continue;
                }
                int best = -1;
                for (int t = 0; t < 9; t++) {
                    long at = pool_tap(m, oy, ox, t);
                    if (at >= 0 && (best < 0 || ip[at] > ip[pool_tap(m, oy, ox, best)]))
                        best = t;
                }
                m->kinks[o] = (unsigned char)best;
            }
    }
}

/* din += dpooled sent to the saved taps */
static void maxpool_kinks_backward(const Ctx *x, const MixedOp *m, float *din, const float *dout)
{
    long planes = (long)x->n * m->c, hw = (long)m->h * m->w;
    for (long q = 0; q < planes; q++)
        for (int oy = 0; oy < m->ho; oy++)
            for (int ox = 0; ox < m->wo; ox++) {
                size_t o = ((size_t)q * (size_t)m->ho + (size_t)oy) * (size_t)m->wo + (size_t)ox;
                din[q * hw + pool_tap(m, oy, ox, m->kinks[o])] += dout[o];
            }
}

static void pool_forward(const Ctx *x, const MixedOp *m, int k, float *out, const float *in)
{
    if (k == OP_AVG_POOL_3X3)
        avgpool3x3_forward(out, in, x->n, m->c, m->h, m->w, m->stride);
    else if (x->kinks == SUPERNET_KINKS_FROZEN)
        maxpool_kinks(x, m, out, in);
    else
        maxpool3x3_forward(out, in, x->n, m->c, m->h, m->w, m->stride);
    if (k == OP_MAX_POOL_3X3 && x->kinks == SUPERNET_KINKS_RECORD)
        maxpool_kinks(x, m, out, in);
}

/* sum += weight * op_k(in), the op's closing BN doing the sum */
static void op_forward(const Ctx *x, const MixedOp *m, int k, float *sum, float weight,
                       const float *in, const float *relu_in)
{
    int hwo = m->ho * m->wo;
    if (k == OP_MAX_POOL_3X3 || k == OP_AVG_POOL_3X3) {
        pool_forward(x, m, k, x->s->slot[1], in);
        bn_forward_out(x, &m->pool_bn[k - OP_MAX_POOL_3X3], OP_OUT_ADD(sum, weight), x->s->slot[1],
                       hwo);
    } else if (k == OP_SKIP_CONNECT) {
        fact_red_forward(x, &m->skip, OP_OUT_ADD(sum, weight), relu_in);
    } else if (k == MIXEDOP_AUX) {
        fact_red_forward(x, &m->aux_skip, OP_OUT_ADD(sum, weight), relu_in);
    } else {
        sep_dil_forward(x, &m->conv[k - OP_SEP_CONV_3X3], OP_OUT_ADD(sum, weight), relu_in);
    }
}

/* The lanes of an edge: each runs its ops one after the other with
 * single-threaded kernels (nested regions are inactive), so an edge costs
 * one fork/join instead of one per kernel call. Lanes are handed to
 * whatever threads the runtime provides; the result never depends on which. */
#ifdef _OPENMP
#define LANE_LOOP(x, t)                                                                            \
    _Pragma(                                                                                       \
        "omp parallel num_threads((x)->lanes) if ((x)->lanes > 1)") for (int t =                   \
                                                                             omp_get_thread_num(); \
                                                                         t < (x)->lanes;           \
                                                                         t +=                      \
                                                                         omp_get_num_threads())
#else
#define LANE_LOOP(x, t) for (int t = 0; t < (x)->lanes; t++)
#endif

static void ops_forward(const Ctx *x, const MixedOp *m, float *acc, const float *in,
                        const float *relu_in, const float *weights)
{
    size_t count = (size_t)x->n * (size_t)m->c * (size_t)m->ho * (size_t)m->wo;
    /* DARTS-'s identity skip joins skip_connect's (x->aux_beta is 0 without it) */
    if (m->stride == 1)
        vec_axpy(acc, weights[OP_SKIP_CONNECT] + x->aux_beta, in, count);
    LANE_LOOP(x, t)
    {
        Ctx lx = *x;
        lx.s = &x->lane[t];
        float *sum = t == 0 ? acc : lx.s->acc_out;
        if (t > 0 && (m->lane_tasks >> t & 1))
            vec_zero(sum, count);
        for (int k = 0; k < MIXEDOP_TASKS; k++)
            if (has_task(m, k) && m->lane_of[k] == t)
                op_forward(&lx, m, k, sum, k == MIXEDOP_AUX ? x->aux_beta : weights[k], in,
                           relu_in);
    }
    for (int t = 1; t < x->lanes; t++)
        if (m->lane_tasks >> t & 1)
            vec_axpy(acc, 1.0f, x->lane[t].acc_out, count);
}

/* Only the alpha-gradient dots, when nothing upstream needs dL/d in (the
 * edges leaving the stem-fed inputs of the first cell, without weight
 * gradients): the op outputs come from the saved BN inputs, the pools are
 * recomputed. */
static void mixedop_dots(const Ctx *x, const MixedOp *m, const float *dout, const float *in,
                         double *dweights)
{
    const Scratch *s = x->s;
    int hwo = m->ho * m->wo;
    for (int k = OP_MAX_POOL_3X3; k <= OP_AVG_POOL_3X3; k++) {
        pool_forward(x, m, k, s->slot[1], in);
        dweights[k] += bn_dot(x, &m->pool_bn[k - OP_MAX_POOL_3X3], dout, s->slot[1], hwo);
    }
    if (m->stride == 1)
        dweights[OP_SKIP_CONNECT] += vec_dot(x, dout, in, m->c, hwo);
    else
        dweights[OP_SKIP_CONNECT] += bn_dot(x, &m->skip.bn, dout, m->skip.x, hwo);
    for (int i = 0; i < 4; i++) {
        const SepDil *op = &m->conv[i];
        const DwBlock *blk = &op->blk[op->blocks - 1];
        dweights[OP_SEP_CONV_3X3 + i] += bn_dot(x, &blk->bn, dout, blk->x, hwo);
    }
}

/* Backward of op k: pools add into din, the others into drelu_in. */
static double op_backward(const Ctx *x, const MixedOp *m, int k, float *din, float *drelu_in,
                          const float *dout, const float *in, const float *relu_in, float weight)
{
    const Scratch *s = x->s;
    int hwo = m->ho * m->wo;
    if (k == OP_SKIP_CONNECT)
        return fact_red_backward(x, &m->skip, drelu_in, dout, weight, relu_in);
    if (k == MIXEDOP_AUX)
        return fact_red_backward(x, &m->aux_skip, drelu_in, dout, weight, relu_in);
    if (k >= OP_SEP_CONV_3X3)
        return sep_dil_backward(x, &m->conv[k - OP_SEP_CONV_3X3], drelu_in, dout, weight, relu_in);
    const Bn *bn = &m->pool_bn[k - OP_MAX_POOL_3X3];
    float *pooled = s->slot[1], *dpooled = s->slot[0];
    pool_forward(x, m, k, pooled, in);
    double dot = bn_backward_set(x, bn, dpooled, weight, dout, pooled, hwo);
    if (k == OP_MAX_POOL_3X3 && x->kinks == SUPERNET_KINKS_FROZEN)
        maxpool_kinks_backward(x, m, din, dpooled);
    else if (k == OP_MAX_POOL_3X3)
        maxpool3x3_backward(din, dpooled, in, x->n, m->c, m->h, m->w, m->stride);
    else
        avgpool3x3_backward(din, dpooled, x->n, m->c, m->h, m->w, m->stride);
    return dot;
}

static void ops_backward(const Ctx *x, const MixedOp *m, float *din, float *drelu_in,
                         const float *dout, const float *in, const float *relu_in,
                         const float *weights, double *dweights)
{
    int hwo = m->ho * m->wo;
    size_t count = (size_t)x->n * (size_t)m->c * (size_t)hwo;
    size_t count_in = (size_t)x->n * (size_t)m->c * (size_t)m->h * (size_t)m->w;

    if (!din) {
        if (x->want_dot)
            mixedop_dots(x, m, dout, in, dweights);
        return;
    }
    if (m->stride == 1) {
        if (x->want_dot)
            dweights[OP_SKIP_CONNECT] += vec_dot(x, dout, in, m->c, hwo);
        vec_axpy(din, weights[OP_SKIP_CONNECT] + x->aux_beta, dout, count);
    }
    LANE_LOOP(x, t)
    {
        Ctx lx = *x;
        lx.s = &x->lane[t];
        float *di = t == 0 ? din : lx.s->acc_in, *dr = t == 0 ? drelu_in : lx.s->acc_relu;
        if (t > 0 && (m->lane_pool >> t & 1))
            vec_zero(di, count_in);
        if (t > 0 && (m->lane_relu >> t & 1))
            vec_zero(dr, count_in);
        for (int k = 0; k < OP_COUNT; k++)
            if (has_task(m, k) && m->lane_of[k] == t)
                dweights[k] += op_backward(&lx, m, k, di, dr, dout, in, relu_in, weights[k]);
        if (has_task(m, MIXEDOP_AUX) && m->lane_of[MIXEDOP_AUX] == t) {
            Ctx nodot = lx; /* beta is no alpha: no dot product */
            nodot.want_dot = 0;
            op_backward(&nodot, m, MIXEDOP_AUX, di, dr, dout, in, relu_in, x->aux_beta);
        }
    }
    for (int t = 1; t < x->lanes; t++) {
        if (m->lane_pool >> t & 1)
            vec_axpy(din, 1.0f, x->lane[t].acc_in, count_in);
        if (m->lane_relu >> t & 1)
            vec_axpy(drelu_in, 1.0f, x->lane[t].acc_relu, count_in);
    }
}

/* ---- PC-DARTS: partial channels ------------------------------------------ */

/* Channel q of cat(ops output, bypass) lands on channel (q mod c) * K + q / c
 * of the shuffled output (channel_shuffle: view (K, c), transpose). */
static int shuffled(const MixedOp *m, int q)
{
    return q % m->c * m->pc_k + q / m->c;
}

/* The bypass of input plane `plane` (a channel >= c of one image) at output
 * pixel o: the input itself, or its 2x2 stride-2 max pool (the first maximum
 * in window order, as PyTorch picks; its tap saved unless the kinks are
 * frozen, then the saved tap is taken). `arg` indexes pc_arg. */
static float bypass_value(const Ctx *x, const MixedOp *m, const float *plane, size_t arg, int o)
{
    if (m->stride == 1)
        return plane[o];
    int oy = o / m->wo, ox = o % m->wo;
    const float *p0 = plane + (size_t)(2 * oy) * (size_t)m->w + (size_t)(2 * ox);
    int best = 0;
    if (x->kinks == SUPERNET_KINKS_FROZEN) {
        best = m->pc_arg[arg];
    } else {
        for (int t = 1; t < 4; t++)
            if (p0[(t >> 1) * m->w + (t & 1)] > p0[(best >> 1) * m->w + (best & 1)])
                best = t;
        m->pc_arg[arg] = (unsigned char)best;
    }
    return p0[(best >> 1) * m->w + (best & 1)];
}

/* Where the gradient of bypass output o of `plane` goes in the input plane. */
static size_t bypass_source(const MixedOp *m, size_t arg, int o)
{
    if (m->stride == 1)
        return (size_t)o;
    int oy = o / m->wo, ox = o % m->wo, t = m->pc_arg[arg];
    return (size_t)(2 * oy + (t >> 1)) * (size_t)m->w + (size_t)(2 * ox + (t & 1));
}

static void pc_forward(const Ctx *x, const MixedOp *m, float *acc, const float *in,
                       const float *relu_in, const float *weights, float bypass_w)
{
    const Scratch *s = x->s;
    int c = m->c, cf = m->c_full, hw = m->h * m->w, hwo = m->ho * m->wo;
    channel_copy(s->pc_in, c, 0, in, cf, 0, c, x->n, hw);
    channel_copy(s->pc_relu, c, 0, relu_in, cf, 0, c, x->n, hw);
    vec_zero(s->pc_out, (size_t)x->n * (size_t)c * (size_t)hwo);
    ops_forward(x, m, s->pc_out, s->pc_in, s->pc_relu, weights);
    for (int b = 0; b < x->n; b++)
        for (int q = 0; q < cf; q++) {
            float *dst = acc + ((size_t)b * (size_t)cf + (size_t)shuffled(m, q)) * (size_t)hwo;
            if (q < c) {
                vec_axpy(dst, 1.0f, s->pc_out + ((size_t)b * (size_t)c + (size_t)q) * (size_t)hwo,
                         (size_t)hwo);
                continue;
            }
            const float *plane = in + ((size_t)b * (size_t)cf + (size_t)q) * (size_t)hw;
            size_t arg = ((size_t)b * (size_t)(cf - c) + (size_t)(q - c)) * (size_t)hwo;
            for (int o = 0; o < hwo; o++)
                dst[o] += bypass_w * bypass_value(x, m, plane, arg + (size_t)o, o);
        }
}

/* pc_dout = the ops' share of dout; din (if any) += the bypass's gradient;
 * the bypass's dot into *dbypass when the dots are wanted. */
static void pc_bypass_backward(const Ctx *x, const MixedOp *m, float *din, const float *dout,
                               const float *in, float bypass_w, double *dbypass)
{
    const Scratch *s = x->s;
    int c = m->c, cf = m->c_full, hw = m->h * m->w, hwo = m->ho * m->wo;
    double dot = 0.0;
    for (int b = 0; b < x->n; b++)
        for (int q = 0; q < cf; q++) {
            const float *g = dout + ((size_t)b * (size_t)cf + (size_t)shuffled(m, q)) * (size_t)hwo;
            if (q < c) {
                memcpy(s->pc_dout + ((size_t)b * (size_t)c + (size_t)q) * (size_t)hwo, g,
                       (size_t)hwo * sizeof(float));
                continue;
            }
            size_t plane = ((size_t)b * (size_t)cf + (size_t)q) * (size_t)hw;
            size_t arg = ((size_t)b * (size_t)(cf - c) + (size_t)(q - c)) * (size_t)hwo;
            for (int o = 0; o < hwo; o++) {
                size_t at = plane + bypass_source(m, arg + (size_t)o, o);
                if (x->want_dot)
                    dot += (double)g[o] * (double)in[at];
                if (din)
                    din[at] += bypass_w * g[o];
            }
        }
    if (x->want_dot)
        *dbypass += dot;
}

static void pc_backward(const Ctx *x, const MixedOp *m, float *din, float *drelu_in,
                        const float *dout, const float *in, const float *relu_in,
                        const float *weights, double *dweights, float bypass_w, double *dbypass)
{
    const Scratch *s = x->s;
    int c = m->c, cf = m->c_full, hw = m->h * m->w;
    size_t count_in = (size_t)x->n * (size_t)c * (size_t)hw;
    pc_bypass_backward(x, m, din, dout, in, bypass_w, dbypass);
    channel_copy(s->pc_in, c, 0, in, cf, 0, c, x->n, hw);
    if (!din) {
        ops_backward(x, m, NULL, NULL, s->pc_dout, s->pc_in, NULL, weights, dweights);
        return;
    }
    channel_copy(s->pc_relu, c, 0, relu_in, cf, 0, c, x->n, hw);
    vec_zero(s->pc_din, count_in);
    vec_zero(s->pc_drelu, count_in);
    ops_backward(x, m, s->pc_din, s->pc_drelu, s->pc_dout, s->pc_in, s->pc_relu, weights, dweights);
    channel_accumulate(din, cf, 0, s->pc_din, c, 0, c, x->n, hw);
    channel_accumulate(drelu_in, cf, 0, s->pc_drelu, c, 0, c, x->n, hw);
}

void mixedop_forward(const Ctx *x, const MixedOp *m, float *acc, const float *in,
                     const float *relu_in, const float *weights, float bypass_w)
{
    if (m->pc_k > 1)
        pc_forward(x, m, acc, in, relu_in, weights, bypass_w);
    else
        ops_forward(x, m, acc, in, relu_in, weights);
}

void mixedop_backward(const Ctx *x, const MixedOp *m, float *din, float *drelu_in,
                      const float *dout, const float *in, const float *relu_in,
                      const float *weights, double *dweights, float bypass_w, double *dbypass)
{
    if (m->pc_k > 1)
        pc_backward(x, m, din, drelu_in, dout, in, relu_in, weights, dweights, bypass_w, dbypass);
    else
        ops_backward(x, m, din, drelu_in, dout, in, relu_in, weights, dweights);
}
