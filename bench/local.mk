# what the benchmarks share: clock, peak RSS, median, the profile table
libdartapp_a_SOURCES += bench/bench_common.c include/dartboard/bench_common.h

# bench: kernel benchmark (bench_kernels(), called by `dartboard bench --kernels`)
# and a stand-alone driver that is built but never run by make check.
libdartapp_a_SOURCES += bench/bench_kernels.c include/dartboard/bench_kernels.h
noinst_PROGRAMS += bench/kernels
bench_kernels_SOURCES = bench/kernels_main.c
bench_kernels_LDADD = $(CORE_LIBS)

# search engineer: full search steps timed for `dartboard bench`
libdartapp_a_SOURCES += bench/bench_step.c include/dartboard/bench_step.h
check_PROGRAMS += tests/test_bench_step
TESTS += tests/test_bench_step
tests_test_bench_step_SOURCES = tests/test_bench_step.c tests/tap.h
tests_test_bench_step_LDADD = $(CORE_LIBS)
EXTRA_DIST += bench/compare_reference.sh

# the training step beside the PyTorch reference (BENCHMARKS.md); make check
# runs it with a stand-in for the reference
TESTS += tests/test_compare_train.sh
EXTRA_DIST += bench/compare_train.sh tests/test_compare_train.sh

# issue 13: the remedies compared (BENCHMARKS.md); make check runs its --tiny mode
TESTS += tests/test_compare_remedies.sh
EXTRA_DIST += bench/compare-remedies.sh tests/test_compare_remedies.sh

# training a derived cell from scratch, timed for `dartboard bench --train`
libdartapp_a_SOURCES += bench/bench_train.c include/dartboard/bench_train.h
# recurrent search steps timed for `dartboard bench --rnn`
libdartapp_a_SOURCES += bench/bench_rnn.c include/dartboard/bench_rnn.h

