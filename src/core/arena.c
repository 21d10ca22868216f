/* arena: see include/dartboard/arena.h */
#include "dartboard/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64

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
