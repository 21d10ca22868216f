/* genotype: the DARTS op set and the discrete cell derived from alphas.
 *
 * OP_* follow the order of DARTS's PRIMITIVES list, which is also the column
 * order of every alpha matrix, file and fixture in dartboard. Edges are
 * numbered node by node: node 0 <- (s0, s1), node 1 <- (s0, s1, n0), ...
 * so node i has 2 + i incoming edges and input index j (0 = s0, 1 = s1,
 * 2.. = intermediate nodes).
 */
#ifndef DARTBOARD_GENOTYPE_H
#define DARTBOARD_GENOTYPE_H

typedef enum OpKind {
    OP_NONE,
    OP_MAX_POOL_3X3,
    OP_AVG_POOL_3X3,
    OP_SKIP_CONNECT,
    OP_SEP_CONV_3X3,
    OP_SEP_CONV_5X5,
    OP_DIL_CONV_3X3,
    OP_DIL_CONV_5X5,
    OP_COUNT
} OpKind;

#define GENOTYPE_MAX_NODES 8
#define GENOTYPE_MAX_EDGES (GENOTYPE_MAX_NODES * (GENOTYPE_MAX_NODES + 3) / 2)

extern const char *const op_names[OP_COUNT];

/* OP_* for a DARTS op name, or -1. */
int op_from_name(const char *name);
/* Edges of a cell with `nodes` intermediate nodes: nodes * (nodes + 3) / 2. */
int genotype_edge_count(int nodes);
/* Target node and input index of edge e. */
void genotype_edge_endpoints(int e, int *node, int *input);

typedef struct GenoEdge {
    int op;    /* OpKind, never OP_NONE in a derived cell */
    int input; /* 0 = s0 (c_{k-2}), 1 = s1 (c_{k-1}), 2 + i = node i */
} GenoEdge;

typedef struct Genotype {
    int nodes;                               /* intermediate nodes (4 in DARTS) */
    GenoEdge normal[2 * GENOTYPE_MAX_NODES]; /* two per node, strongest first */
    GenoEdge reduce[2 * GENOTYPE_MAX_NODES];
    int normal_concat[GENOTYPE_MAX_NODES + 2]; /* states concatenated to the output */
    int reduce_concat[GENOTYPE_MAX_NODES + 2];
    int normal_concat_count, reduce_concat_count;
} Genotype;

/* docs/ARCHITECTURE.md, Method: deriving the cell. From softmaxed weights
 * (edges x OP_COUNT, per cell) keep, per node, the two incoming edges with
 * the largest non-none weight (ties: lower input index first), each with its
 * strongest non-none op (ties: first op). concat = range(2, 2 + nodes). */
void genotype_derive(Genotype *g, const float *w_normal, const float *w_reduce, int nodes);
int genotype_equal(const Genotype *a, const Genotype *b);
/* The cells the DARTS paper published (the official cnn/genotypes.py):
 * "DARTS_V1", "DARTS_V2", and "DARTS" (= DARTS_V2). 0, or -1 for another name. */
int genotype_published(const char *name, Genotype *g);

#endif
