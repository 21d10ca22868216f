# src/nn: the numeric kernels (forward and backward) and their tests.

# Shared PyTorch fixture format: the C reader is tests/fixture.h, the Python
# writer tests/reference/fixture_io.py.
check_PROGRAMS += tests/test_fixture
TESTS += tests/test_fixture
tests_test_fixture_SOURCES = tests/test_fixture.c tests/fixture.h tests/tap.h
tests_test_fixture_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/fixture_io.py tests/fixtures/fixture_selftest.fix
CLEANFILES += test_fixture_roundtrip.fix test_fixture_roundtrip.fix.tmp
