/* search: the DARTS bilevel search (docs/ARCHITECTURE.md, Method) on a dataset.
 *
 * A Search owns the supernet, the two optimizers (SGD with momentum on the
 * weights, Adam on the alphas), the two samplers (weights half, alpha half
 * of the training set) and the augmentation RNG. search_step() runs one
 * search step: an alpha step (order 1: first order, 2: unrolled second
 * order, 0: none) then a weight step. Everything needed to resume
 * bit-exactly round-trips through search_save_state()/search_load_state().
 *
 * Hyperparameters are read from the Config at every step, so a changed lr,
 * momentum, order... takes effect at the next step boundary.
 */
#ifndef DARTBOARD_SEARCH_H
#define DARTBOARD_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config_types.h"
#include "dartboard/data.h"
#include "dartboard/genotype.h"
#include "dartboard/grad_reduce.h"
#include "dartboard/monitor.h"
#include "dartboard/supernet.h"

typedef struct StepStats {
    float train_loss, val_loss; /* the weight-step batch, the alpha-step batch */
    int train_correct, val_correct, batch;
    float lr;        /* weight lr used by this step */
    int new_epoch;   /* this step started an epoch */
    int alpha_step;  /* 1 when the step updated the alphas (order 1 or 2);
                      * val_* are 0 otherwise. Order 2: val_* are at w'. */
    float grad_norm; /* weight-gradient norm before clipping */
} StepStats;

typedef struct Search Search;

/* train: the dataset whose training split is cut in two (cfg->data.train_portion). */
Search *search_create(const Config *cfg, const Dataset *train, char *err, size_t errlen);
/* The same for one process of a data-parallel run: reduce (grad_reduce.h,
 * kept by the Search; NULL or size 1: the single-process search) sums the
 * gradients; every process draws the whole global batch (data.batch_size)
 * from the global samplers and trains on its shard. */
Search *search_create_dist(const Config *cfg, const Dataset *train, const GradReduce *reduce,
                           char *err, size_t errlen);
void search_free(Search *s);
/* grad_checksum of the weights then the alphas: equal on every process of a
 * data-parallel run (the running statistics are per process without sync_bn). */
unsigned long long search_checksum(const Search *s);
Supernet *search_net(Search *s);

int64_t search_step_count(const Search *s); /* steps done */
int search_epoch(const Search *s);          /* current epoch, from 0 */
int search_steps_per_epoch(const Search *s);
/* The weight lr of the next step: cosine from optim.lr to optim.lr_min over
 * run.epochs, per epoch, with the hyperparameters of the latest step (or of
 * search_create before the first). */
float search_current_lr(const Search *s);

/* One step with the hyperparameters in cfg. Returns 0, or -1 with err when
 * a loss is not finite (the state is then unchanged since the last step). */
int search_step(Search *s, const Config *cfg, StepStats *st, char *err, size_t errlen);

/* One step on given batches instead of the samplers' (tests, benchmarks):
 * xt/yt train the weights, xv/yv the alphas, n <= data.batch_size images
 * each, no augmentation. Same return and state guarantees as search_step(). */
int search_step_batches(Search *s, const Config *cfg, const float *xt, const int *yt,
                        const float *xv, const int *yv, int n, StepStats *st, char *err,
                        size_t errlen);

/* The alpha gradient the next step of `order` (1 or 2) would feed Adam, into
 * grad (2 * edges * OP_COUNT), with that step's effect on the BN running
 * statistics but no optimizer step: weights and alphas are unchanged. Order 2
 * uses xi = search_current_lr(). For tests. 0, or -1 + err on a non-finite loss. */
int search_alpha_gradient(Search *s, const Config *cfg, int order, const float *xt, const int *yt,
                          const float *xv, const int *yv, int n, float *grad, char *err,
                          size_t errlen);

/* Loss and accuracy (%) of the first `samples` images of the alpha split
 * (all of it when samples <= 0 or larger), evaluation-mode BN, no augmentation. */
void search_evaluate(Search *s, int samples, float *loss, float *acc);

/* The collapse monitors (monitor.h) of the current state into row:
 * lambda_max by at most `iters` power iterations of exact Hessian-vector
 * products (hessian.h) on the fixed monitor batch, and the alpha statistics;
 * row->step = steps done. The monitor batch is darts_ref --hessian's: the
 * first data.batch_size images of the alpha split, train-mode BN (under MPI:
 * rank 0's shard of it, computed by the lead alone). Weights, alphas, running
 * statistics, optimizer state, samplers and RNG are untouched, so a run with
 * monitors writes what one without writes. Needs monitor.every > 0 at
 * search_create (the frozen-kink masks are planned then; else -1 + err).
 * 0, or -1 + err on a non-finite loss. */
int search_monitor(Search *s, int iters, MonitorRow *row, char *err, size_t errlen);

/* The op weights: softmaxed alphas (Fair DARTS: sigmoid, none 0), edges x OP_COUNT each. */
void search_alpha_weights(const Search *s, float *normal, float *reduce);
void search_genotype(const Search *s, Genotype *g);

/* Checkpoint payload: weights, running stats, alphas, optimizer state,
 * samplers, RNG, step. Load refuses (returns -1 + err) a payload from a
 * different network shape. */
/* Layout (little-endian, le.h): "DBSEARCH", uint32 version; the shape
 * (13 int64: input channels, image size, classes, init_channels, layers,
 * nodes, stem_multiplier, batch, weight, running and alpha counts, the two
 * split sizes); int64 step, int32 epoch, int32 momentum-started, int64 Adam
 * step; float32 weights, running stats, alphas, momentum, Adam m, Adam v;
 * each sampler as sampler_save() writes it (data.h);
 * uint64 augmentation rng[4]; "DBSEND01". A shape mismatch names the key
 * that differs; a truncated or corrupt payload is refused; either way the
 * state is left as it was. search_save_state returns 0 or -1 (write error). */
int search_save_state(const Search *s, FILE *f);
/* The bytes search_save_state writes for this search (a checkpoint of any
 * other size does not belong to it). */
size_t search_state_bytes(const Search *s);
int search_load_state(Search *s, FILE *f, char *err, size_t errlen);

#endif
