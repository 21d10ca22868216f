/* kernels_isa: which build of the kernels a kernel test runs (src/nn/isa.h).
 * The tests built again with src/nn/dispatch.c capped (WANT_ISA, see
 * src/nn/local.mk) must really run that lower build, or they would test the
 * widest one twice. */
#ifndef DARTBOARD_TESTS_KERNELS_ISA_H
#define DARTBOARD_TESTS_KERNELS_ISA_H

#include <string.h>

#include "dartboard/nn_isa.h"
#include "tap.h"

static void check_kernels_isa(void)
{
    diag("kernels: %s", nn_isa());
#ifdef WANT_ISA
    const char *want = WANT_ISA;
    /* a CPU without AVX2 and FMA falls back to the baseline */
    if (strcmp(want, "avx2") == 0 &&
        !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
        want = "x86-64";
    ok(strcmp(nn_isa(), want) == 0, "the %s build of the kernels runs (%s)", want, nn_isa());
#endif
}

#endif
