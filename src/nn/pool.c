/* pool: see include/dartboard/pool.h
 *
 * The 3x3 pools run on the padded, phase-split planes of plane.h (padding is
 * -inf for max, 0 for average), VL output pixels per vector, 8 vectors per
 * tile, threaded over batch x channels with a static partition. Backward
 * scatters each output's gradient over its window into a padded gradient
 * plane, vector by vector, then folds the plane into din; max backward first
 * re-finds each window's first arg-max with vector compares in window order.
 * Planes too big for the stack buffer take plain loops.
 */
#include "config.h"
#include "isa.h"
#include "dartboard/pool.h"
#include "dartboard/profile.h"

#include <math.h>
#include <string.h>

#include "plane.h"
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

static int pool_plan(PlanePlan *p, int h, int w, int stride)
{
    return plane_plan(p, 3, 1, stride, h, w, 1, 1, pool3x3_out_size(h, stride),
                      pool3x3_out_size(w, stride));
}

/* Counted work of a 3x3 pool, forward or backward: 9 taps per output. */
static double pool_flops(int n, int c, int h, int w, int stride)
{
    return 9.0 * n * c * pool3x3_out_size(h, stride) * pool3x3_out_size(w, stride);
}

/* --------------------------------------------------------------- forward */

/* J runs of max (avg = 0) or sum (avg = 1) over the 9 taps; the sums are
 * divided by the window's pixel count (rcnt[oy] * cntx[ox..]). */
static inline __attribute__((always_inline)) void pool_tile_fwd(const int J, const PlaneJobs *jb,
                                                                const PlanePlan *p, const int avg,
                                                                const float *cnt_y,
                                                                const float *cnt_x)
{
    vf a[8];
#pragma GCC unroll 8
    for (int j = 0; j < J; j++)
        a[j] = avg ? vf_set1(0.0f) : vf_set1(-INFINITY);
#pragma GCC unroll 9
    for (int t = 0; t < 9; t++) {
        const int o = p->tapoff[t];
#pragma GCC unroll 8
        for (int j = 0; j < J; j++)
            a[j] = avg ? a[j] + vf_load(jb->src[j] + o) : vf_max(a[j], vf_load(jb->src[j] + o));
    }
#pragma GCC unroll 8
    for (int j = 0; j < J; j++) {
        if (avg)
            a[j] = a[j] / (vf_set1(cnt_y[jb->oy[j]]) * vf_load(cnt_x + jb->ox[j]));
        if (jb->lanes[j] == VL)
            vf_store(jb->dst[j], a[j]);
        else
            vf_store_part(jb->dst[j], a[j], jb->lanes[j]);
    }
}

static void pool_plane_fwd(const PlanePlan *p, const float *buf, float *out, int avg,
                           const float *cnt_y, const float *cnt_x)
{
    const int jobs = p->out_h * p->chunks;
    PlaneJobs jb;
    for (int j = 0; j < jobs; j += PLANE_TILE) {
        plane_jobs(&jb, p, j, jobs, buf, out);
        if (avg)
            pool_tile_fwd(PLANE_TILE, &jb, p, 1, cnt_y, cnt_x);
        else
            pool_tile_fwd(PLANE_TILE, &jb, p, 0, cnt_y, cnt_x);
    }
}

/* Pixel counts of the windows along each axis, as floats; cnt_x is padded to
 * whole vectors. Returns -1 if the plane is too large for the tables. */
static int pool_counts(const PlanePlan *p, int h, int w, int stride, float *cnt_y, float *cnt_x)
{
    if (p->out_h > PLANE_BUF_FLOATS / 16 || p->chunks * VL > PLANE_BUF_FLOATS / 16)
        return -1;
    for (int oy = 0; oy < p->out_h; oy++)
        cnt_y[oy] = (float)pool_count(oy, stride, h);
    for (int ox = 0; ox < p->chunks * VL; ox++)
        cnt_x[ox] = ox < p->out_w ? (float)pool_count(ox, stride, w) : 1.0f;
    return 0;
}

static void pool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride,
                            int avg)
{
    PlanePlan p;
    float cnt_y[PLANE_BUF_FLOATS / 16], cnt_x[PLANE_BUF_FLOATS / 16];
    if (pool_plan(&p, h, w, stride) != 0 || pool_counts(&p, h, w, stride, cnt_y, cnt_x) != 0) {
        if (avg)
            avgpool3x3_forward_naive(out, in, n, c, h, w, stride);
        else
            maxpool3x3_forward_naive(out, in, n, c, h, w, stride);
        return;
    }
    const long planes = (long)n * c, ohw = (long)p.out_h * p.out_w;
#pragma omp parallel if (planes * ohw * 9 >= NN_PARALLEL_MIN_WORK)
    {
        float buf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
        plane_clear(&p, buf, avg ? 0.0f : -INFINITY);
#pragma omp for schedule(static)
        for (long q = 0; q < planes; q++) {
            plane_fill(&p, buf, in + (size_t)q * h * w);
            pool_plane_fwd(&p, buf, out + (size_t)q * ohw, avg, cnt_y, cnt_x);
        }
    }
}

void maxpool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_forward(out, in, n, c, h, w, stride, 0);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

void avgpool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_forward(out, in, n, c, h, w, stride, 1);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

/* -------------------------------------------------------------- backward */

/* J runs of the backward: each lane's gradient (divided by its window's
 * pixel count for avg; for max, sent only to the lane's first maximal tap,
 * strict > in window order as PyTorch) is added into the padded gradient
 * plane dbuf at every tap of its window. xbuf (max only) is the padded input. */
static inline __attribute__((always_inline)) void
pool_tile_bwd(const int J, const PlaneJobs *jb, const PlanePlan *p, const int avg,
              const float *xbuf, float *dbuf, const float *cnt_y, const float *cnt_x)
{
    vf g[8], arg[8];
#pragma GCC unroll 8
    for (int j = 0; j < J; j++) {
        g[j] = jb->lanes[j] == VL ? vf_load(jb->dst[j]) : vf_load_part(jb->dst[j], jb->lanes[j]);
        if (avg)
            g[j] = g[j] / (vf_set1(cnt_y[jb->oy[j]]) * vf_load(cnt_x + jb->ox[j]));
    }
    if (!avg) {
        vf best[8];
        const ptrdiff_t xo = xbuf - dbuf;
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) {
            best[j] = vf_load(jb->src[j] + xo + p->tapoff[0]);
            arg[j] = vf_set1(0.0f);
        }
#pragma GCC unroll 9
        for (int t = 1; t < 9; t++) {
            const int o = p->tapoff[t];
            const vf tv = vf_set1((float)t);
#pragma GCC unroll 8
            for (int j = 0; j < J; j++) {
                vf v = vf_load(jb->src[j] + xo + o);
                arg[j] = vf_if_gt(v, best[j], tv, arg[j]);
                best[j] = vf_max(v, best[j]);
            }
        }
    }
#pragma GCC unroll 9
    for (int i = 0; i < 9; i++) {
        const int t = i % 3 * 3 + i / 3; /* column by column, as plane.h explains */
        const int o = p->tapoff[t];
        const vf tv = vf_set1((float)t), zero = vf_set1(0.0f);
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) {
            float *d = (float *)jb->src[j] + o;
            vf add = avg ? g[j] : vf_if_eq(arg[j], tv, g[j], zero);
            vf_store(d, vf_load(d) + add);
        }
    }
}

static void pool_plane_bwd(const PlanePlan *p, int avg, const float *xbuf, float *dbuf,
                           const float *g, const float *cnt_y, const float *cnt_x)
{
    const int jobs = p->out_h * p->chunks;
    PlaneJobs jb;
    for (int j = 0; j < jobs; j += PLANE_TILE) {
        plane_jobs(&jb, p, j, jobs, dbuf, g);
        if (avg)
            pool_tile_bwd(PLANE_TILE, &jb, p, 1, xbuf, dbuf, cnt_y, cnt_x);
        else
            pool_tile_bwd(PLANE_TILE, &jb, p, 0, xbuf, dbuf, cnt_y, cnt_x);
    }
}

/* Plain loops: the fallback for planes beyond the stack buffer. */
static void pool_backward_plain(float *din, const float *dout, const float *in, int n, int c, int h,
                                int w, int stride, int avg)
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
                        else if (bi < 0 || x[iy * w + ix] > x[bi])
                            bi = iy * w + ix;
                    }
                if (!avg)
                    dx[bi] += gv;
            }
    }
}

static void pool3x3_backward(float *din, const float *dout, const float *in, int n, int c, int h,
                             int w, int stride, int avg)
{
    PlanePlan p;
    float cnt_y[PLANE_BUF_FLOATS / 16], cnt_x[PLANE_BUF_FLOATS / 16];
    if (pool_plan(&p, h, w, stride) != 0 || pool_counts(&p, h, w, stride, cnt_y, cnt_x) != 0) {
        pool_backward_plain(din, dout, in, n, c, h, w, stride, avg);
        return;
    }
    const long planes = (long)n * c, ohw = (long)p.out_h * p.out_w;
#pragma omp parallel if (planes * ohw * 9 >= NN_PARALLEL_MIN_WORK)
    {
        float xbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
        float dbuf[PLANE_BUF_FLOATS] __attribute__((aligned(64)));
        if (!avg)
            plane_clear(&p, xbuf, -INFINITY);
#pragma omp for schedule(static)
        for (long q = 0; q < planes; q++) {
            if (!avg)
                plane_fill(&p, xbuf, in + (size_t)q * h * w);
            plane_clear(&p, dbuf, 0.0f);
            pool_plane_bwd(&p, avg, xbuf, dbuf, dout + (size_t)q * ohw, cnt_y, cnt_x);
            plane_unfill_add(&p, din + (size_t)q * h * w, dbuf);
        }
    }
}

void maxpool3x3_backward(float *din, const float *dout, const float *in, int n, int c, int h, int w,
                         int stride)
{
    PROFILE_BEGIN;
    pool3x3_backward(din, dout, in, n, c, h, w, stride, 0);
    PROFILE_END(PROF_POOL, pool_flops(n, c, h, w, stride));
}

void avgpool3x3_backward(float *din, const float *dout, int n, int c, int h, int w, int stride)
{
    PROFILE_BEGIN;
    pool3x3_backward(din, dout, NULL, n, c, h, w, stride, 1);
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

static void pool_naive(float *out, const float *in, int n, int c, int h, int w, int stride, int avg)
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
                        float v = in[((size_t)q * h + iy) * w + ix];
                        m = v > m ? v : m;
                        s += v;
                        cnt++;
                    }
                out[((size_t)q * ho + oy) * wo + ox] = avg ? (float)(s / cnt) : m;
            }
}

void maxpool3x3_forward_naive(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    pool_naive(out, in, n, c, h, w, stride, 0);
}

void avgpool3x3_forward_naive(float *out, const float *in, int n, int c, int h, int w, int stride)
{
    pool_naive(out, in, n, c, h, w, stride, 1);
}

/* ----------------------------------------------- k x k average, no padding */

int avgpool_window_out_size(int in, int k, int stride)
{
    return in < k ? 0 : (in - k) / stride + 1;
}

/* Plane by plane; the auxiliary head's maps are small (a few 7x7 or 8x8
 * planes per image), so a plain loop over the window is enough. */
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
