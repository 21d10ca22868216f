#!/bin/sh
# DOT renders with Graphviz (`dot -Tsvg`), and PDF/PNG exports go through it.
. "${top_srcdir:-.}/tests/export_lib.sh"
[ -n "${DOT:-}" ] || { echo "SKIP: Graphviz dot not installed (Debian package graphviz)"; exit 77; }
cd "$WORK" || exit 99
check "export dot" $EXPORT run --format dot
for c in normal reduce; do
    check "dot -Tsvg renders the $c cell" "$DOT" -Tsvg -o "$c.svg" "run/cell_$c.dot"
    check "...with every op label" test "$(grep -c 'class="edge"' "$c.svg")" -eq 12
done
check "export pdf" $EXPORT run --format pdf
check "PDF files" sh -c 'head -c 4 run/cell_normal.pdf | grep -q "%PDF" && head -c 4 run/cell_reduce.pdf | grep -q "%PDF"'
check "export png" $EXPORT run --format png
check "PNG files" sh -c 'head -c 4 run/cell_normal.png | grep -q PNG'
finish
