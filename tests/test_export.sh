#!/bin/sh
# `dartboard export`: every genotype format from a run directory and from a
# file of every dialect, round trips through the CLI, diagrams written per
# cell, frames, exit statuses and positioned errors.
. "${top_srcdir:-.}/tests/export_lib.sh"
cd "$WORK" || exit 99
OFFICIAL=$(cat "$FIX/rundir/genotype.py")

for f in py json yaml; do
    check "run dir -> $f" $EXPORT run --format $f -o "run.$f"
    check "$f file reads back as the same genotype" \
        test "$($EXPORT "run.$f" --format py -o -)" = "$OFFICIAL"
done
check "json keeps the alphas" grep -q '"alphas"' run.json
check "yaml keeps the op order" grep -q '^ops: \[none, max_pool_3x3' run.yaml

for d in official.py official_range.txt nested.py triples.py awnas.txt darts_v2.yaml \
         reordered_ops.json autodl.py weighted.py; do
    check "dialect $d converts to the official line" \
        test "$($EXPORT "$FIX/genotypes/$d" --format py -o -)" = "$OFFICIAL"
done

out=$($EXPORT run --format py,json,yaml,dot,tikz,svg)
check "several formats at once, one short message" \
    sh -c "echo '$out' | grep -q '^wrote 11 files in run: genotype.py, genotype.json, genotype.yaml, cell_normal.dot'"
for f in genotype.py genotype.json genotype.yaml cell_normal.dot cell_reduce.dot \
         cell_normal.tex cell_normal.tikz cell_reduce.tex cell_reduce.tikz \
         cell_normal.svg cell_reduce.svg; do
    check "run/$f written" nonempty "run/$f"
done
check "no temporary files left" test -z "$(ls run | grep tmp)"

mkdir -p fig
check "-o stem names both cells" $EXPORT run --format svg -o fig/cell.svg
check "fig/cell_normal.svg and fig/cell_reduce.svg" test -s fig/cell_normal.svg -a -s fig/cell_reduce.svg
check "--cell writes exactly -o" $EXPORT run --format dot --cell reduce -o fig/r.dot
check "the reduce cell's DOT" grep -q 'max_pool_3x3' fig/r.dot

cp "$FIX/genotypes/nested.py" nested.py
check "genotype file: outputs beside it" $EXPORT nested.py --format svg
check "nested_normal.svg" test -s nested_normal.svg -a -s nested_reduce.svg
$EXPORT nested.py --format py >/dev/null 2>err.txt; st=$?
check "refuses to overwrite its input (exit 1)" test "$st" -eq 1
check "...and says so" grep -q "would overwrite the input" err.txt

check "frames: one SVG per report and cell" $EXPORT run --format frames
check "4 normal and 4 reduce frames" test "$(ls run/frames | wc -l)" -eq 8
check "frames carry their step" grep -q 'step 200' run/frames/normal_0004.svg
check "all frames of a cell share one canvas" \
    test "$(grep -h -o '<svg [^>]*' run/frames/reduce_*.svg | sort -u | wc -l)" -eq 1

check "--format=py --output=- and -f py -o - agree" \
    test "$($EXPORT run --format=py --output=-)" = "$($EXPORT -f py run -o -)"
check "--help: exit 0" $EXPORT --help

# Errors: usage (2) versus runtime (1), messages with positions.
$EXPORT run --format gif >/dev/null 2>err.txt; st=$?
check "unknown format: exit 2" test "$st" -eq 2
check "unknown format: lists the formats" grep -q "expected py|json|yaml" err.txt
$EXPORT >/dev/null 2>&1; st=$?
check "no source: exit 2" test "$st" -eq 2
$EXPORT run --format >/dev/null 2>err.txt; st=$?
check "--format without a value: exit 2" test "$st" -eq 2
check "...and says so" grep -q "format needs a value" err.txt
$EXPORT run --format py --cell middle >/dev/null 2>&1; st=$?
check "unknown cell: exit 2" test "$st" -eq 2
$EXPORT run --format py,svg -o x >/dev/null 2>&1; st=$?
check "several formats with -o: exit 2" test "$st" -eq 2
$EXPORT no-such-run --format py >/dev/null 2>err.txt; st=$?
check "missing source: exit 1" test "$st" -eq 1
check "missing source: named" grep -q "no-such-run" err.txt
printf "Genotype(normal=[('sep_conv_3x3', 0), ('conv_9x9', 1)],\n  reduce=[])\n" > broken.py
$EXPORT broken.py --format svg >/dev/null 2>err.txt; st=$?
check "malformed genotype: exit 1" test "$st" -eq 1
check "malformed genotype: FILE:LINE:COL" grep -q "^dartboard: broken.py:1:40: unknown op 'conv_9x9'" err.txt
$EXPORT run --format pdf -o - >/dev/null 2>err.txt; st=$?
check "pdf to stdout refused" test "$st" -eq 1
check "...for both cells too, with the reason" sh -c 'grep -q "pdf is binary: not written to stdout" err.txt && ! ls ./-_* 2>/dev/null'
$EXPORT "$FIX/genotypes/official.py" --format plots >/dev/null 2>err.txt; st=$?
check "plots need a run directory" test "$st" -eq 1 && grep -q "needs a run directory" err.txt
mkdir empty
$EXPORT empty --format svg >/dev/null 2>err.txt; st=$?
check "an empty directory is no run" grep -q "no genotype.json, genotype.py or alphas.csv" err.txt

# Without genotype files, the cell is derived from the last alphas block.
mkdir derived && cp run/alphas.csv derived/
check "derived from alphas.csv" test "$($EXPORT derived --format py -o -)" = "$OFFICIAL"

# Graphviz missing: a message naming the package, not a crash.
exe=$(echo "$EXPORT" | cut -d' ' -f1); sub=$(echo "$EXPORT" | cut -s -d' ' -f2)
case $exe in /*) ;; *) exe="$(pwd)/$exe" ;; esac
PATH=/nonexistent "$exe" $sub run --format pdf >/dev/null 2>err.txt; st=$?
check "no dot: exit 1" test "$st" -eq 1
check "no dot: names the Debian package" grep -q "install the Debian package graphviz" err.txt
finish
