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

#endif
