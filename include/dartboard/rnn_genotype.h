/* rnn_genotype: the recurrent DARTS op set and the discrete recurrent cell.
 *
 * The recurrent search space of DARTS (the official rnn/genotypes.py): ops
 * none, tanh, relu, sigmoid, identity, in that order (the alpha columns); 8
 * nodes after s0, node i (1-based, as the official code counts states) has the
 * i earlier states 0..i-1 as predecessors. Edges are numbered node by node:
 * node 1 <- s0; node 2 <- s0, s1; ... 36 in all. A derived cell keeps one
 * (op, predecessor) per node; its output averages states 1..8
 * (concat = range(1, 9)). Separate from the CNN Genotype (genotype.h).
 */
#ifndef DARTBOARD_RNN_GENOTYPE_H
#define DARTBOARD_RNN_GENOTYPE_H

typedef enum RnnOp {
    RNN_OP_NONE,
    RNN_OP_TANH,
    RNN_OP_RELU,
    RNN_OP_SIGMOID,
    RNN_OP_IDENTITY,
    RNN_OP_COUNT
} RnnOp;

#define RNN_NODES 8
#define RNN_EDGES (RNN_NODES * (RNN_NODES + 1) / 2)

extern const char *const rnn_op_names[RNN_OP_COUNT];

/* RNN_OP_* for a recurrent op name, or -1. */
int rnn_op_from_name(const char *name);
/* First edge of node i (1-based): the edges of node i are
 * rnn_edge_offset(i) + j for its predecessors j = 0..i-1. */
int rnn_edge_offset(int node);

typedef struct RnnGenoEdge {
    int op;    /* RnnOp, never RNN_OP_NONE in a derived cell */
    int input; /* the predecessor state: 0 = s0, j = node j */
} RnnGenoEdge;

typedef struct RnnGenotype {
    RnnGenoEdge recurrent[RNN_NODES]; /* node 1..8 */
    int concat[RNN_NODES];            /* states averaged into the output */
    int concat_count;
} RnnGenotype;

/* For each node, the predecessor whose strongest non-none weight is the
 * largest (ties: the lower index), with that op (ties: the first op).
 * `weights` is the softmaxed alpha, RNN_EDGES x RNN_OP_COUNT.
 * concat = range(1, 9). The reference's genotype(), ties included. */
void rnn_genotype_derive(RnnGenotype *g, const float *weights);
int rnn_genotype_equal(const RnnGenotype *a, const RnnGenotype *b);

/* The published cells of the official rnn/genotypes.py. */
extern const RnnGenotype rnn_genotype_darts_v1;
extern const RnnGenotype rnn_genotype_darts_v2;
/* A published cell by its name in rnn/genotypes.py: "DARTS_V1", "DARTS_V2",
 * and "DARTS" (= DARTS_V2). 0, or -1 for another name. */
int rnn_genotype_published(const char *name, RnnGenotype *g);

#endif
