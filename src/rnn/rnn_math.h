/* rnn_math: the pieces the recurrent search network (rnnnet.c) and the
 * derived cell's model (rnnmodel.c) share: branch-free exp, sigmoid and tanh
 * that vectorise, the row-split matrix product and the decoder's softmax row.
 * Private to src/rnn. */
#ifndef DARTBOARD_RNN_MATH_H
#define DARTBOARD_RNN_MATH_H

#include <cblas.h>
#include <stdint.h>

/* Element counts below which a loop or a product stays in the calling thread. */
#define PAR_MIN_ELEMS 32768
#define PAR_MIN_FLOPS 2e6

/* The row kernels are built for AVX-512, AVX2 and the x86-64 baseline and
 * picked when the program loads (as src/nn is, see src/nn/isa.h). */
#if NN_DISPATCH && defined(__GNUC__) && !defined(__clang__)
#define RNN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RNN_CLONES
#endif

/* e^x within 2 ulp, without a call so that loops over it vectorise (the
 * cell takes three exponentials per element and edge, the decoder one per
 * word of the vocabulary): x = n ln2 + r, |r| <= ln2 / 2, e^r by Cephes'
 * expf polynomial, 2^n put into the exponent bits. x is clamped to where
 * the result is a normal float. */
static inline __attribute__((always_inline)) float fast_expf(float x)
{
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    /* n = round(x / ln2) by the 1.5 * 2^23 trick: branch-free, so it vectorises */
    const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const int ni = (int)n;
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } scale = {.i = (ni + 127) << 23};
    return y * scale.f;
}

static inline __attribute__((always_inline)) float sigmoidf(float x)
{
    return 1.0f / (1.0f + fast_expf(-x));
}

/* tanh x = 2 sigmoid(2x) - 1, which near 0 keeps only an absolute error of
 * ~1e-7; there (|x| < 1/4) its Taylor series to x^9 instead, within 2e-9. */
static inline __attribute__((always_inline)) float fast_tanhf(float x)
{
    const float far = 2.0f / (1.0f + fast_expf(-2.0f * x)) - 1.0f, x2 = x * x;
    const float near =
        x + x * x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835))));
    return x2 < 0.0625f ? near : far;
}

/* C (M x N) = op(A) op(B) + beta C, the rows of C split over the OpenMP team,
 * each block one single-threaded sgemm (parallel.h). */
void rnn_mm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
            const float *B, int ldb, float beta, float *C, int ldc);

/* Row r of the decoder: logits + bias to their softmax in place; returns the
 * row's loss -log p[target]. */
double rnn_softmax_row(float *z, const float *bias, int V, int target);

#endif
