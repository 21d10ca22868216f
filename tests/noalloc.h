/* noalloc.h: counts the heap allocations of a stretch of code, for the tests
 * that assert that a step allocates nothing.
 *
 *   noalloc_begin();  ...the step...  long n = noalloc_end();
 *   ok(n == 0, ...); noalloc_explain();   names the first allocation's caller
 *
 * malloc, calloc and realloc are interposed (glibc's __libc_* underneath), so
 * include this header in one translation unit of the test program only.
 * Under AddressSanitizer (which owns malloc) it defines nothing but
 * NOALLOC_COUNTS 0; the test skips its counts then.
 */
#ifndef DARTBOARD_NOALLOC_H
#define DARTBOARD_NOALLOC_H

#ifdef __SANITIZE_ADDRESS__
#define NOALLOC_COUNTS 0
#else
#define NOALLOC_COUNTS 1

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static volatile int noalloc_counting;
static volatile long noalloc_count, noalloc_loader_count;
static void *volatile noalloc_first_caller; /* who made the first counted allocation */

/* The dynamic loader sometimes allocates on its own behalf during a step: once,
 * only with the machine under load, from its thread-local-storage code (by the
 * code address, glibc 2.36), i.e. a thread's first touch of a library's
 * thread-local variables. That is neither the step's memory nor repeated, so
 * it is counted apart and reported. dladdr needs _GNU_SOURCE before the first
 * system header of the test. */
static int noalloc_from_loader(void *caller)
{
    Dl_info info;
    return dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "/ld-linux");
}

#define NOALLOC_COUNT()                                                                            \
    do {                                                                                           \
        if (noalloc_counting) {                                                                    \
            void *caller = __builtin_return_address(0);                                            \
            if (noalloc_from_loader(caller))                                                       \
                noalloc_loader_count++;                                                            \
            else if (noalloc_count++ == 0)                                                         \
                noalloc_first_caller = caller;                                                     \
        }                                                                                          \
    } while (0)

void *malloc(size_t n)
{
    NOALLOC_COUNT();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    NOALLOC_COUNT();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    NOALLOC_COUNT();
    return __libc_realloc(p, n);
}

static inline void noalloc_begin(void)
{
    noalloc_count = 0;
    noalloc_counting = 1;
}

/* The allocations since noalloc_begin, the loader's apart. */
static inline long noalloc_end(void)
{
    noalloc_counting = 0;
    return noalloc_count;
}

/* Names the first allocation's caller when the count is not zero, and the
 * loader's allocations. */
static inline void noalloc_explain(void)
{
    if (noalloc_loader_count > 0)
        diag("and %ld by the dynamic loader (thread-local storage)", noalloc_loader_count);
    noalloc_loader_count = 0;
    Dl_info info;
    if (noalloc_count > 0 && noalloc_first_caller && dladdr(noalloc_first_caller, &info))
        diag("first allocation from %s in %s", info.dli_sname ? info.dli_sname : "?",
             info.dli_fname ? info.dli_fname : "?");
}

/* The counter itself: one malloc counts as one. */
static inline long noalloc_probe(void)
{
    noalloc_begin();
    void *volatile probe = malloc(16);
    free(probe);
    return noalloc_end();
}

#endif
#endif
