# src/io: files of this module
# checkpoints and atomic files (app)
libdartcore_a_SOURCES += src/io/atomic_file.c src/io/checkpoint.c
check_PROGRAMS += tests/test_checkpoint
TESTS += tests/test_checkpoint
tests_test_checkpoint_SOURCES = tests/test_checkpoint.c tests/tap.h
tests_test_checkpoint_LDADD = $(CORE_LIBS)
