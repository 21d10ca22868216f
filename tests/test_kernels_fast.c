/* test_kernels_fast: the fast kernels against the naive ones kept beside
 * them, on the shapes the supernet uses (including widths that are not a
 * multiple of 8 and planes too large for the fast path), and their
 * determinism: the same call twice with 2 threads gives the same bits, and so
 * does 1 thread against 2 (every kernel here splits its work so that the
 * arithmetic of each output does not depend on the partition). */
#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"
#include "dartboard/conv.h"
#include "dartboard/parallel.h"
#include "dartboard/pool.h"
#include "dartboard/rng.h"
#include "kernels_isa.h"
#include "tap.h"

#include <string.h>

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

/* max |got - want| / max(|want|, 1e-2 * max|want|) <= rtol: the naive
 * kernels sum in double, the fast ones in float. */
static int near(const float *got, const float *want, size_t n, double rtol)
{
    double mx = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / (fmax(1e-2 * mx, fabs(want[i])) + 1e-30);
        if (!(e <= worst))
            worst = e;
    }
    if (!(worst <= rtol))
        diag("  max rel. error %.3g", worst);
    return worst <= rtol;
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* ------------------------------------------------------------------ conv */

typedef struct ConvRun {
    float *y, *gx, *gw;
} ConvRun;

static ConvRun conv_run(const ConvSpec *s, const float *x, const float *w, const float *g, int n,
                        int h, int wd, size_t ny, size_t nx, size_t nw, int naive)
{
    ConvRun r = {buf(ny), buf(nx), buf(nw)};
    if (naive) {
        conv2d_forward_naive(s, r.y, x, w, n, h, wd);
        conv2d_backward_naive(s, r.gx, r.gw, g, x, w, n, h, wd);
    } else {
        float *scratch = buf(conv_scratch_floats(s, n, h, wd));
        conv2d_forward(s, r.y, x, w, n, h, wd, scratch);
        conv2d_backward(s, r.gx, r.gw, g, x, w, n, h, wd, scratch);
        free(scratch);
    }
    return r;
}

static void conv_free(ConvRun *r)
{
    free(r->y);
    free(r->gx);
    free(r->gw);
}

static void check_conv(int c_in, int c_out, int k, int stride, int pad, int dil, int groups, int n,
                       int h, int w)
{
    ConvSpec s = {c_in, c_out, k, k, stride, pad, dil, groups};
    const int ho = conv_out_size(h, k, stride, pad, dil),
              wo = conv_out_size(w, k, stride, pad, dil);
    const size_t nx = (size_t)n * c_in * h * w, ny = (size_t)n * c_out * ho * wo;
    const size_t nw = conv_weight_count(&s);
    char name[128];
    snprintf(name, sizeof name, "conv %d->%d %dx%d s%d p%d d%d g%d on %dx%dx%d", c_in, c_out, k, k,
             stride, pad, dil, groups, n, h, w);
    float *x = randn(nx, 1.0f), *wt = randn(nw, 0.5f), *g = randn(ny, 1.0f);

    parallel_set_threads(2);
    ConvRun ref = conv_run(&s, x, wt, g, n, h, w, ny, nx, nw, 1);
    ConvRun a = conv_run(&s, x, wt, g, n, h, w, ny, nx, nw, 0);
    ok(near(a.y, ref.y, ny, 1e-4), "%s: forward = naive", name);
    ok(near(a.gx, ref.gx, nx, 1e-4), "%s: grad input = naive", name);
    ok(near(a.gw, ref.gw, nw, 1e-4), "%s: grad weight = naive", name);

    /* one gradient at a time gives the same bits as both together */
    float *scratch = buf(conv_scratch_floats(&s, n, h, w));
    float *gx = buf(nx), *gw = buf(nw);
    conv2d_backward(&s, gx, NULL, g, x, wt, n, h, w, scratch);
    conv2d_backward(&s, NULL, gw, g, x, wt, n, h, w, scratch);
    ok(same_bits(gx, a.gx, nx) && same_bits(gw, a.gw, nw),
       "%s: din-only and dweight-only backward give the same bits", name);
    /* the writing backward over garbage: the bits of the adding one into zeros */
    for (size_t i = 0; i < nx; i++)
        gx[i] = 1e6f;
    conv2d_backward_set(&s, gx, NULL, g, x, wt, n, h, w, scratch);
    ok(same_bits(gx, a.gx, nx), "%s: conv2d_backward_set writes din, the same bits", name);
    /* the adding backward into what din holds: that plus the gradient */
    float *d0 = randn(nx, 1.0f);
    memcpy(gx, d0, nx * sizeof *gx);
    conv2d_backward(&s, gx, NULL, g, x, wt, n, h, w, scratch);
    for (size_t i = 0; i < nx; i++)
        gx[i] -= d0[i];
    ok(near(gx, a.gx, nx, 1e-4), "%s: the backward adds to what din holds", name);
    free(d0);
    free(scratch);
    free(gx);
    free(gw);

    ConvRun b = conv_run(&s, x, wt, g, n, h, w, ny, nx, nw, 0);
    ok(same_bits(a.y, b.y, ny) && same_bits(a.gx, b.gx, nx) && same_bits(a.gw, b.gw, nw),
       "%s: 2 threads twice, identical bits", name);
    parallel_set_threads(1);
    ConvRun c = conv_run(&s, x, wt, g, n, h, w, ny, nx, nw, 0);
    ok(same_bits(a.y, c.y, ny) && same_bits(a.gx, c.gx, nx) && same_bits(a.gw, c.gw, nw),
       "%s: 1 thread = 2 threads, identical bits", name);
    parallel_set_threads(2);
    conv_free(&ref);
    conv_free(&a);
    conv_free(&b);
    conv_free(&c);
    free(x);
    free(wt);
    free(g);
}

/* ------------------------------------------------------------------ pool */

/* Reference backward: the definitions, one window at a time. */
static void pool_backward_ref(float *din, const float *dout, const float *in, int n, int c, int h,
                              int w, int stride, int avg)
{
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    for (long q = 0; q < (long)n * c; q++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int cnt = 0, best = -1;
                for (int iy = oy * stride - 1; iy <= oy * stride + 1; iy++)
                    for (int ix = ox * stride - 1; ix <= ox * stride + 1; ix++) {
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        cnt++;
                        int at = iy * w + ix;
                        if (best < 0 || in[q * h * w + at] > in[q * h * w + best])
                            best = at;
                    }
                float gv = dout[(q * ho + oy) * wo + ox];
                for (int iy = oy * stride - 1; iy <= oy * stride + 1; iy++)
                    for (int ix = ox * stride - 1; ix <= ox * stride + 1; ix++) {
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        if (avg)
                            din[q * h * w + iy * w + ix] += gv / (float)cnt;
                        else if (iy * w + ix == best)
                            din[q * h * w + iy * w + ix] += gv;
                    }
            }
}

static void check_pool(int avg, int n, int c, int h, int w, int stride)
{
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    const size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * ho * wo;
    char name[96];
    snprintf(name, sizeof name, "%s pool s%d on %dx%dx%dx%d", avg ? "avg" : "max", stride, n, c, h,
             w);
    float *x = randn(nx, 1.0f), *g = randn(ny, 1.0f);
    /* ties: a quarter of the values repeat a neighbour's, the first must win */
    for (size_t i = 1; i < nx; i += 4)
        x[i] = x[i - 1];
    /* din starts nonzero: the backward adds to what it holds */
    float *y = buf(ny), *yr = buf(ny), *din0 = randn(nx, 1.0f), *gx = buf(nx), *gr = buf(nx);
    memcpy(gx, din0, nx * sizeof *gx);
    memcpy(gr, din0, nx * sizeof *gr);
    parallel_set_threads(2);
    if (avg) {
        avgpool3x3_forward(y, x, n, c, h, w, stride);
        avgpool3x3_forward_naive(yr, x, n, c, h, w, stride);
        avgpool3x3_backward(gx, g, n, c, h, w, stride);
    } else {
        maxpool3x3_forward(y, x, n, c, h, w, stride);
        maxpool3x3_forward_naive(yr, x, n, c, h, w, stride);
        maxpool3x3_backward(gx, g, x, n, c, h, w, stride);
    }
    pool_backward_ref(gr, g, x, n, c, h, w, stride, avg);
    ok(near(y, yr, ny, 1e-5), "%s: forward = naive", name);
    ok(near(gx, gr, nx, 1e-5), "%s: backward = reference%s", name,
       avg ? "" : " (ties to the first element)");
    float *y1 = buf(ny), *gx1 = buf(nx);
    memcpy(gx1, din0, nx * sizeof *gx1);
    parallel_set_threads(1);
    if (avg) {
        avgpool3x3_forward(y1, x, n, c, h, w, stride);
        avgpool3x3_backward(gx1, g, n, c, h, w, stride);
    } else {
        maxpool3x3_forward(y1, x, n, c, h, w, stride);
        maxpool3x3_backward(gx1, g, x, n, c, h, w, stride);
    }
    parallel_set_threads(2);
    ok(same_bits(y, y1, ny) && same_bits(gx, gx1, nx), "%s: 1 thread = 2 threads, identical bits",
       name);
    free(x);
    free(g);
    free(y);
    free(yr);
    free(gx);
    free(gr);
    free(y1);
    free(gx1);
    free(din0);
}

/* The pools of a BN's output read through PoolPre from its input: as the
 * pools of the output stored (its formula, near: the test's own arithmetic
 * may not fuse the multiply-add as the kernels' build does), ties (equal
 * inputs, and a zero scale) to the first element. */
static void check_pool_pre(int avg, int n, int c, int h, int w, int stride)
{
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    const size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * ho * wo;
    char name[96];
    snprintf(name, sizeof name, "%s pool s%d through a BN on %dx%dx%dx%d", avg ? "avg" : "max",
             stride, n, c, h, w);
    float *x = randn(nx, 2.0f), *g = randn(ny, 1.0f), *bn = randn(3 * (size_t)c, 1.0f);
    for (size_t i = 1; i < nx; i += 4)
        x[i] = x[i - 1];
    float *mean = bn, *scale = bn + c, *shift = bn + 2 * c;
    scale[c - 1] = 0.0f; /* a channel of equal values */
    float *stored = buf(nx);
    for (size_t i = 0; i < nx; i++) {
        const int ch = (int)(i / ((size_t)h * w) % c);
        stored[i] = (x[i] - mean[ch]) * scale[ch] + shift[ch];
    }
    const PoolPre pre = {mean, scale, shift};
    float *y = buf(ny), *yr = buf(ny), *din0 = randn(nx, 1.0f), *gx = buf(nx), *gr = buf(nx);
    memcpy(gx, din0, nx * sizeof *gx);
    memcpy(gr, din0, nx * sizeof *gr);
    if (avg) {
        avgpool3x3_forward_pre(y, x, &pre, n, c, h, w, stride);
        avgpool3x3_forward(yr, stored, n, c, h, w, stride);
    } else {
        maxpool3x3_forward_pre(y, x, &pre, n, c, h, w, stride);
        maxpool3x3_forward(yr, stored, n, c, h, w, stride);
        maxpool3x3_backward_pre(gx, g, x, &pre, n, c, h, w, stride);
        maxpool3x3_backward(gr, g, stored, n, c, h, w, stride);
    }
    ok(near(y, yr, ny, 1e-5) && near(gx, gr, nx, 1e-5), "%s: as the pools of the stored output%s",
       name, avg ? "" : ", forward and backward");
    float *y1 = buf(ny), *gx1 = buf(nx);
    memcpy(gx1, din0, nx * sizeof *gx1);
    parallel_set_threads(1);
    if (avg) {
        avgpool3x3_forward_pre(y1, x, &pre, n, c, h, w, stride);
    } else {
        maxpool3x3_forward_pre(y1, x, &pre, n, c, h, w, stride);
        maxpool3x3_backward_pre(gx1, g, x, &pre, n, c, h, w, stride);
    }
    parallel_set_threads(2);
    ok(same_bits(y, y1, ny) && same_bits(gx, gx1, nx), "%s: 1 thread = 2 threads, identical bits",
       name);
    free(x);
    free(g);
    free(bn);
    free(stored);
    free(y);
    free(yr);
    free(din0);
    free(gx);
    free(gr);
    free(y1);
    free(gx1);
}

/* -------------------------------------------------------------------- BN */

static void bn_run(float *y, float *gx, float *stats, const float *x, const float *g, int n, int c,
                   int hw)
{
    float *rm = stats + 2 * c, *rv = stats + 3 * c;
    for (int i = 0; i < c; i++) {
        rm[i] = 0.0f;
        rv[i] = 1.0f;
    }
    batchnorm_forward_train(y, stats, stats + c, x, NULL, NULL, rm, rv, n, c, hw, BN_MOMENTUM,
                            BN_EPS);
    batchnorm_backward(gx, NULL, NULL, g, x, stats, stats + c, NULL, n, c, hw);
}

static void check_bn_threads(int n, int c, int hw)
{
    const size_t nx = (size_t)n * c * hw;
    float *x = randn(nx, 2.0f), *g = randn(nx, 1.0f);
    float *y2 = buf(nx), *g2 = buf(nx), *s2 = buf(4 * c);
    float *y2b = buf(nx), *g2b = buf(nx), *s2b = buf(4 * c);
    float *y1 = buf(nx), *g1 = buf(nx), *s1 = buf(4 * c);
    parallel_set_threads(2);
    bn_run(y2, g2, s2, x, g, n, c, hw);
    bn_run(y2b, g2b, s2b, x, g, n, c, hw);
    parallel_set_threads(1);
    bn_run(y1, g1, s1, x, g, n, c, hw);
    parallel_set_threads(2);
    ok(same_bits(y2, y2b, nx) && same_bits(g2, g2b, nx) && same_bits(s2, s2b, 4 * c),
       "batchnorm %dx%dx%d: 2 threads twice, identical bits", n, c, hw);
    ok(same_bits(y2, y1, nx) && same_bits(g2, g1, nx) && same_bits(s2, s1, 4 * c),
       "batchnorm %dx%dx%d: 1 thread = 2 threads, identical bits", n, c, hw);
    /* a large mean against a small spread: the two-pass variance holds up
     * (the output variance is var / (var + eps), computed here in double).
     * The mean itself is a float near 1000, exact to 3e-5 = 0.0015 std. */
    for (size_t i = 0; i < nx; i++)
        x[i] = 1000.0f + 0.01f * x[i];
    bn_run(y2, g2, s2, x, g, n, c, hw);
    double s = 0.0, ss = 0.0, xs = 0.0, xss = 0.0, m = (double)n * hw;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < hw; j++)
            xs += x[(size_t)i * c * hw + j];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < hw; j++) {
            double v = y2[(size_t)i * c * hw + j], d = x[(size_t)i * c * hw + j] - xs / m;
            s += v;
            ss += v * v;
            xss += d * d;
        }
    double want = (xss / m) / (xss / m + BN_EPS);
    ok(fabs(s / m) < 4e-3 && fabs(ss / m - want) < 2e-5 * want,
       "batchnorm: mean 1000, std 0.02 normalises to mean %.2g, var %.6g (want %.6g)", s / m,
       ss / m, want);
    free(x);
    free(g);
    free(y2);
    free(g2);
    free(s2);
    free(y2b);
    free(g2b);
    free(s2b);
    free(y1);
    free(g1);
    free(s1);
}

/* The 1x1 convolution of ReLU(a concatenation it never stores) gives the
 * bits of conv2d_forward on the stored ReLU(concatenation); its backward the
 * input gradient of conv2d_backward's, through the ReLU, added into each
 * part; its weight gradient, summed image by image in one order, near
 * conv2d_backward's (four groups). */
static void check_relu_cat(int count, int c, int c_out, int n, int h, int w)
{
    const ConvSpec pw = {count * c, c_out, 1, 1, 1, 0, 1, 1};
    const size_t hw = (size_t)h * w, per = (size_t)c * hw, part = (size_t)n * per;
    const size_t ncat = (size_t)n * count * per, nout = (size_t)n * c_out * hw;
    const size_t nw = conv_weight_count(&pw);
    float *src[4], *din[4], *xcat = buf(ncat), *wt = randn(nw, 0.5f);
    for (int b = 0; b < count; b++) {
        src[b] = randn(part, 1.0f);
        din[b] = randn(part, 1.0f);
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < per; e++) {
                const float v = src[b][(size_t)i * per + e];
                xcat[((size_t)i * count + b) * per + e] = v > 0.0f ? v : 0.0f;
            }
    }
    const ConvCat in = {(const float *const *)src, count, c, 1, 0};
    float *want = buf(nout), *got = randn(nout, 1.0f);
    float *scr = buf(conv_scratch_floats(&pw, n, h, w)),
          *scratch = buf(conv_relu_cat_scratch_floats(&pw, 1, h, w));
    conv2d_forward(&pw, want, xcat, wt, n, h, w, scr);
    conv2d_relu_cat_forward(
        &(ConvCatOut){.s = &pw, .weight = (const float *const *)&wt, .out = got}, 1, &in, n, h, w,
        scratch);
    ok(same_bits(got, want, nout),
       "ReLU(concat of %dx%d) + 1x1 to %d on %dx%dx%d: the bits of the stored ReLU's convolution",
       count, c, c_out, n, h, w);
    float *g = randn(nout, 1.0f), *dcat = buf(ncat), *dw_want = buf(nw), *dw_got = buf(nw);
    float *din_want[4];
    conv2d_backward(&pw, dcat, dw_want, g, xcat, wt, n, h, w, scr);
    for (int b = 0; b < count; b++) {
        din_want[b] = buf(part);
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < per; e++) {
                const size_t q = (size_t)i * per + e, qc = ((size_t)i * count + b) * per + e;
                din_want[b][q] = din[b][q] + (xcat[qc] > 0.0f ? dcat[qc] : 0.0f);
            }
    }
    float *din0 = buf(part); /* din[0] before the backward adds into it */
    memcpy(din0, din[0], part * sizeof *din0);
    conv2d_relu_cat_backward(
        &(ConvCatOut){.s = &pw, .weight = (const float *const *)&wt, .dout = g, .dweight = &dw_got},
        1, din, &in, n, h, w, scratch);
    int same = 1;
    for (int b = 0; b < count; b++)
        same &= same_bits(din[b], din_want[b], part);
    ok(same && near(dw_got, dw_want, nw, 1e-5),
       "... and its backward: the input gradient added through the ReLU, the weight gradient");
    if (count == 1) { /* the source a ReLU's output already: read in place, the same bits */
        const float *relu = xcat;
        const ConvCat done = {&relu, 1, c, 1, 1};
        float *got2 = buf(nout), *dw2 = buf(nw);
        conv2d_relu_cat_forward(
            &(ConvCatOut){.s = &pw, .weight = (const float *const *)&wt, .out = got2}, 1, &done, n,
            h, w, scratch);
        conv2d_relu_cat_backward(
            &(ConvCatOut){
                .s = &pw, .weight = (const float *const *)&wt, .dout = g, .dweight = &dw2},
            1, &din0, &done, n, h, w, scratch);
        ok(same_bits(got2, got, nout) && same_bits(dw2, dw_got, nw) &&
               same_bits(din0, din_want[0], part),
           "... read in place when it is a ReLU's output already (relu_done): the same bits");
        free(got2), free(dw2);
    }
    /* with a second 1x1 (c_out + 3) of the same input, sharing the gathers
     * (two cells' preprocessings): each output and weight gradient the bits
     * of its own call; the input gradients summed, then added once (near
     * the two calls' adds) */
    const ConvSpec pw2 = {count * c, c_out + 3, 1, 1, 1, 0, 1, 1};
    const size_t nw2 = conv_weight_count(&pw2), nout2 = (size_t)n * pw2.c_out * hw;
    float *wt2 = randn(nw2, 0.5f), *got_b = buf(nout2), *want_b = buf(nout2);
    float *g2 = randn(nout2, 1.0f), *dw_a = buf(nw), *dw_b = buf(nw2), *dw_b1 = buf(nw2);
    float *scratch2 = buf(conv_relu_cat_scratch_floats(&pw2, 1, h, w));
    const ConvCatOut two[2] = {
        {.s = &pw, .weight = (const float *const *)&wt, .out = got, .dout = g, .dweight = &dw_a},
        {.s = &pw2,
         .weight = (const float *const *)&wt2,
         .out = got_b,
         .dout = g2,
         .dweight = &dw_b}};
    conv2d_relu_cat_forward(two, 2, &in, n, h, w, scratch2);
    conv2d_relu_cat_forward(
        &(ConvCatOut){.s = &pw2, .weight = (const float *const *)&wt2, .out = want_b}, 1, &in, n, h,
        w, scratch2);
    ok(same_bits(got, want, nout) && same_bits(got_b, want_b, nout2),
       "... and with a second 1x1 to %d sharing its gathers: the bits of each alone", pw2.c_out);
    float *din_two[4];
    for (int b = 0; b < count; b++) { /* the two calls' adds, into din_want */
        din_two[b] = buf(part);
        memcpy(din_two[b], din[b], part * sizeof *din_two[b]);
    }
    conv2d_relu_cat_backward(
        &(ConvCatOut){
            .s = &pw2, .weight = (const float *const *)&wt2, .dout = g2, .dweight = &dw_b1},
        1, din, &in, n, h, w, scratch2);
    conv2d_relu_cat_backward(two, 2, din_two, &in, n, h, w, scratch2);
    memset(dw_got, 0, nw * sizeof *dw_got);
    conv2d_relu_cat_backward(
        &(ConvCatOut){.s = &pw, .weight = (const float *const *)&wt, .dout = g, .dweight = &dw_got},
        1, din, &in, n, h, w, scratch2);
    same = same_bits(dw_a, dw_got, nw) && same_bits(dw_b, dw_b1, nw2);
    for (int b = 0; b < count; b++)
        same &= near(din_two[b], din[b], part, 1e-5);
    ok(same, "... and its backward: each weight gradient the bits of its own call, the input "
             "gradient near the two calls'");
    if (h % 2 == 0 && w % 2 == 0) {
        /* with a FactorizedReduce (to 2 x 5) of the same input sharing the
         * gathers (the cell after a reduction): its phases from the image in
         * cache, the bits of its own call; the input gradients summed */
        const ConvSpec pwf = {count * c, 5, 1, 1, 1, 0, 1, 1};
        const size_t nwf = conv_weight_count(&pwf), noutf = (size_t)n * 2 * 5 * (hw / 4);
        float *wf[2] = {randn(nwf, 0.5f), randn(nwf, 0.5f)}, *got_f = buf(noutf);
        float *want_f = buf(noutf), *gf = randn(noutf, 1.0f);
        float *dwf[2] = {buf(nwf), buf(nwf)}, *dwf1[2] = {buf(nwf), buf(nwf)}, *dw_a2 = buf(nw);
        float *scratch3 = buf(conv_relu_cat_scratch_floats(&pw, 1, h, w) +
                              conv_relu_cat_fr_scratch_floats(&pwf, h, w));
        float *scratchf = buf(conv_relu_cat_scratch_floats(&pwf, 2, h, w));
        const ConvCat twoph = {(const float *const *)src, count, c, 2, 0};
        const ConvCatOut fr[2] = {{.s = &pw,
                                   .weight = (const float *const *)&wt,
                                   .out = got,
                                   .dout = g,
                                   .dweight = &dw_a2},
                                  {.s = &pwf,
                                   .weight = (const float *const *)wf,
                                   .out = got_f,
                                   .dout = gf,
                                   .dweight = dwf,
                                   .phases = 2}};
        conv2d_relu_cat_forward(fr, 2, &in, n, h, w, scratch3);
        conv2d_relu_cat_forward(
            &(ConvCatOut){.s = &pwf, .weight = (const float *const *)wf, .out = want_f}, 1, &twoph,
            n, h, w, scratchf);
        ok(same_bits(got, want, nout) && same_bits(got_f, want_f, noutf),
           "... and with a FactorizedReduce sharing its gathers: the bits of each alone");
        for (int b = 0; b < count; b++)
            memcpy(din_two[b], din[b], part * sizeof *din_two[b]);
        conv2d_relu_cat_backward(
            &(ConvCatOut){
                .s = &pwf, .weight = (const float *const *)wf, .dout = gf, .dweight = dwf1},
            1, din, &twoph, n, h, w, scratchf);
        memset(dw_got, 0, nw * sizeof *dw_got);
        conv2d_relu_cat_backward(
            &(ConvCatOut){
                .s = &pw, .weight = (const float *const *)&wt, .dout = g, .dweight = &dw_got},
            1, din, &in, n, h, w, scratch2);
        conv2d_relu_cat_backward(fr, 2, din_two, &in, n, h, w, scratch3);
        same = same_bits(dw_a2, dw_got, nw) && same_bits(dwf[0], dwf1[0], nwf) &&
               same_bits(dwf[1], dwf1[1], nwf);
        for (int b = 0; b < count; b++)
            same &= near(din_two[b], din[b], part, 1e-5);
        ok(same, "... and its backward: each weight gradient the bits of its own call, the input "
                 "gradient near the two calls'");
        free(wf[0]), free(wf[1]), free(got_f), free(want_f), free(gf), free(dwf[0]), free(dwf[1]);
        free(dwf1[0]), free(dwf1[1]), free(dw_a2), free(scratch3), free(scratchf);
    }
    for (int b = 0; b < count; b++)
        free(din_two[b]);
    free(wt2), free(got_b), free(want_b), free(g2), free(dw_a), free(dw_b), free(dw_b1);
    free(scratch2);
    free(din0);
    for (int b = 0; b < count; b++)
        free(src[b]), free(din[b]), free(din_want[b]);
    free(xcat), free(wt), free(want), free(got), free(scr), free(scratch), free(g), free(dcat);
    free(dw_want), free(dw_got);
}

/* The 1x1 of a ReLU'd concatenation (one phase, or two: a FactorizedReduce)
 * with the training BN after it fused (ConvPost): the forward's output and
 * statistics, and the backward from the BN's output gradient (image i
 * scaled by gs[i]) with batchnorm_grad_sums + _finish, against the
 * forward, batchnorm_backward_set and the unfused backward: the same bits. */
static void check_relu_cat_bn(int count, int c, int c_out, int phases, int n, int h, int w)
{
    const ConvSpec pw = {count * c, c_out, 1, 1, 1, 0, 1, 1};
    const int p = (h / phases) * (w / phases), co = phases * c_out;
    const size_t per = (size_t)c * h * w, part = (size_t)n * per, nout = (size_t)n * co * p;
    const size_t nw = conv_weight_count(&pw);
    float *src[4], *din_want[4], *din_got[4], *wt[2] = {randn(nw, 0.5f), randn(nw, 0.5f)};
    for (int b = 0; b < count; b++) {
        src[b] = randn(part, 1.0f);
        din_want[b] = randn(part, 1.0f);
        din_got[b] = buf(part);
        memcpy(din_got[b], din_want[b], part * sizeof *din_got[b]);
    }
    const ConvCat in = {(const float *const *)src, count, c, phases, 0};
    float *scratch = buf(conv_relu_cat_scratch_floats(&pw, phases, h, w));
    float *z = buf(nout), *zf = buf(nout), *st = buf(4 * (size_t)co), *gamma = randn(co, 1.0f);
    double *acc = calloc(2 * (size_t)co, sizeof *acc);
    conv2d_relu_cat_forward(&(ConvCatOut){.s = &pw, .weight = (const float *const *)wt, .out = z},
                            1, &in, n, h, w, scratch);
    batchnorm_forward_train(NULL, st, st + co, z, NULL, NULL, NULL, NULL, n, co, p, BN_MOMENTUM,
                            BN_EPS);
    const ConvPost stats = {.mean2 = acc};
    conv2d_relu_cat_forward(
        &(ConvCatOut){.s = &pw, .weight = (const float *const *)wt, .out = zf, .post = &stats}, 1,
        &in, n, h, w, scratch);
    batchnorm_stats_finish(st + 2 * co, st + 3 * co, NULL, NULL, acc, acc + co, (double)n * p, co,
                           BN_MOMENTUM, BN_EPS);
    ok(same_bits(zf, z, nout) && near(st + 2 * co, st, 2 * (size_t)co, 1e-5),
       "ReLU(concat of %dx%d) + 1x1 to %d, %d phase(s), on %dx%dx%d taking the statistics of the "
       "BN after it: the same output, the forward's mean and invstd",
       count, c, c_out, phases, n, h, w);
    float *g = randn(nout, 1.0f), *gs = randn((size_t)n, 1.0f), *dz = buf(nout);
    float *bn_want = buf(2 * (size_t)co), *bn_got = buf(2 * (size_t)co),
          *coef = buf(3 * (size_t)co);
    float *dw_want[2] = {buf(nw), buf(nw)}, *dw_got[2] = {buf(nw), buf(nw)};
    batchnorm_backward_set(dz, bn_want, bn_want + co, g, gs, z, st, st + co, gamma, n, co, p);
    conv2d_relu_cat_backward(
        &(ConvCatOut){.s = &pw, .weight = (const float *const *)wt, .dout = dz, .dweight = dw_want},
        1, din_want, &in, n, h, w, scratch);
    batchnorm_grad_sums(acc, acc + co, g, gs, z, st, n, co, p);
    batchnorm_grad_finish(coef, bn_got, bn_got + co, acc, acc + co, (double)n * p, st + co, gamma,
                          co);
    const ConvPost post = {.gs = gs, .mean = st, .x = z, .coef = coef};
    conv2d_relu_cat_backward(&(ConvCatOut){.s = &pw,
                                           .weight = (const float *const *)wt,
                                           .post = &post,
                                           .dout = g,
                                           .dweight = dw_got},
                             1, din_got, &in, n, h, w, scratch);
    int same = same_bits(bn_got, bn_want, 2 * (size_t)co);
    for (int b = 0; b < count; b++)
        same &= same_bits(din_got[b], din_want[b], part);
    for (int k = 0; k < phases; k++)
        same &= same_bits(dw_got[k], dw_want[k], nw);
    ok(same, "... and its backward from the BN's output gradient: the bits of the BN's backward, "
             "then its own");
    for (int b = 0; b < count; b++)
        free(src[b]), free(din_want[b]), free(din_got[b]);
    for (int k = 0; k < 2; k++)
        free(wt[k]), free(dw_want[k]), free(dw_got[k]);
    free(scratch), free(z), free(zf), free(st), free(gamma), free(acc), free(g), free(gs), free(dz);
    free(bn_want), free(bn_got), free(coef);
}

/* The FactorizedReduce of ReLU(a concatenation it never stores) gives the
 * bits of subsample2_forward and conv2d_forward on the stored ReLU (two
 * phases side by side); its backward the input gradient of their backwards,
 * through the ReLU, added into each part; its weight gradients near
 * conv2d_backward's. */
static void check_relu_cat_fr(int count, int c, int c_half, int n, int h, int w)
{
    const int c_in = count * c, ho = h / 2, wo = w / 2;
    const ConvSpec pw = {c_in, c_half, 1, 1, 1, 0, 1, 1};
    const size_t per = (size_t)c * h * w, part = (size_t)n * per, ncat = (size_t)n * c_in * h * w;
    const size_t nsub = (size_t)n * c_in * ho * wo, nhalf = (size_t)n * c_half * ho * wo;
    const size_t nw = conv_weight_count(&pw);
    float *src[3], *din[3], *din_want[3], *xcat = buf(ncat);
    for (int b = 0; b < count; b++) {
        src[b] = randn(part, 1.0f);
        din[b] = randn(part, 1.0f);
        din_want[b] = buf(part);
        memcpy(din_want[b], din[b], part * sizeof *din[b]);
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < per; e++) {
                const float v = src[b][(size_t)i * per + e];
                xcat[((size_t)i * count + b) * per + e] = v > 0.0f ? v : 0.0f;
            }
    }
    const ConvCat in = {(const float *const *)src, count, c, 2, 0};
    float *wt[2] = {randn(nw, 0.5f), randn(nw, 0.5f)};
    float *sub = buf(nsub), *half = buf(nhalf), *want = buf(2 * nhalf), *got = randn(2 * nhalf, 1);
    float *scr = buf(conv_scratch_floats(&pw, n, ho, wo) + 1);
    float *scratch = buf(conv_relu_cat_scratch_floats(&pw, 2, h, w));
    for (int off = 0; off < 2; off++) {
        subsample2_forward(sub, xcat, n, c_in, h, w, off);
        conv2d_forward(&pw, half, sub, wt[off], n, ho, wo, scr);
        channel_copy(want, 2 * c_half, off * c_half, half, c_half, 0, c_half, n, ho * wo);
    }
    conv2d_relu_cat_forward(&(ConvCatOut){.s = &pw, .weight = (const float *const *)wt, .out = got},
                            1, &in, n, h, w, scratch);
    ok(same_bits(got, want, 2 * nhalf),
       "FactorizedReduce of ReLU(concat of %dx%d) to 2x%d on %dx%dx%d: the bits of the stored "
       "ReLU's",
       count, c, c_half, n, h, w);
    float *g = randn(2 * nhalf, 1.0f), *dsub = buf(nsub), *dcat = buf(ncat);
    float *dw_want[2] = {buf(nw), buf(nw)}, *dw_got[2] = {buf(nw), buf(nw)};
    for (int off = 0; off < 2; off++) {
        channel_copy(half, c_half, 0, g, 2 * c_half, off * c_half, c_half, n, ho * wo);
        subsample2_forward(sub, xcat, n, c_in, h, w, off);
        memset(dsub, 0, nsub * sizeof *dsub);
        conv2d_backward(&pw, dsub, dw_want[off], half, sub, wt[off], n, ho, wo, scr);
        subsample2_backward(dcat, dsub, n, c_in, h, w, off);
    }
    for (int b = 0; b < count; b++)
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < per; e++) {
                const size_t q = (size_t)i * per + e, qc = ((size_t)i * count + b) * per + e;
                din_want[b][q] += xcat[qc] > 0.0f ? dcat[qc] : 0.0f;
            }
    conv2d_relu_cat_backward(
        &(ConvCatOut){.s = &pw, .weight = (const float *const *)wt, .dout = g, .dweight = dw_got},
        1, din, &in, n, h, w, scratch);
    int same = 1;
    for (int b = 0; b < count; b++)
        same &= same_bits(din[b], din_want[b], part);
    ok(same && near(dw_got[0], dw_want[0], nw, 1e-5) && near(dw_got[1], dw_want[1], nw, 1e-5),
       "... and its backward: the input gradient added through the ReLU, both weight gradients");
    for (int b = 0; b < count; b++)
        free(src[b]), free(din[b]), free(din_want[b]);
    for (int k = 0; k < 2; k++)
        free(wt[k]), free(dw_want[k]), free(dw_got[k]);
    free(xcat), free(sub), free(half), free(want), free(got), free(scr), free(scratch), free(g);
    free(dsub), free(dcat);
}

/* The fused block's gradients cleared before a backward that adds into
 * them: the reference's input gradient, both weight gradients of each. */
static void clear_grads(float *dx, size_t nin, float *ddw_a, float *ddw_b, size_t ndw, float *dpw_a,
                        float *dpw_b, size_t npw)
{
    memset(dx, 0, nin * sizeof *dx);
    memset(ddw_a, 0, ndw * sizeof *ddw_a);
    memset(ddw_b, 0, ndw * sizeof *ddw_b);
    memset(dpw_a, 0, npw * sizeof *dpw_a);
    memset(dpw_b, 0, npw * sizeof *dpw_b);
}

/* The fused depthwise + pointwise forward gives the bits of its two calls. */
static void check_dw_pw(int c, int c_out, int k, int stride, int pad, int dil, int n, int h, int w)
{
    const ConvSpec dw = {c, c, k, k, stride, pad, dil, c};
    const ConvSpec pw = {c, c_out, 1, 1, 1, 0, 1, 1};
    const int ho = conv_out_size(h, k, stride, pad, dil),
              wo = conv_out_size(w, k, stride, pad, dil);
    const size_t nin = (size_t)n * c * h * w, nmid = (size_t)n * c * ho * wo;
    const size_t nout = (size_t)n * c_out * ho * wo;
    float *x = randn(nin, 1.0f), *wd = randn(conv_weight_count(&dw), 0.5f);
    float *wp = randn(conv_weight_count(&pw), 0.5f), *mid = buf(nmid), *want = buf(nout);
    float *got = buf(nout), *scratch = buf(conv_dw_pw_scratch_floats(&dw, &pw, h, w));
    conv2d_forward(&dw, mid, x, wd, n, h, w, NULL);
    conv2d_forward(&pw, want, mid, wp, n, ho, wo, NULL);
    conv2d_dw_pw_forward(&dw, &pw, NULL, NULL, got, NULL, x, wd, wp, n, h, w, scratch, 0);
    ok(same_bits(got, want, nout),
       "depthwise %dx%d s%d d%d + pointwise %d->%d on %dx%d: the bits of the two calls", k, k,
       stride, dil, c, c_out, h, w);
    float *kept = randn(nmid, 1.0f);
    for (size_t i = 0; i < nout; i++)
        got[i] = 1e6f;
    conv2d_dw_pw_forward(&dw, &pw, NULL, NULL, got, kept, x, wd, wp, n, h, w, scratch, 0);
    ok(same_bits(got, want, nout) && same_bits(kept, mid, nmid),
       "... and keeping the depthwise output: the same output, and the depthwise one kept");
    /* its backward's pointwise half: gradient of the depthwise output, 1x1
     * weight gradient (added to what is there), and without weight gradient */
    float *g = randn(nout, 1.0f), *gm_want = buf(nmid), *gm_got = randn(nmid, 1.0f);
    float *dw_want = randn(conv_weight_count(&pw), 1.0f);
    float *dw_got = buf(conv_weight_count(&pw));
    memcpy(dw_got, dw_want, conv_weight_count(&pw) * sizeof *dw_got);
    float *scr = buf(conv_scratch_floats(&pw, n, ho, wo));
    conv2d_backward(&pw, gm_want, dw_want, g, mid, wp, n, ho, wo, scr);
    conv2d_dw_pw_backward_pw(&dw, &pw, gm_got, dw_got, g, x, wd, wp, n, h, w, scratch);
    /* weights beyond 16384 floats: summed in another order (conv.h) */
    const int big = conv_weight_count(&pw) > 16384;
    ok(same_bits(gm_got, gm_want, nmid) &&
           (big ? near(dw_got, dw_want, conv_weight_count(&pw), 1e-4)
                : same_bits(dw_got, dw_want, conv_weight_count(&pw))),
       "... and the pointwise half of its backward, with the weight gradient");
    for (size_t i = 0; i < nmid; i++)
        gm_got[i] = 1e6f;
    conv2d_dw_pw_backward_pw(&dw, &pw, gm_got, NULL, g, x, wd, wp, n, h, w, scratch);
    ok(same_bits(gm_got, gm_want, nmid), "... and without it");
    /* the whole backward image by image against the two conv2d_backward
     * calls, everything added to what is there (its sums run in another
     * order, so near, not the same bits) */
    const size_t ndw = conv_weight_count(&dw), npw = conv_weight_count(&pw);
    float *dx_want = randn(nin, 1.0f), *ddw_want = randn(ndw, 1.0f), *dpw_want = randn(npw, 1.0f);
    float *dx_got = buf(nin), *ddw_got = buf(ndw), *dpw_got = buf(npw);
    memcpy(dx_got, dx_want, nin * sizeof *dx_got);
    memcpy(ddw_got, ddw_want, ndw * sizeof *ddw_got);
    memcpy(dpw_got, dpw_want, npw * sizeof *dpw_got);
    memset(gm_want, 0, nmid * sizeof *gm_want);
    conv2d_backward(&pw, gm_want, dpw_want, g, mid, wp, n, ho, wo, scr);
    conv2d_backward(&dw, dx_want, ddw_want, gm_want, x, wd, n, h, w, NULL);
    float *dx_kept = buf(nin), *ddw_kept = buf(ndw), *dpw_kept = buf(npw);
    memcpy(dx_kept, dx_got, nin * sizeof *dx_kept);
    memcpy(ddw_kept, ddw_got, ndw * sizeof *ddw_kept);
    memcpy(dpw_kept, dpw_got, npw * sizeof *dpw_kept);
    conv2d_dw_pw_backward(&dw, &pw, NULL, NULL, dx_got, ddw_got, dpw_got, g, x, NULL, wd, wp, n, h,
                          w, scratch, 0);
    ok(near(dx_got, dx_want, nin, 1e-4) && near(ddw_got, ddw_want, ndw, 1e-4) &&
           near(dpw_got, dpw_want, npw, 1e-4),
       "... and its whole backward: input and both weight gradients");
    conv2d_dw_pw_backward(&dw, &pw, NULL, NULL, dx_kept, ddw_kept, dpw_kept, g, x, kept, wd, wp, n,
                          h, w, scratch, 0);
    ok(same_bits(dx_kept, dx_got, nin) && same_bits(ddw_kept, ddw_got, ndw) &&
           same_bits(dpw_kept, dpw_got, npw),
       "... reading the kept depthwise output: the bits of recomputing it");
    free(kept), free(dx_kept), free(ddw_kept), free(dpw_kept);
    /* with a BN apply and a ReLU before the block (ConvPre): the forward and
     * the weight gradients of the block fed xt = ReLU(BN(x)) by hand; the
     * input gradient written (over anything), zero where xt is not
     * positive. xt here rounds without FMA, so near, not the same bits. */
    float *mean = randn((size_t)c, 0.3f), *scale = randn((size_t)c, 1.0f);
    float *shift = randn((size_t)c, 0.3f), *xt = buf(nin);
    const ConvPre pre = {mean, scale, shift, 0, NULL, NULL};
    for (size_t i = 0; i < nin; i++) {
        const int ch = (int)(i / ((size_t)h * w) % (size_t)c);
        const float y = (x[i] - mean[ch]) * scale[ch] + shift[ch];
        xt[i] = y > 0.0f ? y : 0.0f;
    }
    conv2d_dw_pw_forward(&dw, &pw, NULL, NULL, want, NULL, xt, wd, wp, n, h, w, scratch, 0);
    conv2d_dw_pw_forward(&dw, &pw, &pre, NULL, got, NULL, x, wd, wp, n, h, w, scratch, 0);
    ok(near(got, want, nout, 1e-4), "... and fed ReLU(BN(x)) as it reads x, the forward");
    float *dx_pre = randn(nin, 1e6f);
    clear_grads(dx_want, nin, ddw_want, ddw_got, ndw, dpw_want, dpw_got, npw);
    conv2d_dw_pw_backward(&dw, &pw, NULL, NULL, dx_want, ddw_want, dpw_want, g, xt, NULL, wd, wp, n,
                          h, w, scratch, 0);
    for (size_t i = 0; i < nin; i++)
        dx_want[i] = xt[i] > 0.0f ? dx_want[i] : 0.0f;
    conv2d_dw_pw_backward(&dw, &pw, &pre, NULL, dx_pre, ddw_got, dpw_got, g, x, NULL, wd, wp, n, h,
                          w, scratch, 0);
    ok(near(dx_pre, dx_want, nin, 1e-4) && near(ddw_got, ddw_want, ndw, 1e-4) &&
           near(dpw_got, dpw_want, npw, 1e-4),
       "... and its backward: the input gradient under the ReLU written, both weight gradients");
    /* the ReLU alone (no BN), the backward adding under it: a SepConv's
     * first block on a state several ops read */
    const ConvPre relu = {NULL, NULL, NULL, 1, NULL, NULL};
    for (size_t i = 0; i < nin; i++)
        xt[i] = x[i] > 0.0f ? x[i] : 0.0f;
    conv2d_dw_pw_forward(&dw, &pw, NULL, NULL, want, NULL, xt, wd, wp, n, h, w, scratch, 0);
    conv2d_dw_pw_forward(&dw, &pw, &relu, NULL, got, NULL, x, wd, wp, n, h, w, scratch, 0);
    ok(same_bits(got, want, nout),
       "... and fed ReLU(x) as it reads x: the bits of the block fed it");
    /* then the BN apply and the ReLU, the backward adding under them: a
     * SepConv's first block reading a state through its BN (the state never
     * made again); xt then rounds without FMA, so near */
    const ConvPre bn_add = {mean, scale, shift, 1, NULL, NULL};
    float *dx_add = randn(nin, 1.0f), *dx_ref = buf(nin);
    for (int with_bn = 0; with_bn < 2; with_bn++) {
        for (size_t i = 0; with_bn && i < nin; i++) {
            const int ch = (int)(i / ((size_t)h * w) % (size_t)c);
            const float y = (x[i] - mean[ch]) * scale[ch] + shift[ch];
            xt[i] = y > 0.0f ? y : 0.0f;
        }
        memcpy(dx_ref, dx_add, nin * sizeof *dx_ref);
        clear_grads(dx_want, nin, ddw_want, ddw_got, ndw, dpw_want, dpw_got, npw);
        conv2d_dw_pw_backward(&dw, &pw, NULL, NULL, dx_want, ddw_want, dpw_want, g, xt, NULL, wd,
                              wp, n, h, w, scratch, 0);
        for (size_t i = 0; i < nin; i++)
            dx_ref[i] += xt[i] > 0.0f ? dx_want[i] : 0.0f;
        conv2d_dw_pw_backward(&dw, &pw, with_bn ? &bn_add : &relu, NULL, dx_add, ddw_got, dpw_got,
                              g, x, NULL, wd, wp, n, h, w, scratch, 0);
        if (with_bn)
            ok(near(dx_add, dx_ref, nin, 1e-4) && near(ddw_got, ddw_want, ndw, 1e-4) &&
                   near(dpw_got, dpw_want, npw, 1e-4),
               "... and fed ReLU(BN(x)), its backward: the input gradient added under the ReLU, "
               "both weight gradients");
        else
            ok(same_bits(dx_add, dx_ref, nin) && same_bits(ddw_got, ddw_want, ndw) &&
                   same_bits(dpw_got, dpw_want, npw),
               "... and its backward: the input gradient added under the ReLU, both weight "
               "gradients");
    }
    free(dx_add), free(dx_ref);
    free(mean), free(scale), free(shift), free(xt), free(dx_pre);
    free(x), free(wd), free(wp), free(mid), free(want), free(got), free(scratch);
    free(g), free(gm_want), free(gm_got), free(dw_want), free(dw_got);
    free(dx_want), free(ddw_want), free(dpw_want), free(dx_got), free(ddw_got), free(dpw_got);
    free(scr);
}

/* The training forward's statistics taken image by image and merged in
 * parts (batchnorm_stats_*), against the two passes of the forward and
 * against the statistics in double: a mean far from zero against the
 * spread (offset) must not cost the variance its digits. */
static void check_bn_stats(int n, int c, int hw, float offset)
{
    const size_t per = (size_t)c * hw, nx = (size_t)n * per;
    float *x = randn(nx, 0.5f);
    for (size_t i = 0; i < nx; i++)
        x[i] += offset;
    float *stats = buf(4 * (size_t)c), *run = buf(4 * (size_t)c);
    for (int ch = 0; ch < c; ch++)
        run[ch] = run[2 * c + ch] = 0.25f, run[c + ch] = run[3 * c + ch] = 1.5f;
    batchnorm_forward_train(NULL, stats, stats + c, x, NULL, NULL, run, run + c, n, c, hw,
                            BN_MOMENTUM, BN_EPS);
    /* images 0 .. n/2 and n/2 .. n as two parts, merged */
    double *part = calloc(4 * (size_t)c, sizeof *part), *b = part + 2 * c;
    const int half = n / 2;
    for (int i = 0; i < n; i++)
        batchnorm_stats_image(i < half ? part : b, (i < half ? part : b) + c,
                              i < half ? i : i - half, x + (size_t)i * per, c, hw);
    batchnorm_stats_merge(part, part + c, (double)half * hw, b, b + c, (double)(n - half) * hw, c);
    batchnorm_stats_finish(stats + 2 * c, stats + 3 * c, run + 2 * c, run + 3 * c, part, part + c,
                           (double)n * hw, c, BN_MOMENTUM, BN_EPS);
    float *exact = buf(2 * (size_t)c);
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++)
                s += x[(size_t)i * per + (size_t)ch * hw + j];
        const double mean = s / ((double)n * hw);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) {
                const double d = x[(size_t)i * per + (size_t)ch * hw + j] - mean;
                ss += d * d;
            }
        exact[ch] = (float)mean;
        exact[c + ch] = (float)(1.0 / sqrt(ss / ((double)n * hw) + BN_EPS));
    }
    ok(near(stats + 2 * c, stats, 2 * (size_t)c, 1e-5) &&
           near(run + 2 * c, run, 2 * (size_t)c, 1e-5),
       "batchnorm statistics image by image, merged in two parts, %dx%dx%d around %g: the "
       "forward's mean, invstd and running statistics",
       n, c, hw, offset);
    ok(near(stats + 2 * c, exact, 2 * (size_t)c, 1e-5),
       "... and the mean and invstd of the values in double");
    free(x), free(stats), free(run), free(part), free(exact);
}

/* A block between two training BNs, their backward fused into it
 * (batchnorm.h's three steps; conv.h's ConvPre.sg and ConvPost): the
 * forward run again gives the same output and the second BN's sums, the
 * backward the bits of batchnorm_backward_set followed by the block's
 * backward on what it writes, and the first BN's sums those of
 * batchnorm_backward_set on the gradient the block wrote. */
static void check_dw_pw_bn(int c, int c_out, int k, int stride, int pad, int dil, int n, int h,
                           int w)
{
    const ConvSpec dw = {c, c, k, k, stride, pad, dil, c};
    const ConvSpec pw = {c, c_out, 1, 1, 1, 0, 1, 1};
    const int ho = conv_out_size(h, k, stride, pad, dil), hw = h * w,
              p = ho * conv_out_size(w, k, stride, pad, dil);
    const size_t nin = (size_t)n * c * hw, nout = (size_t)n * c_out * p;
    const size_t ndw = conv_weight_count(&dw), npw = conv_weight_count(&pw);
    float *x = randn(nin, 1.0f), *wd = randn(ndw, 0.5f), *wp = randn(npw, 0.5f);
    float *mean = randn((size_t)c, 0.3f), *scale = randn((size_t)c, 1.0f);
    float *shift = randn((size_t)c, 0.3f), *invstd = buf((size_t)c), *ones = buf((size_t)c);
    for (int ch = 0; ch < c; ch++)
        invstd[ch] = fabsf(scale[ch]) + 0.5f, ones[ch] = 1.0f;
    float *scratch = buf(conv_dw_pw_scratch_floats(&dw, &pw, h, w));
    float *z = buf(nout), *zf = buf(nout), *g = randn(nout, 1.0f), *gs = randn((size_t)n, 1.0f);
    float *mean2 = buf((size_t)c_out), *invstd2 = buf((size_t)c_out);
    float *gamma2 = randn((size_t)c_out, 1.0f);
    ConvPre pre = {mean, scale, shift, 0, NULL, NULL};
    conv2d_dw_pw_forward(&dw, &pw, &pre, NULL, z, NULL, x, wd, wp, n, h, w, scratch, 0);
    batchnorm_forward_train(NULL, mean2, invstd2, z, gamma2, NULL, NULL, NULL, n, c_out, p,
                            BN_MOMENTUM, BN_EPS);
    /* the forward taking the second BN's statistics (ConvPost.mean2) */
    double *mean2_m2 = calloc(2 * (size_t)c_out, sizeof *mean2_m2);
    float *st = buf(2 * (size_t)c_out);
    const ConvPost stats = {.mean2 = mean2_m2};
    conv2d_dw_pw_forward(&dw, &pw, &pre, &stats, zf, NULL, x, wd, wp, n, h, w, scratch, 0);
    batchnorm_stats_finish(st, st + c_out, NULL, NULL, mean2_m2, mean2_m2 + c_out, (double)n * p,
                           c_out, BN_MOMENTUM, BN_EPS);
    ok(same_bits(zf, z, nout) && near(st, mean2, (size_t)c_out, 1e-5) &&
           near(st + c_out, invstd2, (size_t)c_out, 1e-5),
       "block %dx%d s%d %d->%d on %dx%d taking the statistics of the BN after it: the same "
       "output, the forward's mean and invstd",
       k, k, stride, c, c_out, h, w);
    free(mean2_m2), free(st);
    /* unfused: the second BN's backward, the block's, the first BN's sums */
    float *dz = buf(nout), *dx_want = buf(nin), *ddw_want = buf(ndw), *dpw_want = buf(npw);
    float *bn_want = buf(2 * (size_t)(c + c_out)), *bn_got = buf(2 * (size_t)(c + c_out));
    batchnorm_backward_set(dz, bn_want, bn_want + c_out, g, gs, z, mean2, invstd2, gamma2, n, c_out,
                           p);
    conv2d_dw_pw_backward(&dw, &pw, &pre, NULL, dx_want, ddw_want, dpw_want, dz, x, NULL, wd, wp, n,
                          h, w, scratch, 0);
    batchnorm_backward_set(NULL, bn_want + 2 * c_out, bn_want + 2 * c_out + c, dx_want, NULL, x,
                           mean, invstd, NULL, n, c, hw);
    /* fused */
    double *sums = calloc(2 * (size_t)(c + c_out), sizeof *sums);
    float *coef = buf(3 * (size_t)c_out), *coef1 = buf(3 * (size_t)c);
    ConvPost post = {.g = g, .gs = gs, .mean = mean2, .sg = sums, .sgx = sums + c_out};
    conv2d_dw_pw_forward(&dw, &pw, &pre, &post, zf, NULL, x, wd, wp, n, h, w, scratch, 0);
    batchnorm_grad_finish(coef, bn_got, bn_got + c_out, sums, sums + c_out, (double)n * p, invstd2,
                          gamma2, c_out);
    ok(same_bits(zf, z, nout) && same_bits(bn_got, bn_want, 2 * (size_t)c_out),
       "block %dx%d s%d %d->%d on %dx%d and a BN after it: the forward taking the BN backward's "
       "sums, the same output and the BN's weight gradients",
       k, k, stride, c, c_out, h, w);
    float *dx_got = randn(nin, 1e6f), *ddw_got = buf(ndw), *dpw_got = buf(npw);
    const ConvPre pre_sums = {mean, scale, shift, 0, sums + 2 * c_out, sums + 2 * c_out + c};
    post = (ConvPost){.gs = gs, .mean = mean2, .x = z, .coef = coef};
    conv2d_dw_pw_backward(&dw, &pw, &pre_sums, &post, dx_got, ddw_got, dpw_got, g, x, NULL, wd, wp,
                          n, h, w, scratch, 0);
    batchnorm_grad_finish(coef1, bn_got + 2 * c_out, bn_got + 2 * c_out + c, sums + 2 * c_out,
                          sums + 2 * c_out + c, (double)n * hw, invstd, ones, c);
    ok(same_bits(dx_got, dx_want, nin) && same_bits(ddw_got, ddw_want, ndw) &&
           same_bits(dpw_got, dpw_want, npw),
       "... its backward from the BN's output gradient: the bits of the BN's backward, then the "
       "block's");
    ok(same_bits(bn_got + 2 * c_out, bn_want + 2 * c_out, 2 * (size_t)c),
       "... and the sums of the BN before it, taken from the gradient it writes");
    /* adding into a gradient that holds the other readers' share: the sums
     * of the BN before it over the whole of it, as it stands after the add */
    float *d0 = randn(nin, 1.0f), *dadd = buf(nin), *dwant = buf(nin), *bn_add = buf(2 * (size_t)c);
    float *ddw_add = buf(ndw), *dpw_add = buf(npw), *bn_add_want = buf(2 * (size_t)c);
    float *coef_add = buf(3 * (size_t)c);
    memcpy(dadd, d0, nin * sizeof *dadd);
    for (size_t i = 0; i < nin; i++)
        dwant[i] = d0[i] + dx_want[i];
    memset(sums + 2 * c_out, 0, 2 * (size_t)c * sizeof *sums);
    const ConvPre pre_add = {mean, scale, shift, 1, sums + 2 * c_out, sums + 2 * c_out + c};
    conv2d_dw_pw_backward(&dw, &pw, &pre_add, &post, dadd, ddw_add, dpw_add, g, x, NULL, wd, wp, n,
                          h, w, scratch, 0);
    batchnorm_grad_finish(coef_add, bn_add, bn_add + c, sums + 2 * c_out, sums + 2 * c_out + c,
                          (double)n * hw, invstd, ones, c);
    batchnorm_backward_set(NULL, bn_add_want, bn_add_want + c, dwant, NULL, x, mean, invstd, NULL,
                           n, c, hw);
    ok(near(dadd, dwant, nin, 1e-6) && near(bn_add, bn_add_want, 2 * (size_t)c, 1e-5),
       "... adding into a gradient: the sum, and the sums of the BN before it over the whole "
       "gradient after the add");
    free(d0), free(dadd), free(dwant), free(bn_add), free(ddw_add), free(dpw_add);
    free(bn_add_want), free(coef_add);
    /* step 3 against batchnorm_backward_set's input gradient */
    float *d1_want = buf(nin), *d1_got = buf(nin);
    batchnorm_backward_set(d1_want, bn_want, bn_want + c, dx_want, NULL, x, mean, invstd, ones, n,
                           c, hw);
    for (int i = 0; i < n; i++)
        batchnorm_input_grad_image(d1_got + (size_t)i * c * hw, (int)hw,
                                   dx_want + (size_t)i * c * hw, 1.0f, x + (size_t)i * c * hw, mean,
                                   coef1, c, hw);
    ok(same_bits(d1_got, d1_want, nin), "... and its input gradient image by image, the same bits");
    free(x), free(wd), free(wp), free(mean), free(scale), free(shift), free(invstd), free(ones);
    free(scratch), free(z), free(zf), free(g), free(gs), free(mean2), free(invstd2), free(gamma2);
    free(dz), free(dx_want), free(ddw_want), free(dpw_want), free(bn_want), free(bn_got);
    free(sums), free(coef), free(coef1), free(dx_got), free(ddw_got), free(dpw_got);
    free(d1_want), free(d1_got);
}

/* dst (n images of c channels, p pixels) in channels-last blocks of l
 * (conv.h's layout) from planes, or back (to_planes). */
static void cl_relayout(float *dst, const float *src, int n, int c, int p, int l, int to_planes)
{
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int q = 0; q < p; q++) {
                const size_t plane = ((size_t)i * c + ch) * p + q,
                             cl = (size_t)i * c * p + ((size_t)(ch / l) * p + q) * l + ch % l;
                if (to_planes)
                    dst[plane] = src[cl];
                else
                    dst[cl] = src[plane];
            }
}

/* A SepConv's two blocks with the tensor between them in channels-last
 * blocks (conv.h's DWPW_OUT_CL, then DWPW_IN_CL), against the same blocks on
 * planes: the forward's outputs and the kept depthwise output the same
 * numbers (the 1x1 products and the correlations add in the same order,
 * so the same bits), the BN sums and the backward's gradients within
 * float rounding (the CL sums run pixel after pixel). */
static void check_dw_pw_cl(int c, int k, int pad, int dil, int n, int h, int w)
{
    const ConvSpec dw = {c, c, k, k, 1, pad, dil, c}, pw = {c, c, 1, 1, 1, 0, 1, 1};
    const int l = conv_dw_pw_cl(&dw, &pw, h, w), p = h * w;
    if (!l) {
        ok(strcmp(nn_isa(), "x86-64") == 0,
           "%dx%d on %d channels, %dx%d: channels-last blocks not served, only in the "
           "baseline build (%s)",
           k, k, c, h, w, nn_isa());
        return;
    }
    const size_t nt = (size_t)n * c * p, nd = conv_weight_count(&dw), np = conv_weight_count(&pw);
    float *x = randn(nt, 1.0f), *wd[2] = {randn(nd, 0.5f), randn(nd, 0.5f)};
    float *wp[2] = {randn(np, 0.5f), randn(np, 0.5f)};
    float *mean = randn((size_t)c, 0.3f), *scale = randn((size_t)c, 1.0f);
    float *shift = randn((size_t)c, 0.3f), *coef = randn(3 * (size_t)c, 0.5f);
    float *scratch = buf(conv_dw_pw_scratch_floats(&dw, &pw, h, w));
    float *mid = buf(nt), *mid_cl = buf(nt), *kept = buf(nt), *kept_cl = buf(nt);
    float *y = buf(nt), *y_cl = buf(nt), *t = buf(nt);
    double *st = calloc(4 * (size_t)c, sizeof *st);
    const ConvPre relu = {0}, bn = {mean, scale, shift, 0, NULL, NULL};
    ConvPost stats = {.mean2 = st}, stats_cl = {.mean2 = st + 2 * c};
    conv2d_dw_pw_forward(&dw, &pw, &relu, &stats, mid, kept, x, wd[0], wp[0], n, h, w, scratch, 0);
    conv2d_dw_pw_forward(&dw, &pw, &relu, &stats_cl, mid_cl, kept_cl, x, wd[0], wp[0], n, h, w,
                         scratch, DWPW_OUT_CL);
    cl_relayout(t, mid_cl, n, c, p, l, 1);
    int same = same_bits(t, mid, nt);
    cl_relayout(t, kept_cl, n, c, p, l, 1);
    same = same && same_bits(t, kept, nt);
    float st_f[4 * 64]; /* c up to 64 here, as sums_f below */
    for (int j = 0; j < 4 * c; j++)
        st_f[j] = (float)st[j];
    ok(same && near(st_f + 2 * c, st_f, 2 * (size_t)c, 1e-5),
       "%dx%d d%d on %d channels, %dx%d, %d images: the block writing channels-last blocks of %d, "
       "its output and kept depthwise output the planes' numbers, its BN statistics within 1e-5",
       k, k, dil, c, h, w, n, l);
    conv2d_dw_pw_forward(&dw, &pw, &bn, NULL, y, NULL, mid, wd[1], wp[1], n, h, w, scratch, 0);
    conv2d_dw_pw_forward(&dw, &pw, &bn, NULL, y_cl, NULL, mid_cl, wd[1], wp[1], n, h, w, scratch,
                         DWPW_IN_CL);
    ok(same_bits(y_cl, y, nt), "... the block reading them through a BN and a ReLU: the same bits");
    /* the second block's backward: the middle's gradient, set, and the
     * sums of the BN behind it */
    float *g = randn(nt, 1.0f), *dmid = buf(nt), *dmid_cl = buf(nt);
    float *ddw[2] = {buf(nd), buf(nd)}, *dpw[2] = {buf(np), buf(np)};
    double *sums = calloc(4 * (size_t)c, sizeof *sums);
    const ConvPre bn_sums = {mean, scale, shift, 0, sums, sums + c};
    const ConvPre bn_sums_cl = {mean, scale, shift, 0, sums + 2 * c, sums + 3 * c};
    conv2d_dw_pw_backward(&dw, &pw, &bn_sums, NULL, dmid, ddw[0], dpw[0], g, mid, NULL, wd[1],
                          wp[1], n, h, w, scratch, 0);
    conv2d_dw_pw_backward(&dw, &pw, &bn_sums_cl, NULL, dmid_cl, ddw[1], dpw[1], g, mid_cl, NULL,
                          wd[1], wp[1], n, h, w, scratch, DWPW_IN_CL);
    cl_relayout(t, dmid_cl, n, c, p, l, 1);
    /* the sums against the same sums in double (the planes' own float sums
     * are off them by as much as the two are off each other) */
    float sums_f[2 * 64], exact[2 * 64];
    for (int ch = 0; ch < c; ch++) {
        double sg = 0.0, sgx = 0.0;
        for (int i = 0; i < n; i++)
            for (int q = 0; q < p; q++) {
                const size_t o = ((size_t)i * c + ch) * p + q;
                sg += dmid[o];
                sgx += (double)dmid[o] * ((double)mid[o] - mean[ch]);
            }
        exact[ch] = (float)sg, exact[c + ch] = (float)sgx;
        sums_f[ch] = (float)sums[2 * c + ch], sums_f[c + ch] = (float)sums[3 * c + ch];
    }
    ok(same_bits(t, dmid, nt) && same_bits(ddw[1], ddw[0], nd) && same_bits(dpw[1], dpw[0], np) &&
           near(sums_f, exact, 2 * (size_t)c, 5e-6),
       "... its backward: the gradient of the blocks the planes' bits, and the weight gradients; "
       "the sums of the BN before it within 5e-6 of the sums in double");
    /* the first block's backward from that gradient through its BN */
    float *dx = buf(nt), *dx_cl = buf(nt);
    memset(ddw[0], 0, nd * sizeof **ddw), memset(ddw[1], 0, nd * sizeof **ddw);
    memset(dpw[0], 0, np * sizeof **dpw), memset(dpw[1], 0, np * sizeof **dpw);
    const ConvPost post = {.mean = mean, .x = mid, .coef = coef};
    const ConvPost post_cl = {.mean = mean, .x = mid_cl, .coef = coef};
    conv2d_dw_pw_backward(&dw, &pw, &relu, &post, dx, ddw[0], dpw[0], dmid, x, kept, wd[0], wp[0],
                          n, h, w, scratch, 0);
    conv2d_dw_pw_backward(&dw, &pw, &relu, &post_cl, dx_cl, ddw[1], dpw[1], dmid_cl, x, kept_cl,
                          wd[0], wp[0], n, h, w, scratch, DWPW_OUT_CL);
    ok(near(dx_cl, dx, nt, 1e-5) && near(ddw[1], ddw[0], nd, 1e-5) &&
           near(dpw[1], dpw[0], np, 1e-5),
       "... the first block's backward through the BN after it, from the kept output: its input "
       "and weight gradients within 1e-5");
    memset(dx_cl, 0, nt * sizeof *dx_cl);
    float *ddw2 = buf(nd), *dpw2 = buf(np);
    conv2d_dw_pw_backward(&dw, &pw, &relu, &post_cl, dx_cl, ddw2, dpw2, dmid_cl, x, NULL, wd[0],
                          wp[0], n, h, w, scratch, DWPW_OUT_CL);
    ok(same_bits(ddw2, ddw[1], nd) && same_bits(dpw2, dpw[1], np) && near(dx_cl, dx, nt, 1e-5),
       "... and with the depthwise output made again: the bits of the kept one");
    free(x), free(wd[0]), free(wd[1]), free(wp[0]), free(wp[1]), free(mean), free(scale);
    free(shift), free(coef), free(scratch), free(mid), free(mid_cl), free(kept), free(kept_cl);
    free(y), free(y_cl), free(t), free(st), free(g), free(dmid), free(dmid_cl), free(ddw[0]);
    free(ddw[1]), free(dpw[0]), free(dpw[1]), free(sums), free(dx), free(dx_cl), free(ddw2);
    free(dpw2);
}

/* The fused forms against their composition: BN_ADD = out + w * BN,
 * BN_RELU = max(0, BN), BN_SET = BN, in training and evaluation; the scaled
 * backward = scale * the plain one, written not added, with the dot
 * <g, BN(x)> summed here in double. */
static void check_bn_fused(int n, int c, int hw)
{
    const size_t nx = (size_t)n * c * hw;
    const float w = 0.37f;
    float *x = randn(nx, 2.0f), *g = randn(nx, 1.0f), *acc = randn(nx, 1.0f);
    float *y = buf(nx), *got = buf(nx), *want = buf(nx), *stats = buf(4 * c);
    float *rm = buf(c), *rv = buf(c);
    double *dots = calloc((size_t)c, sizeof *dots);
    for (int i = 0; i < c; i++)
        rv[i] = 1.5f, rm[i] = 0.25f;
    for (int eval = 0; eval < 2; eval++) {
        if (eval)
            batchnorm_forward_eval(y, x, NULL, NULL, rm, rv, n, c, hw, BN_EPS);
        else
            batchnorm_forward_train(y, stats, stats + c, x, NULL, NULL, NULL, NULL, n, c, hw,
                                    BN_MOMENTUM, BN_EPS);
        static const char *const names[] = {"BN_SET", "BN_ADD", "BN_RELU"};
        for (BnWrite how = BN_SET; how <= BN_RELU; how++) {
            memcpy(got, acc, nx * sizeof *got);
            for (size_t i = 0; i < nx; i++)
                want[i] = how == BN_ADD    ? acc[i] + w * y[i]
                          : how == BN_RELU ? fmaxf(y[i], 0.0f)
                                           : y[i];
            if (eval)
                batchnorm_forward_eval_to(got, how, w, x, rm, rv, n, c, hw, BN_EPS);
            else
                batchnorm_forward_train_to(got, how, w, stats + 2 * c, stats + 3 * c, x, NULL, NULL,
                                           n, c, hw, BN_MOMENTUM, BN_EPS);
            ok(near(got, want, nx, 1e-5), "batchnorm %s %s %dx%dx%d = its composition",
               eval ? "eval" : "train", names[how], n, c, hw);
        }
    }
    ok(same_bits(stats, stats + 2 * c, 2 * c), "the _to forward saves the same statistics");
    batchnorm_forward_train(y, stats, stats + c, x, NULL, NULL, NULL, NULL, n, c, hw, BN_MOMENTUM,
                            BN_EPS);
    memset(want, 0, nx * sizeof *want);
    batchnorm_backward(want, NULL, NULL, g, x, stats, stats + c, NULL, n, c, hw);
    for (size_t i = 0; i < nx; i++)
        want[i] *= w;
    for (size_t i = 0; i < nx; i++)
        got[i] = 1e6f; /* must be overwritten */
    double dot = batchnorm_backward_scaled(got, w, g, x, stats, stats + c, n, c, hw, dots);
    ok(near(got, want, nx, 1e-5), "batchnorm backward, scaled by %.2f and written", w);
    /* measured against the sum of the terms' sizes: the dot of random
     * vectors nearly cancels, and the kernel's float rounding scales with
     * its terms, not with what is left of them */
    double ref = 0.0, mag = 0.0;
    for (size_t i = 0; i < nx; i++) {
        ref += (double)g[i] * y[i];
        mag += fabs((double)g[i] * y[i]);
    }
    ok(close_enough(dot, ref, 1e-5, mag, "<g, BN(x)>"), "the scaled backward's dot is <g, BN(x)>");
    ok(batchnorm_backward_scaled(NULL, w, g, x, stats, stats + c, n, c, hw, dots) == dot,
       "without din it returns the same dot, bit for bit");
    free(x), free(g), free(acc), free(y), free(got), free(want), free(stats), free(rm), free(rv);
    free(dots);
}

int main(void)
{
    rng_seed(&rng, 11);
    check_kernels_isa();
    /* depthwise, DARTS shapes: 3x3 / 5x5, dilation 1 / 2, stride 1 / 2, on
     * widths 32, 28, 14, 8, 7 (full, partial and lone vector runs) */
    static const int dw[][4] = {
        /* k, d, pad, stride */
        {3, 1, 1, 1}, {3, 1, 1, 2}, {5, 1, 2, 1}, {5, 1, 2, 2},
        {3, 2, 2, 1}, {3, 2, 2, 2}, {5, 2, 4, 1}, {5, 2, 4, 2},
    };
    static const int sizes[] = {32, 28, 14, 8, 7};
    for (size_t i = 0; i < sizeof dw / sizeof *dw; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof *sizes; j++) {
            int hw = sizes[j], c = hw >= 28 ? 4 : 16;
            check_conv(c, c, dw[i][0], dw[i][3], dw[i][2], dw[i][1], c, 3, hw, hw);
        }
    /* strips of 8 rows whose last overlaps the one before (20, 11), three
     * column blocks (37), and too few rows for a strip (5) */
    static const int odd[][2] = {{20, 20}, {11, 37}, {5, 9}};
    for (size_t i = 0; i < sizeof dw / sizeof *dw; i++)
        for (size_t j = 0; j < sizeof odd / sizeof *odd; j++)
            check_conv(3, 3, dw[i][0], dw[i][3], dw[i][2], dw[i][1], 3, 2, odd[j][0], odd[j][1]);
    check_conv(5, 5, 7, 3, 1, 1, 5, 2, 23, 17);   /* odd everything */
    check_conv(2, 2, 3, 1, 1, 1, 2, 1, 130, 100); /* beyond the plane buffer: naive path */
    /* dense: pointwise fast path, strided 1x1 (im2col), the stem */
    check_conv(16, 16, 1, 1, 0, 1, 1, 4, 8, 8);
    check_conv(16, 32, 1, 1, 0, 1, 1, 3, 7, 7);
    check_conv(8, 8, 1, 1, 0, 1, 1, 2, 10, 10); /* 64 + 36 columns: a 3-vector rest */
    check_conv(8, 12, 1, 1, 0, 1, 1, 2, 9, 9);  /* 64 + 17: a 2-vector rest */
    check_conv(5, 6, 1, 1, 0, 1, 1, 2, 5, 7);   /* 35 */
    /* one column past whole vectors (49, 17): a partial last vector */
    check_conv(5, 6, 1, 1, 0, 1, 1, 2, 7, 7);
    check_conv(20, 7, 1, 1, 0, 1, 1, 2, 7, 7);
    check_conv(3, 18, 1, 1, 0, 1, 1, 2, 1, 17);
    check_conv(8, 8, 1, 2, 0, 1, 1, 2, 14, 14);
    check_conv(3, 48, 3, 1, 1, 1, 1, 4, 16, 16);
    check_conv(80, 24, 1, 1, 0, 1, 1, 2, 16, 16); /* B's rows 1 KiB apart: two panels (gemm.c) */
    check_conv(36, 36, 1, 1, 0, 1, 1, 2, 32, 32); /* ... 4 KiB apart */
    /* planes of 128 pixels and more: the weight gradient by pwt_gemm (AVX-512),
     * its tiles of 4 rows and columns (their sums by one tree), single rows
     * and columns, a partial vector; 127 pixels by sgemm */
    check_conv(6, 7, 1, 1, 0, 1, 1, 2, 33, 33);
    check_conv(8, 12, 1, 1, 0, 1, 1, 2, 14, 14);
    check_conv(5, 9, 1, 1, 0, 1, 1, 2, 8, 16);
    check_conv(5, 9, 1, 1, 0, 1, 1, 2, 1, 127);
    check_conv(3, 36, 3, 1, 1, 1, 1, 2, 32, 32); /* the CIFAR-10 stem */
    check_conv(1, 24, 3, 1, 1, 1, 1, 3, 28, 28);
    check_conv(160, 128, 1, 1, 0, 1, 1, 3, 5, 4);  /* weight beyond the group partials */
    check_conv(256, 128, 1, 1, 0, 1, 1, 20, 2, 2); /* ... on 2x2 maps: chunks of 16 images */
    /* one channel (model.init_channels = 1): depthwise and dense at once */
    check_conv(1, 1, 3, 1, 1, 1, 1, 3, 14, 14);
    check_conv(1, 1, 5, 2, 4, 2, 1, 2, 9, 11);
    check_conv(1, 1, 1, 1, 0, 1, 1, 2, 7, 7);
    check_conv(1, 1, 1, 2, 0, 1, 1, 2, 8, 8);
    /* n, c, h, w: the networks' planes, then the row pools' edges: one
     * block and less, three blocks, one row, one column, a lone pixel */
    static const int pools[][4] = {{3, 8, 32, 32}, {3, 8, 28, 28}, {3, 8, 7, 7},  {2, 3, 9, 13},
                                   {2, 3, 16, 16}, {2, 3, 14, 14}, {2, 3, 8, 8},  {2, 2, 33, 47},
                                   {2, 2, 17, 40}, {2, 3, 1, 17},  {2, 3, 17, 1}, {2, 3, 2, 2},
                                   {2, 3, 1, 1}};
    for (int avg = 0; avg < 2; avg++)
        for (int s = 1; s <= 2; s++)
            for (size_t i = 0; i < sizeof pools / sizeof *pools; i++)
                check_pool(avg, pools[i][0], pools[i][1], pools[i][2], pools[i][3], s);
    check_pool(0, 1, 1, 200, 90, 1); /* beyond the plane buffer */
    check_pool(1, 1, 1, 200, 90, 2);
    for (int avg = 0; avg < 2; avg++)
        for (int s = 1; s <= 2; s++) {
            check_pool_pre(avg, 4, 5, 28, 28, s);
            check_pool_pre(avg, 3, 4, 14, 14, s);
            check_pool_pre(avg, 1, 2, 200, 90, s); /* beyond the plane buffer */
        }
    check_bn_threads(16, 16, 64);
    check_bn_threads(3, 5, 49);
    check_relu_cat(4, 16, 16, 3, 28, 28);
    check_relu_cat(2, 8, 24, 2, 7, 7);
    check_relu_cat(3, 5, 7, 2, 5, 3);     /* sizes off the vector width */
    check_relu_cat(4, 9, 9, 2, 32, 32);   /* a CIFAR-10 cell's preprocessing */
    check_relu_cat(1, 48, 16, 2, 28, 28); /* the stem's (relu_done) */
    check_relu_cat(1, 27, 9, 2, 32, 32);
    check_relu_cat_fr(2, 16, 16, 3, 28, 28);
    check_relu_cat_fr(3, 8, 12, 2, 14, 14);
    check_relu_cat_fr(1, 5, 3, 2, 6, 38);  /* rows of 38: two 8-float gathers and a tail */
    check_relu_cat_fr(2, 3, 2, 2, 4, 64);  /* rows of 64: whole 16-float gathers */
    check_relu_cat_fr(2, 4, 3, 2, 32, 32); /* phases of 256 pixels: rows padded */
    check_relu_cat_bn(4, 16, 16, 1, 3, 28, 28);
    check_relu_cat_bn(3, 5, 7, 1, 2, 5, 3);
    check_relu_cat_bn(2, 16, 16, 2, 3, 28, 28);
    check_relu_cat_bn(1, 5, 3, 2, 2, 6, 38);
    check_relu_cat_bn(2, 8, 8, 1, 2, 32, 32); /* planes of 1024 pixels: rows padded */
    check_relu_cat_bn(2, 8, 8, 2, 2, 32, 32);
    check_dw_pw(8, 8, 3, 1, 1, 1, 3, 28, 28);
    check_dw_pw(16, 16, 5, 2, 4, 2, 2, 14, 14);
    check_dw_pw(16, 24, 3, 2, 1, 1, 2, 7, 7);
    check_dw_pw(9, 9, 3, 1, 1, 1, 2, 32, 32);
    check_dw_pw(3, 4, 3, 1, 1, 1, 2, 40, 40);   /* beyond the 32x32 of the pre-applied plane:
                                                 * the ReLU'd or BN'd image made in scratch */
    check_dw_pw(2, 3, 3, 1, 1, 1, 1, 130, 100); /* beyond the plane buffer: naive path */
    check_dw_pw(128, 160, 3, 1, 1, 1, 6, 5, 4); /* 1x1 weight beyond the group partials */
    check_dw_pw(1, 1, 3, 1, 1, 1, 2, 12, 12);   /* one channel */
    check_dw_pw(1, 3, 5, 2, 4, 2, 2, 7, 7);
    /* paired strips (conv.c): 7x7 and 8x8 planes, 3x3 and dilated 5x5 */
    check_dw_pw(16, 16, 3, 1, 1, 1, 2, 7, 7);
    check_dw_pw(8, 8, 5, 1, 4, 2, 2, 8, 8);
    /* stride 2 by the upsampled gradient: 14x14 (strips) */
    check_dw_pw(8, 8, 5, 2, 2, 1, 2, 14, 14);
    check_dw_pw_bn(8, 8, 3, 2, 1, 1, 2, 14, 14);
    /* 5x5 strips, a masked load per column tap: 14x14 and dilated 28x28 */
    check_dw_pw(4, 4, 5, 1, 2, 1, 2, 14, 14);
    check_dw_pw(4, 4, 5, 1, 4, 2, 2, 28, 28);
    check_dw_pw_bn(8, 8, 3, 1, 2, 2, 2, 8, 8);
    check_dw_pw_bn(8, 8, 3, 1, 1, 1, 3, 28, 28);
    check_dw_pw_bn(16, 24, 3, 2, 1, 1, 2, 7, 7);
    check_dw_pw_bn(5, 5, 5, 2, 4, 2, 3, 14, 14);
    check_dw_pw_bn(6, 5, 3, 1, 1, 1, 2, 32, 32);   /* 1024 pixels: rows of the scratch padded */
    check_dw_pw_bn(4, 7, 3, 1, 1, 1, 2, 16, 16);   /* 256 */
    check_dw_pw_bn(2, 3, 3, 1, 1, 1, 2, 130, 100); /* beyond the plane buffer: naive path */
    /* the channels across the vector (dwvec.h; 16 a block on AVX-512, 8 on
     * AVX2, whose build also takes the 8-channel shapes above that way):
     * 28x28, 14x14 dilated, 7x7; 5x5 on 13 columns (a row's last chunk
     * overlapping, the weight gradient's last pixels one by one), dilated
     * on 11; the narrowest plane served, 4 columns */
    check_dw_pw(16, 16, 3, 1, 1, 1, 2, 28, 28);
    check_dw_pw(32, 24, 3, 1, 2, 2, 2, 14, 14);
    check_dw_pw(64, 64, 3, 1, 1, 1, 3, 7, 7);
    check_dw_pw(16, 16, 5, 1, 2, 1, 2, 10, 13);
    check_dw_pw(16, 16, 5, 1, 4, 2, 2, 9, 11);
    check_dw_pw(16, 8, 3, 1, 1, 1, 2, 3, 4);
    check_dw_pw_bn(16, 16, 3, 1, 1, 1, 2, 28, 28);
    check_dw_pw_bn(32, 16, 3, 1, 2, 2, 2, 7, 7);
    check_dw_pw_bn(16, 16, 5, 1, 2, 1, 3, 12, 12);
    /* a SepConv's middle in channels-last blocks: 28x28 (784 pixels, tiles
     * of the 1x1 product's 12 whole), 7x7 dilated (the last tile
     * overlapping), 5x5 on 14x14; 64 channels, four blocks of 16 */
    check_dw_pw_cl(16, 3, 1, 1, 2, 28, 28);
    check_dw_pw_cl(32, 3, 2, 2, 3, 7, 7);
    check_dw_pw_cl(16, 5, 2, 1, 2, 14, 14);
    check_dw_pw_cl(64, 3, 1, 1, 2, 7, 7);
    check_dw_pw_cl(16, 3, 1, 1, 2, 3, 4);
    check_bn_stats(5, 4, 49, 0.0f);
    check_bn_stats(3, 3, 784, 100.0f);
    check_bn_stats(2, 2, 5, -3.0f); /* planes off the vector width */
    check_bn_fused(4, 6, 49);
    check_bn_fused(2, 3, 64);
    return tap_done();
}
