/* plane: zero-padded copies of one image plane, split into column phases by
 * stride: the depthwise convolution's tiles (conv.c).
 *
 * A window kernel with stride s reads, for VL consecutive outputs of a row,
 * pixels s apart; in a buffer that stores column phase ph = col % s as its
 * own block every tap becomes one contiguous vector load. Element
 * (ph, r, j) sits at (ph*hp + r)*pw + j and is padded pixel (r, s*j + ph),
 * i.e. source pixel (r - pt, s*j + ph - pl). Output pixel (oy, ox) under
 * tap t reads base + oy*s*pw + ox + tapoff[t].
 *
 * Outputs are processed in "jobs": runs of up to VL pixels of one output row
 * (one vector, see vec.h).
 * Internal to src/nn.
 */
#ifndef DARTBOARD_NN_PLANE_H
#define DARTBOARD_NN_PLANE_H

#include <stddef.h>

#include "vec.h"

/* Per-thread plane buffers live on the stack of the kernel; planes (or
 * kernels) beyond these sizes take a kernel's naive path. */
#define PLANE_BUF_FLOATS 12288
#define PLANE_MAX_TAPS 81

typedef struct PlanePlan {
    int s, k, d, taps;
    int src_h, src_w; /* the plane copied into the buffer */
    int pt, pl;       /* its padding, top and left */
    int hp, pw;       /* buffer rows per phase, row width (a multiple of VL, so
                       * with a 64-byte aligned buffer every job starts
                       * aligned) */
    int out_h, out_w; /* pixels computed from the buffer */
    int relu;         /* the depthwise strips read the source plane through a
                       * ReLU (set only where dw_strip_rows serves the plane) */
    int bn;           /* ... and before it a BN apply, (x - bn_mean) * bn_scale
                       * + bn_shift, set per channel */
    float bn_mean, bn_scale, bn_shift;
    int chunks; /* jobs per output row: ceil(out_w / VL) */
    int tapoff[PLANE_MAX_TAPS];
    /* tap indices column by column (kx outer): scatters in this order never
     * store a vector that partly overlaps the one stored just before, which
     * would stall store-to-load forwarding */
    int colmajor[PLANE_MAX_TAPS];
} PlanePlan;

/* Plan a k x k window with dilation d and stride s over a src_h x src_w plane
 * padded by pad_t/pad_l, producing out_h x out_w. Returns 0, or -1 when the
 * buffer or tap table would be too small. */
int plane_plan(PlanePlan *p, int k, int d, int s, int src_h, int src_w, int pad_t, int pad_l,
               int out_h, int out_w);

static inline size_t plane_floats(const PlanePlan *p)
{
    return (size_t)p->s * p->hp * p->pw;
}

/* buf[0 .. plane_floats) = 0: once per call; plane_fill never writes the border. */
void plane_clear(const PlanePlan *p, float *buf);
/* Copies the source plane x into the buffer's interior. */
void plane_fill(const PlanePlan *p, float *restrict buf, const float *restrict x);
/* dx (source plane) += the buffer's interior: the adjoint of plane_fill. */
void plane_unfill_add(const PlanePlan *p, float *restrict dx, const float *restrict buf);

typedef struct PlaneJobs {
    const float *src[8]; /* buffer position of tap offset 0 */
    float *dst[8];       /* output (or gradient) position */
    int lanes[8];        /* valid pixels, 0..VL */
    int oy[8], ox[8];
} PlaneJobs;

/* Jobs per tile: 8 independent vector accumulators hide the FMA latency. */
#define PLANE_TILE 8

/* Jobs j0 .. j0+7 of a plane of `jobs` (row-major). Past the last job the
 * slots are empty: 0 lanes, so masked loads give zeros and masked stores
 * write nothing, and every tile runs the same 8-wide code (a 7x7 plane is
 * one tile, not 4 + 2 + 1). One division per tile, not per job. */
static inline __attribute__((always_inline)) void
plane_jobs(PlaneJobs *jb, const PlanePlan *p, int j0, int jobs, const float *buf, const float *dst)
{
    int oy = j0 / p->chunks, ox = (j0 - oy * p->chunks) * VL;
    for (int j = 0; j < PLANE_TILE; j++) {
        if (j0 + j >= jobs) {
            jb->oy[j] = jb->ox[j] = jb->lanes[j] = 0;
            jb->src[j] = buf;
            jb->dst[j] = (float *)dst;
            continue;
        }
        jb->oy[j] = oy;
        jb->ox[j] = ox;
        jb->src[j] = buf + (size_t)oy * p->s * p->pw + ox;
        jb->dst[j] = (float *)dst + (size_t)oy * p->out_w + ox;
        jb->lanes[j] = p->out_w - ox < VL ? p->out_w - ox : VL;
        ox += VL;
        if (ox >= p->out_w) {
            ox = 0;
            oy++;
        }
    }
}

#endif
