#!/bin/sh
# gnuplot figures from a run directory: every script runs and writes
# non-empty PDF, PNG and SVG and leaves no temporary; the scripts rerun by
# hand from their directory.
. "${top_srcdir:-.}/tests/export_lib.sh"
[ -n "${GNUPLOT:-}" ] || { echo "SKIP: gnuplot not installed (Debian package gnuplot-nox)"; exit 77; }
cd "$WORK" || exit 99
check "export plots" $EXPORT run --format plots
for fig in loss accuracy alphas_normal alphas_reduce heatmap_normal heatmap_reduce; do
    for ext in gp dat pdf png svg; do
        check "plots/$fig.$ext" nonempty "run/plots/$fig.$ext"
    done
    check "$fig.pdf is a PDF" sh -c "head -c 4 run/plots/$fig.pdf | grep -q %PDF"
    check "$fig.png is a PNG" sh -c "head -c 4 run/plots/$fig.png | grep -q PNG"
    if [ -n "${XMLLINT:-}" ]; then
        check "$fig.svg is well-formed" "$XMLLINT" --noout "run/plots/$fig.svg"
    fi
done
check "no temporaries left beside the figures" sh -c '[ -z "$(find run/plots -name ".*.tmp-*")" ]'
check "loss.dat has every metrics.csv column" grep -q "^# step epoch lr train_loss train_acc val_loss val_acc seconds" run/plots/loss.dat
rm run/plots/loss.png
check "a script reruns by hand in its directory" sh -c "cd run/plots && '$GNUPLOT' -e \"formats='png'\" loss.gp"
check "...and rewrites its figure" nonempty run/plots/loss.png
check "-o DIR" $EXPORT run --format plots -o elsewhere
check "elsewhere/heatmap_reduce.svg" nonempty elsewhere/heatmap_reduce.svg
rm run/metrics.csv
check "without metrics.csv: alpha figures only" $EXPORT run --format plots -o alphas_only
check "no loss figure then" test ! -e alphas_only/loss.pdf -a -s alphas_only/alphas_normal.pdf
echo 'step,epoch,lr' > run/metrics.csv
$EXPORT run --format plots >/dev/null 2>err.txt; st=$?
check "malformed metrics.csv: exit 1" test "$st" -eq 1
check "malformed metrics.csv: positioned" grep -q "metrics.csv:1:1: header lacks column 'train_loss'" err.txt
finish
