/* arena: see include/dartboard/arena.h */
#include "dartboard/arena.h"

#include <limits.h>
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

const ArenaLife arena_always = {{0, 1}, {INT_MAX, -1}};

void arena_measure(Arena *a)
{
    memset(a, 0, sizeof *a);
    a->size = (size_t)-1;
}

void arena_measure_lives(Arena *a)
{
    arena_measure(a);
    a->lives = 1;
}

static int lives_meet(const ArenaLife *x, const ArenaLife *y)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (x->first[i] <= x->last[i] && y->first[j] <= y->last[j] &&
                x->first[i] <= y->last[j] && y->first[j] <= x->last[i])
                return 1;
    return 0;
}

/* a request's bytes and index, to place the largest first */
typedef struct Order {
    size_t bytes, index;
} Order;

/* memory [lo, hi) taken by a placed request */
typedef struct Span {
    size_t lo, hi;
} Span;

/* largest first, then in request order */
static int by_size(const void *x, const void *y)
{
    const Order *a = x, *b = y;
    if (a->bytes != b->bytes)
        return a->bytes < b->bytes ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int by_start(const void *x, const void *y)
{
    const Span *a = x, *b = y;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* O(n^2) in the requests: a network's few thousand, once at its creation. */
int arena_pack(Arena *a)
{
    size_t n = a->nreq;
    Order *order = malloc((n ? n : 1) * sizeof *order);
    Span *busy = malloc((n ? n : 1) * sizeof *busy);
    if (a->failed || !order || !busy) {
        free(order);
        free(busy);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (Order){a->req[i].bytes, i};
    qsort(order, n, sizeof *order, by_size);
    a->peak = 0;
    for (size_t q = 0; q < n; q++) {
        ArenaReq *r = &a->req[order[q].index];
        size_t nb = 0;
        for (size_t e = 0; e < q; e++) { /* the placed ones alive with it */
            const ArenaReq *o = &a->req[order[e].index];
            if (o->bytes && lives_meet(&r->life, &o->life))
                busy[nb++] = (Span){o->off, align_up(o->off + o->bytes)};
        }
        qsort(busy, nb, sizeof *busy, by_start);
        size_t at = 0; /* the lowest gap it fits */
        for (size_t e = 0; e < nb && busy[e].lo < at + r->bytes; e++)
            if (busy[e].hi > at)
                at = busy[e].hi;
        r->off = at;
        if (r->off + r->bytes > a->peak)
            a->peak = r->off + r->bytes;
    }
    free(order);
    free(busy);
    return 0;
}

int arena_carve(Arena *a)
{
    Arena plan = *a;
    if (arena_init(a, plan.peak) != 0) {
        *a = plan;
        return -1;
    }
    a->peak = plan.peak;
    a->lives = 1;
    a->req = plan.req;
    a->nreq = plan.nreq;
    a->capreq = plan.capreq;
    return 0;
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
    free(a->req);
    memset(a, 0, sizeof *a);
}

/* A request of an arena with lifetimes: recorded while measuring, given
 * its packed place once carved. */
static void *arena_request(Arena *a, size_t bytes, ArenaLife life)
{
    if (!a->base) {
        if (a->nreq == a->capreq) {
            size_t cap = a->capreq ? 2 * a->capreq : 256;
            ArenaReq *more = realloc(a->req, cap * sizeof *more);
            if (!more) {
                a->failed = 1;
                return NULL;
            }
            a->req = more;
            a->capreq = cap;
        }
        a->req[a->nreq++] = (ArenaReq){bytes, 0, life};
        return NULL;
    }
    if (a->next >= a->nreq || a->req[a->next].bytes != bytes) {
        fprintf(stderr,
                "dartboard: internal error: arena request %zu (%zu bytes) is not the one "
                "planned\n",
                a->next, bytes);
        abort();
    }
    return a->base + a->req[a->next++].off;
}

void *arena_bytes(Arena *a, size_t bytes)
{
    if (a->lives)
        return arena_request(a, bytes, arena_always);
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

float *arena_floats_live(Arena *a, size_t count, ArenaLife life)
{
    if (!a->lives)
        return arena_floats(a, count);
    return arena_request(a, count * sizeof(float), life);
}
