/* genotype_io: reading a genotype in any of the dialects listed in
 * genotype_io.h: the dialect is told from the content and the text handed
 * to its front-end (see genotype_io_read.h), the kind (CNN or recurrent)
 * from the tree, which goes to that kind's interpreter. The writers are in
 * genotype_io_write.c. */
#include "dartboard/genotype_io.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "genotype_io_read.h"

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

/* The value tree of text in its dialect, or NULL with the error in rd. */
static Value *parse_tree(Reader *rd, const char *text, size_t len)
{
    return looks_like_python(text, len) ? py_parse(rd, text, len) : json_yaml_parse(rd, text, len);
}

int genotype_parse(const char *name, const char *text, size_t len, Genotype *g,
                   GenotypeAlphas *alphas, char *err, size_t errlen)
{
    Reader rd = {.name = name, .err = err, .errlen = errlen};
    if (alphas)
        alphas->present = 0;
    Value *top = parse_tree(&rd, text, len);
    if (!top)
        return -1;
    int rc;
    if (value_is_recurrent(top)) {
        rd_error(&rd, top->line, top->col,
                 "a recurrent genotype (expected a CNN Genotype(normal=..., reduce=...) here)");
        rc = -1;
    } else {
        rc = interpret_genotype(&rd, top, g, alphas);
    }
    value_free(top);
    if (rc != 0 && alphas)
        alphas->present = 0;
    return rc;
}

int genotype_parse_any(const char *name, const char *text, size_t len, AnyGenotype *out, char *err,
                       size_t errlen)
{
    Reader rd = {.name = name, .err = err, .errlen = errlen};
    out->kind = GENOTYPE_KIND_CNN;
    out->cnn_alphas.present = 0;
    out->rnn_alphas.present = 0;
    Value *top = parse_tree(&rd, text, len);
    if (!top)
        return -1;
    int rc;
    if (value_is_recurrent(top)) {
        out->kind = GENOTYPE_KIND_RECURRENT;
        rc = interpret_rnn_genotype(&rd, top, &out->rnn, &out->rnn_alphas);
    } else {
        out->kind = GENOTYPE_KIND_CNN;
        rc = interpret_genotype(&rd, top, &out->cnn, &out->cnn_alphas);
    }
    value_free(top);
    if (rc != 0)
        out->cnn_alphas.present = out->rnn_alphas.present = 0;
    return rc;
}

/* The file's bytes (malloc'd, *len of them), or NULL with err set. */
static char *read_text(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    /* A genotype is a few KiB; anything past 1 MiB is not one. */
    enum { MAX_GENOTYPE_FILE = 1 << 20 };
    char *buf = malloc(MAX_GENOTYPE_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    *len = fread(buf, 1, MAX_GENOTYPE_FILE + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || *len > MAX_GENOTYPE_FILE) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path,
                 read_error ? "read error" : "larger than 1 MiB (expected a genotype)");
        return NULL;
    }
    return buf;
}

int genotype_read_file_alphas(const char *path, Genotype *g, GenotypeAlphas *alphas, char *err,
                              size_t errlen)
{
    size_t len;
    char *buf = read_text(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = genotype_parse(path, buf, len, g, alphas, err, errlen);
    free(buf);
    return rc;
}

int genotype_read_file_any(const char *path, AnyGenotype *out, char *err, size_t errlen)
{
    size_t len;
    char *buf = read_text(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = genotype_parse_any(path, buf, len, out, err, errlen);
    free(buf);
    return rc;
}

int genotype_read_file(const char *path, Genotype *g, char *err, size_t errlen)
{
    return genotype_read_file_alphas(path, g, NULL, err, errlen);
}
