/* test_bench_step: `dartboard bench`'s step timer prints what
 * docs/ARCHITECTURE.md, Benchmark configurations, promises (one RESULT line
 * with the reference's fields, the reference's parameter count) and refuses
 * bad arguments. One short run of config C, order 0, one thread. Then the
 * profile table both `bench --profile` and `bench --train --profile` print
 * (bench_common.h), on one step of batch 4 and of batch 2, and the training
 * bench's table by stage. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/bench_step.h"
#include "dartboard/bench_train.h"
#include "tap.h"

/* What the RESULT profile lines of one run say. */
typedef struct Profile {
    int families, rated, step_lines, floor_lines;
    double share_sum, conv_gflop, pointwise_gflops;
    double step_ms, step_gflop, sgemm, peak;         /* family=step */
    double floor_ms, floor_pointwise_ms, floor_peak; /* family=floor */
} Profile;

static double key(const char *line, const char *name)
{
    const char *at = strstr(line, name);
    return at ? atof(at + strlen(name)) : -1.0;
}

static void read_profile(FILE *f, Profile *p)
{
    char line[512];
    memset(p, 0, sizeof *p);
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        const char *fam = strstr(line, " family=");
        if (strncmp(line, "RESULT profile ", 15) != 0 || !fam)
            continue;
        fam += 8;
        if (strncmp(fam, "step ", 5) == 0) {
            p->step_lines++;
            p->step_ms = key(line, " ms_per_step=");
            p->step_gflop = key(line, " gflop_per_step=");
            p->sgemm = key(line, " sgemm_peak_gflops=");
            p->peak = key(line, " peak_gflops=");
        } else if (strncmp(fam, "floor ", 6) == 0) {
            p->floor_lines++;
            p->floor_ms = key(line, " ms_per_step=");
            p->floor_pointwise_ms = key(line, " pointwise_ms_per_step=");
            p->floor_peak = key(line, " peak_gflops=");
        } else {
            const double gflop = key(line, " gflop_per_step="), gflops = key(line, " gflops=");
            p->families++;
            p->share_sum += key(line, " share=");
            p->rated += gflops >= 0 && key(line, " peak_fraction=") >= 0;
            if (strncmp(fam, "depthwise conv ", 15) == 0 ||
                strncmp(fam, "pointwise conv ", 15) == 0)
                p->conv_gflop += gflop;
            if (strncmp(fam, "pointwise conv ", 15) == 0)
                p->pointwise_gflops = gflops;
        }
    }
}

/* What holds for the profile of any run: every family with its rate, the
 * shares adding up to most of the step, the convolutions doing most of the
 * counted work, and the floor: the counted FLOPs at the peak (the sgemm
 * peak, or the FMA roof above it where the BLAS's kernels are weaker than
 * the step's own: OPENBLAS_CORETYPE=Prescott here), below the measured step
 * (no step does its arithmetic faster than the peak). */
static void check_profile(const Profile *p, const char *what)
{
    ok(p->families == 7 && p->step_lines == 1 && p->floor_lines == 1,
       "%s: a RESULT line per family (%d), one for the step (%d), one for the floor (%d)", what,
       p->families, p->step_lines, p->floor_lines);
    ok(p->rated == 7 && p->pointwise_gflops > 0.0,
       "%s: every family has its GFLOP/s and peak fraction (%d), pointwise %.1f GFLOP/s", what,
       p->rated, p->pointwise_gflops);
    ok(p->share_sum > 0.5 && p->share_sum <= 1.0 + 1e-6,
       "%s: the families' shares add up to most of the step, not more (%.3f)", what, p->share_sum);
    ok(p->conv_gflop > 0.5 * p->step_gflop && p->step_gflop > 0.0,
       "%s: the convolutions do most of the counted work (%.4f of %.4f GFLOP)", what, p->conv_gflop,
       p->step_gflop);
    ok(p->sgemm > 0.0 && p->peak >= p->sgemm && p->floor_peak == p->peak,
       "%s: the sgemm peak was measured (%.1f GFLOP/s), the peak used is not below it (%.1f)", what,
       p->sgemm, p->peak);
    ok(p->floor_ms > 0.0 && p->floor_ms < p->step_ms,
       "%s: the floor is positive and below the measured step (%.2f of %.2f ms)", what, p->floor_ms,
       p->step_ms);
    ok(close_enough(p->floor_ms, p->step_gflop / p->peak * 1e3, 0.01, 0.05, "floor"),
       "%s: the floor is the step's GFLOP at the peak (%.2f ms)", what, p->floor_ms);
    ok(p->floor_pointwise_ms > 0.0 && p->floor_pointwise_ms <= p->floor_ms,
       "%s: the pointwise floor is a positive part of it (%.2f ms)", what, p->floor_pointwise_ms);
}

/* The RESULT profile train stage= lines of DARTS_V2 on the fashion shape
 * (8 cells, reductions at 2 and 5): one per run of cells of one kind, map
 * and width, in order, then one for the rest of the step. */
static void check_stages(FILE *f)
{
    static const struct {
        const char *kind, *map;
        int c, k0, k1;
    } want[] = {{"normal", "28x28", 16, 0, 1},
                {"reduce", "14x14", 32, 2, 2},
                {"normal", "14x14", 32, 3, 4},
                {"reduce", "7x7", 64, 5, 5},
                {"normal", "7x7", 64, 6, 7}};
    char line[512];
    int stages = 0, outside = 0, in_order = 1, within = 1, ops = 1;
    double cells_ms = 0.0, outside_ms = -1.0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "RESULT profile train stage=", 27) != 0)
            continue;
        const double ms = key(line, " ms_per_step="), rest = key(line, " rest_ms=");
        const double dw = key(line, " depthwise_ms="), pw = key(line, " pointwise_ms=");
        const double pool = key(line, " pool_ms=");
        double fam = 0.0;
        const char *const names[] = {
            " depthwise_ms=", " pointwise_ms=", " bn_ms=", " pool_ms=", " elementwise_ms="};
        for (int i = 0; i < 5; i++)
            fam += key(line, names[i]);
        /* a family's time inside the cells is part of theirs: each row's
         * families add up to its time, the rest is not negative */
        within &= rest > -0.01 * ms - 0.01 &&
                  fabs(fam + rest - ms) <= 0.04 /* six values rounded to 0.01 */;
        if (strncmp(line + 27, "outside ", 8) == 0) {
            outside++;
            outside_ms = ms;
            continue;
        }
        cells_ms += ms;
        char kind[16] = "", map[16] = "";
        int c = 0, k0 = -1, k1 = -1;
        const int parsed = sscanf(line + 27, "%15s map=%15s channels=%d cells=%d-%d", kind, map, &c,
                                  &k0, &k1) == 5;
        if (!parsed || stages >= 5 || strcmp(kind, want[stages].kind) != 0 ||
            strcmp(map, want[stages].map) != 0 || c != want[stages].c || k0 != want[stages].k0 ||
            k1 != want[stages].k1) {
            diag("unexpected stage line: %s", line);
            in_order = 0;
        }
        /* DARTS_V2: the normal cells run sep_convs, the reduction cells
         * max pools and no depthwise convolution */
        const int normal = strcmp(kind, "normal") == 0;
        ops &= parsed && (normal ? dw > 0.0 && pw > 0.0 && pool == 0.0 : dw == 0.0 && pool > 0.0);
        stages++;
    }
    ok(stages == 5 && outside == 1 && in_order,
       "bench --train --profile: a stage line per run of like cells, in order (%d), one for the "
       "rest of the step (%d)",
       stages, outside);
    ok(within, "each stage's families add up to its time, with a rest that is not negative");
    ok(ops, "the normal cells' time has depthwise and pointwise convolutions, the reduction cells' "
            "pools and no depthwise convolution");
    ok(outside_ms > 0.0 && outside_ms < cells_ms,
       "the rest of the step (stem, heads, optimizer) takes time, less than the cells (%.2f of "
       "%.2f ms)",
       outside_ms, cells_ms);
}

int main(void)
{
    FILE *out = tmpfile();
    if (!out)
        return 99;
    ok(bench_step(out, 'C', 0, 1, 0, 1) == 0, "bench config C, order 0, 1 step");
    rewind(out);
    char line[512], result[512] = "";
    int results = 0, steps = 0;
    while (fgets(line, sizeof line, out)) {
        if (strncmp(line, "RESULT ", 7) == 0) {
            results++;
            snprintf(result, sizeof result, "%s", line);
        }
        if (strncmp(line, "step ", 5) == 0)
            steps++;
    }
    fclose(out);
    diag("%s", result);
    ok(results == 1 && steps == 1, "one line per step and exactly one RESULT line");
    char cfg;
    int order, threads, batch;
    long params;
    double ms, ips, rss;
    int n = sscanf(result,
                   "RESULT bench config=%c order=%d threads=%d batch=%d params=%ld median_ms=%lf "
                   "images_per_s=%lf peak_rss_mib=%lf",
                   &cfg, &order, &threads, &batch, &params, &ms, &ips, &rss);
    ok(n == 8, "the RESULT line has the reference's fields in order (%d of 8 parsed)", n);
    ok(n == 8 && cfg == 'C' && order == 0 && threads == 1 && batch == 32,
       "config, order, threads and batch echoed");
    ok(n == 8 && params == 393778, "config C has the reference's 393778 weights (%ld)", params);
    ok(n == 8 && ms > 0 && ips > 0 && rss > 0, "time, throughput and peak RSS are positive");

    FILE *sink = tmpfile();
    ok(bench_step(sink, 'D', 1, 1, 0, 1) == -1, "an unknown config is refused");
    ok(bench_step(sink, 'C', 3, 1, 0, 1) == -1, "order 3 is refused");
    ok(bench_step(sink, 'C', 1, 0, 0, 1) == -1, "zero steps are refused");
    ok(bench_step_batch(sink, 'C', 0, 1, 0, 1, -4, 0) == -1, "a negative batch is refused");
    rewind(sink);
    ok(bench_step_batch(sink, 'C', 0, 1, 0, 1, 4, 0) == 0, "bench with batch 4");
    rewind(sink);
    int batch4 = 0;
    while (fgets(line, sizeof line, sink))
        if (strncmp(line, "RESULT ", 7) == 0)
            batch4 = strstr(line, " batch=4 ") != NULL;
    ok(batch4, "the RESULT line reports the batch used");
    fclose(sink);

    FILE *prof = tmpfile();
    Profile p;
    ok(bench_step_batch(prof, 'C', 1, 1, 0, 1, 4, 1) == 0, "bench --profile, order 1, batch 4");
    read_profile(prof, &p);
    fclose(prof);
    check_profile(&p, "bench --profile");

    /* The training bench's smallest shape at batch 2, timed after a warm-up
     * step (the first touches the arena's pages, time outside the kernels
     * that made the shares sum to 0.45 on a loaded machine): a step of some ms. */
    FILE *train = tmpfile();
    Genotype g;
    genotype_published("DARTS_V2", &g);
    ok(bench_train(train, &g, "DARTS_V2", "fashion", 2, 1, 1, 1, 1) == 0,
       "bench --train --profile, DARTS_V2, fashion, batch 2");
    read_profile(train, &p);
    check_profile(&p, "bench --train --profile");
    check_stages(train);
    fclose(train);
    return tap_done();
}
