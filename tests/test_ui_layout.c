/* test_ui_layout: the layout is a pure function of the terminal size.
 *
 * For every size from 1x1 to 300x200 and every panel: no two areas overlap,
 * nothing lies off screen, below 80x24 the "too small" screen (no areas), and
 * from 80x24 up the status bar on top and the message and key bars at the
 * bottom span the width, and the panels each view promises are there and big
 * enough. Every area is shown at some size, so none of this holds vacuously.
 */
#include <stdio.h>
#include <string.h>

#include "tests/tap.h"
#include "ui/layout.h"

static int inside(Rect r, int rows, int cols)
{
    return r.y >= 0 && r.x >= 0 && r.y + r.h <= rows && r.x + r.w <= cols;
}

static int overlap(Rect a, Rect b)
{
    return a.y < b.y + b.h && b.y < a.y + a.h && a.x < b.x + b.w && b.x < a.x + a.w;
}

static int visible(const Layout *l, Area a)
{
    return !rect_empty(l->area[a]);
}

/* The bars around the panels: status (two rows) on top, message and keys on
 * the last two rows, all as wide as the screen. */
static int frame_right(const Layout *l, int rows, int cols)
{
    Rect s = l->area[AREA_STATUS], m = l->area[AREA_MESSAGE], k = l->area[AREA_KEYBAR];
    return l->rows == rows && l->cols == cols && s.y == 0 && s.x == 0 && s.h == 2 && s.w == cols &&
           m.y == rows - 2 && m.x == 0 && m.h == 1 && m.w == cols && k.y == rows - 1 && k.x == 0 &&
           k.h == 1 && k.w == cols;
}

int main(void)
{
    static const int shapes[][2] = {{4, 14}, {8, 44}, {1, 2}}; /* nodes, edges */
    long checked = 0, bad_offscreen = 0, bad_overlap = 0, bad_small = 0, bad_missing = 0;
    long bad_frame = 0, shown[AREA_COUNT] = {0};
    char first_bad[160] = "";
    /* shapes[3]: a training run (no heatmaps, the cells on top) */
    for (int s = 0; s < 4; s++)
        for (int p = 0; p < PANEL_COUNT; p++)
            for (int rows = 1; rows <= 200; rows++)
                for (int cols = 1; cols <= 300; cols++) {
                    LayoutOptions o = {(Panel)p, shapes[s % 3][1], shapes[s % 3][0], s == 3};
                    Layout l;
                    layout_compute(&l, rows, cols, &o);
                    checked++;
                    int small = rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS;
                    if (small != l.too_small) {
                        bad_small++;
                        continue;
                    }
                    for (int a = 0; a < AREA_COUNT; a++) {
                        Rect r = l.area[a];
                        if (rect_empty(r))
                            continue;
                        shown[a]++;
                        if (small || !inside(r, rows, cols)) {
                            if (!bad_offscreen++)
                                snprintf(first_bad, sizeof first_bad,
                                         "area %d at %dx%d panel %d: (%d,%d %dx%d)", a, cols, rows,
                                         p, r.y, r.x, r.h, r.w);
                        }
                        for (int b = a + 1; b < AREA_COUNT; b++)
                            if (!rect_empty(l.area[b]) && overlap(r, l.area[b])) {
                                if (!bad_overlap++)
                                    snprintf(first_bad, sizeof first_bad,
                                             "areas %d and %d overlap at %dx%d panel %d", a, b,
                                             cols, rows, p);
                            }
                    }
                    if (small)
                        continue;
                    if (!frame_right(&l, rows, cols) && !bad_frame++)
                        snprintf(first_bad, sizeof first_bad, "bars misplaced at %dx%d panel %d",
                                 cols, rows, p);
                    /* What each view promises from the minimum size up. */
                    int ok_here = visible(&l, AREA_STATUS) && visible(&l, AREA_MESSAGE) &&
                                  visible(&l, AREA_KEYBAR) && l.area[AREA_STATUS].h == 2;
                    switch (p) {
                    case PANEL_OVERVIEW:
                        if (s == 3) { /* training: both cells whole, both curves */
                            ok_here = ok_here && visible(&l, AREA_CELL_NORMAL) &&
                                      visible(&l, AREA_CELL_REDUCE) &&
                                      l.area[AREA_CELL_NORMAL].h >= layout_cell_height(4) &&
                                      l.area[AREA_CELL_NORMAL].w >= 24 && visible(&l, AREA_LOSS) &&
                                      visible(&l, AREA_ACC) && l.area[AREA_LOSS].h >= 4 &&
                                      rect_empty(l.area[AREA_HEAT_NORMAL]);
                            break;
                        }
                        ok_here =
                            ok_here && visible(&l, AREA_HEAT_NORMAL) &&
                            visible(&l, AREA_HEAT_REDUCE) &&
                            l.area[AREA_HEAT_NORMAL].w >= HEAT_LABEL_W + 8 * HEAT_MIN_CELL_W &&
                            l.area[AREA_HEAT_REDUCE].w >= HEAT_LABEL_W + 8 * HEAT_MIN_CELL_W;
                        /* DARTS's 14 edges, whole, with the curves beside or below them. */
                        if (shapes[s % 3][0] == 4)
                            ok_here = ok_here &&
                                      l.area[AREA_HEAT_NORMAL].h == layout_heat_height(14) &&
                                      visible(&l, AREA_LOSS) && visible(&l, AREA_ACC) &&
                                      l.area[AREA_LOSS].h >= 4;
                        break;
                    case PANEL_CURVES:
                        ok_here = ok_here && l.area[AREA_LOSS].h >= 10 && l.area[AREA_ACC].h >= 10;
                        break;
                    case PANEL_CELLS:
                        ok_here = ok_here && visible(&l, AREA_CELL_NORMAL) &&
                                  visible(&l, AREA_CELL_REDUCE) &&
                                  (shapes[s % 3][0] != 4 ||
                                   l.area[AREA_CELL_NORMAL].h >= layout_cell_height(4));
                        break;
                    default:
                        ok_here = ok_here && l.area[AREA_LOG].h >= 10;
                        break;
                    }
                    if (!ok_here && !bad_missing++)
                        snprintf(first_bad, sizeof first_bad, "panel %d missing at %dx%d shape %d",
                                 p, cols, rows, s);
                }
    if (first_bad[0])
        diag("first problem: %s", first_bad);
    int never = -1;
    for (int a = 0; a < AREA_COUNT; a++)
        if (shown[a] == 0)
            never = a;
    if (never >= 0)
        diag("area %d is empty at every size", never);
    ok(never < 0, "every area is shown at some size (%ld layouts checked)", checked);
    ok(bad_frame == 0, "status, message and key bars in place and full width (%ld sizes wrong)",
       bad_frame);
    ok(bad_small == 0, "too_small exactly below %dx%d (%ld wrong)", LAYOUT_MIN_COLS,
       LAYOUT_MIN_ROWS, bad_small);
    ok(bad_offscreen == 0, "nothing off screen (%ld areas outside)", bad_offscreen);
    ok(bad_overlap == 0, "no two areas overlap (%ld pairs)", bad_overlap);
    ok(bad_missing == 0, "every view shows its panels from 80x24 up (%ld sizes short)",
       bad_missing);

    /* Pure: the same input gives the same output. */
    LayoutOptions o = {PANEL_OVERVIEW, 14, 4, 0};
    Layout a, b;
    layout_compute(&a, 24, 80, &o);
    layout_compute(&b, 24, 80, &o);
    ok(memcmp(&a, &b, sizeof a) == 0, "layout is deterministic");
    /* 160x48 shows every overview panel at once. */
    layout_compute(&a, 48, 160, &o);
    int all = 1;
    for (int k = AREA_STATUS; k < AREA_COUNT; k++)
        all = all && visible(&a, (Area)k);
    ok(all, "160x48 overview shows every panel");
    Rect d = layout_dialog(10, 20, 30, 64);
    ok(d.h == 10 && d.w == 20 && d.y == 0 && d.x == 0, "a dialog shrinks to the screen");
    d = layout_dialog(24, 80, 10, 40);
    ok(d.y == 7 && d.x == 20, "a dialog is centred");
    return tap_done();
}
