/* supernet: the DARTS search network (docs/ARCHITECTURE.md, Method: ops, and
 * Method: cell and supernet), forward and backward.
 *
 * Stem conv3x3 + BN(affine), `layers` cells (reductions at layers/3 and
 * 2*layers/3), global average pool, linear classifier. Every edge of every
 * cell is a MixedOp over the 8 ops, weighted by softmax of the shared alphas.
 *
 * Memory is planned once for a maximum batch: supernet_create() measures the
 * arena, allocates it, and nothing in forward/backward allocates.
 *
 * Parameters live in one flat vector in the order of PyTorch's
 * model.parameters() for the SearchNetwork of the PyTorch reference, so
 * fixtures and checkpoints are one contiguous block. The BN running
 * statistics are another flat vector (mean then var for each BN, module
 * order). Alphas are [2][edges][OP_COUNT]: normal, then reduce; with
 * edge_norm the betas [2][edges] follow them in the same vector.
 */
#ifndef DARTBOARD_SUPERNET_H
#define DARTBOARD_SUPERNET_H

#include <stddef.h>

#include "dartboard/rng.h"

typedef struct SupernetSpec {
    int in_channels, image_size, classes;
    int init_channels, layers, nodes, stem_multiplier;
    int batch; /* the largest batch forward() will see */
    /* Threads that run the ops of an edge side by side (results depend on
     * this number only); 0: the OpenMP thread count at creation, at most 4. */
    int lanes;
    /* DARTS- (remedy.h): every mixed op gets an auxiliary skip, beta * x
     * (stride 1) or beta * FactorizedReduce(x) (stride 2, its own weights,
     * planned after the op's eight ops). 0: none, and the layout of before. */
    int aux_skip;
    /* Fair DARTS (remedy.h): op weights sigmoid(alpha), none 0; 0: softmax. */
    int sigmoid;
    /* PC-DARTS (remedy.h): K >= 2: each mixed op sees 1/K of the channels
     * (K divides init_channels; ops planned with C/K channels, so fewer
     * weights); 0 or 1: all of them, the layout of before. */
    int pc_k;
    /* PC-DARTS's edge normalisation: 2 * edges more architecture
     * parameters (betas) after the alphas; each edge's output is multiplied
     * by the softmax of the betas over its node's incoming edges. */
    int edge_norm;
    /* 1: also plan the ReLU masks and max-pool argmaxes that
     * supernet_set_kinks() records and replays (the collapse monitor's
     * Hessian-vector products, hessian.h); 0: no memory for them. */
    int frozen_kinks;
} SupernetSpec;

typedef enum SupernetMode {
    SUPERNET_TRAIN,        /* batch statistics; running statistics updated */
    SUPERNET_TRAIN_FROZEN, /* batch statistics; running statistics untouched */
    SUPERNET_EVAL          /* running statistics; no backward possible */
} SupernetMode;

typedef struct Supernet Supernet;

Supernet *supernet_create(const SupernetSpec *spec, char *err, size_t errlen);
void supernet_free(Supernet *net);

size_t supernet_weight_count(const Supernet *net);
float *supernet_weights(Supernet *net);
float *supernet_weight_grads(Supernet *net);
size_t supernet_running_count(const Supernet *net);
float *supernet_running_stats(Supernet *net);
int supernet_edges(const Supernet *net); /* per cell kind */
/* The architecture parameters: the alphas (2 * edges * OP_COUNT: normal,
 * then reduce), then with spec.edge_norm the betas (2 * edges: normal, then
 * reduce); supernet_arch_count() of them, and as many gradients. */
size_t supernet_arch_count(const Supernet *net);
float *supernet_alphas(Supernet *net);
float *supernet_alpha_grads(Supernet *net);
/* The op weights the cells use: softmax(alpha) (Fair DARTS: sigmoid), times
 * the edge's normalised beta with spec.edge_norm, edges x OP_COUNT each.
 * Derivation ranks these (PC-DARTS's genotype parsing). */
void supernet_op_weights(const Supernet *net, float *normal, float *reduce);

/* Where the ReLUs and max pools of the next forwards and backwards take
 * their kinks from. Autograd's double backward (the exact Hessian-vector
 * product) treats every ReLU mask and max-pool argmax as a constant; so does
 * a difference of two gradients taken with SUPERNET_KINKS_FROZEN, which makes
 * the network a smooth function of the alphas around the recorded point.
 *   LIVE:   their own (the default, what training uses)
 *   RECORD: their own, saved (forwards only)
 *   FROZEN: the saved ones; backward gives alpha gradients only
 * RECORD and FROZEN need spec.frozen_kinks. */
typedef enum SupernetKinks {
    SUPERNET_KINKS_LIVE,
    SUPERNET_KINKS_RECORD,
    SUPERNET_KINKS_FROZEN
} SupernetKinks;
void supernet_set_kinks(Supernet *net, SupernetKinks kinks);

/* PyTorch's default init (kaiming-uniform conv/linear, BN weight 1 bias 0,
 * running mean 0 var 1), drawn from rng; alphas 1e-3 * N(0, 1), then the
 * betas likewise. */
void supernet_init(Supernet *net, Rng *rng);

/* SDARTS-RS (remedy.h): offset (2 * edges * OP_COUNT, kept by pointer) is
 * added to softmax(alphas) by every forward until it is cleared with NULL;
 * the backward uses the weights its forward used. */
void supernet_set_mix_offset(Supernet *net, const float *offset);

/* DARTS-: the auxiliary skip's beta for the next forwards (spec.aux_skip;
 * 0 until set); the backward uses its forward's. */
void supernet_set_aux_beta(Supernet *net, float beta);

/* Forward a batch x (n, in_channels, image_size, image_size), n <= spec.batch.
 * Returns the mean cross-entropy; *correct gets the top-1 hits (may be NULL).
 * logits (n x classes) may be NULL. */
float supernet_forward(Supernet *net, const float *x, const int *labels, int n, SupernetMode mode,
                       int *correct, float *logits);
/* Backward of the last forward (mode must not be EVAL). Zeroes both the
 * weight and the alpha gradients, then fills the wanted ones; skipping either
 * skips its work (want_weight_grads = 0: no weight-gradient kernel runs;
 * want_alpha_grads = 0: no alpha dot product). */
void supernet_backward(Supernet *net, int want_weight_grads, int want_alpha_grads);

#endif
