#!/bin/sh
# run.sh HARNESS: make check's run of one libFuzzer harness (fuzz/local.mk).
# Seeds: fuzz/corpus/NAME (made from the test fixtures by make_corpus.sh,
# plus the inputs of crashes fixed since) and, for the text formats, the
# fixtures themselves; new inputs go to a scratch corpus in the build tree.
# Runs for FUZZ_SECONDS (default 5). A crash fails the test: the log and the
# crashing input stay in fuzz/NAME.dir; a clean run removes that directory.
set -u
harness=$1
case $harness in */*) ;; *) harness=./$harness ;; esac
name=$(basename "$harness" .fuzz)
: "${top_srcdir:=.}"
work=fuzz/$name.dir
rm -rf "$work" && mkdir -p "$work/corpus" "$work/tmp" || exit 99
work=$(cd "$work" && pwd) # absolute: a harness may change directory
seeds="$top_srcdir/fuzz/corpus/$name"
case $name in
config) seeds="$seeds $top_srcdir/tests/fixtures/config $top_srcdir/presets" ;;
genotype) seeds="$seeds $top_srcdir/tests/fixtures/genotypes" ;;
esac
# shellcheck disable=SC2086
TMPDIR=$work/tmp DARTBOARD_FUZZ_SEEDS=$work/corpus \
    "$harness" -max_total_time="${FUZZ_SECONDS:-5}" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" $seeds >"$work/log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
if [ $status -ne 0 ]; then
    tail -n 40 "$work/log"
    echo "FAIL: $name: exit status $status after ${runs:-?} inputs; log and input in $work"
    exit 1
fi
echo "PASS: $name: ${runs:-?} inputs in ${FUZZ_SECONDS:-5} s, no crash"
rm -rf "$work"
