/* plots: gnuplot scripts + data for the figures of a run, and their output.
 *
 * Every script is self-contained and run from its own directory, so a user
 * can edit NAME.gp and rerun `gnuplot NAME.gp` there. The terminal settings
 * live in one block at the top of each script (set_terminal), selected by
 * the variable `formats`, so the plot commands are written once.
 */
#include "dartboard/plots.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/genotype.h"
#include "dartboard/run_csv.h"
#include "dartboard/tool.h"

#define PATH_LEN 4096

/* Colours of the eight ops, the same in every figure (colour-blind safe
 * where it matters: the conv ops, which usually win). */
static const char *const op_colors[OP_COUNT] = {"#bbbbbb", "#882255", "#cc6677", "#999933",
                                                "#0072b2", "#56b4e9", "#009e73", "#e69f00"};

typedef struct Out {
    char path[PATH_LEN], tmp[PATH_LEN + 32];
    FILE *f;
} Out;

static int out_open(Out *o, const char *dir, const char *name, char *msg, size_t msglen)
{
    if (snprintf(o->path, sizeof o->path, "%s/%s", dir, name) >= (int)sizeof o->path) {
        snprintf(msg, msglen, "%s/%s: path too long", dir, name);
        return -1;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", o->path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        snprintf(msg, msglen, "%s: %s", o->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int out_close(Out *o, char *msg, size_t msglen)
{
    int bad = ferror(o->f);
    errno = 0;
    if (fclose(o->f) != 0 || bad || rename(o->tmp, o->path) != 0) {
        snprintf(msg, msglen, "%s: %s", o->path, errno ? strerror(errno) : "write failed");
        unlink(o->tmp);
        return -1;
    }
    return 0;
}

/* The common head of every script: formats loop opener and terminals.
 * width x height in inches for PDF; PNG and SVG scale from it. */
static void script_head(FILE *f, const char *name, const char *what, double w_in, double h_in)
{
    fprintf(
        f,
        "# %s.gp: %s\n"
        "# Written by dartboard from a run directory. Edit freely, then run\n"
        "#   gnuplot %s.gp                     (PDF, PNG and SVG)\n"
        "#   gnuplot -e \"formats='png'\" %s.gp  (one of them)\n"
        "# in this directory. The data is in %s.dat.\n"
        "if (!exists(\"formats\")) formats = \"pdf png svg\"\n"
        "if (!exists(\"dumb_w\")) dumb_w = 100\n"
        "if (!exists(\"dumb_h\")) dumb_h = 30\n"
        "set encoding utf8\n"
        "do for [fmt in formats] {\n"
        "  if (fmt eq \"pdf\") { set terminal pdfcairo enhanced color font \"Helvetica,9\" "
        "size %.2fin,%.2fin; set output \"%s.pdf\" }\n"
        "  if (fmt eq \"png\") { set terminal pngcairo enhanced color font \"Helvetica,10\" "
        "size %d,%d; set output \"%s.png\" }\n"
        "  if (fmt eq \"svg\") { set terminal svg enhanced font \"Helvetica,11\" size %d,%d "
        "background \"#ffffff\"; set output \"%s.svg\" }\n"
        "  if (fmt eq \"dumb\") { set terminal dumb size dumb_w,dumb_h; set output \"%s.txt\" }\n"
        "  dumb = fmt eq \"dumb\"   # text for a terminal: no grid, no point marks\n",
        name, what, name, name, name, w_in, h_in, name, (int)(w_in * 160), (int)(h_in * 160), name,
        (int)(w_in * 120), (int)(h_in * 120), name, name);
}

static void script_tail(FILE *f)
{
    fputs("  unset multiplot\n  set output\n}\n", f);
}

/* ------------------------------------------------------------- the curves */

static int write_curve(const char *dir, const char *name, const RunMetrics *m, int acc, char *msg,
                       size_t msglen)
{
    Out o;
    char file[300];
    snprintf(file, sizeof file, "%s.dat", name);
    if (out_open(&o, dir, file, msg, msglen) != 0)
        return -1;
    fprintf(o.f, "# step epoch train_%s val_%s   (from metrics.csv)\n", acc ? "acc" : "loss",
            acc ? "acc" : "loss");
    for (int i = 0; i < m->n; i++) {
        const RunMetric *r = &m->rows[i];
        fprintf(o.f, "%lld %d %.9g %.9g\n", (long long)r->step, r->epoch,
                acc ? r->train_acc : r->train_loss, acc ? r->val_acc : r->val_loss);
    }
    if (out_close(&o, msg, msglen) != 0)
        return -1;

    snprintf(file, sizeof file, "%s.gp", name);
    if (out_open(&o, dir, file, msg, msglen) != 0)
        return -1;
    script_head(o.f, name,
                acc ? "train and validation accuracy of the search"
                    : "train and validation loss of the search",
                4.5, 2.8);
    fprintf(o.f,
            "  set title \"DARTS search: %s\"\n"
            "  set xlabel \"step\"\n"
            "  set autoscale xfix\n"
            "  set ylabel \"%s\"\n"
            "  if (dumb) { unset grid; set style data lines } else { set grid lc rgb \"#dddddd\"; "
            "set style data linespoints }\n"
            "  set key %s\n"
            "  set border 3\n"
            "  set tics nomirror\n"
            "  set style line 1 lc rgb \"#0072b2\" lw 2\n"
            "  set style line 2 lc rgb \"#d55e00\" lw 2\n"
            "  plot \"%s.dat\" using 1:3 ls 1 pt 7 ps 0.4 title \"train\", \\\n"
            "       \"\" using 1:4 ls 2 pt 5 ps 0.4 title \"validation\"\n",
            acc ? "accuracy" : "loss", acc ? "accuracy (%)" : "cross-entropy loss",
            acc ? "bottom right" : "top right", name);
    script_tail(o.f);
    return out_close(&o, msg, msglen);
}

/* -------------------------------------------------------- alpha evolution */

static void edge_title(char *buf, size_t n, int e, int enhanced)
{
    int node, input;
    genotype_edge_endpoints(e, &node, &input);
    if (input < 2)
        snprintf(buf, n, enhanced ? "%d ← c_{k-%d}" : "%d <- c_k-%d", node, 2 - input);
    else
        snprintf(buf, n, enhanced ? "%d ← %d" : "%d <- %d", node, input - 2);
}

static int write_evolution(const char *dir, const char *cell, const AlphaHistory *h, char *msg,
                           size_t msglen)
{
    char name[64], file[96];
    snprintf(name, sizeof name, "alphas_%s", cell);
    int reduce = strcmp(cell, "reduce") == 0;
    Out o;
    snprintf(file, sizeof file, "%s.dat", name);
    if (out_open(&o, dir, file, msg, msglen) != 0)
        return -1;
    fprintf(o.f,
            "# softmaxed alphas of the %s cell per report (alphas.csv)\n"
            "# column 1: step; then for each edge e (0..%d) and op o (0..%d):\n"
            "# column 2 + e * %d + o\n# ops:",
            cell, h->edges - 1, OP_COUNT - 1, OP_COUNT);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(o.f, " %s", op_names[k]);
    fputc('\n', o.f);
    for (int i = 0; i < h->n; i++) {
        const float *w = reduce ? h->frames[i].reduce : h->frames[i].normal;
        fprintf(o.f, "%lld", (long long)h->frames[i].step);
        for (int k = 0; k < h->edges * OP_COUNT; k++)
            fprintf(o.f, " %.6g", (double)w[k]);
        fputc('\n', o.f);
    }
    if (out_close(&o, msg, msglen) != 0)
        return -1;

    /* Small multiples: row i = node i, column j = its input j (node i has
     * 2 + i inputs), so the grid reads like the cell. The key fills the
     * empty top-right corner. */
    int rows = h->nodes, cols = h->nodes + 1;
    double ymax = 0;
    for (int i = 0; i < h->n; i++)
        for (int k = 0; k < h->edges * OP_COUNT; k++) {
            float v = reduce ? h->frames[i].reduce[k] : h->frames[i].normal[k];
            if (v > ymax)
                ymax = v;
        }
    ymax = fmin(1.0, ceil(ymax * 10 + 1e-9) / 10);
    if (!(ymax > 0))
        ymax = 1;
    snprintf(file, sizeof file, "%s.gp", name);
    if (out_open(&o, dir, file, msg, msglen) != 0)
        return -1;
    char what[128];
    snprintf(what, sizeof what, "evolution of the %s cell's op weights, one panel per edge", cell);
    script_head(o.f, name, what, 1.6 * cols, 1.25 * rows + 0.35);
    fputs("  ops = \"", o.f);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(o.f, "%s%s", k ? " " : "", op_names[k]);
    fputs("\"\n  colors = \"", o.f);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(o.f, "%s%s", k ? " " : "", op_colors[k]);
    /* The edges the final derived cell keeps get a red title. */
    Genotype g;
    const AlphaFrame *last = &h->frames[h->n - 1];
    genotype_derive(&g, last->normal, last->reduce, h->nodes);
    fputs("\"\n  kept = \" ", o.f);
    for (int i = 0; i < 2 * h->nodes; i++)
        fprintf(o.f, "%d ", genotype_edge_count(i / 2) + (reduce ? g.reduce : g.normal)[i].input);
    fprintf(o.f,
            "\"   # edges of the derived cell at the last report\n"
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
            "      plot for [o=1:%d] \"%s.dat\" using 1:(column(1 + e * %d + o)) with lines "
            "lw 1.5 lc rgb word(colors, o) notitle\n"
            "    }\n"
            "  }\n"
            "  # the key, in the empty panels of the first row\n"
            "  set origin 2 * pw, top - ph\n"
            "  set size (ncol - 2) * pw, ph\n"
            "  unset title\n  unset border\n  unset tics\n  unset grid\n"
            "  set key center center vertical maxrows 4 samplen 2 font \",9\" noenhanced\n"
            "  set yrange [0:1]\n"
            "  plot for [o=1:%d] 2 with lines lw 2 lc rgb word(colors, o) title word(ops, o)\n",
            h->nodes, cell, ymax, ymax / 2, OP_COUNT, name, OP_COUNT, OP_COUNT);
    script_tail(o.f);
    return out_close(&o, msg, msglen);
}

/* ---------------------------------------------------------------- heatmap */

static int write_heatmap(const char *dir, const char *cell, const AlphaHistory *h, char *msg,
                         size_t msglen)
{
    char name[64], file[96];
    snprintf(name, sizeof name, "heatmap_%s", cell);
    const AlphaFrame *last = &h->frames[h->n - 1];
    const float *w = strcmp(cell, "reduce") == 0 ? last->reduce : last->normal;
    Out o;
    snprintf(file, sizeof file, "%s.dat", name);
    if (out_open(&o, dir, file, msg, msglen) != 0)
        return -1;
    fprintf(o.f,
            "# final softmaxed alphas of the %s cell at step %lld (alphas.csv)\n"
            "# one row per edge, one column per op:",
            cell, (long long)last->step);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(o.f, " %s", op_names[k]);
    fputc('\n', o.f);
    double wmin = 1, wmax = 0;
    for (int e = 0; e < h->edges; e++) {
        for (int k = 0; k < OP_COUNT; k++) {
            fprintf(o.f, "%s%.6g", k ? " " : "", (double)w[e * OP_COUNT + k]);
            wmin = fmin(wmin, w[e * OP_COUNT + k]);
            wmax = fmax(wmax, w[e * OP_COUNT + k]);
        }
        fputc('\n', o.f);
    }
    /* Early in a search every weight is near 1/8: a colour scale from the
     * smallest to the largest weight shows which ops are pulling ahead. */
    if (!(wmax - wmin > 1e-6)) {
        wmin = 0;
        wmax = wmax > 0 ? wmax : 1;
    }
    if (out_close(&o, msg, msglen) != 0)
        return -1;

    snprintf(file, sizeof file, "%s.gp", name);
    if (out_open(&o, dir, file, msg, msglen) != 0)
        return -1;
    char what[128];
    snprintf(what, sizeof what, "final alphas of the %s cell (edges x ops)", cell);
    script_head(o.f, name, what, 4.2, 0.9 + 0.2 * h->edges);
    fprintf(o.f,
            "  set title \"DARTS %s cell: final op weights (step %lld)\"\n"
            "  set palette defined (0 \"#f7fbff\", 0.5 \"#6baed6\", 1 \"#08306b\")\n"
            "  set cblabel \"softmax weight\"\n"
            "  set cbrange [%.4g:%.4g]\n"
            "  set xrange [-0.5:%d.5]\n"
            "  set yrange [%d.5:-0.5]\n"
            "  set tics scale 0\n"
            "  set xtics rotate by 35 right noenhanced (",
            cell, (long long)last->step, wmin, wmax, OP_COUNT - 1, h->edges - 1);
    for (int k = 0; k < OP_COUNT; k++)
        fprintf(o.f, "%s\"%s\" %d", k ? ", " : "", op_names[k], k);
    fputs(")\n  set ytics (", o.f);
    for (int e = 0; e < h->edges; e++) {
        char t[64];
        edge_title(t, sizeof t, e, 1);
        fprintf(o.f, "%s\"%s\" %d", e ? ", " : "", t, e);
    }
    /* Outline the cells the derived genotype keeps (docs/ARCHITECTURE.md,
     * Method: deriving the cell). */
    Genotype g;
    genotype_derive(&g, last->normal, last->reduce, h->nodes);
    const GenoEdge *kept = strcmp(cell, "reduce") == 0 ? g.reduce : g.normal;
    fputs(")\n  # outlined: the op each kept edge contributes to the derived cell\n", o.f);
    for (int i = 0; i < 2 * h->nodes; i++) {
        int e = genotype_edge_count(i / 2) + kept[i].input;
        fprintf(o.f,
                "  set object %d rect from %g,%g to %g,%g front fillstyle empty "
                "border lc rgb \"#d62728\" lw 2\n",
                i + 1, kept[i].op - 0.5, e - 0.5, kept[i].op + 0.5, e + 0.5);
    }
    fprintf(o.f,
            "  set ylabel \"edge (node ← input)\"\n"
            "  unset key\n"
            "  # numbers: white on dark cells, black on light ones\n"
            "  dark = %.4g\n"
            "  plot \"%s.dat\" matrix with image, \\\n"
            "       \"\" matrix using 1:2:(sprintf(\"%%.%df\", $3)):($3 > dark ? 0xffffff : "
            "0x000000) with labels font \",6\" tc rgb variable\n",
            wmin + 0.55 * (wmax - wmin), name, wmax - wmin < 0.05 ? 3 : 2);
    script_tail(o.f);
    return out_close(&o, msg, msglen);
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
        snprintf(out + used, n - used, "%s%s", used ? " " : "", tok);
    }
    if (!out[0]) {
        snprintf(msg, msglen, "no figure format (expected pdf, png or svg)");
        return -1;
    }
    return 0;
}

static int run_script(const char *dir, const char *name, const char *setup, char *msg,
                      size_t msglen)
{
    char script[128];
    snprintf(script, sizeof script, "%s.gp", name);
    const char *argv[] = {"gnuplot", "-e", setup, script, NULL};
    return tool_run(argv, dir, NULL, "gnuplot-nox", msg, msglen);
}

static int make_dir(const char *dir, char *msg, size_t msglen)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, msglen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Loads what exists of metrics.csv and alphas.csv. -1 on a malformed file
 * or when neither exists. */
static int load_run(const char *run_dir, RunMetrics *m, AlphaHistory *h, int *have_m, int *have_a,
                    char *msg, size_t msglen)
{
    char path[PATH_LEN];
    struct stat st;
    *have_m = *have_a = 0;
    snprintf(path, sizeof path, "%s/metrics.csv", run_dir);
    if (stat(path, &st) == 0) {
        if (run_metrics_load(path, m, msg, msglen) != 0)
            return -1;
        *have_m = m->n > 0;
        if (!*have_m)
            run_metrics_free(m);
    }
    snprintf(path, sizeof path, "%s/alphas.csv", run_dir);
    if (stat(path, &st) == 0) {
        if (run_alphas_load(path, h, msg, msglen) != 0) {
            if (*have_m)
                run_metrics_free(m);
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

int plots_write_to(const char *run_dir, const char *out_dir, const char *formats, char *msg,
                   size_t msglen)
{
    char fmts[64], setup[128];
    if (parse_formats(formats, fmts, sizeof fmts, msg, msglen) != 0)
        return -1;
    if (!tool_available("gnuplot")) {
        snprintf(msg, msglen, "gnuplot: not installed (install the Debian package gnuplot-nox)");
        return -1;
    }
    RunMetrics m = {0};
    AlphaHistory h = {0};
    int have_m, have_a;
    if (load_run(run_dir, &m, &h, &have_m, &have_a, msg, msglen) != 0)
        return -1;
    snprintf(setup, sizeof setup, "formats='%s'", fmts);
    const char *names[6];
    int n = 0, rc = make_dir(out_dir, msg, msglen);
    if (rc == 0 && have_m) {
        rc = write_curve(out_dir, "loss", &m, 0, msg, msglen);
        if (rc == 0)
            rc = write_curve(out_dir, "accuracy", &m, 1, msg, msglen);
        names[n++] = "loss";
        names[n++] = "accuracy";
    }
    for (int c = 0; rc == 0 && have_a && c < 2; c++) {
        const char *cell = c ? "reduce" : "normal";
        rc = write_evolution(out_dir, cell, &h, msg, msglen);
        if (rc == 0)
            rc = write_heatmap(out_dir, cell, &h, msg, msglen);
        names[n++] = c ? "alphas_reduce" : "alphas_normal";
        names[n++] = c ? "heatmap_reduce" : "heatmap_normal";
    }
    for (int i = 0; rc == 0 && i < n; i++)
        rc = run_script(out_dir, names[i], setup, msg, msglen);
    if (rc == 0)
        snprintf(msg, msglen, "wrote %d figures (%s) in %s%s", n, fmts, out_dir,
                 !have_m   ? "; no metrics yet, so no loss or accuracy"
                 : !have_a ? "; no alphas.csv, so no alpha figures"
                           : "");
    if (have_m)
        run_metrics_free(&m);
    if (have_a)
        run_alphas_free(&h);
    return rc;
}

int plots_write(const char *run_dir, const char *formats, char *msg, size_t msglen)
{
    char dir[PATH_LEN];
    if (snprintf(dir, sizeof dir, "%s/plots", run_dir) >= (int)sizeof dir) {
        snprintf(msg, msglen, "%s: path too long", run_dir);
        return -1;
    }
    return plots_write_to(run_dir, dir, formats, msg, msglen);
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
    if (!tool_available("gnuplot")) {
        snprintf(msg, msglen, "gnuplot: not installed (install the Debian package gnuplot-nox)");
        return -1;
    }
    char metrics[PATH_LEN], dir[PATH_LEN], setup[128], txt[PATH_LEN + 16];
    snprintf(metrics, sizeof metrics, "%s/metrics.csv", run_dir);
    snprintf(dir, sizeof dir, "%s/plots", run_dir);
    RunMetrics m;
    if (run_metrics_load(metrics, &m, msg, msglen) != 0)
        return -1;
    if (m.n == 0) {
        run_metrics_free(&m);
        snprintf(msg, msglen, "%s: no rows yet (expected at least one report)", metrics);
        return -1;
    }
    int rc = make_dir(dir, msg, msglen);
    if (rc == 0)
        rc = write_curve(dir, "loss", &m, 0, msg, msglen);
    run_metrics_free(&m);
    snprintf(setup, sizeof setup, "formats='dumb'; dumb_w=%d; dumb_h=%d", width, height);
    if (rc == 0)
        rc = run_script(dir, "loss", setup, msg, msglen);
    if (rc != 0)
        return -1;
    snprintf(txt, sizeof txt, "%s/loss.txt", dir);
    FILE *f = fopen(txt, "r");
    if (!f) {
        snprintf(msg, msglen, "%s: %s", txt, strerror(errno));
        return -1;
    }
    /* gnuplot's dumb output starts with a form feed; drop it. */
    size_t n = fread(buf, 1, buflen ? buflen - 1 : 0, f);
    fclose(f);
    if (buflen)
        buf[n] = '\0';
    if (n && buf[0] == '\f')
        memmove(buf, buf + 1, n);
    snprintf(msg, msglen, "plotted %s", txt);
    return 0;
}
