#!/bin/sh
# `dartboard export` of recurrent genotypes: a genotype file and a run
# directory whose genotype is recurrent, in every format; what does not apply
# to a recurrent cell (frames, --cell normal) is refused with a message.
. "${top_srcdir:-.}/tests/export_lib.sh"
cd "$WORK" || exit 99
cp "$FIX/genotypes/rnn_official.py" v2.py
refused() { # refused MESSAGE COMMAND...: exit status 1 and MESSAGE on stderr
    want=$1; shift
    "$@" >out.txt 2>err.txt
    rc=$?
    if [ "$rc" -eq 1 ] && grep -qF -- "$want" err.txt; then
        pass "refused: $want"
    else
        fail "refused: $want (exit $rc: $(cat err.txt))"
    fi
}
official="Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=range(1, 9))"

check "export py json yaml dot tikz svg" $EXPORT v2.py --format json,yaml,dot,tikz,svg
for f in v2.json v2.yaml v2_recurrent.dot v2_recurrent.tex v2_recurrent.tikz v2_recurrent.svg; do
    check "$f written" nonempty "$f"
done
check "py to stdout is the official line" sh -c "[ \"\$($EXPORT v2.py --format py -o -)\" = \"$official\" ]"
for f in v2.json v2.yaml; do
    check "$f reads back to the official line" \
        sh -c "[ \"\$($EXPORT $f --format py -o -)\" = \"$official\" ]"
done
check "the DOT is the golden file" cmp v2_recurrent.dot "$FIX/genotypes/darts_v2_recurrent.dot"
check "--cell recurrent -o FILE" $EXPORT v2.py --format svg --cell recurrent -o one.svg
check "one.svg written" nonempty one.svg
check "-o stem for one cell is the file itself" $EXPORT v2.py --format dot -o named.dot
check "named.dot written" cmp named.dot v2_recurrent.dot
refused "a recurrent genotype has one cell" $EXPORT v2.py --format svg --cell normal
check "...and nothing written" test ! -e v2_normal.svg
refused "needs a run directory" $EXPORT v2.py --format frames
refused "would overwrite the input" $EXPORT v2.py --format py
cp "$FIX/genotypes/official.py" cnn.py
refused "a CNN genotype has no recurrent cell" $EXPORT cnn.py --format svg --cell recurrent
printf '%s\n' "Genotype(recurrent=[('sigmoid', 0), ('relu', 2)], concat=range(1, 9))" > bad.py
refused "bad.py:1:20: recurrent has 2 nodes (expected 8" $EXPORT bad.py --format svg
printf '%s\n' "Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 9)])" > bad2.py
refused "bad2.py:1:131: node 8 takes predecessor 9 (expected 0..7" $EXPORT bad2.py --format py -o -

# a run directory whose genotype is recurrent
mkdir rnnrun
$EXPORT v2.py --format json -o rnnrun/genotype.json >/dev/null
check "run directory: every text format" $EXPORT rnnrun --format py,json,yaml,dot,tikz,svg
for f in genotype.py genotype.yaml cell_recurrent.dot cell_recurrent.tex cell_recurrent.tikz \
    cell_recurrent.svg; do
    check "rnnrun/$f written" nonempty "rnnrun/$f"
done
check "rnnrun/genotype.py is the official line" sh -c "[ \"\$(cat rnnrun/genotype.py)\" = \"$official\" ]"
refused "this run's genotype is recurrent" $EXPORT rnnrun --format frames
rm rnnrun/genotype.json
check "run directory with genotype.py only" $EXPORT rnnrun --format dot -o from_py.dot
check "...draws the same cell" cmp from_py.dot v2_recurrent.dot

if [ -n "${DOT:-}" ]; then
    check "export pdf through dot" $EXPORT rnnrun --format pdf,png
    check "PDF" sh -c 'head -c 4 rnnrun/cell_recurrent.pdf | grep -q "%PDF"'
    check "PNG" sh -c 'head -c 4 rnnrun/cell_recurrent.png | grep -q PNG'
    check "dot -Tsvg renders every op label" \
        sh -c "\"$DOT\" -Tsvg v2_recurrent.dot | grep -c 'class=\"edge\"' | grep -qx 18"
else
    echo "skip: pdf/png (Graphviz dot not installed)"
fi
if [ -n "${XMLLINT:-}" ]; then
    check "the SVG is well-formed" "$XMLLINT" --noout v2_recurrent.svg
else
    echo "skip: SVG well-formedness (xmllint not installed)"
fi
if [ -n "${PDFLATEX:-}" ]; then
    latex() { "$PDFLATEX" -interaction=nonstopmode -halt-on-error "$1" >"$1.log" 2>&1 || { tail -20 "$1.log"; return 1; }; }
    check "the standalone TikZ compiles" latex v2_recurrent.tex
    check "v2_recurrent.pdf" nonempty v2_recurrent.pdf
    cat > paper.tex <<'TEX'
\documentclass{article}
\usepackage{tikz}
\begin{document}
\begin{figure}\centering\resizebox{\linewidth}{!}{\input{v2_recurrent.tikz}}\caption{Recurrent cell.}\end{figure}
\end{document}
TEX
    check "the fragment \\input's into an article" latex paper.tex
else
    echo "skip: TikZ compile (pdflatex not installed)"
fi
finish
