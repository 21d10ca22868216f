#!/bin/sh
# TikZ: the standalone documents and the \input-able fragments compile with pdflatex.
. "${top_srcdir:-.}/tests/export_lib.sh"
[ -n "${PDFLATEX:-}" ] || { echo "SKIP: pdflatex not installed (Debian packages texlive-latex-base texlive-pictures)"; exit 77; }
cd "$WORK/run" || exit 99
check "export tikz" $EXPORT . --format tikz
latex() { "$PDFLATEX" -interaction=nonstopmode -halt-on-error "$1" >"$1.log" 2>&1 || { tail -20 "$1.log"; return 1; }; }
for c in normal reduce; do
    check "cell_$c.tex compiles" latex "cell_$c.tex"
    check "cell_$c.pdf" test -s "cell_$c.pdf"
done
cat > paper.tex <<'TEX'
\documentclass{article}
\usepackage{tikz}
\begin{document}
\begin{figure}\centering\resizebox{\linewidth}{!}{\input{cell_normal.tikz}}\caption{Normal cell.}\end{figure}
\begin{figure}\centering\resizebox{\linewidth}{!}{\input{cell_reduce.tikz}}\caption{Reduction cell.}\end{figure}
\end{document}
TEX
check "the fragments \\input into an article" latex paper.tex
check "no overfull or undefined warnings" sh -c '! grep -E "Undefined control|Missing character" paper.log'
finish
