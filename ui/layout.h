/* layout: where each panel goes, as a pure function of the terminal size.
 *
 * No curses here: layout_compute() maps (rows, cols, options) to rectangles,
 * so it is tested over every size from 1x1 to 300x200 without a terminal.
 * A rectangle with h == 0 or w == 0 is a panel not shown at this size.
 */
#ifndef DARTBOARD_UI_LAYOUT_H
#define DARTBOARD_UI_LAYOUT_H

#define LAYOUT_MIN_ROWS 24
#define LAYOUT_MIN_COLS 80

typedef struct Rect {
    int y, x, h, w;
} Rect;

/* What `tab` and 1-4 switch between. */
typedef enum Panel {
    PANEL_OVERVIEW, /* heatmaps, curves and cells, as many as fit */
    PANEL_CURVES,   /* loss and accuracy, full size */
    PANEL_CELLS,    /* the derived cells, full size */
    PANEL_LOG,      /* events and the live hyperparameters */
    PANEL_COUNT
} Panel;

typedef enum Area {
    AREA_STATUS,
    AREA_HEAT_NORMAL,
    AREA_HEAT_REDUCE,
    AREA_LOSS,
    AREA_ACC,
    AREA_CELL_NORMAL,
    AREA_CELL_REDUCE,
    AREA_LOG,
    AREA_MESSAGE,
    AREA_KEYBAR,
    AREA_COUNT
} Area;

typedef struct LayoutOptions {
    Panel panel;
    int edges;    /* heatmap rows (14 for DARTS's 4 nodes) */
    int nodes;    /* intermediate nodes of a cell (diagram height) */
    int training; /* dartboard train: no heatmaps; the cells take their place */
} LayoutOptions;

typedef struct Layout {
    int rows, cols;
    int too_small; /* below LAYOUT_MIN_ROWS x LAYOUT_MIN_COLS: every area is empty */
    Rect area[AREA_COUNT];
} Layout;

/* Widths a heatmap needs: row label + marks, then one column per op. */
#define HEAT_LABEL_W 12
#define HEAT_MIN_CELL_W 3
#define HEAT_MAX_CELL_W 6

void layout_compute(Layout *l, int rows, int cols, const LayoutOptions *o);
/* Height of a heatmap / a cell diagram with its title. */
int layout_heat_height(int edges);
int layout_cell_height(int nodes);
/* A dialog of (want_h, want_w) centred on the screen, shrunk to fit. */
Rect layout_dialog(int rows, int cols, int want_h, int want_w);
int rect_empty(Rect r);

#endif
