/* heatmap: one cell's softmaxed alphas as an edge x op grid (the CNN cells'
 * eight ops, or the recurrent cell's five).
 *
 * One row per edge, labelled by target node and input (n0←c_{k-2} or
 * n0<-k-2), one column per op. The colour is the weight on a log ramp
 * (colors_heat_step); monochrome uses shade glyphs, and numbers replace them
 * when toggled (`v`, the default in monochrome). The strongest non-none op of
 * each row is marked, as are the edges the derived cell keeps.
 */
#ifndef DARTBOARD_UI_HEATMAP_H
#define DARTBOARD_UI_HEATMAP_H

#include <stddef.h>

#include "dartboard/genotype.h"
#include "dartboard/rnn_genotype.h"
#include "ui/draw.h"

/* Short op name fitting `width` columns (2 or 4 and more). */
const char *heatmap_op_label(int op, int width);
/* "n0←c_{k-2}" / "n0<-k-2" for edge e. */
void heatmap_edge_label(char *buf, size_t len, const Glyphs *g, int edge);
/* Whether the derived cell `kept` (two edges per node) keeps edge e. */
int heatmap_edge_kept(const GenoEdge *kept, int nodes, int edge);
/* Strongest non-none op of a row (the one the derivation would take). */
int heatmap_row_winner(const float *row);

/* The same for a row of `ops` weights. */
int heatmap_row_winner_of(const float *row, int ops);

/* What a grid shows: its op columns, its rows' labels and which edges the
 * derived cell keeps (`cell` is passed back to kept). */
typedef struct HeatmapSpec {
    int ops;
    const char *(*op_label)(int op, int width);
    void (*edge_label)(char *buf, size_t len, const Glyphs *g, int edge);
    int (*kept)(const void *cell, int edge);
    const void *cell;
    /* NULL, or 1 for ops whose winning row gets HEAT_PARAM_FREE_MARK */
    int (*marked)(int op);
} HeatmapSpec;

/* Rows of the CNN cells whose winner has no parameters (a pool or skip) get
 * this mark before the grid: parameter-free ops taking over is how DARTS
 * collapses (monitor.h). */
#define HEAT_PARAM_FREE_MARK "!"

/* Rows first .. first + count - 1 of alpha (edges x spec->ops, row-major). */
void heatmap_draw_spec(WINDOW *w, Rect r, const Style *st, const char *title, const float *alpha,
                       int first, int count, const HeatmapSpec *spec, int show_numbers);

/* The recurrent cell (rnn_genotype.h): 5 op columns, rows "n3←n1" (node 3
 * from state 1; n0 is s0), the edge each node keeps marked. */
const char *heatmap_rnn_op_label(int op, int width);
void heatmap_rnn_edge_label(char *buf, size_t len, const Glyphs *g, int edge);
void heatmap_draw_recurrent(WINDOW *w, Rect r, const Style *st, const char *title,
                            const float (*alpha)[RNN_OP_COUNT], int first, int count,
                            const RnnGenotype *g, int show_numbers);

void heatmap_draw(WINDOW *w, Rect r, const Style *st, const char *title,
                  const float (*alpha)[OP_COUNT], int edges, const GenoEdge *kept, int nodes,
                  int show_numbers);

#endif
