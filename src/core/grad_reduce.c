/* grad_reduce: see include/dartboard/grad_reduce.h */
#include "dartboard/grad_reduce.h"

#include <string.h>

const BnSync *bn_sync_hook;

unsigned long long grad_checksum(unsigned long long h, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned int bits;
        memcpy(&bits, &v[i], sizeof bits);
        for (int k = 0; k < 4; k++) {
            h ^= (bits >> (8 * k)) & 0xffu;
            h *= 1099511628211ull;
        }
    }
    return h;
}

static int single(const GradReduce *r)
{
    return !r || r->size <= 1;
}

void grad_reduce_shard(const GradReduce *r, int batch, int *first, int *count)
{
    if (single(r)) {
        *first = 0;
        *count = batch;
        return;
    }
    long lo = (long)r->rank * batch / r->size, hi = (long)(r->rank + 1) * batch / r->size;
    *first = (int)lo;
    *count = (int)(hi - lo);
}

int grad_reduce_capacity(const GradReduce *r, int batch)
{
    if (single(r))
        return batch;
    return (batch + r->size - 1) / r->size;
}

void grad_reduce_mean(const GradReduce *r, float *v, size_t n, int count, int batch)
{
    if (single(r))
        return;
    const float scale = (float)count / (float)batch;
    for (size_t i = 0; i < n; i++)
        v[i] *= scale;
    r->sum_floats(r->ctx, v, n);
}

float grad_reduce_loss(const GradReduce *r, float loss, int count, int batch, int *correct)
{
    if (single(r))
        return loss;
    double v[2] = {count > 0 ? (double)loss * count : 0.0, correct ? (double)*correct : 0.0};
    r->sum_doubles(r->ctx, v, 2);
    if (correct)
        *correct = (int)v[1];
    return (float)(v[0] / batch);
}
