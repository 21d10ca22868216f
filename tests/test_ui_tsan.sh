#!/bin/sh
# test_ui_tsan: the UI's snapshot/command path under ThreadSanitizer.
# Builds tests/test_ui_batch.c with the UI and the session files compiled
# with -fsanitize=thread, linked with the ordinary core library (one OpenMP
# thread: the numerics share nothing), and runs it: the worker publishes
# while ui_run copies snapshots and sends commands, a feeder thread reads
# snapshots too, and the gnuplot helper thread is not involved. Any data race
# fails the test. Skips (77) when the compiler has no TSan.
set -u
. "${top_srcdir:?}/tests/tsan.sh"
tsan_prepare test_ui_tsan.dir
# The UI and the session side of the snapshot/command path.
files=""
for f in "$top_srcdir"/ui/*.c "$top_srcdir/src/app/session.c" "$top_srcdir/src/io/rundir.c" \
    "$top_srcdir/src/io/checkpoint.c" "$top_srcdir/src/io/atomic_file.c" \
    "$top_srcdir/tests/test_ui_batch.c"; do
    files="$files $f"
done
if pkg-config --exists ncursesw; then curses=ncursesw; else curses=ncurses; fi
tsan_build test_ui_batch_tsan "$files" "$curses"
# Reports go to their own file: while curses owns the screen, the UI holds
# stderr back until it has restored the terminal.
TSAN_OPTIONS="exitcode=66 second_deadlock_stack=1 log_path=$(pwd)/tsan" OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    ./test_ui_batch_tsan >run.log 2>&1
status=$?
cat run.log
cat tsan.* 2>/dev/null
if tsan_races tsan.*; then
    echo "FAIL: ThreadSanitizer reported a problem"
    exit 1
fi
if [ $status -ne 0 ] || grep -q "^not ok" run.log; then
    echo "FAIL: test_ui_batch under TSan exited $status"
    exit 1
fi
echo "PASS: the UI's snapshot/command path is race-free under ThreadSanitizer"
cd .. && rm -rf test_ui_tsan.dir
