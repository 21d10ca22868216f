/* rnnmodel: the language model of a DERIVED recurrent cell (the official
 * rnn/model.py, RNNModel with DARTSCell for a given genotype), forward and
 * backward through time, for training it from scratch (rnntrain.h).
 *
 *   x_t  = E[w_t] * me[w_t] * mi                 embedding, tied with the decoder;
 *                                                me drops whole words, mi is locked
 *   s0   = h + sigmoid(c0) * (tanh(h0) - h),     [c0, h0] = [x_t * mx, h * mh] W0
 *   s_i  = s_p + sigmoid(c) * (f_i(hh) - s_p),   [c, hh] = (s_p * mh) W_i,
 *          p = the genotype's predecessor of node i, f_i its op (tanh, relu,
 *          sigmoid, identity)
 *   h_t  = mean of the states in the genotype's concat (range(1, 9))
 *   logits = (h_t * mo) E^T + b,  loss = cross-entropy averaged over T x B tokens
 *   total = loss + beta * mean((h_t - h_{t-1})^2)  (TAR, over t = 1..T-1)
 * Unlike the search cell there is no BatchNorm and no alpha. The masks are
 * those of rnnnet.h (already scaled by 1/keep), drawn by rnn_model_draw_masks
 * in the official order (embedding rows, input, mx, mh, output) or set by the
 * caller; evaluation uses none.
 *
 * The weights are not the model's: every call takes the flat vector (so a
 * trainer can evaluate its averaged or best copy with the same model), in
 * the official model.parameters() order: encoder.weight (ntoken x ninp, the
 * decoder's too), rnns.0._W0 ((ninp + nhid) x 2 nhid), rnns.0._Ws.0..7
 * (nhid x 2 nhid), decoder.bias (ntoken). Memory is planned once for
 * (bptt_max, batch, ntoken, ninp, nhid); forward and backward allocate
 * nothing. A thread count gives the same bits on every run.
 */
#ifndef DARTBOARD_RNNMODEL_H
#define DARTBOARD_RNNMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/arena.h"
#include "dartboard/rng.h"
#include "dartboard/rnn_genotype.h"
#include "dartboard/rnnnet.h" /* RnnShape, RnnDropout, RnnLoss */

typedef struct RnnModel {
    RnnShape shape;
    RnnGenotype genotype;
    int trainable; /* planned for a backward (an evaluation-only model is smaller) */
    size_t nweights;
    /* Masks, already scaled by 1/keep (1 where nothing is dropped). */
    float *mask_embed;        /* ntoken */
    float *mask_in, *mask_x;  /* batch x ninp */
    float *mask_h, *mask_out; /* batch x nhid */
    RnnDropout dropout;
    struct RnnModelWork *work;
    Arena arena;
} RnnModel;

/* Weights of a model of this size. */
size_t rnn_model_weight_count(int ntoken, int ninp, int nhid);
/* NULL + err on a bad shape (ninp = nhid, batch >= 1), a genotype whose op
 * is none or unknown, a predecessor not before its node, an empty concat or
 * a concat state out of 1..8, or no memory. Dropout all 0 until set. */
RnnModel *rnn_model_create(const RnnShape *shape, const RnnGenotype *g, int trainable, char *err,
                           size_t errlen);
void rnn_model_free(RnnModel *m);
/* The official initialisation: every weight U(-0.04, 0.04) in parameter
 * order, the decoder bias 0. */
void rnn_model_init_weights(const RnnShape *shape, float *weights, Rng *rng);
void rnn_model_draw_masks(RnnModel *m, Rng *rng);

/* One forward over 1 <= T <= bptt_max steps (words, targets T x batch, time
 * major), from the hidden state h0 (batch x nhid); the last hidden state into
 * h_next (may be h0). training = 1 uses the masks and keeps what the
 * backward needs (a trainable model only). A bad T or id returns NaN losses
 * and computes nothing. */
RnnLoss rnn_model_forward(RnnModel *m, const float *weights, const int32_t *words,
                          const int32_t *targets, int T, const float *h0, float *h_next,
                          int training, float beta);
/* The gradient of the last training forward's `total` into grad
 * (overwritten), with the same weights. -1 when there is none. */
int rnn_model_backward(RnnModel *m, const float *weights, float *grad);

#endif
