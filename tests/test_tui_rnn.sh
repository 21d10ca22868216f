#!/bin/sh
# test_tui_rnn: a recurrent search (rnn-test) in tmux at 80x24 (C locale,
# ASCII): the status lines (perplexities, tokens/s), the 36 x 5 heatmap in two
# halves with rows n3<-n1 and the "... more" marker of a short screen, the
# perplexity curves, the recurrent cell in the cells panel, pause and step,
# the editor on a recurrent key (rnn.dropout, logged in changes.log), DONE
# with the recurrent genotype.py, q leaving at once.
set -u

if [ -z "${TMUX_BIN:-}" ]; then
    echo "tmux not found by configure: skipped"
    exit 77
fi
: "${DARTBOARD:?DARTBOARD must name the built binary}"

. "${top_srcdir:-.}/tests/tui_lib.sh"
tui_begin tui-rnn
text="${top_srcdir:-.}/tests/fixtures/text"
case $text in /*) ;; *) text=$(pwd)/$text ;; esac

T new-session -d -s tui -x 80 -y 24 -c "$work" \
    "env DISPLAY= TERM=xterm LC_ALL=C $DARTBOARD search --preset rnn-test --data $text --out $work/run --set run.epochs=3 --paused;
     echo \"exit status \$?\" > $work/run.status; echo \"dartboard exited: \$(cat $work/run.status)\"; sleep 600"
wait_for 60 'PAUSED' || fail "the search never showed PAUSED"
wait_for 10 'rnn-test  step 0/[0-9]+  epoch 1/3  lr 20 ' || fail "status line: step, epoch, lr"
wait_for 10 'train ppl --  valid ppl --' || fail "second status line before the first report"
wait_for 10 'recurrent +no +th +re +sg +id +\(cont.\) +no +th +re +sg +id' || fail "the two heatmap halves, five ops"
wait_for 10 'n3<-n1' && wait_for 5 'n6<-n3' || fail "rows n3<-n1 (first half) and n6<-n3 (second)"
wait_for 10 '(\.\.\.|~)[0-9]+ more' || fail "no '... N more' marker at 80x24"
wait_for 10 'perplexity' || fail "no perplexity curve"
[ $failed = 0 ] && pass "80x24: the recurrent screen, paused"

T send-keys -t tui n
wait_for 30 'step 1/' || fail "n did not run one step"
T send-keys -t tui Space
wait_for 60 'train ppl [0-9.]+  valid ppl [0-9.]+ .*tokens/s' || fail "no perplexities or tokens/s after a report"
wait_for 10 'loss  \*\* train [0-9.]+  oo valid [0-9]' || fail "loss legend: train and valid"
[ $failed = 0 ] && pass "running: perplexities, tokens/s, curves"

T send-keys -t tui Space
wait_for 30 'PAUSED' || fail "space did not pause"
T send-keys -t tui e
wait_for 10 'edit hyperparameters' || fail "e did not open the editor"
lacks 'model\.' || fail "the editor shows model keys for a recurrent search"
i=0
while [ $i -lt 30 ] && ! shows 'locked dropout on the cell.s output'; do
    T send-keys -t tui Down
    i=$((i + 1))
    sleep 0.05
done
T send-keys -t tui Enter C-u 0.5 Enter
wait_for 10 'rnn.dropout 0.75 -> 0.5' || fail "rnn.dropout not accepted"
T send-keys -t tui Escape
wait_gone 10 'edit hyperparameters' || fail "Esc did not close the editor"
logged() { grep -q 'rnn.dropout 0.75 -> 0.5' "$work/run/changes.log" 2>/dev/null; }
wait_until 30 logged && pass "editor: rnn.dropout 0.5, in changes.log" || fail "changes.log lacks rnn.dropout"

T send-keys -t tui 3
wait_for 10 'recurrent cell' && wait_for 5 'n0 [-!][a-z]+ *-> n1' && wait_for 5 'mean n1..n8 -> h_t' ||
    fail "the cells panel: the recurrent cell, one line per node"
T send-keys -t tui 1 Space
wait_for 240 'DONE' || fail "the search never finished"
grep -Eq "^Genotype\(recurrent=\[.*\], concat=range\(1, 9\)\)$" "$work/run/genotype.py" 2>/dev/null &&
    pass "DONE, genotype.py the official recurrent line" || fail "genotype.py: $(cat "$work/run/genotype.py" 2>/dev/null)"
T send-keys -t tui q
wait_for 30 'dartboard exited' || fail "q after DONE did not leave"
grep -q 'exit status 0' "$work/run.status" 2>/dev/null && pass "exit status 0" ||
    fail "exit status: $(cat "$work/run.status" 2>/dev/null)"
T kill-session -t tui

[ $failed = 0 ] && rm -rf "$work" && rmdir "$(dirname "$work")" 2>/dev/null
exit $failed
