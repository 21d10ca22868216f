/* activation: see include/dartboard/activation.h */
#include "config.h"
#include "isa.h"
#include "dartboard/activation.h"
#include "dartboard/profile.h"

#include "dartboard/parallel.h"
#include "vec.h"

void relu_forward(float *out, const float *in, size_t count)
{
    PROFILE_BEGIN;
    const size_t nv = count / 8;
    const v8 zero = v8_set1(0.0f);
#pragma omp parallel for schedule(static) if (count >= PARALLEL_MIN_PASS)
    for (size_t v = 0; v < nv; v++) {
        v8 x = v8_load(in + 8 * v);
        v8_store(out + 8 * v, v8_if_gt(x, zero, x, zero));
    }
    for (size_t i = 8 * nv; i < count; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    PROFILE_END(PROF_ELEMENTWISE, count);
}

void relu_backward(float *din, const float *dout, const float *in, size_t count)
{
    PROFILE_BEGIN;
    const size_t nv = count / 8;
    const v8 zero = v8_set1(0.0f);
#pragma omp parallel for schedule(static) if (count >= PARALLEL_MIN_PASS)
    for (size_t v = 0; v < nv; v++) {
        v8 d = v8_load(din + 8 * v);
        v8_store(din + 8 * v, d + v8_if_gt(v8_load(in + 8 * v), zero, v8_load(dout + 8 * v), zero));
    }
    for (size_t i = 8 * nv; i < count; i++)
        din[i] += in[i] > 0.0f ? dout[i] : 0.0f;
    PROFILE_END(PROF_ELEMENTWISE, 2.0 * count);
}
