#!/bin/sh
# test_train: `dartboard train`, a derived cell trained from scratch on the
# train-test preset (synthetic 28x28 images, C=4, 3 cells, the auxiliary
# head, cutout and drop-path on): the run directory's files, the genotype
# sources (a published name, a search run directory, a genotype file),
# bit-exact resume after --steps and after SIGTERM, bad genotypes refused
# before anything is written, and the line a finished search prints.
set -u
: "${DARTBOARD:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_train.dir

common="--headless --threads 1"
db() { "$DARTBOARD" "$@" >>"$work/log" 2>&1 </dev/null; }
# Exit status and stderr of one command, stdout discarded.
refused() { "$DARTBOARD" "$@" >/dev/null 2>"$work/err" </dev/null; echo $? >"$work/status"; }
status_is() { [ "$(cat "$work/status")" = "$1" ]; }
err_has() { grep -q -- "$1" "$work/err"; }

V2="Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))"

# --- a whole run ------------------------------------------------------------
check "train DARTS_V2 on train-test (3 epochs)" \
    "$DARTBOARD train --genotype DARTS_V2 --preset train-test --out $work/ref $common >$work/ref.out 2>&1"
check "the header line gives both weight counts" "grep -Eq '^[0-9]+ weights \\([0-9]+ with the auxiliary head\\)' $work/ref.out"
check "one progress line per epoch, with the test split" "[ \"\$(grep -c '^epoch [0-9]/3 .* test ' $work/ref.out)\" = 3 ]"
check "the last line names the run directory" "tail -n 1 $work/ref.out | grep -q 'run directory: $work/ref'"
# Between the epoch rows, every run.report_every steps (not at an epoch's
# end): the epoch so far. The sequence of step numbers and epoch rows
# (E1, ...) must be exactly the schedule's, so none is lost to the polling.
progress_seq() {
    awk '/^step [0-9]+\/[0-9]+  epoch [0-9]+\/[0-9]+  lr [0-9.]+  train [0-9.]+ +[0-9.]+% so far  [0-9.]+ ms\/step  [0-9]+ img\/s  ETA [0-9:]+$/ { split($2, a, "/"); printf "%s ", a[1]; next }
         /^step / { printf "? " }
         /^epoch [0-9]+\/[0-9]+  lr / { split($2, a, "/"); printf "E%s ", a[1] }' "$1"
}
check "progress lines every 4 steps (the preset's report_every) between the epoch rows" \
    "[ \"\$(progress_seq $work/ref.out)\" = '4 8 12 E1 20 24 28 E2 36 40 44 E3 ' ]"
check "--set run.report_every=3: progress at steps 3, 6, ... (16 steps an epoch)" \
    "$DARTBOARD train --genotype DARTS_V2 --preset train-test --out $work/every3 $common --steps 20 --set run.report_every=3 >$work/every3.out 2>&1 && [ \"\$(progress_seq $work/every3.out)\" = '3 6 9 12 15 E1 18 ' ]"
check "metrics.csv: the training columns" \
    "[ \"\$(head -n 1 $work/ref/metrics.csv)\" = 'epoch,lr,drop_path,train_loss,train_acc,test_loss,test_acc,seconds' ]"
check "metrics.csv: a row per epoch, epochs 1..3" "[ \"\$(tail -n +2 $work/ref/metrics.csv | cut -d, -f1 | tr '\\n' ' ')\" = '1 2 3 ' ]"
check "drop-path grows linearly from 0 (0.2 * epoch / 3)" \
    "[ \"\$(tail -n +2 $work/ref/metrics.csv | cut -d, -f3 | tr '\\n' ' ')\" = '0 0.0666667 0.133333 ' ]"
check "lr follows the cosine to 0 (0.05, 0.0375, 0.0125)" \
    "[ \"\$(tail -n +2 $work/ref/metrics.csv | cut -d, -f2 | tr '\\n' ' ')\" = '0.05 0.0375 0.0125 ' ]"
check "the losses are finite numbers" "[ -z \"\$(tail -n +2 $work/ref/metrics.csv | cut -d, -f4,6 | tr ',' '\\n' | grep -Ev '^[0-9]+\\.[0-9]+$')\" ]"
check "no alphas.csv in a training run" "[ ! -e $work/ref/alphas.csv ]"
check "genotype.py holds the cell trained" "[ \"\$(cat $work/ref/genotype.py)\" = \"$V2\" ]"
check "results.json: test accuracy, per-class accuracy, both counts, the genotype" \
    "grep -q '\"test_accuracy\": [0-9]' $work/ref/results.json && grep -q '\"class_accuracy\": \\[[0-9.]*, [0-9.]*, [0-9.]*, [0-9.]*\\]' $work/ref/results.json && grep -q '\"params\": [1-9]' $work/ref/results.json && grep -q '\"params_with_auxiliary\": [1-9]' $work/ref/results.json && grep -qF \"\\\"genotype\\\": \\\"$V2\\\"\" $work/ref/results.json"
check "results.json is JSON" "python3 -m json.tool $work/ref/results.json >/dev/null"
check "results.json: its accuracy is the last row's" \
    "[ \"\$(python3 -c 'import json,sys; print(\"%.4f\" % json.load(open(sys.argv[1]))[\"test_accuracy\"])' $work/ref/results.json)\" = \"\$(tail -n 1 $work/ref/metrics.csv | cut -d, -f7)\" ]"
check "the test split is the synthetic test set (64 images)" "grep -q '\"test_samples\": 64' $work/ref/results.json"
check "no lock, no temporary left" "[ ! -e $work/ref/lock ] && [ -z \"\$(find $work/ref -name '.*tmp*')\" ]"

# --- the same run interrupted -----------------------------------------------
same_results() { # results.json but its wall time
    grep -v '"seconds"' "$1/results.json" >"$2.rw" && grep -v '"seconds"' "$2/results.json" >"$2.rg" && cmp -s "$2.rw" "$2.rg"
}
check "run to step 21 (inside epoch 2), then resume" \
    "db train --genotype DARTS_V2 --preset train-test --out $work/steps --steps 21 $common && db train --resume $work/steps $common"
check "--steps then --resume: the files of the uninterrupted run" "same_run $work/ref $work/steps && same_results $work/ref $work/steps"
check "two stops (5, then 16 = an epoch end), then the rest" \
    "db train --genotype DARTS_V2 --preset train-test --out $work/twice --steps 5 $common && db train --resume $work/twice --steps 16 $common && db train --resume $work/twice $common"
check "two stops: the same files" "same_run $work/ref $work/twice && same_results $work/ref $work/twice"

# SIGTERM while it runs: a checkpoint, exit 0, and the resume finishes the same run.
"$DARTBOARD" train --genotype DARTS_V2 --preset train-test --out "$work/term" $common --set run.checkpoint_every=1000 >"$work/term.out" 2>&1 </dev/null &
pid=$!
i=0
while [ $i -lt 200 ] && ! grep -q '^epoch 1/3' "$work/term.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid 2>/dev/null
wait $pid
check "SIGTERM: exit 0 with a checkpoint" "[ $? = 0 ] && [ -s $work/term/checkpoint.bin ]"
check "resume after SIGTERM" "db train --resume $work/term $common --set run.checkpoint_every=5"
check "SIGTERM then resume: the same rows and results" "same_run $work/ref $work/term && same_results $work/ref $work/term"
check "the resume's changed key is in changes.log" "grep -q 'run.checkpoint_every 1000 -> 5' $work/term/changes.log"

# --- where the cell comes from ----------------------------------------------
printf '%s\n' "DARTS_V2 = $V2" >"$work/v2.py"
check "a genotype file (official line) trains the same cell" \
    "db train --genotype $work/v2.py --preset train-test --out $work/file $common --steps 16 && [ \"\$(cat $work/file/genotype.py)\" = \"\$(cat $work/ref/genotype.py)\" ]"
check "a search run directory: its genotype.py" \
    "db train --genotype $work/ref --preset train-test --out $work/fromdir $common --steps 1 && cmp -s $work/ref/genotype.py $work/fromdir/genotype.py"
check "DARTS_V1 is published too" "db train --genotype DARTS_V1 --preset train-test --out $work/v1 $common --steps 1 && grep -q \"('skip_connect', 0), ('sep_conv_3x3', 1)\" $work/v1/genotype.py"

# A finished search says how to train its cell, and that line works.
check "search (test preset) to its end" "$DARTBOARD search --preset test --out $work/search $common --steps 10 >$work/search.out 2>&1"
check "it prints the train command for its run directory" "grep -qx 'train this cell from scratch: dartboard train --genotype $work/search' $work/search.out"
check "which trains the searched cell" \
    "db train --genotype $work/search --preset train-test --out $work/searched $common --steps 2 && cmp -s $work/search/genotype.py $work/searched/genotype.py"

# --- refused before anything is written -------------------------------------
printf "Genotype(normal=[('conv_7x7', 0)], normal_concat=[2], reduce=[], reduce_concat=[])\n" >"$work/badop.py"
refused train --genotype "$work/badop.py" --preset train-test --out "$work/no1" $common
check "an op outside the space: exit 2, the file and the op named" "status_is 2 && err_has 'badop.py' && err_has 'conv_7x7'"
check "... and no run directory" "[ ! -e $work/no1 ]"
printf "Genotype(normal=[('sep_conv_3x3', 0), ('none', 1)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2])\n" >"$work/zero.py"
refused train --genotype "$work/zero.py" --preset train-test --out "$work/no7" $common
check "a zero edge (op none): exit 2, the file and position named, no run directory" "status_is 2 && err_has 'zero.py:1:40: an edge of op .none.' && [ ! -e $work/no7 ]"
printf "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], normal_concat=[2], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2])\n" >"$work/onenode.py"
refused train --genotype "$work/onenode.py" --preset train-test --out "$work/no2" $common
check "a cell of 1 node for model.nodes 4: refused naming both" "status_is 2 && err_has 'onenode.py' && err_has '1 intermediate nodes' && err_has 'model.nodes = 4' && [ ! -e $work/no2 ]"
printf "Genotype(normal=[('sep_conv_3x3', 0\n" >"$work/broken.py"
refused train --genotype "$work/broken.py" --preset train-test --out "$work/no3" $common
check "a genotype that does not parse: the file and line named" "status_is 2 && err_has 'broken.py:[0-9]' && [ ! -e $work/no3 ]"
refused train --genotype "$work/nothing-here" --preset train-test --out "$work/no4" $common
check "a missing genotype: named, with what is expected" "status_is 2 && err_has 'nothing-here' && err_has 'DARTS_V1 or DARTS_V2' && [ ! -e $work/no4 ]"
mkdir -p "$work/empty"
refused train --genotype "$work/empty" --preset train-test --out "$work/no5" $common
check "a directory without genotype.py: named" "status_is 2 && err_has 'empty/genotype.py' && [ ! -e $work/no5 ]"
refused train --preset train-test --out "$work/no6" $common
check "train without --genotype: usage error" "status_is 2 && err_has 'needs --genotype'"
refused train --resume "$work/ref" --genotype DARTS_V1 $common
check "--resume with --genotype: refused (the run's cell is fixed)" "status_is 2 && err_has 'does not apply'"
refused train --genotype DARTS_V2 --preset train-test --out "$work/ref" $common
check "--out over an existing run: refused" "status_is 2 && err_has 'already holds a run'"

# --- exports of a training run ----------------------------------------------
check "export of a training run: the cell as DOT" "\"$DARTBOARD\" export $work/ref --format dot -o $work/cell.dot >/dev/null 2>&1 && grep -q sep_conv_3x3 $work/cell_normal.dot"
if [ -n "${GNUPLOT:-}" ] && command -v "$GNUPLOT" >/dev/null 2>&1; then
    check "figures of a training run: loss and accuracy per epoch, the test split" \
        "\"$DARTBOARD\" export $work/ref --format plots >/dev/null 2>&1 && grep -q 'xlabel \"epoch\"' $work/ref/plots/accuracy.gp && grep -q 'title \"test\"' $work/ref/plots/accuracy.gp && [ -s $work/ref/plots/accuracy.pdf ]"
fi

test_end
