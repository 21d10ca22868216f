# src/nn: the numeric kernels (forward and backward) and their tests.
libdartnum_a_SOURCES += src/nn/conv.c src/nn/pool.c src/nn/batchnorm.c src/nn/activation.c \
	src/nn/linear.c src/nn/loss.c src/nn/channel.c src/nn/plane.c src/nn/plane.h src/nn/gemm.c src/nn/gemm.h src/nn/vec.h \
	include/dartboard/conv.h include/dartboard/pool.h include/dartboard/batchnorm.h \
	include/dartboard/activation.h include/dartboard/linear.h include/dartboard/loss.h \
	include/dartboard/channel.h

# Shared PyTorch fixture format: the C reader is tests/fixture.h, the Python
# writer tests/reference/fixture_io.py.
check_PROGRAMS += tests/test_fixture
TESTS += tests/test_fixture
tests_test_fixture_SOURCES = tests/test_fixture.c tests/fixture.h tests/tap.h
tests_test_fixture_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/fixture_io.py tests/fixtures/fixture_selftest.fix
CLEANFILES += test_fixture_roundtrip.fix test_fixture_roundtrip.fix.tmp

# Every kernel against PyTorch (fixtures from tests/reference/make_kernel_fixtures.py).
check_PROGRAMS += tests/test_kernels_torch
TESTS += tests/test_kernels_torch
tests_test_kernels_torch_SOURCES = tests/test_kernels_torch.c tests/fixture.h tests/tap.h
tests_test_kernels_torch_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/reference/make_kernel_fixtures.py tests/fixtures/kernels

# Every backward against central finite differences.
check_PROGRAMS += tests/test_kernels_grad
TESTS += tests/test_kernels_grad
tests_test_kernels_grad_SOURCES = tests/test_kernels_grad.c tests/tap.h
tests_test_kernels_grad_LDADD = $(CORE_LIBS)

# Fast kernels against the naive ones, and bit-for-bit determinism over threads.
check_PROGRAMS += tests/test_kernels_fast
TESTS += tests/test_kernels_fast
tests_test_kernels_fast_SOURCES = tests/test_kernels_fast.c tests/tap.h
tests_test_kernels_fast_LDADD = $(CORE_LIBS)
