/* le: the one little-endian codec of every binary file dartboard writes
 * (checkpoint.bin: its header, the session's extra block, the search state,
 * the samplers). Files written on one machine load on any other.
 *
 * Two forms: le_put_* / le_get_* encode into and decode from a byte buffer;
 * le_write_* / le_read_* do the same through a stdio stream and return 0 or
 * -1 (a short read or write). Float arrays travel as their IEEE-754 bit
 * patterns; on a little-endian host that is the memory itself.
 */
#ifndef DARTBOARD_LE_H
#define DARTBOARD_LE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline void le_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void le_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t le_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le_get_u64(const unsigned char *p)
{
    return (uint64_t)le_get_u32(p) | (uint64_t)le_get_u32(p + 4) << 32;
}

static inline void le_put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    le_put_u64(p, u);
}

static inline double le_get_f64(const unsigned char *p)
{
    uint64_t u = le_get_u64(p);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static inline int le_write_u32(FILE *f, uint32_t v)
{
    unsigned char b[4];
    le_put_u32(b, v);
    return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

static inline int le_write_u64(FILE *f, uint64_t v)
{
    unsigned char b[8];
    le_put_u64(b, v);
    return fwrite(b, 1, 8, f) == 8 ? 0 : -1;
}

static inline int le_read_u32(FILE *f, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4)
        return -1;
    *v = le_get_u32(b);
    return 0;
}

static inline int le_read_u64(FILE *f, uint64_t *v)
{
    unsigned char b[8];
    if (fread(b, 1, 8, f) != 8)
        return -1;
    *v = le_get_u64(b);
    return 0;
}

/* n floats (or int32s: any 4-byte values) as little-endian words. */
static inline int le_write_words(FILE *f, const void *words, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return fwrite(words, 4, n, f) == n ? 0 : -1;
#else
    const unsigned char *src = words;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, src + 4 * i, 4);
        if (le_write_u32(f, u) != 0)
            return -1;
    }
    return 0;
#endif
}

static inline int le_read_words(FILE *f, void *words, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return fread(words, 4, n, f) == n ? 0 : -1;
#else
    unsigned char *dst = words;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        if (le_read_u32(f, &u) != 0)
            return -1;
        memcpy(dst + 4 * i, &u, 4);
    }
    return 0;
#endif
}

#endif
