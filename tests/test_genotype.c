/* test_genotype: op names, edge numbering and the derivation of
 * docs/ARCHITECTURE.md, Method: deriving the cell (derive_genotype of the
 * PyTorch reference, darts_ref.py) on hand-made weights: the reference's
 * selftest 3, ties between edges and between ops, and a none-dominated edge. */
#include <math.h>
#include <string.h>

#include "dartboard/genotype.h"
#include "tap.h"

#define EDGES 14

static void softmax_row(float *w, const float *a)
{
    double m = a[0], sum = 0.0;
    for (int k = 1; k < OP_COUNT; k++)
        m = a[k] > m ? a[k] : m;
    for (int k = 0; k < OP_COUNT; k++)
        sum += exp(a[k] - m);
    for (int k = 0; k < OP_COUNT; k++)
        w[k] = (float)(exp(a[k] - m) / sum);
}

static int cell_is(const GenoEdge *got, const int (*want)[2], int count, const char *what)
{
    int good = 1;
    for (int i = 0; i < count; i++)
        if (got[i].op != want[i][0] || got[i].input != want[i][1]) {
            diag("%s: entry %d is (%s, %d), expected (%s, %d)", what, i, op_names[got[i].op],
                 got[i].input, op_names[want[i][0]], want[i][1]);
            good = 0;
        }
    return good;
}

static void test_names(void)
{
    static const char *const darts[OP_COUNT] = {"none",         "max_pool_3x3", "avg_pool_3x3",
                                                "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                                                "dil_conv_3x3", "dil_conv_5x5"};
    int good = 1;
    for (int k = 0; k < OP_COUNT; k++)
        good &= strcmp(op_names[k], darts[k]) == 0 && op_from_name(darts[k]) == k;
    ok(good, "op_names are DARTS's PRIMITIVES in order and op_from_name inverts them");
    ok(op_from_name("conv_7x1_1x7") == -1 && op_from_name("") == -1 && op_from_name(NULL) == -1,
       "unknown, empty and NULL names give -1");
}

static void test_edges(void)
{
    ok(genotype_edge_count(4) == 14 && genotype_edge_count(1) == 2 &&
           genotype_edge_count(GENOTYPE_MAX_NODES) == GENOTYPE_MAX_EDGES,
       "edge counts: 4 nodes 14, 1 node 2, max nodes GENOTYPE_MAX_EDGES");
    static const int want[EDGES][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1},
                                       {2, 2}, {2, 3}, {3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}};
    int good = 1;
    for (int e = 0; e < EDGES; e++) {
        int node, input;
        genotype_edge_endpoints(e, &node, &input);
        good &= node == want[e][0] && input == want[e][1];
    }
    ok(good, "edge endpoints run node by node: n0<-(s0,s1), n1<-(s0,s1,n0), ...");
}

/* darts_ref.py --selftest, case 3, extended to all four nodes (expected
 * values printed by the reference's derive_genotype). */
static void test_reference_case(void)
{
    static const int picks[EDGES] = {4, 5, 0, 6, 3, 1, 2, 7, 4, 4, 5, 6, 3, 1};
    float w[EDGES * OP_COUNT];
    for (int e = 0; e < EDGES; e++) {
        float a[OP_COUNT];
        for (int k = 0; k < OP_COUNT; k++)
            a[k] = -5.0f;
        a[picks[e]] = picks[e] == 0 ? 9.0f : 1.0f + 0.1f * (float)e;
        softmax_row(&w[e * OP_COUNT], a);
    }
    Genotype g;
    genotype_derive(&g, w, w, 4);
    static const int want[8][2] = {{OP_SEP_CONV_5X5, 1}, {OP_SEP_CONV_3X3, 0}, {OP_SKIP_CONNECT, 2},
                                   {OP_DIL_CONV_3X3, 1}, {OP_SEP_CONV_3X3, 3}, {OP_DIL_CONV_5X5, 2},
                                   {OP_MAX_POOL_3X3, 4}, {OP_SKIP_CONNECT, 3}};
    ok(cell_is(g.normal, want, 8, "normal"), "reference selftest 3: strongest edge first, "
                                             "none-dominated edge 2 dropped");
    ok(cell_is(g.reduce, want, 8, "reduce"), "the reduce cell is derived from its own weights");
    int concat = g.nodes == 4 && g.normal_concat_count == 4 && g.reduce_concat_count == 4;
    for (int i = 0; i < 4; i++)
        concat &= g.normal_concat[i] == 2 + i && g.reduce_concat[i] == 2 + i;
    ok(concat, "concat = range(2, 6)");
}

static void test_ties(void)
{
    float uniform[EDGES * OP_COUNT], w[EDGES * OP_COUNT];
    for (int i = 0; i < EDGES * OP_COUNT; i++)
        uniform[i] = 1.0f / OP_COUNT;
    Genotype g;
    genotype_derive(&g, uniform, uniform, 4);
    static const int want_uniform[8][2] = {
        {OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1}, {OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1},
        {OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1}, {OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1}};
    ok(cell_is(g.normal, want_uniform, 8, "uniform"),
       "all ties: lower input indices and the first non-none op win");

    /* Node 1 (edges 2, 3, 4): edge 3 strongest; edges 2 and 4 tie for second
     * -> input 0. Node 0: two ops tie on edge 1 -> the first (avg_pool). */
    memcpy(w, uniform, sizeof w);
    float *e1 = &w[1 * OP_COUNT], *e2 = &w[2 * OP_COUNT], *e3 = &w[3 * OP_COUNT],
          *e4 = &w[4 * OP_COUNT];
    e1[OP_AVG_POOL_3X3] = e1[OP_DIL_CONV_5X5] = 0.4f;
    e2[OP_SEP_CONV_5X5] = 0.3f;
    e3[OP_DIL_CONV_3X3] = 0.5f;
    e4[OP_SKIP_CONNECT] = 0.3f;
    genotype_derive(&g, w, uniform, 4);
    static const int want_tie[4][2] = {
        {OP_AVG_POOL_3X3, 1}, {OP_MAX_POOL_3X3, 0}, {OP_DIL_CONV_3X3, 1}, {OP_SEP_CONV_5X5, 0}};
    ok(cell_is(g.normal, want_tie, 4, "ties"),
       "equal edge strength: the lower input index; equal op weights: the first op");

    /* Node 1: edge 2 is 97% none; its best real op (0.01) loses to edges
     * whose best real op is 0.2 even though none is the largest weight overall. */
    memcpy(w, uniform, sizeof w);
    for (int k = 0; k < OP_COUNT; k++)
        e2[k] = 0.03f / 7;
    e2[OP_NONE] = 0.97f;
    e3[OP_SEP_CONV_3X3] = 0.2f;
    e4[OP_MAX_POOL_3X3] = 0.2f;
    genotype_derive(&g, w, uniform, 4);
    static const int want_none[2][2] = {{OP_SEP_CONV_3X3, 1}, {OP_MAX_POOL_3X3, 2}};
    ok(cell_is(&g.normal[2], want_none, 2, "none-dominated"),
       "a none-dominated edge is dropped and none is never picked");

    Genotype h = g;
    ok(genotype_equal(&g, &h), "genotype_equal: a copy is equal");
    h.normal[3].input = 0;
    ok(!genotype_equal(&g, &h), "genotype_equal: one changed input differs");
    h = g;
    h.reduce[7].op = OP_SEP_CONV_5X5;
    ok(!genotype_equal(&g, &h), "genotype_equal: one changed reduce op differs");
}

static void test_two_nodes(void)
{
    float w[5 * OP_COUNT];
    for (int e = 0; e < 5; e++)
        for (int k = 0; k < OP_COUNT; k++)
            w[e * OP_COUNT + k] = k == (e % 7) + 1 ? 0.3f + 0.1f * (float)e : 0.1f;
    Genotype g;
    genotype_derive(&g, w, w, 2);
    static const int want[4][2] = {
        {OP_AVG_POOL_3X3, 1}, {OP_MAX_POOL_3X3, 0}, {OP_SEP_CONV_5X5, 2}, {OP_SEP_CONV_3X3, 1}};
    ok(g.nodes == 2 && g.normal_concat_count == 2 && g.normal_concat[1] == 3 &&
           cell_is(g.normal, want, 4, "two nodes"),
       "a two-node cell: 5 edges, concat = (2, 3)");
}

/* genotype_published: the official cnn/genotypes.py cells, spot-checked
 * edge by edge against that file; DARTS is DARTS_V2. */
static void test_published(void)
{
    Genotype v1, v2, d;
    ok(genotype_published("DARTS_V1", &v1) == 0 && genotype_published("DARTS_V2", &v2) == 0 &&
           genotype_published("DARTS", &d) == 0,
       "published: DARTS_V1, DARTS_V2 and DARTS are known");
    ok(genotype_equal(&d, &v2) && !genotype_equal(&v1, &v2), "published: DARTS is DARTS_V2");
    static const int v2n[8][2] = {{OP_SEP_CONV_3X3, 0}, {OP_SEP_CONV_3X3, 1}, {OP_SEP_CONV_3X3, 0},
                                  {OP_SEP_CONV_3X3, 1}, {OP_SEP_CONV_3X3, 1}, {OP_SKIP_CONNECT, 0},
                                  {OP_SKIP_CONNECT, 0}, {OP_DIL_CONV_3X3, 2}};
    static const int v2r[8][2] = {{OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1}, {OP_SKIP_CONNECT, 2},
                                  {OP_MAX_POOL_3X3, 1}, {OP_MAX_POOL_3X3, 0}, {OP_SKIP_CONNECT, 2},
                                  {OP_SKIP_CONNECT, 2}, {OP_MAX_POOL_3X3, 1}};
    static const int v1n[8][2] = {{OP_SEP_CONV_3X3, 1}, {OP_SEP_CONV_3X3, 0}, {OP_SKIP_CONNECT, 0},
                                  {OP_SEP_CONV_3X3, 1}, {OP_SKIP_CONNECT, 0}, {OP_SEP_CONV_3X3, 1},
                                  {OP_SEP_CONV_3X3, 0}, {OP_SKIP_CONNECT, 2}};
    static const int v1r[8][2] = {{OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 1}, {OP_SKIP_CONNECT, 2},
                                  {OP_MAX_POOL_3X3, 0}, {OP_MAX_POOL_3X3, 0}, {OP_SKIP_CONNECT, 2},
                                  {OP_SKIP_CONNECT, 2}, {OP_AVG_POOL_3X3, 0}};
    ok(v2.nodes == 4 && cell_is(v2.normal, v2n, 8, "V2 normal") &&
           cell_is(v2.reduce, v2r, 8, "V2 reduce") && cell_is(v1.normal, v1n, 8, "V1 normal") &&
           cell_is(v1.reduce, v1r, 8, "V1 reduce") && v1.normal_concat_count == 4 &&
           v1.reduce_concat[3] == 5,
       "published: the cells and concat = (2, 3, 4, 5) of genotypes.py");
    Genotype keep = v1;
    ok(genotype_published("DARTS_V3", &v1) == -1 && genotype_published(NULL, &v1) == -1 &&
           genotype_equal(&keep, &v1),
       "published: an unknown name is -1 and leaves the genotype alone");
}

int main(void)
{
    test_published();
    test_names();
    test_edges();
    test_reference_case();
    test_ties();
    test_two_nodes();
    return tap_done();
}
