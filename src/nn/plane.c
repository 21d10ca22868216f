/* plane: see plane.h */
#include "config.h"
#include "plane.h"

#include <string.h>

int plane_plan(PlanePlan *p, int k, int d, int s, int src_h, int src_w, int pad_t, int pad_l,
               int out_h, int out_w)
{
    p->s = s;
    p->taps = k * k;
    p->src_h = src_h;
    p->src_w = src_w;
    p->pt = pad_t;
    p->pl = pad_l;
    p->out_h = out_h;
    p->out_w = out_w;
    p->chunks = (out_w + 7) / 8;
    p->hp = (out_h - 1) * s + (k - 1) * d + 1;
    /* the last job reads 8 lanes even when fewer are valid */
    p->pw = p->chunks * 8 + (k - 1) * d / s;
    if (p->taps > PLANE_MAX_TAPS || (long)s * p->hp * p->pw > PLANE_BUF_FLOATS)
        return -1;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            int t = kx * d;
            p->tapoff[ky * k + kx] = ((t % s) * p->hp + ky * d) * p->pw + t / s;
        }
    return 0;
}

void plane_clear(const PlanePlan *p, float *buf, float v)
{
    size_t n = plane_floats(p);
    if (v == 0.0f) {
        memset(buf, 0, n * sizeof *buf);
        return;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = v;
}

/* Source columns [*x0, *x1) that land inside the buffer. */
static void plane_cols(const PlanePlan *p, int *x0, int *x1)
{
    *x0 = p->pl < 0 ? -p->pl : 0;
    *x1 = p->src_w;
    if (*x1 > p->s * p->pw - p->pl)
        *x1 = p->s * p->pw - p->pl;
}

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
            memcpy(buf + (size_t)r * p->pw + x0 + p->pl, xr + x0, (size_t)(x1 - x0) * sizeof *xr);
        } else if (s == 2) {
            /* even and odd padded columns: two strided copies the compiler
             * turns into shuffles */
            float *ph0 = buf + (size_t)r * p->pw, *ph1 = buf + ((size_t)p->hp + r) * p->pw;
            int a = x0 + ((x0 + p->pl) & 1); /* first source column of phase 0 */
            int b = x0 + ((x0 + p->pl + 1) & 1);
            for (int ix = a; ix < x1; ix += 2)
                ph0[(ix + p->pl) >> 1] = xr[ix];
            for (int ix = b; ix < x1; ix += 2)
                ph1[(ix + p->pl) >> 1] = xr[ix];
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
            for (int ix = x0; ix < x1; ix++)
                xr[ix] += br[ix];
        } else {
            for (int ix = x0; ix < x1; ix++) {
                int c = ix + p->pl;
                xr[ix] += buf[((size_t)(c % s) * p->hp + r) * p->pw + c / s];
            }
        }
    }
}
