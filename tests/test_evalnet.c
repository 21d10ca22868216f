/* test_evalnet: the evaluation network (src/train/evalnet.c).
 *
 * - parameter counts against the PyTorch reference's --params;
 * - two networks against PyTorch (tests/reference/make_evalnet_fixtures.py):
 *   logits, auxiliary logits, both losses, the weight gradient, the running
 *   statistics under the same weights, batch and drop-path masks, and the
 *   weights after three SGD steps with momentum, weight decay and clipping;
 *   the weights come from fixture_weight_hash(), which the script mirrors;
 * - the backward of the whole network (auxiliary head and drop-path
 *   included) against central differences of the loss along random
 *   directions, block by block;
 * - test mode: logits independent of the last training batch and of the
 *   other images of the batch (recomputed activations use the running
 *   statistics there);
 * - the new kernels (5x5 window average pool, drop-path scaling) against
 *   their naive forms and their backward against differences.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/droppath.h"
#include "dartboard/evalnet.h"
#include "dartboard/parallel.h"
#include "dartboard/optim.h"
#include "dartboard/pool.h"
#include "fixture.h"
#include "tap.h"

#define RTOL 1e-3

static int tensor_close(const float *got, const float *want, size_t count, double rtol,
                        const char *what)
{
    return fixture_tensor_close(got, want, count, rtol, 0.1, what);
}

static const void *get(const Fixture *f, const char *name, uint32_t dtype, size_t count)
{
    const FixtureTensor *t = fixture_get(f, name);
    if (!t || t->dtype != dtype || (count && t->count != count)) {
        diag("fixture tensor %s missing or not %zu values of dtype %u", name, count, dtype);
        return NULL;
    }
    return t->data;
}

/* ------------------------------------------------------------------ counts */

static void test_counts(void)
{
    static const struct {
        const char *geno;
        int in_ch, img, C, layers;
        size_t without, with;
    } cases[] = {
        {"DARTS_V2", 3, 32, 36, 20, 3349342, 3825768},
        {"DARTS_V1", 3, 32, 36, 20, 3169414, 3645840},
        {"DARTS_V2", 1, 28, 16, 8, 245242, 680708},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Genotype g;
        genotype_published(cases[i].geno, &g);
        EvalSpec sp = {.in_channels = cases[i].in_ch,
                       .height = cases[i].img,
                       .width = cases[i].img,
                       .classes = 10,
                       .init_channels = cases[i].C,
                       .layers = cases[i].layers,
                       .stem_multiplier = 3,
                       .auxiliary = 1,
                       .batch = 1};
        size_t w = 0, wn = 0, bytes = 0;
        char err[256] = "";
        int rc = evalnet_measure(&sp, &g, &w, &wn, &bytes, err, sizeof err);
        ok(rc == 0 && w == cases[i].with && wn == cases[i].without,
           "%s %dx%dx%d C%d %d cells: %zu weights, %zu without aux (want %zu, %zu) %s",
           cases[i].geno, cases[i].in_ch, cases[i].img, cases[i].img, cases[i].C, cases[i].layers,
           w, wn, cases[i].with, cases[i].without, err);
    }
}

static void test_refusals(void)
{
    Genotype g;
    genotype_published("DARTS_V2", &g);
    EvalSpec sp = {.in_channels = 1,
                   .height = 16,
                   .width = 16,
                   .classes = 10,
                   .init_channels = 4,
                   .layers = 5,
                   .stem_multiplier = 3,
                   .auxiliary = 1,
                   .batch = 2};
    char err[256] = "";
    EvalNet *net = evalnet_create(&sp, &g, err, sizeof err);
    ok(!net && strstr(err, "auxiliary head") && strstr(err, "4x4"),
       "a 16x16 input with the auxiliary head is refused: %s", err);
    evalnet_free(net);
    sp.auxiliary = 0;
    net = evalnet_create(&sp, &g, err, sizeof err);
    ok(net != NULL, "the same network without the head builds");
    evalnet_free(net);
    g.normal[3].input = 4;
    net = evalnet_create(&sp, &g, err, sizeof err);
    ok(!net && strstr(err, "input 4"), "an input out of range is refused: %s", err);
    evalnet_free(net);
}

/* ------------------------------------------------------------------ fixtures */

static int genotype_from(const Fixture *f, Genotype *g)
{
    memset(g, 0, sizeof *g);
    const char *cells[2] = {"normal", "reduce"};
    for (int r = 0; r < 2; r++) {
        char name[64];
        snprintf(name, sizeof name, "%s_ops", cells[r]);
        const int32_t *ops = get(f, name, FIXTURE_I32, 8);
        snprintf(name, sizeof name, "%s_inputs", cells[r]);
        const int32_t *in = get(f, name, FIXTURE_I32, 8);
        snprintf(name, sizeof name, "%s_concat", cells[r]);
        const FixtureTensor *cc = fixture_get(f, name);
        if (!ops || !in || !cc || cc->count > GENOTYPE_MAX_NODES + 2)
            return -1;
        GenoEdge *e = r ? g->reduce : g->normal;
        int *concat = r ? g->reduce_concat : g->normal_concat;
        for (int k = 0; k < 8; k++)
            e[k] = (GenoEdge){ops[k], in[k]};
        for (size_t k = 0; k < cc->count; k++)
            concat[k] = ((const int32_t *)cc->data)[k];
        *(r ? &g->reduce_concat_count : &g->normal_concat_count) = (int)cc->count;
    }
    g->nodes = 4;
    return 0;
}

static void gather(float *dst, const float *src, const int32_t *kept, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dst[i] = src[kept[i]];
}

static double norm2(const float *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return s;
}

static void test_fixture(const char *file)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/train/%s", file);
    Fixture *f = fixture_load(tap_srcpath(path));
    Genotype g;
    const int32_t *spec = f ? get(f, "spec", FIXTURE_I32, 7) : NULL;
    if (!f || !spec || genotype_from(f, &g) != 0) {
        ok(0, "%s: fixture readable", file);
        fixture_free(f);
        return;
    }
    EvalSpec sp = {.in_channels = spec[0],
                   .height = spec[1],
                   .width = spec[1],
                   .classes = spec[2],
                   .init_channels = spec[3],
                   .layers = spec[4],
                   .stem_multiplier = spec[5],
                   .auxiliary = 1,
                   .batch = spec[6]};
    int n = sp.batch, k = sp.classes;
    char err[256] = "";
    EvalNet *net = evalnet_create(&sp, &g, err, sizeof err);
    const int32_t *wc = get(f, "weight_count", FIXTURE_I32, 1);
    const int32_t *ac = get(f, "aux_count", FIXTURE_I32, 1);
    const double *hp = get(f, "hparams", FIXTURE_F64, 7);
    const FixtureTensor *kt = fixture_get(f, "kept");
    const float *x = get(f, "x", FIXTURE_F32, 0);
    const int32_t *y = get(f, "y", FIXTURE_I32, (size_t)n);
    if (!net || !wc || !ac || !hp || !kt || !x || !y) {
        ok(0, "%s: network built and fixture complete: %s", file, err);
        evalnet_free(net);
        fixture_free(f);
        return;
    }
    size_t nw = evalnet_weight_count(net), nr = evalnet_running_count(net), nk = kt->count;
    const int32_t *kept = kt->data;
    ok(nw == (size_t)wc[0] && evalnet_aux_weight_count(net) == (size_t)ac[0],
       "%s: %zu weights, %zu in the auxiliary head (PyTorch %d, %d)", file, nw,
       evalnet_aux_weight_count(net), wc[0], ac[0]);
    if (nw != (size_t)wc[0]) {
        evalnet_free(net);
        fixture_free(f);
        return;
    }
    float *w = evalnet_weights(net);
    for (size_t i = 0; i < nw; i++)
        w[i] = fixture_weight_hash(i);
    int drops = evalnet_drop_ops(net);
    const float *masks = get(f, "masks", FIXTURE_F32, (size_t)drops * n);
    float keep = (float)(1.0 - hp[0]), aux_weight = (float)hp[1];
    float *scale = evalnet_drop_scales(net);
    for (int i = 0; masks && i < drops * n; i++)
        scale[i] = masks[i] / keep;
    ok(masks != NULL, "%s: %d drop-path ops, as many masks as PyTorch drew", file, drops);

    evalnet_forward(net, x, n, EVAL_TRAIN, 1);
    float aux = 0.0f;
    float loss = evalnet_loss(net, y, NULL, &aux);
    evalnet_backward(net, y, aux_weight);
    const float *want_loss = get(f, "loss", FIXTURE_F32, 1);
    const float *want_aux = get(f, "aux_loss", FIXTURE_F32, 1);
    ok(want_loss && want_aux && fabsf(loss - *want_loss) <= 1e-4f * fabsf(*want_loss) &&
           fabsf(aux - *want_aux) <= 1e-4f * fabsf(*want_aux),
       "%s: loss %.7f, aux loss %.7f (PyTorch %.7f, %.7f)", file, loss, aux,
       want_loss ? *want_loss : 0.0f, want_aux ? *want_aux : 0.0f);
    const float *wl = get(f, "logits", FIXTURE_F32, (size_t)n * k);
    const float *wa = get(f, "aux_logits", FIXTURE_F32, (size_t)n * k);
    ok(wl && wa && tensor_close(evalnet_logits(net), wl, (size_t)n * k, 1e-4, "logits") &&
           tensor_close(evalnet_aux_logits(net), wa, (size_t)n * k, 1e-4, "aux logits"),
       "%s: logits and auxiliary logits within 1e-4", file);
    float *tmp = malloc(nk * sizeof *tmp);
    const float *wg = get(f, "weight_grads", FIXTURE_F32, nk);
    const double *gn2 = get(f, "grad_norm2", FIXTURE_F64, 1);
    gather(tmp, evalnet_grads(net), kept, nk);
    double got_n2 = norm2(evalnet_grads(net), nw);
    ok(wg && gn2 && tensor_close(tmp, wg, nk, RTOL, "weight gradient") &&
           fabs(got_n2 - *gn2) <= RTOL * *gn2,
       "%s: the weight gradient within %g (||g||^2 %.6g, PyTorch %.6g)", file, RTOL, got_n2,
       gn2 ? *gn2 : 0.0);
    const float *wr = get(f, "running", FIXTURE_F32, nr);
    ok(wr && tensor_close(evalnet_running(net), wr, nr, 1e-4, "running statistics"),
       "%s: %zu running statistics within 1e-4", file, nr);

    /* three SGD steps on the same batch, no drop-path */
    float *mom = calloc(nw, sizeof *mom);
    for (int s = 0; s < (int)hp[6]; s++) {
        evalnet_forward(net, x, n, EVAL_TRAIN, 0);
        evalnet_loss(net, y, NULL, NULL);
        evalnet_backward(net, y, aux_weight);
        optim_clip_grad_norm(evalnet_grads(net), nw, hp[5]);
        optim_sgd_step(w, evalnet_grads(net), mom, nw, hp[2], hp[3], hp[4], s > 0);
    }
    const float *wafter = get(f, "weights_after", FIXTURE_F32, nk);
    const double *an2 = get(f, "after_norm2", FIXTURE_F64, 1);
    const float *rafter = get(f, "running_after", FIXTURE_F32, nr);
    /* the update moves each weight by about lr * clip / sqrt(nw); compare the
     * change, not the (much larger) weights */
    float *dwant = malloc(nk * sizeof *dwant);
    for (size_t i = 0; wafter && i < nk; i++) {
        tmp[i] = w[kept[i]] - fixture_weight_hash((uint64_t)kept[i]);
        dwant[i] = wafter[i] - fixture_weight_hash((uint64_t)kept[i]);
    }
    double an = norm2(w, nw);
    ok(wafter && an2 && rafter && tensor_close(tmp, dwant, nk, 1e-2, "weight change") &&
           fabs(an - *an2) <= 1e-5 * *an2 &&
           tensor_close(evalnet_running(net), rafter, nr, 1e-3, "running statistics after"),
       "%s: %d SGD steps (momentum, weight decay, clip): the weight change within 1e-2, "
       "||w||^2 %.8g (PyTorch %.8g), running statistics within 1e-3",
       file, (int)hp[6], an, an2 ? *an2 : 0.0);
    free(dwant);
    free(mom);
    free(tmp);
    evalnet_free(net);
    fixture_free(f);
}

/* ------------------------------------------------------------------ gradient check */

/* The mean cross-entropy of n rows of k logits, in double. */
static double xent(const float *logits, const int *y, int n, int k)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float *row = logits + (size_t)i * k;
        double top = row[0], e = 0.0;
        for (int j = 1; j < k; j++)
            top = fmax(top, row[j]);
        for (int j = 0; j < k; j++)
            e += exp(row[j] - top);
        sum += top + log(e) - row[y[i]];
    }
    return sum / n;
}

/* The training loss, in double from the logits: evalnet_loss's float would
 * quantise the central differences (the auxiliary head's two losses differ
 * by a few float steps). evalnet_loss still runs: the backward reads its
 * softmax. */
static double total_loss(EvalNet *net, const float *x, const int *y, int n, float aux_weight)
{
    evalnet_forward(net, x, n, EVAL_TRAIN_FROZEN, 1);
    evalnet_loss(net, y, NULL, NULL);
    const int k = evalnet_classes(net);
    return xent(evalnet_logits(net), y, n, k) + aux_weight * xent(evalnet_aux_logits(net), y, n, k);
}

/* Along a random direction d over the weights [lo, hi): the central
 * difference of the loss against <grad, d>, the network in training mode
 * with frozen running statistics and fixed drop-path masks. */
static void grad_check_genotype(Genotype *g)
{
    /* every op kind, a strided skip, a partial concat, and in the reduce
     * cell two average pools of state 1 (one pool shared by two edges) */
    static const int normal[8][2] = {
        {OP_SEP_CONV_3X3, 0}, {OP_DIL_CONV_3X3, 1}, {OP_AVG_POOL_3X3, 0}, {OP_SKIP_CONNECT, 2},
        {OP_MAX_POOL_3X3, 1}, {OP_SEP_CONV_5X5, 2}, {OP_DIL_CONV_5X5, 3}, {OP_SKIP_CONNECT, 0}};
    static const int reduce[8][2] = {
        {OP_SKIP_CONNECT, 0}, {OP_AVG_POOL_3X3, 1}, {OP_SEP_CONV_3X3, 1}, {OP_MAX_POOL_3X3, 2},
        {OP_DIL_CONV_3X3, 0}, {OP_SKIP_CONNECT, 3}, {OP_SEP_CONV_5X5, 4}, {OP_AVG_POOL_3X3, 1}};
    *g = (Genotype){0};
    for (int e = 0; e < 8; e++) {
        g->normal[e] = (GenoEdge){normal[e][0], normal[e][1]};
        g->reduce[e] = (GenoEdge){reduce[e][0], reduce[e][1]};
    }
    g->nodes = 4;
    /* state 1 in the normal concat: a preprocessed state the next cells read */
    for (int i = 0; i < 5; i++)
        g->normal_concat[i] = 1 + i;
    g->reduce_concat[0] = 3;
    g->reduce_concat[1] = 5;
    g->normal_concat_count = 5;
    g->reduce_concat_count = 2;
}

static const EvalSpec grad_check_spec = {.in_channels = 2,
                                         .height = 28,
                                         .width = 28,
                                         .classes = 5,
                                         .init_channels = 4,
                                         .layers = 3,
                                         .stem_multiplier = 2,
                                         .auxiliary = 1,
                                         .batch = 8};

static void test_grad_check(void)
{
    Genotype g;
    grad_check_genotype(&g);
    EvalSpec sp = grad_check_spec;
    char err[256] = "";
    EvalNet *net = evalnet_create(&sp, &g, err, sizeof err);
    if (!net) {
        ok(0, "gradient check network: %s", err);
        return;
    }
    Rng rng;
    rng_seed(&rng, 11);
    evalnet_init(net, &rng);
    size_t nw = evalnet_weight_count(net), naux = evalnet_aux_weight_count(net);
    int n = sp.batch;
    float *x = malloc((size_t)n * 2 * 28 * 28 * sizeof *x);
    int y[8] = {1, 4, 0, 2, 3, 3, 1, 0};
    for (int i = 0; i < n * 2 * 28 * 28; i++)
        x[i] = (float)rng_normal(&rng);
    float *scale = evalnet_drop_scales(net);
    for (int i = 0; i < evalnet_drop_ops(net) * n; i++)
        scale[i] = i % 5 == 2 ? 0.0f : 1.0f / 0.8f;
    float *w = evalnet_weights(net);
    float *w0 = malloc(nw * sizeof *w0), *grad = malloc(nw * sizeof *grad);
    float *d = malloc(nw * sizeof *d);
    memcpy(w0, w, nw * sizeof *w0);
    const float aux_weight = 0.4f;
    total_loss(net, x, y, n, aux_weight);
    evalnet_backward(net, y, aux_weight);
    memcpy(grad, evalnet_grads(net), nw * sizeof *grad);
    /* blocks: the first 200 weights (the stem and the start of cell 0), the
     * cells, the auxiliary head, the classifier; h, the step's norm. The
     * auxiliary head's gradient is small against its 400k weights: at h 1e-3
     * the float32 rounding of its logits moves the difference by up to 12 %
     * (a change of rounding in the cells' BN statistics moved it from 0.7 %
     * to 9.8 % off), at 1e-2 it is 1.5 % off before and after that change;
     * the ReLU kinks show from 3e-2 on. */
    size_t cls = 5 * (size_t)(2 * 16) + 5; /* last cell: 2 concat states of C=16 */
    size_t aux_lo = nw - cls - naux;
    struct {
        const char *what;
        size_t lo, hi;
        double h;
    } blocks[] = {{"stem", 0, 200, 1e-3},
                  {"cells", 200, aux_lo, 1e-3},
                  {"auxiliary head", aux_lo, nw - cls, 1e-2},
                  {"classifier", nw - cls, nw, 1e-3}};
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++) {
        double dot = 0.0, dn = 0.0;
        for (size_t i = 0; i < nw; i++) {
            d[i] = i >= blocks[b].lo && i < blocks[b].hi ? (float)rng_normal(&rng) : 0.0f;
            dot += (double)grad[i] * d[i];
            dn += (double)d[i] * d[i];
        }
        double eps = blocks[b].h / sqrt(dn);
        for (size_t i = 0; i < nw; i++)
            w[i] = w0[i] + (float)eps * d[i];
        double lp = total_loss(net, x, y, n, aux_weight);
        for (size_t i = 0; i < nw; i++)
            w[i] = w0[i] - (float)eps * d[i];
        double lm = total_loss(net, x, y, n, aux_weight);
        memcpy(w, w0, nw * sizeof *w);
        double fd = (lp - lm) / (2 * eps);
        /* float32 differences through BN on small maps, ReLU and max-pool
         * kinks: a few per cent is the noise floor (the PyTorch fixtures
         * check every gradient to 1e-3) */
        ok(fabs(fd - dot) <= 5e-2 * fabs(dot) + 1e-3,
           "gradient check, %s (weights %zu..%zu): difference %.6g, backward %.6g", blocks[b].what,
           blocks[b].lo, blocks[b].hi, fd, dot);
    }
    free(x);
    free(w0);
    free(grad);
    free(d);
    evalnet_free(net);
}

/* Test mode normalises with the running statistics only: its logits do not
 * depend on the batch of the last training forward, nor on the other images
 * of their own batch. (Activations recomputed from BN inputs must use the
 * statistics of the pass they recompute.) */
static void test_eval_mode(void)
{
    Genotype g;
    grad_check_genotype(&g);
    EvalSpec sp = grad_check_spec;
    char err[256] = "";
    EvalNet *net = evalnet_create(&sp, &g, err, sizeof err);
    if (!net) {
        ok(0, "test-mode network: %s", err);
        return;
    }
    Rng rng;
    rng_seed(&rng, 5);
    evalnet_init(net, &rng);
    int n = sp.batch, k = sp.classes;
    size_t img = (size_t)sp.in_channels * sp.height * sp.width;
    float *x = malloc(3 * n * img * sizeof *x), *la = malloc(2 * (size_t)n * k * sizeof *la);
    float *lb = la + (size_t)n * k;
    for (size_t i = 0; i < 3 * n * img; i++)
        x[i] = 0.5f + (float)rng_normal(&rng);
    for (int s = 0; s < 3; s++) /* running statistics away from their start */
        evalnet_forward(net, x + (size_t)(s % 2) * n * img, n, EVAL_TRAIN, 0);
    evalnet_forward(net, x + (size_t)n * img, n, EVAL_TRAIN_FROZEN, 1);
    evalnet_forward(net, x + 2 * (size_t)n * img, n, EVAL_TEST, 0);
    memcpy(la, evalnet_logits(net), (size_t)n * k * sizeof *la);
    evalnet_forward(net, x, n, EVAL_TRAIN_FROZEN, 1);
    evalnet_forward(net, x + 2 * (size_t)n * img, n, EVAL_TEST, 0);
    memcpy(lb, evalnet_logits(net), (size_t)n * k * sizeof *lb);
    ok(memcmp(la, lb, (size_t)n * k * sizeof *la) == 0,
       "test mode: the logits do not depend on the last training batch");
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        evalnet_forward(net, x + (2 * (size_t)n + i) * img, 1, EVAL_TEST, 0);
        for (int c = 0; c < k; c++)
            worst = fmax(worst, fabs(evalnet_logits(net)[c] - la[(size_t)i * k + c]));
    }
    ok(worst <= 1e-5, "test mode: each image alone gives its logits in the batch (worst %.3g)",
       worst);
    free(x);
    free(la);
    evalnet_free(net);
}

/* Two training steps of the gradient check's network (every op kind, both
 * cell types, the auxiliary head, drop-path) at `threads` threads: the
 * outputs a caller sees, appended to out. With skew, the image groups'
 * split starts far from where the threads' speeds put it (thread 0 two
 * groups of 16, thread 1 the rest). */
static size_t two_steps(EvalKeep keep, int threads, int skew, float *out, size_t *arena)
{
    parallel_set_threads(threads);
    Genotype g;
    grad_check_genotype(&g);
    EvalSpec sp = grad_check_spec;
    sp.keep = keep;
    char err[256] = "";
    EvalNet *net = evalnet_create(&sp, &g, err, sizeof err);
    if (!net) {
        ok(0, "network keeping %d: %s", (int)keep, err);
        return 0;
    }
    size_t wn, wn_no_aux;
    if (evalnet_measure(&sp, &g, &wn, &wn_no_aux, arena, err, sizeof err) != 0)
        *arena = 0;
    if (skew) {
        Balance *b = evalnet_group_balance(net);
        balance_init(b, b->units, threads);
        b->first[1] = 2;
    }
    Rng rng;
    rng_seed(&rng, 21);
    evalnet_init(net, &rng);
    const int n = sp.batch, k = sp.classes;
    const size_t img = (size_t)sp.in_channels * sp.height * sp.width,
                 nw = evalnet_weight_count(net);
    float *x = malloc((size_t)n * img * sizeof *x);
    int y[8] = {3, 1, 4, 0, 2, 2, 0, 1};
    size_t at = 0;
    for (int step = 0; step < 2; step++) {
        for (size_t i = 0; i < (size_t)n * img; i++)
            x[i] = (float)rng_normal(&rng);
        float *scale = evalnet_drop_scales(net);
        for (int i = 0; i < evalnet_drop_ops(net) * n; i++)
            scale[i] = (i + step) % 4 == 1 ? 0.0f : 1.0f / 0.75f;
        evalnet_forward(net, x, n, EVAL_TRAIN, 1);
        float aux;
        out[at++] = evalnet_loss(net, y, NULL, &aux);
        out[at++] = aux;
        evalnet_backward(net, y, 0.4f);
        memcpy(out + at, evalnet_logits(net), (size_t)n * k * sizeof *out);
        at += (size_t)n * k;
        memcpy(out + at, evalnet_grads(net), nw * sizeof *out);
        at += nw;
        float *w = evalnet_weights(net);
        for (size_t i = 0; i < nw; i++)
            w[i] -= 0.05f * evalnet_grads(net)[i];
    }
    memcpy(out + at, evalnet_running(net), evalnet_running_count(net) * sizeof *out);
    at += evalnet_running_count(net);
    free(x);
    evalnet_free(net);
    return at;
}

/* Whether the sep_convs and dil_convs keep their BN inputs or run their
 * forward again in the backward changes memory only: the same bits. */
static void test_keep(void)
{
    const size_t room = 2 * 1024 * 1024;
    float *none = malloc(room * sizeof *none), *all = malloc(room * sizeof *all),
          *deep = malloc(room * sizeof *deep);
    size_t a_none = 0, a_all = 0, a_deep = 0;
    const size_t n_none = two_steps(EVAL_KEEP_NONE, 2, 0, none, &a_none),
                 n_all = two_steps(EVAL_KEEP_ALL, 2, 0, all, &a_all),
                 n_deep = two_steps(EVAL_KEEP_DEEP, 2, 0, deep, &a_deep);
    ok(n_none > 0 && n_none == n_all && n_none == n_deep && n_none < room,
       "keeping or not: the same outputs (%zu floats)", n_none);
    ok(memcmp(none, all, n_none * sizeof *none) == 0 &&
           memcmp(none, deep, n_none * sizeof *none) == 0,
       "losses, logits, gradients of two steps and the running statistics: the same bits "
       "recomputed, kept in every cell, kept from the first reduction on");
    ok(a_none < a_deep && a_deep < a_all,
       "the planned arena grows with what is kept: %zu, %zu, %zu bytes", a_none, a_deep, a_all);
    free(none);
    free(all);
    free(deep);
}

/* The bits depend neither on the thread count nor on which thread runs
 * which image group (the split the threads' speeds move). */
static void test_threads(void)
{
    const size_t room = 2 * 1024 * 1024;
    float *one = malloc(room * sizeof *one), *two = malloc(room * sizeof *two),
          *skewed = malloc(room * sizeof *skewed), *three = malloc(room * sizeof *three);
    size_t arena;
    const size_t n1 = two_steps(EVAL_KEEP_DEEP, 1, 0, one, &arena),
                 n2 = two_steps(EVAL_KEEP_DEEP, 2, 0, two, &arena),
                 ns = two_steps(EVAL_KEEP_DEEP, 2, 1, skewed, &arena),
                 n3 = two_steps(EVAL_KEEP_DEEP, 3, 0, three, &arena);
    ok(n1 > 0 && n1 == n2 && n1 == ns && n1 == n3 && n1 < room,
       "threads: the same outputs (%zu floats)", n1);
    ok(memcmp(one, two, n1 * sizeof *one) == 0 && memcmp(one, three, n1 * sizeof *one) == 0,
       "two training steps: the same bits at 1, 2 and 3 threads");
    ok(memcmp(one, skewed, n1 * sizeof *one) == 0,
       "... and at 2 threads with the image groups split 2 to 14 at the start");
    parallel_set_threads(2);
    free(one);
    free(two);
    free(skewed);
    free(three);
}

/* ------------------------------------------------------------------ kernels */

static void test_kernels(void)
{
    enum { N = 2, C = 3, H = 8, W = 8, K = 5, S = 3 };
    int ho = avgpool_window_out_size(H, K, S);
    float in[N * C * H * W], out[N * C * 4], ref[N * C * 4], dout[N * C * 4], din[N * C * H * W];
    Rng rng;
    rng_seed(&rng, 3);
    for (int i = 0; i < N * C * H * W; i++)
        in[i] = (float)rng_normal(&rng);
    for (int i = 0; i < N * C * ho * ho; i++)
        dout[i] = (float)rng_normal(&rng);
    avgpool_window_forward(out, in, N, C, H, W, K, S);
    avgpool_window_forward_naive(ref, in, N, C, H, W, K, S);
    int same = ho == 2;
    for (int i = 0; i < N * C * ho * ho; i++)
        same &= fabsf(out[i] - ref[i]) <= 1e-6f;
    ok(same, "avgpool 5x5 stride 3 on 8x8: 2x2, equal to the naive loop");
    /* linear: the backward is exactly <dout, pool(e_i)>, i.e. the difference */
    memset(din, 0, sizeof din);
    avgpool_window_backward(din, dout, N, C, H, W, K, S);
    double worst = 0.0;
    for (int i = 0; i < N * C * H * W; i += 7) {
        float save = in[i];
        in[i] = save + 0.5f;
        avgpool_window_forward(out, in, N, C, H, W, K, S);
        double lp = 0.0;
        for (int j = 0; j < N * C * ho * ho; j++)
            lp += (double)out[j] * dout[j];
        in[i] = save - 0.5f;
        avgpool_window_forward(out, in, N, C, H, W, K, S);
        double lm = 0.0;
        for (int j = 0; j < N * C * ho * ho; j++)
            lm += (double)out[j] * dout[j];
        in[i] = save;
        double e = fabs((lp - lm) - din[i]);
        worst = e > worst ? e : worst;
    }
    ok(worst <= 1e-5, "avgpool 5x5 backward equals the difference (worst %.3g)", worst);
    int ho2 = avgpool_window_out_size(7, K, 2);
    ok(ho2 == 2 && avgpool_window_out_size(4, K, 2) == 0,
       "avgpool 5x5 stride 2: 7x7 gives 2x2, 4x4 nothing");

    float scale[N] = {1.25f, 0.0f}, a[N * 10], b[N * 10], c[N * 10], da[N * 10];
    for (int i = 0; i < N * 10; i++) {
        a[i] = (float)rng_normal(&rng);
        b[i] = c[i] = (float)rng_normal(&rng);
    }
    droppath_forward(b, a, scale, N, 10, 1);
    droppath_forward_naive(c, a, scale, N, 10, 1);
    droppath_backward(da, a, scale, N, 10);
    int good = 1;
    for (int i = 0; i < N * 10; i++)
        good &= fabsf(b[i] - c[i]) <= 1e-6f * (1.0f + fabsf(c[i])) && da[i] == scale[i / 10] * a[i];
    droppath_forward(b, a, NULL, N, 10, 0);
    good &= memcmp(b, a, sizeof b) == 0;
    ok(good, "drop-path: per-image scale (+= and =) as the naive loop; backward scales "
             "the gradient; no scale is the identity");
}

int main(void)
{
    test_counts();
    test_refusals();
    test_kernels();
    test_fixture("v2.fix");
    test_fixture("allops.fix");
    test_grad_check();
    test_eval_mode();
    test_keep();
    test_threads();
    return tap_done();
}
