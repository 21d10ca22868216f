/* remedy: the follow-up papers' remedies against DARTS collapse (issue 13),
 * as pure functions of the configuration, the epoch and the alphas; the
 * search (search.c) calls them at the points of its step they belong to.
 * Each is off (its key 0) by default, and off it changes nothing.
 *
 * beta-DARTS (Ye et al., CVPR 2022), remedy.beta_lambda: the alpha loss
 * gets lambda * (mean over the normal edges of logsumexp(alpha_e) + the same
 * over the reduce edges), lambda ramped linearly from 0 at epoch 0 to
 * beta_lambda at run.epochs (their code: 50 * epoch / epochs). The
 * regulariser does not depend on the weights, so the unrolled (second-order)
 * gradient gets exactly the same term as the first-order one.
 *
 * SDARTS-RS (Chen & Hsieh, ICML 2020), remedy.sdarts_eps: the weight step
 * (only) sees softmax(alpha) + U[-eps, eps] noise, eps ramped linearly from
 * 0.03 at epoch 0 to sdarts_eps at run.epochs, as in their code. The noise
 * of a step is drawn from a generator seeded by (run.seed, step number): no
 * state to checkpoint, so a resumed run draws the same noise, and every
 * process of a data-parallel run draws the same.
 *
 * DARTS- (Chu et al., ICLR 2021), remedy.darts_minus_beta: every mixed op
 * adds beta * x, or beta * FactorizedReduce(x) with weights of its own on a
 * strided edge (SupernetSpec.aux_skip), beta decaying linearly from
 * darts_minus_beta at epoch 0 to 0 at run.epochs. beta is no architecture
 * parameter: it gets no gradient, and the derived cell ignores the skip.
 *
 * Fair DARTS (Chu et al., ECCV 2020), remedy.fair_darts: each op's weight is
 * sigmoid(alpha) on its own instead of a softmax over the edge, `none` is
 * left out (weight 0, no gradient; SupernetSpec.sigmoid), and the alpha
 * loss gains fair_zero_one * L01, L01 = -mean((sigmoid(alpha) - 0.5)^2)
 * over the non-none alphas of both cells, which pushes every weight
 * towards 0 or 1. The cell is derived from the sigmoid weights: on each
 * edge the strongest op, per node the edges of the strongest ops, two (the
 * paper keeps the ops with sigmoid >= REMEDY_FAIR_THRESHOLD, at most two
 * edges per node; a genotype has exactly two inputs per node, so a node
 * with fewer edges over the threshold is completed with its strongest
 * others, and the rule comes down to the strongest two).
 *
 * PC-DARTS (Xu et al., ICLR 2020), remedy.pc_k, remedy.edge_norm,
 * remedy.pc_warmup: lives in the supernet (SupernetSpec.pc_k, edge_norm; the
 * mixed op's partial channels, bypass and channel shuffle, the betas after
 * the alphas) and in the step (no architecture step before epoch
 * pc_warmup); it has no formula here.
 */
#ifndef DARTBOARD_REMEDY_H
#define DARTBOARD_REMEDY_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/config_types.h"

/* DARTS-'s beta at `epoch` of cfg->run.epochs (never below 0); 0 when off. */
double remedy_darts_minus_beta(const Config *cfg, int epoch);

/* Fair DARTS: the paper's threshold on sigmoid(alpha) at derivation. */
#define REMEDY_FAIR_THRESHOLD 0.85f

/* Fair DARTS's op weights: w = sigmoid(a) per entry of rows x OP_COUNT, the
 * none column 0. */
void remedy_sigmoid_weights(float *w, const float *a, int rows);
/* The zero-one loss weight * L01 over alphas [2][edges][OP_COUNT]; adds its
 * gradient into grad (if not NULL) and returns its value. */
double remedy_zero_one_loss(const float *alphas, int edges, double weight, float *grad);

/* SDARTS-RS's noise amplitude at epoch 0 (their code). */
#define REMEDY_SDARTS_EPS_START 0.03

/* beta-DARTS's lambda at `epoch` (from 0) of cfg->run.epochs; 0 when off. */
double remedy_beta_lambda(const Config *cfg, int epoch);
/* The regulariser lambda * sum over the two cell kinds of the mean over
 * their `edges` edges of logsumexp(alpha_e) (alphas: [2][edges][ops]).
 * Adds its gradient, lambda / edges * softmax(alpha_e), into grad (if not
 * NULL) and returns its value. */
double remedy_beta_loss(const float *alphas, int edges, int ops, double lambda, float *grad);

/* SDARTS-RS's eps at `epoch` of cfg->run.epochs; 0 when off. */
double remedy_sdarts_eps(const Config *cfg, int epoch);
/* The noise of search step `step` (counted from 0): n values uniform in
 * [-eps, eps], the same for the same (seed, step) on every machine. */
void remedy_sdarts_noise(uint64_t seed, int64_t step, double eps, float *noise, size_t n);

#endif
