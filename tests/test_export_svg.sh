#!/bin/sh
# dartboard's own SVG (cells and animation frames) is well-formed XML.
. "${top_srcdir:-.}/tests/export_lib.sh"
[ -n "${XMLLINT:-}" ] || { echo "SKIP: xmllint not installed (Debian package libxml2-utils)"; exit 77; }
cd "$WORK" || exit 99
check "export svg" $EXPORT run --format svg
check "export frames" $EXPORT run --format frames
for f in run/cell_normal.svg run/cell_reduce.svg run/frames/*.svg; do
    check "$f is well-formed" "$XMLLINT" --noout "$f"
done
for d in nested.py triples.py awnas.txt; do
    check "SVG of $d" $EXPORT "$FIX/genotypes/$d" --format svg --cell reduce -o "$d.svg"
    check "$d.svg is well-formed" "$XMLLINT" --noout "$d.svg"
done
finish
