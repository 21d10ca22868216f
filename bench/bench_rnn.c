/* bench_rnn: see include/dartboard/bench_rnn.h */
#include "config.h"
#include "dartboard/bench_rnn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dartboard/config.h"
#include "dartboard/corpus.h"
#include "dartboard/parallel.h"
#include "dartboard/rnnsearch.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

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
    const int64_t valid_words = (int64_t)batch * ((int64_t)bptt + 2);
    Rng rng;
    rng_seed(&rng, 3);
    Corpus c;
    corpus_init(&c);
    size_t lt, lv;
    char *tt = synthetic_text(ntoken, train_words, &rng, &lt);
    char *tv = synthetic_text(1, valid_words, &rng, &lv); /* "w0" only: no new words */
    int rc = -1;
    RnnSearch *s = NULL;
    double *ms = malloc((size_t)steps * sizeof *ms);
    if (!tt || !tv || !ms) {
        fprintf(stderr, "dartboard: bench --rnn: out of memory\n");
        goto out;
    }
    for (size_t k = 0; k < lv; k++) /* "w0" would add nothing; "w1" exists in train too */
        if (tv[k] == '0')
            tv[k] = '1';
    if (corpus_seed_eos(&c, err, sizeof err) != 0 ||
        corpus_add_text(&c, CORPUS_TRAIN, tt, lt, "synthetic train", err, sizeof err) != 0 ||
        corpus_add_text(&c, CORPUS_VALID, tv, lv, "synthetic valid", err, sizeof err) != 0 ||
        !(s = rnnsearch_create(&cfg, &c, err, sizeof err))) {
        fprintf(stderr, "dartboard: bench --rnn: %s\n", err);
        goto out;
    }
    const size_t nweights = rnnsearch_net(s)->nweights;
    fprintf(out,
            "recurrent search: vocabulary %d, %d/%d, batch %d, bptt %d, order %d, %d thread(s), "
            "%zu weights\n",
            c.vocab.count, size, size, batch, bptt, order, threads, nweights);
    for (int k = -warmup; k < steps; k++) {
        RnnStepStats st;
        const double t0 = now_s();
        if (rnnsearch_step(s, &cfg, &st, err, sizeof err) != 0) {
            fprintf(stderr, "dartboard: bench --rnn: %s\n", err);
            goto out;
        }
        const double t = (now_s() - t0) * 1e3;
        fprintf(out, "step %d: %.1f ms (window %d), loss %.4f\n", k, t, st.seq_len, st.train_loss);
        fflush(out);
        if (k >= 0)
            ms[k] = t;
    }
    qsort(ms, (size_t)steps, sizeof *ms, by_value);
    const double med = ms[steps / 2];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(out,
            "RESULT rnn-bench ntoken=%d emsize=%d nhid=%d batch=%d bptt=%d threads=%d order=%d "
            "weights=%zu median_ms=%.1f tokens_per_s=%.0f peak_rss_mib=%.0f\n",
            c.vocab.count, size, size, batch, bptt, threads, order, nweights, med,
            batch * bptt * 1000.0 / med, ru.ru_maxrss / 1024.0);
    rc = 0;
out:
    rnnsearch_free(s);
    corpus_free(&c);
    free(tt);
    free(tv);
    free(ms);
    return rc;
}
