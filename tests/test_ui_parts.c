/* test_ui_parts: the UI's pure pieces, without a screen.
 *
 * Edge labels in both glyph tables, kept edges and row winners (none
 * excluded, as the derivation does), the heat ramp (uniform mid-ramp,
 * monotonic, clamped), braille cells, widths, durations, curve ranges, the
 * count of changed genotype edges, and the editor: its fields are the live
 * keys, a valid value becomes exactly one CMD_SET, an invalid one (out of
 * range, not a number, or breaking lr_min <= lr) is refused with the reason
 * and changes nothing, Esc cancels an edit then closes, q never quits. A
 * training run's epoch under way (its progress points), the legend's
 * numbers, and what g says before there is anything to plot.
 */
#include <string.h>

#include "tests/tap.h"
#include "ui/cellview.h"
#include "ui/colors.h"
#include "ui/curves.h"
#include "ui/editor.h"
#include "ui/glyphs.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/history.h"
#include "ui/plot.h"
#include "ui/statusbar.h"
#include "ui/view.h"

static EditorResult type(Editor *ed, const char *keys, Command *cmd)
{
    EditorResult r = EDITOR_KEEP;
    for (const char *k = keys; *k; k++)
        r = editor_key(ed, (unsigned char)*k, cmd);
    return r;
}

static int field_index(const Editor *ed, const char *name)
{
    for (int i = 0; i < ed->n; i++)
        if (strcmp(ed->fields[i]->name, name) == 0)
            return i;
    return -1;
}

static void test_labels(void)
{
    char buf[64];
    const Glyphs *u = glyphs_get(1), *a = glyphs_get(0);
    heatmap_edge_label(buf, sizeof buf, u, 0);
    ok(strcmp(buf, "n0\u2190c_{k-2}") == 0, "edge 0 in UTF-8: %s", buf);
    heatmap_edge_label(buf, sizeof buf, a, 0);
    ok(strcmp(buf, "n0<-k-2") == 0, "edge 0 in ASCII: %s", buf);
    heatmap_edge_label(buf, sizeof buf, a, 4);
    ok(strcmp(buf, "n1<-n0") == 0, "edge 4 is n1<-n0: %s", buf);
    heatmap_edge_label(buf, sizeof buf, a, 13);
    ok(strcmp(buf, "n3<-n2") == 0, "edge 13 is n3<-n2: %s", buf);
    int widest = 0;
    for (int e = 0; e < 14; e++) {
        heatmap_edge_label(buf, sizeof buf, u, e);
        widest = glyphs_width(buf) > widest ? glyphs_width(buf) : widest;
    }
    ok(widest + 2 <= HEAT_LABEL_W, "labels (%d columns) fit the label column with both marks",
       widest);
    ok(strcmp(heatmap_op_label(OP_SEP_CONV_3X3, 2), "s3") == 0 &&
           strcmp(heatmap_op_label(OP_SEP_CONV_3X3, 4), "sep3") == 0,
       "op labels shrink with the cell width");
}

static void test_kept_and_winner(void)
{
    GenoEdge kept[8] = {{4, 0}, {4, 1}, {3, 2}, {5, 0}, {1, 3}, {6, 1}, {3, 4}, {7, 0}};
    /* node 0: edges 0,1; node 1: 2,3,4; node 2: 5..8; node 3: 9..13 */
    ok(heatmap_edge_kept(kept, 4, 0) && heatmap_edge_kept(kept, 4, 1), "node 0 keeps both inputs");
    ok(heatmap_edge_kept(kept, 4, 2) && !heatmap_edge_kept(kept, 4, 3) &&
           heatmap_edge_kept(kept, 4, 4),
       "node 1 keeps s0 and n0, not s1");
    ok(heatmap_edge_kept(kept, 4, 9) && !heatmap_edge_kept(kept, 4, 10) &&
           heatmap_edge_kept(kept, 4, 13),
       "node 3 keeps s0 and n2");
    ok(!heatmap_edge_kept(kept, 0, 0), "no derived cell, nothing kept");
    float row[OP_COUNT] = {0.6f, 0.05f, 0.05f, 0.1f, 0.05f, 0.05f, 0.05f, 0.05f};
    ok(heatmap_row_winner(row) == OP_SKIP_CONNECT, "the winner skips none (%d)",
       heatmap_row_winner(row));
    GenoEdge before[8];
    memcpy(before, kept, sizeof before);
    ok(cellview_changes(kept, before, 4, 4) == 0, "same genotype: no change");
    before[3].op = 2;
    before[6].input = 2;
    ok(cellview_changes(kept, before, 4, 4) == 2, "two edges changed");
    ok(cellview_changes(kept, before, 4, 0) == 0, "no previous report: nothing marked");
}

static void test_ramp_and_glyphs(void)
{
    int uniform = colors_heat_step(1.0f / OP_COUNT, OP_COUNT);
    ok(uniform == HEAT_STEPS / 2, "uniform 1/8 sits mid-ramp (%d)", uniform);
    ok(colors_heat_step(1.0f, OP_COUNT) == HEAT_STEPS - 1 &&
           colors_heat_step(0.0f, OP_COUNT) == 0 && colors_heat_step(1e-6f, OP_COUNT) == 0,
       "1 is the top, 0 and tiny weights the bottom");
    int mono = 1;
    for (float w = 0.001f; w < 1.0f; w *= 1.1f)
        mono = mono && colors_heat_step(w, OP_COUNT) <= colors_heat_step(w * 1.1f, OP_COUNT);
    ok(mono, "the ramp never goes down as the weight grows");
    char cell[4];
    glyphs_braille(cell, 0);
    ok(strcmp(cell, "\u2800") == 0, "empty braille cell");
    glyphs_braille(cell, glyphs_braille_bit(0, 0) | glyphs_braille_bit(1, 3));
    ok(strcmp(cell, "\u2881") == 0, "dots 1 and 8");
    ok(glyphs_width("n0\u2190c_{k-2}") == 10 && glyphs_width("") == 0, "widths count code points");
    char d[32];
    duration_text(d, sizeof d, 3725.2);
    ok(strcmp(d, "1:02:05") == 0, "duration %s", d);
    duration_text(d, sizeof d, 59.6);
    ok(strcmp(d, "1:00") == 0, "duration %s", d);
    duration_text(d, sizeof d, -1.0);
    ok(strcmp(d, "--") == 0, "unknown duration");
}

static void test_curve_range(void)
{
    MetricRow rows[3] = {{10, 0, 0.1f, 2.0f, 20.0f, 2.2f, 15.0f, 1.0, 0.0f},
                         {20, 0, 0.1f, 1.0f, 60.0f, 1.5f, 50.0f, 2.0, 0.0f},
                         {30, 0, 0.1f, 0.5f, 99.0f, 0.8f, 90.0f, 3.0, 0.0f}};
    double lo, hi;
    curves_range(&(Curve){rows, 3, NULL, 0}, CURVE_LOSS, &lo, &hi);
    ok(lo < 0.5 && lo >= 0.0 && hi > 2.2, "loss range covers both series with padding (%g..%g)", lo,
       hi);
    curves_range(&(Curve){rows, 3, NULL, 0}, CURVE_ACC, &lo, &hi);
    ok(lo < 15.0 && hi <= 100.0 && hi >= 99.0, "accuracy range clamps at 100%% (%g..%g)", lo, hi);
    curves_range(&(Curve){rows, 1, NULL, 0}, CURVE_LOSS, &lo, &hi);
    ok(hi > lo, "one row still gives a range (%g..%g)", lo, hi);
    curves_range(&(Curve){rows, 0, NULL, 0}, CURVE_ACC, &lo, &hi);
    ok(lo == 0.0 && hi == 100.0, "no rows: 0..100%%");
    /* a training run's epoch under way widens the train series' range */
    const TrainProgress a = {.epoch = 3, .epoch_done = 0.5f, .train_loss = 3.5f, .train_acc = 7.0f};
    const TrainProgress *tail[1] = {&a};
    curves_range(&(Curve){rows, 3, tail, 1}, CURVE_LOSS, &lo, &hi);
    ok(hi > 3.5 && lo < 0.5, "the epoch under way is in the loss range (%g..%g)", lo, hi);
    curves_range(&(Curve){rows, 3, tail, 1}, CURVE_ACC, &lo, &hi);
    ok(lo < 7.0 && hi >= 99.0, "and in the accuracy range (%g..%g)", lo, hi);
    curves_range(&(Curve){rows, 0, tail, 1}, CURVE_LOSS, &lo, &hi);
    ok(lo < 3.5 && hi > 3.5, "a tail alone gives a range around it (%g..%g)", lo, hi);
    curves_range(&(Curve){rows, 3, tail, 1}, CURVE_LAMBDA, &lo, &hi);
    ok(hi < 3.5, "lambda_max has no tail (%g..%g)", lo, hi);
}

/* The legend's numbers fit their 7 columns whatever the run's values. */
static void test_legend_values(void)
{
    static const struct {
        double y;
        CurveKind kind;
        const char *want;
    } cases[] = {{2.301, CURVE_LOSS, "2.301"},      {0.03627, CURVE_LOSS, "0.03627"},
                 {5.701e-5, CURVE_LOSS, "5.7e-05"}, {0.0, CURVE_LOSS, "0"},
                 {12345.6, CURVE_PPL, "12346"},     {1234.5, CURVE_PPL, "1234"},
                 {1.5e6, CURVE_PPL, "1.5e+06"},     {98.44, CURVE_ACC, "98.4%"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        curves_format_value(buf, sizeof buf, cases[i].y, cases[i].kind);
        ok(strcmp(buf, cases[i].want) == 0 && strlen(buf) <= 7, "legend value %g: %s", cases[i].y,
           buf);
    }
}

/* g before the run's first metrics row says when it comes. */
static void test_plot_not_yet(void)
{
    static Snapshot s;
    char msg[128];
    memset(&s, 0, sizeof s);
    config_defaults(&s.config);
    s.config.run.report_every = 25;
    ok(plot_nothing_yet(&s, msg, sizeof msg) && strstr(msg, "first comes at step 25"),
       "a search before its first report: %s", msg);
    s.training = 1;
    s.epochs = 10;
    s.total_steps = 9370;
    ok(plot_nothing_yet(&s, msg, sizeof msg) && strstr(msg, "first ends at step 937") &&
           strlen(msg) < 80,
       "a training run before its first epoch's row: %s", msg);
    s.recurrent = 1;
    ok(plot_nothing_yet(&s, msg, sizeof msg) && strstr(msg, "at about step 937"),
       "a recurrent cell's epoch, an estimate: %s", msg);
    s.rows_total = 1;
    ok(!plot_nothing_yet(&s, msg, sizeof msg), "a row to plot: gnuplot runs");
}

/* The progress points of the epoch under way, from the snapshot's ring. */
static void test_epoch_points(void)
{
    static Snapshot s;
    const TrainProgress *out[SNAPSHOT_PROGRESS];
    memset(&s, 0, sizeof s);
    s.epoch = 2;
    s.progress_total = SNAPSHOT_PROGRESS + 5; /* the ring wrapped: points 6..37 held */
    for (int64_t k = 6; k <= s.progress_total; k++)
        s.progress[k % SNAPSHOT_PROGRESS] =
            (TrainProgress){.step = 10 * k, .epoch = k <= 30 ? 1 : 2};
    ok(history_epoch_points(&s, out) == 0, "a search has no epoch under way");
    s.training = 1;
    int n = history_epoch_points(&s, out), in_order = n == 7;
    for (int i = 0; in_order && i < n; i++)
        in_order = out[i]->step == 10 * (31 + i) && out[i]->epoch == 2;
    ok(in_order, "the epoch's 7 points, oldest first, none of the epoch before (%d)", n);
    s.epoch = 3; /* its row arrived: no point of the next epoch yet */
    ok(history_epoch_points(&s, out) == 0, "none between an epoch's row and the next point");
    s.progress_total = 0;
    ok(history_epoch_points(&s, out) == 0, "none before the first point");
}

static void test_editor(void)
{
    Config live;
    config_defaults(&live);
    Editor ed;
    Command cmd;
    editor_open(&ed, &live, 0);
    int count, n_live = 0;
    const ConfigKey *keys = config_keys(&count);
    for (int i = 0; i < count; i++)
        n_live += keys[i].live && config_key_applies(&keys[i], 0, 0);
    ok(ed.open && ed.n == n_live && n_live > 0, "the fields are the search's %d live keys", n_live);
    ok(field_index(&ed, "train.drop_path") < 0, "a search's editor has no train.* key");
    Editor tr;
    editor_open(&tr, &live, 1);
    ok(field_index(&tr, "train.drop_path") >= 0 && field_index(&tr, "train.aux_weight") >= 0 &&
           field_index(&tr, "optim.lr") >= 0 && field_index(&tr, "arch.lr") < 0 &&
           field_index(&tr, "arch.order") < 0,
       "a training run's editor: drop_path, aux_weight, lr; no arch.* key");
    static const char *const wanted[] = {"optim.lr",           "optim.lr_min",    "optim.momentum",
                                         "optim.weight_decay", "optim.grad_clip", "arch.lr",
                                         "arch.weight_decay",  "arch.order",      "run.epochs",
                                         "run.report_every"};
    int all = 1;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        all = all && field_index(&ed, wanted[i]) >= 0;
    ok(all, "lr, lr_min, momentum, weight decay, clip, arch lr/wd, order, epochs, report interval");

    ed.selected = field_index(&ed, "optim.lr");
    ok(type(&ed, "\r\0250.0123\r", &cmd) == EDITOR_SEND && cmd.kind == CMD_SET &&
           strcmp(cmd.key, "optim.lr") == 0 && strcmp(cmd.value, "0.0123") == 0,
       "a valid lr becomes CMD_SET optim.lr=0.0123 (%s=%s)", cmd.key, cmd.value);
    ok(strstr(ed.status, "0.025") && strstr(ed.status, "0.0123"), "the status says old -> new: %s",
       ed.status);
    ok(ed.pending[ed.selected], "pending until a snapshot shows it");

    Config before = ed.work;
    memset(&cmd, 0, sizeof cmd);
    ok(type(&ed, "\r\025-1\r", &cmd) == EDITOR_KEEP && cmd.key[0] == 0, "lr -1: nothing sent");
    ok(strncmp(ed.status, "refused: ", 9) == 0 && ed.status_error, "lr -1 refused: %s", ed.status);
    ok(memcmp(&before, &ed.work, sizeof before) == 0, "lr -1 changed nothing");
    ok(type(&ed, "\r\025abc\r", &cmd) == EDITOR_KEEP && strncmp(ed.status, "refused: ", 9) == 0,
       "lr abc refused: %s", ed.status);
    ed.selected = field_index(&ed, "optim.lr_min");
    ok(type(&ed, "\r\0250.5\r", &cmd) == EDITOR_KEEP && strncmp(ed.status, "refused: ", 9) == 0,
       "lr_min above lr refused by the relation check: %s", ed.status);
    ok(memcmp(&before, &ed.work, sizeof before) == 0, "the refused relation changed nothing");

    /* The worker applied lr: the next snapshot clears the pending mark. */
    live.optim.lr = 0.0123;
    editor_sync(&ed, &live);
    ok(!ed.pending[field_index(&ed, "optim.lr")], "a snapshot with the new lr clears pending");

    type(&ed, "\r", &cmd);
    ok(ed.editing, "Enter starts an edit");
    ok(editor_key(&ed, KEY_ESCAPE, &cmd) == EDITOR_KEEP && !ed.editing && ed.open,
       "Esc cancels the edit, the form stays");
    ok(editor_key(&ed, 'q', &cmd) == EDITOR_KEEP && ed.open, "q does not leave the form");
    ok(editor_key(&ed, KEY_ESCAPE, &cmd) == EDITOR_CLOSED && !ed.open, "Esc closes the form");
    ok(help_action(KEY_ESCAPE) != ACT_QUIT, "Esc never quits");
}

/* Feeds `total` report rows through snapshots of `per_snapshot` new rows each. */
static void feed_history(History *h, Snapshot *s, int64_t total, int per_snapshot)
{
    for (int64_t done = 0; done < total;) {
        int fresh = (int)(total - done < per_snapshot ? total - done : per_snapshot);
        /* The snapshot holds the newest rows, up to SNAPSHOT_ROWS of them. */
        int64_t end = done + fresh;
        int n = end < SNAPSHOT_ROWS ? (int)end : SNAPSHOT_ROWS;
        for (int i = 0; i < n; i++) {
            int64_t index = end - n + i;
            s->rows[i].step = 10 * (index + 1);
            s->rows[i].train_loss = (float)index;
        }
        s->n_rows = n;
        s->rows_total = end;
        history_update(h, s);
        done = end;
    }
}

static void test_history(void)
{
    static History h;
    static Snapshot s;
    static MetricRow out[HISTORY_CAP + 1];
    memset(&s, 0, sizeof s);
    history_reset(&h);
    feed_history(&h, &s, 100, 7);
    int n = history_rows(&h, out, HISTORY_CAP + 1);
    int seq = n == 100;
    for (int i = 0; i < n; i++)
        seq = seq && out[i].step == 10 * (i + 1);
    ok(seq, "100 rows in snapshots of 7: all kept, in order (%d)", n);

    /* The demo's ~900 reports and far more: the start stays, evenly spaced. */
    history_reset(&h);
    memset(&s, 0, sizeof s);
    feed_history(&h, &s, 5000, 3);
    n = history_rows(&h, out, HISTORY_CAP + 1);
    int64_t gap = out[1].step - out[0].step;
    int even = 1;
    for (int i = 1; i < n - 1; i++)
        even = even && out[i].step - out[i - 1].step == gap;
    ok(n > HISTORY_CAP / 2 && n <= HISTORY_CAP + 1, "5000 rows fit in %d", n);
    ok(out[0].step == 10, "the first row of the run stays (step %lld)", (long long)out[0].step);
    ok(out[n - 1].step == 50000, "the newest row is shown (step %lld)", (long long)out[n - 1].step);
    ok(even && gap > 10, "kept rows are evenly spaced (every %lld steps)", (long long)gap);

    /* A new run (rows_total back to a few) starts over. */
    s.rows_total = 2;
    s.n_rows = 2;
    s.rows[0].step = 1;
    s.rows[1].step = 2;
    history_update(&h, &s);
    n = history_rows(&h, out, HISTORY_CAP + 1);
    ok(n == 2 && out[0].step == 1, "a run that starts over resets the history");
}

/* Messages said between two redraws all reach the event log, in order. */
static void say(Snapshot *s, const char *text)
{
    s->message_seq++;
    snprintf(s->message, sizeof s->message, "%s", text);
    snprintf(s->messages[s->message_seq % SNAPSHOT_MESSAGES], sizeof s->messages[0], "%s", text);
}

static void test_message_log(void)
{
    static Snapshot s;
    static UiView v;
    char text[32];
    view_init(&v, 0);
    say(&s, "m1");
    view_take_message(&v, &s);
    say(&s, "m2");
    say(&s, "m3");
    say(&s, "m4");
    view_take_message(&v, &s);
    ok(v.log_count == 4 && !strcmp(view_log_line(&v, 0, NULL), "m4") &&
           !strcmp(view_log_line(&v, 2, NULL), "m2") && !strcmp(view_log_line(&v, 3, NULL), "m1"),
       "three messages between two redraws are all logged, newest first");
    view_take_message(&v, &s);
    ok(v.log_count == 4, "a redraw with nothing new logs nothing");
    for (int i = 5; i <= 24; i++) {
        snprintf(text, sizeof text, "m%d", i);
        say(&s, text);
    }
    view_take_message(&v, &s);
    ok(v.log_count == 4 + SNAPSHOT_MESSAGES && !strcmp(view_log_line(&v, 0, NULL), "m24") &&
           !strcmp(view_log_line(&v, SNAPSHOT_MESSAGES - 1, NULL), "m9"),
       "after a long gap the ring's newest messages are logged, in order");
}

int main(void)
{
    test_epoch_points();
    test_legend_values();
    test_plot_not_yet();
    test_message_log();
    test_history();
    test_labels();
    test_kept_and_winner();
    test_ramp_and_glyphs();
    test_curve_range();
    test_editor();
    return tap_done();
}
