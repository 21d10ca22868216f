#!/bin/sh
# test_session_tsan: the snapshot/command path under ThreadSanitizer.
# Compiles the session, its run directory and checkpoint files and
# tests/test_session.c with -fsanitize=thread and links them with the
# ordinary core library: the numerics run on the worker thread alone (one
# OpenMP thread), so the only memory two threads share is what these files
# touch. Any data race fails the test; skips (77) when the compiler has no
# TSan or the build cannot be queried.
set -u
. "${top_srcdir:?}/tests/tsan.sh"
tsan_prepare test_session_tsan.dir
files=""
for f in src/app/session.c src/io/rundir.c src/io/checkpoint.c src/io/atomic_file.c \
    tests/test_session.c; do
    files="$files $top_srcdir/$f"
done
tsan_build test_session_tsan "$files"
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 ./test_session_tsan >run.log 2>&1
status=$?
cat run.log
if tsan_races run.log; then
    echo "FAIL: ThreadSanitizer reported a problem"
    exit 1
fi
if [ $status -ne 0 ] || grep -q "^not ok" run.log || ! grep -q "^1\.\.[1-9]" run.log; then
    echo "FAIL: test_session under TSan exited $status"
    exit 1
fi
echo "PASS: test_session is race-free under ThreadSanitizer"
