/* cutout: see include/dartboard/cutout.h */
#include "dartboard/cutout.h"

#include <string.h>

void cutout_apply(float *x, int n, int channels, int h, int w, int len, Rng *rng)
{
    if (len <= 0)
        return;
    for (int i = 0; i < n; i++) {
        int cy = (int)rng_below(rng, (uint32_t)h), cx = (int)rng_below(rng, (uint32_t)w);
        int y0 = cy - len / 2 < 0 ? 0 : cy - len / 2, y1 = cy + len / 2 > h ? h : cy + len / 2;
        int x0 = cx - len / 2 < 0 ? 0 : cx - len / 2, x1 = cx + len / 2 > w ? w : cx + len / 2;
        for (int ch = 0; ch < channels; ch++)
            for (int y = y0; y < y1; y++)
                memset(x + (((size_t)i * channels + ch) * h + y) * w + x0, 0,
                       (size_t)(x1 - x0) * sizeof *x);
    }
}
