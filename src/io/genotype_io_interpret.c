/* genotype_io_interpret: the value tree of any dialect (genotype_io_read.h)
 * turned into a Genotype, with the same validation and positioned messages
 * for all of them. */
#include "genotype_io_read.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const cell_names[2] = {"normal", "reduce"};

static int key_cell(const char *k, int *cell, int *concat)
{
    static const struct {
        const char *key;
        int cell, concat;
    } keys[] = {
        {"normal", 0, 0},        {"normal_0", 0, 0},        {"normal_arch", 0, 0},
        {"normal_concat", 0, 1}, {"normal_0_concat", 0, 1}, {"reduce", 1, 0},
        {"reduce_1", 1, 0},      {"reduced_arch", 1, 0},    {"reduce_arch", 1, 0},
        {"reduce_concat", 1, 1}, {"reduce_1_concat", 1, 1}, {"reduced_concat", 1, 1},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(k, keys[i].key) == 0) {
            *cell = keys[i].cell;
            *concat = keys[i].concat;
            return 1;
        }
    }
    return 0;
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

/* One edge: (op, input) or (op, input, node). */
static int read_edge(Reader *rd, const Value *t, int *op, int *input, int *node)
{
    if (t->kind != VAL_SEQ || (t->n != 2 && t->n != 3)) {
        rd_error(rd, t->line, t->col, "edge is %s (expected ('op', input) or ('op', input, node))",
                 t->kind == VAL_SEQ ? "a tuple of the wrong length" : value_kind_name(t));
        return -1;
    }
    const Value *o = t->items[0];
    if (o->kind != VAL_STR) {
        rd_error(rd, o->line, o->col, "op is %s (expected a quoted op name such as 'sep_conv_3x3')",
                 value_kind_name(o));
        return -1;
    }
    *op = op_from_name(o->str);
    if (*op < 0) {
        char list[256] = "";
        for (int k = 0; k < OP_COUNT; k++) {
            size_t n = strlen(list);
            snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", op_names[k]);
        }
        rd_error(rd, o->line, o->col, "unknown op '%s' (expected one of %s)", o->str, list);
        return -1;
    }
    if (*op == OP_NONE) {
        rd_error(rd, o->line, o->col,
                 "an edge of op 'none' (expected one of the 7 DARTS ops other than none: a "
                 "derived cell has no zero edge)");
        return -1;
    }
    long in, nd = -1;
    if (want_int(rd, t->items[1], "input index", &in) != 0)
        return -1;
    /* A number as third element is a weight (GDAS prints (op, input,
     * probability)), not a node: the edge is then an ordinary pair. */
    if (t->n == 3 && t->items[2]->kind != VAL_FLOAT &&
        want_int(rd, t->items[2], "node index", &nd) != 0)
        return -1;
    if (in < 0 || in > GENOTYPE_MAX_NODES + 1) {
        rd_error(rd, t->items[1]->line, t->items[1]->col,
                 "input index %ld out of range "
                 "(expected 0..%d)",
                 in, GENOTYPE_MAX_NODES + 1);
        return -1;
    }
    *input = (int)in;
    *node = (int)nd;
    return 0;
}

typedef struct CellList {
    const Value *v; /* the edge list, or NULL when absent */
    const Value *concat;
    int nodes;
    GenoEdge edges[2 * GENOTYPE_MAX_NODES];
} CellList;

/* Nested dialect: one inner list of two edges per node. */
static int read_nested_cell(Reader *rd, const char *cell, CellList *c)
{
    const Value *v = c->v;
    if (v->n > GENOTYPE_MAX_NODES) {
        rd_error(rd, v->line, v->col, "%s has %d nodes (expected at most %d)", cell, v->n,
                 GENOTYPE_MAX_NODES);
        return -1;
    }
    for (int i = 0; i < v->n; i++) {
        const Value *nv = v->items[i];
        if (nv->kind != VAL_SEQ || nv->n != 2 || nv->items[0]->kind != VAL_SEQ) {
            rd_error(rd, nv->line, nv->col,
                     "node %d of %s is not a pair of edges (expected [('op', input), "
                     "('op', input)], as in the nested-list dialect)",
                     i, cell);
            return -1;
        }
        for (int k = 0; k < 2; k++) {
            int op, in, nd;
            if (read_edge(rd, nv->items[k], &op, &in, &nd) != 0)
                return -1;
            if (nd >= 0) {
                rd_error(rd, nv->items[k]->line, nv->items[k]->col,
                         "3-tuple edge inside a nested list (expected ('op', input))");
                return -1;
            }
            c->edges[2 * i + k] = (GenoEdge){op, in};
        }
    }
    c->nodes = v->n;
    return 0;
}

/* The official flat list: two (op, input) edges per node, node by node. */
static int read_flat_cell(Reader *rd, const char *cell, CellList *c)
{
    const Value *v = c->v;
    if (v->n % 2 != 0 || v->n > 2 * GENOTYPE_MAX_NODES) {
        rd_error(rd, v->line, v->col,
                 "%s has %d edges (expected two per node: an even "
                 "number up to %d)",
                 cell, v->n, 2 * GENOTYPE_MAX_NODES);
        return -1;
    }
    for (int i = 0; i < v->n; i++) {
        int op, in, nd;
        if (read_edge(rd, v->items[i], &op, &in, &nd) != 0)
            return -1;
        if (nd >= 0) {
            rd_error(rd, v->items[i]->line, v->items[i]->col,
                     "3-tuple edge in a list of 2-tuples (expected ('op', input))");
            return -1;
        }
        c->edges[i] = (GenoEdge){op, in};
    }
    c->nodes = v->n / 2;
    return 0;
}

/* (op, input, node): node is the state it feeds (2 = first intermediate
 * node); the edges may come in any order, and are grouped per node here
 * keeping their order of appearance. */
static int read_triples_cell(Reader *rd, const char *cell, CellList *c)
{
    const Value *v = c->v;
    int count[GENOTYPE_MAX_NODES] = {0};
    int max_node = 0;
    for (int i = 0; i < v->n; i++) {
        const Value *t = v->items[i];
        int op, in, nd;
        if (read_edge(rd, t, &op, &in, &nd) != 0)
            return -1;
        if (nd < 0) {
            rd_error(rd, t->line, t->col,
                     "2-tuple edge in a list of 3-tuples (expected ('op', input, node))");
            return -1;
        }
        if (nd < 2 || nd >= 2 + GENOTYPE_MAX_NODES) {
            rd_error(rd, t->items[2]->line, t->items[2]->col,
                     "node %d out of range (expected 2..%d: nodes are numbered as states, "
                     "after the two inputs)",
                     nd, GENOTYPE_MAX_NODES + 1);
            return -1;
        }
        int k = nd - 2;
        if (count[k] == 2) {
            rd_error(rd, t->line, t->col, "a third edge into node %d (expected two per node)", nd);
            return -1;
        }
        c->edges[2 * k + count[k]++] = (GenoEdge){op, in};
        if (k + 1 > max_node)
            max_node = k + 1;
    }
    for (int k = 0; k < max_node; k++) {
        if (count[k] != 2) {
            rd_error(rd, v->line, v->col, "%s: node %d has %d edge%s (expected two per node)", cell,
                     k + 2, count[k], count[k] == 1 ? "" : "s");
            return -1;
        }
    }
    c->nodes = max_node;
    return 0;
}

/* Reads one cell's edge list in any of the three list dialects, told apart
 * by the first edge. */
static int read_cell(Reader *rd, const char *cell, CellList *c)
{
    const Value *v = c->v;
    if (v->kind != VAL_SEQ || v->n == 0) {
        rd_error(rd, v->line, v->col, "%s is %s (expected a list of (op, input) edges)", cell,
                 v->kind == VAL_SEQ ? "empty" : value_kind_name(v));
        return -1;
    }
    const Value *first = v->items[0];
    if (first->kind == VAL_SEQ && first->n > 0 && first->items[0]->kind == VAL_SEQ)
        return read_nested_cell(rd, cell, c);
    int op, in, nd;
    if (read_edge(rd, first, &op, &in, &nd) != 0)
        return -1;
    return nd >= 0 ? read_triples_cell(rd, cell, c) : read_flat_cell(rd, cell, c);
}

/* range(a, b) / range(b) / list(range(...)) / [a, b, ...] / None. */
static int read_concat(Reader *rd, const Value *v, int nodes, int *out, int *count)
{
    int states = nodes + 2;
    if (!v || v->kind == VAL_NULL) {
        for (int i = 0; i < nodes; i++)
            out[i] = 2 + i;
        *count = nodes;
        return 0;
    }
    if (v->kind == VAL_CALL && strcmp(v->str, "list") == 0 && v->n == 1 && !v->keys[0])
        v = v->items[0];
    long vals[GENOTYPE_MAX_NODES + 2];
    int n = 0;
    if (v->kind == VAL_CALL && strcmp(v->str, "range") == 0) {
        long a = 0, b;
        if ((v->n != 1 && v->n != 2) || v->keys[0] || (v->n == 2 && v->keys[1])) {
            rd_error(rd, v->line, v->col, "range with %d arguments (expected range(start, stop))",
                     v->n);
            return -1;
        }
        if (v->n == 2 && want_int(rd, v->items[0], "range start", &a) != 0)
            return -1;
        if (want_int(rd, v->items[v->n - 1], "range stop", &b) != 0)
            return -1;
        if (a < 0 || b > states || a >= b) {
            rd_error(rd, v->line, v->col,
                     "range(%ld, %ld) is outside the cell's states "
                     "(expected within 0..%d)",
                     a, b, states);
            return -1;
        }
        for (long i = a; i < b; i++)
            vals[n++] = i;
    } else if (v->kind == VAL_SEQ) {
        if (v->n == 0 || v->n > states) {
            rd_error(rd, v->line, v->col, "concat has %d entries (expected 1..%d)", v->n, states);
            return -1;
        }
        for (int i = 0; i < v->n; i++) {
            if (want_int(rd, v->items[i], "concat entry", &vals[n]) != 0)
                return -1;
            if (vals[n] < 0 || vals[n] >= states) {
                rd_error(rd, v->items[i]->line, v->items[i]->col,
                         "concat entry %ld is not a state of the cell (expected 0..%d)", vals[n],
                         states - 1);
                return -1;
            }
            n++;
        }
    } else {
        rd_error(rd, v->line, v->col, "concat is %s (expected range(2, %d) or a list of states)",
                 value_kind_name(v), states);
        return -1;
    }
    for (int i = 0; i < n; i++)
        out[i] = (int)vals[i];
    *count = n;
    return 0;
}

/* alphas: {normal: rows, reduce: rows}, each row one weight per op in `ops`. */
static int read_alphas(Reader *rd, const Value *v, int nodes, const int *col_op, int ncols,
                       GenotypeAlphas *out)
{
    if (v->kind != VAL_MAP) {
        rd_error(rd, v->line, v->col, "alphas is %s (expected a mapping with normal and reduce)",
                 value_kind_name(v));
        return -1;
    }
    int edges = genotype_edge_count(nodes), seen[2] = {0, 0};
    for (int i = 0; i < v->n; i++) {
        const char *k = v->keys[i];
        const Value *rows = v->items[i];
        int cell = strcmp(k, "normal") == 0 ? 0 : strcmp(k, "reduce") == 0 ? 1 : -1;
        if (cell < 0) {
            rd_error(rd, rows->kline, rows->kcol,
                     "unknown key '%s' in alphas (expected normal or "
                     "reduce)",
                     k);
            return -1;
        }
        if (rows->kind != VAL_SEQ || rows->n != edges) {
            rd_error(rd, rows->line, rows->col,
                     "alphas.%s has %d rows (expected %d: one per "
                     "edge of a %d-node cell)",
                     k, rows->kind == VAL_SEQ ? rows->n : 0, edges, nodes);
            return -1;
        }
        float *w = cell ? out->reduce : out->normal;
        for (int e = 0; e < edges; e++) {
            const Value *row = rows->items[e];
            if (row->kind != VAL_SEQ || row->n != ncols) {
                rd_error(rd, row->line, row->col,
                         "alpha row has %d weights (expected %d, one "
                         "per op in ops)",
                         row->kind == VAL_SEQ ? row->n : 0, ncols);
                return -1;
            }
            for (int o = 0; o < OP_COUNT; o++)
                w[e * OP_COUNT + o] = 0.0f;
            for (int c = 0; c < ncols; c++) {
                const Value *x = row->items[c];
                if (x->kind != VAL_INT && x->kind != VAL_FLOAT && x->kind != VAL_NULL) {
                    rd_error(rd, x->line, x->col, "weight is %s (expected a number)",
                             value_kind_name(x));
                    return -1;
                }
                w[e * OP_COUNT + col_op[c]] = x->kind == VAL_NULL ? NAN : (float)x->num;
            }
        }
        seen[cell] = 1;
    }
    if (!seen[0] || !seen[1]) {
        rd_error(rd, v->line, v->col, "alphas lacks %s (expected both normal and reduce)",
                 seen[0] ? "reduce" : "normal");
        return -1;
    }
    out->present = 1;
    return 0;
}

/* The top level's fields by role, each NULL when absent. */
typedef struct Fields {
    CellList cells[2];
    const Value *nodes, *ops, *alphas;
} Fields;

/* Sorts the keyword (or positional) arguments or mapping keys of top into f. */
static int collect_fields(Reader *rd, const Value *top, Fields *f)
{
    /* namedtuple field order, for positional arguments */
    static const char *const positional[] = {"normal", "normal_concat", "reduce", "reduce_concat"};
    memset(f, 0, sizeof *f);
    for (int i = 0; i < top->n; i++) {
        const char *k = top->keys[i];
        const Value *v = top->items[i];
        if (!k) {
            if (i >= 4) {
                rd_error(rd, v->line, v->col,
                         "too many positional arguments (expected normal, "
                         "normal_concat, reduce, reduce_concat)");
                return -1;
            }
            k = positional[i];
        }
        int cell, concat;
        if (key_cell(k, &cell, &concat)) {
            const Value **slot = concat ? &f->cells[cell].concat : &f->cells[cell].v;
            if (*slot) {
                rd_error(rd, v->kline, v->kcol, "%s given twice (expected it once)", k);
                return -1;
            }
            *slot = v;
        } else if (strcmp(k, "nodes") == 0) {
            f->nodes = v;
        } else if (strcmp(k, "ops") == 0) {
            f->ops = v;
        } else if (strcmp(k, "alphas") == 0) {
            f->alphas = v;
        } else if ((strcmp(k, "connectN") == 0 || strcmp(k, "connects") == 0) &&
                   v->kind == VAL_NULL) {
            /* AutoDL-Projects' Genotype has these extra fields, None for DARTS cells */
        } else {
            rd_error(rd, v->kline, v->kcol,
                     "unknown key '%s' (expected normal, normal_concat, "
                     "reduce, reduce_concat, nodes, ops or alphas)",
                     k);
            return -1;
        }
    }
    return 0;
}

/* Both cells' edge lists, with the same number of nodes, which `nodes`
 * repeats when given. */
static int read_cells(Reader *rd, const Value *top, Fields *f)
{
    CellList *cells = f->cells;
    for (int c = 0; c < 2; c++) {
        if (!cells[c].v) {
            rd_error(rd, top->line, top->col, "no %s cell (expected a %s=[...] list of edges)",
                     cell_names[c], cell_names[c]);
            return -1;
        }
        if (read_cell(rd, cell_names[c], &cells[c]) != 0)
            return -1;
    }
    if (cells[0].nodes != cells[1].nodes) {
        rd_error(rd, cells[1].v->line, cells[1].v->col,
                 "reduce has %d nodes but normal has %d "
                 "(expected the same number)",
                 cells[1].nodes, cells[0].nodes);
        return -1;
    }
    int nodes = cells[0].nodes;
    if (f->nodes) {
        long n;
        if (want_int(rd, f->nodes, "nodes", &n) != 0)
            return -1;
        if (n != nodes) {
            rd_error(rd, f->nodes->line, f->nodes->col,
                     "nodes is %ld but the cells have %d "
                     "(expected them to agree)",
                     n, nodes);
            return -1;
        }
    }
    return 0;
}

/* g from the cells read: every input a state that exists before its node,
 * and the concat lists. */
static int build_genotype(Reader *rd, const Fields *f, Genotype *g)
{
    int nodes = f->cells[0].nodes;
    memset(g, 0, sizeof *g);
    g->nodes = nodes;
    for (int c = 0; c < 2; c++) {
        const CellList *cell = &f->cells[c];
        GenoEdge *dst = c ? g->reduce : g->normal;
        for (int i = 0; i < 2 * nodes; i++) {
            const GenoEdge *e = &cell->edges[i];
            if (e->input >= 2 + i / 2) {
                rd_error(rd, cell->v->line, cell->v->col,
                         "%s: node %d takes input %d, which does not exist yet (expected an "
                         "input below %d: 0, 1 or an earlier node)",
                         cell_names[c], i / 2 + 2, e->input, 2 + i / 2);
                return -1;
            }
            dst[i] = *e;
        }
        if (read_concat(rd, cell->concat, nodes, c ? g->reduce_concat : g->normal_concat,
                        c ? &g->reduce_concat_count : &g->normal_concat_count) != 0)
            return -1;
    }
    return 0;
}

/* The op of each column of the alpha rows: `ops` (other tools order their op
 * lists differently) or, without it, dartboard's own order. */
static int read_op_columns(Reader *rd, const Value *ops, int *col_op, int *ncols)
{
    for (int o = 0; o < OP_COUNT; o++)
        col_op[o] = o;
    *ncols = OP_COUNT;
    if (!ops)
        return 0;
    if (ops->kind != VAL_SEQ || ops->n == 0 || ops->n > OP_COUNT) {
        rd_error(rd, ops->line, ops->col,
                 "ops is %s (expected a list of up to %d op "
                 "names)",
                 value_kind_name(ops), OP_COUNT);
        return -1;
    }
    *ncols = ops->n;
    for (int c = 0; c < ops->n; c++) {
        const Value *o = ops->items[c];
        int op = o->kind == VAL_STR ? op_from_name(o->str) : -1;
        if (op < 0) {
            rd_error(rd, o->line, o->col,
                     "'%s' is not a DARTS op (expected names such as "
                     "sep_conv_3x3)",
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

int interpret_genotype(Reader *rd, const Value *top, Genotype *g, GenotypeAlphas *alphas)
{
    if (top->kind != VAL_MAP && top->kind != VAL_CALL) {
        rd_error(rd, top->line, top->col,
                 "the file holds %s (expected Genotype(normal=..., "
                 "reduce=...) or a mapping with normal and reduce)",
                 value_kind_name(top));
        return -1;
    }
    Fields f;
    if (collect_fields(rd, top, &f) != 0 || read_cells(rd, top, &f) != 0 ||
        build_genotype(rd, &f, g) != 0)
        return -1;
    int col_op[OP_COUNT], ncols;
    if (read_op_columns(rd, f.ops, col_op, &ncols) != 0)
        return -1;
    if (f.alphas) { /* validated even when the caller does not want them */
        GenotypeAlphas scratch, *dst = alphas ? alphas : &scratch;
        if (read_alphas(rd, f.alphas, g->nodes, col_op, ncols, dst) != 0)
            return -1;
    }
    return 0;
}
