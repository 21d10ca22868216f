/* cli_rnn: the recurrent cell `dartboard train` trains when the
 * configuration's data.set is text (kjv, text): see cli.h.
 *
 * A minimal reader of the official line, until the recurrent dialects of
 * io/genotype_io land: the first `Genotype(recurrent=[...], concat=...)` of
 * a file, with eight ('op', predecessor) pairs (quotes ' or ", any spacing)
 * and concat as range(a, b) or a list. It never evaluates anything. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dartboard/rundir.h"

#define GENOTYPE_FILE_MAX (1 << 20)

/* The file's text (NUL-terminated), refusing what is not a regular file of
 * at most GENOTYPE_FILE_MAX bytes. NULL + err. */
static char *read_text(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen,
                 "--genotype %s: no such file or directory (expected a run directory, a genotype "
                 "file, DARTS_V1 or DARTS_V2)",
                 path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > GENOTYPE_FILE_MAX) {
        snprintf(err, errlen,
                 "%s: not a regular file of at most %d bytes (expected a genotype file)", path,
                 GENOTYPE_FILE_MAX);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    char *text = f ? malloc((size_t)st.st_size + 1) : NULL;
    size_t n = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    if (f)
        fclose(f);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read it", path);
        return NULL;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        free(text);
        snprintf(err, errlen, "%s: a NUL byte (expected a text file)", path);
        return NULL;
    }
    return text;
}

typedef struct Reader {
    const char *path, *text, *p;
    char *err;
    size_t errlen;
} Reader;

static int bad(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(Reader *r, const char *fmt, ...)
{
    int line = 1, col = 1;
    for (const char *q = r->text; q < r->p; q++) {
        col = *q == '\n' ? 1 : col + 1;
        line += *q == '\n';
    }
    int n = snprintf(r->err, r->errlen, "%s:%d:%d: ", r->path, line, col);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->errlen)
        vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void blank(Reader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
        r->p++;
}

static int expect(Reader *r, const char *tok)
{
    blank(r);
    if (strncmp(r->p, tok, strlen(tok)) != 0)
        return bad(r,
                   "expected '%s' (the official Genotype(recurrent=[(op, j), ...], "
                   "concat=range(1, 9)))",
                   tok);
    r->p += strlen(tok);
    return 0;
}

static int number(Reader *r, int *out)
{
    blank(r);
    char *end;
    long v = strtol(r->p, &end, 10);
    if (end == r->p || v < -1000 || v > 1000)
        return bad(r, "expected a state number");
    *out = (int)v;
    r->p = end;
    return 0;
}

static int parse(Reader *r, RnnGenotype *g)
{
    memset(g, 0, sizeof *g);
    const char *at = strstr(r->text, "Genotype(recurrent=");
    if (!at) {
        if (strstr(r->text, "normal="))
            return bad(r, "a CNN cell (normal=..., reduce=...), but a preset of text (data.set "
                          "kjv or text) trains a recurrent cell (expected "
                          "Genotype(recurrent=[...], concat=...), or a preset of images)");
        return bad(r, "no Genotype(recurrent=[...], concat=...) line (expected the official "
                      "recurrent genotype)");
    }
    r->p = at + strlen("Genotype(recurrent=");
    if (expect(r, "["))
        return -1;
    for (int i = 0; i < RNN_NODES; i++) {
        if ((i && expect(r, ",")) || expect(r, "("))
            return -1;
        blank(r);
        const char q = *r->p;
        if (q != '\'' && q != '"')
            return bad(r, "expected a quoted op name");
        const char *name = ++r->p, *end = strchr(name, q);
        if (!end || end - name > 31)
            return bad(r, "an unterminated op name");
        char op[32];
        memcpy(op, name, (size_t)(end - name));
        op[end - name] = '\0';
        const int k = rnn_op_from_name(op);
        if (k <= RNN_OP_NONE)
            return bad(r,
                       "'%s' is not an op of the recurrent cell (expected tanh, relu, sigmoid "
                       "or identity)",
                       op);
        r->p = end + 1;
        g->recurrent[i].op = k;
        if (expect(r, ",") || number(r, &g->recurrent[i].input) || expect(r, ")"))
            return -1;
        if (g->recurrent[i].input < 0 || g->recurrent[i].input > i)
            return bad(r, "node %d takes state %d (expected 0..%d: a state before it)", i + 1,
                       g->recurrent[i].input, i);
    }
    blank(r);
    if (*r->p == ',')
        return bad(r, "more than %d nodes (expected the 8 of the recurrent cell)", RNN_NODES);
    if (expect(r, "]") || expect(r, ",") || expect(r, "concat") || expect(r, "="))
        return -1;
    blank(r);
    if (strncmp(r->p, "range", 5) == 0) {
        int a, b;
        r->p += 5;
        if (expect(r, "(") || number(r, &a) || expect(r, ",") || number(r, &b) || expect(r, ")"))
            return -1;
        if (a < 1 || b > RNN_NODES + 1 || b <= a)
            return bad(r, "concat=range(%d, %d) (expected states within 1..8)", a, b);
        for (int i = a; i < b; i++)
            g->concat[g->concat_count++] = i;
    } else {
        if (expect(r, "["))
            return -1;
        do {
            int v;
            if (number(r, &v))
                return -1;
            if (v < 1 || v > RNN_NODES || g->concat_count == RNN_NODES)
                return bad(r, "concat state %d (expected at most 8 states within 1..8)", v);
            g->concat[g->concat_count++] = v;
            blank(r);
        } while (*r->p == ',' && r->p++);
        if (expect(r, "]"))
            return -1;
    }
    return expect(r, ")");
}

int cli_rnn_genotype(const CliOptions *o, RnnGenotype *g, char *err, size_t errlen)
{
    const char *src = o->resume_dir ? o->resume_dir : o->genotype;
    if (!o->resume_dir && (strcmp(src, "DARTS_V2") == 0 || strcmp(src, "DARTS") == 0)) {
        *g = rnn_genotype_darts_v2;
        return 0;
    }
    if (!o->resume_dir && strcmp(src, "DARTS_V1") == 0) {
        *g = rnn_genotype_darts_v1;
        return 0;
    }
    char path[RUNDIR_FILE_MAX];
    struct stat st;
    if (o->resume_dir || (stat(src, &st) == 0 && S_ISDIR(st.st_mode))) {
        if (snprintf(path, sizeof path, "%s/genotype.py", src) >= (int)sizeof path) {
            snprintf(err, errlen, "%.60s...: path of %zu bytes (at most %d)", src, strlen(src),
                     RUNDIR_PATH_MAX - 1);
            return -1;
        }
        if (access(path, F_OK) != 0) {
            snprintf(err, errlen, "%s: no such file (expected a run directory holding its cell)",
                     path);
            return -1;
        }
    } else {
        snprintf(path, sizeof path, "%s", src);
    }
    char *text = read_text(path, err, errlen);
    if (!text)
        return -1;
    Reader r = {path, text, text, err, errlen};
    int rc = parse(&r, g);
    free(text);
    return rc;
}

int cli_genotype_is_recurrent(const CliOptions *o)
{
    const char *src = o->resume_dir ? o->resume_dir : o->genotype;
    char path[RUNDIR_FILE_MAX], err[256];
    struct stat st;
    if (!src || (stat(src, &st) == 0 && S_ISDIR(st.st_mode)))
        snprintf(path, sizeof path, "%s/genotype.py", src ? src : ".");
    else
        snprintf(path, sizeof path, "%s", src);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    char *text = read_text(path, err, sizeof err);
    int recurrent = text && strstr(text, "Genotype(recurrent=") != NULL;
    free(text);
    return recurrent;
}
