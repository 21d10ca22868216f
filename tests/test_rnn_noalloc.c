/* test_rnn_noalloc: a forward and backward of the recurrent search network
 * allocate nothing.
 *
 * malloc, calloc and realloc are interposed (glibc's __libc_* underneath) and
 * counted while training forwards, backwards (weights and alphas, alphas
 * alone) and an evaluation forward run, after a warm-up pass has let the
 * thread runtime settle, with 1 and 2 threads. Everything is planned in
 * rnn_create. The shape is small but its products are big enough to take
 * OpenBLAS's ordinary path, like the real ones.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "dartboard/rnnnet.h"
#include "tap.h"

#ifndef __SANITIZE_ADDRESS__
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static volatile int counting;
static volatile long allocations, loader_allocations;
static void *volatile first_caller; /* who made the first counted allocation */

/* The dynamic loader sometimes allocates on its own behalf during a step: once,
 * only with the machine under load, from its thread-local-storage code (by the
 * code address, glibc 2.36), i.e. a thread's first touch of a library's
 * thread-local variables. That is neither the step's memory nor repeated, so
 * it is counted apart and reported. */
static int from_loader(void *caller)
{
    Dl_info info;
    return dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "/ld-linux");
}

#define COUNT()                                                                                    \
    do {                                                                                           \
        if (counting) {                                                                            \
            void *caller = __builtin_return_address(0);                                            \
            if (from_loader(caller))                                                               \
                loader_allocations++;                                                              \
            else if (allocations++ == 0)                                                           \
                first_caller = caller;                                                             \
        }                                                                                          \
    } while (0)

void *malloc(size_t n)
{
    COUNT();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    COUNT();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    COUNT();
    return __libc_realloc(p, n);
}

/* Names the first allocation's caller when a count is not zero. */
static void explain(void)
{
    if (loader_allocations > 0)
        diag("and %ld by the dynamic loader (thread-local storage)", loader_allocations);
    loader_allocations = 0;
    Dl_info info;
    if (allocations > 0 && first_caller && dladdr(first_caller, &info))
        diag("first allocation from %s in %s", info.dli_sname ? info.dli_sname : "?",
             info.dli_fname ? info.dli_fname : "?");
}

#endif

static int pass(RnnNet *net, const int32_t *words, float *h, int T)
{
    int good = 1;
    RnnLoss l = rnn_forward(net, words, words + 1, T, h, h, 1, 1e-3f);
    good &= rnn_backward(net, 1, 1) == 0 && l.total == l.total;
    l = rnn_forward(net, words, words + 1, T - 1, h, h, 1, 0.0f);
    good &= rnn_backward(net, 0, 1) == 0 && l.total == l.total;
    l = rnn_forward(net, words, words + 1, T, h, h, 0, 0.0f);
    return good && l.loss == l.loss;
}

int main(void)
{
#ifdef __SANITIZE_ADDRESS__
    skip_all("AddressSanitizer owns malloc; the interposed counter would fight it");
#else
    char err[512];
    counting = 1;
    allocations = 0;
    void *volatile probe = malloc(16);
    free(probe);
    counting = 0;
    ok(allocations == 1, "the interposed malloc counts (%ld)", allocations);

    const RnnShape shape = {1000, 64, 64, 32, 6};
    RnnNet *net = rnn_create(&shape, err, sizeof err);
    if (!net) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    Rng r;
    rng_seed(&r, 1);
    rnn_init(net, &r);
    rnn_draw_masks(net, &r);
    const int T = shape.bptt_max, B = shape.batch;
    int32_t *words = malloc(((size_t)T * B + 1) * sizeof(int32_t));
    float *h = calloc((size_t)B * shape.nhid, sizeof(float));
    for (int i = 0; i <= T * B; i++)
        words[i] = (int32_t)rng_below(&r, shape.ntoken);
    for (int threads = 1; threads <= 2; threads++) {
        parallel_set_threads(threads);
        /* two warm-up passes: the OpenMP runtime sizes its teams' bookkeeping */
        int good = pass(net, words, h, T) && pass(net, words, h, T);
        counting = 1;
        allocations = 0;
        good &= pass(net, words, h, T);
        counting = 0;
        ok(good && allocations == 0,
           "%d thread(s): forward, backward (weights and alphas, alphas alone), evaluation: %ld "
           "allocations",
           threads, allocations);
        explain();
    }
    parallel_set_threads(1);
    free(words);
    free(h);
    rnn_free(net);
    return tap_done();
#endif
}
