#!/bin/sh
# test_adaptive_wd: RobustDARTS's adaptive regularisation (remedy.adaptive_wd).
# On the tiny search with DARTS-ES at every 2nd step (window 1, ratio 1.3:
# after a rollback the growth that triggers again is 1.4-2.3x, and ratio 2
# left that second trigger to the last bits of a kernel's sums):
# a trigger rolls the search back to DARTS-ES's earlier point (the step a
# plain DARTS-ES run keeps), multiplies optim.weight_decay by the factor
# (config.yaml, changes.log, the message) and continues to the end of the
# schedule, the CSV files cut at the rollback as after a resume; the factor
# stops at remedy.adaptive_wd_max, and a trigger there stops the search as
# DARTS-ES does; at most 4 + window/2 states are kept; a run stopped
# after a rollback (and once more between a rollback and the next trigger)
# and resumed writes the same files as the uninterrupted run, with the
# raised weight decay; bad values are refused naming the key.
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_adaptive_wd.dir

N=48
common="--headless --threads 1 --set run.report_every=3 --set run.checkpoint_every=4 --set monitor.iters=4"
es="--set monitor.every=2 --set monitor.es=true --set monitor.es_window=1 --set monitor.es_ratio=1.3 --set monitor.es_start=0"
ada="$es --set remedy.adaptive_wd=3 --set remedy.adaptive_wd_max=1" # no cap in reach
db() { "$DARTBOARD" "$@" </dev/null 2>>"$work/err"; }
mask() { cut -d, -f1-7 "$1/metrics.csv"; }
wd() { sed -n 's/^ *weight_decay: \([^ ]*\) .*/\1/p' "$1/config.yaml" | head -n 1; }
last_step() { tail -n 1 "$1" | cut -d, -f1; }

# Where plain DARTS-ES stops, and the step it keeps: the first rollback's.
db --preset test --out "$work/es" --steps $N $common $es >"$work/es.out"
stop=$(sed -n 's/^DARTS-ES stopped the search at step \([0-9]*\); genotype (step \([0-9]*\),.*/\1 \2/p' "$work/es.out")
trig=${stop% *}
keep=${stop#* }
check "plain DARTS-ES stops ($stop)" '[ -n "$stop" ]'

check "adaptive: a run to step $N" "db --preset test --out $work/ada --steps $N $common $ada >$work/ada.out"
check "its first rollback: at step $trig back to step $keep, weight decay 3e-4 -> 9e-4" \
    'grep -q "^step $trig: the local average of lambda_max grew .* since step $keep: rolled back to step $keep, optim.weight_decay 0.0003 -> 0.0009 (remedy.adaptive_wd 3)" $work/ada.out && [ "$(head -n 1 $work/ada/changes.log)" = "step $keep: optim.weight_decay 0.0003 -> 0.0009" ]'
rolls=$(grep -c "rolled back to step" "$work/ada.out")
check "each rollback (got $rolls) in changes.log, the weight decay times 3 each time" \
    '[ "$rolls" -ge 2 ] && [ "$(wc -l <$work/ada/changes.log)" = "$rolls" ] && awk "{ if (\$5 + 0 < 2.99 * \$3 || \$5 + 0 > 3.01 * \$3) bad = 1 } END { exit bad }" $work/ada/changes.log'
check "config.yaml holds the raised weight decay" \
    '[ "$(wd $work/ada)" = "$(tail -n 1 $work/ada/changes.log | sed "s/.* -> //")" ]'
check "the run reaches the end of its schedule (step $N) without a DARTS-ES stop" \
    '[ "$(last_step $work/ada/metrics.csv)" = $N ] && [ "$(last_step $work/ada/monitors.csv)" = $N ] && ! grep -q "DARTS-ES stopped" $work/ada.out'
increasing() { tail -n +2 "$1" | awk -F, 'NR > 1 && $1 <= p { bad = 1 } { p = $1 } END { exit bad }'; }
check "metrics.csv and monitors.csv go up in steps (cut at each rollback)" \
    'increasing $work/ada/metrics.csv && increasing $work/ada/monitors.csv'
kept=$(ls "$work/ada" | grep -c '^state-[0-9]*\.bin$')
check "kept states: 4 (window 1) ($kept)" '[ "$kept" = 4 ]'
check "a rollback with the state at the kept step restored: metrics up to step $keep as the plain run's" \
    '[ "$(mask $work/es | awk -F, -v k=$keep "NR == 1 || \$1 <= k")" = "$(mask $work/ada | awk -F, -v k=$keep "NR == 1 || \$1 <= k")" ]'

# The cap: 3e-4 -> 9e-4 -> 2e-3 (not 2.7e-3); the trigger after that stops.
check "adaptive with remedy.adaptive_wd_max=0.002" \
    "db --preset test --out $work/cap --steps $N $common $ada --set remedy.adaptive_wd_max=0.002 >$work/cap.out"
check "the weight decay stops at the cap" \
    '[ "$(sed -n 2p $work/cap/changes.log)" = "$(sed -n 2p $work/ada/changes.log | sed "s/0.0027/0.002/")" ] && [ "$(wc -l <$work/cap/changes.log)" = 2 ] && [ "$(wd $work/cap)" = 0.002 ]'
check "the next trigger stops the search as DARTS-ES, saying so" \
    'grep -q "^DARTS-ES: stopped at step .*; optim.weight_decay 0.002 is at remedy.adaptive_wd_max" $work/cap.out && grep -q "^DARTS-ES stopped the search at step" $work/cap.out'

# Stopped after the first rollback, then between a rollback and the next
# trigger (the DARTS-ES history comes from the checkpoint), resumed to $N.
s1=$((trig + 4))
check "stopped at step $s1 (after the first rollback)" \
    "db --preset test --out $work/res --steps $s1 $common $ada >/dev/null"
check "its config.yaml holds the raised weight decay 0.0009" '[ "$(wd $work/res)" = 0.0009 ]'
trig2=$(sed -n 's/^step \([0-9]*\): the local average .*rolled back to step.*/\1/p' "$work/ada.out" | sed -n 2p)
s2=$((trig2 + 1))
check "resumed to step $s2 (past the second trigger, at step $trig2), then to $N" \
    "db --resume $work/res --steps $s2 $common >/dev/null && db --resume $work/res --steps $N $common >/dev/null"
check "resumed: metrics.csv, alphas.csv, monitors.csv, genotype.json, changes.log as the uninterrupted run's" \
    '[ "$(mask $work/ada)" = "$(mask $work/res)" ] && cmp -s $work/ada/alphas.csv $work/res/alphas.csv && cmp -s $work/ada/monitors.csv $work/res/monitors.csv && cmp -s $work/ada/genotype.json $work/res/genotype.json && cmp -s $work/ada/changes.log $work/res/changes.log && [ "$(wd $work/res)" = "$(wd $work/ada)" ]'

# Validation names the key.
check "remedy.adaptive_wd without monitor.es: refused (exit 2), naming the key" \
    'db --preset test --out $work/bad1 --steps 2 $common --set remedy.adaptive_wd=3 >/dev/null; [ $? = 2 ] && tail -n 1 $work/err | grep -q "remedy.adaptive_wd=3: .*monitor.es"'
check "remedy.adaptive_wd=1: refused (expected a factor > 1)" \
    'db --preset test --out $work/bad2 --steps 2 $common $es --set remedy.adaptive_wd=1 >/dev/null; [ $? = 2 ] && tail -n 1 $work/err | grep -q "remedy.adaptive_wd=1: expected 0 (off) or a factor > 1"'
check "remedy.adaptive_wd_max=0: refused" \
    'db --preset test --out $work/bad3 --steps 2 $common $ada --set remedy.adaptive_wd_max=0 >/dev/null; [ $? = 2 ] && tail -n 1 $work/err | grep -q "remedy.adaptive_wd_max"'
[ -s "$work/err" ] && sed 's/^/# /' "$work/err"

test_end
