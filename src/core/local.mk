# src/core: arena, RNG, thread control
libdartcore_a_SOURCES += src/core/arena.c src/core/rng.c src/core/parallel.c src/core/profile.c \
	include/dartboard/arena.h include/dartboard/rng.h include/dartboard/parallel.h \
	include/dartboard/profile.h

check_PROGRAMS += tests/test_core
TESTS += tests/test_core
tests_test_core_SOURCES = tests/test_core.c tests/tap.h
tests_test_core_LDADD = $(CORE_LIBS)
