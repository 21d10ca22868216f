/* architect: see include/dartboard/architect.h */
#include "dartboard/architect.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dartboard/genotype.h"
#include "dartboard/optim.h"

void architect_plan(Architect *a, Supernet *net, Arena *arena)
{
    a->net = net;
    a->nw = supernet_weight_count(net);
    a->na = supernet_arch_count(net); /* alphas and betas */
    a->w_saved = arena_floats(arena, a->nw);
    a->v = arena_floats(arena, a->nw);
    a->g_plus = arena_floats(arena, a->na);
    a->grad = arena_floats(arena, a->na);
}

static int finite_loss(float loss, const char *what, char *err, size_t errlen)
{
    if (isfinite(loss))
        return 0;
    snprintf(err, errlen, "the %s loss is %g", what, (double)loss);
    return -1;
}

/* The global mean loss of a forward on n images, and *correct summed: the
 * same on every process, so every process takes the same branch. */
static float global_loss(const Architect *a, float loss, int n, int *correct)
{
    return grad_reduce_loss(a->reduce, loss, n, a->reduce ? a->batch : n, correct);
}

/* A gradient of this process's n images made the global batch's on every process. */
static void global_grad(const Architect *a, float *v, size_t len, int n)
{
    grad_reduce_mean(a->reduce, v, len, n, a->batch);
}

static int second_order(Architect *a, const ArchitectSgd *sgd, const float *xt, const int *yt,
                        const float *xv, const int *yv, int n, float *val_loss, int *val_correct,
                        char *err, size_t errlen)
{
    Supernet *net = a->net;
    float *w = supernet_weights(net), *gw = supernet_weight_grads(net);
    const float *ga = supernet_alpha_grads(net);
    const size_t nw = a->nw, na = a->na;
    int rc = 0;

    /* 1. w' = w - xi (mu m + g + wd w). */
    float lt =
        global_loss(a, supernet_forward(net, xt, yt, n, SUPERNET_TRAIN, NULL, NULL), n, NULL);
    if (finite_loss(lt, "training (virtual step)", err, errlen))
        return -1;
    supernet_backward(net, 1, 0);
    global_grad(a, gw, nw, n);
    memcpy(a->w_saved, w, nw * sizeof(float));
    optim_sgd_virtual(w, a->w_saved, gw, sgd->momentum_buf, nw, sgd->lr, sgd->momentum,
                      sgd->weight_decay, sgd->has_buf);

    /* 2. At w': g_alpha and v. The reference runs this on a throw-away model,
     * so the running statistics stay untouched. */
    float lv = supernet_forward(net, xv, yv, n, SUPERNET_TRAIN_FROZEN, val_correct, NULL);
    lv = global_loss(a, lv, n, val_correct);
    *val_loss = lv;
    if (finite_loss(lv, "validation (at w')", err, errlen)) {
        rc = -1;
        goto restore;
    }
    supernet_backward(net, 1, 1);
    memcpy(a->grad, ga, na * sizeof(float));
    memcpy(a->v, gw, nw * sizeof(float));
    global_grad(a, a->v, nw, n); /* the alpha part is summed with the rest at the end */

    /* 3. h by central differences along v. */
    double vnorm = optim_norm(a->v, nw);
    if (!isfinite(vnorm)) {
        snprintf(err, errlen, "the validation weight gradient at w' is not finite");
        rc = -1;
        goto restore;
    }
    if (vnorm > 0.0) {
        const float eps = (float)(ARCHITECT_RADIUS / vnorm);
        for (size_t i = 0; i < nw; i++)
            w[i] = a->w_saved[i] + eps * a->v[i];
        float lp =
            global_loss(a, supernet_forward(net, xt, yt, n, SUPERNET_TRAIN, NULL, NULL), n, NULL);
        if (finite_loss(lp, "training (at w + eps v)", err, errlen)) {
            rc = -1;
            goto restore;
        }
        supernet_backward(net, 0, 1);
        memcpy(a->g_plus, ga, na * sizeof(float));
        for (size_t i = 0; i < nw; i++)
            w[i] = a->w_saved[i] - eps * a->v[i];
        float lm =
            global_loss(a, supernet_forward(net, xt, yt, n, SUPERNET_TRAIN, NULL, NULL), n, NULL);
        if (finite_loss(lm, "training (at w - eps v)", err, errlen)) {
            rc = -1;
            goto restore;
        }
        supernet_backward(net, 0, 1);
        /* 4. gradient = g_alpha - xi h, h = (g+ - g-) / (2 eps). */
        const float two_eps = 2.0f * eps, xi = (float)sgd->lr;
        for (size_t i = 0; i < na; i++) {
            float h = (a->g_plus[i] - ga[i]) / two_eps;
            a->grad[i] -= xi * h;
        }
    }
    /* v = 0 (a loss flat in w at w') has no second-order term; the reference
     * would divide by zero there. */

restore:
    memcpy(w, a->w_saved, nw * sizeof(float));
    return rc;
}

int architect_gradient(Architect *a, int order, const ArchitectSgd *sgd, const float *xt,
                       const int *yt, const float *xv, const int *yv, int n, float *val_loss,
                       int *val_correct, char *err, size_t errlen)
{
    if (order == 2) {
        if (second_order(a, sgd, xt, yt, xv, yv, n, val_loss, val_correct, err, errlen) != 0)
            return -1;
    } else {
        float lv = supernet_forward(a->net, xv, yv, n, SUPERNET_TRAIN, val_correct, NULL);
        lv = global_loss(a, lv, n, val_correct);
        *val_loss = lv;
        if (finite_loss(lv, "validation", err, errlen))
            return -1;
        supernet_backward(a->net, 0, 1);
        memcpy(a->grad, supernet_alpha_grads(a->net), a->na * sizeof(float));
    }
    /* Linear in the per-process parts (eps is global, from the summed v):
     * one sum for both orders. */
    global_grad(a, a->grad, a->na, n);
    if (!isfinite(optim_sum_squares(a->grad, a->na))) {
        snprintf(err, errlen, "the alpha gradient is not finite");
        return -1;
    }
    return 0;
}
