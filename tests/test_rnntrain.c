/* test_rnntrain: the derived recurrent cell's language model (rnnmodel.h) and
 * its training from scratch (rnntrain.h).
 *
 * Against PyTorch (tests/reference/make_rnn_train_fixtures.py: model.py's
 * DARTSCell for DARTS_V2 and train.py's update): the same weights, tokens,
 * carried hidden state and masks give the same loss, total, flat gradient,
 * next hidden state and evaluation loss; eight train.py steps with those masks
 * (SGD with weight decay, clip and lr * seq_len / bptt, then ASGD) give the
 * same weights after the SGD steps and the same weights and average after
 * every ASGD step. Finite differences check the backward of each op kind
 * (cells of one op on mixed predecessors), BPTT over several steps, the tied
 * embedding and the decoder bias. Then the trainer on a tiny corpus: the
 * switch to ASGD follows train.py's rule, the same seed gives the same bits,
 * a state saved and loaded into a fresh trainer continues bit for bit (ASGD
 * average and switch included), a foreign state is refused, and a step and
 * the evaluations allocate nothing. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/corpus.h"
#include "dartboard/parallel.h"
#include "dartboard/rng.h"
#include "dartboard/rnnmodel.h"
#include "dartboard/rnntrain.h"
#include "fixture.h"
#include "noalloc.h"
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

/* A corpus of `words` distinct words (w0.. plus <eos>), lines of 7 words in
 * a fixed pseudo-random order: train, valid, test of the given lines. */
static void tiny_corpus(Corpus *c, int words, const int lines[CORPUS_SPLITS])
{
    char err[512];
    corpus_init(c);
    Rng r;
    rng_seed(&r, 11);
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        char *text = malloc((size_t)lines[s] * 64 + (size_t)words * 8 + 16);
        size_t len = 0;
        if (s == CORPUS_TRAIN) /* every word once first: the vocabulary is complete */
            for (int k = 0; k < words - 1; k++)
                len += (size_t)sprintf(text + len, "w%d%s", k, k == words - 2 ? "\n" : " ");
        for (int l = 0; l < lines[s]; l++)
            for (int k = 0; k < 7; k++) {
                /* a skewed choice, so there is something to learn */
                uint32_t u = rng_below(&r, (uint32_t)(words - 1));
                uint32_t id = k > 0 && rng_uniform(&r) < 0.6f ? (uint32_t)((l * 7 + k) % 5) : u;
                len += (size_t)sprintf(text + len, "w%u%s", id, k == 6 ? "\n" : " ");
            }
        if (corpus_add_text(c, (CorpusSplit)s, text, len, corpus_split_name((CorpusSplit)s), err,
                            sizeof err) != 0) {
            printf("Bail out! %s\n", err);
            exit(99);
        }
        free(text);
    }
}

static Config base_config(int size, int batch, int bptt)
{
    Config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.rnn.size = size;
    cfg.rnn.bptt = bptt;
    cfg.data.batch_size = batch;
    cfg.optim.lr = 20.0;
    cfg.optim.weight_decay = 8e-7;
    cfg.optim.grad_clip = 0.25;
    cfg.rnn.dropout = 0.75;
    cfg.rnn.dropout_hidden = 0.25;
    cfg.rnn.dropout_x = 0.75;
    cfg.rnn.dropout_input = 0.2;
    cfg.rnn.dropout_embed = 0.1;
    cfg.rnn.tar = 1e-3;
    cfg.rnn.nonmono = 5;
    cfg.run.seed = 3;
    cfg.run.epochs = 10;
    return cfg;
}

static RnnTrainer *make_trainer(const Config *cfg, const Corpus *c)
{
    char err[512];
    RnnTrainer *t = rnn_trainer_create(cfg, &rnn_genotype_darts_v2, c, err, sizeof err);
    if (!t) {
        printf("Bail out! %s\n", err);
        exit(99);
    }
    return t;
}

/* ------------------------------------------------------------ PyTorch */

static void set_masks(RnnModel *m, const Fixture *f)
{
    const int V = m->shape.ntoken, n = m->shape.nhid, B = m->shape.batch;
    fixture_copy(m->mask_embed, f, "mask_embed", V);
    fixture_copy(m->mask_in, f, "mask_in", B * n);
    fixture_copy(m->mask_x, f, "mask_x", B * n);
    fixture_copy(m->mask_h, f, "mask_h", B * n);
    fixture_copy(m->mask_out, f, "mask_out", B * n);
}

static void check_reference(void)
{
    char err[512];
    Fixture *f = fixture_need_file("tests/fixtures/rnn/train.fix");
    const int32_t *spec = fixture_need(f, "spec", 5);
    const RnnShape shape = {spec[0], spec[1], spec[2], spec[3], spec[4]};
    const int V = shape.ntoken, n = shape.nhid, B = shape.batch, T = shape.bptt_max;
    const int32_t *geno = fixture_need(f, "genotype", 2 * RNN_NODES);
    int same = 1;
    for (int i = 0; i < RNN_NODES; i++)
        same &= rnn_genotype_darts_v2.recurrent[i].op == geno[2 * i] &&
                rnn_genotype_darts_v2.recurrent[i].input == geno[2 * i + 1];
    ok(same, "the fixture's cell is DARTS_V2");
    RnnModel *m = rnn_model_create(&shape, &rnn_genotype_darts_v2, 1, err, sizeof err);
    if (!m) {
        printf("Bail out! %s\n", err);
        exit(99);
    }
    const int32_t count = *(const int32_t *)fixture_need(f, "weight_count", 1);
    ok((size_t)count == m->nweights && m->nweights == rnn_model_weight_count(V, n, n),
       "weight count %zu, the reference's %d", m->nweights, count);
    float *w = malloc(m->nweights * sizeof(float)), *g = malloc(m->nweights * sizeof(float));
    for (size_t i = 0; i < m->nweights; i++)
        w[i] = fixture_weight_hash(i);
    set_masks(m, f);
    const int32_t *words = fixture_need(f, "words", T * B),
                  *targets = fixture_need(f, "targets", T * B);
    const float beta = *(const float *)fixture_need(f, "beta", 1);
    const double *want_loss = fixture_need(f, "loss", 2);
    float *h = malloc(B * n * sizeof(float));
    memcpy(h, fixture_need(f, "h0", B * n), B * n * sizeof(float));
    RnnLoss l = rnn_model_forward(m, w, words, targets, T, h, h, 1, beta);
    ok(close_enough(l.loss, want_loss[0], RTOL, 0.0, "loss"), "loss %.7f, the reference's %.7f",
       l.loss, want_loss[0]);
    ok(close_enough(l.total, want_loss[1], RTOL, 0.0, "total"),
       "loss + TAR %.7f, the reference's %.7f", l.total, want_loss[1]);
    ok(tensor_close(h, fixture_need(f, "h_next", B * n), B * n, "h_next"), "the next hidden state");
    ok(rnn_model_backward(m, w, g) == 0, "backward of a training forward");
    const float *want_g = fixture_need(f, "grad", m->nweights);
    ok(tensor_close(g, want_g, m->nweights, "grad"),
       "the flat gradient (tied embedding, W0, W1..W8, decoder bias) matches");
    static const char *const blocks[] = {"embedding", "W0", "W1..W8", "decoder bias"};
    const size_t sizes[] = {(size_t)V * n, (size_t)2 * n * 2 * n, (size_t)8 * n * 2 * n, (size_t)V};
    for (size_t b = 0, off = 0; b < 4; off += sizes[b], b++)
        ok(tensor_close(g + off, want_g + off, sizes[b], blocks[b]),
           "the %s gradient matches on its own scale", blocks[b]);
    ok(rnn_model_backward(m, w, g) == -1, "a second backward of the same forward is refused");
    memcpy(h, fixture_need(f, "h0", B * n), B * n * sizeof(float));
    RnnLoss e = rnn_model_forward(m, w, words, targets, T, h, h, 0, 0.0f);
    const double want_eval = *(const double *)fixture_need(f, "eval_loss", 1);
    ok(close_enough(e.loss, want_eval, RTOL, 0.0, "eval loss"),
       "evaluation loss (no dropout) %.7f, the reference's %.7f", e.loss, want_eval);
    ok(tensor_close(h, fixture_need(f, "eval_h_next", B * n), B * n, "eval_h_next"),
       "evaluation's next hidden state");
    ok(rnn_model_backward(m, w, g) == -1, "no backward of an evaluation forward");
    RnnModel *ev = rnn_model_create(&shape, &rnn_genotype_darts_v2, 0, err, sizeof err);
    memcpy(h, fixture_need(f, "h0", B * n), B * n * sizeof(float));
    RnnLoss e2 = rnn_model_forward(ev, w, words, targets, T, h, h, 0, 0.0f);
    ok(ev && e2.loss == e.loss &&
           isnan(rnn_model_forward(ev, w, words, targets, T, h, h, 1, 0.0f).loss),
       "an evaluation-only model evaluates the same bits and refuses a training forward");
    rnn_model_free(ev);
    rnn_model_free(m);

    /* train.py's steps: a trainer over a corpus of the fixture's vocabulary */
    const double *opt = fixture_need(f, "optim", 3);
    const int32_t *seq = fixture_need(f, "seq_lens", 8);
    const int sgd_steps = *(const int32_t *)fixture_need(f, "sgd_steps", 1);
    Corpus c;
    tiny_corpus(&c, V, (const int[]){40, 10, 10});
    Config cfg = base_config(n, B, T);
    cfg.optim.lr = opt[0];
    cfg.optim.weight_decay = opt[1];
    cfg.optim.grad_clip = opt[2];
    cfg.rnn.tar = beta;
    RnnTrainer *t = make_trainer(&cfg, &c);
    float *tw = rnn_trainer_weights(t);
    for (size_t i = 0; i < m->nweights; i++)
        tw[i] = fixture_weight_hash(i);
    set_masks(rnn_trainer_model(t), f);
    const float *want_w = fixture_need(f, "asgd_weights", (size_t)(8 - sgd_steps) * count);
    const float *want_ax = fixture_need(f, "asgd_average", (size_t)(8 - sgd_steps) * count);
    const double *want_step = fixture_need(f, "step_loss", 8);
    int losses = 1;
    for (int k = 0; k < 8; k++) {
        char name[32], tname[32];
        snprintf(name, sizeof name, "step%d_words", k);
        snprintf(tname, sizeof tname, "step%d_targets", k);
        if (k == sgd_steps) {
            ok(tensor_close(tw, fixture_need(f, "after_sgd", count), count, "after_sgd"),
               "weights after %d SGD steps (lr x seq_len / bptt, decay, clip) match", k);
            rnn_trainer_switch_asgd(t);
        }
        RnnTrainStats st;
        if (rnn_trainer_step_fixed(t, &cfg, fixture_need(f, name, (size_t)seq[k] * B),
                                   fixture_need(f, tname, (size_t)seq[k] * B), seq[k], &st, err,
                                   sizeof err) != 0) {
            printf("Bail out! %s\n", err);
            exit(99);
        }
        losses &= close_enough(st.loss, want_step[k], RTOL, 0.0, "step loss");
        if (k >= sgd_steps) {
            char what[64];
            snprintf(what, sizeof what, "ASGD step %d", k - sgd_steps + 1);
            ok(tensor_close(tw, want_w + (size_t)(k - sgd_steps) * count, count, what) &&
                   tensor_close(rnn_trainer_average(t), want_ax + (size_t)(k - sgd_steps) * count,
                                count, what),
               "%s (eta of the previous step): weights and average ax match", what);
        }
    }
    ok(losses, "the 8 steps' losses (hidden state carried between windows) match");
    rnn_trainer_free(t);
    corpus_free(&c);
    free(w);
    free(g);
    free(h);
    fixture_free(f);
}

/* ------------------------------------------------------------ finite differences */

typedef struct Probe {
    RnnModel *m;
    float *w;
    int32_t *words, *targets;
    float *h0, *h;
    int T;
    float beta;
} Probe;

static double total_at(Probe *p)
{
    return rnn_model_forward(p->m, p->w, p->words, p->targets, p->T, p->h0, p->h, 1, p->beta).total;
}

/* Central differences along the unit direction v at steps 2h and h,
 * Richardson-combined, against the backward's dot product (as test_rnnnet). */
static int fd_block(Probe *p, size_t off, size_t count, const float *g, float h, const char *what)
{
    Rng r;
    rng_seed(&r, 99 + count + off);
    float *v = malloc(count * sizeof(float)), *x0 = malloc(count * sizeof(float));
    float *x = p->w + off;
    double norm = 0.0, an = 0.0;
    double gnorm = 0.0;
    for (size_t i = 0; i < count; i++) {
        v[i] = (float)rng_normal(&r);
        norm += (double)v[i] * v[i];
        gnorm += (double)g[off + i] * g[off + i];
    }
    /* half the backward's own direction, half a random one: the derivative
     * is large against the loss's rounding, and an error in any direction
     * still shows */
    for (size_t i = 0; i < count; i++)
        v[i] = (float)(v[i] / sqrt(norm) + (gnorm > 0 ? g[off + i] / sqrt(gnorm) : 0.0));
    norm = 0.0;
    for (size_t i = 0; i < count; i++)
        norm += (double)v[i] * v[i];
    for (size_t i = 0; i < count; i++) {
        v[i] = (float)(v[i] / sqrt(norm));
        an += (double)v[i] * g[off + i];
    }
    memcpy(x0, x, count * sizeof(float));
    double d[2];
    for (int s = 0; s < 2; s++) {
        const float eps = s == 0 ? 2 * h : h;
        for (size_t i = 0; i < count; i++)
            x[i] = x0[i] + eps * v[i];
        const double up = total_at(p);
        for (size_t i = 0; i < count; i++)
            x[i] = x0[i] - eps * v[i];
        const double down = total_at(p);
        d[s] = (up - down) / (2.0 * eps);
    }
    memcpy(x, x0, count * sizeof(float));
    const double fd = (4.0 * d[1] - d[0]) / 3.0;
    free(v);
    free(x0);
    /* a relu kink crossed by the step costs O(h): a wider margin for those cells */
    const int kinks = h < 5e-3f;
    return ok(fabs(fd - an) <= (kinks ? 1e-2 : 3e-3) * fabs(an) + (kinks ? 5e-6 : 2e-6),
              "finite differences, %s: %.7g, backward %.7g", what, fd, an);
}

static void check_gradients_of(const RnnGenotype *g, const char *name)
{
    char err[256];
    const RnnShape shape = {17, 5, 5, 3, 6};
    const int n = shape.nhid, V = shape.ntoken, T = shape.bptt_max;
    Probe p = {0};
    p.m = rnn_model_create(&shape, g, 1, err, sizeof err);
    if (!p.m) {
        printf("Bail out! %s\n", err);
        exit(99);
    }
    Rng r;
    rng_seed(&r, 5);
    p.w = malloc(p.m->nweights * sizeof(float));
    float *grad = malloc(p.m->nweights * sizeof(float));
    rnn_model_init_weights(&shape, p.w, &r);
    /* larger than the published init, so the nonlinearities are not near linear */
    for (size_t i = 0; i < p.m->nweights; i++)
        p.w[i] = p.w[i] * 10.0f + (i >= p.m->nweights - V ? 0.1f * (float)rng_normal(&r) : 0.0f);
    p.m->dropout = (RnnDropout){0.5f, 0.25f, 0.5f, 0.2f, 0.3f};
    rnn_model_draw_masks(p.m, &r);
    const size_t TB = (size_t)T * shape.batch, Bn = (size_t)shape.batch * n;
    p.words = malloc(TB * sizeof(int32_t));
    p.targets = malloc(TB * sizeof(int32_t));
    p.h0 = malloc(Bn * sizeof(float));
    p.h = malloc(Bn * sizeof(float));
    for (size_t i = 0; i < TB; i++) {
        p.words[i] = (int32_t)rng_below(&r, V);
        p.targets[i] = (int32_t)rng_below(&r, V);
    }
    for (size_t i = 0; i < Bn; i++)
        p.h0[i] = (float)(0.5 * rng_normal(&r));
    p.T = T;
    p.beta = 0.5f;
    total_at(&p);
    rnn_model_backward(p.m, p.w, grad);
    /* relu's kinks show at large steps; the smooth ops take a larger step,
     * above the loss's float rounding (their small gradients need it) */
    float h = 1e-2f;
    for (int i = 0; i < RNN_NODES; i++)
        h = g->recurrent[i].op == RNN_OP_RELU ? 1e-3f : h;
    char what[96];
    const size_t o_w0 = (size_t)V * n, o_ws = o_w0 + (size_t)2 * n * 2 * n,
                 o_b = o_ws + (size_t)RNN_NODES * n * 2 * n;
    snprintf(what, sizeof what, "%s, tied embedding (input and decoder)", name);
    fd_block(&p, 0, o_w0, grad, h, what);
    snprintf(what, sizeof what, "%s, W0 over %d steps of BPTT", name, T);
    fd_block(&p, o_w0, o_ws - o_w0, grad, h, what);
    for (int i = 0; i < RNN_NODES; i += 3) { /* nodes 1, 4, 7 */
        snprintf(what, sizeof what, "%s, W%d (node %d: %s on s%d)", name, i + 1, i + 1,
                 rnn_op_names[g->recurrent[i].op], g->recurrent[i].input);
        fd_block(&p, o_ws + (size_t)i * n * 2 * n, (size_t)n * 2 * n, grad, h, what);
    }
    snprintf(what, sizeof what, "%s, decoder bias", name);
    fd_block(&p, o_b, (size_t)V, grad, h, what);
    rnn_model_free(p.m);
    free(p.w);
    free(grad);
    free(p.words);
    free(p.targets);
    free(p.h0);
    free(p.h);
}

static void check_gradients(void)
{
    check_gradients_of(&rnn_genotype_darts_v2, "DARTS_V2");
    check_gradients_of(&rnn_genotype_darts_v1, "DARTS_V1");
    /* one op everywhere, predecessors spread, the output averaging a subset */
    for (int op = RNN_OP_TANH; op < RNN_OP_COUNT; op++) {
        RnnGenotype g = {0};
        for (int i = 0; i < RNN_NODES; i++)
            g.recurrent[i] = (RnnGenoEdge){op, (i * 5) % (i + 1)};
        g.concat_count = 4; /* node 7 only feeds node 8 */
        for (int i = 0; i < 4; i++)
            g.concat[i] = 2 * i + 2;
        g.recurrent[7].input = 7;
        char name[64];
        snprintf(name, sizeof name, "all %s, concat 2,4,6,8", rnn_op_names[op]);
        check_gradients_of(&g, name);
    }
    char err[256];
    const RnnShape shape = {17, 5, 5, 3, 6};
    RnnGenotype bad = rnn_genotype_darts_v2;
    bad.recurrent[3].op = RNN_OP_NONE;
    ok(!rnn_model_create(&shape, &bad, 1, err, sizeof err) && strstr(err, "op"),
       "a cell with none refused: %s", err);
    bad = rnn_genotype_darts_v2;
    bad.recurrent[2].input = 3;
    ok(!rnn_model_create(&shape, &bad, 1, err, sizeof err) && strstr(err, "predecessor"),
       "a predecessor after its node refused: %s", err);
}

/* ------------------------------------------------------------ the trainer */

typedef struct Run {
    double val[64];
    int switched_at;
    int fraction_bad; /* steps after which the part of the epoch done was wrong */
} Run;

static int run_epochs(RnnTrainer *t, const Config *cfg, int epochs, Run *run)
{
    char err[256];
    while (rnn_trainer_epoch(t) < epochs) {
        RnnTrainStats st;
        const double before = rnn_trainer_epoch_fraction(t);
        if (rnn_trainer_step(t, cfg, &st, err, sizeof err) != 0) {
            diag("%s", err);
            return -1;
        }
        /* it grows through the epoch, and is 0 again once the epoch ends */
        const double after = rnn_trainer_epoch_fraction(t);
        run->fraction_bad += st.epoch_done ? after != 0.0 : !(after > before && after < 1.0);
        if (st.epoch_done) {
            int sw, e = rnn_trainer_epoch(t) - 1;
            rnn_trainer_end_epoch(t, cfg, &run->val[e], &sw);
            if (sw)
                run->switched_at = e;
        }
    }
    return 0;
}

static int same_state(RnnTrainer *a, RnnTrainer *b)
{
    const size_t nw = rnn_trainer_param_count(a);
    return rnn_trainer_step_count(a) == rnn_trainer_step_count(b) &&
           rnn_trainer_asgd(a) == rnn_trainer_asgd(b) &&
           memcmp(rnn_trainer_weights(a), rnn_trainer_weights(b), nw * sizeof(float)) == 0 &&
           memcmp(rnn_trainer_average(a), rnn_trainer_average(b), nw * sizeof(float)) == 0;
}

static void check_trainer(void)
{
    char err[512];
    Corpus c;
    tiny_corpus(&c, 30, (const int[]){60, 12, 6});
    Config cfg = base_config(8, 4, 6);
    cfg.rnn.nonmono = 1;
    cfg.optim.lr = 40.0; /* overfits the tiny corpus fast: the switch comes early */

    RnnTrainer *a = make_trainer(&cfg, &c);
    ok(rnn_trainer_param_count(a) == rnn_model_weight_count(30, 8, 8),
       "parameter count %zu (30 words, size 8)", rnn_trainer_param_count(a));
    Run ra = {.switched_at = -1};
    const int epochs = 24;
    const int ran = run_epochs(a, &cfg, epochs, &ra);
    ok(ran == 0, "%d epochs, %lld steps", epochs, (long long)rnn_trainer_step_count(a));
    ok(ra.fraction_bad == 0, "the part of its epoch done grows from 0 to below 1 (%d wrong)",
       ra.fraction_bad);
    ok(ra.switched_at >= 0 && rnn_trainer_asgd(a), "switched to ASGD after epoch %d",
       ra.switched_at + 1);
    /* train.py: switch at the first epoch e with e > nonmono recorded losses
     * and val[e] > min(val[0 .. e - nonmono)) */
    int rule = 1;
    for (int e = 0; e <= ra.switched_at && ra.switched_at >= 0; e++) {
        double least = INFINITY;
        for (int i = 0; i < e - cfg.rnn.nonmono; i++)
            least = ra.val[i] < least ? ra.val[i] : least;
        const int cond = e > cfg.rnn.nonmono && ra.val[e] > least;
        rule &= e < ra.switched_at ? !cond : cond;
    }
    ok(rule, "the switch follows train.py's nonmono rule");
    double best = INFINITY;
    for (int e = 0; e < epochs; e++)
        best = ra.val[e] < best ? ra.val[e] : best;
    ok(rnn_trainer_best_val_loss(a) == best, "the best validation loss %.5f is kept", best);
    const double test = rnn_trainer_test(a);
    ok(isfinite(test) && test > 0, "test loss %.4f on the best weights (perplexity %.2f)", test,
       exp(test));

    /* the same seed: the same bits; a saved state continues bit for bit */
    RnnTrainer *b = make_trainer(&cfg, &c);
    Run rb = {.switched_at = -1};
    run_epochs(b, &cfg, ra.switched_at + 2, &rb);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ok(rnn_trainer_save_state(b, f) == 0, "state saved");
    fclose(f);
    ok(len <= rnn_trainer_state_bytes_max(b), "%zu bytes, within the bound %zu", len,
       rnn_trainer_state_bytes_max(b));
    RnnTrainer *c2 = make_trainer(&cfg, &c);
    f = fmemopen(buf, len, "r");
    ok(rnn_trainer_load_state(c2, f, err, sizeof err) == 0, "state loaded into a fresh trainer");
    fclose(f);
    ok(same_state(b, c2), "the loaded trainer is the saved one (ASGD on: %d)",
       rnn_trainer_asgd(c2));
    Run rc = rb;
    run_epochs(b, &cfg, epochs, &rb);
    run_epochs(c2, &cfg, epochs, &rc);
    ok(same_state(a, b) && same_state(a, c2) && memcmp(ra.val, rc.val, sizeof ra.val) == 0 &&
           rnn_trainer_test(c2) == test,
       "uninterrupted, same seed and resumed: the same weights, average, losses, test loss");
    /* a state of another network is refused, the trainer unchanged */
    Config other = cfg;
    other.rnn.size = 9;
    RnnTrainer *d = make_trainer(&other, &c);
    float first = rnn_trainer_weights(d)[0];
    f = fmemopen(buf, len, "r");
    ok(rnn_trainer_load_state(d, f, err, sizeof err) != 0 && strstr(err, "rnn.size") &&
           rnn_trainer_weights(d)[0] == first && rnn_trainer_step_count(d) == 0,
       "a state of another size refused: %s", err);
    fclose(f);
    f = fmemopen(buf, len - 9, "r");
    ok(rnn_trainer_load_state(c2, f, err, sizeof err) != 0 && same_state(a, c2),
       "a truncated state refused, nothing changed: %s", err);
    fclose(f);
    free(buf);

    /* no allocation in a step or an evaluation */
#if NOALLOC_COUNTS
    for (int threads = 1; threads <= 2; threads++) {
        parallel_set_threads(threads);
        RnnTrainStats st;
        rnn_trainer_step(d, &other, &st, err, sizeof err);
        rnn_trainer_valid(d);
        noalloc_begin();
        int good = 1;
        for (int k = 0; k < 3; k++)
            good &= rnn_trainer_step(d, &other, &st, err, sizeof err) == 0;
        good &= isfinite(rnn_trainer_valid(d)) && isfinite(rnn_trainer_test(d));
        const long allocations = noalloc_end();
        ok(good && allocations == 0, "%d thread(s): 3 steps and both evaluations: %ld allocations",
           threads, allocations);
        noalloc_explain();
    }
    parallel_set_threads(1);
#endif
    /* a split too short for a window */
    Corpus s;
    tiny_corpus(&s, 30, (const int[]){0, 12, 6});
    cfg.rnn.bptt = 20;
    ok(!rnn_trainer_create(&cfg, &rnn_genotype_darts_v2, &s, err, sizeof err) &&
           strstr(err, "train"),
       "a training split shorter than a window refused: %s", err);
    corpus_free(&s);
    rnn_trainer_free(a);
    rnn_trainer_free(b);
    rnn_trainer_free(c2);
    rnn_trainer_free(d);
    corpus_free(&c);
}

int main(void)
{
    parallel_set_threads(1);
    check_reference();
    check_gradients();
    check_trainer();
    return tap_done();
}
