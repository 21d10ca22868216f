# src/search: files of this module

# --- search engineer: the bilevel search, optimizers, their tests ---------
libdartcore_a_SOURCES += src/search/optim.c src/search/search.c
check_PROGRAMS += tests/test_optim
TESTS += tests/test_optim
tests_test_optim_SOURCES = tests/test_optim.c tests/tap.h
tests_test_optim_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_search_fixtures.py tests/fixtures/search/search_ref.fix
# --- end search engineer ---------------------------------------------------
