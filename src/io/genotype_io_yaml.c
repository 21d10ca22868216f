/* genotype_io_yaml: the front-end for JSON and YAML genotypes: libyaml's
 * events turned into the value tree of genotype_io_read.h (JSON is a subset
 * of YAML 1.2 for what we read). */
#include "genotype_io_read.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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

Value *json_yaml_parse(Reader *rd, const char *text, size_t len)
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
