#!/bin/sh
# test_rundir: the run directory holds against what goes wrong around it.
#  - a full disk (ENOSPC at every possible write in turn) or a read-only one:
#    exit 1, the file and the reason named, the last good state resumable to
#    exactly the files of an uninterrupted run;
#  - a run stopped before its first checkpoint is resumable, a directory with
#    no run is refused by --resume with what to do;
#  - planted temporary names and symlinks are never written through;
#  - checkpoint.bin or metrics.csv pointing at /dev/zero, or far too large,
#    are refused at once;
#  - one writer per run directory (a second search, an export into it), a
#    stale lock after kill -9 is taken over;
#  - the process is called dartboard;
#  - --out: paths too long are refused (never cut), a directory holding any
#    file of a run is refused.
# The disk failures come from tests/fail_writes.so (LD_PRELOAD).
set -u
: "${DARTBOARD:?}" "${top_builddir:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_rundir.dir
work=$(cd "$work" && pwd -P)
shim=$top_builddir/tests/fail_writes.so

N=6
common="--headless --threads 1 --set run.report_every=2 --set run.checkpoint_every=4"
db() { "$DARTBOARD" "$@" >"$work/out" 2>"$work/err" </dev/null; }
show() { sed 's/^/#   /' "$work/err" "$work/out" | head -n 12; }

same_as_reference() { same_run "$work/ref" "$1"; }

check "uninterrupted reference run" "db --preset test --out $work/ref --steps $N $common"

# ---------------------------------------------------------------- full disk
# A sanitizer runtime must come first in the process: no preloading then.
if [ ! -f "$shim" ] || ldd "$DARTBOARD" 2>/dev/null | grep -q 'lib[at]san'; then
    echo "# no failure injection with this build (sanitizers or no $shim)"
else
    fail_run() { # ERRNO K ARGS...
        e=$1; k=$2; shift 2
        FAIL_WRITES_DIR="$work/full" FAIL_WRITES_AFTER=$k FAIL_WRITES_ERRNO=$e LD_PRELOAD="$shim" \
            "$DARTBOARD" "$@" >"$work/out" 2>"$work/err" </dev/null
    }
    # Every write in turn fails: K = 0, 1, 2, ... until the run gets through.
    k=0 bad=0 failed_runs=0
    while [ $k -lt 60 ]; do
        rm -rf "$work/full"
        fail_run ENOSPC $k --preset test --out "$work/full" --steps $N $common
        st=$?
        [ $st = 0 ] && break
        failed_runs=$((failed_runs + 1))
        if [ $st != 1 ]; then
            echo "# ENOSPC after $k writes: exit $st, expected 1"; show; bad=1; break
        fi
        if ! grep -q "^dartboard: $work/full/[a-z_.]*: .*No space left on device" "$work/err"; then
            echo "# ENOSPC after $k writes: the message names no file and reason:"; show; bad=1; break
        fi
        if grep -q "^step" "$work/out" && [ "$(grep -c '^step' "$work/out")" -gt $N ]; then
            echo "# ENOSPC after $k writes: more rows printed than steps"; show; bad=1; break
        fi
        # What is left resumes (or, with no config.yaml yet, starts afresh
        # in the same directory) to the uninterrupted run's files.
        if [ -f "$work/full/config.yaml" ]; then
            db --resume "$work/full" --steps $N $common
        else
            db --preset test --out "$work/full" --steps $N $common
        fi || { echo "# ENOSPC after $k writes: could not continue:"; show; bad=1; break; }
        same_as_reference "$work/full" || { echo "# after ENOSPC at write $k"; bad=1; break; }
        k=$((k + 1))
    done
    check "ENOSPC at each of the $failed_runs writes of a run: exit 1, file and errno named, resumable to identical files" \
        '[ $bad = 0 ] && [ $failed_runs -ge 10 ] && [ $k -lt 60 ]'

    # A read-only file system under a resumed run: the error, no stray row.
    cp -r "$work/ref" "$work/ro" && rm -rf "$work/full" && mv "$work/ro" "$work/full"
    fail_run EROFS 0 --resume "$work/full" --steps $((N + 2)) $common
    st=$?
    check "read-only: exit 1, the file named" '[ $st = 1 ] && grep -q "$work/full/.*Read-only file system" "$work/err"'
    check "read-only: no progress line printed before the error" '! grep -q "^step" "$work/out"'
fi

# ---------------------------------------------------------------- before the first checkpoint
mkdir -p "$work/early"
cp "$work/ref/config.yaml" "$work/early/"
check "a run with config.yaml and no checkpoint resumes from step 0" "db --resume $work/early --steps $N $common"
check "... and ends with the uninterrupted run's files" "same_as_reference $work/early"
mkdir -p "$work/empty" && : >"$work/empty/lock"
db --resume "$work/empty" --steps $N $common
st=$?
check "--resume on a directory with no run: exit 2, says to use --out" \
    '[ $st = 2 ] && grep -q "empty/config.yaml: no such file: .*holds no run to resume.*--out $work/empty" "$work/err"'
check "--out on the same directory starts the run" "db --preset test --out $work/empty --steps 2 $common"

# ---------------------------------------------------------------- planted names
mkdir -p "$work/plant"
echo precious >"$work/precious"
for f in checkpoint.bin.tmp metrics.csv.tmp alphas.csv.tmp config.yaml.tmp genotype.py.tmp genotype.json.tmp; do
    ln -s "$work/precious" "$work/plant/$f"
done
check "a run in a directory with planted *.tmp symlinks completes" "db --preset test --out $work/plant --steps 2 $common"
check "... and writes nothing through them" '[ "$(cat "$work/precious")" = precious ]'
check "... which a resume's clean-up then removes" "db --resume $work/plant --steps 3 $common && [ -z \"\$(find $work/plant -name '*.tmp*')\" ]"

# ---------------------------------------------------------------- unbounded reads
cp -r "$work/ref" "$work/zero-ckpt" && ln -sf /dev/zero "$work/zero-ckpt/checkpoint.bin"
timeout 30 "$DARTBOARD" --resume "$work/zero-ckpt" --steps $((N + 2)) $common >"$work/out" 2>"$work/err" </dev/null
st=$?
check "checkpoint.bin -> /dev/zero: exit 1 at once, not a regular file" \
    '[ $st = 1 ] && grep -q "$work/zero-ckpt/checkpoint.bin: not a regular file" "$work/err"'
cp -r "$work/ref" "$work/huge-ckpt" && truncate -s 40G "$work/huge-ckpt/checkpoint.bin"
timeout 30 "$DARTBOARD" --resume "$work/huge-ckpt" --steps $((N + 2)) $common >"$work/out" 2>"$work/err" </dev/null
st=$?
check "a 40 GB checkpoint.bin: refused by its size, before reading" \
    '[ $st = 1 ] && grep -q "huge-ckpt/checkpoint.bin: .*more than a checkpoint of this run can be" "$work/err"'
rm -f "$work/huge-ckpt/checkpoint.bin"
cp -r "$work/ref" "$work/zero-csv" && ln -sf /dev/zero "$work/zero-csv/metrics.csv"
timeout 30 "$DARTBOARD" --resume "$work/zero-csv" --steps $((N + 2)) $common >"$work/out" 2>"$work/err" </dev/null
st=$?
check "metrics.csv -> /dev/zero: exit 1 at once, a character device" \
    '[ $st = 1 ] && grep -q "zero-csv/metrics.csv: a character device (expected a regular file" "$work/err"'

cp -r "$work/ref" "$work/zero-log" && ln -sf /dev/zero "$work/zero-log/changes.log"
timeout 30 "$DARTBOARD" --resume "$work/zero-log" --steps $((N + 2)) $common --set optim.lr=0.01 \
    >"$work/out" 2>"$work/err" </dev/null
st=$?
check "changes.log -> /dev/zero: a logged change refuses it at once, exit 1" \
    '[ $st = 1 ] && grep -q "zero-log/changes.log: a character device" "$work/err"'
cp -r "$work/ref" "$work/fifo-csv" && rm "$work/fifo-csv/alphas.csv" && mkfifo "$work/fifo-csv/alphas.csv"
timeout 30 "$DARTBOARD" --resume "$work/fifo-csv" --steps $((N + 2)) $common >"$work/out" 2>"$work/err" </dev/null
st=$?
check "alphas.csv a FIFO: exit 1 at once, never waits for a writer" \
    '[ $st = 1 ] && grep -q "fifo-csv/alphas.csv: a FIFO (expected a regular file" "$work/err"'

# ---------------------------------------------------------------- one writer
"$DARTBOARD" --preset test --out "$work/busy" --steps 100000 $common >"$work/busy.out" 2>&1 </dev/null &
pid=$!
i=0
while [ ! -f "$work/busy/checkpoint.bin" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
check "the process is called dartboard (comm)" '[ "$(cat /proc/$pid/comm 2>/dev/null)" = dartboard ]'
check "pgrep -x dartboard finds it" 'pgrep -x dartboard | grep -qx "$pid"'
db --resume "$work/busy" --steps 100000 $common
st=$?
check "a second writer on a running search is refused, with the holder's pid" \
    '[ $st != 0 ] && grep -q "$work/busy: in use by another dartboard (pid $pid" "$work/err"'
db export "$work/busy" --format yaml
st=$?
check "export into a running search's directory is refused, saying what to do" \
    '[ $st = 1 ] && grep -q "in use by another dartboard (pid $pid.*-o FILE" "$work/err" && [ ! -e "$work/busy/genotype.yaml" ]'
check "export of a running search with -o elsewhere is not refused" "db export $work/busy --format yaml -o $work/busy.yaml; ! grep -q \"in use\" $work/err"
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "after kill -9 the stale lock is taken over" "db --resume $work/busy --steps 3 $common"

# ---------------------------------------------------------------- --out
long=$work/$(printf 'd%.0s' $(seq 1 150))/$(printf 'e%.0s' $(seq 1 150))/$(printf 'f%.0s' $(seq 1 150))/$(printf 'g%.0s' $(seq 1 150))
check "a 600-byte --out path is used as given (was cut at 511)" "db --preset test --out $long --steps 2 $common && [ -f $long/metrics.csv ]"
toolong=$long/$(printf 'h%.0s' $(seq 1 250))/$(printf 'i%.0s' $(seq 1 250))
db --preset test --out "$toolong" --steps 2 $common
st=$?
check "a 1100-byte --out path is refused, nothing created" \
    '[ $st != 0 ] && grep -q "path of [0-9]* bytes (at most 1023)" "$work/err" && [ ! -e "$toolong" ]'
for f in alphas.csv genotype.json genotype.py changes.log; do
    mkdir -p "$work/holds-$f" && echo keep >"$work/holds-$f/$f"
    db --preset test --out "$work/holds-$f" --steps 2 $common
    st=$?
    check "--out on a directory holding only $f: refused, $f untouched" \
        '[ $st = 2 ] && grep -q "already holds a run ($f)" "$work/err" && [ "$(cat "$work/holds-$f/$f")" = keep ]'
done

test_end
