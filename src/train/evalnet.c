/* evalnet: the DARTS evaluation network (see include/dartboard/evalnet.h).
 *
 * The plan walks the network once in PyTorch's module order (stem, cells,
 * auxiliary head, classifier), so offsets into the flat weight and
 * running-statistics vectors come out in model.parameters() and
 * model.buffers() order. It runs twice: measuring, then carving the arena.
 *
 * Memory: every buffer has a lifetime in the step's slots (slot_fwd,
 * slot_head, slot_bwd), and the arena packs the buffers whose lifetimes do
 * not meet into the same memory (arena.h). A cell's scratch lives only
 * while its forward or its backward runs (EScratch, life_scratch), what it
 * keeps for its backward from its forward to its backward (life_kept), so
 * the deep cells' kept tensors share memory with the first cells' scratch,
 * which is used only before they exist and after they are gone. Kept, per
 * cell: its nodes (the states the next cells read); per op the BN input of
 * a strided skip_connect (FactorizedReduce); the BN inputs of its
 * preprocessing (ReLU-conv1x1-BN or FactorizedReduce: two state-sized
 * tensors that spare the backward about half of the products it would
 * recompute); in the cells EvalSpec.keep names, the BN inputs of its
 * sep_convs and dil_convs (EOp.x); the stem's BN input; the saved batch
 * statistics of every BN. Everything else is recomputed, in the backward:
 * - a cell's output (the concat of its states) is never built: its
 *   consumers all start with a ReLU, which gathers it from the states: the
 *   next cells' preprocessing (ReLU-conv1x1-BN or FactorizedReduce) image
 *   by image as it reads it (conv.h's ConvCat), the auxiliary head whole
 *   (output_relu); the global pool reads the states;
 * - the stem's output: its ReLU whole, once in the forward and once in the
 *   backward, read in place by its three preprocessings as a ConvCat of one
 *   tensor (kept_output_relu), so their BNs are fused as every other
 *   cell's;
 * - a cell's preprocessed states 0 and 1: one BN apply each at the start of
 *   the cell's backward (kept only when the concat holds them);
 * - the middle ReLU of a sep_conv is never stored: the second block makes
 *   it image by image as it reads its input (conv.h's ConvPre); so does the
 *   first block with the ReLU that opens the op, on the state. Their BNs'
 *   statistics and backward are fused into the blocks' passes (evalops.c's
 *   ev_sep_dil_*), so no BN input gradient is stored either; the depthwise
 *   outputs are made again, plane by plane, by the blocks' backward; where
 *   the build's channels-across kernels serve both blocks, the tensor
 *   between them lives in channels-last blocks, not planes (conv.h's
 *   DWPW_*: no transposes between the blocks);
 * - in the cells that do not keep them, the sep_convs' and dil_convs' BN
 *   inputs: their forward runs again in their backward (the BN statistics
 *   are saved, so the same bits), into the cell's scratch (EScratch.blk_x,
 *   with the depthwise outputs in blk_dw).
 * The gradient of a cell's output lives from the backward of the first cell
 * that adds to it to its own; it is laid out state by state, so a state in
 * the concat finds its gradient in place.
 * A node whose one edge is an identity takes the identity's input in its
 * other op's BN apply (EDest.base), not in a copy of its own.
 * Inside a cell, each state has one gradient buffer that every op adds into
 * (the ops opening with a ReLU through it: sep_conv and dil_conv as ConvPre,
 * a strided skip_connect's FactorizedReduce as a ConvCat of the state).
 *
 * Threads: the kernels are threaded; the fused depthwise-pointwise block,
 * which runs image by image in its calling thread, is split here over a
 * fixed number of image groups, so the bits do not depend on the thread
 * count; each group sums into its own partials, and works in its thread's
 * scratch (evalops.c, thread_scratch).
 */
#include "config.h"
#include "dartboard/nn_isa.h"
#include "evalops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/activation.h"
#include "dartboard/channel.h"
#include "dartboard/droppath.h"
#include "dartboard/linear.h"
#include "dartboard/loss.h"
#include "dartboard/pool.h"
#include "dartboard/profile.h"

/* ------------------------------------------------------------------ plan */

/* dst = ReLU(output of cell k), k < 0 for the stem. A cell's output, the
 * concat of its states, is not stored: it is gathered here from the states,
 * for the consumers that read its ReLU whole: the auxiliary head, and the
 * stem's three preprocessings (as a ConvCat of one tensor, kept_output_relu). */
NN_CLONED static void output_relu(EvalNet *net, int k, float *dst)
{
    if (k < 0) {
        ebn_apply(net, &net->stem_bn, &(EDest){dst, NULL, 0, NULL}, net->stem_x,
                  net->spec.height * net->spec.width, 1);
        return;
    }
    PROFILE_BEGIN;
    const ECell *cell = &net->cells[k];
    size_t per = (size_t)cell->c * cell->ho * cell->wo;
    int blocks = net->n * cell->concat_count;
#pragma omp parallel for schedule(static) if ((size_t)blocks * per >= PARALLEL_MIN_PASS)
    for (int q = 0; q < blocks; q++) {
        int i = q / cell->concat_count, j = q % cell->concat_count;
        const float *src = cell->state[cell->concat[j]] + (size_t)i * per;
        float *d = dst + (size_t)q * per;
#pragma omp simd
        for (size_t e = 0; e < per; e++)
            d[e] = src[e] > 0.0f ? src[e] : 0.0f;
    }
    PROFILE_END(PROF_ELEMENTWISE, (double)blocks * per);
}

/* dout += g where relu > 0: the gradient g of output_relu(k) (concat
 * layout) taken through the ReLU into the output gradient of cell k (state
 * by state, see output_grad). */
NN_CLONED static void output_relu_backward(EvalNet *net, int k, float *dout, const float *g,
                                           const float *relu)
{
    PROFILE_BEGIN;
    const ECell *cell = &net->cells[k];
    size_t per = (size_t)cell->c * cell->ho * cell->wo;
    int blocks = net->n * cell->concat_count;
#pragma omp parallel for schedule(static) if ((size_t)blocks * per >= PARALLEL_MIN_PASS)
    for (int q = 0; q < blocks; q++) {
        int i = q / cell->concat_count, j = q % cell->concat_count;
        float *d = dout + ((size_t)j * net->n + i) * per;
        const float *gp = g + (size_t)q * per, *rp = relu + (size_t)q * per;
#pragma omp simd
        for (size_t e = 0; e < per; e++)
            d[e] += rp[e] > 0.0f ? gp[e] : 0.0f;
    }
    PROFILE_END(PROF_ELEMENTWISE, (double)blocks * per);
}

/* The gradient buffer of the output of cell k, k = -1 for the stem. It is
 * laid out state by state (concat position j's (n, c, h, w) block at
 * j * n * c * h * w), not as the concat: a cell's backward then reads its
 * states' gradients in place. */
static float *output_grad(EvalNet *net, int k)
{
    return k < 0 ? net->stem_dout : net->cells[k].dout;
}

/* The moments of a step, the slots of the buffers' lifetimes (arena.h):
 * the forward of cell k (the stem's for k = -1), the head (the classifier,
 * its loss and its backward), the backward of cell k (the stem's last). */
static int slot_fwd(int k)
{
    return 1 + k;
}
static int slot_head(const EvalNet *net)
{
    return net->spec.layers + 1;
}
static int slot_bwd(const EvalNet *net, int k)
{
    return 2 * net->spec.layers + 1 - k;
}
static ArenaLife life_span(int first, int last)
{
    return (ArenaLife){{first, 1}, {last, 0}};
}
static ArenaLife life_spans(int first0, int last0, int first1, int last1)
{
    return (ArenaLife){{first0, first1}, {last0, last1}};
}
/* what cell k keeps from its forward for its backward */
static ArenaLife life_kept(const EvalNet *net, int k)
{
    return life_span(slot_fwd(k), slot_bwd(net, k));
}
/* what cell k uses in its backward only */
static ArenaLife life_bwd(const EvalNet *net, int k)
{
    return life_span(slot_bwd(net, k), slot_bwd(net, k));
}
/* what cell k uses while its forward or its backward runs */
static ArenaLife life_scratch(const EvalNet *net, int k)
{
    return life_spans(slot_fwd(k), slot_fwd(k), slot_bwd(net, k), slot_bwd(net, k));
}

static int plan_op(EPlan *p, EOp *op, int kind, int c, int h, int w, int stride, char *err,
                   size_t errlen)
{
    op->kind = kind;
    op->c = c;
    op->h = h;
    op->w = w;
    op->stride = stride;
    op->ho = pool3x3_out_size(h, stride);
    op->wo = pool3x3_out_size(w, stride);
    switch (kind) {
    case OP_MAX_POOL_3X3:
    case OP_AVG_POOL_3X3:
        break;
    case OP_SKIP_CONNECT:
        if (stride == 1)
            break;
        if (h % 2 || w % 2) {
            snprintf(err, errlen,
                     "a strided skip_connect (FactorizedReduce) needs an even map, got %dx%d", h,
                     w);
            return -1;
        }
        eplan_fact_red(p, &op->fr, c, c, h, w);
        break;
    case OP_SEP_CONV_3X3:
    case OP_SEP_CONV_5X5:
    case OP_DIL_CONV_3X3:
    case OP_DIL_CONV_5X5: {
        int sep = kind == OP_SEP_CONV_3X3 || kind == OP_SEP_CONV_5X5;
        int k = kind == OP_SEP_CONV_3X3 || kind == OP_DIL_CONV_3X3 ? 3 : 5;
        int dil = sep ? 1 : 2, pad = sep ? k / 2 : k - 1;
        eplan_sep_dil(p, op, sep ? 2 : 1, c, k, stride, pad, dil, h, w);
        break;
    }
    default:
        snprintf(err, errlen, "op %d is not in the DARTS space", kind);
        return -1;
    }
    if (kind != OP_SKIP_CONNECT || stride != 1)
        op->drop = p->drop_ops++;
    else
        op->drop = -1;
    return 0;
}

/* Whether op's backward can read its input state through the state's BN
 * (ev_sep_dil_backward's bn), or reads no value of it (an identity). */
static int reads_bn_on_load(const EOp *op)
{
    switch (op->kind) {
    case OP_SEP_CONV_3X3:
    case OP_SEP_CONV_5X5:
    case OP_DIL_CONV_3X3:
    case OP_DIL_CONV_5X5:
        return 1;
    default:
        return op->drop < 0;
    }
}

/* The ReLU-conv1x1-BN preprocessings of state 0 that read what cell k's
 * preprocessing of state 1 reads, the output of cell k - 1 (the stem's for
 * k < 1): cell k's own for k = 0 (both read the stem), cell k + 1's unless
 * it follows a reduction (a FactorizedReduce). The forward of cell k's
 * preprocessing makes them from the same gathers (their BN inputs and
 * statistics), its backward takes their gradients; their cells then only
 * apply the BN. Returns how many: also[t], of cell at[t]. */
static int early_pre0s(const EvalNet *net, int k, const ERcb **also, int *at)
{
    int n = 0;
    if (k == 0)
        at[n++] = 0;
    if (k + 1 < net->spec.layers && !net->cells[k + 1].reduction_prev)
        at[n++] = k + 1;
    for (int t = 0; t < n; t++)
        also[t] = &net->cells[at[t]].pre0;
    return n;
}

/* The cell whose FactorizedReduce of state 0 reads what cell k's
 * preprocessing of state 1 reads, the output of cell k - 1: the next one,
 * where cell k is a reduction; else -1. Its forward and backward run with
 * cell k's preprocessing, as early_pre0s's. */
static int early_fr(const EvalNet *net, int k)
{
    return k >= 1 && k + 1 < net->spec.layers && net->cells[k + 1].reduction_prev ? k + 1 : -1;
}

static int plan_cell(EPlan *p, int k, const Genotype *g, int c_pp, int c_p, int c, int reduction,
                     int reduction_prev, int h0, int w0, int h, int w, char *err, size_t errlen)
{
    EvalNet *net = p->net;
    ECell *cell = &net->cells[k];
    size_t n = (size_t)p->batch;
    int nodes = g->nodes;
    const ArenaLife kept = life_kept(net, k), scratch = life_scratch(net, k),
                    bwd = life_bwd(net, k);
    /* the cell whose preprocessing of state 1 runs this one's of state 0
     * (early_pre0s; unless it follows a reduction): its state 0's gradient
     * lives until that cell's backward */
    const int early = k ? k - 1 : 0;
    p->keeps = k >= p->keep_from;
    p->kept = kept;
    p->blk = 0;
    cell->reduction = reduction;
    cell->reduction_prev = reduction_prev;
    cell->c_pp = c_pp;
    cell->c_p = c_p;
    cell->c = c;
    cell->h0 = h0;
    cell->w0 = w0;
    cell->h = h;
    cell->w = w;
    cell->ho = reduction ? pool3x3_out_size(h, 2) : h;
    cell->wo = reduction ? pool3x3_out_size(w, 2) : w;
    cell->edges = reduction ? g->reduce : g->normal;
    cell->concat = reduction ? g->reduce_concat : g->normal_concat;
    cell->concat_count = reduction ? g->reduce_concat_count : g->normal_concat_count;
    cell->mult = cell->concat_count;
    if (reduction_prev) {
        if (h0 % 2 || w0 % 2) {
            snprintf(err, errlen,
                     "the cell after a reduction preprocesses a %dx%d map with FactorizedReduce, "
                     "which needs an even size",
                     h0, w0);
            return -1;
        }
        /* made by the forward and backward of cell k - 1 (early_fr) */
        p->kept = life_span(slot_fwd(early), slot_bwd(net, early));
        eplan_fact_red(p, &cell->pre0_fr, c_pp, c, h0, w0);
        p->kept = kept;
    } else { /* made by the forward and backward of cell k - 1 (early_pre0s) */
        p->kept = life_span(slot_fwd(early), slot_bwd(net, early));
        eplan_relu_conv_bn(p, &cell->pre0, c_pp, c, h0, w0);
        p->kept = kept;
    }
    eplan_relu_conv_bn(p, &cell->pre1, c_p, c, h, w);
    size_t in_sz = n * (size_t)c * (size_t)h * (size_t)w;
    size_t out_sz = n * (size_t)c * (size_t)cell->ho * (size_t)cell->wo;
    for (int j = 0; j < 2; j++) {
        cell->kept[j] = 0;
        for (int q = 0; q < cell->concat_count; q++)
            cell->kept[j] |= cell->concat[q] == j;
        cell->state[j] = arena_floats_live(&net->arena, in_sz, cell->kept[j] ? kept : scratch);
        cell->bn_read[j] = !cell->kept[j];
    }
    for (int i = 0; i < nodes; i++)
        cell->state[2 + i] = arena_floats_live(&net->arena, out_sz, kept);
    EScratch *sc = &cell->sc;
    *sc = (EScratch){0};
    sc->t = arena_floats_live(&net->arena, out_sz, scratch);
    sc->dmid = arena_floats_live(&net->arena, out_sz, bwd);
    for (int e = 0; e < 2 * nodes; e++) {
        const GenoEdge *ge = &cell->edges[e];
        if (ge->input < 0 || ge->input >= 2 + e / 2) {
            snprintf(err, errlen, "%s cell: node %d takes input %d (expected 0..%d)",
                     reduction ? "reduce" : "normal", e / 2, ge->input, 1 + e / 2);
            return -1;
        }
        if (ge->op <= OP_NONE || ge->op >= OP_COUNT) {
            snprintf(err, errlen,
                     "%s cell: edge %d (node %d) is %s (expected one of the 7 DARTS ops other "
                     "than none: a derived cell has no zero edge)",
                     reduction ? "reduce" : "normal", e, e / 2,
                     ge->op == OP_NONE ? "none" : "an unknown op");
            return -1;
        }
        int stride = reduction && ge->input < 2 ? 2 : 1;
        int hi = ge->input < 2 ? h : cell->ho, wi = ge->input < 2 ? w : cell->wo;
        if (plan_op(p, &cell->ops[e], ge->op, c, hi, wi, stride, err, errlen) != 0)
            return -1;

        if (cell->ops[e].ho != cell->ho || cell->ops[e].wo != cell->wo) {
            snprintf(err, errlen, "%s cell: op %s gives a %dx%d map, the node is %dx%d",
                     reduction ? "reduce" : "normal", op_names[ge->op], cell->ops[e].ho,
                     cell->ops[e].wo, cell->ho, cell->wo);
            return -1;
        }
        if (ge->input < 2 && !reads_bn_on_load(&cell->ops[e]))
            cell->bn_read[ge->input] = 0;
    }
    for (int j = 0; j < 2; j++) { /* made only for ops other than pools */
        cell->pool_read[j] = !cell->kept[j] && (j == 1 || !reduction_prev);
        for (int e = 0; e < 2 * nodes; e++)
            if (cell->edges[e].input == j && cell->edges[e].op != OP_MAX_POOL_3X3 &&
                cell->edges[e].op != OP_AVG_POOL_3X3)
                cell->pool_read[j] = 0;
    }
    /* pools of the same kind on the same state: one group */
    int groups = 0;
    for (int e = 0; e < 2 * nodes; e++) {
        cell->shared[e] = -1;
        const int kind = cell->edges[e].op;
        if (kind != OP_MAX_POOL_3X3 && kind != OP_AVG_POOL_3X3)
            continue;
        for (int f = 0; f < e; f++)
            if (cell->edges[f].op == kind && cell->edges[f].input == cell->edges[e].input) {
                if (cell->shared[f] < 0)
                    cell->shared[f] = (signed char)groups++;
                cell->shared[e] = cell->shared[f];
                break;
            }
    }
    for (int q = 0; q < groups; q++)
        sc->shared_pool[q] = arena_floats_live(&net->arena, out_sz, scratch);
    for (int b = 0; b < 2 && p->blk; b++) {
        sc->blk_x[b] = arena_floats_live(&net->arena, p->blk, scratch);
        sc->blk_dw[b] = arena_floats_live(&net->arena, p->blk, bwd);
    }
    for (int j = 0; j < cell->concat_count; j++)
        if (cell->concat[j] < 0 || cell->concat[j] >= 2 + nodes) {
            snprintf(err, errlen, "%s cell: concat state %d (expected 0..%d)",
                     reduction ? "reduce" : "normal", cell->concat[j], 1 + nodes);
            return -1;
        }
    for (int j = 0; j < 2 + nodes; j++) { /* gradients of the states outside the concat */
        int in_concat = 0;
        for (int q = 0; q < cell->concat_count; q++)
            in_concat |= cell->concat[q] == j;
        if (!in_concat)
            sc->dstate[j] =
                arena_floats_live(&net->arena, j < 2 ? in_sz : out_sz,
                                  j == 0 ? life_span(slot_bwd(net, k), slot_bwd(net, early)) : bwd);
    }
    /* its output's gradient: from the backward of the first cell that
     * reads it (the head's, for the last two cells) */
    const int first = k + 2 < net->spec.layers ? slot_bwd(net, k + 2) : slot_head(net);
    const int last = cell->kept[0] ? early : k; /* state 0's gradient there */
    cell->dout = arena_floats_live(&net->arena, (size_t)cell->mult * out_sz,
                                   life_span(first, slot_bwd(net, last)));
    return 0;
}

static int plan_aux(EPlan *p, EAux *a, int c, int s, int classes, char *err, size_t errlen)
{
    EvalNet *net = p->net;
    size_t n = (size_t)p->batch;
    a->c = c;
    a->s = s;
    a->stride = s >= 8 ? 3 : 2;
    a->ps = avgpool_window_out_size(s, 5, a->stride);
    if (a->ps != 2) {
        snprintf(err, errlen,
                 "the auxiliary head needs a 7x7 to 10x10 map after cell %d (its 5x5 pool must "
                 "give 2x2), got %dx%d; turn train.auxiliary off for this image size",
                 net->aux_at, s, s);
        return -1;
    }
    size_t first = p->weights;
    eplan_conv(p, &a->c1, c, 128, 1, 1, 0, 1, 1, 2, 2);
    eplan_bn(p, &a->bn1, 128);
    eplan_conv_weights(p, &a->c2, 128, 768, 2, 1, 0, 1, 1); /* run as a product */
    eplan_bn(p, &a->bn2, 768);
    a->lw = eplan_weights(p, (size_t)classes * 768, INIT_UNIFORM, 768);
    a->lb = eplan_weights(p, (size_t)classes, INIT_UNIFORM, 768);
    a->count = p->weights - first;
    a->pool = arena_floats(&net->arena, n * (size_t)c * 4);
    a->dpool = arena_floats(&net->arena, n * (size_t)c * 4);
    a->x1 = arena_floats(&net->arena, n * 128 * 4);
    a->r1 = arena_floats(&net->arena, n * 128 * 4);
    a->g1 = arena_floats(&net->arena, n * 128 * 4);
    a->d1 = arena_floats(&net->arena, n * 128 * 4);
    a->x2 = arena_floats(&net->arena, n * 768);
    a->f = arena_floats(&net->arena, n * 768);
    a->g2 = arena_floats(&net->arena, n * 768);
    a->d2 = arena_floats(&net->arena, n * 768);
    a->logits = arena_floats(&net->arena, n * (size_t)classes);
    a->probs = arena_floats(&net->arena, n * (size_t)classes);
    a->dlogits = arena_floats(&net->arena, n * (size_t)classes);
    return 0;
}

static int plan_network(EPlan *p, char *err, size_t errlen)
{
    EvalNet *net = p->net;
    const EvalSpec *sp = &net->spec;
    const Genotype *g = &net->geno;
    size_t n = (size_t)p->batch;
    int h = sp->height, w = sp->width, c_stem = sp->stem_multiplier * sp->init_channels;
    eplan_conv(p, &net->stem, sp->in_channels, c_stem, 3, 1, 1, 1, 1, h, w);
    eplan_bn(p, &net->stem_bn, c_stem);
    size_t stem_sz = n * (size_t)c_stem * (size_t)h * (size_t)w;
    net->stem_x = arena_floats(&net->arena, stem_sz);
    /* its output's gradient, from cell 1's backward on; its output's ReLU,
     * read by the preprocessings of cells 0 and 1, in the forward and again
     * in the backward (where the stem's takes it for scratch) */
    const int stem_bwd = slot_bwd(net, -1);
    net->stem_dout = arena_floats_live(&net->arena, stem_sz, life_span(slot_bwd(net, 1), stem_bwd));
    net->relu[0] = arena_floats_live(
        &net->arena, stem_sz, life_spans(slot_fwd(0), slot_fwd(1), slot_bwd(net, 1), stem_bwd));

    int c_pp = c_stem, c_p = c_stem, c = sp->init_channels, reduction_prev = 0;
    int h0 = h, w0 = w;
    net->aux_at = 2 * sp->layers / 3;
    int aux_c = 0, aux_s = 0;
    for (int k = 0; k < sp->layers; k++) {
        int reduction = k == sp->layers / 3 || k == 2 * sp->layers / 3;
        if (reduction)
            c *= 2;
        ECell *cell = &net->cells[k];
        if (plan_cell(p, k, g, c_pp, c_p, c, reduction, reduction_prev, h0, w0, h, w, err,
                      errlen) != 0)
            return -1;
        reduction_prev = reduction;
        h0 = h;
        w0 = w;
        h = cell->ho;
        w = cell->wo;
        c_pp = c_p;
        c_p = cell->mult * c;
        size_t out_sz = n * (size_t)c_p * (size_t)h * (size_t)w;
        if (k == net->aux_at) {
            /* its ReLU whole, for the auxiliary head: kept from the head's
             * forward for its backward; and its gradient */
            net->relu[1] = arena_floats_live(&net->arena, out_sz, life_kept(net, k));
            net->aux_drelu = arena_floats_live(&net->arena, out_sz, life_bwd(net, k));
            aux_c = c_p;
            aux_s = h;
            if (h != w) {
                snprintf(err, errlen, "the auxiliary head needs a square map, got %dx%d", h, w);
                if (sp->auxiliary)
                    return -1;
            }
        }
    }
    if (sp->auxiliary && plan_aux(p, &net->aux, aux_c, aux_s, sp->classes, err, errlen) != 0)
        return -1;
    net->c_last = c_p;
    net->hw_last = h * w;
    net->cls_w = eplan_weights(p, (size_t)sp->classes * (size_t)c_p, INIT_UNIFORM, c_p);
    net->cls_b = eplan_weights(p, (size_t)sp->classes, INIT_UNIFORM, c_p);
    net->pooled = arena_floats(&net->arena, n * (size_t)c_p);
    net->dpooled = arena_floats(&net->arena, n * (size_t)c_p);
    net->pool_part = arena_floats(&net->arena, n * (size_t)c_p);
    net->logits = arena_floats(&net->arena, n * (size_t)sp->classes);
    net->probs = arena_floats(&net->arena, n * (size_t)sp->classes);
    net->dlogits = arena_floats(&net->arena, n * (size_t)sp->classes);
    net->drop = arena_floats(&net->arena, (size_t)(p->drop_ops ? p->drop_ops : 1) * n);

    /* the preprocessings made together (early_pre0s): their BN numbers and
     * partial weight gradients side by side */
    for (int k = 0; k < sp->layers; k++) {
        const ERcb *also[EV_CAT_OUTS - 1];
        int at[EV_CAT_OUTS - 1];
        const int n_also = early_pre0s(net, k, also, at);
        size_t bn_c = (size_t)net->cells[k].pre1.c_out,
               part = conv_weight_count(&net->cells[k].pre1.conv.spec);
        for (int t = 0; t < n_also; t++) {
            bn_c += (size_t)also[t]->c_out;
            part += conv_weight_count(&also[t]->conv.spec);
        }
        const int fr_at = early_fr(net, k);
        if (fr_at >= 0) {
            const EFr *fr = &net->cells[fr_at].pre0_fr;
            const ERcb *r = &net->cells[k].pre1;
            bn_c += (size_t)fr->c_out;
            part += 2 * conv_weight_count(&fr->a.spec);
            eneed(&p->blk_scratch, conv_relu_cat_scratch_floats(&r->conv.spec, 1, r->h, r->w) +
                                       conv_relu_cat_fr_scratch_floats(&fr->a.spec, fr->h, fr->w));
        }
        eneed(&p->bn_c, bn_c);
        eneed(&p->part, part);
    }
    /* scratch of every part, sized for the largest use */
    net->conv = arena_floats(&net->arena, p->conv ? p->conv : 1);
    net->blk_scratch_floats = p->blk_scratch; /* a slot per thread that may get a group */
    net->blk_scratch =
        arena_floats(&net->arena, DWPW_GROUPS * (p->blk_scratch ? p->blk_scratch : 1));
    net->part_floats = p->part;
    net->parts = arena_floats(&net->arena, DWPW_GROUPS * (p->part ? p->part : 1));
    net->bn_c = p->bn_c;
    net->bn_parts =
        arena_bytes(&net->arena, DWPW_GROUPS * 2 * (p->bn_c ? p->bn_c : 1) * sizeof *net->bn_parts);
    net->bn_coef = arena_floats(&net->arena, 3 * (p->bn_c ? p->bn_c : 1));
    return 0;
}

static int check_spec(const EvalSpec *sp, const Genotype *g, char *err, size_t errlen)
{
    if (g->nodes < 1 || g->nodes > GENOTYPE_MAX_NODES) {
        snprintf(err, errlen, "the genotype has %d nodes (expected 1..%d)", g->nodes,
                 GENOTYPE_MAX_NODES);
        return -1;
    }
    if (sp->layers < 3 || sp->init_channels < 1 || sp->stem_multiplier < 1 || sp->batch < 1 ||
        sp->classes < 2 || sp->in_channels < 1 || sp->height < 1 || sp->width < 1) {
        snprintf(err, errlen, "evaluation network: bad shape (layers %d, C %d, batch %d)",
                 sp->layers, sp->init_channels, sp->batch);
        return -1;
    }
    for (int r = 0; r < 2; r++) {
        int count = r ? g->reduce_concat_count : g->normal_concat_count;
        if (count < 1 || count > GENOTYPE_MAX_NODES + 2) {
            snprintf(err, errlen, "%s cell: %d concatenated states (expected 1..%d)",
                     r ? "reduce" : "normal", count, GENOTYPE_MAX_NODES + 2);
            return -1;
        }
    }
    return 0;
}

/* Plans into a measuring arena, packed: the counts of a network without
 * building it. */
static int measure(EvalNet *net, EPlan *p, char *err, size_t errlen)
{
    const int L = net->spec.layers;
    const int keep_from = net->spec.keep == EVAL_KEEP_ALL    ? 0
                          : net->spec.keep == EVAL_KEEP_NONE ? L
                                                             : L / 3; /* the first reduction */
    arena_free(&net->arena);
    arena_measure_lives(&net->arena);
    *p = (EPlan){.net = net, .batch = net->spec.batch, .keep_from = keep_from};
    if (plan_network(p, err, errlen) != 0)
        return -1;
    if (arena_pack(&net->arena) != 0) {
        snprintf(err, errlen, "out of memory while planning the evaluation network");
        return -1;
    }
    return 0;
}

int evalnet_measure(const EvalSpec *spec, const Genotype *g, size_t *weights,
                    size_t *weights_no_aux, size_t *arena_bytes, char *err, size_t errlen)
{
    if (check_spec(spec, g, err, errlen) != 0)
        return -1;
    EvalNet *net = calloc(1, sizeof *net);
    ECell *cells = calloc((size_t)spec->layers, sizeof *cells);
    if (!net || !cells) {
        free(net);
        free(cells);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    net->spec = *spec;
    net->geno = *g;
    net->cells = cells;
    EPlan p;
    int rc = measure(net, &p, err, errlen);
    if (rc == 0) {
        *weights = p.weights;
        *weights_no_aux = p.weights - net->aux.count;
        *arena_bytes = net->arena.peak;
    }
    arena_free(&net->arena);
    free(cells);
    free(net);
    return rc;
}

EvalNet *evalnet_create(const EvalSpec *spec, const Genotype *g, char *err, size_t errlen)
{
    if (check_spec(spec, g, err, errlen) != 0)
        return NULL;
    EvalNet *net = calloc(1, sizeof *net);
    if (!net || !(net->cells = calloc((size_t)spec->layers, sizeof *net->cells))) {
        free(net);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    net->spec = *spec;
    net->geno = *g;
    balance_init(&net->groups, DWPW_GROUPS, 1); /* planned for its team by the first group loop */
    EPlan p;
    if (measure(net, &p, err, errlen) != 0) {
        evalnet_free(net);
        return NULL;
    }
    const size_t bytes = net->arena.peak;
    const int keep_from = p.keep_from;
    net->nw = p.weights;
    net->nr = p.running;
    net->ninit = p.inits;
    net->drop_ops = p.drop_ops;
    net->w = calloc(net->nw, sizeof(float));
    net->gw = calloc(net->nw, sizeof(float));
    net->run = calloc(net->nr ? net->nr : 1, sizeof(float));
    net->init = calloc(net->ninit, sizeof(EInit));
    if (!net->w || !net->gw || !net->run || !net->init || arena_carve(&net->arena) != 0) {
        snprintf(err, errlen,
                 "out of memory: the evaluation network needs %zu MiB of activations for batch "
                 "%d and %zu weights",
                 bytes >> 20, spec->batch, net->nw);
        evalnet_free(net);
        return NULL;
    }
    memset(&net->aux, 0, sizeof net->aux);
    p = (EPlan){.net = net, .batch = spec->batch, .init = net->init, .keep_from = keep_from};
    if (plan_network(&p, err, errlen) != 0 || p.weights != net->nw || p.running != net->nr ||
        p.inits != net->ninit) {
        fprintf(stderr, "dartboard: evalnet: the two planning passes disagree\n");
        abort();
    }
    for (size_t i = 0; i < net->ninit; i++)
        if (net->init[i].running && net->init[i].kind == INIT_ONE)
            for (size_t k = 0; k < net->init[i].count; k++)
                net->run[net->init[i].off + k] = 1.0f;
    for (size_t i = 0; i < (size_t)net->drop_ops * (size_t)spec->batch; i++)
        net->drop[i] = 1.0f;
    return net;
}

void evalnet_free(EvalNet *net)
{
    if (!net)
        return;
    arena_free(&net->arena);
    free(net->w);
    free(net->gw);
    free(net->run);
    free(net->init);
    free(net->cells);
    free(net);
}

size_t evalnet_weight_count(const EvalNet *net)
{
    return net->nw;
}
size_t evalnet_aux_weight_count(const EvalNet *net)
{
    return net->aux.count;
}
size_t evalnet_running_count(const EvalNet *net)
{
    return net->nr;
}
size_t evalnet_arena_bytes(const EvalNet *net)
{
    return net->arena.size;
}
Balance *evalnet_group_balance(EvalNet *net)
{
    return &net->groups;
}
float *evalnet_weights(EvalNet *net)
{
    return net->w;
}
float *evalnet_grads(EvalNet *net)
{
    return net->gw;
}
float *evalnet_running(EvalNet *net)
{
    return net->run;
}
int evalnet_drop_ops(const EvalNet *net)
{
    return net->drop_ops;
}
float *evalnet_drop_scales(EvalNet *net)
{
    return net->drop;
}
int evalnet_classes(const EvalNet *net)
{
    return net->spec.classes;
}
const float *evalnet_logits(const EvalNet *net)
{
    return net->logits;
}
const float *evalnet_aux_logits(const EvalNet *net)
{
    return net->spec.auxiliary ? net->aux.logits : NULL;
}

void evalnet_init(EvalNet *net, Rng *rng)
{
    for (size_t i = 0; i < net->ninit; i++) {
        const EInit *b = &net->init[i];
        float *v = (b->running ? net->run : net->w) + b->off;
        float bound = b->kind == INIT_UNIFORM ? 1.0f / sqrtf((float)b->fan_in) : 0.0f;
        for (size_t k = 0; k < b->count; k++)
            v[k] = b->kind == INIT_ONE    ? 1.0f
                   : b->kind == INIT_ZERO ? 0.0f
                                          : (2.0f * rng_uniform(rng) - 1.0f) * bound;
    }
}

/* ------------------------------------------------------------------ forward */

/* The op's drop-path scales (one per image), NULL when drop-path is off. */
static const float *op_drop(const EvalNet *net, const EOp *op)
{
    return net->drop_on ? net->drop + (size_t)op->drop * (size_t)net->spec.batch : NULL;
}

/* Edge e's the first of its group of shared pools, or the last, in the
 * forward's order. */
static int shared_first(const ECell *cell, int e)
{
    for (int f = 0; f < e; f++)
        if (cell->shared[f] == cell->shared[e])
            return 0;
    return 1;
}

static int shared_last(const ECell *cell, int e, int nodes)
{
    for (int f = e + 1; f < 2 * nodes; f++)
        if (cell->shared[f] == cell->shared[e])
            return 0;
    return 1;
}

/* Whether state j of the cell is not made at this step: only pools read
 * it (pool_read), and the BN's statistics are the batch's, taken as its
 * input was made, so that its readers apply it as ebn_apply would. */
static int state_unmade(const EvalNet *net, const ECell *cell, int j)
{
    return j < 2 && cell->pool_read[j] && ev_stats_fused(net);
}

/* The BN whose output is state j < 2 (its preprocessing's), and its input
 * (x). */
static const EBn *state_bn(const ECell *cell, int j, const float **x)
{
    const ERcb *r = j == 0 ? &cell->pre0 : &cell->pre1;
    if (j == 0 && cell->reduction_prev) {
        *x = cell->pre0_fr.x;
        return &cell->pre0_fr.bn;
    }
    *x = r->x;
    return &r->bn;
}

/* A pool's input, state j: the state, or where it is not made its BN input,
 * with *pre (then returned) that BN's numbers. */
static const PoolPre *pool_input(EvalNet *net, const ECell *cell, int j, const float **in,
                                 PoolPre *pre)
{
    if (!state_unmade(net, cell, j)) {
        *in = cell->state[j];
        return NULL;
    }
    const ConvPre bn = ebn_pre(net, state_bn(cell, j, in));
    *pre = (PoolPre){bn.mean, bn.scale, bn.shift};
    return pre;
}

static void pool_forward(EvalNet *net, const ECell *cell, const EOp *op, float *out, int j)
{
    const float *in;
    PoolPre buf;
    const PoolPre *pre = pool_input(net, cell, j, &in, &buf);
    if (op->kind == OP_MAX_POOL_3X3)
        maxpool3x3_forward_pre(out, in, pre, net->n, op->c, op->h, op->w, op->stride);
    else
        avgpool3x3_forward_pre(out, in, pre, net->n, op->c, op->h, op->w, op->stride);
}

/* ds += the pool's input gradient from g, its output's (state j its
 * input). */
static void pool_backward(EvalNet *net, const ECell *cell, const EOp *op, float *ds, const float *g,
                          int j)
{
    if (op->kind == OP_MAX_POOL_3X3) {
        const float *in;
        PoolPre buf;
        const PoolPre *pre = pool_input(net, cell, j, &in, &buf);
        maxpool3x3_backward_pre(ds, g, in, pre, net->n, op->c, op->h, op->w, op->stride);
    } else {
        avgpool3x3_backward(ds, g, net->n, op->c, op->h, op->w, op->stride);
    }
}

/* to->node (= or +=) the op's output after its drop-path: the ops ending in
 * a BN write it from the BN's apply pass, the pools through the cell's
 * scratch (EScratch.t). */
static void op_forward(EvalNet *net, const ECell *cell, const EOp *op, const EDest *to, int j)
{
    float *out = net->sc.t;
    const float *in = cell->state[j];
    switch (op->kind) {
    case OP_MAX_POOL_3X3:
    case OP_AVG_POOL_3X3:
        pool_forward(net, cell, op, out, j);
        break;
    case OP_SKIP_CONNECT: { /* strided: a FactorizedReduce of the state */
        const ConvCat state = {&in, 1, op->c, 1, 0};
        ev_fact_red_forward(net, &op->fr, to, &state);
        return;
    }
    default:
        ev_sep_dil_forward(net, op, to, in);
        return;
    }
    droppath_forward(to->node, out, to->scale, net->n, (size_t)op->c * op->ho * op->wo, to->add);
}

/* output_relu(k), kept for the next reader: the stem's (k < 0) is read by
 * three preprocessings (together: early_pre0s), in the forward and again in
 * the backward, the auxiliary head's cell's by its forward and its
 * backward. */
static const float *kept_output_relu(EvalNet *net, int k)
{
    const int j = k >= 0;
    if (!net->relu_ok[j]) {
        output_relu(net, k, net->relu[j]);
        net->relu_ok[j] = 1;
    }
    return net->relu[j];
}

/* The output of cell k >= 0 as conv.h's ConvCat: its states in concat
 * order (src: room for CAT_MAX pointers). */
static ConvCat output_cat(const EvalNet *net, int k, const float **src)
{
    const ECell *cell = &net->cells[k];
    for (int j = 0; j < cell->concat_count; j++)
        src[j] = cell->state[cell->concat[j]];
    return (ConvCat){src, cell->concat_count, cell->c, 1, 0};
}

/* The input of a ReLU-conv1x1-BN preprocessing of the output of cell k:
 * its states, or for the stem (k < 0) its ReLU whole (kept_output_relu: the
 * ReLU the preprocessing applies again changes nothing, and its mask, > 0,
 * is the stem output's). */
static ConvCat preprocess_input(EvalNet *net, int k, const float **src)
{
    if (k >= 0)
        return output_cat(net, k, src);
    src[0] = kept_output_relu(net, k);
    return (ConvCat){src, 1, net->stem_bn.c, 1, 1};
}

/* out = ReLU-conv1x1-BN of the output of cell k; with also, theirs made
 * from the same gathers (ev_relu_conv_bn_cat_forward). */
static void preprocess_forward(EvalNet *net, const ERcb *r, float *out, int k,
                               const ERcb *const *also, int n_also, const EFr *fr)
{
    const float *src[CAT_MAX];
    const ConvCat in = preprocess_input(net, k, src);
    ev_relu_conv_bn_cat_forward(net, r, out, &in, also, n_also, fr);
}

/* The identity edge of node i whose other edge ends in a BN (a sep_conv,
 * dil_conv or strided skip_connect): that BN's apply writes the node as the
 * identity's input plus its output, one pass where a copy and an add took
 * two; else -1. Without drop-path the same bits (input + output is output +
 * input); with it the scaled output and the input may be summed in one
 * rounding where they took two. */
static int identity_fused(const ECell *cell, int i)
{
    for (int q = 0; q < 2; q++) {
        const int e = 2 * i + q, f = 2 * i + 1 - q;
        const int kind = cell->ops[f].kind;
        if (cell->ops[e].drop < 0 && cell->ops[f].drop >= 0 && kind != OP_MAX_POOL_3X3 &&
            kind != OP_AVG_POOL_3X3)
            return e;
    }
    return -1;
}

static void cell_forward(EvalNet *net, int k)
{
    ECell *cell = &net->cells[k];
    net->sc = cell->sc;
    int n = net->n, nodes = net->geno.nodes;
    size_t hwo = (size_t)cell->ho * cell->wo, per = (size_t)cell->c * hwo;
    const ERcb *also[EV_CAT_OUTS - 1];
    int at[EV_CAT_OUTS - 1];
    const int n_also = early_pre0s(net, k, also, at);
    const int fr_at = early_fr(net, k);
    preprocess_forward(net, &cell->pre1, state_unmade(net, cell, 1) ? NULL : cell->state[1], k - 1,
                       also, n_also, fr_at >= 0 ? &net->cells[fr_at].pre0_fr : NULL);
    if (cell->reduction_prev) { /* its BN input made by the forward of cell k - 1 (early_fr) */
        ev_fact_red_apply(net, &cell->pre0_fr, &(EDest){cell->state[0], NULL, 0, NULL});
    } else if (!state_unmade(net, cell, 0)) { /* its BN input made earlier (early_pre0s) */
        ev_relu_conv_bn_apply(net, &cell->pre0, cell->state[0]);
    }
    for (int i = 0; i < nodes; i++) {
        float *node = cell->state[2 + i];
        const int ident = identity_fused(cell, i);
        for (int e = 2 * i; e < 2 * i + 2; e++) {
            const EOp *op = &cell->ops[e];
            int j = cell->edges[e].input;
            if (e == ident)
                continue;
            if (ident >= 0) { /* the BN's apply adds the identity's input */
                op_forward(
                    net, cell, op,
                    &(EDest){node, op_drop(net, op), 0, cell->state[cell->edges[ident].input]}, j);
                continue;
            }
            if (op->drop < 0) { /* identity */
                droppath_forward(node, cell->state[j], NULL, n, per, e & 1);
                continue;
            }
            if (cell->shared[e] >= 0) { /* a pool run by its group's first edge */
                float *pooled = net->sc.shared_pool[cell->shared[e]];
                if (shared_first(cell, e))
                    pool_forward(net, cell, op, pooled, j);
                droppath_forward(node, pooled, op_drop(net, op), n, per, e & 1);
                continue;
            }
            op_forward(net, cell, op, &(EDest){node, op_drop(net, op), e & 1, NULL}, j);
        }
    }
}

static void aux_forward(EvalNet *net)
{
    EAux *a = &net->aux;
    int n = net->n;
    avgpool_window_forward(a->pool, kept_output_relu(net, net->aux_at), n, a->c, a->s, a->s, 5,
                           a->stride);
    conv2d_forward(&a->c1.spec, a->x1, a->pool, net->w + a->c1.w, n, 2, 2, net->conv);
    ebn_forward(net, &a->bn1, a->r1, a->x1, 4);
    relu_forward(a->r1, a->r1, (size_t)n * 128 * 4);
    /* a 2x2 convolution on a 2x2 map is a product with the flattened map */
    linear_forward(a->x2, a->r1, net->w + a->c2.w, NULL, n, 128 * 4, 768);
    ebn_forward(net, &a->bn2, a->f, a->x2, 1);
    relu_forward(a->f, a->f, (size_t)n * 768);
    linear_forward(a->logits, a->f, net->w + a->lw, net->w + a->lb, n, 768, net->spec.classes);
}

/* cell_forward or cell_backward of cell k, charged to the cell while the
 * profile is on: what its kernels charged, and its wall time. */
static void cell_run(EvalNet *net, int k, void (*run)(EvalNet *, int))
{
    if (!profile_enabled) {
        run(net, k);
        return;
    }
    ProfTotals before, after;
    profile_totals(&before);
    const double t0 = profile_clock();
    run(net, k);
    const double wall = profile_clock() - t0;
    profile_totals(&after);
    ECell *cell = &net->cells[k];
    cell->prof_wall += wall;
    for (int f = 0; f < PROF_FAMILIES; f++) {
        cell->prof.seconds[f] += after.seconds[f] - before.seconds[f];
        cell->prof.flops[f] += after.flops[f] - before.flops[f];
        cell->prof.calls[f] += after.calls[f] - before.calls[f];
    }
}

void evalnet_cell_profile(const EvalNet *net, int k, EvalCellProfile *p)
{
    const ECell *cell = &net->cells[k];
    *p = (EvalCellProfile){.c = cell->c,
                           .h = cell->ho,
                           .w = cell->wo,
                           .reduction = cell->reduction,
                           .wall = cell->prof_wall,
                           .fam = cell->prof};
}

void evalnet_cell_profile_clear(EvalNet *net)
{
    for (int k = 0; k < net->spec.layers; k++) {
        net->cells[k].prof_wall = 0.0;
        memset(&net->cells[k].prof, 0, sizeof net->cells[k].prof);
    }
}

void evalnet_forward(EvalNet *net, const float *x, int n, EvalMode mode, int drop_path)
{
    const EvalSpec *sp = &net->spec;
    if (n < 1 || n > sp->batch) {
        fprintf(stderr, "dartboard: evalnet_forward: batch %d outside 1..%d\n", n, sp->batch);
        abort();
    }
    net->n = n;
    net->mode = mode;
    net->drop_on = drop_path && mode != EVAL_TEST;
    net->x_in = x;
    int hw = sp->height * sp->width;
    conv2d_forward(&net->stem.spec, net->stem_x, x, net->w + net->stem.w, n, sp->height, sp->width,
                   net->conv);
    ebn_stats(net, &net->stem_bn, net->stem_x, hw); /* its apply: output_relu(-1) */
    net->relu_ok[0] = net->relu_ok[1] = 0;
    net->aux_run = sp->auxiliary && mode != EVAL_TEST;
    for (int k = 0; k < sp->layers; k++) {
        cell_run(net, k, cell_forward);
        if (k == net->aux_at && net->aux_run)
            aux_forward(net);
    }
    const ECell *last = &net->cells[sp->layers - 1];
    for (int j = 0; j < last->concat_count; j++) { /* the pool of the concat, state by state */
        global_avgpool_forward(net->pool_part, last->state[last->concat[j]], n, last->c,
                               net->hw_last);
        channel_copy(net->pooled, net->c_last, j * last->c, net->pool_part, last->c, 0, last->c, n,
                     1);
    }
    linear_forward(net->logits, net->pooled, net->w + net->cls_w, net->w + net->cls_b, n,
                   net->c_last, sp->classes);
}

float evalnet_loss(EvalNet *net, const int *y, int *correct, float *aux)
{
    int k = net->spec.classes;
    float loss = softmax_xent_forward(net->probs, net->logits, y, net->n, k, correct);
    float la = 0.0f;
    if (net->aux_run)
        la = softmax_xent_forward(net->aux.probs, net->aux.logits, y, net->n, k, NULL);
    if (aux)
        *aux = la;
    return loss;
}

/* ------------------------------------------------------------------ backward */

/* ds: the gradient of the op's input state j, dnode its output node's;
 * coef (may be NULL): ev_sep_dil_backward's, for the state's BN. */
static void op_backward(EvalNet *net, const ECell *cell, const EOp *op, int j, float *ds,
                        const float *dnode, float *coef)
{
    int n = net->n;
    size_t per = (size_t)op->c * op->ho * op->wo;
    if (op->drop < 0) {
        droppath_forward(ds, dnode, NULL, n, per, 1);
        return;
    }
    /* the ops ending in a BN take the drop-path in its backward */
    const float *scale = op_drop(net, op);
    switch (op->kind) {
    case OP_SKIP_CONNECT: {
        const ConvCat state = {(const float *const *)&cell->state[j], 1, op->c, 1, 0};
        ev_fact_red_backward(net, &op->fr, dnode, scale, &state, &ds);
        return;
    }
    case OP_MAX_POOL_3X3:
    case OP_AVG_POOL_3X3:
        break;
    default:
        if (j < 2 && cell->bn_read[j]) {
            const float *x;
            const EBn *bn = state_bn(cell, j, &x);
            ev_sep_dil_backward(net, op, ds, dnode, scale, x, bn, coef);
        } else {
            ev_sep_dil_backward(net, op, ds, dnode, scale, cell->state[j], NULL, NULL);
        }
        return;
    }
    float *g = net->sc.t;
    droppath_backward(g, dnode, scale, n, per);
    pool_backward(net, cell, op, ds, g, j);
}

/* A shared pool's edge e: its output's gradient summed over the group (the
 * backward meets the group's last edge first), the pool's backward run
 * once, at its first edge. */
static void shared_backward(EvalNet *net, const ECell *cell, int e, float *ds, const float *dnode)
{
    const EOp *op = &cell->ops[e];
    const int nodes = net->geno.nodes;
    float *g = net->sc.shared_pool[cell->shared[e]];
    droppath_forward(g, dnode, op_drop(net, op), net->n, (size_t)op->c * op->ho * op->wo,
                     !shared_last(cell, e, nodes));
    if (shared_first(cell, e))
        pool_backward(net, cell, op, ds, g, cell->edges[e].input);
}

/* The output gradient of cell k as the blocks of preprocess_input's
 * tensors (output_grad's layout: state by state; the stem's whole). */
static void output_grad_blocks(EvalNet *net, int k, float **din)
{
    if (k < 0) {
        din[0] = output_grad(net, k);
        return;
    }
    const ECell *cell = &net->cells[k];
    size_t per = (size_t)net->n * cell->c * cell->ho * cell->wo;
    for (int j = 0; j < cell->concat_count; j++)
        din[j] = output_grad(net, k) + (size_t)j * per;
}

/* The gradient of state j of cell k in its backward: the output's, at the
 * state's first place in the concat, or the cell's own. */
static const float *state_grad(EvalNet *net, int k, int j)
{
    const ECell *cell = &net->cells[k];
    const size_t per = (size_t)net->n * cell->c * cell->ho * cell->wo;
    for (int q = 0; q < cell->concat_count; q++)
        if (cell->concat[q] == j)
            return output_grad(net, k) + (size_t)q * per;
    return cell->sc.dstate[j];
}

/* The backward of preprocess_forward(r, k, also): the output gradient of
 * cell k += the input gradient, through the ReLU; dout: r's output's
 * gradient, also_dout theirs (the gradients of their cells' state 0);
 * coefs: their BNs' coefficients where an op took their sums. */
static void preprocess_backward(EvalNet *net, const ERcb *r, const float *dout, int k,
                                const ERcb *const *also, const float *const *also_dout, int n_also,
                                const float *const *coefs, const EFr *fr, const float *fr_dout)
{
    const float *src[CAT_MAX];
    float *din[CAT_MAX];
    const ConvCat in = preprocess_input(net, k, src);
    output_grad_blocks(net, k, din);
    ev_relu_conv_bn_cat_backward(net, r, dout, &in, din, also, also_dout, n_also, coefs, fr,
                                 fr_dout);
}

/* The op whose backward adds last into the gradient of state j < 2 (the
 * backward runs the edges from the last: the first edge reading it), where
 * it is a sep_conv or dil_conv reading the state through its
 * preprocessing's BN (bn_read): its backward takes that BN's sums as it
 * leaves the gradient, so that the preprocessing's backward needs no pass
 * of its own for them; else -1. */
static int state_sums_edge(const ECell *cell, int j, int nodes)
{
    if (cell->kept[j] || !cell->bn_read[j] || (j == 0 && cell->reduction_prev))
        return -1;
    for (int e = 0; e < 2 * nodes; e++)
        if (cell->edges[e].input == j)
            return cell->ops[e].drop >= 0 && cell->ops[e].kind != OP_SKIP_CONNECT ? e : -1;
    return -1;
}

static void cell_backward(EvalNet *net, int k)
{
    ECell *cell = &net->cells[k];
    net->sc = cell->sc;
    int n = net->n, nodes = net->geno.nodes;
    size_t hwo = (size_t)cell->ho * cell->wo, hw = (size_t)cell->h * cell->w;
    /* the preprocessed states again, from their BN inputs, where an op
     * reads them */
    for (int j = 0; j < 2; j++)
        if (!cell->kept[j] && !cell->bn_read[j] && !state_unmade(net, cell, j)) {
            const float *x;
            const EBn *bn = state_bn(cell, j, &x);
            ebn_apply(net, bn, &(EDest){cell->state[j], NULL, 0, NULL}, x, (int)hw, 0);
        }
    /* a state in the concat has its gradient in the output's, where it
     * first appears (later appearances added in); the others start at zero */
    float *dout = output_grad(net, k), *ds[2 + GENOTYPE_MAX_NODES] = {0};
    size_t per = (size_t)n * cell->c * hwo;
    for (int j = 0; j < cell->concat_count; j++) {
        int st = cell->concat[j];
        if (!ds[st])
            ds[st] = dout + (size_t)j * per;
        else
            droppath_forward(ds[st], dout + (size_t)j * per, NULL, 1, per, 1);
    }
    for (int j = 0; j < 2 + nodes; j++)
        if (!ds[j]) {
            ds[j] = net->sc.dstate[j];
            if (ds[j])
                ezero(net, ds[j], (size_t)n * cell->c * (j < 2 ? hw : hwo));
        }
    /* node i's gradient is whole once every later node's ops are done */
    const int sums_at[2] = {state_sums_edge(cell, 0, nodes), state_sums_edge(cell, 1, nodes)};
    for (int e = 2 * nodes - 1; e >= 0; e--) {
        const int j = cell->edges[e].input;
        float *coef = j < 2 && e == sums_at[j] ? (j ? cell->pre1.coef : cell->pre0.coef) : NULL;
        if (cell->shared[e] >= 0)
            shared_backward(net, cell, e, ds[j], ds[2 + e / 2]);
        else
            op_backward(net, cell, &cell->ops[e], j, ds[j], ds[2 + e / 2], coef);
    }
    /* with it the state-0 preprocessings its forward made (early_pre0s):
     * this cell's own (k = 0), and the next cell's, whose backward left the
     * gradient of its state 0 */
    const ERcb *also[EV_CAT_OUTS - 1];
    const float *also_dout[EV_CAT_OUTS - 1];
    int at[EV_CAT_OUTS - 1];
    const int n_also = early_pre0s(net, k, also, at);
    const float *coefs[EV_CAT_OUTS] = {sums_at[1] >= 0 ? cell->pre1.coef : NULL};
    for (int t = 0; t < n_also; t++) {
        also_dout[t] = state_grad(net, at[t], 0);
        coefs[1 + t] = state_sums_edge(&net->cells[at[t]], 0, nodes) >= 0 ? also[t]->coef : NULL;
    }
    const int fr_at = early_fr(net, k);
    preprocess_backward(net, &cell->pre1, ds[1], k - 1, also, also_dout, n_also, coefs,
                        fr_at >= 0 ? &net->cells[fr_at].pre0_fr : NULL,
                        fr_at >= 0 ? state_grad(net, fr_at, 0) : NULL);
}

static void aux_backward(EvalNet *net, const int *y, float aux_weight, float *din)
{
    EAux *a = &net->aux;
    int n = net->n, k = net->spec.classes;
    float *gw = net->gw;
    ezero(net, a->dlogits, (size_t)n * k);
    softmax_xent_backward(a->dlogits, a->probs, y, n, k, aux_weight);
    ezero(net, a->d2, (size_t)n * 768);
    linear_backward(a->d2, gw + a->lw, gw + a->lb, a->dlogits, a->f, net->w + a->lw, n, 768, k);
    ezero(net, a->g2, (size_t)n * 768);
    relu_backward(a->g2, a->d2, a->f, (size_t)n * 768);
    ebn_backward(net, &a->bn2, a->d2, a->g2, NULL, a->x2, 1);
    ezero(net, a->d1, (size_t)n * 128 * 4);
    linear_backward(a->d1, gw + a->c2.w, NULL, a->d2, a->r1, net->w + a->c2.w, n, 128 * 4, 768);
    ezero(net, a->g1, (size_t)n * 128 * 4);
    relu_backward(a->g1, a->d1, a->r1, (size_t)n * 128 * 4);
    ebn_backward(net, &a->bn1, a->d1, a->g1, NULL, a->x1, 4);
    conv2d_backward_set(&a->c1.spec, a->dpool, gw + a->c1.w, a->d1, a->pool, net->w + a->c1.w, n, 2,
                        2, net->conv);
    size_t count = (size_t)n * a->c * a->s * a->s;
    ezero(net, net->aux_drelu, count);
    avgpool_window_backward(net->aux_drelu, a->dpool, n, a->c, a->s, a->s, 5, a->stride);
    output_relu_backward(net, net->aux_at, din, net->aux_drelu, kept_output_relu(net, net->aux_at));
}

void evalnet_backward(EvalNet *net, const int *y, float aux_weight)
{
    const EvalSpec *sp = &net->spec;
    int n = net->n, L = sp->layers, k = sp->classes;
    net->relu_ok[0] = 0; /* its memory served others since the forward of cell 1 */
    ezero(net, net->gw, net->nw);
    ezero(net, net->dlogits, (size_t)n * k);
    softmax_xent_backward(net->dlogits, net->probs, y, n, k, 1.0f);
    ezero(net, net->dpooled, (size_t)n * net->c_last);
    linear_backward(net->dpooled, net->gw + net->cls_w, net->gw + net->cls_b, net->dlogits,
                    net->pooled, net->w + net->cls_w, n, net->c_last, k);
    size_t last = (size_t)n * net->c_last * net->hw_last;
    ezero(net, output_grad(net, L - 1), last);
    const ECell *lastc = &net->cells[L - 1];
    size_t per = (size_t)n * lastc->c * net->hw_last;
    for (int j = 0; j < lastc->concat_count; j++) { /* state by state, as the forward */
        channel_copy(net->pool_part, lastc->c, 0, net->dpooled, net->c_last, j * lastc->c, lastc->c,
                     n, 1);
        global_avgpool_backward(output_grad(net, L - 1) + (size_t)j * per, net->pool_part, n,
                                lastc->c, net->hw_last);
    }
    const ECell *prev = &net->cells[L - 2];
    ezero(net, output_grad(net, L - 2), (size_t)n * prev->mult * prev->c * prev->ho * prev->wo);
    for (int c = L - 1; c >= 0; c--) {
        if (c == net->aux_at && net->aux_run)
            aux_backward(net, y, aux_weight, output_grad(net, c));
        if (c >= 1) {
            /* cell c is the first (backward) to touch the output of c - 2 */
            int j = c - 2;
            size_t count = j >= 0 ? (size_t)n * net->cells[j].mult * net->cells[j].c *
                                        net->cells[j].ho * net->cells[j].wo
                                  : (size_t)n * net->stem_bn.c * sp->height * sp->width;
            ezero(net, output_grad(net, j >= 0 ? j : -1), count);
        }
        cell_run(net, c, cell_backward);
    }
    /* the stem: only its weights */
    float *dx = net->relu[0];
    net->relu_ok[0] = 0;
    ebn_backward(net, &net->stem_bn, dx, output_grad(net, -1), NULL, net->stem_x,
                 sp->height * sp->width);
    conv2d_backward(&net->stem.spec, NULL, net->gw + net->stem.w, dx, net->x_in,
                    net->w + net->stem.w, n, sp->height, sp->width, net->conv);
}
