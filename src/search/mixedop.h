/* mixedop: one edge of a search cell, sum_k w_k * op_k(x) over the 8 DARTS
 * ops (docs/ARCHITECTURE.md, Method: ops), internal to src/search.
 *
 * The ReLU of the edge input is computed once per cell state by the caller
 * and shared by every op that starts with one (sep/dil convs, the strided
 * skip's FactorizedReduce) on every edge leaving that state; likewise the
 * gradient with respect to that ReLU is gathered over all those edges and
 * taken through the ReLU once. Each op's output is added, weighted, into the
 * node it feeds. `none` is skipped: its output is zero, so it adds nothing to
 * the node, to the input gradient or to dL/dw_none.
 */
#ifndef DARTBOARD_MIXEDOP_H
#define DARTBOARD_MIXEDOP_H

#include "dartboard/genotype.h"
#include "netops.h"

/* The tasks of an edge: the ops, then DARTS-'s strided auxiliary skip. */
#define MIXEDOP_AUX OP_COUNT
#define MIXEDOP_TASKS (OP_COUNT + 1)

typedef struct MixedOp {
    int c, h, w, stride, ho, wo; /* c: the channels the ops see (c_full / pc_k) */
    /* PC-DARTS (remedy.h): the ops see the first c of the c_full input
     * channels, the rest bypass them (2x2 max-pooled when strided), and the
     * concatenation is channel-shuffled in pc_k groups. pc_k 1: off, c == c_full. */
    int c_full, pc_k;
    unsigned char *pc_arg; /* strided bypass: each output's argmax tap, 0..3 */
    Bn pool_bn[2];         /* max_pool_3x3, avg_pool_3x3 */
    FactRed skip;          /* skip_connect when stride 2 */
    SepDil conv[4];        /* sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5 */
    int aux;               /* DARTS-: + x->aux_beta * x, or * aux_skip(x) when stride 2 */
    FactRed aux_skip;
    /* The ops run on x->lanes threads at once, op k on lane lane_of[k];
     * bit t of the masks: lane t runs some op / a pool / a ReLU-reading op. */
    unsigned char lane_of[MIXEDOP_TASKS];
    unsigned lane_tasks, lane_pool, lane_relu;
    unsigned char *kinks; /* max_pool_3x3: each output's argmax tap, 0..8 (frozen kinks) */
} MixedOp;

/* aux: DARTS-'s auxiliary skip (supernet.h, SupernetSpec.aux_skip); pc_k:
 * PC-DARTS's partial channels (0 or 1: all channels; else it divides c). */
void mixedop_plan(Plan *p, MixedOp *m, int c, int h, int w, int stride, int aux, int pc_k);
/* acc (n, c, ho, wo) += sum_k weights[k] * op_k(in (n, c, h, w)) [+ x->aux_beta * the
 * auxiliary skip]; relu_in = ReLU(in). With partial channels, acc +=
 * shuffle(cat(sum_k weights[k] * op_k(in[:, :c/K]), bypass_w * bypass(in[:, c/K:]))),
 * bypass_w the edge's normalised weight (the op weights already hold it). */
void mixedop_forward(const Ctx *x, const MixedOp *m, float *acc, const float *in,
                     const float *relu_in, const float *weights, float bypass_w);
/* Given dout = dL/d acc: din += the gradient through the ops that read `in`
 * directly (pools, identity, the partial-channel bypass), drelu_in += the
 * gradient with respect to ReLU(in) of the others; dweights[k] += <dout,
 * op_k(in)> when x->want_dot (dweights[OP_NONE] stays: the none op's output
 * is zero), and with partial channels *dbypass += <dout, bypass(in)> (the
 * bypass's share of the edge weight's gradient). relu_in is read only for
 * weight gradients. din NULL: only the dots. */
void mixedop_backward(const Ctx *x, const MixedOp *m, float *din, float *drelu_in,
                      const float *dout, const float *in, const float *relu_in,
                      const float *weights, double *dweights, float bypass_w, double *dbypass);

#endif
