/* genotype_io_python: the front-end for the Python-literal genotype dialects:
 * a tokenizer and a recursive-descent parser that build the value tree of
 * genotype_io_read.h. Nothing is evaluated: only literals, names, calls and
 * keyword arguments are understood. */
#include "genotype_io_read.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Skips white space, comments and explicit line continuations. */
static void lex_skip_blanks(Lexer *lx)
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
}

static int lex_starts_number(const Lexer *lx)
{
    unsigned char c = (unsigned char)*lx->s;
    return isdigit(c) || ((c == '-' || c == '+') && lx->s + 1 < lx->end &&
                          (isdigit((unsigned char)lx->s[1]) || lx->s[1] == '.'));
}

static void lex_name(Lexer *lx)
{
    size_t n = 0;
    while (lx->s < lx->end && (isalnum((unsigned char)*lx->s) || *lx->s == '_')) {
        if (n + 1 < sizeof lx->text)
            lx->text[n++] = *lx->s;
        lex_advance_char(lx);
    }
    lx->text[n] = '\0';
    lx->kind = TOK_NAME;
}

/* An optionally signed integer or float (with '.' or an exponent). */
static void lex_number(Lexer *lx)
{
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
        rd_error(lx->rd, lx->tline, lx->tcol, "malformed number '%s' (expected digits)", lx->text);
}

/* A '...' or "..." string on one line; a backslash escapes the next character. */
static void lex_string(Lexer *lx)
{
    char quote = *lx->s;
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
}

/* Reads the next token into lx (kind, text, position). */
static void lex_next(Lexer *lx)
{
    lex_skip_blanks(lx);
    lx->tline = lx->line;
    lx->tcol = lx->col;
    lx->text[0] = '\0';
    if (lx->s >= lx->end) {
        lx->kind = TOK_EOF;
        return;
    }
    unsigned char c = (unsigned char)*lx->s;
    if (isalpha(c) || c == '_') {
        lex_name(lx);
    } else if (lex_starts_number(lx)) {
        lex_number(lx);
    } else if (c == '\'' || c == '"') {
        lex_string(lx);
    } else if (strchr("()[],=.;", c)) {
        lx->kind = TOK_PUNCT;
        lx->punct = (char)c;
        lx->text[0] = (char)c;
        lx->text[1] = '\0';
        lex_advance_char(lx);
    } else {
        rd_error(lx->rd, lx->tline, lx->tcol,
                 "unexpected character '%c' (expected a Python literal: name, number, string, "
                 "list, tuple or call)",
                 isprint(c) ? c : '?');
        lx->kind = TOK_EOF;
    }
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

static Value *py_number(Lexer *lx)
{
    Value *v = value_new(lx->kind == TOK_INT ? VAL_INT : VAL_FLOAT, lx->tline, lx->tcol);
    if (v) {
        v->inum = lx->kind == TOK_INT ? lx->inum : 0;
        v->num = lx->num;
    }
    lex_next(lx);
    return v;
}

static Value *py_string(Lexer *lx)
{
    Value *v = value_new(VAL_STR, lx->tline, lx->tcol);
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
}

/* A name, dotted (Genotype.from_arch, collections.namedtuple), into name[size];
 * 0, or -1 with the error recorded. */
static int py_dotted_name(Lexer *lx, char *name, size_t size)
{
    snprintf(name, size, "%s", lx->text);
    lex_next(lx);
    while (lex_is(lx, '.')) {
        lex_next(lx);
        if (lx->kind != TOK_NAME) {
            rd_error(lx->rd, lx->tline, lx->tcol, "unexpected %s (expected a name after '.')",
                     tok_desc(lx));
            return -1;
        }
        size_t n = strlen(name), k = strlen(lx->text);
        if (n + 1 + k >= size) {
            rd_error(lx->rd, lx->tline, lx->tcol,
                     "name too long (expected at most %zu "
                     "characters)",
                     size - 1);
            return -1;
        }
        name[n] = '.';
        memcpy(name + n + 1, lx->text, k + 1);
        lex_next(lx);
    }
    return 0;
}

/* NAME(args...), None, or any other bare name (True, PRIMITIVES...). */
static Value *py_name_or_call(Lexer *lx, int depth)
{
    int line = lx->tline, col = lx->tcol;
    char name[256];
    if (py_dotted_name(lx, name, sizeof name) != 0)
        return NULL;
    Value *v;
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

/* [...] is a list, (x, ...) a tuple, (x) just x. */
static Value *py_list_or_tuple(Lexer *lx, int depth)
{
    char close = lx->punct == '[' ? ']' : ')';
    Value *v = value_new(VAL_SEQ, lx->tline, lx->tcol);
    lex_next(lx);
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

static Value *py_expr(Lexer *lx, int depth)
{
    if (depth > 32) {
        rd_error(lx->rd, lx->tline, lx->tcol, "nesting too deep (expected at most 32 levels)");
        return NULL;
    }
    switch (lx->kind) {
    case TOK_INT:
    case TOK_FLOAT:
        return py_number(lx);
    case TOK_STR:
        return py_string(lx);
    case TOK_NAME:
        return py_name_or_call(lx, depth);
    case TOK_PUNCT:
        if (lx->punct == '[' || lx->punct == '(')
            return py_list_or_tuple(lx, depth);
        break;
    default:
        break;
    }
    rd_error(lx->rd, lx->tline, lx->tcol,
             "unexpected %s (expected a value: a string, number, list, tuple or call)",
             tok_desc(lx));
    return NULL;
}

/* file := [NAME '='] expr [';'] EOF | NAME '=' expr (',' NAME '=' expr)* EOF
 * The second form is a bare keyword list (aw_nas genotype strings); it is
 * returned as a call named "" so both forms look alike to the interpreter. */
Value *py_parse(Reader *rd, const char *text, size_t len)
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
