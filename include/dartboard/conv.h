/* conv: 2-D convolution without bias, NCHW float32.
 *
 * Dense (groups = 1) runs as im2col + a matrix product, with a 1x1 stride-1
 * pad-0 fast path that multiplies the input directly; depthwise (groups = c_in =
 * c_out) is a direct kernel threaded over batch x channels. Any kernel size,
 * stride, padding and dilation. Weights are (c_out, c_in/groups, kh, kw).
 *
 * Backward ACCUMULATES (+=) into din and dweight; either may be NULL when
 * that gradient is not wanted (e.g. din of the stem, dweight during the
 * alpha-only backward).
 *
 * The *_naive functions are plain loops kept beside the fast ones: tests
 * compare the two.
 */
#ifndef DARTBOARD_CONV_H
#define DARTBOARD_CONV_H

#include <stddef.h>

typedef struct ConvSpec {
    int c_in, c_out;
    int kh, kw;
    int stride, pad, dilation;
    int groups; /* 1 (dense) or c_in == c_out (depthwise; with one channel, both) */
} ConvSpec;

/* Output size of one spatial dimension. */
int conv_out_size(int in, int kernel, int stride, int pad, int dilation);
size_t conv_weight_count(const ConvSpec *s);
/* Floats of scratch conv2d_forward/backward need for a batch of n at h x w
 * (0 for depthwise, and for 1x1 convolutions of at most 16384 weights).
 * Plan it once; share it. */
size_t conv_scratch_floats(const ConvSpec *s, int n, int h, int w);

/* out (n, c_out, ho, wo) = conv(in (n, c_in, h, w), weight) */
void conv2d_forward(const ConvSpec *s, float *out, const float *in, const float *weight, int n,
                    int h, int w, float *scratch);
void conv2d_backward(const ConvSpec *s, float *din, float *dweight, const float *dout,
                     const float *in, const float *weight, int n, int h, int w, float *scratch);
/* conv2d_backward that WRITES (=) din instead of adding: no clearing pass
 * before it (a 1x1 convolution writes its product straight; dweight still
 * accumulates). The same bits as conv2d_backward into zeros. */
void conv2d_backward_set(const ConvSpec *s, float *din, float *dweight, const float *dout,
                         const float *in, const float *weight, int n, int h, int w, float *scratch);

/* out = pointwise(depthwise(in)): a SepConv/DilConv block's two convolutions
 * image by image, so that one image's depthwise output stays in cache for
 * the 1x1 product instead of going through memory. The same bits as the two
 * conv2d_forward calls. scratch: conv_dw_pw_scratch_floats floats. Runs in
 * the calling thread: the supernet calls it from an edge's lane.
 *
 * pre (may be NULL): the block's input is not `in` but ReLU(BN(in)), a BN
 * apply and the ReLU that opens the block, made image by image in scratch
 * as the block reads it, so that it never goes through memory either:
 * ReLU((in - mean[ch]) * scale[ch] + shift[ch]) in each channel ch; with
 * mean NULL, ReLU(in) alone (a SepConv's first block on a cell state).
 *
 * keep (may be NULL): the depthwise output of the batch, (n, c, ho, wo), is
 * also left there, for a backward that follows to read instead of
 * computing it again (conv2d_dw_pw_backward's kept).
 *
 * post (may be NULL): the block's output feeds a training BN (the BN of a
 * SepConv block), whose statistics and backward are fused into the block's
 * passes, split as batchnorm.h says:
 *  - the forward, with post->mean2: the BN's statistics, merged image by
 *    image from the output in cache (batchnorm_stats_image; the means in
 *    post->mean2[0..c_out), the m2s after them);
 *  - the forward the backward runs again, with post->sg: post->sg and
 *    post->sgx += the BN backward's sums, image by image in order, from
 *    post->g (the BN's output gradient, image i scaled by post->gs[i]; gs
 *    NULL: 1) and the output in cache;
 *  - the backward, whose dout is then the BN's output gradient: the
 *    block's own output gradient is made image by image in scratch
 *    (batchnorm_input_grad_image) from dout, post->gs, post->x (the BN's
 *    input, the forward's output) and post->coef (batchnorm_grad_finish's).
 *
 * layout: 0, every tensor (n, c, h, w). Where conv_dw_pw_cl serves the
 * block, either or both of DWPW_IN_CL: in (and the backward's din) in
 * channels-last blocks, and DWPW_OUT_CL: out, keep (and the backward's
 * dout, kept and post->x) so. Channels-last blocks: each image c / L blocks
 * of h w pixels by L channels (channel b L + j of pixel q at float
 * (b h w + q) L + j), L the 16 or 8 floats of the build's vector. A SepConv's middle tensor passes
 * from its first block to its second so, with no transposes. With DWPW_IN_CL the backward's pre
 * must not add. conv_dw_pw_cl: L where this build serves the block so (in
 * and out), else 0. */
enum { DWPW_IN_CL = 1, DWPW_OUT_CL = 2 };
int conv_dw_pw_cl(const ConvSpec *dw, const ConvSpec *pw, int h, int w);
typedef struct ConvPre {
    const float *mean, *scale, *shift;
    int add;          /* the backward adds (+=) the gradient under the ReLU */
    double *sg, *sgx; /* backward: += the sums of this BN's backward (din
                       * its output gradient), or NULL */
} ConvPre;
typedef struct ConvPost {
    double *mean2; /* the forward */
    const float *g, *gs, *mean;
    double *sg, *sgx;      /* the forward run again */
    const float *x, *coef; /* the backward */
} ConvPost;
size_t conv_dw_pw_scratch_floats(const ConvSpec *dw, const ConvSpec *pw, int h, int w);
void conv2d_dw_pw_forward(const ConvSpec *dw, const ConvSpec *pw, const ConvPre *pre,
                          const ConvPost *post, float *out, float *keep, const float *in,
                          const float *wdw, const float *wpw, int n, int h, int w, float *scratch,
                          int layout);

/* The pointwise half of that block's backward, image by image: gmid = (not
 * +=) the gradient of the depthwise output under dout; with dwpw, the
 * depthwise output is recomputed into scratch and dwpw += the 1x1 weight
 * gradient. The same bits as conv2d_forward (depthwise) + conv2d_backward
 * (pointwise) into a zeroed gmid; for 1x1 weights of more than 16384 floats
 * the weight gradient is summed image by image, conv2d_backward's in four
 * groups of images. Runs in the calling thread. */
void conv2d_dw_pw_backward_pw(const ConvSpec *dw, const ConvSpec *pw, float *gmid, float *dwpw,
                              const float *dout, const float *in, const float *wdw,
                              const float *wpw, int n, int h, int w, float *scratch);

/* The block's whole backward, image by image: din += the input gradient,
 * ddw += the depthwise and dpw += the 1x1 weight gradient, each image's
 * share added in image order. The depthwise output is read from kept (a
 * forward's keep, the same bits) or, with kept NULL, recomputed; the
 * gradient between the two convolutions never leaves cache. With pre (as
 * the forward's), din = (not +=) the gradient of the BN output under the
 * ReLU: the input gradient where ReLU(BN(in)) > 0, else 0; or, with
 * pre->add, din += it (a state read by several ops). With pre->sg, that
 * BN's backward sums taken from din image by image as the block leaves it
 * (with add, for the last op to add into it: din is then the BN's whole
 * output gradient). With post, dout is the output gradient
 * of the BN after the block (see the forward). Runs in the calling thread. */
void conv2d_dw_pw_backward(const ConvSpec *dw, const ConvSpec *pw, const ConvPre *pre,
                           const ConvPost *post, float *din, float *ddw, float *dpw,
                           const float *dout, const float *in, const float *kept, const float *wdw,
                           const float *wpw, int n, int h, int w, float *scratch, int layout);

/* A 1x1 convolution of ReLU(the channel concatenation of `count` tensors of
 * (n, c, h, w) each): a DARTS cell's preprocessing of the previous cell's
 * output, which is never stored whole. With one phase, the convolution s
 * (c_in = count * c -> c_out) with weight[0] on the whole map; with two, a
 * FactorizedReduce (h and w even): s with weight[0] on the rows and columns
 * 0, 2, ... and with weight[1] on 1, 3, ..., out (n, 2 * c_out, h / 2,
 * w / 2) the two side by side. Image by image, the ReLU'd concatenation (or
 * phase) is gathered in scratch (conv_relu_cat_scratch_floats) and read
 * there, in cache. The forward writes out (=), the same bits as
 * conv2d_forward (after subsample2_forward) on the stored ReLU. The
 * backward adds the input gradient through the ReLU into din[b] (tensors
 * laid out as src[b]) and dweight[k] += the weight gradients image by image
 * in order. post (may be NULL): out feeds a training BN, fused as in
 * conv2d_dw_pw_*: the forward takes its statistics (post->mean2), the
 * backward makes out's gradient image by image from dout, that BN's output
 * gradient, in scratch. Runs in the calling thread. */
typedef struct ConvCat {
    const float *const *src;
    int count, c, phases;
    int relu_done; /* one source of one phase that is a ReLU's output already
                    * (the stem's): read in place, not gathered */
} ConvCat;
/* The scratch floats of either, with or without post. */
size_t conv_relu_cat_scratch_floats(const ConvSpec *s, int phases, int h, int w);
/* The floats more that a FactorizedReduce s of an h x w input needs when it
 * runs with others of one phase (ConvCatOut.phases 2). */
size_t conv_relu_cat_fr_scratch_floats(const ConvSpec *s, int h, int w);
/* One convolution of a ConvCat: s, weight (one per phase), post; the
 * forward writes out, the backward reads dout and adds into dweight (one
 * per phase). With one phase, several convolutions of the same input (the
 * preprocessings of the cells that read one cell's output) share its
 * gathers: the forward gives each the bits of its own call; the backward
 * sums their input gradients before it adds them under the ReLU, in order.
 * One of them, not the first, may be a FactorizedReduce (phases 2; else
 * 0, the input's): its two phases taken from the gathered image in cache,
 * its input gradient spread into the sum there. */
typedef struct ConvCatOut {
    const ConvSpec *s;
    const float *const *weight;
    const ConvPost *post;
    float *out;
    const float *dout;
    float *const *dweight;
    int phases;
} ConvCatOut;
void conv2d_relu_cat_forward(const ConvCatOut *outs, int count, const ConvCat *in, int n, int h,
                             int w, float *scratch);
void conv2d_relu_cat_backward(const ConvCatOut *outs, int count, float *const *din,
                              const ConvCat *in, int n, int h, int w, float *scratch);

void conv2d_forward_naive(const ConvSpec *s, float *out, const float *in, const float *weight,
                          int n, int h, int w);
void conv2d_backward_naive(const ConvSpec *s, float *din, float *dweight, const float *dout,
                           const float *in, const float *weight, int n, int h, int w);

#endif
