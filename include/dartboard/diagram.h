/* diagram: pictures of a derived cell for papers and slides.
 *
 * One cell (normal or reduce) per picture, in the look of the official DARTS
 * visualize.py: inputs c_{k-2} and c_{k-1} (dark sea green), intermediate
 * nodes 0..n-1 (light blue), output c_{k} (pale goldenrod), edges labelled by
 * op, left to right.
 *
 *   DOT   for Graphviz (diagram_render() runs `dot` for PDF/PNG/SVG)
 *   TikZ  a standalone LaTeX document, or an \input-able tikzpicture
 *   SVG   laid out and drawn by dartboard itself, no Graphviz needed
 *
 * The TikZ and SVG pictures share one layered layout (inputs left, nodes by
 * depth, output right; edges that would cross a box are bent around it and
 * labels are placed where they overlap nothing), so both look the same.
 */
#ifndef DARTBOARD_DIAGRAM_H
#define DARTBOARD_DIAGRAM_H

#include <stddef.h>
#include <stdio.h>

#include "dartboard/genotype.h"
#include "dartboard/rnn_genotype.h"

typedef enum DiagramCell { DIAGRAM_NORMAL, DIAGRAM_REDUCE, DIAGRAM_CELL_COUNT } DiagramCell;

extern const char *const diagram_cell_names[DIAGRAM_CELL_COUNT]; /* "normal", "reduce" */

int diagram_write_dot(FILE *f, const Genotype *g, DiagramCell cell);
/* standalone: a complete `standalone`-class document for pdflatex; else a
 * tikzpicture to \input (needs \usepackage{tikz} in the preamble). */
int diagram_write_tikz(FILE *f, const Genotype *g, DiagramCell cell, int standalone);
/* caption: an optional line drawn above the cell (e.g. "step 1200"), or NULL. */
int diagram_write_svg(FILE *f, const Genotype *g, DiagramCell cell, const char *caption);
/* The same on a canvas of at least min_w x min_h pixels, the cell centred:
 * the frames of an animation share one size. diagram_svg_size() gives the
 * size diagram_write_svg() would use. */
int diagram_write_svg_canvas(FILE *f, const Genotype *g, DiagramCell cell, const char *caption,
                             double min_w, double min_h);
void diagram_svg_size(const Genotype *g, DiagramCell cell, const char *caption, double *w,
                      double *h);

/* The recurrent cell (an RnnGenotype), in the look of the official
 * rnn/visualize.py: inputs x_{t} and h_{t-1} into state 0, nodes 0..8
 * (light blue), each node's one edge labelled by its op, the concat nodes
 * into the output h_{t}. The same writers otherwise: DOT, TikZ (standalone
 * or fragment), SVG with an optional caption. */
int diagram_write_rnn_dot(FILE *f, const RnnGenotype *g);
int diagram_write_rnn_tikz(FILE *f, const RnnGenotype *g, int standalone);
int diagram_write_rnn_svg(FILE *f, const RnnGenotype *g, const char *caption);

/* Renders a DOT file with Graphviz: `dot -T<format> -o out_path dot_path`.
 * format is "pdf", "png" or "svg". Returns 0, or -1 with msg naming the
 * problem (Graphviz not installed: "install the Debian package graphviz"). */
int diagram_render(const char *dot_path, const char *format, const char *out_path, char *msg,
                   size_t msglen);

#endif
