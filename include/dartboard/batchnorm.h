/* batchnorm: 2-D batch normalisation over (n, h, w) per channel, float32.
 *
 * Training mode normalises with the batch statistics (biased variance) and
 * updates the running statistics with momentum (running = (1-m)*running +
 * m*batch, the running variance unbiased, as PyTorch). Evaluation mode uses
 * the running statistics. gamma/beta are NULL when affine = false.
 *
 * The forward saves per-channel mean and inverse std (2*c floats) for the
 * backward, which recomputes x_hat from the input rather than storing it.
 * running_mean/running_var may be NULL (the virtual step of second-order
 * DARTS must not touch them). The training forward with out NULL computes
 * the statistics only (for a consumer that applies them as it reads the
 * input, conv.h's ConvPre). Backward ACCUMULATES (+=) into din, dgamma, dbeta
 * (any may be NULL).
 *
 * The _to forms are the affine-free forward written as `how` says: BN_ADD
 * sums into out with a weight, out += weight * BN(in) (a MixedOp adds its ops'
 * outputs that way without writing them out first); BN_RELU writes
 * max(0, BN(in)) (the ReLU that opens the next block, in the same pass).
 *
 * batchnorm_backward_scaled is the affine-free backward of scale * BN(in),
 * WRITING (=) din, and returns <dout, BN(in)> (per channel in dots[c], then
 * summed in channel order): the dot an op's architecture weight needs, which
 * the backward computes anyway. din NULL: only the dot.
 */
#ifndef DARTBOARD_BATCHNORM_H
#define DARTBOARD_BATCHNORM_H

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f

void batchnorm_forward_train(float *out, float *save_mean, float *save_invstd, const float *in,
                             const float *gamma, const float *beta, float *running_mean,
                             float *running_var, int n, int c, int hw, float momentum, float eps);
void batchnorm_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, int n, int c,
                            int hw, float eps);
typedef enum BnWrite { BN_SET, BN_ADD, BN_RELU } BnWrite;
void batchnorm_forward_train_to(float *out, BnWrite how, float weight, float *save_mean,
                                float *save_invstd, const float *in, float *running_mean,
                                float *running_var, int n, int c, int hw, float momentum,
                                float eps);
void batchnorm_forward_eval_to(float *out, BnWrite how, float weight, const float *in,
                               const float *running_mean, const float *running_var, int n, int c,
                               int hw, float eps);
void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                        const float *save_mean, const float *save_invstd, const float *gamma, int n,
                        int c, int hw);
/* batchnorm_backward that WRITES (=) din instead of adding: no zeroing
 * before it (dgamma and dbeta still accumulate). The output gradient of
 * image i is dout_scale[i] * dout (NULL: 1): a drop-path after the BN, taken
 * in the same pass. */
void batchnorm_backward_set(float *din, float *dgamma, float *dbeta, const float *dout,
                            const float *dout_scale, const float *in, const float *save_mean,
                            const float *save_invstd, const float *gamma, int n, int c, int hw);
double batchnorm_backward_scaled(float *din, float scale, const float *dout, const float *in,
                                 const float *save_mean, const float *save_invstd, int n, int c,
                                 int hw, double *dots);

#endif
