/* trainer: a derived cell trained from scratch (see include/dartboard/trainer.h).
 *
 * One seed, independent streams: the weights are initialised from run.seed;
 * a second generator seeds the sampler, the augmentation (crop, flip,
 * cutout) and the drop-path masks, in that order. A step draws its batch,
 * augments it, draws the masks, runs forward and backward, clips and takes
 * the SGD step; before that step nothing but the running statistics, the
 * sampler and the two generators has changed, so a non-finite loss or
 * gradient restores just those.
 */
#include "dartboard/trainer.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/cutout.h"
#include "dartboard/evalnet.h"
#include "dartboard/grad_reduce.h"
#include "dartboard/le.h"
#include "dartboard/optim.h"

#define STATE_MAGIC "DBTRAIN1"
#define STATE_END "DBTREND1"
#define STATE_VERSION 1u
#define SHAPE_FIELDS 12

struct Trainer {
    EvalNet *net;
    const Dataset *train, *test;
    EvalSpec spec;            /* spec.batch: the largest shard of a data-parallel run */
    int batch;                /* data.batch_size, the global batch */
    const GradReduce *reduce; /* data-parallel runs (grad_reduce.h); NULL: one process */
    BnSync bn_sync;           /* reduce's sums, when it asks for sync_bn */
    float *drop_all;          /* data-parallel: the global batch's drop-path masks */
    size_t nw, nr;
    float *w, *gw, *run;
    float *mom;    /* SGD momentum buffers */
    int has_mom;   /* a step with momentum has created them */
    int64_t steps; /* steps done */
    Sampler samp;  /* the whole training split */
    Rng aug, drop; /* augmentation (crop, flip, cutout); drop-path masks */
    float *x;
    int *y;
    int32_t *idx;
    /* what a failed step restores, and where a load stages its data */
    float *run_bk, *mom_bk;
    int32_t *perm_bk;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

Trainer *trainer_create(const Config *cfg, const Genotype *g, const Dataset *train,
                        const Dataset *test, char *err, size_t errlen)
{
    return trainer_create_dist(cfg, g, train, test, NULL, err, errlen);
}

Trainer *trainer_create_dist(const Config *cfg, const Genotype *g, const Dataset *train,
                             const Dataset *test, const GradReduce *reduce, char *err,
                             size_t errlen)
{
    if (g->nodes != cfg->model.nodes) {
        fail(err, errlen,
             "the genotype has %d nodes but model.nodes is %d (expected the same number: set "
             "model.nodes to %d)",
             g->nodes, cfg->model.nodes, g->nodes);
        return NULL;
    }
    if (test && (test->channels != train->channels || test->height != train->height ||
                 test->width != train->width || test->classes != train->classes)) {
        fail(err, errlen,
             "the test split (%dx%dx%d, %d classes) does not match the training "
             "split (%dx%dx%d, %d classes)",
             test->channels, test->height, test->width, test->classes, train->channels,
             train->height, train->width, train->classes);
        return NULL;
    }
    int batch = cfg->data.batch_size;
    if (train->count < batch) {
        fail(err, errlen, "data.batch_size %d is larger than the %d training images", batch,
             train->count);
        return NULL;
    }
    if (reduce && batch < reduce->size) {
        fail(err, errlen,
             "data.batch_size %d is smaller than the %d processes (expected at least "
             "one image per process)",
             batch, reduce->size);
        return NULL;
    }
    Trainer *t = calloc(1, sizeof *t);
    if (!t) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    t->train = train;
    t->test = test;
    t->batch = batch;
    t->reduce = reduce && reduce->size > 1 ? reduce : NULL;
    if (t->reduce)
        t->bn_sync = (BnSync){t->reduce->sum_doubles, t->reduce->ctx};
    t->spec = (EvalSpec){.in_channels = train->channels,
                         .height = train->height,
                         .width = train->width,
                         .classes = train->classes,
                         .init_channels = cfg->model.init_channels,
                         .layers = cfg->model.layers,
                         .stem_multiplier = cfg->model.stem_multiplier,
                         .auxiliary = cfg->train.auxiliary,
                         .batch = grad_reduce_capacity(t->reduce, batch)};
    t->net = evalnet_create(&t->spec, g, err, errlen);
    if (!t->net) {
        free(t);
        return NULL;
    }
    t->nw = evalnet_weight_count(t->net);
    t->nr = evalnet_running_count(t->net);
    t->w = evalnet_weights(t->net);
    t->gw = evalnet_grads(t->net);
    t->run = evalnet_running(t->net);
    size_t img = (size_t)train->channels * train->height * train->width;
    t->mom = calloc(t->nw, sizeof *t->mom);
    t->mom_bk = calloc(t->nw, sizeof *t->mom_bk);
    t->run_bk = calloc(t->nr ? t->nr : 1, sizeof *t->run_bk);
    t->perm_bk = calloc((size_t)train->count, sizeof *t->perm_bk);
    t->x = calloc((size_t)batch * img, sizeof *t->x);
    t->y = calloc((size_t)batch, sizeof *t->y);
    t->idx = calloc((size_t)batch, sizeof *t->idx);
    if (t->reduce)
        t->drop_all = calloc((size_t)(evalnet_drop_ops(t->net) + 1) * (size_t)batch, sizeof(float));

    Rng init, seeds;
    rng_seed(&init, cfg->run.seed);
    rng_seed(&seeds, cfg->run.seed ^ 0x7a1e5c0de5eedULL);
    evalnet_init(t->net, &init);
    uint64_t sseed = rng_next(&seeds), aseed = rng_next(&seeds), dseed = rng_next(&seeds);
    if (!t->mom || !t->mom_bk || !t->run_bk || !t->perm_bk || !t->x || !t->y || !t->idx ||
        (t->reduce && !t->drop_all) || sampler_init(&t->samp, 0, train->count, batch, sseed) != 0) {
        fail(err, errlen, "out of memory for the trainer's buffers (%zu weights, batch %d)", t->nw,
             batch);
        trainer_free(t);
        return NULL;
    }
    rng_seed(&t->aug, aseed);
    rng_seed(&t->drop, dseed);
    return t;
}

void trainer_free(Trainer *t)
{
    if (!t)
        return;
    evalnet_free(t->net);
    sampler_free(&t->samp);
    free(t->mom);
    free(t->mom_bk);
    free(t->run_bk);
    free(t->perm_bk);
    free(t->x);
    free(t->y);
    free(t->idx);
    free(t->drop_all);
    free(t);
}

unsigned long long trainer_checksum(const Trainer *t)
{
    return grad_checksum(GRAD_CHECKSUM_SEED, t->w, t->nw);
}

int64_t trainer_step_count(const Trainer *t)
{
    return t->steps;
}

int trainer_steps_per_epoch(const Trainer *t)
{
    return sampler_batches_per_epoch(&t->samp);
}

int trainer_epoch(const Trainer *t)
{
    return (int)(t->steps / trainer_steps_per_epoch(t));
}

size_t trainer_param_count(const Trainer *t, int with_aux)
{
    return with_aux ? t->nw : t->nw - evalnet_aux_weight_count(t->net);
}

/* Per op and image: 1/keep with probability keep, else 0. */
/* The masks of the global batch, op by op, in one draw order whatever the
 * number of processes; a process keeps its shard's [first, first + count). */
static void draw_drop_masks(Trainer *t, float p, int first, int count)
{
    float keep = 1.0f - p, *s = evalnet_drop_scales(t->net);
    float *all = t->reduce ? t->drop_all : s;
    size_t ops = (size_t)evalnet_drop_ops(t->net), total = ops * (size_t)t->batch;
    for (size_t k = 0; k < total; k++)
        all[k] = rng_uniform(&t->drop) < keep ? 1.0f / keep : 0.0f;
    if (t->reduce)
        for (size_t op = 0; op < ops; op++)
            memcpy(s + op * (size_t)t->spec.batch, all + op * (size_t)t->batch + first,
                   (size_t)count * sizeof *s);
}

int trainer_step(Trainer *t, const Config *cfg, TrainStats *st, char *err, size_t errlen)
{
    int epoch = trainer_epoch(t), batch = t->batch;
    double lr = optim_cosine_lr(cfg->optim.lr, cfg->optim.lr_min, epoch, cfg->run.epochs);
    double p = epoch < cfg->run.epochs ? cfg->train.drop_path * epoch / cfg->run.epochs
                                       : cfg->train.drop_path;

    /* what a failed step puts back */
    memcpy(t->run_bk, t->run, t->nr * sizeof *t->run);
    memcpy(t->perm_bk, t->samp.perm, (size_t)t->samp.count * sizeof *t->perm_bk);
    Sampler samp_bk = t->samp;
    Rng aug_bk = t->aug, drop_bk = t->drop;

    int new_epoch = sampler_next(&t->samp, t->idx);
    dataset_batch(t->train, t->idx, batch, cfg->data.augment, &t->aug, t->x, t->y);
    cutout_apply(t->x, batch, t->spec.in_channels, t->spec.height, t->spec.width, cfg->train.cutout,
                 &t->aug);
    /* Every process draws and augments the global batch (sampler and RNGs
     * stay global, so a checkpoint resumes with any number of processes) and
     * trains on its shard; the losses and the gradient are then summed. */
    int first, n;
    grad_reduce_shard(t->reduce, batch, &first, &n);
    const float *x = t->x + (size_t)first * t->spec.in_channels * t->spec.height * t->spec.width;
    const int *y = t->y + first;
    if (p > 0.0)
        draw_drop_masks(t, (float)p, first, n);
    if (t->reduce && t->reduce->sync_bn)
        bn_sync_hook = &t->bn_sync;
    evalnet_forward(t->net, x, n, EVAL_TRAIN, p > 0.0);
    int correct = 0;
    float aux = 0.0f;
    float loss = evalnet_loss(t->net, y, &correct, &aux);
    loss = grad_reduce_loss(t->reduce, loss, n, batch, &correct);
    aux = grad_reduce_loss(t->reduce, aux, n, batch, NULL);
    double norm = NAN;
    if (isfinite(loss) && isfinite(aux)) {
        evalnet_backward(t->net, y, (float)cfg->train.aux_weight);
        grad_reduce_mean(t->reduce, t->gw, t->nw, n, batch);
        norm = optim_clip_grad_norm(t->gw, t->nw, cfg->optim.grad_clip);
    }
    bn_sync_hook = NULL;
    if (!isfinite(norm)) {
        memcpy(t->run, t->run_bk, t->nr * sizeof *t->run);
        memcpy(t->samp.perm, t->perm_bk, (size_t)t->samp.count * sizeof *t->perm_bk);
        int32_t *perm = t->samp.perm;
        t->samp = samp_bk;
        t->samp.perm = perm;
        t->aug = aug_bk;
        t->drop = drop_bk;
        fail(err, errlen,
             "step %lld diverged: %s is not finite (loss %g, auxiliary loss %g); try a lower "
             "optim.lr",
             (long long)t->steps + 1, isfinite(loss) && isfinite(aux) ? "the gradient" : "the loss",
             (double)loss, (double)aux);
        return -1;
    }
    optim_sgd_step(t->w, t->gw, t->mom, t->nw, lr, cfg->optim.momentum, cfg->optim.weight_decay,
                   t->has_mom);
    if (cfg->optim.momentum != 0.0)
        t->has_mom = 1;
    t->steps++;
    if (st)
        *st = (TrainStats){.loss = loss,
                           .aux_loss = aux,
                           .correct = correct,
                           .batch = batch,
                           .lr = (float)lr,
                           .drop_path = (float)p,
                           .new_epoch = new_epoch,
                           .grad_norm = (float)norm};
    return 0;
}

void trainer_test(Trainer *t, int samples, TestResult *r)
{
    const Dataset *d = t->test;
    int k = t->spec.classes;
    memset(r, 0, sizeof *r);
    r->classes = k;
    if (!d)
        return;
    if (samples <= 0 || samples > d->count)
        samples = d->count;
    int seen[10] = {0}, hit[10] = {0}, correct = 0;
    double loss = 0.0;
    for (int start = 0; start < samples; start += t->spec.batch) {
        int m = samples - start < t->spec.batch ? samples - start : t->spec.batch;
        for (int i = 0; i < m; i++)
            t->idx[i] = start + i;
        dataset_batch(d, t->idx, m, 0, NULL, t->x, t->y);
        evalnet_forward(t->net, t->x, m, EVAL_TEST, 0);
        int c = 0;
        loss += (double)evalnet_loss(t->net, t->y, &c, NULL) * m;
        correct += c;
        const float *logits = evalnet_logits(t->net);
        for (int i = 0; i < m; i++) {
            int best = 0;
            for (int j = 1; j < k; j++)
                if (logits[(size_t)i * k + j] > logits[(size_t)i * k + best])
                    best = j;
            if (t->y[i] < 10) {
                seen[t->y[i]]++;
                hit[t->y[i]] += best == t->y[i];
            }
        }
    }
    r->samples = samples;
    r->loss = (float)(loss / samples);
    r->acc = (float)(100.0 * correct / samples);
    for (int j = 0; j < k && j < 10; j++)
        r->class_acc[j] = seen[j] ? (float)(100.0 * hit[j] / seen[j]) : 0.0f;
}

/* ------------------------------------------------------------------ state */

static void shape(const Trainer *t, int64_t v[SHAPE_FIELDS])
{
    const EvalSpec *s = &t->spec;
    int64_t f[SHAPE_FIELDS] = {s->in_channels,   s->height,      s->width,           s->classes,
                               s->init_channels, s->layers,      s->stem_multiplier, s->auxiliary,
                               t->batch,         (int64_t)t->nw, (int64_t)t->nr,     t->samp.count};
    memcpy(v, f, sizeof f);
}

static const char *const shape_names[SHAPE_FIELDS] = {"input channels",
                                                      "image height",
                                                      "image width",
                                                      "classes",
                                                      "init_channels",
                                                      "layers",
                                                      "stem_multiplier",
                                                      "the auxiliary head",
                                                      "batch size",
                                                      "weight count",
                                                      "running statistics count",
                                                      "training images"};

size_t trainer_state_bytes(const Trainer *t)
{
    return 8 + 4 + 8 * SHAPE_FIELDS + 8 + 4 + 4 * (2 * t->nw + t->nr) +
           sampler_state_bytes(&t->samp) + 2 * 4 * 8 + 8;
}

int trainer_save_state(const Trainer *t, FILE *f)
{
    int64_t v[SHAPE_FIELDS];
    shape(t, v);
    int rc = fwrite(STATE_MAGIC, 1, 8, f) != 8;
    rc |= le_write_u32(f, STATE_VERSION);
    for (int i = 0; i < SHAPE_FIELDS; i++)
        rc |= le_write_u64(f, (uint64_t)v[i]);
    rc |= le_write_u64(f, (uint64_t)t->steps) | le_write_u32(f, (uint32_t)t->has_mom) |
          le_write_words(f, t->w, t->nw) | le_write_words(f, t->run, t->nr) |
          le_write_words(f, t->mom, t->nw) | sampler_save(&t->samp, f);
    for (int i = 0; i < 4; i++)
        rc |= le_write_u64(f, t->aug.s[i]);
    for (int i = 0; i < 4; i++)
        rc |= le_write_u64(f, t->drop.s[i]);
    rc |= fwrite(STATE_END, 1, 8, f) != 8;
    return rc ? -1 : 0;
}

static int truncated(char *err, size_t errlen, const char *what)
{
    return fail(err, errlen, "training state: truncated while reading the %s", what);
}

int trainer_load_state(Trainer *t, FILE *f, char *err, size_t errlen)
{
    char magic[8], end[8];
    uint32_t version, has_mom;
    uint64_t steps_u;
    int64_t want[SHAPE_FIELDS];
    shape(t, want);
    if (fread(magic, 1, 8, f) != 8)
        return truncated(err, errlen, "header");
    if (memcmp(magic, STATE_MAGIC, 8) != 0)
        return fail(err, errlen,
                    "training state: not a trainer state (expected the magic \"" STATE_MAGIC "\")");
    if (le_read_u32(f, &version) != 0)
        return truncated(err, errlen, "header");
    if (version != STATE_VERSION)
        return fail(err, errlen, "training state: version %u (expected %u)", version,
                    STATE_VERSION);
    for (int i = 0; i < SHAPE_FIELDS; i++) {
        uint64_t v;
        if (le_read_u64(f, &v) != 0)
            return truncated(err, errlen, "network shape");
        if ((int64_t)v != want[i])
            return fail(err, errlen,
                        "training state: %s is %lld in the checkpoint but %lld here (expected "
                        "the network and data it was saved from)",
                        shape_names[i], (long long)v, (long long)want[i]);
    }
    /* staged: the weights in the gradient buffer (the next step overwrites
     * it anyway), the rest in the rollback buffers; the live state changes
     * only once everything has been read and checked */
    Sampler samp = t->samp;
    samp.perm = t->perm_bk;
    Rng aug, drop;
    char why[256];
    if (le_read_u64(f, &steps_u) != 0 || le_read_u32(f, &has_mom) != 0)
        return truncated(err, errlen, "counters");
    if (le_read_words(f, t->gw, t->nw) != 0)
        return truncated(err, errlen, "weights");
    if (le_read_words(f, t->run_bk, t->nr) != 0)
        return truncated(err, errlen, "running statistics");
    if (le_read_words(f, t->mom_bk, t->nw) != 0)
        return truncated(err, errlen, "momentum buffers");
    if (sampler_load(&samp, f, why, sizeof why) != 0)
        return fail(err, errlen, "training state: the sampler: %s", why);
    for (int i = 0; i < 4; i++)
        if (le_read_u64(f, &aug.s[i]) != 0)
            return truncated(err, errlen, "augmentation rng");
    for (int i = 0; i < 4; i++)
        if (le_read_u64(f, &drop.s[i]) != 0)
            return truncated(err, errlen, "drop-path rng");
    if (fread(end, 1, 8, f) != 8)
        return truncated(err, errlen, "end marker");
    if (memcmp(end, STATE_END, 8) != 0)
        return fail(err, errlen, "training state: no end marker after the data (corrupt)");
    if (has_mom > 1 || (int64_t)steps_u < 0)
        return fail(err, errlen, "training state: step %lld, momentum flag %u (corrupt)",
                    (long long)steps_u, has_mom);
    t->steps = (int64_t)steps_u;
    t->has_mom = (int)has_mom;
    memcpy(t->w, t->gw, t->nw * sizeof *t->w);
    memcpy(t->run, t->run_bk, t->nr * sizeof *t->run);
    memcpy(t->mom, t->mom_bk, t->nw * sizeof *t->mom);
    int32_t *perm = t->samp.perm;
    memcpy(perm, t->perm_bk, (size_t)t->samp.count * sizeof *perm);
    t->samp = samp;
    t->samp.perm = perm;
    t->aug = aug;
    t->drop = drop;
    return 0;
}
