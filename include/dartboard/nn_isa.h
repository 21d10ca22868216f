/* nn_isa: which instruction-set build of the numeric kernels runs.
 *
 * A portable build on x86-64 (the default) holds the kernels three times and
 * picks the widest the CPU runs when the program loads: "avx512", "avx2"
 * (AVX2 + FMA) or "x86-64" (the baseline). Other builds have one set,
 * compiled for the flags they were built with (--enable-native:
 * -march=native): "... (compiled in)". For benchmark records and tests.
 */
#ifndef DARTBOARD_NN_ISA_H_PUBLIC
#define DARTBOARD_NN_ISA_H_PUBLIC

const char *nn_isa(void);

/* For the element-wise loops of src/search (SGD, Adam, BN-ReLU recomputes,
 * axpy): GCC compiles the function also for AVX-512 and for AVX2+FMA and
 * binds the widest the CPU runs when the program loads, as dispatch.c does
 * for src/nn; they cost a portable build 5-10 % of a step otherwise. Not
 * under a sanitizer, whose run time starts after the binding. */
#if NN_DISPATCH && !defined(NN_ONE_BUILD) && defined(__GNUC__) && !defined(__clang__) &&           \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define NN_CLONED __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NN_CLONED
#endif

#endif
