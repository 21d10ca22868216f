/* evalnet: the DARTS evaluation network (NetworkCIFAR of the official
 * cnn/model.py) for a derived genotype, with forward and backward.
 *
 * Stem 3x3 conv -> stem_multiplier*C channels + affine BN; `layers` cells,
 * reductions at layers/3 and 2*layers/3 (channels double, maps halve); each
 * cell preprocesses s0 with FactorizedReduce after a reduction cell, else
 * ReLU-1x1 conv-BN, and s1 with ReLU-1x1 conv-BN; node i sums the genotype's
 * two ops on its inputs (stride 2 on s0/s1 in a reduction cell); the output
 * concatenates the genotype's concat states. Ops: sep_conv (two ReLU-dw-pw-BN
 * blocks), dil_conv (one), max/avg 3x3 pools (no BN, average without the
 * padding), skip (identity, or FactorizedReduce when strided); every BN is
 * affine. Global average pool + linear. The auxiliary head after cell
 * 2*layers/3 (ReLU, 5x5 average pool stride 3, or 2 on maps under 8x8,
 * 1x1 conv 128 + BN + ReLU, 2x2 conv 768 + BN + ReLU, linear) runs in
 * training mode only. Drop-path scales every non-identity op output per
 * image while training: drop_scale[op][image] = mask / keep, which the
 * caller draws (the trainer from its Rng, tests from a fixture).
 *
 * Parameters are one flat vector in PyTorch's model.parameters() order
 * (stem, cells, auxiliary head, classifier), running statistics another
 * (mean then variance of each BN, module order). Memory is planned once;
 * forward and backward allocate nothing.
 */
#ifndef DARTBOARD_EVALNET_H
#define DARTBOARD_EVALNET_H

#include <stddef.h>

#include "dartboard/balance.h"
#include "dartboard/genotype.h"
#include "dartboard/profile.h"
#include "dartboard/rng.h"

/* Which cells keep the BN inputs of their sep_convs and dil_convs from the
 * forward for the backward, where the others run that forward again: the
 * same bits either way, memory against time. By default the cells from the
 * first reduction on: the time a kept byte saves grows with the channels
 * (a 1x1 convolution's work per element), which double there, while the
 * cells before it have the largest maps. */
typedef enum EvalKeep { EVAL_KEEP_DEEP, EVAL_KEEP_NONE, EVAL_KEEP_ALL } EvalKeep;

typedef struct EvalSpec {
    int in_channels, height, width, classes;
    int init_channels, layers, stem_multiplier;
    int auxiliary; /* build the auxiliary head */
    int batch;     /* largest batch of a forward */
    EvalKeep keep;
} EvalSpec;

typedef enum EvalMode {
    EVAL_TRAIN,        /* batch statistics, running statistics updated, aux head, drop-path */
    EVAL_TRAIN_FROZEN, /* the same with the running statistics untouched (gradient checks) */
    EVAL_TEST          /* running statistics, no aux head, no drop-path */
} EvalMode;

typedef struct EvalNet EvalNet;

/* NULL + err when the genotype or the shape does not fit (an op outside the
 * space, an input out of range, a FactorizedReduce on an odd map, an
 * auxiliary head whose pooled map is not 2x2) or memory runs out. */
EvalNet *evalnet_create(const EvalSpec *spec, const Genotype *g, char *err, size_t errlen);
/* The counts without building: weights (with and without the auxiliary
 * head) and the bytes of the activation arena. 0, or -1 + err as create. */
int evalnet_measure(const EvalSpec *spec, const Genotype *g, size_t *weights,
                    size_t *weights_no_aux, size_t *arena_bytes, char *err, size_t errlen);
void evalnet_free(EvalNet *net);

size_t evalnet_weight_count(const EvalNet *net);
size_t evalnet_aux_weight_count(const EvalNet *net); /* of the auxiliary head (0 without) */
size_t evalnet_running_count(const EvalNet *net);
size_t evalnet_arena_bytes(const EvalNet *net);
float *evalnet_weights(EvalNet *net);
float *evalnet_grads(EvalNet *net);
float *evalnet_running(EvalNet *net);
/* Ops that drop-path applies to (the non-identity ops, cell by cell, in the
 * genotype's order), and their per-image scales [drop_ops][batch]. */
int evalnet_drop_ops(const EvalNet *net);
float *evalnet_drop_scales(EvalNet *net);
int evalnet_classes(const EvalNet *net);

/* PyTorch's default initialisation from rng in parameter order (conv and
 * linear U(-1/sqrt(fan_in), 1/sqrt(fan_in)), BN weight 1 and bias 0),
 * running means 0 and variances 1. */
void evalnet_init(EvalNet *net, Rng *rng);

/* Forward of n <= batch images x (n, in_channels, height, width); drop_path:
 * apply evalnet_drop_scales (training modes only). Logits (n, classes) and,
 * in the training modes with the head, auxiliary logits. */
void evalnet_forward(EvalNet *net, const float *x, int n, EvalMode mode, int drop_path);
const float *evalnet_logits(const EvalNet *net);
const float *evalnet_aux_logits(const EvalNet *net); /* NULL without the head */

/* Cross-entropy of the last forward against y: the main loss (and correct
 * top-1 count), the auxiliary loss in *aux (0 without). */
float evalnet_loss(EvalNet *net, const int *y, int *correct, float *aux);
/* Gradient (written, not accumulated) of main + aux_weight * aux loss with
 * respect to every weight, after a training-mode forward and evalnet_loss. */
void evalnet_backward(EvalNet *net, const int *y, float aux_weight);

/* The split of the fused blocks' image groups between the threads
 * (balance.h): it follows their speeds, and which thread runs a group
 * changes no bit (a test moves it to see). */
Balance *evalnet_group_balance(EvalNet *net);

/* Where the cells' time goes (`dartboard bench --train --profile`): while
 * the profile is on (profile.h), each cell's forward and backward charge
 * what their kernels charged, and their wall time, to the cell as well. */
typedef struct EvalCellProfile {
    int c, h, w;    /* its channels and its output's map */
    int reduction;  /* a reduction cell */
    double wall;    /* seconds in its forward and backward */
    ProfTotals fam; /* the op families' totals inside them */
} EvalCellProfile;
/* Cell k's (0 .. layers - 1) since the last clear. */
void evalnet_cell_profile(const EvalNet *net, int k, EvalCellProfile *p);
void evalnet_cell_profile_clear(EvalNet *net);

#endif
