/* rnntrain: a derived recurrent cell trained from scratch (the second phase
 * of DARTS for the language model, the official rnn/train.py), one SGD step
 * at a time.
 *
 * The RnnTrainer owns the model of the cell (rnnmodel.h) at three batch
 * sizes (data.batch_size for training; 10 for the valid split and 1 for the
 * test split, as train.py's eval_batch_size and test_batch_size), the
 * weights and their gradient, the ASGD average, the best weights so far,
 * the hidden state carried between windows, the batchified splits and one
 * random generator (weights, then per step the sequence length and the
 * masks). The corpus must outlive the trainer.
 *
 * An epoch walks the training split as train.py does: while i < nbatch - 2,
 * seq_len = corpus_bptt_draw(rng, rnn.bptt, 20) (bptt, halved with
 * probability 0.05, then N(that, 5), at least 5), the window at row i,
 * i += seq_len; the hidden state starts at zero each epoch and is carried
 * (detached) between windows. Per step: masks drawn, loss = cross-entropy +
 * rnn.tar * TAR, gradient clipped to optim.grad_clip (global norm), then
 * with lr = optim.lr * seq_len / rnn.bptt:
 *   SGD:  w -= lr (g + wd w)                               (optim.weight_decay)
 *   ASGD: torch.optim.ASGD(t0 = 0, lambd = 0): w -= eta (g + wd w), where eta
 *         is the lr of the PREVIOUS step (the first: this one's), as PyTorch
 *         keeps state['eta'] from the last step; ax = w at the first two
 *         steps, then ax += (w - ax) / (k - 1) at step k: the mean of w over
 *         steps 2..k.
 * At the end of an epoch (rnn_trainer_end_epoch) the valid split is
 * evaluated, with ax once ASGD is on (train.py swaps ax in); a better loss
 * keeps those weights as the best; before ASGD, the switch happens when
 * rnn.nonmono > 0, more than nonmono losses are recorded and this one is
 * worse than the best of all but the last nonmono (train.py's condition),
 * and the loss is recorded. The test split is evaluated on the best weights
 * (train.py reloads the best saved model).
 *
 * Evaluation is train.py's evaluate(): windows of rnn.bptt from row 0,
 * the hidden state carried, sum of window mean losses x window length,
 * divided by the split's rows (nbatch).
 *
 * No allocation inside rnn_trainer_step or the evaluations; the same seed
 * gives the same bits for a thread count; save/load restore the whole state
 * (ASGD average and whether it switched included) bit-exactly.
 */
#ifndef DARTBOARD_RNNTRAIN_H
#define DARTBOARD_RNNTRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config_types.h"
#include "dartboard/corpus.h"
#include "dartboard/rnn_genotype.h"

#define RNN_TRAIN_EVAL_BATCH 10  /* train.py's eval_batch_size */
#define RNN_TRAIN_TEST_BATCH 1   /* train.py's test_batch_size */
#define RNN_TRAIN_MAX_DELTA 20   /* train.py's max_seq_len_delta */
#define RNN_TRAIN_HISTORY 100000 /* validation losses kept (run.epochs at most) */

typedef struct RnnTrainStats {
    double loss;     /* cross-entropy of the window (without TAR) */
    double total;    /* with TAR */
    float lr;        /* lr = optim.lr * seq_len / bptt of this step */
    float grad_norm; /* before clipping */
    int seq_len;     /* drawn; the window may be shorter at the split's end */
    int tokens;      /* window length x batch */
    int asgd;        /* this step was an ASGD step */
    int epoch_done;  /* this step ended the epoch: call rnn_trainer_end_epoch */
} RnnTrainStats;

typedef struct RnnTrainer RnnTrainer;

/* Builds the model for the corpus's vocabulary, rnn.size, data.batch_size,
 * rnn.bptt (+ RNN_TRAIN_MAX_DELTA), the dropouts, and initialises it from
 * run.seed. NULL + err when the genotype is not a derived recurrent cell,
 * a split is too short (training: one window of rnn.bptt; valid and test:
 * two rows at their batch) or memory runs out. */
RnnTrainer *rnn_trainer_create(const Config *cfg, const RnnGenotype *g, const Corpus *corpus,
                               char *err, size_t errlen);
void rnn_trainer_free(RnnTrainer *t);

int64_t rnn_trainer_step_count(const RnnTrainer *t);
int rnn_trainer_epoch(const RnnTrainer *t); /* epochs done = the epoch of the next step, from 0 */
int rnn_trainer_asgd(const RnnTrainer *t);  /* averaging is on */
size_t rnn_trainer_param_count(const RnnTrainer *t);
/* Rows of the batchified training split (an epoch covers nbatch - 2 of them). */
int64_t rnn_trainer_train_rows(const RnnTrainer *t);
/* How much of the epoch under way is done, in [0, 1): its rows trained over
 * the rows an epoch covers (the windows' lengths vary, their count too). */
double rnn_trainer_epoch_fraction(const RnnTrainer *t);
/* The best validation loss so far (INFINITY before the first epoch ends). */
double rnn_trainer_best_val_loss(const RnnTrainer *t);

/* One step. Dropouts, TAR, lr, weight decay and clip are read from cfg.
 * 0, or -1 + err when the loss or the gradient is not finite (the state is
 * then left as before the step). */
int rnn_trainer_step(RnnTrainer *t, const Config *cfg, RnnTrainStats *st, char *err, size_t errlen);
/* After the step that ended an epoch: the valid split's loss into *val_loss,
 * the best weights and the switch to ASGD as described above; *switched = 1
 * when it switched now. */
void rnn_trainer_end_epoch(RnnTrainer *t, const Config *cfg, double *val_loss, int *switched);
/* The test split's mean loss on the best weights (the current ones, averaged
 * under ASGD, when no epoch has ended). */
double rnn_trainer_test(RnnTrainer *t);
/* The valid split's loss at the weights evaluation uses now (ax under ASGD). */
double rnn_trainer_valid(RnnTrainer *t);

/* The whole state as a little-endian block: 0 or -1 on write error. */
int rnn_trainer_save_state(const RnnTrainer *t, FILE *f);
/* The largest block this trainer can save (its history of losses varies). */
size_t rnn_trainer_state_bytes_max(const RnnTrainer *t);
/* -1 + err when the block does not belong to this network and data; the
 * trainer is unchanged then. */
int rnn_trainer_load_state(RnnTrainer *t, FILE *f, char *err, size_t errlen);

/* Test hooks: the flat weights (model.parameters() order, rnnmodel.h) and
 * the ASGD average; the model used for training steps (its masks may be set
 * by a test, see rnn_trainer_step_fixed). */
float *rnn_trainer_weights(RnnTrainer *t);
const float *rnn_trainer_average(const RnnTrainer *t);
struct RnnModel *rnn_trainer_model(RnnTrainer *t);
/* A step on a given window with the model's masks as they are (nothing
 * drawn): words, targets seq_len x batch. For the PyTorch comparison. */
int rnn_trainer_step_fixed(RnnTrainer *t, const Config *cfg, const int32_t *words,
                           const int32_t *targets, int seq_len, RnnTrainStats *st, char *err,
                           size_t errlen);
/* Turns averaging on now (as the end of an epoch would). */
void rnn_trainer_switch_asgd(RnnTrainer *t);

#endif
