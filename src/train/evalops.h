/* evalops: the blocks of the evaluation network (internal to src/train).
 *
 * Each block (affine BN, ReLU-1x1 conv-BN, FactorizedReduce, SepConv and
 * DilConv) has a plan, a forward and a backward. Planning hands out offsets
 * into the flat weight and running-statistics vectors in PyTorch's module
 * order (so the order of plan calls IS the parameter order) and reserves in
 * the arena what the backward needs; shared scratch is sized by the largest
 * need, gathered in EPlan. Backward functions ACCUMULATE into the input
 * gradient they are given, and into the weight gradients.
 */
#ifndef DARTBOARD_EVALOPS_H
#define DARTBOARD_EVALOPS_H

#include <stddef.h>

#include "dartboard/arena.h"
#include "dartboard/balance.h"
#include "dartboard/batchnorm.h"
#include "dartboard/conv.h"
#include "dartboard/evalnet.h"
#include "dartboard/genotype.h"
#include "dartboard/parallel.h"

/* The fused depthwise-pointwise block runs image by image; the batch is cut
 * into this many fixed groups, shared by the threads as their speeds say
 * (EvalNet.groups), so its sums (the two weight gradients, a partial per
 * group) depend neither on the thread count nor on which thread runs a
 * group. 16, not 8: with one thread 35 % slower, halves take 17 % longer
 * than a split by the speeds would, the best split in eighths (5 of 8 to
 * the faster) 9 %, in sixteenths (9 of 16) 3 %. */
#define DWPW_GROUPS 16
_Static_assert(DWPW_GROUPS <= BALANCE_MAX_UNITS, "a group loop's split holds every group");

typedef enum EInitKind { INIT_UNIFORM, INIT_ZERO, INIT_ONE } EInitKind;

typedef struct EInit {
    int running; /* 1: running statistics, 0: weights */
    EInitKind kind;
    size_t off, count;
    int fan_in;
} EInit;

typedef struct EBn {
    int c;
    size_t gamma, beta;   /* weight offsets */
    size_t run;           /* running mean at run, variance at run + c */
    float *mean, *invstd; /* batch statistics of the last training forward */
    float *scale;         /* gamma * invstd, for a block reading ReLU(BN(x)) (ebn_pre) */
} EBn;

typedef struct ECv {
    ConvSpec spec;
    size_t w;
} ECv;

/* Where a block's output goes: node (=, or += with add) scale[i] * the
 * output of image i (scale NULL: 1); with base, node = base + that (add
 * 0): the node's other edge, an identity, taken in the same pass. A cell
 * node sums its two ops' outputs after their drop-path; the ops ending in a
 * BN do both in the BN's apply pass. */
typedef struct EDest {
    float *node;
    const float *scale;
    int add;
    const float *base;
} EDest;

/* ReLU -> conv 1x1 -> BN (a cell's preprocessing) */
typedef struct ERcb {
    ECv conv;
    EBn bn;
    int c_in, c_out, h, w;
    float *x;    /* BN input, kept from the forward for the backward */
    float *coef; /* its BN backward's coefficients where an op's backward
                  * took its sums (ev_sep_dil_backward's coef) */
} ERcb;

/* ReLU -> [conv1x1 s2 (x), conv1x1 s2 (x[1:, 1:])] -> concat -> BN, read
 * from x itself (ev_fact_red_forward). */
typedef struct EFr {
    ECv a, b;
    EBn bn;
    int c_in, c_out, h, w, ho, wo;
    float *x; /* BN input, kept from the forward for the backward */
} EFr;

typedef struct EOp {
    int kind, stride, drop; /* drop: row of the drop-path scales, -1 for identity */
    int c, h, w, ho, wo;
    int blocks; /* sep_conv 2, dil_conv 1 */
    ECv dw[2], pw[2];
    EBn bn[2];
    EFr fr; /* strided skip_connect */
    /* sep_conv, dil_conv: the blocks' BN inputs, kept from the forward for
     * the backward; NULL where the backward makes them again (EScratch) */
    float *x[2];
} EOp;

/* A cell's scratch: in use only while its forward or its backward runs, so
 * the cells' sets share memory (arena lifetimes). */
typedef struct EScratch {
    float *t;    /* node-sized: a pool's output, or a pool's or identity's gradient */
    float *dmid; /* node-sized: a sep_conv's gradient between its blocks */
    float *dstate[2 + GENOTYPE_MAX_NODES]; /* gradients of the states outside the concat */
    /* a shared pool's output in the forward, its gradient in the backward */
    float *shared_pool[GENOTYPE_MAX_NODES];
    /* a sep_conv or dil_conv that keeps nothing: its blocks' BN inputs and
     * depthwise outputs, made again by its backward */
    float *blk_x[2], *blk_dw[2];
} EScratch;

typedef struct ECell {
    int reduction, reduction_prev;
    int c_pp, c_p, c;
    int h0, w0; /* s0's map */
    int h, w;   /* s1's map = the preprocessed states' */
    int ho, wo; /* the nodes' and the output's */
    int mult;
    const GenoEdge *edges;
    const int *concat;
    int concat_count;
    EFr pre0_fr;
    ERcb pre0, pre1;
    EOp ops[2 * GENOTYPE_MAX_NODES];
    /* pools (no weights, no BN here) on the same state give the same
     * output: one forward and one backward per group of such edges
     * (shared[e]: edge e's group, or -1), its output in sc.shared_pool */
    signed char shared[2 * GENOTYPE_MAX_NODES];
    /* states 0 and 1 live in the cell's scratch, recomputed from their BN
     * input in the backward, unless the concat keeps them (kept[j]) or
     * every op that reads state j in the backward applies its BN as it
     * loads it (bn_read[j]: sep_conv and dil_conv do; an identity reads
     * nothing); where only pools read state j and it comes from a
     * ReLU-conv1x1-BN (pool_read[j]), it is not even made while training:
     * the pools read its BN input through the BN (pool.h's PoolPre) */
    float *state[2 + GENOTYPE_MAX_NODES];
    int kept[2], bn_read[2], pool_read[2];
    EScratch sc;
    /* its output's gradient, laid out state by state (output_grad) */
    float *dout;
    /* what its forward and backward took while the profile was on */
    double prof_wall;
    ProfTotals prof;
} ECell;

typedef struct EAux {
    int c, s, stride, ps;
    size_t count; /* weights of the head */
    ECv c1, c2;
    EBn bn1, bn2;
    size_t lw, lb;
    float *pool, *dpool, *x1, *r1, *g1, *d1, *x2, *f, *g2, *d2;
    float *logits, *probs, *dlogits;
} EAux;

struct EvalNet {
    EvalSpec spec;
    Genotype geno;
    Arena arena;
    size_t nw, nr, ninit;
    float *w, *gw, *run;
    EInit *init;
    ECv stem;
    EBn stem_bn;
    float *stem_x; /* the stem's output is recomputed from it */
    ECell *cells;
    int aux_at;
    EAux aux;
    int c_last, hw_last;
    size_t cls_w, cls_b;
    float *pooled, *dpooled, *pool_part, *logits, *probs, *dlogits;
    int drop_ops;
    float *drop;
    /* scratch */
    EScratch sc;      /* the running cell's (ECell.sc) */
    float *stem_dout; /* the stem output's gradient */
    float *relu[2];   /* output_relu of the stem, of the auxiliary head's cell */
    int relu_ok[2];   /* relu[j] holds it */
    float *aux_drelu; /* the gradient of relu[1] */
    float *conv;
    float *blk_scratch; /* per thread: the fused kernels' scratch (evalops.c) */
    float *parts;       /* per image group: its partial weight gradients */
    size_t blk_scratch_floats, part_floats;
    double *bn_parts; /* per image group: a fused BN backward's sums, 2 * bn_c */
    size_t bn_c;      /* channels of the widest fused BN */
    Balance groups;   /* the image groups' split between the threads (evalops.c) */
    float *bn_coef;   /* its input gradient's coefficients (batchnorm_grad_finish) */
    /* the current pass */
    int n, drop_on, aux_run;
    EvalMode mode;
    const float *x_in;
};

typedef struct EPlan {
    EvalNet *net;
    int batch;
    size_t weights, running, inits;
    EInit *init; /* NULL while measuring */
    int drop_ops;
    int keep_from; /* cells from this one on keep their sep_convs' BN inputs */
    /* the cell being planned: whether it keeps them; the lifetime of what
     * it keeps for its backward; the largest BN input of an op that keeps
     * nothing */
    int keeps;
    ArenaLife kept;
    size_t blk;
    /* largest needs over the network */
    size_t conv, blk_scratch, part, bn_c;
} EPlan;

void eneed(size_t *need, size_t count);
size_t eplan_weights(EPlan *p, size_t count, EInitKind kind, int fan_in);
void eplan_bn(EPlan *p, EBn *bn, int c);
void eplan_conv(EPlan *p, ECv *cv, int c_in, int c_out, int k, int stride, int pad, int dilation,
                int groups, int h, int w);
/* the weights only, for a convolution run as something else (a product) */
void eplan_conv_weights(EPlan *p, ECv *cv, int c_in, int c_out, int k, int stride, int pad,
                        int dilation, int groups);
void eplan_relu_conv_bn(EPlan *p, ERcb *r, int c_in, int c_out, int h, int w);
void eplan_fact_red(EPlan *p, EFr *f, int c_in, int c_out, int h, int w);
void eplan_sep_dil(EPlan *p, EOp *op, int blocks, int c, int k, int stride, int pad, int dilation,
                   int h, int w);

/* y[0..count) = 0, shared by the threads as they share the batch. */
void ezero(const EvalNet *net, float *y, size_t count);
/* to->node (=, or += with to->add) to->scale[i] * BN(in) in image i, the
 * BN followed by a ReLU when relu, with the statistics of the current pass
 * (the saved batch statistics while training, the running ones in test
 * mode): a BN output recomputed from its input instead of kept, or an op's
 * output added into its node after its drop-path. */
void ebn_apply(EvalNet *net, const EBn *bn, const EDest *to, const float *in, int hw, int relu);
void ebn_forward(EvalNet *net, const EBn *bn, float *out, const float *in, int hw);
/* ebn_forward's statistics without its output: for a block that reads
 * ReLU(BN(in)) as it goes, through ebn_pre (nothing in test mode) */
void ebn_stats(EvalNet *net, const EBn *bn, const float *in, int hw);
/* that block's ConvPre, with the statistics of the current pass */
ConvPre ebn_pre(EvalNet *net, const EBn *bn);
/* Whether the BNs' statistics are taken by the kernels that make their
 * inputs (evalops.c): while training, and not with sync_bn. */
int ev_stats_fused(const EvalNet *net);
/* din = (not +=) the input gradient; the weight gradients += theirs. The
 * output gradient of image i is dout_scale[i] * dout (NULL: 1; a drop-path
 * after the BN). */
void ebn_backward(EvalNet *net, const EBn *bn, float *din, const float *dout,
                  const float *dout_scale, const float *in, int hw);

/* out = ReLU-conv1x1-BN(in), r->x kept for the backward, with in a cell's
 * states in concat order, or the stem's ReLU (conv.h's ConvCat): the ReLU
 * gathered image by image, never stored whole; the backward adds the
 * gradient through the ReLU into din (laid out as the states). With also
 * (n_also < EV_CAT_OUTS of them), the preprocessings of other cells that
 * read the same input get their BN inputs x (and while training their
 * statistics) from the same gathers; ev_relu_conv_bn_apply makes their
 * outputs when their cells run; so does fr (may be NULL), the
 * FactorizedReduce of the cell after a reduction, whose phases are taken
 * from the gathered image (ev_fact_red_apply). With out NULL, r's output
 * is not made (its BN's statistics are). */
#define CAT_MAX (2 + GENOTYPE_MAX_NODES)
#define EV_CAT_OUTS 3
void ev_relu_conv_bn_cat_forward(EvalNet *net, const ERcb *r, float *out, const ConvCat *in,
                                 const ERcb *const *also, int n_also, const EFr *fr);
void ev_relu_conv_bn_apply(EvalNet *net, const ERcb *r, float *out);
/* The backward of r (dout, its output's gradient) and with also and fr, of
 * theirs (also_dout, fr_dout: their outputs' gradients) from the same gathers, all
 * their input gradients summed before they are added into din. coefs (may
 * be NULL), r's then theirs: each BN's backward coefficients where an op
 * took its sums (its ERcb.coef), else NULL: taken here, a pass over the
 * output gradient and the BN input. */
void ev_relu_conv_bn_cat_backward(EvalNet *net, const ERcb *r, const float *dout, const ConvCat *in,
                                  float *const *din, const ERcb *const *also,
                                  const float *const *also_dout, int n_also,
                                  const float *const *coefs, const EFr *fr, const float *fr_dout);
/* A FactorizedReduce of ReLU(in), in one phase-1 ConvCat (a cell's states,
 * or one state for a strided skip_connect): f->x (kept for the backward)
 * and the BN's output written where `to` says. The backward adds the input
 * gradient through the ReLU into din; the output gradient as
 * ebn_backward's. */
void ev_fact_red_forward(EvalNet *net, const EFr *f, const EDest *to, const ConvCat *in);
/* Its BN's output written where `to` says, from f->x made (and while
 * training its statistics taken) by ev_relu_conv_bn_cat_forward's fr. */
void ev_fact_red_apply(EvalNet *net, const EFr *f, const EDest *to);
void ev_fact_red_backward(EvalNet *net, const EFr *f, const float *dout, const float *dout_scale,
                          const ConvCat *in, float *const *din);
/* sep_conv and dil_conv read their input state `in` itself (the opening
 * ReLU made as they read it); the backward adds the state's gradient,
 * through that ReLU, into din. With bn (may be NULL), the backward's `in`
 * is the state's BN input, and that BN (ebn_pre's numbers) is applied as
 * the blocks read it, before the ReLU: the state itself need not be made
 * again. With coef too (the last op whose backward adds into din, which is
 * then that BN's whole output gradient), that BN's backward: its sums
 * taken as the first block leaves din, its weight gradients, and its
 * coefficients into coef (3 bn->c floats). */
void ev_sep_dil_forward(EvalNet *net, const EOp *op, const EDest *to, const float *in);
void ev_sep_dil_backward(EvalNet *net, const EOp *op, float *din, const float *dout,
                         const float *dout_scale, const float *in, const EBn *bn, float *coef);

#endif
