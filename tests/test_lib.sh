# test_lib.sh: what the TAP-style shell tests share (sourced).
#
#   test_begin DIR                 a fresh scratch directory $work = DIR (exit 99 if not)
#   check "what" 'shell condition' one point: "ok N - what" or "not ok N - what"
#   test_end                       the plan line; the status is 1 when a point failed
#
# The conditions are eval'ed, so they can use the caller's functions and $work.

test_begin() {
    work=$1
    rm -rf "$work" && mkdir -p "$work" || exit 99
    fails=0
    n=0
}

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

test_end() {
    echo "1..$n"
    [ "$fails" -eq 0 ]
}
