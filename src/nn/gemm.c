/* gemm: see gemm.h
 *
 * Register tiles of R rows x NV vectors of C: per step along k, NV vector
 * loads of a B row, R broadcasts of A, R*NV multiply-adds. B's column block
 * (k x NV vectors) stays in L1 while the row tiles pass over it; the first
 * row tile prefetches the next block's, whose k rows (each a plane's row,
 * a few KiB apart) are more streams than the hardware prefetcher follows.
 * The cifar training step 1.6 % faster (1 thread, 3 alternating rounds:
 * 5,243 -> 5,162 ms); alone, 36 x 36 channels on 32x32 planes streamed
 * from memory 68 -> 74 GFLOP/s. */
#include "config.h"
#include "isa.h"
#include "gemm.h"

#include <stddef.h>
#include <stdint.h>

#include "vec.h"

#if VL == 16
#define TILE_NV 4 /* 16 zmm accumulators of 32 */
#else
#define TILE_NV 2 /* 8 ymm accumulators of 16 */
#endif
#define TILE_R 4

/* Where a product goes: C, rows ldc apart, set or added to; or, with a
 * mask laid out as C, C += the product where the mask is > 0: a ReLU's
 * backward added in the store, the bits of relu_mask_add after a set. */
typedef struct GemmOut {
    float *c;
    int ldc, accumulate;
    const float *mask;
} GemmOut;

/* o moved down r rows and right x columns. */
static inline __attribute__((always_inline)) GemmOut out_at(GemmOut o, int r, int x)
{
    o.c += (size_t)r * o.ldc + x;
    if (o.mask)
        o.mask += (size_t)r * o.ldc + x;
    return o;
}

/* C rows 0..R, vectors 0..NV (the last holding `lanes` columns) over k.
 * WHOLE: B's rows are whole vectors apart and aligned, and the last vector
 * of each but the last row is loaded whole (its lanes past `lanes` lie in
 * the next row, read and never stored). */
static inline __attribute__((always_inline)) void gemm_tile(const int MASKED, const int WHOLE,
                                                            const int R, const int NV, int lanes,
                                                            int k, const float *a, int a_row,
                                                            int a_col, const float *b, int ldb,
                                                            GemmOut o, const float *next_b)
{
    vf s[TILE_R][TILE_NV];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            const float *cp = o.c + (size_t)r * o.ldc + j * VL;
            const int full = j < NV - 1 || lanes == VL;
            s[r][j] = !o.accumulate ? vf_set1(0.0f) : full ? vf_load(cp) : vf_load_part(cp, lanes);
        }
    /* the next column block's C and mask rows, which its store will read
     * (from the whole batch's tensors, not from L1): 28x28, 4 x 16
     * channels, 64 images: 2.8 ms without, 1.5 with, 2.0 unfused */
    if (MASKED)
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) {
                __builtin_prefetch(o.c + (size_t)r * o.ldc + (NV + j) * VL, 1);
                __builtin_prefetch(o.mask + (size_t)r * o.ldc + (NV + j) * VL);
            }
    for (int q = 0; q < k; q++) {
        const float *bq = b + (size_t)q * ldb;
        vf bv[TILE_NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            bv[j] = j < NV - 1 || lanes == VL || (WHOLE && q + 1 < k)
                        ? vf_load(bq + j * VL)
                        : vf_load_part(bq + j * VL, lanes);
        if (next_b)
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++)
                __builtin_prefetch(next_b + (size_t)q * ldb + j * VL);
        const float *aq = a + (size_t)q * a_col;
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const vf av = vf_set1(aq[(size_t)r * a_row]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++)
                s[r][j] += av * bv[j];
        }
    }
    const vf zero = vf_set1(0.0f);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            float *cp = o.c + (size_t)r * o.ldc + j * VL;
            const int full = j < NV - 1 || lanes == VL;
            vf v = s[r][j];
            if (MASKED) {
                const float *mp = o.mask + (size_t)r * o.ldc + j * VL;
                const vf mv = full ? vf_load(mp) : vf_load_part(mp, lanes);
                v = (full ? vf_load(cp) : vf_load_part(cp, lanes)) + vf_if_gt(mv, zero, v, zero);
            }
            if (full)
                vf_store(cp, v);
            else
                vf_store_part(cp, v, lanes);
        }
}

/* All rows of C over one block of columns: NV full vectors, or one vector
 * of `lanes` columns. */
static inline __attribute__((always_inline)) void gemm_columns(const int MASKED, const int WHOLE,
                                                               const int NV, int lanes, int m,
                                                               int k, const float *a, int a_row,
                                                               int a_col, const float *b, int ldb,
                                                               GemmOut o, const float *next_b)
{
    int r = 0;
    for (; r + TILE_R <= m; r += TILE_R)
        gemm_tile(MASKED, WHOLE, TILE_R, NV, lanes, k, a + (size_t)r * a_row, a_row, a_col, b, ldb,
                  out_at(o, r, 0), r == 0 ? next_b : NULL);
    for (; r < m; r++)
        gemm_tile(MASKED, WHOLE, 1, NV, lanes, k, a + (size_t)r * a_row, a_row, a_col, b, ldb,
                  out_at(o, r, 0), NULL);
}

/* Rows of B a multiple of 1 KiB apart (a 32x32 or 16x16 plane) fall into a
 * few L1 sets, so a column block of more than a few rows evicts itself
 * while the row tiles pass over it: 36 rows of a 32x32 plane ran at 66
 * GFLOP/s against 92 with the rows 1040 floats apart. Such blocks are copied
 * into a contiguous panel of PANEL_K rows first; each C element still sums
 * over k in order (a panel boundary stores and reloads the sum, exactly),
 * so the bits are those of the direct product. Not with a mask, whose C
 * cannot hold a partial sum. */
#define PANEL_K 64

static void gemm_columns_panel(int m, int k, const float *a, int a_row, int a_col, const float *b,
                               int ldb, GemmOut o)
{
    float panel[PANEL_K * TILE_NV * VL] __attribute__((aligned(64)));
    for (int q0 = 0; q0 < k; q0 += PANEL_K) {
        const int kk = k - q0 < PANEL_K ? k - q0 : PANEL_K;
        for (int q = 0; q < kk; q++)
#pragma GCC unroll 4
            for (int j = 0; j < TILE_NV; j++)
                vf_store(panel + q * TILE_NV * VL + j * VL,
                         vf_load(b + (size_t)(q0 + q) * ldb + j * VL));
        GemmOut oq = o;
        oq.accumulate = o.accumulate || q0 > 0;
        gemm_columns(0, 0, TILE_NV, VL, m, kk, a + (size_t)q0 * a_col, a_row, a_col, panel,
                     TILE_NV * VL, oq, NULL);
    }
}

static inline __attribute__((always_inline)) void gemm_run(const int MASKED, int m, int n, int k,
                                                           const float *a, int a_row, int a_col,
                                                           const float *b, int ldb, GemmOut o)
{
    const int panel = ldb % 256 == 0 && k > 8 && !MASKED;
    int x = 0;
    for (; x + TILE_NV * VL <= n; x += TILE_NV * VL)
        if (panel)
            gemm_columns_panel(m, k, a, a_row, a_col, b + x, ldb, out_at(o, 0, x));
        else
            gemm_columns(MASKED, 0, TILE_NV, VL, m, k, a, a_row, a_col, b + x, ldb, out_at(o, 0, x),
                         x + TILE_NV * VL < n ? b + x + TILE_NV * VL : NULL);
    /* The rest as one block of as many vectors as it needs, the last one
     * partial: a 7x7 plane (49 columns) is one 4-vector tile, not four
     * 1-vector tiles whose 4 accumulators would wait on the FMA latency. */
    const int rest = n - x, nv = (rest + VL - 1) / VL, lanes = rest - (nv - 1) * VL;
    /* B's rows whole vectors apart from an aligned start (a 7x7 plane's
     * scratch rows, conv.c's padded_ld): the partial vectors loaded whole
     * but in the last row. The 64 x 64 channel products on 7x7 (1 thread, in
     * cache) 8-11 % shorter; the fashion training step about 1 %. Rows 49
     * floats apart gain nothing: their whole loads split cache lines. */
    const int whole = ((uintptr_t)b | (uintptr_t)ldb * sizeof *b) % (VL * sizeof *b) == 0;
    const float *bx = b + x;
    const GemmOut ox = out_at(o, 0, x);
    switch (nv) {
    case 0:
        break;
    case 1:
        gemm_columns(MASKED, 0, 1, lanes, m, k, a, a_row, a_col, bx, ldb, ox, NULL);
        break;
#if TILE_NV > 2
    case 2:
        gemm_columns(MASKED, 0, 2, lanes, m, k, a, a_row, a_col, bx, ldb, ox, NULL);
        break;
    case 3:
        gemm_columns(MASKED, 0, 3, lanes, m, k, a, a_row, a_col, bx, ldb, ox, NULL);
        break;
#endif
    default:
        if (whole)
            gemm_columns(MASKED, 1, TILE_NV, lanes, m, k, a, a_row, a_col, bx, ldb, ox, NULL);
        else
            gemm_columns(MASKED, 0, TILE_NV, lanes, m, k, a, a_row, a_col, bx, ldb, ox, NULL);
        break;
    }
}

void gemm_small(int m, int n, int k, const float *a, int a_row, int a_col, const float *b, int ldb,
                float *c, int ldc, int accumulate)
{
    gemm_run(0, m, n, k, a, a_row, a_col, b, ldb, (GemmOut){c, ldc, accumulate, NULL});
}

void gemm_small_relu_add(int m, int n, int k, const float *a, int a_row, int a_col, const float *b,
                         int ldb, float *c, int ldc, const float *mask)
{
    gemm_run(1, m, n, k, a, a_row, a_col, b, ldb, (GemmOut){c, ldc, 0, mask});
}
