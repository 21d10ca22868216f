#!/bin/sh
# test_portable: a default (portable) build runs on x86-64 CPUs older than
# the build machine, choosing the widest build of the kernels each one runs
# (src/nn/isa.h). QEMU's user-mode emulator plays the CPUs: "Nehalem" (SSE4.2,
# no AVX: the kernels' x86-64 baseline) and "Haswell" (AVX2 + FMA, no
# AVX-512). A binary compiled for an AVX-512 machine dies there with SIGILL.
# (Not QEMU's default "qemu64": OpenBLAS takes it for an AMD CPU with 3DNow!,
# which QEMU does not emulate.)
set -u
: "${DARTBOARD:?}" "${top_builddir:?}"
if ! grep -q '^#define NN_DISPATCH 1' "$top_builddir/config.h"; then
    echo "SKIP: this build chose its kernels at compile time (--enable-native, or not x86-64)"
    exit 77
fi
qemu=$(command -v qemu-x86_64) || {
    echo "SKIP: needs qemu-x86_64 to play other CPUs (Debian: apt-get install qemu-user)"
    exit 77
}
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_portable.dir

# The BLAS kernels the host's environment may force (OPENBLAS_CORETYPE) are
# the host's: the CPUs played here choose their own.
for cpu_isa in Nehalem:x86-64 Haswell:avx2; do
    cpu=${cpu_isa%%:*} isa=${cpu_isa#*:}
    env -u OPENBLAS_CORETYPE "$qemu" -cpu "$cpu" "$top_builddir/tests/test_kernels_grad" >"$work/grad.$cpu" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q "^# kernels: $isa\$" "$work/grad.$cpu"; then
        pass "CPU $cpu: the $isa kernels pass their gradient checks"
    else
        fail "CPU $cpu: exit $rc, expected 0 with the $isa kernels: $(grep -m 3 -e '^# kernels' -e '^not ok' "$work/grad.$cpu" | tr '\n' ' ')"
    fi
    env -u OPENBLAS_CORETYPE "$qemu" -cpu "$cpu" "$DARTBOARD" search --preset test --headless --steps 1 \
        --set data.batch_size=4 --set run.eval_samples=4 --out "$work/run.$cpu" \
        >"$work/out.$cpu" 2>&1 </dev/null
    rc=$?
    if [ "$rc" -eq 0 ] && [ -s "$work/run.$cpu/checkpoint.bin" ]; then
        pass "CPU $cpu: dartboard runs a search step"
    else
        fail "CPU $cpu: dartboard exit $rc: $(tail -n 2 "$work/out.$cpu" | tr '\n' ' ')"
    fi
done

# A BLAS kernel set the CPU cannot run (OpenBLAS would die of an illegal
# instruction at the first product) is refused with a line, and the run goes
# on: the program execs itself without it, which qemu runs on the host.
if grep -q '^#define HAVE_OPENBLAS 1' "$top_builddir/config.h"; then
    OPENBLAS_CORETYPE=Haswell "$qemu" -cpu Nehalem "$DARTBOARD" search --preset test --headless \
        --steps 1 --set data.batch_size=4 --set run.eval_samples=4 --out "$work/run.forced" \
        >"$work/out.forced" 2>"$work/err.forced" </dev/null
    rc=$?
    check "CPU Nehalem with OPENBLAS_CORETYPE=Haswell: said and ignored, the step runs (exit $rc)" \
        "[ $rc -eq 0 ] && grep -q '^dartboard: OPENBLAS_CORETYPE=Haswell needs AVX2, which this CPU lacks; ignored' $work/err.forced && [ -s $work/run.forced/checkpoint.bin ]"
fi

test_end
