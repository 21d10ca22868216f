/* dwvec: see dwvec.h
 *
 * A tile holds pixel (r, c) of the padded plane (r, c from 0, the plane's
 * own pixels from pad) at float (r wp + c) 16: the 16 channels of a pixel
 * are one aligned vector. The correlation computes a row's outputs nb at a
 * time, nb accumulators in registers (the FMA latency hidden: 7 on 28, 14
 * and 7 wide planes), into a staging tile of the unpadded plane, which goes
 * back to planes by 16x16 transposes.
 */
#include "config.h"
#include "isa.h"
#include "dwvec.h"

#include <stdint.h>
#include <string.h>

#include "vec.h"

#ifdef __AVX512F__
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
#ifdef __AVX512F__
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
    const size_t row = (size_t)v->wp * 16, side = (size_t)v->pad * 16;
    memset(tile, 0, v->pad * row * sizeof *tile);
    for (int y = 0; y < v->h; y++) {
        float *r = tile + (v->pad + y) * row;
        memset(r, 0, side * sizeof *r);
        memset(r + row - side, 0, side * sizeof *r);
    }
    memset(tile + (v->pad + v->h) * row, 0, v->pad * row * sizeof *tile);
}

#ifdef __AVX512F__

/* r[0..16) transposed in place: r[i] lane j becomes r[j] lane i. Within
 * each 128-bit lane by unpacks and shuffles, then across them. */
static inline __attribute__((always_inline)) void transpose16(__m512 *r)
{
    __m512 t[16], u[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    /* u[4i + e] lane l holds rows 4i .. 4i+3 of column 4l + e */
#pragma GCC unroll 4
    for (int e = 0; e < 4; e++) {
        const __m512 a = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x44),
                     b = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xee),
                     c = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x44),
                     d = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xee);
        r[e] = _mm512_shuffle_f32x4(a, c, 0x88);
        r[4 + e] = _mm512_shuffle_f32x4(a, c, 0xdd);
        r[8 + e] = _mm512_shuffle_f32x4(b, d, 0x88);
        r[12 + e] = _mm512_shuffle_f32x4(b, d, 0xdd);
    }
}

static inline __mmask16 first_lanes(size_t n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

void dwvec_pack(const DwVec *v, float *tile, const float *x, const float *next, const float *mean,
                const float *scale, const float *shift, int relu)
{
    const size_t hw = (size_t)v->h * v->w;
    const __m512 zero = _mm512_setzero_ps();
    __m512 m = zero, a = zero, b = zero;
    if (mean) {
        m = _mm512_loadu_ps(mean);
        a = _mm512_loadu_ps(scale);
        b = _mm512_loadu_ps(shift);
    }
    /* the pixels' places by a running pointer, the fields in locals (the
     * stores may alias *v: read per pixel, they had cost more than the
     * transposes) */
    const int w = v->w, skip = 2 * v->pad * 16;
    float *o = tile + ((size_t)v->pad * v->wp + v->pad) * 16;
    int col = 0;
    for (size_t p0 = 0; p0 < hw; p0 += 16) {
        const __mmask16 lanes = first_lanes(hw - p0);
        if (next) /* its 16 planes are 16 hw contiguous floats: 16 lines a chunk */
            for (int l = 0; l < 16; l++)
                _mm_prefetch((const char *)(uintptr_t)(next + (p0 + (size_t)l) * 16), _MM_HINT_T0);
        __m512 r[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++)
            r[j] = _mm512_maskz_loadu_ps(lanes, x + j * hw + p0);
        transpose16(r);
        const int n = hw - p0 < 16 ? (int)(hw - p0) : 16;
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            if (i >= n)
                break;
            __m512 px = r[i];
            if (mean) /* conv.c's strip_through: the same operations */
                px = _mm512_max_ps(_mm512_fmadd_ps(_mm512_sub_ps(px, m), a, b), zero);
            else if (relu)
                px = _mm512_max_ps(px, zero);
            _mm512_storeu_ps(o, px);
            o += 16;
            if (++col == w) {
                col = 0;
                o += skip;
            }
        }
    }
}

/* The 16 channels' weights tap by tap, wv[t] lane j = channel j's tap t,
 * or its tap taps - 1 - t (the kernel turned by 180 degrees). */
static void weight_vectors(__m512 *wv, const float *wk, int taps, int flip)
{
    float lanes[16] __attribute__((aligned(64)));
    for (int t = 0; t < taps; t++) {
        for (int j = 0; j < 16; j++)
            lanes[j] = wk[j * taps + (flip ? taps - 1 - t : t)];
        wv[t] = _mm512_load_ps(lanes);
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
                                                              const __m512 *v, __m512 *acc)
{
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        const float *r = t + ky * D * row;
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
#pragma GCC unroll 8
            for (int i = 0; i < NB; i++) {
                const __m512 x = _mm512_loadu_ps(r + (i + kx * D) * 16);
                if (WGRAD)
                    acc[ky * K + kx] = _mm512_fmadd_ps(v[i], x, acc[ky * K + kx]);
                else
                    acc[i] = _mm512_fmadd_ps(v[ky * K + kx], x, acc[i]);
            }
    }
}

/* nb outputs of a row: o[i] = sum over taps (rows, then columns) of
 * wv[tap] * the pixel under it; t: the tile at the first output's window,
 * row: a tile row in floats; with m (the first output's pixel in the mask
 * tile), 0 where the mask tile's pixel is not > 0. */
static inline __attribute__((always_inline)) void corr_chunk(const int K, const int D, const int NB,
                                                             const float *t, ptrdiff_t row,
                                                             const __m512 *wv, const float *m,
                                                             float *o)
{
    __m512 acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < NB; i++)
        acc[i] = _mm512_setzero_ps();
    window_fmas(K, D, NB, 0, t, row, wv, acc);
#pragma GCC unroll 8
    for (int i = 0; i < NB; i++)
        _mm512_storeu_ps(
            o + i * 16, m ? _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(m + i * 16),
                                                                   _mm512_setzero_ps(), _CMP_GT_OQ),
                                                acc[i])
                          : acc[i]);
}

static inline __attribute__((always_inline)) void corr_rows(const int K, const int D, const int NB,
                                                            const DwVec *v, const float *tile,
                                                            const float *wk, int flip,
                                                            const float *mtile, float *stage)
{
    __m512 wv[DWVEC_MAX_TAPS];
    weight_vectors(wv, wk, K * K, flip);
    const ptrdiff_t row = (ptrdiff_t)v->wp * 16;
    for (int y = 0; y < v->h; y++)
        for (int x0 = 0; x0 < v->w; x0 += NB) {
            const int x = x0 + NB <= v->w ? x0 : v->w - NB;
            const ptrdiff_t at = y * row + x * 16;
            corr_chunk(K, D, NB, tile + at, row, wv,
                       mtile ? mtile + at + v->pad * (row + 16) : NULL,
                       stage + ((size_t)y * v->w + x) * 16);
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
    for (size_t p0 = 0; p0 < hw; p0 += 16) {
        const __mmask16 lanes = first_lanes(hw - p0);
        __m512 r[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            r[i] = _mm512_maskz_loadu_ps(lanes & (1u << i) ? 0xffff : 0, stage + (p0 + i) * 16);
        transpose16(r);
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) {
            float *o = dst + j * ldd + p0;
            __m512 out = r[j];
            if (add)
                out = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, o), out);
            _mm512_mask_storeu_ps(o, lanes, out);
        }
    }
}

/* The weight gradient's sums over NB pixels of a row: acc[tap] += g[i] *
 * the pixel under the tap, pixel after pixel. */
static inline __attribute__((always_inline)) void wgrad_chunk(const int K, const int D,
                                                              const int NB, const float *t,
                                                              ptrdiff_t row, const float *g,
                                                              __m512 *acc)
{
    __m512 gv[8];
#pragma GCC unroll 8
    for (int i = 0; i < NB; i++)
        gv[i] = _mm512_loadu_ps(g + i * 16);
    window_fmas(K, D, NB, 1, t, row, gv, acc);
}

static inline __attribute__((always_inline)) void wgrad_rows(const int K, const int D, const int NB,
                                                             const DwVec *v, float *dwk,
                                                             const float *gtile, const float *xtile)
{
    __m512 acc[DWVEC_MAX_TAPS];
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        acc[t] = _mm512_setzero_ps();
    const ptrdiff_t row = (ptrdiff_t)v->wp * 16;
    const float *g0 = gtile + (v->pad * row + v->pad * 16);
    for (int y = 0; y < v->h; y++) {
        int x = 0;
        for (; x + NB <= v->w; x += NB)
            wgrad_chunk(K, D, NB, xtile + (y * row + x * 16), row, g0 + (y * row + x * 16), acc);
        for (; x < v->w; x++)
            wgrad_chunk(K, D, 1, xtile + (y * row + x * 16), row, g0 + (y * row + x * 16), acc);
    }
    float sums[DWVEC_MAX_TAPS][16] __attribute__((aligned(64)));
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++)
        _mm512_store_ps(sums[t], acc[t]);
    for (int j = 0; j < 16; j++)
        for (int t = 0; t < K * K; t++)
            dwk[j * K * K + t] += sums[t][j];
}

void dwvec_wgrad(const DwVec *v, float *dwk, const float *gtile, const float *xtile)
{
    DWVEC_CASES(wgrad_rows, v, dwk, gtile, xtile);
}

#endif /* __AVX512F__ */
