/* batchnorm: see include/dartboard/batchnorm.h
 *
 * Threaded over channels with a static partition; each channel's statistics
 * are summed plane by plane (vector lanes in float, planes in double, in image
 * order), so the result does not depend on the thread count. The mean and
 * the variance take two passes: one pass with E[x^2] - E[x]^2 loses digits
 * when the mean is large against the spread. A kernel that makes the BN's
 * input image by image takes them with it instead (batchnorm_stats_*):
 * each plane's mean and squared deviations in two passes in cache, the
 * planes merged by the pairwise update, which keeps those digits too.
 */
#include "config.h"
#include "isa.h"
#include "dartboard/batchnorm.h"
#include "dartboard/grad_reduce.h"
#include "dartboard/profile.h"

#include <math.h>
#include <stddef.h>

#include "vec.h"

/* Four vector accumulators per sum: one would wait on the add latency. */

/* sum of x[0..n) */
static inline double bn_sum(const float *restrict x, int n)
{
    vf a = vf_set1(0.0f), b = a, c = a, d = a;
    int i = 0;
    for (; i + 4 * VL <= n; i += 4 * VL) {
        a += vf_load(x + i);
        b += vf_load(x + i + VL);
        c += vf_load(x + i + 2 * VL);
        d += vf_load(x + i + 3 * VL);
    }
    for (; i + VL <= n; i += VL)
        a += vf_load(x + i);
    float s = vf_hsum((a + b) + (c + d));
    for (; i < n; i++)
        s += x[i];
    return s;
}

/* sum of (x - m)^2 */
static inline double bn_sumsq_dev(const float *restrict x, int n, float m)
{
    const vf mv = vf_set1(m);
    vf a = vf_set1(0.0f), b = a, c = a, d = a;
    int i = 0;
    for (; i + 4 * VL <= n; i += 4 * VL) {
        vf d0 = vf_load(x + i) - mv, d1 = vf_load(x + i + VL) - mv;
        vf d2 = vf_load(x + i + 2 * VL) - mv, d3 = vf_load(x + i + 3 * VL) - mv;
        a += d0 * d0;
        b += d1 * d1;
        c += d2 * d2;
        d += d3 * d3;
    }
    for (; i + VL <= n; i += VL) {
        vf d0 = vf_load(x + i) - mv;
        a += d0 * d0;
    }
    float s = vf_hsum((a + b) + (c + d));
    for (; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s;
}

/* y = (x - mean) * scale + beta over one plane, written as `how` says.
 * Not x * scale + shift: when the mean is large against the spread, x * scale
 * and shift nearly cancel, and without FMA the rounding of x * scale shows in
 * the output. */
static inline __attribute__((always_inline)) void bn_affine(float *restrict out,
                                                            const float *restrict x, int n,
                                                            float mean, float scale, float beta,
                                                            const BnWrite how)
{
    const vf mw = vf_set1(mean), aw = vf_set1(scale), bw = vf_set1(beta), zw = vf_set1(0.0f);
    int i = 0;
    for (; i + VL <= n; i += VL) {
        const vf y = (vf_load(x + i) - mw) * aw + bw;
        vf_store(out + i, how == BN_ADD    ? vf_load(out + i) + y
                          : how == BN_RELU ? vf_if_gt(y, zw, y, zw)
                                           : y);
    }
    /* what VL leaves, 8 at a time as before, so every lane keeps its bits */
    const v8 m = v8_set1(mean), a = v8_set1(scale), b = v8_set1(beta), zero = v8_set1(0.0f);
    for (; i + 8 <= n; i += 8) {
        const v8 y = (v8_load(x + i) - m) * a + b;
        v8_store(out + i, how == BN_ADD    ? v8_load(out + i) + y
                          : how == BN_RELU ? v8_if_gt(y, zero, y, zero)
                                           : y);
    }
    for (; i < n; i++) {
        const float y = (x[i] - mean) * scale + beta;
        out[i] = how == BN_ADD ? out[i] + y : how == BN_RELU ? (y > 0.0f ? y : 0.0f) : y;
    }
}

/* Channel ch's batch statistics, its mean and the sum of squared deviations
 * ss over m values: saved (either pointer may be NULL) and folded into the
 * running ones (unbiased variance) as PyTorch does; returns the invstd. */
static inline float bn_save_stats(int ch, float mean, double ss, double m, float momentum,
                                  float eps, float *save_mean, float *save_invstd,
                                  float *running_mean, float *running_var)
{
    const double var = ss / m;
    const float invstd = (float)(1.0 / sqrt(var + (double)eps));
    if (save_mean)
        save_mean[ch] = mean;
    if (save_invstd)
        save_invstd[ch] = invstd;
    if (running_mean)
        running_mean[ch] = (1.0f - momentum) * running_mean[ch] + momentum * mean;
    if (running_var) {
        const double unbiased = m > 1.0 ? ss / (m - 1.0) : var;
        running_var[ch] = (1.0f - momentum) * running_var[ch] + momentum * (float)unbiased;
    }
    return invstd;
}

/* The training forward with sync_bn (grad_reduce.h): the same two passes,
 * each channel's sum handed to bn_sync_hook between them, so the mean and
 * the variance are those of the global batch. */
static void bn_train_synced(float *out, float *save_mean, float *save_invstd, const float *in,
                            const float *gamma, const float *beta, float *running_mean,
                            float *running_var, int n, int c, int hw, float momentum, float eps,
                            BnWrite how, float weight)
{
    double sums[c + 1];
    float means[c];
    const long work NN_OMP_ONLY = (long)n * c * hw * 3;
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0;
        for (int i = 0; i < n; i++)
            s += bn_sum(in + ((size_t)i * c + ch) * hw, hw);
        sums[ch] = s;
    }
    sums[c] = (double)n * hw;
    bn_sync_hook->sum(bn_sync_hook->ctx, sums, (size_t)c + 1);
    const double m = sums[c];
    for (int ch = 0; ch < c; ch++)
        means[ch] = (float)(sums[ch] / m);
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += bn_sumsq_dev(in + ((size_t)i * c + ch) * hw, hw, means[ch]);
        sums[ch] = ss;
    }
    bn_sync_hook->sum(bn_sync_hook->ctx, sums, (size_t)c);
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        const float mean = means[ch];
        const float invstd = bn_save_stats(ch, mean, sums[ch], m, momentum, eps, save_mean,
                                           save_invstd, running_mean, running_var);
        const float g = how == BN_ADD ? weight : gamma ? gamma[ch] : 1.0f;
        const float b = beta ? beta[ch] : 0.0f, scale = g * invstd;
        for (int i = 0; out && i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            bn_affine(out + o, in + o, hw, mean, scale, b, how);
        }
    }
}

/* The training forward; for BN_ADD, out += weight * BN(in) (gamma, beta NULL). */
static inline __attribute__((always_inline)) void
bn_train(float *out, float *save_mean, float *save_invstd, const float *in, const float *gamma,
         const float *beta, float *running_mean, float *running_var, int n, int c, int hw,
         float momentum, float eps, const BnWrite how, float weight)
{
    if (bn_sync_hook) {
        bn_train_synced(out, save_mean, save_invstd, in, gamma, beta, running_mean, running_var, n,
                        c, hw, momentum, eps, how, weight);
        return;
    }
    const double m = (double)n * hw;
    const long work NN_OMP_ONLY = (long)n * c * hw * 3;
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0;
        for (int i = 0; i < n; i++)
            s += bn_sum(in + ((size_t)i * c + ch) * hw, hw);
        const float mean = (float)(s / m);
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += bn_sumsq_dev(in + ((size_t)i * c + ch) * hw, hw, mean);
        const float invstd = bn_save_stats(ch, mean, ss, m, momentum, eps, save_mean, save_invstd,
                                           running_mean, running_var);
        const float g = how == BN_ADD ? weight : gamma ? gamma[ch] : 1.0f;
        const float b = beta ? beta[ch] : 0.0f, scale = g * invstd;
        for (int i = 0; out && i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            bn_affine(out + o, in + o, hw, mean, scale, b, how);
        }
    }
}

void batchnorm_forward_train(float *out, float *save_mean, float *save_invstd, const float *in,
                             const float *gamma, const float *beta, float *running_mean,
                             float *running_var, int n, int c, int hw, float momentum, float eps)
{
    PROFILE_BEGIN;
    bn_train(out, save_mean, save_invstd, in, gamma, beta, running_mean, running_var, n, c, hw,
             momentum, eps, BN_SET, 1.0f);
    PROFILE_END(PROF_BN, (out ? 5.0 : 3.0) * n * c * hw);
}

/* One call per BnWrite value, each with a constant `how`: the inlined
 * per-plane loop is then specialised, with no test inside it. */
void batchnorm_forward_train_to(float *out, BnWrite how, float weight, float *save_mean,
                                float *save_invstd, const float *in, float *running_mean,
                                float *running_var, int n, int c, int hw, float momentum, float eps)
{
    PROFILE_BEGIN;
    if (how == BN_ADD)
        bn_train(out, save_mean, save_invstd, in, NULL, NULL, running_mean, running_var, n, c, hw,
                 momentum, eps, BN_ADD, weight);
    else if (how == BN_RELU)
        bn_train(out, save_mean, save_invstd, in, NULL, NULL, running_mean, running_var, n, c, hw,
                 momentum, eps, BN_RELU, 1.0f);
    else
        bn_train(out, save_mean, save_invstd, in, NULL, NULL, running_mean, running_var, n, c, hw,
                 momentum, eps, BN_SET, 1.0f);
    PROFILE_END(PROF_BN, (how == BN_ADD ? 6.0 : 5.0) * n * c * hw);
}

static inline __attribute__((always_inline)) void
bn_eval(float *out, const float *in, const float *gamma, const float *beta,
        const float *running_mean, const float *running_var, int n, int c, int hw, float eps,
        const BnWrite how, float weight)
{
    const long work NN_OMP_ONLY = (long)n * c * hw;
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && n * c > 1)
    for (long q = 0; q < (long)n * c; q++) {
        const int ch = (int)(q % c);
        const float invstd = 1.0f / sqrtf(running_var[ch] + eps);
        const float g = how == BN_ADD ? weight : gamma ? gamma[ch] : 1.0f;
        const float b = beta ? beta[ch] : 0.0f;
        bn_affine(out + (size_t)q * hw, in + (size_t)q * hw, hw, running_mean[ch], g * invstd, b,
                  how);
    }
}

void batchnorm_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, int n, int c,
                            int hw, float eps)
{
    PROFILE_BEGIN;
    bn_eval(out, in, gamma, beta, running_mean, running_var, n, c, hw, eps, BN_SET, 1.0f);
    PROFILE_END(PROF_BN, 2.0 * n * c * hw);
}

void batchnorm_forward_eval_to(float *out, BnWrite how, float weight, const float *in,
                               const float *running_mean, const float *running_var, int n, int c,
                               int hw, float eps)
{
    PROFILE_BEGIN;
    if (how == BN_ADD)
        bn_eval(out, in, NULL, NULL, running_mean, running_var, n, c, hw, eps, BN_ADD, weight);
    else if (how == BN_RELU)
        bn_eval(out, in, NULL, NULL, running_mean, running_var, n, c, hw, eps, BN_RELU, 1.0f);
    else
        bn_eval(out, in, NULL, NULL, running_mean, running_var, n, c, hw, eps, BN_SET, 1.0f);
    PROFILE_END(PROF_BN, (how == BN_ADD ? 3.0 : 2.0) * n * c * hw);
}

/* sum of g and of g * (x - m) over one plane, g = gs * the plane's dout */
static inline void bn_grad_sums(const float *restrict dout, float gs, const float *restrict x,
                                int n, float m, double *sg, double *sgx)
{
    const vf mv = vf_set1(m), gv = vf_set1(gs);
    vf a0 = vf_set1(0.0f), a1 = a0, b0 = a0, b1 = a0;
    int i = 0;
    for (; i + 2 * VL <= n; i += 2 * VL) {
        vf g0 = vf_load(dout + i) * gv, g1 = vf_load(dout + i + VL) * gv;
        a0 += g0;
        a1 += g1;
        b0 += g0 * (vf_load(x + i) - mv);
        b1 += g1 * (vf_load(x + i + VL) - mv);
    }
    for (; i + VL <= n; i += VL) {
        vf g0 = vf_load(dout + i) * gv;
        a0 += g0;
        b0 += g0 * (vf_load(x + i) - mv);
    }
    float s = vf_hsum(a0 + a1), t = vf_hsum(b0 + b1);
    for (; i < n; i++) {
        const float g = dout[i] * gs;
        s += g;
        t += g * (x[i] - m);
    }
    *sg += s;
    *sgx += t;
}

/* Channel ch's input gradient from the batch's sums of g and g * x_hat over
 * m values: din = a * g + b * (x - mean) + c0, with
 * din = gamma*invstd * scale * (g - mean(g) - x_hat * mean(g*x_hat)). */
static inline void bn_grad_coef(float *a, float *b, float *c0, float gamma, float invstd,
                                float scale, double sg, double sgxh, double m)
{
    const float k = gamma * invstd * scale;
    const float mg = (float)(sg / m);
    const float cx = (float)(sgxh / m) * invstd; /* per unit of (x - mean) */
    *a = k;
    *b = -k * cx;
    *c0 = -k * mg;
}

/* dx (=, or += with add) a * (g * gs) + b * (x - mean) + c0 over one plane. */
static inline __attribute__((always_inline)) void
bn_input_grad_plane(float *restrict dx, const float *restrict g, float gs, const float *restrict x,
                    int hw, float mean, float a, float b, float c0, const int add)
{
    const vf aw = vf_set1(a), bw = vf_set1(b), cw = vf_set1(c0), mw = vf_set1(mean);
    const vf gsw = vf_set1(gs);
    int j = 0;
    for (; j + VL <= hw; j += VL) {
        const vf y = aw * (vf_load(g + j) * gsw) + bw * (vf_load(x + j) - mw) + cw;
        vf_store(dx + j, add ? vf_load(dx + j) + y : y);
    }
    /* what VL leaves, 8 at a time as before (bn_affine) */
    const v8 av = v8_set1(a), bv = v8_set1(b), cv = v8_set1(c0), mv = v8_set1(mean);
    const v8 gsv = v8_set1(gs);
    for (; j + 8 <= hw; j += 8) {
        const v8 y = av * (v8_load(g + j) * gsv) + bv * (v8_load(x + j) - mv) + cv;
        v8_store(dx + j, add ? v8_load(dx + j) + y : y);
    }
    for (; j < hw; j++) {
        const float y = a * (g[j] * gs) + b * (x[j] - mean) + c0;
        dx[j] = add ? dx[j] + y : y;
    }
}

/* Channel ch's input gradient over the batch (planes strided by c). */
static inline __attribute__((always_inline)) void
bn_input_grad(float *din, const float *dout, const float *dout_scale, const float *in, int n, int c,
              int hw, int ch, float mean, float a, float b, float c0, const int add)
{
    for (int i = 0; i < n; i++) {
        size_t o = ((size_t)i * c + ch) * hw;
        bn_input_grad_plane(din + o, dout + o, dout_scale ? dout_scale[i] : 1.0f, in + o, hw, mean,
                            a, b, c0, add);
    }
}

/* The backward with sync_bn (grad_reduce.h): the input gradient takes the two
 * sums over the global batch; dgamma, dbeta and the dots stay this process's
 * (its share of a weight or alpha gradient, summed with the others later). */
static void bn_backward_synced(float *din, float *dgamma, float *dbeta, const float *dout,
                               const float *dout_scale, const float *in, const float *save_mean,
                               const float *save_invstd, const float *gamma, int n, int c, int hw,
                               int add, float scale, double *dots)
{
    double sums[2 * c + 1];
    const long work NN_OMP_ONLY = (long)n * c * hw * 2;
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        double sg = 0.0, sgx = 0.0;
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            bn_grad_sums(dout + o, dout_scale ? dout_scale[i] : 1.0f, in + o, hw, save_mean[ch],
                         &sg, &sgx);
        }
        const double sgxh = sgx * save_invstd[ch];
        if (dots)
            dots[ch] = sgxh;
        if (dbeta)
            dbeta[ch] += (float)sg;
        if (dgamma)
            dgamma[ch] += (float)sgxh;
        sums[2 * ch] = sg;
        sums[2 * ch + 1] = sgxh;
    }
    sums[2 * c] = (double)n * hw;
    bn_sync_hook->sum(bn_sync_hook->ctx, sums, 2 * (size_t)c + 1);
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        float a, b, c0;
        bn_grad_coef(&a, &b, &c0, gamma ? gamma[ch] : 1.0f, save_invstd[ch], scale, sums[2 * ch],
                     sums[2 * ch + 1], sums[2 * c]);
        if (add)
            bn_input_grad(din, dout, dout_scale, in, n, c, hw, ch, save_mean[ch], a, b, c0, 1);
        else
            bn_input_grad(din, dout, dout_scale, in, n, c, hw, ch, save_mean[ch], a, b, c0, 0);
    }
}

/* The backward of scale * BN; din = (or += with add) the input gradient,
 * dots[ch] (if not NULL) = sum g * x_hat of channel ch. The output gradient
 * g of image i is dout_scale[i] * dout (dout_scale NULL: 1). */
static inline __attribute__((always_inline)) void
bn_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *dout_scale,
            const float *in, const float *save_mean, const float *save_invstd, const float *gamma,
            int n, int c, int hw, const int add, float scale, double *dots)
{
    if (bn_sync_hook && din) {
        bn_backward_synced(din, dgamma, dbeta, dout, dout_scale, in, save_mean, save_invstd, gamma,
                           n, c, hw, add, scale, dots);
        return;
    }
    const double m = (double)n * hw;
    const long work NN_OMP_ONLY = (long)n * c * hw * 2;
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        const float mean = save_mean[ch], invstd = save_invstd[ch];
        double sg = 0.0, sgx = 0.0;
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            bn_grad_sums(dout + o, dout_scale ? dout_scale[i] : 1.0f, in + o, hw, mean, &sg, &sgx);
        }
        /* sum g * x_hat = invstd * sum g * (x - mean) */
        const double sgxh = sgx * invstd;
        if (dots)
            dots[ch] = sgxh;
        if (dbeta)
            dbeta[ch] += (float)sg;
        if (dgamma)
            dgamma[ch] += (float)sgxh;
        if (!din)
            continue;
        float a, b, c0;
        bn_grad_coef(&a, &b, &c0, gamma ? gamma[ch] : 1.0f, invstd, scale, sg, sgxh, m);
        bn_input_grad(din, dout, dout_scale, in, n, c, hw, ch, mean, a, b, c0, add);
    }
}

void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                        const float *save_mean, const float *save_invstd, const float *gamma, int n,
                        int c, int hw)
{
    PROFILE_BEGIN;
    bn_backward(din, dgamma, dbeta, dout, NULL, in, save_mean, save_invstd, gamma, n, c, hw, 1,
                1.0f, NULL);
    PROFILE_END(PROF_BN, (din ? 7.0 : 3.0) * n * c * hw);
}

void batchnorm_backward_set(float *din, float *dgamma, float *dbeta, const float *dout,
                            const float *dout_scale, const float *in, const float *save_mean,
                            const float *save_invstd, const float *gamma, int n, int c, int hw)
{
    PROFILE_BEGIN;
    bn_backward(din, dgamma, dbeta, dout, dout_scale, in, save_mean, save_invstd, gamma, n, c, hw,
                0, 1.0f, NULL);
    PROFILE_END(PROF_BN, (din ? 7.0 : 3.0) * n * c * hw);
}

double batchnorm_backward_scaled(float *din, float scale, const float *dout, const float *in,
                                 const float *save_mean, const float *save_invstd, int n, int c,
                                 int hw, double *dots)
{
    PROFILE_BEGIN;
    bn_backward(din, NULL, NULL, dout, NULL, in, save_mean, save_invstd, NULL, n, c, hw, 0, scale,
                dots);
    double sum = 0.0;
    for (int ch = 0; ch < c; ch++)
        sum += dots[ch];
    PROFILE_END(PROF_BN, (din ? 7.0 : 3.0) * n * c * hw);
    return sum;
}

/* (mean, m2) of na values merged with (mb, m2b) of nb values. */
static inline void bn_stats_merge(double *mean, double *m2, double na, double mb, double m2b,
                                  double nb)
{
    if (na == 0.0) {
        *mean = mb;
        *m2 = m2b;
        return;
    }
    const double n = na + nb, delta = mb - *mean;
    *mean += delta * nb / n;
    *m2 += m2b + delta * delta * na * nb / n;
}

void batchnorm_stats_image(double *mean, double *m2, int before, const float *x, int c, int hw)
{
    for (int ch = 0; ch < c; ch++) {
        const float *xp = x + (size_t)ch * hw;
        const double pm = bn_sum(xp, hw) / hw;
        bn_stats_merge(&mean[ch], &m2[ch], (double)before * hw, pm, bn_sumsq_dev(xp, hw, (float)pm),
                       hw);
    }
}

void batchnorm_stats_merge(double *mean, double *m2, double count, const double *mean_b,
                           const double *m2_b, double count_b, int c)
{
    for (int ch = 0; ch < c; ch++)
        bn_stats_merge(&mean[ch], &m2[ch], count, mean_b[ch], m2_b[ch], count_b);
}

void batchnorm_stats_finish(float *save_mean, float *save_invstd, float *running_mean,
                            float *running_var, const double *mean, const double *m2, double m,
                            int c, float momentum, float eps)
{
    for (int ch = 0; ch < c; ch++)
        bn_save_stats(ch, (float)mean[ch], m2[ch], m, momentum, eps, save_mean, save_invstd,
                      running_mean, running_var);
}

void batchnorm_grad_sums(double *sg, double *sgx, const float *dout, const float *dout_scale,
                         const float *x, const float *mean, int n, int c, int hw)
{
    PROFILE_BEGIN;
    const long work NN_OMP_ONLY = (long)n * c * hw * 2;
#pragma omp parallel for schedule(static) if (work >= NN_PARALLEL_MIN_WORK && c > 1)
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0, t = 0.0;
        for (int i = 0; i < n; i++) {
            const size_t o = ((size_t)i * c + ch) * hw;
            bn_grad_sums(dout + o, dout_scale ? dout_scale[i] : 1.0f, x + o, hw, mean[ch], &s, &t);
        }
        sg[ch] = s;
        sgx[ch] = t;
    }
    PROFILE_END(PROF_BN, 4.0 * n * c * hw);
}

void batchnorm_grad_sums_image(double *sg, double *sgx, const float *dout, float gs, const float *x,
                               const float *mean, int c, int hw)
{
    for (int ch = 0; ch < c; ch++)
        bn_grad_sums(dout + (size_t)ch * hw, gs, x + (size_t)ch * hw, hw, mean[ch], &sg[ch],
                     &sgx[ch]);
}

void batchnorm_grad_finish(float *coef, float *dgamma, float *dbeta, const double *sg,
                           const double *sgx, double m, const float *save_invstd,
                           const float *gamma, int c)
{
    double sums[2 * c + 1];
    for (int ch = 0; ch < c; ch++) {
        const double sgxh = sgx[ch] * save_invstd[ch];
        dbeta[ch] += (float)sg[ch];
        dgamma[ch] += (float)sgxh;
        sums[2 * ch] = sg[ch];
        sums[2 * ch + 1] = sgxh;
    }
    sums[2 * c] = m;
    if (bn_sync_hook)
        bn_sync_hook->sum(bn_sync_hook->ctx, sums, 2 * (size_t)c + 1);
    for (int ch = 0; ch < c; ch++)
        bn_grad_coef(&coef[ch], &coef[c + ch], &coef[2 * c + ch], gamma[ch], save_invstd[ch], 1.0f,
                     sums[2 * ch], sums[2 * ch + 1], sums[2 * c]);
}

void batchnorm_input_grad_image(float *din, int ld, const float *dout, float gs, const float *x,
                                const float *mean, const float *coef, int c, int hw)
{
    for (int ch = 0; ch < c; ch++) {
        const size_t o = (size_t)ch * hw;
        bn_input_grad_plane(din + (size_t)ch * ld, dout + o, gs, x + o, hw, mean[ch], coef[ch],
                            coef[c + ch], coef[2 * c + ch], 0);
    }
}
