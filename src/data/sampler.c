/* sampler: epoch permutations over an index range, full batches only, and
 * its checkpoint block. See include/dartboard/data.h. */
#include "dartboard/data.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/le.h"

#define SAMPLER_MAGIC "SMPL0001"

/* A fresh order: the identity shuffled, so it depends on the rng alone. */
static void sampler_shuffle(Sampler *s)
{
    for (int32_t i = 0; i < s->count; i++)
        s->perm[i] = s->first + i;
    rng_shuffle(&s->rng, s->perm, s->count);
    s->pos = 0;
}

int sampler_init(Sampler *s, int32_t first, int32_t count, int32_t batch, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    if (batch < 1 || count < batch || first < 0)
        return -1;
    s->perm = malloc((size_t)count * sizeof *s->perm);
    if (!s->perm)
        return -1;
    s->first = first;
    s->count = count;
    s->batch = batch;
    rng_seed(&s->rng, seed);
    sampler_shuffle(s);
    return 0;
}

void sampler_free(Sampler *s)
{
    free(s->perm);
    memset(s, 0, sizeof *s);
}

int sampler_next(Sampler *s, int32_t *idx)
{
    int started = s->pos == 0;
    memcpy(idx, s->perm + s->pos, (size_t)s->batch * sizeof *idx);
    s->pos += s->batch;
    if (s->pos + s->batch > s->count) {
        s->epoch++;
        sampler_shuffle(s);
    }
    return started;
}

int sampler_batches_per_epoch(const Sampler *s)
{
    return s->count / s->batch;
}

/* ---------------------------------------------------------------- checkpoint block */

/* magic, first, count, batch, pos, epoch, rng[4], then perm[count] */
#define HEADER_BYTES (8 + 4 * 4 + 8 + 4 * 8)

size_t sampler_state_bytes(const Sampler *s)
{
    return HEADER_BYTES + 4 * (size_t)s->count;
}

int sampler_save(const Sampler *s, FILE *f)
{
    unsigned char h[HEADER_BYTES], *p = h;
    memcpy(p, SAMPLER_MAGIC, 8);
    p += 8;
    le_put_u32(p, (uint32_t)s->first);
    le_put_u32(p + 4, (uint32_t)s->count);
    le_put_u32(p + 8, (uint32_t)s->batch);
    le_put_u32(p + 12, (uint32_t)s->pos);
    p += 16;
    le_put_u64(p, (uint64_t)s->epoch);
    p += 8;
    for (int i = 0; i < 4; i++, p += 8)
        le_put_u64(p, s->rng.s[i]);
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return -1;
    unsigned char buf[4 * 1024];
    for (int32_t i = 0; i < s->count;) {
        int32_t n = 0;
        for (; n < (int32_t)(sizeof buf / 4) && i < s->count; n++, i++)
            le_put_u32(buf + 4 * n, (uint32_t)s->perm[i]);
        if (fwrite(buf, 4, (size_t)n, f) != (size_t)n)
            return -1;
    }
    return ferror(f) ? -1 : 0;
}

static void load_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void load_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n = snprintf(err, errlen, "sampler state: ");
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

int sampler_load(Sampler *s, FILE *f, char *err, size_t errlen)
{
    unsigned char h[HEADER_BYTES];
    if (fread(h, 1, sizeof h, f) != sizeof h) {
        load_fail(err, errlen, "truncated header (expected %d bytes)", HEADER_BYTES);
        return -1;
    }
    if (memcmp(h, SAMPLER_MAGIC, 8) != 0) {
        load_fail(err, errlen, "bad magic (expected %s)", SAMPLER_MAGIC);
        return -1;
    }
    int32_t first = (int32_t)le_get_u32(h + 8), count = (int32_t)le_get_u32(h + 12);
    int32_t batch = (int32_t)le_get_u32(h + 16), pos = (int32_t)le_get_u32(h + 20);
    int64_t epoch = (int64_t)le_get_u64(h + 24);
    if (first != s->first || count != s->count || batch != s->batch) {
        load_fail(err, errlen,
                  "indices [%d, %lld) in batches of %d (expected [%d, %d) in batches of %d)", first,
                  (long long)first + count, batch, s->first, s->first + s->count, s->batch);
        return -1;
    }
    /* count >= batch here (sampler_init), so count - batch cannot overflow. */
    if (pos < 0 || pos % batch != 0 || pos > count - batch || epoch < 0) {
        load_fail(err, errlen, "position %d, epoch %lld (expected a batch boundary in [0, %d])",
                  pos, (long long)epoch, count - batch);
        return -1;
    }
    int32_t *perm = malloc((size_t)count * sizeof *perm);
    unsigned char *seen = calloc((size_t)count, 1);
    unsigned char buf[4 * 1024];
    int rc = -1;
    if (!perm || !seen) {
        load_fail(err, errlen, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < count;) {
        size_t n = (size_t)(count - i) < sizeof buf / 4 ? (size_t)(count - i) : sizeof buf / 4;
        if (fread(buf, 4, n, f) != n) {
            load_fail(err, errlen, "truncated permutation (expected %d entries)", count);
            goto out;
        }
        for (size_t j = 0; j < n; j++, i++) {
            int32_t v = (int32_t)le_get_u32(buf + 4 * j);
            if (v < first || v >= first + count || seen[v - first]) {
                load_fail(err, errlen, "entry %d = %d (expected a permutation of [%d, %d))", i, v,
                          first, first + count);
                goto out;
            }
            seen[v - first] = 1;
            perm[i] = v;
        }
    }
    memcpy(s->perm, perm, (size_t)count * sizeof *perm);
    s->pos = pos;
    s->epoch = epoch;
    for (int i = 0; i < 4; i++)
        s->rng.s[i] = le_get_u64(h + 32 + 8 * i);
    rc = 0;
out:
    free(perm);
    free(seen);
    return rc;
}
