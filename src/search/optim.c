/* optim: see include/dartboard/optim.h */
#include "config.h"
#include "dartboard/nn_isa.h"
#include "dartboard/optim.h"

#include <math.h>

/* Element-wise passes over the ~2M weights are worth two threads; results do
 * not depend on the partition, so they stay bit-identical for any count. */
#define OPTIM_PARALLEL_MIN 65536

double optim_cosine_lr(double lr, double lr_min, int epoch, int epochs)
{
    if (epochs < 1)
        epochs = 1;
    if (epoch > epochs)
        epoch = epochs;
    if (epoch < 0)
        epoch = 0;
    const double pi = 3.14159265358979323846;
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + cos(pi * (double)epoch / (double)epochs));
}

/* Eight running sums (element i into sum i mod 8), added in one fixed tree
 * at the end: the same bits in every build (a float's square is exact in
 * double, so contracting it into an FMA changes nothing). One running sum
 * had waited on each add's latency: 0.74 -> 0.09 ms for the 680,708
 * weights of the fashion training network (BENCHMARKS.md), while the
 * other thread waited too. */
NN_CLONED double optim_sum_squares(const float *g, size_t n)
{
    double s[8] = {0.0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            s[k] += (double)g[i + k] * (double)g[i + k];
    for (; i < n; i++)
        s[i % 8] += (double)g[i] * (double)g[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

double optim_norm(const float *g, size_t n)
{
    return sqrt(optim_sum_squares(g, n));
}

NN_CLONED double optim_clip_grad_norm(float *g, size_t n, double max_norm)
{
    double norm = optim_norm(g, n);
    if (isfinite(norm) && norm > max_norm) {
        float coef = (float)(max_norm / (norm + 1e-6));
        long nn = (long)n;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n >= OPTIM_PARALLEL_MIN)
#endif
        for (long i = 0; i < nn; i++)
            g[i] *= coef;
    }
    return norm;
}

NN_CLONED void optim_sgd_step(float *w, const float *g, float *buf, size_t n, double lr,
                              double momentum, double wd, int has_buf)
{
    const float flr = (float)lr, fmu = (float)momentum, fwd = (float)wd;
    long nn = (long)n;
    if (momentum == 0.0) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n >= OPTIM_PARALLEL_MIN)
#endif
        for (long i = 0; i < nn; i++)
            w[i] -= flr * (g[i] + fwd * w[i]);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n >= OPTIM_PARALLEL_MIN)
#endif
    for (long i = 0; i < nn; i++) {
        float d = g[i] + fwd * w[i];
        float b = has_buf ? fmu * buf[i] + d : d;
        buf[i] = b;
        w[i] -= flr * b;
    }
}

NN_CLONED void optim_sgd_virtual(float *out, const float *w, const float *g, const float *buf,
                                 size_t n, double lr, double momentum, double wd, int has_buf)
{
    const float flr = (float)lr, fmu = (float)momentum, fwd = (float)wd;
    const int use_buf = has_buf && momentum != 0.0;
    long nn = (long)n;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n >= OPTIM_PARALLEL_MIN)
#endif
    for (long i = 0; i < nn; i++) {
        float d = g[i] + fwd * w[i];
        if (use_buf)
            d += fmu * buf[i];
        out[i] = w[i] - flr * d;
    }
}

NN_CLONED void optim_adam_step(float *p, const float *g, float *m, float *v, size_t n, int64_t t,
                               double lr, double beta1, double beta2, double eps, double wd)
{
    const double bc1 = 1.0 - pow(beta1, (double)t);
    const double bc2_sqrt = sqrt(1.0 - pow(beta2, (double)t));
    const float step_size = (float)(lr / bc1);
    /* 1 - beta in double, then float, as PyTorch passes it as a scalar. */
    const float fb1 = (float)beta1, fb2 = (float)beta2, fwd = (float)wd, feps = (float)eps;
    const float c1 = (float)(1.0 - beta1), c2 = (float)(1.0 - beta2);
    const float inv_bc2 = (float)(1.0 / bc2_sqrt);
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + fwd * p[i];
        m[i] = fb1 * m[i] + c1 * gi;
        v[i] = fb2 * v[i] + c2 * gi * gi;
        float denom = sqrtf(v[i]) * inv_bc2 + feps;
        p[i] -= step_size * m[i] / denom;
    }
}
