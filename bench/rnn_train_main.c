/* bench/rnn-train: times steps of `dartboard train` for a recurrent cell
 * (rnntrain.h, the DARTS_V2 cell): each step draws its window length and
 * masks, runs forward and backward through time, clips and updates (SGD), as
 * the training run does, on a synthetic corpus with the given vocabulary.
 * Built, never run by make check.
 *
 * Usage: bench/rnn-train [THREADS [STEPS [NTOKEN SIZE BATCH BPTT]]]
 * (defaults 2, 10 and the paper's shape 10000 850 64 35). Prints each step's
 * time and a line:
 * RESULT rnn-train ntoken=... size=... batch=... bptt=... threads=... params=...
 * median_ms=... tokens_per_s=... peak_rss_mib=...
 * (tokens per second over the timed steps, whose windows vary in length). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dartboard/config.h"
#include "dartboard/corpus.h"
#include "dartboard/parallel.h"
#include "dartboard/rnntrain.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every word once, then enough random text for the steps. */
static int synthetic_corpus(Corpus *c, int ntoken, long tokens, char *err, size_t errlen)
{
    Rng r;
    rng_seed(&r, 5);
    const size_t cap = ((size_t)ntoken + (size_t)tokens) * 8 + 64;
    char *text = malloc(cap);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    corpus_init(c);
    int rc = 0;
    for (int s = 0; s < CORPUS_SPLITS && rc == 0; s++) {
        size_t len = 0;
        if (s == CORPUS_TRAIN)
            for (int k = 0; k < ntoken - 1; k++)
                len += (size_t)sprintf(text + len, "w%d%c", k, k % 20 == 19 ? '\n' : ' ');
        const long n = s == CORPUS_TRAIN ? tokens : 2000;
        for (long k = 0; k < n; k++)
            len += (size_t)sprintf(text + len, "w%u%c", rng_below(&r, (uint32_t)(ntoken - 1)),
                                   k % 20 == 19 ? '\n' : ' ');
        rc = corpus_add_text(c, (CorpusSplit)s, text, len, "synthetic", err, errlen);
    }
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    const int threads = argc > 1 ? atoi(argv[1]) : 2, steps = argc > 2 ? atoi(argv[2]) : 10;
    int ntoken = 10000, size = 850, batch = 64, bptt = 35;
    if (argc == 7) {
        ntoken = atoi(argv[3]);
        size = atoi(argv[4]);
        batch = atoi(argv[5]);
        bptt = atoi(argv[6]);
    }
    if ((argc != 7 && argc > 3) || threads < 1 || steps < 1 || steps > 1000 || ntoken < 2 ||
        size < 2 || batch < 1 || bptt < 2) {
        fprintf(stderr, "usage: %s [THREADS >= 1 [STEPS 1..1000 [NTOKEN SIZE BATCH BPTT]]]\n",
                argv[0]);
        return 2;
    }
    char err[512];
    Config cfg;
    config_defaults(&cfg);
    config_load_preset(&cfg, "rnn-train-ptb", err, sizeof err); /* the paper's recipe */
    cfg.rnn.size = size;
    cfg.data.batch_size = batch;
    cfg.rnn.bptt = bptt;
    cfg.run.threads = threads;
    parallel_set_threads(threads);
    Corpus c;
    if (synthetic_corpus(&c, ntoken, (long)batch * (bptt + 30) * (steps + 2), err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 1;
    }
    RnnTrainer *t = rnn_trainer_create(&cfg, &rnn_genotype_darts_v2, &c, err, sizeof err);
    double *ms = malloc((size_t)steps * sizeof(double));
    if (!t || !ms) {
        fprintf(stderr, "%s: %s\n", argv[0], t ? "out of memory" : err);
        return 1;
    }
    printf("recurrent training (DARTS_V2): ntoken %d, size %d, batch %d, bptt %d, %d thread(s), "
           "%zu weights\n",
           c.vocab.count, size, batch, bptt, threads, rnn_trainer_param_count(t));
    double total_ms = 0.0;
    long tokens = 0;
    for (int k = -1; k < steps; k++) { /* one warm-up step */
        RnnTrainStats st;
        const double t0 = now_s();
        if (rnn_trainer_step(t, &cfg, &st, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", argv[0], err);
            return 1;
        }
        const double dt = (now_s() - t0) * 1000.0;
        printf("step %d: %.0f ms, %d tokens, loss %.4f\n", k, dt, st.tokens, st.loss);
        if (k >= 0) {
            ms[k] = dt;
            total_ms += dt;
            tokens += st.tokens;
        }
    }
    qsort(ms, (size_t)steps, sizeof *ms, by_value);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RESULT rnn-train ntoken=%d size=%d batch=%d bptt=%d threads=%d params=%zu "
           "median_ms=%.1f tokens_per_s=%.0f peak_rss_mib=%.0f\n",
           c.vocab.count, size, batch, bptt, threads, rnn_trainer_param_count(t), ms[steps / 2],
           tokens * 1000.0 / total_ms, ru.ru_maxrss / 1024.0);
    free(ms);
    rnn_trainer_free(t);
    corpus_free(&c);
    return 0;
}
