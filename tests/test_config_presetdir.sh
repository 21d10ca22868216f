#!/bin/sh
# test_config_presetdir: where presets come from. The build tree's dartboard
# reads the source tree's presets; a copy outside the build tree (what
# `make install` puts in $(bindir)) reads only the installed directory
# compiled into it, never the source tree, and still loads a preset given as
# a path.
set -u
: "${DARTBOARD:?}" "${top_srcdir:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_config_presetdir.dir
mkdir -p "$work/bin" || exit 99
srcdir=$top_srcdir/presets # as the build passes it to the program
# run BINARY EXPECTED_STATUS ARGS...: output in $work/out, $work/err
run() {
    bin=$1 want=$2; shift 2
    "$bin" "$@" >"$work/out" 2>"$work/err" </dev/null
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "# $bin $*: exit $got, expected $want"; sed 's/^/#   /' "$work/err" | head -5
        return 1
    fi
}
err_has() { grep -qF -- "$1" "$work/err" || { echo "# stderr lacks '$1':"; sed 's/^/#   /' "$work/err" | head -3; return 1; }; }
err_lacks() { ! grep -qF -- "$1" "$work/err" || { echo "# stderr has '$1'"; return 1; }; }

check "the build tree's binary runs a source preset by name" \
    'run "$DARTBOARD" 0 --headless --preset test --steps 1 --threads 1 --out "$work/built"'
check "the build tree's binary names the source preset directory" \
    'run "$DARTBOARD" 2 --headless --preset no-such-preset && err_has "$srcdir"'

# What `make install` does to the program: the same file in another directory.
cp "$DARTBOARD" "$work/bin/dartboard" || exit 99
installed=$work/bin/dartboard
check "an installed copy never names the source preset directory" \
    'run "$installed" 2 --headless --preset no-such-preset && err_lacks "$srcdir" && err_has "/share/dartboard/presets"'
presetdir=$(sed -n 's/.*unknown preset .no-such-preset. in \(.*\) (available.*/\1/p' "$work/err")
echo "# installed preset directory: '$presetdir'"
if [ -n "$presetdir" ] && [ ! -e "$presetdir/test.yaml" ]; then
    check "an installed copy does not find the source tree's 'test' preset" \
        'run "$installed" 2 --headless --preset test --steps 1 --out "$work/copy" && err_has "unknown preset"'
else
    check "the installed preset directory was named (or holds test.yaml: '$presetdir')" '[ -n "$presetdir" ]'
fi
check "an installed copy loads a preset given as a path" \
    'run "$installed" 0 --headless --preset "$srcdir/test.yaml" --steps 1 --threads 1 --out "$work/path"'

test_end
