/* arena: one planned allocation carved into named buffers.
 *
 * A training step never calls malloc. Everything a step needs (activations,
 * scratch, gradients) is reserved once, while the network is planned, by
 * bumping an offset in an arena; the arena owns the memory and frees it all
 * at once. Buffers are 64-byte aligned so vector loads never straddle lines.
 *
 * Lifetimes: a plan may say when in a step each buffer is in use (the
 * moments, or slots, of an ArenaLife). Buffers whose lifetimes do not meet
 * may then share memory: the measuring pass records every request, and
 * arena_pack() places them, largest first, each at the lowest offset where
 * it overlaps no placed buffer that is alive at the same time. The second
 * pass must make the same requests in the same order (arena_carve); each
 * gets its packed place.
 */
#ifndef DARTBOARD_ARENA_H
#define DARTBOARD_ARENA_H

#include <stddef.h>

/* When a buffer is in use: slots first[i] .. last[i] (inclusive) of a step,
 * for the spans i with first[i] <= last[i]; the others are empty. */
typedef struct ArenaLife {
    int first[2], last[2];
} ArenaLife;

/* A request recorded while measuring with lifetimes, and its packed place. */
typedef struct ArenaReq {
    size_t bytes, off;
    ArenaLife life;
} ArenaReq;

typedef struct Arena {
    char *base;  /* NULL while only measuring (see arena_measure) */
    size_t size; /* bytes available */
    size_t used; /* bytes handed out so far */
    size_t peak; /* high-water mark, for planning and reports */
    /* with lifetimes (arena_measure_lives): the requests, and the next one
     * arena_carve's pass makes */
    int lives, failed;
    ArenaReq *req;
    size_t nreq, capreq, next;
} Arena;

/* The whole of a step: every buffer without a lifetime of its own. */
extern const ArenaLife arena_always;

/* An arena that hands out no memory but counts what would be needed:
 * plan a network once with it, then arena_init() with arena.peak bytes. */
void arena_measure(Arena *a);
/* The same, recording each request and its lifetime for arena_pack. */
void arena_measure_lives(Arena *a);
/* Places the recorded requests (see above); a.peak is then the bytes the
 * packed plan needs. Returns 0, or -1 when out of memory. */
int arena_pack(Arena *a);
/* Allocates a.peak bytes for the packed plan, kept: the next pass's
 * requests get their places. Returns 0, or -1 when out of memory. */
int arena_carve(Arena *a);
/* Allocates `bytes` (zeroed). Returns 0, or -1 when out of memory. */
int arena_init(Arena *a, size_t bytes);
void arena_free(Arena *a);
/* `count` floats, 64-byte aligned, zeroed at init (with lifetimes, what a
 * buffer holds when its life starts is another's: write before reading).
 * Aborts with a message when the plan overflows the arena or a carving pass
 * asks for other than the measured requests: a planning bug, not bad input. */
float *arena_floats(Arena *a, size_t count);
void *arena_bytes(Arena *a, size_t bytes);
/* The same, in use only during `life` (an arena measured or carved with
 * lifetimes; in any other, for the whole step). */
float *arena_floats_live(Arena *a, size_t count, ArenaLife life);

#endif
