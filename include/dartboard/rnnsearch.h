/* rnnsearch: the recurrent DARTS search (a language-model cell) on a text
 * corpus, the loop of the official rnn/train_search.py and rnn/architect.py
 * (docs/ARCHITECTURE.md, Method: the recurrent search).
 *
 * An RnnSearch owns the search network (rnnnet.h), its evaluation twin (batch
 * 10, the official eval_batch_size), the batchified train and valid splits,
 * the hidden states carried across windows, Adam's state on the alphas and
 * one RNG (sequence lengths and dropout masks). rnnsearch_step() runs one
 * step: the window's seq_len (bptt, or bptt / 2 with probability 0.05), the
 * lr scaled by seq_len / bptt, an alpha step on the valid window at
 * i % (valid rows - 1) (order 1: first order, 2: the unrolled
 * finite-difference scheme, 0: none), then a weight step: SGD without
 * momentum, weight decay, the gradient clipped to optim.grad_clip, the loss
 * with the temporal activation regularisation rnn.tar. An epoch is one pass
 * over the train rows; the hidden states start at zero with every epoch.
 *
 * Hyperparameters (lr, clip, dropouts, tar, the arch.* keys) are read from
 * the Config at every step. A step allocates nothing. A step whose loss,
 * gradient or new weights are not finite is undone whole and refused.
 */
#ifndef DARTBOARD_RNNSEARCH_H
#define DARTBOARD_RNNSEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config_types.h"
#include "dartboard/corpus.h"
#include "dartboard/rnnnet.h"

#define RNNSEARCH_EVAL_BATCH 10 /* the official eval_batch_size */

typedef struct RnnStepStats {
    double train_loss; /* cross-entropy of the weight window (without the regularisation) */
    double val_loss;   /* of the alpha window (order 1: at w; order 2: at w'); 0 for order 0 */
    int seq_len;       /* rows of the weight window */
    int64_t tokens;    /* tokens the weight window trained on (seq_len x batch) */
    float lr;          /* the weight lr this step used (optim.lr x seq_len / bptt) */
    int alpha_step;    /* 1 when the alphas were updated */
    int new_epoch;     /* the step ended an epoch */
    double grad_norm;  /* weight-gradient norm before the clip */
} RnnStepStats;

typedef struct RnnSearch RnnSearch;

/* Plans the networks for (vocabulary, rnn.size, data.batch_size, rnn.bptt),
 * batchifies the splits and initialises from run.seed. The train split needs
 * more than bptt + 1 rows and the valid split at least bptt + 1 at the batch
 * size: else -1 + err naming the split's file. */
RnnSearch *rnnsearch_create(const Config *cfg, const Corpus *corpus, char *err, size_t errlen);
void rnnsearch_free(RnnSearch *s);
RnnNet *rnnsearch_net(RnnSearch *s);

int64_t rnnsearch_step_count(const RnnSearch *s);
int rnnsearch_epoch(const RnnSearch *s);        /* epoch of the next step, from 0 */
int64_t rnnsearch_position(const RnnSearch *s); /* train row the next window starts at */
int64_t rnnsearch_train_rows(const RnnSearch *s);
/* Steps an epoch takes on average: the windows of (train rows - 2) / mean seq_len. */
double rnnsearch_steps_per_epoch(const RnnSearch *s, const Config *cfg);

/* One step. 0, or -1 + err when a loss, gradient or weight is not finite:
 * then everything the step changed (weights, alphas, Adam, running
 * statistics, hidden states, position, RNG) is as before it. */
int rnnsearch_step(RnnSearch *s, const Config *cfg, RnnStepStats *st, char *err, size_t errlen);

/* Mean cross-entropy per token of the first `tokens` tokens of the valid
 * split (all when tokens <= 0 or more), batchified at RNNSEARCH_EVAL_BATCH,
 * windows of rnn.bptt, evaluation mode; the training state is untouched. */
double rnnsearch_evaluate(RnnSearch *s, int64_t tokens);

/* softmax(alpha), RNN_EDGES x RNN_OP_COUNT; the cell derived from it. */
void rnnsearch_alpha_weights(const RnnSearch *s, float *w);
void rnnsearch_genotype(const RnnSearch *s, RnnGenotype *g);

/* Checkpoint payload, little-endian (le.h): "DBRNNSRC", uint32 version (1);
 * the shape as 7 int64 (ntoken, size, batch, bptt, weight count, train rows,
 * valid rows); int64 step, int64 position, int32 epoch, int32 zero, int64
 * Adam step; uint64 rng[4]; float32 weights, alphas, BN running mean and
 * variance, Adam m, Adam v, the train and valid hidden states; "DBSEND01".
 * Load refuses another shape (naming the key), a truncated or corrupt
 * payload or a position past the split, and then changes nothing. */
int rnnsearch_save_state(const RnnSearch *s, FILE *f);
size_t rnnsearch_state_bytes(const RnnSearch *s);
int rnnsearch_load_state(RnnSearch *s, FILE *f, char *err, size_t errlen);

#endif
