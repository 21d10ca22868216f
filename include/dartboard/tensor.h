/* tensor: NCHW float32 shapes and views.
 *
 * A Tensor is a view: it never owns its data (the arena does). Kernels take
 * raw pointers plus shapes; Tensor is for the code that plans and wires them.
 */
#ifndef DARTBOARD_TENSOR_H
#define DARTBOARD_TENSOR_H

#include <stddef.h>

typedef struct Tensor {
    float *data;
    int n, c, h, w;
} Tensor;

static inline size_t tensor_count(const Tensor *t)
{
    return (size_t)t->n * (size_t)t->c * (size_t)t->h * (size_t)t->w;
}

static inline Tensor tensor_view(float *data, int n, int c, int h, int w)
{
    Tensor t = { data, n, c, h, w };
    return t;
}

#endif
