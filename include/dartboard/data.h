/* data: image datasets kept as uint8 NCHW, normalised per batch.
 *
 * Fashion-MNIST (gzip IDX, Debian's dataset-fashion-mnist), CIFAR-10 binary
 * batches, and a small deterministic synthetic set that a tiny network can
 * learn. Files are validated (magic, sizes, label range); errors name the file.
 *
 * Normalisation constants (mean/std per channel, on the [0, 1] scale):
 * Fashion-MNIST 0.2860/0.3530 (the PyTorch reference's), CIFAR-10 the usual
 * 0.4914,0.4822,0.4465 / 0.2470,0.2435,0.2616; synthetic data: measured on
 * its training split (the test split uses the same values).
 *
 * Synthetic data (data.set = synthetic): data.synthetic_size training images
 * (a quarter as many test images) of data.synthetic_channels x
 * data.synthetic_image^2, data.classes classes, drawn from run.seed. Image i
 * has label i % classes; each class is a texture (horizontal or vertical
 * stripes, a checkerboard, a diagonal lattice or rings; classes 5-9 repeat
 * them at half the period) with random phase, brightness and contrast plus
 * Gaussian noise, so crops and flips keep the class.
 */
#ifndef DARTBOARD_DATA_H
#define DARTBOARD_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config_types.h"
#include "dartboard/rng.h"

typedef struct Dataset {
    char name[32];
    int count, channels, height, width, classes;
    uint8_t *images;       /* count x channels x height x width */
    uint8_t *labels;       /* count */
    float mean[3], std[3]; /* per channel, on the [0, 1] scale */
} Dataset;

typedef enum DataSplit { DATA_TRAIN, DATA_TEST } DataSplit;

/* Loads the set named by cfg->data (set, dir, synthetic_*). 0 or -1 + err. */
int dataset_load(Dataset *d, const Config *cfg, DataSplit split, char *err, size_t errlen);
void dataset_free(Dataset *d);

/* x (n, channels, height, width) float, normalised as (v/255 - mean) / std
 * in float; y (n). With augment, random crop with 4 pixels of zero padding
 * (raw 0, i.e. padded before normalising, as torchvision does) and a
 * horizontal flip with p = 0.5, drawn from rng per image in a fixed order:
 * crop top = rng_below(9), crop left = rng_below(9), flip = rng_uniform < 0.5
 * (so a checkpointed rng replays exactly). Without augment rng is unused. */
void dataset_batch(const Dataset *d, const int32_t *idx, int n, int augment, Rng *rng, float *x,
                   int *y);

/* An epoch sampler over [first, first + count): a fresh permutation every
 * epoch, full batches only (the count % batch left-over indices of each
 * permutation are skipped). Plain data so checkpoints store it. */
typedef struct Sampler {
    int32_t first, count, batch, pos;
    int64_t epoch; /* completed passes */
    int32_t *perm; /* count entries: the current epoch's order of dataset indices */
    Rng rng;
} Sampler;

/* -1 if batch < 1, count < batch or out of memory. The first permutation is
 * drawn here (identity shuffled with rng seeded from `seed`). */
int sampler_init(Sampler *s, int32_t first, int32_t count, int32_t batch, uint64_t seed);
void sampler_free(Sampler *s);
/* Next batch of indices into idx (batch entries). Returns 1 when this batch
 * started a new epoch (the very first batch included). A pass is counted,
 * and the next permutation drawn, as soon as its last full batch is handed
 * out: after sampler_next, s->epoch is the number of completed passes. */
int sampler_next(Sampler *s, int32_t *idx);
int sampler_batches_per_epoch(const Sampler *s);

/* The whole state (position, epoch, permutation, rng) as a little-endian
 * block for checkpoints: 0 or -1 on a write error. */
int sampler_save(const Sampler *s, FILE *f);
/* The bytes sampler_save writes for this sampler. */
size_t sampler_state_bytes(const Sampler *s);
/* Restores a state written by sampler_save into a sampler initialised with
 * the same first/count/batch; -1 + err if the block is truncated, belongs
 * to another split or batch size, or is not a permutation of the range. */
int sampler_load(Sampler *s, FILE *f, char *err, size_t errlen);

#endif
