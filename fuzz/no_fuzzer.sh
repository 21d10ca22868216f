#!/bin/sh
# no_fuzzer: stands in for the fuzz harnesses when configure found no clang
# that links libFuzzer programs (see fuzz/local.mk).
echo "SKIP: ${FUZZ_HINT:-the fuzz harnesses need clang with libFuzzer}"
exit 77
