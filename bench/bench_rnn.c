/* bench_rnn: see include/dartboard/bench_rnn.h */
#include "config.h"
#include "dartboard/bench_rnn.h"

#include <stdlib.h>
#include <string.h>

#include "dartboard/bench_common.h"
#include "dartboard/config.h"
#include "dartboard/corpus.h"
#include "dartboard/parallel.h"
#include "dartboard/rnnsearch.h"
#include "dartboard/rnntrain.h"

/* Words "w0".."w{ntoken-2}" (every one once first, so the vocabulary is
 * whole) then uniform draws, in lines of 20 words; "<eos>" ends each line. */
static char *synthetic_text(int ntoken, int64_t words, Rng *rng, size_t *len)
{
    const size_t cap = (size_t)(words + ntoken) * 8 + 16;
    char *t = malloc(cap);
    if (!t)
        return NULL;
    size_t n = 0;
    for (int64_t k = 0; k < words; k++) {
        const int w = k < ntoken - 1 ? (int)k : (int)rng_below(rng, (uint32_t)(ntoken - 1));
        n += (size_t)snprintf(t + n, cap - n, "w%d%s", w, k % 20 == 19 ? "\n" : " ");
    }
    *len = n;
    return t;
}

/* A corpus of `ntoken` words: `train_words` words of training text, and
 * valid and test splits of `other_words` words that add no new word. */
static int synthetic_corpus(Corpus *c, int ntoken, int64_t train_words, int64_t other_words,
                            char *err, size_t errlen)
{
    Rng rng;
    rng_seed(&rng, 3);
    corpus_init(c);
    size_t lt, lo;
    char *tt = synthetic_text(ntoken, train_words, &rng, &lt);
    char *to = synthetic_text(1, other_words, &rng, &lo); /* "w0" only: no new words */
    int rc = -1;
    if (!tt || !to) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < lo; k++) /* "w0" would add nothing; "w1" exists in train too */
        if (to[k] == '0')
            to[k] = '1';
    if (corpus_seed_eos(c, err, errlen) == 0 &&
        corpus_add_text(c, CORPUS_TRAIN, tt, lt, "synthetic train", err, errlen) == 0 &&
        corpus_add_text(c, CORPUS_VALID, to, lo, "synthetic valid", err, errlen) == 0 &&
        corpus_add_text(c, CORPUS_TEST, to, lo, "synthetic test", err, errlen) == 0)
        rc = 0;
out:
    free(tt);
    free(to);
    return rc;
}

int bench_rnn(FILE *out, int order, int steps, int warmup, int threads, int ntoken, int size,
              int batch, int bptt)
{
    char err[1024];
    if (ntoken < 3 || size < 1 || batch < 2 || bptt < 2 || steps < 1 || warmup < 0 || order < 0 ||
        order > 2) {
        fprintf(stderr, "dartboard: bench --rnn: bad shape or counts\n");
        return -1;
    }
    parallel_set_threads(threads);
    Config cfg;
    config_defaults(&cfg);
    snprintf(cfg.data.set, sizeof cfg.data.set, "text");
    cfg.data.batch_size = batch;
    cfg.rnn.size = size;
    cfg.rnn.bptt = bptt;
    cfg.optim.lr = 20;
    cfg.optim.weight_decay = 5e-7;
    cfg.optim.grad_clip = 0.25;
    cfg.arch.order = order;
    cfg.arch.lr = 3e-3;
    cfg.arch.beta1 = 0.9;
    cfg.arch.beta2 = 0.999;
    cfg.run.seed = 3;
    /* Enough rows that the timed steps never wrap an epoch. */
    int64_t train_words = (int64_t)batch * ((int64_t)(steps + warmup + 2) * bptt + 4);
    if (train_words < 2 * (int64_t)ntoken) /* room for every word of the vocabulary */
        train_words = 2 * (int64_t)ntoken;
    Corpus c;
    int rc = -1;
    RnnSearch *s = NULL;
    double *ms = malloc((size_t)steps * sizeof *ms);
    if (!ms ||
        synthetic_corpus(&c, ntoken, train_words, (int64_t)batch * ((int64_t)bptt + 2), err,
                         sizeof err) != 0 ||
        !(s = rnnsearch_create(&cfg, &c, err, sizeof err))) {
        fprintf(stderr, "dartboard: bench --rnn: %s\n", ms ? err : "out of memory");
        goto out;
    }
    const size_t nweights = rnnsearch_net(s)->nweights;
    fprintf(out,
            "recurrent search: vocabulary %d, %d/%d, batch %d, bptt %d, order %d, %d thread(s), "
            "%zu weights\n",
            c.vocab.count, size, size, batch, bptt, order, threads, nweights);
    for (int k = -warmup; k < steps; k++) {
        RnnStepStats st;
        const double t0 = bench_now_s();
        if (rnnsearch_step(s, &cfg, &st, err, sizeof err) != 0) {
            fprintf(stderr, "dartboard: bench --rnn: %s\n", err);
            goto out;
        }
        const double t = (bench_now_s() - t0) * 1e3;
        fprintf(out, "step %d: %.1f ms (window %d), loss %.4f\n", k, t, st.seq_len, st.train_loss);
        fflush(out);
        if (k >= 0)
            ms[k] = t;
    }
    const double med = bench_median(ms, steps);
    fprintf(out,
            "RESULT rnn-bench ntoken=%d emsize=%d nhid=%d batch=%d bptt=%d threads=%d order=%d "
            "weights=%zu median_ms=%.1f tokens_per_s=%.0f peak_rss_mib=%.0f\n",
            c.vocab.count, size, size, batch, bptt, threads, order, nweights, med,
            batch * bptt * 1000.0 / med, bench_peak_rss_mib());
    rc = 0;
out:
    rnnsearch_free(s);
    corpus_free(&c);
    free(ms);
    return rc;
}

int bench_rnn_train(FILE *out, int steps, int warmup, int threads, int ntoken, int size, int batch,
                    int bptt)
{
    char err[1024];
    if (ntoken < 3 || size < 2 || batch < 1 || bptt < 2 || steps < 1 || warmup < 0) {
        fprintf(stderr, "dartboard: bench --rnn --train: bad shape or counts\n");
        return -1;
    }
    parallel_set_threads(threads);
    Config cfg;
    config_defaults(&cfg);
    if (config_load_preset(&cfg, "rnn-train-ptb", err, sizeof err) != 0) { /* the paper's recipe */
        fprintf(stderr, "dartboard: bench --rnn --train: %s\n", err);
        return -1;
    }
    cfg.rnn.size = size;
    cfg.data.batch_size = batch;
    cfg.rnn.bptt = bptt;
    cfg.run.threads = threads;
    /* Windows run up to bptt + 20 long (train.py's draw); room for all. */
    int64_t train_words = (int64_t)batch * ((int64_t)(steps + warmup + 2) * (bptt + 30) + 4);
    if (train_words < 2 * (int64_t)ntoken)
        train_words = 2 * (int64_t)ntoken;
    Corpus c;
    int rc = -1;
    RnnTrainer *t = NULL;
    double *ms = malloc((size_t)steps * sizeof *ms);
    if (!ms || synthetic_corpus(&c, ntoken, train_words, 2000, err, sizeof err) != 0 ||
        !(t = rnn_trainer_create(&cfg, &rnn_genotype_darts_v2, &c, err, sizeof err))) {
        fprintf(stderr, "dartboard: bench --rnn --train: %s\n", ms ? err : "out of memory");
        goto out;
    }
    fprintf(out,
            "recurrent training (DARTS_V2): vocabulary %d, size %d, batch %d, bptt %d, "
            "%d thread(s), %zu weights\n",
            c.vocab.count, size, batch, bptt, threads, rnn_trainer_param_count(t));
    double total_ms = 0.0;
    long tokens = 0;
    for (int k = -warmup; k < steps; k++) {
        RnnTrainStats st;
        const double t0 = bench_now_s();
        if (rnn_trainer_step(t, &cfg, &st, err, sizeof err) != 0) {
            fprintf(stderr, "dartboard: bench --rnn --train: %s\n", err);
            goto out;
        }
        const double dt = (bench_now_s() - t0) * 1e3;
        fprintf(out, "step %d: %.1f ms (%d tokens), loss %.4f\n", k, dt, st.tokens, st.loss);
        fflush(out);
        if (k >= 0) {
            ms[k] = dt;
            total_ms += dt;
            tokens += st.tokens;
        }
    }
    fprintf(out,
            "RESULT rnn-train ntoken=%d size=%d batch=%d bptt=%d threads=%d params=%zu "
            "median_ms=%.1f tokens_per_s=%.0f peak_rss_mib=%.0f\n",
            c.vocab.count, size, batch, bptt, threads, rnn_trainer_param_count(t),
            bench_median(ms, steps), tokens * 1000.0 / total_ms, bench_peak_rss_mib());
    rc = 0;
out:
    rnn_trainer_free(t);
    corpus_free(&c);
    free(ms);
    return rc;
}
