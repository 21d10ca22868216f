#!/bin/sh
# test_resume: an interrupted and resumed run writes the same files as an
# uninterrupted one (same seed, same threads): stopped with --steps between
# reports, killed with SIGKILL at random moments, and stopped with SIGTERM.
# A corrupt or truncated checkpoint is refused (exit 1, the file named) and
# nothing in the run directory changes.
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_resume.dir

N=24
common="--headless --threads 1 --set run.report_every=3 --set run.checkpoint_every=2"
db() { "$DARTBOARD" "$@" >>"$work/log" 2>&1 </dev/null; }

same_as_reference() {
    same_run "$work/ref" "$1" || return 1
    [ ! -e "$1/lock" ] || { echo "# $1 still has its lock file"; return 1; }
}

t0=$(date +%s%N)
check "uninterrupted reference run of $N steps" "db --preset test --out $work/ref --steps $N $common"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "# reference run took $ms ms"
check "reference has a row at every 3rd step and the end" '[ "$(tail -n +2 "$work/ref/metrics.csv" | wc -l)" -ge $((N / 3)) ]'

# Stopped by --steps between two reports (7 is not a multiple of 3), resumed.
check "run to step 7" "db --preset test --out $work/steps --steps 7 $common"
check "the stopped run has its end row at step 7" '[ "$(tail -n 1 "$work/steps/metrics.csv" | cut -d, -f1)" = 7 ]'
check "resume to step $N" "db --resume $work/steps --steps $N $common"
check "stop at 7 + resume: files identical to the uninterrupted run" "same_as_reference $work/steps"

# Stopped twice (at a report step, then mid-interval), resumed each time.
check "two stops (6 and 11) then the rest" "db --preset test --out $work/twice --steps 6 $common && db --resume $work/twice --steps 11 $common && db --resume $work/twice --steps $N $common"
check "stop at 6 and 11: files identical" "same_as_reference $work/twice"

# SIGKILL at random moments; each time resume from whatever is on disk.
last_step() { tail -n 1 "$1/metrics.csv" 2>/dev/null | cut -d, -f1 | grep -E '^[0-9]+$' || echo 0; }
mid_run_kills=0
kill_at_random() { # DIR START_ARGS...
    dir=$1; shift
    from=$(last_step "$dir")
    # A report step strictly between here and the end, drawn at random: wait
    # until the run has written it (so the kill lands mid-run however fast or
    # loaded the machine is), then up to one more report interval at random,
    # so the kill also falls inside steps and writes.
    target=$(awk -v from="$from" -v n="$N" -v seed="$(date +%N)" \
        'BEGIN { srand(seed); k = int((n - 1) / 3) - int(from / 3); t = k > 0 ? 3 * (int(from / 3) + 1 + int(rand() * k)) : n; print t }')
    delay=$(awk -v ms="$ms" -v n="$N" -v seed="$(date +%N)" \
        'BEGIN { srand(seed); printf "%.3f", rand() * 3 * ms / 1000 / n }')
    "$DARTBOARD" "$@" >>"$work/log" 2>&1 </dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && [ "$(last_step "$dir")" -lt "$target" ]; do
        sleep 0.02
    done
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    at=$(last_step "$dir")
    [ "$at" -lt $N ] && mid_run_kills=$((mid_run_kills + 1))
    echo "# killed ${delay}s after step $target was reported, last metrics row at step $at"
}
kill_at_random "$work/kill" --preset test --out "$work/kill" --steps $N $common
# Whatever a kill leaves is resumable; only a run killed before it wrote
# config.yaml holds nothing, and then the same --out starts it afresh.
resume_or_start() { # RUNNER
    if [ -f "$work/kill/config.yaml" ]; then
        "$1" "$work/kill" --resume "$work/kill" --steps $N $common
    else
        "$1" "$work/kill" --preset test --out "$work/kill" --steps $N $common
    fi
}
for round in 1 2 3; do
    resume_or_start kill_at_random
done
kills_ok=1
in_dir() { shift; db "$@"; }
resume_or_start in_dir || kills_ok=0
check "at least one kill -9 landed mid-run ($mid_run_kills of 4)" '[ $mid_run_kills -ge 1 ]'
check "after the kill -9s the run resumes to the end" '[ $kills_ok = 1 ]'
check "kill -9 + resume: files identical" "same_as_reference $work/kill"

# SIGTERM: checkpoint and a clean exit, then resume.
"$DARTBOARD" --preset test --out "$work/term" --steps $N $common >>"$work/log" 2>&1 </dev/null &
pid=$!
sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", 0.4 * ms / 1000 }')"
kill -TERM "$pid" 2>/dev/null
wait "$pid"
st=$?
check "SIGTERM: exit status 0 (checkpointed)" '[ $st = 0 ] && [ -f "$work/term/checkpoint.bin" ]'
check "SIGTERM + resume: files identical" "db --resume $work/term --steps $N $common && same_as_reference $work/term"

# Corrupt checkpoints are refused and nothing changes.
refused() { # DIR WHAT
    before=$(dir_checksums "$1")
    "$DARTBOARD" --resume "$1" --steps $((N + 6)) $common >"$work/out" 2>"$work/err" </dev/null
    st=$?
    after=$(dir_checksums "$1")
    [ $st = 1 ] || { echo "# $2: exit $st, expected 1"; return 1; }
    grep -q "^dartboard: $1/checkpoint.bin: .*$2" "$work/err" || { echo "# $2: message:"; sed 's/^/#   /' "$work/err"; return 1; }
    [ "$before" = "$after" ] || { echo "# $2: the run directory changed"; return 1; }
}
cp -r "$work/ref" "$work/flip"
size=$(wc -c <"$work/flip/checkpoint.bin")
pos=$((size / 2))
byte=$(od -An -tu1 -j $pos -N1 "$work/flip/checkpoint.bin" | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$work/flip/checkpoint.bin" bs=1 seek=$pos conv=notrunc 2>/dev/null
check "a flipped byte: refused with exit 1, file named, nothing changed" 'refused "$work/flip" "CRC32"'
cp -r "$work/ref" "$work/trunc"
head -c $((size - 1000)) "$work/ref/checkpoint.bin" >"$work/trunc/checkpoint.bin"
check "a truncated checkpoint: refused with exit 1, nothing changed" 'refused "$work/trunc" "truncated"'
cp -r "$work/ref" "$work/shape"
sed -i 's/^\( *layers:\) *\([0-9]*\)/\1 9/' "$work/shape/config.yaml"
check "a checkpoint of another network shape: refused, nothing changed" 'refused "$work/shape" "different network"'

test_end
