/* fuzz/run_csv.c: the CSV logs of a run directory, as the exports read them
 * (run_metrics_load, run_alphas_load) and as a resumed run reloads them
 * (rundir_open, then rundir_metric_rows for the UI's history).
 *
 * Input: 'a' then the text of an alphas.csv, or any other first byte then
 * the text of a metrics.csv. The other file of the pair is header-only.
 * rundir_open runs twice: keeping every row, and cut at step 5.
 * Checks: no crash; a refusal names the file.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "dartboard/rundir.h"
#include "dartboard/run_csv.h"

static void refusal_names(const char *err, const char *path)
{
    if (!strstr(err, path)) {
        fprintf(stderr, "a refusal that does not name %s: '%s'\n", path, err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int alphas = data[0] == 'a';
    const char *name = alphas ? "alphas.csv" : "metrics.csv";
    const char *other = alphas ? "metrics.csv" : "alphas.csv";
    const char *header = alphas ? RUNDIR_METRICS_HEADER : RUNDIR_ALPHAS_HEADER;
    fuzz_write(name, data + 1, size - 1);
    fuzz_write(other, header, strlen(header));
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s", fuzz_path(name));

    if (alphas) {
        AlphaHistory h;
        if (run_alphas_load(path, &h, err, sizeof err) == 0)
            run_alphas_free(&h);
        else
            refusal_names(err, path);
    } else {
        RunMetrics m;
        if (run_metrics_load(path, &m, err, sizeof err) == 0)
            run_metrics_free(&m);
        else
            refusal_names(err, path);
    }

    static const int64_t cuts[2] = {INT64_MAX, 5};
    RunDir rd;
    if (rundir_lock(&rd, fuzz_dir(), 0, err, sizeof err) != 0) {
        fprintf(stderr, "rundir_lock: %s\n", err);
        abort();
    }
    for (int k = 0; k < 2; k++) {
        if (rundir_open(&rd, cuts[k], k == 0, err, sizeof err) != 0) {
            refusal_names(err, name);
            continue;
        }
        MetricRow rows[3];
        int64_t total;
        if (rundir_metric_rows(&rd, rows, 3, &total, err, sizeof err) < 0)
            refusal_names(err, name);
        rundir_free(&rd);
    }
    rundir_unlock(&rd);
    return 0;
}
