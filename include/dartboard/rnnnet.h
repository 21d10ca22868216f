/* rnnnet: the recurrent DARTS search network (language model), forward and
 * backward through time, for the weights and the alphas.
 *
 * The search model of the official rnn/model_search.py as the PyTorch
 * reference darts_rnn_ref.py implements it (docs/ARCHITECTURE.md, The PyTorch
 * reference):
 *   x_t  = E[w_t] * me[w_t] * mi                 embedding, tied with the decoder;
 *                                                me drops whole words, mi is locked
 *   s0   = BN(h + sigmoid(c0) * (tanh(h0) - h)),  [c0, h0] = [x_t * mx, h * mh] W0
 *   s_i  = BN(sum_{j<i} sum_{f != none} p[e, f] * (s_j + sigmoid(c) * (f(hh) - s_j))),
 *          [c, hh] = (s_j * mh) W_i,  p = softmax(alpha[e]) over all 5 ops
 *   h_t  = mean(s_1 .. s_8)                       the next hidden state
 *   logits = (h_t * mo) E^T + b                   locked output dropout mo
 *   loss = cross-entropy averaged over the T x B tokens
 *   total = loss + beta * mean((h_t - h_{t-1})^2)  over t = 1..T-1 (temporal activation
 *                                                  regularisation; none when T = 1)
 * BN is one affine-free BatchNorm shared by s0 and every node at every step: in training it
 * normalises over the batch at each call (biased variance, eps 1e-5) and moves its running
 * statistics (momentum 0.1, unbiased variance) 9 T times in order; in evaluation it uses
 * them. The masks mx, mh (per batch row), mi, mo (locked: one per batch row, the same at
 * every step) and me (per vocabulary row) are the caller's to draw (rnn_draw_masks) or set;
 * evaluation uses none.
 *
 * Memory is planned once for (bptt_max, batch, ntoken, ninp, nhid): forward and backward
 * allocate nothing. Products go to sgemm (OpenBLAS, one thread each) split over OpenMP
 * threads; every reduction sums in a fixed order, so a thread count gives the same bits
 * on every run.
 */
#ifndef DARTBOARD_RNNNET_H
#define DARTBOARD_RNNNET_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/arena.h"
#include "dartboard/rng.h"
#include "dartboard/rnn_genotype.h"

typedef struct RnnShape {
    int ntoken;   /* vocabulary */
    int ninp;     /* embedding size; equal to nhid (the decoder is tied) */
    int nhid;     /* hidden size */
    int batch;    /* sequences side by side */
    int bptt_max; /* the longest sequence a forward takes */
} RnnShape;

typedef struct RnnDropout {
    float output;    /* mo (official `dropout`, 0.75 in the search) */
    float hidden;    /* mh (`dropouth`, 0.25) */
    float cell_in;   /* mx (`dropoutx`, 0.75) */
    float input;     /* mi (`dropouti`, 0.2) */
    float embedding; /* me (`dropoute`, 0) */
} RnnDropout;

typedef struct RnnNet {
    RnnShape shape;
    /* Weights, one flat vector in the reference's weight_parameters() order:
     * encoder.weight (ntoken x ninp, also the decoder's), cell.W0
     * ((ninp + nhid) x 2 nhid), cell.Ws[0..7] (nhid x 2 nhid), decoder.bias (ntoken).
     * grad has the same layout. */
    float *weights, *grad;
    size_t nweights;
    float *embed, *w0, *ws[RNN_NODES], *bias;         /* views into weights */
    float *g_embed, *g_w0, *g_ws[RNN_NODES], *g_bias; /* views into grad */
    float alpha[RNN_EDGES * RNN_OP_COUNT];            /* raw architecture weights */
    float g_alpha[RNN_EDGES * RNN_OP_COUNT];
    float *bn_mean, *bn_var; /* running statistics (nhid each) */
    /* Masks, already scaled by 1/keep (1 where nothing is dropped). */
    float *mask_embed;        /* ntoken */
    float *mask_in, *mask_x;  /* batch x ninp */
    float *mask_h, *mask_out; /* batch x nhid */
    RnnDropout dropout;
    struct RnnWork *work; /* the planned buffers of a forward and its backward */
    Arena arena;
} RnnNet;

/* Plans and allocates a network (weights zero, masks one, running mean 0 and
 * variance 1, dropout the official search values). NULL with a message in err
 * on a bad shape or no memory. */
RnnNet *rnn_create(const RnnShape *shape, char *err, size_t errlen);
void rnn_free(RnnNet *net);
/* The reference's initialisation: embedding and cell weights U(-0.04, 0.04),
 * decoder bias 0, alpha 1e-3 N(0, 1), in parameter order, from `rng`. */
void rnn_init(RnnNet *net, Rng *rng);
/* Draws fresh masks for a training forward, in the reference's order:
 * embedding rows (if its dropout is on), input, mx, mh, output. */
void rnn_draw_masks(RnnNet *net, Rng *rng);

typedef struct RnnLoss {
    double loss;  /* cross-entropy, mean over the tokens */
    double total; /* loss + the activation regularisation (what backward differentiates) */
} RnnLoss;

/* One forward over T <= bptt_max steps of `batch` sequences: words and
 * targets are T x batch (time major), ids below ntoken. h0 (batch x nhid) is
 * the hidden state carried from the previous batch; the last hidden state is
 * written to h_next (may be h0: it is copied first). training = 1 uses the
 * masks and batch statistics (and moves the running ones); 0 is evaluation.
 * beta weighs the temporal activation regularisation. A T outside
 * 1..bptt_max or an id outside 0..ntoken-1 returns NaN losses and computes
 * nothing (the corpus reader is where a bad token is reported). */
RnnLoss rnn_forward(RnnNet *net, const int32_t *words, const int32_t *targets, int T,
                    const float *h0, float *h_next, int training, float beta);
/* Backward of the last forward, once: the gradient of its `total` into grad
 * (when want_weights) and g_alpha (when want_alpha), both overwritten.
 * Returns -1 (and does nothing) when there is no training forward to take back. */
int rnn_backward(RnnNet *net, int want_weights, int want_alpha);
/* softmax(alpha) row by row into out (RNN_EDGES x RNN_OP_COUNT). */
void rnn_alpha_softmax(const RnnNet *net, float *out);
/* The cell derived from the current alphas. */
void rnn_derive(const RnnNet *net, RnnGenotype *g);

#endif
