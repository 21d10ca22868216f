/* remedy: see include/dartboard/remedy.h */
#include "dartboard/remedy.h"

#include <math.h>

#include "dartboard/genotype.h"
#include "dartboard/rng.h"

/* A linear ramp from `start` at epoch 0 to `end` at epochs, as the papers'
 * code computes it (the last epoch run is epochs - 1, so `end` itself is
 * approached, not reached). */
static double ramp(double start, double end, int epoch, int epochs)
{
    return start + (end - start) * (double)epoch / (double)(epochs > 0 ? epochs : 1);
}

double remedy_beta_lambda(const Config *cfg, int epoch)
{
    if (cfg->remedy.beta_lambda <= 0.0)
        return 0.0;
    return ramp(0.0, cfg->remedy.beta_lambda, epoch, cfg->run.epochs);
}

double remedy_beta_loss(const float *alphas, int edges, int ops, double lambda, float *grad)
{
    double total = 0.0;
    for (int e = 0; e < 2 * edges; e++) {
        const float *a = alphas + (size_t)e * (size_t)ops;
        double top = a[0], sum = 0.0;
        for (int k = 1; k < ops; k++)
            top = a[k] > top ? a[k] : top;
        for (int k = 0; k < ops; k++)
            sum += exp((double)a[k] - top);
        total += top + log(sum);
        if (grad) /* d/da_k logsumexp(a) = softmax(a)_k */
            for (int k = 0; k < ops; k++)
                grad[(size_t)e * (size_t)ops + (size_t)k] +=
                    (float)(lambda / edges * exp((double)a[k] - top) / sum);
    }
    return lambda * total / edges;
}

double remedy_darts_minus_beta(const Config *cfg, int epoch)
{
    if (cfg->remedy.darts_minus_beta <= 0.0)
        return 0.0;
    double beta = ramp(cfg->remedy.darts_minus_beta, 0.0, epoch, cfg->run.epochs);
    return beta > 0.0 ? beta : 0.0; /* run.epochs lowered below the epoch reached */
}

double remedy_sdarts_eps(const Config *cfg, int epoch)
{
    if (cfg->remedy.sdarts_eps <= 0.0)
        return 0.0;
    return ramp(REMEDY_SDARTS_EPS_START, cfg->remedy.sdarts_eps, epoch, cfg->run.epochs);
}

void remedy_sdarts_noise(uint64_t seed, int64_t step, double eps, float *noise, size_t n)
{
    /* A stream of its own per step (the search's streams are seeded from
     * seed and seed ^ 0xda27b0a2d5eed), hashed from the seed and the step. */
    uint64_t z = (seed ^ 0x5da275e5d0a1ULL) + 0x9e3779b97f4a7c15ULL * (uint64_t)step;
    /* the finaliser of splitmix64: neighbouring steps get unrelated seeds */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    Rng r;
    rng_seed(&r, z);
    for (size_t i = 0; i < n; i++)
        noise[i] = (float)(eps * (2.0 * (double)rng_uniform(&r) - 1.0));
}

/* sigmoid in double, the same value for any sign of a */
static double sigmoid(double a)
{
    return a >= 0.0 ? 1.0 / (1.0 + exp(-a)) : exp(a) / (1.0 + exp(a));
}

void remedy_sigmoid_weights(float *w, const float *a, int rows)
{
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < OP_COUNT; k++) {
            size_t i = (size_t)r * OP_COUNT + (size_t)k;
            w[i] = k == OP_NONE ? 0.0f : (float)sigmoid((double)a[i]);
        }
}

double remedy_zero_one_loss(const float *alphas, int edges, double weight, float *grad)
{
    const double count = 2.0 * edges * (OP_COUNT - 1);
    double sum = 0.0;
    for (int r = 0; r < 2 * edges; r++)
        for (int k = 0; k < OP_COUNT; k++) {
            if (k == OP_NONE)
                continue;
            size_t i = (size_t)r * OP_COUNT + (size_t)k;
            double s = sigmoid((double)alphas[i]), d = s - 0.5;
            sum += d * d;
            if (grad) /* d/da of -(s - 1/2)^2 = -2 (s - 1/2) s (1 - s) */
                grad[i] += (float)(-weight * 2.0 * d * s * (1.0 - s) / count);
        }
    return -weight * sum / count;
}
