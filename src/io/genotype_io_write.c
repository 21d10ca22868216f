/* genotype_io_write: a Genotype or an RnnGenotype as the official DARTS line,
 * JSON or YAML. */
#include "dartboard/genotype_io.h"

#include <math.h>
#include <stdio.h>

#include "dartboard/atomic_file.h"

static int concat_is_range(const int *c, int n)
{
    for (int i = 1; i < n; i++)
        if (c[i] != c[0] + i)
            return 0;
    return n > 0;
}

static void py_concat(FILE *f, const int *c, int n)
{
    if (concat_is_range(c, n)) {
        fprintf(f, "range(%d, %d)", c[0], c[0] + n);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", c[i]);
    fputc(']', f);
}

static void py_edges(FILE *f, const GenoEdge *e, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s('%s', %d)", i ? ", " : "", op_names[e[i].op], e[i].input);
    fputc(']', f);
}

int genotype_write_py(FILE *f, const Genotype *g)
{
    fputs("Genotype(normal=", f);
    py_edges(f, g->normal, 2 * g->nodes);
    fputs(", normal_concat=", f);
    py_concat(f, g->normal_concat, g->normal_concat_count);
    fputs(", reduce=", f);
    py_edges(f, g->reduce, 2 * g->nodes);
    fputs(", reduce_concat=", f);
    py_concat(f, g->reduce_concat, g->reduce_concat_count);
    fputs(")\n", f);
    return ferror(f) ? -1 : 0;
}

/* Non-finite weights should not happen (the search pauses on a NaN loss), but
 * a writer must still produce a file its reader accepts. */
static void write_number(FILE *f, float v, int yaml)
{
    if (isfinite(v))
        fprintf(f, "%.7g", (double)v);
    else
        fputs(yaml ? ".nan" : "null", f);
}

static void write_ints(FILE *f, const int *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputc(']', f);
}

static void write_weight_row(FILE *f, const float *w, int yaml)
{
    fputc('[', f);
    for (int o = 0; o < OP_COUNT; o++) {
        if (o)
            fputs(", ", f);
        write_number(f, w[o], yaml);
    }
    fputc(']', f);
}

int genotype_write_json(FILE *f, const Genotype *g, const float *wn, const float *wr)
{
    fprintf(f, "{\n  \"nodes\": %d,\n  \"ops\": [", g->nodes);
    for (int o = 0; o < OP_COUNT; o++)
        fprintf(f, "%s\"%s\"", o ? ", " : "", op_names[o]);
    fputs("],\n", f);
    for (int cell = 0; cell < 2; cell++) {
        const GenoEdge *e = cell ? g->reduce : g->normal;
        const char *name = cell ? "reduce" : "normal";
        fprintf(f, "  \"%s\": [\n", name);
        for (int i = 0; i < 2 * g->nodes; i++)
            fprintf(f, "    [\"%s\", %d]%s\n", op_names[e[i].op], e[i].input,
                    i + 1 < 2 * g->nodes ? "," : "");
        fprintf(f, "  ],\n  \"%s_concat\": ", name);
        write_ints(f, cell ? g->reduce_concat : g->normal_concat,
                   cell ? g->reduce_concat_count : g->normal_concat_count);
        fputs(cell == 0 || (wn && wr) ? ",\n" : "\n", f);
    }
    if (wn && wr) {
        int edges = genotype_edge_count(g->nodes);
        fputs("  \"alphas\": {\n", f);
        for (int cell = 0; cell < 2; cell++) {
            const float *w = cell ? wr : wn;
            fprintf(f, "    \"%s\": [\n", cell ? "reduce" : "normal");
            for (int e = 0; e < edges; e++) {
                fputs("      ", f);
                write_weight_row(f, w + e * OP_COUNT, 0);
                fputs(e + 1 < edges ? ",\n" : "\n", f);
            }
            fputs(cell ? "    ]\n" : "    ],\n", f);
        }
        fputs("  }\n", f);
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

int genotype_write_yaml(FILE *f, const Genotype *g, const float *wn, const float *wr)
{
    fputs("# dartboard genotype (a DARTS cell pair). Edges are [op, input] two per node,\n"
          "# node by node; input 0 = c_{k-2}, 1 = c_{k-1}, 2.. = intermediate nodes.\n",
          f);
    fprintf(f, "nodes: %d\nops: [", g->nodes);
    for (int o = 0; o < OP_COUNT; o++)
        fprintf(f, "%s%s", o ? ", " : "", op_names[o]);
    fputs("]\n", f);
    for (int cell = 0; cell < 2; cell++) {
        const GenoEdge *e = cell ? g->reduce : g->normal;
        const char *name = cell ? "reduce" : "normal";
        fprintf(f, "%s:\n", name);
        for (int i = 0; i < 2 * g->nodes; i++)
            fprintf(f, "  - [%s, %d]\n", op_names[e[i].op], e[i].input);
        fprintf(f, "%s_concat: ", name);
        write_ints(f, cell ? g->reduce_concat : g->normal_concat,
                   cell ? g->reduce_concat_count : g->normal_concat_count);
        fputc('\n', f);
    }
    if (wn && wr) {
        int edges = genotype_edge_count(g->nodes);
        fputs("# softmaxed alphas: one row per edge, one column per op in `ops`\nalphas:\n", f);
        for (int cell = 0; cell < 2; cell++) {
            const float *w = cell ? wr : wn;
            fprintf(f, "  %s:\n", cell ? "reduce" : "normal");
            for (int e = 0; e < edges; e++) {
                int node, input;
                genotype_edge_endpoints(e, &node, &input);
                fputs("    - ", f);
                write_weight_row(f, w + e * OP_COUNT, 1);
                fprintf(f, "  # node %d <- %d\n", node, input);
            }
        }
    }
    return ferror(f) ? -1 : 0;
}

int genotype_write(FILE *f, GenotypeFormat fmt, const Genotype *g, const float *w_normal,
                   const float *w_reduce)
{
    switch (fmt) {
    case GENOTYPE_FORMAT_PY:
        return genotype_write_py(f, g);
    case GENOTYPE_FORMAT_JSON:
        return genotype_write_json(f, g, w_normal, w_reduce);
    case GENOTYPE_FORMAT_YAML:
        return genotype_write_yaml(f, g, w_normal, w_reduce);
    default:
        return -1;
    }
}

typedef struct GenotypeFile {
    GenotypeFormat fmt;
    const Genotype *g;
    const float *w_normal, *w_reduce;
} GenotypeFile;

static int fill_genotype(FILE *f, void *ctx)
{
    const GenotypeFile *gf = ctx;
    return genotype_write(f, gf->fmt, gf->g, gf->w_normal, gf->w_reduce);
}

int genotype_save(const char *path, GenotypeFormat fmt, const Genotype *g, const float *w_normal,
                  const float *w_reduce, char *err, size_t errlen)
{
    GenotypeFile gf = {fmt, g, w_normal, w_reduce};
    return atomic_file_write(path, fill_genotype, &gf, err, errlen);
}

/* ---------------------------------------------------- recurrent cells */

int rnn_genotype_write_py(FILE *f, const RnnGenotype *g)
{
    fputs("Genotype(recurrent=[", f);
    for (int i = 0; i < RNN_NODES; i++)
        fprintf(f, "%s('%s', %d)", i ? ", " : "", rnn_op_names[g->recurrent[i].op],
                g->recurrent[i].input);
    fputs("], concat=", f);
    py_concat(f, g->concat, g->concat_count);
    fputs(")\n", f);
    return ferror(f) ? -1 : 0;
}

static void write_rnn_weight_row(FILE *f, const float *w, int yaml)
{
    fputc('[', f);
    for (int o = 0; o < RNN_OP_COUNT; o++) {
        if (o)
            fputs(", ", f);
        write_number(f, w[o], yaml);
    }
    fputc(']', f);
}

/* Edge e of the recurrent cell as "node I <- J" for the YAML comments. */
static void rnn_edge_endpoints(int e, int *node, int *input)
{
    int i = 1;
    while (rnn_edge_offset(i + 1) <= e)
        i++;
    *node = i;
    *input = e - rnn_edge_offset(i);
}

int rnn_genotype_write_json(FILE *f, const RnnGenotype *g, const float *weights)
{
    fprintf(f, "{\n  \"nodes\": %d,\n  \"ops\": [", RNN_NODES);
    for (int o = 0; o < RNN_OP_COUNT; o++)
        fprintf(f, "%s\"%s\"", o ? ", " : "", rnn_op_names[o]);
    fputs("],\n  \"recurrent\": [\n", f);
    for (int i = 0; i < RNN_NODES; i++)
        fprintf(f, "    [\"%s\", %d]%s\n", rnn_op_names[g->recurrent[i].op], g->recurrent[i].input,
                i + 1 < RNN_NODES ? "," : "");
    fputs("  ],\n  \"concat\": ", f);
    write_ints(f, g->concat, g->concat_count);
    if (weights) {
        fputs(",\n  \"alphas\": [\n", f);
        for (int e = 0; e < RNN_EDGES; e++) {
            fputs("    ", f);
            write_rnn_weight_row(f, weights + e * RNN_OP_COUNT, 0);
            fputs(e + 1 < RNN_EDGES ? ",\n" : "\n", f);
        }
        fputs("  ]", f);
    }
    fputs("\n}\n", f);
    return ferror(f) ? -1 : 0;
}

int rnn_genotype_write_yaml(FILE *f, const RnnGenotype *g, const float *weights)
{
    fputs("# dartboard recurrent genotype (a DARTS RNN cell). One [op, predecessor] per node\n"
          "# 1..8; predecessor 0 = s0 (from x_t and h_{t-1}), j = node j.\n",
          f);
    fprintf(f, "nodes: %d\nops: [", RNN_NODES);
    for (int o = 0; o < RNN_OP_COUNT; o++)
        fprintf(f, "%s%s", o ? ", " : "", rnn_op_names[o]);
    fputs("]\nrecurrent:\n", f);
    for (int i = 0; i < RNN_NODES; i++)
        fprintf(f, "  - [%s, %d]\n", rnn_op_names[g->recurrent[i].op], g->recurrent[i].input);
    fputs("concat: ", f);
    write_ints(f, g->concat, g->concat_count);
    fputc('\n', f);
    if (weights) {
        fputs("# softmaxed alphas: one row per edge, one column per op in `ops`\nalphas:\n", f);
        for (int e = 0; e < RNN_EDGES; e++) {
            int node, input;
            rnn_edge_endpoints(e, &node, &input);
            fputs("  - ", f);
            write_rnn_weight_row(f, weights + e * RNN_OP_COUNT, 1);
            fprintf(f, "  # node %d <- %d\n", node, input);
        }
    }
    return ferror(f) ? -1 : 0;
}

int rnn_genotype_write(FILE *f, GenotypeFormat fmt, const RnnGenotype *g, const float *weights)
{
    switch (fmt) {
    case GENOTYPE_FORMAT_PY:
        return rnn_genotype_write_py(f, g);
    case GENOTYPE_FORMAT_JSON:
        return rnn_genotype_write_json(f, g, weights);
    case GENOTYPE_FORMAT_YAML:
        return rnn_genotype_write_yaml(f, g, weights);
    default:
        return -1;
    }
}

typedef struct RnnGenotypeFile {
    GenotypeFormat fmt;
    const RnnGenotype *g;
    const float *weights;
} RnnGenotypeFile;

static int fill_rnn_genotype(FILE *f, void *ctx)
{
    const RnnGenotypeFile *gf = ctx;
    return rnn_genotype_write(f, gf->fmt, gf->g, gf->weights);
}

int rnn_genotype_save(const char *path, GenotypeFormat fmt, const RnnGenotype *g,
                      const float *weights, char *err, size_t errlen)
{
    RnnGenotypeFile gf = {fmt, g, weights};
    return atomic_file_write(path, fill_rnn_genotype, &gf, err, errlen);
}
