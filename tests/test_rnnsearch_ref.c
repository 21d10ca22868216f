/* test_rnnsearch_ref: a few steps of the recurrent search against the PyTorch
 * reference (tests/fixtures/rnnsearch/steps.fix, made by
 * tests/reference/make_rnnsearch_fixtures.py from darts_rnn_ref.py's classes
 * driven as train_search.py drives them): the same token streams, initial
 * weights and alphas, dropouts 0, first order. Per step the window length
 * (dartboard's generator, replayed by the script), the valid loss of the alpha
 * step and the train loss of the weight step, within 1e-4 relative; after
 * the last step the weights, alphas and BN running statistics, each vector
 * within 1e-4 relative in norm.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/config.h"
#include "dartboard/parallel.h"
#include "dartboard/rnnsearch.h"
#include "fixture.h"
#include "tap.h"

#define RTOL 1e-4

static const FixtureTensor *need(const Fixture *f, const char *name)
{
    const FixtureTensor *t = fixture_get(f, name);
    if (!t) {
        printf("Bail out! fixture tensor %s missing\n", name);
        exit(99);
    }
    return t;
}

/* ||got - want|| / ||want||: with lr 20 a weight's float rounding differences
 * grow step by step, so a single small weight is no measure of agreement. */
static double worst(const float *got, const float *want, size_t n)
{
    double d = 0, w = 0;
    for (size_t k = 0; k < n; k++) {
        d += ((double)got[k] - want[k]) * ((double)got[k] - want[k]);
        w += (double)want[k] * want[k];
    }
    return w > 0 ? sqrt(d / w) : sqrt(d);
}

int main(void)
{
    parallel_set_threads(1);
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/rnnsearch/steps.fix"));
    if (!f) {
        printf("Bail out! the fixture tests/fixtures/rnnsearch/steps.fix\n");
        return 99;
    }
    const int32_t *spec = need(f, "spec")->data;
    const int V = spec[0], nhid = spec[1], B = spec[2], bptt = spec[3], steps = spec[4];
    const FixtureTensor *tr = need(f, "train_ids"), *va = need(f, "valid_ids");
    /* A corpus of the fixture's ids: the search reads the ids, the lengths
     * and the vocabulary's size. */
    Corpus c;
    corpus_init(&c);
    c.vocab.count = V;
    c.ids[CORPUS_TRAIN] = (int32_t *)tr->data;
    c.len[CORPUS_TRAIN] = (int64_t)tr->count;
    c.ids[CORPUS_VALID] = (int32_t *)va->data;
    c.len[CORPUS_VALID] = (int64_t)va->count;
    Config cfg;
    config_defaults(&cfg);
    snprintf(cfg.data.set, sizeof cfg.data.set, "text");
    cfg.data.batch_size = B;
    cfg.rnn.size = nhid;
    cfg.rnn.bptt = bptt;
    cfg.rnn.dropout = cfg.rnn.dropout_hidden = cfg.rnn.dropout_x = cfg.rnn.dropout_input =
        cfg.rnn.dropout_embed = 0;
    cfg.rnn.tar = 1e-3;
    cfg.optim.lr = 20;
    cfg.optim.weight_decay = 5e-7;
    cfg.optim.grad_clip = 0.25;
    cfg.arch.order = 1;
    cfg.arch.lr = 3e-3;
    cfg.arch.weight_decay = 1e-3;
    cfg.arch.beta1 = 0.9;
    cfg.arch.beta2 = 0.999;
    cfg.run.seed = (uint64_t)spec[5];
    char err[512];
    RnnSearch *s = rnnsearch_create(&cfg, &c, err, sizeof err);
    if (!s) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    RnnNet *net = rnnsearch_net(s);
    const FixtureTensor *w0 = need(f, "weights0");
    if (w0->count != net->nweights) {
        printf("Bail out! %zu weights in the fixture, %zu here\n", w0->count, net->nweights);
        return 99;
    }
    memcpy(net->weights, w0->data, net->nweights * sizeof(float));
    memcpy(net->alpha, need(f, "alpha0")->data, sizeof net->alpha);
    const int32_t *seq = need(f, "seq_len")->data;
    const double *tl = need(f, "train_loss")->data, *vl = need(f, "val_loss")->data;
    for (int k = 0; k < steps; k++) {
        RnnStepStats st;
        int rc = rnnsearch_step(s, &cfg, &st, err, sizeof err);
        ok(rc == 0 && st.seq_len == seq[k], "step %d: window of %d rows (reference %d)", k + 1,
           st.seq_len, seq[k]);
        ok(close_enough(st.val_loss, vl[k], RTOL, 1e-6, "valid loss"),
           "step %d: valid loss %.6f (reference %.6f)", k + 1, st.val_loss, vl[k]);
        ok(close_enough(st.train_loss, tl[k], RTOL, 1e-6, "train loss"),
           "step %d: train loss %.6f (reference %.6f)", k + 1, st.train_loss, tl[k]);
    }
    double dw = worst(net->weights, need(f, "weights")->data, net->nweights);
    double da = worst(net->alpha, need(f, "alpha")->data, RNN_EDGES * RNN_OP_COUNT);
    double dm = worst(net->bn_mean, need(f, "bn_mean")->data, (size_t)nhid);
    double dv = worst(net->bn_var, need(f, "bn_var")->data, (size_t)nhid);
    ok(dw < RTOL, "weights after %d steps: relative difference %.2g in norm", steps, dw);
    ok(da < RTOL, "alphas after %d steps: relative difference %.2g in norm", steps, da);
    ok(dm < RTOL && dv < RTOL, "BN running mean and variance: %.2g, %.2g", dm, dv);
    rnnsearch_free(s);
    fixture_free(f);
    return tap_done();
}
