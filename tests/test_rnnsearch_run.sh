#!/bin/sh
# test_rnnsearch_run: a recurrent search (data.set text) headless on the rnn-test
# preset and the tiny corpus of tests/fixtures/text: the run directory's files
# (metrics.csv of the recurrent columns, alphas.csv blocks of cell
# `recurrent`, genotype.py in the official form, genotype.json), bit-exact
# resume after --steps (inside an epoch, on and off a report step) and after
# SIGTERM, the orders 0 and 2, and refusals: a text directory missing its
# files, a corpus too short for one window.
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_rnnsearch_run.dir

text="${top_srcdir:-.}/tests/fixtures/text"
common="--headless --threads 1 --data $text"
db() { "$DARTBOARD" "$@" >>"$work/log" 2>&1 </dev/null; }
refused() { "$DARTBOARD" "$@" >/dev/null 2>"$work/err" </dev/null; echo $? >"$work/status"; }
status_is() { [ "$(cat "$work/status")" = "$1" ]; }
err_has() { grep -q -- "$1" "$work/err"; }

check "rnn-test runs headless (2 epochs)" \
    "$DARTBOARD search --preset rnn-test --out $work/ref $common >$work/ref.out 2>&1"
check "metrics.csv: the recurrent columns" \
    "[ \"\$(head -n 1 $work/ref/metrics.csv)\" = 'step,epoch,lr,train_loss,train_ppl,val_loss,val_ppl,seconds' ]"
check "metrics.csv: rows every 10 steps and at the epoch ends, epochs 0 and 1" \
    "[ \"\$(tail -n +2 $work/ref/metrics.csv | cut -d, -f1 | head -n 3 | tr '\\n' ' ')\" = '10 20 30 ' ] && tail -n +2 $work/ref/metrics.csv | cut -d, -f2 | sort -u | tr '\\n' ' ' | grep -qx '0 1 '"
check "perplexity = exp(loss) in every row" \
    "tail -n +2 $work/ref/metrics.csv | awk -F, '{ if (\$5 < 0.999 * exp(\$4) || \$5 > 1.001 * exp(\$4) || \$7 < 0.999 * exp(\$6) || \$7 > 1.001 * exp(\$6)) bad = 1 } END { exit bad }'"
rows=$(($(wc -l <"$work/ref/metrics.csv") - 1))
check "alphas.csv: one block of 36 edges x 5 ops of cell recurrent per row" \
    "[ \"\$(tail -n +2 $work/ref/alphas.csv | wc -l)\" = $((rows * 180)) ] && [ -z \"\$(tail -n +2 $work/ref/alphas.csv | cut -d, -f2 | grep -v '^recurrent\$')\" ]"
check "alphas.csv: each edge's weights sum to 1" \
    "tail -n +2 $work/ref/alphas.csv | awk -F, '{ s[\$1 \",\" \$3] += \$5 } END { for (k in s) if (s[k] < 0.9999 || s[k] > 1.0001) bad = 1; exit bad }'"
check "genotype.py: the official line" \
    "grep -Eqx \"Genotype\\(recurrent=\\[(\\('(tanh|relu|sigmoid|identity)', [0-7]\\)(, )?){8}\\], concat=range\\(1, 9\\)\\)\" $work/ref/genotype.py"
check "genotype.json is JSON with the cell and the alphas" \
    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d[\"recurrent\"])==8 and d[\"concat\"]==list(range(1,9)) and len(d[\"alphas\"])==36' $work/ref/genotype.json"
check "the headless lines: step, epoch, lr, train and valid perplexity, tokens/s" \
    "grep -Eq '^step 10/[0-9]+  epoch 1/2  lr 20  train [0-9.]+ ppl [0-9.]+  valid [0-9.]+ ppl [0-9.]+  .* tokens/s\$' $work/ref.out"
check "the end: the genotype and the command that trains it" \
    "grep -q '^genotype (step [0-9]*): Genotype(recurrent=' $work/ref.out && grep -q '^train this cell from scratch: dartboard train --genotype $work/ref\$' $work/ref.out"

# --- resume ------------------------------------------------------------------
check "--steps 33 (off a report step, inside epoch 1), then resume" \
    "db search --preset rnn-test --out $work/steps --steps 33 $common && db search --resume $work/steps $common"
check "--steps then --resume: the files of the uninterrupted run" "same_run $work/ref $work/steps"
check "--steps 40 (a report step), --steps 75 (epoch 2), then resume" \
    "db search --preset rnn-test --out $work/twice --steps 40 $common && db search --resume $work/twice --steps 75 $common && db search --resume $work/twice $common"
check "twice resumed: the files of the uninterrupted run" "same_run $work/ref $work/twice"
"$DARTBOARD" search --preset rnn-test --out "$work/term" $common --set run.checkpoint_every=1000 \
    --set rnn.size=48 >"$work/term.out" 2>&1 </dev/null &
pid=$!
i=0
while [ $i -lt 200 ] && ! grep -q '^step 20/' "$work/term.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid 2>/dev/null
wait $pid
check "SIGTERM: exit 0 with a checkpoint" "[ $? = 0 ] && [ -s $work/term/checkpoint.bin ]"
check "resume after SIGTERM" "db search --resume $work/term $common --set run.checkpoint_every=7"
check "SIGTERM then resume: the run of the same configuration uninterrupted" \
    "db search --preset rnn-test --out $work/term_ref $common --set run.checkpoint_every=1000 --set rnn.size=48 && same_run $work/term_ref $work/term"
refused search --resume "$work/ref" $common --set rnn.size=20
check "a resume that changes rnn.size is refused, by name" "status_is 2 && err_has 'rnn.size=20: the run in'"

# --- orders ------------------------------------------------------------------
check "order 0 (weights only) and order 2 (unrolled) run" \
    "db search --preset rnn-test --out $work/o0 --steps 12 $common --set arch.order=0 && db search --preset rnn-test --out $work/o2 --steps 12 $common --set arch.order=2"
block() { grep "^$2," "$1/alphas.csv" | cut -d, -f3-; }
check "order 0 leaves the alphas as they were; order 2 moves them" \
    "[ \"\$(block $work/o0 10)\" = \"\$(block $work/o0 12)\" ] && [ \"\$(block $work/o2 10)\" != \"\$(block $work/o2 12)\" ]"

# --- refusals ----------------------------------------------------------------
mkdir -p "$work/partial" "$work/short"
cp "$text/ptb.train.txt" "$text/ptb.valid.txt" "$work/partial/"
refused search --preset rnn-test --headless --out "$work/r1" --data "$work/partial"
check "a text directory without ptb.test.txt: exit 1 naming it" "status_is 1 && err_has 'ptb.test.txt'"
printf ' a b c \n' >"$work/short/ptb.train.txt"
cp "$work/short/ptb.train.txt" "$work/short/ptb.valid.txt"
cp "$work/short/ptb.train.txt" "$work/short/ptb.test.txt"
refused search --preset rnn-test --headless --out "$work/r2" --data "$work/short"
check "a corpus too short for one window: exit 1 naming the split's file" "status_is 1 && err_has 'ptb.train.txt'"

test_end
