/* dispatch: binds the public names of src/nn to the widest instruction-set
 * build of it the CPU runs (see isa.h).
 *
 * Each public function is a GNU indirect function: the dynamic loader calls
 * its resolver once, when the program loads, and every call after that goes
 * straight to the chosen build -- no table to consult per call, no wrapper.
 * A resolver runs before the C library is initialised: it may only ask the
 * CPU (__builtin_cpu_supports, which also checks that the OS saves the
 * vector registers), not read the environment or call the C library; and
 * before a sanitizer's run time, so it must not be instrumented.
 *
 * Tests build this file again with NN_ISA_CAP lowered, so the AVX2 and
 * baseline builds run their kernel tests on a machine that would choose
 * AVX-512.
 */
#include "config.h"
#include "dartboard/nn_isa.h"

#if NN_DISPATCH && !defined(NN_ONE_BUILD)

#define NN_DISPATCH_TABLE
#include "isa.h"

#include "dartboard/activation.h"
#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"
#include "dartboard/conv.h"
#include "dartboard/droppath.h"
#include "dartboard/linear.h"
#include "dartboard/loss.h"
#include "dartboard/pool.h"

enum { NN_BASE, NN_AVX2, NN_AVX512 };

#ifndef NN_ISA_CAP
#define NN_ISA_CAP NN_AVX512
#endif

#define NN_UNINSTRUMENTED __attribute__((no_sanitize("address", "undefined", "thread")))

/* What the CPU runs of what configure compiled: NN_AVX2_CFLAGS and
 * NN_AVX512_CFLAGS enable exactly these extensions. */
NN_UNINSTRUMENTED static int nn_level(void)
{
    __builtin_cpu_init();
    int level = NN_BASE;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        level = NN_AVX2;
    if (level == NN_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        level = NN_AVX512;
    return level < NN_ISA_CAP ? level : NN_ISA_CAP;
}

#define NN_RESOLVE(name)                                                                           \
    extern __typeof__(name) name##_base, name##_avx2, name##_avx512;                               \
    NN_UNINSTRUMENTED __attribute__((used)) static __typeof__(name) *resolve_##name(void)          \
    {                                                                                              \
        int level = nn_level();                                                                    \
        return level == NN_AVX512 ? name##_avx512 : level == NN_AVX2 ? name##_avx2 : name##_base;  \
    }                                                                                              \
    __typeof__(name) name __attribute__((ifunc("resolve_" #name)));

NN_DISPATCHED_FUNCTIONS(NN_RESOLVE)

const char *nn_isa(void)
{
    static const char *const names[] = {"x86-64", "avx2", "avx512"};
    return names[nn_level()];
}

#else

const char *nn_isa(void)
{
#if defined(__AVX512F__)
    return "avx512 (compiled in)";
#elif defined(__AVX2__) && defined(__FMA__)
    return "avx2 (compiled in)";
#else
    return "generic (compiled in)";
#endif
}

#endif
