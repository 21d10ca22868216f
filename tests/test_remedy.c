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

static void base_config(Config *c)
{
    config_defaults(c);
    snprintf(c->data.set, sizeof c->data.set, "synthetic");
    c->data.synthetic_size = 96;
    c->data.synthetic_image = 8;
    c->data.synthetic_channels = 1;
    c->data.classes = 4;
    c->data.batch_size = 8;
    c->data.train_portion = 0.5;
    c->data.augment = 1;
    c->model.init_channels = 4;
    c->model.layers = 3;
    c->model.nodes = 4;
    c->model.stem_multiplier = 3;
    c->optim.lr = 0.05;
    c->optim.lr_min = 0.001;
    c->arch.order = 1;
    c->arch.lr = 3e-3;
    c->run.epochs = 4;
    c->run.seed = 3;
}

static Search *make(const Config *c)
{
    char err[512];
    Search *s = search_create(c, &data, err, sizeof err);
    if (!s) {
        diag("search_create: %s", err);
        exit(99);
    }
    return s;
}

static int run(Search *s, const Config *c, int steps)
{
    char err[512];
    for (int k = 0; k < steps; k++)
        if (search_step(s, c, NULL, err, sizeof err) != 0) {
            diag("step %lld: %s", (long long)search_step_count(s), err);
            return -1;
        }
    return 0;
}

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
    run(s, &off, 7); /* into epoch 1 of 4: lambda = 10 */
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

/* ---- both, over a resume --------------------------------------------------- */

static void test_resume(int order)
{
    char err[512];
    Config c;
    base_config(&c);
    c.arch.order = order;
    c.remedy.beta_lambda = 50;
    c.remedy.sdarts_eps = 0.3;
    const int total = 14, k = 5; /* 6 steps per epoch: two epoch boundaries */
    Search *straight = make(&c), *first = make(&c), *second = make(&c);
    ok(run(straight, &c, total) == 0, "order %d, both remedies: %d steps", order, total);
    run(first, &c, k);
    FILE *f = tmpfile();
    int rc = !f || search_save_state(first, f) != 0;
    if (!rc) {
        rewind(f);
        rc = search_load_state(second, f, err, sizeof err);
    }
    if (f)
        fclose(f);
    ok(rc == 0, "order %d: saved after %d steps and loaded (%s)", order, k, rc ? err : "ok");
    run(second, &c, total - k);
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
    test_resume(1);
    test_resume(2);
    test_config_keys();
    dataset_free(&data);
    return tap_done();
}
