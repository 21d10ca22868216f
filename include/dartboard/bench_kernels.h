/* bench_kernels: time the numeric kernels on the DARTS shapes.
 *
 * `dartboard bench --kernels` calls this. It measures, beside each other in
 * one run, the sgemm peak of the machine (a 1024^3 sgemm on `threads`
 * threads), its arithmetic roof (FMAs in registers, in the widest vectors
 * the CPU runs) and every kernel the supernet spends its time in
 * (depthwise 3x3, 5x5 and dilated, stride 1 and 2; 1x1 convolution; batch
 * norm; pooling) at C = 16/32/64 channels on 32x32/16x16/8x8 planes, batch
 * 64, forward and backward: median time per call, GFLOP/s (or GB/s for the
 * memory-bound kernels) and the fraction of the sgemm peak. Runs for a few
 * seconds.
 */
#ifndef DARTBOARD_BENCH_KERNELS_H
#define DARTBOARD_BENCH_KERNELS_H

#include <stdio.h>

/* Prints the table to out. Returns 0, or -1 (with a message on out) when
 * the buffers cannot be allocated. */
int bench_kernels(FILE *out, int threads);
/* GFLOP/s of a 1024^3 sgemm on `threads` threads (median of a few calls),
 * or -1 when its buffers cannot be allocated. */
double bench_sgemm_peak(int threads);
/* GFLOP/s of independent FMA chains in registers on `threads` threads, in
 * the widest vectors this CPU runs: its arithmetic roof. */
double bench_fma_roof(int threads);

#endif
