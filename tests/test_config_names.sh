#!/bin/sh
# test_config_names: a preset whose file name holds characters YAML would
# misread if written raw (newline, quotes, colon, '#', backslash, a leading
# space) gives a run whose config.yaml resumes and reloads as a preset, and
# whose first line names the preset on one line.
set -u
: "${DARTBOARD:?}" "${top_srcdir:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_config_names.dir
db() {
    "$DARTBOARD" "$@" --headless --threads 1 >"$work/out" 2>"$work/err" </dev/null ||
        { echo "# dartboard $*: exit $?"; sed 's/^/#   /' "$work/err" | head -5; return 1; }
}

nl='
'
i=0
for name in " lead:ing #space" "new${nl}line" "quo\"te's \\back\\slash" "a: b # c"; do
    i=$((i + 1))
    preset="$work/$name.yaml"
    cp "$top_srcdir/presets/test.yaml" "$preset" || exit 99
    rd="$work/run$i"
    shown=$(printf '%s' "$name" | tr '\n' '|')
    check "preset '$shown': a run starts" 'db --preset "$preset" --out "$rd" --steps 1'
    check "preset '$shown': its config.yaml has the header on one line" \
        '[ "$(sed -n 2p "$rd/config.yaml" | cut -c1)" = "#" ]'
    check "preset '$shown': the run resumes" 'db --resume "$rd" --steps 2'
    check "preset '$shown': and reports its preset by name" \
        'grep -qF "$(printf "%s" "$name" | head -n 1)" "$work/out"'
    check "preset '$shown': config.yaml reloads as a preset" \
        'db --preset "$rd/config.yaml" --out "$work/again$i" --steps 1'
done

test_end
