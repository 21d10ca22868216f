/* genotype: the DARTS op names and the discrete cell derived from softmaxed
 * alphas (docs/ARCHITECTURE.md, Method: deriving the cell), exactly as
 * derive_genotype() of the PyTorch reference, darts_ref.py, that
 * BENCHMARKS.md names, ties included. */
#include "dartboard/genotype.h"

#include <string.h>

const char *const op_names[OP_COUNT] = {
    [OP_NONE] = "none",
    [OP_MAX_POOL_3X3] = "max_pool_3x3",
    [OP_AVG_POOL_3X3] = "avg_pool_3x3",
    [OP_SKIP_CONNECT] = "skip_connect",
    [OP_SEP_CONV_3X3] = "sep_conv_3x3",
    [OP_SEP_CONV_5X5] = "sep_conv_5x5",
    [OP_DIL_CONV_3X3] = "dil_conv_3x3",
    [OP_DIL_CONV_5X5] = "dil_conv_5x5",
};

int op_from_name(const char *name)
{
    for (int k = 0; name && k < OP_COUNT; k++)
        if (strcmp(name, op_names[k]) == 0)
            return k;
    return -1;
}

int genotype_edge_count(int nodes)
{
    return nodes * (nodes + 3) / 2;
}

void genotype_edge_endpoints(int e, int *node, int *input)
{
    int i = 0;
    while (e >= 2 + i) {
        e -= 2 + i;
        i++;
    }
    *node = i;
    *input = e;
}

/* The strongest non-none op of one edge's weights; the first on ties, like
 * Python's max(). */
static int strongest_op(const float *w)
{
    int best = -1;
    for (int k = 0; k < OP_COUNT; k++)
        if (k != OP_NONE && (best < 0 || w[k] > w[best]))
            best = k;
    return best;
}

/* Python's sorted(..., key=-strength)[:2] is stable: on equal strength the
 * lower input index comes first, so only a strictly stronger edge overtakes. */
static void derive_cell(GenoEdge *out, const float *w, int nodes)
{
    int start = 0;
    for (int i = 0; i < nodes; i++) {
        int first = -1, second = -1;
        float s_first = 0, s_second = 0;
        for (int j = 0; j < 2 + i; j++) {
            const float *row = &w[(size_t)(start + j) * OP_COUNT];
            float s = row[strongest_op(row)];
            if (first < 0 || s > s_first) {
                second = first;
                s_second = s_first;
                first = j;
                s_first = s;
            } else if (second < 0 || s > s_second) {
                second = j;
                s_second = s;
            }
        }
        out[2 * i].input = first;
        out[2 * i].op = strongest_op(&w[(size_t)(start + first) * OP_COUNT]);
        out[2 * i + 1].input = second;
        out[2 * i + 1].op = strongest_op(&w[(size_t)(start + second) * OP_COUNT]);
        start += 2 + i;
    }
}

void genotype_derive(Genotype *g, const float *w_normal, const float *w_reduce, int nodes)
{
    memset(g, 0, sizeof *g);
    g->nodes = nodes;
    derive_cell(g->normal, w_normal, nodes);
    derive_cell(g->reduce, w_reduce, nodes);
    for (int i = 0; i < nodes; i++) {
        g->normal_concat[i] = 2 + i;
        g->reduce_concat[i] = 2 + i;
    }
    g->normal_concat_count = g->reduce_concat_count = nodes;
}

int genotype_equal(const Genotype *a, const Genotype *b)
{
    if (a->nodes != b->nodes || a->normal_concat_count != b->normal_concat_count ||
        a->reduce_concat_count != b->reduce_concat_count)
        return 0;
    for (int i = 0; i < 2 * a->nodes; i++)
        if (a->normal[i].op != b->normal[i].op || a->normal[i].input != b->normal[i].input ||
            a->reduce[i].op != b->reduce[i].op || a->reduce[i].input != b->reduce[i].input)
            return 0;
    for (int i = 0; i < a->normal_concat_count; i++)
        if (a->normal_concat[i] != b->normal_concat[i])
            return 0;
    for (int i = 0; i < a->reduce_concat_count; i++)
        if (a->reduce_concat[i] != b->reduce_concat[i])
            return 0;
    return 1;
}

/* The cells the DARTS paper published (the official cnn/genotypes.py). */
static const struct {
    const char *name;
    int normal[8][2], reduce[8][2]; /* (op, input) */
} published[] = {
    {"DARTS_V1",
     {{OP_SEP_CONV_3X3, 1},
      {OP_SEP_CONV_3X3, 0},
      {OP_SKIP_CONNECT, 0},
      {OP_SEP_CONV_3X3, 1},
      {OP_SKIP_CONNECT, 0},
      {OP_SEP_CONV_3X3, 1},
      {OP_SEP_CONV_3X3, 0},
      {OP_SKIP_CONNECT, 2}},
     {{OP_MAX_POOL_3X3, 0},
      {OP_MAX_POOL_3X3, 1},
      {OP_SKIP_CONNECT, 2},
      {OP_MAX_POOL_3X3, 0},
      {OP_MAX_POOL_3X3, 0},
      {OP_SKIP_CONNECT, 2},
      {OP_SKIP_CONNECT, 2},
      {OP_AVG_POOL_3X3, 0}}},
    {"DARTS_V2",
     {{OP_SEP_CONV_3X3, 0},
      {OP_SEP_CONV_3X3, 1},
      {OP_SEP_CONV_3X3, 0},
      {OP_SEP_CONV_3X3, 1},
      {OP_SEP_CONV_3X3, 1},
      {OP_SKIP_CONNECT, 0},
      {OP_SKIP_CONNECT, 0},
      {OP_DIL_CONV_3X3, 2}},
     {{OP_MAX_POOL_3X3, 0},
      {OP_MAX_POOL_3X3, 1},
      {OP_SKIP_CONNECT, 2},
      {OP_MAX_POOL_3X3, 1},
      {OP_MAX_POOL_3X3, 0},
      {OP_SKIP_CONNECT, 2},
      {OP_SKIP_CONNECT, 2},
      {OP_MAX_POOL_3X3, 1}}},
};

int genotype_published(const char *name, Genotype *g)
{
    if (!name)
        return -1;
    if (strcmp(name, "DARTS") == 0)
        name = "DARTS_V2";
    for (size_t k = 0; k < sizeof published / sizeof *published; k++) {
        if (strcmp(name, published[k].name) != 0)
            continue;
        memset(g, 0, sizeof *g);
        g->nodes = 4;
        for (int i = 0; i < 8; i++) {
            g->normal[i] = (GenoEdge){published[k].normal[i][0], published[k].normal[i][1]};
            g->reduce[i] = (GenoEdge){published[k].reduce[i][0], published[k].reduce[i][1]};
        }
        for (int i = 0; i < 4; i++)
            g->normal_concat[i] = g->reduce_concat[i] = 2 + i;
        g->normal_concat_count = g->reduce_concat_count = 4;
        return 0;
    }
    return -1;
}
