/* hessian: see include/dartboard/hessian.h */
#include "dartboard/hessian.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dartboard/genotype.h"
#include "dartboard/optim.h"
#include "dartboard/rng.h"

void hessian_plan(Hessian *h, Supernet *net, Arena *arena)
{
    memset(h, 0, sizeof *h);
    h->net = net;
    h->na = (size_t)2 * (size_t)supernet_edges(net) * OP_COUNT;
    h->saved = arena_floats(arena, h->na);
    h->v = arena_floats(arena, h->na);
    h->hv = arena_floats(arena, h->na);
    h->g_minus = arena_floats(arena, h->na);
}

int hessian_record(Hessian *h, const float *x, const int *y, int n, char *err, size_t errlen)
{
    h->x = x;
    h->y = y;
    h->n = n;
    supernet_set_kinks(h->net, SUPERNET_KINKS_RECORD);
    float loss = supernet_forward(h->net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_set_kinks(h->net, SUPERNET_KINKS_LIVE);
    if (!isfinite(loss)) {
        snprintf(err, errlen, "hessian: the loss is %g", (double)loss);
        return -1;
    }
    return 0;
}

/* grad_alpha at alpha = saved + step * v through the recorded kinks */
static int displaced_grad(Hessian *h, const float *v, float step, float *grad, char *err,
                          size_t errlen)
{
    float *alpha = supernet_alphas(h->net);
    for (size_t i = 0; i < h->na; i++)
        alpha[i] = h->saved[i] + step * v[i];
    float loss = supernet_forward(h->net, h->x, h->y, h->n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    if (!isfinite(loss)) {
        snprintf(err, errlen, "hessian: the loss at a displaced alpha is %g", (double)loss);
        return -1;
    }
    supernet_backward(h->net, 0, 1);
    memcpy(grad, supernet_alpha_grads(h->net), h->na * sizeof(float));
    return 0;
}

int hessian_hvp(Hessian *h, const float *v, float *hv, char *err, size_t errlen)
{
    float *alpha = supernet_alphas(h->net);
    const size_t na = h->na;
    double vnorm = optim_norm(v, na);
    if (!isfinite(vnorm)) {
        snprintf(err, errlen, "hessian: the direction of a Hessian-vector product is not finite");
        return -1;
    }
    if (vnorm == 0.0) {
        memset(hv, 0, na * sizeof(float));
        return 0;
    }
    const float r = (float)(HESSIAN_RADIUS / vnorm);
    memcpy(h->saved, alpha, na * sizeof(float));
    supernet_set_kinks(h->net, SUPERNET_KINKS_FROZEN);
    int rc = displaced_grad(h, v, r, hv, err, errlen);
    if (rc == 0)
        rc = displaced_grad(h, v, -r, h->g_minus, err, errlen);
    supernet_set_kinks(h->net, SUPERNET_KINKS_LIVE);
    memcpy(alpha, h->saved, na * sizeof(float));
    if (rc != 0)
        return -1;
    const double two_r = 2.0 * (double)r;
    for (size_t i = 0; i < na; i++)
        hv[i] = (float)(((double)hv[i] - (double)h->g_minus[i]) / two_r);
    if (!isfinite(optim_sum_squares(hv, na))) {
        snprintf(err, errlen, "hessian: a Hessian-vector product is not finite");
        return -1;
    }
    return 0;
}

static void scale(float *v, size_t n, double s)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(v[i] * s);
}

int hessian_power_iteration(Hessian *h, HessianProduct product, void *ctx, int iters,
                            HessianEig *eig, char *err, size_t errlen)
{
    const size_t na = h->na;
    Rng rng;
    rng_seed(&rng, HESSIAN_SEED);
    for (size_t i = 0; i < na; i++)
        h->v[i] = (float)rng_normal(&rng);
    scale(h->v, na, 1.0 / optim_norm(h->v, na));
    double lambda = 0.0, prev = 0.0, residual = 0.0, change = 0.0;
    int k = 0;
    while (k < iters) {
        if (product(ctx, h->v, h->hv, err, errlen) != 0)
            return -1;
        k++;
        double dot = 0.0, res2 = 0.0;
        for (size_t i = 0; i < na; i++)
            dot += (double)h->v[i] * h->hv[i];
        lambda = dot; /* the Rayleigh quotient: v has unit norm */
        for (size_t i = 0; i < na; i++) {
            double d = h->hv[i] - lambda * h->v[i];
            res2 += d * d;
        }
        double hnorm = optim_norm(h->hv, na);
        residual = lambda != 0.0 ? sqrt(res2) / fabs(lambda) : (hnorm == 0.0 ? 0.0 : INFINITY);
        change = k > 1 && lambda != 0.0 ? fabs(lambda - prev) / fabs(lambda) : 0.0;
        prev = lambda;
        if (hnorm == 0.0 || residual <= HESSIAN_TOLERANCE)
            break; /* converged (or H v = 0: lambda 0) */
        memcpy(h->v, h->hv, na * sizeof(float));
        scale(h->v, na, 1.0 / hnorm);
    }
    eig->lambda = lambda;
    eig->iters = k;
    eig->residual = residual;
    eig->change = change;
    return 0;
}

static int hvp_product(void *ctx, const float *v, float *hv, char *err, size_t errlen)
{
    return hessian_hvp(ctx, v, hv, err, errlen);
}

int hessian_lambda_max(Hessian *h, const float *x, const int *y, int n, int iters, HessianEig *eig,
                       char *err, size_t errlen)
{
    if (hessian_record(h, x, y, n, err, errlen) != 0)
        return -1;
    return hessian_power_iteration(h, hvp_product, h, iters, eig, err, errlen);
}
