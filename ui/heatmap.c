/* heatmap: the alpha grid of one cell (see heatmap.h). */
#include "ui/heatmap.h"

#include <stdio.h>
#include <string.h>

static const char *const op_short[OP_COUNT] = {"no", "mp", "ap", "sk", "s3", "s5", "d3", "d5"};
static const char *const op_medium[OP_COUNT] = {"none", "max",  "avg",  "skip",
                                                "sep3", "sep5", "dil3", "dil5"};

const char *heatmap_op_label(int op, int width)
{
    if (op < 0 || op >= OP_COUNT)
        return "?";
    return width >= 4 ? op_medium[op] : op_short[op];
}

void heatmap_edge_label(char *buf, size_t len, const Glyphs *g, int edge)
{
    int node, input;
    genotype_edge_endpoints(edge, &node, &input);
    if (input == 0)
        snprintf(buf, len, "n%d%s%s", node, g->arrow_in, g->input_s0);
    else if (input == 1)
        snprintf(buf, len, "n%d%s%s", node, g->arrow_in, g->input_s1);
    else
        snprintf(buf, len, "n%d%sn%d", node, g->arrow_in, input - 2);
}

int heatmap_edge_kept(const GenoEdge *kept, int nodes, int edge)
{
    int node, input;
    genotype_edge_endpoints(edge, &node, &input);
    if (!kept || node >= nodes)
        return 0;
    return kept[2 * node].input == input || kept[2 * node + 1].input == input;
}

int heatmap_row_winner(const float *row)
{
    int best = 1;
    for (int o = 2; o < OP_COUNT; o++)
        if (row[o] > row[best])
            best = o;
    return best;
}

/* The weight in `width` columns: percent in 2, ".31" in 3, "0.31"... beyond. */
static void format_weight(char *buf, size_t len, float w, int width)
{
    if (width <= 2) {
        int pct = (int)(w * 100.0f + 0.5f);
        snprintf(buf, len, "%02d", pct > 99 ? 99 : pct < 0 ? 0 : pct);
    } else if (width == 3) {
        int pct = (int)(w * 100.0f + 0.5f);
        if (pct >= 100)
            snprintf(buf, len, "1.0");
        else
            snprintf(buf, len, ".%02d", pct < 0 ? 0 : pct);
    } else {
        snprintf(buf, len, "%*.*f", width, width - 2, (double)w);
    }
}

static void draw_header(WINDOW *w, Rect r, const char *title, int cw, int show_numbers)
{
    char head[32];
    snprintf(head, sizeof head, "%s%s", title, show_numbers && cw - 1 <= 2 ? " %" : "");
    draw_text(w, r, r.y, r.x, head, colors_attr(ROLE_TITLE));
    for (int o = 0; o < OP_COUNT; o++) {
        const char *lab = heatmap_op_label(o, cw - 1);
        int x = r.x + HEAT_LABEL_W + o * cw + (cw - 1 - glyphs_width(lab) + 1) / 2;
        draw_text(w, r, r.y, x, lab, colors_attr(ROLE_LABEL));
    }
}

void heatmap_draw(WINDOW *w, Rect r, const Style *st, const char *title,
                  const float (*alpha)[OP_COUNT], int edges, const GenoEdge *kept, int nodes,
                  int show_numbers)
{
    if (rect_empty(r))
        return;
    int cw = (r.w - HEAT_LABEL_W) / OP_COUNT;
    cw = cw < 2 ? 2 : cw > HEAT_MAX_CELL_W ? HEAT_MAX_CELL_W : cw;
    draw_header(w, r, title, cw, show_numbers);
    int rows = edges < r.h - 1 ? edges : r.h - 1;
    for (int e = 0; e < rows; e++) {
        int y = r.y + 1 + e;
        char label[48];
        int is_kept = heatmap_edge_kept(kept, nodes, e);
        heatmap_edge_label(label, sizeof label, st->g, e);
        if (e == rows - 1 && rows < edges) {
            /* Not every edge fits: say so instead of silently dropping rows. */
            draw_textf(w, r, y, r.x, colors_attr(ROLE_LABEL), " %s%d more", st->g->ellipsis,
                       edges - rows + 1);
            break;
        }
        draw_text(w, r, y, r.x, is_kept ? st->g->kept : " ", colors_attr(ROLE_KEPT));
        draw_text(w, r, y, r.x + 1, label,
                  is_kept ? colors_attr(ROLE_KEPT) : colors_attr(ROLE_LABEL));
        int win = heatmap_row_winner(alpha[e]);
        for (int o = 0; o < OP_COUNT; o++) {
            int x = r.x + HEAT_LABEL_W + o * cw;
            int step = colors_heat_step(alpha[e][o], OP_COUNT);
            int is_win = o == win;
            attr_t a = colors_attr((ColorRole)(ROLE_HEAT_0 + step));
            if (st->mode == COLOR_MODE_MONO) {
                a = is_win ? colors_attr(ROLE_WINNER) : A_NORMAL;
            } else if (is_win) {
                a |= A_BOLD;
            }
            if (show_numbers) {
                char num[16];
                format_weight(num, sizeof num, alpha[e][o], cw - 1);
                draw_text(w, r, y, x, num, a);
                draw_text(w, r, y, x + cw - 1, is_win ? st->g->winner : " ",
                          st->mode == COLOR_MODE_MONO ? A_BOLD : a);
            } else {
                const char *fill = " ";
                if (st->mode == COLOR_MODE_MONO)
                    fill = st->g->shade[step * GLYPH_SHADES / HEAT_STEPS];
                int mid = (cw - 1) / 2;
                for (int i = 0; i < cw - 1; i++)
                    draw_text(w, r, y, x + i, is_win && i == mid ? st->g->winner : fill, a);
                draw_text(w, r, y, x + cw - 1, " ", A_NORMAL);
            }
        }
    }
}
