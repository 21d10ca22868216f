/* supernet_fd.h: central differences of the supernet's loss against its
 * backward, on the largest gradient entries (the remedy tests share it). */
#ifndef DARTBOARD_SUPERNET_FD_H
#define DARTBOARD_SUPERNET_FD_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/supernet.h"
#include "tap.h"

static double supernet_fd_loss(Supernet *net, const float *x, const int *y, int n)
{
    return supernet_forward(net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
}

/* The `rounds` largest entries of g (the backward's gradient of v[0..count)),
 * among those `pick` selects (NULL: all) and at least `smallest` in size,
 * against central differences of the loss on batch (x, y, n): within 2 % +
 * abs_tol. h = 3e-4 and 2 %: the loss has ReLU and max-pool kinks; measured
 * on the tiny networks, the stem's weights miss by up to 2 % at h = 1e-3 and
 * 7 % at 3e-3, by under 1 % at 3e-4. True when all agree and at least three
 * were checked. */
static int supernet_fd_check(Supernet *net, const float *x, const int *y, int n, float *v,
                             const float *g, size_t count, const unsigned char *pick, int rounds,
                             float smallest, double abs_tol, const char *what)
{
    float *left = malloc(count * sizeof(float));
    memcpy(left, g, count * sizeof(float));
    int checked = 0, good = 1;
    for (int round = 0; round < rounds; round++) {
        size_t best = count;
        for (size_t i = 0; i < count; i++)
            if ((!pick || pick[i]) && (best == count || fabsf(left[i]) > fabsf(left[best])))
                best = i;
        if (best == count || fabsf(left[best]) < smallest)
            break;
        float saved = v[best];
        v[best] = saved + 3e-4f;
        double up = supernet_fd_loss(net, x, y, n), step = (double)v[best] - (double)saved;
        v[best] = saved - 3e-4f;
        double down = supernet_fd_loss(net, x, y, n);
        step += (double)saved - (double)v[best];
        v[best] = saved;
        double fd = (up - down) / step;
        int close = fabs(fd - left[best]) <= 2e-2 * fabs(fd) + abs_tol;
        if (!close)
            diag("%s[%zu]: backward %.6g, central difference %.6g", what, best, left[best], fd);
        good &= close;
        left[best] = 0.0f;
        checked++;
    }
    free(left);
    return good && checked >= 3;
}

#endif
