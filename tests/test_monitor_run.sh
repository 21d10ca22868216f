#!/bin/sh
# test_monitor_run: the collapse monitors in a run. A run with monitors on
# writes the same metrics.csv (without its wall-clock column), alphas.csv and
# genotype as one with them off (the monitor leaves the search untouched);
# monitors.csv has its header and one row per monitor.every steps, and the
# headless output a monitor line for each; a message at each crossing of
# monitor.lambda_warn or of 3 skips; a stopped and resumed run writes the
# same monitors.csv as an uninterrupted one; an old run directory without
# monitors.csv resumes and gets one. DARTS-ES (monitor.es) stops where
# monitors.csv says it must and leaves the genotype of the earlier point as
# the run's genotype files.
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_monitor_run.dir

N=12
common="--headless --threads 1 --set run.report_every=3 --set run.checkpoint_every=4 --set monitor.iters=4"
db() { "$DARTBOARD" "$@" </dev/null 2>>"$work/err"; }
mask() { cut -d, -f1-7 "$1/metrics.csv"; }

check "run without monitors" "db --preset test --out $work/off --steps $N $common --set monitor.every=0 >$work/off.out"
check "run with monitors every 3 steps" "db --preset test --out $work/on --steps $N $common --set monitor.every=3 >$work/on.out"
check "metrics.csv is the same with and without monitors" '[ "$(mask $work/off)" = "$(mask $work/on)" ]'
check "alphas.csv and the genotype are the same with and without monitors" \
    'cmp -s $work/off/alphas.csv $work/on/alphas.csv && cmp -s $work/off/genotype.json $work/on/genotype.json'
header=step,lambda_max,lambda_iters,lambda_change,lambda_residual,skips_normal,param_free_normal,entropy_normal,entropy_reduce,none_weight
check "monitors.csv: header, rows at steps 3, 6, 9, 12" \
    '[ "$(head -n 1 $work/on/monitors.csv)" = "$header" ] && [ "$(tail -n +2 $work/on/monitors.csv | cut -d, -f1 | tr "\n" " ")" = "3 6 9 12 " ]'
check "monitors.csv of a run without monitors: the header only" '[ "$(cat $work/off/monitors.csv)" = "$header" ]'
check "every row: 10 fields, 1 to 4 products, a positive lambda_max" \
    'tail -n +2 $work/on/monitors.csv | awk -F, "NF != 10 || \$3 < 1 || \$3 > 4 || !(\$2 > 0) { bad = 1 } END { exit bad }"'
check "headless: a monitor line per row, in step order after the step's metric row" \
    '[ "$(grep -c " monitor  lambda_max " $work/on.out)" = 4 ] && grep -A1 "^step 6/12 " $work/on.out | grep -q "^step 6 monitor  lambda_max "'

# Warnings: one message per upward crossing of monitor.lambda_warn or of 3 skips.
check "a run with monitor.lambda_warn=0.01, monitors at every step" \
    "db --preset test --out $work/warn --steps $N $common --set monitor.every=1 --set monitor.lambda_warn=0.01 >$work/warn.out"
want=$(tail -n +2 "$work/warn/monitors.csv" | awk -F, '{ l = $2 > 0.01; k = $6 >= 3; if ((l && !pl) || (k && !pk)) n++; pl = l; pk = k } END { print n + 0 }')
got=$(grep -c "(collapse ahead?)" "$work/warn.out")
check "a warning at each of the $want crossings in monitors.csv (got $got)" '[ "$want" -ge 1 ] && [ "$got" = "$want" ]'

# Stopped at 5 (between monitors) and at 9 (on one), resumed each time.
check "stop at 5 and 9, resume to $N" \
    "db --preset test --out $work/twice --steps 5 $common --set monitor.every=3 >/dev/null && db --resume $work/twice --steps 9 $common >/dev/null && db --resume $work/twice --steps $N $common >/dev/null"
check "resumed: monitors.csv identical to the uninterrupted run" 'cmp -s $work/on/monitors.csv $work/twice/monitors.csv'

# A run directory from before monitors.csv: resumed, it gets one.
check "an old run (no monitors.csv) stopped at 6" "db --preset test --out $work/old --steps 6 $common --set monitor.every=3 >/dev/null && rm $work/old/monitors.csv"
check "resumes to $N and writes the monitors from there" \
    'db --resume $work/old --steps $N $common >/dev/null && [ "$(tail -n +2 $work/old/monitors.csv | cut -d, -f1 | tr "\n" " ")" = "9 12 " ] && [ "$(tail -n 2 $work/old/monitors.csv)" = "$(tail -n 2 $work/on/monitors.csv)" ]'

# DARTS-ES with a window of 1 and any growth: it stops at the first row whose
# lambda_max exceeds the one 4 rows earlier; that row's genotype is kept.
es="--set monitor.every=2 --set monitor.es=true --set monitor.es_window=1 --set monitor.es_ratio=1 --set monitor.es_start=0"
db --preset test --out "$work/es" --steps 40 $common $es >"$work/es.out"
stop=$(tail -n +2 "$work/es/monitors.csv" | awk -F, '{ s[NR] = $1; l[NR] = $2 } NR > 4 && l[NR] > l[NR - 4] { print s[NR - 4], s[NR]; exit }')
keep=${stop%% *}
check "DARTS-ES stops at the first growth over 4 rows in monitors.csv ($stop)" \
    '[ -n "$stop" ] && grep -q "^DARTS-ES stopped the search at step ${stop#* }; genotype (step $keep," $work/es.out && [ "$(tail -n 1 $work/es/monitors.csv | cut -d, -f1)" = "${stop#* }" ]'
check "the log says why" 'grep -q "^DARTS-ES: stopped at step ${stop#* }, the local average of lambda_max grew" $work/es.out'
check "a run to step $keep without DARTS-ES" "db --preset test --out $work/keep --steps $keep $common >/dev/null"
check "genotype.py of the stopped run is the genotype of step $keep" 'cmp -s $work/keep/genotype.py $work/es/genotype.py'
check "monitor.es off: the same run goes to the end" \
    "db --preset test --out $work/noes --steps 40 $common $es --set monitor.es=false >$work/noes.out && ! grep -q DARTS-ES $work/noes.out && [ \"\$(tail -n 1 $work/noes/monitors.csv | cut -d, -f1)\" = 40 ]"
[ -s "$work/err" ] && sed 's/^/# /' "$work/err"

test_end
