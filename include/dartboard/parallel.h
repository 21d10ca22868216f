/* parallel: one knob for all numeric parallelism.
 *
 * `--threads N` ends here. Kernels parallelise with OpenMP over a static
 * partition (so results are bit-for-bit repeatable for a fixed N) and call
 * BLAS from inside those regions single-threaded; BLAS gets N threads only
 * for calls made outside a parallel region. Nothing ever runs N*N threads.
 */
#ifndef DARTBOARD_PARALLEL_H
#define DARTBOARD_PARALLEL_H

/* Sets the thread count for OpenMP and OpenBLAS (n >= 1). */
void parallel_set_threads(int n);
int parallel_threads(void);
/* Cores the process may run on (sched_getaffinity), at least 1. */
int parallel_available_cores(void);

#endif
