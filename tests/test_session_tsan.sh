#!/bin/sh
# test_session_tsan: the snapshot/command path under ThreadSanitizer.
# Compiles the session, its run directory and checkpoint files and
# tests/test_session.c with -fsanitize=thread and links them with the
# ordinary core library: the numerics run on the worker thread alone (one
# OpenMP thread), so the only memory two threads share is what these files
# touch. Any data race fails the test; skips (77) when the compiler has no
# TSan or the build cannot be queried.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
cc=${CC:-cc}
work=test_session_tsan.dir
rm -rf "$work" && mkdir -p "$work" || exit 99
cd "$work" || exit 99

echo 'int main(void) { return 0; }' >probe.c
if ! $cc -fsanitize=thread probe.c -o probe 2>/dev/null || ! ./probe; then
    echo "SKIP: $cc cannot build ThreadSanitizer programs"
    exit 77
fi
libs=$(MAKEFLAGS= make -s -C "$top_builddir" print-core-libs 2>/dev/null) || libs=
core=$top_builddir/libdartcore.a
if [ -z "$libs" ] || [ ! -f "$core" ]; then
    echo "SKIP: could not query the build for the core library"
    exit 77
fi
files=""
for f in src/app/session.c src/app/rundir.c src/io/checkpoint.c src/io/atomic_file.c \
    tests/test_session.c; do
    files="$files $top_srcdir/$f"
done
# shellcheck disable=SC2086
if ! $cc -std=gnu11 -O1 -g -fsanitize=thread -fno-omit-frame-pointer -pthread \
    -I"$top_srcdir/include" -I"$top_builddir" -I"$top_srcdir/tests" \
    $(pkg-config --cflags yaml-0.1 zlib) $files "$core" -o test_session_tsan $libs -lm \
    2>build.log; then
    echo "FAIL: the TSan build failed:"; head -20 build.log
    exit 1
fi
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 ./test_session_tsan >run.log 2>&1
status=$?
cat run.log
if grep -q "WARNING: ThreadSanitizer" run.log; then
    echo "FAIL: ThreadSanitizer reported a problem"
    exit 1
fi
if [ $status -ne 0 ] || grep -q "^not ok" run.log || ! grep -q "^1\.\.[1-9]" run.log; then
    echo "FAIL: test_session under TSan exited $status"
    exit 1
fi
echo "PASS: test_session is race-free under ThreadSanitizer"
