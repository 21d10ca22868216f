/* diagram: DOT, TikZ and SVG pictures of one derived cell, a CNN cell
 * (normal or reduce) or the recurrent cell.
 *
 * TikZ and SVG share layout_place(), fed with the boxes and edges of a CNN
 * cell (layout_cell) or of the recurrent cell (layout_rnn_cell): boxes go in
 * columns by depth (inputs at
 * depth 0, a node one deeper than its deepest input, the output last),
 * ordered within a column by the mean height of their inputs to cut
 * crossings. Each edge is a cubic Bezier from the right side of its source
 * to the left side of its target; one that would pass through a box in a
 * column it skips is bent above or below that box. Each label goes at the
 * first position along its edge where it overlaps no box and no other label.
 * Coordinates are SVG pixels (y down); TikZ converts them to centimetres.
 */
#include "dartboard/diagram.h"

#include <math.h>
#include <string.h>

#include "dartboard/tool.h"

const char *const diagram_cell_names[DIAGRAM_CELL_COUNT] = {"normal", "reduce"};

/* The palette of DARTS's visualize.py (X11 colour names, as hex for SVG/TikZ). */
#define COLOR_INPUT "b4eeb4"  /* darkseagreen2 */
#define COLOR_NODE "add8e6"   /* lightblue */
#define COLOR_OUTPUT "eee8aa" /* palegoldenrod */
#define COLOR_STROKE "333333"
#define COLOR_EDGE "555555"
#define COLOR_CONCAT "999999"

/* ------------------------------------------------------------------ DOT */

static const char *dot_state_id(int input, char *buf, size_t n)
{
    if (input == 0)
        return "\"c_{k-2}\"";
    if (input == 1)
        return "\"c_{k-1}\"";
    snprintf(buf, n, "%d", input - 2);
    return buf;
}

int diagram_write_dot(FILE *f, const Genotype *g, DiagramCell cell)
{
    const GenoEdge *e = cell == DIAGRAM_REDUCE ? g->reduce : g->normal;
    const int *concat = cell == DIAGRAM_REDUCE ? g->reduce_concat : g->normal_concat;
    int nconcat = cell == DIAGRAM_REDUCE ? g->reduce_concat_count : g->normal_concat_count;
    fprintf(f,
            "// DARTS %s cell, written by dartboard. Render: dot -Tpdf FILE -o cell.pdf\n"
            "digraph %s {\n"
            "  rankdir=LR;\n"
            "  edge [fontsize=20, fontname=\"times\"];\n"
            "  node [style=filled, shape=rect, align=center, fontsize=20, height=0.5, width=0.5,\n"
            "        penwidth=2, fontname=\"times\"];\n"
            "  \"c_{k-2}\" [fillcolor=darkseagreen2, label=<c<sub>k-2</sub>>];\n"
            "  \"c_{k-1}\" [fillcolor=darkseagreen2, label=<c<sub>k-1</sub>>];\n",
            diagram_cell_names[cell], diagram_cell_names[cell]);
    for (int i = 0; i < g->nodes; i++)
        fprintf(f, "  %d [fillcolor=lightblue];\n", i);
    for (int i = 0; i < 2 * g->nodes; i++) {
        char buf[16];
        fprintf(f, "  %s -> %d [label=\"%s\", fillcolor=gray];\n",
                dot_state_id(e[i].input, buf, sizeof buf), i / 2, op_names[e[i].op]);
    }
    fputs("  \"c_{k}\" [fillcolor=palegoldenrod, label=<c<sub>k</sub>>];\n", f);
    for (int i = 0; i < nconcat; i++) {
        char buf[16];
        fprintf(f, "  %s -> \"c_{k}\" [fillcolor=gray];\n",
                dot_state_id(concat[i], buf, sizeof buf));
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

int diagram_write_rnn_dot(FILE *f, const RnnGenotype *g)
{
    fputs("// DARTS recurrent cell, written by dartboard. Render: dot -Tpdf FILE -o cell.pdf\n"
          "digraph recurrent {\n"
          "  rankdir=LR;\n"
          "  edge [fontsize=20, fontname=\"times\"];\n"
          "  node [style=filled, shape=rect, align=center, fontsize=20, height=0.5, width=0.5,\n"
          "        penwidth=2, fontname=\"times\"];\n"
          "  \"x_{t}\" [fillcolor=darkseagreen2, label=<x<sub>t</sub>>];\n"
          "  \"h_{t-1}\" [fillcolor=darkseagreen2, label=<h<sub>t-1</sub>>];\n"
          "  0 [fillcolor=lightblue];\n"
          "  \"x_{t}\" -> 0 [fillcolor=gray];\n"
          "  \"h_{t-1}\" -> 0 [fillcolor=gray];\n",
          f);
    for (int i = 1; i <= RNN_NODES; i++)
        fprintf(f, "  %d [fillcolor=lightblue];\n", i);
    for (int i = 0; i < RNN_NODES; i++)
        fprintf(f, "  %d -> %d [label=\"%s\", fillcolor=gray];\n", g->recurrent[i].input, i + 1,
                rnn_op_names[g->recurrent[i].op]);
    fputs("  \"h_{t}\" [fillcolor=palegoldenrod, label=<h<sub>t</sub>>];\n", f);
    for (int i = 0; i < g->concat_count; i++)
        fprintf(f, "  %d -> \"h_{t}\" [fillcolor=gray];\n", g->concat[i]);
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

/* dot reads an argument that starts with '-' as an option (-c rewrites its
 * plugin configuration): "./" in front keeps a relative path a path. */
static const char *dot_path_arg(const char *path, char *buf, size_t n)
{
    if (path[0] != '-')
        return path;
    snprintf(buf, n, "./%s", path);
    return buf;
}

int diagram_render(const char *dot_path, const char *format, const char *out_path, char *msg,
                   size_t msglen)
{
    char tflag[16], in_buf[4096], out_buf[4096];
    dot_path = dot_path_arg(dot_path, in_buf, sizeof in_buf);
    out_path = dot_path_arg(out_path, out_buf, sizeof out_buf);
    snprintf(tflag, sizeof tflag, "-T%s", format);
    const char *argv[7];
    int n = 0;
    argv[n++] = "dot";
    argv[n++] = tflag;
    if (strcmp(format, "png") == 0)
        argv[n++] = "-Gdpi=200"; /* Graphviz's 96 dpi is blurry on a slide or in print */
    argv[n++] = "-o";
    argv[n++] = out_path;
    argv[n++] = dot_path;
    argv[n] = NULL;
    return tool_run(argv, NULL, NULL, "graphviz", msg, msglen);
}

/* --------------------------------------------------------------- layout */

/* a CNN cell: 2 inputs, up to 8 nodes, the output; a recurrent cell: x_t,
 * h_{t-1}, s0, 8 nodes, h_t */
#define MAX_BOXES (RNN_NODES + 4)
#define MAX_LEDGES (2 * GENOTYPE_MAX_NODES + GENOTYPE_MAX_NODES + 2)

enum { BOX_INPUT, BOX_NODE, BOX_OUTPUT };
/* LEdge.op of an unlabelled edge: into the output (dashed), or plain (the
 * recurrent cell's x_t and h_{t-1} into s0) */
enum { EDGE_CONCAT = -1, EDGE_PLAIN = -2 };

static const double BOX_W = 46, BOX_H = 34, COL_GAP = 210, ROW_GAP = 84, MARGIN = 16;
static const double FONT_NODE = 17, FONT_OP = 12.5;
/* Average advance of the sans-serif label font, as a fraction of its size:
 * generous, so estimated label boxes never undershoot the real text. */
static const double CHAR_W = 0.6;

typedef struct LBox {
    int kind, col;
    double x, y; /* centre */
    char letter; /* the name's letter (c, x, h); none for a node, a plain number */
    char sub[8]; /* its subscript, or the node's number */
} LBox;

typedef struct LEdge {
    int from, to; /* box indices */
    int op;       /* index into Layout.op_names, or EDGE_CONCAT / EDGE_PLAIN (unlabelled) */
    double p[4][2];
    double lx, ly, lw, lh; /* label centre and size */
} LEdge;

/* Boxes in an order where every edge goes from a lower index to a higher
 * one: the inputs first, the output last (a CNN cell: 0, 1 the inputs, 2 + i
 * node i, nodes + 2 the output). */
typedef struct Layout {
    const char *const *op_names; /* the labels of op edges */
    int nboxes, nedges;
    LBox box[MAX_BOXES];
    LEdge edge[MAX_LEDGES];
    double x0, y0, x1, y1; /* bounding box of everything drawn */
} Layout;

/* A point of the cubic Bezier p at parameter t; axis 0 = x, 1 = y. */
static double bez(const double p[4][2], double t, int axis)
{
    double u = 1 - t;
    return u * u * u * p[0][axis] + 3 * u * u * t * p[1][axis] + 3 * u * t * t * p[2][axis] +
           t * t * t * p[3][axis];
}

static int rects_overlap(double ax, double ay, double aw, double ah, double bx, double by,
                         double bw, double bh, double pad)
{
    return fabs(ax - bx) * 2 < aw + bw + 2 * pad && fabs(ay - by) * 2 < ah + bh + 2 * pad;
}

/* Does the curve pass through a box other than its own ends? Returns the box or -1. */
static int curve_hits_box(const Layout *L, const LEdge *e)
{
    for (int s = 1; s < 40; s++) {
        double t = s / 40.0, x = bez(e->p, t, 0), y = bez(e->p, t, 1);
        for (int b = 0; b < L->nboxes; b++) {
            if (b == e->from || b == e->to)
                continue;
            if (rects_overlap(x, y, 0, 0, L->box[b].x, L->box[b].y, BOX_W, BOX_H, 6))
                return b;
        }
    }
    return -1;
}

static void grow(Layout *L, double x, double y, double hw, double hh)
{
    if (x - hw < L->x0)
        L->x0 = x - hw;
    if (x + hw > L->x1)
        L->x1 = x + hw;
    if (y - hh < L->y0)
        L->y0 = y - hh;
    if (y + hh > L->y1)
        L->y1 = y + hh;
}

/* Ports: spread the ends of several edges along a box side, ordered by the
 * height of the other end so they do not cross at the box. */
static void place_ports(const Layout *L, double *port_out, double *port_in)
{
    for (int side = 0; side < 2; side++) {
        for (int b = 0; b < L->nboxes; b++) {
            int idx[MAX_LEDGES], m = 0;
            for (int k = 0; k < L->nedges; k++) {
                if ((side ? L->edge[k].to : L->edge[k].from) != b)
                    continue;
                double y = L->box[side ? L->edge[k].from : L->edge[k].to].y;
                int j = m++;
                while (j > 0 &&
                       L->box[side ? L->edge[idx[j - 1]].from : L->edge[idx[j - 1]].to].y > y) {
                    idx[j] = idx[j - 1];
                    j--;
                }
                idx[j] = k;
            }
            double span = BOX_H * 0.6, step = m > 1 ? span / (m - 1) : 0;
            for (int j = 0; j < m; j++) {
                double off = m > 1 ? -span / 2 + j * step : 0;
                (side ? port_in : port_out)[idx[j]] = L->box[b].y + off;
            }
        }
    }
}

/* The curve of e from (its source's right side, y0) to (its target's left
 * side, y3). */
static void shape_curve(const Layout *L, LEdge *e, double y0, double y3)
{
    double x0 = L->box[e->from].x + BOX_W / 2;
    double x3 = L->box[e->to].x - BOX_W / 2;
    double dx = x3 - x0;
    e->p[0][0] = x0, e->p[0][1] = y0;
    e->p[3][0] = x3, e->p[3][1] = y3;
    e->p[1][0] = x0 + dx * 0.45, e->p[1][1] = y0;
    e->p[2][0] = x3 - dx * 0.45, e->p[2][1] = y3;
    /* Bend around boxes in skipped columns: push the middle of the curve
     * past the obstacle on the side nearer to the edge, a little more
     * each time, until it is clear. */
    for (int tries = 0; tries < 24; tries++) {
        int hit = curve_hits_box(L, e);
        if (hit < 0)
            break;
        double mid = (y0 + y3) / 2, oy = L->box[hit].y;
        double target =
            mid <= oy ? oy - BOX_H / 2 - 18 - 8 * tries : oy + BOX_H / 2 + 18 + 8 * tries;
        /* The midpoint of a cubic is (p0 + 3 p1 + 3 p2 + p3) / 8. */
        double c = (target - (y0 + y3) / 8) / 0.75;
        e->p[1][0] = x0 + dx * 0.3, e->p[1][1] = c;
        e->p[2][0] = x3 - dx * 0.3, e->p[2][1] = c;
    }
}

/* The labelled edges, their label sizes set, longest first into order;
 * returns how many. */
static int label_order(Layout *L, int *order)
{
    int m = 0;
    for (int k = 0; k < L->nedges; k++) {
        if (L->edge[k].op < 0)
            continue;
        LEdge *e = &L->edge[k];
        e->lw = strlen(L->op_names[e->op]) * FONT_OP * CHAR_W + 6;
        e->lh = FONT_OP + 4;
        double len = e->p[3][0] - e->p[0][0];
        int j = m++;
        while (j > 0 && L->edge[order[j - 1]].p[3][0] - L->edge[order[j - 1]].p[0][0] < len) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    return m;
}

/* How bad e's label would be centred on (x, y), at parameter t of its edge,
 * given the labels of order[0..placed-1] already placed. */
static double label_cost(const Layout *L, const LEdge *e, const int *order, int placed, double x,
                         double y, double t)
{
    double cost = fabs(t - 0.5) * 4;
    for (int b = 0; b < L->nboxes; b++)
        cost += 1000 * rects_overlap(x, y, e->lw, e->lh, L->box[b].x, L->box[b].y, BOX_W, BOX_H, 3);
    for (int pj = 0; pj < placed; pj++) {
        const LEdge *o = &L->edge[order[pj]];
        cost += 1000 * rects_overlap(x, y, e->lw, e->lh, o->lx, o->ly, o->lw, o->lh, 3);
    }
    for (int k = 0; k < L->nedges; k++) { /* other lines under the label */
        if (&L->edge[k] == e)
            continue;
        for (int si = 1; si < 48; si++) {
            double px = bez(L->edge[k].p, si / 48.0, 0), py = bez(L->edge[k].p, si / 48.0, 1);
            if (fabs(px - x) * 2 < e->lw && fabs(py - y) * 2 < e->lh)
                cost += 25;
        }
    }
    return cost;
}

/* Labels: the position along the edge with the least clutter: never on a
 * box or another label if avoidable, then over as few other lines as
 * possible, then near the middle. Longer edges choose first (they have the
 * most room to move). */
static void place_labels(Layout *L)
{
    int order[MAX_LEDGES];
    int m = label_order(L, order);
    for (int oi = 0; oi < m; oi++) {
        LEdge *e = &L->edge[order[oi]];
        double best = 1e30;
        for (int ti = 0; ti <= 32; ti++) {
            double t = 0.1 + 0.8 * ti / 32.0, x = bez(e->p, t, 0), y = bez(e->p, t, 1);
            double cost = label_cost(L, e, order, oi, x, y, t);
            if (cost < best) {
                best = cost;
                e->lx = x;
                e->ly = y;
            }
        }
    }
}

/* Labels that overlap a box or another label (widen[c] = 2 for the column
 * gaps their edges span) or sit on another line (widen[c] = 1). */
static int count_label_clashes(const Layout *L, int *widen)
{
    int clashes = 0;
    for (int k = 0; k < L->nedges; k++) {
        const LEdge *e = &L->edge[k];
        if (e->op < 0)
            continue;
        int bad = 0;
        for (int b = 0; b < L->nboxes; b++)
            bad |= rects_overlap(e->lx, e->ly, e->lw, e->lh, L->box[b].x, L->box[b].y, BOX_W, BOX_H,
                                 1);
        for (int j = 0; j < L->nedges; j++)
            bad |= j != k && L->edge[j].op >= 0 &&
                   rects_overlap(e->lx, e->ly, e->lw, e->lh, L->edge[j].lx, L->edge[j].ly,
                                 L->edge[j].lw, L->edge[j].lh, 1);
        int crossed = 0; /* another line under the label: legible, but ambiguous */
        for (int j = 0; j < L->nedges && !bad && !crossed; j++)
            for (int si = 1; si < 48 && j != k && !crossed; si++)
                crossed = fabs(bez(L->edge[j].p, si / 48.0, 0) - e->lx) * 2 < e->lw &&
                          fabs(bez(L->edge[j].p, si / 48.0, 1) - e->ly) * 2 < e->lh;
        if (bad || crossed) {
            clashes++;
            for (int c = L->box[e->from].col; c < L->box[e->to].col; c++)
                widen[c] |= bad ? 2 : 1;
        }
    }
    return clashes;
}

/* Ports, curves and labels for the current box positions. Returns the
 * number of labels that clash (see count_label_clashes). */
static int route_edges(Layout *L, int *widen)
{
    double port_out[MAX_LEDGES], port_in[MAX_LEDGES];
    place_ports(L, port_out, port_in);
    for (int k = 0; k < L->nedges; k++)
        shape_curve(L, &L->edge[k], port_out[k], port_in[k]);
    place_labels(L);
    return count_label_clashes(L, widen);
}

/* Columns, rows, curves and labels of the boxes and edges set in L. */
static void layout_place(Layout *L)
{
    /* Depth: inputs 0, node = 1 + deepest source, output = 1 + deepest node. */
    int depth[MAX_BOXES] = {0}, maxd = 0, out = L->nboxes - 1;
    for (int b = 0; b < out; b++) {
        if (L->box[b].kind == BOX_INPUT)
            continue;
        int d = 0;
        for (int k = 0; k < L->nedges; k++)
            if (L->edge[k].to == b && depth[L->edge[k].from] > d)
                d = depth[L->edge[k].from];
        depth[b] = d + 1;
        if (d + 1 > maxd)
            maxd = d + 1;
    }
    depth[out] = maxd + 1;
    for (int b = 0; b < L->nboxes; b++)
        L->box[b].col = depth[b];

    /* Rows: column by column, sort by the mean height of the sources
     * (barycentre), then centre the column on y = 0. */
    for (int c = 0; c <= maxd + 1; c++) {
        int members[MAX_BOXES], m = 0;
        double key[MAX_BOXES];
        for (int b = 0; b < L->nboxes; b++) {
            if (depth[b] != c)
                continue;
            double k = b; /* inputs keep their order (c_{k-2} above c_{k-1}) */
            if (L->box[b].kind == BOX_NODE) {
                double sum = 0;
                int n = 0;
                for (int e = 0; e < L->nedges; e++)
                    if (L->edge[e].to == b) {
                        sum += L->box[L->edge[e].from].y;
                        n++;
                    }
                k = sum / n + b * 1e-3;
            } else if (L->box[b].kind == BOX_OUTPUT) {
                k = 0;
            }
            int j = m++;
            while (j > 0 && key[j - 1] > k) {
                key[j] = key[j - 1];
                members[j] = members[j - 1];
                j--;
            }
            key[j] = k;
            members[j] = b;
        }
        for (int j = 0; j < m; j++)
            L->box[members[j]].y = (j - (m - 1) / 2.0) * ROW_GAP;
    }

    /* Widen the gaps spanned by edges whose labels still clash, until
     * every label finds a free place (a few rounds at most). */
    double gap[MAX_BOXES];
    for (int c = 0; c < MAX_BOXES; c++)
        gap[c] = COL_GAP;
    for (int round = 0;; round++) {
        double colx[MAX_BOXES];
        colx[0] = MARGIN + BOX_W / 2;
        for (int c = 1; c <= maxd + 1; c++)
            colx[c] = colx[c - 1] + gap[c - 1];
        for (int b = 0; b < L->nboxes; b++)
            L->box[b].x = colx[depth[b]];
        int widen[MAX_BOXES] = {0};
        if (route_edges(L, widen) == 0 || round == 12)
            break;
        /* overlaps always widen; lines under labels only up to twice the gap */
        int grew = 0;
        for (int c = 0; c <= maxd; c++) {
            if (widen[c] >= 2 || (widen[c] && gap[c] * 1.15 <= 2 * COL_GAP)) {
                gap[c] *= 1.15;
                grew = 1;
            }
        }
        if (!grew)
            break;
    }

    L->x0 = L->y0 = 1e9;
    L->x1 = L->y1 = -1e9;
    for (int b = 0; b < L->nboxes; b++)
        grow(L, L->box[b].x, L->box[b].y, BOX_W / 2, BOX_H / 2);
    for (int k = 0; k < L->nedges; k++) {
        const LEdge *e = &L->edge[k];
        for (int s = 0; s <= 20; s++)
            grow(L, bez(e->p, s / 20.0, 0), bez(e->p, s / 20.0, 1), 2, 2);
        if (e->op >= 0)
            grow(L, e->lx, e->ly, e->lw / 2, e->lh / 2);
    }
}

static void set_box(LBox *b, int kind, char letter, const char *sub)
{
    b->kind = kind;
    b->letter = letter;
    snprintf(b->sub, sizeof b->sub, "%s", sub);
}

static void layout_cell(Layout *L, const Genotype *g, DiagramCell cell)
{
    const GenoEdge *ge = cell == DIAGRAM_REDUCE ? g->reduce : g->normal;
    const int *concat = cell == DIAGRAM_REDUCE ? g->reduce_concat : g->normal_concat;
    int nconcat = cell == DIAGRAM_REDUCE ? g->reduce_concat_count : g->normal_concat_count;
    memset(L, 0, sizeof *L);
    int n = g->nodes, out = n + 2;
    L->op_names = op_names;
    L->nboxes = n + 3;
    set_box(&L->box[0], BOX_INPUT, 'c', "k-2");
    set_box(&L->box[1], BOX_INPUT, 'c', "k-1");
    for (int i = 0; i < n; i++) {
        char num[8];
        snprintf(num, sizeof num, "%d", i);
        set_box(&L->box[2 + i], BOX_NODE, 0, num);
    }
    set_box(&L->box[out], BOX_OUTPUT, 'c', "k");
    /* Edges: cell edges, then output edges. */
    for (int i = 0; i < 2 * n; i++)
        L->edge[L->nedges++] = (LEdge){.from = ge[i].input, .to = 2 + i / 2, .op = ge[i].op};
    for (int i = 0; i < nconcat; i++)
        L->edge[L->nedges++] = (LEdge){.from = concat[i], .to = out, .op = EDGE_CONCAT};
    layout_place(L);
}

/* The recurrent cell as the official rnn/visualize.py draws it: x_t and
 * h_{t-1} into state 0 (unlabelled: the highway that makes s0), one
 * labelled edge into each node 1..8, the concat nodes into h_t. Boxes: 0 x_t,
 * 1 h_{t-1}, 2 + j state j, RNN_NODES + 3 h_t. */
static void layout_rnn_cell(Layout *L, const RnnGenotype *g)
{
    memset(L, 0, sizeof *L);
    int out = RNN_NODES + 3;
    L->op_names = rnn_op_names;
    L->nboxes = RNN_NODES + 4;
    set_box(&L->box[0], BOX_INPUT, 'x', "t");
    set_box(&L->box[1], BOX_INPUT, 'h', "t-1");
    for (int j = 0; j <= RNN_NODES; j++) {
        char num[8];
        snprintf(num, sizeof num, "%d", j);
        set_box(&L->box[2 + j], BOX_NODE, 0, num);
    }
    set_box(&L->box[out], BOX_OUTPUT, 'h', "t");
    L->edge[L->nedges++] = (LEdge){.from = 0, .to = 2, .op = EDGE_PLAIN};
    L->edge[L->nedges++] = (LEdge){.from = 1, .to = 2, .op = EDGE_PLAIN};
    for (int i = 0; i < RNN_NODES; i++)
        L->edge[L->nedges++] =
            (LEdge){.from = 2 + g->recurrent[i].input, .to = 3 + i, .op = g->recurrent[i].op};
    for (int i = 0; i < g->concat_count; i++)
        L->edge[L->nedges++] = (LEdge){.from = 2 + g->concat[i], .to = out, .op = EDGE_CONCAT};
    layout_place(L);
}

/* ------------------------------------------------------------------ SVG */

void diagram_svg_size(const Genotype *g, DiagramCell cell, const char *caption, double *w,
                      double *h)
{
    Layout L;
    layout_cell(&L, g, cell);
    *w = ceil(L.x1 - L.x0 + 2 * MARGIN);
    *h = ceil(L.y1 - L.y0 + 2 * MARGIN + (caption ? 26 : 0));
}

int diagram_write_svg(FILE *f, const Genotype *g, DiagramCell cell, const char *caption)
{
    return diagram_write_svg_canvas(f, g, cell, caption, 0, 0);
}

/* The picture of L; name is the cell's for the title ("normal"...). */
static int write_svg_layout(FILE *f, const Layout *Lp, const char *name, const char *caption,
                            double min_w, double min_h)
{
    const Layout L = *Lp;
    double cap_h = caption ? 26 : 0;
    double w = ceil(L.x1 - L.x0 + 2 * MARGIN), h = ceil(L.y1 - L.y0 + 2 * MARGIN + cap_h);
    /* a larger canvas centres the cell below the caption */
    double ox = MARGIN - L.x0 + (w < min_w ? (min_w - w) / 2 : 0);
    double oy = MARGIN + cap_h - L.y0 + (h < min_h ? (min_h - h) / 2 : 0);
    w = fmax(w, ceil(min_w));
    h = fmax(h, ceil(min_h));
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            "<title>DARTS %s cell</title>\n"
            "<defs>\n"
            "  <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
            "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,1 L9,5 L0,9 z\" fill=\"#" COLOR_EDGE
            "\"/></marker>\n"
            "  <marker id=\"arrow-concat\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,1 L9,5 L0,9 z\" "
            "fill=\"#" COLOR_CONCAT "\"/></marker>\n"
            "</defs>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            w, h, w, h, name);
    if (caption) {
        fputs("<text x=\"16\" y=\"24\" font-size=\"15\" fill=\"#" COLOR_STROKE "\">", f);
        for (const char *c = caption; *c; c++) { /* escape the XML specials */
            if (*c == '<')
                fputs("&lt;", f);
            else if (*c == '>')
                fputs("&gt;", f);
            else if (*c == '&')
                fputs("&amp;", f);
            else
                fputc(*c, f);
        }
        fputs("</text>\n", f);
    }
    fputs("<g fill=\"none\" stroke-width=\"1.6\">\n", f);
    for (int k = 0; k < L.nedges; k++) {
        const LEdge *e = &L.edge[k];
        fprintf(f,
                "  <path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" stroke=\"#%s\"%s "
                "marker-end=\"url(#%s)\"/>\n",
                e->p[0][0] + ox, e->p[0][1] + oy, e->p[1][0] + ox, e->p[1][1] + oy, e->p[2][0] + ox,
                e->p[2][1] + oy, e->p[3][0] + ox, e->p[3][1] + oy,
                e->op == EDGE_CONCAT ? COLOR_CONCAT : COLOR_EDGE,
                e->op == EDGE_CONCAT ? " stroke-dasharray=\"5,3\"" : "",
                e->op == EDGE_CONCAT ? "arrow-concat" : "arrow");
    }
    fputs("</g>\n<g font-size=\"12.5\" text-anchor=\"middle\" fill=\"#222222\">\n", f);
    for (int k = 0; k < L.nedges; k++) {
        const LEdge *e = &L.edge[k];
        if (e->op < 0)
            continue;
        fprintf(f,
                "  <rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" "
                "fill=\"#ffffff\" fill-opacity=\"0.9\"/>\n"
                "  <text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                e->lx + ox - e->lw / 2, e->ly + oy - e->lh / 2, e->lw, e->lh, e->lx + ox,
                e->ly + oy + FONT_OP * 0.35, L.op_names[e->op]);
    }
    fputs("</g>\n<g stroke=\"#" COLOR_STROKE "\" stroke-width=\"1.8\">\n", f);
    for (int b = 0; b < L.nboxes; b++) {
        const LBox *x = &L.box[b];
        const char *fill = x->kind == BOX_INPUT    ? COLOR_INPUT
                           : x->kind == BOX_OUTPUT ? COLOR_OUTPUT
                                                   : COLOR_NODE;
        fprintf(f,
                "  <rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"4\" "
                "fill=\"#%s\"/>\n",
                x->x + ox - BOX_W / 2, x->y + oy - BOX_H / 2, BOX_W, BOX_H, fill);
    }
    fprintf(f, "</g>\n<g font-size=\"%.0f\" text-anchor=\"middle\" fill=\"#111111\">\n", FONT_NODE);
    for (int b = 0; b < L.nboxes; b++) {
        const LBox *x = &L.box[b];
        const char *sub = x->sub;
        double ty = x->y + oy + FONT_NODE * 0.35;
        if (x->kind == BOX_NODE)
            fprintf(f, "  <text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x->x + ox, ty, sub);
        else /* a letter with a subscript, lowered by hand: baseline-shift is not universal */
            fprintf(f,
                    "  <text x=\"%.1f\" y=\"%.1f\" font-style=\"italic\">%c<tspan dy=\"4\" "
                    "font-size=\"11\" font-style=\"normal\">%s</tspan></text>\n",
                    x->x + ox - (x->kind == BOX_OUTPUT ? 0 : 2), ty - 2, x->letter, sub);
    }
    fputs("</g>\n</svg>\n", f);
    return ferror(f) ? -1 : 0;
}

int diagram_write_svg_canvas(FILE *f, const Genotype *g, DiagramCell cell, const char *caption,
                             double min_w, double min_h)
{
    Layout L;
    layout_cell(&L, g, cell);
    return write_svg_layout(f, &L, diagram_cell_names[cell], caption, min_w, min_h);
}

/* ----------------------------------------------------------------- TikZ */

/* 1 SVG pixel = CM centimetres; y flips (TikZ y points up). */
#define CM 0.026

static void tikz_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (strchr("_&%$#{}", *s))
            fprintf(f, "\\%c", *s);
        else
            fputc(*s, f);
    }
}

static int write_tikz_layout(FILE *f, const Layout *Lp, const char *name, int standalone)
{
    const Layout L = *Lp;
    /* The page is cropped to the picture by hand rather than with the
     * standalone class, which is not in Debian's texlive-latex-base. */
    if (standalone)
        fprintf(f,
                "%% DARTS %s cell, written by dartboard. Build: pdflatex FILE\n"
                "\\documentclass{article}\n"
                "\\usepackage{tikz}\n"
                "\\newsavebox{\\dartscell}\n"
                "\\begin{document}\n"
                "\\begin{lrbox}{\\dartscell}%%\n",
                name);
    else
        fprintf(f,
                "%% DARTS %s cell, written by dartboard. Use with \\usepackage{tikz} and\n"
                "%% \\input{FILE} inside a figure; scale with \\resizebox if needed.\n",
                name);
    fprintf(f,
            "\\begin{tikzpicture}[x=%gcm, y=-%gcm,\n"
            "  cellbox/.style={draw=black!80, line width=0.8pt, rounded corners=1.5pt,\n"
            "    minimum width=%.2fcm, minimum height=%.2fcm, inner sep=0pt, font=\\large},\n"
            "  input/.style={cellbox, fill=DartsInput},\n"
            "  node/.style={cellbox, fill=DartsNode},\n"
            "  output/.style={cellbox, fill=DartsOutput},\n"
            "  %% stealth is a core arrow tip: the fragment needs no library in the preamble\n"
            "  edge/.style={draw=black!70, line width=0.7pt, -stealth},\n"
            "  concat/.style={draw=black!40, line width=0.7pt, dashed, -stealth},\n"
            "  op/.style={font=\\small\\sffamily, fill=white, fill opacity=0.9,\n"
            "    text opacity=1, inner sep=1.2pt, rounded corners=1pt}]\n",
            CM, CM, BOX_W * CM, BOX_H * CM);
    fputs("\\definecolor{DartsInput}{HTML}{" COLOR_INPUT "}\n"
          "\\definecolor{DartsNode}{HTML}{" COLOR_NODE "}\n"
          "\\definecolor{DartsOutput}{HTML}{" COLOR_OUTPUT "}\n",
          f);
    for (int b = 0; b < L.nboxes; b++) {
        const LBox *x = &L.box[b];
        const char *sub = x->sub;
        const char *style = x->kind == BOX_INPUT    ? "input"
                            : x->kind == BOX_OUTPUT ? "output"
                                                    : "node";
        if (x->kind == BOX_NODE)
            fprintf(f, "\\node[%s] (b%d) at (%.1f,%.1f) {$%s$};\n", style, b, x->x, x->y, sub);
        else
            fprintf(f, "\\node[%s] (b%d) at (%.1f,%.1f) {$%c_{%s}$};\n", style, b, x->x, x->y,
                    x->letter, sub);
    }
    for (int k = 0; k < L.nedges; k++) {
        const LEdge *e = &L.edge[k];
        fprintf(f,
                "\\draw[%s] (%.1f,%.1f) .. controls (%.1f,%.1f) and (%.1f,%.1f) .. (%.1f,%.1f);\n",
                e->op == EDGE_CONCAT ? "concat" : "edge", e->p[0][0], e->p[0][1], e->p[1][0],
                e->p[1][1], e->p[2][0], e->p[2][1], e->p[3][0], e->p[3][1]);
    }
    for (int k = 0; k < L.nedges; k++) { /* labels last, above every line */
        const LEdge *e = &L.edge[k];
        if (e->op < 0)
            continue;
        fprintf(f, "\\node[op] at (%.1f,%.1f) {", e->lx, e->ly);
        tikz_escape(f, L.op_names[e->op]);
        fputs("};\n", f);
    }
    fputs("\\end{tikzpicture}\n", f);
    if (standalone)
        fputs("\\end{lrbox}%\n"
              "% one page: the picture and a 4pt border\n"
              "\\ifdefined\\pdfpagewidth\\else\\let\\pdfpagewidth\\pagewidth"
              "\\let\\pdfpageheight\\pageheight\\fi\n"
              "\\pdfpagewidth=\\dimexpr\\wd\\dartscell+8pt\\relax\n"
              "\\pdfpageheight=\\dimexpr\\ht\\dartscell+\\dp\\dartscell+8pt\\relax\n"
              "\\hoffset=-1in \\voffset=-1in\n"
              "\\shipout\\vbox{\\kern4pt\\hbox{\\kern4pt\\usebox{\\dartscell}}\\kern4pt}\n"
              "\\end{document}\n",
              f);
    return ferror(f) ? -1 : 0;
}

int diagram_write_tikz(FILE *f, const Genotype *g, DiagramCell cell, int standalone)
{
    Layout L;
    layout_cell(&L, g, cell);
    return write_tikz_layout(f, &L, diagram_cell_names[cell], standalone);
}

int diagram_write_rnn_svg(FILE *f, const RnnGenotype *g, const char *caption)
{
    Layout L;
    layout_rnn_cell(&L, g);
    return write_svg_layout(f, &L, "recurrent", caption, 0, 0);
}

int diagram_write_rnn_tikz(FILE *f, const RnnGenotype *g, int standalone)
{
    Layout L;
    layout_rnn_cell(&L, g);
    return write_tikz_layout(f, &L, "recurrent", standalone);
}
