# bench: files of this module
# search engineer: full search steps timed for `dartboard bench`
libdartcore_a_SOURCES += bench/bench_step.c
