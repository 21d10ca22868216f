/* genotype_io_read: what the parts of the genotype reader share, internal to
 * src/io (the public face is include/dartboard/genotype_io.h).
 *
 * Reading has two front-ends that build the same small value tree, with the
 * line and column of every value: a tokenizer + recursive-descent parser for
 * the Python-literal dialects (genotype_io_python.c) and libyaml for JSON and
 * YAML (genotype_io_yaml.c). One interpreter (genotype_io_interpret.c) then
 * turns the tree into a Genotype, so every dialect gets the same validation
 * and the same positioned messages. genotype_io.c picks the front-end.
 */
#ifndef DARTBOARD_GENOTYPE_IO_READ_H
#define DARTBOARD_GENOTYPE_IO_READ_H

#include <stddef.h>

#include "dartboard/genotype_io.h"

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

/* The file being read and where its first error goes. */
typedef struct Reader {
    const char *name;
    char *err;
    size_t errlen;
    int failed;
} Reader;

/* Records "NAME:LINE:COL: message" unless an error is already recorded: the
 * first error is kept, later ones are its consequences. */
void rd_error(Reader *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* NULL when out of memory. */
Value *value_new(ValueKind kind, int line, int col);
void value_free(Value *v);
/* Appends child (and its key, copied; NULL for a positional item); -1 when
 * out of memory, child then still belongs to the caller. */
int value_push(Value *v, const char *key, Value *child);
/* "an integer", "a list"...: for messages. */
const char *value_kind_name(const Value *v);

/* The front-ends: the tree of text (len bytes, need not be NUL-terminated),
 * or NULL with the error recorded in rd. */
Value *py_parse(Reader *rd, const char *text, size_t len);
Value *json_yaml_parse(Reader *rd, const char *text, size_t len);

/* The interpreter: the genotype (and the optional alphas) that top describes;
 * 0, or -1 with the error recorded in rd. alphas may be NULL. */
int interpret_genotype(Reader *rd, const Value *top, Genotype *g, GenotypeAlphas *alphas);

/* Does top describe a recurrent cell (a `recurrent` field, or a call of two
 * positional arguments whose first is a list of recurrent-op edges)? */
int value_is_recurrent(const Value *top);
/* The recurrent interpreter (genotype_io_interpret_rnn.c): the RnnGenotype
 * (and the optional alphas) that top describes; 0, or -1 with the error
 * recorded in rd. alphas may be NULL. */
int interpret_rnn_genotype(Reader *rd, const Value *top, RnnGenotype *g, RnnGenotypeAlphas *alphas);

#endif
