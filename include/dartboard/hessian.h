/* hessian: the dominant eigenvalue of the alpha Hessian of a supernet's
 * loss (docs/ARCHITECTURE.md, Collapse monitors), the curvature signal of
 * RobustDARTS (Zela et al., ICLR 2020): lambda_max rises as a DARTS search
 * heads for collapse.
 *
 * Exact Hessian-vector products by frozen kinks. Autograd's double backward
 * (what the reference and RobustDARTS use) treats every ReLU mask and
 * max-pool argmax as a constant, so its product is the derivative of the
 * alpha gradient with the kinks held at the base point. hessian_hvp records
 * the kinks in one forward at the base point (supernet_set_kinks) and takes
 *   H v = (g(alpha + r v) - g(alpha - r v)) / (2 r),  r = HESSIAN_RADIUS / ||v||
 * with both gradients computed through the recorded kinks: the network is
 * then a smooth function of alpha (BN with batch statistics, softmax and the
 * mixed sums are), and the central difference is exact up to O(r^2) and
 * float32 rounding. A difference through live kinks picks up every mask that
 * flips between the two points instead, a bias that does not shrink with r.
 *
 * BN runs on batch statistics and leaves the running statistics alone;
 * the alphas are restored bit for bit and the weights are not touched. The
 * power iteration starts from a fixed seed, so the result depends on the
 * network, the alphas and the batch only. Nothing is allocated per call.
 */
#ifndef DARTBOARD_HESSIAN_H
#define DARTBOARD_HESSIAN_H

#include <stddef.h>

#include "dartboard/arena.h"
#include "dartboard/supernet.h"

/* The difference step along a unit direction: the frozen-kink loss is smooth,
 * so the truncation error (~ r^2) stays far below the float32 rounding of the
 * two gradients (~ 1e-7 |g| / r). */
#define HESSIAN_RADIUS 1e-2
/* Power iteration stops early once ||H v - lambda v|| <= this * |lambda|. */
#define HESSIAN_TOLERANCE 1e-4
#define HESSIAN_SEED 0x6865737369616eULL /* the start vector's */

typedef struct Hessian {
    Supernet *net; /* planned with spec.frozen_kinks */
    size_t na;     /* 2 * edges * OP_COUNT */
    float *saved;  /* the alphas while they are displaced */
    float *v, *hv; /* the power iteration's vector and H v */
    float *g_minus;
    const float *x; /* the batch of hessian_record */
    const int *y;
    int n;
} Hessian;

/* The result of a power iteration. */
typedef struct HessianEig {
    double lambda;   /* the Rayleigh quotient of the last vector (largest |eigenvalue|) */
    int iters;       /* products taken */
    double residual; /* ||H v - lambda v|| / |lambda| of the last one */
    double change;   /* |lambda_k - lambda_(k-1)| / |lambda_k| of the last two (0 after one) */
} HessianEig;

/* Carves the scratch for net from the arena (a measuring one, then the real one). */
void hessian_plan(Hessian *h, Supernet *net, Arena *arena);

/* Fixes the point: records the kinks of the loss of n images (x, y, which
 * must stay valid until the products are done) at the current weights and
 * alphas. 0, or -1 + err when the loss is not finite. */
int hessian_record(Hessian *h, const float *x, const int *y, int n, char *err, size_t errlen);

/* hv = H v at the recorded point (v: na floats, any norm). 0, or -1 + err
 * when a gradient is not finite; the alphas are restored either way. */
int hessian_hvp(Hessian *h, const float *v, float *hv, char *err, size_t errlen);

/* Power iteration on any symmetric operator of na x na: `product` puts A v
 * into hv (0, or -1 + err). At most `iters` products. */
typedef int (*HessianProduct)(void *ctx, const float *v, float *hv, char *err, size_t errlen);
int hessian_power_iteration(Hessian *h, HessianProduct product, void *ctx, int iters,
                            HessianEig *eig, char *err, size_t errlen);

/* hessian_record, then the power iteration on hessian_hvp, then the kinks
 * live again. 0, or -1 + err. */
int hessian_lambda_max(Hessian *h, const float *x, const int *y, int n, int iters, HessianEig *eig,
                       char *err, size_t errlen);

#endif
