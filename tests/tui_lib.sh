# tui_lib.sh: what the tmux tests share (sourced after `set -u`, with
# TMUX_BIN and DARTBOARD checked by the caller).
#
#   tui_begin NAME         $work = tests/out/NAME-PID, a private tmux server (kept up)
#   T ARGS                 tmux on that server, no user configuration
#   pass / fail "what"     a result line; fail also prints the screen
#   screen                 the text of the pane of session "tui"
#   wait_until S CMD...    CMD every 0.1 s until it succeeds or S seconds pass
#   shows / lacks RE       the screen matches (does not match) an extended regex
#   wait_for / wait_gone S RE
#
# Every wait polls a condition against a deadline, never a fixed delay.

tui_begin() {
    work=$(pwd)/tests/out/$1-$$
    rm -rf "$work"
    mkdir -p "$work"
    sock=dartboard-test-$$
    trap 'T kill-server >/dev/null 2>&1' EXIT INT TERM
    failed=0
    # A session that lives as long as the test: killing the "tui" session
    # must never empty the server, which would then exit while the next
    # new-session is being made ("server exited unexpectedly", and every
    # later command fails: seen under load).
    T new-session -d -s keep "sleep 3600"
}
T() { "$TMUX_BIN" -L "$sock" -f /dev/null "$@"; }
fail() {
    echo "FAIL: $*"
    echo "---- screen ----"
    T capture-pane -p -t tui 2>/dev/null
    echo "----------------"
    failed=1
}
pass() { echo "ok: $*"; }
screen() { T capture-pane -p -t tui; }

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
lacks() { ! screen | grep -Eq -- "$1"; }
wait_for() { wait_until "$1" shows "$2"; }
wait_gone() { wait_until "$1" lacks "$2"; }
