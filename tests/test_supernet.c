/* test_supernet: the supernet against PyTorch (darts_ref.SearchNetwork) on the
 * tiny network of tests/reference/make_supernet_fixtures.py: loss, logits,
 * every weight gradient, the alpha gradients, the running statistics after a
 * training forward, evaluation logits and the derived genotype. Then the
 * parameter counts of the benchmark configs, a finite-difference check of the
 * alpha gradient, the BN modes, the gradient switches, determinism and bad
 * specs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/genotype.h"
#include "dartboard/loss.h"
#include "dartboard/supernet.h"
#include "fixture.h"
#include "tap.h"

#define RTOL 1e-3

static int tensor_close(const float *got, const float *want, size_t count, const char *what)
{
    return fixture_tensor_close(got, want, count, RTOL, 0.1, what);
}

static const float *get_floats(const Fixture *f, const char *name, size_t count)
{
    const FixtureTensor *t = fixture_get(f, name);
    if (!t || t->dtype != FIXTURE_F32 || t->count != count) {
        diag("fixture tensor %s missing or not %zu float32 values", name, count);
        return NULL;
    }
    return t->data;
}

static Supernet *tiny_from_fixture(const Fixture *f, SupernetSpec *spec, int lanes)
{
    const FixtureTensor *st = fixture_get(f, "spec");
    if (!st || st->dtype != FIXTURE_I32 || st->count != 8)
        return NULL;
    const int32_t *v = st->data;
    *spec = (SupernetSpec){.in_channels = v[0],
                           .image_size = v[1],
                           .classes = v[2],
                           .init_channels = v[3],
                           .layers = v[4],
                           .nodes = v[5],
                           .stem_multiplier = v[6],
                           .batch = v[7],
                           .lanes = lanes};
    char err[256];
    Supernet *net = supernet_create(spec, err, sizeof err);
    if (!net) {
        diag("supernet_create: %s", err);
        return NULL;
    }
    float *w = supernet_weights(net);
    for (size_t i = 0; i < supernet_weight_count(net); i++)
        w[i] = fixture_weight_hash(i);
    size_t n_alpha = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    const float *alphas = get_floats(f, "alphas", n_alpha);
    if (alphas)
        memcpy(supernet_alphas(net), alphas, n_alpha * sizeof(float));
    return net;
}

/* lanes: how many threads share the ops of an edge (1: the plain order;
 * 3: uneven lanes, summed in another order). */
static void test_against_pytorch(int lanes)
{
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/supernet/tiny.fix"));
    if (!ok(f != NULL, "load tests/fixtures/supernet/tiny.fix"))
        return;
    diag("the fixture's supernet with %d lane(s)", lanes);
    SupernetSpec sp;
    Supernet *net = tiny_from_fixture(f, &sp, lanes);
    if (!ok(net != NULL, "create the fixture's supernet")) {
        fixture_free(f);
        return;
    }
    const FixtureTensor *wc = fixture_get(f, "weight_count"), *ws = fixture_get(f, "weight_sum");
    size_t nw = supernet_weight_count(net);
    ok(wc && (size_t)((const int32_t *)wc->data)[0] == nw,
       "weight count %zu equals PyTorch's model.parameters()", nw);
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < nw; i++) {
        sum += supernet_weights(net)[i];
        sq += (double)supernet_weights(net)[i] * supernet_weights(net)[i];
    }
    /* (summed in a different order than torch's pairwise sum) */
    ok(ws && ws->count == 2 &&
           close_enough(sum, ((const double *)ws->data)[0], 1e-9, 1e-3, "sum") &&
           close_enough(sq, ((const double *)ws->data)[1], 1e-9, 0.0, "sum of squares"),
       "the generated weights are the fixture's (sum and sum of squares)");

    int n = sp.batch, classes = sp.classes;
    size_t n_alpha = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    const float *x = get_floats(f, "x", (size_t)n * sp.in_channels * sp.image_size * sp.image_size);
    const FixtureTensor *yt = fixture_get(f, "y");
    const float *loss_ref = get_floats(f, "loss", 1);
    const float *logits_ref = get_floats(f, "logits", (size_t)n * classes);
    const float *wgrad_ref = get_floats(f, "weight_grads", nw);
    const float *agrad_ref = get_floats(f, "alpha_grads", n_alpha);
    const float *running_ref = get_floats(f, "running", supernet_running_count(net));
    const float *eval_ref = get_floats(f, "eval_logits", (size_t)n * classes);
    const FixtureTensor *sizes = fixture_get(f, "weight_sizes");
    const FixtureTensor *geno = fixture_get(f, "genotype");
    if (!ok(x && yt && yt->count == (size_t)n && loss_ref && logits_ref && wgrad_ref && agrad_ref &&
                running_ref && eval_ref && sizes && geno && geno->count == 2 * 8 * 2,
            "fixture has every tensor with the expected size")) {
        supernet_free(net);
        fixture_free(f);
        return;
    }
    const int *y = yt->data;

    float *logits = malloc((size_t)n * classes * sizeof(float));
    int correct = -1;
    float loss = supernet_forward(net, x, y, n, SUPERNET_TRAIN, &correct, logits);
    ok(close_enough(loss, loss_ref[0], RTOL, 0.0, "loss"), "loss %.6f matches PyTorch %.6f", loss,
       loss_ref[0]);
    ok(tensor_close(logits, logits_ref, (size_t)n * classes, "logits"), "training-mode logits");
    int want_correct = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < classes; k++)
            best = logits_ref[i * classes + k] > logits_ref[i * classes + best] ? k : best;
        want_correct += best == y[i];
    }
    ok(correct == want_correct, "top-1 hits %d (PyTorch's logits give %d)", correct, want_correct);
    ok(tensor_close(supernet_running_stats(net), running_ref, supernet_running_count(net),
                    "running"),
       "BN running statistics after one training forward (%zu values)",
       supernet_running_count(net));

    supernet_backward(net, 1, 1);
    const int32_t *sz = sizes->data;
    size_t off = 0;
    int all = 1;
    for (size_t t = 0; t < sizes->count; t++) {
        char what[64];
        snprintf(what, sizeof what, "weight gradient of parameter tensor %zu", t);
        all &= tensor_close(supernet_weight_grads(net) + off, wgrad_ref + off, (size_t)sz[t], what);
        off += (size_t)sz[t];
    }
    ok(all && off == nw, "every weight gradient tensor (%zu tensors)", sizes->count);
    ok(tensor_close(supernet_alpha_grads(net), agrad_ref, n_alpha / 2, "alpha_normal grad"),
       "alpha_normal gradient");
    ok(tensor_close(supernet_alpha_grads(net) + n_alpha / 2, agrad_ref + n_alpha / 2, n_alpha / 2,
                    "alpha_reduce grad"),
       "alpha_reduce gradient");

    float *eval = malloc((size_t)n * classes * sizeof(float));
    supernet_forward(net, x, y, n, SUPERNET_EVAL, NULL, eval);
    ok(tensor_close(eval, eval_ref, (size_t)n * classes, "eval logits"),
       "evaluation-mode logits (running statistics)");
    int half = n / 2;
    supernet_forward(net, x, y, half, SUPERNET_EVAL, NULL, logits);
    ok(tensor_close(logits, eval, (size_t)half * classes, "half-batch eval logits"),
       "evaluation of a smaller batch gives the same rows");

    float w[2][GENOTYPE_MAX_EDGES * OP_COUNT];
    int edges = supernet_edges(net);
    softmax_rows(w[0], supernet_alphas(net), edges, OP_COUNT);
    softmax_rows(w[1], supernet_alphas(net) + edges * OP_COUNT, edges, OP_COUNT);
    Genotype g, want;
    genotype_derive(&g, w[0], w[1], sp.nodes);
    genotype_derive(&want, w[0], w[1], sp.nodes);
    const int32_t *pairs = geno->data;
    for (int i = 0; i < 8; i++) {
        want.normal[i] = (GenoEdge){pairs[2 * i], pairs[2 * i + 1]};
        want.reduce[i] = (GenoEdge){pairs[16 + 2 * i], pairs[16 + 2 * i + 1]};
    }
    ok(genotype_equal(&g, &want), "derived genotype equals darts_ref.derive_genotype");

    free(eval);
    free(logits);
    supernet_free(net);
    fixture_free(f);
}

static void test_param_counts(void)
{
    static const struct {
        const char *name;
        int in, size, c, layers;
        size_t want;
    } cfg[] = {
        {"A", 3, 32, 16, 8, 1930618}, {"B", 1, 28, 16, 8, 1929754}, {"C", 1, 28, 8, 5, 393778}};
    for (int i = 0; i < 3; i++) {
        SupernetSpec sp = {.in_channels = cfg[i].in,
                           .image_size = cfg[i].size,
                           .classes = 10,
                           .init_channels = cfg[i].c,
                           .layers = cfg[i].layers,
                           .nodes = 4,
                           .stem_multiplier = 3,
                           .batch = 1};
        char err[256];
        Supernet *net = supernet_create(&sp, err, sizeof err);
        ok(net && supernet_weight_count(net) == cfg[i].want && supernet_edges(net) == 14,
           "config %s: %zu weights (PyTorch %zu), 14 edges", cfg[i].name,
           net ? supernet_weight_count(net) : 0, cfg[i].want);
        supernet_free(net);
    }
}

/* Central differences of the float32 loss in the alphas, on the entries
 * with the largest gradients (|g| > 0.05), step h = 1e-3, tolerance 1e-2.
 * Why these numbers (measured with PyTorch on this very network, in float64
 * and float32): the loss is only piecewise smooth (ReLU and max-pool kinks
 * with 2x2 pixels in the last cell), so steps of 5e-3..1e-2 cross kinks and
 * miss the derivative by ~2% even in float64; steps of 1e-4 and below drown
 * in float32 rounding of the loss (~1% at 1e-4). At h = 1e-3 float32 central
 * differences land within 0.5% of the exact gradient, so 1e-2 leaves a 2x
 * margin and is still missed by any wrong term of the gradient. */
static double central_difference(Supernet *net, const float *x, const int *y, int n, size_t i,
                                 float h)
{
    float *a = supernet_alphas(net), saved = a[i];
    a[i] = saved + h;
    double lp = supernet_forward(net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    double step = (double)a[i] - (double)saved;
    a[i] = saved - h;
    double lm = supernet_forward(net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    step += (double)saved - (double)a[i];
    a[i] = saved;
    return (lp - lm) / step;
}

static void test_alpha_finite_difference(void)
{
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/supernet/tiny.fix"));
    SupernetSpec sp;
    Supernet *net = f ? tiny_from_fixture(f, &sp, 0) : NULL;
    if (!ok(net != NULL, "finite differences: tiny supernet")) {
        fixture_free(f);
        return;
    }
    const float *x = fixture_get(f, "x")->data;
    const int *y = fixture_get(f, "y")->data;
    int n = sp.batch;
    size_t n_alpha = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    float *ga = malloc(n_alpha * sizeof(float));
    supernet_forward(net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    supernet_backward(net, 0, 1);
    memcpy(ga, supernet_alpha_grads(net), n_alpha * sizeof(float));
    int checked = 0, good = 1;
    for (int round = 0; round < 6; round++) {
        size_t best = 0;
        for (size_t i = 0; i < n_alpha; i++)
            best = fabsf(ga[i]) > fabsf(ga[best]) ? i : best;
        if (fabsf(ga[best]) < 5e-2f)
            break;
        double fd = central_difference(net, x, y, n, best, 1e-3f);
        good &= close_enough(ga[best], fd, 1e-2, 0.0, "alpha gradient vs central difference");
        diag("alpha[%zu]: backward %.6g, central difference %.6g", best, ga[best], fd);
        ga[best] = 0.0f;
        checked++;
    }
    ok(good && checked >= 3, "alpha gradient matches central differences (%d entries)", checked);
    free(ga);
    supernet_free(net);
    fixture_free(f);
}

static void test_modes_and_switches(void)
{
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/supernet/tiny.fix"));
    SupernetSpec sp;
    Supernet *net = f ? tiny_from_fixture(f, &sp, 2) : NULL;
    if (!ok(net != NULL, "modes: tiny supernet (2 lanes)")) {
        fixture_free(f);
        return;
    }
    const float *x = fixture_get(f, "x")->data;
    const int *y = fixture_get(f, "y")->data;
    int n = sp.batch;
    size_t nr = supernet_running_count(net), nw = supernet_weight_count(net);
    size_t n_alpha = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    float *run0 = malloc(nr * sizeof(float)), *gw = malloc(nw * sizeof(float));
    float *ga = malloc(n_alpha * sizeof(float));
    memcpy(run0, supernet_running_stats(net), nr * sizeof(float));

    float l_frozen = supernet_forward(net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
    ok(memcmp(run0, supernet_running_stats(net), nr * sizeof(float)) == 0,
       "SUPERNET_TRAIN_FROZEN leaves the running statistics unchanged");
    supernet_forward(net, x, y, n, SUPERNET_EVAL, NULL, NULL);
    ok(memcmp(run0, supernet_running_stats(net), nr * sizeof(float)) == 0,
       "SUPERNET_EVAL leaves the running statistics unchanged");
    float l_train = supernet_forward(net, x, y, n, SUPERNET_TRAIN, NULL, NULL);
    ok(memcmp(run0, supernet_running_stats(net), nr * sizeof(float)) != 0,
       "SUPERNET_TRAIN updates the running statistics");
    ok(l_train == l_frozen, "both training modes use batch statistics (same loss)");

    supernet_backward(net, 1, 1);
    memcpy(gw, supernet_weight_grads(net), nw * sizeof(float));
    memcpy(ga, supernet_alpha_grads(net), n_alpha * sizeof(float));
    int nonzero = 0;
    for (size_t i = 0; i < nw; i++)
        nonzero += gw[i] != 0.0f;
    ok(nonzero > (int)(nw / 2), "full backward fills the weight gradients (%d of %zu nonzero)",
       nonzero, nw);

    supernet_backward(net, 0, 1);
    int zero = 1;
    for (size_t i = 0; i < nw; i++)
        zero &= supernet_weight_grads(net)[i] == 0.0f;
    ok(zero, "backward(want_weight_grads=0) leaves the weight gradients zero");
    ok(memcmp(ga, supernet_alpha_grads(net), n_alpha * sizeof(float)) == 0,
       "... and gives the same alpha gradients, bit for bit");

    supernet_backward(net, 1, 0);
    zero = 1;
    for (size_t i = 0; i < n_alpha; i++)
        zero &= supernet_alpha_grads(net)[i] == 0.0f;
    ok(zero, "backward(want_alpha_grads=0) leaves the alpha gradients zero");
    ok(memcmp(gw, supernet_weight_grads(net), nw * sizeof(float)) == 0,
       "... and gives the same weight gradients, bit for bit");

    supernet_forward(net, x, y, n, SUPERNET_TRAIN, NULL, NULL);
    supernet_backward(net, 1, 1);
    supernet_forward(net, x, y, n, SUPERNET_TRAIN, NULL, NULL);
    supernet_backward(net, 1, 1);
    float *gw2 = malloc(nw * sizeof(float));
    memcpy(gw2, supernet_weight_grads(net), nw * sizeof(float));
    supernet_forward(net, x, y, n, SUPERNET_TRAIN, NULL, NULL);
    supernet_backward(net, 1, 1);
    ok(memcmp(gw2, supernet_weight_grads(net), nw * sizeof(float)) == 0,
       "repeated forward/backward is bit-identical");

    Rng rng;
    rng_seed(&rng, 7);
    supernet_init(net, &rng);
    int fresh = 1;
    for (size_t i = 0; i < n_alpha; i++)
        fresh &= fabsf(supernet_alphas(net)[i]) < 1e-2f && supernet_alphas(net)[i] != 0.0f;
    const float *run = supernet_running_stats(net);
    fresh &= run[0] == 0.0f && run[sp.stem_multiplier * sp.init_channels] == 1.0f;
    float loss = supernet_forward(net, x, y, n, SUPERNET_TRAIN, NULL, NULL);
    ok(fresh && isfinite(loss) && fabsf(loss - logf((float)sp.classes)) < 1.0f,
       "supernet_init: alphas ~1e-3 N(0,1), running mean 0 var 1, loss %.3f near ln(classes)",
       loss);

    free(gw2);
    free(run0);
    free(gw);
    free(ga);
    supernet_free(net);
    fixture_free(f);
}

static void test_bad_specs(void)
{
    SupernetSpec good = {.in_channels = 3,
                         .image_size = 8,
                         .classes = 10,
                         .init_channels = 4,
                         .layers = 3,
                         .nodes = 4,
                         .stem_multiplier = 3,
                         .batch = 2};
    char err[256];
    SupernetSpec sp = good;
    sp.nodes = 0;
    ok(!supernet_create(&sp, err, sizeof err) && strstr(err, "model.nodes") &&
           strstr(err, "expected 1..8"),
       "nodes = 0 is refused naming the key and range (%s)", err);
    sp = good;
    sp.image_size = 6; /* 6 -> 3 at the second reduction */
    ok(!supernet_create(&sp, err, sizeof err) && strstr(err, "model.image_size") &&
           strstr(err, "3x3"),
       "an image size that reaches a reduction odd is refused (%s)", err);
    sp = good;
    sp.batch = 0;
    ok(!supernet_create(&sp, err, sizeof err) && strstr(err, "batch"), "batch 0 is refused (%s)",
       err);
    sp = good;
    sp.lanes = -1;
    ok(!supernet_create(&sp, err, sizeof err) && strstr(err, "lanes"),
       "negative lanes are refused (%s)", err);
    Supernet *net = supernet_create(&good, err, sizeof err);
    ok(net != NULL, "a valid spec is accepted");
    supernet_free(net);
}

/* Shapes the paper never uses still plan, run and back-propagate: one and
 * two cells (every cell a reduction), one and two nodes, batch 1. */
static void test_small_shapes(void)
{
    static const int shape[][4] = {/* layers, nodes, batch, image */
                                   {1, 4, 2, 8},
                                   {2, 2, 2, 8},
                                   {4, 1, 1, 8},
                                   {3, 3, 3, 4}};
    for (int t = 0; t < 4; t++) {
        SupernetSpec sp = {.in_channels = 2,
                           .image_size = shape[t][3],
                           .classes = 3,
                           .init_channels = 2,
                           .layers = shape[t][0],
                           .nodes = shape[t][1],
                           .stem_multiplier = 2,
                           .batch = shape[t][2]};
        char err[256];
        Supernet *net = supernet_create(&sp, err, sizeof err);
        if (!ok(net != NULL, "layers %d nodes %d batch %d: created", sp.layers, sp.nodes,
                sp.batch)) {
            diag("%s", err);
            continue;
        }
        Rng rng;
        rng_seed(&rng, (uint64_t)t);
        supernet_init(net, &rng);
        size_t nx = (size_t)sp.batch * sp.in_channels * sp.image_size * sp.image_size;
        float *x = malloc(nx * sizeof(float));
        int y[4] = {0, 1, 2, 0};
        for (size_t i = 0; i < nx; i++)
            x[i] = (float)rng_normal(&rng);
        float loss = supernet_forward(net, x, y, sp.batch, SUPERNET_TRAIN, NULL, NULL);
        supernet_backward(net, 1, 1);
        double gn = 0.0, an = 0.0;
        for (size_t i = 0; i < supernet_weight_count(net); i++)
            gn += fabsf(supernet_weight_grads(net)[i]);
        for (int i = 0; i < 2 * supernet_edges(net) * OP_COUNT; i++)
            an += fabsf(supernet_alpha_grads(net)[i]);
        ok(isfinite(loss) && isfinite(gn) && gn > 0 && isfinite(an) && an > 0,
           "layers %d nodes %d batch %d: finite loss %.3f and nonzero gradients", sp.layers,
           sp.nodes, sp.batch, loss);
        free(x);
        supernet_free(net);
    }
}

int main(void)
{
    test_against_pytorch(1);
    test_against_pytorch(3);
    test_param_counts();
    test_alpha_finite_difference();
    test_modes_and_switches();
    test_bad_specs();
    test_small_shapes();
    return tap_done();
}
