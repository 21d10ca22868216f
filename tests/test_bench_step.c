/* test_bench_step: `dartboard bench`'s step timer prints what
 * docs/ARCHITECTURE.md, Benchmark configurations, promises (one RESULT line
 * with the reference's fields, the reference's parameter count) and refuses
 * bad arguments. One short run of config C, order 0, one thread. */
#include <stdlib.h>
#include <string.h>

#include "dartboard/bench_step.h"
#include "tap.h"

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

    /* --profile: one RESULT line per family and one for the step; the
     * families share out at most the step's thread-seconds, and the
     * convolutions, which do most of the arithmetic, are seen doing it. */
    FILE *prof = tmpfile();
    ok(bench_step_batch(prof, 'C', 1, 1, 0, 1, 4, 1) == 0, "bench --profile, order 1, batch 4");
    rewind(prof);
    int families = 0, step_line = 0;
    double share_sum = 0.0, conv_gflop = 0.0, step_gflop = 0.0, peak = 0.0;
    while (fgets(line, sizeof line, prof)) {
        if (strncmp(line, "RESULT profile ", 15) != 0)
            continue;
        const char *f = strstr(line, " family=");
        const char *sh = strstr(line, " share="), *gf = strstr(line, " gflop_per_step=");
        if (!f || !sh || !gf)
            continue;
        double share = atof(sh + 7), gflop = atof(gf + 16);
        if (strncmp(f, " family=step ", 13) == 0) {
            step_line++;
            step_gflop = gflop;
            const char *pk = strstr(line, " sgemm_peak_gflops=");
            peak = pk ? atof(pk + 19) : 0.0;
        } else {
            families++;
            share_sum += share;
            if (strncmp(f, " family=depthwise conv ", 23) == 0 ||
                strncmp(f, " family=pointwise conv ", 23) == 0)
                conv_gflop += gflop;
        }
    }
    fclose(prof);
    ok(families == 7 && step_line == 1, "a RESULT line per family (%d) and one for the step (%d)",
       families, step_line);
    ok(share_sum > 0.5 && share_sum <= 1.0 + 1e-6,
       "the families' shares add up to most of the step, not more (%.3f)", share_sum);
    ok(conv_gflop > 0.5 * step_gflop && step_gflop > 0.0,
       "the convolutions do most of the counted work (%.4f of %.4f GFLOP)", conv_gflop, step_gflop);
    ok(peak > 0.0, "the sgemm peak was measured (%.1f GFLOP/s)", peak);
    return tap_done();
}
