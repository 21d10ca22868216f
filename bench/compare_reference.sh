#!/bin/sh
# compare_reference.sh: dartboard and the PyTorch reference side by side, in
# one sitting on one machine. Prints the RESULT lines of both.
#
#   bench/compare_reference.sh [CONFIGS] [ORDERS] [THREADS]     e.g.  "A B C" "0 1 2" 2
#
# Needs the built ./dartboard, Debian's python3-torch and the PyTorch
# reference darts_ref.py, which is not part of dartboard (docs/ARCHITECTURE.md,
# The PyTorch reference): DARTS_REF_DIR=DIR names the directory that holds it
# (or DARTS_REF=FILE the script itself).
set -eu
configs=${1:-"A B C"}
orders=${2:-"0 1 2"}
threads=${3:-2}
ref=${DARTS_REF:-${DARTS_REF_DIR:+$DARTS_REF_DIR/darts_ref.py}}
if [ -z "$ref" ]; then
    echo "compare_reference.sh: set DARTS_REF_DIR to the directory of the PyTorch" \
        "reference darts_ref.py (or DARTS_REF to the file)" >&2
    exit 2
fi
case $ref in /*) ;; *) ref=$(pwd)/$ref ;; esac
if [ ! -f "$ref" ]; then
    echo "compare_reference.sh: $ref: no such file" \
        "(expected the PyTorch reference darts_ref.py)" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
steps=${STEPS:-5}
for c in $configs; do
    case $c in
    A) shape="--in-ch 3 --img 32 --C 16 --layers 8 --batch 64" ;;
    B) shape="--in-ch 1 --img 28 --C 16 --layers 8 --batch 64" ;;
    C) shape="--in-ch 1 --img 28 --C 8 --layers 5 --batch 32" ;;
    *) echo "compare_reference.sh: unknown config '$c' (expected A, B or C)" >&2; exit 2 ;;
    esac
    for o in $orders; do
        ./dartboard bench --config "$c" --order "$o" --steps "$steps" --threads "$threads" | grep '^RESULT' | sed "s/^/dartboard config=$c /"
        for layout in "" "--channels-last"; do
            # shellcheck disable=SC2086
            /usr/bin/python3 "$ref" --bench --dataset synthetic $shape --order "$o" \
                --threads "$threads" --steps "$steps" --warmup 1 $layout | grep '^RESULT' | sed "s/^/pytorch config=$c /"
        done
    done
done
