/* parallel: one knob for all numeric parallelism.
 *
 * `--threads N` ends here. Policy:
 * - OpenMP owns the cores: N threads. Kernels split their work over
 *   batch x channels (or output-channel rows) with schedule(static), and open
 *   a region only when the work pays for waking the team.
 * - OpenBLAS is always single-threaded (openblas_set_num_threads(1)): the
 *   kernels call sgemm per image from inside their OpenMP regions, and the
 *   Debian OpenBLAS is the pthread build, which would start its own N threads
 *   per call (N*N in all) if allowed. The only exception is
 *   parallel_set_blas_threads() around one large call made outside any region
 *   (the sgemm peak of the benchmark), put back to 1 after.
 * - Determinism: no atomics, no dynamic schedules; every reduction sums in a
 *   fixed order inside one thread. Results are bit-identical for a fixed N;
 *   the kernels whose reductions are split by channel or image (conv, BN,
 *   pools, depthwise) give the same bits for any N. The training's image
 *   groups go to the threads by their speeds (balance.h); each group's sums
 *   are its own, so that changes no bit either.
 */
#ifndef DARTBOARD_PARALLEL_H
#define DARTBOARD_PARALLEL_H

#include <stddef.h>

/* A pass over memory (ReLU, drop-path, channel copies, the evaluation
 * network's element-wise passes and clears) is shared by the threads from
 * this many floats (256 KiB) on: at 2 threads the evaluation network's
 * training step ran about 7 % faster than with the limit at 1 MiB, where
 * every pass of the 14x14 and 7x7 stages ran in one thread while the other
 * waited. */
#define PARALLEL_MIN_PASS 65536

/* Sets the thread count for OpenMP and OpenBLAS (n >= 1). */
void parallel_set_threads(int n);
int parallel_threads(void);
/* Threads OpenBLAS may use for the next calls (see the policy above); the
 * caller sets it back to 1. */
void parallel_set_blas_threads(int n);

/* With OMP_PROC_BIND set, libgomp binds the initial thread to the first
 * OpenMP place as it loads. A thread started from it (a session's worker)
 * or a new image of the program (its re-exec) would inherit that one place
 * and run every OpenMP thread on it: both on CPU 0, half the speed. Gives
 * the calling thread the CPUs of all the places; parallel_set_threads does,
 * and main before each exec. Nothing when OMP_PROC_BIND is not set. A
 * binding from outside (taskset, mpirun) stays: the places are made inside
 * it. */
void parallel_widen_affinity(void);
/* The CPUs the calling thread may run on (0 when unknown). */
int parallel_cpus(void);
/* 1 and a line for the user when `threads` outnumber those CPUs: then the
 * threads take turns on them (mpirun binds each rank to one core when it
 * starts two or fewer; so does taskset), and a 2-thread step takes twice as
 * long as it should. */
int parallel_cpu_shortage(int threads, char *msg, size_t len);

/* The kernel set the BLAS chose for this CPU ("Haswell", "SkylakeX", ...). */
const char *parallel_blas_core(void);
/* NULL, or the OPENBLAS_CORETYPE this CPU deserves when the BLAS chose a
 * weaker one. OpenBLAS picks its kernels by CPU model and falls back to
 * "Prescott" (SSE3) for models newer than itself: Debian's 0.3.21 does so on
 * recent Xeons, for 4-5x slower sgemm. OpenBLAS reads the variable only when
 * it loads, so the program must set it and exec itself again (main.c). */
const char *parallel_blas_core_wanted(void);
/* NULL, or the instruction set ("AVX-512", "AVX2", "AVX") an OpenBLAS kernel
 * set of that name needs and this CPU lacks: OpenBLAS obeys OPENBLAS_CORETYPE
 * even then, and the first product dies of an illegal instruction (a cluster
 * profile's setting on an older node, a container moved between hosts). Names
 * it does not know are taken as fit. */
const char *parallel_blas_core_unfit(const char *name);
/* 1 and a line for the user when OPENBLAS_CORETYPE, set from outside (and
 * so kept), made OpenBLAS load weaker kernels than this CPU runs: Haswell's
 * on an AVX-512 machine cost a training step 7-14 % while OpenBLAS took
 * every 1x1 weight gradient, at most 5 % since (BENCHMARKS.md). */
int parallel_blas_weaker(char *msg, size_t len);

#endif
