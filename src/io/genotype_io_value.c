/* genotype_io_value: the value tree both genotype front-ends build, and the
 * reader's positioned error (see genotype_io_read.h). */
#include "genotype_io_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rd_error(Reader *r, int line, int col, const char *fmt, ...)
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

Value *value_new(ValueKind kind, int line, int col)
{
    Value *v = calloc(1, sizeof *v);
    if (v) {
        v->kind = kind;
        v->line = line;
        v->col = col;
    }
    return v;
}

void value_free(Value *v)
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

int value_push(Value *v, const char *key, Value *child)
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
    char *key_copy = NULL;
    if (key && !(key_copy = strdup(key)))
        return -1; /* not silently a positional item */
    v->keys[v->n] = key_copy;
    v->items[v->n++] = child;
    return 0;
}

const char *value_kind_name(const Value *v)
{
    static const char *const names[] = {"null",   "an integer", "a number",  "a string",
                                        "a name", "a list",     "a mapping", "a call"};
    return names[v->kind];
}
