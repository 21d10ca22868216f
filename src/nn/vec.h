/* vec: the vector types the hot kernels are written in (v8: 8 floats; vf:
 * the widest worth using, see below), and the knob that decides when a kernel
 * opens an OpenMP region. Internal to src/nn.
 *
 * GCC/Clang vector extensions: in the AVX2 build of src/nn (isa.h), or with
 * -march=native on such a machine, a v8 is one ymm register and `a * b + c`
 * contracts to one FMA; in the baseline build the compiler splits it into SSE
 * halves, so the same source is the portable fallback. Loads and stores go through memcpy so they
 * may be unaligned and never break strict aliasing.
 *
 * Element-wise loops are written with vectors by hand too: GCC 12 at -O2
 * vectorises only loops that need no remainder (the "very cheap" cost
 * model), which left every loop over a plane scalar.
 */
#ifndef DARTBOARD_NN_VEC_H
#define DARTBOARD_NN_VEC_H

#include <stddef.h>
#include <string.h>
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Without AVX, GCC notes that passing a 32-byte vector by value has another
 * ABI than with AVX; every function taking one is static to one build of
 * src/nn (isa.h), so no ABI boundary is crossed. configure adds -Wno-psabi:
 * a pragma does not silence the note. */

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

static inline v8 v8_load(const float *p)
{
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, v8 v)
{
    memcpy(p, &v, sizeof v);
}

#ifdef __AVX2__
/* Lanes below `lanes` set: masked loads and stores never touch the others,
 * so a partial vector at the end of a buffer cannot fault. */
static inline __m256i v8_lane_mask(int lanes)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

/* First `lanes` (0..8) floats of p; the others zero. With AVX-512VL (the
 * AVX-512 build) the masked load is the EVEX k-mask move. Partial stores go
 * in plain pieces (v8_store_part): AVX2's vmaskmovps store is microcoded on
 * AMD cores (the evaluation network's training step ran 5-15 % slower on a
 * Zen 4 with it), and a masked store whose masked-off lanes cover pixels
 * read next can defeat store forwarding (vf_load_part); the pieces cost the
 * same as the k-mask store there. */
static inline v8 v8_load_part(const float *p, int lanes)
{
#if defined(__AVX512F__) && defined(__AVX512VL__)
    return (v8)_mm256_maskz_loadu_ps((__mmask8)((1u << lanes) - 1u), p);
#elif defined(__AVX2__)
    return (v8)_mm256_maskload_ps(p, v8_lane_mask(lanes));
#else
    v8 v = {0};
    for (int l = 0; l < lanes; l++)
        v[l] = p[l];
    return v;
#endif
}

static inline void v8_store_part(float *p, v8 v, int lanes)
{
#ifdef __AVX2__ /* 4, 2 and 1 floats by plain stores (see v8_load_part) */
    if (lanes == 8) {
        v8_store(p, v);
        return;
    }
    __m128 q = _mm256_castps256_ps128((__m256)v);
    if (lanes & 4) {
        _mm_storeu_ps(p, q);
        q = _mm256_extractf128_ps((__m256)v, 1);
        p += 4;
    }
    if (lanes & 2) {
        _mm_storel_pi((__m64 *)p, q);
        q = _mm_movehl_ps(q, q);
        p += 2;
    }
    if (lanes & 1)
        _mm_store_ss(p, q);
#else
    for (int l = 0; l < lanes; l++)
        p[l] = v[l];
#endif
}

static inline v8 v8_set1(float x)
{
    return (v8){x, x, x, x, x, x, x, x};
}

/* mask ? a : b per lane, mask from a vector comparison (all ones or zero). */
static inline v8 v8_select(v8i mask, v8 a, v8 b)
{
    return (v8)(((v8i)a & mask) | ((v8i)b & ~mask));
}

/* Lane-wise max; b where either is NaN (what maxps does). */
static inline v8 v8_max(v8 a, v8 b)
{
#ifdef __AVX__
    return (v8)_mm256_max_ps((__m256)a, (__m256)b);
#else
    return v8_select(a > b, a, b);
#endif
}

/* (a > b ? x : y) and (a == b ? x : y) per lane, as one compare and one
 * blend (the generic vector compare makes a lane mask first). */
static inline v8 v8_if_gt(v8 a, v8 b, v8 x, v8 y)
{
#ifdef __AVX__
    return (v8)_mm256_blendv_ps((__m256)y, (__m256)x,
                                _mm256_cmp_ps((__m256)a, (__m256)b, _CMP_GT_OQ));
#else
    return v8_select(a > b, x, y);
#endif
}

static inline v8 v8_if_eq(v8 a, v8 b, v8 x, v8 y)
{
#ifdef __AVX__
    return (v8)_mm256_blendv_ps((__m256)y, (__m256)x,
                                _mm256_cmp_ps((__m256)a, (__m256)b, _CMP_EQ_OQ));
#else
    return v8_select(a == b, x, y);
#endif
}

/* Lane shuffles of two vectors (a:b as 16 lanes). */
#ifdef __clang__
#define V8_SHUFFLE2(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define V8_SHUFFLE2(a, b, ...) __builtin_shuffle((a), (b), (v8i){__VA_ARGS__})
#endif

/* The even and the odd lanes of a:b (deinterleave). */
static inline v8 v8_evens(v8 a, v8 b)
{
    return V8_SHUFFLE2(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
}

static inline v8 v8_odds(v8 a, v8 b)
{
    return V8_SHUFFLE2(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}

/* Interleave e and o: lanes e0 o0 e1 o1 ... (lo: 0..3, hi: 4..7). */
static inline v8 v8_zip_lo(v8 e, v8 o)
{
    return V8_SHUFFLE2(e, o, 0, 8, 1, 9, 2, 10, 3, 11);
}

static inline v8 v8_zip_hi(v8 e, v8 o)
{
    return V8_SHUFFLE2(e, o, 4, 12, 5, 13, 6, 14, 7, 15);
}

/* Sum of the lanes in a fixed order (deterministic). */
static inline float v8_hsum(v8 v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/* vf: the widest vector worth using, VL floats: 16 (one zmm register) where
 * AVX-512 is available -- it doubles the FMA throughput of Zen 4/5 and Intel
 * server cores -- else 8. The plane kernels (depthwise, pools, the pointwise
 * weight gradient) are written in vf. */
#ifdef __AVX512F__
#define VL 16
typedef float vf __attribute__((vector_size(64)));
typedef int vfi __attribute__((vector_size(64)));
#else
#define VL 8
typedef v8 vf;
typedef v8i vfi;
#endif

static inline vf vf_load(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void vf_store(float *p, vf v)
{
    memcpy(p, &v, sizeof v);
}

/* Not `(vf){0} + x`: adding +0 turns -0 into +0, so the compiler must keep
 * the addition, and a broadcast from memory became a load, an add and a
 * shuffle -- the add and the shuffle in the pipes the multiply-adds need. */
static inline vf vf_set1(float x)
{
#ifdef __AVX512F__
    return (vf)_mm512_set1_ps(x);
#else
    return v8_set1(x);
#endif
}

/* First `lanes` (0..VL) floats of p, the others zero; masked, never faults.
 * A 16-lane access is built from 8-lane halves: a 512-bit masked store
 * whose masked-off lanes cover the next row's pixels stalls the loads of
 * those pixels (store forwarding fails; ~20x slower on Zen 5). */
static inline vf vf_load_part(const float *p, int lanes)
{
#ifdef __AVX512F__
    v8 lo = lanes >= 8 ? v8_load(p) : v8_load_part(p, lanes);
    v8 hi = lanes > 8 ? v8_load_part(p + 8, lanes - 8) : v8_set1(0.0f);
    return (vf)_mm512_insertf32x8(_mm512_castps256_ps512((__m256)lo), (__m256)hi, 1);
#else
    return v8_load_part(p, lanes);
#endif
}

static inline void vf_store_part(float *p, vf v, int lanes)
{
#ifdef __AVX512F__
    v8 lo = (v8)_mm512_castps512_ps256((__m512)v);
    if (lanes >= 8) {
        v8_store(p, lo);
        if (lanes > 8)
            v8_store_part(p + 8, (v8)_mm512_extractf32x8_ps((__m512)v, 1), lanes - 8);
    } else {
        v8_store_part(p, lo, lanes);
    }
#else
    v8_store_part(p, v, lanes);
#endif
}

static inline vf vf_select(vfi mask, vf a, vf b)
{
    return (vf)(((vfi)a & mask) | ((vfi)b & ~mask));
}

/* Lane-wise max; b where either is NaN (what maxps does). */
static inline vf vf_max(vf a, vf b)
{
#ifdef __AVX512F__
    return (vf)_mm512_max_ps((__m512)a, (__m512)b);
#else
    return v8_max(a, b);
#endif
}

static inline vf vf_if_gt(vf a, vf b, vf x, vf y)
{
#ifdef __AVX512F__
    return (vf)_mm512_mask_blend_ps(_mm512_cmp_ps_mask((__m512)a, (__m512)b, _CMP_GT_OQ), (__m512)y,
                                    (__m512)x);
#else
    return v8_if_gt(a, b, x, y);
#endif
}

static inline vf vf_if_eq(vf a, vf b, vf x, vf y)
{
#ifdef __AVX512F__
    return (vf)_mm512_mask_blend_ps(_mm512_cmp_ps_mask((__m512)a, (__m512)b, _CMP_EQ_OQ), (__m512)y,
                                    (__m512)x);
#else
    return v8_if_eq(a, b, x, y);
#endif
}

/* vf's lane shuffles of two vectors (a:b as 2 * VL lanes): the even lanes
 * (deinterleave); e and o interleaved (lo: lanes 0 .. VL/2 - 1 of each,
 * hi: the rest); a row of blocks moved by one pixel. */
#if VL == 16
#ifdef __clang__
#define VF_SHUFFLE2(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define VF_SHUFFLE2(a, b, ...) __builtin_shuffle((a), (b), (vfi){__VA_ARGS__})
#endif
static inline vf vf_evens(vf a, vf b)
{
    return VF_SHUFFLE2(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}

static inline vf vf_zip_lo(vf e, vf o)
{
    return VF_SHUFFLE2(e, o, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

static inline vf vf_zip_hi(vf e, vf o)
{
    return VF_SHUFFLE2(e, o, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/* a's last lane then b's first VL - 1 (a row of blocks moved one pixel
 * right), and a's last VL - 1 then b's first (one pixel left); the same for
 * 8 lanes below. */
static inline vf vf_shift_in_prev(vf a, vf b)
{
    return VF_SHUFFLE2(a, b, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
}

static inline vf vf_shift_in_next(vf a, vf b)
{
    return VF_SHUFFLE2(a, b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
}
#else
#define vf_evens v8_evens
#define vf_zip_lo v8_zip_lo
#define vf_zip_hi v8_zip_hi
static inline vf vf_shift_in_prev(vf a, vf b)
{
    return V8_SHUFFLE2(a, b, 7, 8, 9, 10, 11, 12, 13, 14);
}

static inline vf vf_shift_in_next(vf a, vf b)
{
    return V8_SHUFFLE2(a, b, 1, 2, 3, 4, 5, 6, 7, 8);
}
#endif

/* Lanes 0 .. n - 1 set (all of them for n >= VL). */
static inline vfi vf_lanes_below(int n)
{
#if VL == 16
    const vfi iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
#else
    const vfi iota = {0, 1, 2, 3, 4, 5, 6, 7};
#endif
    return iota < n;
}

/* Sum of the lanes in a fixed order (deterministic): the upper half added
 * to the lower, halving down to one lane, in registers (a loop through
 * memory cost 3 % of a training step in the depthwise weight gradient). */
static inline float vf_hsum(vf v)
{
    typedef float v4 __attribute__((vector_size(16)));
    typedef float v2 __attribute__((vector_size(8)));
#if VL == 16
    const v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                 __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    const v8 a = v;
#endif
    const v4 b =
        __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    const v2 c = __builtin_shufflevector(b, b, 0, 1) + __builtin_shufflevector(b, b, 2, 3);
    return c[0] + c[1];
}

/* A kernel opens an OpenMP region only when it has at least this many
 * multiply-adds (or element touches) to share: below it, waking the team
 * costs more than the work (a region costs a few microseconds). */
#define NN_PARALLEL_MIN_WORK 32768

/* A local or parameter that only OpenMP clauses read: a build without
 * OpenMP (the fuzz build) never reads it, and is not to warn of it. */
#define NN_OMP_ONLY __attribute__((unused))

#endif
