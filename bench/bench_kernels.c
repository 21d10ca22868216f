/* bench_kernels: see include/dartboard/bench_kernels.h
 *
 * Every figure is the median of REPS timed calls after one warm-up call, on
 * buffers allocated once up front. Backward calls accumulate into the same
 * gradient buffers every repetition, as a training step would. FLOPs count
 * multiply-adds as 2; the bytes of a memory-bound kernel are the compulsory
 * traffic (each tensor read or written once).
 */
#include "config.h"
#include "dartboard/bench_kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "dartboard/batchnorm.h"
#include "dartboard/bench_common.h"
#include "dartboard/conv.h"
#include "dartboard/parallel.h"
#include "dartboard/pool.h"
#include "dartboard/rng.h"

#define REPS 21
#define BATCH 64
#define PEAK_N 1024

typedef struct Bufs {
    float *x, *y, *g, *dx, *w, *dw, *stats;
} Bufs;

typedef enum BenchOp {
    BOP_DW_FWD,
    BOP_DW_BWD,
    BOP_PW_FWD,
    BOP_PW_BWD,
    BOP_PW_DW,
    BOP_BN_FWD_BWD,
    BOP_MAXPOOL_FWD,
    BOP_MAXPOOL_BWD,
    BOP_AVGPOOL_FWD,
    BOP_AVGPOOL_BWD,
    BOP_SGEMM_PEAK,
    BOP_COUNT
} BenchOp;

typedef struct BenchCase {
    BenchOp op;
    ConvSpec spec;
    int n, c, h, w;
} BenchCase;

#define FMA_ITERS 2000000L
#define FMA_CHAINS 10

/* The body of a chains function: FMA_ITERS rounds of a = a * m + c on
 * FMA_CHAINS independent registers of `vec` (enough chains to cover the FMA
 * latency on every FMA port); returns a sum of lanes, so that the compiler
 * keeps the chains. */
#define FMA_CHAINS_BODY(vec, set1, mul_add, lane0)                                                 \
    vec a[FMA_CHAINS];                                                                             \
    const vec m = set1(0.999999f), c = set1(1e-6f);                                                \
    for (int k = 0; k < FMA_CHAINS; k++)                                                           \
        a[k] = set1((float)k);                                                                     \
    for (long i = 0; i < FMA_ITERS; i++) {                                                         \
        _Pragma("GCC unroll 10") for (int k = 0; k < FMA_CHAINS; k++)                              \
        {                                                                                          \
            a[k] = mul_add(a[k], m, c);                                                            \
        }                                                                                          \
    }                                                                                              \
    float sum = 0.0f;                                                                              \
    for (int k = 0; k < FMA_CHAINS; k++)                                                           \
        sum += lane0(a[k]);                                                                        \
    return sum

/* The baseline: what the compiler makes of 4-float vectors (SSE's multiply
 * and add on x86-64). */
typedef float vec4 __attribute__((vector_size(16)));
#define VEC4_SET1(x) ((vec4){0} + (x))
#define VEC4_MUL_ADD(a, m, c) ((a) * (m) + (c))
#define VEC4_LANE0(v) ((v)[0])

static float fma_chains_base(void)
{
    FMA_CHAINS_BODY(vec4, VEC4_SET1, VEC4_MUL_ADD, VEC4_LANE0);
}

/* This file is compiled for the baseline ISA, so the wider FMAs are
 * functions of their own, the CPU's widest chosen at run time. */
#ifdef __x86_64__
#define FMA_WIDE 1

__attribute__((target("avx2,fma"))) static float fma_chains_avx2(void)
{
    FMA_CHAINS_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_cvtss_f32);
}

__attribute__((target("avx512f"))) static float fma_chains_avx512(void)
{
    FMA_CHAINS_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_cvtss_f32);
}
#else
#define FMA_WIDE 0
#endif

typedef struct FmaKind {
    int floats;       /* per vector */
    const char *name; /* of the instructions */
    float (*chains)(void);
} FmaKind;

/* The widest FMA this CPU runs (__builtin_cpu_supports also checks that the
 * OS saves the registers). */
static FmaKind fma_widest(void)
{
#if FMA_WIDE
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return (FmaKind){16, "AVX-512 FMA", fma_chains_avx512};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (FmaKind){8, "AVX2 FMA", fma_chains_avx2};
#endif
    return (FmaKind){4, "multiply + add", fma_chains_base};
}

/* FLOPs per second of independent FMA chains in registers on every thread,
 * in the widest vectors the CPU has: the arithmetic roof of the machine,
 * next to the sgemm figure (Debian's OpenBLAS may run narrower kernels than
 * the machine has). */
static double fma_peak(int threads, const FmaKind *kind)
{
    double best = 0.0;
    for (int r = 0; r < 3; r++) {
        float sink = 0.0f;
        double t0 = bench_now_s();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += kind->chains();
        double t = bench_now_s() - t0;
        double rate = 2.0 * FMA_CHAINS * FMA_ITERS * kind->floats * threads / t;
        if (sink == sink && rate > best) /* sink keeps the chains alive */
            best = rate;
    }
    return best * 1e-9;
}

static void run_once(const BenchCase *bc, Bufs *b)
{
    const int n = bc->n, c = bc->c, h = bc->h, w = bc->w, hw = h * w;
    switch (bc->op) {
    case BOP_DW_FWD:
    case BOP_PW_FWD:
        conv2d_forward(&bc->spec, b->y, b->x, b->w, n, h, w, NULL);
        break;
    case BOP_DW_BWD:
    case BOP_PW_BWD:
        conv2d_backward(&bc->spec, b->dx, b->dw, b->g, b->x, b->w, n, h, w, NULL);
        break;
    case BOP_PW_DW:
        conv2d_backward(&bc->spec, NULL, b->dw, b->g, b->x, b->w, n, h, w, NULL);
        break;
    case BOP_BN_FWD_BWD:
        batchnorm_forward_train(b->y, b->stats, b->stats + c, b->x, NULL, NULL, b->stats + 2 * c,
                                b->stats + 3 * c, n, c, hw, BN_MOMENTUM, BN_EPS);
        batchnorm_backward(b->dx, NULL, NULL, b->g, b->x, b->stats, b->stats + c, NULL, n, c, hw);
        break;
    case BOP_MAXPOOL_FWD:
        maxpool3x3_forward(b->y, b->x, n, c, h, w, 1);
        break;
    case BOP_MAXPOOL_BWD:
        maxpool3x3_backward(b->dx, b->g, b->x, n, c, h, w, 1);
        break;
    case BOP_AVGPOOL_FWD:
        avgpool3x3_forward(b->y, b->x, n, c, h, w, 1);
        break;
    case BOP_AVGPOOL_BWD:
        avgpool3x3_backward(b->dx, b->g, n, c, h, w, 1);
        break;
    case BOP_SGEMM_PEAK:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, PEAK_N, PEAK_N, PEAK_N, 1.0f, b->x,
                    PEAK_N, b->g, PEAK_N, 0.0f, b->y, PEAK_N);
        break;
    case BOP_COUNT:
        break;
    }
}

static double median_seconds(const BenchCase *bc, Bufs *b)
{
    double t[REPS];
    run_once(bc, b);
    for (int r = 0; r < REPS; r++) {
        double t0 = bench_now_s();
        run_once(bc, b);
        t[r] = bench_now_s() - t0;
    }
    return bench_median(t, REPS);
}

/* FLOPs (flops = 1) or compulsory bytes (flops = 0) of one call. */
static double work_of(const BenchCase *bc, int *flops)
{
    const double n = bc->n, c = bc->c, px = (double)bc->h * bc->w, elems = n * c * px;
    const ConvSpec *s = &bc->spec;
    double ho = conv_out_size(bc->h, s->kh, s->stride, s->pad, s->dilation);
    double wo = conv_out_size(bc->w, s->kw, s->stride, s->pad, s->dilation);
    *flops = 1;
    switch (bc->op) {
    case BOP_DW_FWD:
        return 2.0 * n * c * ho * wo * s->kh * s->kw;
    case BOP_DW_BWD:
        return 4.0 * n * c * ho * wo * s->kh * s->kw;
    case BOP_PW_FWD:
    case BOP_PW_DW:
        return 2.0 * elems * c;
    case BOP_PW_BWD:
        return 4.0 * elems * c;
    case BOP_SGEMM_PEAK:
        return 2.0 * PEAK_N * PEAK_N * (double)PEAK_N;
    default:
        break;
    }
    *flops = 0;
    switch (bc->op) {
    case BOP_BN_FWD_BWD: /* fwd: read x, write y; bwd: read x, g, din, write din */
        return 4.0 * 6.0 * elems;
    case BOP_MAXPOOL_FWD:
    case BOP_AVGPOOL_FWD:
        return 4.0 * 2.0 * elems;
    case BOP_MAXPOOL_BWD: /* read x, g, din; write din */
        return 4.0 * 4.0 * elems;
    case BOP_AVGPOOL_BWD:
        return 4.0 * 3.0 * elems;
    default:
        return 0.0;
    }
}

static const char *op_name(const BenchCase *bc, char *buf, size_t len)
{
    const ConvSpec *s = &bc->spec;
    switch (bc->op) {
    case BOP_DW_FWD:
    case BOP_DW_BWD:
        snprintf(buf, len, "depthwise %dx%d%s s%d %s", s->kh, s->kw, s->dilation > 1 ? " dil2" : "",
                 s->stride, bc->op == BOP_DW_FWD ? "fwd" : "bwd");
        return buf;
    case BOP_PW_FWD:
        return "conv 1x1 fwd";
    case BOP_PW_BWD:
        return "conv 1x1 bwd (din+dW)";
    case BOP_PW_DW:
        return "conv 1x1 bwd (dW only)";
    case BOP_BN_FWD_BWD:
        return "batchnorm train fwd+bwd";
    case BOP_MAXPOOL_FWD:
        return "max pool 3x3 s1 fwd";
    case BOP_MAXPOOL_BWD:
        return "max pool 3x3 s1 bwd";
    case BOP_AVGPOOL_FWD:
        return "avg pool 3x3 s1 fwd";
    case BOP_AVGPOOL_BWD:
        return "avg pool 3x3 s1 bwd";
    default:
        snprintf(buf, len, "sgemm %dx%dx%d", PEAK_N, PEAK_N, PEAK_N);
        return buf;
    }
}

static double report(FILE *out, const BenchCase *bc, Bufs *b, double peak)
{
    char nb[64], shape[48];
    int flops;
    double t = median_seconds(bc, b), work = work_of(bc, &flops);
    double rate = work / t * 1e-9;
    if (bc->op == BOP_SGEMM_PEAK)
        snprintf(shape, sizeof shape, "-");
    else
        snprintf(shape, sizeof shape, "%dx%dx%dx%d", bc->n, bc->c, bc->h, bc->w);
    if (flops)
        fprintf(out, "%-30s %-16s %9.3f %9.1f GFLOP/s %6.1f%%\n", op_name(bc, nb, sizeof nb), shape,
                t * 1e3, rate, peak > 0 ? 100.0 * rate / peak : 100.0);
    else
        fprintf(out, "%-30s %-16s %9.3f %9.1f GB/s\n", op_name(bc, nb, sizeof nb), shape, t * 1e3,
                rate);
    fflush(out);
    return rate;
}

double bench_fma_roof(int threads)
{
    const FmaKind fma = fma_widest();
    return fma_peak(threads, &fma);
}

double bench_sgemm_peak(int threads)
{
    const size_t cap = (size_t)PEAK_N * PEAK_N;
    Bufs b = {.x = calloc(cap, 4), .y = malloc(cap * 4), .g = calloc(cap, 4)};
    double rate = -1.0;
    if (b.x && b.y && b.g) {
        BenchCase pk = {.op = BOP_SGEMM_PEAK};
        int flops;
        parallel_set_threads(threads);
        parallel_set_blas_threads(threads);
        rate = work_of(&pk, &flops) / median_seconds(&pk, &b) * 1e-9;
        parallel_set_blas_threads(1);
    }
    free(b.x), free(b.y), free(b.g);
    return rate;
}

int bench_kernels(FILE *out, int threads)
{
    const size_t big = (size_t)BATCH * 16 * 32 * 32; /* every DARTS shape: 1M floats */
    const size_t cap = big > (size_t)PEAK_N * PEAK_N ? big : (size_t)PEAK_N * PEAK_N;
    Bufs b = {malloc(cap * 4),     malloc(cap * 4),    malloc(cap * 4),  malloc(cap * 4),
              malloc(64 * 64 * 4), calloc(64 * 64, 4), calloc(4 * 64, 4)};
    if (!b.x || !b.y || !b.g || !b.dx || !b.w || !b.dw || !b.stats) {
        fprintf(out, "dartboard: bench: cannot allocate %zu MiB of buffers\n", 4 * cap * 4 >> 20);
        free(b.x), free(b.y), free(b.g), free(b.dx), free(b.w), free(b.dw), free(b.stats);
        return -1;
    }
    Rng rng;
    rng_seed(&rng, 1);
    for (size_t i = 0; i < cap; i++) {
        b.x[i] = rng_uniform(&rng) - 0.5f;
        b.g[i] = rng_uniform(&rng) - 0.5f;
        b.dx[i] = 0.0f;
    }
    for (int i = 0; i < 64 * 64; i++)
        b.w[i] = rng_uniform(&rng) - 0.5f;
    for (int i = 0; i < 64; i++)
        b.stats[3 * 64 + i] = 1.0f;

    parallel_set_threads(threads);
    fprintf(out, "dartboard kernel benchmark: %d thread%s, batch %d, median of %d calls\n", threads,
            threads == 1 ? "" : "s", BATCH, REPS);
    fprintf(out, "%-30s %-16s %9s %17s %7s\n", "kernel", "n x c x h x w", "ms/call", "rate",
            "%peak");
    BenchCase pk = {.op = BOP_SGEMM_PEAK};
    parallel_set_blas_threads(threads);
    double peak = report(out, &pk, &b, 0.0);
    parallel_set_blas_threads(1);
    /* OpenBLAS's worker threads spin for a while (2^28 cycles, ~0.1 s) after
     * their last call before they sleep; measured right away, the next rows
     * shared the cores with them (half the FMA rate, 7x slower depthwise). */
    nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 500000000}, NULL);
    const FmaKind fma = fma_widest();
    const double roof = fma_peak(threads, &fma);
    fprintf(out, "%-30s %-16s %9s %9.1f GFLOP/s %6.1f%%  (%d-float %s)\n",
            "FMA throughput (registers)", "-", "-", roof, 100.0 * roof / peak, fma.floats,
            fma.name);

    /* the three stages of a 32x32 input (CIFAR-10) and of a 28x28 one
     * (Fashion-MNIST), C 16 */
    static const int shapes[][2] = {{16, 32}, {32, 16}, {64, 8}, {16, 28}, {32, 14}, {64, 7}};
    static const int dws[][4] = {
        /* k, dilation, pad, stride */
        {3, 1, 1, 1}, {3, 1, 1, 2}, {5, 1, 2, 1}, {5, 1, 2, 2},
        {3, 2, 2, 1}, {3, 2, 2, 2}, {5, 2, 4, 1}, {5, 2, 4, 2},
    };
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        const int c = shapes[si][0], hw = shapes[si][1];
        BenchCase bc = {.n = BATCH, .c = c, .h = hw, .w = hw};
        fprintf(out, "\n");
        for (size_t d = 0; d < sizeof dws / sizeof *dws; d++) {
            bc.spec = (ConvSpec){c, c, dws[d][0], dws[d][0], dws[d][3], dws[d][2], dws[d][1], c};
            bc.op = BOP_DW_FWD;
            report(out, &bc, &b, peak);
            bc.op = BOP_DW_BWD;
            report(out, &bc, &b, peak);
        }
        bc.spec = (ConvSpec){c, c, 1, 1, 1, 0, 1, 1};
        for (BenchOp op = BOP_PW_FWD; op < BOP_SGEMM_PEAK; op++) {
            bc.op = op;
            report(out, &bc, &b, peak);
        }
    }
    free(b.x), free(b.y), free(b.g), free(b.dx), free(b.w), free(b.dw), free(b.stats);
    return 0;
}
