/* bench/rnn: times first-order search steps of the recurrent search network
 * on synthetic tokens, the work of darts_rnn_ref.py --bench: an alpha step
 * (forward and backward to the alphas on a "valid" batch) and a weight step
 * (forward with the activation regularisation, backward to the weights, the
 * clip to 0.25 and plain SGD). The alphas' Adam step, 180 numbers, is left out.
 * Built, never run by make check.
 *
 * Usage: bench/rnn [THREADS [STEPS [NTOKEN NHID BATCH BPTT]]]
 * (defaults 2, 5 and the published search shape 10000 300 256 35). Prints each
 * step's time and a line with the reference's fields:
 * RESULT rnn-bench ntoken=... emsize=... nhid=... batch=... bptt=... threads=...
 * median_ms=... tokens_per_s=... peak_rss_mib=...  */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "dartboard/parallel.h"
#include "dartboard/rnnnet.h"

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

int main(int argc, char **argv)
{
    const int threads = argc > 1 ? atoi(argv[1]) : 2, steps = argc > 2 ? atoi(argv[2]) : 5;
    RnnShape s = {10000, 300, 300, 256, 35};
    if (argc == 7) {
        s.ntoken = atoi(argv[3]);
        s.ninp = s.nhid = atoi(argv[4]);
        s.batch = atoi(argv[5]);
        s.bptt_max = atoi(argv[6]);
    }
    if ((argc != 7 && argc > 3) || threads < 1 || steps < 1 || steps > 1000) {
        fprintf(stderr, "usage: %s [THREADS >= 1 [STEPS 1..1000 [NTOKEN NHID BATCH BPTT]]]\n",
                argv[0]);
        return 2;
    }
    char err[512];
    parallel_set_threads(threads);
    RnnNet *net = rnn_create(&s, err, sizeof err);
    if (!net) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 1;
    }
    Rng rng;
    rng_seed(&rng, 3);
    rnn_init(net, &rng);
    const size_t TB = (size_t)s.bptt_max * s.batch, Bn = (size_t)s.batch * s.nhid;
    int32_t *tok = malloc(2 * (TB + 1) * sizeof(int32_t));
    float *h = calloc(Bn, sizeof(float)), *hv = calloc(Bn, sizeof(float));
    double *ms = malloc((size_t)steps * sizeof(double));
    if (!tok || !h || !hv || !ms) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    for (size_t i = 0; i < 2 * (TB + 1); i++)
        tok[i] = (int32_t)rng_below(&rng, (uint32_t)s.ntoken);
    const int32_t *x = tok, *xv = tok + TB + 1;
    printf("recurrent search network: ntoken %d, %d/%d, batch %d, bptt %d, %d thread(s), "
           "%.0f MiB planned\n",
           s.ntoken, s.ninp, s.nhid, s.batch, s.bptt_max, threads, net->arena.size / 1048576.0);
    for (int k = -1; k < steps; k++) { /* one warm-up step */
        const double t0 = now_s();
        rnn_draw_masks(net, &rng);
        rnn_forward(net, xv, xv + 1, s.bptt_max, hv, hv, 1, 0.0f);
        rnn_backward(net, 0, 1);
        rnn_draw_masks(net, &rng);
        RnnLoss l = rnn_forward(net, x, x + 1, s.bptt_max, h, h, 1, 1e-3f);
        rnn_backward(net, 1, 0);
        double norm = 0.0;
        for (size_t i = 0; i < net->nweights; i++)
            norm += (double)net->grad[i] * net->grad[i];
        norm = sqrt(norm);
        const float clip = norm > 0.25 ? (float)(0.25 / (norm + 1e-6)) : 1.0f;
        for (size_t i = 0; i < net->nweights; i++)
            net->weights[i] -= 20.0f * (clip * net->grad[i] + 5e-7f * net->weights[i]);
        const double t = (now_s() - t0) * 1000.0;
        printf("step %d: %.0f ms, loss %.4f\n", k, t, l.loss);
        if (k >= 0)
            ms[k] = t;
    }
    qsort(ms, (size_t)steps, sizeof *ms, by_value);
    const double med = ms[steps / 2];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RESULT rnn-bench ntoken=%d emsize=%d nhid=%d batch=%d bptt=%d threads=%d "
           "median_ms=%.1f tokens_per_s=%.0f peak_rss_mib=%.0f\n",
           s.ntoken, s.ninp, s.nhid, s.batch, s.bptt_max, threads, med,
           s.batch * s.bptt_max * 1000.0 / med, ru.ru_maxrss / 1024.0);
    free(tok);
    free(h);
    free(hv);
    free(ms);
    rnn_free(net);
    return 0;
}
