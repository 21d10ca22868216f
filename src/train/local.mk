# src/train: training a derived cell from scratch (the evaluation network,
# its trainer) and their tests.
libdartnum_a_SOURCES += src/train/evalnet.c src/train/evalops.c src/train/evalops.h \
	src/train/trainer.c src/train/cutout.c include/dartboard/evalnet.h include/dartboard/cutout.h include/dartboard/trainer.h

check_PROGRAMS += tests/test_evalnet
TESTS += tests/test_evalnet
tests_test_evalnet_SOURCES = tests/test_evalnet.c tests/fixture.h tests/tap.h
tests_test_evalnet_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_evalnet_fixtures.py tests/fixtures/train

check_PROGRAMS += tests/test_trainer
TESTS += tests/test_trainer
tests_test_trainer_SOURCES = tests/test_trainer.c tests/tap.h
tests_test_trainer_LDADD = $(CORE_LIBS)
