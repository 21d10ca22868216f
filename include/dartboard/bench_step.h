/* bench_step: timing of full search steps, behind `dartboard bench`.
 *
 * The configurations of docs/ARCHITECTURE.md, Benchmark configurations (the
 * same as `darts_ref.py --bench` of the PyTorch reference that BENCHMARKS.md
 * names), on fixed synthetic batches:
 *   A: 3x32x32, C16, 8 layers, batch 64    B: 1x28x28, C16, 8 layers, batch 64
 *   C: 1x28x28, C8, 5 layers, batch 32     (10 classes)
 */
#ifndef DARTBOARD_BENCH_STEP_H
#define DARTBOARD_BENCH_STEP_H

#include <stdio.h>

/* Times `steps` search steps of `order` (0 weights only, 1, 2) after `warmup`
 * untimed ones with `threads` threads. Prints each step's time, the parameter
 * count, the median ms/step, images/s and peak RSS to out, ending with one line
 *   RESULT bench config=C order=1 threads=2 batch=32 params=393778 median_ms=...
 *          images_per_s=... peak_rss_mib=...
 * Returns 0, or -1 after a message on stderr (unknown config, bad counts, a
 * failed step). */
int bench_step(FILE *out, char config, int order, int steps, int warmup, int threads);
/* The same with another batch size (batch > 0; 0 keeps the config's), for
 * the batch-scaling rows of BENCHMARKS.md; with `profile`, followed by where
 * the timed steps spent their time by op family (profile.h) against the
 * sgemm peak measured right after them, one line
 *   RESULT profile config=C order=1 threads=2 family=... ms_per_step=... share=...
 *          gflop_per_step=... gflops=... peak_fraction=...
 * per family, one with family=step and one with family=floor
 * (bench_profile_report). */
int bench_step_batch(FILE *out, char config, int order, int steps, int warmup, int threads,
                     int batch, int profile);
/* The same with configuration keys set on top of the config's
 * (`bench --set KEY=VALUE`, e.g. a remedy.* key, to time what it costs).
 * -2 after a message when an assignment or the result is refused. */
int bench_step_with(FILE *out, char config, int order, int steps, int warmup, int threads,
                    int batch, int profile, const char *const *sets, int n_sets);

#endif
