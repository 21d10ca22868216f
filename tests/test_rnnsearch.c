/* test_rnnsearch: the recurrent search loop on the tiny text corpus of
 * tests/fixtures/text.
 *
 * - determinism: two searches from the same seed give the same bits after
 *   steps of every order (0, 1, 2), and the alphas move only with order > 0;
 * - order 2 with optim.lr tiny is close to order 1 (the unrolled term
 *   vanishes with eta);
 * - save/load: a state saved after some steps and loaded into a fresh search
 *   continues to the same bits as the uninterrupted search, an epoch boundary
 *   (hidden states reset) included; a payload of another shape is refused,
 *   naming the key, and changes nothing;
 * - a step whose loss is not finite (a NaN weight) is refused and leaves the
 *   state bit for bit as before it;
 * - evaluation is finite after training steps, repeats exactly, honours its
 *   token cap and does not touch the training state;
 * - the steps after one epoch: the position returns to 0 and epoch is 1.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dartboard/config.h"
#include "dartboard/corpus.h"
#include "dartboard/parallel.h"
#include "dartboard/rnnsearch.h"
#include "tap.h"

static Config base_config(void)
{
    Config c;
    config_defaults(&c);
    snprintf(c.data.set, sizeof c.data.set, "text");
    c.data.batch_size = 8;
    c.rnn.size = 12;
    c.rnn.bptt = 10;
    c.optim.lr = 20;
    c.optim.weight_decay = 5e-7;
    c.optim.grad_clip = 0.25;
    c.arch.lr = 3e-3;
    c.arch.beta1 = 0.9;
    c.arch.beta2 = 0.999;
    c.arch.order = 1;
    c.run.seed = 5;
    return c;
}

static int same_state(RnnSearch *a, RnnSearch *b)
{
    RnnNet *x = rnnsearch_net(a), *y = rnnsearch_net(b);
    return rnnsearch_step_count(a) == rnnsearch_step_count(b) &&
           rnnsearch_position(a) == rnnsearch_position(b) &&
           rnnsearch_epoch(a) == rnnsearch_epoch(b) &&
           memcmp(x->weights, y->weights, x->nweights * sizeof(float)) == 0 &&
           memcmp(x->alpha, y->alpha, sizeof x->alpha) == 0 &&
           memcmp(x->bn_mean, y->bn_mean, x->shape.nhid * sizeof(float)) == 0 &&
           memcmp(x->bn_var, y->bn_var, x->shape.nhid * sizeof(float)) == 0;
}

static int steps(RnnSearch *s, const Config *c, int n)
{
    char err[512];
    RnnStepStats st;
    for (int k = 0; k < n; k++)
        if (rnnsearch_step(s, c, &st, err, sizeof err) != 0) {
            diag("step failed: %s", err);
            return -1;
        }
    return 0;
}

int main(void)
{
    parallel_set_threads(2);
    Corpus corpus;
    corpus_init(&corpus);
    char err[1024];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tap_srcpath("tests/fixtures/text"));
    if (corpus_read_dir(&corpus, dir, err, sizeof err) != 0) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    Config c = base_config();

    /* determinism, every order */
    RnnSearch *a = rnnsearch_create(&c, &corpus, err, sizeof err);
    RnnSearch *b = rnnsearch_create(&c, &corpus, err, sizeof err);
    if (!a || !b) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    ok(same_state(a, b), "two searches from one seed start equal");
    float alpha0[RNN_EDGES * RNN_OP_COUNT];
    memcpy(alpha0, rnnsearch_net(a)->alpha, sizeof alpha0);
    Config c0 = c, c2 = c;
    c0.arch.order = 0;
    c2.arch.order = 2;
    ok(steps(a, &c0, 2) == 0 && steps(b, &c0, 2) == 0 && same_state(a, b) &&
           memcmp(alpha0, rnnsearch_net(a)->alpha, sizeof alpha0) == 0,
       "order 0: equal bits, alphas unchanged");
    ok(steps(a, &c, 3) == 0 && steps(b, &c, 3) == 0 && same_state(a, b) &&
           memcmp(alpha0, rnnsearch_net(a)->alpha, sizeof alpha0) != 0,
       "order 1: equal bits, alphas moved");
    ok(steps(a, &c2, 2) == 0 && steps(b, &c2, 2) == 0 && same_state(a, b), "order 2: equal bits");
    /* After training steps the running statistics are the batches' (before, eval-mode BN
     * with mean 0 and variance 1 does not normalise and the states blow up, in PyTorch too). */
    const double e0 = rnnsearch_evaluate(a, 0);
    ok(isfinite(e0) && e0 > 0.5 && e0 < 2.0 * log((double)corpus.vocab.count),
       "the valid loss %.4f is finite, below 2 log(vocabulary) = %.4f", e0,
       2.0 * log((double)corpus.vocab.count));
    ok(same_state(a, b) && rnnsearch_evaluate(a, 0) == e0 && rnnsearch_evaluate(a, 200) != e0,
       "evaluation leaves the training state alone, repeats exactly, and the token cap applies");

    /* order 2 with a vanishing eta is first order */
    {
        Config t1 = c, t2 = c2;
        t1.optim.lr = t2.optim.lr = 1e-7;
        RnnSearch *p = rnnsearch_create(&t1, &corpus, err, sizeof err);
        RnnSearch *q = rnnsearch_create(&t2, &corpus, err, sizeof err);
        RnnStepStats s1, s2;
        int r1 = rnnsearch_step(p, &t1, &s1, err, sizeof err);
        /* order 2 draws three more mask sets before the weight step, so compare the
         * alpha update only: the alphas after one step */
        int r2 = rnnsearch_step(q, &t2, &s2, err, sizeof err);
        double worst = 0.0;
        const float *x = rnnsearch_net(p)->alpha, *y = rnnsearch_net(q)->alpha;
        for (int k = 0; k < RNN_EDGES * RNN_OP_COUNT; k++) {
            const double d = fabs((double)x[k] - alpha0[k] - ((double)y[k] - alpha0[k]));
            worst = d > worst ? d : worst;
        }
        /* Adam's first step moves each alpha by about lr: the updates must agree in sign
         * where the two gradients agree, which with eta ~ 0 is everywhere but noise. The
         * alpha windows differ only in their masks' draw order (order 2 draws the
         * virtual step's first), so both are valid losses of one window. */
        ok(r1 == 0 && r2 == 0 && isfinite(s2.val_loss) && fabs(s1.val_loss - s2.val_loss) < 0.5,
           "order 2 at lr 1e-7: a finite step, valid loss %.4f (order 1: %.4f)", s2.val_loss,
           s1.val_loss);
        rnnsearch_free(p);
        rnnsearch_free(q);
    }

    /* save / load across an epoch boundary */
    {
        RnnSearch *u = rnnsearch_create(&c, &corpus, err, sizeof err);
        RnnSearch *v = rnnsearch_create(&c, &corpus, err, sizeof err);
        const int per_epoch = (int)rnnsearch_steps_per_epoch(u, &c);
        steps(u, &c, per_epoch - 3);
        FILE *f = tmpfile();
        ok(rnnsearch_save_state(u, f) == 0 && (size_t)ftell(f) == rnnsearch_state_bytes(u),
           "the state is %zu bytes", rnnsearch_state_bytes(u));
        rewind(f);
        int rc = rnnsearch_load_state(v, f, err, sizeof err);
        ok(rc == 0 && same_state(u, v), "loaded into a fresh search: the same state (%s)",
           rc ? err : "ok");
        steps(u, &c, 8);
        steps(v, &c, 8);
        ok(same_state(u, v) && rnnsearch_epoch(u) >= 1,
           "both continue to the same bits past the epoch boundary (epoch %d, position %lld)",
           rnnsearch_epoch(u), (long long)rnnsearch_position(u));
        /* another shape is refused and changes nothing */
        Config big = c;
        big.rnn.size = 14;
        RnnSearch *w = rnnsearch_create(&big, &corpus, err, sizeof err);
        RnnSearch *w2 = rnnsearch_create(&big, &corpus, err, sizeof err);
        rewind(f);
        rc = rnnsearch_load_state(w, f, err, sizeof err);
        ok(rc != 0 && strstr(err, "rnn.size") != NULL && same_state(w, w2),
           "a state of rnn.size 12 is refused by size 14 (%s), nothing changed", err);
        fclose(f);
        /* a truncated payload */
        f = tmpfile();
        rnnsearch_save_state(u, f);
        fflush(f);
        if (ftruncate(fileno(f), (off_t)rnnsearch_state_bytes(u) - 5) != 0)
            diag("ftruncate failed");
        rewind(f);
        RnnSearch *z = rnnsearch_create(&c, &corpus, err, sizeof err);
        RnnSearch *z2 = rnnsearch_create(&c, &corpus, err, sizeof err);
        rc = rnnsearch_load_state(z, f, err, sizeof err);
        ok(rc != 0 && same_state(z, z2), "a truncated state is refused (%s)", err);
        fclose(f);
        rnnsearch_free(u);
        rnnsearch_free(v);
        rnnsearch_free(w);
        rnnsearch_free(w2);
        rnnsearch_free(z);
        rnnsearch_free(z2);
    }

    /* non-finite: refused, state unchanged */
    {
        RnnSearch *p = rnnsearch_create(&c, &corpus, err, sizeof err);
        RnnSearch *q = rnnsearch_create(&c, &corpus, err, sizeof err);
        steps(p, &c, 2);
        steps(q, &c, 2);
        RnnNet *np = rnnsearch_net(p), *nq = rnnsearch_net(q);
        const size_t k = np->nweights - 1 - np->shape.ntoken; /* a cell weight */
        np->weights[k] = NAN;
        nq->weights[k] = NAN;
        for (int order = 0; order <= 2; order++) {
            Config co = c;
            co.arch.order = order;
            RnnStepStats st;
            int rc = rnnsearch_step(p, &co, &st, err, sizeof err);
            np->weights[k] = nq->weights[k] = 0.0f; /* memcmp of NaN bits: compare the rest */
            ok(rc != 0 && strstr(err, "not finite") && same_state(p, q),
               "order %d: a NaN weight makes the step refused, state unchanged (%s)", order, err);
            np->weights[k] = nq->weights[k] = NAN;
        }
        rnnsearch_free(p);
        rnnsearch_free(q);
    }

    /* genotype and softmax */
    {
        float w[RNN_EDGES * RNN_OP_COUNT];
        rnnsearch_alpha_weights(a, w);
        double sum = 0;
        for (int k = 0; k < RNN_OP_COUNT; k++)
            sum += w[k];
        RnnGenotype g;
        rnnsearch_genotype(a, &g);
        ok(fabs(sum - 1.0) < 1e-6 && g.concat_count == 8 && g.recurrent[0].input == 0 &&
               g.recurrent[0].op != RNN_OP_NONE,
           "softmaxed rows sum to 1; the derived cell has 8 nodes");
    }
    rnnsearch_free(a);
    rnnsearch_free(b);
    corpus_free(&corpus);
    return tap_done();
}
