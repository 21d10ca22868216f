/* netops: the building blocks of the supernet (internal to src/search).
 *
 * Each block (BN, the preprocessing ReLU-conv-BN, FactorizedReduce, SepConv,
 * DilConv) is a small struct with a plan, a forward and a backward function.
 * Planning walks the network in PyTorch's module order, handing out offsets
 * into the flat weight and running-statistics vectors (so the order of plan
 * calls IS the parameter order) and reserving in the arena exactly what the
 * backward needs: the input of every BN (convolution outputs) and the saved
 * batch statistics. Everything cheap is recomputed in the backward instead:
 * ReLU outputs, normalised values, depthwise outputs (only for weight
 * gradients), pooled values.
 *
 * Backward functions ACCUMULATE into the input gradient. The gradient the
 * caller passes in is dL/d(block output) unscaled, plus the scale the block
 * output was multiplied by (the MixedOp weight); the blocks return
 * <dL/d out, out>, the gradient of that weight, when asked.
 */
#ifndef DARTBOARD_NETOPS_H
#define DARTBOARD_NETOPS_H

#include "dartboard/batchnorm.h"

#include <stddef.h>

#include "dartboard/arena.h"
#include "dartboard/conv.h"
#include "dartboard/supernet.h"

/* Scratch of one lane (one thread running MixedOp ops; lane 0 also runs
 * everything outside them), sized by the plan for the largest use. */
typedef struct Scratch {
    float *relu, *drelu; /* lane 0: ReLU of a block input and its gradient */
    float *slot[4];      /* block-output-sized temporaries */
    float *sub, *dsub;   /* FactorizedReduce: subsampled input, its gradient */
    float *half;         /* FactorizedReduce: one half of the output */
    float *conv;         /* convolution workspace (im2col) */
    double *partial;     /* per-channel partial sums */
    /* lanes 1..: private sums of an edge's node output, input gradient and
     * ReLU-input gradient, added to the shared ones in lane order */
    float *acc_out, *acc_in, *acc_relu;
    /* lane 0, PC-DARTS: the partial channels of an edge input, its ReLU and
     * their gradients; the ops' summed output and its gradient */
    float *pc_in, *pc_relu, *pc_din, *pc_drelu, *pc_out, *pc_dout;
} Scratch;

#define SCRATCH_MAX_LANES 8

/* Largest need of each scratch buffer, gathered while planning. */
typedef struct ScratchNeed {
    size_t relu, slot, sub, half, conv, channels;
    size_t state, node;   /* a cell's preprocessed input; an intermediate node */
    size_t output;        /* a cell's (or the stem's) output */
    size_t edge_in;       /* a MixedOp input */
    size_t pc_in, pc_out; /* PC-DARTS: partial channels of a MixedOp input, output */
} ScratchNeed;

/* How supernet_init fills one parameter or running-statistics tensor. */
typedef enum InitKind {
    INIT_UNIFORM, /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's conv/linear default */
    INIT_ZERO,
    INIT_ONE
} InitKind;

typedef struct InitBlock {
    int running; /* 1: in the running statistics, 0: in the weights */
    InitKind kind;
    size_t off, count;
    int fan_in;
} InitBlock;

typedef struct Plan {
    Arena *arena;
    size_t weights, running; /* floats handed out so far */
    int batch;
    ScratchNeed need;      /* outside MixedOps (lane 0 only) */
    ScratchNeed need_edge; /* inside MixedOps (every lane) */
    InitBlock *init;       /* NULL while measuring: only counted */
    size_t inits;
    int lanes;   /* threads that share the ops of an edge */
    int in_edge; /* planning a MixedOp */
    int kinks;   /* spec.frozen_kinks: plan the masks of supernet_set_kinks */
} Plan;

/* What forward/backward need besides the block itself. */
typedef struct Ctx {
    const float *w; /* weights */
    float *gw;      /* weight gradients, NULL when not wanted */
    float *running; /* BN running statistics */
    SupernetMode mode;
    int n;               /* batch of this forward */
    int want_dot;        /* compute <dL/d out, out> for the alpha gradient */
    const Scratch *s;    /* this lane's scratch */
    const Scratch *lane; /* every lane's scratch (lane[0] == *s outside MixedOps) */
    int lanes;
    float aux_beta;      /* DARTS-: the auxiliary skip's weight (0 without) */
    SupernetKinks kinks; /* where ReLU masks and max-pool argmaxes come from */
} Ctx;

typedef struct Bn {
    int c;
    size_t run;           /* running mean at run, running var at run + c */
    float *mean, *invstd; /* batch statistics of the last training forward */
} Bn;

typedef struct Conv {
    ConvSpec spec;
    size_t w; /* offset of the weights */
} Conv;

/* ReLU -> conv 1x1 -> BN: cell input preprocessing. */
typedef struct ReluConvBn {
    Conv conv;
    Bn bn;
    int c_in, c_out, h, w;
    float *x;             /* BN input */
    unsigned char *kinks; /* the ReLU mask (frozen kinks only) */
} ReluConvBn;

/* ReLU -> [conv1x1 s2 (x), conv1x1 s2 (x[1:, 1:])] -> concat -> BN. The
 * convolutions are planned as 1x1 stride 1 on the gathered pixels. */
typedef struct FactRed {
    Conv a, b;
    Bn bn;
    int c_in, c_out, h, w, ho, wo;
    float *x; /* BN input (n, c_out, ho, wo) */
} FactRed;

/* One or two [ReLU -> depthwise -> pointwise -> BN] blocks: DilConv is one,
 * SepConv two (only the first strided). */
typedef struct DwBlock {
    Conv dw, pw;
    Bn bn;
    float *x; /* BN input */
} DwBlock;

typedef struct SepDil {
    int blocks; /* 2 for sep_conv, 1 for dil_conv */
    DwBlock blk[2];
    int c, h, w, ho, wo;
    unsigned char *kinks; /* sep_conv: the mask of the ReLU between the blocks (frozen kinks) */
} SepDil;

void scratch_need(size_t *need, size_t count);
/* The need being gathered: inside or outside a MixedOp. */
ScratchNeed *plan_need(Plan *p);
/* Reserve `count` weights initialised as `kind`; returns their offset. */
size_t plan_weights(Plan *p, size_t count, InitKind kind, int fan_in);
void plan_bn(Plan *p, Bn *bn, int c);
void plan_conv(Plan *p, Conv *cv, int c_in, int c_out, int k, int stride, int pad, int dilation,
               int groups, int h, int w);
void plan_relu_conv_bn(Plan *p, ReluConvBn *r, int c_in, int c_out, int h, int w);
void plan_fact_red(Plan *p, FactRed *f, int c_in, int c_out, int h, int w);
void plan_sep_dil(Plan *p, SepDil *op, int blocks, int c, int k, int stride, int pad, int dilation,
                  int h, int w);

/* BN forward in the context's mode (training modes save the batch statistics). */
void bn_forward(const Ctx *x, const Bn *bn, float *out, const float *in, const float *gamma,
                const float *beta, int hw);
/* Where an affine-free BN puts its result: out = BN, out += weight * BN
 * (how a MixedOp sums its ops without writing each op's output first), or
 * out = ReLU(BN) (the ReLU opening the next block). */
typedef struct OpOut {
    float *p;
    float weight;
    BnWrite how;
} OpOut;
#define OP_OUT_SET(ptr) ((OpOut){(ptr), 1.0f, BN_SET})
#define OP_OUT_ADD(ptr, w) ((OpOut){(ptr), (w), BN_ADD})
#define OP_OUT_RELU(ptr) ((OpOut){(ptr), 1.0f, BN_RELU})
void bn_forward_out(const Ctx *x, const Bn *bn, OpOut out, const float *in, int hw);
/* <g, (in - mean) * invstd> over (n, c, hw): the op-output dot of the alpha
 * gradient, for edges whose input needs no gradient. */
double bn_dot(const Ctx *x, const Bn *bn, const float *g, const float *in, int hw);
/* din = (not +=) the input gradient of scale * BN(in) under dout; returns
 * <dout, BN(in)> when x->want_dot (else 0), from the same pass. */
double bn_backward_set(const Ctx *x, const Bn *bn, float *din, float scale, const float *dout,
                       const float *in, int hw);

/* out = block(in); relu_in is ReLU(in), which the caller shares. */
void relu_conv_bn_forward(const Ctx *x, const ReluConvBn *r, float *out, const float *in);
void relu_conv_bn_backward(const Ctx *x, const ReluConvBn *r, float *din, const float *dout,
                           const float *in);
void fact_red_forward(const Ctx *x, const FactRed *f, OpOut out, const float *relu_in);
/* drelu_in += d/d ReLU(in) of scale * <dout, out>; relu_in is needed only for
 * weight gradients. Returns <dout, out> when x->want_dot. */
double fact_red_backward(const Ctx *x, const FactRed *f, float *drelu_in, const float *dout,
                         float scale, const float *relu_in);
void sep_dil_forward(const Ctx *x, const SepDil *op, OpOut out, const float *relu_in);
double sep_dil_backward(const Ctx *x, const SepDil *op, float *drelu_in, const float *dout,
                        float scale, const float *relu_in);

/* Frozen kinks (supernet_set_kinks): the byte masks, planned only when
 * p->kinks (else NULL), and a ReLU that follows x->kinks: LIVE is
 * relu_forward / relu_backward; RECORD also saves mask = (in > 0); FROZEN
 * uses the saved mask in place of in > 0. */
unsigned char *plan_kinks(Plan *p, size_t count);
void kink_relu_forward(const Ctx *x, unsigned char *mask, float *out, const float *in,
                       size_t count);
/* din += dout where the ReLU passed */
void kink_relu_backward(const Ctx *x, const unsigned char *mask, float *din, const float *dout,
                        const float *in, size_t count);

/* Elementwise helpers, threaded with a static partition. */
void vec_axpy(float *y, float a, const float *x, size_t count);
void vec_zero(float *y, size_t count);
double vec_dot(const Ctx *x, const float *a, const float *b, int c, int hw);

#endif
