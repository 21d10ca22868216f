/* netops: see netops.h. Shapes in comments are (n, c, h, w). */
#include "config.h"
#include "dartboard/nn_isa.h"
#include "netops.h"

#include <string.h>

#include "dartboard/activation.h"
#include "dartboard/profile.h"
#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"

void scratch_need(size_t *need, size_t count)
{
    if (count > *need)
        *need = count;
}

ScratchNeed *plan_need(Plan *p)
{
    return p->in_edge ? &p->need_edge : &p->need;
}

static void plan_record(Plan *p, int running, InitKind kind, size_t off, size_t count, int fan_in)
{
    if (p->init)
        p->init[p->inits] = (InitBlock){running, kind, off, count, fan_in};
    p->inits++;
}

size_t plan_weights(Plan *p, size_t count, InitKind kind, int fan_in)
{
    size_t off = p->weights;
    plan_record(p, 0, kind, off, count, fan_in);
    p->weights += count;
    return off;
}

void plan_bn(Plan *p, Bn *bn, int c)
{
    bn->c = c;
    bn->run = p->running;
    plan_record(p, 1, INIT_ZERO, p->running, (size_t)c, 0);
    plan_record(p, 1, INIT_ONE, p->running + (size_t)c, (size_t)c, 0);
    p->running += 2 * (size_t)c;
    bn->mean = arena_floats(p->arena, (size_t)c);
    bn->invstd = arena_floats(p->arena, (size_t)c);
    scratch_need(&plan_need(p)->channels, (size_t)c);
}

void plan_conv(Plan *p, Conv *cv, int c_in, int c_out, int k, int stride, int pad, int dilation,
               int groups, int h, int w)
{
    cv->spec = (ConvSpec){.c_in = c_in,
                          .c_out = c_out,
                          .kh = k,
                          .kw = k,
                          .stride = stride,
                          .pad = pad,
                          .dilation = dilation,
                          .groups = groups};
    cv->w = plan_weights(p, conv_weight_count(&cv->spec), INIT_UNIFORM, c_in / groups * k * k);
    scratch_need(&plan_need(p)->conv, conv_scratch_floats(&cv->spec, p->batch, h, w));
}

void plan_relu_conv_bn(Plan *p, ReluConvBn *r, int c_in, int c_out, int h, int w)
{
    size_t hw = (size_t)h * (size_t)w, n = (size_t)p->batch;
    r->c_in = c_in;
    r->c_out = c_out;
    r->h = h;
    r->w = w;
    plan_conv(p, &r->conv, c_in, c_out, 1, 1, 0, 1, 1, h, w);
    plan_bn(p, &r->bn, c_out);
    r->x = arena_floats(p->arena, n * (size_t)c_out * hw);
    r->kinks = plan_kinks(p, n * (size_t)c_in * hw);
    scratch_need(&plan_need(p)->relu, n * (size_t)c_in * hw);
    scratch_need(&plan_need(p)->slot, n * (size_t)c_out * hw);
}

void plan_fact_red(Plan *p, FactRed *f, int c_in, int c_out, int h, int w)
{
    size_t n = (size_t)p->batch;
    f->c_in = c_in;
    f->c_out = c_out;
    f->h = h;
    f->w = w;
    f->ho = h / 2;
    f->wo = w / 2;
    size_t hwo = (size_t)f->ho * (size_t)f->wo;
    plan_conv(p, &f->a, c_in, c_out / 2, 1, 1, 0, 1, 1, f->ho, f->wo);
    plan_conv(p, &f->b, c_in, c_out / 2, 1, 1, 0, 1, 1, f->ho, f->wo);
    plan_bn(p, &f->bn, c_out);
    f->x = arena_floats(p->arena, n * (size_t)c_out * hwo);
    scratch_need(&plan_need(p)->relu, n * (size_t)c_in * (size_t)h * (size_t)w);
    scratch_need(&plan_need(p)->sub, n * (size_t)c_in * hwo);
    scratch_need(&plan_need(p)->half, n * (size_t)(c_out / 2) * hwo);
    scratch_need(&plan_need(p)->slot, n * (size_t)c_out * hwo);
}

void plan_sep_dil(Plan *p, SepDil *op, int blocks, int c, int k, int stride, int pad, int dilation,
                  int h, int w)
{
    size_t n = (size_t)p->batch;
    op->blocks = blocks;
    op->c = c;
    op->h = h;
    op->w = w;
    op->ho = conv_out_size(h, k, stride, pad, dilation);
    op->wo = conv_out_size(w, k, stride, pad, dilation);
    for (int b = 0; b < blocks; b++) {
        DwBlock *blk = &op->blk[b];
        if (b == 0)
            plan_conv(p, &blk->dw, c, c, k, stride, pad, dilation, c, h, w);
        else
            plan_conv(p, &blk->dw, c, c, k, 1, pad, dilation, c, op->ho, op->wo);
        plan_conv(p, &blk->pw, c, c, 1, 1, 0, 1, 1, op->ho, op->wo);
        plan_bn(p, &blk->bn, c);
        blk->x = arena_floats(p->arena, n * (size_t)c * (size_t)op->ho * (size_t)op->wo);
        /* slot 3 is the fused block's scratch (sep_dil_forward, _backward) */
        scratch_need(&plan_need(p)->slot,
                     conv_dw_pw_scratch_floats(&blk->dw.spec, &blk->pw.spec, b ? op->ho : h,
                                               b ? op->wo : w));
    }
    op->kinks = blocks == 2 ? plan_kinks(p, n * (size_t)c * (size_t)op->ho * (size_t)op->wo) : NULL;
    scratch_need(&plan_need(p)->slot, n * (size_t)c * (size_t)op->ho * (size_t)op->wo);
}

/* ------------------------------------------------------------------ frozen kinks */

unsigned char *plan_kinks(Plan *p, size_t count)
{
    return p->kinks ? arena_bytes(p->arena, count) : NULL;
}

/* Plain loops: only the collapse monitor runs these modes, a few passes
 * every monitor.every steps. */
void kink_relu_forward(const Ctx *x, unsigned char *mask, float *out, const float *in, size_t count)
{
    switch (x->kinks) {
    case SUPERNET_KINKS_LIVE:
        relu_forward(out, in, count);
        break;
    case SUPERNET_KINKS_RECORD:
        relu_forward(out, in, count);
        for (size_t i = 0; i < count; i++)
            mask[i] = in[i] > 0.0f;
        break;
    case SUPERNET_KINKS_FROZEN:
        for (size_t i = 0; i < count; i++)
            out[i] = mask[i] ? in[i] : 0.0f;
        break;
    }
}

void kink_relu_backward(const Ctx *x, const unsigned char *mask, float *din, const float *dout,
                        const float *in, size_t count)
{
    if (x->kinks != SUPERNET_KINKS_FROZEN) {
        relu_backward(din, dout, in, count);
        return;
    }
    for (size_t i = 0; i < count; i++)
        din[i] += mask[i] ? dout[i] : 0.0f;
}

/* ------------------------------------------------------------------ helpers */

/* Below this many elements an elementwise pass is cheaper than waking a
 * second thread. The `omp simd` loops are vectorised even at -O2 (GCC leaves
 * plain ones scalar, and branchy ones mispredict on random signs); the
 * vectorised sums use a fixed lane split, so they stay deterministic. */
#define NETOPS_PARALLEL_MIN 65536

NN_CLONED void vec_axpy(float *y, float a, const float *x, size_t count)
{
    PROFILE_BEGIN;
#pragma omp parallel for simd schedule(static) if (count >= NETOPS_PARALLEL_MIN)
    for (size_t i = 0; i < count; i++)
        y[i] += a * x[i];
    PROFILE_END(PROF_ELEMENTWISE, 2.0 * count);
}

NN_CLONED void vec_zero(float *y, size_t count)
{
    PROFILE_BEGIN;
    memset(y, 0, count * sizeof *y);
    PROFILE_END(PROF_ELEMENTWISE, 0);
}

/* sum over (n, c, hw) of g * in. Per-channel partial sums in double, added
 * in channel order: the result does not depend on the thread count. */
NN_CLONED static double channel_dot(const Ctx *x, const float *g, const float *in, int c, int hw)
{
    PROFILE_BEGIN;
    double *part = x->s->partial;
    int n = x->n;
#pragma omp parallel for schedule(static) if ((size_t)n * c * hw >= NETOPS_PARALLEL_MIN)
    for (int ch = 0; ch < c; ch++) {
        double acc = 0.0;
        for (int i = 0; i < n; i++) {
            size_t at = ((size_t)i * (size_t)c + (size_t)ch) * (size_t)hw;
            const float *gp = g + at, *xp = in + at;
            float a = 0.0f;
#pragma omp simd reduction(+ : a)
            for (int j = 0; j < hw; j++)
                a += gp[j] * xp[j];
            acc += a;
        }
        part[ch] = acc;
    }
    double sum = 0.0;
    for (int ch = 0; ch < c; ch++)
        sum += part[ch];
    PROFILE_END(PROF_ELEMENTWISE, 3.0 * x->n * c * hw);
    return sum;
}

double vec_dot(const Ctx *x, const float *a, const float *b, int c, int hw)
{
    return channel_dot(x, a, b, c, hw);
}

double bn_dot(const Ctx *x, const Bn *bn, const float *g, const float *in, int hw)
{
    /* the sums of the BN backward, so that it equals bn_backward_set's dot bit for bit */
    return batchnorm_backward_scaled(NULL, 1.0f, g, in, bn->mean, bn->invstd, x->n, bn->c, hw,
                                     x->s->partial);
}

/* out = max(0, (in - mean) * invstd): the ReLU of a BN output, recomputed. */
NN_CLONED static void bn_relu(const Ctx *x, const Bn *bn, float *out, const float *in, int hw)
{
    PROFILE_BEGIN;
    int c = bn->c;
#pragma omp parallel for schedule(static) if ((size_t)x->n * c * hw >= NETOPS_PARALLEL_MIN)
    for (int nc = 0; nc < x->n * c; nc++) {
        float m = bn->mean[nc % c], is = bn->invstd[nc % c];
        const float *ip = in + (size_t)nc * (size_t)hw;
        float *op = out + (size_t)nc * (size_t)hw;
#pragma omp simd
        for (int j = 0; j < hw; j++) {
            float v = (ip[j] - m) * is;
            op[j] = v > 0.0f ? v : 0.0f;
        }
    }
    PROFILE_END(PROF_ELEMENTWISE, 3.0 * x->n * bn->c * hw);
}

/* dx = dy where the ReLU of BN(in) passed (in > mean, as invstd > 0), else
 * 0: the ReLU backward of a BN output, without recomputing it. */
NN_CLONED static void bn_relu_mask(const Ctx *x, const Bn *bn, float *dx, const float *dy,
                                   const float *in, int hw)
{
    PROFILE_BEGIN;
    int c = bn->c;
#pragma omp parallel for schedule(static) if ((size_t)x->n * c * hw >= NETOPS_PARALLEL_MIN)
    for (int nc = 0; nc < x->n * c; nc++) {
        float m = bn->mean[nc % c];
        size_t at = (size_t)nc * (size_t)hw;
#pragma omp simd
        for (int j = 0; j < hw; j++)
            dx[at + j] = in[at + j] > m ? dy[at + j] : 0.0f;
    }
    PROFILE_END(PROF_ELEMENTWISE, (double)x->n * bn->c * hw);
}

void bn_forward(const Ctx *x, const Bn *bn, float *out, const float *in, const float *gamma,
                const float *beta, int hw)
{
    float *rm = x->running + bn->run, *rv = rm + bn->c;
    switch (x->mode) {
    case SUPERNET_EVAL:
        batchnorm_forward_eval(out, in, gamma, beta, rm, rv, x->n, bn->c, hw, BN_EPS);
        break;
    case SUPERNET_TRAIN:
        batchnorm_forward_train(out, bn->mean, bn->invstd, in, gamma, beta, rm, rv, x->n, bn->c, hw,
                                BN_MOMENTUM, BN_EPS);
        break;
    case SUPERNET_TRAIN_FROZEN:
        batchnorm_forward_train(out, bn->mean, bn->invstd, in, gamma, beta, NULL, NULL, x->n, bn->c,
                                hw, BN_MOMENTUM, BN_EPS);
        break;
    }
}

void bn_forward_out(const Ctx *x, const Bn *bn, OpOut out, const float *in, int hw)
{
    float *rm = x->running + bn->run, *rv = rm + bn->c;
    switch (x->mode) {
    case SUPERNET_EVAL:
        batchnorm_forward_eval_to(out.p, out.how, out.weight, in, rm, rv, x->n, bn->c, hw, BN_EPS);
        break;
    case SUPERNET_TRAIN:
        batchnorm_forward_train_to(out.p, out.how, out.weight, bn->mean, bn->invstd, in, rm, rv,
                                   x->n, bn->c, hw, BN_MOMENTUM, BN_EPS);
        break;
    case SUPERNET_TRAIN_FROZEN:
        batchnorm_forward_train_to(out.p, out.how, out.weight, bn->mean, bn->invstd, in, NULL, NULL,
                                   x->n, bn->c, hw, BN_MOMENTUM, BN_EPS);
        break;
    }
}

double bn_backward_set(const Ctx *x, const Bn *bn, float *din, float scale, const float *dout,
                       const float *in, int hw)
{
    double dot = batchnorm_backward_scaled(din, scale, dout, in, bn->mean, bn->invstd, x->n, bn->c,
                                           hw, x->s->partial);
    return x->want_dot ? dot : 0.0;
}

static float *grad_of(const Ctx *x, const Conv *cv)
{
    return x->gw ? x->gw + cv->w : NULL;
}

/* ------------------------------------------------------------------ ReLU-conv1x1-BN */

void relu_conv_bn_forward(const Ctx *x, const ReluConvBn *r, float *out, const float *in)
{
    const Scratch *s = x->s;
    size_t count_in = (size_t)x->n * (size_t)r->c_in * (size_t)r->h * (size_t)r->w;
    kink_relu_forward(x, r->kinks, s->relu, in, count_in);
    conv2d_forward(&r->conv.spec, r->x, s->relu, x->w + r->conv.w, x->n, r->h, r->w, s->conv);
    bn_forward(x, &r->bn, out, r->x, NULL, NULL, r->h * r->w);
}

void relu_conv_bn_backward(const Ctx *x, const ReluConvBn *r, float *din, const float *dout,
                           const float *in)
{
    const Scratch *s = x->s;
    int hw = r->h * r->w;
    size_t count_in = (size_t)x->n * (size_t)r->c_in * (size_t)hw;
    float *dx = s->slot[0]; /* (n, c_out, h, w) */
    bn_backward_set(x, &r->bn, dx, 1.0f, dout, r->x, hw);
    if (x->gw)
        relu_forward(s->relu, in, count_in);
    conv2d_backward_set(&r->conv.spec, s->drelu, grad_of(x, &r->conv), dx, s->relu,
                        x->w + r->conv.w, x->n, r->h, r->w, s->conv);
    kink_relu_backward(x, r->kinks, din, s->drelu, in, count_in);
}

/* ------------------------------------------------------------------ FactorizedReduce */

void fact_red_forward(const Ctx *x, const FactRed *f, OpOut out, const float *relu_in)
{
    const Scratch *s = x->s;
    int half = f->c_out / 2, hwo = f->ho * f->wo;
    const Conv *cv[2] = {&f->a, &f->b};
    for (int off = 0; off < 2; off++) {
        subsample2_forward(s->sub, relu_in, x->n, f->c_in, f->h, f->w, off);
        conv2d_forward(&cv[off]->spec, s->half, s->sub, x->w + cv[off]->w, x->n, f->ho, f->wo,
                       s->conv);
        channel_copy(f->x, f->c_out, off * half, s->half, half, 0, half, x->n, hwo);
    }
    bn_forward_out(x, &f->bn, out, f->x, hwo);
}

double fact_red_backward(const Ctx *x, const FactRed *f, float *drelu_in, const float *dout,
                         float scale, const float *relu_in)
{
    const Scratch *s = x->s;
    int half = f->c_out / 2, hwo = f->ho * f->wo;
    float *dx = s->slot[0];
    double dot = bn_backward_set(x, &f->bn, dx, scale, dout, f->x, hwo);
    const Conv *cv[2] = {&f->a, &f->b};
    for (int off = 0; off < 2; off++) {
        channel_copy(s->half, half, 0, dx, f->c_out, off * half, half, x->n, hwo);
        if (x->gw)
            subsample2_forward(s->sub, relu_in, x->n, f->c_in, f->h, f->w, off);
        conv2d_backward_set(&cv[off]->spec, s->dsub, grad_of(x, cv[off]), s->half, s->sub,
                            x->w + cv[off]->w, x->n, f->ho, f->wo, s->conv);
        subsample2_backward(drelu_in, s->dsub, x->n, f->c_in, f->h, f->w, off);
    }
    return dot;
}

/* ------------------------------------------------------------------ SepConv / DilConv */

void sep_dil_forward(const Ctx *x, const SepDil *op, OpOut out, const float *relu_in)
{
    const Scratch *s = x->s;
    float *t = s->slot[2], *blk_scratch = s->slot[3];
    int hwo = op->ho * op->wo;
    for (int k = 0; k < op->blocks; k++) {
        const DwBlock *blk = &op->blk[k];
        const float *in = k == 0 ? relu_in : t;
        int h = k == 0 ? op->h : op->ho, w = k == 0 ? op->w : op->wo;
        conv2d_dw_pw_forward(&blk->dw.spec, &blk->pw.spec, NULL, NULL, blk->x, NULL, in,
                             x->w + blk->dw.w, x->w + blk->pw.w, x->n, h, w, blk_scratch, 0);
        if (k == op->blocks - 1) {
            bn_forward_out(x, &blk->bn, out, blk->x, hwo);
        } else if (x->kinks == SUPERNET_KINKS_FROZEN) {
            /* the BN in full, then the recorded mask as the ReLU */
            size_t count = (size_t)x->n * (size_t)op->c * (size_t)hwo;
            bn_forward_out(x, &blk->bn, OP_OUT_SET(t), blk->x, hwo);
            for (size_t i = 0; i < count; i++)
                t[i] = op->kinks[i] ? t[i] : 0.0f;
        } else {
            bn_forward_out(x, &blk->bn, OP_OUT_RELU(t), blk->x, hwo);
            if (x->kinks == SUPERNET_KINKS_RECORD) /* bn_relu_mask's test */
                for (int nc = 0; nc < x->n * op->c; nc++)
                    for (int j = 0; j < hwo; j++) {
                        size_t at = (size_t)nc * (size_t)hwo + (size_t)j;
                        op->kinks[at] = blk->x[at] > blk->bn.mean[nc % op->c];
                    }
        }
    }
}

double sep_dil_backward(const Ctx *x, const SepDil *op, float *drelu_in, const float *dout,
                        float scale, const float *relu_in)
{
    const Scratch *s = x->s;
    float *g = s->slot[0], *a = s->slot[1], *r = s->slot[2], *t = s->slot[3];
    int hwo = op->ho * op->wo, last = op->blocks - 1;
    size_t count = (size_t)x->n * (size_t)op->c * (size_t)hwo;
    double dot = 0.0;
    for (int k = last; k >= 0; k--) {
        const DwBlock *blk = &op->blk[k];
        /* dL/d BN output of this block (scale * dout for the last, else g)
         * -> a: dL/d pointwise output */
        double d = bn_backward_set(x, &blk->bn, a, k == last ? scale : 1.0f, k == last ? dout : g,
                                   blk->x, hwo);
        if (k == last)
            dot = d;
        /* the depthwise input: ReLU(in) for the first block, else
         * ReLU(BN(previous)); only weight gradients read it */
        const float *in = relu_in;
        int h = op->h, w = op->w;
        if (k > 0) {
            in = r;
            h = op->ho;
            w = op->wo;
        }
        if (x->gw && k > 0)
            bn_relu(x, &op->blk[k - 1].bn, r, op->blk[k - 1].x, hwo);
        conv2d_dw_pw_backward_pw(&blk->dw.spec, &blk->pw.spec, g, grad_of(x, &blk->pw), a, in,
                                 x->w + blk->dw.w, x->w + blk->pw.w, x->n, h, w, t);
        if (k == 0) {
            conv2d_backward(&blk->dw.spec, drelu_in, grad_of(x, &blk->dw), g, relu_in,
                            x->w + blk->dw.w, x->n, h, w, s->conv);
        } else {
            vec_zero(a, count);
            conv2d_backward(&blk->dw.spec, a, grad_of(x, &blk->dw), g, r, x->w + blk->dw.w, x->n, h,
                            w, s->conv);
            if (x->kinks == SUPERNET_KINKS_FROZEN)
                for (size_t i = 0; i < count; i++)
                    g[i] = op->kinks[i] ? a[i] : 0.0f;
            else
                bn_relu_mask(x, &op->blk[k - 1].bn, g, a, op->blk[k - 1].x, hwo);
        }
    }
    return dot;
}
