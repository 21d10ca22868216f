#!/bin/sh
# test_ui_tsan: the UI's snapshot/command path under ThreadSanitizer.
# Builds tests/test_ui_batch.c with the UI and the session files compiled
# with -fsanitize=thread, linked with the ordinary core library (one OpenMP
# thread: the numerics share nothing), and runs it: the worker publishes
# while ui_run copies snapshots and sends commands, a feeder thread reads
# snapshots too, and the gnuplot helper thread is not involved. Any data race
# fails the test. Skips (77) when the compiler has no TSan.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
cc=${CC:-cc}
work=test_ui_tsan.dir
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
    echo "FAIL: could not query the build for the core library"
    exit 1
fi
# The UI and the session side of the snapshot/command path, instrumented; the
# numerics come from the ordinary core library (one thread: nothing shared).
files=""
for f in "$top_srcdir"/ui/*.c "$top_srcdir/src/app/session.c" "$top_srcdir/src/app/rundir.c" \
    "$top_srcdir/src/io/checkpoint.c" "$top_srcdir/src/io/atomic_file.c" \
    "$top_srcdir/tests/test_ui_batch.c"; do
    files="$files $f"
done
if pkg-config --exists ncursesw; then curses=ncursesw; else curses=ncurses; fi
# shellcheck disable=SC2046,SC2086
if ! $cc -std=gnu11 -O1 -g -fsanitize=thread -fno-omit-frame-pointer -pthread \
    -I"$top_srcdir/include" -I"$top_builddir" -I"$top_srcdir" -I"$top_srcdir/tests" \
    $(pkg-config --cflags yaml-0.1 zlib $curses) $files "$core" -o test_ui_batch_tsan \
    $libs $(pkg-config --libs $curses) -lm 2>build.log; then
    echo "FAIL: the TSan build failed:"; head -20 build.log
    exit 1
fi
# Reports go to their own file: while curses owns the screen, the UI holds
# stderr back until it has restored the terminal.
TSAN_OPTIONS="exitcode=66 second_deadlock_stack=1 log_path=$(pwd)/tsan" OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    ./test_ui_batch_tsan >run.log 2>&1
status=$?
cat run.log
cat tsan.* 2>/dev/null
if cat tsan.* 2>/dev/null | grep -q "WARNING: ThreadSanitizer"; then
    echo "FAIL: ThreadSanitizer reported a problem"
    exit 1
fi
if [ $status -ne 0 ] || grep -q "^not ok" run.log; then
    echo "FAIL: test_ui_batch under TSan exited $status"
    exit 1
fi
echo "PASS: the UI's snapshot/command path is race-free under ThreadSanitizer"
cd .. && rm -rf "$work"
