/* layout: panel rectangles from the terminal size (see layout.h). */
#include "ui/layout.h"

#include <string.h>

#define HEAT_OPS 8     /* op columns of a heatmap (OP_COUNT; no dependency on genotype.h) */
#define RIGHT_MIN_W 40 /* a column of curves beside the heatmaps needs this much */
#define CELL_MIN_W 24

int rect_empty(Rect r)
{
    return r.h <= 0 || r.w <= 0;
}

static Rect rect(int y, int x, int h, int w)
{
    Rect r = {0, 0, 0, 0};
    if (h > 0 && w > 0) {
        r.y = y;
        r.x = x;
        r.h = h;
        r.w = w;
    }
    return r;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

int layout_heat_height(int edges)
{
    return edges + 1; /* header row (cell name + op labels), then one row per edge */
}

int layout_cell_height(int nodes)
{
    return 2 * nodes + 2; /* title, two input lines per node, the output line */
}

Rect layout_dialog(int rows, int cols, int want_h, int want_w)
{
    int h = min_int(want_h, rows);
    int w = min_int(want_w, cols);
    return rect((rows - h) / 2, (cols - w) / 2, h, w);
}

/* Two rectangles side by side in (y, x, h, w) with one blank column between. */
static void split_columns(Rect *left, Rect *right, int y, int x, int h, int w)
{
    int lw = (w - 1) / 2;
    *left = rect(y, x, h, lw);
    *right = rect(y, x + lw + 1, h, w - lw - 1);
}

/* Width of each of two heatmaps sharing `avail` columns: whole op cells, so
 * both get the same cell width. */
static int heat_width(int avail)
{
    int cw = ((avail - 1) / 2 - HEAT_LABEL_W) / HEAT_OPS;
    cw = max_int(HEAT_MIN_CELL_W, min_int(HEAT_MAX_CELL_W, cw));
    return HEAT_LABEL_W + HEAT_OPS * cw;
}

/* A training run has no alphas: the two cells on top, the curves under
 * them (or beside them on wide screens). */
static void layout_training(Layout *l, int by, int bh, const LayoutOptions *o)
{
    int cols = l->cols;
    int cell_h = min_int(layout_cell_height(o->nodes), bh / 2);
    if (cols >= 2 * CELL_MIN_W + 2 + RIGHT_MIN_W) {
        int left_w = max_int(2 * CELL_MIN_W + 1, cols * 45 / 100);
        int rx = left_w + 1, rw = cols - rx;
        split_columns(&l->area[AREA_CELL_NORMAL], &l->area[AREA_CELL_REDUCE], by, 0, cell_h,
                      left_w);
        l->area[AREA_LOG] = rect(by + cell_h + 1, 0, bh - cell_h - 1, left_w);
        int ch = bh / 2;
        l->area[AREA_LOSS] = rect(by, rx, ch, rw);
        l->area[AREA_ACC] = rect(by + ch, rx, bh - ch, rw);
        return;
    }
    split_columns(&l->area[AREA_CELL_NORMAL], &l->area[AREA_CELL_REDUCE], by, 0, cell_h, cols);
    split_columns(&l->area[AREA_LOSS], &l->area[AREA_ACC], by + cell_h, 0, bh - cell_h, cols);
}

static void layout_overview(Layout *l, int by, int bh, const LayoutOptions *o)
{
    if (o->training) {
        layout_training(l, by, bh, o);
        return;
    }
    int cols = l->cols;
    int heat_h = min_int(layout_heat_height(o->edges), bh);
    int heat_min_w = HEAT_LABEL_W + HEAT_OPS * HEAT_MIN_CELL_W;
    int below = bh - heat_h;
    int y = by + heat_h;

    if (cols >= 2 * heat_min_w + 2 + RIGHT_MIN_W) {
        /* Wide: heatmaps (and the cells under them) on the left, curves on the right. */
        int left_w = 2 * heat_width(cols * 55 / 100) + 1;
        int rx = left_w + 1, rw = cols - rx;
        split_columns(&l->area[AREA_HEAT_NORMAL], &l->area[AREA_HEAT_REDUCE], by, 0, heat_h,
                      left_w);
        if (below >= 4)
            split_columns(&l->area[AREA_CELL_NORMAL], &l->area[AREA_CELL_REDUCE], y, 0, below,
                          left_w);
        if (bh >= 30) {
            int ch = bh * 3 / 8;
            l->area[AREA_LOSS] = rect(by, rx, ch, rw);
            l->area[AREA_ACC] = rect(by + ch, rx, ch, rw);
            l->area[AREA_LOG] = rect(by + 2 * ch, rx, bh - 2 * ch, rw);
        } else {
            int ch = bh / 2;
            l->area[AREA_LOSS] = rect(by, rx, ch, rw);
            l->area[AREA_ACC] = rect(by + ch, rx, bh - ch, rw);
        }
        return;
    }
    /* Narrow: heatmaps side by side, then curves side by side, then cells if they fit. */
    split_columns(&l->area[AREA_HEAT_NORMAL], &l->area[AREA_HEAT_REDUCE], by, 0, heat_h,
                  2 * heat_width(cols) + 1);
    if (below >= 3) {
        int cell_h = layout_cell_height(o->nodes);
        int curves_h = below >= 6 + cell_h ? below - cell_h : below;
        split_columns(&l->area[AREA_LOSS], &l->area[AREA_ACC], y, 0, curves_h, cols);
        if (curves_h < below)
            split_columns(&l->area[AREA_CELL_NORMAL], &l->area[AREA_CELL_REDUCE], y + curves_h, 0,
                          below - curves_h, cols);
    }
}

void layout_compute(Layout *l, int rows, int cols, const LayoutOptions *o)
{
    memset(l, 0, sizeof *l);
    l->rows = rows;
    l->cols = cols;
    if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
        l->too_small = 1;
        return;
    }
    l->area[AREA_STATUS] = rect(0, 0, 2, cols);
    l->area[AREA_MESSAGE] = rect(rows - 2, 0, 1, cols);
    l->area[AREA_KEYBAR] = rect(rows - 1, 0, 1, cols);
    int by = 2, bh = rows - 4;
    switch (o->panel) {
    case PANEL_CURVES: {
        int ch = bh / 2;
        l->area[AREA_LOSS] = rect(by, 0, ch, cols);
        l->area[AREA_ACC] = rect(by + ch, 0, bh - ch, cols);
        break;
    }
    case PANEL_CELLS:
        if (cols >= 2 * CELL_MIN_W + 1) {
            split_columns(&l->area[AREA_CELL_NORMAL], &l->area[AREA_CELL_REDUCE], by, 0, bh, cols);
        } else {
            int ch = bh / 2;
            l->area[AREA_CELL_NORMAL] = rect(by, 0, ch, cols);
            l->area[AREA_CELL_REDUCE] = rect(by + ch, 0, bh - ch, cols);
        }
        break;
    case PANEL_LOG:
        l->area[AREA_LOG] = rect(by, 0, bh, cols);
        break;
    default:
        layout_overview(l, by, bh, o);
        break;
    }
}
