#!/bin/sh
# viewers.sh: what attached viewers cost a search (BENCHMARKS.md, issue 14).
#
#   bench/viewers.sh [ROUNDS] [EPOCHS]     (default 3 rounds, 17 epochs = 204 steps)
#
# Per round, one search with 0, 1 and 4 viewers (in that order, rounds
# alternating the order): `dartboard search --preset test --detach`, then the
# viewers, each `dartboard attach` in tmux at 80x24. Until the search ends,
# samples every 0.2 s the CPU time of the search process, of its viewer
# thread (named dartboard-view) and of the viewer processes. Prints one
# line per search: viewers, steps, search seconds (metrics.csv, the worker's
# running time), ms/step, process CPU s, viewer thread CPU s and its share.
# Needs tmux; run from the build tree (./dartboard).
set -eu
rounds=${1:-3}
epochs=${2:-17}
db=$(pwd)/dartboard
out=$(mktemp -d "${TMPDIR:-/tmp}/dartboard-viewers.XXXXXX")
T() { tmux -L "dbv$$" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1 || true; rm -rf "$out"' EXIT INT TERM
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "$1" 2>/dev/null; } # utime + stime, CLK_TCK 100

one() { # VIEWERS ROUND
    run=$out/v$1-r$2
    "$db" search --preset test --set run.epochs="$epochs" --set run.report_every=2 \
        --set run.checkpoint_every=0 --threads 1 --out "$run" --detach >"$run.out"
    pid=$(sed -n 's/.*background (pid \([0-9]*\)).*/\1/p' "$run.out")
    i=0
    while [ $i -lt "$1" ]; do
        T new-session -d -s "v$i" -x 80 -y 24 "TERM=xterm-256color LC_ALL=C.UTF-8 $db attach $run"
        i=$((i + 1))
    done
    proc=0 view=0
    while kill -0 "$pid" 2>/dev/null; do
        p=$(cpu /proc/"$pid"/stat) && [ -n "$p" ] && proc=$p
        for t in /proc/"$pid"/task/*; do
            [ "$(cat "$t/comm" 2>/dev/null)" = dartboard-view ] && v=$(cpu "$t/stat") && [ -n "$v" ] && view=$v
        done
        sleep 0.2
    done
    T kill-server >/dev/null 2>&1 || true
    tail -n 1 "$run/metrics.csv" | awk -F, -v v="$1" -v p="$proc" -v w="$view" '{
        printf "viewers %d  steps %d  search %.1f s  %.1f ms/step  process CPU %.2f s  viewer thread %.2f s (%.2f %%)\n",
               v, $1, $8, 1000 * $8 / $1, p, w, (p > 0 ? 100 * w / p : 0) }'
}

r=1
while [ $r -le "$rounds" ]; do
    if [ $((r % 2)) = 1 ]; then order="0 1 4"; else order="4 1 0"; fi
    for v in $order; do one "$v" "$r"; done
    r=$((r + 1))
done
