/* bench_train: see include/dartboard/bench_train.h */
#include "dartboard/bench_train.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/bench_common.h"
#include "dartboard/evalnet.h"
#include "dartboard/optim.h"
#include "dartboard/parallel.h"
#include "dartboard/profile.h"
#include "dartboard/rng.h"

#define BENCH_CLASSES 10

static const struct {
    const char *name;
    int in_ch, img, C, layers, batch;
} shapes[] = {
    {"fashion", 1, 28, 16, 8, 64},
    {"cifar", 3, 32, 36, 20, 96},
};

/* name as one word of a RESULT line: other bytes become '_'. */
static void result_word(char *dst, size_t len, const char *name)
{
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++) {
        const unsigned char c = (unsigned char)name[i];
        dst[i] = isalnum(c) || strchr("._/+-", c) ? (char)c : '_';
    }
    dst[i] = '\0';
}

int bench_train(FILE *out, const Genotype *g, const char *name, const char *shape, int batch,
                int steps, int warmup, int threads, int profile)
{
    char genotype[256];
    result_word(genotype, sizeof genotype, name);
    int which = -1;
    for (int i = 0; i < (int)(sizeof shapes / sizeof *shapes); i++)
        if (strcmp(shape, shapes[i].name) == 0)
            which = i;
    if (which < 0 || steps < 1 || warmup < 0 || threads < 1 || batch < 0) {
        fprintf(stderr,
                "dartboard: bench: shape '%s', %d steps, %d threads, batch %d (expected "
                "fashion or cifar, steps >= 1, threads >= 1, batch >= 0)\n",
                shape, steps, threads, batch);
        return -1;
    }
    parallel_set_threads(threads);
    EvalSpec sp = {.in_channels = shapes[which].in_ch,
                   .height = shapes[which].img,
                   .width = shapes[which].img,
                   .classes = BENCH_CLASSES,
                   .init_channels = shapes[which].C,
                   .layers = shapes[which].layers,
                   .stem_multiplier = 3,
                   .auxiliary = 1,
                   .batch = batch > 0 ? batch : shapes[which].batch};
    char err[512];
    double rss_before = bench_peak_rss_mib();
    EvalNet *net = evalnet_create(&sp, g, err, sizeof err);
    size_t img = (size_t)sp.in_channels * sp.height * sp.width, nw = 0;
    float *x = malloc((size_t)sp.batch * img * sizeof *x), *mom = NULL;
    int *y = malloc((size_t)sp.batch * sizeof *y);
    double *times = malloc((size_t)steps * sizeof *times);
    int rc = -1;
    if (!net) {
        fprintf(stderr, "dartboard: bench: %s\n", err);
        goto done;
    }
    nw = evalnet_weight_count(net);
    mom = calloc(nw, sizeof *mom);
    if (!x || !y || !times || !mom) {
        fprintf(stderr, "dartboard: bench: out of memory\n");
        goto done;
    }
    Rng rng;
    rng_seed(&rng, 2);
    evalnet_init(net, &rng);
    for (size_t i = 0; i < (size_t)sp.batch * img; i++)
        x[i] = (float)rng_normal(&rng);
    for (int i = 0; i < sp.batch; i++)
        y[i] = (int)rng_below(&rng, BENCH_CLASSES);
    fprintf(out,
            "train bench: %s %dx%dx%d C%d %d cells batch %d, %d thread%s, %zu weights (%zu "
            "without the auxiliary head), %zu MiB planned\n",
            genotype, sp.in_channels, sp.height, sp.width, sp.init_channels, sp.layers, sp.batch,
            threads, threads == 1 ? "" : "s", nw, nw - evalnet_aux_weight_count(net),
            evalnet_arena_bytes(net) >> 20);
    const float keep = 0.8f; /* drop-path 0.2, as the reference's bench */
    float *scale = evalnet_drop_scales(net);
    size_t nscale = (size_t)evalnet_drop_ops(net) * sp.batch;
    double wall = 0.0;
    for (int s = 0; s < warmup + steps; s++) {
        if (profile && s == warmup)
            profile_set(1);
        double t0 = bench_now_s();
        for (size_t k = 0; k < nscale; k++)
            scale[k] = rng_uniform(&rng) < keep ? 1.0f / keep : 0.0f;
        evalnet_forward(net, x, sp.batch, EVAL_TRAIN, 1);
        float aux = 0.0f;
        float loss = evalnet_loss(net, y, NULL, &aux);
        evalnet_backward(net, y, 0.4f);
        optim_clip_grad_norm(evalnet_grads(net), nw, 5.0);
        optim_sgd_step(evalnet_weights(net), evalnet_grads(net), mom, nw, 0.025, 0.9, 3e-4, s > 0);
        double dt = bench_now_s() - t0;
        fprintf(out, "step %2d (%s): %9.1f ms  loss %.4f  aux %.4f\n", s,
                s < warmup ? "warm-up" : "timed", dt * 1e3, (double)loss, (double)aux);
        fflush(out);
        if (s >= warmup) {
            times[s - warmup] = dt;
            wall += dt;
        }
    }
    ProfTotals pt;
    profile_totals(&pt);
    if (profile)
        profile_set(0);
    double med = bench_median(times, steps);
    double rss = bench_peak_rss_mib();
    fprintf(out,
            "median %.1f ms/step over %d steps (min %.1f, max %.1f), %.1f images/s, peak RSS "
            "%.0f MiB (%.0f MiB before planning)\n",
            med * 1e3, steps, times[0] * 1e3, times[steps - 1] * 1e3, sp.batch / med, rss,
            rss_before);
    fprintf(out,
            "RESULT train-bench genotype=%s in_ch=%d img=%d C=%d layers=%d batch=%d threads=%d "
            "params=%zu median_ms=%.1f images_per_s=%.2f peak_rss_mib=%.0f\n",
            genotype, sp.in_channels, sp.height, sp.init_channels, sp.layers, sp.batch, threads, nw,
            med * 1e3, sp.batch / med, rss);
    if (profile)
        bench_profile_report(out, "train", "clearing, group sums, optimizer, waiting", &pt, threads,
                             steps, wall);
    rc = 0;
done:
    evalnet_free(net);
    free(x);
    free(y);
    free(times);
    free(mom);
    return rc;
}
