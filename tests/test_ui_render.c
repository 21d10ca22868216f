/* test_ui_render: fixture snapshots drawn into a headless screen and
 * compared, character by character, with golden text files.
 *
 * Every case runs in a child process: TERM, LINES, COLUMNS and LC_CTYPE are
 * set, newterm() opens on /dev/null, screen_draw() draws into stdscr, and
 * the screen's text is read back with mvin_wch(). The first line of each
 * golden file records the terminal, the colour mode detected and whether
 * UTF-8 glyphs were used, so a wrong detection fails too. xterm-256color,
 * xterm and vt100 in both locales at 80x24 and 160x48; screen and tmux (what
 * people run over SSH) at 80x24; panels, dialogs and "too small".
 *
 * Golden files: tests/fixtures/ui/<case>.txt. After a deliberate change to
 * the screen, regenerate them and review the diff:
 *     DARTBOARD_REGEN_GOLDEN=1 make check TESTS=tests/test_ui_render
 * (or run the built tests/test_ui_render with top_srcdir set).
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/tap.h"
#include "ui/colors.h"
#include "ui/curses.h"
#include "ui/glyphs.h"
#include "ui/help.h"
#include "ui/screen.h"

typedef struct Case {
    const char *name;
    const char *term;
    const char *locale; /* "C.UTF-8" or "C" */
    int rows, cols;
    Panel panel;
    int numbers;      /* -1: the default for the colour mode */
    int dialog;       /* 0 none, 1 help, 2 editor, 3 quit, 4 editor with a refused value */
    int no_color;     /* NO_COLOR set */
    const char *mode; /* colour mode the terminal must give */
} Case;

/* clang-format off: one case per line */
static const Case cases[] = {
    {"overview-xterm-256color-utf8-80x24", "xterm-256color", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1,
     0, 0, "256"},
    {"overview-xterm-256color-utf8-160x48", "xterm-256color", "C.UTF-8", 48, 160, PANEL_OVERVIEW,
     -1, 0, 0, "256"},
    {"overview-xterm-256color-c-80x24", "xterm-256color", "C", 24, 80, PANEL_OVERVIEW, -1, 0, 0,
     "256"},
    {"overview-xterm-256color-c-160x48", "xterm-256color", "C", 48, 160, PANEL_OVERVIEW, -1, 0, 0,
     "256"},
    {"overview-xterm-utf8-80x24", "xterm", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"overview-xterm-utf8-160x48", "xterm", "C.UTF-8", 48, 160, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"overview-xterm-c-80x24", "xterm", "C", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"overview-xterm-c-160x48", "xterm", "C", 48, 160, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"overview-vt100-utf8-80x24", "vt100", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "mono"},
    {"overview-vt100-utf8-160x48", "vt100", "C.UTF-8", 48, 160, PANEL_OVERVIEW, -1, 0, 0, "mono"},
    {"overview-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "mono"},
    {"overview-vt100-c-160x48", "vt100", "C", 48, 160, PANEL_OVERVIEW, -1, 0, 0, "mono"},
    {"overview-screen-utf8-80x24", "screen", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"overview-tmux-c-80x24", "tmux", "C", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"nocolor-xterm-256color-utf8-80x24", "xterm-256color", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1,
     0, 1, "mono"},
    {"numbers-xterm-256color-utf8-120x30", "xterm-256color", "C.UTF-8", 30, 120, PANEL_OVERVIEW, 1,
     0, 0, "256"},
    {"curves-xterm-utf8-80x24", "xterm", "C.UTF-8", 24, 80, PANEL_CURVES, -1, 0, 0, "8"},
    {"curves-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_CURVES, -1, 0, 0, "mono"},
    {"cells-xterm-utf8-80x24", "xterm", "C.UTF-8", 24, 80, PANEL_CELLS, -1, 0, 0, "8"},
    {"log-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_LOG, -1, 0, 0, "mono"},
    {"log-xterm-c-120x30", "xterm", "C", 30, 120, PANEL_LOG, -1, 0, 0, "8"},
    {"help-xterm-256color-utf8-80x24", "xterm-256color", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 1,
     0, "256"},
    {"editor-xterm-c-80x24", "xterm", "C", 24, 80, PANEL_OVERVIEW, -1, 2, 0, "8"},
    {"editor-refused-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_OVERVIEW, -1, 4, 0, "mono"},
    {"error-xterm-c-80x24", "xterm", "C", 24, 80, PANEL_OVERVIEW, -1, 5, 0, "8"},
    {"quit-xterm-utf8-80x24", "xterm", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 3, 0, "8"},
    {"toosmall-xterm-utf8-79x24", "xterm", "C.UTF-8", 24, 79, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"toosmall-vt100-c-40x10", "vt100", "C", 10, 40, PANEL_OVERVIEW, -1, 0, 0, "mono"},
    {"rnn-overview-xterm-256color-utf8-80x24", "xterm-256color", "C.UTF-8", 24, 80, PANEL_OVERVIEW,
     -1, 0, 0, "256"},
    {"rnn-overview-xterm-c-120x40", "xterm", "C", 40, 120, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"rnn-numbers-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_OVERVIEW, 1, 0, 0, "mono"},
    {"rnn-cells-xterm-utf8-80x24", "xterm", "C.UTF-8", 24, 80, PANEL_CELLS, -1, 0, 0, "8"},
    {"rnn-curves-xterm-c-80x24", "xterm", "C", 24, 80, PANEL_CURVES, -1, 0, 0, "8"},
    {"train-xterm-256color-utf8-80x24", "xterm-256color", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 0,
     0, "256"},
    {"train-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "mono"},
    {"train-first-xterm-utf8-80x24", "xterm", "C.UTF-8", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "8"},
    {"train-first-vt100-c-80x24", "vt100", "C", 24, 80, PANEL_OVERVIEW, -1, 0, 0, "mono"},
};
/* clang-format on */

#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* A mid-search snapshot: alphas that have started to separate, a genotype
 * that changed two edges since the previous report, 40 metric rows. */
static void fixture_snapshot(Snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->seq = 1234;
    s->state = SESSION_RUNNING;
    snprintf(s->preset, sizeof s->preset, "demo");
    snprintf(s->run_dir, sizeof s->run_dir, "runs/demo-20261128-140000");
    s->step = 780;
    s->total_steps = 3900;
    s->epoch = 2;
    s->epochs = 10;
    s->lr = 0.0241f;
    s->arch_lr = 3e-4f;
    s->order = 1;
    s->ms_per_step = 412.5;
    s->images_per_s = 155.2;
    s->eta_seconds = 1287.0;
    s->elapsed_seconds = 321.0;
    s->nodes = 4;
    s->edges = 14;
    for (int e = 0; e < 14; e++)
        for (int c = 0; c < 2; c++) {
            float *row = c ? s->alpha_reduce[e] : s->alpha_normal[e];
            double logits[OP_COUNT], sum = 0.0;
            for (int o = 0; o < OP_COUNT; o++) {
                /* Deterministic, varied: each edge favours a different op. */
                logits[o] = 1.6 * sin(0.9 * e + 1.3 * o + 0.7 * c) +
                            (o == (e + 3 * c) % OP_COUNT ? 1.2 : 0.0);
                sum += exp(logits[o]);
            }
            /* Rounded, so libm and FMA differences cannot move a boundary. */
            for (int o = 0; o < OP_COUNT; o++)
                row[o] = (float)(round(1e4 * exp(logits[o]) / sum) / 1e4);
        }
    static const GenoEdge normal[8] = {{4, 0}, {4, 1}, {3, 0}, {5, 2},
                                       {4, 1}, {6, 3}, {3, 0}, {7, 4}};
    static const GenoEdge reduce[8] = {{1, 0}, {2, 1}, {1, 0}, {3, 2},
                                       {1, 2}, {5, 1}, {2, 4}, {1, 3}};
    s->genotype.nodes = 4;
    s->prev_genotype.nodes = 4;
    memcpy(s->genotype.normal, normal, sizeof normal);
    memcpy(s->genotype.reduce, reduce, sizeof reduce);
    memcpy(s->prev_genotype.normal, normal, sizeof normal);
    memcpy(s->prev_genotype.reduce, reduce, sizeof reduce);
    s->prev_genotype.normal[3].op = 4;    /* n1's second edge became dil_conv_3x3 */
    s->prev_genotype.reduce[6].input = 3; /* n3 took n2 instead of n1 */
    for (int i = 0; i < 4; i++) {
        s->genotype.normal_concat[i] = s->genotype.reduce_concat[i] = 2 + i;
        s->prev_genotype.normal_concat[i] = s->prev_genotype.reduce_concat[i] = 2 + i;
    }
    s->genotype.normal_concat_count = s->genotype.reduce_concat_count = 4;
    s->prev_genotype.normal_concat_count = s->prev_genotype.reduce_concat_count = 4;
    s->n_rows = 40;
    s->rows_total = 40;
    for (int i = 0; i < s->n_rows; i++) {
        MetricRow *m = &s->rows[i];
        m->step = 20 * (i + 1);
        m->epoch = i / 16;
        m->lr = 0.025f;
        m->train_loss =
            (float)(round(1e3 * (2.3 * exp(-i / 14.0) + 0.35 + 0.03 * sin(i * 1.7))) / 1e3);
        m->val_loss =
            (float)(round(1e3 * (2.3 * exp(-i / 16.0) + 0.45 + 0.04 * cos(i * 1.3))) / 1e3);
        m->train_acc = (float)(round(10.0 * (10.0 + 78.0 * (1.0 - exp(-i / 12.0)))) / 10.0);
        m->val_acc = (float)(round(10.0 * (10.0 + 72.0 * (1.0 - exp(-i / 14.0)))) / 10.0);
        m->seconds = 8.0 * (i + 1);
    }
    const MetricRow *last = &s->rows[s->n_rows - 1];
    s->train_loss = last->train_loss;
    s->train_acc = last->train_acc;
    s->val_loss = last->val_loss;
    s->val_acc = last->val_acc;
    config_defaults(&s->config);
    snprintf(s->config.preset, sizeof s->config.preset, "demo");
    /* Collapse monitor rows (the status bar shows the newest, the curves
     * panel all): lambda_max rising. */
    s->monitors_total = s->n_monitors = 6;
    for (int i = 0; i < 5; i++)
        s->monitors[i] = (MonitorRow){.step = 130 * (i + 1),
                                      .lambda_max = 0.05f + 0.01f * (float)(i * i),
                                      .lambda_iters = 20};
    s->monitors[5] = (MonitorRow){.step = 780,
                                  .lambda_max = 0.1018f,
                                  .lambda_iters = 20,
                                  .lambda_change = 2e-5f,
                                  .lambda_residual = 0.004f,
                                  .skips_normal = 2,
                                  .param_free_normal = 3,
                                  .entropy_normal = 2.05f,
                                  .entropy_reduce = 2.07f,
                                  .none_weight = 0.12f};
    s->message_seq = 3;
    snprintf(s->message, sizeof s->message,
             "checkpoint written: runs/demo-20261128-140000/checkpoint.bin");
}

/* The same moment of a recurrent search (cases named rnn-*): 36 x 5
 * alphas, a recurrent cell that changed one node, perplexities in the rows'
 * accuracy fields, tokens/s. */
static void rnn_fixture_snapshot(Snapshot *s)
{
    fixture_snapshot(s);
    snprintf(s->preset, sizeof s->preset, "rnn-kjv");
    s->recurrent = 1;
    s->nodes = RNN_NODES;
    s->edges = RNN_EDGES;
    s->lr = 20.0f;
    s->arch_lr = 3e-3f;
    s->tokens_per_s = 4321.0;
    for (int e = 0; e < RNN_EDGES; e++) {
        double logits[RNN_OP_COUNT], sum = 0.0;
        for (int o = 0; o < RNN_OP_COUNT; o++) {
            logits[o] = 1.1 * sin(0.7 * e + 1.9 * o) + (o == 1 + e % 4 ? 0.9 : 0.0);
            sum += exp(logits[o]);
        }
        for (int o = 0; o < RNN_OP_COUNT; o++)
            s->alpha_rnn[e][o] = (float)(round(1e4 * exp(logits[o]) / sum) / 1e4);
    }
    s->rnn_genotype = rnn_genotype_darts_v2;
    s->rnn_prev_genotype = rnn_genotype_darts_v2;
    s->rnn_prev_genotype.recurrent[5].op = RNN_OP_TANH; /* node 6 became sigmoid */
    for (int i = 0; i < s->n_rows; i++) {
        MetricRow *m = &s->rows[i];
        m->lr = 20.0f;
        m->train_loss = (float)(round(1e3 * (6.5 * exp(-i / 20.0) + 5.2)) / 1e3);
        m->val_loss = (float)(round(1e3 * (6.3 * exp(-i / 22.0) + 5.0)) / 1e3);
        m->train_acc = (float)(round(10.0 * exp(m->train_loss)) / 10.0);
        m->val_acc = (float)(round(10.0 * exp(m->val_loss)) / 10.0);
    }
    const MetricRow *last = &s->rows[s->n_rows - 1];
    s->train_loss = last->train_loss;
    s->train_acc = last->train_acc;
    s->val_loss = last->val_loss;
    s->val_acc = last->val_acc;
    snprintf(s->config.data.set, sizeof s->config.data.set, "kjv");
}

/* `dartboard train` of DARTS_V2 (cases named train-*): 3 of 10 epochs done
 * and the fourth under way, its progress points (a few of the third's are
 * still in the ring and must not show); train-first-*: the first epoch under
 * way, no row yet, the curves drawn from its points alone. */
static void training_fixture_snapshot(Snapshot *s, int first)
{
    fixture_snapshot(s);
    s->training = 1;
    snprintf(s->preset, sizeof s->preset, "train-fashion-mnist");
    snprintf(s->run_dir, sizeof s->run_dir, "runs/train-fashion-mnist-20261205-104500");
    genotype_published("DARTS_V2", &s->genotype);
    s->prev_genotype = s->genotype;
    s->params = 245242;
    s->params_aux = 680708;
    s->epochs = 10;
    s->epoch = first ? 0 : 3;
    s->total_steps = 9380;
    s->step = first ? 400 : 3 * 938 + 450;
    s->lr = 0.0226f;
    s->drop_path = 0.06f;
    s->ms_per_step = 163.2;
    s->images_per_s = 392.2;
    s->eta_seconds = 1465.0;
    s->n_monitors = s->monitors_total = 0;
    s->n_rows = s->rows_total = first ? 0 : 3;
    for (int i = 0; i < s->n_rows; i++) {
        MetricRow *m = &s->rows[i];
        *m = (MetricRow){.step = i + 1, .epoch = i + 1, .lr = 0.025f, .seconds = 161.0 * (i + 1)};
        m->train_loss = (float)(round(1e3 * (0.9 * exp(-i / 1.5) + 0.35)) / 1e3);
        m->val_loss = (float)(round(1e3 * (0.7 * exp(-i / 1.8) + 0.33)) / 1e3);
        m->train_acc = (float)(round(10.0 * (88.0 - 22.0 * exp(-i / 1.5))) / 10.0);
        m->val_acc = (float)(round(100.0 * (89.0 - 16.0 * exp(-i / 1.8))) / 100.0);
    }
    if (!first) {
        const MetricRow *last = &s->rows[s->n_rows - 1];
        s->train_loss = last->train_loss;
        s->train_acc = last->train_acc;
        s->val_loss = last->val_loss;
        s->val_acc = last->val_acc;
    }
    /* points every 50 steps: 4 at the end of the third epoch, 9 of the fourth */
    const int old = first ? 0 : 4, now = first ? 8 : 9;
    s->progress_total = old + now;
    for (int k = 1; k <= s->progress_total; k++) {
        const int mine = k > old, j = mine ? k - old : k + 14;
        const double part = 50.0 * j / 938.0;
        s->progress[k % SNAPSHOT_PROGRESS] = (TrainProgress){
            .step = (int64_t)(s->epoch - !mine) * 938 + 50 * j,
            .epoch = s->epoch - !mine,
            .epoch_done = (float)part,
            .lr = 0.0226f,
            /* the third epoch's points far off, so a leak would show */
            .train_loss =
                mine ? (float)(round(1e3 * (first ? 2.2 - 1.3 * part : 0.47 - 0.05 * part)) / 1e3)
                     : 3.0f,
            .train_acc =
                mine
                    ? (float)(round(10.0 * (first ? 20.0 + 50.0 * part : 83.0 + 2.0 * part)) / 10.0)
                    : 5.0f};
    }
}

static void put_utf8(FILE *f, unsigned cp)
{
    if (cp < 0x80) {
        fputc((int)cp, f);
    } else if (cp < 0x800) {
        fputc((int)(0xc0 | (cp >> 6)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else if (cp < 0x10000) {
        fputc((int)(0xe0 | (cp >> 12)), f);
        fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else {
        fputc('?', f);
    }
}

/* The screen's text, trailing blanks dropped, one line per row. */
static void dump_screen(FILE *f, int rows, int cols)
{
    for (int y = 0; y < rows; y++) {
        unsigned line[512];
        int n = 0;
        for (int x = 0; x < cols && x < 512; x++) {
            unsigned cp = ' ';
#ifdef HAVE_NCURSESW
            cchar_t cc;
            wchar_t wch[CCHARW_MAX + 1];
            attr_t attrs;
            short pair;
            if (mvwin_wch(stdscr, y, x, &cc) == OK &&
                getcchar(&cc, wch, &attrs, &pair, NULL) != ERR && wch[0])
                cp = (unsigned)wch[0];
#else
            chtype ch = mvwinch(stdscr, y, x);
            if (ch != (chtype)ERR && (ch & A_CHARTEXT))
                cp = (unsigned)(ch & A_CHARTEXT);
#endif
            line[n++] = cp;
        }
        while (n > 0 && line[n - 1] == ' ')
            n--;
        for (int i = 0; i < n; i++)
            put_utf8(f, line[i]);
        fputc('\n', f);
    }
}

static void render_case(const Case *c, FILE *out)
{
    char lines[16], cols[16];
    snprintf(lines, sizeof lines, "%d", c->rows);
    snprintf(cols, sizeof cols, "%d", c->cols);
    setenv("TERM", c->term, 1);
    setenv("LINES", lines, 1);
    setenv("COLUMNS", cols, 1);
    if (c->no_color)
        setenv("NO_COLOR", "1", 1);
    else
        unsetenv("NO_COLOR");
    if (!setlocale(LC_CTYPE, c->locale)) {
        fprintf(out, "# locale %s unavailable\n", c->locale);
        return;
    }
    FILE *devout = fopen("/dev/null", "w"), *devin = fopen("/dev/null", "r");
    SCREEN *scr = newterm(c->term, devout, devin);
    if (!scr) {
        fprintf(out, "# newterm(%s) failed\n", c->term);
        return;
    }
    Style st;
    st.mode = colors_init(0);
    st.g = glyphs_get(glyphs_locale_utf8());
    Snapshot *s = malloc(sizeof *s);
    UiView *v = malloc(sizeof *v);
    if (strncmp(c->name, "rnn-", 4) == 0)
        rnn_fixture_snapshot(s);
    else if (strncmp(c->name, "train-", 6) == 0)
        training_fixture_snapshot(s, strncmp(c->name, "train-first-", 12) == 0);
    else
        fixture_snapshot(s);
    view_init(v, st.mode == COLOR_MODE_MONO);
    view_message(v, 0, "optim.lr 0.025 -> 0.02 (at the next step)");
    view_take_message(v, s);
    v->panel = c->panel;
    if (c->numbers >= 0)
        v->show_numbers = c->numbers;
    if (c->dialog == 1)
        v->help_open = 1;
    if (c->dialog == 2 || c->dialog == 4) {
        Command cmd;
        editor_open(&v->editor, &s->config, s->training);
        editor_key(&v->editor, KEY_DOWN, &cmd);
        if (c->dialog == 4) {
            /* lr_min: type a value below the range and press Enter. */
            editor_key(&v->editor, '\n', &cmd);
            editor_key(&v->editor, KEY_CTRL('u'), &cmd);
            for (const char *k = "-1"; *k; k++)
                editor_key(&v->editor, *k, &cmd);
            editor_key(&v->editor, '\n', &cmd);
        }
    }
    if (c->dialog == 3)
        v->confirm_quit = 1;
    if (c->dialog == 5) {
        s->state = SESSION_ERROR;
        s->message_seq++;
        snprintf(s->message, sizeof s->message,
                 "/srv/data/fashion-mnist/train-images-idx3-ubyte.gz: truncated after 4096 of "
                 "47040016 bytes (expected a complete Fashion-MNIST IDX file; reinstall "
                 "dataset-fashion-mnist)");
        view_take_message(v, s);
    }
    screen_draw(stdscr, c->rows, c->cols, &st, s, v);
    fprintf(out, "# term=%s colors=%s utf8=%d size=%dx%d\n", c->term, color_mode_names[st.mode],
            st.g->utf8, c->cols, c->rows);
    dump_screen(out, c->rows, c->cols);
    endwin();
    delscreen(scr);
    free(s);
    free(v);
}

/* Text of row y (ASCII screens), for the sweep's checks. */
static void row_text(int y, int cols, char *buf, size_t len)
{
    int n = cols < (int)len - 1 ? cols : (int)len - 1;
    if (mvwinnstr(stdscr, y, 0, buf, n) == ERR)
        buf[0] = 0;
}

/* Every size from 1x1 to 300x200 (the larger ones sampled) in one screen:
 * every size up to 100x30, every 7th column of every 5th row beyond; draws
 * never fail, small sizes say "too small", the rest keep the status
 * bar on top and the key bar with "q quit" at the bottom. */
static void sweep_sizes(FILE *out)
{
    setenv("TERM", "xterm", 1);
    setenv("LINES", "200", 1);
    setenv("COLUMNS", "300", 1);
    setlocale(LC_CTYPE, "C");
    FILE *devout = fopen("/dev/null", "w"), *devin = fopen("/dev/null", "r");
    SCREEN *scr = newterm("xterm", devout, devin);
    if (!scr) {
        fprintf(out, "newterm failed\n");
        return;
    }
    Style st = {glyphs_get(0), colors_init(0)};
    Snapshot *s = malloc(sizeof *s), *rnn = malloc(sizeof *rnn);
    UiView *v = malloc(sizeof *v);
    fixture_snapshot(s);
    rnn_fixture_snapshot(rnn);
    view_init(v, 0);
    view_take_message(v, s);
    long sizes = 0, bad = 0;
    char first[128] = "", line[512];
    for (int rows = 1; rows <= 200; rows++)
        for (int cols = 1; cols <= 300; cols++) {
            /* Every size around the 80x24 threshold, a grid beyond it. */
            if ((rows > 30 || cols > 100) && (rows % 5 != 0 || cols % 7 != 0))
                continue;
            v->panel = (Panel)((rows + cols) % PANEL_COUNT);
            v->help_open = (rows * cols) % 5 == 0;
            resize_term(rows, cols);
            /* every third size shows a recurrent search */
            screen_draw(stdscr, rows, cols, &st, (rows + 2 * cols) % 3 ? s : rnn, v);
            sizes++;
            int good;
            if (rows < 24 || cols < 80) {
                good = 1;
                if (rows >= 1 && cols >= 40) {
                    row_text(rows / 2, cols, line, sizeof line);
                    good = strstr(line, "terminal too small") != NULL;
                }
            } else {
                row_text(0, cols, line, sizeof line);
                good = strstr(line, "step 780/3900") != NULL;
                row_text(rows - 1, cols, line, sizeof line);
                good = good && strstr(line, "q quit") != NULL;
            }
            if (!good && !bad++)
                snprintf(first, sizeof first, "%dx%d panel %d help %d", cols, rows, v->panel,
                         v->help_open);
        }
    fprintf(out, "sizes %ld bad %ld first %s\n", sizes, bad, first[0] ? first : "-");
    endwin();
    delscreen(scr);
    free(s);
    free(rnn);
    free(v);
}

/* Runs one case in a child (c NULL: the size sweep); returns its text
 * (malloc'd) or NULL. */
static char *render_in_child(const Case *c)
{
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        if (c)
            render_case(c, out);
        else
            sweep_sizes(out);
        fclose(out);
        _exit(0);
    }
    close(fds[1]);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(fds[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
    }
    close(fds[0]);
    buf[len] = 0;
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Line and column of the first difference, for the diagnostic. */
static void first_difference(const char *a, const char *b)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    diag("first difference at line %d:", line);
    diag("  got:  %.*s", (int)strcspn(la, "\n"), la);
    diag("  want: %.*s", (int)strcspn(lb, "\n"), lb);
}

int main(void)
{
    const char *regen = getenv("DARTBOARD_REGEN_GOLDEN");
    for (int i = 0; i < NCASES; i++) {
        const Case *c = &cases[i];
#ifndef HAVE_NCURSESW
        /* Plain ncurses draws ASCII only: the UTF-8 goldens do not apply. */
        if (strcmp(c->locale, "C") != 0) {
            ok(1, "%s # SKIP needs ncursesw", c->name);
            continue;
        }
#endif
        char rel[256], path[4096];
        snprintf(rel, sizeof rel, "tests/fixtures/ui/%s.txt", c->name);
        snprintf(path, sizeof path, "%s", tap_srcpath(rel));
        char *got = render_in_child(c);
        if (!ok(got != NULL, "%s: rendered", c->name))
            continue;
        char want_head[128];
        snprintf(want_head, sizeof want_head, "# term=%s colors=%s ", c->term, c->mode);
        ok(strncmp(got, want_head, strlen(want_head)) == 0, "%s: %s gives %s colours (%.*s)",
           c->name, c->term, c->mode, (int)strcspn(got, "\n"), got);
        if (regen && *regen) {
            test_write_file(path, got, strlen(got));
            diag("regenerated %s", path);
        }
        char *want = test_read_file(path, NULL);
        int same = want && strcmp(got, want) == 0;
        if (!ok(same, "%s: matches %s", c->name, rel)) {
            if (want)
                first_difference(got, want);
            else
                diag("missing golden file %s (DARTBOARD_REGEN_GOLDEN=1 writes it)", path);
        }
        free(want);
        free(got);
    }
    char *sweep = render_in_child(NULL);
    long sizes = 0, bad = -1;
    char first[128] = "";
    if (sweep)
        sscanf(sweep, "sizes %ld bad %ld first %127[^\n]", &sizes, &bad, first);
    ok(sweep && sizes > 4000 && bad == 0,
       "%ld sizes from 1x1 to 300x200 draw whole (%ld bad, first %s)", sizes, bad, first);
    free(sweep);
    return tap_done();
}
