/* screen: one frame (see screen.h). */
#include "ui/screen.h"

#include <stdio.h>
#include <string.h>

#include "ui/cellview.h"
#include "ui/curves.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/statusbar.h"

static void draw_too_small(WINDOW *w, int rows, int cols)
{
    Rect all = {0, 0, rows, cols};
    char line[128];
    snprintf(line, sizeof line, "terminal too small: %dx%d, need %dx%d", cols, rows,
             LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
    int x = (cols - (int)strlen(line)) / 2;
    draw_text(w, all, rows / 2, x < 0 ? 0 : x, line, A_BOLD);
    if (rows > 2) {
        const char *hint = "enlarge the window, or q to quit";
        x = (cols - (int)strlen(hint)) / 2;
        draw_text(w, all, rows / 2 + 1, x < 0 ? 0 : x, hint, A_NORMAL);
    }
}

/* The events, newest at the bottom, and the live hyperparameters: beside
 * them on wide screens, under them on narrow ones. */
static void draw_log(WINDOW *w, Rect r, const Snapshot *s, const UiView *v)
{
    if (rect_empty(r))
        return;
    draw_text(w, r, r.y, r.x, "events", colors_attr(ROLE_TITLE));
    draw_textf(w, r, r.y, r.x + 8, colors_attr(ROLE_LABEL), "run %s", s->run_dir);
    int count, n_live = 0, recurrent = config_is_recurrent(&s->config);
    const ConfigKey *keys = config_keys(&count);
    for (int i = 0; i < count; i++)
        n_live += keys[i].live && config_key_applies(&keys[i], s->training, recurrent);
    Rect events = {r.y + 1, r.x, r.h - 1, r.w};
    Rect params = {0, 0, 0, 0};
    if (r.w >= 100) {
        events.w = r.w - 40;
        params = (Rect){r.y + 1, r.x + r.w - 38, r.h - 1, 38};
    } else if (r.h - 1 >= n_live + 1 + 4) {
        events.h = r.h - 1 - (n_live + 2);
        params = (Rect){events.y + events.h + 1, r.x, n_live + 1, r.w};
    }
    for (int i = 0; i < events.h; i++) {
        int err = 0;
        const char *line = view_log_line(v, i, &err);
        if (!line)
            break;
        draw_text(w, events, events.y + events.h - 1 - i, events.x, line,
                  colors_attr(err ? ROLE_ERROR : ROLE_MESSAGE));
    }
    if (rect_empty(params))
        return;
    int y = params.y;
    draw_text(w, params, y++, params.x, "live hyperparameters", colors_attr(ROLE_TITLE));
    for (int i = 0; i < count; i++) {
        char val[64];
        if (!keys[i].live || !config_key_applies(&keys[i], s->training, recurrent) ||
            config_get(&s->config, keys[i].name, val, sizeof val) != 0)
            continue;
        draw_textf(w, params, y++, params.x, A_NORMAL, "%-20s %s", keys[i].name, val);
    }
}

static void draw_plot_text(WINDOW *w, int rows, int cols, const Style *st, const char *text)
{
    int lines = 1, width = 0, cur = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            lines++;
            cur = 0;
        } else if (++cur > width) {
            width = cur;
        }
    }
    Rect r = layout_dialog(rows, cols, lines + 2, width + 4);
    if (rect_empty(r))
        return;
    attr_t a = colors_attr(ROLE_DIALOG);
    draw_fill(w, r, a);
    draw_frame(w, r, st, "gnuplot (any key closes)", a);
    Rect in = draw_inner(r);
    const char *p = text;
    for (int y = in.y; y < in.y + in.h && *p; y++) {
        char line[512];
        size_t n = strcspn(p, "\n");
        size_t m = n < sizeof line - 1 ? n : sizeof line - 1;
        memcpy(line, p, m);
        line[m] = 0;
        draw_text(w, in, y, in.x + 1, line, a);
        p += n + (p[n] == '\n');
    }
}

/* A failed search: its whole message, wrapped, since the message line cuts it. */
static void draw_error(WINDOW *w, int rows, int cols, const Style *st, const char *msg)
{
    int width = cols - 8 < 20 ? 20 : cols - 8 > 76 ? 76 : cols - 8;
    char lines[8][96];
    int n = 0;
    const char *p = msg;
    while (*p && n < 8) {
        int len = (int)strlen(p);
        int take = len <= width ? len : width;
        if (take < len) {
            int cut = take;
            while (cut > width / 2 && p[cut] != ' ')
                cut--;
            if (p[cut] == ' ')
                take = cut;
        }
        snprintf(lines[n++], sizeof lines[0], "%.*s", take, p);
        p += take;
        while (*p == ' ')
            p++;
    }
    Rect r = layout_dialog(rows, cols, n + 4, width + 4);
    if (rect_empty(r))
        return;
    attr_t a = colors_attr(ROLE_DIALOG);
    draw_fill(w, r, a);
    draw_frame(w, r, st, "the run failed", a);
    for (int i = 0; i < n; i++)
        draw_text(w, r, r.y + 1 + i, r.x + 2, lines[i], colors_attr(ROLE_DIALOG_ERROR));
    draw_text(w, r, r.y + r.h - 2, r.x + 2, "q quits (exit status 1)", a);
}

void screen_draw_notice(WINDOW *w, int rows, int cols, const Style *st, const char *title,
                        const char *text)
{
    Rect r = layout_dialog(rows, cols, 3, glyphs_width(text) + 6);
    if (rect_empty(r))
        return;
    attr_t a = colors_attr(ROLE_DIALOG);
    draw_fill(w, r, a);
    draw_frame(w, r, st, title, a);
    draw_text(w, r, r.y + r.h / 2, r.x + 3, text, a | A_BOLD);
}

/* Rows per heatmap half of the recurrent cell (edges 0-17 and 18-35 side by
 * side): all 18 from 29 terminal rows on; on shorter terminals what leaves
 * the curves under them 6 rows, each half ending in "... N more" (the
 * cells panel, tab, keeps the derived cell whole). */
static int rnn_heat_rows(int rows)
{
    const int body = rows - 4, want = RNN_EDGES / 2;
    return body - 7 >= want ? want : body - 7 < 4 ? 4 : body - 7;
}

static void draw_recurrent(WINDOW *w, const Layout *l, const Style *st, const Snapshot *s,
                           const UiView *v, const Curve *curve)
{
    const int half = RNN_EDGES / 2;
    const float(*a)[RNN_OP_COUNT] = (const float(*)[RNN_OP_COUNT])s->alpha_rnn;
    heatmap_draw_recurrent(w, l->area[AREA_HEAT_NORMAL], st, "recurrent", a, 0, half,
                           &s->rnn_genotype, v->show_numbers);
    heatmap_draw_recurrent(w, l->area[AREA_HEAT_REDUCE], st, "(cont.)", a, half, RNN_EDGES - half,
                           &s->rnn_genotype, v->show_numbers);
    curves_draw(w, l->area[AREA_LOSS], st, CURVE_LOSS, curve, CURVES_RECURRENT);
    curves_draw(w, l->area[AREA_ACC], st, CURVE_PPL, curve, CURVES_RECURRENT);
    cellview_draw_recurrent(w, l->area[AREA_CELL_NORMAL], st, "recurrent cell", &s->rnn_genotype,
                            &s->rnn_prev_genotype);
}

/* A recurrent cell trained from scratch: the cell across both cell areas,
 * the curves per epoch. */
static void draw_recurrent_training(WINDOW *w, const Layout *l, const Style *st, const Snapshot *s,
                                    const Curve *curve)
{
    Rect cell = l->area[AREA_CELL_NORMAL];
    const Rect right = l->area[AREA_CELL_REDUCE];
    if (!rect_empty(right) && right.y == cell.y && right.h == cell.h)
        cell.w = right.x + right.w - cell.x;
    curves_draw(w, l->area[AREA_LOSS], st, CURVE_LOSS, curve, CURVES_RECURRENT_TRAINING);
    curves_draw(w, l->area[AREA_ACC], st, CURVE_PPL, curve, CURVES_RECURRENT_TRAINING);
    cellview_draw_recurrent(w, cell, st, "recurrent cell", &s->rnn_genotype, &s->rnn_genotype);
}

/* The CNN search's (or training run's) two cells. */
static void draw_cnn(WINDOW *w, const Layout *lp, const Style *st, const Snapshot *s,
                     const UiView *v, const Curve *curve, int edges, int nodes)
{
    const Layout l = *lp;
    const Genotype *g = &s->genotype, *pg = &s->prev_genotype;
    int gn = g->nodes < nodes ? g->nodes : nodes;
    heatmap_draw(w, l.area[AREA_HEAT_NORMAL], st, "normal",
                 (const float(*)[OP_COUNT])s->alpha_normal, edges, g->normal, gn, v->show_numbers);
    heatmap_draw(w, l.area[AREA_HEAT_REDUCE], st, "reduce",
                 (const float(*)[OP_COUNT])s->alpha_reduce, edges, g->reduce, gn, v->show_numbers);
    curves_draw(w, l.area[AREA_LOSS], st, CURVE_LOSS, curve, s->training);
    Rect acc = l.area[AREA_ACC];
    if (v->panel == PANEL_CURVES && !s->training && s->n_monitors > 0 && acc.h >= 8) {
        /* The curves panel shares the accuracy's room with lambda_max. */
        static MetricRow lambda[SNAPSHOT_MONITORS];
        int n = s->n_monitors > SNAPSHOT_MONITORS ? SNAPSHOT_MONITORS : s->n_monitors;
        Rect lam = acc;
        acc.h /= 2;
        lam.y += acc.h;
        lam.h -= acc.h;
        curves_monitor_rows(s->monitors, n, lambda);
        curves_draw(w, lam, st, CURVE_LAMBDA, &(Curve){lambda, n, NULL, 0}, CURVES_SEARCH);
    }
    curves_draw(w, acc, st, CURVE_ACC, curve, s->training);
    /* A trained cell never changes: nothing to mark as new. */
    cellview_draw(w, l.area[AREA_CELL_NORMAL], st, "normal cell", g->normal,
                  s->training ? g->normal : pg->normal, gn, s->training ? gn : pg->nodes);
    cellview_draw(w, l.area[AREA_CELL_REDUCE], st, "reduce cell", g->reduce,
                  s->training ? g->reduce : pg->reduce, gn, s->training ? gn : pg->nodes);
}

void screen_draw(WINDOW *w, int rows, int cols, const Style *st, const Snapshot *s, const UiView *v)
{
    Layout l;
    int edges = s->edges < 0 ? 0 : s->edges > GENOTYPE_MAX_EDGES ? GENOTYPE_MAX_EDGES : s->edges;
    int nodes = s->nodes < 0 ? 0 : s->nodes > GENOTYPE_MAX_NODES ? GENOTYPE_MAX_NODES : s->nodes;
    LayoutOptions lo = {v->panel, edges, nodes, s->training};
    if (s->recurrent) { /* two halves of the 36 edges; a cell of 8 one-line nodes */
        lo.edges = s->training ? 0 : rnn_heat_rows(rows);
        lo.nodes = (RNN_NODES + 1) / 2;
    }
    werase(w);
    layout_compute(&l, rows, cols, &lo);
    if (l.too_small) {
        draw_too_small(w, rows, cols);
        if (v->confirm_quit)
            screen_draw_notice(w, rows, cols, st, "quit", "Quit? (y/n)");
        return;
    }
    statusbar_draw(w, l.area[AREA_STATUS], s);
    /* the whole run's rows once the history has them, else the snapshot's */
    static MetricRow kept[HISTORY_CAP + 1];
    const TrainProgress *tail[SNAPSHOT_PROGRESS];
    Curve curve = {s->rows,
                   s->n_rows < 0               ? 0
                   : s->n_rows > SNAPSHOT_ROWS ? SNAPSHOT_ROWS
                                               : s->n_rows,
                   tail, history_epoch_points(s, tail)};
    if (v->history.taken > 0) {
        curve.n = history_rows(&v->history, kept, HISTORY_CAP + 1);
        curve.rows = kept;
    }
    if (s->recurrent && s->training)
        draw_recurrent_training(w, &l, st, s, &curve);
    else if (s->recurrent)
        draw_recurrent(w, &l, st, s, v, &curve);
    else
        draw_cnn(w, &l, st, s, v, &curve, edges, nodes);
    draw_log(w, l.area[AREA_LOG], s, v);
    int err = 0;
    const char *msg = view_log_line(v, 0, &err);
    statusbar_draw_message(w, l.area[AREA_MESSAGE], msg ? msg : "", err);
    help_draw_keybar(w, l.area[AREA_KEYBAR]);
    if (s->state == SESSION_ERROR && s->message[0] && !v->help_open && !v->confirm_quit)
        draw_error(w, rows, cols, st, s->message);
    if (v->editor.open)
        editor_draw(w, rows, cols, st, &v->editor);
    if (v->plot_open)
        draw_plot_text(w, rows, cols, st, v->plot_text);
    if (v->help_open)
        help_draw_overlay(w, rows, cols, st);
    if (v->confirm_quit)
        screen_draw_notice(w, rows, cols, st, "quit", "Quit? (y/n)");
}
