#!/bin/sh
# test_tui_train: `dartboard train` in tmux at 80x24 (C locale, ASCII): the
# training screen (TRAINING, epoch, drop-path, weight count, both cells, the
# curves per epoch with the test split), pause and resume, the editor on a
# training key (train.drop_path, logged in changes.log), DONE with
# results.json, q leaving at once. Then a finished search: t starts the
# training of the cell it found in the same terminal.
set -u

if [ -z "${TMUX_BIN:-}" ]; then
    echo "tmux not found by configure: skipped"
    exit 77
fi
: "${DARTBOARD:?DARTBOARD must name the built binary}"

. "${top_srcdir:-.}/tests/tui_lib.sh"
tui_begin tui-train

# run NAME COMMAND...: in a fresh 80x24 tmux session; the exit status is
# written to NAME.status and shown on the restored screen.
run() {
    name=$1
    shift
    T new-session -d -s tui -x 80 -y 24 -c "$work" \
        "env DISPLAY= TERM=xterm LC_ALL=C $*;
         echo \"exit status \$?\" > $work/$name.status; echo \"dartboard exited: \$(cat $work/$name.status)\"; sleep 600"
}

run train "$DARTBOARD" train --genotype DARTS_V2 --preset train-test --out "$work/train" --set run.epochs=8 --paused
wait_for 60 'PAUSED' || fail "the training never showed PAUSED"
wait_for 10 'epoch 1/8 .*lr 0.05 .*drop-path 0.000 .*[0-9,]+ params' || fail "status line: epoch, lr, drop-path, weights"
wait_for 10 'train --  test --' || fail "second status line before the first epoch"
wait_for 10 'normal cell +reduce cell' && wait_for 5 'sep_conv_3x3' && wait_for 5 'max_pool_3x3' ||
    fail "the two cells of DARTS_V2"
wait_for 10 'waiting for the first epoch' || fail "curves before the first epoch"
lacks 'n3<-n2' || fail "a heatmap on a training screen"
[ $failed = 0 ] && pass "80x24: the training screen, paused"

T send-keys -t tui Space
wait_for 30 'TRAINING' || fail "space did not start it"
wait_for 60 'test [0-9.]+ [0-9.]+%' || fail "no test figures after the first epoch"
wait_for 10 'loss  \*\* train [0-9.]+  oo test [0-9]' || fail "loss curve legend: train and test"
wait_for 10 'epoch [0-9]+$' || fail "the curves' x axis counts epochs"
[ $failed = 0 ] && pass "training: test split after each epoch, curves per epoch"

T send-keys -t tui e
wait_for 10 'edit hyperparameters' || fail "e did not open the editor"
wait_for 10 'train.drop_path' || fail "train.drop_path is not editable"
# Walk down to train.drop_path: the editor lists the live keys in table order.
i=0
while [ $i -lt 20 ] && ! shows 'drop-path probability at the last epoch'; do
    T send-keys -t tui Down
    i=$((i + 1))
    sleep 0.05
done
T send-keys -t tui Enter C-u 0.5 Enter
wait_for 10 'train.drop_path 0.2 -> 0.5' || fail "drop_path not accepted"
T send-keys -t tui Escape
wait_gone 10 'edit hyperparameters' || fail "Esc did not close the editor"
logged() { grep -q 'train.drop_path 0.2 -> 0.5' "$work/train/changes.log" 2>/dev/null; }
wait_until 30 logged && pass "editor: drop_path 0.5, in changes.log" ||
    fail "changes.log lacks the drop_path change"

wait_for 240 'DONE' || fail "the training never finished"
T send-keys -t tui 4
wait_for 10 'test accuracy [0-9.]+% \(error [0-9.]+%\)' || fail "the event log lacks the final test accuracy"
T send-keys -t tui 1
[ -s "$work/train/results.json" ] && pass "DONE, results.json written" || fail "no results.json"
T send-keys -t tui q
wait_for 30 'dartboard exited' || fail "q after DONE did not leave"
grep -q 'exit status 0' "$work/train.status" 2>/dev/null && pass "exit status 0" ||
    fail "exit status: $(cat "$work/train.status" 2>/dev/null)"
T kill-session -t tui

# A search to its end, then t: the training of its cell starts here (the
# default train preset reads Fashion-MNIST, so only when it is installed).
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    run search "$DARTBOARD" search --preset test --steps 4 --out "$work/search"
    wait_for 120 'DONE' || fail "the search never finished"
    wait_for 10 't trains the cell found' || fail "DONE does not mention t"
    T send-keys -t tui t
    wait_for 120 'TRAINING|STARTING' || fail "t did not start the training"
    wait_for 120 'train-fashion-mnist' || fail "the training does not use the train preset"
    T send-keys -t tui q
    wait_for 10 'Quit\? \(y/n\)' || fail "q did not ask during the training"
    T send-keys -t tui y
    wait_for 120 'dartboard exited' || fail "the training did not quit"
    grep -q 'exit status 0' "$work/search.status" 2>/dev/null || fail "exit: $(cat "$work/search.status" 2>/dev/null)"
    trained=$(ls -d "$work"/runs/train-fashion-mnist-* 2>/dev/null | head -n 1)
    [ -n "$trained" ] && cmp -s "$work/search/genotype.py" "$trained/genotype.py" &&
        pass "t trained the searched cell ($trained)" || fail "no training run of the searched cell"
    T kill-session -t tui
fi

[ $failed = 0 ] && rm -rf "$work" && rmdir "$(dirname "$work")" 2>/dev/null
exit $failed
