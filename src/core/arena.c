/* arena: see include/dartboard/arena.h */
#include "dartboard/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ARENA_ALIGN 64
/* An arena of at least this much is laid on 2 MiB pages where the kernel
 * gives them on request (transparent huge pages in "madvise" mode, Debian's
 * default): a step streams through tensors of megabytes, op after op, and
 * with 4 KiB pages each of them costs hundreds of TLB entries. Measured, 1
 * thread: the fashion training step 171.5-171.8 -> 165.5-166.1 ms, the
 * cifar one at batch 32 831-856 -> 814-846 ms; a search step the same. */
#define ARENA_HUGE ((size_t)2 << 20)

static size_t align_up(size_t x)
{
    return (x + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

void arena_measure(Arena *a)
{
    memset(a, 0, sizeof *a);
    a->size = (size_t)-1;
}

int arena_init(Arena *a, size_t bytes)
{
    memset(a, 0, sizeof *a);
    bytes = align_up(bytes ? bytes : ARENA_ALIGN);
#ifdef MADV_HUGEPAGE
    if (bytes >= ARENA_HUGE) {
        bytes = (bytes + ARENA_HUGE - 1) & ~(ARENA_HUGE - 1);
        a->base = aligned_alloc(ARENA_HUGE, bytes);
        if (a->base) /* a request; without it the pages are small, and that is all */
            (void)madvise(a->base, bytes, MADV_HUGEPAGE);
    } else
#endif
        a->base = aligned_alloc(ARENA_ALIGN, bytes);
    if (!a->base)
        return -1;
    memset(a->base, 0, bytes);
    a->size = bytes;
    return 0;
}

void arena_free(Arena *a)
{
    free(a->base);
    memset(a, 0, sizeof *a);
}

void *arena_bytes(Arena *a, size_t bytes)
{
    size_t at = align_up(a->used);
    if (bytes > a->size || at > a->size - bytes) {
        fprintf(stderr, "dartboard: internal error: arena plan overflow (%zu + %zu > %zu bytes)\n",
                at, bytes, a->size);
        abort();
    }
    a->used = at + bytes;
    if (a->used > a->peak)
        a->peak = a->used;
    return a->base ? a->base + at : NULL;
}

float *arena_floats(Arena *a, size_t count)
{
    return arena_bytes(a, count * sizeof(float));
}
