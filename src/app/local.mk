# src/app: the session (worker thread, snapshots, commands), the run directory,
# the command line and the headless front-end. main.c alone is not in the core
# library, so tests can drive a Session without the program around it.
libdartapp_a_SOURCES += src/app/session.c src/app/session_monitor.c src/app/session_internal.h src/app/training.c src/app/rnnsearch_worker.c src/app/training_rnn.c src/app/cli.c src/app/cli.h \
	src/app/headless.c src/app/headless.h include/dartboard/session.h
# viewers: the feed the UI draws from, the wire protocol, the search's
# server thread, the viewer's connection, detaching, `dartboard ls`
libdartapp_a_SOURCES += src/app/feed.c include/dartboard/feed.h src/app/wire.c src/app/wire.h \
	src/app/server.c src/app/server.h src/app/client.c src/app/client.h \
	src/app/viewers.c src/app/viewers.h \
	src/app/dist.c include/dartboard/dist.h

check_PROGRAMS += tests/test_session
TESTS += tests/test_session
tests_test_session_SOURCES = tests/test_session.c tests/tap.h
tests_test_session_LDADD = $(CORE_LIBS)

check_PROGRAMS += tests/test_headless
TESTS += tests/test_headless
tests_test_headless_SOURCES = tests/test_headless.c tests/tap.h
tests_test_headless_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/app
tests_test_headless_LDADD = $(CORE_LIBS)

TESTS += tests/test_rnnsearch_run.sh
EXTRA_DIST += tests/test_rnnsearch_run.sh
# remedy.adaptive_wd: the session's rollbacks (session.c, session_monitor.c)
TESTS += tests/test_adaptive_wd.sh
EXTRA_DIST += tests/test_adaptive_wd.sh
TESTS += tests/test_cli.sh tests/test_resume.sh tests/test_rundir.sh tests/test_train.sh \
	tests/test_mpi.sh
EXTRA_DIST += tests/test_cli.sh tests/test_resume.sh tests/test_rundir.sh tests/test_train.sh \
	tests/test_mpi.sh tests/fixtures/genotypes/strided.py \
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
	@echo $(OPENMP_CFLAGS) $(BLAS_LIBS) $(YAML_LIBS) $(ZLIB_LIBS) $(MPI_LIBS) $(LIBS)
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

# viewers: detach, attach, two viewers, read-only, ls (tmux stands in for
# SSH); clients that misbehave, the socket's mode, the long-path fallback.
check_PROGRAMS += tests/viewer_probe
tests_viewer_probe_SOURCES = tests/viewer_probe.c
tests_viewer_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/app
tests_viewer_probe_LDADD = $(CORE_LIBS)
TESTS += tests/test_viewers.sh tests/test_attach.sh
EXTRA_DIST += tests/test_viewers.sh tests/test_attach.sh
EXTRA_DIST += bench/viewers.sh
check_PROGRAMS += tests/test_wire
TESTS += tests/test_wire
tests_test_wire_SOURCES = tests/test_wire.c tests/tap.h
tests_test_wire_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/app
tests_test_wire_LDADD = $(CORE_LIBS)
# dartboard train of a recurrent cell (training_rnn.c, cli_rnn.c)
TESTS += tests/test_rnn_train.sh
EXTRA_DIST += tests/test_rnn_train.sh tests/fixtures/textlm/ptb.train.txt \
	tests/fixtures/textlm/ptb.valid.txt tests/fixtures/textlm/ptb.test.txt
