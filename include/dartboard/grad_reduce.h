/* grad_reduce: what the numerics see of a data-parallel run (docs/ARCHITECTURE.md, MPI).
 *
 * A search or a training run on several processes splits every global batch
 * (data.batch_size) into one shard per process; each computes its shard's
 * gradients, and a GradReduce sums them so that every process applies the
 * same update. The numerics never see MPI: the app layer (src/app/dist.c)
 * fills the struct; NULL, or size 1, is the single-process program.
 *
 * Both sums are in a FIXED order (each element summed in rank order, in
 * double), never in whatever order an MPI library picks, so every process
 * gets the same bits and a rerun with the same number of processes gets
 * them again.
 */
#ifndef DARTBOARD_GRAD_REDUCE_H
#define DARTBOARD_GRAD_REDUCE_H

#include <stddef.h>

typedef struct GradReduce {
    int rank, size; /* this process, the number of processes */
    int sync_bn;    /* BatchNorm batch statistics over the global batch (else per process) */
    void *ctx;
    /* v[0..n) := the sum of every process's v[0..n), in rank order. */
    void (*sum_floats)(void *ctx, float *v, size_t n);
    void (*sum_doubles)(void *ctx, double *v, size_t n);
} GradReduce;

/* This process's images of a global batch of `batch`: [*first, *first + *count),
 * rank r taking r*batch/size up to (r+1)*batch/size, so shards differ by at
 * most one image when size does not divide batch (data.batch_size must be at least the number of
 * processes). r NULL: the whole batch. */
void grad_reduce_shard(const GradReduce *r, int batch, int *first, int *count);
/* Largest shard of a global batch of `batch` (the batch the network is planned for). */
int grad_reduce_capacity(const GradReduce *r, int batch);
/* v holds the mean gradient of this process's `count` images: make it the
 * mean over the global `batch` (scale by count/batch, then sum). */
void grad_reduce_mean(const GradReduce *r, float *v, size_t n, int count, int batch);
/* The global mean of a per-shard mean loss, and *correct summed (correct may be NULL). */
float grad_reduce_loss(const GradReduce *r, float loss, int count, int batch, int *correct);

/* FNV-1a of the bits of v[0..n), continuing from h (start: GRAD_CHECKSUM_SEED):
 * what the processes of a run compare to prove they hold the same weights. */
#define GRAD_CHECKSUM_SEED 14695981039346656037ull
unsigned long long grad_checksum(unsigned long long h, const float *v, size_t n);

/* BatchNorm of the training forward and backward with sync_bn: the hook the
 * kernels call with their per-channel sums (in double) and the element count,
 * to get the sums over every process. NULL (the default): per process. Set
 * by the network around its training passes; one thread calls it at a time. */
typedef struct BnSync {
    void (*sum)(void *ctx, double *v, size_t n);
    void *ctx;
} BnSync;
extern const BnSync *bn_sync_hook;

#endif
