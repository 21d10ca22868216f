/* cellview: a derived cell drawn as a small diagram of nodes and labelled
 * edges, two input lines joining into each node:
 *
 *     c_{k-2} ─sep_conv_3x3─┐
 *     c_{k-1} ─sep_conv_3x3─┴─► n0
 *
 * Edges that differ from the cell derived at the previous report are marked
 * (glyph and colour), so a change of mind of the search is visible.
 */
#ifndef DARTBOARD_UI_CELLVIEW_H
#define DARTBOARD_UI_CELLVIEW_H

#include "dartboard/genotype.h"
#include "dartboard/rnn_genotype.h"
#include "ui/draw.h"

/* Number of edges of `now` that differ from `before` (0 when before has no nodes). */
int cellview_changes(const GenoEdge *now, const GenoEdge *before, int nodes, int before_nodes);

void cellview_draw(WINDOW *w, Rect r, const Style *st, const char *title, const GenoEdge *now,
                   const GenoEdge *before, int nodes, int before_nodes);

/* The recurrent cell: one line per node, `n1 ─relu────► n3` (predecessor,
 * op, node), then the average of the nodes into h_t. before may be NULL. */
int cellview_rnn_changes(const RnnGenotype *now, const RnnGenotype *before);
void cellview_draw_recurrent(WINDOW *w, Rect r, const Style *st, const char *title,
                             const RnnGenotype *now, const RnnGenotype *before);

#endif
