#!/bin/sh
# test_tui: the real program in tmux, driven like a user over SSH.
#
# 80x24 (C locale, ASCII, xterm): the heatmaps and curves appear; space pauses
# (the step counter stays still for 2 s) and resumes; the editor changes lr
# (and lr_min, so the cosine schedule is flat) and the next metrics.csv rows
# use it; an invalid value is refused; Esc closes the editor, never quits;
# panels 1-4 and tab, v, ?, s, x and g (without $DISPLAY) do what they say;
# resizing keeps the screen whole (and "too small" below 80x24); q asks,
# n stays, q y writes a checkpoint and exits 0 with the terminal restored.
# 160x48 (UTF-8, xterm-256color): the panels appear; Ctrl-C is a clean quit
# with a checkpoint and exit status 0. A SIGSEGV restores the terminal before
# its message.
#
# A resize that reaches the program while it cannot run (stopped, as a
# loaded machine may leave it) is drawn once it runs again.
#
# A private tmux server (-L), no user configuration (-f /dev/null). Every wait
# polls a condition against a deadline, and the condition is the whole state
# awaited (a screen the old frame cannot satisfy: after a resize, the frame of
# the new size), never a fixed delay; the one fixed sleep is the 2 s the
# paused counter must hold still.
set -u

if [ -z "${TMUX_BIN:-}" ]; then
    echo "tmux not found by configure: skipped"
    exit 77
fi
: "${DARTBOARD:?DARTBOARD must name the built binary}"

. "${top_srcdir:-.}/tests/tui_lib.sh"
tui_begin tui

# whole ROWS: one complete overview frame of ROWS rows: the status line on the
# first row, the key bar on the last, the heatmaps' last row between. A frame
# of another size (before a resize is drawn) leaves the last row elsewhere.
whole() {
    frame=$(screen)
    [ "$(printf '%s\n' "$frame" | wc -l)" -eq "$1" ] &&
        printf '%s\n' "$frame" | head -n 1 | grep -q ' step [0-9]' &&
        printf '%s\n' "$frame" | tail -n 1 | grep -q 'q quit' &&
        printf '%s\n' "$frame" | grep -q 'n3<-n2'
}
# The step counter of the status bar.
step_now() { screen | sed -n 's/.* step \([0-9][0-9]*\)\/.*/\1/p' | head -n 1; }
step_is_not() { [ "$(step_now)" != "$1" ]; }
nonempty() { [ -s "$1" ]; }
# The process running `--out DIR` (its pid), when pgrep is installed.
pid_of_run() { pgrep -f -- "^$DARTBOARD .*--out $1 " 2>/dev/null | head -n 1; }

# start NAME COLS ROWS ENV...: the program in a fresh tmux session; when it
# exits, the shell records its status and says so on the (restored) screen.
start() {
    name=$1 cols=$2 rows=$3
    shift 3
    T new-session -d -s tui -x "$cols" -y "$rows" \
        "env DISPLAY= $* $DARTBOARD --preset test --out $work/$name --set run.epochs=1000 --set run.report_every=2 --set run.checkpoint_every=0;
         echo \"exit status \$?\" > $work/$name.status; echo \"dartboard exited: \$(cat $work/$name.status)\"; sleep 600"
}

# ---------------------------------------------------------------- 80x24, ASCII
start run80 80 24 TERM=xterm LC_ALL=C LINES=24 COLUMNS=80
wait_for 60 'RUNNING' || fail "80x24: RUNNING never shown"
wait_for 60 'normal .* no mp ap sk s3 s5 d3 d5 +reduce' && wait_for 5 'n3<-n2' ||
    fail "80x24: heatmaps missing"
wait_for 60 'loss  \*\* train [0-9]' && wait_for 5 'accuracy  \*\* train' ||
    fail "80x24: curves missing"
wait_until 10 whole 24 || fail "80x24: no whole frame (status line, heatmaps, key bar with q quit)"
# TERM=xterm: 8 colours, so colour sequences but none of the 256-colour kind.
T capture-pane -e -p -t tui | grep -q '48;5;' && fail "80x24 xterm: 256-colour sequences"
T capture-pane -e -p -t tui | grep -Eq '\[([0-9;]*;)?4[0-7](;[0-9;]*)?m' || fail "80x24 xterm: no background colours"
[ $failed = 0 ] && pass "80x24: status, heatmaps, curves and key bar"

# Pause: the counter holds still for 2 s, then moves again on resume.
T send-keys -t tui Space
wait_for 10 'PAUSED' || fail "space did not pause"
s1=$(step_now)
sleep 2
s2=$(step_now)
if [ -n "$s1" ] && [ "$s1" = "$s2" ]; then pass "paused at step $s1 for 2 s"; else fail "step moved while paused ($s1 -> $s2)"; fi
T send-keys -t tui n
wait_until 20 step_is_not "$s2"
s3=$(step_now)
[ "$s3" = $((s2 + 1)) ] && pass "n ran one step ($s2 -> $s3)" || fail "n: step $s2 -> $s3 (expected $((s2 + 1)))"
T send-keys -t tui Space
wait_for 10 'RUNNING' || fail "space did not resume"
wait_until 30 step_is_not "$s3" && pass "resumed" || fail "the counter stayed at $s3 after resume"

# Editor: lr_min then lr to 0.0123 (a flat schedule the rows must show).
T send-keys -t tui e
wait_for 10 'edit hyperparameters' || fail "e did not open the editor"
T send-keys -t tui Down Enter C-u 0.0123 Enter
wait_for 10 'optim.lr_min [^ ]+ -> 0.0123' || fail "lr_min not accepted"
T send-keys -t tui Up Enter C-u 0.0123 Enter
wait_for 10 'optim.lr [0-9.e-]+ -> 0.0123' || fail "lr not accepted"
T send-keys -t tui Enter C-u -5 Enter
wait_for 10 'refused: ' || fail "an invalid lr was not refused"
screen | grep -Eq 'optim.lr +0.0123' || fail "the refused value changed lr"
T send-keys -t tui Escape
wait_gone 10 'edit hyperparameters' || fail "Esc did not close the editor"
screen | grep -q 'RUNNING' || fail "Esc left the running screen"
[ $failed = 0 ] && pass "editor: accepted, refused, Esc closes"

# The rows written after the change use lr 0.0123; the change is logged.
csv=$work/run80/metrics.csv
has_new_lr() { [ -f "$csv" ] && awk -F, 'NR > 1 && ($3 - 0.0123) ^ 2 < 1e-12 { found = 1 } END { exit !found }' "$csv"; }
wait_until 60 has_new_lr
if awk -F, 'NR > 1 { if (($3 - 0.0123) ^ 2 < 1e-12) seen = 1; else if (seen) bad = 1 }
            END { exit !(seen && !bad) }' "$csv" 2>/dev/null; then
    pass "metrics.csv rows after the edit have lr 0.0123"
else
    fail "metrics.csv never switched to lr 0.0123: $(tail -n 3 "$csv" 2>/dev/null | tr '\n' ' ')"
fi
grep -q 'optim.lr' "$work/run80/changes.log" 2>/dev/null && pass "changes.log records the edit" ||
    fail "changes.log lacks the lr change"
grep -Eq '^ +lr: 0\.0123' "$work/run80/config.yaml" 2>/dev/null && pass "config.yaml has the new lr" ||
    fail "config.yaml lacks lr 0.0123"

# Panels, numbers, help, checkpoint, export, plot.
T send-keys -t tui 2
curves_only() { shows '^accuracy' && lacks 'n3<-n2'; }
wait_until 10 curves_only || fail "2: no full-size curves"
T send-keys -t tui 3
wait_for 10 'normal cell' && wait_for 5 'concat n0 n1 n2 n3 -> k' || fail "3: no cell diagrams"
T send-keys -t tui 4
wait_for 10 'live hyperparameters|^events' || fail "4: no log panel"
T send-keys -t tui Tab
wait_for 10 'n3<-n2' || fail "tab: not back to the overview"
T send-keys -t tui v
wait_for 10 '^[ +]n3<-n0 +!? *[0-9][0-9][ *][0-9][0-9]' || fail "v: no numbers in the heatmap"
T send-keys -t tui v
wait_gone 10 '^[ +]n3<-n0 +!? *[0-9][0-9][ *][0-9][0-9]' || fail "v again: numbers stay"
T send-keys -t tui '?'
wait_for 10 'Ctrl-L +redraw' || fail "?: no help"
T send-keys -t tui Escape
wait_gone 10 'Ctrl-L +redraw' || fail "Esc: help stays"
T send-keys -t tui s
wait_for 30 'checkpoint written' || fail "s: no checkpoint message"
T send-keys -t tui x
wait_until 30 nonempty "$work/run80/genotype.yaml" || fail "x: no genotype.yaml exported"
wait_for 10 'wrote' || fail "x: the message line does not say what was written"
if [ -n "${GNUPLOT:-}" ]; then
    T send-keys -t tui g
    wait_for 60 'gnuplot \(any key closes\)' || fail "g: no text plot"
    ls "$work/run80/plots/"*.svg >/dev/null 2>&1 || fail "g: no figures in plots/"
    T send-keys -t tui Escape
    wait_gone 10 'any key closes' || fail "g: the text plot stays"
fi
screen | grep -q 'RUNNING' || fail "the search stopped during the keys"
[ $failed = 0 ] && pass "panels, v, ?, s, x, g"

# Resize: bigger, too small, back; the screen stays whole (even with the
# LINES/COLUMNS this run was started with exported). The old frame still
# shows the heatmaps after a resize: only a frame of the new size counts.
T resize-window -t tui -x 120 -y 40
wait_until 10 whole 40 || fail "120x40: screen not whole"
T resize-window -t tui -x 60 -y 20
wait_for 10 'terminal too small' || fail "60x20: no 'terminal too small'"
T resize-window -t tui -x 80 -y 24
wait_until 10 whole 24 || fail "back to 80x24: screen not whole"
# A resize while the program cannot run (stopped, as a loaded machine may
# leave it for a while): the old frame stays until it runs again, then the
# new size is drawn.
pid=$(pid_of_run "$work/run80")
if [ -n "$pid" ]; then
    kill -STOP "$pid"
    T resize-window -t tui -x 120 -y 40
    whole 40 && fail "the check for a whole 120x40 frame accepts the old 80x24 one"
    kill -CONT "$pid"
    wait_until 10 whole 40 || fail "resized while stopped: 120x40 not drawn"
    T resize-window -t tui -x 80 -y 24
    wait_until 10 whole 24 || fail "back to 80x24 after the stopped resize"
elif command -v pgrep >/dev/null 2>&1; then
    fail "resize: no process found for run80"
fi
[ $failed = 0 ] && pass "resize"

# Quit: asks; n stays; q y checkpoints and exits 0 on a restored terminal.
# Paused, no step can write a checkpoint: remove it, so the one found after
# the quit is the quit's.
T send-keys -t tui Space
wait_for 10 'PAUSED' || fail "space did not pause before the quit"
rm -f "$work/run80/checkpoint.bin"
T send-keys -t tui q
wait_for 10 'Quit\? \(y/n\)' || fail "q did not ask"
T send-keys -t tui n
wait_gone 10 'Quit\?' || fail "n did not dismiss the question"
screen | grep -q 'PAUSED' || fail "n did not stay"
T send-keys -t tui q
wait_for 10 'Quit\? \(y/n\)' || fail "q did not ask again"
T send-keys -t tui y
wait_for 60 'dartboard exited' || fail "y did not exit"
grep -q 'exit status 0' "$work/run80.status" 2>/dev/null && pass "exit status 0" ||
    fail "exit status: $(cat "$work/run80.status" 2>/dev/null)"
[ -s "$work/run80/checkpoint.bin" ] && pass "checkpoint written" || fail "no checkpoint.bin"
[ "$(T display-message -p -t tui '#{alternate_on}')" = 0 ] && pass "terminal restored" ||
    fail "still on the alternate screen"
T kill-session -t tui

# ---------------------------------------------------------------- 160x48, UTF-8
start run160 160 48 TERM=xterm-256color LC_ALL=C.UTF-8
wait_for 60 'RUNNING' || fail "160x48: RUNNING never shown"
wait_for 60 'n0.*c_\{k-2\}' || fail "160x48: UTF-8 heatmap labels missing"
wait_for 60 'loss .*train [0-9]' && wait_for 5 'accuracy .*train' || fail "160x48: curves missing"
wait_for 10 'normal cell' || fail "160x48: cell diagrams missing"
# xterm-256color: the heatmap cells carry 256-colour backgrounds.
T capture-pane -e -p -t tui | grep -q '48;5;' || fail "160x48: no 256-colour backgrounds"
[ $failed = 0 ] && pass "160x48: heatmaps, curves, cells"
T send-keys -t tui C-c
wait_for 60 'dartboard exited' || fail "Ctrl-C did not quit"
grep -q 'exit status 0' "$work/run160.status" 2>/dev/null && pass "Ctrl-C: exit status 0" ||
    fail "Ctrl-C exit status: $(cat "$work/run160.status" 2>/dev/null)"
[ -s "$work/run160/checkpoint.bin" ] && pass "Ctrl-C: checkpoint written" || fail "Ctrl-C: no checkpoint.bin"
[ "$(T display-message -p -t tui '#{alternate_on}')" = 0 ] || fail "Ctrl-C: still on the alternate screen"

T kill-session -t tui

# ---------------------------------------------------------------- a crash
# SIGSEGV (the worker blocks signals, so the UI thread takes it): the
# terminal is restored before anything is printed, then the default action.
start crash 80 24 TERM=xterm LC_ALL=C
wait_for 60 'RUNNING' || fail "crash run: RUNNING never shown"
pid=""
if command -v pgrep >/dev/null 2>&1; then
    pid=$(pid_of_run "$work/crash")
else
    echo "pgrep not installed (procps): the crash check is left out"
fi
if [ -n "$pid" ]; then
    kill -SEGV "$pid"
    wait_for 30 'dartboard exited' || fail "SIGSEGV: the program did not end"
    screen | grep -q 'fatal signal; terminal restored' && pass "SIGSEGV: message after the terminal came back" ||
        fail "SIGSEGV: no message on the restored screen"
    [ "$(T display-message -p -t tui '#{alternate_on}')" = 0 ] || fail "SIGSEGV: still on the alternate screen"
    grep -q 'exit status 139' "$work/crash.status" || fail "SIGSEGV: exit $(cat "$work/crash.status")"
elif command -v pgrep >/dev/null 2>&1; then
    fail "crash run: no process found"
fi

[ $failed = 0 ] && rm -rf "$work" && rmdir "$(dirname "$work")" 2>/dev/null
exit $failed
