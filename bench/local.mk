# bench: files of this module
# search engineer: full search steps timed for `dartboard bench`
libdartcore_a_SOURCES += bench/bench_step.c
# bench: kernel benchmark (bench_kernels(), called by `dartboard bench --kernels`)
# and a stand-alone driver that is built but never run by make check.
libdartcore_a_SOURCES += bench/bench_kernels.c include/dartboard/bench_kernels.h
noinst_PROGRAMS = bench/kernels
bench_kernels_SOURCES = bench/kernels_main.c
bench_kernels_LDADD = $(CORE_LIBS)
