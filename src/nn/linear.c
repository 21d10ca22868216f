/* linear: see include/dartboard/linear.h
 *
 * The classifier is a few small GEMMs per call, run in the calling thread:
 * sgemm (see parallel.h), and gemm.h's for the input gradient, the case
 * where OpenBLAS's small-matrix kernel allocates. */
#include "config.h"
#include "isa.h"
#include "dartboard/linear.h"
#include "dartboard/profile.h"

#include <cblas.h>
#include <stddef.h>

#include "gemm.h"

void linear_forward(float *out, const float *in, const float *weight, const float *bias, int n,
                    int in_features, int out_features)
{
    PROFILE_BEGIN;
    float beta = 0.0f;
    if (bias) {
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out_features; o++)
                out[(size_t)i * out_features + o] = bias[o];
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_features, in_features, 1.0f, in,
                in_features, weight, in_features, beta, out, out_features);
    PROFILE_END(PROF_CLASSIFIER, 2.0 * n * in_features * out_features);
}

void linear_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, int n, int in_features, int out_features)
{
    PROFILE_BEGIN;
    if (din) /* (n, i) += (n, o) * (o, i) */
        gemm_small(n, in_features, out_features, dout, out_features, 1, weight, in_features, din,
                   in_features, 1);
    if (dweight) /* (o, i) += (n, o)^T * (n, i) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_features, in_features, n, 1.0f,
                    dout, out_features, in, in_features, 1.0f, dweight, in_features);
    if (dbias)
        for (int o = 0; o < out_features; o++) {
            double s = 0.0;
            for (int i = 0; i < n; i++)
                s += dout[(size_t)i * out_features + o];
            dbias[o] += (float)s;
        }
    PROFILE_END(PROF_CLASSIFIER,
                2.0 * n * in_features * out_features * ((din != NULL) + (dweight != NULL)));
}
