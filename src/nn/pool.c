/* pool: see include/dartboard/pool.h
 *
 * The 3x3 pools are separable, so they run row by row, VL pixels per vector,
 * on a plane held in a few rows of stack buffers (no padded copy of the
 * plane, no tiles):
 * - each input row's 3-wide windows first: their max and which of the three
 *   holds it (the first, by strict >), or their sum; stride 2 takes the
 *   windows at even columns (vf_evens);
 * - the output row then combines the three rows under it: the max (and for
 *   the backward which row holds it, again the first by strict >), or the
 *   sum divided by the window's pixel count (count_include_pad=False).
 * The first maximum of a window in row-major order lies in its first row
 * that holds the window's maximum, at that row's first maximum: the two
 * steps find PyTorch's arg-max.
 * The backward is a gather, one input row at a time: the gradients of the
 * output rows whose window row (arg-max row for max) is this row are summed
 * over those rows, then spread over the row's columns (to the arg-max column
 * for max; interleaved for stride 2, vf_zip_*), and added into din.
 * Each of the four kinds (max or avg, stride 1 or 2) is compiled on its own.
 * Against the padded, phase-split tiles this replaced, 1 thread, 64 images:
 * max 28x28x16 forward 0.61 -> 0.29 ms, backward 1.30 -> 0.71; avg 0.67 ->
 * 0.28, 0.92 -> 0.30; stride 2 on 28x28x32 (a reduction cell's) max 0.66 ->
 * 0.41, 1.63 -> 1.04. Planes too big for the stack buffers take plain
 * loops.
 */
#include "config.h"
#include "isa.h"
#include "dartboard/pool.h"
#include "dartboard/profile.h"

#include <math.h>
#include <string.h>

#include "vec.h"

int pool3x3_out_size(int in, int stride)
{
    return (in + 2 - 3) / stride + 1;
}

/* Window rows (or columns) of output o that lie inside [0, n): their count. */
static int pool_count(int o, int stride, int n)
{
    int lo = o * stride - 1, hi = o * stride + 1;
    if (lo < 0)
        lo = 0;
    if (hi > n - 1)
        hi = n - 1;
    return hi - lo + 1;
}

/* Counted work of a 3x3 pool, forward or backward: 9 taps per output. */
static double pool_flops(int n, int c, int h, int w, int stride)
{
    return 9.0 * n * c * pool3x3_out_size(h, stride) * pool3x3_out_size(w, stride);
}

/* ------------------------------------------------------------------ rows */

#define POOL_BUF_FLOATS 16384

static int round_up(int x, int m)
{
    return (x + m - 1) / m * m;
}

/* A plane's shapes and the rows of one thread's stack buffer: per input row
 * its windows' max or sum (hrow) and for max backward their arg-max (harg);
 * per output row, for max backward which window row holds the arg-max
 * (orow) and its gradient (ograd), for avg backward its gradient over the
 * pixel count (orow); a row of zeros and one of -1 (zrow, nrow) for the
 * window rows outside the plane. Rows of pitch floats: whole vectors and
 * one more, which the backward reads as the block after the last (zero in
 * the rows it takes gradients from). */
typedef struct PoolRows {
    int h, w, ho, wo, pitch;
    float *hrow, *harg, *orow, *ograd, *zrow, *nrow;
    float cnt_y[POOL_BUF_FLOATS / 64], cnt_x[POOL_BUF_FLOATS / 64];
} PoolRows;

static int pool_rows_floats(int h, int w, int stride, int *pitch)
{
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    *pitch = round_up(wo, VL) + VL;
    return (2 * h + 2 * ho + 2) * *pitch;
}

/* Whether a plane's rows fit one thread's buffer (else plain loops). */
static int pool_rows_fit(int h, int w, int stride)
{
    int pitch;
    return pool_rows_floats(h, w, stride, &pitch) <= POOL_BUF_FLOATS &&
           pool3x3_out_size(h, stride) <= POOL_BUF_FLOATS / 64 &&
           round_up(pool3x3_out_size(w, stride), VL) <= POOL_BUF_FLOATS / 64;
}

/* Carves buf for a plane that fits. */
static void pool_rows_plan(PoolRows *r, float *buf, int h, int w, int stride)
{
    r->h = h;
    r->w = w;
    r->ho = pool3x3_out_size(h, stride);
    r->wo = pool3x3_out_size(w, stride);
    pool_rows_floats(h, w, stride, &r->pitch);
    r->hrow = buf;
    r->harg = r->hrow + (size_t)h * r->pitch;
    r->orow = r->harg + (size_t)h * r->pitch;
    r->ograd = r->orow + (size_t)r->ho * r->pitch;
    r->zrow = r->ograd + (size_t)r->ho * r->pitch;
    r->nrow = r->zrow + r->pitch;
    for (int i = 0; i < r->pitch; i++) {
        r->zrow[i] = 0.0f;
        r->nrow[i] = -1.0f;
    }
    for (int oy = 0; oy < r->ho; oy++)
        r->cnt_y[oy] = (float)pool_count(oy, stride, h);
    for (int ox = 0; ox < round_up(r->wo, VL); ox++)
        r->cnt_x[ox] = ox < r->wo ? (float)pool_count(ox, stride, w) : 1.0f;
}

static float *prow(const PoolRows *r, float *base, int row)
{
    return base + (size_t)row * r->pitch;
}

/* The max of three and which holds it: the first, by strict > (a NaN never
 * takes over, as in the padded tiles before). */
static inline vf first_max(vf a, vf b, vf c, vf *arg)
{
    vf best = a, k = vf_set1(0.0f);
    k = vf_if_gt(b, best, vf_set1(1.0f), k);
    best = vf_max(b, best);
    k = vf_if_gt(c, best, vf_set1(2.0f), k);
    best = vf_max(c, best);
    *arg = k;
    return best;
}

/* A plane's PoolPre: whether it maps, and its channel's numbers. */
typedef struct RowMap {
    int on;
    vf mean, scale, shift;
} RowMap;

static RowMap row_map(const PoolPre *pre, int ch)
{
    if (!pre)
        return (RowMap){0};
    return (RowMap){1, vf_set1(pre->mean[ch]), vf_set1(pre->scale[ch]), vf_set1(pre->shift[ch])};
}

static inline vf row_mapped(vf v, const RowMap *m)
{
    return m->on ? (v - m->mean) * m->scale + m->shift : v;
}

/* Pixels c0 .. c0 + VL - 1 of a row of w through m, fill beyond it. Read in place:
 * the windows' neighbours come from the blocks beside by lane shuffles (a
 * padded copy of the row, read one pixel off where it was just stored,
 * stalled every load on store forwarding). */
static inline vf row_block(const float *x, int c0, int w, vf fill, const RowMap *m)
{
    if (w - c0 >= VL)
        return row_mapped(vf_load(x + c0), m);
    if (c0 >= w)
        return fill;
    return vf_select(vf_lanes_below(w - c0), row_mapped(vf_load_part(x + c0, w - c0), m), fill);
}

/* Input row x: its windows at the output columns into hr (max or sum) and
 * their arg-max into ha (when ha); stride 2 keeps the windows at even
 * columns. */
static inline __attribute__((always_inline)) void pool_row_windows(const int S, const int avg,
                                                                   const PoolRows *r,
                                                                   const float *x, float *hr,
                                                                   float *ha, const RowMap *m)
{
    const vf fill = vf_set1(avg ? 0.0f : -INFINITY), zero = vf_set1(0.0f);
    const int blocks = (r->w + VL - 1) / VL;
    vf prev = fill, cur = row_block(x, 0, r->w, fill, m), held = zero, heldk = zero;
    for (int b = 0; b < blocks; b++) {
        const int c0 = b * VL;
        const vf next = row_block(x, c0 + VL, r->w, fill, m);
        const vf left = vf_shift_in_prev(prev, cur), right = vf_shift_in_next(cur, next);
        vf k = zero;
        const vf v = avg ? (left + cur) + right : first_max(left, cur, right, &k);
        if (S == 1) {
            vf_store(hr + c0, v);
            if (ha)
                vf_store(ha + c0, k);
        } else if (b % 2 == 0) {
            held = v;
            heldk = k;
        } else {
            vf_store(hr + (c0 - VL) / 2, vf_evens(held, v));
            if (ha)
                vf_store(ha + (c0 - VL) / 2, vf_evens(heldk, k));
        }
        prev = cur;
        cur = next;
    }
    if (S == 2 && blocks % 2) {
        vf_store(hr + (blocks - 1) * VL / 2, vf_evens(held, fill));
        if (ha)
            vf_store(ha + (blocks - 1) * VL / 2, vf_evens(heldk, zero));
    }
}

/* Every input row's windows (hrow, harg when arg). */
static inline __attribute__((always_inline)) void pool_plane_rows(const int S, const int avg,
                                                                  const PoolRows *r, const float *x,
                                                                  int arg, const RowMap *m)
{
    for (int iy = 0; iy < r->h; iy++)
        pool_row_windows(S, avg, r, x + (size_t)iy * r->w, prow(r, r->hrow, iy),
                         arg ? prow(r, r->harg, iy) : NULL, m);
}

/* The four kinds of pool, keyed avg * 2 + stride - 1, each compiled on its
 * own: X(stride, avg). */
#define POOL_KIND_CASES(X)                                                                         \
    case 0:                                                                                        \
        X(1, 0);                                                                                   \
        break;                                                                                     \
    case 1:                                                                                        \
        X(2, 0);                                                                                   \
        break;                                                                                     \
    case 2:                                                                                        \
        X(1, 1);                                                                                   \
        break;                                                                                     \
    default:                                                                                       \
        X(2, 1)

/* Input row of window row k of output row oy, or -1 outside the plane. */
static inline __attribute__((always_inline)) int window_row(const int S, const PoolRows *r, int oy,
                                                            int k)
{
    const int iy = oy * S - 1 + k;
    return iy >= 0 && iy < r->h ? iy : -1;
}

/* ------------------------------------------------------------- forward */

static inline __attribute__((always_inline)) void pool_plane_fwd(const int S, const int avg,
                                                                 const PoolRows *r, const float *x,
                                                                 float *out, const RowMap *m)
{
    pool_plane_rows(S, avg, r, x, 0, m);
    for (int oy = 0; oy < r->ho; oy++) {
        const float *hr[3];
        int rows = 0;
        for (int k = 0; k < 3; k++)
            if (window_row(S, r, oy, k) >= 0)
                hr[rows++] = prow(r, r->hrow, window_row(S, r, oy, k));
        const vf cy = vf_set1(r->cnt_y[oy]);
        float *o = out + (size_t)oy * r->wo;
        for (int x0 = 0; x0 < r->wo; x0 += VL) {
            vf a = vf_load(hr[0] + x0);
            for (int q = 1; q < rows; q++)
                a = avg ? a + vf_load(hr[q] + x0) : vf_max(vf_load(hr[q] + x0), a);
            if (avg)
                a = a / (cy * vf_load(r->cnt_x + x0));
            if (r->wo - x0 >= VL)
                vf_store(o + x0, a);
            else
                vf_store_part(o + x0, a, r->wo - x0);
        }
    }
}

/* Pixel i of plane x of channel ch, through pre if any (the formula of
 * row_mapped): the plain loops' read. */
static float plane_value(const float *x, const PoolPre *pre, int ch, size_t i)
{
    return pre ? (x[i] - pre->mean[ch]) * pre->scale[ch] + pre->shift[ch] : x[i];
}

static void pool_naive(float *out, const float *in, const PoolPre *pre, int n, int c, int h, int w,
                       int stride, int avg);

static void pool3x3_forward(float *out, const float *in, const PoolPre *pre, int n, int c, int h,
                            int w, int stride, int avg)
{
    const long planes = (long)n * c;
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    if (!pool_rows_fit(h, w, stride)) {
        pool_naive(out, in, pre, n, c, h, w, stride, avg);
        return;
    }
#pragma omp parallel if (planes * ho * wo * 9 >= NN_PARALLEL_MIN_WORK)
    {
        float buf[POOL_BUF_FLOATS] __attribute__((aligned(64)));
        PoolRows r;
        pool_rows_plan(&r, buf, h, w, stride);
#pragma omp for schedule(static)
        for (long q = 0; q < planes; q++) {
            const float *x = in + (size_t)q * h * w;
            float *y = out + (size_t)q * ho * wo;
            const RowMap m = row_map(pre, (int)(q % c));
#define POOL_FWD(S, AVG) pool_plane_fwd(S, AVG, &r, x, y, &m)
            switch (avg * 2 + stride - 1) {
                POOL_KIND_CASES(POOL_FWD);
            }
#undef POOL_FWD
        }
    }
}

void maxpool3x3_forward_pre(float *out, const float *in, const PoolPre *pre, int n, int c, int h,
                            int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_forward(out, in, pre, n, c, h, w, stride, 0);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

void avgpool3x3_forward_pre(float *out, const float *in, const PoolPre *pre, int n, int c, int h,
                            int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_forward(out, in, pre, n, c, h, w, stride, 1);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

void maxpool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    maxpool3x3_forward_pre(out, in, NULL, n, c, h, w, stride);
}

void avgpool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    avgpool3x3_forward_pre(out, in, NULL, n, c, h, w, stride);
}

/* ------------------------------------------------------------ backward */

/* Per output row, what the gather adds: max, which of its three window rows
 * holds the window's first maximum (orow) and its gradient (ograd); avg,
 * its gradient over its window's pixel count (orow). The rows' gradients
 * are zero from column wo on. */
static inline __attribute__((always_inline)) void
pool_plane_out_rows(const int S, const int avg, const PoolRows *r, const float *g)
{
    const int whole = round_up(r->wo, VL);
    for (int oy = 0; oy < r->ho; oy++) {
        float *o = prow(r, r->orow, oy), *og = avg ? o : prow(r, r->ograd, oy);
        const float *gy = g + (size_t)oy * r->wo;
        const vf cy = vf_set1(r->cnt_y[oy]);
        int k0 = 0; /* max: the first window row inside the plane */
        while (!avg && window_row(S, r, oy, k0) < 0)
            k0++;
        for (int x0 = 0; x0 < r->wo; x0 += VL) {
            const vf gv = r->wo - x0 >= VL ? vf_load(gy + x0) : vf_load_part(gy + x0, r->wo - x0);
            if (avg) {
                vf_store(o + x0, gv / (cy * vf_load(r->cnt_x + x0)));
                continue;
            }
            vf best = vf_load(prow(r, r->hrow, window_row(S, r, oy, k0)) + x0);
            vf arg = vf_set1((float)k0);
            for (int k = k0 + 1; k < 3; k++) {
                const int iy = window_row(S, r, oy, k);
                if (iy < 0)
                    continue;
                const vf v = vf_load(prow(r, r->hrow, iy) + x0);
                arg = vf_if_gt(v, best, vf_set1((float)k), arg);
                best = vf_max(v, best);
            }
            vf_store(o + x0, arg);
            vf_store(og + x0, gv);
        }
        vf_store(og + whole, vf_set1(0.0f));
    }
}

/* Input row iy is window row k of at most one output row each k: that
 * row's orow and ograd, or the dummy rows (nothing gathered). */
static inline __attribute__((always_inline)) void pool_sources(const int S, const int avg,
                                                               const PoolRows *r, int iy,
                                                               const float **o, const float **og)
{
    for (int k = 0; k < 3; k++) {
        const int t = iy + 1 - k, shift = S - 1;
        const int oy = t >= 0 && (t & shift) == 0 && t >> shift < r->ho ? t >> shift : -1;
        o[k] = oy >= 0 ? prow(r, r->orow, oy) : avg ? r->zrow : r->nrow;
        og[k] = oy >= 0 ? prow(r, r->ograd, oy) : r->zrow;
    }
}

/* The gradient input row iy gathers at output columns x0 .. x0 + VL - 1
 * from its sources: max, each one's gradient where k is its window's
 * arg-max row; avg, all of them. */
static inline __attribute__((always_inline)) vf gather_block(const int avg, const float *const *o,
                                                             const float *const *og, int x0)
{
    if (avg)
        return (vf_load(o[0] + x0) + vf_load(o[1] + x0)) + vf_load(o[2] + x0);
    const vf zero = vf_set1(0.0f);
    return (vf_if_eq(vf_load(o[0] + x0), zero, vf_load(og[0] + x0), zero) +
            vf_if_eq(vf_load(o[1] + x0), vf_set1(1.0f), vf_load(og[1] + x0), zero)) +
           vf_if_eq(vf_load(o[2] + x0), vf_set1(2.0f), vf_load(og[2] + x0), zero);
}

/* dx[c0 ..] += v, up to column w. */
static inline void row_add(float *dx, int c0, int w, vf v)
{
    if (w - c0 >= VL)
        vf_store(dx + c0, vf_load(dx + c0) + v);
    else if (c0 < w)
        vf_store_part(dx + c0, vf_load_part(dx + c0, w - c0) + v, w - c0);
}

/* dx (input row iy) += its gathered gradient spread over each window's
 * columns: max, to the window's arg-max column (harg); avg, to all three.
 * The neighbours' blocks by lane shuffles, as pool_row_windows. */
static inline __attribute__((always_inline)) void
pool_row_backward(const int S, const int avg, const PoolRows *r, float *dx, int iy)
{
    const float *o[3], *og[3];
    pool_sources(S, avg, r, iy, o, og);
    const float *ha = prow(r, r->harg, iy);
    const vf zero = vf_set1(0.0f), k0 = zero, k1 = vf_set1(1.0f), k2 = vf_set1(2.0f);
    vf prev = zero, cur = gather_block(avg, o, og, 0), hprev = zero,
       hcur = avg ? zero : vf_load(ha);
    for (int x0 = 0; x0 < r->wo; x0 += VL) {
        const vf next = gather_block(avg, o, og, x0 + VL);
        const vf gn = vf_shift_in_next(cur, next);
        const vf hnext = avg ? zero : vf_load(ha + x0 + VL), hn = vf_shift_in_next(hcur, hnext);
        if (S == 1) {
            /* column c is window c+1's left, c's middle, c-1's right */
            const vf gp = vf_shift_in_prev(prev, cur), hp = vf_shift_in_prev(hprev, hcur);
            const vf d = avg ? (gp + cur) + gn
                             : (vf_if_eq(hp, k2, gp, zero) + vf_if_eq(hcur, k1, cur, zero)) +
                                   vf_if_eq(hn, k0, gn, zero);
            row_add(dx, x0, r->w, d);
        } else {
            /* column 2x is window x's middle; 2x + 1 is x's right, x+1's left */
            const vf e = avg ? cur : vf_if_eq(hcur, k1, cur, zero);
            const vf odd =
                avg ? cur + gn : vf_if_eq(hcur, k2, cur, zero) + vf_if_eq(hn, k0, gn, zero);
            row_add(dx, 2 * x0, r->w, vf_zip_lo(e, odd));
            row_add(dx, 2 * x0 + VL, r->w, vf_zip_hi(e, odd));
        }
        prev = cur;
        cur = next;
        hprev = hcur;
        hcur = hnext;
    }
}

static inline __attribute__((always_inline)) void pool_plane_bwd(const int S, const int avg,
                                                                 const PoolRows *r, float *dx,
                                                                 const float *g, const float *x,
                                                                 const RowMap *m)
{
    if (!avg)
        pool_plane_rows(S, 0, r, x, 1, m);
    pool_plane_out_rows(S, avg, r, g);
    for (int iy = 0; iy < r->h; iy++)
        pool_row_backward(S, avg, r, dx + (size_t)iy * r->w, iy);
}

/* Plain loops: the fallback for planes beyond the stack buffer. */
static void pool_backward_plain(float *din, const float *dout, const float *in, const PoolPre *pre,
                                int n, int c, int h, int w, int stride, int avg)
{
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    for (long q = 0; q < (long)n * c; q++) {
        const float *x = in ? in + (size_t)q * h * w : NULL;
        float *dx = din + (size_t)q * h * w;
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const float gv = dout[((size_t)q * ho + oy) * wo + ox];
                const int cnt = pool_count(oy, stride, h) * pool_count(ox, stride, w);
                int bi = -1;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        if (avg)
                            dx[iy * w + ix] += gv / (float)cnt;
                        else if (bi < 0 || plane_value(x, pre, (int)(q % c), iy * w + ix) >
                                               plane_value(x, pre, (int)(q % c), bi))
                            bi = iy * w + ix;
                    }
                if (!avg)
                    dx[bi] += gv;
            }
    }
}

static void pool3x3_backward(float *din, const float *dout, const float *in, const PoolPre *pre,
                             int n, int c, int h, int w, int stride, int avg)
{
    const long planes = (long)n * c;
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    if (!pool_rows_fit(h, w, stride)) {
        pool_backward_plain(din, dout, in, pre, n, c, h, w, stride, avg);
        return;
    }
#pragma omp parallel if (planes * ho * wo * 9 >= NN_PARALLEL_MIN_WORK)
    {
        float buf[POOL_BUF_FLOATS] __attribute__((aligned(64)));
        PoolRows r;
        pool_rows_plan(&r, buf, h, w, stride);
#pragma omp for schedule(static)
        for (long q = 0; q < planes; q++) {
            float *dx = din + (size_t)q * h * w;
            const float *g = dout + (size_t)q * ho * wo, *x = in ? in + (size_t)q * h * w : NULL;
            const RowMap m = row_map(pre, (int)(q % c));
#define POOL_BWD(S, AVG) pool_plane_bwd(S, AVG, &r, dx, g, x, &m)
            switch (avg * 2 + stride - 1) {
                POOL_KIND_CASES(POOL_BWD);
            }
#undef POOL_BWD
        }
    }
}

void maxpool3x3_backward_pre(float *din, const float *dout, const float *in, const PoolPre *pre,
                             int n, int c, int h, int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_backward(din, dout, in, pre, n, c, h, w, stride, 0);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

void maxpool3x3_backward(float *din, const float *dout, const float *in, int n, int c, int h, int w,
                         int stride)
{
    maxpool3x3_backward_pre(din, dout, in, NULL, n, c, h, w, stride);
}

void avgpool3x3_backward(float *din, const float *dout, int n, int c, int h, int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_backward(din, dout, NULL, NULL, n, c, h, w, stride, 1);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

/* ----------------------------------------------------------- global / naive */

void global_avgpool_forward(float *out, const float *in, int n, int c, int hw)
{
    PROFILE_BEGIN;
    const float inv = 1.0f / (float)hw;
    for (long q = 0; q < (long)n * c; q++) {
        const float *x = in + (size_t)q * hw;
        v8 acc = v8_set1(0.0f);
        int i = 0;
        for (; i + 8 <= hw; i += 8)
            acc += v8_load(x + i);
        float s = v8_hsum(acc);
        for (; i < hw; i++)
            s += x[i];
        out[q] = s * inv;
    }
    PROFILE_END(PROF_POOL, 1.0 * n * c * hw);
}

void global_avgpool_backward(float *din, const float *dout, int n, int c, int hw)
{
    PROFILE_BEGIN;
    const float inv = 1.0f / (float)hw;
    for (long q = 0; q < (long)n * c; q++) {
        const float g = dout[q] * inv;
        const v8 gv = v8_set1(g);
        float *dx = din + (size_t)q * hw;
        int i = 0;
        for (; i + 8 <= hw; i += 8)
            v8_store(dx + i, v8_load(dx + i) + gv);
        for (; i < hw; i++)
            dx[i] += g;
    }
    PROFILE_END(PROF_POOL, 1.0 * n * c * hw);
}

static void pool_naive(float *out, const float *in, const PoolPre *pre, int n, int c, int h, int w,
                       int stride, int avg)
{
    const int ho = pool3x3_out_size(h, stride), wo = pool3x3_out_size(w, stride);
    for (long q = 0; q < (long)n * c; q++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                float m = -INFINITY;
                double s = 0.0;
                int cnt = 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            continue;
                        float v = plane_value(in + (size_t)q * h * w, pre, (int)(q % c),
                                              (size_t)iy * w + ix);
                        m = v > m ? v : m;
                        s += v;
                        cnt++;
                    }
                out[((size_t)q * ho + oy) * wo + ox] = avg ? (float)(s / cnt) : m;
            }
}

void maxpool3x3_forward_naive(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    pool_naive(out, in, NULL, n, c, h, w, stride, 0);
}

void avgpool3x3_forward_naive(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    pool_naive(out, in, NULL, n, c, h, w, stride, 1);
}

/* ----------------------------------------------- k x k average, no padding */

int avgpool_window_out_size(int in, int k, int stride)
{
    return in < k ? 0 : (in - k) / stride + 1;
}

/* Plane by plane; the auxiliary head's maps are small (a few 7x7 or 8x8
 * planes per image), so a plain loop over the window is enough, but for
 * its 2x2 output the forward adds the four windows side by side: four
 * chains of adds in flight instead of one (each window's in its own order,
 * the same bits; 64 x 256 planes of 7x7, 1 thread: 1.6 -> 0.44 ms). The
 * backward's scattered adds had no such chain. */
void avgpool_window_forward(float *out, const float *in, int n, int c, int h, int w, int k,
                            int stride)
{
    PROFILE_BEGIN;
    const int ho = avgpool_window_out_size(h, k, stride),
              wo = avgpool_window_out_size(w, k, stride);
    const int planes = n * c;
    const float inv = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if ((size_t)planes * ho * wo * k * k >=                  \
                                              NN_PARALLEL_MIN_WORK)
    for (int pc = 0; pc < planes; pc++) {
        const float *x = in + (size_t)pc * h * w;
        float *y = out + (size_t)pc * ho * wo;
        if (ho == 2 && wo == 2) { /* the four windows' sums side by side */
            const size_t d1 = (size_t)stride, d2 = (size_t)stride * w, d3 = d2 + d1;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
            for (int dy = 0; dy < k; dy++)
                for (int dx = 0; dx < k; dx++) {
                    const float *p = x + dy * w + dx;
                    s0 += p[0];
                    s1 += p[d1];
                    s2 += p[d2];
                    s3 += p[d3];
                }
            y[0] = s0 * inv;
            y[1] = s1 * inv;
            y[2] = s2 * inv;
            y[3] = s3 * inv;
            continue;
        }
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                float s = 0.0f;
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++)
                        s += x[(oy * stride + dy) * w + ox * stride + dx];
                y[oy * wo + ox] = s * inv;
            }
    }
    PROFILE_END(PROF_POOL, (double)planes * ho * wo * k * k);
}

void avgpool_window_backward(float *din, const float *dout, int n, int c, int h, int w, int k,
                             int stride)
{
    PROFILE_BEGIN;
    const int ho = avgpool_window_out_size(h, k, stride),
              wo = avgpool_window_out_size(w, k, stride);
    const int planes = n * c;
    const float inv = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if ((size_t)planes * ho * wo * k * k >=                  \
                                              NN_PARALLEL_MIN_WORK)
    for (int pc = 0; pc < planes; pc++) {
        float *dx = din + (size_t)pc * h * w;
        const float *dy = dout + (size_t)pc * ho * wo;
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const float g = dy[oy * wo + ox] * inv;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                        dx[(oy * stride + ky) * w + ox * stride + kx] += g;
            }
    }
    PROFILE_END(PROF_POOL, (double)planes * ho * wo * k * k);
}

void avgpool_window_forward_naive(float *out, const float *in, int n, int c, int h, int w, int k,
                                  int stride)
{
    const int ho = avgpool_window_out_size(h, k, stride),
              wo = avgpool_window_out_size(w, k, stride);
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double s = 0.0;
                    for (int dy = 0; dy < k; dy++)
                        for (int dx = 0; dx < k; dx++)
                            s += in[(((size_t)i * c + ch) * h + oy * stride + dy) * w +
                                    ox * stride + dx];
                    out[(((size_t)i * c + ch) * ho + oy) * wo + ox] = (float)(s / (k * k));
                }
}
