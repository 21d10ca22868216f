# src/search: the DARTS method.

# supernet: ops, mixed op, cells and network; genotype derivation.
libdartnum_a_SOURCES += src/search/netops.c src/search/netops.h src/search/mixedop.c \
	src/search/mixedop.h src/search/supernet.c \
	include/dartboard/supernet.h

# hessian: exact alpha Hessian-vector products (frozen kinks), lambda_max;
# monitor: the collapse monitors' alpha statistics and DARTS-ES.
libdartnum_a_SOURCES += src/search/hessian.c include/dartboard/hessian.h src/search/monitor.c \
	include/dartboard/monitor.h
check_PROGRAMS += tests/test_hessian
TESTS += tests/test_hessian
tests_test_hessian_SOURCES = tests/test_hessian.c tests/fixture.h tests/tap.h
tests_test_hessian_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_hessian_fixtures.py tests/fixtures/hessian/tiny_hessian.fix
check_PROGRAMS += tests/test_monitor
TESTS += tests/test_monitor tests/test_monitor_run.sh
tests_test_monitor_SOURCES = tests/test_monitor.c tests/helpers.h tests/tap.h
tests_test_monitor_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/test_monitor_run.sh
check_PROGRAMS += tests/test_genotype tests/test_supernet
TESTS += tests/test_genotype tests/test_supernet
tests_test_genotype_SOURCES = tests/test_genotype.c tests/tap.h
tests_test_genotype_LDADD = $(CORE_LIBS)
tests_test_supernet_SOURCES = tests/test_supernet.c tests/fixture.h tests/tap.h
tests_test_supernet_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_supernet_fixtures.py tests/fixtures/supernet/tiny.fix

# --- search engineer: the bilevel search, optimizers, their tests ---------
libdartnum_a_SOURCES += src/search/optim.c src/search/architect.c src/search/search.c \
	src/search/remedy.c include/dartboard/remedy.h \
	include/dartboard/search.h include/dartboard/optim.h include/dartboard/architect.h
check_PROGRAMS += tests/test_optim
TESTS += tests/test_optim
tests_test_optim_SOURCES = tests/test_optim.c tests/tap.h
tests_test_optim_LDADD = $(CORE_LIBS)
check_PROGRAMS += tests/test_search tests/test_search_ref
TESTS += tests/test_search tests/test_search_ref
tests_test_search_SOURCES = tests/test_search.c tests/tap.h tests/tiny_search.h
tests_test_search_LDADD = $(CORE_LIBS)
tests_test_search_ref_SOURCES = tests/test_search_ref.c tests/fixture.h tests/tap.h
tests_test_search_ref_LDADD = $(CORE_LIBS)
check_PROGRAMS += tests/test_search_noalloc
TESTS += tests/test_search_noalloc
tests_test_search_noalloc_SOURCES = tests/test_search_noalloc.c tests/tap.h tests/noalloc.h
tests_test_search_noalloc_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_search_fixtures.py tests/fixtures/search/search_ref.fix
# --- end search engineer ---------------------------------------------------
# remedies against collapse (issue 13)
check_PROGRAMS += tests/test_remedy
TESTS += tests/test_remedy
tests_test_remedy_SOURCES = tests/test_remedy.c tests/tap.h tests/tiny_search.h tests/supernet_fd.h
tests_test_remedy_LDADD = $(CORE_LIBS)
# PC-DARTS: partial channels, edge normalisation, the architecture warm-up
check_PROGRAMS += tests/test_pcdarts
TESTS += tests/test_pcdarts
tests_test_pcdarts_SOURCES = tests/test_pcdarts.c tests/fixture.h tests/tap.h tests/tiny_search.h tests/supernet_fd.h
tests_test_pcdarts_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_pcdarts_fixtures.py tests/fixtures/pcdarts/pcdarts.fix
