/* test_monitor: the collapse monitors above the Hessian (monitor.h,
 * search_monitor): the alpha statistics on hand-made weights; DARTS-ES on
 * hand-made lambda_max sequences (RobustDARTS's EVLocalAvg worked by hand);
 * search_monitor leaving the whole search state (its checkpoint payload)
 * byte-identical, repeatable, bounded by iters; and the run row format. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/data.h"
#include "dartboard/monitor.h"
#include "dartboard/run_csv.h"
#include "dartboard/search.h"
#include "helpers.h"
#include "tap.h"

static void test_alpha_stats(void)
{
    enum { NODES = 4, EDGES = 14 };
    float normal[EDGES * OP_COUNT], reduce[EDGES * OP_COUNT];
    for (int i = 0; i < EDGES * OP_COUNT; i++)
        normal[i] = reduce[i] = 1.0f / OP_COUNT;
    MonitorRow row;
    monitor_alpha_stats(normal, reduce, NODES, &row);
    ok(fabs(row.entropy_normal - log(8.0)) < 1e-5 && fabs(row.entropy_reduce - log(8.0)) < 1e-5 &&
           fabs(row.none_weight - 0.125) < 1e-6,
       "uniform weights: entropy log 8 = %.5f in both cells, none weight 1/8 (%.5f, %.5f, %.5f)",
       log(8.0), (double)row.entropy_normal, (double)row.entropy_reduce, (double)row.none_weight);
    /* Every normal edge strongest in skip, except node 0's edges (a sep
     * conv, a max pool) and node 1's first edge (an avg pool); node 1's
     * second edge is none-heavy but none never counts. */
    for (int e = 0; e < EDGES; e++) {
        float *w = normal + e * OP_COUNT;
        for (int o = 0; o < OP_COUNT; o++)
            w[o] = 0.02f;
        int op = e == 0   ? OP_SEP_CONV_3X3
                 : e == 1 ? OP_MAX_POOL_3X3
                 : e == 2 ? OP_AVG_POOL_3X3
                          : OP_SKIP_CONNECT;
        w[op] = 1.0f - 0.02f * (OP_COUNT - 1);
    }
    normal[4 * OP_COUNT + OP_NONE] = 0.5f; /* edge 4 (node 1 <- n0) */
    monitor_alpha_stats(normal, reduce, NODES, &row);
    /* node 0: sep, max; node 1: avg + skip; nodes 2, 3: skip, skip */
    ok(row.skips_normal == 5 && row.param_free_normal == 7,
       "derived normal cell: 5 skips and 7 parameter-free ops (got %d, %d)", row.skips_normal,
       row.param_free_normal);
    double want_none = (13 * 0.02 + 0.5 + 14 * 0.125) / 28.0;
    ok(fabs(row.none_weight - want_none) < 1e-6, "none weight: mean over both cells' edges %.6f",
       (double)row.none_weight);
    ok(monitor_param_free(OP_SKIP_CONNECT) && monitor_param_free(OP_MAX_POOL_3X3) &&
           monitor_param_free(OP_AVG_POOL_3X3) && !monitor_param_free(OP_NONE) &&
           !monitor_param_free(OP_SEP_CONV_3X3) && !monitor_param_free(OP_DIL_CONV_5X5),
       "parameter-free: skip and the pools, not none or the convolutions");
}

/* Feeds lambda[i] at epoch 2 i (RobustDARTS's every-2-epochs schedule); the
 * genotype of evaluation i is marked by nodes = i + 1. Returns the
 * evaluation that stopped (-1: none) and its verdict. */
static int feed(EarlyStop *es, const double *lambda, int n, EarlyStopVerdict *v)
{
    for (int i = 0; i < n; i++) {
        Genotype g = {.nodes = i + 1};
        early_stop_update(es, 100 * i, 2.0 * i, lambda[i], &g, v);
        if (v->stop)
            return i;
    }
    return -1;
}

static void test_early_stop(void)
{
    EarlyStop es;
    EarlyStopVerdict v;
    /* flat, then a rise: the window-5 averages ending at j (j >= 4) of
     * 1,1,...,1 then 3s from evaluation 10 on */
    double rise[20];
    for (int i = 0; i < 20; i++)
        rise[i] = i < 10 ? 1.0 : 3.0;
    early_stop_init(&es, 5, 1.3, 10.0);
    int at = feed(&es, rise, 20, &v);
    /* at j = 11: average of ev[7..11] = (3 * 1 + 2 * 3) / 5 = 1.8 over the one
     * ending at 7 (1.0); its centre is evaluation 5, epoch 10 >= 10: stop */
    ok(at == 11 && fabs(v.current - 1.8) < 1e-12 && fabs(v.prior - 1.0) < 1e-12 &&
           v.keep_step == 500 && v.keep_epoch == 10.0 && v.keep.nodes == 6,
       "DARTS-ES stops at evaluation %d (want 11): %.3g / %.3g > 1.3, keeping evaluation 5 "
       "(step %lld, epoch %.0f, genotype %d)",
       at, v.current, v.prior, (long long)v.keep_step, v.keep_epoch, v.keep.nodes - 1);

    /* the same rise earlier: the earlier centre must reach the start epoch */
    double early[20];
    for (int i = 0; i < 20; i++)
        early[i] = i < 3 ? 1.0 : 3.0;
    early_stop_init(&es, 5, 1.3, 10.0);
    at = feed(&es, early, 20, &v);
    ok(at == -1, "a rise whose earlier point lies before es_start (epoch 10) does not stop (%d)",
       at);
    early_stop_init(&es, 5, 1.3, 0.0);
    at = feed(&es, early, 20, &v);
    /* j = 4: the growing averages ending at 0 (first with window 5 is at
     * j = 2) ... prior_end = j - 4 >= 2 and centre = prior_end - 2 >= 0:
     * j = 6: current mean(ev[2..6]) = (1 + 4 * 3) / 5 = 2.6, prior the
     * growing mean of ev[0..2] = 1 */
    ok(at == 6 && fabs(v.current - 2.6) < 1e-12 && fabs(v.prior - 1.0) < 1e-12 && v.keep.nodes == 1,
       "with es_start 0 it stops at the first comparison, evaluation %d (want 6), keeping "
       "evaluation 0",
       at);

    /* a steady climb of 5 % per evaluation: ratios of 1.05^4 = 1.22 < 1.3 */
    double climb[30];
    for (int i = 0; i < 30; i++)
        climb[i] = pow(1.05, i);
    early_stop_init(&es, 5, 1.3, 0.0);
    ok(feed(&es, climb, 30, &v) == -1, "5 %% per evaluation stays under ratio 1.3");
    early_stop_init(&es, 5, 1.2, 0.0);
    ok(feed(&es, climb, 30, &v) >= 0, "... and stops under ratio 1.2 (%.3f)", v.current / v.prior);
    early_stop_init(&es, 1, 1.3, 0.0);
    double jump[8] = {1, 1, 1, 1, 1, 2, 2, 2};
    at = feed(&es, jump, 8, &v);
    ok(at == 5 && v.keep.nodes == 2, "window 1 compares single values: stops at %d keeping 1", at);
}

/* The checkpoint payload holds everything a search step reads. */
static char *state_bytes(Search *s, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    search_save_state(s, f);
    fclose(f);
    return buf;
}

static void test_search_invariance(void)
{
    char err[512];
    Config c;
    Dataset data;
    test_preset(&c, "monitor.every=1", NULL);
    if (dataset_load(&data, &c, DATA_TRAIN, err, sizeof err) != 0) {
        ok(0, "the test preset: %s", err);
        return;
    }
    Search *s = search_create(&c, &data, err, sizeof err);
    if (!ok(s != NULL, "create the test preset's search with monitor.every 1"))
        return;
    int good = 1;
    for (int k = 0; k < 3; k++)
        good &= search_step(s, &c, NULL, err, sizeof err) == 0;
    size_t n0, n1;
    char *before = state_bytes(s, &n0);
    MonitorRow row, again, few;
    good &= search_monitor(s, 20, &row, err, sizeof err) == 0;
    char *after = state_bytes(s, &n1);
    ok(good && n0 == n1 && memcmp(before, after, n0) == 0,
       "search_monitor leaves the search state (the whole checkpoint payload) byte-identical");
    ok(row.step == 3 && row.lambda_iters >= 1 && row.lambda_iters <= 20 &&
           isfinite(row.lambda_max) && row.lambda_max > 0,
       "the row: step 3, %d products, lambda_max %.4g, change %.2g", row.lambda_iters,
       (double)row.lambda_max, (double)row.lambda_change);
    search_monitor(s, 20, &again, err, sizeof err);
    ok(memcmp(&row, &again, sizeof row) == 0, "the same state gives the same row");
    search_monitor(s, 2, &few, err, sizeof err);
    ok(few.lambda_iters == 2, "monitor.iters bounds the products (%d)", few.lambda_iters);
    char line[MONITOR_ROW_MAX];
    int n = monitor_row_format(&row, ",", line, sizeof line);
    ok(n > 0 && strncmp(line, "3,", 2) == 0 && line[n - 1] == '\n' &&
           strncmp(MONITORS_CSV_HEADER, "step,lambda_max,", 16) == 0,
       "the monitors.csv row: %.*s", n - 1, line);
    free(before);
    free(after);
    search_free(s);

    test_preset(&c, "monitor.every=0", NULL); /* nothing planned */
    s = search_create(&c, &data, err, sizeof err);
    ok(s && search_monitor(s, 5, &row, err, sizeof err) == -1 && strstr(err, "monitor.every"),
       "without monitor.every the monitor is refused: %s", err);
    search_free(s);
    dataset_free(&data);
}

int main(void)
{
    test_alpha_stats();
    test_early_stop();
    test_search_invariance();
    return tap_done();
}
