/* dwvec: see dwvec.h
 *
 * L = DWVEC_LANES, 16 on AVX-512 and 8 on AVX2. A tile holds pixel (r, c)
 * of the padded plane (r, c from 0, the plane's own pixels from pad) at
 * float (r wp + c) L: the L channels of a pixel are one aligned vector. The
 * correlation computes a row's outputs nb at a time, nb accumulators in
 * registers (the FMA latency hidden: 7 on 28, 14 and 7 wide planes), into a
 * staging tile of the unpadded plane, which goes back to planes by L x L
 * transposes. The kernels are written once over the few vector operations
 * below.
 */
#include "config.h"
#include "isa.h"
#include "dwvec.h"

#include <stdint.h>
#include <string.h>

#include "dartboard/batchnorm.h"
#include "vec.h"

#if DWVEC_BUILT
/* The pixels of a row computed together: the largest of 8 .. 4 dividing
 * w, else 8 (the row's last chunk then overlaps the one before it, which
 * the correlation writes again with the same values; the weight gradient
 * takes the rest pixel by pixel); a plane narrower than 8 columns its
 * width. */
static int dwvec_chunk(int w)
{
    if (w <= 8)
        return w;
    for (int nb = 8; nb >= 4; nb--)
        if (w % nb == 0)
            return nb;
    return 8;
}
#endif

int dwvec_plan(DwVec *v, int c, int k, int d, int stride, int pad, int h, int w)
{
#if DWVEC_BUILT
    const int wp = w + 2 * pad;
    if (c % DWVEC_LANES != 0 || (k != 3 && k != 5) || (d != 1 && d != 2) || stride != 1 ||
        2 * pad != (k - 1) * d || w < 4 || h < 1 ||
        (size_t)(h + 2 * pad) * (size_t)wp * DWVEC_LANES > DWVEC_TILE_FLOATS)
        return -1;
    *v = (DwVec){k, d, pad, h, w, wp, dwvec_chunk(w)};
    return 0;
#else
    (void)v, (void)c, (void)k, (void)d, (void)stride, (void)pad, (void)h, (void)w;
    return -1;
#endif
}

size_t dwvec_tile_floats(const DwVec *v)
{
    return (size_t)(v->h + 2 * v->pad) * (size_t)v->wp * DWVEC_LANES;
}

size_t dwvec_out_floats(const DwVec *v)
{
    return (size_t)v->h * (size_t)v->w * DWVEC_LANES;
}

void dwvec_clear(const DwVec *v, float *tile)
{
    const size_t row = (size_t)v->wp * DWVEC_LANES, side = (size_t)v->pad * DWVEC_LANES;
    memset(tile, 0, v->pad * row * sizeof *tile);
    for (int y = 0; y < v->h; y++) {
        float *r = tile + (v->pad + y) * row;
        memset(r, 0, side * sizeof *r);
        memset(r + row - side, 0, side * sizeof *r);
    }
    memset(tile + (v->pad + v->h) * row, 0, v->pad * row * sizeof *tile);
}

#if DWVEC_BUILT
#define L DWVEC_LANES

/* The vector of a pixel's L channels and the operations the kernels use
 * on it, by the build's own intrinsics (V_(op): _mm512_op or _mm256_op).
 * Only the masks and the transposes' step across 128-bit lanes differ. */
#ifdef __AVX512F__
typedef __m512 V;
#define V_(op) _mm512_##op
#else
typedef __m256 V;
#define V_(op) _mm256_##op
#endif

static inline V v_load(const float *p)
{
    return V_(loadu_ps)(p);
}
static inline void v_store(float *p, V v)
{
    V_(storeu_ps)(p, v);
}
static inline V v_zero(void)
{
    return V_(setzero_ps)();
}
static inline V v_fma(V a, V b, V c)
{
    return V_(fmadd_ps)(a, b, c);
}
static inline V v_add(V a, V b)
{
    return V_(add_ps)(a, b);
}
static inline V v_relu(V x)
{
    return V_(max_ps)(x, v_zero());
}
/* conv.c's strip_through (AVX2: its (x - m) a + b, contracted to one
 * FMA): the same operations */
static inline V v_bn_relu(V x, V m, V a, V b)
{
    return v_relu(v_fma(V_(sub_ps)(x, m), a, b));
}

#ifdef __AVX512F__
/* x where m > 0, else 0 */
static inline V v_where_positive(V m, V x)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(m, v_zero(), _CMP_GT_OQ), x);
}
/* the first n (0..16) floats at p, the others 0; and their store */
static inline V v_load_first(const float *p, int n)
{
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
static inline void v_store_first(float *p, V v, int n)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}

/* u[4i + e] lane l holds rows 4i .. 4i+3 of column 4l + e: r[c] = column
 * c, its 128-bit lanes from u[e], u[4 + e], u[8 + e], u[12 + e] */
static inline __attribute__((always_inline)) void lanes_across(V *r, const V *u)
{
#pragma GCC unroll 4
    for (int e = 0; e < 4; e++) {
        const V a = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x44),
                b = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xee),
                c = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x44),
                d = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xee);
        r[e] = _mm512_shuffle_f32x4(a, c, 0x88);
        r[4 + e] = _mm512_shuffle_f32x4(a, c, 0xdd);
        r[8 + e] = _mm512_shuffle_f32x4(b, d, 0x88);
        r[12 + e] = _mm512_shuffle_f32x4(b, d, 0xdd);
    }
}
#else /* AVX2 */
static inline V v_where_positive(V m, V x)
{
    return _mm256_and_ps(_mm256_cmp_ps(m, v_zero(), _CMP_GT_OQ), x);
}
/* masked loads; stores in plain pieces (vec.h: AMD microcodes AVX2's
 * masked store) */
static inline V v_load_first(const float *p, int n)
{
    return (V)v8_load_part(p, n);
}
static inline void v_store_first(float *p, V v, int n)
{
    v8_store_part(p, (v8)v, n);
}

/* u[4i + e] half h holds rows 4i .. 4i+3 of column 4h + e: the halves of
 * u[e] and u[4 + e] exchanged */
static inline __attribute__((always_inline)) void lanes_across(V *r, const V *u)
{
#pragma GCC unroll 4
    for (int e = 0; e < 4; e++) {
        r[e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x20);
        r[4 + e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x31);
    }
}
#endif

/* r[0..L) transposed in place: r[i] lane j becomes r[j] lane i. 4x4
 * transposes within each 128-bit lane by unpacks and shuffles, then
 * across the lanes. */
static inline __attribute__((always_inline)) void transpose(V *r)
{
    V t[L], u[L];
#pragma GCC unroll 8
    for (int i = 0; i < L / 2; i++) {
        t[2 * i] = V_(unpacklo_ps)(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = V_(unpackhi_ps)(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < L / 4; i++) {
        u[4 * i] = V_(shuffle_ps)(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = V_(shuffle_ps)(t[4 * i], t[4 * i + 2], 0xee);
        u[4 * i + 2] = V_(shuffle_ps)(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = V_(shuffle_ps)(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    lanes_across(r, u);
}

/* A pack's pre (dwvec_pack): the L channels' BN numbers as vectors, zeros
 * without them; returns whether there are. */
static inline __attribute__((always_inline)) int pre_vectors(V *m, V *a, V *b, const float *mean,
                                                             const float *scale, const float *shift)
{
    *m = *a = *b = v_zero();
    if (!mean)
        return 0;
    *m = v_load(mean);
    *a = v_load(scale);
    *b = v_load(shift);
    return 1;
}

/* x through the pre: the BN apply and the ReLU, the ReLU alone, or as it is */
static inline __attribute__((always_inline)) V pre_through(int bn, int relu, V x, V m, V a, V b)
{
    return bn ? v_bn_relu(x, m, a, b) : relu ? v_relu(x) : x;
}

void dwvec_pack(const DwVec *v, float *tile, const float *x, size_t ldx, const float *next,
                const float *mean, const float *scale, const float *shift, int relu)
{
    const size_t hw = (size_t)v->h * v->w;
    V m, a, b;
    const int bn = pre_vectors(&m, &a, &b, mean, scale, shift);
    /* the pixels' places by a running pointer, the fields in locals (the
     * stores may alias *v: read per pixel, they had cost more than the
     * transposes) */
    const int w = v->w, skip = 2 * v->pad * L;
    float *o = tile + ((size_t)v->pad * v->wp + v->pad) * L;
    int col = 0;
    for (size_t p0 = 0; p0 < hw; p0 += L) {
        const int n = hw - p0 < L ? (int)(hw - p0) : L;
        if (next) /* its L planes are L hw contiguous floats: L L of them a chunk */
            for (int q = 0; q < L * L; q += 16)
                _mm_prefetch((const char *)((uintptr_t)next + (p0 * L + q) * sizeof *next),
                             _MM_HINT_T0);
        V r[L];
#pragma GCC unroll 16
        for (int j = 0; j < L; j++)
            r[j] = n == L ? v_load(x + j * ldx + p0) : v_load_first(x + j * ldx + p0, n);
        transpose(r);
#pragma GCC unroll 16
        for (int i = 0; i < L; i++) {
            if (i >= n)
                break;
            v_store(o, pre_through(bn, relu, r[i], m, a, b));
            o += L;
            if (++col == w) {
                col = 0;
                o += skip;
            }
        }
    }
}

/* The L channels' weights tap by tap, wv[t] lane j = channel j's tap t,
 * or its tap taps - 1 - t (the kernel turned by 180 degrees). */
static void weight_vectors(V *wv, const float *wk, int taps, int flip)
{
    float lanes[L];
    for (int t = 0; t < taps; t++) {
        for (int j = 0; j < L; j++)
            lanes[j] = wk[j * taps + (flip ? taps - 1 - t : t)];
        wv[t] = v_load(lanes);
    }
}

/* The multiply-adds of NB pixels of a row under every tap (rows, then
 * columns; t: the tile at the first pixel's window, row: a tile row in
 * floats), for the correlation, acc[i] += v[tap] * the pixel under it (v:
 * the weights), or for the weight gradient (WGRAD), acc[tap] += v[i] * the
 * pixel under it (v: the output gradient's pixels). */
static inline __attribute__((always_inline)) void window_fmas(const int K, const int D,
                                                              const int NB, const int WGRAD,
                                                              const float *t, ptrdiff_t row,
                                                              const V *v, V *acc)
{
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        const float *r = t + ky * D * row;
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
#pragma GCC unroll 8
            for (int i = 0; i < NB; i++) {
                const V x = v_load(r + (i + kx * D) * L);
                if (WGRAD)
                    acc[ky * K + kx] = v_fma(v[i], x, acc[ky * K + kx]);
                else
                    acc[i] = v_fma(v[ky * K + kx], x, acc[i]);
            }
    }
}

/* nb outputs of a row: o[i] = sum over taps (rows, then columns) of
 * wv[tap] * the pixel under it; t: the tile at the first output's window,
 * row: a tile row in floats; with m (the first output's pixel in the mask
 * tile), 0 where the mask tile's pixel is not > 0. */
static inline __attribute__((always_inline)) void corr_chunk(const int K, const int D, const int NB,
                                                             const float *t, ptrdiff_t row,
                                                             const V *wv, const float *m, float *o)
{
    V acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < NB; i++)
        acc[i] = v_zero();
    window_fmas(K, D, NB, 0, t, row, wv, acc);
#pragma GCC unroll 8
    for (int i = 0; i < NB; i++)
        v_store(o + i * L, m ? v_where_positive(v_load(m + i * L), acc[i]) : acc[i]);
}

static inline __attribute__((always_inline)) void corr_rows(const int K, const int D, const int NB,
                                                            const DwVec *v, const float *tile,
                                                            const float *wk, int flip,
                                                            const float *mtile, float *stage)
{
    V wv[DWVEC_MAX_TAPS];
    weight_vectors(wv, wk, K * K, flip);
    const ptrdiff_t row = (ptrdiff_t)v->wp * L;
    for (int y = 0; y < v->h; y++)
        for (int x0 = 0; x0 < v->w; x0 += NB) {
            const int x = x0 + NB <= v->w ? x0 : v->w - NB;
            const ptrdiff_t at = y * row + x * L;
            corr_chunk(K, D, NB, tile + at, row, wv, mtile ? mtile + at + v->pad * (row + L) : NULL,
                       stage + ((size_t)y * v->w + x) * L);
        }
}

#define DWVEC_NB_CASES(F, K, D, ...)                                                               \
    switch (v->nb) {                                                                               \
    case 4:                                                                                        \
        F(K, D, 4, __VA_ARGS__);                                                                   \
        break;                                                                                     \
    case 5:                                                                                        \
        F(K, D, 5, __VA_ARGS__);                                                                   \
        break;                                                                                     \
    case 6:                                                                                        \
        F(K, D, 6, __VA_ARGS__);                                                                   \
        break;                                                                                     \
    case 7:                                                                                        \
        F(K, D, 7, __VA_ARGS__);                                                                   \
        break;                                                                                     \
    default:                                                                                       \
        F(K, D, 8, __VA_ARGS__);                                                                   \
    }

/* The kernel's shape and the chunk as constants: each case its own code. */
#define DWVEC_CASES(F, ...)                                                                        \
    do {                                                                                           \
        if (v->k == 3 && v->d == 1)                                                                \
            DWVEC_NB_CASES(F, 3, 1, __VA_ARGS__)                                                   \
        else if (v->k == 3)                                                                        \
            DWVEC_NB_CASES(F, 3, 2, __VA_ARGS__)                                                   \
        else if (v->d == 1)                                                                        \
            DWVEC_NB_CASES(F, 5, 1, __VA_ARGS__)                                                   \
        else                                                                                       \
            DWVEC_NB_CASES(F, 5, 2, __VA_ARGS__)                                                   \
    } while (0)

void dwvec_corr(const DwVec *v, float *dst, size_t ldd, const float *tile, const float *wk,
                int flip, int add, const float *mtile, float *stage)
{
    const size_t hw = (size_t)v->h * v->w;
    DWVEC_CASES(corr_rows, v, tile, wk, flip, mtile, stage);
    for (size_t p0 = 0; p0 < hw; p0 += L) {
        const int n = hw - p0 < L ? (int)(hw - p0) : L;
        V r[L];
#pragma GCC unroll 16
        for (int i = 0; i < L; i++)
            r[i] = i < n ? v_load(stage + (p0 + i) * L) : v_zero();
        transpose(r);
#pragma GCC unroll 16
        for (int j = 0; j < L; j++) {
            float *o = dst + j * ldd + p0;
            if (n == L)
                v_store(o, add ? v_add(v_load(o), r[j]) : r[j]);
            else
                v_store_first(o, add ? v_add(v_load_first(o, n), r[j]) : r[j], n);
        }
    }
}

/* The weight gradient's sums over NB pixels of a row: acc[tap] += g[i] *
 * the pixel under the tap, pixel after pixel. */
static inline __attribute__((always_inline)) void wgrad_chunk(const int K, const int D,
                                                              const int NB, const float *t,
                                                              ptrdiff_t row, const float *g, V *acc)
{
    V gv[8];
#pragma GCC unroll 8
    for (int i = 0; i < NB; i++)
        gv[i] = v_load(g + i * L);
    window_fmas(K, D, NB, 1, t, row, gv, acc);
}

static inline __attribute__((always_inline)) void wgrad_rows(const int K, const int D, const int NB,
                                                             const DwVec *v, float *dwk,
                                                             const float *gtile, const float *xtile)
{
    V acc[DWVEC_MAX_TAPS];
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        acc[t] = v_zero();
    const ptrdiff_t row = (ptrdiff_t)v->wp * L;
    const float *g0 = gtile + (v->pad * row + v->pad * L);
    for (int y = 0; y < v->h; y++) {
        int x = 0;
        for (; x + NB <= v->w; x += NB)
            wgrad_chunk(K, D, NB, xtile + (y * row + x * L), row, g0 + (y * row + x * L), acc);
        for (; x < v->w; x++)
            wgrad_chunk(K, D, 1, xtile + (y * row + x * L), row, g0 + (y * row + x * L), acc);
    }
    float sums[DWVEC_MAX_TAPS][L];
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        v_store(sums[t], acc[t]);
    for (int j = 0; j < L; j++)
        for (int t = 0; t < K * K; t++)
            dwk[j * K * K + t] += sums[t][j];
}

void dwvec_wgrad(const DwVec *v, float *dwk, const float *gtile, const float *xtile)
{
    DWVEC_CASES(wgrad_rows, v, dwk, gtile, xtile);
}

/* ------------------------------------------------- the channels-last blocks */

void dwvec_pack_cl(const DwVec *v, float *tile, const float *x, const float *mean,
                   const float *scale, const float *shift, int relu)
{
    V m, a, b;
    const int bn = pre_vectors(&m, &a, &b, mean, scale, shift);
    const int w = v->w;
    const size_t row = (size_t)v->wp * L;
    for (int y = 0; y < v->h; y++) {
        float *o = tile + (v->pad + y) * row + (size_t)v->pad * L;
        const float *s = x + (size_t)y * w * L;
        for (int c = 0; c < w; c++) {
            const V r = v_load(s + c * L);
            v_store(o + c * L, pre_through(bn, relu, r, m, a, b));
        }
    }
}

void dwvec_corr_cl(const DwVec *v, float *dst, const float *tile, const float *wk, int flip,
                   const float *mtile)
{
    /* corr_rows' staging is laid out as a CL block */
    DWVEC_CASES(corr_rows, v, tile, wk, flip, mtile, dst);
}

/* The pixels of a product's register tile: as many accumulators as keep
 * both FMA pipes busy, and room for the weight and the broadcast. */
#ifdef __AVX512F__
#define CL_TILE 12
#else
#define CL_TILE 8
#endif

/* out's L channels from o0 of the R pixels from q (dwvec_cl_product) */
static inline __attribute__((always_inline)) void cl_product_tile(const int R, float *out,
                                                                  const float *in, const float *mat,
                                                                  int k_in, int n_out, size_t p,
                                                                  size_t q, int o0)
{
    V acc[CL_TILE];
#pragma GCC unroll 12
    for (int r = 0; r < R; r++)
        acc[r] = v_zero();
    for (int kb = 0; kb < k_in / L; kb++) {
        const float *ib = in + ((size_t)kb * p + q) * L;
        for (int j = 0; j < L; j++) {
            const V wv = v_load(mat + (size_t)(kb * L + j) * n_out + o0);
#pragma GCC unroll 12
            for (int r = 0; r < R; r++)
                acc[r] = v_fma(V_(set1_ps)(ib[r * L + j]), wv, acc[r]);
        }
    }
    float *ob = out + ((size_t)(o0 / L) * p + q) * L;
#pragma GCC unroll 12
    for (int r = 0; r < R; r++)
        v_store(ob + r * L, acc[r]);
}

void dwvec_cl_product(float *out, const float *in, const float *mat, int k_in, int n_out, size_t p)
{
    for (int o0 = 0; o0 < n_out; o0 += L) {
        if (p < CL_TILE) {
            for (size_t q = 0; q < p; q++)
                cl_product_tile(1, out, in, mat, k_in, n_out, p, q, o0);
            continue;
        }
        /* the last tile overlaps the one before it: the same sums again */
        for (size_t q0 = 0; q0 < p; q0 += CL_TILE)
            cl_product_tile(CL_TILE, out, in, mat, k_in, n_out, p,
                            q0 + CL_TILE <= p ? q0 : p - CL_TILE, o0);
    }
}

/* The pixels a float sum runs over before it goes into a wider one: the
 * weight gradient's into dmat, the BN sums' into doubles, so that a 28x28
 * plane's sums keep about the digits of the planes' (whose vector lanes
 * each sum a few dozen pixels). */
#define CL_RUN 32

void dwvec_cl_wgrad(float *dmat, const float *a, const float *b, int m, int k, size_t p)
{
    for (int ob = 0; ob < m / L; ob++)
        for (int kb = 0; kb < k / L; kb++) {
            const float *ap = a + (size_t)ob * p * L, *bp = b + (size_t)kb * p * L;
            for (size_t q0 = 0; q0 < p; q0 += 4 * CL_RUN) {
                const size_t q1 = q0 + 4 * CL_RUN < p ? q0 + 4 * CL_RUN : p;
                V acc[L];
#pragma GCC unroll 16
                for (int r = 0; r < L; r++)
                    acc[r] = v_zero();
                for (size_t q = q0; q < q1; q++) {
                    const V bv = v_load(bp + q * L);
#pragma GCC unroll 16
                    for (int r = 0; r < L; r++)
                        acc[r] = v_fma(V_(set1_ps)(ap[q * L + r]), bv, acc[r]);
                }
#pragma GCC unroll 16
                for (int r = 0; r < L; r++) {
                    float *d = dmat + (size_t)(ob * L + r) * k + kb * L;
                    v_store(d, v_add(v_load(d), acc[r]));
                }
            }
        }
}

/* d[0..L) += the lanes of s */
static void add_lanes(double *d, V s)
{
    float f[L];
    v_store(f, s);
    for (int j = 0; j < L; j++)
        d[j] += f[j];
}

/* The BN sums run over a block's pixels two at a time, into two float sums
 * a lane (one would wait on the add latency), CL_RUN pixels a run. */
void dwvec_bn_stats(double *mean, double *m2, int before, const float *x, int c, size_t p)
{
    for (int cb = 0; cb < c / L; cb++) {
        const float *xb = x + (size_t)cb * p * L;
        double pm[L] = {0}, ss[L] = {0};
        for (size_t q0 = 0; q0 < p; q0 += CL_RUN) {
            const size_t q1 = q0 + CL_RUN < p ? q0 + CL_RUN : p;
            V s0 = v_zero(), s1 = v_zero();
            size_t q = q0;
            for (; q + 2 <= q1; q += 2) {
                s0 = v_add(s0, v_load(xb + q * L));
                s1 = v_add(s1, v_load(xb + (q + 1) * L));
            }
            if (q < q1)
                s0 = v_add(s0, v_load(xb + q * L));
            add_lanes(pm, v_add(s0, s1));
        }
        float mf[L];
        for (int j = 0; j < L; j++) {
            pm[j] /= (double)p;
            mf[j] = (float)pm[j];
        }
        const V mv = v_load(mf);
        for (size_t q0 = 0; q0 < p; q0 += CL_RUN) {
            const size_t q1 = q0 + CL_RUN < p ? q0 + CL_RUN : p;
            V s0 = v_zero(), s1 = v_zero();
            size_t q = q0;
            for (; q + 2 <= q1; q += 2) {
                const V d0 = V_(sub_ps)(v_load(xb + q * L), mv),
                        d1 = V_(sub_ps)(v_load(xb + (q + 1) * L), mv);
                s0 = v_fma(d0, d0, s0);
                s1 = v_fma(d1, d1, s1);
            }
            if (q < q1) {
                const V d0 = V_(sub_ps)(v_load(xb + q * L), mv);
                s0 = v_fma(d0, d0, s0);
            }
            add_lanes(ss, v_add(s0, s1));
        }
        batchnorm_stats_merge(mean + cb * L, m2 + cb * L, (double)before * (double)p, pm, ss,
                              (double)p, L);
    }
}

void dwvec_bn_grad_sums(double *sg, double *sgx, const float *g, float gs, const float *x,
                        const float *mean, int c, size_t p)
{
    const V gv = V_(set1_ps)(gs);
    for (int cb = 0; cb < c / L; cb++) {
        const float *gb = g + (size_t)cb * p * L, *xb = x + (size_t)cb * p * L;
        const V mv = v_load(mean + cb * L);
        for (size_t q0 = 0; q0 < p; q0 += CL_RUN) {
            const size_t q1 = q0 + CL_RUN < p ? q0 + CL_RUN : p;
            V a0 = v_zero(), a1 = v_zero(), b0 = v_zero(), b1 = v_zero();
            size_t q = q0;
            for (; q + 2 <= q1; q += 2) {
                const V g0 = V_(mul_ps)(v_load(gb + q * L), gv),
                        g1 = V_(mul_ps)(v_load(gb + (q + 1) * L), gv);
                a0 = v_add(a0, g0);
                a1 = v_add(a1, g1);
                b0 = v_fma(g0, V_(sub_ps)(v_load(xb + q * L), mv), b0);
                b1 = v_fma(g1, V_(sub_ps)(v_load(xb + (q + 1) * L), mv), b1);
            }
            if (q < q1) {
                const V g0 = V_(mul_ps)(v_load(gb + q * L), gv);
                a0 = v_add(a0, g0);
                b0 = v_fma(g0, V_(sub_ps)(v_load(xb + q * L), mv), b0);
            }
            add_lanes(sg + cb * L, v_add(a0, a1));
            add_lanes(sgx + cb * L, v_add(b0, b1));
        }
    }
}

void dwvec_bn_input_grad(float *din, const float *g, float gs, const float *x, const float *mean,
                         const float *coef, int c, size_t p)
{
    const V gv = V_(set1_ps)(gs);
    for (int cb = 0; cb < c / L; cb++) {
        const size_t o = (size_t)cb * p * L;
        const V a = v_load(coef + cb * L), b = v_load(coef + c + cb * L),
                c0 = v_load(coef + 2 * c + cb * L), mv = v_load(mean + cb * L);
        for (size_t q = 0; q < p; q++) {
            const V y = v_add(v_fma(b, V_(sub_ps)(v_load(x + o + q * L), mv),
                                    V_(mul_ps)(a, V_(mul_ps)(v_load(g + o + q * L), gv))),
                              c0);
            v_store(din + o + q * L, y);
        }
    }
}

#endif /* DWVEC_BUILT */
