# bench: files of this module
# search engineer: full search steps timed for `dartboard bench`
libdartcore_a_SOURCES += bench/bench_step.c
check_PROGRAMS += tests/test_bench_step
TESTS += tests/test_bench_step
tests_test_bench_step_SOURCES = tests/test_bench_step.c tests/tap.h
tests_test_bench_step_LDADD = $(CORE_LIBS)
