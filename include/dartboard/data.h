/* data: image datasets kept as uint8 NCHW, normalised per batch.
 *
 * Fashion-MNIST (gzip IDX, Debian's dataset-fashion-mnist), CIFAR-10 binary
 * batches, and a small deterministic synthetic set that a tiny network can
 * learn. Files are validated (magic, sizes, label range); errors name the file.
 */
#ifndef DARTBOARD_DATA_H
#define DARTBOARD_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/config.h"
#include "dartboard/rng.h"

typedef struct Dataset {
    char name[32];
    int count, channels, height, width, classes;
    uint8_t *images; /* count x channels x height x width */
    uint8_t *labels; /* count */
    float mean[3], std[3]; /* per channel, on the [0, 1] scale */
} Dataset;

typedef enum DataSplit { DATA_TRAIN, DATA_TEST } DataSplit;

/* Loads the set named by cfg->data (set, dir, synthetic_*). 0 or -1 + err. */
int dataset_load(Dataset *d, const Config *cfg, DataSplit split, char *err, size_t errlen);
void dataset_free(Dataset *d);

/* x (n, channels, height, width) float, normalised; y (n). With augment,
 * random crop with 4 pixels of zero padding and a horizontal flip, drawn
 * from rng in a fixed order (so a checkpointed rng replays exactly). */
void dataset_batch(const Dataset *d, const int32_t *idx, int n, int augment, Rng *rng, float *x,
                   int *y);

/* An epoch sampler over [first, first + count): a fresh permutation every
 * epoch, full batches only. Plain data so checkpoints store it. */
typedef struct Sampler {
    int32_t first, count, batch, pos;
    int64_t epoch;  /* completed passes */
    int32_t *perm;  /* count entries */
    Rng rng;
} Sampler;

int sampler_init(Sampler *s, int32_t first, int32_t count, int32_t batch, uint64_t seed);
void sampler_free(Sampler *s);
/* Next batch of indices into idx (batch entries). Returns 1 when this batch
 * started a new epoch. */
int sampler_next(Sampler *s, int32_t *idx);
int sampler_batches_per_epoch(const Sampler *s);

#endif
