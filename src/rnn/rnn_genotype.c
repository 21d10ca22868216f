/* rnn_genotype: see include/dartboard/rnn_genotype.h */
#include "config.h"
#include "dartboard/rnn_genotype.h"

#include <string.h>

const char *const rnn_op_names[RNN_OP_COUNT] = {"none", "tanh", "relu", "sigmoid", "identity"};

int rnn_op_from_name(const char *name)
{
    for (int k = 0; k < RNN_OP_COUNT; k++)
        if (strcmp(name, rnn_op_names[k]) == 0)
            return k;
    return -1;
}

int rnn_edge_offset(int node)
{
    return (node - 1) * node / 2;
}

#define CONCAT_1_TO_8 {1, 2, 3, 4, 5, 6, 7, 8}, RNN_NODES

void rnn_genotype_derive(RnnGenotype *g, const float *weights)
{
    memset(g, 0, sizeof *g);
    for (int i = 1; i <= RNN_NODES; i++) {
        const float *w = weights + (size_t)rnn_edge_offset(i) * RNN_OP_COUNT;
        int best_j = 0, best_k = 1;
        float best = -1.0f;
        for (int j = 0; j < i; j++)
            for (int k = 1; k < RNN_OP_COUNT; k++)
                /* strictly greater: the first predecessor, then the first op,
                 * wins a tie, as Python's max() does */
                if (w[j * RNN_OP_COUNT + k] > best) {
                    best = w[j * RNN_OP_COUNT + k];
                    best_j = j;
                    best_k = k;
                }
        g->recurrent[i - 1].op = best_k;
        g->recurrent[i - 1].input = best_j;
    }
    for (int i = 0; i < RNN_NODES; i++)
        g->concat[i] = i + 1;
    g->concat_count = RNN_NODES;
}

int rnn_genotype_equal(const RnnGenotype *a, const RnnGenotype *b)
{
    if (a->concat_count != b->concat_count)
        return 0;
    for (int i = 0; i < RNN_NODES; i++)
        if (a->recurrent[i].op != b->recurrent[i].op ||
            a->recurrent[i].input != b->recurrent[i].input)
            return 0;
    for (int i = 0; i < a->concat_count; i++)
        if (a->concat[i] != b->concat[i])
            return 0;
    return 1;
}

const RnnGenotype rnn_genotype_darts_v1 = {{{RNN_OP_RELU, 0},
                                            {RNN_OP_RELU, 1},
                                            {RNN_OP_TANH, 2},
                                            {RNN_OP_RELU, 3},
                                            {RNN_OP_RELU, 4},
                                            {RNN_OP_IDENTITY, 1},
                                            {RNN_OP_RELU, 5},
                                            {RNN_OP_RELU, 1}},
                                           CONCAT_1_TO_8};

const RnnGenotype rnn_genotype_darts_v2 = {{{RNN_OP_SIGMOID, 0},
                                            {RNN_OP_RELU, 1},
                                            {RNN_OP_RELU, 1},
                                            {RNN_OP_IDENTITY, 1},
                                            {RNN_OP_TANH, 2},
                                            {RNN_OP_SIGMOID, 5},
                                            {RNN_OP_TANH, 3},
                                            {RNN_OP_RELU, 5}},
                                           CONCAT_1_TO_8};

int rnn_genotype_published(const char *name, RnnGenotype *g)
{
    if (!name)
        return -1;
    if (strcmp(name, "DARTS_V1") == 0)
        *g = rnn_genotype_darts_v1;
    else if (strcmp(name, "DARTS_V2") == 0 || strcmp(name, "DARTS") == 0)
        *g = rnn_genotype_darts_v2;
    else
        return -1;
    return 0;
}
