/* cutout: the augmentation of the official DARTS training (cnn/utils.py
 * Cutout), applied after normalisation, crop and flip.
 *
 * Per image a square of side `len` centred at a random pixel (row
 * rng_below(h), then column rng_below(w)), clipped to the image
 * ([c - len/2, c + len/2) in each direction), is set to 0 in every channel.
 * len <= 0 leaves x and rng alone. */
#ifndef DARTBOARD_CUTOUT_H
#define DARTBOARD_CUTOUT_H

#include "dartboard/rng.h"

void cutout_apply(float *x, int n, int channels, int h, int w, int len, Rng *rng);

#endif
