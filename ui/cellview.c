/* cellview: the derived cell as a diagram (see cellview.h). */
#include "ui/cellview.h"

#include <stdio.h>
#include <string.h>

#include "ui/heatmap.h"

static int edge_changed(const GenoEdge *now, const GenoEdge *before, int k, int before_nodes)
{
    if (!before || k >= 2 * before_nodes)
        return 0;
    return now[k].op != before[k].op || now[k].input != before[k].input;
}

int cellview_changes(const GenoEdge *now, const GenoEdge *before, int nodes, int before_nodes)
{
    int n = 0;
    for (int k = 0; k < 2 * nodes; k++)
        n += edge_changed(now, before, k, before_nodes);
    return n;
}

static void input_name(char *buf, size_t len, const Glyphs *g, int input)
{
    if (input == 0)
        snprintf(buf, len, "%s", g->input_s0);
    else if (input == 1)
        snprintf(buf, len, "%s", g->input_s1);
    else
        snprintf(buf, len, "n%d", input - 2);
}

static const char *op_label(int op, int width)
{
    if (width >= 12 && op >= 0 && op < OP_COUNT)
        return op_names[op];
    return heatmap_op_label(op, 4);
}

void cellview_draw(WINDOW *w, Rect r, const Style *st, const char *title, const GenoEdge *now,
                   const GenoEdge *before, int nodes, int before_nodes)
{
    const Glyphs *g = st->g;
    if (rect_empty(r))
        return;
    int changes = cellview_changes(now, before, nodes, before_nodes);
    int x = draw_text(w, r, r.y, r.x, title, colors_attr(ROLE_TITLE));
    if (changes)
        draw_textf(w, r, r.y, x + 2, colors_attr(ROLE_CHANGED), "%s %d changed", g->changed,
                   changes);
    if (nodes <= 0) {
        draw_text(w, r, r.y + 1, r.x, "not derived yet", colors_attr(ROLE_LABEL));
        return;
    }
    int in_w = glyphs_width(g->input_s0);
    /* Full op names when they fit: name, op, joint, arrow, node. */
    int op_w = r.w >= in_w + 1 + 1 + 12 + 1 + 4 + 3 ? 12 : 4;
    for (int i = 0; i < nodes; i++) {
        for (int j = 0; j < 2; j++) {
            int y = r.y + 1 + 2 * i + j;
            const GenoEdge *e = &now[2 * i + j];
            int changed = edge_changed(now, before, 2 * i + j, before_nodes);
            char name[32], op[32];
            input_name(name, sizeof name, g, e->input);
            snprintf(op, sizeof op, "%-*s", op_w, op_label(e->op, op_w));
            int cx = draw_textf(w, r, y, r.x, colors_attr(ROLE_LABEL), "%-*s ", in_w, name);
            cx = draw_text(w, r, y, cx, changed ? g->changed : g->hline,
                           changed ? colors_attr(ROLE_CHANGED) : colors_attr(ROLE_AXIS));
            cx = draw_text(w, r, y, cx, op, changed ? colors_attr(ROLE_CHANGED) : A_NORMAL);
            cx = draw_text(w, r, y, cx, g->hline, colors_attr(ROLE_AXIS));
            if (j == 0) {
                draw_text(w, r, y, cx, g->tr, colors_attr(ROLE_AXIS));
            } else {
                cx = draw_text(w, r, y, cx, g->tee_up, colors_attr(ROLE_AXIS));
                cx = draw_text(w, r, y, cx, g->hline, colors_attr(ROLE_AXIS));
                cx = draw_text(w, r, y, cx, g->arrow_head, colors_attr(ROLE_AXIS));
                draw_textf(w, r, y, cx + 1, colors_attr(ROLE_TITLE), "n%d", i);
            }
        }
    }
    int y = r.y + 1 + 2 * nodes;
    int cx = draw_text(w, r, y, r.x, "concat", colors_attr(ROLE_LABEL));
    for (int i = 0; i < nodes; i++)
        cx = draw_textf(w, r, y, cx + 1, colors_attr(ROLE_TITLE), "n%d", i);
    cx = draw_text(w, r, y, cx + 1, g->hline, colors_attr(ROLE_AXIS));
    cx = draw_text(w, r, y, cx, g->arrow_head, colors_attr(ROLE_AXIS));
    draw_text(w, r, y, cx + 1, g->cell_out, colors_attr(ROLE_TITLE));
}

/* ---------------------------------------------------------------- recurrent cell */

int cellview_rnn_changes(const RnnGenotype *now, const RnnGenotype *before)
{
    int n = 0;
    for (int i = 0; before && i < RNN_NODES; i++)
        n += now->recurrent[i].op != before->recurrent[i].op ||
             now->recurrent[i].input != before->recurrent[i].input;
    return n;
}

void cellview_draw_recurrent(WINDOW *w, Rect r, const Style *st, const char *title,
                             const RnnGenotype *now, const RnnGenotype *before)
{
    const Glyphs *g = st->g;
    if (rect_empty(r))
        return;
    int changes = cellview_rnn_changes(now, before);
    int x = draw_text(w, r, r.y, r.x, title, colors_attr(ROLE_TITLE));
    if (changes)
        draw_textf(w, r, r.y, x + 2, colors_attr(ROLE_CHANGED), "%s %d changed", g->changed,
                   changes);
    if (now->concat_count <= 0) {
        draw_text(w, r, r.y + 1, r.x, "not derived yet", colors_attr(ROLE_LABEL));
        return;
    }
    /* One line per node: its predecessor, the op on the highway, the node. */
    for (int i = 0; i < RNN_NODES; i++) {
        const RnnGenoEdge *e = &now->recurrent[i];
        const int changed =
            before && (e->op != before->recurrent[i].op || e->input != before->recurrent[i].input);
        int y = r.y + 1 + i;
        int cx = draw_textf(w, r, y, r.x, colors_attr(ROLE_LABEL), "n%d ", e->input);
        cx = draw_text(w, r, y, cx, changed ? g->changed : g->hline,
                       changed ? colors_attr(ROLE_CHANGED) : colors_attr(ROLE_AXIS));
        char op[16];
        snprintf(op, sizeof op, "%-8s",
                 e->op > 0 && e->op < RNN_OP_COUNT ? rnn_op_names[e->op] : "?");
        cx = draw_text(w, r, y, cx, op, changed ? colors_attr(ROLE_CHANGED) : A_NORMAL);
        cx = draw_text(w, r, y, cx, g->hline, colors_attr(ROLE_AXIS));
        cx = draw_text(w, r, y, cx, g->arrow_head, colors_attr(ROLE_AXIS));
        draw_textf(w, r, y, cx + 1, colors_attr(ROLE_TITLE), "n%d", i + 1);
    }
    int y = r.y + 1 + RNN_NODES;
    int cx = draw_text(w, r, y, r.x, "mean n1..n8", colors_attr(ROLE_LABEL));
    cx = draw_text(w, r, y, cx + 1, g->hline, colors_attr(ROLE_AXIS));
    cx = draw_text(w, r, y, cx, g->arrow_head, colors_attr(ROLE_AXIS));
    draw_text(w, r, y, cx + 1, "h_t", colors_attr(ROLE_TITLE));
}
