/* search: the DARTS bilevel search (DESIGN.md 3.3-3.6) on a dataset.
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

#include "dartboard/config.h"
#include "dartboard/data.h"
#include "dartboard/genotype.h"
#include "dartboard/supernet.h"

typedef struct StepStats {
    float train_loss, val_loss; /* the weight-step batch, the alpha-step batch */
    int train_correct, val_correct, batch;
    float lr;                   /* weight lr used by this step */
    int new_epoch;              /* this step started an epoch */
} StepStats;

typedef struct Search Search;

/* train: the dataset whose training split is cut in two (cfg->data.train_portion). */
Search *search_create(const Config *cfg, const Dataset *train, char *err, size_t errlen);
void search_free(Search *s);
Supernet *search_net(Search *s);

int64_t search_step_count(const Search *s); /* steps done */
int search_epoch(const Search *s);          /* current epoch, from 0 */
int search_steps_per_epoch(const Search *s);
/* The weight lr of the next step: cosine from optim.lr to optim.lr_min over run.epochs. */
float search_current_lr(const Search *s);

/* One step with the hyperparameters in cfg. Returns 0, or -1 with err when
 * a loss is not finite (the state is then unchanged since the last step). */
int search_step(Search *s, const Config *cfg, StepStats *st, char *err, size_t errlen);

/* Loss and accuracy (%) of `samples` images of the alpha split, evaluation-mode BN. */
void search_evaluate(Search *s, int samples, float *loss, float *acc);

/* Softmaxed alphas, edges x OP_COUNT each. */
void search_alpha_weights(const Search *s, float *normal, float *reduce);
void search_genotype(const Search *s, Genotype *g);

/* Checkpoint payload: weights, running stats, alphas, optimizer state,
 * samplers, RNG, step. Load refuses (returns -1 + err) a payload from a
 * different network shape. */
int search_save_state(const Search *s, FILE *f);
int search_load_state(Search *s, FILE *f, char *err, size_t errlen);

#endif
