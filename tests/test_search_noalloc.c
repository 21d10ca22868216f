/* test_search_noalloc: a search step allocates nothing.
 *
 * malloc, calloc and realloc are interposed (glibc's __libc_* underneath) and
 * counted while steps of each order run, after warm-up steps have let the
 * thread runtime settle. Everything a step needs is planned in search_create.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "dartboard/search.h"
#include "helpers.h"
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

int main(void)
{
#ifdef __SANITIZE_ADDRESS__
    skip_all("AddressSanitizer owns malloc; the interposed counter would fight it");
#else
    char err[512];
    Config c;
    Dataset data;
    test_preset(&c, NULL);
    c.monitor.every = 1; /* plans the collapse monitor too */
    if (dataset_load(&data, &c, DATA_TRAIN, err, sizeof err) != 0) {
        printf("Bail out! the test preset's data: %s\n", err);
        return 99;
    }
    counting = 1;
    allocations = 0;
    void *volatile probe = malloc(16);
    free(probe);
    counting = 0;
    ok(allocations == 1, "the interposed malloc counts (%ld)", allocations);

    Search *s = search_create(&c, &data, err, sizeof err);
    if (!s) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    for (int order = 0; order <= 2; order++) {
        c.arch.order = order;
        int good = search_step(s, &c, NULL, err, sizeof err) == 0;
        counting = 1;
        allocations = 0;
        for (int k = 0; k < 3; k++)
            good &= search_step(s, &c, NULL, err, sizeof err) == 0;
        counting = 0;
        ok(good && allocations == 0, "order %d: 3 steps, %ld allocations", order, allocations);
        explain();
    }
    parallel_set_threads(2);
    c.arch.order = 2;
    /* two warm-up steps: the OpenMP runtime sizes its teams' bookkeeping */
    int good = search_step(s, &c, NULL, err, sizeof err) == 0;
    good &= search_step(s, &c, NULL, err, sizeof err) == 0;
    counting = 1;
    allocations = 0;
    good &= search_step(s, &c, NULL, err, sizeof err) == 0;
    counting = 0;
    ok(good && allocations == 0, "order 2 with 2 threads: %ld allocations", allocations);
    explain();
    parallel_set_threads(1);

    float loss, acc;
    search_evaluate(s, 40, &loss, &acc); /* first use of the eval path */
    counting = 1;
    allocations = 0;
    search_evaluate(s, 40, &loss, &acc);
    counting = 0;
    ok(allocations == 0, "evaluation: %ld allocations", allocations);
    explain();

    MonitorRow row;
    good = search_monitor(s, 3, &row, err, sizeof err) == 0; /* first use */
    counting = 1;
    allocations = 0;
    good &= search_monitor(s, 3, &row, err, sizeof err) == 0;
    counting = 0;
    ok(good && allocations == 0,
       "a collapse monitor row (3 Hessian-vector products): %ld allocations", allocations);
    explain();
    search_free(s);
    dataset_free(&data);
    return tap_done();
#endif
}
