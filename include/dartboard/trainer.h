/* trainer: a derived cell trained from scratch (the second phase of DARTS,
 * the official cnn/train.py), one SGD step at a time.
 *
 * The Trainer owns the evaluation network (evalnet.h) built from a genotype,
 * its SGD momentum buffers, the sampler over the WHOLE training split, and
 * the random state of augmentation, cutout and drop-path. The caller (the
 * session) loads both splits and keeps them alive as long as the Trainer.
 *
 * Per step: lr = optim_cosine_lr(optim.lr, optim.lr_min, epoch, run.epochs)
 * (lr_min 0 in the train presets, as train.py), drop-path probability
 * train.drop_path * epoch / run.epochs, batch augmented (data.augment: random
 * crop and flip as dataset_batch) then cutout (train.cutout), loss = main
 * cross-entropy + train.aux_weight * auxiliary cross-entropy (when
 * train.auxiliary), SGD with momentum and weight decay, gradient clipping to
 * optim.grad_clip. Live keys (lr, weight decay, momentum, clip, drop_path,
 * aux_weight, epochs) are read from cfg at every step.
 *
 * No allocation inside trainer_step or trainer_test; same seed, same bits
 * for a fixed thread count; save/load restore the state bit-exactly.
 */
#ifndef DARTBOARD_TRAINER_H
#define DARTBOARD_TRAINER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config_types.h"
#include "dartboard/data.h"
#include "dartboard/genotype.h"
#include "dartboard/grad_reduce.h"

typedef struct TrainStats {
    float loss;     /* main cross-entropy of the step's batch (without the auxiliary) */
    float aux_loss; /* auxiliary cross-entropy (0 without the head) */
    int correct, batch;
    float lr;        /* lr used by this step */
    float drop_path; /* drop-path probability used by this step */
    int new_epoch;   /* this step started an epoch */
    float grad_norm; /* gradient norm before clipping */
} TrainStats;

typedef struct TestResult {
    float loss, acc; /* mean cross-entropy, top-1 accuracy in % */
    int samples;
    int classes;
    float class_acc[10]; /* per-class top-1 accuracy in % */
} TestResult;

typedef struct Trainer Trainer;

/* Builds the network for the data's shape (train's channels, size, classes),
 * cfg->model.init_channels / layers / stem_multiplier, cfg->train.auxiliary,
 * batch cfg->data.batch_size, and initialises it from cfg->run.seed. NULL +
 * err when the genotype does not fit (g->nodes != cfg->model.nodes, an op
 * outside the space, an input out of range) or memory runs out. */
Trainer *trainer_create(const Config *cfg, const Genotype *g, const Dataset *train,
                        const Dataset *test, char *err, size_t errlen);
/* The same for one process of a data-parallel run: reduce (grad_reduce.h,
 * kept by the Trainer; NULL or size 1: the single-process trainer) sums the
 * gradients; every process draws the whole global batch and trains on its shard. */
Trainer *trainer_create_dist(const Config *cfg, const Genotype *g, const Dataset *train,
                             const Dataset *test, const GradReduce *reduce, char *err,
                             size_t errlen);
void trainer_free(Trainer *t);
/* grad_checksum of the weights: equal on every process of a data-parallel run. */
unsigned long long trainer_checksum(const Trainer *t);

int64_t trainer_step_count(const Trainer *t); /* steps done */
int trainer_epoch(const Trainer *t);          /* epoch of the next step, from 0 */
int trainer_steps_per_epoch(const Trainer *t);
/* Weights of the network: with_aux 0 without the auxiliary head, 1 with it
 * (equal when the head is off). */
size_t trainer_param_count(const Trainer *t, int with_aux);

/* One training step. 0, or -1 + err when the loss or the gradient is not
 * finite (the state is then left as before the step). */
int trainer_step(Trainer *t, const Config *cfg, TrainStats *st, char *err, size_t errlen);
/* Evaluation-mode pass over the first `samples` images of the test split
 * (all of it when samples <= 0 or larger). */
void trainer_test(Trainer *t, int samples, TestResult *r);

/* The whole state (step, weights, running statistics, momentum buffers,
 * sampler, random state) as a little-endian block: 0 or -1 on write error. */
int trainer_save_state(const Trainer *t, FILE *f);
size_t trainer_state_bytes(const Trainer *t);
/* -1 + err when the block does not belong to this network and data. */
int trainer_load_state(Trainer *t, FILE *f, char *err, size_t errlen);

#endif
