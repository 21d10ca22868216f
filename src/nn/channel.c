/* channel: see include/dartboard/channel.h */
#include "config.h"
#include "isa.h"
#include "dartboard/channel.h"
#include "dartboard/profile.h"

#include <stddef.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "vec.h"

/* d[0..n) += s[0..n) */
static void add_to(float *restrict d, const float *restrict s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        v8_store(d + i, v8_load(d + i) + v8_load(s + i));
    for (; i < n; i++)
        d[i] += s[i];
}

void channel_copy(float *dst, int dst_c, int dst_off, const float *src, int src_c, int src_off,
                  int count, int n, int hw)
{
    PROFILE_BEGIN;
#pragma omp parallel for schedule(static) if ((size_t)n * count * hw >= PARALLEL_MIN_PASS)
    for (int i = 0; i < n; i++)
        memcpy(dst + ((size_t)i * dst_c + dst_off) * hw, src + ((size_t)i * src_c + src_off) * hw,
               (size_t)count * hw * sizeof *dst);
    PROFILE_END(PROF_ELEMENTWISE, 0);
}

void channel_accumulate(float *dst, int dst_c, int dst_off, const float *src, int src_c,
                        int src_off, int count, int n, int hw)
{
    PROFILE_BEGIN;
#pragma omp parallel for schedule(static) if ((size_t)n * count * hw >= PARALLEL_MIN_PASS)
    for (int i = 0; i < n; i++)
        add_to(dst + ((size_t)i * dst_c + dst_off) * hw, src + ((size_t)i * src_c + src_off) * hw,
               (size_t)count * hw);
    PROFILE_END(PROF_ELEMENTWISE, (double)n * count * hw);
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
        for (int y = 1; y < h; y++)
            add_to(din + ((size_t)q * h + y) * w + 1,
                   dout + ((size_t)q * (h - 1) + y - 1) * (w - 1), (size_t)(w - 1));
}

void subsample2_forward(float *out, const float *in, int n, int c, int h, int w, int off)
{
    PROFILE_BEGIN;
    const int ho = (h - off + 1) / 2, wo = (w - off + 1) / 2;
#pragma omp parallel for schedule(static) if ((size_t)n * c * h * w >= PARALLEL_MIN_PASS)
    for (long q = 0; q < (long)n * c; q++)
        for (int y = 0; y < ho; y++) {
            const float *restrict s = in + ((size_t)q * h + 2 * y + off) * w + off;
            float *restrict d = out + ((size_t)q * ho + y) * wo;
            int x = 0;
            for (; 2 * x + 16 <= w - off; x += 8)
                v8_store(d + x, v8_evens(v8_load(s + 2 * x), v8_load(s + 2 * x + 8)));
            for (; x < wo; x++)
                d[x] = s[2 * x];
        }
    PROFILE_END(PROF_ELEMENTWISE, 0);
}

void subsample2_backward(float *din, const float *dout, int n, int c, int h, int w, int off)
{
    PROFILE_BEGIN;
    const int ho = (h - off + 1) / 2, wo = (w - off + 1) / 2;
#pragma omp parallel for schedule(static) if ((size_t)n * c * h * w >= PARALLEL_MIN_PASS)
    for (long q = 0; q < (long)n * c; q++)
        for (int y = 0; y < ho; y++) {
            float *restrict d = din + ((size_t)q * h + 2 * y + off) * w + off;
            const float *restrict g = dout + ((size_t)q * ho + y) * wo;
            const v8 zero = v8_set1(0.0f);
            int x = 0;
            for (; 2 * x + 16 <= w - off; x += 8) {
                v8 gv = v8_load(g + x);
                v8_store(d + 2 * x, v8_load(d + 2 * x) + v8_zip_lo(gv, zero));
                v8_store(d + 2 * x + 8, v8_load(d + 2 * x + 8) + v8_zip_hi(gv, zero));
            }
            for (; x < wo; x++)
                d[2 * x] += g[x];
        }
    PROFILE_END(PROF_ELEMENTWISE, (double)n * c * (h / 2) * (w / 2));
}
