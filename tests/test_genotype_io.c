/* genotype_io: every dialect's fixture reads as the published DARTS_V2 cell,
 * every writer round-trips through the reader (fixed and random cells, with
 * and without alphas), alphas are remapped by their "ops" order, and
 * malformed inputs fail with FILE:LINE:COL and what was expected. Also the
 * CSV readers of a run directory. */
#include "dartboard/genotype_io.h"
#include "dartboard/rng.h"
#include "dartboard/run_csv.h"
#include "tap.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const DARTS_V2_PY =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))\n";

static Genotype darts_v2(void)
{
    static const GenoEdge normal[8] = {
        {OP_SEP_CONV_3X3, 0}, {OP_SEP_CONV_3X3, 1}, {OP_SEP_CONV_3X3, 0}, {OP_SEP_CONV_3X3, 1},
        {OP_SEP_CONV_3X3, 1}, {OP_SKIP_CONNECT, 0}, {OP_SKIP_CONNECT, 0}, {OP_DIL_CONV_3X3, 2}};
    static const GenoEdge reduce[8] = {
        {OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1}, {OP_SKIP_CONNECT, 2}, {OP_MAX_POOL_3X3, 1},
        {OP_MAX_POOL_3X3, 0}, {OP_SKIP_CONNECT, 2}, {OP_SKIP_CONNECT, 2}, {OP_MAX_POOL_3X3, 1}};
    Genotype g;
    memset(&g, 0, sizeof g);
    g.nodes = 4;
    memcpy(g.normal, normal, sizeof normal);
    memcpy(g.reduce, reduce, sizeof reduce);
    for (int i = 0; i < 4; i++)
        g.normal_concat[i] = g.reduce_concat[i] = 2 + i;
    g.normal_concat_count = g.reduce_concat_count = 4;
    return g;
}

static void test_fixtures(void)
{
    static const char *const files[] = {
        "tests/fixtures/genotypes/official.py",
        "tests/fixtures/genotypes/official_range.txt",
        "tests/fixtures/genotypes/nested.py",
        "tests/fixtures/genotypes/triples.py",
        "tests/fixtures/genotypes/awnas.txt",
        "tests/fixtures/genotypes/darts_v2.yaml",
        "tests/fixtures/genotypes/reordered_ops.json",
        "tests/fixtures/genotypes/autodl.py",
        "tests/fixtures/genotypes/weighted.py",
        "tests/fixtures/rundir/genotype.py",
        "tests/fixtures/rundir/genotype.json",
    };
    Genotype want = darts_v2();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        Genotype g;
        char err[512] = "";
        int rc = genotype_read_file(tap_srcpath(files[i]), &g, err, sizeof err);
        if (rc != 0)
            diag("%s", err);
        ok(rc == 0 && genotype_equal(&g, &want), "%s reads as DARTS_V2", files[i]);
    }
}

/* alphas in pt.darts's op order ('none' last) land in dartboard's columns. */
static void test_ops_remap(void)
{
    Genotype a, b;
    GenotypeAlphas ra, rb;
    char err[512];
    int rc = genotype_read_file_alphas(tap_srcpath("tests/fixtures/genotypes/reordered_ops.json"),
                                       &a, &ra, err, sizeof err);
    rc |= genotype_read_file_alphas(tap_srcpath("tests/fixtures/rundir/genotype.json"), &b, &rb,
                                    err, sizeof err);
    ok(rc == 0 && ra.present && rb.present, "both JSON files carry alphas");
    int same = 1;
    for (int k = 0; k < 14 * OP_COUNT; k++)
        same &= ra.normal[k] == rb.normal[k] && ra.reduce[k] == rb.reduce[k];
    ok(same, "alphas listed in another op order are remapped by name");
}

static void check_roundtrip(const Genotype *g, const float *wn, const float *wr, const char *what)
{
    for (int fmt = 0; fmt < GENOTYPE_FORMAT_COUNT; fmt++) {
        static const char *const names[] = {"py", "json", "yaml"};
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int wrc = genotype_write(f, (GenotypeFormat)fmt, g, wn, wr);
        fclose(f);
        Genotype back;
        GenotypeAlphas al;
        char err[512] = "";
        int rrc = genotype_parse(names[fmt], text, len, &back, &al, err, sizeof err);
        if (rrc != 0)
            diag("%s\n%s", err, text);
        int alphas_ok = 1;
        if (fmt != GENOTYPE_FORMAT_PY && wn) {
            int edges = genotype_edge_count(g->nodes);
            alphas_ok = al.present;
            for (int k = 0; alphas_ok && k < edges * OP_COUNT; k++)
                alphas_ok = fabsf(al.normal[k] - wn[k]) <= 1e-6f * fabsf(wn[k]) &&
                            fabsf(al.reduce[k] - wr[k]) <= 1e-6f * fabsf(wr[k]);
        } else {
            alphas_ok = !al.present;
        }
        ok(wrc == 0 && rrc == 0 && genotype_equal(g, &back) && alphas_ok,
           "%s round-trips through %s%s", what, names[fmt], wn ? " with alphas" : "");
        free(text);
    }
}

static void test_writers(void)
{
    Genotype g = darts_v2();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    genotype_write_py(f, &g);
    fclose(f);
    ok(strcmp(text, DARTS_V2_PY) == 0, "py writer prints the official DARTS line");
    if (strcmp(text, DARTS_V2_PY) != 0)
        diag("got %s", text);
    free(text);

    check_roundtrip(&g, NULL, NULL, "DARTS_V2");
    float wn[14 * OP_COUNT], wr[14 * OP_COUNT];
    Rng r;
    rng_seed(&r, 5);
    for (int k = 0; k < 14 * OP_COUNT; k++) {
        wn[k] = (float)rng_uniform(&r);
        wr[k] = (float)rng_uniform(&r) * 1e-3f;
    }
    check_roundtrip(&g, wn, wr, "DARTS_V2");

    /* Random cells of every size, with concats that are not ranges. */
    int all = 1;
    for (int trial = 0; trial < 200; trial++) {
        Genotype x;
        memset(&x, 0, sizeof x);
        x.nodes = 1 + (int)(rng_next(&r) % GENOTYPE_MAX_NODES);
        for (int i = 0; i < 2 * x.nodes; i++) {
            x.normal[i] = (GenoEdge){1 + (int)(rng_next(&r) % (OP_COUNT - 1)),
                                     (int)(rng_next(&r) % (2 + i / 2))};
            x.reduce[i] = (GenoEdge){1 + (int)(rng_next(&r) % (OP_COUNT - 1)),
                                     (int)(rng_next(&r) % (2 + i / 2))};
        }
        for (int c = 0; c < 2; c++) {
            int *concat = c ? x.reduce_concat : x.normal_concat;
            int *count = c ? &x.reduce_concat_count : &x.normal_concat_count;
            for (int s = 0; s < x.nodes + 2; s++)
                if (rng_next(&r) % 2 || (s == x.nodes + 1 && *count == 0))
                    concat[(*count)++] = s;
        }
        for (int fmt = 0; fmt < GENOTYPE_FORMAT_COUNT; fmt++) {
            char *t = NULL;
            size_t n = 0;
            FILE *m = open_memstream(&t, &n);
            genotype_write(m, (GenotypeFormat)fmt, &x, NULL, NULL);
            fclose(m);
            Genotype back;
            char err[512] = "";
            if (genotype_parse("random", t, n, &back, NULL, err, sizeof err) != 0 ||
                !genotype_equal(&x, &back)) {
                if (all)
                    diag("trial %d format %d: %s\n%s", trial, fmt, err, t);
                all = 0;
            }
            free(t);
        }
    }
    ok(all, "200 random cells (1..%d nodes, any concat) round-trip through every writer",
       GENOTYPE_MAX_NODES);

    /* In a directory of its own, to see that no temporary file is left. */
    char err[512];
    const char *dir = "test_genotype_io.dir", *path = "test_genotype_io.dir/genotype.json";
    mkdir(dir, 0755);
    remove(path);
    ok(genotype_save(path, GENOTYPE_FORMAT_JSON, &g, wn, wr, err, sizeof err) == 0,
       "genotype_save writes a file");
    Genotype back;
    ok(genotype_read_file(path, &back, err, sizeof err) == 0 && genotype_equal(&g, &back),
       "the saved file reads back");
    /* A writer that fails (no such format) must leave the old file as it was. */
    ok(genotype_save(path, GENOTYPE_FORMAT_COUNT, &g, wn, wr, err, sizeof err) == -1 &&
           strstr(err, path) != NULL,
       "a failed genotype_save names the file (%s)", err);
    ok(genotype_read_file(path, &back, err, sizeof err) == 0 && genotype_equal(&g, &back),
       "a failed genotype_save leaves the old file intact");
    int entries = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        entries += e->d_name[0] != '.';
    if (d)
        closedir(d);
    ok(entries == 1, "genotype_save leaves no temporary file (%d entries)", entries);
    remove(path);
    rmdir(dir);
}

/* Each malformed input must fail with this exact position and mention `want`. */
static void bad(const char *text, const char *where, const char *want)
{
    Genotype g;
    char err[512] = "";
    int rc = genotype_parse("bad.py", text, strlen(text), &g, NULL, err, sizeof err);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "bad.py:%s: ", where);
    int good = rc == -1 && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, want);
    ok(good, "malformed input is rejected at %s (%s)", where, want);
    if (!good)
        diag("got rc %d: %s", rc, err);
}

#define EDGES4 "[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)]"

static void test_malformed(void)
{
    bad("Genotype(normal=[('sep_conv_3x3, 0)])", "1:19", "unterminated string");
    bad("Genotype(normal=[('sep_conv_3x3', 0) ('skip_connect', 1)], reduce=" EDGES4 ")", "1:38",
        "expected ',' or ']'");
    bad("Genotype(normal=[('sep_conv_9x9', 0), ('skip_connect', 1)], reduce=" EDGES4 ")", "1:19",
        "unknown op 'sep_conv_9x9'");
    bad("Genotype(normal=[('sep_conv_3x3', 0), ('none', 1)], reduce=" EDGES4 ")", "1:40",
        "an edge of op 'none'");
    bad("Genotype(normal=[('sep_conv_3x3', 0)], reduce=" EDGES4 ")", "1:17",
        "expected two per node");
    bad("Genotype(\n  normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 2)],\n  reduce=" EDGES4 ")",
        "2:10", "input 2, which does not exist yet");
    bad("Genotype(normal=" EDGES4 ", reduce=" EDGES4 ", normal_concat=range(2, 9))", "1:126",
        "outside the cell's states");
    bad("Genotype(normal=" EDGES4 ", reduce=" EDGES4 ", colour='red')", "1:112",
        "unknown key 'colour'");
    bad("Genotype(normal=" EDGES4 ", reduce=" EDGES4 ") extra", "1:112", "expected end of file");
    bad("Genotype(normal=" EDGES4 ")", "1:1", "no reduce cell");
    bad("Genotype(normal=[('sep_conv_3x3', 0, 2), ('sep_conv_3x3', 1)], reduce=" EDGES4 ")", "1:42",
        "2-tuple edge in a list of 3-tuples");
    bad("Genotype(normal=[('sep_conv_3x3', 0, 2), ('sep_conv_3x3', 1, 2), ('max_pool_3x3', 0, 2)],"
        " reduce=" EDGES4 ")",
        "1:66", "a third edge into node 2");
    bad("Genotype(normal=[('sep_conv_3x3', 'zero'), ('sep_conv_3x3', 1)], reduce=" EDGES4 ")",
        "1:35", "expected an integer");
    bad("Genotype(normal=" EDGES4 ", reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), "
        "('max_pool_3x3', 0), ('max_pool_3x3', 2)])",
        "1:68", "reduce has 2 nodes but normal has 1");
    bad("Genotype(normal=[('sep_conv_3x3', 0), @])", "1:39", "unexpected character '@'");
    bad("", "1:1", "empty document");
    bad("{\"normal\": [[\"sep_conv_3x3\", 0], [\"sep_conv_3x3\", 1]],\n \"reduce\": [[\"x\", 0]\n",
        "3:1", "expected well-formed JSON or YAML");
    bad("normal:\n  - [sep_conv_3x3, 0]\n  - [sep_conv_3x3, 1]\nreduce:\n  - [max_pool_3x3, 0]\n"
        "  - [max_pool_3x3, 1]\nalphas:\n  normal: [[0.5, 0.5]]\n",
        "8:11", "alphas.normal has 1 rows (expected 2");
    bad("normal: 3\nreduce: []\n", "1:9", "normal is an integer");
    bad("nodes: 4\nops: [none]\nnormal:\n  - [sep_conv_3x3, 0]\n  - [sep_conv_3x3, 1]\n"
        "reduce:\n  - [max_pool_3x3, 0]\n  - [max_pool_3x3, 1]\n",
        "1:8", "nodes is 4 but the cells have 1");

    Genotype g;
    char err[512] = "";
    ok(genotype_read_file("no/such/genotype.py", &g, err, sizeof err) == -1 &&
           strstr(err, "no/such/genotype.py: No such file"),
       "a missing file is named");
}

/* Damaged files (truncated, bytes replaced, inserted or deleted) must never
 * crash the reader: each either parses or fails with NAME:LINE:COL. */
static void test_damaged(void)
{
    static const char *const files[] = {
        "tests/fixtures/genotypes/official.py", "tests/fixtures/genotypes/nested.py",
        "tests/fixtures/genotypes/triples.py",  "tests/fixtures/genotypes/darts_v2.yaml",
        "tests/fixtures/rundir/genotype.json",
    };
    static const char noise[] = "()[]{},:=.'\"#\n -_0123456789abcnorml";
    Rng r;
    rng_seed(&r, 3);
    int tried = 0, positioned = 0, parsed = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(tap_srcpath(files[i]), "rb");
        static char orig[8192], text[8300];
        size_t len = f ? fread(orig, 1, sizeof orig, f) : 0;
        if (f)
            fclose(f);
        for (int k = 0; k < 300; k++) {
            memcpy(text, orig, len);
            size_t n = len;
            int edits = 1 + (int)rng_below(&r, 3);
            for (int e = 0; e < edits && n > 0; e++) {
                size_t at = rng_below(&r, (uint32_t)n);
                char c = noise[rng_below(&r, sizeof noise - 1)];
                switch (rng_below(&r, 4)) {
                case 0: /* truncate */
                    n = at;
                    break;
                case 1: /* replace */
                    text[at] = c;
                    break;
                case 2: /* insert */
                    memmove(text + at + 1, text + at, n - at);
                    text[at] = c;
                    n++;
                    break;
                default: /* delete */
                    memmove(text + at, text + at + 1, n - at - 1);
                    n--;
                }
            }
            Genotype g;
            GenotypeAlphas al;
            char err[512] = "";
            int rc = genotype_parse("damaged", text, n, &g, &al, err, sizeof err);
            int line, col;
            tried++;
            parsed += rc == 0;
            positioned += rc == -1 && sscanf(err, "damaged:%d:%d: ", &line, &col) == 2 &&
                          line >= 1 && col >= 1;
            if (rc != 0 && rc != -1)
                diag("rc %d", rc);
        }
    }
    ok(parsed + positioned == tried, "%d damaged files: %d still parse, %d positioned errors",
       tried, parsed, positioned);
}

static void test_run_csv(void)
{
    char err[512] = "";
    RunMetrics m;
    int rc =
        run_metrics_load(tap_srcpath("tests/fixtures/rundir/metrics.csv"), &m, err, sizeof err);
    ok(rc == 0 && m.n == 8 && m.rows[7].step == 200 && m.rows[0].epoch == 0,
       "metrics.csv: 8 rows, steps 25..200 (%s)", err);
    if (rc == 0)
        run_metrics_free(&m);
    AlphaHistory h;
    rc = run_alphas_load(tap_srcpath("tests/fixtures/rundir/alphas.csv"), &h, err, sizeof err);
    ok(rc == 0 && h.n == 4 && h.nodes == 4 && h.edges == 14 && h.frames[3].step == 200,
       "alphas.csv: 4 report blocks of a 4-node cell (%s)", err);
    if (rc == 0) {
        float sum = 0;
        for (int o = 0; o < OP_COUNT; o++)
            sum += h.frames[3].reduce[13 * OP_COUNT + o];
        ok(fabsf(sum - 1) < 1e-5f, "an edge's softmaxed weights sum to 1 (%g)", (double)sum);
        Genotype d, want = darts_v2();
        genotype_derive(&d, h.frames[3].normal, h.frames[3].reduce, h.nodes);
        ok(genotype_equal(&d, &want), "the last block derives DARTS_V2");
        run_alphas_free(&h);
    }

    /* Malformed CSVs: positioned errors. */
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"step,cell,edge,op\n", "bad.csv:1:1: header lacks column 'weight'"},
        {"step,cell,edge,op,weight\n50,normal,0,none,0.5\n50,middle,0,none,0.5\n",
         "bad.csv:3:4: cell 'middle' (expected normal or reduce)"},
        {"step,cell,edge,op,weight\n50,normal,0,conv_7x7,0.5\n",
         "bad.csv:2:13: unknown op 'conv_7x7'"},
        {"step,cell,edge,op,weight\n50,normal,0,none,x\n", "bad.csv:2:18: 'x' is not a number"},
        {"step,cell,edge,op,weight\n50,normal,0,none,0.5\n50,normal,0,none,0.5\n",
         "bad.csv:3: normal edge 0 op none listed twice"},
        {"step,cell,edge,op,weight\n50,normal,0,none,0.5\n", "lacks normal edge 0 op max_pool_3x3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen("bad.csv", "w");
        fputs(cases[i].text, f);
        fclose(f);
        rc = run_alphas_load("bad.csv", &h, err, sizeof err);
        ok(rc == -1 && strstr(err, cases[i].want), "malformed alphas.csv: %s", cases[i].want);
        if (!(rc == -1 && strstr(err, cases[i].want)))
            diag("got: %s", err);
    }
    FILE *f = fopen("bad.csv", "w");
    fputs("step,epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n1,0,0.1,2,10,2,10,1\n"
          "2,0,0.1,2,10,2,10\n",
          f);
    fclose(f);
    rc = run_metrics_load("bad.csv", &m, err, sizeof err);
    ok(rc == -1 && strstr(err, "bad.csv:3: row has 7 fields"), "short metrics row: %s", err);
    remove("bad.csv");
}

int main(void)
{
    test_fixtures();
    test_ops_remap();
    test_writers();
    test_malformed();
    test_damaged();
    test_run_csv();
    return tap_done();
}
