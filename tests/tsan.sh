# tsan.sh: sourced by the ThreadSanitizer tests. They compile the sources on
# one side of the snapshot/command path with -fsanitize=thread and link them
# with the ordinary libraries below the UI, run single-threaded inside (one OpenMP
# thread), so the only memory two threads share is what the instrumented
# files touch.
#
#   tsan_prepare WORKDIR        cd into a fresh WORKDIR; exit 77 without TSan
#   tsan_build OUT "FILES" [PKG]   compile FILES (+ pkg-config PKG) into OUT
#   tsan_races FILE...          true when a TSan report is in the files

tsan_prepare() {
    : "${top_srcdir:?}" "${top_builddir:?}"
    cc=${CC:-cc}
    rm -rf "$1" && mkdir -p "$1" && cd "$1" || exit 99
    echo 'int main(void) { return 0; }' >probe.c
    if ! $cc -fsanitize=thread probe.c -o probe 2>/dev/null || ! ./probe; then
        echo "SKIP: $cc cannot build ThreadSanitizer programs"
        exit 77
    fi
    tsan_libs=$(MAKEFLAGS= make -s -C "$top_builddir" print-core-libs 2>/dev/null) || tsan_libs=
    core_libs="$top_builddir/libdartapp.a $top_builddir/libdartio.a $top_builddir/libdartnum.a"
    if [ -z "$tsan_libs" ] || [ ! -f "$top_builddir/libdartnum.a" ]; then
        echo "FAIL: could not query the build for the core libraries"
        exit 1
    fi
}

tsan_build() { # OUT FILES [PKG]
    # shellcheck disable=SC2046,SC2086
    if ! $cc -std=gnu11 -O1 -g -fsanitize=thread -fno-omit-frame-pointer -pthread \
        -I"$top_srcdir/include" -I"$top_builddir" -I"$top_srcdir" -I"$top_srcdir/tests" \
        $(pkg-config --cflags yaml-0.1 zlib ${3:-}) $2 $core_libs -o "$1" \
        $tsan_libs ${3:+$(pkg-config --libs $3)} -lm 2>build.log; then
        echo "FAIL: the TSan build failed:"; head -20 build.log
        exit 1
    fi
}

tsan_races() {
    cat "$@" 2>/dev/null | grep -q "WARNING: ThreadSanitizer"
}
