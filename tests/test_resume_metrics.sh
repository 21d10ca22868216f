#!/bin/sh
# test_resume_metrics: a run directory whose metrics.csv holds a malformed
# row is not resumed: exit 1, the file, line and column named, and nothing
# in the directory changes, also with an override that would be logged to
# changes.log. (The last row, at the checkpoint's step, is dropped and
# rewritten by the resume, so the damage is in an earlier one.)
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_resume_metrics.dir

common="--headless --threads 1 --set run.report_every=2 --set run.checkpoint_every=2"
"$DARTBOARD" --preset test --out "$work/run" --steps 4 $common >"$work/log" 2>&1 </dev/null ||
    { echo "Bail out! the first run failed:"; sed 's/^/# /' "$work/log"; exit 99; }
check "the run wrote two metric rows" '[ "$(wc -l <"$work/run/metrics.csv")" -eq 3 ]'

refused() { # DIR MESSAGE
    before=$(dir_checksums "$1")
    "$DARTBOARD" --resume "$1" --steps 6 $common --set optim.lr=0.01 >"$work/out" 2>"$work/err" </dev/null
    st=$?
    after=$(dir_checksums "$1")
    [ $st = 1 ] || { echo "# exit $st, expected 1"; sed 's/^/#   /' "$work/err"; return 1; }
    grep -qF "dartboard: $2" "$work/err" || { echo "# message:"; sed 's/^/#   /' "$work/err"; return 1; }
    [ "$before" = "$after" ] || { echo "# the run directory changed"; return 1; }
}

cp -r "$work/run" "$work/bad"
sed -i '2s/^\([0-9]*,[0-9]*,[^,]*,\)[^,]*/\1 1.2x/' "$work/bad/metrics.csv"
check "a malformed train_loss: refused, positioned, nothing changed" \
    'refused "$work/bad" "$work/bad/metrics.csv:2:" && grep -qF "'"'"'1.2x'"'"' is not a number" "$work/err"'

cp -r "$work/run" "$work/short"
sed -i '2s/,[^,]*$//' "$work/short/metrics.csv"
check "a row without its seconds: refused, nothing changed" \
    'refused "$work/short" "$work/short/metrics.csv:2: row has 7 fields (expected at least 8)"'

check "the intact run resumes" '"$DARTBOARD" --resume "$work/run" --steps 6 $common >>"$work/log" 2>&1 </dev/null'

test_end
