#!/bin/sh
# test_format: every C source and header is as .clang-format lays it out
# (`make format` rewrites them; `make format-check` runs this). Skips (77)
# without clang-format.
set -u
: "${top_srcdir:?}"
fmt=${CLANG_FORMAT:-clang-format}
if ! command -v "$fmt" >/dev/null 2>&1; then
    echo "SKIP: no clang-format (Debian: apt-get install clang-format)"
    exit 77
fi
cd "$top_srcdir" || exit 99
bad=0
for f in $(find include src ui bench tests fuzz -name '*.[ch]' | sort); do
    if ! "$fmt" --style=file "$f" | cmp -s - "$f"; then
        echo "not formatted: $f"
        bad=$((bad + 1))
    fi
done
if [ $bad -gt 0 ]; then
    echo "FAIL: $bad file(s) differ from .clang-format ($("$fmt" --version)); run make format"
    exit 1
fi
echo "PASS: every C file matches .clang-format"
