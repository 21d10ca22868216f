#!/bin/sh
# Paths that start with '-' reach Graphviz as paths, not options: an output
# named -cell.pdf is rendered (dot would read "-c..." as "rewrite the plugin
# configuration") and -o takes a value that starts with '-'.
. "${top_srcdir:-.}/tests/export_lib.sh"
[ -n "${DOT:-}" ] || { echo "SKIP: Graphviz dot not installed (Debian package graphviz)"; exit 77; }
# The command made absolute, to run it inside the run directory.
set -- $EXPORT
case $1 in /*) prog=$1 ;; *) prog="$PWD/$1" ;; esac
shift
EXPORT="$prog $*"
cd "$WORK/run" || exit 99
check "export pdf -o -cell.pdf" $EXPORT . --format pdf --cell normal -o -cell.pdf
check "...is a PDF" sh -c 'head -c 4 ./-cell.pdf | grep -q "%PDF"'
check "export png -o -Tpng.png" $EXPORT . --format png --cell reduce -o -Tpng.png
check "...is a PNG" sh -c 'head -c 4 ./-Tpng.png | grep -q PNG'
check "no DOT or temporary left" sh -c '[ -z "$(find . -name "*.dot" -o -name "*.tmp*")" ]'
cd ../.. || exit 99
finish
