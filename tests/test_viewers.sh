#!/bin/sh
# test_viewers: the search's side of dartboard attach, without a terminal.
#  - search --detach returns at once, names the run and how to attach; the
#    search runs on as a daemon (its own session), logging to dartboard.log;
#    its socket is dartboard.sock, mode 0600;
#  - viewers that send garbage, a header claiming 2 GiB, or nothing at all
#    are each closed with exactly one line in the log, and the search keeps
#    stepping; as root, another user is refused;
#  - a run directory whose path is too long for a socket address gets its
#    socket in the per-user runtime directory, and ls says where;
#  - a viewer's stop ends the search with a checkpoint; ls then says stopped,
#    a finished run done, a run killed with -9 stale;
#  - a --detach that cannot start (a bad preset) fails in the foreground.
set -u
: "${DARTBOARD:?}" "${top_builddir:?}"
. "${top_srcdir:-.}/tests/test_lib.sh"
test_begin test_viewers.dir
work=$(cd "$work" && pwd -P)
probe=$top_builddir/tests/viewer_probe
export XDG_RUNTIME_DIR= TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

common="--preset test --threads 1 --set run.report_every=1 --set run.checkpoint_every=0"
# wait_until SECONDS COMMAND...: until COMMAND succeeds (status 0) or time runs out.
wait_until() {
    deadline=$(($(date +%s) + $1))
    shift
    while ! "$@"; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
rows() { tail -n +2 "$1/metrics.csv" 2>/dev/null | wc -l; }
more_rows_than() { [ "$(rows "$1")" -gt "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
ls_state() { # DIR RUN: the STATE column of RUN in `dartboard ls DIR`
    "$DARTBOARD" ls "$1" | awk -v r="$1/$2" '$1 == r { print $2 }'
}
daemon_pid() { sed -n 's/.*background (pid \([0-9]*\)).*/\1/p' "$1"; }

# ---------------------------------------------------------------- detach
run=$work/runs/live
check "search --detach returns with exit 0" \
    "'$DARTBOARD' search $common --out '$run' --set run.epochs=1000 --detach >'$work/detach.out' 2>&1"
check "it says how to attach" "grep -q 'dartboard attach $run' '$work/detach.out'"
pid=$(daemon_pid "$work/detach.out")
check "the daemon runs, in another session, without a terminal" \
    "[ -n '$pid' ] && kill -0 '$pid' && [ \"\$(ps -o tty= -p '$pid' | tr -d ' ')\" = '?' ] &&
     [ \"\$(ps -o sid= -p '$pid')\" != \"\$(ps -o sid= -p $$)\" ]"
check "the lock names the daemon" "[ \"\$(cat '$run/lock')\" = '$pid' ]"
check "the socket is dartboard.sock, mode 0600" \
    "wait_until 30 test -S '$run/dartboard.sock' && [ \"\$(stat -c %a '$run/dartboard.sock')\" = 600 ]"
check "progress goes to dartboard.log" "wait_until 60 grep -q '^step 2/' '$run/dartboard.log'"
check "ls: running, with its pid" \
    "'$DARTBOARD' ls '$work/runs' | grep -Eq '^$run +running +$pid +test +[0-9]+/12000 '"

# ---------------------------------------------------------------- bad viewers
for mode in garbage huge silent; do
    check "a $mode viewer is closed" "'$probe' '$run' $mode"
done
check "one log line for each, nothing more" \
    "[ \"\$(grep -c 'viewer [0-9]* (pid [0-9]*) closed: ' '$run/dartboard.log')\" = 3 ] &&
     grep -q 'closed: not a dartboard viewer message' '$run/dartboard.log' &&
     grep -q 'closed: message of 2147483648 bytes' '$run/dartboard.log' &&
     grep -q 'closed: said nothing' '$run/dartboard.log'"
if [ "$(id -u)" = 0 ]; then
    check "another user cannot connect (mode 0600)" "'$probe' '$run' other-user 2>/dev/null"
    chmod 666 "$run/dartboard.sock"
    check "and, let in, is refused by its uid, with one line" \
        "'$probe' '$run' other-user && wait_until 10 grep -q 'viewer refused: another user (uid 65534)' '$run/dartboard.log'"
    chmod 600 "$run/dartboard.sock"
fi
before=$(rows "$run")
check "the search keeps stepping" "wait_until 60 more_rows_than '$run' $((before + 2))"
check "a read-only viewer sees it running" "'$probe' '$run' hello | grep -q '^RUNNING [0-9]'"
# (a BLAS setting of the environment weaker than the CPU is said once: not
# a complaint about the viewers)
check "the log holds no other complaint" "! grep -v '^step \\|^dartboard: test, run directory\\|closed: \\|refused: another user\\|^OPENBLAS_CORETYPE set BLAS kernels' '$run/dartboard.log' | grep -q ."

# ---------------------------------------------------------------- stop
check "a viewer's stop ends the search" "'$probe' '$run' stop >/dev/null && wait_until 30 gone '$pid'"
check "with a checkpoint, the socket and the lock gone" \
    "[ -s '$run/checkpoint.bin' ] && [ ! -e '$run/dartboard.sock' ] && [ ! -e '$run/lock' ]"
check "ls: stopped" "[ \"\$(ls_state '$work/runs' live)\" = stopped ]"

# ---------------------------------------------------------------- done, stale
check "a finished run" "'$DARTBOARD' search $common --out '$work/runs/done' --steps 3 --headless >/dev/null 2>&1"
check "ls: done, 3/3" "'$DARTBOARD' ls '$work/runs' | grep -Eq '^$work/runs/done +done +- +test +3/3 '"
# groups of runs (a script's OUT/runs/ROW): up to three directories down,
# never inside a run or through a symbolic link
mkdir -p "$work/groups/g/h" "$work/groups/a/b/c"
cp -R "$work/runs/done" "$work/groups/g/h/row"
cp -R "$work/runs/done" "$work/groups/a/b/c/deep"
cp -R "$work/runs/done" "$work/groups/g/h/row/inner"
ln -s "$work/groups/g" "$work/groups/link"
check "ls: a run three directories down" \
    "'$DARTBOARD' ls '$work/groups' | grep -Eq '^$work/groups/g/h/row +done +- +test +3/3 '"
check "  ... not four, nor through a symbolic link, nor inside a run" \
    "[ \"\$('$DARTBOARD' ls '$work/groups' | wc -l)\" = 2 ]"
"$DARTBOARD" search $common --out "$work/runs/killed" --set run.epochs=1000 --headless \
    >/dev/null 2>&1 </dev/null &
bg=$!
wait_until 60 more_rows_than "$work/runs/killed" 1
check "ls: running while it runs" "[ \"\$(ls_state '$work/runs' killed)\" = running ]"
kill -9 $bg
wait $bg 2>/dev/null
check "ls: stale after kill -9" "[ \"\$(ls_state '$work/runs' killed)\" = stale ]"

# ---------------------------------------------------------------- long path
long=$work/runs/$(printf 'x%.0s' $(seq 1 90))
check "a run directory too long for a socket address" \
    "'$DARTBOARD' search $common --out '$long' --set run.epochs=1000 --detach >'$work/long.out' 2>&1"
lpid=$(daemon_pid "$work/long.out")
check "has its socket in the runtime directory, mode 0600" \
    "wait_until 30 sh -c 'ls $TMPDIR/dartboard-*/*.sock' >/dev/null 2>&1 &&
     [ \"\$(stat -c %a $TMPDIR/dartboard-*)\" = 700 ] && [ \"\$(stat -c %a $TMPDIR/dartboard-*/*.sock)\" = 600 ]"
ls_says_where() { "$DARTBOARD" ls "$work/runs" | grep -q "socket $TMPDIR/dartboard-"; }
check "ls says where" "wait_until 30 ls_says_where"
check "a viewer finds it" "'$probe' '$long' hello | grep -Eq '^(STARTING|RUNNING) '"
check "and stops it" "'$probe' '$long' stop >/dev/null && wait_until 30 gone '$lpid'"

# ---------------------------------------------------------------- refusals
check "--detach with a bad preset fails in the foreground (exit 2)" \
    "'$DARTBOARD' search --preset no-such --detach >'$work/bad.out' 2>&1; [ \$? = 2 ] &&
     grep -q 'no-such' '$work/bad.out'"
check "attach to a run that does not run: exit 1, says so" \
    "'$DARTBOARD' attach '$work/runs/done' </dev/null >'$work/att.out' 2>&1; [ \$? -ne 0 ]"
check "ls of a missing directory: exit 1" "! '$DARTBOARD' ls '$work/none' 2>/dev/null"

test_end
