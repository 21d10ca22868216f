/* bench_common: see include/dartboard/bench_common.h */
#include "dartboard/bench_common.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "dartboard/bench_kernels.h"

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* GFLOP/s of family f while it ran: its thread-seconds over `threads`. */
static double family_rate(const ProfTotals *pt, int f, int threads)
{
    return pt->seconds[f] > 0 ? pt->flops[f] / (pt->seconds[f] / threads) * 1e-9 : 0.0;
}

int bench_profile_report(FILE *out, const char *tag, const char *outside, const ProfTotals *pt,
                         int threads, int steps, double wall)
{
    const double sgemm = bench_sgemm_peak(threads);
    if (sgemm <= 0) {
        fprintf(stderr, "dartboard: bench: no memory for the sgemm peak; no profile\n");
        return -1;
    }
    const double budget = wall * threads; /* thread-seconds of the timed steps */
    double seconds = 0.0, flops = 0.0, fastest = 0.0;
    for (int f = 0; f < PROF_FAMILIES; f++)
        if (family_rate(pt, f, threads) > fastest)
            fastest = family_rate(pt, f, threads);
    /* The rates are against the sgemm peak, what a good product reaches on
     * this machine; but with weaker BLAS kernels than the CPU runs (an
     * OPENBLAS_CORETYPE, an old OpenBLAS) the step's own products outrun it,
     * and the floor below would not be one: then against the FMA roof. */
    const double peak = fastest > sgemm ? bench_fma_roof(threads) : sgemm;
    fprintf(out,
            "profile of the %d timed steps, per step; time in thread-seconds (wall x %d); sgemm "
            "peak %.1f GFLOP/s on %d thread%s, measured after the steps\n",
            steps, threads, sgemm, threads, threads == 1 ? "" : "s");
    if (peak != sgemm)
        fprintf(out,
                "the step's own products ran at %.1f GFLOP/s, above that sgemm (the BLAS runs "
                "weaker kernels than the CPU): rates against the FMA roof, %.1f GFLOP/s\n",
                fastest, peak);
    fprintf(out, "%-18s %10s %7s %10s %10s %7s %8s\n", "family", "ms/step", "share", "GFLOP/step",
            "GFLOP/s", "%peak", "calls");
    for (int f = 0; f < PROF_FAMILIES; f++) {
        const char *name = profile_family_name((ProfFamily)f);
        const double t = pt->seconds[f], rate = family_rate(pt, f, threads);
        seconds += t;
        flops += pt->flops[f];
        fprintf(out, "%-18s %10.1f %6.1f%% %10.3f %10.1f %6.1f%% %8ld\n", name, t / steps * 1e3,
                100.0 * t / budget, pt->flops[f] / steps * 1e-9, rate, 100.0 * rate / peak,
                pt->calls[f] / steps);
        fprintf(out,
                "RESULT profile %s family=%s ms_per_step=%.2f share=%.4f gflop_per_step=%.4f "
                "gflops=%.2f peak_fraction=%.4f\n",
                tag, name, t / steps * 1e3, t / budget, pt->flops[f] / steps * 1e-9, rate,
                rate / peak);
    }
    fprintf(out, "%-18s %10.1f %6.1f%%   (%s)\n", "outside kernels",
            (budget - seconds) / steps * 1e3, 100.0 * (budget - seconds) / budget, outside);
    const double step_rate = flops / wall * 1e-9;
    fprintf(out, "%-18s %10.1f %6.1f%% %10.3f %10.1f %6.1f%%\n", "whole step", budget / steps * 1e3,
            100.0, flops / steps * 1e-9, step_rate, 100.0 * step_rate / peak);
    fprintf(out,
            "RESULT profile %s family=step ms_per_step=%.2f share=1 gflop_per_step=%.4f "
            "gflops=%.2f peak_fraction=%.4f sgemm_peak_gflops=%.1f peak_gflops=%.1f\n",
            tag, wall / steps * 1e3, flops / steps * 1e-9, step_rate, step_rate / peak, sgemm,
            peak);
    /* Wall time, as the sgemm peak is on every thread at once. */
    const double floor_ms = flops / steps / (peak * 1e9) * 1e3;
    const double pointwise_ms = pt->flops[PROF_POINTWISE] / steps / (peak * 1e9) * 1e3;
    fprintf(out,
            "floor: at the %s the counted FLOPs would take %.1f ms/step (%s alone %.1f "
            "ms), against %.1f ms/step measured (wall)\n",
            peak == sgemm ? "sgemm peak" : "FMA roof", floor_ms,
            profile_family_name(PROF_POINTWISE), pointwise_ms, wall / steps * 1e3);
    fprintf(out,
            "RESULT profile %s family=floor ms_per_step=%.2f pointwise_ms_per_step=%.2f "
            "sgemm_peak_gflops=%.1f peak_gflops=%.1f\n",
            tag, floor_ms, pointwise_ms, sgemm, peak);
    return 0;
}
