/* bench_common: what the benchmarks of `dartboard bench` share: the clock,
 * the peak RSS, the median of timings and the per-family profile table that
 * `bench --profile` and `bench --train --profile` print.
 */
#ifndef DARTBOARD_BENCH_COMMON_H
#define DARTBOARD_BENCH_COMMON_H

#include <stdio.h>

#include "dartboard/profile.h"

/* Seconds of a monotonic clock. */
double bench_now_s(void);
/* The process's peak resident set so far in MiB, 0 when unknown. */
double bench_peak_rss_mib(void);
/* The median of t[0..n), n >= 1; sorts t, so t[0] and t[n - 1] are then
 * the minimum and the maximum. */
double bench_median(double *t, int n);

/* Measures the sgemm peak on `threads` threads (bench_sgemm_peak, after the
 * steps so that it does not share the cores with them), then prints where
 * `steps` timed steps of `wall` seconds spent their time by op family (pt):
 * thread-seconds per step, share of wall x threads, counted GFLOP, GFLOP/s
 * and %peak per family, the time outside kernels (`outside` says what that
 * is), the whole step, and the floor: the time per step the counted FLOPs
 * would take at the sgemm peak, all of them and the pointwise family's
 * alone, the lower bound for a step doing that arithmetic. Where a family
 * outran the sgemm peak (the BLAS runs weaker kernels than the CPU), the
 * peak is the FMA roof instead (bench_fma_roof), and a line says so. The
 * RESULT lines' peak_gflops is the peak used, sgemm_peak_gflops the sgemm
 * measured. RESULT lines,
 * `tag` naming the run ("train", "config=C order=1 threads=2"):
 *   RESULT profile TAG family=... ms_per_step=... share=... gflop_per_step=...
 *          gflops=... peak_fraction=...                     (one per family)
 *   RESULT profile TAG family=step ms_per_step=... share=1 gflop_per_step=...
 *          gflops=... peak_fraction=... sgemm_peak_gflops=... peak_gflops=...
 *   RESULT profile TAG family=floor ms_per_step=... pointwise_ms_per_step=...
 *          sgemm_peak_gflops=... peak_gflops=...
 * The step's and the floor's ms_per_step are wall time. 0, or -1 after a
 * message on stderr when the peak's buffers cannot be allocated. */
int bench_profile_report(FILE *out, const char *tag, const char *outside, const ProfTotals *pt,
                         int threads, int steps, double wall);

#endif
