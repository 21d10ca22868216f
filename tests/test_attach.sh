#!/bin/sh
# test_attach: dartboard attach in tmux, standing in for SSH sessions.
#  - a search started with --detach; attach at 80x24 shows it; space
#    pauses; d detaches (exit 0, the search goes on); attach again shows
#    PAUSED at the same step; space resumes; the editor sets lr and the next
#    metrics.csv rows use it; q y stops the search with a checkpoint (exit 0,
#    the daemon gone);
#  - two viewers: a pause from one shows in the other; kill -9 of one
#    viewer costs the search nothing (it steps on, the other sees it); a
#    --read-only viewer's keys change nothing, its q leaves without asking;
#  - attach with no RUN_DIR finds the one running search, here a --headless
#    one;
#  - a search started on the terminal and paused: d leaves it in the
#    background (the shell gets its prompt back with exit 0), and attach
#    finds it there, still paused.
# Every wait polls a condition against a deadline (as tests/test_tui.sh); the
# one fixed sleep is the 2 s a paused counter must hold still.
set -u

if [ -z "${TMUX_BIN:-}" ]; then
    echo "tmux not found by configure: skipped"
    exit 77
fi
: "${DARTBOARD:?DARTBOARD must name the built binary}"

work=$(pwd)/tests/out/attach-$$
rm -rf "$work"
mkdir -p "$work/runs"
sock=dartboard-attach-$$
T() { "$TMUX_BIN" -L "$sock" -f /dev/null "$@"; }
pids=""
cleanup() {
    T kill-server >/dev/null 2>&1
    for p in $pids; do kill "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

failed=0
fail() {
    echo "FAIL: $*"
    echo "---- screen of $pane ----"
    T capture-pane -p -t "$pane" 2>/dev/null
    echo "----------------"
    failed=1
}
pass() { echo "ok: $*"; }
pane=v1
screen() { T capture-pane -p -t "$pane"; }
wait_until() {
    deadline=$(($(date +%s) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
shows() { screen | grep -Eq -- "$1"; }
wait_for() { wait_until "$1" shows "$2"; }
step_now() { screen | sed -n 's/.* step \([0-9][0-9]*\)\/.*/\1/p' | head -n 1; }
step_is_not() { [ "$(step_now)" != "$1" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
daemon_pid() { sed -n 's/.*background (pid \([0-9]*\)).*/\1/p' "$1"; }
# viewer NAME ARGS...: dartboard attach ARGS in tmux session NAME, 80x24;
# when it exits, its status is on the screen and in $work/NAME.status.
viewer() {
    name=$1
    shift
    T new-session -d -s "$name" -x 80 -y 24 \
        "cd $work && env DISPLAY= TERM=xterm LC_ALL=C $DARTBOARD attach $*;
         echo \"exit status \$?\" > $work/$name.status; echo \"viewer exited: \$(cat $work/$name.status)\"; sleep 600"
}
common="--preset test --threads 1 --set run.epochs=1000 --set run.report_every=2 --set run.checkpoint_every=0"
# A session that lives as long as the test: killing a viewer's session never
# empties the tmux server, which would then exit while the next new-session
# is being made (and that session, and every later command, would fail).
T new-session -d -s keep "sleep 3600"

# ---------------------------------------------------------------- detach, attach
run=$work/runs/detached
"$DARTBOARD" search $common --out "$run" --detach >"$work/detach.out" 2>&1 ||
    fail "search --detach: $(cat "$work/detach.out")"
pid=$(daemon_pid "$work/detach.out")
pids="$pids $pid"
viewer v1 "$run"
pane=v1
wait_for 60 'RUNNING' || fail "attach: RUNNING never shown"
wait_for 60 'n3<-n2' && wait_for 60 'loss  \*\* train [0-9]' || fail "attach: heatmaps or curves missing"
T send-keys -t v1 Space
wait_for 10 'PAUSED' || fail "space did not pause"
s1=$(step_now)
T send-keys -t v1 d
wait_for 10 'viewer exited: exit status 0' || fail "d did not leave with exit 0"
screen | grep -q 'detached; the search goes on' || fail "d: no word on what goes on"
kill -0 "$pid" 2>/dev/null && pass "detached, the search lives on" || fail "the search died with its viewer"
T kill-session -t v1
viewer v1 "$run"
wait_for 30 'PAUSED' || fail "attach again: not PAUSED"
sleep 2
s2=$(step_now)
[ -n "$s1" ] && [ "$s1" = "$s2" ] && pass "attached again: PAUSED at step $s2" ||
    fail "attached again at step $s2, paused at $s1"
T send-keys -t v1 Space
wait_for 10 'RUNNING' && wait_until 30 step_is_not "$s2" && pass "resumed" || fail "space did not resume"

# The editor, through the connection: lr_min and lr to 0.0123.
T send-keys -t v1 e
wait_for 10 'edit hyperparameters' || fail "e did not open the editor"
T send-keys -t v1 Down Enter C-u 0.0123 Enter
wait_for 10 'optim.lr_min [^ ]+ -> 0.0123' || fail "lr_min not accepted"
T send-keys -t v1 Up Enter C-u 0.0123 Enter
wait_for 10 'optim.lr [0-9.e-]+ -> 0.0123' || fail "lr not accepted"
T send-keys -t v1 Escape
csv=$run/metrics.csv
has_new_lr() { awk -F, 'NR > 1 && ($3 - 0.0123) ^ 2 < 1e-12 { found = 1 } END { exit !found }' "$csv"; }
wait_until 60 has_new_lr && pass "metrics.csv rows after the edit have lr 0.0123" ||
    fail "metrics.csv never switched to lr 0.0123"
grep -q 'optim.lr' "$run/changes.log" 2>/dev/null && pass "changes.log records the edit" ||
    fail "changes.log lacks the edit"

# ---------------------------------------------------------------- two viewers
viewer v2 "$run"
pane=v2
wait_for 30 'RUNNING' || fail "second viewer: RUNNING never shown"
pane=v1
T send-keys -t v1 Space
wait_for 10 'PAUSED' || fail "v1: space did not pause"
pane=v2
wait_for 10 'PAUSED' && pass "a pause from one viewer shows in the other" || fail "v2 did not see the pause"
T send-keys -t v2 Space
wait_for 10 'RUNNING' || fail "v2: space did not resume"
# v1's own process, a child of its pane's shell: by command line alone,
# pgrep's first match is v2's once the PIDs have wrapped past v1's
v1pid=$(pgrep -P "$(T display-message -p -t v1 '#{pane_pid}')" -f -- "$DARTBOARD attach" | head -n 1)
if [ -n "$v1pid" ]; then
    kill -9 "$v1pid"
    s3=$(step_now)
    wait_until 30 step_is_not "$s3" && kill -0 "$pid" 2>/dev/null &&
        pass "kill -9 of a viewer: the search steps on" || fail "the search stalled after kill -9 of a viewer"
else
    fail "no process found for viewer v1"
fi
viewer ro "--read-only $run"
pane=ro
wait_for 30 'RUNNING' || fail "read-only viewer: RUNNING never shown"
T send-keys -t ro Space
wait_for 10 'read-only viewer' || fail "read-only: no word on space"
T send-keys -t ro e
sleep 0.5
pane=v2
shows 'RUNNING' && ! shows 'PAUSED' && pane=ro && ! shows 'edit hyperparameters' &&
    pass "a read-only viewer's keys change nothing" || fail "a read-only viewer steered"
pane=ro
T send-keys -t ro q
wait_for 10 'viewer exited: exit status 0' && ! shows 'Quit\?' &&
    pass "read-only q leaves without asking" || fail "read-only q"
kill -0 "$pid" 2>/dev/null || fail "the read-only viewer's q stopped the search"

# Quit from a viewer: asks, then stops the search with a checkpoint.
pane=v2
T send-keys -t v2 Space
wait_for 10 'PAUSED' || fail "v2: no pause before the quit"
rm -f "$run/checkpoint.bin"
T send-keys -t v2 q
wait_for 10 'Quit\? \(y/n\)' || fail "q did not ask"
T send-keys -t v2 y
wait_for 60 'viewer exited: exit status 0' || fail "q y: no exit 0"
wait_until 30 gone "$pid" && [ -s "$run/checkpoint.bin" ] &&
    pass "q y: the search stopped with a checkpoint" || fail "q y: search still there or no checkpoint"

# ---------------------------------------------------------------- headless, no RUN_DIR
"$DARTBOARD" search $common --out "$work/runs/headless" --headless >"$work/headless.out" 2>&1 </dev/null &
hpid=$!
pids="$pids $hpid"
# Its header line says it runs: its socket (opened before the worker starts)
# is up and its config.yaml written, so `ls` and `attach` know the run.
started() { grep -q "^dartboard: test, run directory $work/runs/headless" "$work/headless.out"; }
wait_until 60 started && test -S "$work/runs/headless/dartboard.sock" || fail "the headless run has no socket"
viewer h ""
pane=h
# The other runs under runs/ have ended: the one running is the headless one.
wait_for 60 'RUNNING' && pass "attach finds the --headless run" ||
    fail "attach without RUN_DIR did not show the headless run"
T send-keys -t h d
wait_for 10 'viewer exited: exit status 0' || fail "headless: d did not leave"
kill -0 "$hpid" 2>/dev/null && pass "the headless run goes on" || fail "the headless run ended"
kill "$hpid"
wait "$hpid" 2>/dev/null

# ---------------------------------------------------------------- d on the search's own terminal
T new-session -d -s own -x 80 -y 24 \
    "cd $work && env DISPLAY= TERM=xterm LC_ALL=C $DARTBOARD $common --out $work/runs/own;
     echo \"exit status \$?\" > $work/own.status; echo \"search exited: \$(cat $work/own.status)\"; sleep 600"
pane=own
wait_for 60 'RUNNING' || fail "own terminal: RUNNING never shown"
T send-keys -t own Space
wait_for 10 'PAUSED' || fail "own terminal: space did not pause"
T send-keys -t own d
wait_for 60 'search exited: exit status 0' && screen | grep -q 'dartboard attach' &&
    pass "d on the search's terminal gives the prompt back" || fail "d on the search's terminal"
opid=$(cat "$work/runs/own/lock" 2>/dev/null)
pids="$pids $opid"
viewer o2 "$work/runs/own"
pane=o2
wait_for 60 'PAUSED' && pass "the search goes on in the background, still paused, attachable" ||
    fail "no paused background search after d"
T send-keys -t o2 q
wait_for 10 'Quit\?' && T send-keys -t o2 y
[ -n "$opid" ] && wait_until 60 gone "$opid" || fail "the background search did not stop"

[ $failed = 0 ] && rm -rf "$work"
exit $failed
