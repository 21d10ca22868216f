/* conv: see include/dartboard/conv.h
 *
 * Dense convolutions are per-image GEMMs, OpenMP over images: im2col + a
 * product (gemm.h), or for 1x1 stride 1 one product per image straight on the
 * input. The weight gradient sums over images: fixed groups of images, each
 * summed in order (sgemm, single-threaded, see parallel.h; on AVX-512 over
 * planes of 128 pixels and more pwt_gemm), then the groups in order, so the
 * result does not depend on the thread count.
 *
 * The fused depthwise + pointwise block's stride-1 depthwise convolution,
 * where its channels come in 16s (8s on AVX2), runs with the channels
 * across the vector (dwvec.h). Other depthwise convolutions of stride 1
 * (3x3 and 5x5, dilation 1 and 2) run by strips of output rows straight from the
 * source plane (dw_strip_corr; paired strips on planes of 7 or 8 rows of at
 * most 8 columns), their weight gradients too (dw_strip_wgrad). The fused
 * block's stride-2 backward on small inputs runs through them as well
 * (DwBack: the gradient upsampled). The others run on a zero-padded copy of
 * each plane (plane.h), split into `stride` column phases so that every tap
 * reads contiguous memory whatever the stride, threaded over batch x
 * channels. Their outputs are computed in "jobs" of VL consecutive pixels
 * of a row (one vector, vec.h); a tile of 8 jobs keeps 8 independent
 * accumulators in registers, which hides the FMA latency even for 7x7
 * planes. The input gradient of a stride-1 depthwise conv is the same
 * correlation on the padded output gradient with the kernel flipped; other
 * strides scatter into a padded plane. The weight gradient is
 * threaded over channels, images in order inside each, so it does not depend
 * on the thread count either.
 */
#include "config.h"
#include "isa.h"
#include "dartboard/conv.h"
#include "dartboard/batchnorm.h"

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/profile.h"
#include "dwvec.h"
#include "gemm.h"
#include "plane.h"
#include "vec.h"

int conv_out_size(int in, int kernel, int stride, int pad, int dilation)
{
    int span = in + 2 * pad - dilation * (kernel - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
}

size_t conv_weight_count(const ConvSpec *s)
{
    return (size_t)s->c_out * (size_t)(s->c_in / s->groups) * (size_t)s->kh * (size_t)s->kw;
}

static int conv_is_pointwise(const ConvSpec *s)
{
    return s->groups == 1 && s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* groups == c_in == c_out. A single channel (model.init_channels = 1) is
 * dense and depthwise at once; it takes the depthwise kernel unless it is
 * the 1x1 product, so that a SepConv's first half is depthwise at any width. */
static int conv_is_depthwise(const ConvSpec *s)
{
    return s->groups == s->c_in && s->c_in == s->c_out && (s->groups > 1 || !conv_is_pointwise(s));
}

/* A bad spec is a planning bug, not bad input: stop with a message. */
static void conv_check(const ConvSpec *s, int n, int h, int w, const char *fn)
{
    const char *why = NULL;
    if (s->c_in < 1 || s->c_out < 1 || s->kh < 1 || s->kw < 1)
        why = "channels and kernel sizes must be >= 1";
    else if (s->stride < 1 || s->dilation < 1 || s->pad < 0)
        why = "stride and dilation must be >= 1 and pad >= 0";
    else if (s->groups != 1 && !conv_is_depthwise(s))
        why = "groups must be 1 or c_in == c_out";
    else if (n < 1 || h < 1 || w < 1)
        why = "batch and spatial sizes must be >= 1";
    else if (conv_out_size(h, s->kh, s->stride, s->pad, s->dilation) < 1 ||
             conv_out_size(w, s->kw, s->stride, s->pad, s->dilation) < 1)
        why = "the kernel does not fit the padded input";
    if (why) {
        fprintf(stderr,
                "dartboard: %s: bad convolution (c_in %d c_out %d kernel %dx%d stride %d "
                "pad %d dilation %d groups %d on %dx%dx%d): %s\n",
                fn, s->c_in, s->c_out, s->kh, s->kw, s->stride, s->pad, s->dilation, s->groups, n,
                h, w, why);
        abort();
    }
}

/* Image groups of the weight gradient (see dense_dweight_groups); the sum of
 * the partials below is written out for exactly 4. The partials live on the
 * calling thread's stack (4 x 64 KiB): enough for every DARTS convolution up
 * to the 256 -> 64 channel preprocessing; larger weights have theirs in the
 * convolution's scratch (conv_scratch_floats). */
#define DW_GROUPS 4
#define DW_GROUP_FLOATS 16384

size_t conv_scratch_floats(const ConvSpec *s, int n, int h, int w)
{
    if (conv_is_depthwise(s))
        return 0;
    size_t ho = (size_t)conv_out_size(h, s->kh, s->stride, s->pad, s->dilation);
    size_t wo = (size_t)conv_out_size(w, s->kw, s->stride, s->pad, s->dilation);
    size_t kdim = (size_t)s->c_in * (size_t)s->kh * (size_t)s->kw, len = (size_t)s->c_out * kdim;
    size_t cols = conv_is_pointwise(s) ? 0 : (size_t)n * kdim * ho * wo;
    /* the weight gradient's partials, where the stack's are too small */
    return cols + (len > DW_GROUP_FLOATS ? DW_GROUPS * len : 0);
}

/* Output indices o in [*lo, *hi) whose input index o*stride + off is in [0, n_in). */
static void conv_valid_range(int off, int stride, int n_in, int n_out, int *lo, int *hi)
{
    int a = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int b = n_in - 1 - off < 0 ? 0 : (n_in - 1 - off) / stride + 1;
    if (b > n_out)
        b = n_out;
    if (a > b)
        a = b;
    *lo = a;
    *hi = b;
}

/* ------------------------------------------------------------------ dense */

/* col (c*kh*kw, ho*wo) from one image x (c, h, w). */
static void conv_im2col(const ConvSpec *s, float *restrict col, const float *restrict x, int h,
                        int w, int ho, int wo)
{
    const int st = s->stride;
    for (int c = 0; c < s->c_in; c++)
        for (int ky = 0; ky < s->kh; ky++)
            for (int kx = 0; kx < s->kw; kx++) {
                float *row = col + ((size_t)(c * s->kh + ky) * s->kw + kx) * ho * wo;
                int xoff = kx * s->dilation - s->pad, lo, hi;
                conv_valid_range(xoff, st, w, wo, &lo, &hi);
                for (int oy = 0; oy < ho; oy++) {
                    float *o = row + (size_t)oy * wo;
                    int iy = oy * st - s->pad + ky * s->dilation;
                    if (iy < 0 || iy >= h) {
                        memset(o, 0, (size_t)wo * sizeof *o);
                        continue;
                    }
                    const float *xr = x + ((size_t)c * h + iy) * w + xoff;
                    for (int ox = 0; ox < lo; ox++)
                        o[ox] = 0.0f;
                    if (st == 1)
                        memcpy(o + lo, xr + lo, (size_t)(hi - lo) * sizeof *o);
                    else
                        for (int ox = lo; ox < hi; ox++)
                            o[ox] = xr[ox * st];
                    for (int ox = hi; ox < wo; ox++)
                        o[ox] = 0.0f;
                }
            }
}

/* dx (c, h, w) += col2im(col) */
static void conv_col2im_add(const ConvSpec *s, float *restrict dx, const float *restrict col, int h,
                            int w, int ho, int wo)
{
    const int st = s->stride;
    for (int c = 0; c < s->c_in; c++)
        for (int ky = 0; ky < s->kh; ky++)
            for (int kx = 0; kx < s->kw; kx++) {
                const float *row = col + ((size_t)(c * s->kh + ky) * s->kw + kx) * ho * wo;
                int xoff = kx * s->dilation - s->pad, lo, hi;
                conv_valid_range(xoff, st, w, wo, &lo, &hi);
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy * st - s->pad + ky * s->dilation;
                    if (iy < 0 || iy >= h)
                        continue;
                    const float *o = row + (size_t)oy * wo;
                    float *xr = dx + ((size_t)c * h + iy) * w + xoff;
                    for (int ox = lo; ox < hi; ox++)
                        xr[ox * st] += o[ox];
                }
            }
}

/* A 1x1 weight gradient written out rather than left to sgemm: image by
 * image into dW, one fixed summation order per weight (vector lanes over
 * pixels, then the lanes). For the fused block's weights beyond the stack
 * partials, and on AVX-512 for planes of PWT_MIN_PIXELS or more (see
 * dweight_group_add).
 *
 * G (rows r0..r0+R, cols c0..c0+C) += A B^T over p: A (m, p), B (k, p). */
#if VL == 16
#define PWT_C 4 /* 16 zmm sums, 4 B rows and an A row loaded */
#else
#define PWT_C 2 /* 8 ymm sums of 16 registers */
#endif

#ifdef __AVX512F__
/* G rows 0..3, columns 0..3 += the lane sums of s[r][j]: the 16 vectors
 * summed together by a tree of shuffles and adds (pairs of lanes within 128
 * bits, then pairs of 64 bits, then of 128-bit lanes twice), 15 adds where
 * 16 sums apart took 64, and as many shuffles. Lane 4r + j of the result is
 * s[r][j]'s sum. */
static inline __attribute__((always_inline)) void pwt_sums_4x4(float *g, int ldg,
                                                               const vf (*s)[PWT_C])
{
    __m512 t[8], u[4];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        const __m512 a = (__m512)s[i / 2][2 * (i % 2)], b = (__m512)s[i / 2][2 * (i % 2) + 1];
        t[i] = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[2 * i]), b = _mm512_castps_pd(t[2 * i + 1]);
        u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                             _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    const __m512 w0 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], 0x88),
                                    _mm512_shuffle_f32x4(u[0], u[1], 0xdd)),
                 w1 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], 0x88),
                                    _mm512_shuffle_f32x4(u[2], u[3], 0xdd));
    const __m512 sums =
        _mm512_add_ps(_mm512_shuffle_f32x4(w0, w1, 0x88), _mm512_shuffle_f32x4(w0, w1, 0xdd));
    _mm_storeu_ps(g, _mm_add_ps(_mm_loadu_ps(g), _mm512_extractf32x4_ps(sums, 0)));
    _mm_storeu_ps(g + ldg, _mm_add_ps(_mm_loadu_ps(g + ldg), _mm512_extractf32x4_ps(sums, 1)));
    _mm_storeu_ps(g + 2 * (size_t)ldg,
                  _mm_add_ps(_mm_loadu_ps(g + 2 * (size_t)ldg), _mm512_extractf32x4_ps(sums, 2)));
    _mm_storeu_ps(g + 3 * (size_t)ldg,
                  _mm_add_ps(_mm_loadu_ps(g + 3 * (size_t)ldg), _mm512_extractf32x4_ps(sums, 3)));
}
#endif

static inline __attribute__((always_inline)) void pwt_tile(const int R, const int C, float *g,
                                                           int ldg, const float *a, int lda,
                                                           const float *b, int ldb, int p)
{
    vf s[4][PWT_C];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int j = 0; j < C; j++)
            s[r][j] = vf_set1(0.0f);
    for (int x = 0; x < p; x += VL) {
        const int lanes = p - x < VL ? p - x : VL;
        vf bv[PWT_C];
#pragma GCC unroll 4
        for (int j = 0; j < C; j++)
            bv[j] = lanes == VL ? vf_load(b + (size_t)j * ldb + x)
                                : vf_load_part(b + (size_t)j * ldb + x, lanes);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const vf av = lanes == VL ? vf_load(a + (size_t)r * lda + x)
                                      : vf_load_part(a + (size_t)r * lda + x, lanes);
#pragma GCC unroll 4
            for (int j = 0; j < C; j++)
                s[r][j] += av * bv[j];
        }
    }
#ifdef __AVX512F__
    if (R == 4 && C == 4) {
        pwt_sums_4x4(g, ldg, s);
        return;
    }
#endif
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int j = 0; j < C; j++)
            g[(size_t)r * ldg + j] += vf_hsum(s[r][j]);
}

/* Rows r .. r+R of G over all its columns: PWT_C at a time, then one. */
static inline __attribute__((always_inline)) void
pwt_rows(const int R, float *g, const float *a, int lda, const float *b, int ldb, int k, int p)
{
    int j = 0;
    for (; j + PWT_C <= k; j += PWT_C)
        pwt_tile(R, PWT_C, g + j, k, a, lda, b + (size_t)j * ldb, ldb, p);
    for (; j < k; j++)
        pwt_tile(R, 1, g + j, k, a, lda, b + (size_t)j * ldb, ldb, p);
}

/* G (m, k) += A B^T, A (m, p) and B (k, p) row-major, their rows lda and ldb
 * apart. */
static void pwt_gemm(float *g, const float *a, int lda, const float *b, int ldb, int m, int k,
                     int p)
{
    int r = 0;
    for (; r + 4 <= m; r += 4)
        pwt_rows(4, g + (size_t)r * k, a + (size_t)r * lda, lda, b, ldb, k, p);
    for (; r < m; r++)
        pwt_rows(1, g + (size_t)r * k, a + (size_t)r * lda, lda, b, ldb, k, p);
}

static void dense_forward(const ConvSpec *s, float *out, const float *in, const float *weight,
                          int n, int h, int w, float *scratch)
{
    const int ho = conv_out_size(h, s->kh, s->stride, s->pad, s->dilation);
    const int wo = conv_out_size(w, s->kw, s->stride, s->pad, s->dilation);
    const int p = ho * wo, kdim = s->c_in * s->kh * s->kw;
    const int fast = conv_is_pointwise(s);
    const long work NN_OMP_ONLY = (long)n * s->c_out * kdim * p;
    if (!fast && !scratch) {
        fprintf(stderr,
                "dartboard: conv2d_forward: a %dx%d convolution needs scratch "
                "(conv_scratch_floats)\n",
                s->kh, s->kw);
        abort();
    }
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && n > 1)
    for (int i = 0; i < n; i++) {
        const float *b = in + (size_t)i * s->c_in * h * w;
        float *o = out + (size_t)i * s->c_out * p;
        if (fast) {
            gemm_small(s->c_out, p, s->c_in, weight, s->c_in, 1, b, p, o, p, 0);
        } else {
            float *col = scratch + (size_t)i * kdim * p;
            conv_im2col(s, col, b, h, w, ho, wo);
            gemm_small(s->c_out, p, kdim, weight, kdim, 1, col, p, o, p, 0);
        }
    }
}

/* Planes from which the AVX-512 build takes a 1x1 weight gradient by
 * pwt_gemm rather than sgemm. With its 4x4 tiles' sums added by one tree
 * (pwt_sums_4x4), 1 thread, 64 images, against OpenBLAS 0.3.21's SkylakeX
 * kernels / its Haswell ones: 32 x 64 channels on 28x28 211 against 133 /
 * 88 GFLOP/s, 16 x 64 on 28x28 221 against 200 / 75, 32 x 128 on 14x14 186
 * against 150 / 105, 32 x 32 on 14x14 194 against 196 / 96; the fashion
 * training step 4-6 % faster, 8-10 % with the Haswell kernels. On 7x7 the
 * tiles' last vector holds 1 pixel of 16 and the sums weigh on 4 vectors
 * of products: 122 against 177 / 114 GFLOP/s (64 x 64), sgemm stays. AVX2
 * (no tree: its tiles sum lane by lane) keeps sgemm: Haswell's ran at 73-80
 * on 32x32, its 8-lane pwt_gemm at 50-61. */
#define PWT_MIN_PIXELS 128

/* part (c_out, kdim) += dout_i (c_out, p) * col_i^T: one image's share of a
 * group's weight gradient; the rows of dout_i ldd apart, of col_i ldcol. */
static void dweight_group_add(float *part, const float *dout_i, int ldd, const float *col_i,
                              int ldcol, int c_out, int kdim, int p)
{
    if (VL == 16 && p >= PWT_MIN_PIXELS) {
        pwt_gemm(part, dout_i, ldd, col_i, ldcol, c_out, kdim, p);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c_out, kdim, p, 1.0f, dout_i, ldd, col_i,
                ldcol, 1.0f, part, kdim);
}

/* dW += the groups' partial sums (part + g * stride), in the fixed order
 * the bits rely on. */
static void dweight_groups_sum(float *dweight, const float *part, size_t stride, size_t len)
{
    const float *p0 = part, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
    for (size_t e = 0; e < len; e++)
        dweight[e] += (p0[e] + p1[e]) + (p2[e] + p3[e]);
}

/* dW (c_out, kdim) += sum_i dout_i (c_out, p) * col_i^T, by sgemm: the
 * images are split into DW_GROUPS fixed groups (not one per thread), each
 * summed in order into its own partial matrix, and the partials are added in
 * group order. The bits do not depend on the thread count. The partials:
 * `parts` (DW_GROUPS x the weight), or the stack for weights up to
 * DW_GROUP_FLOATS. */
static void dense_dweight_groups(const ConvSpec *s, float *dweight, const float *dout,
                                 const float *cols, size_t col_stride, int n, int p, int kdim,
                                 int par NN_OMP_ONLY, float *parts)
{
    float stack[parts ? 1 : DW_GROUPS * DW_GROUP_FLOATS];
    const size_t len = (size_t)s->c_out * kdim, stride = parts ? len : DW_GROUP_FLOATS;
    float *part = parts ? parts : stack;
#pragma omp parallel for schedule(static) if (par)
    for (int gi = 0; gi < DW_GROUPS; gi++) {
        float *pg = part + (size_t)gi * stride;
        memset(pg, 0, len * sizeof *pg);
        for (int i = n * gi / DW_GROUPS; i < n * (gi + 1) / DW_GROUPS; i++)
            dweight_group_add(pg, dout + (size_t)i * s->c_out * p, p, cols + (size_t)i * col_stride,
                              p, s->c_out, kdim, p);
    }
    dweight_groups_sum(dweight, part, stride, len);
}

/* din += (or = with set) the input gradient; dweight += the weight's. */
static void dense_backward(const ConvSpec *s, float *din, int set, float *dweight,
                           const float *dout, const float *in, const float *weight, int n, int h,
                           int w, float *scratch)
{
    const int ho = conv_out_size(h, s->kh, s->stride, s->pad, s->dilation);
    const int wo = conv_out_size(w, s->kw, s->stride, s->pad, s->dilation);
    const int p = ho * wo, kdim = s->c_in * s->kh * s->kw;
    const int fast = conv_is_pointwise(s);
    const long work = (long)n * s->c_out * kdim * p;
    const int par = work >= NN_PARALLEL_MIN_WORK;
    if (conv_scratch_floats(s, n, h, w) && !scratch) {
        fprintf(stderr,
                "dartboard: conv2d_backward: a %dx%d convolution of %d -> %d channels needs "
                "scratch (conv_scratch_floats)\n",
                s->kh, s->kw, s->c_in, s->c_out);
        abort();
    }
    if (dweight) {
        if (!fast) {
#pragma omp parallel for schedule(static) if (par && n > 1)
            for (int i = 0; i < n; i++)
                conv_im2col(s, scratch + (size_t)i * kdim * p, in + (size_t)i * s->c_in * h * w, h,
                            w, ho, wo);
        }
        const float *cols = fast ? in : scratch;
        const size_t col_stride = fast ? (size_t)s->c_in * p : (size_t)kdim * p;
        float *parts = (size_t)s->c_out * kdim <= DW_GROUP_FLOATS ? NULL
                       : fast                                     ? scratch
                                                                  : scratch + (size_t)n * kdim * p;
        dense_dweight_groups(s, dweight, dout, cols, col_stride, n, p, kdim, par, parts);
    }
    if (din) {
#pragma omp parallel for schedule(static) if (par && n > 1)
        for (int i = 0; i < n; i++) {
            const float *g = dout + (size_t)i * s->c_out * p;
            float *dx = din + (size_t)i * s->c_in * h * w;
            if (fast) {
                gemm_small(s->c_in, p, s->c_out, weight, 1, s->c_in, g, p, dx, p, !set);
            } else {
                float *dcol = scratch + (size_t)i * kdim * p;
                gemm_small(kdim, p, s->c_out, weight, 1, kdim, g, p, dcol, p, 0);
                if (set)
                    memset(dx, 0, (size_t)s->c_in * h * w * sizeof *dx);
                conv_col2im_add(s, dx, dcol, h, w, ho, wo);
            }
        }
    }
}

/* -------------------------------------------------------------- depthwise */

/* J output runs: dst (=, or += when acc) sum_t wk[t] * src[tapoff[t]]. */
static inline __attribute__((always_inline)) void dw_tile_corr(const int J, const PlaneJobs *jb,
                                                               const PlanePlan *pl,
                                                               const float *restrict wk,
                                                               const int acc)
{
    vf a[8];
#pragma GCC unroll 8
    for (int j = 0; j < J; j++)
        a[j] = vf_set1(0.0f);
    for (int t = 0; t < pl->taps; t++) {
        const vf wv = vf_set1(wk[t]);
        const int o = pl->tapoff[t];
#pragma GCC unroll 8
        for (int j = 0; j < J; j++)
            a[j] += wv * vf_load(jb->src[j] + o);
    }
#pragma GCC unroll 8
    for (int j = 0; j < J; j++) {
        if (jb->lanes[j] == VL) {
            vf_store(jb->dst[j], acc ? vf_load(jb->dst[j]) + a[j] : a[j]);
        } else {
            vf v = acc ? vf_load_part(jb->dst[j], jb->lanes[j]) + a[j] : a[j];
            vf_store_part(jb->dst[j], v, jb->lanes[j]);
        }
    }
}

#ifdef __AVX512F__
/* dw_tile_corr for stride 1 with 16-lane vectors. A tap at column shift
 * kx*d reads 16 floats at a 4-byte misalignment, which splits across two
 * cache lines and costs two loads; instead each kernel row loads two aligned
 * vectors per job once and shifts them in registers for every kx. Needs
 * 64-byte aligned jobs (plane.h) and shifts below 16. */
static inline __attribute__((always_inline)) void
dw_tile_corr_s1(const PlaneJobs *jb, const PlanePlan *pl, const float *restrict wk, const int acc)
{
    const int k = pl->k, d = pl->d;
    __m512 a[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++)
        a[j] = _mm512_setzero_ps();
    for (int ky = 0; ky < k; ky++) {
        const size_t row = (size_t)ky * d * pl->pw;
        __m512 lo[8], hi[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            lo[j] = _mm512_load_ps(jb->src[j] + row);
            hi[j] = _mm512_load_ps(jb->src[j] + row + 16);
        }
        for (int kx = 0; kx < k; kx++) {
            const __m512 w = _mm512_set1_ps(wk[ky * k + kx]);
            const __m512i idx = _mm512_add_epi32(
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                _mm512_set1_epi32(kx * d));
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++)
                a[j] = _mm512_fmadd_ps(w, _mm512_permutex2var_ps(lo[j], idx, hi[j]), a[j]);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        vf v = (vf)a[j];
        if (jb->lanes[j] == VL) {
            vf_store(jb->dst[j], acc ? vf_load(jb->dst[j]) + v : v);
        } else {
            v = acc ? vf_load_part(jb->dst[j], jb->lanes[j]) + v : v;
            vf_store_part(jb->dst[j], v, jb->lanes[j]);
        }
    }
}
#define DW_S1_ALIGNED(pl) ((pl)->s == 1 && (pl)->k > 1 && ((pl)->k - 1) * (pl)->d < 16)
#else
#define DW_S1_ALIGNED(pl) 0
#define dw_tile_corr_s1(jb, pl, wk, acc) ((void)0)
#endif

#ifdef __AVX512F__
/* Stride 1 once more, by strips: R output rows of one 16-lane column block.
 * Each input row is read once per column tap (a masked load, strip_tap)
 * and serves all the output rows it reaches, where the tiles above shift it
 * again for each of them. K, D and R are constants of each instantiation,
 * so the loops unroll and the accumulators stay in registers. The first
 * `skip` rows are not written: the strip overlaps the one before.
 *
 * Strips read the source plane itself, not a padded copy: masked loads give
 * zeros for the padding columns (and never fault there), and rows outside
 * the plane are skipped (a row of zeros adds nothing). */

/* Lanes l of a 16-float load at source column `start` with 0 <= start + l
 * < width. */
static inline __mmask16 strip_lanes(int start, int width)
{
    int a = start < 0 ? -start : 0, b = width - start < 16 ? width - start : 16;
    return b <= a ? 0 : (__mmask16)(((1u << b) - 1u) & ~((1u << a) - 1u));
}

/* What dw_pre_plane passes a plane through before the strips read it: a
 * ReLU, or a BN apply then a ReLU (conv_pre_image's formula, so its bits),
 * the BN's per-channel numbers broadcast once per plane. */
typedef struct StripIn {
    int bn;
    __m512 mean, scale, shift;
} StripIn;

static inline __attribute__((always_inline)) StripIn strip_in(const PlanePlan *pl)
{
    return (StripIn){pl->bn, _mm512_set1_ps(pl->bn_mean), _mm512_set1_ps(pl->bn_scale),
                     _mm512_set1_ps(pl->bn_shift)};
}

static inline __attribute__((always_inline)) __m512 strip_through(const StripIn *in, __m512 v)
{
    if (in->bn)
        v = _mm512_fmadd_ps(_mm512_sub_ps(v, in->mean), in->scale, in->shift);
    return _mm512_max_ps(v, _mm512_setzero_ps());
}

/* The lanes of each column tap of column block ox that fall inside the
 * plane. Each tap is a load of its own: the loads leave the FP pipes to the
 * multiply-adds and to a ReLU or BN on load, where shifting two vectors of
 * the row by permutes took them (3x3, 64 images, the fused block's forward /
 * backward on 16 channels of 28x28: 0.553 / 1.192 -> 0.533 / 1.127 ms as
 * the input is, 0.603 / 1.271 -> 0.570 / 1.180 through a BN; 5x5 forward
 * 0.43 -> 0.31 ms against 2 loads and 4 permutes). */
typedef struct StripMasks {
    __mmask16 tap[5];
} StripMasks;

static inline __attribute__((always_inline)) StripMasks strip_masks(const int K, const int D,
                                                                    const PlanePlan *pl, int ox)
{
    StripMasks m = {{0}};
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++)
        m.tap[kx] = strip_lanes(ox - pl->pl + kx * D, pl->src_w);
    return m;
}

/* Column tap kx of the input row whose first column tap is at p: the plane
 * as it is (dw_plane_strips reads it through a ConvPre's ReLU or BN once,
 * dw_pre_plane, before the strips: the strips themselves take no pre). */
static inline __attribute__((always_inline)) __m512 strip_tap(const int D, const StripMasks *m,
                                                              const float *p, int kx)
{
    return _mm512_maskz_loadu_ps(m->tap[kx], p + kx * D);
}

/* The multiply-adds of tap column kx of input row r, shared by the strips
 * and the paired strips: the correlation's, a[j] += wk[ky][kx] * tap for
 * each output row j = r - ky*d of the strip; or the weight gradient's
 * (WGRAD), a[ky][kx] += gv[j] * tap. */
static inline __attribute__((always_inline)) void strip_fmas(const int K, const int D, const int R,
                                                             const int WGRAD, int r, int kx,
                                                             __m512 tap, const __m512 *wb,
                                                             const __m512 *gv, __m512 *a)
{
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        const int j = r - ky * D;
        if (j < 0 || j >= R)
            continue;
        if (WGRAD)
            a[ky * K + kx] = _mm512_fmadd_ps(gv[j], tap, a[ky * K + kx]);
        else
            a[j] = _mm512_fmadd_ps(wb[ky * K + kx], tap, a[j]);
    }
}

/* The correlation's K x K weights, each broadcast once per strip (GCC had
 * kept them as scalars and broadcast one per multiply-add). */
static inline __attribute__((always_inline)) void strip_weights(const int K, const float *wk,
                                                                __m512 *wb)
{
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        wb[t] = _mm512_set1_ps(wk[t]);
}

/* Every input row of the strip at output row oy0, column block ox, through
 * strip_fmas. */
static inline __attribute__((always_inline)) void
strip_rows_fmas(const int K, const int D, const int R, const int WGRAD, const PlanePlan *pl,
                const float *x, int oy0, int ox, const __m512 *wb, const __m512 *gv, __m512 *a)
{
    const StripMasks m = strip_masks(K, D, pl, ox);
    /* the plane's fields read once, the rows found by a running offset (per
     * row, the bounds and the address had cost more scalar work than the
     * multiply-adds had room for) */
    const int iy0 = oy0 - pl->pt, src_h = pl->src_h;
    const ptrdiff_t ld = pl->src_w;
    ptrdiff_t off = (ptrdiff_t)iy0 * ld + ox - pl->pl;
#pragma GCC unroll 16
    for (int r = 0; r < R + (K - 1) * D; r++, off += ld) {
        /* the row's address by a select before the test, not after it:
         * GCC's code is then 2.5 KB smaller and 2-3 % faster on 28x28 */
        const int inside = (unsigned)(iy0 + r) < (unsigned)src_h;
        const float *p = inside ? x + off : x;
        if (!inside)
            continue;
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
            strip_fmas(K, D, R, WGRAD, r, kx, strip_tap(D, &m, p, kx), wb, gv, a);
    }
}

static inline __attribute__((always_inline)) void
dw_strip_corr(const int K, const int D, const int R, const PlanePlan *pl, const float *x,
              float *dst, const float *restrict wk, int oy0, int ox, int lanes, int skip, int acc)
{
    __m512 a[8], wb[25];
    strip_weights(K, wk, wb);
#pragma GCC unroll 8
    for (int j = 0; j < R; j++)
        a[j] = _mm512_setzero_ps();
    strip_rows_fmas(K, D, R, 0, pl, x, oy0, ox, wb, NULL, a);
#pragma GCC unroll 8
    for (int j = 0; j < R; j++) {
        if (j < skip)
            continue;
        float *o = dst + (size_t)(oy0 + j) * pl->out_w + ox;
        vf v = (vf)a[j];
        if (lanes == VL) {
            vf_store(o, acc ? vf_load(o) + v : v);
        } else {
            v = acc ? vf_load_part(o, lanes) + v : v;
            vf_store_part(o, v, lanes);
        }
    }
}

/* The weight gradient by strips: wacc[t] += the sum of g * the input under
 * tap t. 5x5 keeps its 25 sums in registers with strips of 4 rows. */
static inline __attribute__((always_inline)) void
dw_strip_wgrad(const int K, const int D, const int R, const PlanePlan *pl, const float *x,
               const float *g, vf *wacc, int oy0, int ox, int lanes, int skip)
{
    __m512 gv[8], w[25];
#pragma GCC unroll 8
    for (int j = 0; j < R; j++) {
        const float *gp = g + (size_t)(oy0 + j) * pl->out_w + ox;
        gv[j] = j < skip      ? _mm512_setzero_ps()
                : lanes == VL ? (__m512)vf_load(gp)
                              : (__m512)vf_load_part(gp, lanes);
    }
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        w[t] = (__m512)wacc[t];
    strip_rows_fmas(K, D, R, 1, pl, x, oy0, ox, NULL, gv, w);
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        wacc[t] = (vf)w[t];
}
#define DW_STRIP_HAS_WGRAD 1

/* Planes up to 32x32 that the strips read through a ReLU or a BN and ReLU
 * are passed through it once, into a buffer in L1, and the strips read that:
 * on load, each pixel went through it once per column tap (3 or 5 times),
 * and a BN's three operations per load took as many FP slots as the
 * multiply-adds. Lane by lane the same operations: the same bits. */
#define DW_PRE_PLANE_FLOATS 1024

/* Whether the strips can take a ConvPre on load for the planes of *pl: only
 * through dw_pre_plane's buffer, so that the strips' loads are plain loads.
 * Tested per load, the ReLU and BN flags had GCC spill the strip loops'
 * registers: the depthwise half of a fused block (1 thread, in cache) took
 * 17 % longer on 36 channels of 32x32 and 72 of 16x16. In a training step,
 * where it waits on memory, that was about 1 % of the depthwise time. Larger
 * planes get their image made in scratch instead (conv_pre_image). */
static int dw_strips_take_pre(const PlanePlan *pl)
{
    return pl->src_h * pl->src_w <= DW_PRE_PLANE_FLOATS;
}

/* The plane to read for x: buf = x through *pl's ReLU or BN, and *pl
 * then `plain`, a copy of it that reads as is; else x itself, *pl
 * unchanged, where *pl reads the plane as it is. */
static const float *dw_pre_plane(const PlanePlan **pl, const float *x, float *buf, PlanePlan *plain)
{
    const int n = (*pl)->src_h * (*pl)->src_w;
    if (!(*pl)->relu)
        return x;
    if (n > DW_PRE_PLANE_FLOATS) { /* dw_strips_take_pre refuses such planes */
        fprintf(stderr, "dartboard: conv: a %dx%d plane read through a ReLU by the strips\n",
                (*pl)->src_h, (*pl)->src_w);
        abort();
    }
    const StripIn in = strip_in(*pl);
    int j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_store_ps(buf + j, strip_through(&in, _mm512_loadu_ps(x + j)));
    if (j < n) {
        const __mmask16 m = strip_lanes(0, n - j);
        _mm512_mask_store_ps(buf + j, m, strip_through(&in, _mm512_maskz_loadu_ps(m, x + j)));
    }
    *plain = **pl;
    plain->relu = plain->bn = 0;
    *pl = plain;
    return buf;
}

/* Planes of at most 8 columns and 7 or 8 rows (the last stage's 7x7 and
 * 8x8) would fill half of a strip's 16 lanes. A paired strip holds output
 * row j in lanes 0-7 and row 4 + j in lanes 8-15, and each input vector the
 * two rows they read: the whole plane in 4 rows of vectors, not 7 or 8. The
 * multiply-adds per output are those of the strips, in the same order, so
 * the correlation gives the same bits. */
#define DW_PAIR_ROWS 4

static int dw_paired(const PlanePlan *pl)
{
    return pl->out_w <= 8 && pl->src_w <= 8 && (pl->out_h == 7 || pl->out_h == 8);
}

/* Input rows a (lanes 0-7) and a + 4 (lanes 8-15), at offsets off and
 * off + 4 rows in x, zero beyond the plane's columns and for rows outside
 * it (src_h rows of ld). */
static inline __attribute__((always_inline)) __m512 pair_row(const float *x, int a, ptrdiff_t off,
                                                             int src_h, ptrdiff_t ld, __mmask8 cols)
{
    const int b = a + DW_PAIR_ROWS, top = (unsigned)a < (unsigned)src_h,
              bot = (unsigned)b < (unsigned)src_h;
    const __m256 lo = top ? _mm256_maskz_loadu_ps(cols, x + off) : _mm256_setzero_ps();
    const __m256 hi =
        bot ? _mm256_maskz_loadu_ps(cols, x + off + DW_PAIR_ROWS * ld) : _mm256_setzero_ps();
    return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
}

/* The lane moves of tap column kx: output lane l of each half reads source
 * column l + kx*d - pl, zero outside 0..src_w. */
typedef struct PairShift {
    __m512i idx;
    __mmask16 keep;
    int off;
} PairShift;

static inline __attribute__((always_inline)) PairShift pair_shift_plan(const PlanePlan *pl, int kx,
                                                                       int d)
{
    PairShift s;
    s.off = kx * d - pl->pl;
    unsigned half = 0;
    for (int l = 0; l < 8; l++)
        if (l + s.off >= 0 && l + s.off < pl->src_w)
            half |= 1u << l;
    s.keep = (__mmask16)(half | half << 8);
    s.idx =
        _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(s.off));
    return s;
}

static inline __attribute__((always_inline)) __m512 pair_shift(__m512 v, const PairShift *s)
{
    /* unshifted, the lanes past the plane are the load's zeros already */
    return s->off == 0 ? v : _mm512_maskz_permutexvar_ps(s->keep, s->idx, v);
}

/* Every input row of a paired strip through strip_fmas. */
static inline __attribute__((always_inline)) void pair_fmas(const int K, const int D,
                                                            const int WGRAD, const PlanePlan *pl,
                                                            const float *x, const __m512 *wb,
                                                            const __m512 *gv, __m512 *a)
{
    const __mmask8 cols = (__mmask8)((1u << pl->src_w) - 1u);
    PairShift sh[5];
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++)
        sh[kx] = pair_shift_plan(pl, kx, D);
    const int src_h = pl->src_h;
    const ptrdiff_t ld = pl->src_w;
    ptrdiff_t off = -(ptrdiff_t)pl->pt * ld; /* row r - pt, as strip_rows_fmas */
#pragma GCC unroll 16
    for (int r = 0; r < DW_PAIR_ROWS + (K - 1) * D; r++, off += ld) {
        const __m512 v = pair_row(x, r - pl->pt, off, src_h, ld, cols);
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
            strip_fmas(K, D, DW_PAIR_ROWS, WGRAD, r, kx, pair_shift(v, &sh[kx]), wb, gv, a);
    }
}

static inline __attribute__((always_inline)) void dw_pair_corr(const int K, const int D,
                                                               const PlanePlan *pl, const float *x,
                                                               float *dst, const float *restrict wk,
                                                               int acc)
{
    const int R = DW_PAIR_ROWS, w = pl->out_w;
    const __mmask8 out = (__mmask8)((1u << w) - 1u);
    __m512 a[DW_PAIR_ROWS], wb[25];
    strip_weights(K, wk, wb);
#pragma GCC unroll 4
    for (int j = 0; j < R; j++)
        a[j] = _mm512_setzero_ps();
    pair_fmas(K, D, 0, pl, x, wb, NULL, a);
#pragma GCC unroll 4
    for (int j = 0; j < R; j++) {
        __m256 top = _mm512_castps512_ps256(a[j]), bot = _mm512_extractf32x8_ps(a[j], 1);
        float *o = dst + (size_t)j * w, *p = dst + (size_t)(j + R) * w;
        if (acc)
            top = _mm256_add_ps(_mm256_maskz_loadu_ps(out, o), top);
        _mm256_mask_storeu_ps(o, out, top);
        if (j + R < pl->out_h) {
            if (acc)
                bot = _mm256_add_ps(_mm256_maskz_loadu_ps(out, p), bot);
            _mm256_mask_storeu_ps(p, out, bot);
        }
    }
}

/* The weight gradient by paired strips. */
static inline __attribute__((always_inline)) void dw_pair_wgrad(const int K, const int D,
                                                                const PlanePlan *pl, const float *x,
                                                                const float *g, vf *wacc)
{
    const int R = DW_PAIR_ROWS, w = pl->out_w;
    const __mmask8 out = (__mmask8)((1u << w) - 1u);
    __m512 gv[DW_PAIR_ROWS], acc[25];
#pragma GCC unroll 4
    for (int j = 0; j < R; j++) {
        const __m256 top = _mm256_maskz_loadu_ps(out, g + (size_t)j * w);
        const __m256 bot = j + R < pl->out_h ? _mm256_maskz_loadu_ps(out, g + (size_t)(j + R) * w)
                                             : _mm256_setzero_ps();
        gv[j] = _mm512_insertf32x8(_mm512_castps256_ps512(top), bot, 1);
    }
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        acc[t] = (__m512)wacc[t];
    pair_fmas(K, D, 1, pl, x, NULL, gv, acc);
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        wacc[t] = (vf)acc[t];
}
#define DW_HAS_PAIRS 1

#elif defined(__AVX2__)
#define dw_strips_take_pre(pl) 1 /* on load, 8 lanes by 8 */

/* The AVX2 build's strips (8 lanes). AVX2 has no shift across two
 * registers, so each column tap of an input row is its own masked load
 * (masked loads are cheap everywhere; it is AVX2's masked store that AMD
 * microcodes), and serves the up to k output rows the row reaches: k loads
 * per row where the tiles load k*k per output run. Rows outside the plane
 * are skipped. The weight gradient keeps the tiles: its k*k accumulators and
 * the strip's gradients would not fit in 16 registers. */

/* Lanes l of an 8-float load at source column `start` with 0 <= start + l
 * < width. */
static inline __m256i strip_lanes(int start, int width)
{
    const __m256i col =
        _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(start));
    return _mm256_and_si256(_mm256_cmpgt_epi32(col, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(width), col));
}

static inline __attribute__((always_inline)) void
dw_strip_corr(const int K, const int D, const int R, const PlanePlan *pl, const float *x,
              float *dst, const float *restrict wk, int oy0, int ox, int lanes, int skip, int acc)
{
    __m256i m[5];
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++)
        m[kx] = strip_lanes(ox + kx * D - pl->pl, pl->src_w);
    v8 a[8];
    const v8 bm = v8_set1(pl->bn_mean), ba = v8_set1(pl->bn_scale), bb = v8_set1(pl->bn_shift);
#pragma GCC unroll 8
    for (int j = 0; j < R; j++)
        a[j] = v8_set1(0.0f);
#pragma GCC unroll 16
    for (int r = 0; r < R + (K - 1) * D; r++) {
        const int iy = oy0 + r - pl->pt;
        if (iy < 0 || iy >= pl->src_h)
            continue;
        const float *p = x + (size_t)iy * pl->src_w + ox - pl->pl;
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++) {
            v8 v = (v8)_mm256_maskload_ps(p + kx * D, m[kx]);
            if (pl->bn) /* the padding stays zero: masked after the BN */
                v = (v8)_mm256_and_ps(
                    _mm256_max_ps((__m256)((v - bm) * ba + bb), _mm256_setzero_ps()),
                    _mm256_castsi256_ps(m[kx]));
            else if (pl->relu)
                v = (v8)_mm256_max_ps((__m256)v, _mm256_setzero_ps());
#pragma GCC unroll 5
            for (int ky = 0; ky < K; ky++) {
                const int j = r - ky * D;
                if (j >= 0 && j < R)
                    a[j] += v8_set1(wk[ky * K + kx]) * v;
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < R; j++) {
        if (j < skip)
            continue;
        float *o = dst + (size_t)(oy0 + j) * pl->out_w + ox;
        if (lanes == VL) {
            v8_store(o, acc ? v8_load(o) + a[j] : a[j]);
        } else {
            v8 v = acc ? v8_load_part(o, lanes) + a[j] : a[j];
            v8_store_part(o, v, lanes);
        }
    }
}
#define DW_STRIP_HAS_WGRAD 0
#define DW_HAS_PAIRS 0
#define dw_paired(pl) 0
#endif

#if defined(__AVX512F__) || defined(__AVX2__)
/* The strip height for a plane, 0 where no instantiation serves it: 7 for
 * heights that 7 divides and 8 does not (the 28, 14 and 7 of 28x28 inputs),
 * else 8, the last strip overlapping the one before; 4 for a 5x5 weight
 * gradient (its 25 sums take the registers). */
static int dw_strip_rows(const PlanePlan *pl, int wgrad)
{
    if (pl->s != 1 || (pl->k != 3 && pl->k != 5) || (pl->d != 1 && pl->d != 2) ||
        (wgrad && !DW_STRIP_HAS_WGRAD))
        return 0;
    if (wgrad && pl->k == 5) /* dilated, 12 rows of loads for 4 of gradients: the tiles win */
        return dw_paired(pl) || (pl->d == 1 && pl->out_h >= 4) ? 4 : 0;
    if (pl->out_h % 8 != 0 && pl->out_h % 7 == 0)
        return 7;
    return pl->out_h >= 8 ? 8 : 0;
}

/* One case per instantiation, keyed as dw_strip_key; dw_strip_rows admits
 * no other plane. */
#define DW_STRIP_CASE(X, K, D, R)                                                                  \
    case K * 100 + D * 10 + R:                                                                     \
        X(K, D, R);                                                                                \
        break;
#define DW_STRIP_3X3_CASES(X, R) DW_STRIP_CASE(X, 3, 1, R) DW_STRIP_CASE(X, 3, 2, R)
/* The paired strips' instantiations, keyed k * 10 + d. */
#define DW_PAIR_CASE(X, K, D)                                                                      \
    case K * 10 + D:                                                                               \
        X(K, D);                                                                                   \
        break;
#define DW_PAIR_CASES(X)                                                                           \
    DW_PAIR_CASE(X, 3, 1) DW_PAIR_CASE(X, 3, 2) DW_PAIR_CASE(X, 5, 1) DW_PAIR_CASE(X, 5, 2)

static int dw_strip_key(const PlanePlan *pl, int rows)
{
    return pl->k * 100 + pl->d * 10 + rows;
}

/* Every strip of the source plane x: dst (=, or += with acc) the
 * correlation. */
static void dw_plane_strips(const PlanePlan *pl, int rows, const float *x, float *dst,
                            const float *wk, int acc)
{
#ifdef __AVX512F__
    float pre[DW_PRE_PLANE_FLOATS] __attribute__((aligned(64)));
    PlanePlan plain;
    x = dw_pre_plane(&pl, x, pre, &plain);
#endif
#if DW_HAS_PAIRS
    if (dw_paired(pl)) {
#define DW_PAIR_CORR(K, D) dw_pair_corr(K, D, pl, x, dst, wk, acc)
        switch (pl->k * 10 + pl->d) {
            DW_PAIR_CASES(DW_PAIR_CORR)
        }
#undef DW_PAIR_CORR
        return;
    }
#endif
    const int key = dw_strip_key(pl, rows);
    for (int ox = 0; ox < pl->out_w; ox += VL) {
        const int lanes = pl->out_w - ox < VL ? pl->out_w - ox : VL;
        for (int oy = 0; oy < pl->out_h; oy += rows) {
            const int oy0 = oy + rows > pl->out_h ? pl->out_h - rows : oy;
#define DW_STRIP_CORR(K, D, R) dw_strip_corr(K, D, R, pl, x, dst, wk, oy0, ox, lanes, oy - oy0, acc)
            switch (key) {
                DW_STRIP_3X3_CASES(DW_STRIP_CORR, 7)
                DW_STRIP_3X3_CASES(DW_STRIP_CORR, 8)
                DW_STRIP_CASE(DW_STRIP_CORR, 5, 1, 7)
                DW_STRIP_CASE(DW_STRIP_CORR, 5, 1, 8)
                DW_STRIP_CASE(DW_STRIP_CORR, 5, 2, 7)
                DW_STRIP_CASE(DW_STRIP_CORR, 5, 2, 8)
            }
#undef DW_STRIP_CORR
        }
    }
}

#if DW_STRIP_HAS_WGRAD
/* Every strip of the source plane x: wacc += the weight gradient. */
static void dw_plane_strips_wgrad(const PlanePlan *pl, int rows, const float *x, const float *g,
                                  vf *wacc)
{
    float pre[DW_PRE_PLANE_FLOATS] __attribute__((aligned(64)));
    PlanePlan plain;
    x = dw_pre_plane(&pl, x, pre, &plain);
#if DW_HAS_PAIRS
    if (dw_paired(pl)) {
#define DW_PAIR_WGRAD(K, D) dw_pair_wgrad(K, D, pl, x, g, wacc)
        switch (pl->k * 10 + pl->d) {
            DW_PAIR_CASES(DW_PAIR_WGRAD)
        }
#undef DW_PAIR_WGRAD
        return;
    }
#endif
    const int key = dw_strip_key(pl, rows);
    for (int ox = 0; ox < pl->out_w; ox += VL) {
        const int lanes = pl->out_w - ox < VL ? pl->out_w - ox : VL;
        for (int oy = 0; oy < pl->out_h; oy += rows) {
            const int oy0 = oy + rows > pl->out_h ? pl->out_h - rows : oy;
#define DW_STRIP_WGRAD(K, D, R) dw_strip_wgrad(K, D, R, pl, x, g, wacc, oy0, ox, lanes, oy - oy0)
            switch (key) {
                DW_STRIP_3X3_CASES(DW_STRIP_WGRAD, 7)
                DW_STRIP_3X3_CASES(DW_STRIP_WGRAD, 8)
                DW_STRIP_CASE(DW_STRIP_WGRAD, 5, 1, 4)
                DW_STRIP_CASE(DW_STRIP_WGRAD, 5, 2, 4)
            }
#undef DW_STRIP_WGRAD
        }
    }
}
#else
#define dw_plane_strips_wgrad(pl, rows, x, g, wacc) ((void)0)
#endif
#else
#define dw_strip_rows(pl, wgrad) 0
#define dw_strips_take_pre(pl) 0
#define dw_plane_strips(pl, rows, x, dst, wk, acc) ((void)0)
#define dw_plane_strips_wgrad(pl, rows, x, g, wacc) ((void)0)
#endif

/* buf = the padded copy of plane x, unless *filled says it is one already. */
static void dw_fill_once(const PlanePlan *pl, float *buf, const float *x, int *filled)
{
    if (!*filled)
        plane_fill(pl, buf, x);
    *filled = 1;
}

/* dst (=, or += with acc) the correlation of plane x: by strips straight
 * from x, else by tiles of 8 output runs from its padded copy in buf (made
 * here, *filled set). */
static void dw_plane_corr(const PlanePlan *pl, float *buf, const float *x, float *dst,
                          const float *wk, int acc, int *filled)
{
    const int jobs = pl->out_h * pl->chunks, s1 = DW_S1_ALIGNED(pl), rows = dw_strip_rows(pl, 0);
    PlaneJobs jb;
    if (rows) {
        dw_plane_strips(pl, rows, x, dst, wk, acc);
        return;
    }
    dw_fill_once(pl, buf, x, filled);
    for (int j = 0; j < jobs; j += PLANE_TILE) {
        plane_jobs(&jb, pl, j, jobs, buf, dst);
        if (s1 && acc)
            dw_tile_corr_s1(&jb, pl, wk, 1);
        else if (s1)
            dw_tile_corr_s1(&jb, pl, wk, 0);
        else if (acc)
            dw_tile_corr(PLANE_TILE, &jb, pl, wk, 1);
        else
            dw_tile_corr(PLANE_TILE, &jb, pl, wk, 0);
    }
}

/* Loads the output-gradient runs of a tile, zero beyond each run. */
static inline __attribute__((always_inline)) void dw_load_grad(const int J, vf *g,
                                                               const PlaneJobs *jb)
{
#pragma GCC unroll 8
    for (int j = 0; j < J; j++)
        g[j] = jb->lanes[j] == VL ? vf_load(jb->dst[j]) : vf_load_part(jb->dst[j], jb->lanes[j]);
}

/* wacc[t] += sum_j g_j * src_j[tapoff[t]]: the weight gradient of a tile. */
static inline __attribute__((always_inline)) void dw_tile_wgrad(const int J, const PlaneJobs *jb,
                                                                const PlanePlan *pl, vf *wacc)
{
    vf g[8];
    dw_load_grad(J, g, jb);
    for (int t = 0; t < pl->taps; t++) {
        const int o = pl->tapoff[t];
        vf sa = vf_set1(0.0f), sb = vf_set1(0.0f);
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) {
            if (j & 1)
                sb += g[j] * vf_load(jb->src[j] + o);
            else
                sa += g[j] * vf_load(jb->src[j] + o);
        }
        wacc[t] += sa + sb;
    }
}

#ifdef __AVX512F__
/* dw_tile_wgrad for stride 1, with the aligned loads and in-register shifts
 * of dw_tile_corr_s1. */
static inline __attribute__((always_inline)) void dw_tile_wgrad_s1(const PlaneJobs *jb,
                                                                   const PlanePlan *pl, vf *wacc)
{
    const int k = pl->k, d = pl->d;
    vf g[8];
    dw_load_grad(8, g, jb);
    for (int ky = 0; ky < k; ky++) {
        const size_t row = (size_t)ky * d * pl->pw;
        __m512 lo[8], hi[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            lo[j] = _mm512_load_ps(jb->src[j] + row);
            hi[j] = _mm512_load_ps(jb->src[j] + row + 16);
        }
        for (int kx = 0; kx < k; kx++) {
            const __m512i idx = _mm512_add_epi32(
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                _mm512_set1_epi32(kx * d));
            __m512 sa = _mm512_setzero_ps(), sb = _mm512_setzero_ps();
#pragma GCC unroll 8
            for (int j = 0; j < 8; j += 2) {
                sa = _mm512_fmadd_ps((__m512)g[j], _mm512_permutex2var_ps(lo[j], idx, hi[j]), sa);
                sb = _mm512_fmadd_ps((__m512)g[j + 1],
                                     _mm512_permutex2var_ps(lo[j + 1], idx, hi[j + 1]), sb);
            }
            wacc[ky * k + kx] += (vf)_mm512_add_ps(sa, sb);
        }
    }
}
#else
#define dw_tile_wgrad_s1(jb, pl, wacc) ((void)0)
#endif

/* buf[src_j + tapoff[t]] += wk[t] * g_j: the input gradient by scatter. The
 * runs of one tile overlap in buf; each update is a load and a store in
 * program order, so they compose. */
static inline __attribute__((always_inline)) void
dw_tile_scatter(const int J, const PlaneJobs *jb, const PlanePlan *pl, const float *restrict wk)
{
    vf g[8];
    dw_load_grad(J, g, jb);
    for (int i = 0; i < pl->taps; i++) {
        const int t = pl->colmajor[i];
        const vf wv = vf_set1(wk[t]);
        const int o = pl->tapoff[t];
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) {
            float *p = (float *)jb->src[j] + o;
            vf_store(p, vf_load(p) + wv * g[j]);
        }
    }
}

/* wacc += the weight gradient over the output-gradient plane g and the
 * input plane x (by strips, or from its padded copy in buf, see
 * dw_plane_corr). */
static void dw_plane_wgrad(const PlanePlan *pl, float *buf, const float *x, const float *g,
                           vf *wacc, int *filled)
{
    const int jobs = pl->out_h * pl->chunks, s1 = DW_S1_ALIGNED(pl), rows = dw_strip_rows(pl, 1);
    PlaneJobs jb;
    if (rows) {
        dw_plane_strips_wgrad(pl, rows, x, g, wacc);
        return;
    }
    dw_fill_once(pl, buf, x, filled);
    for (int j = 0; j < jobs; j += PLANE_TILE) {
        plane_jobs(&jb, pl, j, jobs, buf, g);
        if (s1)
            dw_tile_wgrad_s1(&jb, pl, wacc);
        else
            dw_tile_wgrad(PLANE_TILE, &jb, pl, wacc);
    }
}

/* buf (cleared) += the output-gradient plane g scattered through the taps. */
static void dw_plane_scatter(const PlanePlan *pl, float *buf, const float *g, const float *wk)
{
    const int jobs = pl->out_h * pl->chunks;
    PlaneJobs jb;
    for (int j = 0; j < jobs; j += PLANE_TILE) {
        plane_jobs(&jb, pl, j, jobs, buf, g);
        dw_tile_scatter(PLANE_TILE, &jb, pl, wk);
    }
}

static int depthwise_forward(const ConvSpec *s, float *out, const float *in, const float *weight,
                             int n, int h, int w)
{
    const int k = s->kh, ho = conv_out_size(h, k, s->stride, s->pad, s->dilation);
    const int wo = conv_out_size(w, k, s->stride, s->pad, s->dilation);
    PlanePlan pl;
    if (s->kh != s->kw ||
        plane_plan(&pl, k, s->dilation, s->stride, h, w, s->pad, s->pad, ho, wo) != 0)
        return -1;
    const long planes = (long)n * s->c_in;
    const long work NN_OMP_ONLY = planes * ho * wo * pl.taps;
#pragma omp parallel if (work >= NN_PARALLEL_MIN_WORK)
    {
        float buf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
        plane_clear(&pl, buf);
#pragma omp for schedule(static)
        for (long q = 0; q < planes; q++) {
            const int c = (int)(q % s->c_in);
            int filled = 0;
            dw_plane_corr(&pl, buf, in + (size_t)q * h * w, out + (size_t)q * ho * wo,
                          weight + (size_t)c * pl.taps, 0, &filled);
        }
    }
    return 0;
}

/* The kernel turned around, for the input gradient's correlation. */
static void dw_flip(float *restrict wflip, const float *restrict wk, int taps)
{
    for (int t = 0; t < taps; t++)
        wflip[t] = wk[taps - 1 - t];
}

/* Input gradient of one plane, added into dx (written over it with set:
 * the gather computes every pixel, no clearing first). With a gather plan
 * (stride 1) buf may hold the padded output gradient and must stay zero
 * outside it; otherwise buf is the scatter target and is cleared here. */
static void dw_din_plane(const PlanePlan *fwd, const PlanePlan *gath, float *buf, float *dx,
                         int set, const float *g, const float *wk, const float *wflip)
{
    const size_t hw = (size_t)fwd->src_h * fwd->src_w;
    if (gath) { /* every pixel of the plane: written when set */
        int filled = 0;
        dw_plane_corr(gath, buf, g, dx, wflip, !set, &filled);
    } else {
        if (set)
            memset(dx, 0, hw * sizeof *dx);
        plane_clear(fwd, buf);
        dw_plane_scatter(fwd, buf, g, wk);
        plane_unfill_add(fwd, dx, buf);
    }
}

/* Stride 2 by the upsampled gradient on inputs up to 14x14, where the
 * tiles' fixed costs per plane dominate (bench --kernels, 64 images: 3x3 on
 * 14x14 0.40-0.58 -> 0.23 ms, 5x5 0.66 -> 0.43-0.46; on 8x8 and 7x7 3x3
 * 0.65-0.69 -> 0.14-0.17, 5x5 1.8-2.3 -> 0.28-0.32); from 16x16 on the tiles
 * pay them back and the 4x work does not pay (5x5 on 16x16 0.59 -> 0.68 ms,
 * on 32x32 0.81 -> 1.34). */
#define DW_UP_MAX_PIXELS (14 * 14)

/* How a plane's backward runs. The weight gradient by the forward's plan,
 * the input gradient by scattering through it; or, where it plans
 * (has_gath), the input gradient as a gather: stride 1, the correlation of
 * dout padded by (k-1)d - pad with the flipped kernel; stride 2 (up, asked
 * for by the fused block's backward), the same from U, dout upsampled (U,
 * 2ho-1 x 2wo-1, holds dout at its even pixels and zeros between), and the
 * weight gradient the stride-1 one over U's grid (wg). Stride 2 so does 4x
 * the multiply-adds at the strips' rate against the tiles' fill, scatter
 * and unfill at a sixth of it; it is planned only where the strips serve
 * both. The search's depthwise_backward keeps the tiles: its second-order
 * step, a finite difference of gradients, magnified U's other rounding to
 * 4e-5 in the alphas, where 1 and 2 MPI ranks agree to the bit. */
typedef struct DwBack {
    PlanePlan gath, wg;
    int has_gath, up, uh, uw;
} DwBack;

static void dw_back_plan(DwBack *b, int k, int d, int stride, int pad, int h, int w, int ho, int wo,
                         int up)
{
    const int gpad = (k - 1) * d - pad;
    b->has_gath = b->up = 0;
    if (gpad < 0)
        return;
    if (stride == 1) {
        b->has_gath = plane_plan(&b->gath, k, d, 1, ho, wo, gpad, gpad, h, w) == 0;
        return;
    }
    b->uh = 2 * ho - 1;
    b->uw = 2 * wo - 1;
    b->up = up && stride == 2 && h * w <= DW_UP_MAX_PIXELS &&
            plane_plan(&b->gath, k, d, 1, b->uh, b->uw, gpad, gpad, h, w) == 0 &&
            plane_plan(&b->wg, k, d, 1, h, w, pad, pad, b->uh, b->uw) == 0 &&
            dw_strip_rows(&b->gath, 0) && dw_strip_rows(&b->wg, 1);
    b->has_gath = b->up;
}

/* The gather's buffer, cleared once per thread: U's zeros stay, each plane
 * writing only the even pixels. */
static void dw_back_clear(const DwBack *b, float *dbuf)
{
    if (b->up)
        memset(dbuf, 0, (size_t)b->uh * b->uw * sizeof *dbuf);
    else if (b->has_gath)
        plane_clear(&b->gath, dbuf);
}

/* The output gradient the backward reads: g, or with up g upsampled into
 * ubuf. */
static const float *dw_back_grad(const DwBack *b, float *ubuf, const float *g)
{
    if (!b->up)
        return g;
    const int ho = (b->uh + 1) / 2, wo = (b->uw + 1) / 2;
    for (int y = 0; y < ho; y++)
        for (int x = 0; x < wo; x++)
            ubuf[(size_t)2 * y * b->uw + 2 * x] = g[(size_t)y * wo + x];
    return ubuf;
}

static int depthwise_backward(const ConvSpec *s, float *din, float *dweight, const float *dout,
                              const float *in, const float *weight, int n, int h, int w)
{
    const int k = s->kh, d = s->dilation, c_n = s->c_in;
    const int ho = conv_out_size(h, k, s->stride, s->pad, d);
    const int wo = conv_out_size(w, k, s->stride, s->pad, d);
    PlanePlan fwd;
    if (s->kh != s->kw || plane_plan(&fwd, k, d, s->stride, h, w, s->pad, s->pad, ho, wo) != 0)
        return -1;
    DwBack b; /* stride 1's gather only: see dw_back_plan */
    dw_back_plan(&b, k, d, s->stride, s->pad, h, w, ho, wo, 0);
    const PlanePlan *gp = b.has_gath ? &b.gath : NULL;
    const long work = (long)n * c_n * ho * wo * fwd.taps;
    const int par NN_OMP_ONLY = work >= NN_PARALLEL_MIN_WORK;

    if (dweight) {
        /* One channel per iteration, images in order: the weight gradient's
         * sum does not depend on the partition. */
#pragma omp parallel if (par)
        {
            float xbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
            float dbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
            float wflip[PLANE_MAX_TAPS];
            vf wacc[PLANE_MAX_TAPS];
            plane_clear(&fwd, xbuf);
            dw_back_clear(&b, dbuf);
#pragma omp for schedule(static)
            for (int c = 0; c < c_n; c++) {
                const float *wk = weight + (size_t)c * fwd.taps;
                dw_flip(wflip, wk, fwd.taps);
                for (int t = 0; t < fwd.taps; t++)
                    wacc[t] = vf_set1(0.0f);
                for (int i = 0; i < n; i++) {
                    size_t q = (size_t)i * c_n + c;
                    const float *g = dout + q * ho * wo;
                    int filled = 0;
                    dw_plane_wgrad(&fwd, xbuf, in + q * h * w, g, wacc, &filled);
                    if (din)
                        dw_din_plane(&fwd, gp, dbuf, din + q * h * w, 0, g, wk, wflip);
                }
                for (int t = 0; t < fwd.taps; t++)
                    dweight[(size_t)c * fwd.taps + t] += vf_hsum(wacc[t]);
            }
        }
    } else if (din) {
#pragma omp parallel if (par)
        {
            float dbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
            float wflip[PLANE_MAX_TAPS];
            dw_back_clear(&b, dbuf);
#pragma omp for schedule(static)
            for (long q = 0; q < (long)n * c_n; q++) {
                const float *wk = weight + (size_t)(q % c_n) * fwd.taps;
                dw_flip(wflip, wk, fwd.taps);
                dw_din_plane(&fwd, gp, dbuf, din + (size_t)q * h * w, 0, dout + (size_t)q * ho * wo,
                             wk, wflip);
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------- public API */

static ProfFamily conv_family(const ConvSpec *s)
{
    return conv_is_depthwise(s)       ? PROF_DEPTHWISE
           : s->kh == 1 && s->kw == 1 ? PROF_POINTWISE
                                      : PROF_DENSE_CONV;
}

/* Multiply-adds of a forward pass, as 2 flops each. */
static double conv_flops(const ConvSpec *s, int n, int h, int w)
{
    const int ho = conv_out_size(h, s->kh, s->stride, s->pad, s->dilation);
    const int wo = conv_out_size(w, s->kw, s->stride, s->pad, s->dilation);
    return 2.0 * n * s->c_out * (s->c_in / s->groups) * s->kh * s->kw * ho * wo;
}

/* The row stride of a per-image scratch matrix of p columns that
 * gemm_small reads as its B: p rounded up to whole vectors, so that every
 * row starts aligned, or for a multiple of 256 (a 32x32 or 16x16 plane,
 * rows a multiple of 1 KiB apart, which share few L1 sets) 16 floats more,
 * so gemm_small reads it in place of copying its column blocks into a panel
 * (gemm.c). Alone, 36 x 144 channels on 32x32 ran at 75-79 GFLOP/s with the
 * panels and 101 with the rows padded; 36 x 36, 94 and 104. A 7x7 plane's
 * rows (49 -> 64) also let gemm_small load its partial vectors whole
 * (gemm.c); a 14x14 plane's (196 -> 208) keep its vector loads and stores
 * from splitting cache lines, as three rows in four of 196 floats did: the
 * fashion training step about 1.5 % shorter by the forward's rows, 0.5-1 %
 * more by the backward's. */
static int padded_ld(int p)
{
    if (p % 256 == 0)
        return p + 16;
    return (p + VL - 1) / VL * VL;
}

/* ------------------------------------------------- depthwise + pointwise */

/* The fused block's scratch, one image of each: the depthwise output and
 * its gradient (c, ho, wo; rows padded_ld apart); for
 * a ConvPre, the input it makes, ReLU(BN(x)), and that input's gradient
 * (the backward's add mode) (c, h, w); for a ConvPost, the block's output
 * gradient (c_out, ho, wo; rows padded_ld apart). */
static size_t dw_pw_planes_floats(const ConvSpec *dw, const ConvSpec *pw, int h, int w)
{
    const size_t p = (size_t)conv_out_size(h, dw->kh, dw->stride, dw->pad, dw->dilation) *
                     (size_t)conv_out_size(w, dw->kw, dw->stride, dw->pad, dw->dilation);
    const size_t ld = (size_t)padded_ld((int)p);
    const size_t n = (size_t)dw->c_out * 2 * ld + 2 * (size_t)dw->c_in * (size_t)h * (size_t)w +
                     (size_t)pw->c_out * ld;
    return (n + 15) / 16 * 16;
}

/* The block's depthwise convolution with the channels across the vector
 * (dwvec.h), where it is served. */
static int dw_vec_plan(DwVec *v, const ConvSpec *dw, int h, int w)
{
    return dw->kh == dw->kw && dw->c_in == dw->c_out && dw->groups == dw->c_in &&
           dwvec_plan(v, dw->c_in, dw->kh, dw->dilation, dw->stride, dw->pad, h, w) == 0;
}

size_t conv_dw_pw_scratch_floats(const ConvSpec *dw, const ConvSpec *pw, int h, int w)
{
    DwVec v; /* then the input's and the gradient's tiles, the staging and
              * the 1x1 weights turned for the CL product (layout) */
    return dw_pw_planes_floats(dw, pw, h, w) +
           (dw_vec_plan(&v, dw, h, w) ? 2 * dwvec_tile_floats(&v) + dwvec_out_floats(&v) +
                                            (size_t)pw->c_in * (size_t)pw->c_out
                                      : 0);
}

int conv_dw_pw_cl(const ConvSpec *dw, const ConvSpec *pw, int h, int w)
{
    DwVec v;
    return DWVEC_BUILT && conv_is_depthwise(dw) && conv_is_pointwise(pw) && pw->c_in == dw->c_out &&
                   pw->c_out % DWVEC_LANES == 0 && dw_vec_plan(&v, dw, h, w)
               ? DWVEC_LANES
               : 0;
}

/* Asks for the n floats at base + off in L1, ahead of their use. The loops
 * that walk a batch tensor plane by plane, from L3 or memory, call it for a
 * plane they will read soon: the first load of a plane had stalled 60 % of
 * dw_pre_plane's cycles, 80 % of relu_copy's, and a FactorizedReduce's
 * input gradient (relu_cat_phase_add) had taken 11x the time of its weight
 * gradient, a product of the same size (1 thread). The address is made as
 * an integer: the next plane of a tensor's last one lies past its end,
 * which a prefetch may ask for (it never faults) but a pointer may not
 * point at. */
static inline void prefetch_floats(const float *base, size_t off, size_t n)
{
    const uintptr_t at = (uintptr_t)base + off * sizeof *base;
    for (size_t j = 0; j < n; j += 16)
        __builtin_prefetch((const void *)(at + j * sizeof *base), 0, 3);
}

/* d[0..n) = ReLU(x). */
static void relu_copy(float *restrict d, const float *restrict x, size_t n)
{
    const vf zero = vf_set1(0.0f);
    size_t j = 0;
    for (; j + VL <= n; j += VL) {
        const vf v = vf_load(x + j);
        vf_store(d + j, vf_if_gt(v, zero, v, zero));
    }
    for (; j < n; j++)
        d[j] = x[j] > 0.0f ? x[j] : 0.0f;
}

/* xt (c, hw) = ReLU((x - mean) * scale + shift), channel by channel: the
 * formula of the BN forward, so a block fed this way reads what a stored
 * ReLU(BN(x)) would hold. */
static void conv_pre_image(float *restrict xt, const float *restrict x, const ConvPre *pre, int c,
                           size_t hw)
{
    if (!pre->mean) { /* the ReLU alone */
        relu_copy(xt, x, (size_t)c * hw);
        return;
    }
    const vf zero = vf_set1(0.0f);
    for (int ch = 0; ch < c; ch++) {
        const float m = pre->mean[ch], a = pre->scale[ch], b = pre->shift[ch];
        const vf mv = vf_set1(m), av = vf_set1(a), bv = vf_set1(b);
        const float *xp = x + (size_t)ch * hw;
        float *op = xt + (size_t)ch * hw;
        size_t j = 0;
        for (; j + VL <= hw; j += VL) {
            const vf y = (vf_load(xp + j) - mv) * av + bv;
            vf_store(op + j, vf_if_gt(y, zero, y, zero));
        }
        for (; j < hw; j++) {
            const float y = (xp[j] - m) * a + b;
            op[j] = y > 0.0f ? y : 0.0f;
        }
    }
}

/* The depthwise half of a fused block, one image at a time. */
typedef struct DwImage {
    const ConvSpec *dw;
    int h, w, ho, wo, planned;
    PlanePlan pl;
    int vec; /* by dwvec instead, its tiles and staging in the scratch */
    DwVec dv;
    float *xtile, *gtile, *stage, *wt;
    int layout; /* conv.h's DWPW_* */
} DwImage;

static void dw_image_plan(DwImage *d, const ConvSpec *dw, const ConvSpec *pw, int n, int h, int w,
                          float *scratch, int layout, const char *fn)
{
    conv_check(dw, n, h, w, fn);
    d->dw = dw;
    d->h = h;
    d->w = w;
    d->ho = conv_out_size(h, dw->kh, dw->stride, dw->pad, dw->dilation);
    d->wo = conv_out_size(w, dw->kw, dw->stride, dw->pad, dw->dilation);
    conv_check(pw, n, d->ho, d->wo, fn);
    if (!conv_is_depthwise(dw) || !conv_is_pointwise(pw) || pw->c_in != dw->c_out) {
        fprintf(stderr, "dartboard: %s: not a depthwise then a 1x1 convolution\n", fn);
        abort();
    }
    d->planned = dw->kh == dw->kw && plane_plan(&d->pl, dw->kh, dw->dilation, dw->stride, h, w,
                                                dw->pad, dw->pad, d->ho, d->wo) == 0;
    d->vec = dw_vec_plan(&d->dv, dw, h, w);
    if (d->vec) {
        d->xtile = scratch + dw_pw_planes_floats(dw, pw, h, w);
        d->gtile = d->xtile + dwvec_tile_floats(&d->dv);
        d->stage = d->gtile + dwvec_tile_floats(&d->dv);
        d->wt = d->stage + dwvec_out_floats(&d->dv);
        dwvec_clear(&d->dv, d->xtile);
    }
    d->layout = layout;
    if (layout && !conv_dw_pw_cl(dw, pw, h, w)) {
        fprintf(stderr, "dartboard: %s: channels-last blocks asked for a block they do not serve\n",
                fn);
        abort();
    }
}

#if DWVEC_BUILT
/* The tile of x's DWVEC_LANES channels from c0 through pre (NULL: as they
 * are); x one image, as the layout has it. */
static void dw_vec_pack(const DwImage *d, const ConvPre *pre, const float *x, int c0)
{
    const size_t hw = (size_t)d->h * d->w;
    const int bn = pre && pre->mean;
    const float *mean = bn ? pre->mean + c0 : NULL, *scale = bn ? pre->scale + c0 : NULL,
                *shift = bn ? pre->shift + c0 : NULL;
    if (d->layout & DWPW_IN_CL) { /* the block is the tile's pixels, in order */
        dwvec_pack_cl(&d->dv, d->xtile, x + c0 * hw, mean, scale, shift, pre != NULL);
        return;
    }
    /* the next block, or the next image's first: the next DWVEC_LANES hw
     * floats (past the batch's end after its last block: only asked for) */
    dwvec_pack(&d->dv, d->xtile, x + c0 * hw, hw, x + (c0 + DWVEC_LANES) * hw, mean, scale, shift,
               pre != NULL);
}

/* The depthwise output's DWVEC_LANES channels from c0 into tile (one
 * image, planes ldt apart, or CL with DWPW_OUT_CL) from the packed xtile. */
static void dw_vec_out(const DwImage *d, float *tile, size_t ldt, const float *wk, int c0)
{
    if (d->layout & DWPW_OUT_CL)
        dwvec_corr_cl(&d->dv, tile + (size_t)c0 * d->h * d->w, d->xtile, wk, 0, NULL);
    else
        dwvec_corr(&d->dv, tile + c0 * ldt, ldt, d->xtile, wk, 0, 0, NULL, d->stage);
}
#endif

/* Whether pre (a ReLU, or a BN apply and a ReLU) can be taken by the strips
 * as they read the input, with no copy of the image: the correlation's
 * strips serve the plane, and with wgrad the weight gradient's too. Sets
 * d->pl.relu and d->pl.bn; dw_pre_channel sets the BN's numbers. (The copy,
 * conv_pre_image, had cost 1.5 % of a training step at 1 thread.) */
static int dw_pre_on_load(DwImage *d, const ConvPre *pre, int wgrad)
{
    d->pl.relu = pre && d->planned && dw_strip_rows(&d->pl, 0) &&
                 (!wgrad || dw_strip_rows(&d->pl, 1)) && dw_strips_take_pre(&d->pl);
    d->pl.bn = d->pl.relu && pre->mean;
    return d->pl.relu;
}

/* Channel ch's BN numbers for the strips, when they apply pre's BN. */
static void dw_pre_channel(DwImage *d, const ConvPre *pre, int ch)
{
    if (!d->pl.bn)
        return;
    d->pl.bn_mean = pre->mean[ch];
    d->pl.bn_scale = pre->scale[ch];
    d->pl.bn_shift = pre->shift[ch];
}

/* tile (c, ho, wo) = depthwise(x), x one image, tile's planes ldt apart
 * (or as d's layout has them);
 * buf: the plane buffer, cleared once by the caller (plane_fill never
 * writes its border). */
static void dw_image_forward(DwImage *d, const ConvPre *pre, float *buf, float *tile, size_t ldt,
                             const float *x, const float *wdw)
{
    const size_t hw = (size_t)d->h * d->w, p = (size_t)d->ho * d->wo;
#if DWVEC_BUILT
    if (d->vec) {
        for (int c0 = 0; c0 < d->dw->c_in; c0 += DWVEC_LANES) {
            dw_vec_pack(d, pre, x, c0);
            dw_vec_out(d, tile, ldt, wdw + (size_t)c0 * d->dv.k * d->dv.k, c0);
        }
        return;
    }
#endif
    if (!d->planned) {
        conv2d_forward_naive(d->dw, tile, x, wdw, 1, d->h, d->w);
        for (int ch = d->dw->c_in - 1; ldt != p && ch > 0; ch--) /* each plane to its row */
            memmove(tile + ch * ldt, tile + ch * p, p * sizeof *tile);
        return;
    }
    for (int ch = 0; ch < d->dw->c_in; ch++) {
        int filled = 0;
        prefetch_floats(x, (size_t)(ch + 1) * hw, hw);
        dw_pre_channel(d, pre, ch);
        dw_plane_corr(&d->pl, buf, x + ch * hw, tile + ch * ldt, wdw + (size_t)ch * d->pl.taps, 0,
                      &filled);
    }
}

/* post's BN statistics or backward sums over image i, its output z in
 * cache (conv.h), laid out as cl says. */
static void post_sums(const ConvPost *post, int cl, const float *z, int i, int co, int p,
                      double *t_bn)
{
    const double t0 = profile_enabled ? profile_clock() : 0.0;
    const size_t o = (size_t)i * co * p;
    const float gs = post->gs ? post->gs[i] : 1.0f;
#if DWVEC_BUILT
    if (cl) {
        if (post->mean2)
            dwvec_bn_stats(post->mean2, post->mean2 + co, i, z, co, (size_t)p);
        if (post->sg)
            dwvec_bn_grad_sums(post->sg, post->sgx, post->g + o, gs, z, post->mean, co, (size_t)p);
    } else
#endif
    {
        (void)cl;
        if (post->mean2)
            batchnorm_stats_image(post->mean2, post->mean2 + co, i, z, co, p);
        if (post->sg)
            batchnorm_grad_sums_image(post->sg, post->sgx, post->g + o, gs, z, post->mean, co, p);
    }
    if (profile_enabled)
        *t_bn += profile_clock() - t0;
}

void conv2d_dw_pw_forward(const ConvSpec *dw, const ConvSpec *pw, const ConvPre *pre,
                          const ConvPost *post, float *out, float *keep, const float *in,
                          const float *wdw, const float *wpw, int n, int h, int w, float *scratch,
                          int layout)
{
    DwImage d;
    dw_image_plan(&d, dw, pw, n, h, w, scratch, layout, "conv2d_dw_pw_forward");
    const int c = dw->c_in, p = d.ho * d.wo, ld = padded_ld(p);
    const size_t hw = (size_t)h * w;
    float *tile = scratch, *xt = scratch + (size_t)c * 2 * ld;
    float buf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
    if (d.planned && !d.vec)
        plane_clear(&d.pl, buf);
    const int on_load = d.vec || dw_pre_on_load(&d, pre, 0);
    const int co = pw->c_out, out_cl = layout & DWPW_OUT_CL;
    if (out_cl) /* the 1x1 weights turned: the CL product's rows */
        for (int o = 0; o < co; o++)
            for (int k = 0; k < c; k++)
                d.wt[(size_t)k * co + o] = wpw[(size_t)o * c + k];
    double t_dw = 0.0, t_pw = 0.0, t_bn = 0.0;
    for (int i = 0; i < n; i++) {
        const double t0 = profile_enabled ? profile_clock() : 0.0;
        const float *x = in + (size_t)i * c * hw;
        if (pre && !on_load) {
            conv_pre_image(xt, x, pre, c, hw);
            x = xt;
        }
        float *t = keep ? keep + (size_t)i * c * p : tile;
        const int ldt = keep ? p : ld;
        dw_image_forward(&d, pre, buf, t, ldt, x, wdw);
        const double t1 = profile_enabled ? profile_clock() : 0.0;
        float *z = out + (size_t)i * co * p;
#if DWVEC_BUILT
        if (out_cl)
            dwvec_cl_product(z, t, d.wt, c, co, (size_t)p);
        else
#endif
            gemm_small(co, p, c, wpw, c, 1, t, ldt, z, p, 0);
        if (profile_enabled) {
            t_dw += t1 - t0;
            t_pw += profile_clock() - t1;
        }
        if (post)
            post_sums(post, out_cl, z, i, co, p, &t_bn);
    }
    if (profile_enabled) {
        profile_charge_seconds(PROF_DEPTHWISE, t_dw, conv_flops(dw, n, h, w));
        profile_charge_seconds(PROF_POINTWISE, t_pw, conv_flops(pw, n, d.ho, d.wo));
        if (post)
            profile_charge_seconds(PROF_BN, t_bn, 4.0 * n * co * p);
    }
}

void conv2d_dw_pw_backward_pw(const ConvSpec *dw, const ConvSpec *pw, float *gmid, float *dwpw,
                              const float *dout, const float *in, const float *wdw,
                              const float *wpw, int n, int h, int w, float *scratch)
{
    DwImage d;
    dw_image_plan(&d, dw, pw, n, h, w, scratch, 0, "conv2d_dw_pw_backward_pw");
    float *tile = scratch;
    const int c = pw->c_in, co = pw->c_out, p = d.ho * d.wo;
    const size_t len = (size_t)co * c;
    /* dW summed as conv2d_backward sums it (dense_dweight_groups), for the
     * same bits; weights too large for the stack partials image by image */
    const int grouped = len <= DW_GROUP_FLOATS;
    float part[DW_GROUPS][DW_GROUP_FLOATS];
    float buf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
    if (dwpw && d.planned && !d.vec)
        plane_clear(&d.pl, buf);
    if (dwpw && grouped)
        for (int gi = 0; gi < DW_GROUPS; gi++)
            memset(part[gi], 0, len * sizeof **part);
    double t_dw = 0.0, t_pw = 0.0;
    for (int i = 0; i < n; i++) {
        const float *a = dout + (size_t)i * co * p;
        double t0 = profile_enabled ? profile_clock() : 0.0, t1 = t0;
        if (dwpw) {
            dw_image_forward(&d, NULL, buf, tile, p, in + (size_t)i * c * h * w, wdw);
            t1 = profile_enabled ? profile_clock() : 0.0;
            int gi = 0; /* dense_dweight_groups' group of image i */
            while (i >= n * (gi + 1) / DW_GROUPS)
                gi++;
            if (grouped)
                dweight_group_add(part[gi], a, p, tile, p, co, c, p);
            else
                pwt_gemm(dwpw, a, p, tile, p, co, c, p);
        }
        gemm_small(c, p, co, wpw, 1, c, a, p, gmid + (size_t)i * c * p, p, 0);
        if (profile_enabled) {
            t_dw += t1 - t0;
            t_pw += profile_clock() - t1;
        }
    }
    if (dwpw && grouped)
        dweight_groups_sum(dwpw, &part[0][0], DW_GROUP_FLOATS, len);
    if (profile_enabled) {
        profile_charge_seconds(PROF_DEPTHWISE, t_dw, dwpw ? conv_flops(dw, n, h, w) : 0.0);
        profile_charge_seconds(PROF_POINTWISE, t_pw,
                               conv_flops(pw, n, d.ho, d.wo) * (dwpw ? 2 : 1));
    }
}

/* dx[0..n) = dx where mask > 0, else 0: a ReLU's backward, in place. */
static void relu_mask_in_place(float *restrict dx, const float *restrict mask, size_t n)
{
    const vf zero = vf_set1(0.0f);
    size_t i = 0;
    for (; i + VL <= n; i += VL)
        vf_store(dx + i, vf_if_gt(vf_load(mask + i), zero, vf_load(dx + i), zero));
    for (; i < n; i++)
        dx[i] = mask[i] > 0.0f ? dx[i] : 0.0f;
}

/* relu_mask_in_place where the BN apply of x (the strips' formula, pl's
 * numbers) is > 0: x read raw, the BN and ReLU taken on load; with add,
 * din += the masked dx instead (relu_mask_add's). */
static inline __attribute__((always_inline)) void bn_relu_mask(float *din, const float *dx,
                                                               const float *restrict x, size_t n,
                                                               const PlanePlan *pl, const int add)
{
    const vf zero = vf_set1(0.0f), m = vf_set1(pl->bn_mean), a = vf_set1(pl->bn_scale),
             b = vf_set1(pl->bn_shift);
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        const vf g = vf_if_gt((vf_load(x + i) - m) * a + b, zero, vf_load(dx + i), zero);
        vf_store(din + i, add ? vf_load(din + i) + g : g);
    }
    for (; i < n; i++) {
        const float g = (x[i] - pl->bn_mean) * pl->bn_scale + pl->bn_shift > 0.0f ? dx[i] : 0.0f;
        din[i] = add ? din[i] + g : g;
    }
}

/* dx[0..n) += g where mask > 0: a ReLU's backward, added. */
static void relu_mask_add(float *restrict dx, const float *restrict g, const float *restrict mask,
                          size_t n)
{
    const vf zero = vf_set1(0.0f);
    size_t i = 0;
    for (; i + VL <= n; i += VL)
        vf_store(dx + i, vf_load(dx + i) + vf_if_gt(vf_load(mask + i), zero, vf_load(g + i), zero));
    for (; i < n; i++)
        dx[i] += mask[i] > 0.0f ? g[i] : 0.0f;
}

/* What the next image's backward reads first, its output gradient and the
 * BN input behind it (post_grad), each len floats; a slice of both asked
 * for in L1 per channel of this image (a 1-thread fashion step 2-3 %
 * faster, with the input gradient's next plane asked for as well). */
typedef struct Ahead {
    const float *g, *x; /* the tensors, NULL for none */
    size_t off, len;    /* the next image's floats in them */
} Ahead;

/* The depthwise part of one image of the whole backward (see
 * conv2d_dw_pw_backward), plane by plane: from gmid, its output gradient,
 * the input and weight gradients, and with no kept output (kept NULL) the
 * output again into tile. Each depthwise input plane serves both the
 * recomputed output and the weight gradient: read by the strips, or copied
 * into the padded buffer once where they do not serve it. masked: x is a
 * ReLU's output (a ConvPre's), and din = (not +=) the gradient under that
 * ReLU; with dxt (room for one image's input gradient), din += it
 * instead. */
static void dw_backward_planes(DwImage *d, const ConvPre *pre, const DwBack *b, float *xbuf,
                               float *dbuf, float *din, float *dxt, int masked, float *ddw,
                               const float *x, const float *wdw, float *tile, const float *kept,
                               const float *gmid, int ldg, const Ahead *ahead)
{
    const int c = d->dw->c_in, taps = d->pl.taps;
    const size_t hw = (size_t)d->h * d->w;
    for (int ch = 0; ch < c; ch++) {
        const float *wk = wdw + (size_t)ch * taps,
                    *g = dw_back_grad(b, dbuf, gmid + (size_t)ch * ldg);
        float wflip[PLANE_MAX_TAPS];
        vf wacc[PLANE_MAX_TAPS];
        dw_flip(wflip, wk, taps);
        for (int t = 0; t < taps; t++)
            wacc[t] = vf_set1(0.0f);
        int filled = 0; /* one padded copy of the plane, if any, for both */
        prefetch_floats(x, (size_t)(ch + 1) * hw, hw);
        prefetch_floats(din, (size_t)(ch + 1) * hw, hw);
        if (ahead->g) {
            const size_t slice = (ahead->len + c - 1) / c, at = (size_t)ch * slice;
            const size_t len = at >= ahead->len          ? 0
                               : slice < ahead->len - at ? slice
                                                         : ahead->len - at;
            prefetch_floats(ahead->g, ahead->off + at, len);
            prefetch_floats(ahead->x, ahead->off + at, len);
        }
        dw_pre_channel(d, pre, ch);
        const PlanePlan *pl = &d->pl;
        const float *xc = x + ch * hw;
#ifdef __AVX512F__
        /* the output made again and the weight gradient read the plane
         * through its ReLU or BN: once, for both */
        float pre_plane[DW_PRE_PLANE_FLOATS] __attribute__((aligned(64)));
        PlanePlan plain;
        if (!kept && !b->up)
            xc = dw_pre_plane(&pl, xc, pre_plane, &plain);
#endif
        if (!kept)
            dw_plane_corr(pl, xbuf, xc, tile + (size_t)ch * ldg, wk, 0, &filled);
        /* with up the strips read x: the copy, if any, stays the forward's */
        dw_plane_wgrad(b->up ? &b->wg : pl, xbuf, xc, g, wacc, &filled);
        for (int t = 0; t < taps; t++)
            ddw[(size_t)ch * taps + t] += vf_hsum(wacc[t]);
        float *dx = dxt ? dxt + ch * hw : din + ch * hw;
        dw_din_plane(&d->pl, b->has_gath ? &b->gath : NULL, dbuf, dx, masked, g, wk, wflip);
        if (dxt && d->pl.bn)
            bn_relu_mask(din + ch * hw, dx, x + ch * hw, hw, &d->pl, 1);
        else if (dxt)
            relu_mask_add(din + ch * hw, dx, x + ch * hw, hw);
        else if (masked && d->pl.bn)
            bn_relu_mask(dx, dx, x + ch * hw, hw, &d->pl, 0);
        else if (masked)
            relu_mask_in_place(dx, x + ch * hw, hw);
    }
}

#if DWVEC_BUILT
/* dw_backward_planes by dwvec, DWVEC_LANES channels at a time: x read
 * through pre as the tile is made, the output gradient's tile serving both the
 * weight gradient and the input gradient (the flipped correlation). */
static void dw_backward_vec(const DwImage *d, const ConvPre *pre, float *din, float *ddw,
                            const float *x, const float *wdw, float *tile, const float *kept,
                            const float *gmid, int ldg)
{
    const int c = d->dw->c_in, taps = d->dv.k * d->dv.k;
    const size_t hw = (size_t)d->h * d->w;
    for (int c0 = 0; c0 < c; c0 += DWVEC_LANES) {
        const float *wk = wdw + (size_t)c0 * taps;
        dw_vec_pack(d, pre, x, c0);
        if (!kept)
            dw_vec_out(d, tile, ldg, wk, c0);
        if (d->layout & DWPW_OUT_CL)
            dwvec_pack_cl(&d->dv, d->gtile, gmid + (size_t)c0 * hw, NULL, NULL, NULL, 0);
        else
            dwvec_pack(&d->dv, d->gtile, gmid + (size_t)c0 * ldg, ldg, NULL, NULL, NULL, NULL, 0);
        dwvec_wgrad(&d->dv, ddw + (size_t)c0 * taps, d->gtile, d->xtile);
        /* under pre's ReLU: where the tile of ReLU(x) is > 0; added (pre's
         * add, or no pre), or with DWPW_IN_CL set (pre without add) */
        if (d->layout & DWPW_IN_CL)
            dwvec_corr_cl(&d->dv, din + c0 * hw, d->gtile, wk, 1, d->xtile);
        else
            dwvec_corr(&d->dv, din + c0 * hw, hw, d->gtile, wk, 1, !pre || pre->add,
                       pre ? d->xtile : NULL, d->stage);
    }
}
#endif

/* Image i's output gradient: dout's, its rows p apart, or made from it
 * through post's BN in ga, its rows padded_ld(p) apart (conv.h); *lda says
 * which. With cl, both CL (rows p apart). */
static const float *post_grad(const ConvPost *post, int cl, float *ga, const float *dout, int i,
                              int co, int p, int *lda, double *t_bn)
{
    const size_t o = (size_t)i * co * p;
    *lda = p;
    if (!post)
        return dout + o;
    const double t0 = profile_enabled ? profile_clock() : 0.0;
    const float gs = post->gs ? post->gs[i] : 1.0f;
#if DWVEC_BUILT
    if (cl)
        dwvec_bn_input_grad(ga, dout + o, gs, post->x + o, post->mean, post->coef, co, (size_t)p);
    else
#endif
    {
        (void)cl;
        *lda = padded_ld(p);
        batchnorm_input_grad_image(ga, *lda, dout + o, gs, post->x + o, post->mean, post->coef, co,
                                   p);
    }
    if (profile_enabled)
        *t_bn += profile_clock() - t0;
    return ga;
}

/* pre's BN backward sums over image i: dx its output gradient, x its
 * input, laid out as cl says. */
static void pre_sums(const ConvPre *pre, int cl, const float *dx, const float *x, int c, size_t hw,
                     double *t_bn)
{
    const double t0 = profile_enabled ? profile_clock() : 0.0;
#if DWVEC_BUILT
    if (cl)
        dwvec_bn_grad_sums(pre->sg, pre->sgx, dx, 1.0f, x, pre->mean, c, hw);
    else
#endif
    {
        (void)cl;
        batchnorm_grad_sums_image(pre->sg, pre->sgx, dx, 1.0f, x, pre->mean, c, (int)hw);
    }
    if (profile_enabled)
        *t_bn += profile_clock() - t0;
}

void conv2d_dw_pw_backward(const ConvSpec *dw, const ConvSpec *pw, const ConvPre *pre,
                           const ConvPost *post, float *din, float *ddw, float *dpw,
                           const float *dout, const float *in, const float *kept, const float *wdw,
                           const float *wpw, int n, int h, int w, float *scratch, int layout)
{
    DwImage d;
    dw_image_plan(&d, dw, pw, n, h, w, scratch, layout, "conv2d_dw_pw_backward");
    if ((layout & DWPW_IN_CL) && (!pre || pre->add)) {
        fprintf(stderr,
                "dartboard: conv2d_dw_pw_backward: a CL input's gradient is set, not added\n");
        abort();
    }
    const int in_cl = layout & DWPW_IN_CL, out_cl = layout & DWPW_OUT_CL;
    const int c = pw->c_in, co = pw->c_out, p = d.ho * d.wo;
    const int ldg = padded_ld(p); /* tile's and gmid's rows, as the forward's */
    const size_t hw = (size_t)h * w;
    float *tile = scratch, *gmid = scratch + (size_t)c * ldg, *xt = scratch + 2 * (size_t)c * ldg;
    float *dxt = pre && pre->add ? xt + (size_t)c * hw : NULL;
    float *ga = xt + 2 * (size_t)c * hw;
    const int sums = pre && pre->sg; /* with add: over din as it stands after the image's */
    double t_dw = 0.0, t_pw = 0.0, t_bn = 0.0;
    if (!d.planned) {
        for (int i = 0; i < n; i++) {
            int lda;
            const float *a = post_grad(post, 0, ga, dout, i, co, p, &lda, &t_bn),
                        *x = in + (size_t)i * c * hw;
            if (pre) {
                conv_pre_image(xt, x, pre, c, hw);
                x = xt;
            }
            const float *t = kept ? kept + (size_t)i * c * p : tile;
            if (!kept)
                conv2d_forward_naive(dw, tile, x, wdw, 1, h, w);
            dweight_group_add(dpw, a, lda, t, p, co, c, p);
            gemm_small(c, p, co, wpw, 1, c, a, lda, gmid, p, 0);
            float *dx = dxt ? dxt : din + (size_t)i * c * hw;
            if (pre)
                memset(dx, 0, (size_t)c * hw * sizeof *dx);
            conv2d_backward_naive(dw, dx, ddw, gmid, x, wdw, 1, h, w);
            if (dxt)
                relu_mask_add(din + (size_t)i * c * hw, dx, x, (size_t)c * hw);
            else if (pre)
                relu_mask_in_place(dx, x, (size_t)c * hw);
            if (sums) /* over din as it stands (with add, dx is only this op's share) */
                pre_sums(pre, 0, din + (size_t)i * c * hw, in + (size_t)i * c * hw, c, hw, &t_bn);
        }
        return; /* the naive path is not profiled (conv2d_*_naive are references) */
    }
    DwBack b; /* the input gradient gathered where it plans, stride 2 by U */
    dw_back_plan(&b, dw->kh, dw->dilation, dw->stride, dw->pad, h, w, d.ho, d.wo, 1);
    float xbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
    float dbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
    if (d.vec) { /* its tiles instead of the plane buffers */
        dwvec_clear(&d.dv, d.gtile);
    } else {
        plane_clear(&d.pl, xbuf);
        dw_back_clear(&b, dbuf);
    }
    /* the ReLU's mask: x > 0 with a copy, its BN apply > 0 on load (dwvec:
     * never a copy) */
    const int on_load = d.vec || dw_pre_on_load(&d, pre, 1);
    for (int i = 0; i < n; i++) {
        const float *x = in + (size_t)i * c * hw;
        if (pre && !on_load) {
            const double t0 = profile_enabled ? profile_clock() : 0.0;
            conv_pre_image(xt, x, pre, c, hw);
            x = xt;
            if (profile_enabled)
                t_dw += profile_clock() - t0;
        }
        int lda;
        const float *a = post_grad(post, out_cl, ga, dout, i, co, p, &lda, &t_bn);
        float *dx = din + (size_t)i * c * hw;
        const float *ki = kept ? kept + (size_t)i * c * p : NULL;
        /* the output gradient of the depthwise part, its input and weight
         * gradients, then the 1x1's weight gradient from its input (kept,
         * or made again into tile) */
        const double t0 = profile_enabled ? profile_clock() : 0.0;
#if DWVEC_BUILT
        if (out_cl)
            dwvec_cl_product(gmid, a, wpw, co, c, (size_t)p);
        else
#endif
            gemm_small(c, p, co, wpw, 1, c, a, lda, gmid, ldg, 0);
        const double t1 = profile_enabled ? profile_clock() : 0.0;
#if DWVEC_BUILT
        if (d.vec)
            dw_backward_vec(&d, pre, dx, ddw, x, wdw, tile, ki, gmid, ldg);
        else
#endif
        {
            const int more = post && i + 1 < n;
            const Ahead ahead = {more ? dout : NULL, more ? post->x : NULL,
                                 (size_t)(i + 1) * co * p, (size_t)co * p};
            dw_backward_planes(&d, pre, &b, xbuf, dbuf, dx, dxt, pre != NULL, ddw, x, wdw, tile, ki,
                               gmid, ldg, &ahead);
        }
        const double t2 = profile_enabled ? profile_clock() : 0.0;
#if DWVEC_BUILT
        if (out_cl)
            dwvec_cl_wgrad(dpw, a, ki ? ki : tile, co, c, (size_t)p);
        else
#endif
            dweight_group_add(dpw, a, lda, ki ? ki : tile, ki ? p : ldg, co, c, p);
        if (profile_enabled) {
            t_pw += t1 - t0 + profile_clock() - t2;
            t_dw += t2 - t1;
        }
        if (sums)
            pre_sums(pre, in_cl, dx, in + (size_t)i * c * hw, c, hw, &t_bn);
    }
    if (profile_enabled) {
        profile_charge_seconds(PROF_DEPTHWISE, t_dw, (kept ? 2.0 : 3.0) * conv_flops(dw, n, h, w));
        profile_charge_seconds(PROF_POINTWISE, t_pw, 2.0 * conv_flops(pw, n, d.ho, d.wo));
        if (post || sums)
            profile_charge_seconds(PROF_BN, t_bn,
                                   ((post ? 5.0 * co * p : 0.0) + (sums ? 4.0 * c * hw : 0.0)) * n);
    }
}

/* ------------------------------------------- 1x1 of a ReLU'd concatenation */

/* xt (c_in, hw) = ReLU of image i of the concatenation, its rows (channels)
 * ld apart. */
static void relu_cat_image(float *restrict xt, const ConvCat *in, int i, size_t hw, size_t ld)
{
    for (int q = 0; q < in->count * in->c; q++) {
        const int b = q / in->c, ch = q % in->c;
        /* the same plane of image i + 1: a whole image of lead */
        prefetch_floats(in->src[b], ((size_t)(i + 1) * in->c + ch) * hw, hw);
        relu_copy(xt + (size_t)q * ld, in->src[b] + ((size_t)i * in->c + ch) * hw, hw);
    }
}

/* One row of a phase: d[j] = ReLU(r[2j]) for j < wo, r holding n >= 2wo - 1
 * pixels. AVX-512: 16 at a time, the row's end by masks (a 28-pixel row's
 * phase in one step, where 8 at a time left 6 of its 14 one by one); else
 * 8 at a time, the row's end one by one. */
static inline void phase_row_gather(float *restrict d, const float *restrict r, int n, int wo)
{
#ifdef __AVX512F__
    for (int j = 0; j < wo; j += 16) {
        const int left = n - 2 * j;
        const vf a = _mm512_maskz_loadu_ps(strip_lanes(0, left), r + 2 * j),
                 b = _mm512_maskz_loadu_ps(strip_lanes(0, left - 16), r + 2 * j + 16);
        const vf v = vf_evens(a, b);
        _mm512_mask_storeu_ps(d + j, strip_lanes(0, wo - j),
                              vf_if_gt(v, vf_set1(0.0f), v, vf_set1(0.0f)));
    }
#else
    const v8 zero = v8_set1(0.0f);
    int j = 0;
    for (; 2 * j + 16 <= n; j += 8) {
        const v8 v = v8_evens(v8_load(r + 2 * j), v8_load(r + 2 * j + 8));
        v8_store(d + j, v8_if_gt(v, zero, v, zero));
    }
    for (; j < wo; j++)
        d[j] = r[2 * j] > 0.0f ? r[2 * j] : 0.0f;
#endif
}

/* Its adjoint through the ReLU: d[2j] += g[j] where x[2j] > 0 (x NULL:
 * everywhere); the odd pixels (the other phase) keep their bits. AVX-512: 8
 * gradients spread to the even lanes of a vector (expand), stored only
 * where the input is > 0 (1 thread, perf: 2.1 -> 0.7 % of the training
 * step); else 8 at a time into the even lanes of two vectors, by shuffles. */
static inline void phase_row_add(float *restrict d, const float *restrict x,
                                 const float *restrict g, int n, int wo)
{
#ifdef __AVX512F__
    for (int j = 0; j < wo; j += 8) {
        const __mmask16 evens = strip_lanes(0, n - 2 * j) & 0x5555;
        const __m256 gj = _mm256_maskz_loadu_ps((__mmask8)strip_lanes(0, wo - j), g + j);
        const __m512 ge = _mm512_maskz_expand_ps(0x5555, _mm512_castps256_ps512(gj));
        const __mmask16 pos =
            x ? _mm512_mask_cmp_ps_mask(evens, _mm512_maskz_loadu_ps(evens, x + 2 * j),
                                        _mm512_setzero_ps(), _CMP_GT_OQ)
              : evens;
        _mm512_mask_storeu_ps(d + 2 * j, pos,
                              _mm512_add_ps(_mm512_maskz_loadu_ps(pos, d + 2 * j), ge));
    }
#else
    const v8 zero = v8_set1(0.0f), even = {1, 0, 1, 0, 1, 0, 1, 0};
    int j = 0;
    for (; 2 * j + 16 <= n; j += 8) {
        const v8 gv = v8_load(g + j);
        for (int k = 0; k < 2; k++) {
            const v8 ge = k ? V8_SHUFFLE2(gv, zero, 4, 8, 5, 8, 6, 8, 7, 8)
                            : V8_SHUFFLE2(gv, zero, 0, 8, 1, 8, 2, 8, 3, 8);
            const v8 dv = v8_load(d + 2 * j + 8 * k);
            const v8 xe =
                x ? V8_SHUFFLE2(v8_load(x + 2 * j + 8 * k), zero, 0, 8, 2, 8, 4, 8, 6, 8) : even;
            v8_store(d + 2 * j + 8 * k, v8_if_gt(xe, zero, dv + ge, dv));
        }
    }
    for (; j < wo; j++)
        if (!x || x[2 * j] > 0.0f)
            d[2 * j] += g[j];
#endif
}

/* sub (c_in, ho, wo) = ReLU of image i of the concatenation at rows and
 * columns off, off + 2, ...: one phase of a FactorizedReduce's input, its
 * channels ld apart. */
static void relu_cat_phase(float *restrict sub, const ConvCat *in, int i, int h, int w, int off,
                           size_t ld)
{
    const int ho = (h - off + 1) / 2, wo = (w - off + 1) / 2;
    for (int q = 0; q < in->count * in->c; q++) {
        const int b = q / in->c, ch = q % in->c;
        const float *x = in->src[b] + ((size_t)i * in->c + ch) * h * w;
        prefetch_floats(x, (size_t)h * w, (size_t)h * w);
        for (int y = 0; y < ho; y++)
            phase_row_gather(sub + (size_t)q * ld + (size_t)y * wo,
                             x + (size_t)(2 * y + off) * w + off, w - off, wo);
    }
}

/* din[b] += dsub at that phase of image i, where the input is > 0. */
static void relu_cat_phase_add(float *const *din, const float *restrict dsub, const ConvCat *in,
                               int i, int h, int w, int off)
{
    const int ho = (h - off + 1) / 2, wo = (w - off + 1) / 2;
    for (int q = 0; q < in->count * in->c; q++) {
        const int b = q / in->c, ch = q % in->c;
        const size_t plane = ((size_t)i * in->c + ch) * h * w;
        prefetch_floats(din[b], plane + (size_t)h * w, (size_t)h * w);
        prefetch_floats(in->src[b], plane + (size_t)h * w, (size_t)h * w);
        for (int y = 0; y < ho; y++) {
            const size_t row = plane + (size_t)(2 * y + off) * w + off;
            phase_row_add(din[b] + row, in->src[b] + row, dsub + ((size_t)q * ho + y) * wo, w - off,
                          wo);
        }
    }
}

/* xt = the ReLU of image i's phase ph (the whole image with one phase), its
 * channels ld apart. */
static void relu_cat_gather(float *xt, size_t ld, const ConvCat *in, int i, int h, int w, int ph)
{
    if (in->phases == 1)
        relu_cat_image(xt, in, i, (size_t)h * w, ld);
    else
        relu_cat_phase(xt, in, i, h, w, ph, ld);
}

/* din += dxt at image i's phase ph, where the input is > 0. */
static void relu_cat_scatter_add(float *const *din, const float *dxt, const ConvCat *in, int i,
                                 int h, int w, int ph)
{
    if (in->phases == 2) {
        relu_cat_phase_add(din, dxt, in, i, h, w, ph);
        return;
    }
    const size_t per = (size_t)in->c * h * w;
    for (int b = 0; b < in->count; b++)
        relu_mask_add(din[b] + (size_t)i * per, dxt + (size_t)b * per, in->src[b] + (size_t)i * per,
                      per);
}

/* din += W^T g at image i's phase ph, where the input is > 0. One phase:
 * each source's rows of the product added in gemm's store, a pass over
 * the gradient saved (64 images, 4 x 16 channels on 28x28: 1.98 -> 1.51
 * ms; 4 x 144 on 8x8: 6.97 -> 6.43). Not where the rows are a multiple of
 * 1 KiB apart (16x16, 32x32), whose rows of din and input, read in the
 * store, share L1 sets (4 x 36 on 32x32: 10.8 -> 11.5 ms); and not for two
 * phases, whose rows are spread over the input's. There the product goes
 * to dxt and is added after; returns the seconds of that add (profiled as
 * element-wise), else 0. */
static double relu_cat_din(float *const *din, float *dxt, const ConvCat *in, int i, int h, int w,
                           int ph, const float *weight, const float *g, int ldg, const ConvSpec *s)
{
    const int p = (h / in->phases) * (w / in->phases);
    if (in->phases == 1 && p % 256 != 0) {
        const size_t per = (size_t)in->c * p;
        for (int b = 0; b < in->count; b++) {
            if (b + 1 < in->count) {
                prefetch_floats(din[b + 1], (size_t)i * per, per);
                prefetch_floats(in->src[b + 1], (size_t)i * per, per);
            }
            gemm_small_relu_add(in->c, p, s->c_out, weight + (size_t)b * in->c, 1, s->c_in, g, ldg,
                                din[b] + (size_t)i * per, p, in->src[b] + (size_t)i * per);
        }
        return 0.0;
    }
    gemm_small(s->c_in, p, s->c_out, weight, 1, s->c_in, g, ldg, dxt, p, 0);
    const double t0 = profile_enabled ? profile_clock() : 0.0;
    relu_cat_scatter_add(din, dxt, in, i, h, w, ph);
    return profile_enabled ? profile_clock() - t0 : 0.0;
}

size_t conv_relu_cat_scratch_floats(const ConvSpec *s, int phases, int h, int w)
{
    const size_t p = (size_t)(h / phases) * (size_t)(w / phases);
    const size_t ld = (size_t)padded_ld((int)p);
    return (size_t)s->c_in * (ld + p) + (size_t)phases * s->c_out * ld;
}

size_t conv_relu_cat_fr_scratch_floats(const ConvSpec *s, int h, int w)
{
    const size_t p2 = (size_t)(h / 2) * (size_t)(w / 2), ld2 = (size_t)padded_ld((int)p2);
    /* its output's gradient through its BN, a phase and that phase's input
     * gradient */
    return 2 * (size_t)s->c_out * ld2 + (size_t)s->c_in * (ld2 + p2);
}

/* Pixels of one phase; aborts on a concatenation that does not fit s. */
static int relu_cat_plan(const ConvSpec *s, const ConvCat *in, int n, int h, int w, const char *fn)
{
    const int ph = in->phases;
    if (!conv_is_pointwise(s) || in->count < 1 || (long)in->count * in->c != s->c_in ||
        (ph != 1 && ph != 2) || (ph == 2 && (h % 2 || w % 2))) {
        fprintf(stderr,
                "dartboard: %s: a 1x1 convolution of %d channels over %d inputs of %d channels, "
                "%d phase(s) of %dx%d\n",
                fn, s->c_in, in->count, in->c, ph, h, w);
        abort();
    }
    conv_check(s, n, h / ph, w / ph, fn);
    return (h / ph) * (w / ph);
}

/* Image i's ReLU'd concatenation (phase ph) as the products' B: gathered in
 * xt (rows ld apart), or the source itself where it is a ReLU's output
 * already (rows p apart; gemm_small's bits do not depend on where B is). */
static const float *relu_cat_b(float *xt, size_t ld, const ConvCat *in, int i, int h, int w, int ph,
                               int *ldb)
{
    if (in->relu_done && in->count == 1 && in->phases == 1) {
        *ldb = h * w;
        return in->src[0] + (size_t)i * in->c * h * w;
    }
    *ldb = (int)ld;
    relu_cat_gather(xt, ld, in, i, h, w, ph);
    return xt;
}

/* relu_cat_plan for each of count convolutions, several only of one
 * phase. */
static int relu_cat_outs_plan(const ConvCatOut *outs, int count, const ConvCat *in, int n, int h,
                              int w, const char *fn)
{
    if (count < 1 || (count > 1 && in->phases != 1)) {
        fprintf(stderr, "dartboard: %s: %d convolutions of %d phase(s)\n", fn, count, in->phases);
        abort();
    }
    int p = 0;
    for (int t = 0; t < count; t++) {
        if (outs[t].phases == 2) { /* a FactorizedReduce of the one-phase input */
            const ConvCat two = {in->src, in->count, in->c, 2, 0};
            if (t == 0 || outs[0].phases == 2) {
                fprintf(stderr, "dartboard: %s: a FactorizedReduce first of %d\n", fn, count);
                abort();
            }
            relu_cat_plan(outs[t].s, &two, n, h, w, fn);
        } else {
            p = relu_cat_plan(outs[t].s, in, n, h, w, fn);
        }
    }
    return p;
}

/* sub (c, h / 2, w / 2, rows ld2 apart) = phase off of image x (c planes
 * of h x w, ldx apart), a ReLU's output already (the ReLU again changes no
 * bit). */
static void phase_of(float *restrict sub, size_t ld2, const float *restrict x, size_t ldx, int c,
                     int h, int w, int off)
{
    const int ho = h / 2, wo = w / 2;
    for (int q = 0; q < c; q++)
        for (int y = 0; y < ho; y++)
            phase_row_gather(sub + (size_t)q * ld2 + (size_t)y * wo,
                             x + (size_t)q * ldx + (size_t)(2 * y + off) * w + off, w - off, wo);
}

/* dx (c planes of h x w, contiguous) += dsub at phase off. */
static void phase_spread(float *restrict dx, const float *restrict dsub, int c, int h, int w,
                         int off)
{
    const int ho = h / 2, wo = w / 2;
    for (int q = 0; q < c; q++)
        for (int y = 0; y < ho; y++)
            phase_row_add(dx + ((size_t)q * h + 2 * y + off) * w + off, NULL,
                          dsub + ((size_t)q * ho + y) * wo, w - off, wo);
}

/* The profile's charges of a relu_cat kernel over outs: the gathers and
 * adds (t_ew), `passes` products a convolution (t_pw), and bn_per floating
 * operations an output value of each post's BN work (t_bn). */
static void relu_cat_charge(const ConvCatOut *outs, int count, const ConvCat *in, int n, int h,
                            int w, int p, double passes, double bn_per, double t_ew, double t_pw,
                            double t_bn)
{
    double flops = 0.0, bn = 0.0;
    for (int t = 0; t < count; t++) {
        const ConvSpec *s = outs[t].s;
        flops += passes * in->phases * conv_flops(s, n, h / in->phases, w / in->phases);
        bn += outs[t].post ? bn_per * n * in->phases * s->c_out * p : 0.0;
    }
    profile_charge_seconds(PROF_ELEMENTWISE, t_ew, 0.0);
    profile_charge_seconds(PROF_POINTWISE, t_pw, flops);
    if (bn > 0.0)
        profile_charge_seconds(PROF_BN, t_bn, bn);
}

void conv2d_relu_cat_forward(const ConvCatOut *outs, int count, const ConvCat *in, int n, int h,
                             int w, float *scratch)
{
    const int p = relu_cat_outs_plan(outs, count, in, n, h, w, "conv2d_relu_cat_forward");
    const int ld = padded_ld(p), p2 = (h / 2) * (w / 2), ld2 = padded_ld(p2);
    float *sub = scratch + (size_t)outs[0].s->c_in * ld; /* a FactorizedReduce's phase */
    double t_ew = 0.0, t_pw = 0.0, t_bn = 0.0;
    for (int i = 0; i < n; i++) {
        for (int ph = 0; ph < in->phases; ph++) {
            const double t0 = profile_enabled ? profile_clock() : 0.0;
            int ldb;
            const float *b = relu_cat_b(scratch, ld, in, i, h, w, ph, &ldb);
            const double t1 = profile_enabled ? profile_clock() : 0.0;
            /* conv2d_forward's product: the same bits */
            for (int t = 0; t < count; t++) {
                const ConvSpec *s = outs[t].s;
                if (outs[t].phases == 2) { /* its phases from the image in cache */
                    for (int q = 0; q < 2; q++) {
                        const double t2 = profile_enabled ? profile_clock() : 0.0;
                        phase_of(sub, ld2, b, ldb, s->c_in, h, w, q);
                        if (profile_enabled)
                            t_ew += profile_clock() - t2;
                        gemm_small(s->c_out, p2, s->c_in, outs[t].weight[q], s->c_in, 1, sub, ld2,
                                   outs[t].out + ((size_t)i * 2 + q) * s->c_out * p2, p2, 0);
                    }
                    continue;
                }
                gemm_small(s->c_out, p, s->c_in, outs[t].weight[ph], s->c_in, 1, b, ldb,
                           outs[t].out + ((size_t)i * in->phases + ph) * s->c_out * p, p, 0);
            }
            if (profile_enabled) {
                t_ew += t1 - t0;
                t_pw += profile_clock() - t1;
            }
        }
        for (int t = 0; t < count; t++) {
            /* the channels and pixels of an output image */
            const int fr = outs[t].phases == 2, co = (fr ? 2 : in->phases) * outs[t].s->c_out,
                      po = fr ? p2 : p;
            if (outs[t].post)
                post_sums(outs[t].post, 0, outs[t].out + (size_t)i * co * po, i, co, po, &t_bn);
        }
    }
    if (profile_enabled)
        relu_cat_charge(outs, count, in, n, h, w, p, 1.0, 4.0, t_ew, t_pw, t_bn);
}

/* The backward of several convolutions of one phase of the same input
 * (count > 1): per image, the gather once; each output's gradient in turn
 * (through ga with its BN), its weight gradient, and its input gradient
 * summed into dxt; then dxt added into din under the ReLU once. */
static void relu_cat_backward_many(const ConvCatOut *outs, int count, float *const *din,
                                   const ConvCat *in, int n, int h, int w, int p, float *scratch)
{
    const int ld = padded_ld(p), c_in = outs[0].s->c_in, p2 = (h / 2) * (w / 2),
              ld2 = padded_ld(p2);
    float *xt = scratch, *dxt = scratch + (size_t)c_in * ld, *ga = dxt + (size_t)c_in * p;
    /* past the largest one-phase output's gradient, a FactorizedReduce's:
     * its output's gradient, a phase, that phase's input gradient
     * (conv_relu_cat_fr_scratch_floats) */
    int co_max = 0, co_fr = 0;
    for (int t = 0; t < count; t++)
        if (outs[t].phases == 2)
            co_fr = outs[t].s->c_out;
        else if (outs[t].s->c_out > co_max)
            co_max = outs[t].s->c_out;
    float *ga2 = ga + (size_t)co_max * ld, *sub = ga2 + 2 * (size_t)co_fr * ld2;
    double t_ew = 0.0, t_pw = 0.0, t_bn = 0.0;
    for (int i = 0; i < n; i++) {
        const double t0 = profile_enabled ? profile_clock() : 0.0;
        int ldb;
        const float *b = relu_cat_b(xt, ld, in, i, h, w, 0, &ldb);
        if (profile_enabled)
            t_ew += profile_clock() - t0;
        for (int t = 0; t < count; t++) {
            const ConvCatOut *o = &outs[t];
            int lda;
            if (o->phases == 2) { /* after a one-phase product has set dxt */
                const float *g =
                    post_grad(o->post, 0, ga2, o->dout, i, 2 * o->s->c_out, p2, &lda, &t_bn);
                for (int q = 0; q < 2; q++) {
                    const double t1 = profile_enabled ? profile_clock() : 0.0;
                    phase_of(sub, ld2, b, ldb, c_in, h, w, q);
                    const double t2 = profile_enabled ? profile_clock() : 0.0;
                    const float *gq = g + (size_t)q * o->s->c_out * lda;
                    float *dsub = sub + (size_t)c_in * ld2;
                    dweight_group_add(o->dweight[q], gq, lda, sub, ld2, o->s->c_out, c_in, p2);
                    gemm_small(c_in, p2, o->s->c_out, o->weight[q], 1, c_in, gq, lda, dsub, p2, 0);
                    const double t3 = profile_enabled ? profile_clock() : 0.0;
                    phase_spread(dxt, dsub, c_in, h, w, q);
                    if (profile_enabled) {
                        t_ew += t2 - t1 + profile_clock() - t3;
                        t_pw += t3 - t2;
                    }
                }
                continue;
            }
            const float *g = post_grad(o->post, 0, ga, o->dout, i, o->s->c_out, p, &lda, &t_bn);
            const double t1 = profile_enabled ? profile_clock() : 0.0;
            dweight_group_add(o->dweight[0], g, lda, b, ldb, o->s->c_out, c_in, p);
            gemm_small(c_in, p, o->s->c_out, o->weight[0], 1, c_in, g, lda, dxt, p, t > 0);
            if (profile_enabled)
                t_pw += profile_clock() - t1;
        }
        const double t2 = profile_enabled ? profile_clock() : 0.0;
        relu_cat_scatter_add(din, dxt, in, i, h, w, 0);
        if (profile_enabled)
            t_ew += profile_clock() - t2;
    }
    if (profile_enabled)
        relu_cat_charge(outs, count, in, n, h, w, p, 2.0, 5.0, t_ew, t_pw, t_bn);
}

void conv2d_relu_cat_backward(const ConvCatOut *outs, int count, float *const *din,
                              const ConvCat *in, int n, int h, int w, float *scratch)
{
    const int p = relu_cat_outs_plan(outs, count, in, n, h, w, "conv2d_relu_cat_backward");
    if (count > 1) {
        relu_cat_backward_many(outs, count, din, in, n, h, w, p, scratch);
        return;
    }
    const ConvSpec *s = outs->s;
    const ConvPost *post = outs->post;
    const int ld = padded_ld(p), co = in->phases * s->c_out;
    float *xt = scratch, *dxt = scratch + (size_t)s->c_in * ld, *ga = dxt + (size_t)s->c_in * p;
    double t_ew = 0.0, t_pw = 0.0, t_bn = 0.0;
    for (int i = 0; i < n; i++) {
        int lda;
        const float *gi = post_grad(post, 0, ga, outs->dout, i, co, p, &lda, &t_bn);
        for (int ph = 0; ph < in->phases; ph++) {
            const double t0 = profile_enabled ? profile_clock() : 0.0;
            int ldb;
            const float *b = relu_cat_b(xt, ld, in, i, h, w, ph, &ldb);
            const double t1 = profile_enabled ? profile_clock() : 0.0;
            const float *g = gi + (size_t)ph * s->c_out * lda;
            dweight_group_add(outs->dweight[ph], g, lda, b, ldb, s->c_out, s->c_in, p);
            const double t_add =
                relu_cat_din(din, dxt, in, i, h, w, ph, outs->weight[ph], g, lda, s);
            if (profile_enabled) {
                t_ew += t1 - t0 + t_add;
                t_pw += profile_clock() - t1 - t_add;
            }
        }
    }
    if (profile_enabled)
        relu_cat_charge(outs, 1, in, n, h, w, p, 2.0, 5.0, t_ew, t_pw, t_bn);
}

void conv2d_forward(const ConvSpec *s, float *out, const float *in, const float *weight, int n,
                    int h, int w, float *scratch)
{
    conv_check(s, n, h, w, "conv2d_forward");
    PROFILE_BEGIN;
    if (conv_is_depthwise(s)) {
        if (depthwise_forward(s, out, in, weight, n, h, w) != 0)
            conv2d_forward_naive(s, out, in, weight, n, h, w);
    } else {
        dense_forward(s, out, in, weight, n, h, w, scratch);
    }
    PROFILE_END(conv_family(s), conv_flops(s, n, h, w));
}

static void conv_backward(const ConvSpec *s, float *din, int set, float *dweight, const float *dout,
                          const float *in, const float *weight, int n, int h, int w, float *scratch,
                          const char *fn)
{
    conv_check(s, n, h, w, fn);
    PROFILE_BEGIN;
    if (conv_is_depthwise(s)) {
        if (set && din)
            memset(din, 0, (size_t)n * s->c_in * h * w * sizeof *din);
        if (depthwise_backward(s, din, dweight, dout, in, weight, n, h, w) != 0)
            conv2d_backward_naive(s, din, dweight, dout, in, weight, n, h, w);
    } else {
        dense_backward(s, din, set, dweight, dout, in, weight, n, h, w, scratch);
    }
    PROFILE_END(conv_family(s), conv_flops(s, n, h, w) * ((din != NULL) + (dweight != NULL)));
}

void conv2d_backward(const ConvSpec *s, float *din, float *dweight, const float *dout,
                     const float *in, const float *weight, int n, int h, int w, float *scratch)
{
    conv_backward(s, din, 0, dweight, dout, in, weight, n, h, w, scratch, "conv2d_backward");
}

void conv2d_backward_set(const ConvSpec *s, float *din, float *dweight, const float *dout,
                         const float *in, const float *weight, int n, int h, int w, float *scratch)
{
    conv_backward(s, din, 1, dweight, dout, in, weight, n, h, w, scratch, "conv2d_backward_set");
}

/* ----------------------------------------------------------------- naive */

void conv2d_forward_naive(const ConvSpec *s, float *out, const float *in, const float *weight,
                          int n, int h, int w)
{
    conv_check(s, n, h, w, "conv2d_forward_naive");
    const int ho = conv_out_size(h, s->kh, s->stride, s->pad, s->dilation);
    const int wo = conv_out_size(w, s->kw, s->stride, s->pad, s->dilation);
    const int cig = s->c_in / s->groups, cog = s->c_out / s->groups;
    for (int i = 0; i < n; i++)
        for (int co = 0; co < s->c_out; co++) {
            const int g = co / cog;
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double acc = 0.0;
                    for (int cj = 0; cj < cig; cj++)
                        for (int ky = 0; ky < s->kh; ky++)
                            for (int kx = 0; kx < s->kw; kx++) {
                                int iy = oy * s->stride - s->pad + ky * s->dilation;
                                int ix = ox * s->stride - s->pad + kx * s->dilation;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                int ci = g * cig + cj;
                                acc +=
                                    (double)weight[((size_t)(co * cig + cj) * s->kh + ky) * s->kw +
                                                   kx] *
                                    in[(((size_t)i * s->c_in + ci) * h + iy) * w + ix];
                            }
                    out[(((size_t)i * s->c_out + co) * ho + oy) * wo + ox] = (float)acc;
                }
        }
}

void conv2d_backward_naive(const ConvSpec *s, float *din, float *dweight, const float *dout,
                           const float *in, const float *weight, int n, int h, int w)
{
    conv_check(s, n, h, w, "conv2d_backward_naive");
    const int ho = conv_out_size(h, s->kh, s->stride, s->pad, s->dilation);
    const int wo = conv_out_size(w, s->kw, s->stride, s->pad, s->dilation);
    const int cig = s->c_in / s->groups, cog = s->c_out / s->groups;
    if (dweight)
        for (int co = 0; co < s->c_out; co++)
            for (int cj = 0; cj < cig; cj++)
                for (int ky = 0; ky < s->kh; ky++)
                    for (int kx = 0; kx < s->kw; kx++) {
                        const int ci = co / cog * cig + cj;
                        double acc = 0.0;
                        for (int i = 0; i < n; i++)
                            for (int oy = 0; oy < ho; oy++)
                                for (int ox = 0; ox < wo; ox++) {
                                    int iy = oy * s->stride - s->pad + ky * s->dilation;
                                    int ix = ox * s->stride - s->pad + kx * s->dilation;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                        continue;
                                    acc +=
                                        (double)dout[(((size_t)i * s->c_out + co) * ho + oy) * wo +
                                                     ox] *
                                        in[(((size_t)i * s->c_in + ci) * h + iy) * w + ix];
                                }
                        dweight[((size_t)(co * cig + cj) * s->kh + ky) * s->kw + kx] += (float)acc;
                    }
    if (din)
        for (int i = 0; i < n; i++)
            for (int ci = 0; ci < s->c_in; ci++) {
                const int g = ci / cig, cj = ci % cig;
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < w; ix++) {
                        double acc = 0.0;
                        for (int co = g * cog; co < (g + 1) * cog; co++)
                            for (int ky = 0; ky < s->kh; ky++)
                                for (int kx = 0; kx < s->kw; kx++) {
                                    int ty = iy + s->pad - ky * s->dilation;
                                    int tx = ix + s->pad - kx * s->dilation;
                                    if (ty < 0 || tx < 0 || ty % s->stride || tx % s->stride)
                                        continue;
                                    int oy = ty / s->stride, ox = tx / s->stride;
                                    if (oy >= ho || ox >= wo)
                                        continue;
                                    acc +=
                                        (double)
                                            weight[((size_t)(co * cig + cj) * s->kh + ky) * s->kw +
                                                   kx] *
                                        dout[(((size_t)i * s->c_out + co) * ho + oy) * wo + ox];
                                }
                        din[(((size_t)i * s->c_in + ci) * h + iy) * w + ix] += (float)acc;
                    }
            }
}
