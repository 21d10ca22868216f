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

/* The training forward's statistics taken image by image by a kernel that
 * makes the BN's input (conv.h's ConvPost), instead of in passes of their
 * own; not for sync_bn. Per channel, the mean and the sum of squared
 * deviations from it (m2), in double, merged plane by plane in order
 * (Chan, Golub and LeVeque's pairwise update), so the same values as the
 * two passes of batchnorm_forward_train up to rounding.
 *  - batchnorm_stats_image merges one image (c, hw) into mean/m2, which
 *    hold `before` images of the same size;
 *  - batchnorm_stats_merge merges another part's (count_b values) into a
 *    part's of count values;
 *  - batchnorm_stats_finish saves the batch's statistics over m values and
 *    updates the running ones (either may be NULL), as the forward does. */
void batchnorm_stats_image(double *mean, double *m2, int before, const float *x, int c, int hw);
void batchnorm_stats_merge(double *mean, double *m2, double count, const double *mean_b,
                           const double *m2_b, double count_b, int c);
void batchnorm_stats_finish(float *save_mean, float *save_invstd, float *running_mean,
                            float *running_var, const double *mean, const double *m2, double m,
                            int c, float momentum, float eps);

/* batchnorm_backward_set in three steps, for a kernel that fuses it into
 * the convolution beside it image by image (conv.h's ConvPre.sg and
 * ConvPost), so that neither its sums nor its input gradient go through
 * memory. With the sums taken over the images in order, the bits of
 * batchnorm_backward_set.
 *  1. sg[ch] += the sum of g, sgx[ch] += the sum of g * (x - mean[ch]) over
 *     one image (c, hw): g = gs * dout, x the BN's input.
 *  2. From the sums over the batch's m values: dgamma and dbeta += their
 *     gradients (with sync_bn, this process's share), and coef (3 * c
 *     floats) for step 3, from the sums over every process with sync_bn.
 *  3. din = (not +=) one image's input gradient, its channels ld floats
 *     apart (hw, or more for a kernel that pads its rows).
 * batchnorm_grad_sums is step 1 over the whole batch in a pass of its own,
 * threaded over the channels, WRITING (=) the sums; g of image i =
 * dout_scale[i] * dout (NULL: 1). */
void batchnorm_grad_sums(double *sg, double *sgx, const float *dout, const float *dout_scale,
                         const float *x, const float *mean, int n, int c, int hw);
void batchnorm_grad_sums_image(double *sg, double *sgx, const float *dout, float gs, const float *x,
                               const float *mean, int c, int hw);
void batchnorm_grad_finish(float *coef, float *dgamma, float *dbeta, const double *sg,
                           const double *sgx, double m, const float *save_invstd,
                           const float *gamma, int c);
void batchnorm_input_grad_image(float *din, int ld, const float *dout, float gs, const float *x,
                                const float *mean, const float *coef, int c, int hw);

#endif
