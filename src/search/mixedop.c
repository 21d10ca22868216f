/* mixedop: see mixedop.h. */
#include "mixedop.h"

#include "dartboard/batchnorm.h"
#include "dartboard/genotype.h"
#include "dartboard/pool.h"

/* Kernel size, padding and dilation of sep_conv_3x3 .. dil_conv_5x5. */
static const struct {
    int blocks, k, pad, dilation;
} conv_ops[4] = { { 2, 3, 1, 1 }, { 2, 5, 2, 1 }, { 1, 3, 2, 2 }, { 1, 5, 4, 2 } };

void mixedop_plan(Plan *p, MixedOp *m, int c, int h, int w, int stride)
{
    size_t n = (size_t)p->batch;
    m->c = c;
    m->h = h;
    m->w = w;
    m->stride = stride;
    m->ho = pool3x3_out_size(h, stride);
    m->wo = pool3x3_out_size(w, stride);
    /* PyTorch's module order: none, max_pool+BN, avg_pool+BN, skip, convs */
    plan_bn(p, &m->pool_bn[0], c);
    plan_bn(p, &m->pool_bn[1], c);
    if (stride == 2)
        plan_fact_red(p, &m->skip, c, c, h, w);
    for (int i = 0; i < 4; i++)
        plan_sep_dil(p, &m->conv[i], conv_ops[i].blocks, c, conv_ops[i].k, stride, conv_ops[i].pad,
                     conv_ops[i].dilation, h, w);
    scratch_need(&p->need.relu, n * (size_t)c * (size_t)h * (size_t)w);
    scratch_need(&p->need.slot, n * (size_t)c * (size_t)m->ho * (size_t)m->wo);
}

static void pool_forward(const MixedOp *m, int k, float *out, const float *in, int n)
{
    if (k == OP_MAX_POOL_3X3)
        maxpool3x3_forward(out, in, n, m->c, m->h, m->w, m->stride);
    else
        avgpool3x3_forward(out, in, n, m->c, m->h, m->w, m->stride);
}

void mixedop_forward(const Ctx *x, const MixedOp *m, float *acc, const float *in,
                     const float *relu_in, const float *weights)
{
    const Scratch *s = x->s;
    int hwo = m->ho * m->wo;
    size_t count = (size_t)x->n * (size_t)m->c * (size_t)hwo;
    float *out = s->slot[0];

    for (int k = OP_MAX_POOL_3X3; k <= OP_AVG_POOL_3X3; k++) {
        pool_forward(m, k, s->slot[1], in, x->n);
        bn_forward(x, &m->pool_bn[k - OP_MAX_POOL_3X3], out, s->slot[1], NULL, NULL, hwo);
        vec_axpy(acc, weights[k], out, count);
    }
    if (m->stride == 1) {
        vec_axpy(acc, weights[OP_SKIP_CONNECT], in, count);
    } else {
        fact_red_forward(x, &m->skip, out, relu_in);
        vec_axpy(acc, weights[OP_SKIP_CONNECT], out, count);
    }
    for (int i = 0; i < 4; i++) {
        sep_dil_forward(x, &m->conv[i], out, relu_in);
        vec_axpy(acc, weights[OP_SEP_CONV_3X3 + i], out, count);
    }
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
        pool_forward(m, k, s->slot[1], in, x->n);
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

void mixedop_backward(const Ctx *x, const MixedOp *m, float *din, float *drelu_in,
                      const float *dout, const float *in, const float *relu_in,
                      const float *weights, double *dweights)
{
    const Scratch *s = x->s;
    int hwo = m->ho * m->wo;
    size_t count = (size_t)x->n * (size_t)m->c * (size_t)hwo;

    if (!din) {
        if (x->want_dot)
            mixedop_dots(x, m, dout, in, dweights);
        return;
    }

    for (int k = OP_MAX_POOL_3X3; k <= OP_AVG_POOL_3X3; k++) {
        const Bn *bn = &m->pool_bn[k - OP_MAX_POOL_3X3];
        float *pooled = s->slot[1], *g = s->slot[2], *dpooled = s->slot[0];
        pool_forward(m, k, pooled, in, x->n);
        dweights[k] += bn_dot_scale(x, bn, g, weights[k], dout, pooled, hwo);
        vec_zero(dpooled, count);
        batchnorm_backward(dpooled, NULL, NULL, g, pooled, bn->mean, bn->invstd, NULL, x->n, m->c,
                           hwo);
        if (k == OP_MAX_POOL_3X3)
            maxpool3x3_backward(din, dpooled, in, x->n, m->c, m->h, m->w, m->stride);
        else
            avgpool3x3_backward(din, dpooled, x->n, m->c, m->h, m->w, m->stride);
    }
    if (m->stride == 1) {
        if (x->want_dot)
            dweights[OP_SKIP_CONNECT] += vec_dot(x, dout, in, m->c, hwo);
        vec_axpy(din, weights[OP_SKIP_CONNECT], dout, count);
    } else {
        dweights[OP_SKIP_CONNECT] +=
            fact_red_backward(x, &m->skip, drelu_in, dout, weights[OP_SKIP_CONNECT], relu_in);
    }
    for (int i = 0; i < 4; i++)
        dweights[OP_SEP_CONV_3X3 + i] += sep_dil_backward(x, &m->conv[i], drelu_in, dout,
                                                          weights[OP_SEP_CONV_3X3 + i], relu_in);
}
