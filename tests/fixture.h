/* fixture.h: reader (and writer) of the binary tensor fixtures that the
 * PyTorch scripts in tests/reference/ dump, so C tests can compare against
 * them. Header-only, like tap.h, so any test can include it.
 *
 * Format (little-endian): 8-byte magic "DBFIX001", uint32 tensor count, then
 * per tensor: uint32 name length, name bytes (no NUL), uint32 dtype
 * (0 = float32, 1 = int32, 2 = float64), uint32 ndim, uint32 dims[ndim], then
 * count = prod(dims) elements, row-major (NCHW for images).
 *
 *   Fixture *f = fixture_load(tap_srcpath("tests/fixtures/kernels/conv.fix"));
 *   const FixtureTensor *x = fixture_get(f, "x");      NULL when absent
 *   const float *xs = fixture_floats(f, "x", 4);      NULL unless float32, ndim 4
 *   fixture_free(f);
 *
 * A malformed file is reported on stderr, naming the file, the byte offset and
 * what was expected, and fixture_load returns NULL; it never crashes.
 * fixture_load_err() returns the message instead of printing it.
 *
 * For the tests that compare: fixture_weight_hash() (the scripts' weights),
 * fixture_tensor_close() (a TAP diagnostic on a mismatch, hence tap.h) and
 * fixture_need(), fixture_copy() and fixture_need_file() (bail out on a
 * missing tensor or file).
 */
#ifndef DARTBOARD_FIXTURE_H
#define DARTBOARD_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define FIXTURE_MAGIC "DBFIX001"
#define FIXTURE_MAX_DIMS 8

typedef enum FixtureDtype {
    FIXTURE_F32 = 0,
    FIXTURE_I32 = 1,
    FIXTURE_F64 = 2,
    FIXTURE_DTYPE_COUNT
} FixtureDtype;

typedef struct FixtureTensor {
    char *name;
    uint32_t dtype; /* FixtureDtype */
    uint32_t ndim;
    uint32_t dims[FIXTURE_MAX_DIMS];
    size_t count; /* elements: product of dims (1 for a scalar, ndim 0) */
    void *data;   /* count elements of dtype, naturally aligned */
} FixtureTensor;

typedef struct Fixture {
    char *path;
    uint32_t ntensors;
    FixtureTensor *tensors;
} Fixture;

static inline size_t fixture_dtype_size(uint32_t dtype)
{
    return dtype == FIXTURE_F64 ? 8 : 4;
}

static inline void fixture_free(Fixture *f)
{
    if (!f)
        return;
    for (uint32_t i = 0; i < f->ntensors; i++) {
        free(f->tensors[i].name);
        free(f->tensors[i].data);
    }
    free(f->tensors);
    free(f->path);
    free(f);
}

/* Little-endian decoding from bytes, independent of the host's byte order. */
static inline uint32_t fixture_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline int fixture_host_is_le(void)
{
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Reads exactly n bytes or fills err; *off tracks the position for messages. */
static inline int fixture_read_(FILE *fp, void *buf, size_t n, size_t *off, const char *path,
                                const char *what, char *err, size_t errlen)
{
    size_t got = fread(buf, 1, n, fp);
    if (got != n) {
        snprintf(err, errlen,
                 "%.300s: byte %zu: file ends inside %s (expected %zu more bytes, got %zu)", path,
                 *off, what, n, got);
        return -1;
    }
    *off += n;
    return 0;
}

static inline int fixture_read_u32_(FILE *fp, uint32_t *v, size_t *off, const char *path,
                                    const char *what, char *err, size_t errlen)
{
    unsigned char b[4];
    if (fixture_read_(fp, b, 4, off, path, what, err, errlen))
        return -1;
    *v = fixture_u32le(b);
    return 0;
}

static inline Fixture *fixture_load_err(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen,
                 "%.300s: cannot open (expected a fixture written by "
                 "tests/reference/fixture_io.py)",
                 path);
        return NULL;
    }
    Fixture *f = calloc(1, sizeof *f);
    size_t off = 0;
    char magic[8];
    if (!f)
        goto oom;
    f->path = malloc(strlen(path) + 1);
    if (!f->path)
        goto oom;
    strcpy(f->path, path);
    if (fixture_read_(fp, magic, 8, &off, path, "the magic", err, errlen))
        goto fail;
    if (memcmp(magic, FIXTURE_MAGIC, 8) != 0) {
        snprintf(err, errlen, "%.300s: byte 0: bad magic (expected \"%s\")", path, FIXTURE_MAGIC);
        goto fail;
    }
    uint32_t n;
    if (fixture_read_u32_(fp, &n, &off, path, "the tensor count", err, errlen))
        goto fail;
    if (n > 100000) {
        snprintf(err, errlen, "%.300s: byte 8: tensor count %u (expected at most 100000)", path, n);
        goto fail;
    }
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    if (!f->tensors)
        goto oom;
    for (uint32_t i = 0; i < n; i++) {
        FixtureTensor *t = &f->tensors[i];
        uint32_t len;
        size_t at = off;
        f->ntensors = i + 1; /* so fixture_free releases what was read */
        if (fixture_read_u32_(fp, &len, &off, path, "a name length", err, errlen))
            goto fail;
        if (len == 0 || len > 4096) {
            snprintf(err, errlen, "%.300s: byte %zu: tensor %u name length %u (expected 1..4096)",
                     path, at, i, len);
            goto fail;
        }
        t->name = malloc((size_t)len + 1);
        if (!t->name)
            goto oom;
        if (fixture_read_(fp, t->name, len, &off, path, "a tensor name", err, errlen))
            goto fail;
        t->name[len] = '\0';
        at = off;
        if (fixture_read_u32_(fp, &t->dtype, &off, path, "a dtype", err, errlen))
            goto fail;
        if (t->dtype >= FIXTURE_DTYPE_COUNT) {
            snprintf(err, errlen,
                     "%.300s: byte %zu: tensor '%s' dtype %u (expected 0 float32, "
                     "1 int32 or 2 float64)",
                     path, at, t->name, t->dtype);
            goto fail;
        }
        at = off;
        if (fixture_read_u32_(fp, &t->ndim, &off, path, "ndim", err, errlen))
            goto fail;
        if (t->ndim > FIXTURE_MAX_DIMS) {
            snprintf(err, errlen, "%.300s: byte %zu: tensor '%s' ndim %u (expected at most %d)",
                     path, at, t->name, t->ndim, FIXTURE_MAX_DIMS);
            goto fail;
        }
        t->count = 1;
        for (uint32_t d = 0; d < t->ndim; d++) {
            if (fixture_read_u32_(fp, &t->dims[d], &off, path, "a dimension", err, errlen))
                goto fail;
            if (t->dims[d] > (1u << 28) || (t->count *= t->dims[d]) > (1u << 28)) {
                snprintf(err, errlen,
                         "%.300s: byte %zu: tensor '%s' is too large (expected at "
                         "most 2^28 elements)",
                         path, off - 4, t->name);
                goto fail;
            }
        }
        size_t es = fixture_dtype_size(t->dtype);
        t->data = malloc(t->count ? t->count * es : 1);
        if (!t->data)
            goto oom;
        if (fixture_read_(fp, t->data, t->count * es, &off, path, "tensor data", err, errlen))
            goto fail;
        if (!fixture_host_is_le()) {
            unsigned char *p = t->data;
            for (size_t k = 0; k < t->count; k++, p += es)
                for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                    unsigned char tmp = p[a];
                    p[a] = p[b];
                    p[b] = tmp;
                }
        }
    }
    if (fgetc(fp) != EOF) {
        snprintf(err, errlen,
                 "%.300s: byte %zu: trailing bytes after %u tensors (expected end "
                 "of file)",
                 path, off, n);
        goto fail;
    }
    fclose(fp);
    return f;
oom:
    snprintf(err, errlen, "%.300s: out of memory while reading", path);
fail:
    fclose(fp);
    fixture_free(f);
    return NULL;
}

static inline Fixture *fixture_load(const char *path)
{
    char err[512];
    Fixture *f = fixture_load_err(path, err, sizeof err);
    if (!f)
        fprintf(stderr, "fixture: %s\n", err);
    return f;
}

static inline const FixtureTensor *fixture_get(const Fixture *f, const char *name)
{
    for (uint32_t i = 0; f && i < f->ntensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

/* The float32 data of `name` if it exists with that dtype and (when ndim >= 0)
 * that rank; otherwise a message on stderr and NULL. */
static inline const float *fixture_floats(const Fixture *f, const char *name, int ndim)
{
    const FixtureTensor *t = fixture_get(f, name);
    if (!t)
        fprintf(stderr, "fixture: %s: no tensor '%s'\n", f ? f->path : "(null)", name);
    else if (t->dtype != FIXTURE_F32 || (ndim >= 0 && t->ndim != (uint32_t)ndim))
        fprintf(stderr,
                "fixture: %s: tensor '%s' is dtype %u ndim %u (expected float32, "
                "ndim %d)\n",
                f->path, name, t->dtype, t->ndim, ndim);
    else
        return t->data;
    return NULL;
}

static inline const int32_t *fixture_ints(const Fixture *f, const char *name)
{
    const FixtureTensor *t = fixture_get(f, name);
    if (!t || t->dtype != FIXTURE_I32) {
        fprintf(stderr, "fixture: %s: no int32 tensor '%s'\n", f ? f->path : "(null)", name);
        return NULL;
    }
    return t->data;
}

/* Writer, for C code that dumps tensors for comparison in Python. Tensors are
 * given as parallel arrays; returns 0 or -1 (errno set by stdio). The file is
 * written to path.tmp and renamed, so a crash never leaves a torn fixture. */
static inline int fixture_save(const char *path, int ntensors, const FixtureTensor *tensors)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp)
        return -1;
    int bad = fwrite(FIXTURE_MAGIC, 1, 8, fp) != 8;
#define FIXTURE_PUT_U32(v)                                                                         \
    do {                                                                                           \
        uint32_t v_ = (v);                                                                         \
        unsigned char b_[4] = {(unsigned char)v_, (unsigned char)(v_ >> 8),                        \
                               (unsigned char)(v_ >> 16), (unsigned char)(v_ >> 24)};              \
        bad |= fwrite(b_, 1, 4, fp) != 4;                                                          \
    } while (0)
    FIXTURE_PUT_U32((uint32_t)ntensors);
    for (int i = 0; i < ntensors; i++) {
        const FixtureTensor *t = &tensors[i];
        size_t count = 1, es = fixture_dtype_size(t->dtype);
        FIXTURE_PUT_U32((uint32_t)strlen(t->name));
        bad |= fwrite(t->name, 1, strlen(t->name), fp) != strlen(t->name);
        FIXTURE_PUT_U32(t->dtype);
        FIXTURE_PUT_U32(t->ndim);
        for (uint32_t d = 0; d < t->ndim; d++) {
            FIXTURE_PUT_U32(t->dims[d]);
            count *= t->dims[d];
        }
        if (fixture_host_is_le()) {
            bad |= fwrite(t->data, es, count, fp) != count;
        } else {
            const unsigned char *p = t->data;
            for (size_t k = 0; k < count; k++, p += es)
                for (size_t b = es; b-- > 0;)
                    bad |= fputc(p[b], fp) == EOF;
        }
    }
#undef FIXTURE_PUT_U32
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- comparing */

/* The fixture scripts' weight_hash(): splitmix64 of i + 1, 24 bits, so the
 * weights are exact in float32 on both sides and need not be stored. */
static inline float fixture_weight_hash(uint64_t i)
{
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    int64_t k = (int64_t)(z >> 40);
    return (float)(k - (1 << 23)) / (float)(1 << 24);
}

/* A tensor matches when ||got - want|| <= rtol ||want|| and every element is
 * within rtol of max(|want_i|, floor_frac rms(want)): relative, with a floor
 * at a fraction of the tensor's typical size so that entries near zero are
 * not judged on rounding noise. A mismatch is named in a TAP diagnostic. */
static inline int fixture_tensor_close(const float *got, const float *want, size_t count,
                                       double rtol, double floor_frac, const char *what)
{
    double num = 0.0, den = 0.0, worst = 0.0;
    size_t worst_at = 0;
    for (size_t i = 0; i < count; i++) {
        num += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        den += (double)want[i] * want[i];
    }
    double floor_abs = floor_frac * sqrt(den / (double)count);
    if (floor_abs == 0.0)
        floor_abs = 1e-30;
    for (size_t i = 0; i < count; i++) {
        double scale = fabs(want[i]) > floor_abs ? fabs(want[i]) : floor_abs;
        double e = fabs((double)got[i] - want[i]) / scale;
        if (e > worst || isnan(got[i])) {
            worst = isnan(got[i]) ? INFINITY : e;
            worst_at = i;
        }
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    int good = rel <= rtol && worst <= rtol;
    if (!good)
        diag("%s: norm rel. error %.3g, worst element %zu: got %.9g want %.9g (rel. %.3g; "
             "floor %.3g)",
             what, rel, worst_at, got[worst_at], want[worst_at], worst, floor_abs);
    return good;
}

/* The data of tensor `name` of `count` elements; otherwise the test bails out
 * (exit 99: the fixture, not the code under test, is wrong). */
static inline const void *fixture_need(const Fixture *f, const char *name, size_t count)
{
    const FixtureTensor *t = fixture_get(f, name);
    if (!t || t->count != count) {
        printf("Bail out! fixture tensor %s missing or not %zu elements\n", name, count);
        exit(99);
    }
    return t->data;
}

/* fixture_need's copying form: count floats of `name` into dst. */
static inline void fixture_copy(float *dst, const Fixture *f, const char *name, size_t count)
{
    memcpy(dst, fixture_need(f, name, count), count * sizeof(float));
}

/* The fixture at rel (below $top_srcdir), or the test bails out. */
static inline Fixture *fixture_need_file(const char *rel)
{
    Fixture *f = fixture_load(tap_srcpath(rel));
    if (!f) {
        printf("Bail out! the fixture %s\n", rel);
        exit(99);
    }
    return f;
}

#endif
