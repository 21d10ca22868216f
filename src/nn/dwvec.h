/* dwvec: the depthwise convolution of stride 1 with the channels across the
 * vector: L = DWVEC_LANES channels of one pixel in one register, 16 on the
 * AVX-512 build and 8 on the AVX2 one (conv.c's fused depthwise + pointwise
 * block).
 *
 * The plane-by-plane strips (conv.c) fill a vector with pixels of one
 * plane: 7x7 and 14x14 planes fill it badly, and every tap costs a masked
 * load. Here a block of L channels is first turned into a zero-padded
 * tile of pixels (L x L transposes), every tap is then one aligned
 * load and one multiply-add for a vector of outputs, whatever the plane's
 * width, and the result is turned back into planes. Each output adds its
 * taps in the strips' order (rows, then columns, from zero), so the
 * correlation gives their bits; the weight gradient adds pixel by pixel in
 * row order, lane by lane.
 *
 * Served: c a multiple of L, square kernels up to 5x5, stride 1,
 * the "same" padding (2 pad = (k - 1) d), planes from 4 columns wide whose
 * padded tile holds at most DWVEC_TILE_FLOATS. Internal to src/nn.
 */
#ifndef DARTBOARD_NN_DWVEC_H
#define DARTBOARD_NN_DWVEC_H

#include <stddef.h>

#include "vec.h"

/* Whether this build of src/nn has it (isa.h): AVX-512 or AVX2. */
#if defined(__AVX512F__) || defined(__AVX2__)
#define DWVEC_BUILT 1
#define DWVEC_LANES VL
#else
#define DWVEC_BUILT 0
#define DWVEC_LANES 1
#endif
#define DWVEC_TILE_FLOATS (32 * 32 * 16)
#define DWVEC_MAX_TAPS 25

typedef struct DwVec {
    int k, d, pad; /* the kernel, its dilation, the padding on every side */
    int h, w;      /* the plane, input and output */
    int wp;        /* the padded tile's row, w + 2 pad pixels */
    int nb;        /* pixels of a row computed together (dwvec.c) */
} DwVec;

/* Plans a k x k depthwise convolution of c channels (dilation d, stride,
 * padding pad) over h x w planes. Returns 0 where it is served (above), or
 * -1 (the build has neither AVX-512 nor AVX2, or the shape is not served). */
int dwvec_plan(DwVec *v, int c, int k, int d, int stride, int pad, int h, int w);

/* Floats of a padded tile of L channels, and of the unpadded one
 * (dwvec_corr's staging). */
size_t dwvec_tile_floats(const DwVec *v);
size_t dwvec_out_floats(const DwVec *v);

/* tile = 0: its border, which dwvec_pack never writes, once per call. */
void dwvec_clear(const DwVec *v, float *tile);

/* The padded tile of L planes of x, ldx floats apart: each pixel as it is,
 * through a ReLU (relu), or through the BN apply (x - mean) scale + shift
 * then the ReLU (mean not NULL: the L channels' numbers; conv.c's ConvPre
 * formula, so its bits). The L hw floats at next (the block packed next,
 * or NULL; its address is only asked for, never read) are asked for in L1
 * as it goes: x's L streams come from L3 or memory, and the packing had
 * stalled on them. */
void dwvec_pack(const DwVec *v, float *tile, const float *x, size_t ldx, const float *next,
                const float *mean, const float *scale, const float *shift, int relu);

/* dst's L planes, ldd apart, = (or with add +=) the correlation of the
 * tile with the L channels' k x k weights (wk, each channel's taps
 * contiguous), flipped (flip: the input gradient of the convolution, tile
 * holding the output gradient); with mtile, 0 where its pixel is not > 0
 * (the backward of the ReLU the input's tile, mtile, was made through).
 * stage: dwvec_out_floats. */
void dwvec_corr(const DwVec *v, float *dst, size_t ldd, const float *tile, const float *wk,
                int flip, int add, const float *mtile, float *stage);

/* dwk (the L channels' taps) += the sum over the pixels of the output
 * gradient (gtile, padded) times the input under each tap (xtile). */
void dwvec_wgrad(const DwVec *v, float *dwk, const float *gtile, const float *xtile);

/* The channels-last blocks ("CL"): an image of c channels (a multiple of
 * L) as c / L blocks of hw pixels, each pixel's L channels one vector:
 * channel b L + j of pixel q at float (b hw + q) L + j. A SepConv's middle
 * tensor (conv.h, DWPW_OUT_CL) lives so: the tile above without its
 * padding, so that no transpose stands between the two blocks. */

/* The padded tile of one CL block (hw L floats at x), each pixel through
 * the pre of dwvec_pack (the same formulas, so its bits). */
void dwvec_pack_cl(const DwVec *v, float *tile, const float *x, const float *mean,
                   const float *scale, const float *shift, int relu);

/* dst, one CL block, = dwvec_corr's correlation (not added), written as it
 * is made: no staging, no transposes. */
void dwvec_corr_cl(const DwVec *v, float *dst, const float *tile, const float *wk, int flip,
                   const float *mtile);

/* out (n_out channels, CL) = mat^T in over p pixels: out channel o of
 * pixel q = the sum over k (in order, from 0) of mat[k][o] times in's
 * channel k of pixel q; in has k_in channels (CL), mat is k_in x n_out
 * row-major. Each output the sum gemm_small makes of the same numbers. */
void dwvec_cl_product(float *out, const float *in, const float *mat, int k_in, int n_out, size_t p);

/* dmat (m x k row-major) += a b^T summed over p pixels: dmat[o][k] += the
 * sum over q of a's channel o times b's channel k (a: m, b: k channels, both
 * CL), pixel after pixel, each run of 128 pixels added to dmat. */
void dwvec_cl_wgrad(float *dmat, const float *a, const float *b, int m, int k, size_t p);

/* batchnorm_stats_image, batchnorm_grad_sums_image and
 * batchnorm_input_grad_image (batchnorm.h) over one CL image. */
void dwvec_bn_stats(double *mean, double *m2, int before, const float *x, int c, size_t p);
void dwvec_bn_grad_sums(double *sg, double *sgx, const float *g, float gs, const float *x,
                        const float *mean, int c, size_t p);
void dwvec_bn_input_grad(float *din, const float *g, float gs, const float *x, const float *mean,
                         const float *coef, int c, size_t p);

#endif
