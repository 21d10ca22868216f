/* channel: moving channel blocks between NCHW tensors, and the pixel
 * subsampling of FactorizedReduce.
 *
 * Concat of cell nodes and the two halves of FactorizedReduce are copies of
 * channel blocks; their backward is the same copy the other way, ACCUMULATING.
 */
#ifndef DARTBOARD_CHANNEL_H
#define DARTBOARD_CHANNEL_H

/* dst[:, dst_off : dst_off+count] = src[:, src_off : src_off+count], where dst
 * has dst_c channels and src has src_c, both n x (.) x hw. */
void channel_copy(float *dst, int dst_c, int dst_off, const float *src, int src_c, int src_off,
                  int count, int n, int hw);
/* dst[:, dst_off : dst_off+count] += src[:, src_off : src_off+count] */
void channel_accumulate(float *dst, int dst_c, int dst_off, const float *src, int src_c,
                        int src_off, int count, int n, int hw);

/* The one-pixel shift x[:, :, 1:, 1:]: out (n, c, h-1, w-1). Backward
 * accumulates into din (n, c, h, w). */
void shift1_forward(float *out, const float *in, int n, int c, int h, int w);
void shift1_backward(float *din, const float *dout, int n, int c, int h, int w);

/* out = in[:, :, off::2, off::2] (off 0 or 1): what a 1x1 stride-2 conv reads,
 * gathered so the conv becomes one sgemm. out is (n, c, ho, wo) with
 * ho = (h - off + 1) / 2. Backward scatters and accumulates. */
void subsample2_forward(float *out, const float *in, int n, int c, int h, int w, int off);
void subsample2_backward(float *din, const float *dout, int n, int c, int h, int w, int off);

#endif
