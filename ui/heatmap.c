/* heatmap: the alpha grid of one cell (see heatmap.h). */
#include "ui/heatmap.h"

#include <stdio.h>
#include <string.h>

#include "dartboard/monitor.h"

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
    return heatmap_row_winner_of(row, OP_COUNT);
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

static void draw_header(WINDOW *w, Rect r, const char *title, int cw, int show_numbers,
                        const HeatmapSpec *spec)
{
    char head[32];
    snprintf(head, sizeof head, "%s%s", title, show_numbers && cw - 1 <= 2 ? " %" : "");
    draw_text(w, r, r.y, r.x, head, colors_attr(ROLE_TITLE));
    for (int o = 0; o < spec->ops; o++) {
        const char *lab = spec->op_label(o, cw - 1);
        int x = r.x + HEAT_LABEL_W + o * cw + (cw - 1 - glyphs_width(lab) + 1) / 2;
        draw_text(w, r, r.y, x, lab, colors_attr(ROLE_LABEL));
    }
}

int heatmap_row_winner_of(const float *row, int ops)
{
    int best = 1;
    for (int o = 2; o < ops; o++)
        if (row[o] > row[best])
            best = o;
    return best;
}

void heatmap_draw_spec(WINDOW *w, Rect r, const Style *st, const char *title, const float *alpha,
                       int first, int count, const HeatmapSpec *spec, int show_numbers)
{
    if (rect_empty(r))
        return;
    const int ops = spec->ops;
    int cw = (r.w - HEAT_LABEL_W) / ops;
    cw = cw < 2 ? 2 : cw > HEAT_MAX_CELL_W ? HEAT_MAX_CELL_W : cw;
    draw_header(w, r, title, cw, show_numbers, spec);
    int rows = count < r.h - 1 ? count : r.h - 1;
    for (int i = 0; i < rows; i++) {
        const int e = first + i;
        const float *row = alpha + (size_t)e * ops;
        int y = r.y + 1 + i;
        char label[48];
        int is_kept = spec->kept(spec->cell, e);
        spec->edge_label(label, sizeof label, st->g, e);
        if (i == rows - 1 && rows < count) {
            /* Not every edge fits: say so instead of silently dropping rows. */
            draw_textf(w, r, y, r.x, colors_attr(ROLE_LABEL), " %s%d more", st->g->ellipsis,
                       count - rows + 1);
            break;
        }
        draw_text(w, r, y, r.x, is_kept ? st->g->kept : " ", colors_attr(ROLE_KEPT));
        draw_text(w, r, y, r.x + 1, label,
                  is_kept ? colors_attr(ROLE_KEPT) : colors_attr(ROLE_LABEL));
        int win = heatmap_row_winner_of(row, ops);
        if (spec->marked && spec->marked(win))
            draw_text(w, r, y, r.x + HEAT_LABEL_W - 2, HEAT_PARAM_FREE_MARK,
                      colors_attr(ROLE_LABEL) | A_BOLD);
        for (int o = 0; o < ops; o++) {
            int x = r.x + HEAT_LABEL_W + o * cw;
            int step = colors_heat_step(row[o], ops);
            int is_win = o == win;
            attr_t a = colors_attr((ColorRole)(ROLE_HEAT_0 + step));
            if (st->mode == COLOR_MODE_MONO) {
                a = is_win ? colors_attr(ROLE_WINNER) : A_NORMAL;
            } else if (is_win) {
                a |= A_BOLD;
            }
            if (show_numbers) {
                char num[16];
                format_weight(num, sizeof num, row[o], cw - 1);
                draw_text(w, r, y, x, num, a);
                draw_text(w, r, y, x + cw - 1, is_win ? st->g->winner : " ",
                          st->mode == COLOR_MODE_MONO ? A_BOLD : a);
            } else {
                const char *fill = " ";
                if (st->mode == COLOR_MODE_MONO)
                    fill = st->g->shade[step * GLYPH_SHADES / HEAT_STEPS];
                int mid = (cw - 1) / 2;
                for (int k = 0; k < cw - 1; k++)
                    draw_text(w, r, y, x + k, is_win && k == mid ? st->g->winner : fill, a);
                draw_text(w, r, y, x + cw - 1, " ", A_NORMAL);
            }
        }
    }
}

/* The CNN cell: OP_COUNT columns, edges labelled by node and input, two kept per node. */
typedef struct CnnKept {
    const GenoEdge *kept;
    int nodes;
} CnnKept;

static int cnn_kept(const void *cell, int edge)
{
    const CnnKept *k = cell;
    return heatmap_edge_kept(k->kept, k->nodes, edge);
}

void heatmap_draw(WINDOW *w, Rect r, const Style *st, const char *title,
                  const float (*alpha)[OP_COUNT], int edges, const GenoEdge *kept, int nodes,
                  int show_numbers)
{
    CnnKept k = {kept, nodes};
    HeatmapSpec spec = {OP_COUNT, heatmap_op_label,  heatmap_edge_label, cnn_kept,
                        &k,       monitor_param_free};
    heatmap_draw_spec(w, r, st, title, &alpha[0][0], 0, edges, &spec, show_numbers);
}

/* ---------------------------------------------------------------- recurrent cell */

static const char *const rnn_op_short[RNN_OP_COUNT] = {"no", "th", "re", "sg", "id"};
static const char *const rnn_op_medium[RNN_OP_COUNT] = {"none", "tanh", "relu", "sigm", "id"};

const char *heatmap_rnn_op_label(int op, int width)
{
    if (op < 0 || op >= RNN_OP_COUNT)
        return "?";
    return width >= 4 ? rnn_op_medium[op] : rnn_op_short[op];
}

void heatmap_rnn_edge_label(char *buf, size_t len, const Glyphs *g, int edge)
{
    int node = 1;
    while (node < RNN_NODES && rnn_edge_offset(node + 1) <= edge)
        node++;
    snprintf(buf, len, "n%d%sn%d", node, g->arrow_in, edge - rnn_edge_offset(node));
}

static int rnn_kept(const void *cell, int edge)
{
    const RnnGenotype *g = cell;
    for (int i = 1; i <= RNN_NODES; i++)
        if (rnn_edge_offset(i) + g->recurrent[i - 1].input == edge)
            return 1;
    return 0;
}

void heatmap_draw_recurrent(WINDOW *w, Rect r, const Style *st, const char *title,
                            const float (*alpha)[RNN_OP_COUNT], int first, int count,
                            const RnnGenotype *g, int show_numbers)
{
    HeatmapSpec spec = {RNN_OP_COUNT, heatmap_rnn_op_label, heatmap_rnn_edge_label, rnn_kept, g,
                        NULL};
    heatmap_draw_spec(w, r, st, title, &alpha[0][0], first, count, &spec, show_numbers);
}
