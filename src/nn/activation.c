/* activation: see include/dartboard/activation.h */
#include "config.h"
#include "dartboard/activation.h"

#include "vec.h"

void relu_forward(float *out, const float *in, size_t count)
{
#pragma omp parallel for schedule(static) if (count >= 8 * NN_PARALLEL_MIN_WORK)
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void relu_backward(float *din, const float *dout, const float *in, size_t count)
{
#pragma omp parallel for schedule(static) if (count >= 8 * NN_PARALLEL_MIN_WORK)
    for (size_t i = 0; i < count; i++)
        din[i] += in[i] > 0.0f ? dout[i] : 0.0f;
}
