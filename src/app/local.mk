# src/app: the session (worker thread, snapshots, commands), the run directory,
# the command line and the headless front-end. main.c alone is not in the core
# library, so tests can drive a Session without the program around it.
libdartapp_a_SOURCES += src/app/session.c src/app/session_internal.h src/app/training.c src/app/training_rnn.c src/app/cli.c src/app/cli_rnn.c src/app/cli.h \
	src/app/headless.c src/app/headless.h include/dartboard/session.h

check_PROGRAMS += tests/test_session
TESTS += tests/test_session
tests_test_session_SOURCES = tests/test_session.c tests/tap.h
tests_test_session_LDADD = $(CORE_LIBS)

TESTS += tests/test_cli.sh tests/test_resume.sh tests/test_rundir.sh tests/test_train.sh
EXTRA_DIST += tests/test_cli.sh tests/test_resume.sh tests/test_rundir.sh tests/test_train.sh \
	tests/fail_writes.c

# A full or read-only disk under one directory, for tests/test_rundir.sh
# (LD_PRELOAD; a plain shared object, so built by hand).
check_DATA = tests/fail_writes.so
tests/fail_writes.so: $(srcdir)/tests/fail_writes.c
	@mkdir -p tests
	$(AM_V_CC)$(CC) -shared -fPIC -O2 -Wall -o $@ $(srcdir)/tests/fail_writes.c -ldl
CLEANFILES += tests/fail_writes.so
TESTS += tests/test_session_tsan.sh
EXTRA_DIST += tests/test_session_tsan.sh tests/tsan.sh

# tests/test_session_tsan.sh links its instrumented session sources with the
# core library and these libraries.
print-core-libs:
	@echo $(OPENMP_CFLAGS) $(BLAS_LIBS) $(YAML_LIBS) $(ZLIB_LIBS) $(LIBS)
.PHONY: print-core-libs

# The app tests' scratch directories (build tree only).
clean-local: clean-app-tests
# Every test's scratch directory is named test_NAME.dir or test_NAME.run.
clean-app-tests:
	-rm -rf test_*.dir test_*.run
.PHONY: clean-app-tests

check_PROGRAMS += tests/test_session_nan
TESTS += tests/test_session_nan
tests_test_session_nan_SOURCES = tests/test_session_nan.c tests/tap.h
tests_test_session_nan_LDADD = $(CORE_LIBS)

check_PROGRAMS += tests/test_session_resume
TESTS += tests/test_session_resume
tests_test_session_resume_SOURCES = tests/test_session_resume.c tests/tap.h
tests_test_session_resume_LDADD = $(CORE_LIBS)

check_PROGRAMS += tests/test_session_corrupt
TESTS += tests/test_session_corrupt
tests_test_session_corrupt_SOURCES = tests/test_session_corrupt.c tests/tap.h
tests_test_session_corrupt_LDADD = $(CORE_LIBS)

# dartboard train of a recurrent cell (training_rnn.c, cli_rnn.c)
TESTS += tests/test_rnn_train.sh
EXTRA_DIST += tests/test_rnn_train.sh tests/fixtures/textlm/ptb.train.txt \
	tests/fixtures/textlm/ptb.valid.txt tests/fixtures/textlm/ptb.test.txt
