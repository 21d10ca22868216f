# src/rnn: the recurrent DARTS search network (language model) and its cell;
# the derived cell's model and its training from scratch.
libdartnum_a_SOURCES += src/rnn/rnnnet.c src/rnn/rnn_genotype.c src/rnn/rnn_math.c \
	src/rnn/rnn_math.h src/rnn/rnn_lm.c src/rnn/rnn_lm.h src/rnn/rnnmodel.c src/rnn/rnntrain.c \
	include/dartboard/rnnnet.h include/dartboard/rnn_genotype.h \
	include/dartboard/rnnmodel.h include/dartboard/rnntrain.h
check_PROGRAMS += tests/test_rnnnet
TESTS += tests/test_rnnnet
tests_test_rnnnet_SOURCES = tests/test_rnnnet.c tests/fixture.h tests/tap.h
tests_test_rnnnet_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_rnn_fixtures.py tests/fixtures/rnn/small.fix
check_PROGRAMS += tests/test_rnn_noalloc
TESTS += tests/test_rnn_noalloc
tests_test_rnn_noalloc_SOURCES = tests/test_rnn_noalloc.c tests/noalloc.h tests/tap.h
tests_test_rnn_noalloc_LDADD = $(CORE_LIBS)
libdartnum_a_SOURCES += src/rnn/rnnsearch.c include/dartboard/rnnsearch.h
check_PROGRAMS += tests/test_rnnsearch
TESTS += tests/test_rnnsearch
tests_test_rnnsearch_SOURCES = tests/test_rnnsearch.c tests/tap.h
tests_test_rnnsearch_LDADD = $(IO_LIBS)
EXTRA_DIST += tests/fixtures/text/make_text.py tests/fixtures/text/ptb.train.txt \
	tests/fixtures/text/ptb.valid.txt tests/fixtures/text/ptb.test.txt
check_PROGRAMS += tests/test_rnnsearch_ref
TESTS += tests/test_rnnsearch_ref
tests_test_rnnsearch_ref_SOURCES = tests/test_rnnsearch_ref.c tests/fixture.h tests/tap.h
tests_test_rnnsearch_ref_LDADD = $(IO_LIBS)
EXTRA_DIST += tests/reference/make_rnnsearch_fixtures.py tests/fixtures/rnnsearch/steps.fix
check_PROGRAMS += tests/test_rnntrain
TESTS += tests/test_rnntrain
tests_test_rnntrain_SOURCES = tests/test_rnntrain.c tests/fixture.h tests/noalloc.h tests/tap.h
tests_test_rnntrain_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_rnn_train_fixtures.py tests/fixtures/rnn/train.fix
