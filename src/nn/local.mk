# src/nn: the numeric kernels (forward and backward) and their tests.
NN_SOURCES = src/nn/conv.c src/nn/pool.c src/nn/batchnorm.c src/nn/activation.c \
	src/nn/linear.c src/nn/loss.c src/nn/channel.c src/nn/droppath.c src/nn/plane.c src/nn/plane.h src/nn/dwvec.c src/nn/dwvec.h src/nn/gemm.c \
	src/nn/gemm.h src/nn/vec.h src/nn/isa.h
libdartnum_a_SOURCES += $(NN_SOURCES) src/nn/dispatch.c \
	include/dartboard/conv.h include/dartboard/pool.h include/dartboard/batchnorm.h \
	include/dartboard/activation.h include/dartboard/linear.h include/dartboard/loss.h \
	include/dartboard/channel.h include/dartboard/droppath.h include/dartboard/nn_isa.h

# Portable x86-64 builds: src/nn again for AVX2 and for AVX-512 (isa.h). The
# two libraries are never linked themselves: their objects go into
# libdartnum.a, beside the baseline build and dispatch.c.
if NN_DISPATCH
EXTRA_LIBRARIES = libnn_avx2.a libnn_avx512.a
libnn_avx2_a_SOURCES = $(NN_SOURCES)
libnn_avx2_a_CPPFLAGS = $(AM_CPPFLAGS) -DNN_ISA=avx2
libnn_avx2_a_CFLAGS = $(AM_CFLAGS) $(NN_AVX2_CFLAGS)
libnn_avx512_a_SOURCES = $(NN_SOURCES)
libnn_avx512_a_CPPFLAGS = $(AM_CPPFLAGS) -DNN_ISA=avx512
libnn_avx512_a_CFLAGS = $(AM_CFLAGS) $(NN_AVX512_CFLAGS)
libdartnum_a_LIBADD = $(libnn_avx2_a_OBJECTS) $(libnn_avx512_a_OBJECTS)
EXTRA_libdartnum_a_DEPENDENCIES = $(libdartnum_a_LIBADD)
endif

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
tests_test_kernels_grad_SOURCES = tests/test_kernels_grad.c tests/tap.h tests/kernels_isa.h
tests_test_kernels_grad_LDADD = $(CORE_LIBS)

# Fast kernels against the naive ones, and bit-for-bit determinism over threads.
check_PROGRAMS += tests/test_kernels_fast
TESTS += tests/test_kernels_fast
tests_test_kernels_fast_SOURCES = tests/test_kernels_fast.c tests/tap.h tests/kernels_isa.h
tests_test_kernels_fast_LDADD = $(CORE_LIBS)

# The AVX2 and baseline builds of the kernels through the same tests, on any
# machine: dispatch.c linked in again, capped at that build (it replaces the
# one in libdartnum.a).
if NN_DISPATCH
check_PROGRAMS += tests/test_kernels_fast_avx2 tests/test_kernels_fast_base \
	tests/test_kernels_grad_avx2 tests/test_kernels_grad_base
TESTS += tests/test_kernels_fast_avx2 tests/test_kernels_fast_base \
	tests/test_kernels_grad_avx2 tests/test_kernels_grad_base
tests_test_kernels_fast_avx2_SOURCES = tests/test_kernels_fast.c src/nn/dispatch.c
tests_test_kernels_fast_avx2_CPPFLAGS = $(AM_CPPFLAGS) -DNN_ISA_CAP=NN_AVX2 -DWANT_ISA='"avx2"'
tests_test_kernels_fast_avx2_LDADD = $(CORE_LIBS)
tests_test_kernels_fast_base_SOURCES = tests/test_kernels_fast.c src/nn/dispatch.c
tests_test_kernels_fast_base_CPPFLAGS = $(AM_CPPFLAGS) -DNN_ISA_CAP=NN_BASE -DWANT_ISA='"x86-64"'
tests_test_kernels_fast_base_LDADD = $(CORE_LIBS)
tests_test_kernels_grad_avx2_SOURCES = tests/test_kernels_grad.c src/nn/dispatch.c
tests_test_kernels_grad_avx2_CPPFLAGS = $(AM_CPPFLAGS) -DNN_ISA_CAP=NN_AVX2 -DWANT_ISA='"avx2"'
tests_test_kernels_grad_avx2_LDADD = $(CORE_LIBS)
tests_test_kernels_grad_base_SOURCES = tests/test_kernels_grad.c src/nn/dispatch.c
tests_test_kernels_grad_base_CPPFLAGS = $(AM_CPPFLAGS) -DNN_ISA_CAP=NN_BASE -DWANT_ISA='"x86-64"'
tests_test_kernels_grad_base_LDADD = $(CORE_LIBS)
endif

# The default build runs on CPUs without AVX-512 or AVX (emulated by QEMU).
TESTS += tests/test_portable.sh
EXTRA_DIST += tests/test_portable.sh tests/kernels_isa.h
