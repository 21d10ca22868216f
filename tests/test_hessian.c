/* test_hessian: the exact alpha Hessian-vector products by frozen kinks and
 * lambda_max by power iteration (hessian.h).
 *
 * On the tiny supernet of tests/fixtures/supernet/tiny.fix (224 alphas, every
 * op, max pools and ReLUs included), against PyTorch's double-backward
 * products (tests/fixtures/hessian/tiny_hessian.fix): H v within 1e-3, the
 * dominant eigenvalue within 1e-3, at 1 and 3 lanes. Then the whole Hessian
 * built from 224 products: symmetric, and its eigenvalues by Jacobi rotations
 * agree with PyTorch's and with the power iteration. A pass with frozen kinks
 * at the recorded point gives the live gradient; the monitor leaves weights,
 * alphas and running statistics bit for bit; a softmax-invariant direction
 * has no curvature; non-finite input is refused with the alphas restored.
 *
 * `test_hessian FILE` instead compares with a state that
 * make_hessian_fixtures.py --config-c wrote (darts_ref's config-C search
 * after 10 steps: BENCHMARKS.md, Collapse monitors).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/genotype.h"
#include "dartboard/hessian.h"
#include "fixture.h"
#include "tap.h"

/* The fixture scripts' weight_hash(): splitmix64 of i + 1, 24 bits, exact. */
static float weight_hash(uint64_t i)
{
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    int64_t k = (int64_t)(z >> 40);
    return (float)(k - (1 << 23)) / (float)(1 << 24);
}

/* Eigenvalues of the symmetric n x n matrix a (destroyed) by cyclic Jacobi
 * rotations, into ev (unsorted). */
static void jacobi_eigenvalues(double *a, int n, double *ev)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, diag2 = 0.0;
        for (int p = 0; p < n; p++) {
            diag2 += a[p * n + p] * a[p * n + p];
            for (int q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        }
        if (off <= 1e-24 * diag2)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
    }
    for (int i = 0; i < n; i++)
        ev[i] = a[i * n + i];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct Tiny {
    Fixture *f, *h;
    Supernet *net;
    SupernetSpec spec;
    const float *x;
    const int *y;
    size_t na;
    Arena arena;
    Hessian hs;
} Tiny;

static void tiny_free(Tiny *t)
{
    arena_free(&t->arena);
    supernet_free(t->net);
    fixture_free(t->f);
    fixture_free(t->h);
}

static int tiny_load(Tiny *t, int lanes)
{
    memset(t, 0, sizeof *t);
    t->f = fixture_load(tap_srcpath("tests/fixtures/supernet/tiny.fix"));
    t->h = fixture_load(tap_srcpath("tests/fixtures/hessian/tiny_hessian.fix"));
    if (!t->f || !t->h)
        return -1;
    const FixtureTensor *st = fixture_get(t->f, "spec"), *al = fixture_get(t->f, "alphas"),
                        *x = fixture_get(t->f, "x"), *y = fixture_get(t->f, "y");
    if (!st || st->count != 8 || !al || !x || !y)
        return -1;
    const int32_t *v = st->data;
    t->spec = (SupernetSpec){.in_channels = v[0],
                             .image_size = v[1],
                             .classes = v[2],
                             .init_channels = v[3],
                             .layers = v[4],
                             .nodes = v[5],
                             .stem_multiplier = v[6],
                             .batch = v[7],
                             .lanes = lanes,
                             .frozen_kinks = 1};
    char err[256];
    t->net = supernet_create(&t->spec, err, sizeof err);
    if (!t->net)
        return -1;
    float *w = supernet_weights(t->net);
    for (size_t i = 0; i < supernet_weight_count(t->net); i++)
        w[i] = weight_hash(i);
    t->na = 2 * (size_t)supernet_edges(t->net) * OP_COUNT;
    if (al->count != t->na || y->count != (size_t)t->spec.batch)
        return -1;
    memcpy(supernet_alphas(t->net), al->data, t->na * sizeof(float));
    t->x = x->data;
    t->y = y->data;
    Arena measure;
    arena_measure(&measure);
    hessian_plan(&t->hs, t->net, &measure);
    if (arena_init(&t->arena, measure.peak) != 0)
        return -1;
    hessian_plan(&t->hs, t->net, &t->arena);
    return 0;
}

static double rel_error(const float *got, const float *want, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        den += (double)want[i] * want[i];
    }
    return sqrt(num / den);
}

static double norm2(const float *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return s;
}

static double dominant_of(const double *ev, size_t n)
{
    return fabs(ev[0]) > fabs(ev[n - 1]) ? ev[0] : ev[n - 1];
}

static void test_against_pytorch(int lanes)
{
    Tiny t;
    if (!ok(tiny_load(&t, lanes) == 0, "lanes %d: the tiny supernet and its PyTorch Hessian",
            lanes))
        return;
    const size_t na = t.na;
    const FixtureTensor *probe_t = fixture_get(t.h, "probe"), *hvp_t = fixture_get(t.h, "hvp"),
                        *ev_t = fixture_get(t.h, "eigenvalues"),
                        *lam_t = fixture_get(t.h, "lambda_ref");
    if (!ok(probe_t && probe_t->count == na && hvp_t && hvp_t->count == na && ev_t &&
                ev_t->dtype == FIXTURE_F64 && ev_t->count == na && lam_t &&
                lam_t->dtype == FIXTURE_F64 && lam_t->count == 2,
            "the fixture has probe, hvp, eigenvalues and lambda_ref for %zu alphas", na)) {
        tiny_free(&t);
        return;
    }
    const float *probe = probe_t->data;
    const double want = dominant_of(ev_t->data, na), lam20 = ((const double *)lam_t->data)[0];
    size_t nw = supernet_weight_count(t.net), nr = supernet_running_count(t.net);
    float *w0 = malloc(nw * sizeof(float)), *r0 = malloc(nr * sizeof(float));
    float *a0 = malloc(na * sizeof(float)), *hv = malloc(na * sizeof(float));
    memcpy(w0, supernet_weights(t.net), nw * sizeof(float));
    memcpy(r0, supernet_running_stats(t.net), nr * sizeof(float));
    memcpy(a0, supernet_alphas(t.net), na * sizeof(float));
    char err[256] = "";

    int rc = hessian_record(&t.hs, t.x, t.y, t.spec.batch, err, sizeof err);
    rc |= hessian_hvp(&t.hs, probe, hv, err, sizeof err);
    double e = rel_error(hv, hvp_t->data, na);
    ok(rc == 0 && e <= 1e-3, "lanes %d: H v equals PyTorch's double backward: rel. error %.2g",
       lanes, e);

    HessianEig eig = {0}, again = {0}, few = {0};
    rc = hessian_lambda_max(&t.hs, t.x, t.y, t.spec.batch, 20, &eig, err, sizeof err);
    ok(rc == 0 && close_enough(eig.lambda, lam20, 1e-3, 0.0, "lambda_max (20 products)"),
       "lanes %d: lambda_max %.6f (%d products, residual %.2g, change %.2g) equals darts_ref's "
       "%.6f (20 exact products; whole Hessian %.6f)",
       lanes, eig.lambda, eig.iters, eig.residual, eig.change, lam20, want);
    hessian_lambda_max(&t.hs, t.x, t.y, t.spec.batch, 20, &again, err, sizeof err);
    ok(memcmp(&eig, &again, sizeof eig) == 0, "lanes %d: the same state gives the same result",
       lanes);
    hessian_lambda_max(&t.hs, t.x, t.y, t.spec.batch, 3, &few, err, sizeof err);
    ok(few.iters == 3 && few.change > 0.0, "lanes %d: iters bounds the products (%d)", lanes,
       few.iters);
    ok(memcmp(w0, supernet_weights(t.net), nw * sizeof(float)) == 0 &&
           memcmp(r0, supernet_running_stats(t.net), nr * sizeof(float)) == 0 &&
           memcmp(a0, supernet_alphas(t.net), na * sizeof(float)) == 0,
       "lanes %d: weights, running statistics and alphas are bit-identical afterwards", lanes);
    free(w0);
    free(r0);
    free(a0);
    free(hv);
    tiny_free(&t);
}

/* At the recorded point the frozen kinks are the live ones: the same loss
 * and alpha gradient. */
static void test_frozen_equals_live(void)
{
    Tiny t;
    if (!ok(tiny_load(&t, 1) == 0, "the tiny supernet"))
        return;
    const size_t na = t.na;
    float *live = malloc(na * sizeof(float));
    float l0 = supernet_forward(t.net, t.x, t.y, t.spec.batch, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_backward(t.net, 0, 1);
    memcpy(live, supernet_alpha_grads(t.net), na * sizeof(float));
    char err[256];
    int rc = hessian_record(&t.hs, t.x, t.y, t.spec.batch, err, sizeof err);
    supernet_set_kinks(t.net, SUPERNET_KINKS_FROZEN);
    float l1 = supernet_forward(t.net, t.x, t.y, t.spec.batch, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_backward(t.net, 0, 1);
    supernet_set_kinks(t.net, SUPERNET_KINKS_LIVE);
    double e = rel_error(supernet_alpha_grads(t.net), live, na);
    ok(rc == 0 && l0 == l1 && e <= 1e-6,
       "frozen kinks at the recorded point: loss %.7g = %.7g, alpha gradient rel. error %.2g", l1,
       l0, e);
    free(live);
    tiny_free(&t);
}

static int hvp_product(void *ctx, const float *v, float *hv, char *err, size_t errlen)
{
    return hessian_hvp(ctx, v, hv, err, errlen);
}

/* The whole Hessian from the products with the unit vectors. */
static void test_dense_hessian(void)
{
    Tiny t;
    if (!ok(tiny_load(&t, 1) == 0, "the tiny supernet"))
        return;
    const size_t na = t.na;
    const FixtureTensor *ev_t = fixture_get(t.h, "eigenvalues");
    double *H = malloc(na * na * sizeof(double)), *ev = malloc(na * sizeof(double));
    float *e = calloc(na, sizeof(float)), *hv = malloc(na * sizeof(float));
    char err[256];
    int rc = hessian_record(&t.hs, t.x, t.y, t.spec.batch, err, sizeof err);
    for (size_t j = 0; j < na && rc == 0; j++) {
        e[j] = 1.0f;
        rc |= hessian_hvp(&t.hs, e, hv, err, sizeof err);
        e[j] = 0.0f;
        for (size_t i = 0; i < na; i++)
            H[i * na + j] = hv[i];
    }
    double asym = 0.0, big = 0.0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < na; j++) {
            asym = fmax(asym, fabs(H[i * na + j] - H[j * na + i]));
            big = fmax(big, fabs(H[i * na + j]));
        }
    ok(rc == 0 && asym <= 1e-3 * big,
       "the %zu x %zu Hessian from %zu products is symmetric: |H - H'| %.2g, largest entry %.3g",
       na, na, na, asym, big);
    for (size_t i = 0; i < na; i++)
        for (size_t j = i + 1; j < na; j++)
            H[i * na + j] = H[j * na + i] = 0.5 * (H[i * na + j] + H[j * na + i]);
    jacobi_eigenvalues(H, (int)na, ev);
    qsort(ev, na, sizeof ev[0], cmp_double);
    const double *want = ev_t->data;
    double worst = 0.0;
    for (size_t i = 0; i < na; i++)
        worst = fmax(worst, fabs(ev[i] - want[i]));
    double scale = fabs(dominant_of(want, na));
    ok(worst <= 1e-3 * scale,
       "its eigenvalues (Jacobi) equal PyTorch's: %.6f .. %.6f, largest difference %.2g of %.4f",
       ev[0], ev[na - 1], worst, scale);
    HessianEig eig = {0};
    rc = hessian_power_iteration(&t.hs, hvp_product, &t.hs, 500, &eig, err, sizeof err);
    ok(rc == 0 && close_enough(eig.lambda, dominant_of(ev, na), 1e-3, 0.0, "power vs Jacobi"),
       "power iteration %.6f (%d products) equals the dominant Jacobi eigenvalue %.6f", eig.lambda,
       eig.iters, dominant_of(ev, na));
    free(H);
    free(ev);
    free(e);
    free(hv);
    tiny_free(&t);
}

/* softmax(alpha + c) = softmax(alpha) for c constant along an edge: no
 * curvature; and non-finite input is refused with the alphas restored. */
static void test_flat_and_refusals(void)
{
    Tiny t;
    if (!ok(tiny_load(&t, 1) == 0, "the tiny supernet"))
        return;
    const size_t na = t.na;
    const float *probe = fixture_get(t.h, "probe")->data;
    float *c = calloc(na, sizeof(float)), *hc = malloc(na * sizeof(float));
    float *hv = malloc(na * sizeof(float)), *a0 = malloc(na * sizeof(float));
    char err[256] = "";
    int rc = hessian_record(&t.hs, t.x, t.y, t.spec.batch, err, sizeof err);
    for (int o = 0; o < OP_COUNT; o++)
        c[3 * OP_COUNT + o] = 1.0f;
    rc |= hessian_hvp(&t.hs, c, hc, err, sizeof err);
    rc |= hessian_hvp(&t.hs, probe, hv, err, sizeof err);
    double hcn = sqrt(norm2(hc, na) / norm2(c, na)), hpn = sqrt(norm2(hv, na) / norm2(probe, na));
    ok(rc == 0 && hcn <= 1e-3 * hpn,
       "a shift of one edge's alphas: |H c| / |c| = %.2g, under 1e-3 of |H v| / |v| = %.3g", hcn,
       hpn);

    c[0] = NAN;
    memcpy(a0, supernet_alphas(t.net), na * sizeof(float));
    rc = hessian_hvp(&t.hs, c, hc, err, sizeof err);
    ok(rc == -1 && strstr(err, "not finite") && memcmp(a0, supernet_alphas(t.net), na * 4) == 0,
       "a NaN direction is refused (%s)", err);
    float *alpha = supernet_alphas(t.net);
    alpha[5] = INFINITY;
    memcpy(a0, alpha, na * sizeof(float));
    rc = hessian_hvp(&t.hs, probe, hv, err, sizeof err);
    ok(rc == -1 && memcmp(a0, alpha, na * sizeof(float)) == 0,
       "an infinite alpha: refused (%s), the alphas restored bit for bit", err);
    free(c);
    free(hc);
    free(hv);
    free(a0);
    tiny_free(&t);
}

/* darts_ref's lambda_max of its own search state, from the same weights,
 * alphas and batch. */
static void test_config_c(const char *path)
{
    Fixture *f = fixture_load(path);
    if (!ok(f != NULL, "load %s", path))
        return;
    const FixtureTensor *st = fixture_get(f, "spec"), *w = fixture_get(f, "weights"),
                        *al = fixture_get(f, "alphas"), *x = fixture_get(f, "x"),
                        *y = fixture_get(f, "y"), *lam = fixture_get(f, "lambda_ref");
    if (!ok(st && st->count == 8 && w && al && x && y && lam && lam->count == 2,
            "the state has spec, weights, alphas, x, y and lambda_ref")) {
        fixture_free(f);
        return;
    }
    const int32_t *v = st->data;
    SupernetSpec spec = {.in_channels = v[0],
                         .image_size = v[1],
                         .classes = v[2],
                         .init_channels = v[3],
                         .layers = v[4],
                         .nodes = v[5],
                         .stem_multiplier = v[6],
                         .batch = v[7],
                         .frozen_kinks = 1};
    char err[256];
    Supernet *net = supernet_create(&spec, err, sizeof err);
    size_t na = net ? 2 * (size_t)supernet_edges(net) * OP_COUNT : 0;
    if (!ok(net && w->count == supernet_weight_count(net) && al->count == na,
            "the supernet of the state (%zu weights)", w->count)) {
        supernet_free(net);
        fixture_free(f);
        return;
    }
    memcpy(supernet_weights(net), w->data, w->count * sizeof(float));
    memcpy(supernet_alphas(net), al->data, na * sizeof(float));
    Arena measure, arena;
    Hessian hs;
    arena_measure(&measure);
    hessian_plan(&hs, net, &measure);
    arena_init(&arena, measure.peak);
    hessian_plan(&hs, net, &arena);
    const double *want = lam->data;
    int iters[2] = {20, 200};
    for (int k = 0; k < 2; k++) {
        HessianEig eig = {0};
        int rc =
            hessian_lambda_max(&hs, x->data, y->data, spec.batch, iters[k], &eig, err, sizeof err);
        ok(rc == 0 && close_enough(eig.lambda, want[1], 1e-3, 0.0, "lambda_max"),
           "lambda_max %.5f (%d products, change %.2g, residual %.2g) vs darts_ref %.5f (20 "
           "products) and %.5f (the whole Hessian with --full, else the same)",
           eig.lambda, eig.iters, eig.change, eig.residual, want[0], want[1]);
    }
    arena_free(&arena);
    supernet_free(net);
    fixture_free(f);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        test_config_c(argv[1]);
        return tap_done();
    }
    test_against_pytorch(1);
    test_against_pytorch(3);
    test_frozen_equals_live();
    test_dense_hessian();
    test_flat_and_refusals();
    return tap_done();
}
