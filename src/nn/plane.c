/* plane: see plane.h */
#include "config.h"
#include "isa.h"
#include "plane.h"

#include <string.h>

#include "vec.h"

int plane_plan(PlanePlan *p, int k, int d, int s, int src_h, int src_w, int pad_t, int pad_l,
               int out_h, int out_w)
{
    p->s = s;
    p->k = k;
    p->d = d;
    p->taps = k * k;
    p->src_h = src_h;
    p->src_w = src_w;
    p->pt = pad_t;
    p->pl = pad_l;
    p->out_h = out_h;
    p->out_w = out_w;
    p->relu = p->bn = 0;
    p->bn_mean = p->bn_scale = p->bn_shift = 0.0f;
    p->chunks = (out_w + VL - 1) / VL;
    p->hp = (out_h - 1) * s + (k - 1) * d + 1;
    /* the last job reads 8 lanes even when fewer are valid */
    p->pw = (p->chunks * VL + (k - 1) * d / s + VL - 1) / VL * VL;
    if (p->taps > PLANE_MAX_TAPS || (long)s * p->hp * p->pw > PLANE_BUF_FLOATS)
        return -1;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            int t = kx * d;
            p->tapoff[ky * k + kx] = ((t % s) * p->hp + ky * d) * p->pw + t / s;
            p->colmajor[kx * k + ky] = ky * k + kx;
        }
    return 0;
}

void plane_clear(const PlanePlan *p, float *buf)
{
    memset(buf, 0, plane_floats(p) * sizeof *buf);
}

/* Source columns [*x0, *x1) that land inside the buffer. */
static void plane_cols(const PlanePlan *p, int *x0, int *x1)
{
    *x0 = p->pl < 0 ? -p->pl : 0;
    *x1 = p->src_w;
    if (*x1 > p->s * p->pw - p->pl)
        *x1 = p->s * p->pw - p->pl;
}

/* Stride 2: where source column x0 (*pa) and x0 + 1 (*pb) of buffer row r
 * live; the following source columns alternate between the two. */
static void plane_phase_rows2(const PlanePlan *p, float *buf, int r, int x0, float **pa, float **pb)
{
    int ca = x0 + p->pl, cb = ca + 1;
    *pa = buf + ((size_t)(ca & 1) * p->hp + r) * p->pw + (ca >> 1);
    *pb = buf + ((size_t)(cb & 1) * p->hp + r) * p->pw + (cb >> 1);
}

/* GCC would turn the vector row copy back into a memcpy call per row (loop
 * pattern distribution): for rows of 7..32 floats the call costs more than
 * the copy. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
void plane_fill(const PlanePlan *p, float *restrict buf, const float *restrict x)
{
    const int s = p->s;
    int x0, x1;
    plane_cols(p, &x0, &x1);
    for (int iy = 0; iy < p->src_h; iy++) {
        int r = iy + p->pt;
        if (r < 0 || r >= p->hp)
            continue;
        const float *xr = x + (size_t)iy * p->src_w;
        if (s == 1) {
            float *d = buf + (size_t)r * p->pw + p->pl;
            int ix = x0;
            for (; ix + 8 <= x1; ix += 8)
                v8_store(d + ix, v8_load(xr + ix));
            if (ix < x1)
                v8_store_part(d + ix, v8_load_part(xr + ix, x1 - ix), x1 - ix);
        } else if (s == 2) {
            /* source columns x0, x0+2, ... go to phase pa from column ja on,
             * x0+1, x0+3, ... to the other phase from jb: deinterleave */
            float *pa, *pb;
            int ix = x0;
            plane_phase_rows2(p, buf, r, x0, &pa, &pb);
            for (; ix + 16 <= x1; ix += 16, pa += 8, pb += 8) {
                v8 a = v8_load(xr + ix), b = v8_load(xr + ix + 8);
                v8_store(pa, v8_evens(a, b));
                v8_store(pb, v8_odds(a, b));
            }
            for (; ix + 1 < x1; ix += 2, pa++, pb++) {
                *pa = xr[ix];
                *pb = xr[ix + 1];
            }
            if (ix < x1)
                *pa = xr[ix];
        } else {
            for (int ix = x0; ix < x1; ix++) {
                int c = ix + p->pl;
                buf[((size_t)(c % s) * p->hp + r) * p->pw + c / s] = xr[ix];
            }
        }
    }
}

void plane_unfill_add(const PlanePlan *p, float *restrict dx, const float *restrict buf)
{
    const int s = p->s;
    int x0, x1;
    plane_cols(p, &x0, &x1);
    for (int iy = 0; iy < p->src_h; iy++) {
        int r = iy + p->pt;
        if (r < 0 || r >= p->hp)
            continue;
        float *xr = dx + (size_t)iy * p->src_w;
        if (s == 1) {
            const float *br = buf + (size_t)r * p->pw + p->pl;
            int ix = x0;
            for (; ix + 8 <= x1; ix += 8)
                v8_store(xr + ix, v8_load(xr + ix) + v8_load(br + ix));
            for (; ix < x1; ix++)
                xr[ix] += br[ix];
        } else if (s == 2) {
            float *pa, *pb;
            int ix = x0;
            plane_phase_rows2(p, (float *)buf, r, x0, &pa, &pb);
            for (; ix + 16 <= x1; ix += 16, pa += 8, pb += 8) {
                v8 e = v8_load(pa), o = v8_load(pb);
                v8_store(xr + ix, v8_load(xr + ix) + v8_zip_lo(e, o));
                v8_store(xr + ix + 8, v8_load(xr + ix + 8) + v8_zip_hi(e, o));
            }
            for (; ix + 1 < x1; ix += 2, pa++, pb++) {
                xr[ix] += *pa;
                xr[ix + 1] += *pb;
            }
            if (ix < x1)
                xr[ix] += *pa;
        } else {
            for (int ix = x0; ix < x1; ix++) {
                int c = ix + p->pl;
                xr[ix] += buf[((size_t)(c % s) * p->hp + r) * p->pw + c / s];
            }
        }
    }
}
