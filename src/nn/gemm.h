/* gemm: the small matrix products of dense convolutions, written out.
 *
 * C (m, n) = A (m, k) B (k, n), or C += A B, row-major. A is read through two
 * strides so that a transposed weight is read in place: A[r][q] sits at
 * a[r * a_row + q * a_col].
 *
 * Why not sgemm: the products here are small (m and k are channel counts,
 * n one image plane) and called thousands of times a step, where a library
 * call's overhead shows; and OpenBLAS 0.3.21's AVX-512 small-matrix kernel
 * for this (row-major, untransposed) case calls malloc on every call, which
 * a training step must not do. Each C element sums over k in order, in one
 * thread, so the bits never depend on the thread count.
 * Internal to src/nn.
 */
#ifndef DARTBOARD_NN_GEMM_H
#define DARTBOARD_NN_GEMM_H

void gemm_small(int m, int n, int k, const float *a, int a_row, int a_col, const float *b, int ldb,
                float *c, int ldc, int accumulate);

/* C += A B where mask > 0, mask laid out as C: the product summed
 * as gemm_small sets it, then added (a ReLU's backward, fused). */
void gemm_small_relu_add(int m, int n, int k, const float *a, int a_row, int a_col, const float *b,
                         int ldb, float *c, int ldc, const float *mask);

#endif
