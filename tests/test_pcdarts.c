/* test_pcdarts: PC-DARTS (Xu et al., ICLR 2020; remedy.h): partial channel
 * connections, edge normalisation and the architecture warm-up.
 *
 * Against PyTorch (tests/reference/make_pcdarts_fixtures.py, the official
 * code's MixedOp, channel_shuffle and weights2 on the reference's network):
 * loss, logits, running statistics, weight, alpha and beta gradients and the
 * derived cell of a tiny network with K = 4 and edge normalisation, and of
 * one with K = 2 without (the split, the 2x2 max-pooled bypass of strided
 * edges and the shuffle all change the logits); the parameter counts with
 * K = 4 at the demo and test presets' shapes.
 * Central differences: weight (through every mixed op's input gradient,
 * bypass included), alpha and beta gradients.
 * The search: K 0 and 1 are the same network; the warm-up holds alphas and
 * betas; a resume with all of PC-DARTS on is bit-identical; derivation ranks
 * edges by their normalised betas; the monitor's entropy is of the op
 * weights alone; the configuration refuses a K that does not divide the
 * channels and the remedies it does not combine with.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/config.h"
#include "dartboard/genotype.h"
#include "dartboard/search.h"
#include "fixture.h"
#include "tap.h"

static Dataset data;

#include "supernet_fd.h"
#include "tiny_search.h"

#define RTOL 1e-3

static int tensor_close(const float *got, const float *want, size_t count, const char *what)
{
    return fixture_tensor_close(got, want, count, RTOL, 0.1, what);
}

static Supernet *make_net(const SupernetSpec *sp)
{
    char err[256];
    Supernet *net = supernet_create(sp, err, sizeof err);
    if (!net) {
        printf("Bail out! supernet_create: %s\n", err);
        exit(99);
    }
    return net;
}

/* The fixture's network `prefix` (k4_, k2_) against the C supernet. */
static void test_against_pytorch(const Fixture *f, const char *prefix, int k, int edge_norm,
                                 int lanes)
{
    const int32_t *spec = fixture_need(f, "spec", 8);
    SupernetSpec sp = {.in_channels = spec[0],
                       .image_size = spec[1],
                       .classes = spec[2],
                       .init_channels = spec[3],
                       .layers = spec[4],
                       .nodes = spec[5],
                       .stem_multiplier = spec[6],
                       .batch = spec[7],
                       .lanes = lanes,
                       .pc_k = k,
                       .edge_norm = edge_norm};
    Supernet *net = make_net(&sp);
    diag("%s with %d lane(s)", prefix, lanes);
    char name[64];
#define T(what) (snprintf(name, sizeof name, "%s%s", prefix, what), name)
    size_t nw = supernet_weight_count(net), edges = (size_t)supernet_edges(net);
    size_t na = 2 * edges * OP_COUNT;
    const int32_t *count = fixture_need(f, T("weight_count"), 1);
    ok((size_t)count[0] == nw, "K=%d: %zu weights, PyTorch's model.parameters() has %d", k, nw,
       count[0]);
    ok(supernet_arch_count(net) == na + (edge_norm ? 2 * edges : 0),
       "K=%d, edge_norm %d: %zu architecture parameters", k, edge_norm, supernet_arch_count(net));
    if ((size_t)count[0] != nw) {
        supernet_free(net);
        return;
    }
    for (size_t i = 0; i < nw; i++)
        supernet_weights(net)[i] = fixture_weight_hash(i);
    fixture_copy(supernet_alphas(net), f, T("alphas"), na);
    if (edge_norm)
        fixture_copy(supernet_alphas(net) + na, f, T("betas"), 2 * edges);
    int n = sp.batch;
    const float *x = fixture_need(
        f, T("x"), (size_t)n * (size_t)(sp.in_channels * sp.image_size * sp.image_size));
    const int *y = fixture_need(f, T("y"), (size_t)n);
    float *logits = malloc((size_t)n * (size_t)sp.classes * sizeof(float));
    float loss = supernet_forward(net, x, y, n, SUPERNET_TRAIN, NULL, logits);
    const float *loss_ref = fixture_need(f, T("loss"), 1);
    ok(fabs(loss - loss_ref[0]) <= RTOL * fabs(loss_ref[0]), "K=%d: loss %.6f, PyTorch %.6f", k,
       loss, loss_ref[0]);
    ok(tensor_close(logits, fixture_need(f, T("logits"), (size_t)n * (size_t)sp.classes),
                    (size_t)n * (size_t)sp.classes, "logits"),
       "K=%d: logits (split, bypass, 2x2 pool, shuffle%s)", k, edge_norm ? ", edge weights" : "");
    ok(tensor_close(supernet_running_stats(net),
                    fixture_need(f, T("running"), supernet_running_count(net)),
                    supernet_running_count(net), "running"),
       "K=%d: BN running statistics (%zu)", k, supernet_running_count(net));
    supernet_backward(net, 1, 1);
    ok(tensor_close(supernet_weight_grads(net), fixture_need(f, T("weight_grads"), nw), nw,
                    "weight grads"),
       "K=%d: weight gradients", k);
    ok(tensor_close(supernet_alpha_grads(net), fixture_need(f, T("alpha_grads"), na), na,
                    "alpha grads"),
       "K=%d: alpha gradients", k);
    if (edge_norm)
        ok(tensor_close(supernet_alpha_grads(net) + na, fixture_need(f, T("beta_grads"), 2 * edges),
                        2 * edges, "beta grads"),
           "K=%d: beta gradients", k);

    /* derivation: what PC-DARTS's genotype() parses (op weights times the
     * edge's normalised beta) */
    float wn[GENOTYPE_MAX_EDGES * OP_COUNT], wr[GENOTYPE_MAX_EDGES * OP_COUNT];
    supernet_op_weights(net, wn, wr);
    Genotype g;
    genotype_derive(&g, wn, wr, sp.nodes);
    const int32_t *want = fixture_need(f, T("genotype"), 2 * 8 * 2);
    int same = 1;
    for (int i = 0; i < 8; i++)
        same &= g.normal[i].op == want[2 * i] && g.normal[i].input == want[2 * i + 1] &&
                g.reduce[i].op == want[16 + 2 * i] && g.reduce[i].input == want[16 + 2 * i + 1];
    ok(same, "K=%d: the derived cell is PC-DARTS's genotype()", k);
#undef T
    free(logits);
    supernet_free(net);
}

/* The weight count with K = 4 at the demo and test presets' shapes. */
static void test_preset_counts(const Fixture *f)
{
    const int32_t *want = fixture_need(f, "preset_counts", 4);
    static const struct {
        const char *name;
        int c, layers;
    } shape[] = {{"demo", 8, 5}, {"test", 4, 3}};
    for (int i = 0; i < 2; i++) {
        size_t got[2];
        for (int j = 0; j < 2; j++) {
            SupernetSpec sp = {.in_channels = 1,
                               .image_size = 16,
                               .classes = 10,
                               .init_channels = shape[i].c,
                               .layers = shape[i].layers,
                               .nodes = 4,
                               .stem_multiplier = 3,
                               .batch = 1,
                               .pc_k = j ? 4 : 0,
                               .edge_norm = j};
            Supernet *net = make_net(&sp);
            got[j] = supernet_weight_count(net);
            supernet_free(net);
        }
        ok(got[0] == (size_t)want[2 * i] && got[1] == (size_t)want[2 * i + 1],
           "%s preset's shape: %zu weights, %zu with K=4 (PyTorch: %d, %d)", shape[i].name, got[0],
           got[1], want[2 * i], want[2 * i + 1]);
    }
}

/* ---- central differences ----------------------------------------------------- */

static double loss_at(Supernet *net, const float *x, const int *y, int n)
{
    return supernet_forward(net, x, y, n, SUPERNET_TRAIN_FROZEN, NULL, NULL);
}

/* The `rounds` largest entries of g (supernet_fd.h). */
static int check_entries(Supernet *net, float *v, const float *g, size_t count, int rounds,
                         const float *x, const int *y, int n, const char *what)
{
    return supernet_fd_check(net, x, y, n, v, g, count, NULL, rounds, 1e-3f, 1e-4, what);
}

static void test_gradients(int k, int edge_norm)
{
    SupernetSpec sp = {.in_channels = 1,
                       .image_size = 8,
                       .classes = 4,
                       .init_channels = 4,
                       .layers = 3,
                       .nodes = 4,
                       .stem_multiplier = 3,
                       .batch = 4,
                       .lanes = 1,
                       .pc_k = k,
                       .edge_norm = edge_norm};
    Supernet *net = make_net(&sp);
    Rng r;
    rng_seed(&r, 5);
    supernet_init(net, &r);
    size_t na = supernet_arch_count(net), nalpha = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    for (size_t i = 0; i < na; i++)
        supernet_alphas(net)[i] = (float)(0.5 * rng_normal(&r));
    float x[4 * 64];
    int y[4];
    rng_seed(&r, 6);
    for (int i = 0; i < 4 * 64; i++)
        x[i] = (float)rng_normal(&r);
    for (int i = 0; i < 4; i++)
        y[i] = i;
    size_t nw = supernet_weight_count(net);
    float *gw = malloc(nw * sizeof(float)), *ga = malloc(na * sizeof(float));
    loss_at(net, x, y, 4);
    supernet_backward(net, 1, 1);
    memcpy(gw, supernet_weight_grads(net), nw * sizeof(float));
    memcpy(ga, supernet_alpha_grads(net), na * sizeof(float));
    /* the stem's weights: their gradient crosses every cell, through the
     * mixed ops' input gradients (ops and bypass) */
    ok(check_entries(net, supernet_weights(net), gw, 3 * 4 * 9, 4, x, y, 4, "stem weight"),
       "K=%d: the stem's weight gradients match central differences", k);
    ok(check_entries(net, supernet_weights(net), gw, nw, 5, x, y, 4, "weight"),
       "K=%d: the largest weight gradients match", k);
    ok(check_entries(net, supernet_alphas(net), ga, nalpha, 5, x, y, 4, "alpha"),
       "K=%d: the largest alpha gradients match", k);
    if (edge_norm)
        ok(check_entries(net, supernet_alphas(net) + nalpha, ga + nalpha, na - nalpha, 5, x, y, 4,
                         "beta"),
           "K=%d: the largest beta gradients match", k);
    free(gw);
    free(ga);
    supernet_free(net);
}

/* ---- the search ------------------------------------------------------------------ */

static void pc_config(Config *c)
{
    base_config(c);
    c->remedy.pc_k = 4;
    c->remedy.edge_norm = 1;
    c->remedy.pc_warmup = 1;
}

static void test_off(void)
{
    Config a, b;
    base_config(&a);
    b = a;
    b.remedy.pc_k = 1;
    Search *sa = make(&a), *sb = make(&b);
    ok(run(sa, &a, 4, NULL) == 0 && run(sb, &b, 4, NULL) == 0 &&
           search_checksum(sa) == search_checksum(sb) &&
           supernet_arch_count(search_net(sa)) == 2 * 14 * OP_COUNT,
       "pc_k 1 is pc_k 0 (all channels), bit for bit; no betas without edge_norm");
    search_free(sa);
    search_free(sb);
}

static void test_warmup(void)
{
    Config c;
    pc_config(&c);
    Search *s = make(&c);
    size_t na = supernet_arch_count(search_net(s));
    float *a0 = malloc(na * sizeof(float));
    memcpy(a0, supernet_alphas(search_net(s)), na * sizeof(float));
    StepStats st;
    int per_epoch = search_steps_per_epoch(s);
    ok(run(s, &c, per_epoch, &st) == 0 && st.alpha_step == 0 &&
           memcmp(a0, supernet_alphas(search_net(s)), na * sizeof(float)) == 0,
       "pc_warmup 1: the %d steps of epoch 0 leave alphas and betas alone", per_epoch);
    const float *a = supernet_alphas(search_net(s));
    ok(run(s, &c, 1, &st) == 0 && st.alpha_step == 1 && memcmp(a0, a, na * sizeof(float)) != 0 &&
           a[na - 1] != a0[na - 1],
       "epoch 1: the architecture steps, the betas with the alphas");
    free(a0);
    search_free(s);
}

static void test_resume(int order)
{
    char err[512];
    Config c;
    pc_config(&c);
    c.arch.order = order;
    const int total = 14, k = 8; /* 6 steps per epoch: the warm-up ends inside both halves */
    Search *straight = make(&c), *first = make(&c), *second = make(&c);
    ok(run(straight, &c, total, NULL) == 0, "order %d, PC-DARTS: %d steps", order, total);
    run(first, &c, k, NULL);
    int rc = copy_state(first, second, err, sizeof err);
    ok(rc == 0, "order %d: saved after %d steps and loaded (%s)", order, k, rc ? err : "ok");
    run(second, &c, total - k, NULL);
    ok(search_checksum(straight) == search_checksum(second),
       "order %d: weights, alphas and betas bit-identical after the resume", order);

    /* a checkpoint of the plain search is refused, naming the count */
    Config plain;
    base_config(&plain);
    Search *p = make(&plain);
    rc = copy_state(p, second, err, sizeof err);
    ok(rc != 0 && strstr(err, "count"), "a plain search's checkpoint is refused: %s", err);
    search_free(p);
    search_free(straight);
    search_free(first);
    search_free(second);
}

/* Equal alphas everywhere: without betas node 1 keeps its first two inputs
 * (ties go to the lower input); a large beta on its edge from node 0 makes
 * that edge the strongest. */
static void test_derive(void)
{
    Config c;
    pc_config(&c);
    Search *s = make(&c);
    Supernet *net = search_net(s);
    size_t nalpha = 2 * 14 * OP_COUNT;
    memset(supernet_alphas(net), 0, supernet_arch_count(net) * sizeof(float));
    Genotype g;
    search_genotype(s, &g);
    int plain = g.normal[2].input == 0 && g.normal[3].input == 1;
    supernet_alphas(net)[nalpha + 4] = 5.0f; /* normal cell, edge 4 = node 1 <- node 0 */
    search_genotype(s, &g);
    float wn[GENOTYPE_MAX_EDGES * OP_COUNT], wr[GENOTYPE_MAX_EDGES * OP_COUNT];
    search_alpha_weights(s, wn, wr);
    double norm = exp(5.0) / (exp(5.0) + 2.0);
    ok(plain && g.normal[2].input == 2 && g.normal[3].input == 0 &&
           fabs(wn[4 * OP_COUNT + 3] - norm / OP_COUNT) < 1e-6 &&
           fabs(wn[2 * OP_COUNT] - 1.0 / (exp(5.0) + 2.0) / OP_COUNT) < 1e-6,
       "derivation ranks softmax(alpha) * the edge's normalised beta (node 1 takes node 0 first)");
    search_free(s);
}

/* The monitor's entropy and none weight are of each edge's op distribution
 * (the edge weight divided out), its skip count of the derived cell. */
static void test_monitor(void)
{
    char err[512];
    Config c;
    pc_config(&c);
    c.monitor.every = 1;
    Search *s = make(&c);
    Supernet *net = search_net(s);
    size_t nalpha = 2 * 14 * OP_COUNT;
    memset(supernet_alphas(net), 0, nalpha * sizeof(float));
    for (size_t i = nalpha; i < supernet_arch_count(net); i++)
        supernet_alphas(net)[i] = (float)(i % 5); /* uneven edge weights */
    MonitorRow row = {0};
    int rc = search_monitor(s, 2, &row, err, sizeof err);
    ok(rc == 0 && fabs(row.entropy_normal - log(8.0)) < 1e-5 &&
           fabs(row.entropy_reduce - log(8.0)) < 1e-5 && fabs(row.none_weight - 0.125) < 1e-6,
       "monitor: uniform alphas under uneven betas: entropy log 8 (%.6f, %.6f), none 1/8 (%.6f)",
       row.entropy_normal, row.entropy_reduce, row.none_weight);
    search_free(s);
}

static void test_config(void)
{
    char err[512] = "";
    Config c;
    base_config(&c);
    ok(c.remedy.pc_k == 0 && c.remedy.edge_norm == 0 && c.remedy.pc_warmup == 0,
       "PC-DARTS is off by default");
    ok(config_set_assignment(&c, "remedy.pc_k=4", err, sizeof err) == 0 &&
           config_set_assignment(&c, "remedy.edge_norm=true", err, sizeof err) == 0 &&
           config_set_assignment(&c, "remedy.pc_warmup=2", err, sizeof err) == 0 &&
           config_validate(&c, err, sizeof err) == 0,
       "--set remedy.pc_k=4, remedy.edge_norm=true, remedy.pc_warmup=2 (%s)", err);
    c.remedy.pc_k = 3;
    ok(config_validate(&c, err, sizeof err) != 0 && strstr(err, "remedy.pc_k=3") &&
           strstr(err, "model.init_channels=4"),
       "K = 3 with 4 channels is refused: %s", err);
    c.remedy.pc_k = 4;
    c.model.init_channels = 6;
    ok(config_validate(&c, err, sizeof err) != 0 && strstr(err, "model.init_channels=6"),
       "K = 4 with 6 channels is refused: %s", err);
    c.model.init_channels = 8;
    c.remedy.fair_darts = 1;
    ok(config_validate(&c, err, sizeof err) != 0 && strstr(err, "fair_darts"),
       "PC-DARTS with Fair DARTS is refused: %s", err);
    c.remedy.fair_darts = 0;
    c.remedy.darts_minus_beta = 1;
    ok(config_validate(&c, err, sizeof err) != 0 && strstr(err, "darts_minus_beta"),
       "PC-DARTS with DARTS- is refused: %s", err);
    c.remedy.darts_minus_beta = 0;
    SupernetSpec sp = {.in_channels = 1,
                       .image_size = 8,
                       .classes = 4,
                       .init_channels = 6,
                       .layers = 3,
                       .nodes = 4,
                       .stem_multiplier = 3,
                       .batch = 1,
                       .pc_k = 4};
    Supernet *net = supernet_create(&sp, err, sizeof err);
    ok(!net && strstr(err, "remedy.pc_k = 4") && strstr(err, "model.init_channels = 6"),
       "supernet_create refuses it too: %s", err);
    supernet_free(net);
    Config d;
    config_defaults(&d);
    err[0] = 0;
    ok(config_load_preset(&d, "demo-pc-darts", err, sizeof err) == 0 && d.remedy.pc_k == 4 &&
           d.remedy.edge_norm == 1 && d.remedy.pc_warmup > 0 && d.remedy.pc_warmup < d.run.epochs &&
           config_validate(&d, err, sizeof err) == 0,
       "the demo-pc-darts preset: K 4, edge normalisation, a warm-up within its epochs (%s)", err);
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
    Fixture *f = fixture_need_file("tests/fixtures/pcdarts/pcdarts.fix");
    test_against_pytorch(f, "k4_", 4, 1, 1);
    test_against_pytorch(f, "k4_", 4, 1, 3); /* the ops of an edge on three lanes */
    test_against_pytorch(f, "k2_", 2, 0, 1);
    test_preset_counts(f);
    fixture_free(f);
    test_gradients(4, 1);
    test_gradients(2, 0);
    test_off();
    test_warmup();
    test_resume(1);
    test_resume(2);
    test_derive();
    test_monitor();
    test_config();
    dataset_free(&data);
    return tap_done();
}
