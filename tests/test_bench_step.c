/* test_bench_step: `dartboard bench`'s step timer prints what DESIGN.md
 * section 6 promises (one RESULT line with the reference's fields, the
 * reference's parameter count) and refuses bad arguments. One short run of
 * config C, order 0, one thread. */
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
    ok(bench_step_batch(sink, 'C', 0, 1, 0, 1, -4) == -1, "a negative batch is refused");
    rewind(sink);
    ok(bench_step_batch(sink, 'C', 0, 1, 0, 1, 4) == 0, "bench with batch 4");
    rewind(sink);
    int batch4 = 0;
    while (fgets(line, sizeof line, sink))
        if (strncmp(line, "RESULT ", 7) == 0)
            batch4 = strstr(line, " batch=4 ") != NULL;
    ok(batch4, "the RESULT line reports the batch used");
    fclose(sink);
    return tap_done();
}
