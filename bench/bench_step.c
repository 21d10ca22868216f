/* bench_step: see include/dartboard/bench_step.h */
#include "dartboard/bench_step.h"

#include <stdlib.h>
#include <string.h>

#include "dartboard/bench_common.h"
#include "dartboard/config.h"
#include "dartboard/parallel.h"
#include "dartboard/profile.h"
#include "dartboard/rng.h"
#include "dartboard/search.h"

typedef struct BenchConfig {
    char name;
    int in_channels, image, channels, layers, batch;
} BenchConfig;

static const BenchConfig bench_configs[] = {
    {'A', 3, 32, 16, 8, 64},
    {'B', 1, 28, 16, 8, 64},
    {'C', 1, 28, 8, 5, 32},
};

#define BENCH_CLASSES 10

int bench_step(FILE *out, char config, int order, int steps, int warmup, int threads)
{
    return bench_step_batch(out, config, order, steps, warmup, threads, 0, 0);
}

/* The named configuration with `batch` (0 keeps its own) into *bc; -1 after
 * a message on stderr for an unknown name or a count out of range. */
static int choose_config(BenchConfig *bc, char config, int order, int steps, int warmup,
                         int threads, int batch)
{
    const BenchConfig *found = NULL;
    for (size_t i = 0; i < sizeof bench_configs / sizeof bench_configs[0]; i++)
        if (bench_configs[i].name == config)
            found = &bench_configs[i];
    if (!found) {
        fprintf(stderr, "dartboard: bench: unknown config '%c' (expected A, B or C)\n", config);
        return -1;
    }
    if (order < 0 || order > 2 || steps < 1 || warmup < 0 || threads < 1 || batch < 0) {
        fprintf(stderr,
                "dartboard: bench: order %d, %d steps, %d warm-up, %d threads, batch %d (expected "
                "order 0-2, steps >= 1, warm-up >= 0, threads >= 1, batch >= 0)\n",
                order, steps, warmup, threads, batch);
        return -1;
    }
    *bc = *found;
    if (batch > 0)
        bc->batch = batch;
    return 0;
}

static void search_config(Config *cfg, const BenchConfig *bc, int order)
{
    config_defaults(cfg);
    cfg->model.init_channels = bc->channels;
    cfg->model.layers = bc->layers;
    cfg->model.nodes = 4;
    cfg->model.stem_multiplier = 3;
    cfg->data.batch_size = bc->batch;
    cfg->data.train_portion = 0.5;
    cfg->data.augment = 0;
    cfg->arch.order = order;
}

/* The fixed batches every step trains on, and the dataset that only gives
 * the search its shapes. */
typedef struct BenchBatches {
    Dataset data;
    float *xt, *xv;
    int *yt, *yv;
} BenchBatches;

static void batches_free(BenchBatches *b)
{
    free(b->yv);
    free(b->yt);
    free(b->xv);
    free(b->xt);
    free(b->data.labels);
    free(b->data.images);
}

/* 0, or -1 (everything freed) when out of memory. */
static int batches_make(BenchBatches *b, const BenchConfig *bc)
{
    const size_t img = (size_t)bc->in_channels * (size_t)bc->image * (size_t)bc->image;
    memset(b, 0, sizeof *b);
    Dataset *data = &b->data;
    snprintf(data->name, sizeof data->name, "bench-%c", bc->name);
    data->count = 2 * bc->batch;
    data->channels = bc->in_channels;
    data->height = data->width = bc->image;
    data->classes = BENCH_CLASSES;
    for (int c = 0; c < 3; c++)
        data->std[c] = 1.0f;
    data->images = calloc((size_t)data->count * img, 1);
    data->labels = calloc((size_t)data->count, 1);
    b->xt = malloc((size_t)bc->batch * img * sizeof(float));
    b->xv = malloc((size_t)bc->batch * img * sizeof(float));
    b->yt = malloc((size_t)bc->batch * sizeof(int));
    b->yv = malloc((size_t)bc->batch * sizeof(int));
    if (!data->images || !data->labels || !b->xt || !b->xv || !b->yt || !b->yv) {
        batches_free(b);
        return -1;
    }
    Rng rng;
    rng_seed(&rng, 2);
    for (size_t i = 0; i < (size_t)bc->batch * img; i++) {
        b->xt[i] = (float)rng_normal(&rng);
        b->xv[i] = (float)rng_normal(&rng);
    }
    for (int i = 0; i < bc->batch; i++) {
        b->yt[i] = (int)rng_below(&rng, BENCH_CLASSES);
        b->yv[i] = (int)rng_below(&rng, BENCH_CLASSES);
    }
    return 0;
}

/* Runs warmup + steps steps, printing each; the timed ones' seconds go to
 * times[steps] and their sum to *timed; with `profile`, the profiler counts
 * the timed steps. 0, or -1 after a message on stderr. */
static int run_steps(FILE *out, Search *s, const Config *cfg, const BenchBatches *b, int batch,
                     int steps, int warmup, int profile, double *times, double *timed)
{
    char err[512];
    *timed = 0.0;
    for (int i = 0; i < warmup + steps; i++) {
        StepStats st;
        if (profile && i == warmup)
            profile_set(1);
        double t0 = bench_now_s();
        if (search_step_batches(s, cfg, b->xt, b->yt, b->xv, b->yv, batch, &st, err, sizeof err) !=
            0) {
            fprintf(stderr, "dartboard: bench: %s\n", err);
            return -1;
        }
        double dt = bench_now_s() - t0;
        fprintf(out, "step %2d (%s): %9.1f ms  loss %.4f\n", i, i < warmup ? "warm-up" : "timed",
                dt * 1e3, (double)st.train_loss);
        fflush(out);
        if (i >= warmup) {
            times[i - warmup] = dt;
            *timed += dt;
        }
    }
    return 0;
}

/* The median, min and max of times[steps] (sorted here), images/s and peak RSS. */
static void print_summary(FILE *out, const BenchConfig *bc, int order, int threads, size_t params,
                          double *times, int steps, double rss_before)
{
    double med = bench_median(times, steps);
    double rss = bench_peak_rss_mib();
    fprintf(out,
            "median %.1f ms/step over %d steps (min %.1f, max %.1f), %.1f train images/s, peak "
            "RSS %.0f MiB (%.0f MiB before planning)\n",
            med * 1e3, steps, times[0] * 1e3, times[steps - 1] * 1e3, bc->batch / med, rss,
            rss_before);
    fprintf(out,
            "RESULT bench config=%c order=%d threads=%d batch=%d params=%zu median_ms=%.1f "
            "images_per_s=%.2f peak_rss_mib=%.0f\n",
            bc->name, order, threads, bc->batch, params, med * 1e3, bc->batch / med, rss);
}

int bench_step_batch(FILE *out, char config, int order, int steps, int warmup, int threads,
                     int batch, int profile)
{
    return bench_step_with(out, config, order, steps, warmup, threads, batch, profile, NULL, 0);
}

int bench_step_with(FILE *out, char config, int order, int steps, int warmup, int threads,
                    int batch, int profile, const char *const *sets, int n_sets)
{
    BenchConfig chosen;
    if (choose_config(&chosen, config, order, steps, warmup, threads, batch) != 0)
        return -1;
    const BenchConfig *bc = &chosen;
    Config cfg;
    search_config(&cfg, bc, order);
    char err[512];
    for (int i = 0; i < n_sets; i++)
        if (config_set_assignment(&cfg, sets[i], err, sizeof err) != 0) {
            fprintf(stderr, "dartboard: bench: --set %s: %s\n", sets[i], err);
            return -2;
        }
    if (n_sets > 0 && config_validate(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "dartboard: bench: %s\n", err);
        return -2;
    }
    parallel_set_threads(threads);

    BenchBatches b;
    double *times = malloc((size_t)steps * sizeof(double));
    if (!times || batches_make(&b, bc) != 0) {
        free(times);
        fprintf(stderr, "dartboard: bench: out of memory\n");
        return -1;
    }
    int rc = -1;
    double rss_before = bench_peak_rss_mib();
    Search *s = search_create(&cfg, &b.data, err, sizeof err);
    if (!s) {
        fprintf(stderr, "dartboard: bench: %s\n", err);
        goto done;
    }
    size_t params = supernet_weight_count(search_net(s));
    fprintf(out,
            "bench config=%c: %dx%dx%d, C%d, %d layers, batch %d, order %d, %d thread(s); weight "
            "parameters %zu, architecture parameters %d\n",
            bc->name, bc->in_channels, bc->image, bc->image, bc->channels, bc->layers, bc->batch,
            order, threads, params, 2 * supernet_edges(search_net(s)) * OP_COUNT);
    for (int i = 0; i < n_sets; i++)
        fprintf(out, "%s--set %s%s", i ? " " : "with ", sets[i], i + 1 == n_sets ? "\n" : "");
    fflush(out);
    double timed;
    if (run_steps(out, s, &cfg, &b, bc->batch, steps, warmup, profile, times, &timed) != 0)
        goto done;
    ProfTotals pt;
    profile_totals(&pt);
    profile_set(0);
    print_summary(out, bc, order, threads, params, times, steps, rss_before);
    if (profile) {
        char tag[64];
        snprintf(tag, sizeof tag, "config=%c order=%d threads=%d", bc->name, order, threads);
        bench_profile_report(out, tag, "optimizer, alpha updates, lanes waiting, fork/join", &pt,
                             threads, steps, timed);
    }
    fflush(out);
    rc = 0;
done:
    profile_set(0); /* a failed step leaves it on */
    search_free(s);
    free(times);
    batches_free(&b);
    return rc;
}
