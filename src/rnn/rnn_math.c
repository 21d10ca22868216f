/* rnn_math: see src/rnn/rnn_math.h */
#include "config.h"
#include "rnn_math.h"

#include <math.h>

#include "dartboard/parallel.h"

void rnn_mm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
            const float *B, int ldb, float beta, float *C, int ldc)
{
    int parts = parallel_threads();
    if (parts < 2 || (double)M * N * K < PAR_MIN_FLOPS || M < 8 * parts)
        parts = 1;
#pragma omp parallel for schedule(static) if (parts > 1)
    for (int p = 0; p < parts; p++) {
        const int r0 = (int)((long)M * p / parts), r1 = (int)((long)M * (p + 1) / parts);
        const float *a = ta == CblasNoTrans ? A + (size_t)r0 * lda : A + r0;
        cblas_sgemm(CblasRowMajor, ta, tb, r1 - r0, N, K, 1.0f, a, lda, B, ldb, beta,
                    C + (size_t)r0 * ldc, ldc);
    }
}

RNN_CLONES double rnn_softmax_row(float *z, const float *bias, int V, int target)
{
    float m = -INFINITY;
    for (int v = 0; v < V; v++) {
        z[v] += bias[v];
        m = z[v] > m ? z[v] : m;
    }
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int v = 0; v < V; v++) {
        z[v] = fast_expf(z[v] - m);
        sum += z[v];
    }
    const double nll = log((double)sum) - log((double)z[target]);
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int v = 0; v < V; v++)
        z[v] *= inv;
    return nll;
}
