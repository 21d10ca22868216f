/* genotype_io: write a Genotype as the official DARTS line, JSON or YAML, and
 * read it back from any of the dialects listed in genotype_io.h.
 *
 * Reading has two front-ends that build the same small value tree (with the
 * line and column of every value): a tokenizer + recursive-descent parser
 * for the Python-literal dialects, and libyaml for JSON and YAML. One
 * interpreter then turns the tree into a Genotype, so every dialect gets the
 * same validation and the same positioned messages.
 */
#include "dartboard/genotype_io.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* ------------------------------------------------------------------ writers */

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

static int write_json(FILE *f, const Genotype *g, const float *wn, const float *wr)
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

static int write_yaml(FILE *f, const Genotype *g, const float *wn, const float *wr)
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

int genotype_write_json(FILE *f, const Genotype *g, const float *w_normal, const float *w_reduce)
{
    return write_json(f, g, w_normal, w_reduce);
}

int genotype_write_yaml(FILE *f, const Genotype *g, const float *w_normal, const float *w_reduce)
{
    return write_yaml(f, g, w_normal, w_reduce);
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

int genotype_save(const char *path, GenotypeFormat fmt, const Genotype *g, const float *w_normal,
                  const float *w_reduce, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = genotype_write(f, fmt, g, w_normal, w_reduce);
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "write failed");
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- value tree */

typedef enum ValueKind {
    VAL_NULL,
    VAL_INT,
    VAL_FLOAT,
    VAL_STR,   /* a quoted string (or a YAML scalar that is not a number) */
    VAL_IDENT, /* a bare Python name: True, None, PRIMITIVES... */
    VAL_SEQ,   /* list or tuple */
    VAL_MAP,   /* JSON/YAML mapping, or the keyword arguments of a call */
    VAL_CALL   /* name(args): items are the arguments, keys[i] NULL when positional */
} ValueKind;

typedef struct Value {
    ValueKind kind;
    int line, col;
    int kline, kcol; /* position of its key, when it is a keyword argument or a mapping value */
    long inum;
    double num;
    char *str; /* string text, identifier, or the called name */
    struct Value **items;
    char **keys;
    int n, cap;
} Value;

typedef struct Reader {
    const char *name;
    char *err;
    size_t errlen;
    int failed;
} Reader;

static void rd_error(Reader *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void rd_error(Reader *r, int line, int col, const char *fmt, ...)
{
    if (r->failed)
        return; /* keep the first error: later ones are consequences */
    r->failed = 1;
    int n = snprintf(r->err, r->errlen, "%s:%d:%d: ", r->name, line, col);
    if (n < 0 || (size_t)n >= r->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static Value *value_new(ValueKind kind, int line, int col)
{
    Value *v = calloc(1, sizeof *v);
    if (v) {
        v->kind = kind;
        v->line = line;
        v->col = col;
    }
    return v;
}

static void value_free(Value *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++) {
        value_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

/* Appends child (and its key, copied; NULL for a positional item). */
static int value_push(Value *v, const char *key, Value *child)
{
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 8;
        Value **items = realloc(v->items, (size_t)cap * sizeof *items);
        if (!items)
            return -1;
        v->items = items;
        char **keys = realloc(v->keys, (size_t)cap * sizeof *keys);
        if (!keys)
            return -1;
        v->keys = keys;
        v->cap = cap;
    }
    v->keys[v->n] = key ? strdup(key) : NULL;
    v->items[v->n++] = child;
    return 0;
}

static const char *value_kind_name(const Value *v)
{
    static const char *const names[] = {"null",   "an integer", "a number",  "a string",
                                        "a name", "a list",     "a mapping", "a call"};
    return names[v->kind];
}

/* ------------------------------------------------- Python-literal front-end */

typedef enum TokKind {
    TOK_EOF,
    TOK_NAME,
    TOK_INT,
    TOK_FLOAT,
    TOK_STR,
    TOK_PUNCT /* one of ( ) [ ] , = . ; */
} TokKind;

typedef struct Lexer {
    Reader *rd;
    const char *s, *end;
    int line, col;
    /* current token */
    TokKind kind;
    char punct;
    int tline, tcol;
    char text[256];
    long inum;
    double num;
    char desc[300]; /* tok_desc()'s text: per lexer, so parsing is reentrant */
} Lexer;

static void lex_advance_char(Lexer *lx)
{
    if (*lx->s == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->s++;
}

static void lex_next(Lexer *lx)
{
    for (;;) {
        while (lx->s < lx->end && isspace((unsigned char)*lx->s))
            lex_advance_char(lx);
        if (lx->s < lx->end && *lx->s == '#') {
            while (lx->s < lx->end && *lx->s != '\n')
                lex_advance_char(lx);
            continue;
        }
        if (lx->s < lx->end && *lx->s == '\\' && lx->s + 1 < lx->end && lx->s[1] == '\n') {
            lex_advance_char(lx); /* explicit line continuation */
            lex_advance_char(lx);
            continue;
        }
        break;
    }
    lx->tline = lx->line;
    lx->tcol = lx->col;
    lx->text[0] = '\0';
    if (lx->s >= lx->end) {
        lx->kind = TOK_EOF;
        return;
    }
    unsigned char c = (unsigned char)*lx->s;
    if (isalpha(c) || c == '_') {
        size_t n = 0;
        while (lx->s < lx->end && (isalnum((unsigned char)*lx->s) || *lx->s == '_')) {
            if (n + 1 < sizeof lx->text)
                lx->text[n++] = *lx->s;
            lex_advance_char(lx);
        }
        lx->text[n] = '\0';
        lx->kind = TOK_NAME;
        return;
    }
    if (isdigit(c) || ((c == '-' || c == '+') && lx->s + 1 < lx->end &&
                       (isdigit((unsigned char)lx->s[1]) || lx->s[1] == '.'))) {
        size_t n = 0;
        int is_float = 0;
        while (lx->s < lx->end) {
            char d = *lx->s;
            int accept = isdigit((unsigned char)d) || (n == 0 && (d == '-' || d == '+'));
            if (!accept && (d == '.' || d == 'e' || d == 'E')) {
                accept = is_float = 1;
            } else if (!accept && (d == '-' || d == '+') && n > 0 &&
                       (lx->text[n - 1] == 'e' || lx->text[n - 1] == 'E')) {
                accept = 1;
            }
            if (!accept)
                break;
            if (n + 1 < sizeof lx->text)
                lx->text[n++] = d;
            lex_advance_char(lx);
        }
        lx->text[n] = '\0';
        char *endp;
        errno = 0;
        if (is_float) {
            lx->num = strtod(lx->text, &endp);
            lx->kind = TOK_FLOAT;
        } else {
            lx->inum = strtol(lx->text, &endp, 10);
            lx->num = (double)lx->inum;
            lx->kind = TOK_INT;
        }
        if (*endp != '\0' || errno == ERANGE)
            rd_error(lx->rd, lx->tline, lx->tcol, "malformed number '%s' (expected digits)",
                     lx->text);
        return;
    }
    if (c == '\'' || c == '"') {
        char quote = (char)c;
        size_t n = 0;
        lex_advance_char(lx);
        for (;;) {
            if (lx->s >= lx->end || *lx->s == '\n') {
                rd_error(lx->rd, lx->tline, lx->tcol,
                         "unterminated string (expected a closing %c on the same line)", quote);
                lx->kind = TOK_EOF;
                return;
            }
            char d = *lx->s;
            if (d == quote) {
                lex_advance_char(lx);
                break;
            }
            if (d == '\\' && lx->s + 1 < lx->end && lx->s[1] != '\n') {
                lex_advance_char(lx);
                d = *lx->s;
            }
            if (n + 1 < sizeof lx->text)
                lx->text[n++] = d;
            lex_advance_char(lx);
        }
        lx->text[n] = '\0';
        lx->kind = TOK_STR;
        return;
    }
    if (strchr("()[],=.;", c)) {
        lx->kind = TOK_PUNCT;
        lx->punct = (char)c;
        lx->text[0] = (char)c;
        lx->text[1] = '\0';
        lex_advance_char(lx);
        return;
    }
    rd_error(lx->rd, lx->tline, lx->tcol,
             "unexpected character '%c' (expected a Python literal: name, number, string, "
             "list, tuple or call)",
             isprint(c) ? c : '?');
    lx->kind = TOK_EOF;
}

static int lex_is(const Lexer *lx, char punct)
{
    return lx->kind == TOK_PUNCT && lx->punct == punct;
}

static const char *tok_desc(Lexer *lx)
{
    if (lx->kind == TOK_EOF)
        return "end of input";
    snprintf(lx->desc, sizeof lx->desc, lx->kind == TOK_STR ? "string '%s'" : "'%s'", lx->text);
    return lx->desc;
}

static Value *py_expr(Lexer *lx, int depth);

/* Items up to `close`; in a call, `NAME=` introduces a keyword argument. */
static int py_items(Lexer *lx, Value *v, char close, int call, int depth, int *trailing_comma)
{
    *trailing_comma = 0;
    while (!lex_is(lx, close)) {
        if (lx->rd->failed)
            return -1;
        char key[256];
        int have_key = 0;
        int kline = lx->tline, kcol = lx->tcol;
        if (call && lx->kind == TOK_NAME) {
            /* Peek: NAME '=' is a keyword; otherwise rewind to parse NAME as an expression. */
            Lexer save = *lx;
            snprintf(key, sizeof key, "%s", lx->text);
            lex_next(lx);
            if (lex_is(lx, '=')) {
                lex_next(lx);
                have_key = 1;
            } else {
                *lx = save;
            }
        }
        Value *item = py_expr(lx, depth + 1);
        if (!item)
            return -1;
        item->kline = kline;
        item->kcol = kcol;
        if (value_push(v, have_key ? key : NULL, item) != 0) {
            value_free(item);
            rd_error(lx->rd, lx->tline, lx->tcol, "out of memory");
            return -1;
        }
        *trailing_comma = lex_is(lx, ',');
        if (*trailing_comma) {
            lex_next(lx);
        } else if (!lex_is(lx, close)) {
            rd_error(lx->rd, lx->tline, lx->tcol, "unexpected %s (expected ',' or '%c')",
                     tok_desc(lx), close);
            return -1;
        }
    }
    lex_next(lx);
    return 0;
}

static Value *py_expr(Lexer *lx, int depth)
{
    if (depth > 32) {
        rd_error(lx->rd, lx->tline, lx->tcol, "nesting too deep (expected at most 32 levels)");
        return NULL;
    }
    Value *v = NULL;
    int line = lx->tline, col = lx->tcol;
    switch (lx->kind) {
    case TOK_INT:
        v = value_new(VAL_INT, line, col);
        if (v) {
            v->inum = lx->inum;
            v->num = lx->num;
        }
        lex_next(lx);
        return v;
    case TOK_FLOAT:
        v = value_new(VAL_FLOAT, line, col);
        if (v)
            v->num = lx->num;
        lex_next(lx);
        return v;
    case TOK_STR:
        v = value_new(VAL_STR, line, col);
        if (v)
            v->str = strdup(lx->text);
        lex_next(lx);
        /* Adjacent literals concatenate, as in Python. */
        while (v && lx->kind == TOK_STR) {
            size_t a = strlen(v->str), b = strlen(lx->text);
            char *s = realloc(v->str, a + b + 1);
            if (!s)
                break;
            memcpy(s + a, lx->text, b + 1);
            v->str = s;
            lex_next(lx);
        }
        return v;
    case TOK_NAME: {
        char name[256];
        snprintf(name, sizeof name, "%s", lx->text);
        lex_next(lx);
        while (lex_is(lx, '.')) { /* dotted name: Genotype.from_arch, collections.namedtuple */
            lex_next(lx);
            if (lx->kind != TOK_NAME) {
                rd_error(lx->rd, lx->tline, lx->tcol, "unexpected %s (expected a name after '.')",
                         tok_desc(lx));
                return NULL;
            }
            size_t n = strlen(name), k = strlen(lx->text);
            if (n + 1 + k >= sizeof name) {
                rd_error(lx->rd, lx->tline, lx->tcol,
                         "name too long (expected at most %zu "
                         "characters)",
                         sizeof name - 1);
                return NULL;
            }
            name[n] = '.';
            memcpy(name + n + 1, lx->text, k + 1);
            lex_next(lx);
        }
        if (lex_is(lx, '(')) {
            lex_next(lx);
            v = value_new(VAL_CALL, line, col);
            if (!v)
                return NULL;
            v->str = strdup(name);
            int comma;
            if (py_items(lx, v, ')', 1, depth, &comma) != 0) {
                value_free(v);
                return NULL;
            }
            return v;
        }
        if (strcmp(name, "None") == 0) {
            v = value_new(VAL_NULL, line, col);
        } else {
            v = value_new(VAL_IDENT, line, col);
            if (v)
                v->str = strdup(name);
        }
        return v;
    }
    case TOK_PUNCT:
        if (lx->punct == '[' || lx->punct == '(') {
            char close = lx->punct == '[' ? ']' : ')';
            lex_next(lx);
            v = value_new(VAL_SEQ, line, col);
            if (!v)
                return NULL;
            int comma = 0;
            if (py_items(lx, v, close, 0, depth, &comma) != 0) {
                value_free(v);
                return NULL;
            }
            if (close == ')' && v->n == 1 && !comma) { /* (x) is x; (x,) is a tuple */
                Value *inner = v->items[0];
                v->n = 0;
                value_free(v);
                return inner;
            }
            return v;
        }
        break;
    default:
        break;
    }
    rd_error(lx->rd, line, col,
             "unexpected %s (expected a value: a string, number, list, tuple or call)",
             tok_desc(lx));
    return NULL;
}

/* file := [NAME '='] expr [';'] EOF | NAME '=' expr (',' NAME '=' expr)* EOF
 * The second form is a bare keyword list (aw_nas genotype strings); it is
 * returned as a call named "" so both forms look alike to the interpreter. */
static Value *py_parse(Reader *rd, const char *text, size_t len)
{
    Lexer lx = {.rd = rd, .s = text, .end = text + len, .line = 1, .col = 1};
    lex_next(&lx);
    if (rd->failed)
        return NULL;
    Value *top = NULL;
    if (lx.kind == TOK_NAME) {
        Lexer save = lx;
        char first[256];
        snprintf(first, sizeof first, "%s", lx.text);
        lex_next(&lx);
        if (lex_is(&lx, '=')) {
            int line = save.tline, col = save.tcol;
            lex_next(&lx);
            Value *rhs = py_expr(&lx, 0);
            if (!rhs)
                return NULL;
            if (lex_is(&lx, ',') || (rhs->kind != VAL_CALL && lx.kind == TOK_EOF)) {
                /* a keyword list: first=rhs, k=v, ... */
                top = value_new(VAL_CALL, line, col);
                rhs->kline = line;
                rhs->kcol = col;
                if (!top || !(top->str = strdup("")) || value_push(top, first, rhs) != 0) {
                    value_free(rhs);
                    value_free(top);
                    rd_error(rd, line, col, "out of memory");
                    return NULL;
                }
                while (lex_is(&lx, ',')) {
                    lex_next(&lx);
                    if (lx.kind == TOK_EOF)
                        break;
                    if (lx.kind != TOK_NAME) {
                        rd_error(rd, lx.tline, lx.tcol, "unexpected %s (expected NAME=value)",
                                 tok_desc(&lx));
                        value_free(top);
                        return NULL;
                    }
                    char key[256];
                    int kline = lx.tline, kcol = lx.tcol;
                    snprintf(key, sizeof key, "%s", lx.text);
                    lex_next(&lx);
                    if (!lex_is(&lx, '=')) {
                        rd_error(rd, lx.tline, lx.tcol, "unexpected %s (expected '=' after %s)",
                                 tok_desc(&lx), key);
                        value_free(top);
                        return NULL;
                    }
                    lex_next(&lx);
                    Value *v = py_expr(&lx, 0);
                    if (v) {
                        v->kline = kline;
                        v->kcol = kcol;
                    }
                    if (!v || value_push(top, key, v) != 0) {
                        value_free(v);
                        value_free(top);
                        return NULL;
                    }
                }
            } else {
                top = rhs; /* NAME = Genotype(...) */
            }
        } else {
            lx = save;
        }
    }
    if (!top && !rd->failed)
        top = py_expr(&lx, 0);
    if (!top)
        return NULL;
    if (lex_is(&lx, ';'))
        lex_next(&lx);
    if (lx.kind != TOK_EOF && !rd->failed)
        rd_error(rd, lx.tline, lx.tcol, "unexpected %s after the genotype (expected end of file)",
                 tok_desc(&lx));
    if (rd->failed) {
        value_free(top);
        return NULL;
    }
    return top;
}

/* ---------------------------------------------------- JSON / YAML front-end */

static int yaml_scalar_number(const char *s, Value *v)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    long i = strtol(s, &end, 10);
    if (*end == '\0' && errno == 0) {
        v->kind = VAL_INT;
        v->inum = i;
        v->num = (double)i;
        return 1;
    }
    if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0) {
        v->kind = VAL_FLOAT;
        v->num = NAN;
        return 1;
    }
    double d = strtod(s, &end);
    if (*end == '\0' &&
        (isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.')) {
        v->kind = VAL_FLOAT;
        v->num = d;
        return 1;
    }
    return 0;
}

static Value *yaml_node(Reader *rd, yaml_parser_t *p, yaml_event_t *ev, int depth);

static int yaml_next(Reader *rd, yaml_parser_t *p, yaml_event_t *ev)
{
    if (yaml_parser_parse(p, ev))
        return 0;
    const char *ctx = p->context ? p->context : "";
    rd_error(rd, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
             "%s%s%s (expected well-formed JSON or YAML)", p->problem ? p->problem : "syntax error",
             *ctx ? " " : "", ctx);
    return -1;
}

/* Builds the value starting at event ev (consumed here). */
static Value *yaml_node(Reader *rd, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    Value *v = NULL;
    if (depth > 32) {
        rd_error(rd, line, col, "nesting too deep (expected at most 32 levels)");
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *s = (const char *)ev->data.scalar.value;
        v = value_new(VAL_STR, line, col);
        if (!v)
            break;
        int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (plain && (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || *s == '\0'))
            v->kind = VAL_NULL;
        else if (!(plain && yaml_scalar_number(s, v)))
            v->str = strdup(s);
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        v = value_new(is_map ? VAL_MAP : VAL_SEQ, line, col);
        if (!v)
            break;
        for (;;) {
            yaml_event_t e;
            if (yaml_next(rd, p, &e) != 0) {
                value_free(v);
                v = NULL;
                break;
            }
            if (e.type == end) {
                yaml_event_delete(&e);
                break;
            }
            char *key = NULL;
            int kline = 0, kcol = 0;
            if (is_map) {
                if (e.type != YAML_SCALAR_EVENT) {
                    rd_error(rd, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1,
                             "a mapping key must be a plain name (expected e.g. normal:)");
                    yaml_event_delete(&e);
                    value_free(v);
                    v = NULL;
                    break;
                }
                key = strdup((const char *)e.data.scalar.value);
                kline = (int)e.start_mark.line + 1;
                kcol = (int)e.start_mark.column + 1;
                yaml_event_delete(&e);
                if (yaml_next(rd, p, &e) != 0) {
                    free(key);
                    value_free(v);
                    v = NULL;
                    break;
                }
            }
            Value *child = yaml_node(rd, p, &e, depth + 1);
            if (child) {
                child->kline = kline;
                child->kcol = kcol;
            }
            if (!child || value_push(v, key, child) != 0) {
                value_free(child);
                free(key);
                value_free(v);
                v = NULL;
                break;
            }
            free(key);
        }
        break;
    }
    case YAML_ALIAS_EVENT:
        rd_error(rd, line, col, "YAML aliases are not supported (expected a plain value)");
        break;
    default:
        rd_error(rd, line, col, "unexpected YAML structure (expected a value)");
        break;
    }
    yaml_event_delete(ev);
    return v;
}

static Value *yaml_parse(Reader *rd, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        rd_error(rd, 1, 1, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    Value *root = NULL;
    yaml_event_t ev;
    int done = 0;
    while (!done && !rd->failed && yaml_next(rd, &p, &ev) == 0) {
        switch (ev.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            yaml_event_delete(&ev);
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (root) {
                rd_error(rd, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "a second document (expected one genotype per file)");
            }
            yaml_event_delete(&ev);
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            done = 1;
            break;
        default:
            if (root) {
                rd_error(rd, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "unexpected content (expected one genotype per file)");
                yaml_event_delete(&ev);
                break;
            }
            root = yaml_node(rd, &p, &ev, 0);
            break;
        }
    }
    yaml_parser_delete(&p);
    if (rd->failed) {
        value_free(root);
        return NULL;
    }
    if (!root)
        rd_error(rd, 1, 1, "empty document (expected a genotype)");
    return root;
}

/* -------------------------------------------------------------- interpreter */

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

/* Reads one cell's edge list in any of the three list dialects. */
static int read_cell(Reader *rd, const char *cell, CellList *c)
{
    const Value *v = c->v;
    if (v->kind != VAL_SEQ || v->n == 0) {
        rd_error(rd, v->line, v->col, "%s is %s (expected a list of (op, input) edges)", cell,
                 v->kind == VAL_SEQ ? "empty" : value_kind_name(v));
        return -1;
    }
    const Value *first = v->items[0];
    int nested = first->kind == VAL_SEQ && first->n > 0 && first->items[0]->kind == VAL_SEQ;
    if (nested) { /* one inner list of two edges per node */
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
    int op, in, nd;
    if (read_edge(rd, first, &op, &in, &nd) != 0)
        return -1;
    int triples = nd >= 0;
    if (!triples) { /* the official flat list: two edges per node, node by node */
        if (v->n % 2 != 0 || v->n > 2 * GENOTYPE_MAX_NODES) {
            rd_error(rd, v->line, v->col,
                     "%s has %d edges (expected two per node: an even "
                     "number up to %d)",
                     cell, v->n, 2 * GENOTYPE_MAX_NODES);
            return -1;
        }
        for (int i = 0; i < v->n; i++) {
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
    int count[GENOTYPE_MAX_NODES] = {0};
    int max_node = 0;
    for (int i = 0; i < v->n; i++) {
        const Value *t = v->items[i];
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

static int interpret(Reader *rd, const Value *top, Genotype *g, GenotypeAlphas *alphas)
{
    /* namedtuple field order, for positional arguments */
    static const char *const positional[] = {"normal", "normal_concat", "reduce", "reduce_concat"};
    if (top->kind != VAL_MAP && top->kind != VAL_CALL) {
        rd_error(rd, top->line, top->col,
                 "the file holds %s (expected Genotype(normal=..., "
                 "reduce=...) or a mapping with normal and reduce)",
                 value_kind_name(top));
        return -1;
    }
    CellList cells[2];
    memset(cells, 0, sizeof cells);
    const Value *nodes_v = NULL, *ops_v = NULL, *alphas_v = NULL;
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
            const Value **slot = concat ? &cells[cell].concat : &cells[cell].v;
            if (*slot) {
                rd_error(rd, v->kline, v->kcol, "%s given twice (expected it once)", k);
                return -1;
            }
            *slot = v;
        } else if (strcmp(k, "nodes") == 0) {
            nodes_v = v;
        } else if (strcmp(k, "ops") == 0) {
            ops_v = v;
        } else if (strcmp(k, "alphas") == 0) {
            alphas_v = v;
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
    if (nodes_v) {
        long n;
        if (want_int(rd, nodes_v, "nodes", &n) != 0)
            return -1;
        if (n != nodes) {
            rd_error(rd, nodes_v->line, nodes_v->col,
                     "nodes is %ld but the cells have %d "
                     "(expected them to agree)",
                     n, nodes);
            return -1;
        }
    }
    memset(g, 0, sizeof *g);
    g->nodes = nodes;
    for (int c = 0; c < 2; c++) {
        GenoEdge *dst = c ? g->reduce : g->normal;
        for (int i = 0; i < 2 * nodes; i++) {
            const GenoEdge *e = &cells[c].edges[i];
            if (e->input >= 2 + i / 2) {
                rd_error(rd, cells[c].v->line, cells[c].v->col,
                         "%s: node %d takes input %d, which does not exist yet (expected an "
                         "input below %d: 0, 1 or an earlier node)",
                         cell_names[c], i / 2 + 2, e->input, 2 + i / 2);
                return -1;
            }
            dst[i] = *e;
        }
        if (read_concat(rd, cells[c].concat, nodes, c ? g->reduce_concat : g->normal_concat,
                        c ? &g->reduce_concat_count : &g->normal_concat_count) != 0)
            return -1;
    }
    int col_op[OP_COUNT], ncols = OP_COUNT;
    for (int o = 0; o < OP_COUNT; o++)
        col_op[o] = o;
    if (ops_v) {
        if (ops_v->kind != VAL_SEQ || ops_v->n == 0 || ops_v->n > OP_COUNT) {
            rd_error(rd, ops_v->line, ops_v->col,
                     "ops is %s (expected a list of up to %d op "
                     "names)",
                     value_kind_name(ops_v), OP_COUNT);
            return -1;
        }
        ncols = ops_v->n;
        for (int c = 0; c < ncols; c++) {
            const Value *o = ops_v->items[c];
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
                    rd_error(rd, o->line, o->col, "op '%s' listed twice (expected each once)",
                             o->str);
                    return -1;
                }
            }
            col_op[c] = op;
        }
    }
    if (alphas_v) { /* validated even when the caller does not want them */
        GenotypeAlphas scratch, *dst = alphas ? alphas : &scratch;
        if (read_alphas(rd, alphas_v, nodes, col_op, ncols, dst) != 0)
            return -1;
    }
    return 0;
}

/* Python if the first token is a name followed by '=', '(' or '.'; else
 * JSON/YAML. (A YAML genotype starts with `normal:` or a comment.) */
static int looks_like_python(const char *s, size_t len)
{
    size_t i = 0;
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i < len && s[i] == '#') {
            while (i < len && s[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    if (i >= len || !(isalpha((unsigned char)s[i]) || s[i] == '_'))
        return 0;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
        i++;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i < len && (s[i] == '=' || s[i] == '(' || s[i] == '.');
}

int genotype_parse(const char *name, const char *text, size_t len, Genotype *g,
                   GenotypeAlphas *alphas, char *err, size_t errlen)
{
    Reader rd = {.name = name, .err = err, .errlen = errlen};
    if (alphas)
        alphas->present = 0;
    Value *top =
        looks_like_python(text, len) ? py_parse(&rd, text, len) : yaml_parse(&rd, text, len);
    if (!top)
        return -1;
    int rc = interpret(&rd, top, g, alphas);
    value_free(top);
    if (rc != 0 && alphas)
        alphas->present = 0;
    return rc;
}

int genotype_read_file_alphas(const char *path, Genotype *g, GenotypeAlphas *alphas, char *err,
                              size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* A genotype is a few KiB; anything past 1 MiB is not one. */
    enum { MAX_GENOTYPE_FILE = 1 << 20 };
    char *buf = malloc(MAX_GENOTYPE_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t len = fread(buf, 1, MAX_GENOTYPE_FILE + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || len > MAX_GENOTYPE_FILE) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path,
                 read_error ? "read error" : "larger than 1 MiB (expected a genotype)");
        return -1;
    }
    int rc = genotype_parse(path, buf, len, g, alphas, err, errlen);
    free(buf);
    return rc;
}

int genotype_read_file(const char *path, Genotype *g, char *err, size_t errlen)
{
    return genotype_read_file_alphas(path, g, NULL, err, errlen);
}
