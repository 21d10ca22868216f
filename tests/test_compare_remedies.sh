#!/bin/sh
# test_compare_remedies: bench/compare-remedies.sh --tiny end to end. The
# table has its header and one row per remedy (pc-darts marked skipped when
# its preset does not exist), each searched row with lambda_max figures, a
# skip count, both derived cells and a test accuracy from the training run;
# the two figures exist as SVG and PNG; a second run into the same directory
# is refused. Skips (77) without gnuplot.
set -u
: "${DARTBOARD:?}"
command -v gnuplot >/dev/null 2>&1 || { echo "# gnuplot not found"; exit 77; }
srcdir=${top_srcdir:-.}
. "$srcdir/tests/test_lib.sh"
test_begin test_compare_remedies.dir
rmdir "$work" || exit 99 # the script makes its --out directory itself

check "compare-remedies.sh --tiny runs" \
    '"$srcdir/bench/compare-remedies.sh" --tiny --threads 1 --steps 6 --out "$work" --dartboard "$DARTBOARD" 2>"$work.log"'
t=$work/results.md
check "the table's header" 'head -n 1 $t | grep -q "^| row | preset | final lambda_max | max lambda_max | skips (normal) | normal cell | reduce cell | test acc % | search s |$"'
for row in plain-order1 plain-order2 beta-darts sdarts darts-minus fair-darts darts-es adaptive-wd; do
    check "row $row: lambda_max, skips, two cells of 8 ops, a test accuracy" \
        "grep '^| $row | ' $t | awk -F' [|] ' '\$3 + 0 > 0 && \$4 >= \$3 && \$5 ~ /^[0-8]\$/ && split(\$6, a, \" \") == 8 && split(\$7, b, \" \") == 8 && \$8 ~ /^[0-9.]+\$/ { ok = 1 } END { exit !ok }'"
done
if "$DARTBOARD" presets | grep -q '^ *demo-pc-darts '; then
    check "row pc-darts: searched" "grep '^| pc-darts | ' $t | grep -qv skipped"
else
    check "row pc-darts: skipped, saying why" "grep -q '^| pc-darts | demo-pc-darts | skipped: no such preset |' $t"
fi
check "9 rows" '[ "$(tail -n +3 $t | wc -l)" = 9 ]'
for f in lambda_max skips; do
    check "figure $f: SVG and PNG" '[ -s $work/plots/$f.svg ] && [ -s $work/plots/$f.png ] && head -c 8 $work/plots/$f.png | grep -q PNG'
done
check "a second run into the same directory is refused (exit 2)" \
    '"$srcdir/bench/compare-remedies.sh" --tiny --out "$work" --dartboard "$DARTBOARD" 2>/dev/null; [ $? = 2 ]'
check "bad options are refused (exit 2)" \
    '"$srcdir/bench/compare-remedies.sh" --steps 0 --dartboard "$DARTBOARD" 2>/dev/null; [ $? = 2 ]'
[ -s "$work.log" ] && grep -v "^compare-remedies: [a-z0-9-]*: dartboard " "$work.log" | sed 's/^/# /'

test_end
