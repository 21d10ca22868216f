/* supernet: the DARTS search network (see include/dartboard/supernet.h).
 *
 * The plan walks the network once in PyTorch's module order
 * (darts_ref.SearchNetwork: stem, cells, classifier), so offsets into the
 * flat weight and running-statistics vectors come out in model.parameters()
 * and model.buffers() order. It runs twice: measuring, then carving the
 * arena for real; forward and backward then only use what was carved.
 *
 * The arena holds, per cell, the two preprocessed inputs and the cell output
 * (the concatenated nodes: inputs of later edges and cells), and the BN
 * inputs and batch statistics of every op; everything else lives in shared
 * scratch sized for the largest use. The nodes are built in scratch and
 * copied out of the concatenation again by the backward; the output
 * gradients of the cells rotate through three buffers, since the backward
 * of cell k touches only those of cells k, k-1 and k-2.
 *
 * Threads: the ops of each edge run side by side on `lanes` threads (see
 * mixedop.h), everything else (preprocessing, stem, classifier, the
 * elementwise passes between edges) on multithreaded kernels. Results are
 * bit-for-bit repeatable for a given lane and thread count.
 */
#include "dartboard/supernet.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/activation.h"
#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"
#include "dartboard/genotype.h"
#include "dartboard/linear.h"
#include "dartboard/loss.h"
#include "dartboard/pool.h"
#include "dartboard/remedy.h"
#include "mixedop.h"

typedef struct Cell {
    int reduction, reduction_prev;
    int c, c_pp, c_p;
    int h0, w0;          /* s0 */
    int h, w;            /* s1 and the two preprocessed inputs */
    int ho, wo;          /* intermediate nodes and the output */
    FactRed pre0_reduce; /* pre0 when the previous cell was a reduction */
    ReluConvBn pre0, pre1;
    MixedOp ops[GENOTYPE_MAX_EDGES];
    float *pre[2]; /* pre0(s0), pre1(s1): (n, c, h, w) */
    float *out;    /* (n, nodes * c, ho, wo) */
    /* Frozen kinks (supernet_set_kinks): the masks of the ReLU of s0 before
     * pre0_reduce and of the ReLU of each state; NULL unless planned. */
    unsigned char *pre0_kinks, *state_kinks[GENOTYPE_MAX_NODES + 1];
} Cell;

struct Supernet {
    SupernetSpec spec;
    int edges;
    size_t n_weights, n_running, n_inits;
    float *weights, *grads, *running, *alphas, *alpha_grads;
    InitBlock *inits;
    size_t n_arch;                                 /* alphas, then the betas */
    float mix[2][GENOTYPE_MAX_EDGES * OP_COUNT];   /* softmax(alphas) of the last forward */
    double dmix[2][GENOTYPE_MAX_EDGES * OP_COUNT]; /* dL/d mix */
    /* Edge normalisation: mix = soft * norm of the edge; dnorm gathers the
     * bypass's share of dL/d norm (the ops' share comes from dmix). */
    float soft[2][GENOTYPE_MAX_EDGES * OP_COUNT], norm[2][GENOTYPE_MAX_EDGES];
    double dnorm[2][GENOTYPE_MAX_EDGES];
    const float *mix_offset;          /* added to mix (NULL: none) */
    float aux_beta, aux_beta_forward; /* DARTS-: for the next forward; of the last one */
    Arena arena;
    Scratch lane[SCRATCH_MAX_LANES];
    int lanes;
    /* The cell being run: its states (pre0, pre1, nodes; the first two point
     * into the cell) and their gradients. */
    float *state[GENOTYPE_MAX_NODES + 2], *grad[GENOTYPE_MAX_NODES + 2];
    /* ReLU of each state and the gradient with respect to it, shared by all
     * the edges leaving the state (the last node feeds none). */
    float *relu[GENOTYPE_MAX_NODES + 1], *drelu[GENOTYPE_MAX_NODES + 1];
    float *dout[3]; /* gradient of the output of cell k (stem: k = -1) in dout[(k + 3) % 3] */

    Conv stem_conv;
    size_t stem_gamma, stem_beta;
    Bn stem_bn;
    int stem_c;
    float *input, *stem_x, *stem_out;

    Cell *cells;

    int features, last_hw;
    size_t cls_w, cls_b;
    float *pooled, *dpooled, *logits, *dlogits, *probs;
    int *labels;

    int last_n, backward_ready;
    SupernetKinks kinks;
};

/* A violated precondition of the caller (not bad input): say so and stop. */
static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "dartboard: internal error: supernet: %s\n", what);
        abort();
    }
}

static int is_reduction(const SupernetSpec *sp, int i)
{
    return i == sp->layers / 3 || i == 2 * sp->layers / 3;
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

static size_t plane(int n, int c, int h, int w)
{
    return (size_t)n * (size_t)c * (size_t)h * (size_t)w;
}

static void plan_cell(Plan *p, const SupernetSpec *sp, Cell *cell)
{
    int n = p->batch, nodes = sp->nodes;
    if (cell->reduction_prev) {
        plan_fact_red(p, &cell->pre0_reduce, cell->c_pp, cell->c, cell->h0, cell->w0);
        cell->pre0_kinks = plan_kinks(p, plane(n, cell->c_pp, cell->h0, cell->w0));
    } else
        plan_relu_conv_bn(p, &cell->pre0, cell->c_pp, cell->c, cell->h0, cell->w0);
    plan_relu_conv_bn(p, &cell->pre1, cell->c_p, cell->c, cell->h, cell->w);
    int e = 0;
    for (int i = 0; i < nodes; i++)
        for (int j = 0; j < 2 + i; j++, e++) {
            int from_input = j < 2;
            mixedop_plan(p, &cell->ops[e], cell->c, from_input ? cell->h : cell->ho,
                         from_input ? cell->w : cell->wo, cell->reduction && from_input ? 2 : 1,
                         sp->aux_skip, sp->pc_k);
        }
    for (int j = 0; j < 2; j++)
        cell->pre[j] = arena_floats(p->arena, plane(n, cell->c, cell->h, cell->w));
    for (int j = 0; j <= nodes; j++)
        cell->state_kinks[j] = plan_kinks(p, j < 2 ? plane(n, cell->c, cell->h, cell->w)
                                                   : plane(n, cell->c, cell->ho, cell->wo));
    size_t out_count = plane(n, nodes * cell->c, cell->ho, cell->wo);
    cell->out = arena_floats(p->arena, out_count);
    scratch_need(&p->need.state, plane(n, cell->c, cell->h, cell->w));
    scratch_need(&p->need.node, plane(n, cell->c, cell->ho, cell->wo));
    scratch_need(&p->need.output, out_count);
}

static void plan_network(Supernet *net, Plan *p)
{
    const SupernetSpec *sp = &net->spec;
    int n = sp->batch, size = sp->image_size;
    int c_curr = sp->stem_multiplier * sp->init_channels;
    size_t stem_count = plane(n, c_curr, size, size);

    net->stem_c = c_curr;
    plan_conv(p, &net->stem_conv, sp->in_channels, c_curr, 3, 1, 1, 1, 1, size, size);
    net->stem_gamma = plan_weights(p, (size_t)c_curr, INIT_ONE, 0);
    net->stem_beta = plan_weights(p, (size_t)c_curr, INIT_ZERO, 0);
    plan_bn(p, &net->stem_bn, c_curr);
    net->input = arena_floats(p->arena, plane(n, sp->in_channels, size, size));
    net->stem_x = arena_floats(p->arena, stem_count);
    net->stem_out = arena_floats(p->arena, stem_count);
    scratch_need(&p->need.output, stem_count);

    int c_pp = c_curr, c_p = c_curr, c = sp->init_channels;
    int h_pp = size, h_p = size, reduction_prev = 0;
    for (int i = 0; i < sp->layers; i++) {
        Cell *cell = &net->cells[i];
        cell->reduction = is_reduction(sp, i);
        if (cell->reduction)
            c *= 2;
        cell->reduction_prev = reduction_prev;
        cell->c = c;
        cell->c_pp = c_pp;
        cell->c_p = c_p;
        cell->h0 = cell->w0 = h_pp;
        cell->h = cell->w = h_p;
        cell->ho = cell->wo = cell->reduction ? pool3x3_out_size(h_p, 2) : h_p;
        plan_cell(p, sp, cell);
        reduction_prev = cell->reduction;
        c_pp = c_p;
        c_p = sp->nodes * c;
        h_pp = h_p;
        h_p = cell->ho;
    }

    net->features = c_p;
    net->last_hw = h_p * h_p;
    net->cls_w = plan_weights(p, (size_t)sp->classes * (size_t)c_p, INIT_UNIFORM, c_p);
    net->cls_b = plan_weights(p, (size_t)sp->classes, INIT_UNIFORM, c_p);
    net->pooled = arena_floats(p->arena, (size_t)n * (size_t)c_p);
    net->dpooled = arena_floats(p->arena, (size_t)n * (size_t)c_p);
    net->logits = arena_floats(p->arena, (size_t)n * (size_t)sp->classes);
    net->dlogits = arena_floats(p->arena, (size_t)n * (size_t)sp->classes);
    net->probs = arena_floats(p->arena, (size_t)n * (size_t)sp->classes);
    net->labels = arena_bytes(p->arena, (size_t)n * sizeof(int));

    /* Lane 0 also runs what lies outside the MixedOps. */
    const ScratchNeed *need = &p->need, *edge = &p->need_edge;
    for (int t = 0; t < net->lanes; t++) {
        Scratch *s = &net->lane[t];
        memset(s, 0, sizeof *s);
        for (int k = 0; k < 4; k++)
            s->slot[k] =
                arena_floats(p->arena, t == 0 ? max_size(need->slot, edge->slot) : edge->slot);
        s->sub = arena_floats(p->arena, t == 0 ? max_size(need->sub, edge->sub) : edge->sub);
        s->dsub = arena_floats(p->arena, t == 0 ? max_size(need->sub, edge->sub) : edge->sub);
        s->half = arena_floats(p->arena, t == 0 ? max_size(need->half, edge->half) : edge->half);
        s->conv = arena_floats(p->arena, t == 0 ? max_size(need->conv, edge->conv) : edge->conv);
        s->partial =
            arena_bytes(p->arena, max_size(need->channels, edge->channels) * sizeof(double));
        if (t == 0) {
            s->relu = arena_floats(p->arena, need->relu);
            s->drelu = arena_floats(p->arena, need->relu);
            if (need->pc_in) {
                s->pc_in = arena_floats(p->arena, need->pc_in);
                s->pc_relu = arena_floats(p->arena, need->pc_in);
                s->pc_din = arena_floats(p->arena, need->pc_in);
                s->pc_drelu = arena_floats(p->arena, need->pc_in);
                s->pc_out = arena_floats(p->arena, need->pc_out);
                s->pc_dout = arena_floats(p->arena, need->pc_out);
            }
        } else {
            s->acc_out = arena_floats(p->arena, edge->slot);
            s->acc_in = arena_floats(p->arena, edge->edge_in);
            s->acc_relu = arena_floats(p->arena, edge->edge_in);
        }
    }
    for (int j = 0; j < 2 + sp->nodes; j++) {
        size_t count = j < 2 ? need->state : need->node;
        net->grad[j] = arena_floats(p->arena, count);
        if (j >= 2)
            net->state[j] = arena_floats(p->arena, count);
        if (j <= sp->nodes) {
            net->relu[j] = arena_floats(p->arena, count);
            net->drelu[j] = arena_floats(p->arena, count);
        }
    }
    for (int k = 0; k < 3; k++)
        net->dout[k] = arena_floats(p->arena, need->output);
}

/* Bad specs are configuration errors: name the preset key and the range. */
static int check_range(const char *key, int v, int lo, int hi, char *err, size_t errlen)
{
    if (v >= lo && v <= hi)
        return 0;
    snprintf(err, errlen, "%s = %d is out of range (expected %d..%d)", key, v, lo, hi);
    return -1;
}

static int check_spec(const SupernetSpec *sp, char *err, size_t errlen)
{
    if (check_range("model.in_channels", sp->in_channels, 1, 64, err, errlen) ||
        check_range("model.image_size", sp->image_size, 1, 4096, err, errlen) ||
        check_range("model.classes", sp->classes, 2, 100000, err, errlen) ||
        check_range("model.init_channels", sp->init_channels, 1, 1024, err, errlen) ||
        check_range("model.layers", sp->layers, 1, 64, err, errlen) ||
        check_range("model.nodes", sp->nodes, 1, GENOTYPE_MAX_NODES, err, errlen) ||
        check_range("model.stem_multiplier", sp->stem_multiplier, 1, 64, err, errlen) ||
        check_range("data.batch_size", sp->batch, 1, 1 << 20, err, errlen) ||
        check_range("supernet lanes", sp->lanes, 0, SCRATCH_MAX_LANES, err, errlen) ||
        check_range("remedy.pc_k", sp->pc_k, 0, 64, err, errlen))
        return -1;
    /* Every cell has init_channels times a power of two channels: K must
     * divide init_channels (then C/K is even in the reduction cells, as their
     * FactorizedReduce needs). */
    if (sp->pc_k > 1 && sp->init_channels % sp->pc_k) {
        snprintf(err, errlen,
                 "remedy.pc_k = %d does not divide model.init_channels = %d, the channels of the "
                 "first cells (expected a divisor of it, or 0 or 1 for all channels)",
                 sp->pc_k, sp->init_channels);
        return -1;
    }
    if ((sp->pc_k > 1 || sp->edge_norm) && (sp->aux_skip || sp->sigmoid)) {
        snprintf(err, errlen,
                 "remedy.pc_k / remedy.edge_norm with %s (expected one of the two remedies)",
                 sp->aux_skip ? "remedy.darts_minus_beta" : "remedy.fair_darts");
        return -1;
    }
    /* FactorizedReduce pairs pixel (2i, 2j) with (2i+1, 2j+1): every
     * reduction needs an even input size. */
    int size = sp->image_size;
    for (int i = 0; i < sp->layers; i++) {
        if (!is_reduction(sp, i))
            continue;
        if (size % 2) {
            snprintf(err, errlen,
                     "model.image_size = %d reaches reduction cell %d at %dx%d, which does not "
                     "halve (expected a size that stays even down to every reduction, e.g. a "
                     "multiple of 4)",
                     sp->image_size, i, size, size);
            return -1;
        }
        size /= 2;
    }
    return 0;
}

Supernet *supernet_create(const SupernetSpec *spec, char *err, size_t errlen)
{
    if (check_spec(spec, err, errlen))
        return NULL;
    Supernet *net = calloc(1, sizeof *net);
    if (!net || !(net->cells = calloc((size_t)spec->layers, sizeof *net->cells))) {
        free(net);
        snprintf(err, errlen, "out of memory creating the supernet");
        return NULL;
    }
    net->spec = *spec;
    net->edges = genotype_edge_count(spec->nodes);
    net->lanes = spec->lanes;
    if (net->lanes == 0) {
#ifdef _OPENMP
        net->lanes = omp_get_max_threads() < 4 ? omp_get_max_threads() : 4;
#else
        net->lanes = 1;
#endif
    }
    net->spec.lanes = net->lanes;

    Plan p = {.arena = &net->arena,
              .batch = spec->batch,
              .lanes = net->lanes,
              .kinks = spec->frozen_kinks};
    arena_measure(&net->arena);
    plan_network(net, &p);
    size_t bytes = net->arena.peak;
    net->n_weights = p.weights;
    net->n_running = p.running;
    net->n_inits = p.inits;
    size_t n_alpha =
        2 * (size_t)net->edges * OP_COUNT + (spec->edge_norm ? 2 * (size_t)net->edges : 0);
    net->n_arch = n_alpha;

    net->weights = calloc(net->n_weights, sizeof(float));
    net->grads = calloc(net->n_weights, sizeof(float));
    net->running = calloc(net->n_running, sizeof(float));
    net->alphas = calloc(n_alpha, sizeof(float));
    net->alpha_grads = calloc(n_alpha, sizeof(float));
    net->inits = calloc(net->n_inits, sizeof(InitBlock));
    if (!net->weights || !net->grads || !net->running || !net->alphas || !net->alpha_grads ||
        !net->inits || arena_init(&net->arena, bytes)) {
        snprintf(err, errlen,
                 "out of memory: the supernet needs %zu MiB of activations for batch %d and "
                 "%zu weights",
                 bytes >> 20, spec->batch, net->n_weights);
        supernet_free(net);
        return NULL;
    }
    p = (Plan){.arena = &net->arena,
               .batch = spec->batch,
               .init = net->inits,
               .lanes = net->lanes,
               .kinks = spec->frozen_kinks};
    plan_network(net, &p);
    require(p.weights == net->n_weights && p.running == net->n_running && p.inits == net->n_inits,
            "the two planning passes disagree");
    /* Until supernet_init: running variance 1, as a fresh PyTorch BN. */
    for (size_t i = 0; i < net->n_inits; i++)
        if (net->inits[i].running && net->inits[i].kind == INIT_ONE)
            for (size_t k = 0; k < net->inits[i].count; k++)
                net->running[net->inits[i].off + k] = 1.0f;
    return net;
}

void supernet_free(Supernet *net)
{
    if (!net)
        return;
    arena_free(&net->arena);
    free(net->weights);
    free(net->grads);
    free(net->running);
    free(net->alphas);
    free(net->alpha_grads);
    free(net->inits);
    free(net->cells);
    free(net);
}

size_t supernet_weight_count(const Supernet *net)
{
    return net->n_weights;
}
float *supernet_weights(Supernet *net)
{
    return net->weights;
}
float *supernet_weight_grads(Supernet *net)
{
    return net->grads;
}
size_t supernet_running_count(const Supernet *net)
{
    return net->n_running;
}
float *supernet_running_stats(Supernet *net)
{
    return net->running;
}
int supernet_edges(const Supernet *net)
{
    return net->edges;
}
size_t supernet_arch_count(const Supernet *net)
{
    return net->n_arch;
}
float *supernet_alphas(Supernet *net)
{
    return net->alphas;
}
float *supernet_alpha_grads(Supernet *net)
{
    return net->alpha_grads;
}

void supernet_set_kinks(Supernet *net, SupernetKinks kinks)
{
    require(kinks == SUPERNET_KINKS_LIVE || net->spec.frozen_kinks,
            "recorded kinks without spec.frozen_kinks");
    net->kinks = kinks;
}

void supernet_init(Supernet *net, Rng *rng)
{
    for (size_t i = 0; i < net->n_inits; i++) {
        const InitBlock *b = &net->inits[i];
        float *v = (b->running ? net->running : net->weights) + b->off;
        float bound = b->kind == INIT_UNIFORM ? 1.0f / sqrtf((float)b->fan_in) : 0.0f;
        for (size_t k = 0; k < b->count; k++)
            v[k] = b->kind == INIT_ONE    ? 1.0f
                   : b->kind == INIT_ZERO ? 0.0f
                                          : (2.0f * rng_uniform(rng) - 1.0f) * bound;
    }
    for (size_t k = 0; k < net->n_arch; k++)
        net->alphas[k] = (float)(1e-3 * rng_normal(rng));
    net->backward_ready = 0;
}

/* Edge normalisation: norm[e] = softmax over the incoming edges of e's node
 * of the betas of cell kind `kind`. */
static void edge_norms(const Supernet *net, int kind, float *norm)
{
    const float *beta = net->alphas + 2 * (size_t)net->edges * OP_COUNT + (size_t)kind * net->edges;
    for (int i = 0, start = 0; i < net->spec.nodes; start += 2 + i, i++)
        softmax_rows(norm + start, beta + start, 1, 2 + i);
}

/* The op weights of the alphas of `kind`, without the edge normalisation. */
static void alpha_weights(const Supernet *net, int kind, float *w)
{
    const float *a = net->alphas + (size_t)kind * (size_t)net->edges * OP_COUNT;
    if (net->spec.sigmoid)
        remedy_sigmoid_weights(w, a, net->edges);
    else
        softmax_rows(w, a, net->edges, OP_COUNT);
}

void supernet_op_weights(const Supernet *net, float *normal, float *reduce)
{
    float *w[2] = {normal, reduce}, norm[GENOTYPE_MAX_EDGES];
    for (int kind = 0; kind < 2; kind++) {
        alpha_weights(net, kind, w[kind]);
        if (!net->spec.edge_norm)
            continue;
        edge_norms(net, kind, norm);
        for (int i = 0; i < net->edges * OP_COUNT; i++)
            w[kind][i] *= norm[i / OP_COUNT];
    }
}

void supernet_set_mix_offset(Supernet *net, const float *offset)
{
    net->mix_offset = offset;
}

void supernet_set_aux_beta(Supernet *net, float beta)
{
    net->aux_beta = net->spec.aux_skip ? beta : 0.0f;
}

/* ------------------------------------------------------------------ forward */

static const float *cell_input(const Supernet *net, int i, int back)
{
    return i - back >= 0 ? net->cells[i - back].out : net->stem_out;
}

/* The gradient of the output of cell k, k = -1 for the stem. */
static float *output_grad(Supernet *net, int k)
{
    return net->dout[(k + 3) % 3];
}

static void cell_forward(Supernet *net, const Ctx *x, int i)
{
    const Cell *cell = &net->cells[i];
    const float *s0 = cell_input(net, i, 2), *s1 = cell_input(net, i, 1);
    const float *mix = net->mix[cell->reduction];
    int nodes = net->spec.nodes, hwo = cell->ho * cell->wo;
    float **state = net->state;

    state[0] = cell->pre[0];
    state[1] = cell->pre[1];
    if (cell->reduction_prev) {
        kink_relu_forward(x, cell->pre0_kinks, x->s->relu, s0,
                          plane(x->n, cell->c_pp, cell->h0, cell->w0));
        fact_red_forward(x, &cell->pre0_reduce, OP_OUT_SET(state[0]), x->s->relu);
    } else {
        relu_conv_bn_forward(x, &cell->pre0, state[0], s0);
    }
    relu_conv_bn_forward(x, &cell->pre1, state[1], s1);
    for (int j = 0; j < 2; j++)
        kink_relu_forward(x, cell->state_kinks[j], net->relu[j], state[j],
                          plane(x->n, cell->c, cell->h, cell->w));
    int e = 0;
    for (int k = 0; k < nodes; k++) {
        float *node = state[2 + k];
        size_t count = plane(x->n, cell->c, cell->ho, cell->wo);
        vec_zero(node, count);
        for (int j = 0; j < 2 + k; j++, e++)
            mixedop_forward(x, &cell->ops[e], node, state[j], net->relu[j], &mix[e * OP_COUNT],
                            net->spec.edge_norm ? net->norm[cell->reduction][e] : 1.0f);
        if (k < nodes - 1)
            kink_relu_forward(x, cell->state_kinks[2 + k], net->relu[2 + k], node, count);
        channel_copy(cell->out, nodes * cell->c, k * cell->c, node, cell->c, 0, cell->c, x->n, hwo);
    }
}

float supernet_forward(Supernet *net, const float *x, const int *labels, int n, SupernetMode mode,
                       int *correct, float *logits)
{
    const SupernetSpec *sp = &net->spec;
    require(n >= 1 && n <= sp->batch, "forward batch outside 1..spec.batch");
    for (int i = 0; i < n; i++)
        require(labels[i] >= 0 && labels[i] < sp->classes, "label outside 0..classes-1");
    int size = sp->image_size;
    Ctx cx = {.w = net->weights,
              .running = net->running,
              .mode = mode,
              .n = n,
              .s = &net->lane[0],
              .lane = net->lane,
              .lanes = net->lanes,
              .aux_beta = net->aux_beta,
              .kinks = net->kinks};

    alpha_weights(net, 0, net->mix[0]);
    alpha_weights(net, 1, net->mix[1]);
    if (net->mix_offset)
        for (int kind = 0; kind < 2; kind++)
            for (int i = 0; i < net->edges * OP_COUNT; i++)
                net->mix[kind][i] += net->mix_offset[kind * net->edges * OP_COUNT + i];
    if (sp->edge_norm) /* the cell multiplies each edge by its norm: fold it into the weights */
        for (int kind = 0; kind < 2; kind++) {
            edge_norms(net, kind, net->norm[kind]);
            memcpy(net->soft[kind], net->mix[kind], sizeof net->soft[kind]);
            for (int i = 0; i < net->edges * OP_COUNT; i++)
                net->mix[kind][i] *= net->norm[kind][i / OP_COUNT];
        }
    memcpy(net->input, x, plane(n, sp->in_channels, size, size) * sizeof(float));
    memcpy(net->labels, labels, (size_t)n * sizeof(int));

    conv2d_forward(&net->stem_conv.spec, net->stem_x, net->input, net->weights + net->stem_conv.w,
                   n, size, size, net->lane[0].conv);
    bn_forward(&cx, &net->stem_bn, net->stem_out, net->stem_x, net->weights + net->stem_gamma,
               net->weights + net->stem_beta, size * size);
    for (int i = 0; i < sp->layers; i++)
        cell_forward(net, &cx, i);

    global_avgpool_forward(net->pooled, net->cells[sp->layers - 1].out, n, net->features,
                           net->last_hw);
    linear_forward(net->logits, net->pooled, net->weights + net->cls_w, net->weights + net->cls_b,
                   n, net->features, sp->classes);
    float loss =
        softmax_xent_forward(net->probs, net->logits, net->labels, n, sp->classes, correct);
    if (logits)
        memcpy(logits, net->logits, (size_t)n * (size_t)sp->classes * sizeof(float));
    net->last_n = n;
    net->aux_beta_forward = net->aux_beta;
    net->backward_ready = mode != SUPERNET_EVAL;
    return loss;
}

/* ------------------------------------------------------------------ backward */

static void cell_backward(Supernet *net, const Ctx *x, int i)
{
    const Cell *cell = &net->cells[i];
    const float *s0 = cell_input(net, i, 2), *s1 = cell_input(net, i, 1);
    int i0 = i - 2 < -1 ? -1 : i - 2;
    float *dout = output_grad(net, i), *ds0 = output_grad(net, i0), *ds1 = output_grad(net, i - 1);
    const float *mix = net->mix[cell->reduction];
    double *dmix = net->dmix[cell->reduction];
    int nodes = net->spec.nodes, hwo = cell->ho * cell->wo;
    float **g = net->grad, **state = net->state;

    /* ds0 last held the gradient of cell i + 1, consumed by now (cell 0: its
     * s0 is the stem, whose gradient cell 1 already started). */
    if (i >= 1)
        vec_zero(ds0, i0 < 0 ? plane(x->n, net->stem_c, net->spec.image_size, net->spec.image_size)
                             : plane(x->n, net->spec.nodes * net->cells[i0].c, net->cells[i0].ho,
                                     net->cells[i0].wo));
    state[0] = cell->pre[0];
    state[1] = cell->pre[1];
    for (int k = 0; k < nodes; k++) {
        channel_copy(state[2 + k], cell->c, 0, cell->out, nodes * cell->c, k * cell->c, cell->c,
                     x->n, hwo);
        channel_copy(g[2 + k], cell->c, 0, dout, nodes * cell->c, k * cell->c, cell->c, x->n, hwo);
    }
    /* The stem's output gradient only feeds weight gradients: without them,
     * the first cell's inputs need none. */
    int need_inputs = i >= 1 || x->gw;
    for (int j = 0; j < 2 + nodes - 1; j++) {
        size_t count = j < 2 ? plane(x->n, cell->c, cell->h, cell->w)
                             : plane(x->n, cell->c, cell->ho, cell->wo);
        if (j < 2)
            vec_zero(g[j], count);
        if (j >= 2 || need_inputs)
            vec_zero(net->drelu[j], count);
        if (x->gw) /* ReLU(state) is an input of weight gradients only */
            relu_forward(net->relu[j], state[j], count);
    }
    /* A node's gradient is complete once every later node is done; a state's
     * ReLU gradient once the first node it feeds is. */
    for (int k = nodes - 1; k >= 0; k--) {
        int start = k * (k + 3) / 2;
        for (int j = 0; j < 2 + k; j++) {
            int need = j >= 2 || need_inputs;
            mixedop_backward(x, &cell->ops[start + j], need ? g[j] : NULL,
                             need ? net->drelu[j] : NULL, g[2 + k], state[j], net->relu[j],
                             &mix[(start + j) * OP_COUNT], &dmix[(start + j) * OP_COUNT],
                             net->spec.edge_norm ? net->norm[cell->reduction][start + j] : 1.0f,
                             &net->dnorm[cell->reduction][start + j]);
        }
        for (int j = k == 0 ? 0 : k + 1; j <= k + 1; j++)
            if (j >= 2 || need_inputs)
                kink_relu_backward(x, cell->state_kinks[j], g[j], net->drelu[j], state[j],
                                   j < 2 ? plane(x->n, cell->c, cell->h, cell->w)
                                         : plane(x->n, cell->c, cell->ho, cell->wo));
    }

    if (need_inputs)
        relu_conv_bn_backward(x, &cell->pre1, ds1, g[1], s1);
    if (i >= 2 || x->gw) {
        if (cell->reduction_prev) {
            Ctx nodot = *x;
            size_t count = plane(x->n, cell->c_pp, cell->h0, cell->w0);
            nodot.want_dot = 0;
            if (x->gw)
                relu_forward(x->s->relu, s0, count);
            vec_zero(x->s->drelu, count);
            fact_red_backward(&nodot, &cell->pre0_reduce, x->s->drelu, g[0], 1.0f, x->s->relu);
            kink_relu_backward(x, cell->pre0_kinks, ds0, x->s->drelu, s0, count);
        } else {
            relu_conv_bn_backward(x, &cell->pre0, ds0, g[0], s0);
        }
    }
}

/* The architecture gradient with edge normalisation, mix = soft * norm:
 * dL/d norm_e = sum_k soft_k dL/d mix_k + the bypass's dot, dL/d soft_k =
 * norm_e dL/d mix_k, each through its softmax (ops of the edge; edges of
 * the node). */
static void edge_norm_grads(Supernet *net)
{
    float *gb = net->alpha_grads + 2 * (size_t)net->edges * OP_COUNT;
    for (int kind = 0; kind < 2; kind++) {
        double dn[GENOTYPE_MAX_EDGES];
        for (int e = 0; e < net->edges; e++) {
            const float *w = &net->soft[kind][e * OP_COUNT];
            const double *d = &net->dmix[kind][e * OP_COUNT];
            double nb = net->norm[kind][e], dsoft[OP_COUNT], mean = 0.0;
            float *ga =
                net->alpha_grads + ((size_t)kind * (size_t)net->edges + (size_t)e) * OP_COUNT;
            dn[e] = net->dnorm[kind][e];
            for (int k = 0; k < OP_COUNT; k++) {
                dn[e] += (double)w[k] * d[k];
                dsoft[k] = nb * d[k];
                mean += (double)w[k] * dsoft[k];
            }
            for (int k = 0; k < OP_COUNT; k++)
                ga[k] = (float)((double)w[k] * (dsoft[k] - mean));
        }
        for (int i = 0, start = 0; i < net->spec.nodes; start += 2 + i, i++) {
            double mean = 0.0;
            for (int j = start; j < start + 2 + i; j++)
                mean += (double)net->norm[kind][j] * dn[j];
            for (int j = start; j < start + 2 + i; j++)
                gb[kind * net->edges + j] = (float)((double)net->norm[kind][j] * (dn[j] - mean));
        }
    }
}

void supernet_backward(Supernet *net, int want_weight_grads, int want_alpha_grads)
{
    const SupernetSpec *sp = &net->spec;
    require(net->backward_ready, "backward without a training-mode forward");
    require(net->kinks != SUPERNET_KINKS_FROZEN || !want_weight_grads,
            "weight gradients with frozen kinks");
    int n = net->last_n, size = sp->image_size, classes = sp->classes;
    memset(net->grads, 0, net->n_weights * sizeof(float));
    memset(net->alpha_grads, 0, net->n_arch * sizeof(float));
    memset(net->dmix, 0, sizeof net->dmix);
    memset(net->dnorm, 0, sizeof net->dnorm);
    if (!want_weight_grads && !want_alpha_grads)
        return;
    float *gw = want_weight_grads ? net->grads : NULL;
    Ctx cx = {.w = net->weights,
              .gw = gw,
              .running = net->running,
              .mode = SUPERNET_TRAIN,
              .n = n,
              .want_dot = want_alpha_grads,
              .s = &net->lane[0],
              .lane = net->lane,
              .lanes = net->lanes,
              .aux_beta = net->aux_beta_forward,
              .kinks = net->kinks};

    vec_zero(net->dlogits, (size_t)n * (size_t)classes);
    softmax_xent_backward(net->dlogits, net->probs, net->labels, n, classes, 1.0f);
    vec_zero(net->dpooled, (size_t)n * (size_t)net->features);
    linear_backward(net->dpooled, gw ? gw + net->cls_w : NULL, gw ? gw + net->cls_b : NULL,
                    net->dlogits, net->pooled, net->weights + net->cls_w, n, net->features,
                    classes);
    for (int k = 0; k < 3; k++) {
        int cell = sp->layers - 1 - k;
        const Cell *c = &net->cells[cell < 0 ? 0 : cell];
        vec_zero(output_grad(net, cell), cell < 0 ? plane(n, net->stem_c, size, size)
                                                  : plane(n, sp->nodes * c->c, c->ho, c->wo));
    }
    global_avgpool_backward(output_grad(net, sp->layers - 1), net->dpooled, n, net->features,
                            net->last_hw);
    for (int i = sp->layers - 1; i >= 0; i--)
        cell_backward(net, &cx, i);

    if (gw) {
        float *dx = net->lane[0].relu; /* sized for every ReLU input, the stem output included */
        vec_zero(dx, plane(n, net->stem_c, size, size));
        batchnorm_backward(dx, gw + net->stem_gamma, gw + net->stem_beta, output_grad(net, -1),
                           net->stem_x, net->stem_bn.mean, net->stem_bn.invstd,
                           net->weights + net->stem_gamma, n, net->stem_c, size * size);
        conv2d_backward(&net->stem_conv.spec, NULL, gw + net->stem_conv.w, dx, net->input,
                        net->weights + net->stem_conv.w, n, size, size, net->lane[0].conv);
    }
    if (want_alpha_grads && sp->edge_norm)
        edge_norm_grads(net);
    else if (want_alpha_grads) {
        /* through the softmax: dL/da_j = w_j (dL/dw_j - sum_k w_k dL/dw_k) */
        for (int kind = 0; kind < 2; kind++)
            for (int e = 0; e < net->edges; e++) {
                const float *w = &net->mix[kind][e * OP_COUNT];
                const double *d = &net->dmix[kind][e * OP_COUNT];
                float *ga =
                    net->alpha_grads + ((size_t)kind * (size_t)net->edges + (size_t)e) * OP_COUNT;
                if (sp->sigmoid) { /* dL/da_j = w_j (1 - w_j) dL/dw_j; none stays 0 */
                    for (int k = 0; k < OP_COUNT; k++)
                        ga[k] = (float)((double)w[k] * (1.0 - (double)w[k]) * d[k]);
                    continue;
                }
                double mean = 0.0;
                for (int k = 0; k < OP_COUNT; k++)
                    mean += (double)w[k] * d[k];
                for (int k = 0; k < OP_COUNT; k++)
                    ga[k] = (float)((double)w[k] * (d[k] - mean));
            }
    }
}
