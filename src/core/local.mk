# src/core: what every layer shares: the op set and the cell type (genotype),
# the plain configuration struct, arena, RNG, thread control, the LE codec
libdartnum_a_SOURCES += src/core/genotype.c src/core/arena.c src/core/rng.c src/core/parallel.c src/core/profile.c src/core/grad_reduce.c src/core/balance.c \
	include/dartboard/genotype.h include/dartboard/config_types.h include/dartboard/le.h \
	include/dartboard/arena.h include/dartboard/rng.h include/dartboard/parallel.h \
	include/dartboard/profile.h include/dartboard/grad_reduce.h include/dartboard/balance.h

check_PROGRAMS += tests/test_core
TESTS += tests/test_core
tests_test_core_SOURCES = tests/test_core.c tests/tap.h
tests_test_core_LDADD = $(CORE_LIBS)
