#!/bin/sh
# compare-remedies.sh: issue 13's comparison of the remedies against DARTS's
# collapse (BENCHMARKS.md, Remedies compared). One command:
#
#   bench/compare-remedies.sh [--steps N] [--every N] [--out DIR] [--threads N]
#                             [--train-preset P] [--train-steps N] [--set KEY=VALUE]...
#                             [--train-set KEY=VALUE]... [--dartboard PATH] [--tiny]
#
# Rows, each a search of the same supernet with the same seed and steps:
# plain DARTS first order (demo) and second order (demo, arch.order=2),
# demo-beta-darts, demo-sdarts, demo-darts-minus, demo-fair-darts,
# demo-pc-darts (skipped with a note when that preset does not exist),
# DARTS-ES (demo, monitor.es) and RobustDARTS's adaptive weight decay
# (demo, monitor.es, remedy.adaptive_wd=3). Every search writes monitors.csv
# (lambda_max and the skip count every --every steps); then `dartboard
# train` trains each derived cell with the one short recipe (--train-preset,
# default train-fashion-mnist-short: one epoch, tested on the t10k split;
# --train-steps N ends each training after N steps, tested all the same).
# --set and --train-set pass KEY=VALUE to every search or training (before
# the tiny settings and the row's own keys, which win: a trial may lower
# monitor.iters or run.eval_samples).
#
# Writes into DIR (default compare-remedies-YYYYMMDD-HHMMSS):
#   runs/ROW/     each search's run directory (plots/: its gnuplot figures)
#   train/ROW/    each training run (results.json)
#   results.md    the table: final and max lambda_max, skips in the derived
#                 normal cell, both derived cells, test accuracy, search time
#   plots/        lambda_max and skips over steps, every row in one figure
#                 (NAME.gp, NAME.svg, NAME.png; NAME-ROW.dat the data)
#
# --tiny: the same rows and presets on the test preset's synthetic data and
# network (a few steps), trained with train-test for 4 steps: what `make check` runs
# (tests/test_compare_remedies.sh). Without gnuplot the table is written and
# the figures are skipped (said on stderr).
#
# Defaults: the demo's whole schedule (10 epochs = 9370 steps), a monitor row
# every 250 steps, DARTS-ES from epoch 2 (a fifth of the run, as RobustDARTS's
# 10 of 50), 2 threads. Takes hours on 2 cores: run it on a quiet machine.
set -eu

steps=
every=
threads=2
out=
train_preset=train-fashion-mnist-short
tiny=0
train_extra=
search_extra=
db=${DARTBOARD:-$(pwd)/dartboard}

usage() {
    sed -n '4,6p' "$0" | sed 's/^#  *//' >&2
    exit 2
}
number() { # NAME VALUE: a positive integer, else a usage error
    case $2 in
    '' | *[!0-9]* | 0*) echo "compare-remedies: $1 '$2' (expected a positive integer)" >&2; exit 2 ;;
    esac
}
while [ $# -gt 0 ]; do
    case $1 in
    --steps) number "$1" "${2-}"; steps=$2; shift 2 ;;
    --every) number "$1" "${2-}"; every=$2; shift 2 ;;
    --threads) number "$1" "${2-}"; threads=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --train-preset) [ $# -ge 2 ] || usage; train_preset=$2; shift 2 ;;
    --train-steps) number "$1" "${2-}"; train_extra="$train_extra --steps $2"; shift 2 ;;
    --set | --train-set) # KEY=VALUE for every search (or training); dartboard checks it
        case ${2-} in
        [a-z]*.[a-z]*=*) ;;
        *) echo "compare-remedies: $1 '${2-}' (expected KEY=VALUE)" >&2; exit 2 ;;
        esac
        case $2 in *[!a-z0-9_.=+-]*) echo "compare-remedies: $1 '$2': only [a-z0-9_.=+-]" >&2; exit 2 ;; esac
        if [ "$1" = --set ]; then search_extra="$search_extra --set $2"; else train_extra="$train_extra --set $2"; fi
        shift 2 ;;
    --dartboard) [ $# -ge 2 ] || usage; db=$2; shift 2 ;;
    --tiny) tiny=1; shift ;;
    -h | --help) usage ;;
    *) echo "compare-remedies: unknown option '$1'" >&2; usage ;;
    esac
done
[ -x "$db" ] || { echo "compare-remedies: $db is not an executable dartboard (--dartboard PATH)" >&2; exit 2; }
[ -n "$out" ] || out=compare-remedies-$(date +%Y%m%d-%H%M%S)
if [ -e "$out/results.md" ]; then
    echo "compare-remedies: $out already holds a comparison (results.md); choose another --out" >&2
    exit 2
fi
mkdir -p "$out/runs" "$out/train" "$out/plots"

if [ "$tiny" = 1 ]; then
    steps=${steps:-12}
    every=${every:-2}
fi
steps=${steps:-9370}
every=${every:-250}

# Every row's search: the same seed, threads, steps and monitor settings.
common="--headless --threads $threads --seed 2 --steps $steps --set monitor.every=$every$search_extra"
es="--set monitor.es=true"
if [ "$tiny" = 1 ]; then
    # The test preset's data and network under every row's preset.
    common="$common --set data.set=synthetic --set data.synthetic_size=384 --set data.synthetic_image=12"
    common="$common --set data.synthetic_channels=1 --set data.classes=4 --set data.batch_size=16"
    common="$common --set model.init_channels=4 --set model.layers=3 --set run.eval_samples=192"
    common="$common --set run.report_every=5 --set monitor.iters=4 --set run.epochs=6"
    es="$es --set monitor.es_window=1 --set monitor.es_ratio=1 --set monitor.es_start=0"
    [ "$train_preset" = train-fashion-mnist-short ] && train_preset=train-test
    case $train_extra in *--steps*) ;; *) train_extra="$train_extra --steps 4" ;; esac
else
    es="$es --set monitor.es_start=2"
fi

# ROW PRESET EXTRA: the rows, in the table's order (names [a-z0-9-] only:
# they become file names and gnuplot titles).
rows="plain-order1|demo|--set arch.order=1
plain-order2|demo|--set arch.order=2
beta-darts|demo-beta-darts|
sdarts|demo-sdarts|
darts-minus|demo-darts-minus|
fair-darts|demo-fair-darts|
pc-darts|demo-pc-darts|
darts-es|demo|$es
adaptive-wd|demo|$es --set remedy.adaptive_wd=3"

presets=$("$db" presets </dev/null | awk '{ print $1 }')
table=$out/results.md.tmp
{
    echo "| row | preset | final lambda_max | max lambda_max | skips (normal) | normal cell | reduce cell | test acc % | search s |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$table"

# The cell list of genotype.py (normal or reduce) as "op/input ...".
cell() {
    sed -n "s/.*[(, ]$2=\[\([^]]*\)\].*/\1/p" "$1/genotype.py" |
        sed "s/('\([a-z0-9_]*\)', \([0-9]*\))/\1\/\2/g; s/, / /g"
}

echo "$rows" | while IFS='|' read -r row preset extra; do
    if ! echo "$presets" | grep -qx "$preset"; then
        echo "compare-remedies: $row skipped: no preset $preset" >&2
        echo "| $row | $preset | skipped: no such preset | | | | | | |" >>"$table"
        continue
    fi
    run=$out/runs/$row
    echo "compare-remedies: $row: dartboard search --preset $preset $extra" >&2
    # shellcheck disable=SC2086 # the option lists split on purpose
    if ! "$db" search --preset "$preset" $common $extra --out "$run" </dev/null >"$run.out" 2>"$run.err"; then
        echo "compare-remedies: $row: the search failed (exit $?; $run.err)" >&2
        echo "| $row | $preset | search failed | | | | | | |" >>"$table"
        continue
    fi
    lam=$(tail -n +2 "$run/monitors.csv" | awk -F, '{ last = $2; if (NR == 1 || $2 > max) max = $2 }
        END { if (NR) printf "%.4g %.4g", last, max; else printf "- -" }')
    skips=$(cell "$run" normal | tr ' ' '\n' | grep -c '^skip_connect/' || true)
    secs=$(tail -n 1 "$run/metrics.csv" | awk -F, '{ printf "%.1f", $8 }')
    tail -n +2 "$run/monitors.csv" | awk -F, '{ print $1, $2 }' >"$out/plots/lambda_max-$row.dat"
    tail -n +2 "$run/monitors.csv" | awk -F, '{ print $1, $6 }' >"$out/plots/skips-$row.dat"
    [ "$tiny" = 1 ] || "$db" export "$run" --format plots </dev/null >/dev/null 2>>"$run.err" || true
    acc=-
    echo "compare-remedies: $row: dartboard train --preset $train_preset" >&2
    # shellcheck disable=SC2086
    if "$db" train --genotype "$run" --preset "$train_preset" --headless --threads "$threads" $train_extra \
        --out "$out/train/$row" </dev/null >"$out/train/$row.out" 2>"$out/train/$row.err"; then
        acc=$(sed -n 's/.*"test_accuracy": *\([0-9.]*\).*/\1/p' "$out/train/$row/results.json")
    else
        echo "compare-remedies: $row: training failed ($out/train/$row.err)" >&2
    fi
    echo "| $row | $preset | ${lam% *} | ${lam#* } | $skips | $(cell "$run" normal) | $(cell "$run" reduce) | $acc | $secs |" >>"$table"
done
mv "$table" "$out/results.md"

# The figures: every row that has monitor rows, one line each. Only fixed
# names reach the script (it runs in plots/, naming no directory).
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "compare-remedies: gnuplot not found (Debian: gnuplot-nox): no figures" >&2
    exit 0
fi
figure() { # NAME YLABEL [SETTINGS]
    (
        cd "$out/plots"
        {
            echo "set xlabel 'step'; set ylabel '$2'; set key outside right; set grid${3:+; $3}"
            plot=
            for row in $(echo "$rows" | cut -d'|' -f1); do # the table's order
                f=$1-$row.dat
                [ -s "$f" ] || continue
                plot="$plot${plot:+, }'$f' using 1:2 with linespoints title '$row'"
            done
            [ -n "$plot" ] || plot="0 notitle"
            echo "set terminal svg size 900,500 font 'Helvetica,11' noenhanced; set output '$1.svg'"
            echo "plot $plot"
            echo "set terminal pngcairo size 900,500 font 'Helvetica,10' noenhanced; set output '$1.png'"
            echo "replot"
        } >"$1.gp"
        gnuplot "$1.gp"
    )
}
figure lambda_max lambda_max
figure skips 'skip connections in the derived normal cell' 'set ytics 1; set yrange [-0.2:*]'
echo "compare-remedies: $out/results.md, $out/plots/lambda_max.{svg,png}, $out/plots/skips.{svg,png}" >&2
