/* channel: see include/dartboard/channel.h */
#include "config.h"
#include "dartboard/channel.h"

#include <stddef.h>
#include <string.h>

void channel_copy(float *dst, int dst_c, int dst_off, const float *src, int src_c, int src_off,
                  int count, int n, int hw)
{
    for (int i = 0; i < n; i++)
        memcpy(dst + ((size_t)i * dst_c + dst_off) * hw, src + ((size_t)i * src_c + src_off) * hw,
               (size_t)count * hw * sizeof *dst);
}

void channel_accumulate(float *dst, int dst_c, int dst_off, const float *src, int src_c,
                        int src_off, int count, int n, int hw)
{
    const size_t len = (size_t)count * hw;
    for (int i = 0; i < n; i++) {
        float *restrict d = dst + ((size_t)i * dst_c + dst_off) * hw;
        const float *restrict s = src + ((size_t)i * src_c + src_off) * hw;
        for (size_t j = 0; j < len; j++)
            d[j] += s[j];
    }
}

void shift1_forward(float *out, const float *in, int n, int c, int h, int w)
{
    for (long q = 0; q < (long)n * c; q++)
        for (int y = 1; y < h; y++)
            memcpy(out + ((size_t)q * (h - 1) + y - 1) * (w - 1), in + ((size_t)q * h + y) * w + 1,
                   (size_t)(w - 1) * sizeof *out);
}

void shift1_backward(float *din, const float *dout, int n, int c, int h, int w)
{
    for (long q = 0; q < (long)n * c; q++)
        for (int y = 1; y < h; y++) {
            float *restrict d = din + ((size_t)q * h + y) * w + 1;
            const float *restrict g = dout + ((size_t)q * (h - 1) + y - 1) * (w - 1);
            for (int x = 0; x < w - 1; x++)
                d[x] += g[x];
        }
}

void subsample2_forward(float *out, const float *in, int n, int c, int h, int w, int off)
{
    const int ho = (h - off + 1) / 2, wo = (w - off + 1) / 2;
    for (long q = 0; q < (long)n * c; q++)
        for (int y = 0; y < ho; y++) {
            const float *restrict s = in + ((size_t)q * h + 2 * y + off) * w + off;
            float *restrict d = out + ((size_t)q * ho + y) * wo;
            for (int x = 0; x < wo; x++)
                d[x] = s[2 * x];
        }
}

void subsample2_backward(float *din, const float *dout, int n, int c, int h, int w, int off)
{
    const int ho = (h - off + 1) / 2, wo = (w - off + 1) / 2;
    for (long q = 0; q < (long)n * c; q++)
        for (int y = 0; y < ho; y++) {
            float *restrict d = din + ((size_t)q * h + 2 * y + off) * w + off;
            const float *restrict g = dout + ((size_t)q * ho + y) * wo;
            for (int x = 0; x < wo; x++)
                d[2 * x] += g[x];
        }
}
