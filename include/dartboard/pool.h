/* pool: 3x3 max and average pooling (pad 1, stride 1 or 2) and global
 * average pooling, NCHW float32.
 *
 * Average pooling does not count padding (PyTorch count_include_pad=False).
 * Max pooling backward recomputes the arg-max from the input instead of
 * storing indices; ties go to the first element in row-major window order,
 * as in PyTorch. Backward ACCUMULATES (+=) into din.
 */
#ifndef DARTBOARD_POOL_H
#define DARTBOARD_POOL_H

/* Output size for 3x3, pad 1: (h + 2 - 3) / stride + 1. */
int pool3x3_out_size(int in, int stride);

void maxpool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride);
void maxpool3x3_backward(float *din, const float *dout, const float *in, int n, int c, int h, int w,
                         int stride);
void avgpool3x3_forward(float *out, const float *in, int n, int c, int h, int w, int stride);
void avgpool3x3_backward(float *din, const float *dout, int n, int c, int h, int w, int stride);

/* The same pools of a BN's output that is never stored: in is the BN's
 * input, and each value is mapped as it is read, (in - mean[ch]) * scale[ch]
 * + shift[ch] in channel ch (the formula of a BN's apply, so the values of a
 * stored output, bit for bit). The max pool's backward recomputes its
 * arg-max from the mapped values. */
typedef struct PoolPre {
    const float *mean, *scale, *shift;
} PoolPre;
void maxpool3x3_forward_pre(float *out, const float *in, const PoolPre *pre, int n, int c, int h,
                            int w, int stride);
void avgpool3x3_forward_pre(float *out, const float *in, const PoolPre *pre, int n, int c, int h,
                            int w, int stride);
void maxpool3x3_backward_pre(float *din, const float *dout, const float *in, const PoolPre *pre,
                             int n, int c, int h, int w, int stride);

/* out (n, c) = mean over h*w of in (n, c, h, w) */
void global_avgpool_forward(float *out, const float *in, int n, int c, int hw);
void global_avgpool_backward(float *din, const float *dout, int n, int c, int hw);

/* k x k average pool with a stride and no padding (the auxiliary head's
 * 5x5 stride 3 or 2): out (n, c, (h - k) / stride + 1, (w - k) / stride + 1),
 * every window k*k values (count_include_pad does not matter without pad).
 * Backward ACCUMULATES into din. */
int avgpool_window_out_size(int in, int k, int stride);
void avgpool_window_forward(float *out, const float *in, int n, int c, int h, int w, int k,
                            int stride);
void avgpool_window_backward(float *din, const float *dout, int n, int c, int h, int w, int k,
                             int stride);
void avgpool_window_forward_naive(float *out, const float *in, int n, int c, int h, int w, int k,
                                  int stride);

void maxpool3x3_forward_naive(float *out, const float *in, int n, int c, int h, int w, int stride);
void avgpool3x3_forward_naive(float *out, const float *in, int n, int c, int h, int w, int stride);

#endif
