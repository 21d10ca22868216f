/* optim: the optimizer arithmetic of the search, with PyTorch's semantics.
 *
 * Weights: SGD with momentum and weight decay (torch.optim.SGD), the
 * gradient-norm clip (torch.nn.utils.clip_grad_norm_) and the per-epoch cosine
 * schedule (CosineAnnealingLR as the DARTS code steps it). Alphas: Adam with
 * bias correction and L2 weight decay (torch.optim.Adam). Each function is one
 * pass over a flat vector, so the search keeps all state in flat buffers and
 * the tests can check every formula against hand-computed values.
 */
#ifndef DARTBOARD_OPTIM_H
#define DARTBOARD_OPTIM_H

#include <stddef.h>
#include <stdint.h>

/* lr_min + (lr - lr_min) * (1 + cos(pi * epoch / epochs)) / 2; epochs past
 * the end stay at lr_min (the schedule is not restarted). */
double optim_cosine_lr(double lr, double lr_min, int epoch, int epochs);

/* Euclidean norm of g[0..n), accumulated in double (one thread, a fixed order:
 * optim_sum_squares). */
double optim_norm(const float *g, size_t n);
/* Sum of squares of g[0..n) in double; not finite when g holds a NaN or inf. */
double optim_sum_squares(const float *g, size_t n);

/* clip_grad_norm_: when ||g|| > max_norm, g *= max_norm / (||g|| + 1e-6).
 * Returns ||g|| before clipping (not finite if g is). */
double optim_clip_grad_norm(float *g, size_t n, double max_norm);

/* One SGD step: d = g + wd * w; buf = d on the first step (has_buf == 0),
 * else buf = momentum * buf + d; w -= lr * buf. With momentum 0, w -= lr * d
 * and buf is left alone (as PyTorch keeps no buffer then). */
void optim_sgd_step(float *w, const float *g, float *buf, size_t n, double lr, double momentum,
                    double wd, int has_buf);

/* The unrolled virtual step of second-order DARTS (docs/ARCHITECTURE.md,
 * Method: second order):
 * out = w - lr * (g + wd * w + momentum * buf), the momentum term only when
 * has_buf. out may alias w. */
void optim_sgd_virtual(float *out, const float *w, const float *g, const float *buf, size_t n,
                       double lr, double momentum, double wd, int has_buf);

/* One Adam step with bias correction; t is the step number after this step
 * (1 on the first). g' = g + wd * p; m = b1 m + (1 - b1) g';
 * v = b2 v + (1 - b2) g'^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
void optim_adam_step(float *p, const float *g, float *m, float *v, size_t n, int64_t t, double lr,
                     double beta1, double beta2, double eps, double wd);

#endif
