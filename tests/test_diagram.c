/* diagram: the SVG layout has no overlapping boxes, no label on a box, no
 * label on a label, everything inside the canvas (DARTS_V2 and random
 * 4-node cells); DOT names every edge; TikZ escapes op names and uses
 * subscripts. Rendering by Graphviz, xmllint and pdflatex is in the shell
 * tests. */
#include "dartboard/diagram.h"
#include "dartboard/genotype_io.h"
#include "dartboard/rng.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Rect {
    double x, y, w, h;
    int label; /* rx="3": an op label; rx="4": a box */
} Rect;

/* The text a writer produces, NUL-terminated, malloc'd. */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    char *text = malloc((size_t)n + 1);
    rewind(f);
    size_t got = fread(text, 1, (size_t)n, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

static char *render(int (*fn)(FILE *, const Genotype *, DiagramCell, int), const Genotype *g,
                    DiagramCell cell, int arg)
{
    FILE *f = tmpfile();
    fn(f, g, cell, arg);
    return slurp(f);
}

static int svg_fn(FILE *f, const Genotype *g, DiagramCell c, int unused)
{
    (void)unused;
    return diagram_write_svg(f, g, c, NULL);
}

static int dot_fn(FILE *f, const Genotype *g, DiagramCell c, int unused)
{
    (void)unused;
    return diagram_write_dot(f, g, c);
}

static int svg_rects(const char *svg, Rect *r, int max, double *W, double *H)
{
    int n = 0;
    const char *p = strstr(svg, "<svg ");
    sscanf(strstr(p, "width=\""), "width=\"%lf\"", W);
    sscanf(strstr(p, "height=\""), "height=\"%lf\"", H);
    while ((p = strstr(p, "<rect x=\"")) && n < max) {
        double rx = 0;
        if (sscanf(p, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\" rx=\"%lf\"", &r[n].x,
                   &r[n].y, &r[n].w, &r[n].h, &rx) == 5) {
            r[n].label = rx < 3.5;
            n++;
        }
        p++;
    }
    return n;
}

static int overlap(const Rect *a, const Rect *b)
{
    return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* 0 when the picture is clean; else a description in why. */
static int check_svg(const Genotype *g, DiagramCell cell, char *why, size_t n)
{
    char *svg = render(svg_fn, g, cell, 0);
    Rect r[64];
    double W = 0, H = 0;
    int count = svg_rects(svg, r, 64, &W, &H);
    int labels = 0, boxes = 0, bad = 0;
    for (int i = 0; i < count; i++) {
        labels += r[i].label;
        boxes += !r[i].label;
        if (r[i].x < 0 || r[i].y < 0 || r[i].x + r[i].w > W || r[i].y + r[i].h > H) {
            snprintf(why, n, "rect %d outside the %gx%g canvas", i, W, H);
            bad = 1;
        }
        for (int j = 0; j < i && !bad; j++) {
            if (overlap(&r[i], &r[j])) {
                snprintf(why, n, "%s %d overlaps %s %d", r[i].label ? "label" : "box", i,
                         r[j].label ? "label" : "box", j);
                bad = 1;
            }
        }
    }
    if (!bad && (labels != 2 * g->nodes || boxes != g->nodes + 3)) {
        snprintf(why, n, "%d labels and %d boxes (expected %d and %d)", labels, boxes, 2 * g->nodes,
                 g->nodes + 3);
        bad = 1;
    }
    free(svg);
    return bad;
}

static void test_svg_layout(void)
{
    Genotype g;
    char err[512], why[256] = "";
    ok(genotype_read_file(tap_srcpath("tests/fixtures/genotypes/official.py"), &g, err,
                          sizeof err) == 0,
       "DARTS_V2 fixture reads");
    for (int c = 0; c < DIAGRAM_CELL_COUNT; c++)
        ok(!check_svg(&g, (DiagramCell)c, why, sizeof why),
           "DARTS_V2 %s cell: SVG has no "
           "overlaps and stays on the canvas %s",
           diagram_cell_names[c], why);

    Rng r;
    rng_seed(&r, 11);
    int clean = 0, trials = 200;
    for (int t = 0; t < trials; t++) {
        memset(&g, 0, sizeof g);
        g.nodes = 4;
        for (int i = 0; i < 8; i++) {
            g.normal[i] = (GenoEdge){1 + (int)rng_below(&r, OP_COUNT - 1),
                                     (int)rng_below(&r, 2 + (uint32_t)i / 2)};
            g.reduce[i] = g.normal[i];
        }
        for (int i = 0; i < 4; i++)
            g.normal_concat[i] = g.reduce_concat[i] = 2 + i;
        g.normal_concat_count = g.reduce_concat_count = 4;
        if (t % 2) { /* any subset of the states, inputs included */
            g.normal_concat_count = 0;
            for (int st = 0; st < 6; st++)
                if (rng_below(&r, 2) || (st == 5 && g.normal_concat_count == 0))
                    g.normal_concat[g.normal_concat_count++] = st;
        }
        if (!check_svg(&g, DIAGRAM_NORMAL, why, sizeof why))
            clean++;
        else if (clean == t)
            diag("first unclean random cell: %s", why);
    }
    ok(clean == trials, "%d of %d random 4-node cells (any concat) are drawn without overlaps",
       clean, trials);

    /* A wide cell still draws (8 nodes, every node fed by the previous one). */
    memset(&g, 0, sizeof g);
    g.nodes = 8;
    for (int i = 0; i < 16; i++)
        g.normal[i] = g.reduce[i] = (GenoEdge){OP_SEP_CONV_5X5, i % 2 ? i / 2 + 1 : 0};
    for (int i = 0; i < 8; i++)
        g.normal_concat[i] = g.reduce_concat[i] = 2 + i;
    g.normal_concat_count = g.reduce_concat_count = 8;
    ok(!check_svg(&g, DIAGRAM_REDUCE, why, sizeof why), "an 8-node chain draws cleanly %s", why);
}

static int svg_canvas_fn(FILE *f, const Genotype *g, DiagramCell c, int min)
{
    return diagram_write_svg_canvas(f, g, c, "step 7", min, min);
}

static void test_canvas(void)
{
    Genotype g;
    char err[512];
    genotype_read_file(tap_srcpath("tests/fixtures/genotypes/official.py"), &g, err, sizeof err);
    double w, h;
    diagram_svg_size(&g, DIAGRAM_NORMAL, NULL, &w, &h);
    char *svg = render(svg_fn, &g, DIAGRAM_NORMAL, 0);
    char want[128];
    snprintf(want, sizeof want, "width=\"%.0f\" height=\"%.0f\"", w, h);
    ok(strstr(svg, want) != NULL, "diagram_svg_size is the size written (%s)", want);
    free(svg);
    svg = render(svg_canvas_fn, &g, DIAGRAM_NORMAL, 2000);
    ok(strstr(svg, "width=\"2000\" height=\"2000\"") && strstr(svg, ">step 7</text>"),
       "a larger canvas is honoured, with the caption");
    Rect r[64];
    double W, H;
    int n = svg_rects(svg, r, 64, &W, &H), centred = 1;
    for (int i = 0; i < n; i++)
        centred &= r[i].x > 2000 / 2 - w / 2 - 1 && r[i].x + r[i].w < 2000 / 2 + w / 2 + 1;
    ok(n > 0 && centred, "the cell is centred on the larger canvas");
    free(svg);
}

static void test_dot_tikz(void)
{
    Genotype g;
    char err[512];
    genotype_read_file(tap_srcpath("tests/fixtures/genotypes/official.py"), &g, err, sizeof err);
    char *dot = render(dot_fn, &g, DIAGRAM_NORMAL, 0);
    ok(strstr(dot, "rankdir=LR") && strstr(dot, "\"c_{k-2}\" [fillcolor=darkseagreen2") &&
           strstr(dot, "\"c_{k}\" [fillcolor=palegoldenrod") &&
           strstr(dot, "3 [fillcolor=lightblue]"),
       "DOT has the DARTS visualize.py look");
    ok(strstr(dot, "0 -> 3 [label=\"dil_conv_3x3\"") &&
           strstr(dot, "\"c_{k-1}\" -> 2 [label=\"sep_conv_3x3\""),
       "DOT labels edges with their op and the right endpoints");
    int arrows = 0;
    for (const char *p = dot; (p = strstr(p, "->")); p++)
        arrows++;
    ok(arrows == 8 + 4, "DOT has 8 op edges and 4 output edges (%d)", arrows);
    free(dot);

    FILE *f = tmpfile();
    diagram_write_tikz(f, &g, DIAGRAM_REDUCE, 1);
    char *tex = slurp(f);
    ok(strstr(tex, "\\documentclass{article}") && strstr(tex, "\\shipout") &&
           strstr(tex, "\\end{document}"),
       "standalone TikZ is a complete document");
    ok(strstr(tex, "max\\_pool\\_3x3") && !strstr(tex, "max_pool"), "TikZ escapes underscores");
    ok(strstr(tex, "{$c_{k-2}$}") && strstr(tex, "{$c_{k}$}"), "TikZ uses math subscripts");
    free(tex);
    f = tmpfile();
    diagram_write_tikz(f, &g, DIAGRAM_REDUCE, 0);
    tex = slurp(f);
    ok(strstr(tex, "\\begin{tikzpicture}") && !strstr(tex, "\\documentclass"),
       "the TikZ fragment is a bare tikzpicture");
    free(tex);
}

int main(void)
{
    test_svg_layout();
    test_canvas();
    test_dot_tikz();
    return tap_done();
}
