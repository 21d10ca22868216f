/* droppath: per-sample scaling of an op's output, the drop-path of the DARTS
 * evaluation network (x / keep * bernoulli(keep) per image), and the identity
 * sums of a cell node.
 *
 * scale holds one factor per image (0 or 1/keep under drop-path); NULL means
 * 1 for every image. `per` is the number of floats of one image.
 */
#ifndef DARTBOARD_DROPPATH_H
#define DARTBOARD_DROPPATH_H

#include <stddef.h>

/* out = scale[i] * in (accumulate 0) or out += scale[i] * in (accumulate 1),
 * image by image. */
void droppath_forward(float *out, const float *in, const float *scale, int n, size_t per,
                      int accumulate);
/* din = scale[i] * dout (WRITES): the gradient of the op output. */
void droppath_backward(float *din, const float *dout, const float *scale, int n, size_t per);

void droppath_forward_naive(float *out, const float *in, const float *scale, int n, size_t per,
                            int accumulate);

#endif
