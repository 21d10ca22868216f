/* test_rnnnet: the recurrent search network against PyTorch
 * (darts_rnn_ref.SearchModel) on the small model of
 * tests/reference/make_rnn_fixtures.py: the same weights, alpha, tokens,
 * carried hidden state and dropout masks give the same loss and total, weight
 * and alpha gradients, BN running statistics, next hidden state and
 * evaluation loss; the derivation agrees on random alphas and the published
 * cells are the reference's. Then finite-difference checks of every backward
 * (each parameter block along random directions, single alpha entries, the
 * cell alone through BPTT), the gradient switches, the misuse of backward,
 * the thread count and bad shapes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "dartboard/rng.h"
#include "dartboard/rnnnet.h"
#include "fixture.h"
#include "tap.h"

#define RTOL 1e-4

/* Entries below a tenth of the tensor's rms are judged against that tenth:
 * the float32 sums of a BPTT window differ between BLAS kernels by about
 * 1e-6 of the rms (1.1e-6 measured with OpenBLAS's Cooperlake kernels on an
 * AMD EPYC), which a floor of 1 % of the rms turned into 1.1e-4 at an entry
 * near zero. */
static int tensor_close(const float *got, const float *want, size_t count, const char *what)
{
    return fixture_tensor_close(got, want, count, RTOL, 0.1, what);
}

static void check_reference(void)
{
    char err[512];
    Fixture *f = fixture_need_file("tests/fixtures/rnn/small.fix");
    const int32_t *spec = (const int32_t *)fixture_need(f, "spec", 5);
    const RnnShape shape = {spec[0], spec[1], spec[2], spec[3], spec[4]};
    const int V = shape.ntoken, n = shape.nhid, B = shape.batch, T = shape.bptt_max;
    RnnNet *net = rnn_create(&shape, err, sizeof err);
    if (!net) {
        printf("Bail out! %s\n", err);
        exit(99);
    }
    const int32_t count = *(const int32_t *)fixture_need(f, "weight_count", 1);
    ok((size_t)count == net->nweights, "weight count %zu, the reference's %d", net->nweights,
       count);
    for (size_t i = 0; i < net->nweights; i++)
        net->weights[i] = fixture_weight_hash(i);
    memcpy(net->alpha, fixture_need(f, "alpha", RNN_EDGES * RNN_OP_COUNT), sizeof net->alpha);
    fixture_copy(net->mask_embed, f, "mask_embed", V);
    fixture_copy(net->mask_in, f, "mask_in", B * n);
    fixture_copy(net->mask_x, f, "mask_x", B * n);
    fixture_copy(net->mask_h, f, "mask_h", B * n);
    fixture_copy(net->mask_out, f, "mask_out", B * n);
    const int32_t *words = (const int32_t *)fixture_need(f, "words", T * B);
    const int32_t *targets = (const int32_t *)fixture_need(f, "targets", T * B);
    const float beta = *(const float *)fixture_need(f, "beta", 1);
    const double *want_loss = fixture_get(f, "loss")->data;
    float *h = malloc(B * n * sizeof(float));
    memcpy(h, fixture_need(f, "h0", B * n), B * n * sizeof(float));

    RnnLoss l = rnn_forward(net, words, targets, T, h, h, 1, beta);
    ok(close_enough(l.loss, want_loss[0], RTOL, 0.0, "loss"), "loss %.7f, the reference's %.7f",
       l.loss, want_loss[0]);
    ok(close_enough(l.total, want_loss[1], RTOL, 0.0, "total"),
       "loss + TAR %.7f, the reference's %.7f", l.total, want_loss[1]);
    ok(tensor_close(h, fixture_need(f, "h_next", B * n), B * n, "h_next"),
       "the next hidden state (h_T) matches");
    float running[2 * 64];
    memcpy(running, net->bn_mean, n * sizeof(float));
    memcpy(running + n, net->bn_var, n * sizeof(float));
    ok(tensor_close(running, fixture_need(f, "running", 2 * n), 2 * n, "running"),
       "BN running mean and variance after 9 x %d updates match", T);
    ok(rnn_backward(net, 1, 1) == 0, "backward of a training forward");
    ok(tensor_close(net->grad, fixture_need(f, "weight_grads", net->nweights), net->nweights,
                    "weight_grads"),
       "every weight gradient (tied embedding, W0, W1..W8, decoder bias) matches");
    static const char *const blocks[] = {"embedding", "W0", "W1..W8", "decoder bias"};
    const size_t sizes[] = {(size_t)V * n, (size_t)2 * n * 2 * n, (size_t)8 * n * 2 * n, (size_t)V};
    const float *want_grad = fixture_need(f, "weight_grads", net->nweights);
    for (size_t b = 0, off = 0; b < 4; off += sizes[b], b++)
        ok(tensor_close(net->grad + off, want_grad + off, sizes[b], blocks[b]),
           "the %s gradient matches on its own scale", blocks[b]);
    ok(tensor_close(net->g_alpha, fixture_need(f, "alpha_grads", RNN_EDGES * RNN_OP_COUNT),
                    RNN_EDGES * RNN_OP_COUNT, "alpha_grads"),
       "the alpha gradient (36 x 5, through the softmax) matches");

    memcpy(h, fixture_need(f, "h0", B * n), B * n * sizeof(float));
    RnnLoss e = rnn_forward(net, words, targets, T, h, h, 0, 0.0f);
    const double want_eval = *(const double *)fixture_get(f, "eval_loss")->data;
    ok(close_enough(e.loss, want_eval, RTOL, 0.0, "eval loss"),
       "evaluation loss (running statistics, no dropout) %.7f, the reference's %.7f", e.loss,
       want_eval);
    ok(tensor_close(h, fixture_need(f, "eval_h_next", B * n), B * n, "eval_h_next"),
       "evaluation's next hidden state matches");
    ok(rnn_backward(net, 1, 1) == -1, "no backward of an evaluation forward");

    const FixtureTensor *dp = fixture_get(f, "derive_probs");
    const int32_t *dg = (const int32_t *)fixture_get(f, "derive_genotypes")->data;
    int agree = 0, sets = (int)dp->dims[0];
    for (int k = 0; k < sets; k++) {
        RnnGenotype g;
        rnn_genotype_derive(&g, (const float *)dp->data + (size_t)k * RNN_EDGES * RNN_OP_COUNT);
        int same = 1;
        for (int i = 0; i < RNN_NODES; i++)
            same &= g.recurrent[i].op == dg[(k * RNN_NODES + i) * 2] &&
                    g.recurrent[i].input == dg[(k * RNN_NODES + i) * 2 + 1];
        agree += same;
    }
    ok(sets == 16 && agree == sets,
       "derivation agrees with the reference on %d of %d random alphas", agree, sets);
    const int32_t *pub = (const int32_t *)fixture_need(f, "published", 2 * RNN_NODES * 2);
    const RnnGenotype *mine[2] = {&rnn_genotype_darts_v1, &rnn_genotype_darts_v2};
    for (int k = 0; k < 2; k++) {
        int same = mine[k]->concat_count == 8 && mine[k]->concat[0] == 1 && mine[k]->concat[7] == 8;
        for (int i = 0; i < RNN_NODES; i++)
            same &= mine[k]->recurrent[i].op == pub[(k * RNN_NODES + i) * 2] &&
                    mine[k]->recurrent[i].input == pub[(k * RNN_NODES + i) * 2 + 1];
        ok(same, "DARTS_V%d is the official recurrent genotype", k + 1);
    }
    free(h);
    rnn_free(net);
    fixture_free(f);
}

/* Ties and names, as the reference's max() breaks them: the first
 * predecessor, then the first op. */
static void check_derivation_ties(void)
{
    float w[RNN_EDGES * RNN_OP_COUNT];
    for (int k = 0; k < RNN_EDGES * RNN_OP_COUNT; k++)
        w[k] = 0.2f;
    RnnGenotype g;
    rnn_genotype_derive(&g, w);
    int first = 1;
    for (int i = 0; i < RNN_NODES; i++)
        first &= g.recurrent[i].op == RNN_OP_TANH && g.recurrent[i].input == 0;
    ok(first && g.concat_count == 8 && g.concat[0] == 1 && g.concat[7] == 8,
       "uniform weights: every node takes (tanh, 0); concat = range(1, 9)");
    /* node 3 (edges 3, 4, 5): identity on s2 ties relu on s1 -> s1 wins */
    w[3 * RNN_OP_COUNT + RNN_OP_NONE] = 0.9f; /* none never counts */
    w[4 * RNN_OP_COUNT + RNN_OP_RELU] = 0.5f;
    w[5 * RNN_OP_COUNT + RNN_OP_IDENTITY] = 0.5f;
    rnn_genotype_derive(&g, w);
    ok(g.recurrent[2].op == RNN_OP_RELU && g.recurrent[2].input == 1,
       "a tie between predecessors goes to the lower one; none is never chosen");
    ok(!rnn_genotype_equal(&g, &rnn_genotype_darts_v1) &&
           rnn_genotype_equal(&rnn_genotype_darts_v2, &rnn_genotype_darts_v2),
       "genotype equality");
    ok(rnn_op_from_name("sigmoid") == RNN_OP_SIGMOID && rnn_op_from_name("sep_conv_3x3") == -1 &&
           strcmp(rnn_op_names[RNN_OP_IDENTITY], "identity") == 0 && rnn_edge_offset(8) == 28,
       "op names and edge numbering (node 8's edges start at 28)");
}

/* ------------------------------------------------------------ finite differences */

typedef struct Probe {
    RnnNet *net;
    int32_t *words, *targets;
    float *h0, *h;
    int T;
    float beta;
} Probe;

static double total_at(Probe *p)
{
    return rnn_forward(p->net, p->words, p->targets, p->T, p->h0, p->h, 1, p->beta).total;
}

/* The central difference of the total along v at x0 with step eps. */
static double central(Probe *p, float *x, const float *x0, const float *v, size_t count, float eps)
{
    for (size_t i = 0; i < count; i++)
        x[i] = x0[i] + eps * v[i];
    const double up = total_at(p);
    for (size_t i = 0; i < count; i++)
        x[i] = x0[i] - eps * v[i];
    const double down = total_at(p);
    memcpy(x, x0, count * sizeof(float));
    return (up - down) / (2.0 * eps);
}

/* The derivative along v (a unit direction in x[0..count), a block of weights
 * or the alphas) by finite differences against the backward's dot product:
 * central differences at steps 2h and h, Richardson-combined,
 * (4 D(h) - D(2h)) / 3, to cancel the h^2 term. What is left is the loss's
 * float rounding (~4e-8 here, so ~2e-8 / h) and the relu kinks that a step
 * crosses, an O(h) error. Weights take h = 1e-3 (their kinks showed at 1e-2:
 * 1 % off); the alphas, whose gradients are ~1e-5..1e-3, h = 1e-2. */
static int fd_check(Probe *p, float *x, const float *v, size_t count, double an, float h,
                    const char *what)
{
    float *x0 = malloc(count * sizeof(float));
    memcpy(x0, x, count * sizeof(float));
    const double d2 = central(p, x, x0, v, count, 2 * h), d1 = central(p, x, x0, v, count, h);
    const double fd = (4.0 * d1 - d2) / 3.0;
    free(x0);
    return ok(fabs(fd - an) <= 3e-3 * fabs(an) + 2e-5,
              "finite differences, %s: %.7g, backward %.7g", what, fd, an);
}

static int directional(Probe *p, float *x, const float *g, size_t count, float h, const char *what)
{
    Rng r;
    rng_seed(&r, 99 + count);
    float *v = malloc(count * sizeof(float));
    double norm = 0.0, an = 0.0;
    for (size_t i = 0; i < count; i++) {
        v[i] = (float)rng_normal(&r);
        norm += (double)v[i] * v[i];
    }
    for (size_t i = 0; i < count; i++) {
        v[i] = (float)(v[i] / sqrt(norm));
        an += (double)v[i] * g[i];
    }
    const int good = fd_check(p, x, v, count, an, h, what);
    free(v);
    return good;
}

/* One element x[0]. */
static int single(Probe *p, float *x, float g, float h, const char *what)
{
    const float one = 1.0f;
    return fd_check(p, x, &one, 1, g, h, what);
}

static Probe make_probe(const RnnShape *shape, int T, float beta, uint64_t seed)
{
    char err[256];
    Probe p = {0};
    p.net = rnn_create(shape, err, sizeof err);
    if (!p.net) {
        printf("Bail out! %s\n", err);
        exit(99);
    }
    Rng r;
    rng_seed(&r, seed);
    rnn_init(p.net, &r);
    /* larger than the published init, so the nonlinearities are not all near linear */
    for (size_t i = 0; i < p.net->nweights; i++)
        p.net->weights[i] *= 10.0f;
    for (int k = 0; k < RNN_EDGES * RNN_OP_COUNT; k++)
        p.net->alpha[k] = (float)rng_normal(&r);
    p.net->dropout.embedding = 0.3f;
    rnn_draw_masks(p.net, &r);
    const size_t TB = (size_t)T * shape->batch, Bn = (size_t)shape->batch * shape->nhid;
    p.words = malloc(TB * sizeof(int32_t));
    p.targets = malloc(TB * sizeof(int32_t));
    p.h0 = malloc(Bn * sizeof(float));
    p.h = malloc(Bn * sizeof(float));
    for (size_t i = 0; i < TB; i++) {
        p.words[i] = (int32_t)rng_below(&r, shape->ntoken);
        p.targets[i] = (int32_t)rng_below(&r, shape->ntoken);
    }
    for (size_t i = 0; i < Bn; i++)
        p.h0[i] = (float)(0.5 * rng_normal(&r));
    p.T = T;
    p.beta = beta;
    return p;
}

static void free_probe(Probe *p)
{
    rnn_free(p->net);
    free(p->words);
    free(p->targets);
    free(p->h0);
    free(p->h);
}

static void check_gradients(void)
{
    const RnnShape shape = {17, 5, 5, 3, 6};
    const int n = shape.nhid, V = shape.ntoken;
    Probe p = make_probe(&shape, 6, 0.5f, 5);
    RnnNet *net = p.net;
    total_at(&p);
    rnn_backward(net, 1, 1);
    float *g = malloc(net->nweights * sizeof(float)), ga[RNN_EDGES * RNN_OP_COUNT];
    memcpy(g, net->grad, net->nweights * sizeof(float));
    memcpy(ga, net->g_alpha, sizeof ga);
    const size_t o_w0 = (size_t)V * n, o_ws = o_w0 + (size_t)4 * n * n,
                 o_b = o_ws + (size_t)8 * 2 * n * n;
    directional(&p, net->embed, g, (size_t)V * n, 1e-3f,
                "the tied embedding (encoder rows with word dropout, and decoder)");
    directional(&p, net->w0, g + o_w0, (size_t)n * 2 * n, 1e-3f, "W0's input half (x mx)");
    directional(&p, net->w0 + (size_t)n * 2 * n, g + o_w0 + (size_t)n * 2 * n, (size_t)n * 2 * n,
                1e-3f, "W0's recurrent half (h mh), through 6 steps");
    for (int i = 0; i < RNN_NODES; i += 3) {
        char what[96];
        snprintf(what, sizeof what, "W%d (highway node %d, shared by its predecessors)", i + 1,
                 i + 1);
        directional(&p, net->ws[i], g + o_ws + (size_t)i * 2 * n * n, (size_t)2 * n * n, 1e-3f,
                    what);
    }
    directional(&p, net->bias, g + o_b, (size_t)V, 1e-3f, "the decoder bias");
    directional(&p, net->alpha, ga, RNN_EDGES * RNN_OP_COUNT, 1e-2f, "all alphas");
    /* an edge of s0 into node 1, one into the last node, the none column */
    single(&p, &net->alpha[0 * RNN_OP_COUNT + 2], ga[2], 1e-2f, "alpha[n1<-s0, relu]");
    single(&p, &net->alpha[35 * RNN_OP_COUNT + 3], ga[35 * RNN_OP_COUNT + 3], 1e-2f,
           "alpha[n8<-n7, sigmoid]");
    single(&p, &net->alpha[20 * RNN_OP_COUNT + 0], ga[20 * RNN_OP_COUNT + 0], 1e-2f,
           "alpha[edge 20, none] (only through the softmax)");
    single(&p, &net->ws[7][3], g[o_ws + (size_t)7 * 2 * n * n + 3], 1e-3f, "W8[0][3] (a gate c)");
    single(&p, &net->ws[2][n + 1], g[o_ws + (size_t)2 * 2 * n * n + n + 1], 1e-3f,
           "W3[0][n + 1] (a candidate hh)");
    free(g);
    free_probe(&p);

    /* Five steps without TAR, every input the word 0 and no target 0: row 0
     * of the embedding gets the encoder's gradient through every step of the
     * cell, plus the decoder's (every row feeds the softmax). */
    Probe q = make_probe(&shape, 5, 0.0f, 11);
    for (int i = 0; i < 5 * shape.batch; i++)
        q.words[i] = 0, q.targets[i] = 1 + i % (V - 1);
    total_at(&q);
    rnn_backward(q.net, 1, 1);
    float *gq = malloc(q.net->nweights * sizeof(float));
    memcpy(gq, q.net->grad, q.net->nweights * sizeof(float));
    double enc = 0.0;
    for (int k = 0; k < n; k++)
        enc += fabs(gq[k]);
    ok(enc > 0.0, "the input word's embedding row has a gradient (%.3g)", enc);
    directional(&q, q.net->embed, gq, (size_t)n, 1e-3f, "embedding row 0 (the only input word)");
    directional(&q, q.net->w0 + (size_t)n * 2 * n, gq + (size_t)V * n + (size_t)n * 2 * n,
                (size_t)n * 2 * n, 1e-3f, "W0's recurrent half without TAR");
    free(gq);
    free_probe(&q);
}

/* The switches: the alpha gradient alone and the weights' alone equal the
 * full backward's; backward runs once per forward. */
static void check_switches_and_threads(void)
{
    const RnnShape shape = {31, 8, 8, 4, 4};
    Probe p = make_probe(&shape, 4, 1e-3f, 21);
    RnnNet *net = p.net;
    const size_t nw = net->nweights, na = RNN_EDGES * RNN_OP_COUNT;
    float *g = malloc(nw * sizeof(float)), ga[RNN_EDGES * RNN_OP_COUNT];
    const double l1 = total_at(&p);
    rnn_backward(net, 1, 1);
    memcpy(g, net->grad, nw * sizeof(float));
    memcpy(ga, net->g_alpha, sizeof ga);
    ok(rnn_backward(net, 1, 1) == -1, "a second backward of the same forward is refused");
    const int32_t keep = p.words[3];
    p.words[3] = shape.ntoken;
    ok(isnan(total_at(&p)) && rnn_backward(net, 1, 1) == -1,
       "a word id out of range: NaN loss, nothing to take back");
    p.words[3] = keep;
    ok(isnan(rnn_forward(net, p.words, p.targets, shape.bptt_max + 1, p.h0, p.h, 1, 0.0f).loss),
       "a sequence longer than planned: NaN loss");
    const double l2 = total_at(&p);
    ok(l1 == l2, "a forward does not depend on the one before it (running statistics aside)");
    rnn_backward(net, 0, 1);
    ok(memcmp(ga, net->g_alpha, sizeof ga) == 0, "the alpha gradient alone equals the full one's");
    total_at(&p);
    memset(net->g_alpha, 0, sizeof net->g_alpha);
    rnn_backward(net, 1, 0);
    ok(memcmp(g, net->grad, nw * sizeof(float)) == 0,
       "the weight gradient alone equals the full one's");
    float zero[RNN_EDGES * RNN_OP_COUNT] = {0};
    ok(memcmp(zero, net->g_alpha, sizeof zero) == 0, "want_alpha = 0 leaves the alphas' alone");

    parallel_set_threads(2);
    const double l3 = total_at(&p);
    rnn_backward(net, 1, 1);
    parallel_set_threads(1);
    double worst = 0.0;
    for (size_t i = 0; i < nw; i++)
        worst = fmax(worst, fabs(net->grad[i] - g[i]) / (fabs(g[i]) + 1e-3));
    for (size_t i = 0; i < na; i++)
        worst = fmax(worst, fabs(net->g_alpha[i] - ga[i]) / (fabs(ga[i]) + 1e-3));
    ok(fabs(l3 - l1) <= 1e-6 * fabs(l1) && worst <= 1e-5,
       "2 threads: loss %.9g vs %.9g, gradients within %.2g", l3, l1, worst);
    free(g);
    free_probe(&p);
}

static void check_bad_shapes(void)
{
    char err[512];
    const RnnShape bad[] = {{10, 4, 5, 2, 3}, {10, 4, 4, 1, 3}, {1, 4, 4, 2, 3}, {10, 4, 4, 2, 0}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        err[0] = '\0';
        RnnNet *net = rnn_create(&bad[k], err, sizeof err);
        ok(!net && strstr(err, "expected"), "bad shape %zu refused: %s", k, err);
        rnn_free(net);
    }
}

int main(void)
{
    parallel_set_threads(1);
    check_reference();
    check_derivation_ties();
    check_gradients();
    check_switches_and_threads();
    check_bad_shapes();
    return tap_done();
}
