#!/bin/sh
# The man page: generated with the version, every section present, clean
# under `groff -man -ww -z`, every subcommand and option of the CLI listed.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
page="$top_builddir/man/dartboard.1"
command -v groff >/dev/null 2>&1 || { echo "SKIP: groff not installed"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
[ -s "$page" ] || { echo "FAIL: $page not built"; exit 1; }
grep -q '@PACKAGE_VERSION@\|@PRESETDIR@' "$page" && fail "placeholders left in $page"
version=$(sed -n 's/^AC_INIT(\[dartboard\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
grep -q "dartboard $version" "$page" || fail "version $version not in the page"
warnings=$(LC_ALL=C groff -man -ww -z "$page" 2>&1)
[ -z "$warnings" ] || fail "groff -man -ww -z: $warnings"
for s in NAME SYNOPSIS DESCRIPTION "INTERACTIVE COMMANDS" PRESETS FILES ENVIRONMENT \
         "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -q "^\.SH \"*$s\"*\$" "$page" || fail "no section $s"
done
text=$(LC_ALL=C MANWIDTH=200 groff -man -Tascii -P-cbou "$page" 2>/dev/null)
for w in search bench export presets --help --version --preset --set --data --out --resume \
         --headless --steps --epochs --threads --seed --ascii --no-color --config --order \
         --kernels --format --cell NO_COLOR TERM LC_ALL OPENBLAS_NUM_THREADS OMP_NUM_THREADS \
         'gnuplot(1)' 'dot(1)' metrics.csv alphas.csv genotype.py genotype.json checkpoint.bin \
         config.yaml; do
    printf '%s\n' "$text" | grep -q -F -- "$w" || fail "the page does not mention $w"
done
for f in py json yaml dot tikz svg pdf png frames plots; do
    printf '%s\n' "$text" | grep -q -E "^ +$f( |\$)" || fail "export format $f not described"
done
[ "$failures" -eq 0 ] || exit 1
echo "man page clean"
