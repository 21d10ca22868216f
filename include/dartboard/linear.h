/* linear: out (n, o) = in (n, i) * W^T + b, with W (o, i) as in PyTorch.
 * Backward ACCUMULATES (+=) into din, dweight, dbias (any may be NULL). */
#ifndef DARTBOARD_LINEAR_H
#define DARTBOARD_LINEAR_H

void linear_forward(float *out, const float *in, const float *weight, const float *bias, int n,
                    int in_features, int out_features);
void linear_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, int n, int in_features, int out_features);

#endif
