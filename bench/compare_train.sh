#!/bin/sh
# compare_train.sh: dartboard's training step and the PyTorch reference's
# side by side, in one sitting on one machine: per round, dartboard, then
# the reference in each layout; the rounds repeat, so a host that slows for
# a while slows both. Prints every run's RESULT line, then per shape
# dartboard's median run against the reference's fastest run of its faster
# layout, and the peak RSS of both (BENCHMARKS.md, Training from scratch);
# then each round's ratio, the reference's faster run of the round against
# dartboard's run of the round, and their median.
#
#   bench/compare_train.sh [SHAPES] [ROUNDS] [THREADS]      e.g.  "fashion cifar" 3 2
#
# SHAPES: fashion (1x28x28, C 16, 8 cells, batch 64) and cifar (3x32x32,
# C 36, 20 cells, batch 96), as `dartboard bench --train --shape`. The
# environment may set STEPS (timed steps a run, default 5), GENOTYPE
# (DARTS_V2, DARTS_V1 or DARTS; default DARTS_V2), LAYOUTS ("nhwc nchw",
# the default, or one of them), DARTBOARD (the program, default
# ./dartboard) and PYTHON (default /usr/bin/python3, Debian's, which has
# python3-torch).
#
# Needs the PyTorch reference darts_eval_ref.py, which is not part of
# dartboard (docs/ARCHITECTURE.md, The PyTorch reference): DARTS_REF_DIR=DIR
# names the directory that holds it (or DARTS_EVAL_REF=FILE the script).
set -eu
shapes=${1:-"fashion cifar"}
rounds=${2:-3}
threads=${3:-2}
steps=${STEPS:-5}
genotype=${GENOTYPE:-DARTS_V2}
layouts=${LAYOUTS:-"nhwc nchw"}
python=${PYTHON:-/usr/bin/python3}
me=compare_train.sh

fail() {
    echo "$me: $*" >&2
    exit 2
}
is_count() { # a whole number from 1 on
    case $1 in '' | *[!0-9]* | 0*) return 1 ;; esac
}

is_count "$rounds" || fail "ROUNDS: '$rounds' is not a whole number from 1 on"
is_count "$threads" || fail "THREADS: '$threads' is not a whole number from 1 on"
is_count "$steps" || fail "STEPS: '$steps' is not a whole number from 1 on"
[ "$steps" -ge 5 ] || fail "STEPS: $steps (dartboard times at least 5 steps)"
case $genotype in DARTS_V1 | DARTS_V2 | DARTS) ;;
*) fail "GENOTYPE: '$genotype' (expected DARTS_V2, DARTS_V1 or DARTS, names both programs know)" ;;
esac
[ -n "$shapes" ] || fail "SHAPES: none given (expected fashion, cifar or both)"
for s in $shapes; do
    case $s in fashion | cifar) ;; *) fail "SHAPES: '$s' (expected fashion or cifar)" ;; esac
done
[ -n "$layouts" ] || fail "LAYOUTS: none given (expected nhwc, nchw or both)"
for l in $layouts; do
    case $l in nhwc | nchw) ;; *) fail "LAYOUTS: '$l' (expected nhwc or nchw)" ;; esac
done

ref=${DARTS_EVAL_REF:-${DARTS_REF_DIR:+$DARTS_REF_DIR/darts_eval_ref.py}}
[ -n "$ref" ] || fail "set DARTS_REF_DIR to the directory of the PyTorch reference" \
    "darts_eval_ref.py (or DARTS_EVAL_REF to the file)"
case $ref in /*) ;; *) ref=$(pwd)/$ref ;; esac
[ -f "$ref" ] || fail "$ref: no such file (expected the PyTorch reference darts_eval_ref.py)"
cd "$(dirname "$0")/.."
dartboard=${DARTBOARD:-./dartboard}
[ -x "$dartboard" ] || fail "$dartboard: not an executable (build it, or set DARTBOARD)"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
trap 'exit 130' INT TERM

# run NAME SHAPE ROUND COMMAND...: its RESULT line, printed and kept as
# "SHAPE NAME median_ms peak_rss_mib ROUND"; a run that prints none stops
# here.
run() {
    name=$1 shape=$2 round=$3
    shift 3
    line=$("$@" | grep '^RESULT train-bench' || true)
    [ -n "$line" ] || fail "$name on $shape printed no RESULT train-bench line: $*"
    echo "$name shape=$shape $line"
    ms=$(echo "$line" | sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p')
    rss=$(echo "$line" | sed -n 's/.* peak_rss_mib=\([0-9]*\).*/\1/p')
    if [ -z "$ms" ] || [ -z "$rss" ]; then
        fail "$name on $shape: no median_ms or peak_rss_mib in: $line"
    fi
    echo "$shape $name $ms $rss $round" >>"$results"
}

for s in $shapes; do
    case $s in
    fashion) args="--in-ch 1 --img 28 --C 16 --layers 8 --batch 64" ;;
    cifar) args="--in-ch 3 --img 32 --C 36 --layers 20 --batch 96" ;;
    esac
    r=1
    while [ "$r" -le "$rounds" ]; do
        run dartboard "$s" "$r" "$dartboard" bench --train --shape "$s" --genotype "$genotype" \
            --steps "$steps" --threads "$threads"
        for l in $layouts; do
            flag=
            [ "$l" = nhwc ] && flag=--channels-last
            # shellcheck disable=SC2086
            run "pytorch-$l" "$s" "$r" "$python" "$ref" --bench --genotype "$genotype" $args \
                --steps "$steps" --threads "$threads" $flag
        done
        r=$((r + 1))
    done
done

echo
echo "shape    dartboard median   pytorch fastest (layout)    ratio   peak RSS: dartboard, pytorch (that layout)"
for s in $shapes; do
    awk -v shape="$s" '
        $1 != shape { next }
        $2 == "dartboard" { ms[++n] = $3; if ($4 > drss) drss = $4; mine[$5] = $3; next }
        {
            if (!($5 in theirs) || $3 < theirs[$5]) theirs[$5] = $3
            l = substr($2, 9)
            if (!(l in fast) || $3 < fast[l]) fast[l] = $3
            if (!(l in lo) || $4 < lo[l]) lo[l] = $4
            if ($4 > hi[l]) hi[l] = $4
        }
        END {
            for (i = 1; i <= n; i++)       # the medians in order
                for (j = i + 1; j <= n; j++)
                    if (ms[j] < ms[i]) { t = ms[i]; ms[i] = ms[j]; ms[j] = t }
            med = n % 2 ? ms[(n + 1) / 2] : (ms[n / 2] + ms[n / 2 + 1]) / 2
            for (l in fast)
                if (best == "" || fast[l] < fast[best]) best = l
            printf "%-8s %10.1f ms %16.1f ms (%s) %8.2fx   %d MiB, %d-%d MiB (%.1f-%.1f %%)\n",
                shape, med, fast[best], best, fast[best] / med, drss, lo[best], hi[best],
                100 * drss / hi[best], 100 * drss / lo[best]
            # each round against itself: a host whose speed comes and goes
            # moves the two programs of one round together
            for (r = 1; r in mine; r++) {
                q[r] = theirs[r] / mine[r]
                line = line sprintf("%s%.2fx", r > 1 ? ", " : "", q[r])
            }
            for (i = 1; i < r; i++)
                for (j = i + 1; j < r; j++)
                    if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
            k = r - 1
            printf "%-8s round by round, the reference'"'"'s faster layout against dartboard: %s; median %.2fx\n",
                shape, line, k % 2 ? q[(k + 1) / 2] : (q[k / 2] + q[k / 2 + 1]) / 2
        }' "$results"
done
