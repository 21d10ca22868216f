/* test_search_ref: the bilevel step against darts_ref.DartsSearch.
 *
 * tests/fixtures/search/search_ref.fix comes from
 * tests/reference/make_search_fixtures.py (float64 PyTorch, a tiny supernet:
 * C=4, 3 cells, 3x8x8 images, batch 8). Same weights, alphas and batches go
 * through search_alpha_gradient() and search_step_batches(); alpha gradients,
 * alphas, weights and running statistics after 3 steps of order 1 and of
 * order 2 must agree within 1e-3 relative (norms per tensor).
 *
 * Then an independent check of the second-order term: h is recomputed here by
 * central differences of the alpha gradient along v with the supernet alone,
 * and the engine's gradient must equal g_alpha - xi * h: a "/ 2 * eps"
 * precedence slip would be off by a factor 4 eps^2 and fails it. (h is a
 * finite difference at DARTS's radius, not a converged derivative: in float32
 * this tiny network gives quite different h at other radii, so the radius is
 * part of what is checked; the float64 fixture's second-order gradients, where
 * ||xi h|| is larger than ||g_alpha||, check the same h from PyTorch.)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/config.h"
#include "dartboard/search.h"
#include "fixture.h"
#include "tap.h"

#define RTOL 1e-3

enum {
    H_LR,
    H_MOMENTUM,
    H_WD,
    H_CLIP,
    H_ARCH_LR,
    H_ARCH_WD,
    H_BETA1,
    H_BETA2,
    H_C,
    H_LAYERS,
    H_IN,
    H_IMG,
    H_CLASSES,
    H_BATCH,
    H_WSTRIDE,
    H_RSTRIDE,
    H_COUNT
};

static const Fixture *fx;
static double hyper[H_COUNT];
static Config cfg;
static Dataset data;
static const float *xt, *xv;
static int yt[64], yv[64];
static int batch;

static const double *f64(const char *name)
{
    const FixtureTensor *t = fixture_get(fx, name);
    if (!t || t->dtype != FIXTURE_F64) {
        fprintf(stderr, "fixture: no float64 tensor '%s'\n", name);
        exit(99);
    }
    return t->data;
}

static const float *f32(const char *name)
{
    const float *p = fixture_floats(fx, name, -1);
    if (!p)
        exit(99);
    return p;
}

static const int32_t *i32(const char *name, size_t *count)
{
    const int32_t *p = fixture_ints(fx, name);
    if (!p)
        exit(99);
    if (count)
        *count = fixture_get(fx, name)->count;
    return p;
}

/* The initial weights, by the formula of make_search_fixtures.py. */
static float formula_unit(uint64_t i)
{
    uint64_t z = (uint64_t)0x5EA2C4 + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    double u = (double)(z >> 40) / 16777216.0;
    return (float)(2.0 * u - 1.0);
}

static void initial_weights(float *w)
{
    size_t nt;
    const int32_t *sizes = i32("w_sizes", &nt);
    const float *center = f32("w_center"), *scale = f32("w_scale");
    size_t off = 0;
    for (size_t t = 0; t < nt; t++)
        for (int32_t k = 0; k < sizes[t]; k++, off++) {
            volatile float p = scale[t] * formula_unit(off); /* no FMA: match numpy */
            w[off] = center[t] + p;
        }
}

static void initial_running(float *r)
{
    size_t nb;
    const int32_t *sizes = i32("r_sizes", &nb);
    size_t off = 0;
    for (size_t b = 0; b < nb; b++)
        for (int32_t k = 0; k < sizes[b]; k++)
            r[off++] = (b % 2) ? 1.0f : 0.0f; /* mean 0, var 1 */
}

/* A Search in the fixture's initial state (fresh optimizers). */
static Search *fresh(void)
{
    char err[512];
    Search *s = search_create(&cfg, &data, err, sizeof err);
    if (!s) {
        diag("search_create: %s", err);
        exit(99);
    }
    Supernet *net = search_net(s);
    initial_weights(supernet_weights(net));
    initial_running(supernet_running_stats(net));
    memcpy(supernet_alphas(net), f32("alphas"), 224 * sizeof(float));
    return s;
}

static double rel_err(const float *got, const float *want, size_t n)
{
    double d = 0.0, w = 0.0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        w += (double)want[i] * want[i];
    }
    return sqrt(d) / (sqrt(w) > 1e-30 ? sqrt(w) : 1e-30);
}

/* Alpha gradients or alphas: normal and reduce compared as two tensors. */
static int compare_alpha_pair(const float *got, const float *want, const char *what)
{
    double e0 = rel_err(got, want, 112), e1 = rel_err(got + 112, want + 112, 112);
    int good = e0 < RTOL && e1 < RTOL;
    ok(good, "%s: normal rel. error %.2e, reduce %.2e", what, e0, e1);
    return good;
}

static void check_shapes(Search *s)
{
    size_t nt, nb;
    const int32_t *ws = i32("w_sizes", &nt), *rs = i32("r_sizes", &nb);
    size_t nw = 0, nr = 0;
    for (size_t t = 0; t < nt; t++)
        nw += (size_t)ws[t];
    for (size_t b = 0; b < nb; b++)
        nr += (size_t)rs[b];
    Supernet *net = search_net(s);
    int good =
        ok(supernet_weight_count(net) == nw && supernet_running_count(net) == nr &&
               supernet_edges(net) == 14,
           "supernet shape matches the reference: %zu weights (want %zu), %zu running "
           "statistics (want %zu), %d edges",
           supernet_weight_count(net), nw, supernet_running_count(net), nr, supernet_edges(net));
    if (!good) {
        diag("the rest compares flat vectors, which needs the same layout");
        exit(tap_done());
    }
}

static void test_gradients(void)
{
    char err[512];
    float g[224];
    Search *s = fresh();
    check_shapes(s);
    ok(search_alpha_gradient(s, &cfg, 1, xt, yt, xv, yv, batch, g, err, sizeof err) == 0,
       "first-order alpha gradient");
    compare_alpha_pair(g, f32("grad1"), "first-order alpha gradient vs reference");
    search_free(s);

    s = fresh();
    ok(search_alpha_gradient(s, &cfg, 2, xt, yt, xv, yv, batch, g, err, sizeof err) == 0,
       "second-order alpha gradient");
    compare_alpha_pair(g, f32("grad2_m0"), "second-order alpha gradient (no momentum yet)");
    search_free(s);

    s = fresh();
    StepStats st;
    Config c1 = cfg;
    c1.arch.order = 1;
    ok(search_step_batches(s, &c1, xt, yt, xv, yv, batch, &st, err, sizeof err) == 0,
       "one order-1 step");
    ok(search_alpha_gradient(s, &cfg, 2, xt, yt, xv, yv, batch, g, err, sizeof err) == 0,
       "second-order alpha gradient after a step");
    compare_alpha_pair(g, f32("grad2_m1"), "second-order alpha gradient with momentum");
    search_free(s);
}

/* Per-tensor norms of the change from the start, against the reference's. */
static void compare_delta_norms(const float *now, const float *start, const int32_t *sizes,
                                size_t nt, const double *want, const char *what)
{
    double worst = 0.0, max_norm = 0.0;
    size_t worst_t = 0;
    for (size_t t = 0; t < nt; t++)
        max_norm = fmax(max_norm, want[t]);
    size_t off = 0;
    for (size_t t = 0; t < nt; t++) {
        double d = 0.0;
        for (int32_t k = 0; k < sizes[t]; k++, off++)
            d += ((double)now[off] - start[off]) * ((double)now[off] - start[off]);
        /* Tensors that barely moved are judged against a floor of 1e-3 of
         * the largest change, not their own rounding noise. */
        double e = fabs(sqrt(d) - want[t]) / fmax(want[t], 1e-3 * max_norm);
        if (e > worst) {
            worst = e;
            worst_t = t;
        }
    }
    ok(worst < RTOL, "%s: worst per-tensor change-norm rel. error %.2e (tensor %zu)", what, worst,
       worst_t);
}

/* Every stride-th entry: the change from the start, as one vector. */
static void compare_samples(const float *now, const float *start, size_t n, int stride,
                            const float *want, const char *what)
{
    double d = 0.0, w = 0.0;
    for (size_t i = 0, k = 0; i < n; i += (size_t)stride, k++) {
        double got = (double)now[i] - start[i], ref = (double)want[k] - start[i];
        d += (got - ref) * (got - ref);
        w += ref * ref;
    }
    double e = sqrt(d) / sqrt(w);
    ok(e < RTOL, "%s: sampled change rel. error %.2e", what, e);
}

static void test_trajectory(int order)
{
    char err[512], what[64];
    Search *s = fresh();
    Supernet *net = search_net(s);
    size_t nw = supernet_weight_count(net), nr = supernet_running_count(net);
    float *w0 = malloc(nw * sizeof(float)), *r0 = malloc(nr * sizeof(float));
    memcpy(w0, supernet_weights(net), nw * sizeof(float));
    memcpy(r0, supernet_running_stats(net), nr * sizeof(float));
    Config c = cfg;
    c.arch.order = order;
    char name[32];
    snprintf(name, sizeof name, "o%d_losses", order);
    const double *losses = f64(name);
    int steps_ok = 1;
    for (int k = 0; k < 3; k++) {
        StepStats st;
        if (search_step_batches(s, &c, xt, yt, xv, yv, batch, &st, err, sizeof err) != 0) {
            diag("step %d: %s", k, err);
            steps_ok = 0;
            break;
        }
        snprintf(what, sizeof what, "order %d step %d training loss", order, k + 1);
        ok(close_enough(st.train_loss, losses[k], RTOL, 1e-6, what), "%s %.6f (ref %.6f)", what,
           st.train_loss, losses[k]);
        ok(st.alpha_step == 1 && st.batch == batch && fabsf(st.lr - (float)hyper[H_LR]) < 1e-7f,
           "order %d step %d stats: alpha step, batch, lr", order, k + 1);
    }
    ok(steps_ok, "order %d: 3 steps", order);

    /* Alphas: compared by their change, which is small next to their value. */
    float da[224], dref[224];
    const float *a0 = f32("alphas");
    snprintf(name, sizeof name, "o%d_alphas", order);
    const float *aref = f32(name);
    for (int i = 0; i < 224; i++) {
        da[i] = supernet_alphas(net)[i] - a0[i];
        dref[i] = aref[i] - a0[i];
    }
    snprintf(what, sizeof what, "order %d: alpha change after 3 steps", order);
    compare_alpha_pair(da, dref, what);

    size_t nt, nb;
    const int32_t *ws = i32("w_sizes", &nt), *rs = i32("r_sizes", &nb);
    snprintf(name, sizeof name, "o%d_w_dnorm", order);
    snprintf(what, sizeof what, "order %d: weights", order);
    compare_delta_norms(supernet_weights(net), w0, ws, nt, f64(name), what);
    snprintf(name, sizeof name, "o%d_w_sample", order);
    compare_samples(supernet_weights(net), w0, nw, (int)hyper[H_WSTRIDE], f32(name), what);
    snprintf(name, sizeof name, "o%d_r_dnorm", order);
    snprintf(what, sizeof what, "order %d: running statistics", order);
    compare_delta_norms(supernet_running_stats(net), r0, rs, nb, f64(name), what);
    snprintf(name, sizeof name, "o%d_r_sample", order);
    compare_samples(supernet_running_stats(net), r0, nr, (int)hyper[H_RSTRIDE], f32(name), what);

    /* The derived cell: the same (op, input) pairs, strongest edge first. */
    snprintf(name, sizeof name, "o%d_genotype", order);
    size_t ng;
    const int32_t *gref = i32(name, &ng);
    Genotype g;
    search_genotype(s, &g);
    int same = ng == 2 * 8 * 2 && g.nodes == 4;
    for (int e = 0; same && e < 8; e++)
        same = g.normal[e].op == gref[2 * e] && g.normal[e].input == gref[2 * e + 1] &&
               g.reduce[e].op == gref[16 + 2 * e] && g.reduce[e].input == gref[16 + 2 * e + 1];
    ok(same, "order %d: the derived genotype after 3 steps equals the reference's", order);
    free(w0);
    free(r0);
    search_free(s);
}

/* grad_alpha of the training loss at weights w (train-mode BN, running
 * statistics untouched) into g. */
static void alpha_grad_at(Supernet *net, float *g)
{
    supernet_forward(net, xt, yt, batch, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_backward(net, 0, 1);
    memcpy(g, supernet_alpha_grads(net), 224 * sizeof(float));
}

/* h = (grad_alpha L_train(w + eps v) - grad_alpha L_train(w - eps v)) / (2 eps),
 * eps = r / ||v||, with plain loops here; w is restored from w0. */
static void hvp(Supernet *net, const float *w0, const float *v, size_t nw, double r, float *h)
{
    float *w = supernet_weights(net);
    double vn = 0.0;
    for (size_t i = 0; i < nw; i++)
        vn += (double)v[i] * v[i];
    /* float32 arithmetic like the engine, so the two agree to rounding */
    const float eps = (float)(r / sqrt(vn));
    float gp[224], gm[224];
    for (size_t i = 0; i < nw; i++)
        w[i] = w0[i] + eps * v[i];
    alpha_grad_at(net, gp);
    for (size_t i = 0; i < nw; i++)
        w[i] = w0[i] - eps * v[i];
    alpha_grad_at(net, gm);
    memcpy(w, w0, nw * sizeof(float));
    for (int i = 0; i < 224; i++)
        h[i] = (gp[i] - gm[i]) / (2.0f * eps);
}

static void test_second_order_term(void)
{
    char err[512];
    Search *s = fresh();
    Supernet *net = search_net(s);
    size_t nw = supernet_weight_count(net);
    float *w = supernet_weights(net);
    float *w0 = malloc(nw * sizeof(float)), *v = malloc(nw * sizeof(float));
    memcpy(w0, w, nw * sizeof(float));
    const double xi = hyper[H_LR], wd = hyper[H_WD];

    /* w' = w - xi (g + wd w): no momentum before the first step. */
    supernet_forward(net, xt, yt, batch, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_backward(net, 1, 0);
    const float *g = supernet_weight_grads(net);
    for (size_t i = 0; i < nw; i++)
        w[i] = w0[i] - (float)xi * (g[i] + (float)wd * w0[i]);
    float g_alpha[224], h[224];
    supernet_forward(net, xv, yv, batch, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_backward(net, 1, 1);
    memcpy(g_alpha, supernet_alpha_grads(net), sizeof g_alpha);
    memcpy(v, supernet_weight_grads(net), nw * sizeof(float));
    memcpy(w, w0, nw * sizeof(float));
    hvp(net, w0, v, nw, 0.01, h);

    float got[224];
    int rc = search_alpha_gradient(s, &cfg, 2, xt, yt, xv, yv, batch, got, err, sizeof err);
    ok(rc == 0, "second-order alpha gradient (%s)", rc ? err : "ok");
    ok(memcmp(w, w0, nw * sizeof(float)) == 0,
       "the weights are restored bit-exactly after the unrolled gradient");

    /* The engine's h, recovered from its gradient. */
    float h_engine[224], expect[224], buggy[224];
    double vn = 0.0;
    for (size_t i = 0; i < nw; i++)
        vn += (double)v[i] * v[i];
    double eps = 0.01 / sqrt(vn);
    for (int i = 0; i < 224; i++) {
        h_engine[i] = (float)((g_alpha[i] - (double)got[i]) / xi);
        expect[i] = (float)(g_alpha[i] - xi * h[i]);
        /* what (g+ - g-) / 2 * eps would give */
        buggy[i] = (float)(g_alpha[i] - xi * h[i] * eps * eps);
    }
    double e_h = rel_err(h_engine, h, 224);
    double e_total = rel_err(got, expect, 224), e_buggy = rel_err(buggy, expect, 224);
    double hn = 0.0, gn = 0.0;
    for (int i = 0; i < 224; i++) {
        hn += (double)h[i] * h[i];
        gn += (double)g_alpha[i] * g_alpha[i];
    }
    diag("eps = %.3g, ||xi h|| / ||g_alpha|| = %.3f", eps, xi * sqrt(hn) / sqrt(gn));
    ok(e_h < 1e-2,
       "h inside the engine = central difference of grad_alpha along v "
       "(rel. error %.2e)",
       e_h);
    ok(e_total < RTOL, "alpha gradient = g_alpha - xi h (rel. error %.2e)", e_total);
    ok(e_buggy > 100 * RTOL,
       "the check separates (g+ - g-) / (2 eps) from (g+ - g-) / 2 * eps (rel. %.2e)", e_buggy);
    free(w0);
    free(v);
    search_free(s);
}

int main(void)
{
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/search/search_ref.fix"));
    if (!f)
        return 99;
    fx = f;
    memcpy(hyper, f64("hyper"), sizeof hyper);
    batch = (int)hyper[H_BATCH];
    xt = f32("xt");
    xv = f32("xv");
    const int32_t *yt32 = i32("yt", NULL), *yv32 = i32("yv", NULL);
    for (int i = 0; i < batch; i++) {
        yt[i] = yt32[i];
        yv[i] = yv32[i];
    }

    config_defaults(&cfg);
    cfg.model.init_channels = (int)hyper[H_C];
    cfg.model.layers = (int)hyper[H_LAYERS];
    cfg.model.nodes = 4;
    cfg.model.stem_multiplier = 3;
    cfg.data.batch_size = batch;
    cfg.data.train_portion = 0.5;
    cfg.data.augment = 0;
    cfg.optim.lr = cfg.optim.lr_min = hyper[H_LR]; /* the fixture uses a constant lr */
    cfg.optim.momentum = hyper[H_MOMENTUM];
    cfg.optim.weight_decay = hyper[H_WD];
    cfg.optim.grad_clip = hyper[H_CLIP];
    cfg.arch.lr = hyper[H_ARCH_LR];
    cfg.arch.weight_decay = hyper[H_ARCH_WD];
    cfg.arch.beta1 = hyper[H_BETA1];
    cfg.arch.beta2 = hyper[H_BETA2];
    cfg.run.epochs = 1;

    /* The batches are given directly; the dataset only sets the shapes. */
    snprintf(data.name, sizeof data.name, "fixture");
    data.count = 2 * batch;
    data.channels = (int)hyper[H_IN];
    data.height = data.width = (int)hyper[H_IMG];
    data.classes = (int)hyper[H_CLASSES];
    size_t bytes = (size_t)data.count * data.channels * data.height * data.width;
    data.images = calloc(bytes, 1);
    data.labels = calloc((size_t)data.count, 1);
    for (int c = 0; c < 3; c++)
        data.std[c] = 1.0f;

    test_gradients();
    test_trajectory(1);
    test_trajectory(2);
    test_second_order_term();

    free(data.images);
    free(data.labels);
    fixture_free(f);
    return tap_done();
}
