/* test_kernels_grad: every backward against central finite differences.
 *
 * For a kernel y = f(p) and a fixed random upstream gradient g, the loss is
 * L = sum(g * y), accumulated in double. The backward's dL/dp is compared
 * with (L(p + h) - L(p - h)) / 2h on up to SAMPLES coordinates of p. Inputs
 * are kept away from ReLU kinks (|x| >= 0.1) and from max-pool ties (values
 * at least 0.01 apart, h = 1e-3). Backward must ACCUMULATE: every analytic
 * gradient buffer starts at a non-zero value that is subtracted afterwards.
 */
#include "dartboard/activation.h"
#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"
#include "dartboard/conv.h"
#include "dartboard/linear.h"
#include "dartboard/loss.h"
#include "dartboard/parallel.h"
#include "dartboard/pool.h"
#include "dartboard/rng.h"
#include "kernels_isa.h"
#include "tap.h"

#include <string.h>

#define SAMPLES 48
#define PREFILL 0.25f

static Rng rng;

static float *buf(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        abort();
    return p;
}

static float *randn(size_t n, float scale)
{
    float *p = buf(n);
    for (size_t i = 0; i < n; i++)
        p[i] = scale * (float)rng_normal(&rng);
    return p;
}

/* Values away from 0 by at least 0.1 (for ReLU). */
static float *rand_away_from_zero(size_t n)
{
    float *p = randn(n, 1.0f);
    for (size_t i = 0; i < n; i++)
        p[i] = p[i] >= 0 ? p[i] + 0.1f : p[i] - 0.1f;
    return p;
}

/* A shuffled grid: every value distinct, 0.01 apart (for max pooling). */
static float *rand_distinct(size_t n)
{
    float *p = buf(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)i * 0.01f - (float)n * 0.005f;
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(&rng, (uint32_t)i);
        float t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

static float *prefilled(size_t n)
{
    float *p = buf(n);
    for (size_t i = 0; i < n; i++)
        p[i] = PREFILL;
    return p;
}

/* The forward under test: fills y from the current parameters in ctx. */
typedef void (*ForwardFn)(void *ctx, float *y);

static double loss_of(ForwardFn f, void *ctx, float *y, const float *g, size_t ny)
{
    f(ctx, y);
    double l = 0.0;
    for (size_t i = 0; i < ny; i++)
        l += (double)g[i] * y[i];
    return l;
}

/* Compares analytic (minus PREFILL) with central differences on param. */
static void grad_check(const char *name, ForwardFn f, void *ctx, float *param, size_t np,
                       const float *analytic, const float *g, size_t ny, double h, double rtol)
{
    float *y = buf(ny);
    double worst = 0.0, amax = 0.0;
    for (size_t i = 0; i < np; i++)
        amax = fmax(amax, fabs(analytic[i] - PREFILL));
    const double atol = 1e-3 * amax + 1e-6;
    size_t stride = np > SAMPLES ? np / SAMPLES : 1, bad_at = 0;
    double bad_num = 0, bad_ana = 0;
    for (size_t i = (size_t)rng_below(&rng, (uint32_t)stride); i < np; i += stride) {
        const float keep = param[i];
        param[i] = keep + (float)h;
        double hp = (double)param[i] - keep;
        double lp = loss_of(f, ctx, y, g, ny);
        param[i] = keep - (float)h;
        double hm = keep - (double)param[i];
        double lm = loss_of(f, ctx, y, g, ny);
        param[i] = keep;
        double num = (lp - lm) / (hp + hm);
        double ana = (double)analytic[i] - PREFILL;
        double err = fabs(num - ana) / (atol + rtol * fabs(ana));
        if (err > worst) {
            worst = err;
            bad_at = i;
            bad_num = num;
            bad_ana = ana;
        }
    }
    if (!ok(worst <= 1.0, "%s: gradient matches finite differences", name))
        diag("  at %zu: analytic %.7g, numeric %.7g", bad_at, bad_ana, bad_num);
    free(y);
}

/* ------------------------------------------------------------------ conv */

typedef struct ConvCtx {
    ConvSpec s;
    int n, h, w;
    float *x, *wt, *scratch;
} ConvCtx;

static void conv_fwd(void *p, float *y)
{
    ConvCtx *c = p;
    conv2d_forward(&c->s, y, c->x, c->wt, c->n, c->h, c->w, c->scratch);
}

static void check_conv(const char *name, int c_in, int c_out, int k, int stride, int pad, int dil,
                       int groups, int n, int h, int w)
{
    ConvCtx c = {{c_in, c_out, k, k, stride, pad, dil, groups}, n, h, w, NULL, NULL, NULL};
    int ho = conv_out_size(h, k, stride, pad, dil), wo = conv_out_size(w, k, stride, pad, dil);
    size_t nx = (size_t)n * c_in * h * w, ny = (size_t)n * c_out * ho * wo;
    size_t nw = conv_weight_count(&c.s);
    c.x = randn(nx, 1.0f);
    c.wt = randn(nw, 0.5f);
    c.scratch = buf(conv_scratch_floats(&c.s, n, h, w));
    float *g = randn(ny, 1.0f), *gx = prefilled(nx), *gw = prefilled(nw);
    conv2d_backward(&c.s, gx, gw, g, c.x, c.wt, n, h, w, c.scratch);
    char what[128];
    snprintf(what, sizeof what, "%s d/dinput", name);
    grad_check(what, conv_fwd, &c, c.x, nx, gx, g, ny, 1e-2, 2e-3);
    snprintf(what, sizeof what, "%s d/dweight", name);
    grad_check(what, conv_fwd, &c, c.wt, nw, gw, g, ny, 1e-2, 2e-3);
    free(c.x);
    free(c.wt);
    free(c.scratch);
    free(g);
    free(gx);
    free(gw);
}

/* ------------------------------------------------------------------ fused block */

/* conv2d_dw_pw_forward and _backward (a SepConv block, optionally fed
 * ReLU(BN(x)) as it reads x, use_pre 1, or ReLU(x), use_pre 2), its tensors
 * laid out as layout says (conv.h's DWPW_*). With the BN the backward
 * writes the gradient of the BN output, d/dx is that times the channel's
 * scale; with the ReLU alone it adds d/dx. */
typedef struct DwPwCtx {
    ConvSpec dw, pw;
    ConvPre pre;
    int use_pre, n, h, w, layout;
    float *x, *wdw, *wpw, *scratch;
} DwPwCtx;

static void dwpw_fwd(void *p, float *y)
{
    DwPwCtx *c = p;
    conv2d_dw_pw_forward(&c->dw, &c->pw, c->use_pre ? &c->pre : NULL, NULL, y, NULL, c->x, c->wdw,
                         c->wpw, c->n, c->h, c->w, c->scratch, c->layout);
}

/* The channel of x's float i: planes of hw, or with l, channels-last blocks
 * of l (conv.h). */
static size_t channel_of(size_t i, size_t hw, size_t ch, size_t l)
{
    return l ? i % (ch * hw) / (hw * l) * l + i % l : i / hw % ch;
}

static void check_dw_pw_in(const char *name, int use_pre, int ch, int c_out, int k, int stride,
                           int pad, int dil, int n, int h, int w, int layout)
{
    DwPwCtx c = {.dw = {ch, ch, k, k, stride, pad, dil, ch},
                 .pw = {ch, c_out, 1, 1, 1, 0, 1, 1},
                 .use_pre = use_pre,
                 .n = n,
                 .h = h,
                 .w = w,
                 .layout = layout};
    const size_t l = layout & DWPW_IN_CL ? (size_t)conv_dw_pw_cl(&c.dw, &c.pw, h, w) : 0;
    if (layout && !conv_dw_pw_cl(&c.dw, &c.pw, h, w)) {
        ok(strcmp(nn_isa(), "x86-64") == 0, "%s: not served, only in the baseline build (%s)", name,
           nn_isa());
        return;
    }
    int ho = conv_out_size(h, k, stride, pad, dil), wo = conv_out_size(w, k, stride, pad, dil);
    size_t nx = (size_t)n * ch * h * w, ny = (size_t)n * c_out * ho * wo, hw = (size_t)h * w;
    size_t ndw = conv_weight_count(&c.dw), npw = conv_weight_count(&c.pw);
    float *mean = randn((size_t)ch, 0.3f), *scale = randn((size_t)ch, 1.0f);
    float *shift = randn((size_t)ch, 0.3f);
    c.pre = use_pre == 2 ? (ConvPre){NULL, NULL, NULL, 1, NULL, NULL}
                         : (ConvPre){mean, scale, shift, 0, NULL, NULL};
    /* x such that BN(x) keeps 0.1 away from the ReLU's kink */
    c.x = rand_away_from_zero(nx);
    for (size_t i = 0; use_pre == 1 && i < nx; i++) {
        size_t q = channel_of(i, hw, (size_t)ch, l);
        c.x[i] = (c.x[i] - shift[q]) / scale[q] + mean[q];
    }
    c.wdw = randn(ndw, 0.5f);
    c.wpw = randn(npw, 0.5f);
    c.scratch = buf(conv_dw_pw_scratch_floats(&c.dw, &c.pw, h, w));
    float *g = randn(ny, 1.0f), *gx = prefilled(nx), *gdw = prefilled(ndw), *gpw = prefilled(npw);
    /* the backward as training runs it: reading the depthwise output a
     * forward kept (test_kernels_fast: the bits of recomputing it) */
    float *y = buf(ny), *kept = buf((size_t)n * ch * ho * wo);
    conv2d_dw_pw_forward(&c.dw, &c.pw, use_pre ? &c.pre : NULL, NULL, y, kept, c.x, c.wdw, c.wpw, n,
                         h, w, c.scratch, layout);
    conv2d_dw_pw_backward(&c.dw, &c.pw, use_pre ? &c.pre : NULL, NULL, gx, gdw, gpw, g, c.x, kept,
                          c.wdw, c.wpw, n, h, w, c.scratch, layout);
    for (size_t i = 0; use_pre == 1 && i < nx; i++) /* written, not added: d/dx from d/dBN */
        gx[i] = gx[i] * scale[channel_of(i, hw, (size_t)ch, l)] + PREFILL;
    char what[160];
    snprintf(what, sizeof what, "%s d/dinput", name); /* h: scale * h stays under 0.1 */
    grad_check(what, dwpw_fwd, &c, c.x, nx, gx, g, ny, 1e-3, 2e-3);
    snprintf(what, sizeof what, "%s d/ddepthwise", name);
    grad_check(what, dwpw_fwd, &c, c.wdw, ndw, gdw, g, ny, 1e-2, 2e-3);
    snprintf(what, sizeof what, "%s d/dpointwise", name);
    grad_check(what, dwpw_fwd, &c, c.wpw, npw, gpw, g, ny, 1e-2, 2e-3);
    free(mean), free(scale), free(shift), free(c.x), free(c.wdw), free(c.wpw), free(c.scratch);
    free(g), free(gx), free(gdw), free(gpw), free(y), free(kept);
}

static void check_dw_pw(const char *name, int use_pre, int ch, int c_out, int k, int stride,
                        int pad, int dil, int n, int h, int w)
{
    check_dw_pw_in(name, use_pre, ch, c_out, k, stride, pad, dil, n, h, w, 0);
}

/* A block between two training BNs, the way the evaluation network runs a
 * SepConv block: y = gs[i] * BN2(block(ReLU(BN1(x)))) in image i, both BNs
 * with the batch's statistics and affine, their backward fused into the
 * block's (batchnorm.h's three steps): BN2's sums as the forward runs
 * again, BN1's as the block's backward writes its gradient, each input
 * gradient made image by image. */
typedef struct SepBnCtx {
    ConvSpec dw, pw;
    int n, h, w, p;
    float *x, *wdw, *wpw, *gamma1, *beta1, *gamma2, *beta2, *gs;
    float *mean1, *invstd1, *scale1, *mean2, *invstd2, *z, *scratch;
} SepBnCtx;

static ConvPre sepbn_pre(SepBnCtx *c)
{
    const int ch = c->dw.c_in;
    batchnorm_forward_train(NULL, c->mean1, c->invstd1, c->x, NULL, NULL, NULL, NULL, c->n, ch,
                            c->h * c->w, BN_MOMENTUM, BN_EPS);
    for (int q = 0; q < ch; q++)
        c->scale1[q] = c->gamma1[q] * c->invstd1[q];
    return (ConvPre){c->mean1, c->scale1, c->beta1, 0, NULL, NULL};
}

static void sepbn_fwd(void *p, float *y)
{
    SepBnCtx *c = p;
    const ConvPre pre = sepbn_pre(c);
    conv2d_dw_pw_forward(&c->dw, &c->pw, &pre, NULL, c->z, NULL, c->x, c->wdw, c->wpw, c->n, c->h,
                         c->w, c->scratch, 0);
    batchnorm_forward_train(y, c->mean2, c->invstd2, c->z, c->gamma2, c->beta2, NULL, NULL, c->n,
                            c->pw.c_out, c->p, BN_MOMENTUM, BN_EPS);
    const size_t per = (size_t)c->pw.c_out * c->p;
    for (size_t i = 0; i < (size_t)c->n * per; i++)
        y[i] *= c->gs[i / per];
}

/* x away from BN1's ReLU kink: values whose BN1 output lies within 0.05 of
 * zero are moved off it, a few rounds (each move shifts the statistics a
 * little). */
static void sepbn_away_from_kink(SepBnCtx *c)
{
    const int ch = c->dw.c_in;
    const size_t hw = (size_t)c->h * c->w, nx = (size_t)c->n * ch * hw;
    for (int round = 0; round < 4; round++) {
        sepbn_pre(c);
        for (size_t i = 0; i < nx; i++) {
            const size_t q = i / hw % (size_t)ch;
            const float y = (c->x[i] - c->mean1[q]) * c->scale1[q] + c->beta1[q];
            if (fabsf(y) < 0.05f)
                c->x[i] += (y >= 0.0f ? 0.1f : -0.1f) / c->scale1[q];
        }
    }
}

static void check_sep_bn(const char *name, int ch, int c_out, int k, int stride, int pad, int dil,
                         int n, int h, int w)
{
    SepBnCtx c = {.dw = {ch, ch, k, k, stride, pad, dil, ch},
                  .pw = {ch, c_out, 1, 1, 1, 0, 1, 1},
                  .n = n,
                  .h = h,
                  .w = w};
    c.p = conv_out_size(h, k, stride, pad, dil) * conv_out_size(w, k, stride, pad, dil);
    const size_t hw = (size_t)h * w, nx = (size_t)n * ch * hw, ny = (size_t)n * c_out * c.p;
    const size_t ndw = conv_weight_count(&c.dw), npw = conv_weight_count(&c.pw);
    c.x = randn(nx, 1.5f);
    c.wdw = randn(ndw, 0.5f);
    c.wpw = randn(npw, 0.5f);
    c.gamma1 = randn((size_t)ch, 0.3f), c.beta1 = randn((size_t)ch, 0.5f);
    c.gamma2 = randn((size_t)c_out, 0.3f), c.beta2 = randn((size_t)c_out, 0.5f);
    for (int q = 0; q < ch; q++)
        c.gamma1[q] += 1.0f;
    for (int q = 0; q < c_out; q++)
        c.gamma2[q] += 1.0f;
    c.gs = buf((size_t)n); /* a drop-path after BN2: image 0 dropped */
    for (int i = 0; i < n; i++)
        c.gs[i] = i == 0 ? 0.0f : 1.25f;
    c.mean1 = buf((size_t)ch), c.invstd1 = buf((size_t)ch), c.scale1 = buf((size_t)ch);
    c.mean2 = buf((size_t)c_out), c.invstd2 = buf((size_t)c_out);
    c.z = buf(ny);
    c.scratch = buf(conv_dw_pw_scratch_floats(&c.dw, &c.pw, h, w));
    sepbn_away_from_kink(&c);
    float *g = randn(ny, 1.0f), *y = buf(ny), *kept = buf((size_t)n * ch * c.p);
    float *gx = prefilled(nx), *gdw = prefilled(ndw), *gpw = prefilled(npw);
    float *gg1 = prefilled((size_t)ch), *gb1 = prefilled((size_t)ch);
    float *gg2 = prefilled((size_t)c_out), *gb2 = prefilled((size_t)c_out);
    float *coef1 = buf(3 * (size_t)ch), *coef2 = buf(3 * (size_t)c_out), *dy1 = buf(nx);
    double *sums = calloc(2 * (size_t)(ch + c_out), sizeof *sums);
    double *sg2 = sums, *sgx2 = sums + c_out, *sg1 = sums + 2 * c_out, *sgx1 = sg1 + ch;
    sepbn_fwd(&c, y);
    /* the backward as training runs it */
    ConvPre pre = sepbn_pre(&c);
    ConvPost post = {.g = g, .gs = c.gs, .mean = c.mean2, .sg = sg2, .sgx = sgx2};
    conv2d_dw_pw_forward(&c.dw, &c.pw, &pre, &post, c.z, kept, c.x, c.wdw, c.wpw, n, h, w,
                         c.scratch, 0);
    batchnorm_grad_finish(coef2, gg2, gb2, sg2, sgx2, (double)n * c.p, c.invstd2, c.gamma2, c_out);
    pre.sg = sg1, pre.sgx = sgx1;
    post = (ConvPost){.gs = c.gs, .mean = c.mean2, .x = c.z, .coef = coef2};
    conv2d_dw_pw_backward(&c.dw, &c.pw, &pre, &post, dy1, gdw, gpw, g, c.x, kept, c.wdw, c.wpw, n,
                          h, w, c.scratch, 0);
    batchnorm_grad_finish(coef1, gg1, gb1, sg1, sgx1, (double)n * hw, c.invstd1, c.gamma1, ch);
    for (int i = 0; i < n; i++) { /* written, not added */
        const size_t o = (size_t)i * ch * hw;
        batchnorm_input_grad_image(gx + o, (int)hw, dy1 + o, 1.0f, c.x + o, c.mean1, coef1, ch,
                                   (int)hw);
    }
    for (size_t i = 0; i < nx; i++)
        gx[i] += PREFILL;
    struct {
        const char *what;
        float *param, *grad;
        size_t count;
    } checks[] = {{"d/dinput", c.x, gx, nx},
                  {"d/ddepthwise", c.wdw, gdw, ndw},
                  {"d/dpointwise", c.wpw, gpw, npw},
                  {"d/dgamma1", c.gamma1, gg1, (size_t)ch},
                  {"d/dbeta1", c.beta1, gb1, (size_t)ch},
                  {"d/dgamma2", c.gamma2, gg2, (size_t)c_out},
                  {"d/dbeta2", c.beta2, gb2, (size_t)c_out}};
    for (size_t q = 0; q < sizeof checks / sizeof *checks; q++) {
        char what[160];
        snprintf(what, sizeof what, "%s %s", name, checks[q].what);
        /* the weights by a step of 2.5e-3: BN2 over few pixels can curve
         * the loss enough that 1e-2 is 4.5 % off where 1.25e-3 is 0.07 % (a
         * pointwise weight of the 8x8 case with other data: -40.58 and
         * -38.85 against the analytic -38.82); the input keeps 1e-2, whose
         * single pixels move a large loss by less than its rounding at
         * 2.5e-3 (the 120x110 case) */
        grad_check(what, sepbn_fwd, &c, checks[q].param, checks[q].count, checks[q].grad, g, ny,
                   q == 0 ? 1e-2 : 2.5e-3, 5e-3);
    }
    free(c.x), free(c.wdw), free(c.wpw), free(c.gamma1), free(c.beta1), free(c.gamma2);
    free(c.beta2), free(c.gs), free(c.mean1), free(c.invstd1), free(c.scale1), free(c.mean2);
    free(c.invstd2), free(c.z), free(c.scratch), free(g), free(y), free(kept), free(gx), free(gdw);
    free(gpw), free(gg1), free(gb1), free(gg2), free(gb2), free(coef1), free(coef2), free(dy1);
    free(sums);
}

/* ------------------------------------------------------------------ ReLU'd concat + 1x1 */

/* conv2d_relu_cat_forward and _backward: a 1x1 convolution of ReLU(the
 * concatenation of three tensors), each of them checked as an input. */
typedef struct CatCtx {
    ConvSpec s;
    int n, h, w;
    float *src[3], *wt, *scratch;
} CatCtx;

static void cat_fwd(void *p, float *y)
{
    CatCtx *c = p;
    const ConvCat in = {(const float *const *)c->src, 3, c->s.c_in / 3, 1, 0};
    conv2d_relu_cat_forward(
        &(ConvCatOut){.s = &c->s, .weight = (const float *const *)&c->wt, .out = y}, 1, &in, c->n,
        c->h, c->w, c->scratch);
}

static void check_relu_cat(int c, int c_out, int n, int h, int w)
{
    CatCtx x = {.s = {3 * c, c_out, 1, 1, 1, 0, 1, 1}, .n = n, .h = h, .w = w};
    size_t per = (size_t)n * c * h * w, ny = (size_t)n * c_out * h * w;
    size_t nw = conv_weight_count(&x.s);
    float *din[3];
    for (int b = 0; b < 3; b++) {
        x.src[b] = rand_away_from_zero(per);
        din[b] = prefilled(per);
    }
    x.wt = randn(nw, 0.5f);
    x.scratch = buf(conv_relu_cat_scratch_floats(&x.s, 1, h, w));
    float *g = randn(ny, 1.0f), *gw = prefilled(nw);
    const ConvCat in = {(const float *const *)x.src, 3, c, 1, 0};
    conv2d_relu_cat_backward(
        &(ConvCatOut){.s = &x.s, .weight = (const float *const *)&x.wt, .dout = g, .dweight = &gw},
        1, din, &in, n, h, w, x.scratch);
    char what[160];
    for (int b = 0; b < 3; b++) {
        snprintf(what, sizeof what, "ReLU(concat) + 1x1 (3x%d->%d, %dx%dx%d) d/dinput %d", c, c_out,
                 n, h, w, b);
        grad_check(what, cat_fwd, &x, x.src[b], per, din[b], g, ny, 1e-2, 2e-3);
    }
    snprintf(what, sizeof what, "ReLU(concat) + 1x1 (3x%d->%d, %dx%dx%d) d/dweight", c, c_out, n, h,
             w);
    grad_check(what, cat_fwd, &x, x.wt, nw, gw, g, ny, 1e-2, 2e-3);
    for (int b = 0; b < 3; b++)
        free(x.src[b]), free(din[b]);
    free(x.wt), free(x.scratch), free(g), free(gw);
}

/* conv2d_relu_cat_forward and _backward with two phases: a FactorizedReduce of ReLU(the
 * concatenation of three tensors), each of them checked as an input, and
 * both weights. */
typedef struct CatFrCtx {
    ConvSpec s;
    int n, h, w;
    float *src[3], *wt[2], *scratch;
} CatFrCtx;

static void cat_fr_fwd(void *p, float *y)
{
    CatFrCtx *c = p;
    const ConvCat in = {(const float *const *)c->src, 3, c->s.c_in / 3, 2, 0};
    conv2d_relu_cat_forward(
        &(ConvCatOut){.s = &c->s, .weight = (const float *const *)c->wt, .out = y}, 1, &in, c->n,
        c->h, c->w, c->scratch);
}

static void check_relu_cat_fr(int c, int c_half, int n, int h, int w)
{
    CatFrCtx x = {.s = {3 * c, c_half, 1, 1, 1, 0, 1, 1}, .n = n, .h = h, .w = w};
    size_t per = (size_t)n * c * h * w, ny = (size_t)n * 2 * c_half * (h / 2) * (w / 2);
    size_t nw = conv_weight_count(&x.s);
    float *din[3];
    for (int b = 0; b < 3; b++) {
        x.src[b] = rand_away_from_zero(per);
        din[b] = prefilled(per);
    }
    for (int k = 0; k < 2; k++)
        x.wt[k] = randn(nw, 0.5f);
    x.scratch = buf(conv_relu_cat_scratch_floats(&x.s, 2, h, w));
    float *g = randn(ny, 1.0f), *gw[2] = {prefilled(nw), prefilled(nw)};
    const ConvCat in = {(const float *const *)x.src, 3, c, 2, 0};
    conv2d_relu_cat_backward(
        &(ConvCatOut){.s = &x.s, .weight = (const float *const *)x.wt, .dout = g, .dweight = gw}, 1,
        din, &in, n, h, w, x.scratch);
    char what[160];
    for (int b = 0; b < 3; b++) {
        snprintf(what, sizeof what,
                 "FactorizedReduce of ReLU(concat) (3x%d->2x%d, %dx%dx%d) d/dinput %d", c, c_half,
                 n, h, w, b);
        grad_check(what, cat_fr_fwd, &x, x.src[b], per, din[b], g, ny, 1e-2, 2e-3);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(what, sizeof what, "FactorizedReduce of ReLU(concat) (3x%d->2x%d) d/dweight %d", c,
                 c_half, k);
        grad_check(what, cat_fr_fwd, &x, x.wt[k], nw, gw[k], g, ny, 1e-2, 2e-3);
    }
    for (int b = 0; b < 3; b++)
        free(x.src[b]), free(din[b]);
    for (int k = 0; k < 2; k++)
        free(x.wt[k]), free(gw[k]);
    free(x.scratch), free(g);
}

/* ------------------------------------------------------------------ pool */

typedef struct PoolCtx {
    int avg, n, c, h, w, stride;
    float *x;
} PoolCtx;

static void pool_fwd(void *p, float *y)
{
    PoolCtx *c = p;
    if (c->avg)
        avgpool3x3_forward(y, c->x, c->n, c->c, c->h, c->w, c->stride);
    else
        maxpool3x3_forward(y, c->x, c->n, c->c, c->h, c->w, c->stride);
}

static void check_pool(int avg, int n, int ch, int h, int w, int stride)
{
    PoolCtx c = {avg, n, ch, h, w, stride, NULL};
    size_t nx = (size_t)n * ch * h * w;
    size_t ny = (size_t)n * ch * pool3x3_out_size(h, stride) * pool3x3_out_size(w, stride);
    c.x = rand_distinct(nx);
    float *g = randn(ny, 1.0f), *gx = prefilled(nx);
    if (avg)
        avgpool3x3_backward(gx, g, n, ch, h, w, stride);
    else
        maxpool3x3_backward(gx, g, c.x, n, ch, h, w, stride);
    char what[96];
    snprintf(what, sizeof what, "%s pool 3x3 stride %d on %dx%dx%dx%d", avg ? "avg" : "max", stride,
             n, ch, h, w);
    grad_check(what, pool_fwd, &c, c.x, nx, gx, g, ny, 1e-3, 2e-3);
    free(c.x);
    free(g);
    free(gx);
}

typedef struct GapCtx {
    int n, c, hw;
    float *x;
} GapCtx;

static void gap_fwd(void *p, float *y)
{
    GapCtx *c = p;
    global_avgpool_forward(y, c->x, c->n, c->c, c->hw);
}

static void check_global_pool(void)
{
    GapCtx c = {3, 4, 13, NULL};
    size_t nx = (size_t)c.n * c.c * c.hw, ny = (size_t)c.n * c.c;
    c.x = randn(nx, 1.0f);
    float *g = randn(ny, 1.0f), *gx = prefilled(nx);
    global_avgpool_backward(gx, g, c.n, c.c, c.hw);
    grad_check("global avg pool", gap_fwd, &c, c.x, nx, gx, g, ny, 1e-2, 2e-3);
    free(c.x);
    free(g);
    free(gx);
}

/* -------------------------------------------------------------------- BN */

typedef struct BnCtx {
    int n, c, hw;
    float *x, *gamma, *beta, *mean, *invstd;
    const float *img_scale; /* y of image i times img_scale[i] (a drop-path), or NULL */
} BnCtx;

static void bn_fwd(void *p, float *y)
{
    BnCtx *b = p;
    batchnorm_forward_train(y, b->mean, b->invstd, b->x, b->gamma, b->beta, NULL, NULL, b->n, b->c,
                            b->hw, BN_MOMENTUM, BN_EPS);
    size_t per = (size_t)b->c * b->hw;
    for (size_t i = 0; b->img_scale && i < (size_t)b->n * per; i++)
        y[i] *= b->img_scale[i / per];
}

/* With img_scale: the affine BN followed by a drop-path (image 0 dropped,
 * the others scaled by 1/keep), through batchnorm_backward_set's dout_scale;
 * it writes din, so PREFILL is added here. */
static void check_bn(int affine, int n, int c, int hw, int img_scale)
{
    float *scales = buf((size_t)n);
    for (int i = 0; i < n; i++)
        scales[i] = i == 0 ? 0.0f : 1.25f;
    BnCtx b = {n, c, hw, NULL, NULL, NULL, buf(c), buf(c), img_scale ? scales : NULL};
    size_t nx = (size_t)n * c * hw;
    b.x = randn(nx, 1.5f);
    for (size_t i = 0; i < nx; i++)
        b.x[i] += 0.5f;
    if (affine) {
        b.gamma = randn(c, 0.5f);
        b.beta = randn(c, 0.5f);
        for (int i = 0; i < c; i++)
            b.gamma[i] += 1.0f;
    }
    float *y = buf(nx), *g = randn(nx, 1.0f), *gx = prefilled(nx), *gg = prefilled(c);
    float *gb = prefilled(c);
    bn_fwd(&b, y);
    if (img_scale) {
        batchnorm_backward_set(gx, gg, gb, g, scales, b.x, b.mean, b.invstd, b.gamma, n, c, hw);
        for (size_t i = 0; i < nx; i++)
            gx[i] += PREFILL;
    } else {
        batchnorm_backward(gx, affine ? gg : NULL, affine ? gb : NULL, g, b.x, b.mean, b.invstd,
                           b.gamma, n, c, hw);
    }
    char what[96];
    snprintf(what, sizeof what, "batchnorm (%s%s) %dx%dx%d d/dinput", affine ? "affine" : "plain",
             img_scale ? ", drop-path after it" : "", n, c, hw);
    grad_check(what, bn_fwd, &b, b.x, nx, gx, g, nx, 1e-2, 5e-3);
    if (affine) {
        snprintf(what, sizeof what, "batchnorm%s d/dgamma", img_scale ? " (drop-path)" : "");
        grad_check(what, bn_fwd, &b, b.gamma, c, gg, g, nx, 1e-2, 5e-3);
        snprintf(what, sizeof what, "batchnorm%s d/dbeta", img_scale ? " (drop-path)" : "");
        grad_check(what, bn_fwd, &b, b.beta, c, gb, g, nx, 1e-2, 5e-3);
    }
    free(scales);
    free(b.x);
    free(b.gamma);
    free(b.beta);
    free(b.mean);
    free(b.invstd);
    free(y);
    free(g);
    free(gx);
    free(gg);
    free(gb);
}

/* ------------------------------------------------------- relu and linear */

typedef struct VecCtx {
    size_t n;
    float *x;
} VecCtx;

static void relu_fwd(void *p, float *y)
{
    VecCtx *v = p;
    relu_forward(y, v->x, v->n);
}

static void check_relu(void)
{
    VecCtx v = {203, NULL};
    v.x = rand_away_from_zero(v.n);
    float *g = randn(v.n, 1.0f), *gx = prefilled(v.n);
    relu_backward(gx, g, v.x, v.n);
    grad_check("relu", relu_fwd, &v, v.x, v.n, gx, g, v.n, 1e-2, 2e-3);
    free(v.x);
    free(g);
    free(gx);
}

typedef struct LinCtx {
    int n, i, o;
    float *x, *w, *b;
} LinCtx;

static void lin_fwd(void *p, float *y)
{
    LinCtx *l = p;
    linear_forward(y, l->x, l->w, l->b, l->n, l->i, l->o);
}

static void check_linear(void)
{
    LinCtx l = {5, 17, 10, NULL, NULL, NULL};
    size_t nx = (size_t)l.n * l.i, nw = (size_t)l.o * l.i, ny = (size_t)l.n * l.o;
    l.x = randn(nx, 1.0f);
    l.w = randn(nw, 0.3f);
    l.b = randn(l.o, 1.0f);
    float *g = randn(ny, 1.0f), *gx = prefilled(nx), *gw = prefilled(nw), *gb = prefilled(l.o);
    linear_backward(gx, gw, gb, g, l.x, l.w, l.n, l.i, l.o);
    grad_check("linear d/dinput", lin_fwd, &l, l.x, nx, gx, g, ny, 1e-2, 2e-3);
    grad_check("linear d/dweight", lin_fwd, &l, l.w, nw, gw, g, ny, 1e-2, 2e-3);
    grad_check("linear d/dbias", lin_fwd, &l, l.b, l.o, gb, g, ny, 1e-2, 2e-3);
    free(l.x);
    free(l.w);
    free(l.b);
    free(g);
    free(gx);
    free(gw);
    free(gb);
}

/* ---------------------------------------------------------- cross-entropy */

typedef struct XentCtx {
    int n, k;
    float *logits, *probs, scale;
    int *labels;
} XentCtx;

/* y is one value: scale * loss */
static void xent_fwd(void *p, float *y)
{
    XentCtx *x = p;
    y[0] = x->scale * softmax_xent_forward(x->probs, x->logits, x->labels, x->n, x->k, NULL);
}

static void check_xent(float scale)
{
    XentCtx x = {7, 10, NULL, NULL, scale, NULL};
    size_t nl = (size_t)x.n * x.k;
    x.logits = randn(nl, 2.0f);
    x.probs = buf(nl);
    x.labels = calloc(x.n, sizeof *x.labels);
    for (int i = 0; i < x.n; i++)
        x.labels[i] = (int)rng_below(&rng, (uint32_t)x.k);
    float one = 1.0f, y, *gl = prefilled(nl);
    xent_fwd(&x, &y);
    softmax_xent_backward(gl, x.probs, x.labels, x.n, x.k, scale);
    char what[64];
    snprintf(what, sizeof what, "softmax cross-entropy (scale %g)", scale);
    grad_check(what, xent_fwd, &x, x.logits, nl, gl, &one, 1, 1e-2, 5e-3);
    free(x.logits);
    free(x.probs);
    free(x.labels);
    free(gl);
}

/* ---------------------------------------------------------- channel ops */

typedef struct ChanCtx {
    int n, c, h, w, off, src_c, src_off, dst_c, dst_off, count;
    float *x;
} ChanCtx;

static void shift_fwd(void *p, float *y)
{
    ChanCtx *c = p;
    shift1_forward(y, c->x, c->n, c->c, c->h, c->w);
}

static void sub_fwd(void *p, float *y)
{
    ChanCtx *c = p;
    subsample2_forward(y, c->x, c->n, c->c, c->h, c->w, c->off);
}

/* y: (n, dst_c, hw) zero except the copied block */
static void copy_fwd(void *p, float *y)
{
    ChanCtx *c = p;
    memset(y, 0, (size_t)c->n * c->dst_c * c->h * c->w * sizeof *y);
    channel_copy(y, c->dst_c, c->dst_off, c->x, c->src_c, c->src_off, c->count, c->n, c->h * c->w);
}

static void check_channel_ops(void)
{
    ChanCtx c = {2, 3, 7, 6, 0, 0, 0, 0, 0, 0, NULL};
    size_t nx = (size_t)c.n * c.c * c.h * c.w;
    c.x = randn(nx, 1.0f);
    size_t ny = (size_t)c.n * c.c * (c.h - 1) * (c.w - 1);
    float *g = randn(ny, 1.0f), *gx = prefilled(nx);
    shift1_backward(gx, g, c.n, c.c, c.h, c.w);
    grad_check("shift1 (odd height)", shift_fwd, &c, c.x, nx, gx, g, ny, 1e-2, 2e-3);
    free(g);
    free(gx);
    for (c.off = 0; c.off < 2; c.off++) {
        ny = (size_t)c.n * c.c * ((c.h - c.off + 1) / 2) * ((c.w - c.off + 1) / 2);
        g = randn(ny, 1.0f);
        gx = prefilled(nx);
        subsample2_backward(gx, g, c.n, c.c, c.h, c.w, c.off);
        char what[64];
        snprintf(what, sizeof what, "subsample2 offset %d (7x6)", c.off);
        grad_check(what, sub_fwd, &c, c.x, nx, gx, g, ny, 1e-2, 2e-3);
        free(g);
        free(gx);
    }
    /* copy channels 1..2 of a 3-channel tensor into channels 2..3 of a 5-channel one */
    c.src_c = 3;
    c.src_off = 1;
    c.dst_c = 5;
    c.dst_off = 2;
    c.count = 2;
    ny = (size_t)c.n * c.dst_c * c.h * c.w;
    g = randn(ny, 1.0f);
    gx = prefilled(nx);
    channel_accumulate(gx, c.src_c, c.src_off, g, c.dst_c, c.dst_off, c.count, c.n, c.h * c.w);
    grad_check("channel_copy (backward = channel_accumulate)", copy_fwd, &c, c.x, nx, gx, g, ny,
               1e-2, 2e-3);
    free(g);
    free(gx);
    free(c.x);
}

int main(void)
{
    rng_seed(&rng, 7);
    check_kernels_isa();
    parallel_set_threads(2);
    /* dense: the stem shape, stride 2 + dilation 2, the 1x1 fast path, 1x1 stride 2 */
    check_conv("dense 3x3 s1 p1 (3->4, 2x7x9)", 3, 4, 3, 1, 1, 1, 1, 2, 7, 9);
    check_conv("dense 3x3 s2 p2 d2 (3->5, 2x9x8)", 3, 5, 3, 2, 2, 2, 1, 2, 9, 8);
    check_conv("dense 1x1 fast path (5->6, 3x5x7)", 5, 6, 1, 1, 0, 1, 1, 3, 5, 7);
    check_conv("dense 1x1 s2 (4->6, 2x7x6)", 4, 6, 1, 2, 0, 1, 1, 2, 7, 6);
    check_conv("dense 5x5 s1 p2 (2->3, 2x6x5)", 2, 3, 5, 1, 2, 1, 1, 2, 6, 5);
    /* depthwise: the DARTS kinds, odd sizes, both strides */
    static const int dw[][4] = {
        /* k, dilation, pad, stride */
        {3, 1, 1, 1}, {3, 1, 1, 2}, {5, 1, 2, 1}, {5, 1, 2, 2}, {3, 2, 2, 1}, {3, 2, 2, 2},
        {5, 2, 4, 1}, {5, 2, 4, 2}, {3, 1, 0, 1}, {3, 1, 3, 1}, {3, 1, 2, 3},
    };
    for (size_t i = 0; i < sizeof dw / sizeof *dw; i++) {
        char name[96];
        snprintf(name, sizeof name, "depthwise %dx%d d%d p%d s%d (3ch, 2x9x11)", dw[i][0], dw[i][0],
                 dw[i][1], dw[i][2], dw[i][3]);
        check_conv(name, 3, 3, dw[i][0], dw[i][3], dw[i][2], dw[i][1], 3, 2, 9, 11);
    }
    check_conv("depthwise 3x3 s1 (16ch, 2x7x7)", 16, 16, 3, 1, 1, 1, 16, 2, 7, 7);
    check_conv("depthwise 5x5 d2 s2 (8ch, 3x14x14)", 8, 8, 5, 2, 4, 2, 8, 3, 14, 14);
    check_conv("depthwise 3x3 s2 (4ch, 2x14x14)", 4, 4, 3, 2, 1, 1, 4, 2, 14, 14);
    /* one channel (model.init_channels = 1): depthwise and dense at once */
    check_conv("depthwise 3x3 s1 (1ch, 2x9x11)", 1, 1, 3, 1, 1, 1, 1, 2, 9, 11);
    check_conv("depthwise 5x5 d2 s2 (1ch, 2x9x11)", 1, 1, 5, 2, 4, 2, 1, 2, 9, 11);
    check_conv("1x1 s1 (1ch, 2x5x7)", 1, 1, 1, 1, 0, 1, 1, 2, 5, 7);
    /* the fused SepConv block, plain and fed ReLU(BN(x)); the second shape
     * is beyond the plane buffer (the naive path) */
    check_relu_cat(3, 4, 2, 5, 7);
    check_relu_cat_fr(3, 4, 2, 6, 8);
    check_dw_pw("fused dw 3x3 + pw (4->5, 2x9x11)", 0, 4, 5, 3, 1, 1, 1, 2, 9, 11);
    check_dw_pw("fused ReLU(BN) + dw 3x3 + pw (4->5, 2x9x11)", 1, 4, 5, 3, 1, 1, 1, 2, 9, 11);
    check_dw_pw("fused ReLU + dw 3x3 + pw (4->5, 2x9x11)", 2, 4, 5, 3, 1, 1, 1, 2, 9, 11);
    check_dw_pw("fused ReLU + dw 3x3 d2 + pw (3->3, 2x14x14)", 2, 3, 3, 3, 1, 2, 2, 2, 14, 14);
    check_dw_pw("fused ReLU + dw 3x3 + pw (1->2, 1x120x110)", 2, 1, 2, 3, 1, 1, 1, 1, 120, 110);
    check_dw_pw("fused ReLU(BN) + dw 5x5 d2 s2 + pw (3->3, 2x8x8)", 1, 3, 3, 5, 2, 4, 2, 2, 8, 8);
    /* stride 2 by the upsampled gradient (conv.c DwBack): by strips on
     * 14x14, by paired strips on 8x8 (and 5x5 d2 above) */
    check_dw_pw("fused ReLU + dw 3x3 s2 + pw (4->4, 2x14x14)", 2, 4, 4, 3, 2, 1, 1, 2, 14, 14);
    check_dw_pw("fused ReLU(BN) + dw 5x5 s2 + pw (4->4, 2x8x8)", 1, 4, 4, 5, 2, 2, 1, 2, 8, 8);
    check_dw_pw("fused ReLU(BN) + dw 3x3 + pw (1->2, 1x120x110)", 1, 1, 2, 3, 1, 1, 1, 1, 120, 110);
    /* the channels across the vector (dwvec.h): 16 a block on AVX-512, 8 on AVX2 */
    check_dw_pw("fused dw 3x3 + pw (16->8, 1x6x7), channels across", 0, 16, 8, 3, 1, 1, 1, 1, 6, 7);
    /* a SepConv's middle in channels-last blocks (conv.h): the first block
     * writing them, the second reading them */
    check_dw_pw_in("fused ReLU + dw 3x3 + pw (16->16, 2x7x6), writing channels-last blocks", 2, 16,
                   16, 3, 1, 1, 1, 2, 7, 6, DWPW_OUT_CL);
    check_dw_pw_in("fused ReLU(BN) + dw 5x5 d2 + pw (16->32, 1x9x8), reading channels-last blocks",
                   1, 16, 32, 5, 1, 4, 2, 1, 9, 8, DWPW_IN_CL);
    check_dw_pw("fused ReLU(BN) + dw 3x3 d2 + pw (16->4, 1x7x9), channels across", 1, 16, 4, 3, 1,
                2, 2, 1, 7, 9);
    check_dw_pw("fused ReLU + dw 5x5 + pw (32->4, 1x5x6), channels across", 2, 32, 4, 5, 1, 2, 1, 1,
                5, 6);
    check_sep_bn("BN + ReLU + dw 3x3 + pw (4->5) + BN, backward fused, 3x9x11", 4, 5, 3, 1, 1, 1, 3,
                 9, 11);
    check_sep_bn("BN + ReLU + dw 3x3 + pw (16->16) + BN, backward fused, 2x7x7, channels across",
                 16, 16, 3, 1, 1, 1, 2, 7, 7);
    check_sep_bn("BN + ReLU + dw 5x5 d2 s2 + pw (3->3) + BN, backward fused, 2x8x8", 3, 3, 5, 2, 4,
                 2, 2, 8, 8);
    check_sep_bn("BN + ReLU + dw 3x3 + pw (2->3) + BN, backward fused, 2x120x110", 2, 3, 3, 1, 1, 1,
                 2, 120, 110);
    check_sep_bn("BN + ReLU + dw 3x3 + pw (2->3) + BN, backward fused, 2x16x16 (rows padded)", 2, 3,
                 3, 1, 1, 1, 2, 16, 16);
    check_pool(0, 2, 3, 7, 9, 1);
    check_pool(0, 2, 3, 7, 9, 2);
    check_pool(0, 2, 2, 8, 8, 2);
    check_pool(1, 2, 3, 7, 9, 1);
    check_pool(1, 2, 3, 7, 9, 2);
    check_pool(1, 2, 2, 8, 8, 2);
    check_global_pool();
    check_bn(1, 4, 3, 5 * 7, 0);
    check_bn(0, 3, 4, 6 * 5, 0);
    check_bn(1, 4, 3, 5 * 7, 1);
    check_relu();
    check_linear();
    check_xent(1.0f);
    check_xent(0.5f);
    check_channel_ops();
    return tap_done();
}
