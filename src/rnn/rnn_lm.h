/* rnn_lm: the language model around a recurrent cell, the same in the search
 * network (rnnnet.c) and the derived cell's model (rnnmodel.c): the weight
 * layout, the dropout masks, the embedding, s0 = h + sigmoid(c0) (tanh(h0) - h)
 * with the W0 products, the tied decoder with its loss and the activation
 * regulariser (TAR), and their backwards. Only the eight nodes differ (a
 * softmax-weighted sum of ops with BatchNorm in the search, one op each in a
 * derived cell), so those stay in their files. Private to src/rnn. */
#ifndef DARTBOARD_RNN_LM_H
#define DARTBOARD_RNN_LM_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/arena.h"
#include "dartboard/config_types.h"
#include "dartboard/rng.h"
#include "dartboard/rnnnet.h"

/* Views into the flat weight (or gradient) vector, in the official
 * model.parameters() order: encoder.weight (ntoken x ninp, the decoder's
 * too), W0 ((ninp + nhid) x 2 nhid), W1..W8 (nhid x 2 nhid), decoder.bias. */
typedef struct RnnWeights {
    float *embed, *w0, *ws[RNN_NODES], *bias;
} RnnWeights;

size_t rnn_lm_weight_count(int ntoken, int ninp, int nhid);
/* p keeps the caller's constness: a const vector gets only read through. */
RnnWeights rnn_lm_weights(const RnnShape *s, const float *p);
/* The official initialisation: U(-0.04, 0.04) in parameter order, bias 0. */
void rnn_lm_init_weights(const RnnShape *s, float *weights, Rng *rng);

/* The five masks (rnnnet.h), already scaled by 1/keep. */
typedef struct RnnMasks {
    float *embed, *in, *x, *h, *out;
} RnnMasks;

RnnMasks rnn_masks_plan(const RnnShape *s, Arena *a);
void rnn_masks_set_one(const RnnMasks *mk, const RnnShape *s);
/* In the official order: embedding rows, input, mx, mh, output. */
void rnn_masks_draw(const RnnMasks *mk, const RnnShape *s, const RnnDropout *d, Rng *rng);
/* The rates of the rnn.dropout* keys. */
RnnDropout rnn_dropout_from_config(const Config *cfg);

/* What one forward keeps for its backward, and the masks of evaluation. */
typedef struct RnnLmWork {
    int T, training, valid;
    float beta;
    int32_t *words, *targets; /* T x B */
    float *probs;             /* T B x V: the decoder's softmax, then its gradient */
    double *nll;              /* T B: per-token loss, summed in order */
    float *xh;                /* T B x (ninp + nhid): [x mx, h_{t-1} mh] */
    float *ch0;               /* T B x 2 nhid: [c0, h0] */
    float *hs;                /* (T + 1) B x nhid: h_0 (carried in), h_1 .. h_T */
    float *drop;              /* T B x nhid: h_t mo, the decoder input */
    float *dh;                /* B x nhid: gradient into h_t from step t + 1 (trainable) */
    float *dout;              /* T B x nhid: gradient of the outputs h_1 .. h_T (trainable) */
    float *dch0;              /* T B x 2 nhid (trainable) */
    float *dx;                /* T B x ninp: gradient of x mx (trainable) */
    float *ones;              /* max(ntoken, batch x ninp) ones: the masks of evaluation */
} RnnLmWork;

void rnn_lm_plan(RnnLmWork *w, const RnnShape *s, int trainable, Arena *a);
/* After the real plan: the ones. */
void rnn_lm_init(RnnLmWork *w, const RnnShape *s);

/* The start of a forward: -1 (and nothing kept) on a bad T or id, else the
 * inputs and h0 kept, then x mx = E[w] me[w] mi mx into the input half of xh
 * and [c0, h0] of every step from it (the recurrent half comes per step). */
int rnn_lm_forward_begin(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const RnnMasks *mk,
                         const int32_t *words, const int32_t *targets, int T, const float *h0,
                         int training, float beta);
/* Step t's s0 (B x nhid, before any BN) from h_t: the recurrent half of
 * [c0, h0] += (h mh) W0h, then its rows. */
void rnn_lm_s0_forward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const float *mh, int t,
                       float *s0);
/* After the cell: the output dropout, the decoder's softmax, the mean loss,
 * the total with TAR, and the last hidden state into h_next. */
RnnLoss rnn_lm_forward_end(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const RnnMasks *mk,
                           float *h_next);

/* The gradient of the total loss with respect to h_1 .. h_T (dout) and, with
 * g != NULL, to the decoder bias and the decoder's use of the embedding. */
void rnn_lm_decoder_backward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v,
                             const RnnMasks *mk, RnnWeights *g);
/* Step t's s0 backward from ds (its gradient before any BN): dch0 of the
 * step, and dh = the direct part plus (dch0 W0h^T) mh (scratch: B x nhid). */
void rnn_lm_s0_backward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const float *mh,
                        int t, const float *ds, float *scratch);
/* After the steps: W0's gradient and the embedding rows' share of it. */
void rnn_lm_input_backward(RnnLmWork *w, const RnnShape *s, const RnnWeights *v, const RnnMasks *mk,
                           RnnWeights *g);

#endif
