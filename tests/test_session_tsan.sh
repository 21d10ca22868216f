#!/bin/sh
# test_session_tsan: the snapshot/command path under ThreadSanitizer.
# Builds tests/test_session.c and the core sources with -fsanitize=thread
# (OpenMP off: libgomp is not instrumented and would only report noise) and
# runs it; any data race fails the test. Skips (77) when the compiler has no
# TSan or the core sources cannot be listed.
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
sources=$(MAKEFLAGS= make -s -C "$top_builddir" print-core-sources 2>/dev/null) || sources=
if [ -z "$sources" ]; then
    echo "SKIP: could not list the core sources"
    exit 77
fi
files=""
for f in $sources; do
    case $f in *.c) files="$files $top_srcdir/$f" ;; esac
done
pkgs="yaml-0.1 zlib"
if pkg-config --exists openblas; then pkgs="$pkgs openblas"; else pkgs="$pkgs cblas"; fi
# shellcheck disable=SC2046,SC2086
if ! $cc -std=gnu11 -O1 -g -fsanitize=thread -fno-omit-frame-pointer -pthread \
    -I"$top_srcdir/include" -I"$top_builddir" -I"$top_srcdir/tests" \
    -DDARTBOARD_SRC_PRESETDIR="\"$top_srcdir/presets\"" -DDARTBOARD_PRESETDIR="\"$top_srcdir/presets\"" \
    $(pkg-config --cflags $pkgs) $files "$top_srcdir/tests/test_session.c" \
    -o test_session_tsan $(pkg-config --libs $pkgs) -lm 2>build.log; then
    echo "FAIL: the TSan build failed:"; head -20 build.log
    exit 1
fi
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" OPENBLAS_NUM_THREADS=1 \
    ./test_session_tsan >run.log 2>&1
status=$?
cat run.log
if grep -q "WARNING: ThreadSanitizer" run.log; then
    echo "FAIL: ThreadSanitizer reported a problem"
    exit 1
fi
if [ $status -ne 0 ] || grep -q "^not ok" run.log; then
    echo "FAIL: test_session under TSan exited $status"
    exit 1
fi
echo "PASS: test_session is race-free under ThreadSanitizer"
