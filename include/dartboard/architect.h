/* architect: the alpha gradient of a DARTS search step (docs/ARCHITECTURE.md,
 * Method: first order, and Method: second order).
 *
 * Order 1: grad_alpha L_val(w, alpha). Order 2, the unrolled hypergradient of
 * darts_ref.DartsSearch.arch_grad_second_order:
 *   w' = w - xi (mu m + g + wd w),  g = dL_train(w)/dw (not clipped);
 *   g_alpha = grad_alpha L_val(w', alpha),  v = dL_val(w')/dw';
 *   h = (grad_alpha L_train(w + eps v) - grad_alpha L_train(w - eps v)) / (2 eps),
 *   eps = 0.01 / ||v||;
 *   gradient = g_alpha - xi h.
 * The weights are restored bit-exactly (from a copy) on every exit. BN running
 * statistics change as in the reference: every train-mode forward updates
 * them except the one at w' (SUPERNET_TRAIN_FROZEN).
 *
 * An Architect only holds planned scratch; the Search owns the state.
 */
#ifndef DARTBOARD_ARCHITECT_H
#define DARTBOARD_ARCHITECT_H

#include <stddef.h>

#include "dartboard/arena.h"
#include "dartboard/grad_reduce.h"
#include "dartboard/supernet.h"

/* DARTS's finite-difference radius: eps = ARCHITECT_RADIUS / ||v||. */
#define ARCHITECT_RADIUS 0.01

typedef struct Architect {
    Supernet *net;
    size_t nw, na;
    float *w_saved, *v;       /* nw each: w during the unrolled step; dL_val/dw' */
    float *g_plus;            /* na: grad_alpha L_train(w + eps v) */
    float *grad;              /* na: the result */
    const GradReduce *reduce; /* data-parallel: sums the gradients (NULL: one process) */
    int batch;                /* the global batch when reduce is set */
} Architect;

/* The weight side of the step the unrolled gradient looks ahead through. */
typedef struct ArchitectSgd {
    double lr, momentum, weight_decay; /* lr is xi */
    const float *momentum_buf;         /* nw, used when has_buf */
    int has_buf;
} ArchitectSgd;

/* Carves the scratch for net from the arena (a measuring one, then the real one). */
void architect_plan(Architect *a, Supernet *net, Arena *arena);

/* The alpha gradient of `order` (1 or 2) into a->grad, for n images of the
 * train (xt, yt) and val (xv, yv) batches; sgd is used by order 2 only.
 * *val_loss and *val_correct: the val batch (at w' for order 2). Returns 0,
 * or -1 with what went wrong in err (e.g. "the validation loss is nan"). */
int architect_gradient(Architect *a, int order, const ArchitectSgd *sgd, const float *xt,
                       const int *yt, const float *xv, const int *yv, int n, float *val_loss,
                       int *val_correct, char *err, size_t errlen);

#endif
