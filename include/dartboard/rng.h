/* rng: a small deterministic random number generator (xoshiro256**).
 *
 * Same seed, same numbers on every machine and compiler: integers only, and
 * floats derived from them by exact arithmetic; normals by Box-Muller in
 * double. The whole state is four words, so checkpoints store it verbatim.
 */
#ifndef DARTBOARD_RNG_H
#define DARTBOARD_RNG_H

#include <stdint.h>

typedef struct Rng {
    uint64_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
/* Uniform in [0, 1) with 24 random bits (exact in float). */
float rng_uniform(Rng *r);
/* Uniform integer in [0, n), unbiased. n > 0. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Standard normal. */
double rng_normal(Rng *r);
/* In-place Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(Rng *r, int32_t *idx, int32_t n);

#endif
