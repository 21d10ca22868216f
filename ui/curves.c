/* curves: loss and accuracy plots (see curves.h). */
#include "ui/curves.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define AXIS_W 7        /* "  2.301" y labels plus the axis column */
#define MAX_DOTS_W 1024 /* plot width in dots we rasterise at most */
#define MAX_DOTS_H 512

static double series_value(const MetricRow *m, CurveKind kind, int val)
{
    if (kind == CURVE_LOSS)
        return val ? m->val_loss : m->train_loss;
    if (kind == CURVE_LAMBDA)
        return val ? NAN : m->train_loss;
    return val ? m->val_acc : m->train_acc; /* percent, or CURVE_PPL's perplexity */
}

/* Point i of series val (0 train, 1 val): a row's, then (train only) the
 * tail's; 0 past the end. A value that is not finite breaks the line. */
static int curve_point(const Curve *c, CurveKind kind, int val, int i, double *x, double *y)
{
    if (i < c->n) {
        *x = (double)c->rows[i].step;
        *y = series_value(&c->rows[i], kind, val);
        return 1;
    }
    i -= c->n;
    if (val || i >= c->n_tail || kind == CURVE_LAMBDA)
        return 0;
    const TrainProgress *g = c->tail[i];
    double part = g->epoch_done >= 0.0f && g->epoch_done < 1.0f ? g->epoch_done : 0.0;
    *x = g->epoch + part;
    *y = kind == CURVE_LOSS ? g->train_loss : g->train_acc;
    return 1;
}

/* The x range of the curve's points: first and last (the tail is last). */
static int curve_x_range(const Curve *c, CurveKind kind, double *x0, double *x1)
{
    double y;
    int last = c->n + (kind == CURVE_LAMBDA ? 0 : c->n_tail) - 1;
    if (last < 0)
        return 0;
    curve_point(c, kind, 0, 0, x0, &y);
    curve_point(c, kind, 0, last, x1, &y);
    return 1;
}

void curves_range(const Curve *c, CurveKind kind, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY, x, y;
    for (int v = 0; v < 2; v++)
        for (int i = 0; curve_point(c, kind, v, i, &x, &y); i++)
            if (isfinite(y)) {
                a = y < a ? y : a;
                b = y > b ? y : b;
            }
    if (!(a <= b)) {
        a = 0.0;
        b = kind == CURVE_ACC ? 100.0 : 1.0;
    }
    double pad = (b - a) * 0.05;
    if (pad < 1e-6)
        pad = fabs(a) * 0.05 + 0.01;
    a -= pad;
    b += pad;
    if (kind != CURVE_ACC && a < 0.0)
        a = 0.0;
    if (kind == CURVE_ACC) {
        a = a < 0.0 ? 0.0 : a;
        b = b > 100.0 ? 100.0 : b;
    }
    *lo = a;
    *hi = b;
}

void curves_monitor_rows(const MonitorRow *m, int n, MetricRow *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (MetricRow){
            .step = m[i].step, .train_loss = m[i].lambda_max, .val_loss = m[i].lambda_change};
}

/* One series rasterised on a dot grid (dw x dh), lines between points. */
typedef struct Raster {
    int dw, dh;
    uint8_t dots[MAX_DOTS_H][MAX_DOTS_W / 8];
} Raster;

static void raster_set(Raster *ras, int x, int y)
{
    if (x >= 0 && x < ras->dw && y >= 0 && y < ras->dh)
        ras->dots[y][x >> 3] |= (uint8_t)(1u << (x & 7));
}

static int raster_get(const Raster *ras, int x, int y)
{
    return (ras->dots[y][x >> 3] >> (x & 7)) & 1;
}

static void raster_line(Raster *ras, int x0, int y0, int x1, int y1, int dashed)
{
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, dy = y1 > y0 ? y1 - y0 : y0 - y1;
    int steps = dx > dy ? dx : dy;
    for (int i = 0; i <= steps; i++) {
        int x = steps ? x0 + (x1 - x0) * i / steps : x0;
        int y = steps ? y0 + (y1 - y0) * i / steps : y0;
        if (!dashed || ((x >> 1) & 1) == 0)
            raster_set(ras, x, y);
    }
}

static void raster_series(Raster *ras, const Curve *c, CurveKind kind, int val, double x0,
                          double x1, double lo, double hi, int dashed)
{
    int px = 0, py = 0, have = 0;
    double xv, y;
    for (int i = 0; curve_point(c, kind, val, i, &xv, &y); i++) {
        if (!isfinite(y)) {
            have = 0;
            continue;
        }
        int x = x1 > x0 ? (int)((xv - x0) * (ras->dw - 1) / (x1 - x0) + 0.5) : 0;
        double t = (y - lo) / (hi - lo);
        int yy = (int)((1.0 - t) * (ras->dh - 1) + 0.5);
        yy = yy < 0 ? 0 : yy >= ras->dh ? ras->dh - 1 : yy;
        if (have)
            raster_line(ras, px, py, x, yy, dashed);
        else
            raster_set(ras, x, yy);
        px = x;
        py = yy;
        have = 1;
    }
}

static void format_y(char *buf, size_t len, double v, CurveKind kind)
{
    if (kind == CURVE_ACC)
        snprintf(buf, len, "%5.1f%%", v);
    else if (kind == CURVE_PPL) /* six columns: whole numbers, powers of ten beyond */
        snprintf(buf, len, v < 999999.5 ? "%6.0f" : "%6.0e", v);
    else
        snprintf(buf, len, "%6.3g", v);
}

void curves_format_value(char *buf, size_t len, double y, CurveKind kind)
{
    const double a = fabs(y);
    if (kind == CURVE_ACC)
        snprintf(buf, len, "%.1f%%", y);
    else if (y != 0.0 && (a < 0.01 || a >= 1e5))
        snprintf(buf, len, "%.2g", y); /* 5.7e-05: the loss of an overfit run */
    else if (a >= 1000.0)
        snprintf(buf, len, "%.0f", y); /* a perplexity early on */
    else
        snprintf(buf, len, "%.4g", y);
}

static void draw_legend(WINDOW *w, Rect r, const Style *st, CurveKind kind, const MetricRow *rows,
                        int n, int run)
{
    static const char *const titles[CURVE_KIND_COUNT] = {"loss", "accuracy", "perplexity",
                                                         "lambda_max"};
    static const char *const second[4] = {"val", "test", "valid", "valid"};
    int x = draw_text(w, r, r.y, r.x, titles[kind], colors_attr(ROLE_TITLE));
    const MetricRow *last = n ? &rows[n - 1] : NULL;
    if (kind == CURVE_LAMBDA) { /* one series: the newest value and its convergence */
        x = draw_text(w, r, r.y, x + 2, st->g->train_mark, colors_attr(ROLE_TRAIN));
        x = draw_text(w, r, r.y, x, st->g->train_mark, colors_attr(ROLE_TRAIN));
        if (last)
            draw_textf(w, r, r.y, x + 1, colors_attr(ROLE_LABEL), "%.4g  step %lld  change %.1g",
                       (double)last->train_loss, (long long)last->step, (double)last->val_loss);
        return;
    }
    for (int v = 0; v < 2; v++) {
        const char *mark = v ? st->g->val_mark : st->g->train_mark;
        x = draw_text(w, r, r.y, x + 2, mark, colors_attr(v ? ROLE_VAL : ROLE_TRAIN));
        x = draw_text(w, r, r.y, x, mark, colors_attr(v ? ROLE_VAL : ROLE_TRAIN));
        x = draw_text(w, r, r.y, x + 1, v ? second[run] : "train", colors_attr(ROLE_LABEL));
        if (last) {
            char num[32];
            curves_format_value(num, sizeof num, series_value(last, kind, v), kind);
            x = draw_text(w, r, r.y, x + 1, num, colors_attr(v ? ROLE_VAL : ROLE_TRAIN));
        }
    }
}

/* An x-axis label: whole epochs or steps as integers, a point inside an
 * epoch to a tenth. */
static void format_x(char *buf, size_t len, const char *word, double x)
{
    const char *sep = word[0] ? " " : "";
    if (x == floor(x))
        snprintf(buf, len, "%s%s%.0f", word, sep, x);
    else
        snprintf(buf, len, "%s%s%.1f", word, sep, floor(x * 10.0) / 10.0);
}

void curves_draw(WINDOW *w, Rect r, const Style *st, CurveKind kind, const Curve *c, int run)
{
    static Raster ras[2];
    const int training = run == CURVES_TRAINING || run == CURVES_RECURRENT_TRAINING;
    if (rect_empty(r))
        return;
    draw_legend(w, r, st, kind, c->rows, c->n, run);
    int x_axis = r.h >= 6;
    int ph = r.h - 1 - x_axis, pw = r.w - AXIS_W;
    if (ph < 1 || pw < 2)
        return;
    Rect plot = {r.y + 1, r.x + AXIS_W, ph, pw};
    double lo, hi, x0, x1;
    const int points = curve_x_range(c, kind, &x0, &x1);
    curves_range(c, kind, &lo, &hi);
    char lab[32];
    format_y(lab, sizeof lab, hi, kind);
    draw_text(w, r, plot.y, r.x, lab, colors_attr(ROLE_LABEL));
    if (ph >= 2) {
        format_y(lab, sizeof lab, lo, kind);
        draw_text(w, r, plot.y + ph - 1, r.x, lab, colors_attr(ROLE_LABEL));
    }
    for (int y = plot.y; y < plot.y + ph; y++)
        draw_text(w, r, y, plot.x - 1, st->g->vline, colors_attr(ROLE_AXIS));
    if (x_axis) {
        int y = plot.y + ph;
        draw_text(w, r, y, plot.x - 1, st->g->bl, colors_attr(ROLE_AXIS));
        draw_repeat(w, r, y, plot.x, st->g->hline, pw, colors_attr(ROLE_AXIS));
        if (points) {
            char a[32], b[40];
            format_x(a, sizeof a, "", x0);
            format_x(b, sizeof b, training ? "epoch" : "step", x1);
            draw_text(w, r, y, plot.x, a, colors_attr(ROLE_LABEL));
            draw_text(w, r, y, plot.x + pw - glyphs_width(b), b, colors_attr(ROLE_LABEL));
        }
    }
    if (!points) {
        draw_text(w, plot, plot.y + ph / 2, plot.x + 1,
                  kind == CURVE_LAMBDA ? "waiting for the first monitor row"
                  : training           ? "waiting for the first epoch"
                                       : "waiting for the first report",
                  colors_attr(ROLE_LABEL));
        return;
    }
    int braille = st->g->utf8;
    int sx = braille ? 2 : 1, sy = braille ? 4 : 1;
    int dw = pw * sx, dh = ph * sy;
    dw = dw > MAX_DOTS_W ? MAX_DOTS_W : dw;
    dh = dh > MAX_DOTS_H ? MAX_DOTS_H : dh;
    for (int v = 0; v < 2; v++) {
        memset(&ras[v], 0, sizeof ras[v]);
        ras[v].dw = dw;
        ras[v].dh = dh;
        /* In monochrome the val line is dashed so the two can be told apart. */
        raster_series(&ras[v], c, kind, v, x0, x1, lo, hi,
                      v && braille && st->mode == COLOR_MODE_MONO);
    }
    for (int cy = 0; cy < dh / sy; cy++)
        for (int cx = 0; cx < dw / sx; cx++) {
            unsigned bits[2] = {0, 0};
            for (int v = 0; v < 2; v++)
                for (int dy = 0; dy < sy; dy++)
                    for (int dx = 0; dx < sx; dx++)
                        if (raster_get(&ras[v], cx * sx + dx, cy * sy + dy))
                            bits[v] |= braille ? glyphs_braille_bit(dx, dy) : 1u;
            if (!bits[0] && !bits[1])
                continue;
            /* Val is drawn over train: the colour of a shared cell is val's. */
            attr_t a = colors_attr(bits[1] ? ROLE_VAL : ROLE_TRAIN);
            if (braille) {
                char cell[4];
                glyphs_braille(cell, bits[0] | bits[1]);
                draw_text(w, plot, plot.y + cy, plot.x + cx, cell, a);
            } else {
                const char *mark = bits[0] && bits[1] ? st->g->both_mark
                                   : bits[1]          ? st->g->val_mark
                                                      : st->g->train_mark;
                draw_text(w, plot, plot.y + cy, plot.x + cx, mark, a);
            }
        }
}
