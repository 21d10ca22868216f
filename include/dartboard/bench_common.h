/* bench_common: what the benchmarks of `dartboard bench` share: the clock,
 * the peak RSS and the median of timings.
 */
#ifndef DARTBOARD_BENCH_COMMON_H
#define DARTBOARD_BENCH_COMMON_H

/* Seconds of a monotonic clock. */
double bench_now_s(void);
/* The process's peak resident set so far in MiB, 0 when unknown. */
double bench_peak_rss_mib(void);
/* The median of t[0..n), n >= 1; sorts t, so t[0] and t[n - 1] are then
 * the minimum and the maximum. */
double bench_median(double *t, int n);

#endif
