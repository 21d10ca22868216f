/* genotype_io_interpret_rnn: the value tree of a recurrent genotype (any
 * dialect, genotype_io_read.h) turned into an RnnGenotype, with positioned
 * messages: an op outside the recurrent space, a predecessor a node cannot
 * have, a cell that is not 8 nodes, a concat other than the 8 nodes. */
#include "genotype_io_read.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "tanh, relu, sigmoid, identity": the ops a derived recurrent cell may use. */
static void derived_op_list(char *buf, size_t n)
{
    buf[0] = '\0';
    for (int k = 1; k < RNN_OP_COUNT; k++) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", k > 1 ? ", " : "", rnn_op_names[k]);
    }
}

static const Value *first_edge(const Value *top)
{
    const Value *list = NULL;
    for (int i = 0; i < top->n && !list; i++)
        if (top->keys && top->keys[i] && strcmp(top->keys[i], "recurrent") == 0)
            list = top->items[i];
    if (!list && top->kind == VAL_CALL && top->n == 2 && !top->keys[0] && !top->keys[1])
        list = top->items[0]; /* Genotype([...], range(1, 9)): namedtuple order */
    if (!list || list->kind != VAL_SEQ || list->n == 0)
        return NULL;
    return list->items[0];
}

int value_is_recurrent(const Value *top)
{
    if (top->kind != VAL_CALL && top->kind != VAL_MAP)
        return 0;
    for (int i = 0; i < top->n; i++)
        if (top->keys && top->keys[i] && strcmp(top->keys[i], "recurrent") == 0)
            return 1;
    /* positional: only when the first edge names a recurrent op, so a
     * truncated CNN Genotype(normal, normal_concat) keeps its CNN message */
    const Value *e = first_edge(top);
    return e && e->kind == VAL_SEQ && e->n >= 1 && e->items[0]->kind == VAL_STR &&
           rnn_op_from_name(e->items[0]->str) >= 0;
}

static int want_int(Reader *rd, const Value *v, const char *what, long *out)
{
    if (v->kind != VAL_INT) {
        rd_error(rd, v->line, v->col, "%s is %s (expected an integer)", what, value_kind_name(v));
        return -1;
    }
    *out = v->inum;
    return 0;
}

/* Node i (1-based) of the cell from edge value t: (op, predecessor). */
static int read_rnn_edge(Reader *rd, const Value *t, int node, RnnGenoEdge *out)
{
    char ops[128];
    derived_op_list(ops, sizeof ops);
    if (t->kind != VAL_SEQ || t->n != 2) {
        rd_error(rd, t->line, t->col, "node %d is %s (expected ('op', predecessor))", node,
                 t->kind == VAL_SEQ ? "a tuple of the wrong length" : value_kind_name(t));
        return -1;
    }
    const Value *o = t->items[0];
    if (o->kind != VAL_STR) {
        rd_error(rd, o->line, o->col, "op is %s (expected a quoted op name: one of %s)",
                 value_kind_name(o), ops);
        return -1;
    }
    int op = rnn_op_from_name(o->str);
    if (op <= RNN_OP_NONE) {
        rd_error(rd, o->line, o->col, "'%s' is not an op of a derived recurrent cell (expected %s)",
                 o->str, ops);
        return -1;
    }
    long j;
    if (want_int(rd, t->items[1], "predecessor", &j) != 0)
        return -1;
    if (j < 0 || j >= node) {
        rd_error(rd, t->items[1]->line, t->items[1]->col,
                 "node %d takes predecessor %ld (expected 0..%d: s0 or an earlier node)", node, j,
                 node - 1);
        return -1;
    }
    *out = (RnnGenoEdge){op, (int)j};
    return 0;
}

static int read_recurrent(Reader *rd, const Value *top, const Value *v, RnnGenotype *g)
{
    if (!v) {
        rd_error(rd, top->line, top->col,
                 "no recurrent cell (expected recurrent=[('op', predecessor), ...])");
        return -1;
    }
    if (v->kind != VAL_SEQ || v->n != RNN_NODES) {
        rd_error(rd, v->line, v->col,
                 "recurrent has %d node%s (expected %d (op, predecessor) pairs, one per node)",
                 v->kind == VAL_SEQ ? v->n : 0, v->kind == VAL_SEQ && v->n == 1 ? "" : "s",
                 RNN_NODES);
        return -1;
    }
    for (int i = 0; i < RNN_NODES; i++)
        if (read_rnn_edge(rd, v->items[i], i + 1, &g->recurrent[i]) != 0)
            return -1;
    return 0;
}

/* The states the cell averages into its output, as the official model.py
 * reads genotype.concat: states 1..8 unless given (range(a, b),
 * list(range(a, b)) or a list), each at most once, in increasing order. */
static int read_rnn_concat(Reader *rd, const Value *v, RnnGenotype *g)
{
    for (int i = 0; i < RNN_NODES; i++)
        g->concat[i] = i + 1;
    g->concat_count = RNN_NODES;
    if (!v || v->kind == VAL_NULL)
        return 0;
    const Value *at = v;
    if (v->kind == VAL_CALL && strcmp(v->str, "list") == 0 && v->n == 1 && !v->keys[0])
        v = v->items[0];
    if (v->kind == VAL_CALL && strcmp(v->str, "range") == 0) {
        long a = 0, b;
        if ((v->n != 1 && v->n != 2) || v->keys[0] || (v->n == 2 && v->keys[1])) {
            rd_error(rd, v->line, v->col, "range with %d arguments (expected range(1, %d))", v->n,
                     RNN_NODES + 1);
            return -1;
        }
        if (v->n == 2 && want_int(rd, v->items[0], "range start", &a) != 0)
            return -1;
        if (want_int(rd, v->items[v->n - 1], "range stop", &b) != 0)
            return -1;
        if (a < 1 || b <= a || b > RNN_NODES + 1) {
            rd_error(rd, v->line, v->col,
                     "concat range(%ld, %ld) (expected states among 1..%d, e.g. range(1, %d))", a,
                     b, RNN_NODES, RNN_NODES + 1);
            return -1;
        }
        g->concat_count = (int)(b - a);
        for (int i = 0; i < g->concat_count; i++)
            g->concat[i] = (int)a + i;
        return 0;
    }
    if (v->kind != VAL_SEQ || v->n < 1 || v->n > RNN_NODES) {
        rd_error(rd, at->line, at->col, "concat is %s (expected range(1, %d) or a list of states)",
                 v->kind == VAL_SEQ ? "a list of the wrong length" : value_kind_name(at),
                 RNN_NODES + 1);
        return -1;
    }
    for (int i = 0; i < v->n; i++) {
        long s;
        if (want_int(rd, v->items[i], "concat entry", &s) != 0)
            return -1;
        if (s < 1 || s > RNN_NODES || (i > 0 && s <= g->concat[i - 1])) {
            rd_error(rd, v->items[i]->line, v->items[i]->col,
                     "concat entry %ld (expected states among 1..%d, each once, in increasing "
                     "order)",
                     s, RNN_NODES);
            return -1;
        }
        g->concat[i] = (int)s;
    }
    g->concat_count = v->n;
    return 0;
}

/* The column of each op in the alpha rows: `ops`, or dartboard's order. */
static int read_rnn_op_columns(Reader *rd, const Value *ops, int *col_op, int *ncols)
{
    for (int o = 0; o < RNN_OP_COUNT; o++)
        col_op[o] = o;
    *ncols = RNN_OP_COUNT;
    if (!ops)
        return 0;
    if (ops->kind != VAL_SEQ || ops->n == 0 || ops->n > RNN_OP_COUNT) {
        rd_error(rd, ops->line, ops->col,
                 "ops is %s (expected a list of up to %d recurrent op names)",
                 ops->kind == VAL_SEQ ? "a list of the wrong length" : value_kind_name(ops),
                 RNN_OP_COUNT);
        return -1;
    }
    *ncols = ops->n;
    for (int c = 0; c < ops->n; c++) {
        const Value *o = ops->items[c];
        int op = o->kind == VAL_STR ? rnn_op_from_name(o->str) : -1;
        if (op < 0) {
            rd_error(rd, o->line, o->col,
                     "'%s' is not a recurrent op (expected none, tanh, relu, sigmoid or identity)",
                     o->kind == VAL_STR ? o->str : value_kind_name(o));
            return -1;
        }
        for (int k = 0; k < c; k++) {
            if (col_op[k] == op) {
                rd_error(rd, o->line, o->col, "op '%s' listed twice (expected each once)", o->str);
                return -1;
            }
        }
        col_op[c] = op;
    }
    return 0;
}

/* alphas: RNN_EDGES rows, one weight per op in `ops`. */
static int read_rnn_alphas(Reader *rd, const Value *v, const int *col_op, int ncols,
                           RnnGenotypeAlphas *out)
{
    if (v->kind != VAL_SEQ || v->n != RNN_EDGES) {
        rd_error(rd, v->line, v->col,
                 "alphas has %d rows (expected %d: one per edge of the 8-node recurrent cell)",
                 v->kind == VAL_SEQ ? v->n : 0, RNN_EDGES);
        return -1;
    }
    for (int e = 0; e < RNN_EDGES; e++) {
        const Value *row = v->items[e];
        if (row->kind != VAL_SEQ || row->n != ncols) {
            rd_error(rd, row->line, row->col,
                     "alpha row has %d weights (expected %d, one per op in ops)",
                     row->kind == VAL_SEQ ? row->n : 0, ncols);
            return -1;
        }
        float *w = out->w + e * RNN_OP_COUNT;
        for (int o = 0; o < RNN_OP_COUNT; o++)
            w[o] = 0.0f;
        for (int c = 0; c < ncols; c++) {
            const Value *x = row->items[c];
            if (x->kind != VAL_INT && x->kind != VAL_FLOAT && x->kind != VAL_NULL) {
                rd_error(rd, x->line, x->col, "weight is %s (expected a number)",
                         value_kind_name(x));
                return -1;
            }
            w[col_op[c]] = x->kind == VAL_NULL ? NAN : (float)x->num;
        }
    }
    out->present = 1;
    return 0;
}

typedef struct RnnFields {
    const Value *recurrent, *concat, *nodes, *ops, *alphas;
} RnnFields;

static int collect_rnn_fields(Reader *rd, const Value *top, RnnFields *f)
{
    static const char *const positional[] = {"recurrent", "concat"}; /* namedtuple order */
    static const char *const names[] = {"recurrent", "concat", "nodes", "ops", "alphas"};
    memset(f, 0, sizeof *f);
    const Value **slots[] = {&f->recurrent, &f->concat, &f->nodes, &f->ops, &f->alphas};
    for (int i = 0; i < top->n; i++) {
        const char *k = top->keys[i];
        const Value *v = top->items[i];
        if (!k) {
            if (i >= 2) {
                rd_error(rd, v->line, v->col,
                         "too many positional arguments (expected recurrent, concat)");
                return -1;
            }
            k = positional[i];
        }
        int slot = -1;
        for (int s = 0; s < 5; s++)
            if (strcmp(k, names[s]) == 0)
                slot = s;
        if (slot < 0) {
            rd_error(rd, v->kline, v->kcol,
                     "unknown key '%s' in a recurrent genotype (expected recurrent, concat, "
                     "nodes, ops or alphas)",
                     k);
            return -1;
        }
        if (*slots[slot]) {
            rd_error(rd, v->kline, v->kcol, "%s given twice (expected it once)", k);
            return -1;
        }
        *slots[slot] = v;
    }
    return 0;
}

int interpret_rnn_genotype(Reader *rd, const Value *top, RnnGenotype *g, RnnGenotypeAlphas *alphas)
{
    if (top->kind != VAL_MAP && top->kind != VAL_CALL) {
        rd_error(rd, top->line, top->col,
                 "the file holds %s (expected Genotype(recurrent=[...], concat=range(1, 9)))",
                 value_kind_name(top));
        return -1;
    }
    RnnFields f;
    memset(g, 0, sizeof *g);
    if (collect_rnn_fields(rd, top, &f) != 0 || read_recurrent(rd, top, f.recurrent, g) != 0 ||
        read_rnn_concat(rd, f.concat, g) != 0)
        return -1;
    if (f.nodes) {
        long n;
        if (want_int(rd, f.nodes, "nodes", &n) != 0)
            return -1;
        if (n != RNN_NODES) {
            rd_error(rd, f.nodes->line, f.nodes->col,
                     "nodes is %ld (expected %d: a recurrent cell has %d nodes)", n, RNN_NODES,
                     RNN_NODES);
            return -1;
        }
    }
    int col_op[RNN_OP_COUNT], ncols;
    if (read_rnn_op_columns(rd, f.ops, col_op, &ncols) != 0)
        return -1;
    if (f.alphas) { /* validated even when the caller does not want them */
        RnnGenotypeAlphas local, *dst = alphas ? alphas : &local;
        if (read_rnn_alphas(rd, f.alphas, col_op, ncols, dst) != 0)
            return -1;
    }
    return 0;
}
