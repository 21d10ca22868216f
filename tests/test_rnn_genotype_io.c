/* rnn_genotype_io: recurrent genotypes in and out. The official line of
 * rnn/genotypes.py reads as the published DARTS_V2 (and its other spellings
 * as fixtures); the published names resolve; every writer's output reads
 * back equal (published and random cells, with and without alphas, whose
 * columns follow "ops"); the reader tells CNN from recurrent; malformed cells
 * are refused at FILE:LINE:COL with what was expected; the DOT diagram
 * matches its golden file, the SVG has no overlaps, the TikZ is complete. */
#include "dartboard/diagram.h"
#include "dartboard/genotype_io.h"
#include "dartboard/rng.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* As published in rnn/genotypes.py, byte for byte. */
static const char *const DARTS_V2_LINE =
    "Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), "
    "('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=range(1, 9))\n";
static const char *const DARTS_V1_LINE =
    "Genotype(recurrent=[('relu', 0), ('relu', 1), ('tanh', 2), ('relu', 3), ('relu', 4), "
    "('identity', 1), ('relu', 5), ('relu', 1)], concat=range(1, 9))\n";

static int parse(const char *name, const char *text, AnyGenotype *a, char *err, size_t n)
{
    return genotype_parse_any(name, text, strlen(text), a, err, n);
}

/* Not inlined: GCC 12, inlining it, takes the returned buffer for a pointer
 * to the local `text` (-Wdangling-pointer). */
__attribute__((noinline)) static char *written(int (*fn)(FILE *, const RnnGenotype *, int),
                                               const RnnGenotype *g, int arg, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    fn(f, g, arg);
    fclose(f);
    return text;
}

static void test_official(void)
{
    AnyGenotype a;
    char err[512] = "";
    int rc = parse("genotypes.py", DARTS_V2_LINE, &a, err, sizeof err);
    ok(rc == 0 && a.kind == GENOTYPE_KIND_RECURRENT &&
           rnn_genotype_equal(&a.rnn, &rnn_genotype_darts_v2) && !a.rnn_alphas.present,
       "the official DARTS_V2 line reads as the published cell %s", err);
    rc = parse("genotypes.py", DARTS_V1_LINE, &a, err, sizeof err);
    ok(rc == 0 && rnn_genotype_equal(&a.rnn, &rnn_genotype_darts_v1),
       "the official DARTS_V1 line reads as the published cell %s", err);

    static const char *const spellings[] = {
        "DARTS = Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), "
        "('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=list(range(1, 9)))",
        "Genotype([('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), "
        "('sigmoid', 5), ('tanh', 3), ('relu', 5)], range(1, 9))",
        "Genotype(concat=range(1, 9), recurrent=[['sigmoid', 0], ['relu', 1], ['relu', 1], "
        "['identity', 1], ['tanh', 2], ['sigmoid', 5], ['tanh', 3], ['relu', 5]])",
        "recurrent: [[sigmoid, 0], [relu, 1], [relu, 1], [identity, 1], [tanh, 2], [sigmoid, 5], "
        "[tanh, 3], [relu, 5]]\n",
    };
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
        rc = parse("spelling", spellings[i], &a, err, sizeof err);
        ok(rc == 0 && a.kind == GENOTYPE_KIND_RECURRENT &&
               rnn_genotype_equal(&a.rnn, &rnn_genotype_darts_v2),
           "spelling %zu reads as DARTS_V2 %s", i, err);
    }

    static const char *const files[] = {
        "tests/fixtures/genotypes/rnn_official.py",
        "tests/fixtures/genotypes/rnn_multiline.py",
        "tests/fixtures/genotypes/rnn_reordered_ops.json",
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        rc = genotype_read_file_any(tap_srcpath(files[i]), &a, err, sizeof err);
        ok(rc == 0 && a.kind == GENOTYPE_KIND_RECURRENT &&
               rnn_genotype_equal(&a.rnn, &rnn_genotype_darts_v2),
           "%s reads as DARTS_V2 %s", files[i], err);
    }
    /* the JSON lists its columns as identity, sigmoid, relu, tanh, none */
    rc = genotype_read_file_any(tap_srcpath(files[2]), &a, err, sizeof err);
    const float *w0 = a.rnn_alphas.w, *w6 = a.rnn_alphas.w + 6 * RNN_OP_COUNT;
    ok(rc == 0 && a.rnn_alphas.present && w0[RNN_OP_SIGMOID] == 0.6f &&
           w0[RNN_OP_IDENTITY] == 0.1f && w6[RNN_OP_IDENTITY] == 0.5f && w6[RNN_OP_NONE] == 0.1f &&
           w6[RNN_OP_TANH] == 0.2f,
       "alphas in another op order land in dartboard's columns");

    /* the CNN reader and the kind */
    Genotype g;
    rc = genotype_parse("cnn.py", DARTS_V2_LINE, strlen(DARTS_V2_LINE), &g, NULL, err, sizeof err);
    ok(rc == -1 && strstr(err, "cnn.py:1:1: a recurrent genotype (expected a CNN"),
       "the CNN-only reader refuses a recurrent cell by name: %s", err);
    rc = genotype_read_file_any(tap_srcpath("tests/fixtures/genotypes/official.py"), &a, err,
                                sizeof err);
    Genotype cnn;
    genotype_read_file(tap_srcpath("tests/fixtures/genotypes/official.py"), &cnn, err, sizeof err);
    ok(rc == 0 && a.kind == GENOTYPE_KIND_CNN && genotype_equal(&a.cnn, &cnn),
       "a CNN genotype file reads as kind CNN %s", err);
    rc = genotype_read_file_any(tap_srcpath("tests/fixtures/rundir/genotype.json"), &a, err,
                                sizeof err);
    ok(rc == 0 && a.kind == GENOTYPE_KIND_CNN && a.cnn_alphas.present,
       "a CNN JSON keeps its alphas through genotype_read_file_any");
}

static void test_published(void)
{
    RnnGenotype g;
    ok(rnn_genotype_published("DARTS_V1", &g) == 0 &&
           rnn_genotype_equal(&g, &rnn_genotype_darts_v1),
       "DARTS_V1 by name");
    ok(rnn_genotype_published("DARTS_V2", &g) == 0 &&
           rnn_genotype_equal(&g, &rnn_genotype_darts_v2),
       "DARTS_V2 by name");
    ok(rnn_genotype_published("DARTS", &g) == 0 && rnn_genotype_equal(&g, &rnn_genotype_darts_v2),
       "DARTS is DARTS_V2");
    ok(rnn_genotype_published("ENAS", &g) == -1 && rnn_genotype_published(NULL, &g) == -1 &&
           rnn_genotype_published("darts_v2", &g) == -1,
       "other names are refused");
}

static void check_roundtrip(const RnnGenotype *g, const float *w, const char *what, int quiet,
                            int *all)
{
    for (int fmt = 0; fmt < GENOTYPE_FORMAT_COUNT; fmt++) {
        static const char *const names[] = {"py", "json", "yaml"};
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int wrc = rnn_genotype_write(f, (GenotypeFormat)fmt, g, w);
        fclose(f);
        AnyGenotype back;
        char err[512] = "";
        int rrc = genotype_parse_any(names[fmt], text, len, &back, err, sizeof err);
        int alphas_ok = 1;
        if (fmt != GENOTYPE_FORMAT_PY && w) {
            alphas_ok = back.rnn_alphas.present;
            for (int k = 0; alphas_ok && k < RNN_EDGES * RNN_OP_COUNT; k++)
                alphas_ok = isnan(w[k]) ? isnan(back.rnn_alphas.w[k])
                                        : fabsf(back.rnn_alphas.w[k] - w[k]) <= 1e-6f * fabsf(w[k]);
        } else {
            alphas_ok = !back.rnn_alphas.present;
        }
        int good = wrc == 0 && rrc == 0 && back.kind == GENOTYPE_KIND_RECURRENT &&
                   rnn_genotype_equal(g, &back.rnn) && alphas_ok;
        if (!good)
            diag("%s through %s: %s\n%s", what, names[fmt], err, text);
        if (!quiet)
            ok(good, "%s round-trips through %s%s", what, names[fmt], w ? " with alphas" : "");
        *all &= good;
        free(text);
    }
}

static void test_writers(void)
{
    size_t len;
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);
    rnn_genotype_write_py(f, &rnn_genotype_darts_v2);
    fclose(f);
    ok(strcmp(text, DARTS_V2_LINE) == 0, "py writer prints the official line of DARTS_V2");
    free(text);

    Rng r;
    rng_seed(&r, 5);
    static float w[RNN_EDGES * RNN_OP_COUNT];
    for (int e = 0; e < RNN_EDGES; e++) { /* softmaxed: positive, summing to 1 */
        float sum = 0;
        for (int o = 0; o < RNN_OP_COUNT; o++)
            sum += w[e * RNN_OP_COUNT + o] = expf(rng_normal(&r));
        for (int o = 0; o < RNN_OP_COUNT; o++)
            w[e * RNN_OP_COUNT + o] /= sum;
    }
    int all = 1;
    check_roundtrip(&rnn_genotype_darts_v1, NULL, "DARTS_V1", 0, &all);
    check_roundtrip(&rnn_genotype_darts_v2, NULL, "DARTS_V2", 0, &all);
    check_roundtrip(&rnn_genotype_darts_v2, w, "DARTS_V2", 0, &all);
    w[7] = NAN; /* a writer still produces a file its reader accepts */
    check_roundtrip(&rnn_genotype_darts_v1, w, "DARTS_V1 (NaN alpha)", 0, &all);
    w[7] = 0.25f;

    all = 1;
    for (int t = 0; t < 200; t++) {
        RnnGenotype g;
        for (int i = 0; i < RNN_NODES; i++)
            g.recurrent[i] = (RnnGenoEdge){1 + (int)rng_below(&r, RNN_OP_COUNT - 1),
                                           (int)rng_below(&r, (uint32_t)i + 1)};
        for (int i = 0; i < RNN_NODES; i++)
            g.concat[i] = i + 1;
        g.concat_count = RNN_NODES;
        check_roundtrip(&g, t % 2 ? w : NULL, "random cell", 1, &all);
    }
    ok(all, "200 random recurrent cells round-trip through every writer");

    char dir[] = "/tmp/rnn_genotype_io_XXXXXX", path[64], err[512] = "";
    ok(mkdtemp(dir) != NULL, "temporary directory");
    snprintf(path, sizeof path, "%s/genotype.json", dir);
    AnyGenotype back;
    ok(rnn_genotype_save(path, GENOTYPE_FORMAT_JSON, &rnn_genotype_darts_v1, w, err, sizeof err) ==
               0 &&
           genotype_read_file_any(path, &back, err, sizeof err) == 0 &&
           rnn_genotype_equal(&back.rnn, &rnn_genotype_darts_v1) && back.rnn_alphas.present,
       "rnn_genotype_save writes a file that reads back %s", err);
    ok(rnn_genotype_save(path, GENOTYPE_FORMAT_COUNT, &rnn_genotype_darts_v2, w, err, sizeof err) ==
               -1 &&
           genotype_read_file_any(path, &back, err, sizeof err) == 0 &&
           rnn_genotype_equal(&back.rnn, &rnn_genotype_darts_v1),
       "a failed save leaves the old file whole");
    unlink(path);
    rmdir(dir);
}

/* Each malformed input must fail with this exact position and mention `want`. */
static void bad(const char *text, const char *where, const char *want)
{
    AnyGenotype a;
    char err[512] = "";
    int rc = parse("bad.py", text, &a, err, sizeof err);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "bad.py:%s: ", where);
    int good = rc == -1 && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, want);
    ok(good, "refused at %s (%s)", where, want);
    if (!good)
        diag("got rc %d: %s", rc, err);
}

#define SEVEN                                                                                      \
    "('sigmoid', 0), ('relu', 1), ('relu', 1), ('identity', 1), ('tanh', 2), ('sigmoid', 5), "     \
    "('tanh', 3)"

#define V2_JSON                                                                                    \
    "[[\"sigmoid\", 0], [\"relu\", 1], [\"relu\", 1], [\"identity\", 1], [\"tanh\", 2], "          \
    "[\"sigmoid\", 5], [\"tanh\", 3], [\"relu\", 5]]"

static void test_refusals(void)
{
    bad("Genotype(recurrent=[('sep_conv_3x3', 0), ('relu', 1), ('relu', 1), ('identity', 1), "
        "('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)], concat=range(1, 9))",
        "1:22",
        "'sep_conv_3x3' is not an op of a derived recurrent cell (expected tanh, relu, "
        "sigmoid, identity)");
    bad("Genotype(recurrent=[" SEVEN ", ('none', 5)], concat=range(1, 9))", "1:123",
        "'none' is not an op of a derived recurrent cell");
    bad("Genotype(recurrent=[" SEVEN ", (2, 5)], concat=range(1, 9))", "1:123", "op is an integer");
    bad("Genotype(recurrent=[('sigmoid', 1), ('relu', 1), ('relu', 1), ('identity', 1), "
        "('tanh', 2), ('sigmoid', 5), ('tanh', 3), ('relu', 5)])",
        "1:33", "node 1 takes predecessor 1 (expected 0..0");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 8)], concat=range(1, 9))", "1:131",
        "node 8 takes predecessor 8 (expected 0..7");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', -1)], concat=range(1, 9))", "1:131",
        "node 8 takes predecessor -1");
    bad("Genotype(recurrent=[" SEVEN "], concat=range(1, 9))", "1:20",
        "recurrent has 7 nodes (expected 8 (op, predecessor) pairs");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5), ('relu', 5)], concat=range(1, 9))", "1:20",
        "recurrent has 9 nodes");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5, 2)])", "1:122",
        "node 8 is a tuple of the wrong length");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], concat=range(0, 8))", "1:143",
        "concat range(0, 8) (expected states among 1..8, e.g. range(1, 9))");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], concat=range(1, 10))", "1:143",
        "concat range(1, 10)");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], concat=[1, 2, 3, 4, 5, 6, 8, 7])", "1:165",
        "concat entry 7 (expected states among 1..8, each once, in increasing order)");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], concat=[2, 9])", "1:147", "concat entry 9");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], concat=[])", "1:143",
        "concat is a list of the wrong length");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], concat='all')", "1:143",
        "concat is a string (expected range(1, 9) or a list of states)");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], steps=8)", "1:136",
        "unknown key 'steps' in a recurrent genotype");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], recurrent=[])", "1:136",
        "recurrent given twice");
    bad("Genotype(recurrent=[" SEVEN ", ('relu', 5)], range(1, 9), 3)", "1:149",
        "too many positional arguments");
    bad("recurrent:\n  - [sigmoid, 0]\n  - [relu, 1]\n  - [relu, 1]\n  - [identity, 1]\n"
        "  - [tanh, 2]\n  - [sigmoid, 5]\n  - [max_pool_3x3, 3]\n  - [relu, 5]\n",
        "8:6", "'max_pool_3x3' is not an op of a derived recurrent cell");
    bad("{\"nodes\": 7, \"recurrent\": [[\"sigmoid\", 0], [\"relu\", 1], [\"relu\", 1], "
        "[\"identity\", 1], [\"tanh\", 2], [\"sigmoid\", 5], [\"tanh\", 3], [\"relu\", 5]]}",
        "1:11", "nodes is 7 (expected 8");
    bad("{\"recurrent\": [[\"sigmoid\", 0], [\"relu\", 1], [\"relu\", 1], [\"identity\", 1], "
        "[\"tanh\", 2], [\"sigmoid\", 5], [\"tanh\", 3], [\"relu\", 5]],\n \"alphas\": [[1, 0]]}",
        "2:12", "alphas has 1 rows (expected 36");
    bad("{\"ops\": [\"tanh\", \"conv\"], \"recurrent\": " V2_JSON "}", "1:18",
        "'conv' is not a recurrent op");
    bad("{\"ops\": [\"tanh\", \"tanh\"], \"recurrent\": " V2_JSON "}", "1:18",
        "op 'tanh' listed twice");
}

/* ------------------------------------------------------------- diagrams */

static int dot_fn(FILE *f, const RnnGenotype *g, int unused)
{
    (void)unused;
    return diagram_write_rnn_dot(f, g);
}

static int svg_fn(FILE *f, const RnnGenotype *g, int unused)
{
    (void)unused;
    return diagram_write_rnn_svg(f, g, NULL);
}

static int tikz_fn(FILE *f, const RnnGenotype *g, int standalone)
{
    return diagram_write_rnn_tikz(f, g, standalone);
}

typedef struct Rect {
    double x, y, w, h;
    int label; /* rx="3": an op label; rx="4": a box */
} Rect;

/* 0 when the SVG has 12 boxes, 8 labels, no overlaps and nothing off the
 * canvas; else a description in why. */
static int check_svg(const RnnGenotype *g, char *why, size_t n)
{
    size_t len;
    char *svg = written(svg_fn, g, 0, &len);
    Rect r[64];
    double W = 0, H = 0;
    int count = 0, bad = 0, labels = 0, boxes = 0;
    const char *p = strstr(svg, "<svg ");
    sscanf(strstr(p, "width=\""), "width=\"%lf\"", &W);
    sscanf(strstr(p, "height=\""), "height=\"%lf\"", &H);
    for (; (p = strstr(p, "<rect x=\"")) && count < 64; p++) {
        double rx = 0;
        Rect *q = &r[count];
        if (sscanf(p, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\" rx=\"%lf\"", &q->x,
                   &q->y, &q->w, &q->h, &rx) == 5) {
            q->label = rx < 3.5;
            count++;
        }
    }
    for (int i = 0; i < count && !bad; i++) {
        labels += r[i].label;
        boxes += !r[i].label;
        if (r[i].x < 0 || r[i].y < 0 || r[i].x + r[i].w > W || r[i].y + r[i].h > H) {
            snprintf(why, n, "rect %d outside the %gx%g canvas", i, W, H);
            bad = 1;
        }
        for (int j = 0; j < i && !bad; j++) {
            if (r[i].x < r[j].x + r[j].w && r[j].x < r[i].x + r[i].w && r[i].y < r[j].y + r[j].h &&
                r[j].y < r[i].y + r[i].h) {
                snprintf(why, n, "%s %d overlaps %s %d", r[i].label ? "label" : "box", i,
                         r[j].label ? "label" : "box", j);
                bad = 1;
            }
        }
    }
    if (!bad && (labels != RNN_NODES || boxes != RNN_NODES + 4)) {
        snprintf(why, n, "%d labels and %d boxes (expected %d and %d)", labels, boxes, RNN_NODES,
                 RNN_NODES + 4);
        bad = 1;
    }
    if (!bad && !(strstr(svg, "<title>DARTS recurrent cell</title>") && strstr(svg, ">x<tspan") &&
                  strstr(svg, ">t-1</tspan>"))) {
        snprintf(why, n, "no title or x_t / h_{t-1} names");
        bad = 1;
    }
    free(svg);
    return bad;
}

static void test_diagrams(void)
{
    size_t len;
    char *dot = written(dot_fn, &rnn_genotype_darts_v2, 0, &len);
    FILE *f = fopen(tap_srcpath("tests/fixtures/genotypes/darts_v2_recurrent.dot"), "rb");
    char want[4096] = "";
    size_t n = f ? fread(want, 1, sizeof want - 1, f) : 0;
    if (f)
        fclose(f);
    want[n] = '\0';
    ok(n > 0 && strcmp(dot, want) == 0,
       "DOT of DARTS_V2 matches tests/fixtures/genotypes/darts_v2_recurrent.dot");
    free(dot);
    dot = written(dot_fn, &rnn_genotype_darts_v1, 0, &len);
    ok(strstr(dot, "  4 -> 5 [label=\"relu\"") && strstr(dot, "  1 -> 8 [label=\"relu\"") &&
           strstr(dot, "  8 -> \"h_{t}\""),
       "DOT of DARTS_V1 has its edges predecessor -> node, labelled by op");
    free(dot);

    char why[256] = "";
    ok(!check_svg(&rnn_genotype_darts_v1, why, sizeof why), "SVG of DARTS_V1 is clean %s", why);
    ok(!check_svg(&rnn_genotype_darts_v2, why, sizeof why), "SVG of DARTS_V2 is clean %s", why);
    Rng r;
    rng_seed(&r, 3);
    int clean = 0, trials = 200;
    for (int t = 0; t < trials; t++) {
        RnnGenotype g;
        for (int i = 0; i < RNN_NODES; i++) /* t = 0: a chain, the widest picture */
            g.recurrent[i] = (RnnGenoEdge){1 + (int)rng_below(&r, RNN_OP_COUNT - 1),
                                           t ? (int)rng_below(&r, (uint32_t)i + 1) : i};
        for (int i = 0; i < RNN_NODES; i++)
            g.concat[i] = i + 1;
        g.concat_count = RNN_NODES;
        if (!check_svg(&g, why, sizeof why))
            clean++;
        else if (clean == t)
            diag("first unclean random cell (%d): %s", t, why);
    }
    ok(clean == trials, "%d of %d random recurrent cells are drawn without overlaps", clean,
       trials);

    char *tex = written(tikz_fn, &rnn_genotype_darts_v2, 1, &len);
    ok(strstr(tex, "\\documentclass{article}") && strstr(tex, "\\end{document}") &&
           strstr(tex, "{$x_{t}$}") && strstr(tex, "{$h_{t-1}$}") && strstr(tex, "{$h_{t}$}") &&
           strstr(tex, "{sigmoid}") && strstr(tex, "{$8$}"),
       "standalone TikZ: a complete document with x_t, h_{t-1}, nodes 0..8, h_t and op labels");
    free(tex);
    tex = written(tikz_fn, &rnn_genotype_darts_v2, 0, &len);
    ok(strstr(tex, "\\begin{tikzpicture}") && !strstr(tex, "\\documentclass"),
       "the TikZ fragment is a bare tikzpicture");
    free(tex);
}

int main(void)
{
    test_official();
    test_published();
    test_writers();
    test_refusals();
    test_diagrams();
    return tap_done();
}
