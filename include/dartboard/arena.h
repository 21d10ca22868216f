/* arena: one planned allocation carved into named buffers.
 *
 * A training step never calls malloc. Everything a step needs (activations,
 * scratch, gradients) is reserved once, while the network is planned, by
 * bumping an offset in an arena; the arena owns the memory and frees it all
 * at once. Buffers are 64-byte aligned so vector loads never straddle lines.
 */
#ifndef DARTBOARD_ARENA_H
#define DARTBOARD_ARENA_H

#include <stddef.h>

typedef struct Arena {
    char *base;  /* NULL while only measuring (see arena_measure) */
    size_t size; /* bytes available */
    size_t used; /* bytes handed out so far */
    size_t peak; /* high-water mark, for planning and reports */
} Arena;

/* An arena that hands out no memory but counts what would be needed:
 * plan a network once with it, then arena_init() with arena.peak bytes. */
void arena_measure(Arena *a);
/* Allocates `bytes` (zeroed). Returns 0, or -1 when out of memory. */
int arena_init(Arena *a, size_t bytes);
void arena_free(Arena *a);
/* `count` floats, 64-byte aligned, zeroed at init. Aborts with a message
 * when the plan overflows the arena: that is a planning bug, not bad input. */
float *arena_floats(Arena *a, size_t count);
void *arena_bytes(Arena *a, size_t bytes);

#endif
