/* droppath: see include/dartboard/droppath.h */
#include "config.h"
#include "isa.h"
#include "dartboard/droppath.h"
#include "dartboard/profile.h"

#include "dartboard/parallel.h"
#include "vec.h"

void droppath_forward(float *out, const float *in, const float *scale, int n, size_t per,
                      int accumulate)
{
    PROFILE_BEGIN;
    size_t total = (size_t)n * per;
#pragma omp parallel for schedule(static) if (total >= PARALLEL_MIN_PASS && n > 1)
    for (int i = 0; i < n; i++) {
        const float s = scale ? scale[i] : 1.0f;
        const float *restrict x = in + (size_t)i * per;
        float *restrict y = out + (size_t)i * per;
        if (accumulate) {
#pragma omp simd
            for (size_t j = 0; j < per; j++)
                y[j] += s * x[j];
        } else {
#pragma omp simd
            for (size_t j = 0; j < per; j++)
                y[j] = s * x[j];
        }
    }
    PROFILE_END(PROF_ELEMENTWISE, (double)total * (1 + accumulate));
}

void droppath_backward(float *din, const float *dout, const float *scale, int n, size_t per)
{
    droppath_forward(din, dout, scale, n, per, 0);
}

void droppath_forward_naive(float *out, const float *in, const float *scale, int n, size_t per,
                            int accumulate)
{
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < per; j++) {
            float v = (scale ? scale[i] : 1.0f) * in[(size_t)i * per + j];
            out[(size_t)i * per + j] = accumulate ? out[(size_t)i * per + j] + v : v;
        }
}
