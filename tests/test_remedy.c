/* test_remedy: the remedies against DARTS collapse (remedy.h) against their
 * formulas, and how the search step uses them.
 *
 * beta-DARTS: the regulariser's value and its alpha gradient against central
 * finite differences; the ramp; in the search, the first- and second-order
 * alpha gradients gain exactly the regulariser's gradient. SDARTS-RS: the
 * noise is deterministic per (seed, step) and within [-eps, eps]; the weight
 * step sees exactly softmax(alpha) + that noise, the alpha step none; a
 * resumed search with both remedies on stays bit-identical.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/config.h"
#include "dartboard/remedy.h"
#include "dartboard/search.h"
#include "tap.h"

static Dataset data;

#include "supernet_fd.h"
#include "tiny_search.h"

/* A fixed batch of n images from the dataset, from image `first` on. */
static void batch(int first, int n, float *x, int *y)
{
    int32_t idx[64];
    for (int i = 0; i < n; i++)
        idx[i] = first + i;
    dataset_batch(&data, idx, n, 0, NULL, x, y);
}

/* ---- beta-DARTS ------------------------------------------------------------ */

static void test_beta_formula(void)
{
    enum { EDGES = 14, OPS = 8, N = 2 * EDGES * OPS };
    float a[N], g[N];
    Rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < N; i++)
        a[i] = (float)(2.0 * rng_normal(&r));
    const double lambda = 7.5;

    /* all-zero alphas: logsumexp = log 8 on every edge */
    float zero[N] = {0};
    double r0 = remedy_beta_loss(zero, EDGES, OPS, lambda, NULL);
    ok(fabs(r0 - lambda * 2.0 * log(8.0)) < 1e-9, "beta: R(0) = lambda * 2 log 8 (%.9f)", r0);

    memset(g, 0, sizeof g);
    remedy_beta_loss(a, EDGES, OPS, lambda, g);
    double worst = 0.0;
    const float h = 1e-2f;
    for (int i = 0; i < N; i++) {
        float keep = a[i];
        a[i] = keep + h;
        double up = remedy_beta_loss(a, EDGES, OPS, lambda, NULL);
        a[i] = keep - h;
        double down = remedy_beta_loss(a, EDGES, OPS, lambda, NULL);
        a[i] = keep;
        double fd = (up - down) / (2.0 * ((double)(keep + h) - (double)keep));
        double e = fabs(fd - g[i]) / (fabs(fd) + 1e-3);
        worst = e > worst ? e : worst;
    }
    ok(worst < 1e-3, "beta: alpha gradient against central differences (worst rel. error %.2e)",
       worst);

    /* the gradient adds into what is there */
    float g2[N];
    for (int i = 0; i < N; i++)
        g2[i] = 1.0f;
    remedy_beta_loss(a, EDGES, OPS, lambda, g2);
    int adds = 1;
    for (int i = 0; i < N; i++)
        adds &= fabsf(g2[i] - 1.0f - g[i]) < 1e-6f;
    ok(adds, "beta: the gradient is added to grad");

    Config c;
    config_defaults(&c);
    c.run.epochs = 50;
    ok(remedy_beta_lambda(&c, 10) == 0.0, "beta: off by default");
    c.remedy.beta_lambda = 50;
    ok(remedy_beta_lambda(&c, 0) == 0.0 && remedy_beta_lambda(&c, 10) == 10.0 &&
           remedy_beta_lambda(&c, 49) == 49.0,
       "beta: lambda = beta_lambda * epoch / epochs");
}

/* The search's alpha gradient, orders 1 and 2, gains exactly the
 * regulariser's gradient at the current epoch's lambda. */
static void test_beta_search(int order)
{
    char err[512];
    Config off, on;
    base_config(&off);
    off.arch.order = order;
    on = off;
    on.remedy.beta_lambda = 40.0;
    Search *s = make(&off);
    run(s, &off, 7, NULL); /* into epoch 1 of 4: lambda = 10 */
    ok(search_epoch(s) == 1, "order %d: the search is in epoch 1", order);

    size_t na = 2 * (size_t)supernet_edges(search_net(s)) * OP_COUNT;
    const int n = 8;
    size_t img = (size_t)data.channels * (size_t)data.height * (size_t)data.width;
    float *xt = malloc(n * img * sizeof(float)), *xv = malloc(n * img * sizeof(float));
    float *g_off = malloc(na * sizeof(float)), *g_on = malloc(na * sizeof(float));
    int yt[8], yv[8];
    batch(0, n, xt, yt);
    batch(60, n, xv, yv);
    int rc = search_alpha_gradient(s, &off, order, xt, yt, xv, yv, n, g_off, err, sizeof err) |
             search_alpha_gradient(s, &on, order, xt, yt, xv, yv, n, g_on, err, sizeof err);
    ok(rc == 0, "order %d: the alpha gradients (%s)", order, rc ? err : "ok");
    remedy_beta_loss(supernet_alphas(search_net(s)), supernet_edges(search_net(s)), OP_COUNT, 10.0,
                     g_off);
    ok(memcmp(g_off, g_on, na * sizeof(float)) == 0,
       "order %d: with beta-DARTS the gradient is the plain one + lambda * d mean logsumexp",
       order);
    free(xt);
    free(xv);
    free(g_off);
    free(g_on);
    search_free(s);
}

/* ---- SDARTS-RS ------------------------------------------------------------- */

static void test_sdarts_noise(void)
{
    enum { N = 224 };
    float a[N], b[N], c[N], d[N];
    remedy_sdarts_noise(3, 17, 0.2, a, N);
    remedy_sdarts_noise(3, 17, 0.2, b, N);
    remedy_sdarts_noise(3, 18, 0.2, c, N);
    remedy_sdarts_noise(4, 17, 0.2, d, N);
    int inside = 1, spread_lo = 0, spread_hi = 0;
    double mean = 0.0;
    for (int i = 0; i < N; i++) {
        inside &= a[i] >= -0.2f && a[i] <= 0.2f;
        spread_lo |= a[i] < -0.15f;
        spread_hi |= a[i] > 0.15f;
        mean += a[i] / N;
    }
    ok(memcmp(a, b, sizeof a) == 0, "sdarts: the same (seed, step), the same noise");
    ok(memcmp(a, c, sizeof a) != 0 && memcmp(a, d, sizeof a) != 0,
       "sdarts: another step or seed, other noise");
    ok(inside && spread_lo && spread_hi && fabs(mean) < 0.03,
       "sdarts: uniform in [-eps, eps] (mean %.4f)", mean);

    Config cfg;
    config_defaults(&cfg);
    cfg.run.epochs = 10;
    ok(remedy_sdarts_eps(&cfg, 3) == 0.0, "sdarts: off by default");
    cfg.remedy.sdarts_eps = 0.3;
    ok(fabs(remedy_sdarts_eps(&cfg, 0) - 0.03) < 1e-12 &&
           fabs(remedy_sdarts_eps(&cfg, 5) - 0.165) < 1e-12,
       "sdarts: eps ramps from 0.03 by (eps - 0.03) * epoch / epochs");
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

static void test_sdarts_steps(void)
{
    char err[512];
    Config plain, noisy;
    base_config(&plain);
    noisy = plain;
    noisy.remedy.sdarts_eps = 0.3;
    const int n = 8;
    size_t img = (size_t)data.channels * (size_t)data.height * (size_t)data.width;
    float *xt = malloc(n * img * sizeof(float)), *xv = malloc(n * img * sizeof(float));
    int yt[8], yv[8];
    batch(0, n, xt, yt);
    batch(60, n, xv, yv);

    /* Weights only: the perturbed step equals a plain step whose forward gets
     * the expected noise by hand. */
    plain.arch.order = noisy.arch.order = 0;
    Search *a = make(&noisy), *ref = make(&plain), *p = make(&plain);
    size_t nw = supernet_weight_count(search_net(a));
    size_t na = 2 * (size_t)supernet_edges(search_net(a)) * OP_COUNT;
    float *noise = malloc(na * sizeof(float));
    remedy_sdarts_noise(noisy.run.seed, 0, REMEDY_SDARTS_EPS_START, noise, na);
    supernet_set_mix_offset(search_net(ref), noise);
    int rc = search_step_batches(a, &noisy, xt, yt, xv, yv, n, NULL, err, sizeof err) |
             search_step_batches(ref, &plain, xt, yt, xv, yv, n, NULL, err, sizeof err) |
             search_step_batches(p, &plain, xt, yt, xv, yv, n, NULL, err, sizeof err);
    supernet_set_mix_offset(search_net(ref), NULL);
    ok(rc == 0, "order 0: the steps run (%s)", rc ? err : "ok");
    ok(same_floats(supernet_weights(search_net(a)), supernet_weights(search_net(ref)), nw),
       "order 0: the weight step saw softmax(alpha) + the noise of (seed, step 0), eps 0.03");
    ok(!same_floats(supernet_weights(search_net(a)), supernet_weights(search_net(p)), nw),
       "order 0: and that differs from the plain step");
    search_free(a);
    search_free(ref);
    search_free(p);

    /* Orders 1 and 2: the alpha step (first in a step) is the plain one. */
    for (int order = 1; order <= 2; order++) {
        plain.arch.order = noisy.arch.order = order;
        a = make(&noisy);
        p = make(&plain);
        rc = search_step_batches(a, &noisy, xt, yt, xv, yv, n, NULL, err, sizeof err) |
             search_step_batches(p, &plain, xt, yt, xv, yv, n, NULL, err, sizeof err);
        ok(rc == 0, "order %d: the steps run (%s)", order, rc ? err : "ok");
        ok(same_floats(supernet_alphas(search_net(a)), supernet_alphas(search_net(p)), na),
           "order %d: the alpha step saw no noise (alphas bit-identical)", order);
        ok(!same_floats(supernet_weights(search_net(a)), supernet_weights(search_net(p)), nw),
           "order %d: the weight step did", order);
        search_free(a);
        search_free(p);
    }
    free(noise);
    free(xt);
    free(xv);
}

/* ---- DARTS- -------------------------------------------------------------------- */

static SupernetSpec tiny_spec(int aux, int sigmoid)
{
    return (SupernetSpec){.in_channels = 1,
                          .image_size = 8,
                          .classes = 4,
                          .init_channels = 4,
                          .layers = 3,
                          .nodes = 4,
                          .stem_multiplier = 3,
                          .batch = 4,
                          .lanes = 1,
                          .aux_skip = aux,
                          .sigmoid = sigmoid};
}

static Supernet *tiny_net(int aux, int sigmoid, float *x, int *y)
{
    char err[256];
    SupernetSpec sp = tiny_spec(aux, sigmoid);
    Supernet *net = supernet_create(&sp, err, sizeof err);
    if (!net) {
        diag("supernet_create: %s", err);
        exit(99);
    }
    Rng r;
    rng_seed(&r, 5);
    supernet_init(net, &r);
    float *a = supernet_alphas(net);
    for (int i = 0; i < 2 * supernet_edges(net) * OP_COUNT; i++)
        a[i] = (float)(0.5 * rng_normal(&r)); /* distinct op weights */
    rng_seed(&r, 6);
    for (int i = 0; i < sp.batch * 64; i++)
        x[i] = (float)rng_normal(&r);
    for (int i = 0; i < sp.batch; i++)
        y[i] = i % sp.classes;
    return net;
}

/* What the auxiliary FactorizedReduce adds per strided edge: two 1x1
 * convolutions of C/2 output channels (C^2 weights) and an affine-free BN
 * (2C running statistics); a reduction cell has 2 * nodes strided edges. */
static void test_darts_minus_counts(void)
{
    static const struct {
        const char *name;
        int in, size, c, layers;
        size_t plain;
    } cfg[] = {{"A", 3, 32, 16, 8, 1930618}, {"C", 1, 28, 8, 5, 393778}};
    for (int i = 0; i < 2; i++) {
        size_t nw[2], nr[2];
        for (int aux = 0; aux < 2; aux++) {
            SupernetSpec sp = {.in_channels = cfg[i].in,
                               .image_size = cfg[i].size,
                               .classes = 10,
                               .init_channels = cfg[i].c,
                               .layers = cfg[i].layers,
                               .nodes = 4,
                               .stem_multiplier = 3,
                               .batch = 1,
                               .aux_skip = aux};
            char err[256];
            Supernet *net = supernet_create(&sp, err, sizeof err);
            if (!net) {
                diag("supernet_create: %s", err);
                exit(99);
            }
            nw[aux] = supernet_weight_count(net);
            nr[aux] = supernet_running_count(net);
            supernet_free(net);
        }
        /* reductions at layers/3 and 2*layers/3, with 2C and 4C channels */
        size_t c1 = 2 * (size_t)cfg[i].c, c2 = 4 * (size_t)cfg[i].c;
        size_t want_w = 8 * (c1 * c1 + c2 * c2), want_r = 8 * 2 * (c1 + c2);
        ok(nw[0] == cfg[i].plain && nw[1] - nw[0] == want_w && nr[1] - nr[0] == want_r,
           "config %s: DARTS- adds %zu weights to %zu (expected %zu) and %zu running statistics",
           cfg[i].name, nw[1] - nw[0], nw[0], want_w, nr[1] - nr[0]);
    }
}

static double loss_at(Supernet *net, const float *x, const int *y)
{
    return supernet_forward(net, x, y, tiny_spec(0, 0).batch, SUPERNET_TRAIN_FROZEN, NULL, NULL);
}

/* The five largest entries of g that `pick` selects (supernet_fd.h). */
static int check_entries(Supernet *net, float *v, const float *g, size_t count,
                         const unsigned char *pick, const float *x, const int *y, const char *what)
{
    return supernet_fd_check(net, x, y, tiny_spec(0, 0).batch, v, g, count, pick, 5, 1e-2f, 1e-3,
                             what);
}

static void test_darts_minus_gradients(void)
{
    float x[4 * 64];
    int y[4];
    Supernet *plain = tiny_net(0, 0, x, y), *net = tiny_net(1, 0, x, y);
    size_t nw = supernet_weight_count(net), np = supernet_weight_count(plain);
    size_t na = 2 * (size_t)supernet_edges(net) * OP_COUNT;

    /* The auxiliary weights: those whose gradient vanishes at beta = 0 but
     * not at 0.7, in runs of C^2 (the two convolutions of one strided edge);
     * the odd single weight that also does is a tap that only a changed
     * activation pattern brings to life. */
    float *g0 = malloc(nw * sizeof(float));
    unsigned char *aux = calloc(nw, 1);
    supernet_set_aux_beta(net, 0.0f);
    loss_at(net, x, y);
    supernet_backward(net, 1, 0);
    memcpy(g0, supernet_weight_grads(net), nw * sizeof(float));
    supernet_set_aux_beta(net, 0.7f);
    loss_at(net, x, y);
    supernet_backward(net, 1, 1);
    const float *g7 = supernet_weight_grads(net);
    size_t n_aux = 0, start = 0;
    int runs_64 = 0, runs_256 = 0, in_run = 0;
    for (size_t i = 0; i <= nw; i++) {
        int cand = i < nw && g0[i] == 0.0f && g7[i] != 0.0f;
        if (cand && !in_run)
            start = i;
        if (!cand && in_run && i - start >= 32) {
            memset(aux + start, 1, i - start);
            n_aux += i - start;
            runs_64 += i - start == 64;
            runs_256 += i - start == 256;
        }
        in_run = cand;
    }
    ok(n_aux == nw - np && runs_64 == 8 && runs_256 == 8,
       "the %zu added weights get a gradient only through the auxiliary skip: 8 blocks of 8^2 "
       "and 8 of 16^2 (%d, %d)",
       nw - np, runs_64, runs_256);

    /* beta = 0: the plain network's loss, bit for bit, given its weights */
    float *w = supernet_weights(net);
    for (size_t i = 0, j = 0; i < nw; i++)
        if (!aux[i])
            w[i] = supernet_weights(plain)[j++];
    memcpy(supernet_alphas(net), supernet_alphas(plain), na * sizeof(float));
    supernet_set_aux_beta(net, 0.0f);
    double l0 = loss_at(net, x, y), lp = loss_at(plain, x, y);
    supernet_set_aux_beta(net, 0.7f);
    double l7 = loss_at(net, x, y);
    ok(l0 == lp && l7 != lp, "beta 0: the plain loss %.6f, beta 0.7: %.6f", lp, l7);

    float *gw = malloc(nw * sizeof(float)), *ga = malloc(na * sizeof(float));
    loss_at(net, x, y);
    supernet_backward(net, 1, 1);
    memcpy(gw, supernet_weight_grads(net), nw * sizeof(float));
    memcpy(ga, supernet_alpha_grads(net), na * sizeof(float));
    ok(check_entries(net, w, gw, nw, aux, x, y, "aux weight"),
       "beta 0.7: the auxiliary FactorizedReduce's weight gradients match central differences");
    ok(check_entries(net, w, gw, nw, NULL, x, y, "weight"),
       "beta 0.7: the largest weight gradients (through the skips' input gradients) match");
    ok(check_entries(net, supernet_alphas(net), ga, na, NULL, x, y, "alpha"),
       "beta 0.7: the largest alpha gradients match");

    Config c;
    config_defaults(&c);
    c.run.epochs = 50;
    ok(remedy_darts_minus_beta(&c, 10) == 0.0, "darts-: off by default");
    c.remedy.darts_minus_beta = 1.0;
    ok(remedy_darts_minus_beta(&c, 0) == 1.0 && remedy_darts_minus_beta(&c, 25) == 0.5 &&
           remedy_darts_minus_beta(&c, 50) == 0.0 && remedy_darts_minus_beta(&c, 60) == 0.0,
       "darts-: beta = darts_minus_beta * (1 - epoch / epochs), never below 0");
    free(g0);
    free(aux);
    free(gw);
    free(ga);
    supernet_free(net);
    supernet_free(plain);
}

/* ---- Fair DARTS ------------------------------------------------------------------ */

static void test_fair_formula(void)
{
    enum { EDGES = 14, N = 2 * EDGES * OP_COUNT };
    float a[N], g[N], w[N];
    Rng r;
    rng_seed(&r, 12);
    for (int i = 0; i < N; i++)
        a[i] = (float)(1.5 * rng_normal(&r));
    remedy_sigmoid_weights(w, a, 2 * EDGES);
    int sig = 1;
    for (int i = 0; i < N; i++)
        sig &= i % OP_COUNT == OP_NONE ? w[i] == 0.0f
                                       : fabs(w[i] - 1.0 / (1.0 + exp(-(double)a[i]))) < 1e-7;
    ok(sig, "fair: op weights sigmoid(alpha), none 0");

    float zero[N] = {0};
    ok(remedy_zero_one_loss(zero, EDGES, 10.0, NULL) == 0.0, "fair: L01(0) = 0 (every weight 1/2)");
    float far[N];
    for (int i = 0; i < N; i++)
        far[i] = i % OP_COUNT == OP_NONE ? 0.0f : 40.0f;
    ok(fabs(remedy_zero_one_loss(far, EDGES, 10.0, NULL) + 10.0 * 0.25) < 1e-12,
       "fair: L01 = -weight / 4 when every weight is 1");

    memset(g, 0, sizeof g);
    remedy_zero_one_loss(a, EDGES, 10.0, g);
    double worst = 0.0;
    int none_flat = 1;
    for (int i = 0; i < N; i++) {
        float keep = a[i];
        a[i] = keep + 1e-2f;
        double up = remedy_zero_one_loss(a, EDGES, 10.0, NULL);
        a[i] = keep - 1e-2f;
        double down = remedy_zero_one_loss(a, EDGES, 10.0, NULL);
        a[i] = keep;
        double fd = (up - down) / (2.0 * ((double)(keep + 1e-2f) - (double)keep));
        double e = fabs(fd - g[i]) / (fabs(fd) + 1e-3);
        worst = e > worst ? e : worst;
        if (i % OP_COUNT == OP_NONE)
            none_flat &= g[i] == 0.0f && up == down;
    }
    ok(worst < 1e-3 && none_flat,
       "fair: the zero-one gradient against central differences (worst rel. error %.2e), none "
       "left out",
       worst);
}

/* The supernet's alpha gradient through sigmoid weights. */
static void test_fair_supernet(void)
{
    float x[4 * 64];
    int y[4];
    Supernet *net = tiny_net(0, 1, x, y);
    size_t na = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    float *ga = malloc(na * sizeof(float));
    loss_at(net, x, y);
    supernet_backward(net, 0, 1);
    memcpy(ga, supernet_alpha_grads(net), na * sizeof(float));
    int none_zero = 1;
    for (size_t i = 0; i < na; i += OP_COUNT)
        none_zero &= ga[i + OP_NONE] == 0.0f;
    ok(none_zero, "fair: the none alphas get no gradient");
    ok(check_entries(net, supernet_alphas(net), ga, na, NULL, x, y, "alpha"),
       "fair: the alpha gradients through sigmoid weights match central differences");
    free(ga);
    supernet_free(net);
}

static void test_fair_search(int order)
{
    char err[512];
    Config off, on;
    base_config(&off);
    off.arch.order = order;
    off.remedy.fair_darts = 1;
    off.remedy.fair_zero_one = 0;
    on = off;
    on.remedy.fair_zero_one = 10;
    Search *s = make(&off);
    run(s, &off, 2, NULL);
    size_t na = 2 * (size_t)supernet_edges(search_net(s)) * OP_COUNT;
    const int n = 8;
    size_t img = (size_t)data.channels * (size_t)data.height * (size_t)data.width;
    float *xt = malloc(n * img * sizeof(float)), *xv = malloc(n * img * sizeof(float));
    float *g_off = malloc(na * sizeof(float)), *g_on = malloc(na * sizeof(float));
    int yt[8], yv[8];
    batch(0, n, xt, yt);
    batch(60, n, xv, yv);
    int rc = search_alpha_gradient(s, &off, order, xt, yt, xv, yv, n, g_off, err, sizeof err) |
             search_alpha_gradient(s, &on, order, xt, yt, xv, yv, n, g_on, err, sizeof err);
    ok(rc == 0, "fair, order %d: the alpha gradients (%s)", order, rc ? err : "ok");
    remedy_zero_one_loss(supernet_alphas(search_net(s)), supernet_edges(search_net(s)), 10.0,
                         g_off);
    ok(memcmp(g_off, g_on, na * sizeof(float)) == 0,
       "fair, order %d: the zero-one loss adds 10 * dL01/dalpha to the alpha gradient", order);
    free(xt);
    free(xv);
    free(g_off);
    free(g_on);
    search_free(s);
}

/* Derivation from the sigmoid weights, against the softmax rule, on
 * hand-made alphas of the normal cell. */
static void test_fair_derive(void)
{
    Config fair, plain;
    base_config(&plain);
    fair = plain;
    fair.remedy.fair_darts = 1;
    Search *sf = make(&fair), *sp = make(&plain);
    enum { E = 14 };
    float a[2 * E * OP_COUNT];
    for (int i = 0; i < 2 * E * OP_COUNT; i++)
        a[i] = 0.0f;
#define SET(e, op, v) a[(e)*OP_COUNT + (op)] = (v)
    /* node 1 (edges 2, 3, 4 from inputs 0, 1, 2) */
    for (int k = 0; k < OP_COUNT; k++) {
        SET(2, k, 2.0f);  /* every op strong: sigmoid 0.88, softmax 1/8 */
        SET(3, k, -5.0f); /* one op alone: softmax ~1, sigmoid 0.82 < 0.85 */
    }
    SET(2, OP_DIL_CONV_5X5, 2.5f); /* sigmoid 0.92 */
    SET(3, OP_SEP_CONV_5X5, 1.5f);
    SET(4, OP_SKIP_CONNECT, 2.2f); /* sigmoid 0.90, softmax 0.56 */
    /* node 2 (edges 5..8): one edge over the threshold, completed by the next */
    SET(5, OP_SEP_CONV_3X3, 3.0f); /* 0.95 */
    SET(6, OP_AVG_POOL_3X3, 1.0f); /* 0.73 */
    SET(7, OP_MAX_POOL_3X3, 0.5f); /* 0.62 */
#undef SET
    memcpy(supernet_alphas(search_net(sf)), a, sizeof a);
    memcpy(supernet_alphas(search_net(sp)), a, sizeof a);
    Genotype gf, gp;
    search_genotype(sf, &gf);
    search_genotype(sp, &gp);
    ok(gf.normal[2].op == OP_DIL_CONV_5X5 && gf.normal[2].input == 0 &&
           gf.normal[3].op == OP_SKIP_CONNECT && gf.normal[3].input == 2,
       "fair: node 1 keeps the edges whose strongest sigmoid passes 0.85: (%s, %d), (%s, %d)",
       op_names[gf.normal[2].op], gf.normal[2].input, op_names[gf.normal[3].op],
       gf.normal[3].input);
    ok(gp.normal[2].op == OP_SEP_CONV_5X5 && gp.normal[2].input == 1 &&
           gp.normal[3].op == OP_SKIP_CONNECT && gp.normal[3].input == 2,
       "the softmax rule picks otherwise: (%s, %d), (%s, %d)", op_names[gp.normal[2].op],
       gp.normal[2].input, op_names[gp.normal[3].op], gp.normal[3].input);
    ok(gf.normal[4].op == OP_SEP_CONV_3X3 && gf.normal[4].input == 0 &&
           gf.normal[5].op == OP_AVG_POOL_3X3 && gf.normal[5].input == 1,
       "fair: node 2, one edge over 0.85, is completed by its next strongest: (%s, %d), (%s, %d)",
       op_names[gf.normal[4].op], gf.normal[4].input, op_names[gf.normal[5].op],
       gf.normal[5].input);
    float wn[E * OP_COUNT], wr[E * OP_COUNT];
    search_alpha_weights(sf, wn, wr);
    ok(wn[OP_NONE] == 0.0f && fabsf(wn[2 * OP_COUNT + OP_DIL_CONV_5X5] - 0.924142f) < 1e-5f,
       "fair: the op weights shown are the sigmoids, none 0");
    search_free(sf);
    search_free(sp);
}

/* ---- all of them, over a resume --------------------------------------------------- */

static void test_resume(int order)
{
    char err[512];
    Config c;
    base_config(&c);
    c.arch.order = order;
    c.remedy.beta_lambda = 50;
    c.remedy.sdarts_eps = 0.3;
    c.remedy.darts_minus_beta = 1.0;
    c.remedy.fair_darts = 1;
    const int total = 14, k = 5; /* 6 steps per epoch: two epoch boundaries */
    Search *straight = make(&c), *first = make(&c), *second = make(&c);
    ok(run(straight, &c, total, NULL) == 0, "order %d, four remedies at once: %d steps", order,
       total);
    run(first, &c, k, NULL);
    int rc = copy_state(first, second, err, sizeof err);
    ok(rc == 0, "order %d: saved after %d steps and loaded (%s)", order, k, rc ? err : "ok");
    run(second, &c, total - k, NULL);
    ok(search_checksum(straight) == search_checksum(second),
       "order %d: weights and alphas bit-identical after the resume", order);
    search_free(straight);
    search_free(first);
    search_free(second);
}

/* ---- configuration ---------------------------------------------------------- */

static void test_config_keys(void)
{
    char err[512] = "";
    Config c;
    config_defaults(&c);
    ok(c.remedy.beta_lambda == 0.0 && c.remedy.sdarts_eps == 0.0,
       "the remedies are off by default");
    ok(config_set_assignment(&c, "remedy.beta_lambda=50", err, sizeof err) == 0 &&
           config_set_assignment(&c, "remedy.sdarts_eps=0.3", err, sizeof err) == 0 &&
           config_validate(&c, err, sizeof err) == 0 && c.remedy.beta_lambda == 50.0 &&
           c.remedy.sdarts_eps == 0.3,
       "--set remedy.beta_lambda=50, remedy.sdarts_eps=0.3 (%s)", err);
    ok(config_set_assignment(&c, "remedy.beta_lambda=-1", err, sizeof err) != 0 &&
           strstr(err, "remedy.beta_lambda=-1") && strstr(err, "expected"),
       "a negative lambda is refused: %s", err);
    ok(config_set_assignment(&c, "remedy.sdarts_eps=2", err, sizeof err) != 0 &&
           strstr(err, "remedy.sdarts_eps=2") && strstr(err, "expected"),
       "eps above 1 is refused: %s", err);
    c.remedy.sdarts_eps = 0.01;
    ok(config_validate(&c, err, sizeof err) != 0 && strstr(err, "remedy.sdarts_eps=0.01") &&
           strstr(err, "0.03"),
       "eps below the ramp's start is refused: %s", err);
    c.remedy.sdarts_eps = 0;
    snprintf(c.data.set, sizeof c.data.set, "kjv");
    ok(config_validate(&c, err, sizeof err) != 0 && strstr(err, "remedy.beta_lambda=50") &&
           strstr(err, "kjv"),
       "a remedy with a recurrent search is refused: %s", err);
    const ConfigKey *k = config_key_find("remedy.beta_lambda");
    ok(k && config_key_applies(k, 0, 0) && !config_key_applies(k, 1, 0) &&
           !config_key_applies(k, 0, 1),
       "remedy keys apply to the CNN search only");
}

int main(void)
{
    char err[512];
    Config c;
    base_config(&c);
    if (dataset_load(&data, &c, DATA_TRAIN, err, sizeof err) != 0) {
        printf("Bail out! synthetic data: %s\n", err);
        return 99;
    }
    test_beta_formula();
    test_beta_search(1);
    test_beta_search(2);
    test_sdarts_noise();
    test_sdarts_steps();
    test_darts_minus_counts();
    test_darts_minus_gradients();
    test_fair_formula();
    test_fair_supernet();
    test_fair_search(1);
    test_fair_search(2);
    test_fair_derive();
    test_resume(1);
    test_resume(2);
    test_config_keys();
    dataset_free(&data);
    return tap_done();
}
