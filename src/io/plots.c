/* plots: gnuplot scripts + data for the figures of a run, and their output.
 *
 * Every script is self-contained and run from its own directory, so a user
 * can edit NAME.gp and rerun `gnuplot NAME.gp` there. The terminal settings
 * live in one block at the top of each script (script_head), selected by
 * the variable `formats`, so the plot commands are written once. Whatever
 * goes into a script as text passes plots_gnuplot_string(); file names also
 * pass gp_file(), which keeps gnuplot from reading them as commands.
 */
#include "dartboard/plots.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/atomic_file.h"
#include "dartboard/genotype.h"
#include "dartboard/run_csv.h"
#include "dartboard/tool.h"

#define PATH_LEN 4096
#define QUOTED_LEN 600 /* a quoted file name or title */
#define SETUP_LEN 2048 /* the -e commands of one gnuplot run */
/* window.gp exits with this when gnuplot's default terminal cannot open a
 * window (gnuplot-nox: "unknown"). */
#define NO_WINDOW_STATUS 3

/* Colours of the eight ops, the same in every figure (colour-blind safe
 * where it matters: the conv ops, which usually win). */
static const char *const op_colors[OP_COUNT] = {"#bbbbbb", "#882255", "#cc6677", "#999933",
                                                "#0072b2", "#56b4e9", "#009e73", "#e69f00"};

/* ------------------------------------------------------- gnuplot strings */

/* s for a message: control characters as \n, \t, \r or \xNN. */
static void show_escaped(char *out, size_t len, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < len; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            out[n++] = '\\';
            out[n++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
        } else if (*p < 0x20 || *p == 0x7f) {
            n += (size_t)snprintf(out + n, len - n, "\\x%02x", *p);
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
}

int plots_gnuplot_string(char *out, size_t outlen, const char *s, char *msg, size_t msglen)
{
    char shown[1024];
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            show_escaped(shown, sizeof shown, s);
            snprintf(msg, msglen,
                     "'%s': a control character (byte %zu) cannot go into a gnuplot script, "
                     "where it would end the command (expected a name without control "
                     "characters)",
                     shown, (size_t)(p - (const unsigned char *)s) + 1);
            return -1;
        }
    }
    size_t n = 0;
    if (outlen < 3)
        goto too_long;
    out[n++] = '\'';
    for (const char *p = s; *p; p++) {
        if (n + (*p == '\'' ? 2 : 1) + 2 > outlen)
            goto too_long;
        if (*p == '\'')
            out[n++] = '\'';
        out[n++] = *p;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return 0;
too_long:
    show_escaped(shown, sizeof shown, s);
    snprintf(msg, msglen, "'%s': too long for a gnuplot script (expected at most %zu bytes quoted)",
             shown, outlen - 1);
    return -1;
}

/* A file name for gnuplot: gnuplot reads '<cmd' as a pipe from a command,
 * '|cmd' (set output) as one into a command, '~/' as the home directory
 * and '-', '+', '$name' as special inputs; "./" in front of any name that
 * does not start with a letter, digit, '_', '.' or '/' makes it a plain
 * file. Then quoted. */
static int gp_file(char *out, size_t outlen, const char *name, char *msg, size_t msglen)
{
    char safe[PATH_LEN];
    int plain = (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
                (*name >= '0' && *name <= '9') || strchr("_./", *name);
    if (!*name ||
        snprintf(safe, sizeof safe, "%s%s", plain ? "" : "./", name) >= (int)sizeof safe) {
        snprintf(msg, msglen, "'%s': not a file name for gnuplot", name);
        return -1;
    }
    return plots_gnuplot_string(out, outlen, safe, msg, msglen);
}

/* gp_file() into a script being written (the names are dartboard's own). */
static int put_file(FILE *f, const char *name)
{
    char q[QUOTED_LEN], msg[256];
    if (gp_file(q, sizeof q, name, msg, sizeof msg) != 0)
        return -1;
    fputs(q, f);
    return 0;
}

/* ------------------------------------------------------------- the files */

/* What a figure's data and script are made from. */
/* The rows of metrics.csv: a search's (per report) or a training run's
 * (per epoch, the test split in place of the validation split). */
typedef struct Curves {
    int training;
    int recurrent; /* a recurrent search's (RNN_COLUMNS): perplexity in place of accuracy */
    RunMetrics m;
    RunTrain t;
    RunRnn r;
} Curves;

typedef struct Figure {
    const char *name; /* "loss", "heatmap_reduce": NAME.gp, NAME.dat, NAME.pdf, ... */
    const char *cell; /* alpha figures: "normal" or "reduce" */
    int acc;          /* curves: accuracy instead of loss */
    const Curves *c;
    const AlphaHistory *h;
    const char *title; /* window: the quoted page title */
} Figure;

static int join(char *out, const char *dir, const char *name, char *msg, size_t msglen)
{
    if (snprintf(out, PATH_LEN, "%s/%s", dir, name) >= PATH_LEN) {
        snprintf(msg, msglen, "%s/%s: path too long", dir, name);
        return -1;
    }
    return 0;
}

/* DIR/NAME.EXT through atomic_file_write. */
static int write_file(const char *dir, const Figure *fig, const char *ext, AtomicFill fill,
                      char *msg, size_t msglen)
{
    char name[128], path[PATH_LEN];
    snprintf(name, sizeof name, "%s.%s", fig->name, ext);
    if (join(path, dir, name, msg, msglen) != 0)
        return -1;
    return atomic_file_write(path, fill, (void *)fig, msg, msglen);
}

static int make_dir(const char *dir, char *msg, size_t msglen)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, msglen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------- the script head */

/* The common head of every figure script: the output of each format (the
 * variables out_pdf, ... the program sets to its temporaries) and the
 * formats loop opener with the terminals. width x height in inches for PDF;
 * PNG and SVG scale from it. */
static int script_head(FILE *f, const char *name, const char *what, double w_in, double h_in)
{
    static const char *const exts[] = {"pdf", "png", "svg", "txt"};
    fprintf(f,
            "# %s.gp: %s\n"
            "# Written by dartboard from a run directory. Edit freely, then run\n"
            "#   gnuplot %s.gp                     (PDF, PNG and SVG)\n"
            "#   gnuplot -e \"formats='png'\" %s.gp  (one of them)\n"
            "# in this directory. The data is in %s.dat.\n"
            "if (!exists(\"formats\")) formats = \"pdf png svg\"\n"
            "if (!exists(\"dumb_w\")) dumb_w = 100\n"
            "if (!exists(\"dumb_h\")) dumb_h = 30\n",
            name, what, name, name, name);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char file[128];
        snprintf(file, sizeof file, "%s.%s", name, exts[i]);
        fprintf(f, "if (!exists(\"out_%s\")) out_%s = ", exts[i], exts[i]);
        if (put_file(f, file) != 0)
            return -1;
        fputc('\n', f);
    }
    fprintf(f,
            "set encoding utf8\n"
            "do for [fmt in formats] {\n"
            "  if (fmt eq \"pdf\") { set terminal pdfcairo enhanced color font \"Helvetica,9\" "
            "size %.2fin,%.2fin; set output out_pdf }\n"
            "  if (fmt eq \"png\") { set terminal pngcairo enhanced color font \"Helvetica,10\" "
            "size %d,%d; set output out_png }\n"
            "  if (fmt eq \"svg\") { set terminal svg enhanced font \"Helvetica,11\" size %d,%d "
            "background \"#ffffff\"; set output out_svg }\n"
            "  if (fmt eq \"dumb\") { set terminal dumb size dumb_w,dumb_h; set output out_txt }\n"
            "  dumb = fmt eq \"dumb\"   # text for a terminal: no grid, no point marks\n",
            w_in, h_in, (int)(w_in * 160), (int)(h_in * 160), (int)(w_in * 120), (int)(h_in * 120));
    return ferror(f) ? -1 : 0;
}

static void script_tail(FILE *f)
{
    fputs("  unset multiplot\n  set output\n}\n", f);
}

/* ------------------------------------------------------------- the curves */

/* Reads metrics.csv of either kind (a training run's starts "epoch,"). */
static int curves_load(const char *path, Curves *c, char *msg, size_t msglen)
{
    memset(c, 0, sizeof *c);
    FILE *f = run_csv_open(path, msg, msglen);
    if (!f)
        return -1;
    char head[64] = "";
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    c->training = n >= 6 && memcmp(head, "epoch,", 6) == 0;
    c->recurrent = strncmp(head, RNN_CSV_HEADER, strlen(RNN_CSV_HEADER)) == 0;
    if (c->recurrent)
        return run_rnn_load(path, &c->r, msg, msglen);
    return c->training ? run_train_load(path, &c->t, msg, msglen)
                       : run_metrics_load(path, &c->m, msg, msglen);
}

static int curves_count(const Curves *c)
{
    return c->recurrent ? c->r.n : c->training ? c->t.n : c->m.n;
}

static void curves_free(Curves *c)
{
    run_metrics_free(&c->m);
    run_train_free(&c->t);
    run_rnn_free(&c->r);
}

/* gnuplot's column numbers of x, the train series and the held-out series. */
static void curve_columns(const Curves *c, int acc, int *x, int *train, int *held_out)
{
    if (c->recurrent) {
        *x = rnn_column_number(RNN_STEP);
        *train = rnn_column_number(acc ? RNN_TRAIN_PPL : RNN_TRAIN_LOSS);
        *held_out = rnn_column_number(acc ? RNN_VAL_PPL : RNN_VAL_LOSS);
    } else if (c->training) {
        *x = train_column_number(TRAIN_EPOCH);
        *train = train_column_number(acc ? TRAIN_TRAIN_ACC : TRAIN_TRAIN_LOSS);
        *held_out = train_column_number(acc ? TRAIN_TEST_ACC : TRAIN_TEST_LOSS);
    } else {
        *x = metric_column_number(METRIC_STEP);
        *train = metric_column_number(acc ? METRIC_TRAIN_ACC : METRIC_TRAIN_LOSS);
        *held_out = metric_column_number(acc ? METRIC_VAL_ACC : METRIC_VAL_LOSS);
    }
}

/* The metric rows, whitespace-separated in the columns of metrics.csv, so
 * gnuplot's column numbers are those of the table (curve_columns). */
static int fill_metrics_dat(FILE *f, void *ctx)
{
    const Curves *c = ((const Figure *)ctx)->c;
    fputs("#", f);
    int columns = c->recurrent  ? RNN_COLUMN_COUNT
                  : c->training ? TRAIN_COLUMN_COUNT
                                : METRIC_COLUMN_COUNT;
    for (int k = 0; k < columns; k++)
        fprintf(f, " %s",
                c->recurrent  ? rnn_column_names[k]
                : c->training ? train_column_names[k]
                              : metric_column_names[k]);
    fputs("   (from metrics.csv)\n", f);
    for (int i = 0; i < curves_count(c); i++) {
        char line[METRIC_ROW_MAX];
        if ((c->recurrent  ? rnn_row_format(&c->r.rows[i], " ", line, sizeof line)
             : c->training ? train_row_format(&c->t.rows[i], " ", line, sizeof line)
                           : metric_row_format(&c->m.rows[i], " ", line, sizeof line)) < 0)
            return -1;
        fputs(line, f);
    }
    return 0;
}

static int fill_curve_gp(FILE *f, void *ctx)
{
    const Figure *fig = ctx;
    int acc = fig->acc, training = fig->c->training, rnn = fig->c->recurrent;
    const char *measure = !acc ? "loss" : rnn ? "perplexity" : "accuracy";
    char what[96];
    snprintf(what, sizeof what, "train and %s %s of the %s", training ? "test" : "validation",
             measure,
             training ? "training from scratch"
             : rnn    ? "recurrent search"
                      : "search");
    if (script_head(f, fig->name, what, 4.5, 2.8) != 0)
        return -1;
    fprintf(f,
            "  set title \"DARTS %s: %s\"\n"
            "  set xlabel \"%s\"\n"
            "  set autoscale xfix\n"
            "  set ylabel \"%s\"\n"
            "  if (dumb) { unset grid; set style data lines } else { set grid lc rgb \"#dddddd\"; "
            "set style data linespoints }\n"
            "  set key %s\n"
            "  set border 3\n"
            "  set tics nomirror\n"
            "  set style line 1 lc rgb \"#0072b2\" lw 2\n"
            "  set style line 2 lc rgb \"#d55e00\" lw 2\n"
            "  plot ",
            training ? "cell trained from scratch"
            : rnn    ? "recurrent search"
                     : "search",
            measure, training ? "epoch" : "step",
            !acc  ? "cross-entropy loss"
            : rnn ? "perplexity"
                  : "accuracy (%)",
            acc && !rnn ? "bottom right" : "top right");
    char dat[128];
    snprintf(dat, sizeof dat, "%s.dat", fig->name);
    if (put_file(f, dat) != 0)
        return -1;
    int x, train, held_out;
    curve_columns(fig->c, acc, &x, &train, &held_out);
    fprintf(f,
            " using %d:%d ls 1 pt 7 ps 0.4 title \"train\", \\\n"
            "       \"\" using %d:%d ls 2 pt 5 ps 0.4 title \"%s\"\n",
            x, train, x, held_out, training ? "test" : "validation");
    script_tail(f);
    return 0;
}

static int write_curve(const char *dir, const char *name, const Curves *c, int acc, char *msg,
                       size_t msglen)
{
    Figure fig = {.name = name, .acc = acc, .c = c};
    if (write_file(dir, &fig, "dat", fill_metrics_dat, msg, msglen) != 0)
        return -1;
    return write_file(dir, &fig, "gp", fill_curve_gp, msg, msglen);
}

/* -------------------------------------------------------- alpha evolution */

static const float *cell_weights(const AlphaFrame *fr, const char *cell)
{
    return strcmp(cell, "reduce") == 0 ? fr->reduce : fr->normal;
}

static int fill_evolution_dat(FILE *f, void *ctx)
{
    const Figure *fig = ctx;
    const AlphaHistory *h = fig->h;
    fprintf(f,
            "# softmaxed alphas of the %s cell per report (alphas.csv)\n"
            "# column 1: step; then for each edge e (0..%d) and op o (0..%d):\n"
            "# column 2 + e * %d + o\n# ops:",
            fig->cell, h->edges - 1, OP_COUNT - 1, OP_COUNT);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(f, " %s", op_names[k]);
    fputc('\n', f);
    for (int i = 0; i < h->n; i++) {
        const float *w = cell_weights(&h->frames[i], fig->cell);
        fprintf(f, "%lld", (long long)h->frames[i].step);
        for (int k = 0; k < h->edges * OP_COUNT; k++)
            fprintf(f, " %.6g", (double)w[k]);
        fputc('\n', f);
    }
    return 0;
}

/* The largest weight of the run rounded up to a tenth: the panels' y range. */
static double evolution_ymax(const AlphaHistory *h, const char *cell)
{
    double ymax = 0;
    for (int i = 0; i < h->n; i++) {
        const float *w = cell_weights(&h->frames[i], cell);
        for (int k = 0; k < h->edges * OP_COUNT; k++)
            ymax = fmax(ymax, w[k]);
    }
    ymax = fmin(1.0, ceil(ymax * 10 + 1e-9) / 10);
    return ymax > 0 ? ymax : 1;
}

/* The variables the panels read: op names, colours and the edges of the
 * derived cell (their panels get a red title). */
static void evolution_lists(FILE *f, const Figure *fig)
{
    const AlphaHistory *h = fig->h;
    fputs("  ops = \"", f);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(f, "%s%s", k ? " " : "", op_names[k]);
    fputs("\"\n  colors = \"", f);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(f, "%s%s", k ? " " : "", op_colors[k]);
    Genotype g;
    const AlphaFrame *last = &h->frames[h->n - 1];
    genotype_derive(&g, last->normal, last->reduce, h->nodes);
    const GenoEdge *kept = strcmp(fig->cell, "reduce") == 0 ? g.reduce : g.normal;
    fputs("\"\n  kept = \" ", f);
    for (int i = 0; i < 2 * h->nodes; i++)
        fprintf(f, "%d ", genotype_edge_count(i / 2) + kept[i].input);
    fputs("\"   # edges of the derived cell at the last report\n", f);
}

/* Small multiples: row i = node i, column j = its input j (node i has 2 + i
 * inputs), so the grid reads like the cell. The key fills the empty
 * top-right corner. */
static int fill_evolution_gp(FILE *f, void *ctx)
{
    const Figure *fig = ctx;
    const AlphaHistory *h = fig->h;
    int rows = h->nodes, cols = h->nodes + 1;
    double ymax = evolution_ymax(h, fig->cell);
    char what[128], dat[128];
    snprintf(what, sizeof what, "evolution of the %s cell's op weights, one panel per edge",
             fig->cell);
    if (script_head(f, fig->name, what, 1.6 * cols, 1.25 * rows + 0.35) != 0)
        return -1;
    evolution_lists(f, fig);
    fprintf(f,
            "  nodes = %d\n"
            "  ncol = nodes + 1\n"
            "  top = 0.94   # room for the title\n"
            "  pw = 1.0 / ncol\n"
            "  ph = top / nodes\n"
            "  set multiplot title \"DARTS %s cell: op weights during the search\"\n"
            "  set yrange [0:%.2g]   # the largest weight of the run, rounded up\n"
            "  set ytics %.2g font \",7\"\n"
            "  set autoscale xfix\n"
            "  set xtics font \",7\" rotate by 30 right\n"
            "  set format x \"%%.0s%%c\"\n"
            "  set grid lc rgb \"#eeeeee\"\n"
            "  set border 3\n"
            "  set tics nomirror\n"
            "  set lmargin 5\n  set rmargin 1\n  set tmargin 1.6\n  set bmargin 2\n"
            "  unset key\n"
            "  do for [i=0:nodes-1] {\n"
            "    do for [j=0:i+1] {\n"
            "      e = i * (i + 3) / 2 + j\n"
            "      src = (j < 2) ? sprintf(\"c_{k-%%d}\", 2 - j) : sprintf(\"%%d\", j - 2)\n"
            "      is_kept = strstrt(kept, sprintf(\" %%d \", e)) > 0\n"
            "      set title sprintf(\"node %%d ← %%s%%s\", i, src, is_kept ? \" (kept)\" : \"\") "
            "font \",8\" tc rgb (is_kept ? \"#d62728\" : \"#000000\")\n"
            "      set origin j * pw, top - (i + 1) * ph\n"
            "      set size pw, ph\n"
            "      plot for [o=1:%d] ",
            h->nodes, fig->cell, ymax, ymax / 2, OP_COUNT);
    snprintf(dat, sizeof dat, "%s.dat", fig->name);
    if (put_file(f, dat) != 0)
        return -1;
    fprintf(f,
            " using 1:(column(1 + e * %d + o)) with lines lw 1.5 lc rgb word(colors, o) notitle\n"
            "    }\n"
            "  }\n"
            "  # the key, in the empty panels of the first row\n"
            "  set origin 2 * pw, top - ph\n"
            "  set size (ncol - 2) * pw, ph\n"
            "  unset title\n  unset border\n  unset tics\n  unset grid\n"
            "  set key center center vertical maxrows 4 samplen 2 font \",9\" noenhanced\n"
            "  set yrange [0:1]\n"
            "  plot for [o=1:%d] 2 with lines lw 2 lc rgb word(colors, o) title word(ops, o)\n",
            OP_COUNT, OP_COUNT);
    script_tail(f);
    return 0;
}

/* ---------------------------------------------------------------- heatmap */

static void edge_title(char *buf, size_t n, int e)
{
    int node, input;
    genotype_edge_endpoints(e, &node, &input);
    if (input < 2)
        snprintf(buf, n, "%d ← c_{k-%d}", node, 2 - input);
    else
        snprintf(buf, n, "%d ← %d", node, input - 2);
}

/* The colour scale: early in a search every weight is near 1/8, so it runs
 * from the smallest to the largest weight to show which ops pull ahead. */
static void heatmap_range(const float *w, int edges, double *wmin, double *wmax)
{
    *wmin = 1;
    *wmax = 0;
    for (int k = 0; k < edges * OP_COUNT; k++) {
        *wmin = fmin(*wmin, w[k]);
        *wmax = fmax(*wmax, w[k]);
    }
    if (!(*wmax - *wmin > 1e-6)) {
        *wmin = 0;
        *wmax = *wmax > 0 ? *wmax : 1;
    }
}

static int fill_heatmap_dat(FILE *f, void *ctx)
{
    const Figure *fig = ctx;
    const AlphaFrame *last = &fig->h->frames[fig->h->n - 1];
    const float *w = cell_weights(last, fig->cell);
    fprintf(f,
            "# final softmaxed alphas of the %s cell at step %lld (alphas.csv)\n"
            "# one row per edge, one column per op:",
            fig->cell, (long long)last->step);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(f, " %s", op_names[k]);
    fputc('\n', f);
    for (int e = 0; e < fig->h->edges; e++) {
        for (int k = 0; k < OP_COUNT; k++)
            fprintf(f, "%s%.6g", k ? " " : "", (double)w[e * OP_COUNT + k]);
        fputc('\n', f);
    }
    return 0;
}

/* Tic labels (ops across, edges down) and an outline on the op each kept
 * edge contributes to the derived cell. */
static void heatmap_labels(FILE *f, const Figure *fig)
{
    const AlphaHistory *h = fig->h;
    fputs("  set xtics rotate by 35 right noenhanced (", f);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(f, "%s\"%s\" %d", k ? ", " : "", op_names[k], k);
    fputs(")\n  set ytics (", f);
    for (int e = 0; e < h->edges; e++) {
        char t[64];
        edge_title(t, sizeof t, e);
        fprintf(f, "%s\"%s\" %d", e ? ", " : "", t, e);
    }
    Genotype g;
    const AlphaFrame *last = &h->frames[h->n - 1];
    genotype_derive(&g, last->normal, last->reduce, h->nodes);
    const GenoEdge *kept = strcmp(fig->cell, "reduce") == 0 ? g.reduce : g.normal;
    fputs(")\n  # outlined: the op each kept edge contributes to the derived cell\n", f);
    for (int i = 0; i < 2 * h->nodes; i++) {
        int e = genotype_edge_count(i / 2) + kept[i].input;
        fprintf(f,
                "  set object %d rect from %g,%g to %g,%g front fillstyle empty "
                "border lc rgb \"#d62728\" lw 2\n",
                i + 1, kept[i].op - 0.5, e - 0.5, kept[i].op + 0.5, e + 0.5);
    }
}

static int fill_heatmap_gp(FILE *f, void *ctx)
{
    const Figure *fig = ctx;
    const AlphaHistory *h = fig->h;
    const AlphaFrame *last = &h->frames[h->n - 1];
    double wmin, wmax;
    heatmap_range(cell_weights(last, fig->cell), h->edges, &wmin, &wmax);
    char what[128], dat[128];
    snprintf(what, sizeof what, "final alphas of the %s cell (edges x ops)", fig->cell);
    if (script_head(f, fig->name, what, 4.2, 0.9 + 0.2 * h->edges) != 0)
        return -1;
    fprintf(f,
            "  set title \"DARTS %s cell: final op weights (step %lld)\"\n"
            "  set palette defined (0 \"#f7fbff\", 0.5 \"#6baed6\", 1 \"#08306b\")\n"
            "  set cblabel \"softmax weight\"\n"
            "  set cbrange [%.4g:%.4g]\n"
            "  set xrange [-0.5:%d.5]\n"
            "  set yrange [%d.5:-0.5]\n"
            "  set tics scale 0\n",
            fig->cell, (long long)last->step, wmin, wmax, OP_COUNT - 1, h->edges - 1);
    heatmap_labels(f, fig);
    fprintf(f,
            "  set ylabel \"edge (node ← input)\"\n"
            "  unset key\n"
            "  # numbers: white on dark cells, black on light ones\n"
            "  dark = %.4g\n"
            "  plot ",
            wmin + 0.55 * (wmax - wmin));
    snprintf(dat, sizeof dat, "%s.dat", fig->name);
    if (put_file(f, dat) != 0)
        return -1;
    fprintf(f,
            " matrix with image, \\\n"
            "       \"\" matrix using 1:2:(sprintf(\"%%.%df\", $3)):($3 > dark ? 0xffffff : "
            "0x000000) with labels font \",6\" tc rgb variable\n",
            wmax - wmin < 0.05 ? 3 : 2);
    script_tail(f);
    return 0;
}

/* ------------------------------------------------------------- the window */

static int fill_window_gp(FILE *f, void *ctx)
{
    const Figure *fig = ctx;
    fprintf(f,
            "# window.gp: loss and accuracy of the search in gnuplot's window\n"
            "# Written by dartboard for the UI's g key; rerun: gnuplot -persist window.gp\n"
            "if (GPVAL_TERM eq 'unknown' || GPVAL_TERM eq 'dumb') exit status %d\n"
            "set multiplot layout 2,1 title %s noenhanced\n"
            "set xlabel '%s'\n"
            "set key top right\n",
            NO_WINDOW_STATUS, fig->title, fig->c->training ? "epoch" : "step");
    for (int acc = 0; acc < 2; acc++) {
        fprintf(f, "set title '%s'\nplot ", acc ? "accuracy (%)" : "loss");
        if (put_file(f, acc ? "accuracy.dat" : "loss.dat") != 0)
            return -1;
        int x, train, held_out;
        curve_columns(fig->c, acc, &x, &train, &held_out);
        fprintf(f,
                " using %d:%d with lines title 'train', '' using %d:%d with lines "
                "title '%s'\n",
                x, train, x, held_out, fig->c->training ? "test" : "validation");
    }
    fputs("unset multiplot\n", f);
    return 0;
}

/* -------------------------------------------------------------- running */

/* A reserved temporary gnuplot writes one output into. */
typedef struct Output {
    char path[PATH_LEN], tmp[PATH_LEN];
} Output;

/* Reserves DIR/NAME.EXT and appends "; out_EXT='.NAME.EXT.tmp-XXXXXX'" to
 * setup (gnuplot runs in dir: the temporary's own name is enough). */
static int reserve_output(const char *dir, const char *name, const char *ext, Output *o,
                          char *setup, size_t setuplen, char *msg, size_t msglen)
{
    char file[128], quoted[QUOTED_LEN];
    snprintf(file, sizeof file, "%s.%s", name, ext);
    if (join(o->path, dir, file, msg, msglen) != 0 ||
        atomic_file_reserve(o->path, o->tmp, sizeof o->tmp, msg, msglen) != 0)
        return -1;
    const char *slash = strrchr(o->tmp, '/');
    size_t used = strlen(setup);
    int rc = gp_file(quoted, sizeof quoted, slash ? slash + 1 : o->tmp, msg, msglen);
    if (rc == 0 && snprintf(setup + used, setuplen - used, "; out_%s=%s", ext, quoted) >=
                       (int)(setuplen - used)) {
        snprintf(msg, msglen, "%s: gnuplot command line too long", o->path);
        rc = -1;
    }
    if (rc != 0)
        atomic_file_abandon(o->tmp);
    return rc;
}

/* Renames what gnuplot wrote into place; an empty output is an error
 * (gnuplot said it succeeded but drew nothing). */
static int commit_outputs(Output *out, int n, char *msg, size_t msglen)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (rc != 0) {
            atomic_file_abandon(out[i].tmp);
        } else if (stat(out[i].tmp, &st) != 0 || st.st_size == 0) {
            snprintf(msg, msglen, "%s: gnuplot wrote nothing", out[i].path);
            atomic_file_abandon(out[i].tmp);
            rc = -1;
        } else {
            rc = atomic_file_commit(out[i].tmp, out[i].path, msg, msglen);
        }
    }
    return rc;
}

/* Runs DIR/NAME.gp for formats ("pdf png svg" or "dumb"), extra (gnuplot
 * commands or NULL) before it; the outputs reach DIR/NAME.EXT only whole. */
static int run_script(const char *dir, const char *name, const char *formats, const char *extra,
                      char *msg, size_t msglen)
{
    char setup[SETUP_LEN], quoted[128], list[64], script[128];
    if (plots_gnuplot_string(quoted, sizeof quoted, formats, msg, msglen) != 0)
        return -1;
    snprintf(setup, sizeof setup, "formats=%s%s%s", quoted, extra ? "; " : "", extra ? extra : "");
    Output out[4]; /* parse_formats() leaves at most three, "dumb" comes alone */
    int n = 0, rc = 0;
    snprintf(list, sizeof list, "%s", formats);
    for (char *sp = NULL, *fmt = strtok_r(list, " ", &sp); fmt && rc == 0;
         fmt = strtok_r(NULL, " ", &sp)) {
        const char *ext = strcmp(fmt, "dumb") == 0 ? "txt" : fmt;
        rc = n < 4 ? reserve_output(dir, name, ext, &out[n], setup, sizeof setup, msg, msglen) : -1;
        n += rc == 0;
    }
    snprintf(script, sizeof script, "%s.gp", name);
    const char *argv[] = {"gnuplot", "-e", setup, script, NULL};
    if (rc == 0)
        rc = tool_run(argv, dir, NULL, "gnuplot-nox", msg, msglen);
    if (rc != 0) {
        for (int i = 0; i < n; i++)
            atomic_file_abandon(out[i].tmp);
        return -1;
    }
    return commit_outputs(out, n, msg, msglen);
}

/* ----------------------------------------------------------------- driver */

/* "pdf,png" -> "pdf png", validated. */
static int parse_formats(const char *formats, char *out, size_t n, char *msg, size_t msglen)
{
    if (!formats)
        formats = "pdf png svg";
    out[0] = '\0';
    char list[128];
    snprintf(list, sizeof list, "%s", formats);
    for (char *sp = NULL, *tok = strtok_r(list, ", ", &sp); tok; tok = strtok_r(NULL, ", ", &sp)) {
        if (strcmp(tok, "pdf") && strcmp(tok, "png") && strcmp(tok, "svg")) {
            snprintf(msg, msglen, "unknown figure format '%s' (expected pdf, png or svg)", tok);
            return -1;
        }
        size_t used = strlen(out);
        if (!strstr(out, tok)) /* each once: one temporary per output */
            snprintf(out + used, n - used, "%s%s", used ? " " : "", tok);
    }
    if (!out[0]) {
        snprintf(msg, msglen, "no figure format (expected pdf, png or svg)");
        return -1;
    }
    return 0;
}

static int have_gnuplot(char *msg, size_t msglen)
{
    if (tool_available("gnuplot"))
        return 1;
    snprintf(msg, msglen, "gnuplot: not installed (install the Debian package gnuplot-nox)");
    return 0;
}

/* Loads what exists of metrics.csv and alphas.csv. -1 on a malformed file
 * or when neither exists. */
static int load_run(const char *run_dir, Curves *m, AlphaHistory *h, int *have_m, int *have_a,
                    char *msg, size_t msglen)
{
    char path[PATH_LEN];
    *have_m = *have_a = 0;
    if (join(path, run_dir, "metrics.csv", msg, msglen) != 0)
        return -1;
    if (access(path, F_OK) == 0) {
        if (curves_load(path, m, msg, msglen) != 0)
            return -1;
        *have_m = curves_count(m) > 0;
        if (!*have_m)
            curves_free(m);
    }
    if (join(path, run_dir, "alphas.csv", msg, msglen) != 0)
        return -1;
    /* A recurrent search's alphas (cell `recurrent`) have no figure yet: its curves only. */
    if (!(*have_m && m->recurrent) && access(path, F_OK) == 0) {
        if (run_alphas_load(path, h, msg, msglen) != 0) {
            if (*have_m)
                curves_free(m);
            return -1;
        }
        *have_a = 1;
    }
    if (!*have_m && !*have_a) {
        snprintf(msg, msglen,
                 "%s: no metrics rows or alphas.csv yet (expected a run directory "
                 "with at least one report)",
                 run_dir);
        return -1;
    }
    return 0;
}

/* Writes the data and scripts of every figure the run has input for and
 * names them in names[] (at most 6). Returns how many, or -1. */

/* A figure of one cell's alphas: KIND_CELL.dat and KIND_CELL.gp. */
static int write_cell_figure(const char *dir, const char *kind, const char *cell,
                             const AlphaHistory *h, AtomicFill fill_dat, AtomicFill fill_gp,
                             char *msg, size_t msglen)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%s", kind, cell);
    Figure fig = {.name = name, .cell = cell, .h = h};
    if (write_file(dir, &fig, "dat", fill_dat, msg, msglen) != 0)
        return -1;
    return write_file(dir, &fig, "gp", fill_gp, msg, msglen);
}

static int write_figures(const char *out_dir, const Curves *m, const AlphaHistory *h,
                         const char **names, char *msg, size_t msglen)
{
    static const char *const alpha_names[2][2] = {{"alphas_normal", "heatmap_normal"},
                                                  {"alphas_reduce", "heatmap_reduce"}};
    int n = 0;
    if (m) {
        const char *second = m->recurrent ? "perplexity" : "accuracy";
        if (write_curve(out_dir, "loss", m, 0, msg, msglen) != 0 ||
            write_curve(out_dir, second, m, 1, msg, msglen) != 0)
            return -1;
        names[n++] = "loss";
        names[n++] = second;
    }
    for (int c = 0; h && c < 2; c++) {
        const char *cell = c ? "reduce" : "normal";
        if (write_cell_figure(out_dir, "alphas", cell, h, fill_evolution_dat, fill_evolution_gp,
                              msg, msglen) != 0 ||
            write_cell_figure(out_dir, "heatmap", cell, h, fill_heatmap_dat, fill_heatmap_gp, msg,
                              msglen) != 0)
            return -1;
        names[n++] = alpha_names[c][0];
        names[n++] = alpha_names[c][1];
    }
    return n;
}

int plots_write_to(const char *run_dir, const char *out_dir, const char *formats, char *msg,
                   size_t msglen)
{
    char fmts[64];
    if (parse_formats(formats, fmts, sizeof fmts, msg, msglen) != 0 || !have_gnuplot(msg, msglen))
        return -1;
    Curves m = {0};
    AlphaHistory h = {0};
    int have_m, have_a;
    if (load_run(run_dir, &m, &h, &have_m, &have_a, msg, msglen) != 0)
        return -1;
    const char *names[6];
    int n = make_dir(out_dir, msg, msglen) == 0
                ? write_figures(out_dir, have_m ? &m : NULL, have_a ? &h : NULL, names, msg, msglen)
                : -1;
    int rc = n < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = run_script(out_dir, names[i], fmts, NULL, msg, msglen);
    if (rc == 0)
        snprintf(msg, msglen, "wrote %d figures (%s) in %s%s", n, fmts, out_dir,
                 !have_m   ? "; no metrics yet, so no loss or accuracy"
                 : !have_a ? "; no alphas.csv, so no alpha figures"
                           : "");
    if (have_m)
        curves_free(&m);
    if (have_a)
        run_alphas_free(&h);
    return rc;
}

int plots_write(const char *run_dir, const char *formats, char *msg, size_t msglen)
{
    char dir[PATH_LEN];
    if (join(dir, run_dir, "plots", msg, msglen) != 0)
        return -1;
    return plots_write_to(run_dir, dir, formats, msg, msglen);
}

/* metrics.csv with at least one row, and RUN_DIR/plots, for the curves. */
static int load_metrics(const char *run_dir, Curves *m, char *dir, char *msg, size_t msglen)
{
    char path[PATH_LEN];
    if (join(path, run_dir, "metrics.csv", msg, msglen) != 0 ||
        join(dir, run_dir, "plots", msg, msglen) != 0 || curves_load(path, m, msg, msglen) != 0)
        return -1;
    if (curves_count(m) == 0) {
        curves_free(m);
        snprintf(msg, msglen, "%s: no rows yet (expected at least one %s)", path,
                 m->training ? "epoch" : "report");
        return -1;
    }
    if (make_dir(dir, msg, msglen) != 0) {
        curves_free(m);
        return -1;
    }
    return 0;
}

/* The text gnuplot's dumb terminal wrote, without its leading form feed. */
static int read_text(const char *path, char *buf, size_t buflen, char *msg, size_t msglen)
{
    FILE *f = run_csv_open(path, msg, msglen);
    if (!f)
        return -1;
    size_t n = fread(buf, 1, buflen ? buflen - 1 : 0, f);
    fclose(f);
    if (buflen)
        buf[n] = '\0';
    if (n && buf[0] == '\f')
        memmove(buf, buf + 1, n);
    return 0;
}

int plots_dumb(const char *run_dir, int width, int height, char *buf, size_t buflen, char *msg,
               size_t msglen)
{
    if (buflen)
        buf[0] = '\0';
    if (width < 20 || height < 8) {
        snprintf(msg, msglen, "%dx%d is too small for a plot (expected at least 20x8)", width,
                 height);
        return -1;
    }
    if (!have_gnuplot(msg, msglen))
        return -1;
    char dir[PATH_LEN], size[64], txt[PATH_LEN];
    Curves m;
    if (load_metrics(run_dir, &m, dir, msg, msglen) != 0)
        return -1;
    int rc = write_curve(dir, "loss", &m, 0, msg, msglen);
    curves_free(&m);
    snprintf(size, sizeof size, "dumb_w=%d; dumb_h=%d", width, height);
    if (rc != 0 || run_script(dir, "loss", "dumb", size, msg, msglen) != 0 ||
        join(txt, dir, "loss.txt", msg, msglen) != 0 ||
        read_text(txt, buf, buflen, msg, msglen) != 0)
        return -1;
    snprintf(msg, msglen, "plotted %s", txt);
    return 0;
}

int plots_window(const char *run_dir, char *msg, size_t msglen)
{
    /* The page title names the run: the one place a directory goes into a script. */
    char title[PATH_LEN], quoted[2 * PATH_LEN], why[PATH_LEN];
    if (plots_gnuplot_string(quoted, sizeof quoted, run_dir, why, sizeof why) != 0) {
        snprintf(msg, msglen, "run directory %s", why);
        return -1;
    }
    snprintf(title, sizeof title, "dartboard: %s", run_dir);
    if (plots_gnuplot_string(quoted, sizeof quoted, title, msg, msglen) != 0)
        return -1;
    if (!have_gnuplot(msg, msglen))
        return -1;
    char dir[PATH_LEN];
    Curves m;
    if (load_metrics(run_dir, &m, dir, msg, msglen) != 0)
        return -1;
    Figure window = {.name = "window", .title = quoted, .c = &m};
    int rc = write_curve(dir, "loss", &m, 0, msg, msglen);
    if (rc == 0)
        rc = write_curve(dir, "accuracy", &m, 1, msg, msglen);
    if (rc == 0)
        rc = write_file(dir, &window, "gp", fill_window_gp, msg, msglen);
    curves_free(&m);
    if (rc != 0)
        return -1;
    const char *argv[] = {"gnuplot", "-persist", "window.gp", NULL};
    rc = tool_run(argv, dir, NULL, "gnuplot-x11", msg, msglen);
    char no_window[32];
    snprintf(no_window, sizeof no_window, "(exit status %d)", NO_WINDOW_STATUS);
    if (rc != 0 && strstr(msg, no_window))
        return 1;
    if (rc == 0)
        snprintf(msg, msglen, "window opened");
    return rc;
}
