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

/* The families a stage row shows; the rest of its time is its last column
 * (clearing, group sums, threads waiting for each other; outside the
 * cells also the stem's convolution, the classifiers and the optimizer). */
static const ProfFamily stage_families[] = {PROF_DEPTHWISE, PROF_POINTWISE, PROF_BN, PROF_POOL,
                                            PROF_ELEMENTWISE};
static const char *const stage_keys[] = {"depthwise", "pointwise", "bn", "pool", "elementwise"};
#define STAGE_FAMILIES (int)(sizeof stage_families / sizeof *stage_families)

/* One row of the stage table and its RESULT line: `total` thread-seconds
 * over the timed steps, of which t's families; `what` the RESULT line's
 * words before ms_per_step. */
static void stage_row(FILE *out, const char *label, const char *cells, const char *what,
                      double total, const ProfTotals *t, double budget, int steps)
{
    const double per = 1e3 / steps;
    double shown = 0.0;
    fprintf(out, "%-19s %-5s %9.1f %5.1f%%", label, cells, total * per, 100.0 * total / budget);
    for (int i = 0; i < STAGE_FAMILIES; i++) {
        shown += t->seconds[stage_families[i]];
        fprintf(out, " %*.1f", i < 2 ? 9 : i == 4 ? 11 : 7, t->seconds[stage_families[i]] * per);
    }
    fprintf(out, " %7.1f\n", (total - shown) * per);
    fprintf(out, "RESULT profile train stage=%s ms_per_step=%.2f share=%.4f", what, total * per,
            total / budget);
    for (int i = 0; i < STAGE_FAMILIES; i++)
        fprintf(out, " %s_ms=%.2f", stage_keys[i], t->seconds[stage_families[i]] * per);
    fprintf(out, " rest_ms=%.2f\n", (total - shown) * per);
}

/* After the family table, the same time by stage: the runs of cells of
 * one kind (normal or reduction) with the same channels and output map,
 * then what ran outside the cells. Thread-ms per step, as the family
 * table; RESULT lines:
 *   RESULT profile train stage=normal map=28x28 channels=16 cells=0-1
 *          ms_per_step=... share=... depthwise_ms=... pointwise_ms=...
 *          bn_ms=... pool_ms=... elementwise_ms=... rest_ms=...
 *   RESULT profile train stage=outside ms_per_step=... (the same fields) */
static void stage_report(FILE *out, const EvalNet *net, const ProfTotals *all, int layers,
                         int threads, int steps, double wall)
{
    const double budget = wall * threads;
    ProfTotals rest = *all; /* the step's totals less the cells' */
    double cells_total = 0.0;
    fprintf(out, "by stage: the cells' forward and backward, thread-ms per step\n");
    fprintf(out, "%-19s %-5s %9s %6s %9s %9s %7s %7s %11s %7s\n", "stage", "cells", "ms/step",
            "share", "depthwise", "pointwise", "BN", "pooling", "elementwise", "rest");
    for (int k0 = 0; k0 < layers;) {
        EvalCellProfile first, cell;
        ProfTotals t = {0};
        double total = 0.0;
        int k1 = k0;
        for (int k = k0; k < layers; k++) {
            evalnet_cell_profile(net, k, &cell);
            if (k == k0)
                first = cell;
            else if (cell.c != first.c || cell.h != first.h || cell.w != first.w ||
                     cell.reduction != first.reduction)
                break;
            k1 = k;
            total += cell.wall * threads;
            for (int f = 0; f < PROF_FAMILIES; f++) {
                t.seconds[f] += cell.fam.seconds[f];
                rest.seconds[f] -= cell.fam.seconds[f];
            }
        }
        cells_total += total;
        const char *kind = first.reduction ? "reduce" : "normal";
        char label[48], cells[24], what[96];
        snprintf(label, sizeof label, "%s %dx%d, %d ch", kind, first.h, first.w, first.c);
        snprintf(cells, sizeof cells, k1 > k0 ? "%d-%d" : "%d", k0, k1);
        snprintf(what, sizeof what, "%s map=%dx%d channels=%d cells=%d-%d", kind, first.h, first.w,
                 first.c, k0, k1);
        stage_row(out, label, cells, what, total, &t, budget, steps);
        k0 = k1 + 1;
    }
    stage_row(out, "outside the cells", "", "outside", budget - cells_total, &rest, budget, steps);
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
        if (profile && s == warmup) {
            profile_set(1);
            evalnet_cell_profile_clear(net);
        }
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
    if (profile) {
        bench_profile_report(out, "train", "clearing, group sums, optimizer, waiting", &pt, threads,
                             steps, wall);
        stage_report(out, net, &pt, sp.layers, threads, steps, wall);
    }
    rc = 0;
done:
    evalnet_free(net);
    free(x);
    free(y);
    free(times);
    free(mom);
    return rc;
}
