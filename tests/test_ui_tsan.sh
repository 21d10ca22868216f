#!/bin/sh
# test_ui_tsan: the UI's snapshot/command path under ThreadSanitizer.
# Builds tests/test_ui_batch.c with the core and UI sources, all with
# -fsanitize=thread (OpenMP off: libgomp is not instrumented and would only
# report noise), and runs it: the worker publishes while ui_run copies
# snapshots and sends commands, and a feeder thread reads snapshots too. Any
# data race fails the test. Skips (77) when the compiler has no TSan.
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
core=$(MAKEFLAGS= make -s -C "$top_builddir" print-core-sources 2>/dev/null) || core=
ui=$(MAKEFLAGS= make -s -C "$top_builddir" print-ui-sources 2>/dev/null) || ui=
if [ -z "$core" ] || [ -z "$ui" ]; then
    echo "FAIL: could not list the core and UI sources"
    exit 1
fi
files=""
for f in $core $ui; do
    case $f in *.c) files="$files $top_srcdir/$f" ;; esac
done
pkgs="yaml-0.1 zlib"
if pkg-config --exists openblas; then pkgs="$pkgs openblas"; else pkgs="$pkgs cblas"; fi
if pkg-config --exists ncursesw; then pkgs="$pkgs ncursesw"; else pkgs="$pkgs ncurses"; fi
# shellcheck disable=SC2046,SC2086
if ! $cc -std=gnu11 -O1 -g -fsanitize=thread -fno-omit-frame-pointer -pthread \
    -I"$top_srcdir/include" -I"$top_builddir" -I"$top_srcdir" -I"$top_srcdir/tests" \
    -DDARTBOARD_SRC_PRESETDIR="\"$top_srcdir/presets\"" -DDARTBOARD_PRESETDIR="\"$top_srcdir/presets\"" \
    $(pkg-config --cflags $pkgs) $files "$top_srcdir/tests/test_ui_batch.c" \
    -o test_ui_batch_tsan $(pkg-config --libs $pkgs) -lm 2>build.log; then
    echo "FAIL: the TSan build failed:"; head -20 build.log
    exit 1
fi
# Reports go to their own file: while curses owns the screen, the UI holds
# stderr back until it has restored the terminal.
TSAN_OPTIONS="exitcode=66 second_deadlock_stack=1 log_path=$(pwd)/tsan" OPENBLAS_NUM_THREADS=1 \
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
