/* activation: ReLU. Backward needs the forward's input (or output: the sign
 * is the same) and ACCUMULATES (+=) into din. */
#ifndef DARTBOARD_ACTIVATION_H
#define DARTBOARD_ACTIVATION_H

#include <stddef.h>

void relu_forward(float *out, const float *in, size_t count);
void relu_backward(float *din, const float *dout, const float *in, size_t count);

#endif
