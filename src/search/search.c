/* search: see include/dartboard/search.h
 *
 * The step mirrors DartsSearch.step() of the PyTorch reference, darts_ref.py
 * (docs/ARCHITECTURE.md, Method: one search step):
 *   order 1 or 2: the alpha gradient (architect.h) -> Adam;
 *   then:         train batch -> forward -> weight grads -> clip -> SGD.
 *
 * A step that meets a non-finite loss or gradient rolls back to the state it
 * started from, so the caller can stop with the last good state. For that the
 * step keeps a copy of what it may change (running statistics, alphas, Adam
 * moments, samplers, augmentation RNG; weights and momentum around the SGD
 * update, the last thing a step does).
 */
#include "dartboard/search.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/architect.h"
#include "dartboard/arena.h"
#include "dartboard/grad_reduce.h"
#include "dartboard/hessian.h"
#include "dartboard/le.h"
#include "dartboard/loss.h"
#include "dartboard/optim.h"
#include "dartboard/remedy.h"

#define ADAM_EPS 1e-8

#define STATE_MAGIC "DBSEARCH"
#define STATE_VERSION 1u
#define STATE_END "DBSEND01"

/* What a step may change before it commits, kept to roll back a failed step. */
typedef struct Backup {
    float *running, *alphas, *adam_m, *adam_v;
    int64_t adam_t;
    Sampler wsamp, asamp; /* perm points at the copies below */
    int32_t *wperm, *aperm;
    Rng aug;
} Backup;

struct Search {
    Config cfg; /* hyperparameters of the latest step (search_current_lr) */
    const Dataset *data;
    Supernet *net;
    SupernetSpec spec;        /* spec.batch: the largest shard of a data-parallel run */
    int batch;                /* data.batch_size, the global batch */
    const GradReduce *reduce; /* data-parallel runs (grad_reduce.h); NULL: one process */
    BnSync bn_sync;           /* reduce's sums, when it asks for sync_bn */
    size_t nw, nr, na;
    float *w, *gw, *run, *a; /* the supernet's own buffers */

    /* Optimizer state, the batches and the scratch below are carved from
     * one arena planned in search_create. */
    Arena arena;
    float *mom;  /* SGD momentum buffers (nw) */
    int has_mom; /* PyTorch creates the buffer at the first step with momentum */
    float *adam_m, *adam_v;
    int64_t adam_t;
    int64_t steps;
    Sampler wsamp, asamp; /* weights split, alphas split */
    Rng aug;

    int32_t *idx;
    float *xt, *xv;
    int *yt, *yv;
    float *w_prev, *mom_prev; /* the SGD update's undo; staging when loading a payload */
    float *noise;             /* SDARTS-RS: this step's perturbation of the op weights (na) */
    Architect arch;
    Backup bk;
    /* the collapse monitor (monitor.every > 0 at creation): its scratch and
     * fixed batch of nm images */
    int monitored, nm;
    Hessian hs;
    float *xm;
    int *ym;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The images of the monitor batch the lead uses: rank 0's shard of the
 * global batch (all of it in one process). */
static void monitor_shard(const Search *s, int *first, int *n)
{
    GradReduce lead = {.rank = 0, .size = s->reduce ? s->reduce->size : 1};
    grad_reduce_shard(&lead, s->batch, first, n);
}

static void plan(Search *s, Arena *ar)
{
    int b = s->batch;
    size_t img =
        (size_t)s->spec.in_channels * (size_t)s->spec.image_size * (size_t)s->spec.image_size;
    s->mom = arena_floats(ar, s->nw);
    s->adam_m = arena_floats(ar, s->na);
    s->adam_v = arena_floats(ar, s->na);
    s->idx = arena_bytes(ar, (size_t)b * sizeof(int32_t));
    s->xt = arena_floats(ar, (size_t)b * img);
    s->xv = arena_floats(ar, (size_t)b * img);
    s->yt = arena_bytes(ar, (size_t)b * sizeof(int));
    s->yv = arena_bytes(ar, (size_t)b * sizeof(int));
    s->w_prev = arena_floats(ar, s->nw);
    s->mom_prev = arena_floats(ar, s->nw);
    s->noise = arena_floats(ar, s->na);
    architect_plan(&s->arch, s->net, ar);
    if (s->monitored) {
        hessian_plan(&s->hs, s->net, ar);
        s->xm = arena_floats(ar, (size_t)s->nm * img);
        s->ym = arena_bytes(ar, (size_t)s->nm * sizeof(int));
    }
    s->bk.running = arena_floats(ar, s->nr);
    s->bk.alphas = arena_floats(ar, s->na);
    s->bk.adam_m = arena_floats(ar, s->na);
    s->bk.adam_v = arena_floats(ar, s->na);
    s->bk.wperm = arena_bytes(ar, (size_t)s->wsamp.count * sizeof(int32_t));
    s->bk.aperm = arena_bytes(ar, (size_t)s->asamp.count * sizeof(int32_t));
}

Search *search_create(const Config *cfg, const Dataset *train, char *err, size_t errlen)
{
    return search_create_dist(cfg, train, NULL, err, errlen);
}

Search *search_create_dist(const Config *cfg, const Dataset *train, const GradReduce *reduce,
                           char *err, size_t errlen)
{
    if (!train || train->count <= 0 || train->channels <= 0 || train->classes < 2) {
        fail(err, errlen, "search: no usable training set (expected images of at least 2 classes)");
        return NULL;
    }
    if (train->height != train->width) {
        fail(err, errlen, "search: %s images are %dx%d (expected square images)", train->name,
             train->height, train->width);
        return NULL;
    }
    int batch = cfg->data.batch_size;
    int n_weights = (int)floor((double)train->count * cfg->data.train_portion);
    int n_alphas = train->count - n_weights;
    if (batch < 1 || n_weights < batch || n_alphas < batch) {
        fail(err, errlen,
             "search: data.train_portion=%g splits the %d images of %s into %d (weights) and %d "
             "(alphas) (expected at least data.batch_size=%d in each)",
             cfg->data.train_portion, train->count, train->name, n_weights, n_alphas, batch);
        return NULL;
    }

    if (reduce && batch < reduce->size) {
        fail(err, errlen,
             "search: data.batch_size=%d is smaller than the %d processes (expected "
             "at least one image per process)",
             batch, reduce->size);
        return NULL;
    }
    Search *s = calloc(1, sizeof *s);
    if (!s) {
        fail(err, errlen, "search: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->data = train;
    s->batch = batch;
    s->reduce = reduce && reduce->size > 1 ? reduce : NULL;
    s->spec = (SupernetSpec){
        .in_channels = train->channels,
        .image_size = train->height,
        .classes = train->classes,
        .init_channels = cfg->model.init_channels,
        .layers = cfg->model.layers,
        .nodes = cfg->model.nodes,
        .stem_multiplier = cfg->model.stem_multiplier,
        .batch = grad_reduce_capacity(s->reduce, batch),
        /* BN sums over the processes must come in the same order on each:
         * one lane, so the ops of an edge run one after the other. */
        .lanes = s->reduce && s->reduce->sync_bn ? 1 : 0,
        .aux_skip = cfg->remedy.darts_minus_beta > 0.0,
        .sigmoid = cfg->remedy.fair_darts,
        .pc_k = cfg->remedy.pc_k,
        .edge_norm = cfg->remedy.edge_norm,
        .frozen_kinks = cfg->monitor.every > 0,
    };
    s->monitored = cfg->monitor.every > 0;
    int mfirst = 0;
    monitor_shard(s, &mfirst, &s->nm);
    s->net = supernet_create(&s->spec, err, errlen);
    if (!s->net) {
        free(s);
        return NULL;
    }
    s->nw = supernet_weight_count(s->net);
    s->nr = supernet_running_count(s->net);
    s->na = supernet_arch_count(s->net); /* the alphas, and the betas of edge_norm */
    s->w = supernet_weights(s->net);
    s->gw = supernet_weight_grads(s->net);
    s->run = supernet_running_stats(s->net);
    s->a = supernet_alphas(s->net);

    /* One seed, several independent streams: the init, the two samplers and
     * the augmentation draw from generators seeded off a splitmix sequence. */
    Rng init, seeds;
    rng_seed(&init, cfg->run.seed);
    rng_seed(&seeds, cfg->run.seed ^ 0xda27b0a2d5eedULL);
    supernet_init(s->net, &init);
    uint64_t wseed = rng_next(&seeds), aseed = rng_next(&seeds), augseed = rng_next(&seeds);
    if (sampler_init(&s->wsamp, 0, n_weights, batch, wseed) != 0 ||
        sampler_init(&s->asamp, n_weights, n_alphas, batch, aseed) != 0) {
        fail(err, errlen, "search: out of memory for the samplers");
        search_free(s);
        return NULL;
    }
    rng_seed(&s->aug, augseed);

    Arena measure;
    arena_measure(&measure);
    plan(s, &measure);
    if (arena_init(&s->arena, measure.peak) != 0) {
        fail(err, errlen, "search: out of memory (%zu bytes of optimizer state and buffers)",
             measure.peak);
        search_free(s);
        return NULL;
    }
    plan(s, &s->arena);
    if (s->monitored) {
        /* darts_ref --hessian's batch: the first images of the alpha split
         * (under MPI rank 0's shard of them: the lead runs the monitor alone) */
        Rng unused = s->aug;
        for (int j = 0; j < s->nm; j++)
            s->idx[j] = n_weights + mfirst + j;
        dataset_batch(s->data, s->idx, s->nm, 0, &unused, s->xm, s->ym);
    }
    s->arch.reduce = s->reduce;
    if (s->reduce)
        s->bn_sync = (BnSync){s->reduce->sum_doubles, s->reduce->ctx};
    s->arch.batch = batch;
    return s;
}

void search_free(Search *s)
{
    if (!s)
        return;
    sampler_free(&s->wsamp);
    sampler_free(&s->asamp);
    arena_free(&s->arena);
    supernet_free(s->net);
    free(s);
}

unsigned long long search_checksum(const Search *s)
{
    return grad_checksum(grad_checksum(GRAD_CHECKSUM_SEED, s->w, s->nw), s->a, s->na);
}

Supernet *search_net(Search *s)
{
    return s->net;
}

int64_t search_step_count(const Search *s)
{
    return s->steps;
}

int search_steps_per_epoch(const Search *s)
{
    int n = sampler_batches_per_epoch(&s->wsamp);
    return n > 0 ? n : 1;
}

int search_epoch(const Search *s)
{
    return (int)(s->steps / search_steps_per_epoch(s));
}

static double lr_at(const Search *s, const Config *cfg)
{
    return optim_cosine_lr(cfg->optim.lr, cfg->optim.lr_min, search_epoch(s), cfg->run.epochs);
}

float search_current_lr(const Search *s)
{
    return (float)lr_at(s, &s->cfg);
}

/* ---- rollback ------------------------------------------------------------ */

static void sampler_copy(Sampler *dst, const Sampler *src, int32_t *dst_perm)
{
    *dst = *src;
    dst->perm = dst_perm;
    memcpy(dst_perm, src->perm, (size_t)src->count * sizeof(int32_t));
}

static void backup_take(Search *s, int with_data)
{
    Backup *b = &s->bk;
    memcpy(b->running, s->run, s->nr * sizeof(float));
    memcpy(b->alphas, s->a, s->na * sizeof(float));
    memcpy(b->adam_m, s->adam_m, s->na * sizeof(float));
    memcpy(b->adam_v, s->adam_v, s->na * sizeof(float));
    b->adam_t = s->adam_t;
    if (with_data) {
        sampler_copy(&b->wsamp, &s->wsamp, b->wperm);
        sampler_copy(&b->asamp, &s->asamp, b->aperm);
        b->aug = s->aug;
    }
}

static void backup_restore(Search *s, int with_data)
{
    Backup *b = &s->bk;
    memcpy(s->run, b->running, s->nr * sizeof(float));
    memcpy(s->a, b->alphas, s->na * sizeof(float));
    memcpy(s->adam_m, b->adam_m, s->na * sizeof(float));
    memcpy(s->adam_v, b->adam_v, s->na * sizeof(float));
    s->adam_t = b->adam_t;
    if (with_data) {
        sampler_copy(&s->wsamp, &b->wsamp, s->wsamp.perm);
        sampler_copy(&s->asamp, &b->asamp, s->asamp.perm);
        s->aug = b->aug;
    }
}

/* ---- the alpha gradient -------------------------------------------------- */

/* The alpha gradient of `order` into s->arch.grad; messages name the step. */
static int alpha_grad(Search *s, const Config *cfg, int order, double lr, const float *xt,
                      const int *yt, const float *xv, const int *yv, int n, float *val_loss,
                      int *val_correct, char *err, size_t errlen)
{
    const ArchitectSgd sgd = {lr, cfg->optim.momentum, cfg->optim.weight_decay, s->mom, s->has_mom};
    char why[256];
    if (architect_gradient(&s->arch, order, &sgd, xt, yt, xv, yv, n, val_loss, val_correct, why,
                           sizeof why) == 0) {
        /* beta-DARTS: the regulariser depends on the alphas alone, the same
         * on every process (added after the gradients are summed) */
        double lambda = remedy_beta_lambda(cfg, search_epoch(s));
        if (lambda > 0.0)
            remedy_beta_loss(s->a, supernet_edges(s->net), OP_COUNT, lambda, s->arch.grad);
        if (s->spec.sigmoid && cfg->remedy.fair_zero_one > 0.0) /* Fair DARTS */
            remedy_zero_one_loss(s->a, supernet_edges(s->net), cfg->remedy.fair_zero_one,
                                 s->arch.grad);
        return 0;
    }
    return fail(err, errlen,
                "search: step %lld: %s (the search diverged; lower optim.lr or arch.lr, or resume "
                "from the last checkpoint)",
                (long long)s->steps + 1, why);
}

/* ---- the step -------------------------------------------------------------- */

/* Everything after the batches are drawn. On failure the caller rolls back. */
static int step_body(Search *s, const Config *cfg, const float *xt, const int *yt, const float *xv,
                     const int *yv, int n, StepStats *st, char *err, size_t errlen);

/* The body with the BatchNorm sums over every process when sync_bn asks for
 * them (every training-mode pass of the step: alpha batch, virtual step,
 * weight batch). */
static int step_core(Search *s, const Config *cfg, const float *xt, const int *yt, const float *xv,
                     const int *yv, int n, StepStats *st, char *err, size_t errlen)
{
    supernet_set_aux_beta(s->net, (float)remedy_darts_minus_beta(cfg, search_epoch(s)));
    if (s->reduce && s->reduce->sync_bn)
        bn_sync_hook = &s->bn_sync;
    int rc = step_body(s, cfg, xt, yt, xv, yv, n, st, err, errlen);
    bn_sync_hook = NULL;
    return rc;
}

static int step_body(Search *s, const Config *cfg, const float *xt, const int *yt, const float *xv,
                     const int *yv, int n, StepStats *st, char *err, size_t errlen)
{
    const int order = cfg->arch.order;
    const double lr = lr_at(s, cfg);
    StepStats out = {0};
    out.batch = s->reduce ? s->batch : n;
    out.lr = (float)lr;
    out.new_epoch = s->steps % search_steps_per_epoch(s) == 0;

    /* PC-DARTS's warm-up: the alpha batch is drawn all the same (as the
     * official code does), but the architecture waits */
    if ((order == 1 || order == 2) && search_epoch(s) >= cfg->remedy.pc_warmup) {
        if (alpha_grad(s, cfg, order, lr, xt, yt, xv, yv, n, &out.val_loss, &out.val_correct, err,
                       errlen) != 0)
            return -1;
        s->adam_t++;
        optim_adam_step(s->a, s->arch.grad, s->adam_m, s->adam_v, s->na, s->adam_t, cfg->arch.lr,
                        cfg->arch.beta1, cfg->arch.beta2, ADAM_EPS, cfg->arch.weight_decay);
        out.alpha_step = 1;
    }

    /* SDARTS-RS: the weight step alone sees perturbed op weights (the
     * backward keeps using what this forward used) */
    double eps = remedy_sdarts_eps(cfg, search_epoch(s));
    if (eps > 0.0) {
        remedy_sdarts_noise(cfg->run.seed, s->steps, eps, s->noise, s->na);
        supernet_set_mix_offset(s->net, s->noise);
    }
    float lt = supernet_forward(s->net, xt, yt, n, SUPERNET_TRAIN, &out.train_correct, NULL);
    supernet_set_mix_offset(s->net, NULL);
    lt = grad_reduce_loss(s->reduce, lt, n, s->reduce ? s->batch : n, &out.train_correct);
    out.train_loss = lt;
    if (!isfinite(lt))
        return fail(err, errlen,
                    "search: step %lld: the training loss is %g (the search diverged; lower "
                    "optim.lr or arch.lr, or resume from the last checkpoint)",
                    (long long)s->steps + 1, (double)lt);
    supernet_backward(s->net, 1, 0);
    grad_reduce_mean(s->reduce, s->gw, s->nw, n, s->batch);
    double norm = optim_clip_grad_norm(s->gw, s->nw, cfg->optim.grad_clip);
    out.grad_norm = (float)norm;
    if (!isfinite(norm))
        return fail(err, errlen, "search: step %lld: the weight gradient is not finite",
                    (long long)s->steps + 1);
    /* A finite gradient can still overflow the weights (an absurd lr): keep
     * the old weights and momentum so such a step is refused like a NaN loss
     * rather than poisoning the next. */
    memcpy(s->w_prev, s->w, s->nw * sizeof(float));
    memcpy(s->mom_prev, s->mom, s->nw * sizeof(float));
    optim_sgd_step(s->w, s->gw, s->mom, s->nw, lr, cfg->optim.momentum, cfg->optim.weight_decay,
                   s->has_mom);
    if (!isfinite(optim_sum_squares(s->w, s->nw) + optim_sum_squares(s->mom, s->nw))) {
        memcpy(s->w, s->w_prev, s->nw * sizeof(float));
        memcpy(s->mom, s->mom_prev, s->nw * sizeof(float));
        return fail(err, errlen,
                    "search: step %lld: the weight update overflowed (lr %g; lower optim.lr)",
                    (long long)s->steps + 1, lr);
    }
    if (cfg->optim.momentum != 0.0)
        s->has_mom = 1;
    s->steps++;
    s->cfg = *cfg;
    if (st)
        *st = out;
    return 0;
}

int search_step(Search *s, const Config *cfg, StepStats *st, char *err, size_t errlen)
{
    const int b = s->batch, augment = cfg->data.augment;
    backup_take(s, 1);
    /* Draw order is fixed (alpha batch, then weight batch) so a restored RNG
     * replays the same augmentations. */
    if (cfg->arch.order == 1 || cfg->arch.order == 2) {
        sampler_next(&s->asamp, s->idx);
        dataset_batch(s->data, s->idx, b, augment, &s->aug, s->xv, s->yv);
    }
    sampler_next(&s->wsamp, s->idx);
    dataset_batch(s->data, s->idx, b, augment, &s->aug, s->xt, s->yt);
    /* Every process draws and augments the whole global batch (the samplers
     * and the RNG stay global, so a checkpoint resumes with any number of
     * processes) and trains on its shard of it. */
    int first, n;
    grad_reduce_shard(s->reduce, b, &first, &n);
    const size_t img =
        (size_t)s->spec.in_channels * (size_t)s->spec.image_size * (size_t)s->spec.image_size;
    if (step_core(s, cfg, s->xt + (size_t)first * img, s->yt + first, s->xv + (size_t)first * img,
                  s->yv + first, n, st, err, errlen) != 0) {
        backup_restore(s, 1);
        return -1;
    }
    return 0;
}

int search_step_batches(Search *s, const Config *cfg, const float *xt, const int *yt,
                        const float *xv, const int *yv, int n, StepStats *st, char *err,
                        size_t errlen)
{
    if (n < 1 || n > s->spec.batch)
        return fail(err, errlen, "search: a batch of %d images (expected 1 to %d)", n,
                    s->spec.batch);
    backup_take(s, 0);
    if (step_core(s, cfg, xt, yt, xv, yv, n, st, err, errlen) != 0) {
        backup_restore(s, 0);
        return -1;
    }
    return 0;
}

int search_alpha_gradient(Search *s, const Config *cfg, int order, const float *xt, const int *yt,
                          const float *xv, const int *yv, int n, float *grad, char *err,
                          size_t errlen)
{
    if (order != 1 && order != 2)
        return fail(err, errlen, "search: alpha gradient of order %d (expected 1 or 2)", order);
    if (n < 1 || n > s->spec.batch)
        return fail(err, errlen, "search: a batch of %d images (expected 1 to %d)", n,
                    s->spec.batch);
    float val_loss;
    int val_correct;
    supernet_set_aux_beta(s->net, (float)remedy_darts_minus_beta(cfg, search_epoch(s)));
    backup_take(s, 0);
    if (alpha_grad(s, cfg, order, lr_at(s, cfg), xt, yt, xv, yv, n, &val_loss, &val_correct, err,
                   errlen) != 0) {
        backup_restore(s, 0);
        return -1;
    }
    memcpy(grad, s->arch.grad, s->na * sizeof(float));
    return 0;
}

/* ---- evaluation and the architecture ------------------------------------- */

/* Each edge's row of op weights divided by its sum. */
static void normalise_rows(float *w, int edges)
{
    for (int e = 0; e < edges; e++) {
        double sum = 0.0;
        for (int k = 0; k < OP_COUNT; k++)
            sum += w[e * OP_COUNT + k];
        for (int k = 0; k < OP_COUNT; k++)
            w[e * OP_COUNT + k] = (float)(w[e * OP_COUNT + k] / sum);
    }
}

int search_monitor(Search *s, int iters, MonitorRow *row, char *err, size_t errlen)
{
    memset(row, 0, sizeof *row);
    row->step = s->steps;
    if (!s->monitored)
        return fail(err, errlen, "search: the monitor was not planned (monitor.every was 0)");
    float wn[GENOTYPE_MAX_EDGES * OP_COUNT], wr[GENOTYPE_MAX_EDGES * OP_COUNT];
    search_alpha_weights(s, wn, wr);
    monitor_alpha_stats(wn, wr, s->spec.nodes, row);
    if (s->spec.edge_norm) {
        /* the derived cell ranks the edge-weighted ops, but the entropy and
         * the none weight are of each edge's op distribution: divide the
         * edge weight out again */
        normalise_rows(wn, supernet_edges(s->net));
        normalise_rows(wr, supernet_edges(s->net));
        MonitorRow ops;
        monitor_alpha_stats(wn, wr, s->spec.nodes, &ops);
        row->entropy_normal = ops.entropy_normal;
        row->entropy_reduce = ops.entropy_reduce;
        row->none_weight = ops.none_weight;
    }
    HessianEig eig;
    char why[256];
    if (hessian_lambda_max(&s->hs, s->xm, s->ym, s->nm, iters, &eig, why, sizeof why) != 0)
        return fail(err, errlen, "search: step %lld: %s", (long long)s->steps, why);
    row->lambda_max = (float)eig.lambda;
    row->lambda_iters = eig.iters;
    row->lambda_change = (float)eig.change;
    row->lambda_residual = (float)eig.residual;
    return 0;
}

void search_evaluate(Search *s, int samples, float *loss, float *acc)
{
    const int b = s->spec.batch;
    int total = s->asamp.count;
    if (samples > 0 && samples < total)
        total = samples;
    Rng unused = s->aug; /* no augmentation: the rng is not drawn from, but stays untouched */
    supernet_set_aux_beta(s->net, (float)remedy_darts_minus_beta(&s->cfg, search_epoch(s)));
    double loss_sum = 0.0;
    long correct = 0;
    for (int start = 0; start < total; start += b) {
        int m = total - start < b ? total - start : b;
        for (int j = 0; j < m; j++)
            s->idx[j] = s->asamp.first + start + j;
        dataset_batch(s->data, s->idx, m, 0, &unused, s->xv, s->yv);
        int c = 0;
        float l = supernet_forward(s->net, s->xv, s->yv, m, SUPERNET_EVAL, &c, NULL);
        loss_sum += (double)l * m;
        correct += c;
    }
    *loss = (float)(loss_sum / total);
    *acc = (float)(100.0 * (double)correct / total);
}

void search_alpha_weights(const Search *s, float *normal, float *reduce)
{
    supernet_op_weights(s->net, normal, reduce);
}

void search_genotype(const Search *s, Genotype *g)
{
    float wn[GENOTYPE_MAX_EDGES * OP_COUNT], wr[GENOTYPE_MAX_EDGES * OP_COUNT];
    search_alpha_weights(s, wn, wr);
    genotype_derive(g, wn, wr, s->spec.nodes);
}

/* ---- checkpoint payload ---------------------------------------------------- */

/* The shape a payload must match, in the order it is written. */
typedef struct StateShape {
    int64_t v[13];
} StateShape;

static const char *const shape_names[13] = {
    "input channels",
    "image size",
    "classes",
    "model.init_channels",
    "model.layers",
    "model.nodes",
    "model.stem_multiplier",
    "data.batch_size",
    "weight count",
    "running-statistic count",
    "alpha count (with remedy.edge_norm, the betas too)",
    "weights split size (data.train_portion)",
    "alphas split size (data.train_portion)",
};

static StateShape state_shape(const Search *s)
{
    StateShape sh = {{s->spec.in_channels, s->spec.image_size, s->spec.classes,
                      s->spec.init_channels, s->spec.layers, s->spec.nodes, s->spec.stem_multiplier,
                      s->batch, (int64_t)s->nw, (int64_t)s->nr, (int64_t)s->na, s->wsamp.count,
                      s->asamp.count}};
    return sh;
}

/* Every field through the one little-endian codec (le.h), so a checkpoint
 * moves between machines. */
static int put_i64s(FILE *f, const int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (le_write_u64(f, (uint64_t)v[i]) != 0)
            return -1;
    return 0;
}

size_t search_state_bytes(const Search *s)
{
    return 8 + 4 + 13 * 8 + 8 + 4 + 4 + 8 + 4 * (2 * s->nw + s->nr + 3 * s->na) +
           sampler_state_bytes(&s->wsamp) + sampler_state_bytes(&s->asamp) + 4 * 8 + 8;
}

int search_save_state(const Search *s, FILE *f)
{
    StateShape sh = state_shape(s);
    int rc = fwrite(STATE_MAGIC, 1, 8, f) != 8;
    rc |= le_write_u32(f, STATE_VERSION) | put_i64s(f, sh.v, 13) |
          le_write_u64(f, (uint64_t)s->steps) | le_write_u32(f, (uint32_t)search_epoch(s)) |
          le_write_u32(f, (uint32_t)s->has_mom) | le_write_u64(f, (uint64_t)s->adam_t) |
          le_write_words(f, s->w, s->nw) | le_write_words(f, s->run, s->nr) |
          le_write_words(f, s->a, s->na) | le_write_words(f, s->mom, s->nw) |
          le_write_words(f, s->adam_m, s->na) | le_write_words(f, s->adam_v, s->na) |
          sampler_save(&s->wsamp, f) | sampler_save(&s->asamp, f);
    for (int i = 0; i < 4; i++)
        rc |= le_write_u64(f, s->aug.s[i]);
    rc |= fwrite(STATE_END, 1, 8, f) != 8;
    return rc ? -1 : 0;
}

static int truncated(char *err, size_t errlen, const char *what)
{
    return fail(err, errlen, "checkpoint payload: truncated while reading the %s", what);
}

static int get_bytes(FILE *f, void *p, size_t n, const char *what, char *err, size_t errlen)
{
    return fread(p, 1, n, f) == n ? 0 : truncated(err, errlen, what);
}

static int get_words(FILE *f, void *p, size_t n, const char *what, char *err, size_t errlen)
{
    return le_read_words(f, p, n) == 0 ? 0 : truncated(err, errlen, what);
}

static int get_u64(FILE *f, uint64_t *v, const char *what, char *err, size_t errlen)
{
    return le_read_u64(f, v) == 0 ? 0 : truncated(err, errlen, what);
}

static int get_u32(FILE *f, uint32_t *v, const char *what, char *err, size_t errlen)
{
    return le_read_u32(f, v) == 0 ? 0 : truncated(err, errlen, what);
}

/* A sampler's block (data's sampler_save format, which checks it is a
 * permutation of the split) into dst: a copy of live whose perm is `perm`,
 * so the live sampler is untouched until the whole payload has been read. */
static int get_sampler(FILE *f, Sampler *dst, const Sampler *live, int32_t *perm, const char *what,
                       char *err, size_t errlen)
{
    char why[256];
    *dst = *live;
    dst->perm = perm;
    if (sampler_load(dst, f, why, sizeof why) == 0)
        return 0;
    return fail(err, errlen, "checkpoint payload: the %s: %s", what, why);
}

int search_load_state(Search *s, FILE *f, char *err, size_t errlen)
{
    char magic[8];
    uint32_t version;
    StateShape want = state_shape(s), got;
    if (get_bytes(f, magic, 8, "header", err, errlen))
        return -1;
    if (memcmp(magic, STATE_MAGIC, 8) != 0)
        return fail(err, errlen,
                    "checkpoint payload: not a search state (expected the magic "
                    "\"" STATE_MAGIC "\")");
    if (get_u32(f, &version, "header", err, errlen))
        return -1;
    if (version != STATE_VERSION)
        return fail(err, errlen, "checkpoint payload: version %u (expected %u)", version,
                    STATE_VERSION);
    for (int i = 0; i < 13; i++) {
        uint64_t v;
        if (get_u64(f, &v, "network shape", err, errlen))
            return -1;
        got.v[i] = (int64_t)v;
    }
    for (int i = 0; i < 13; i++)
        if (got.v[i] != want.v[i])
            return fail(err, errlen,
                        "checkpoint payload: %s is %lld in the checkpoint but %lld in this "
                        "configuration (expected the network and data it was saved from)",
                        shape_names[i], (long long)got.v[i], (long long)want.v[i]);

    /* Stage everything in scratch buffers; the live state changes only once
     * the whole payload has been read and checked. */
    uint64_t steps_u, adam_u;
    uint32_t epoch_u, has_mom;
    Sampler ws, as;
    Rng aug;
    char end[8];
    if (get_u64(f, &steps_u, "counters", err, errlen) ||
        get_u32(f, &epoch_u, "counters", err, errlen) ||
        get_u32(f, &has_mom, "counters", err, errlen) ||
        get_u64(f, &adam_u, "counters", err, errlen) ||
        get_words(f, s->w_prev, s->nw, "weights", err, errlen) ||
        get_words(f, s->bk.running, s->nr, "running statistics", err, errlen) ||
        get_words(f, s->bk.alphas, s->na, "alphas", err, errlen) ||
        get_words(f, s->mom_prev, s->nw, "momentum buffers", err, errlen) ||
        get_words(f, s->bk.adam_m, s->na, "Adam moments", err, errlen) ||
        get_words(f, s->bk.adam_v, s->na, "Adam moments", err, errlen) ||
        get_sampler(f, &ws, &s->wsamp, s->bk.wperm, "weights sampler", err, errlen) ||
        get_sampler(f, &as, &s->asamp, s->bk.aperm, "alphas sampler", err, errlen))
        return -1;
    for (int i = 0; i < 4; i++)
        if (get_u64(f, &aug.s[i], "augmentation rng", err, errlen))
            return -1;
    if (get_bytes(f, end, 8, "end marker", err, errlen))
        return -1;
    int64_t steps = (int64_t)steps_u, adam_t = (int64_t)adam_u;
    int32_t epoch = (int32_t)epoch_u;
    if (has_mom > 1)
        return fail(err, errlen, "checkpoint payload: momentum flag %u (expected 0 or 1)", has_mom);
    if (memcmp(end, STATE_END, 8) != 0)
        return fail(err, errlen, "checkpoint payload: no end marker after the data (corrupt)");
    if (steps < 0 || adam_t < 0 || adam_t > steps)
        return fail(err, errlen, "checkpoint payload: step %lld, Adam step %lld (corrupt)",
                    (long long)steps, (long long)adam_t);
    if (epoch != (int32_t)(steps / search_steps_per_epoch(s)))
        return fail(err, errlen,
                    "checkpoint payload: epoch %d does not follow from step %lld at %d steps per "
                    "epoch (corrupt)",
                    epoch, (long long)steps, search_steps_per_epoch(s));

    s->steps = steps;
    s->adam_t = adam_t;
    s->has_mom = has_mom != 0;
    memcpy(s->w, s->w_prev, s->nw * sizeof(float));
    memcpy(s->mom, s->mom_prev, s->nw * sizeof(float));
    s->bk.adam_t = adam_t;
    s->bk.wsamp = ws;
    s->bk.asamp = as;
    s->bk.aug = aug;
    backup_restore(s, 1);
    return 0;
}
