# test_lib.sh: what the TAP-style shell tests share (sourced).
#
#   test_begin DIR                 a fresh scratch directory $work = DIR (exit 99 if not)
#   check "what" 'shell condition' one point: "ok N - what" or "not ok N - what"
#   test_end                       the plan line; the status is 1 when a point failed;
#                                  a passing test removes DIR (KEEP_TEST_DIRS=1 keeps it)
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
    [ "$fails" -eq 0 ] || return 1
    # A whole suite's run directories took 100 MB: a machine short of disk
    # would fail the last tests for it.
    [ -n "${KEEP_TEST_DIRS:-}" ] || rm -rf "$work" "$work.log"
}

# same_run REF DIR: DIR holds the files of the run in REF: metrics.csv but
# its wall-clock column, alphas.csv, genotype.py and genotype.json byte for
# byte (a resumed run writes what an uninterrupted one does), and no
# temporary files. Says what differs.
same_run() {
    for f in metrics.csv alphas.csv genotype.py genotype.json; do
        if [ "$f" = metrics.csv ]; then
            cut -d, -f1-7 "$1/$f" >"$2.want" 2>/dev/null; cut -d, -f1-7 "$2/$f" >"$2.got" 2>/dev/null
        else
            cp "$1/$f" "$2.want" 2>/dev/null; cp "$2/$f" "$2.got" 2>/dev/null
        fi
        if ! cmp -s "$2.want" "$2.got"; then
            echo "# $2/$f differs from $1/$f:"; diff "$2.want" "$2.got" | head -8 | sed 's/^/#   /'
            return 1
        fi
    done
    rm -f "$2.want" "$2.got"
    [ -z "$(find "$2" -name '*.tmp*')" ] || { echo "# $2 has temporary files"; return 1; }
}

# dir_checksums DIR: one line per file of DIR (name and checksum), to see
# that a refused command changed nothing.
dir_checksums() { (cd "$1" && for f in *; do cksum "$f" 2>&1; done); }
