# export_lib.sh: shared set-up of the export shell tests (sourced).
# EXPORT runs `dartboard export` (the real binary when it has the subcommand,
# else tests/export_cli, the same export_main without the rest of the
# program); WORK is a fresh directory in the build tree with a copy of the
# fixture run directory in WORK/run.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
FIX="$top_srcdir/tests/fixtures"
if [ -n "${DARTBOARD:-}" ] && "$DARTBOARD" export --help >/dev/null 2>&1; then
    EXPORT="$DARTBOARD export"
else
    EXPORT="$top_builddir/tests/export_cli"
fi
WORK="$top_builddir/tests/$(basename "$0" .sh).dir"
rm -rf "$WORK"
mkdir -p "$WORK"
cp -R "$FIX/rundir" "$WORK/run"
chmod -R u+w "$WORK"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
check() { # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}
nonempty() { [ -s "$1" ]; }
finish() {
    if [ "$failures" -eq 0 ]; then rm -rf "$WORK"; exit 0; fi
    echo "$failures failure(s); files kept in $WORK"
    exit 1
}
