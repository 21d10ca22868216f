/* export: `dartboard export` and the exports of a run directory.
 *
 * A source is a run directory (its genotype.json, else genotype.py, else the
 * cell derived from the last block of alphas.csv; the final alphas from
 * genotype.json or alphas.csv) or a genotype file of any dialect that
 * genotype_io reads, of either kind: a CNN cell pair (diagrams per cell,
 * normal and reduce) or a recurrent cell (one diagram, "recurrent"). Every
 * file is written through atomic_file.
 */
#include "dartboard/export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/atomic_file.h"
#include "dartboard/diagram.h"
#include "dartboard/genotype_io.h"
#include "dartboard/plots.h"
#include "dartboard/run_csv.h"
#include "dartboard/rundir.h"

typedef enum ExportFormat {
    EXPORT_PY,
    EXPORT_JSON,
    EXPORT_YAML,
    EXPORT_DOT,
    EXPORT_TIKZ,
    EXPORT_SVG,
    EXPORT_PDF,
    EXPORT_PNG,
    EXPORT_FRAMES,
    EXPORT_PLOTS,
    EXPORT_FORMAT_COUNT
} ExportFormat;

static const char *const format_names[EXPORT_FORMAT_COUNT] = {
    "py", "json", "yaml", "dot", "tikz", "svg", "pdf", "png", "frames", "plots"};

#define PATH_LEN 4096

typedef struct Source {
    char path[PATH_LEN];
    char dir[PATH_LEN]; /* where default outputs go */
    char stem[256];     /* "" for a run directory, else the file name without extension */
    int is_run_dir;
    GenotypeKind kind; /* which of (g, alphas) and (rnn, rnn_alphas) holds the genotype */
    Genotype g;
    GenotypeAlphas alphas;
    RnnGenotype rnn;
    RnnGenotypeAlphas rnn_alphas;
} Source;

/* --cell recurrent: the one cell of a recurrent genotype */
#define CELL_RECURRENT DIAGRAM_CELL_COUNT

/* What was written, for the message: "wrote A, B" or, when every file is in
 * the source's directory, "wrote N files in DIR: a, b" (short enough for the
 * UI's status line). */
typedef struct Report {
    char *buf; /* the list */
    size_t cap;
    int files;
    const char *dir; /* names under it are listed relative to it */
    int outside;     /* something not under dir was written */
} Report;

static void report_wrote(Report *r, const char *path)
{
    if (!r->buf || r->cap == 0)
        return;
    size_t n = r->dir ? strlen(r->dir) : 0;
    const char *name = path;
    if (n && strncmp(path, r->dir, n) == 0 && path[n] == '/')
        name = path + n + 1;
    else
        r->outside = 1;
    size_t used = strlen(r->buf);
    snprintf(r->buf + used, r->cap - used, "%s%s", r->files ? ", " : "", name);
    r->files++;
}

static void report_message(const Report *r, char *msg, size_t msglen)
{
    if (r->outside || r->files < 2)
        snprintf(msg, msglen, "wrote %s%s%s", r->outside || !r->dir ? "" : r->dir,
                 r->outside || !r->dir ? "" : "/", r->buf);
    else
        snprintf(msg, msglen, "wrote %d files in %s: %s", r->files, r->dir, r->buf);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int join(char *out, const char *dir, const char *name, char *msg, size_t msglen)
{
    if (snprintf(out, PATH_LEN, "%s/%s", dir, name) >= PATH_LEN) {
        snprintf(msg, msglen, "%s/%s: path too long", dir, name);
        return -1;
    }
    return 0;
}

/* A genotype file of either kind into s. */
static int read_genotype(Source *s, const char *path, char *msg, size_t msglen)
{
    AnyGenotype *any = malloc(sizeof *any);
    if (!any) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    int rc = genotype_read_file_any(path, any, msg, msglen);
    if (rc == 0) {
        s->kind = any->kind;
        s->g = any->cnn;
        s->alphas = any->cnn_alphas;
        s->rnn = any->rnn;
        s->rnn_alphas = any->rnn_alphas;
    }
    free(any);
    return rc;
}

static int load_source(Source *s, const char *path, char *msg, size_t msglen)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    if (is_dir(path)) {
        char p[PATH_LEN];
        s->is_run_dir = 1;
        snprintf(s->dir, sizeof s->dir, "%s", path);
        int have_geno = 0;
        if (join(p, path, "genotype.json", msg, msglen) != 0)
            return -1;
        if (file_exists(p)) {
            if (read_genotype(s, p, msg, msglen) != 0)
                return -1;
            have_geno = 1;
        } else {
            if (join(p, path, "genotype.py", msg, msglen) != 0)
                return -1;
            if (file_exists(p)) {
                if (read_genotype(s, p, msg, msglen) != 0)
                    return -1;
                have_geno = 1;
            }
        }
        /* alphas.csv holds a CNN search's alphas */
        if (s->kind == GENOTYPE_KIND_CNN && (!have_geno || !s->alphas.present)) {
            if (join(p, path, "alphas.csv", msg, msglen) != 0)
                return -1;
            if (file_exists(p)) {
                AlphaHistory h;
                if (run_alphas_load(p, &h, msg, msglen) != 0)
                    return -1;
                const AlphaFrame *last = &h.frames[h.n - 1];
                if (!have_geno)
                    genotype_derive(&s->g, last->normal, last->reduce, h.nodes);
                if (s->g.nodes == h.nodes) {
                    memcpy(s->alphas.normal, last->normal, sizeof last->normal);
                    memcpy(s->alphas.reduce, last->reduce, sizeof last->reduce);
                    s->alphas.present = 1;
                }
                have_geno = 1;
                run_alphas_free(&h);
            }
        }
        if (!have_geno) {
            snprintf(msg, msglen,
                     "%s: no genotype.json, genotype.py or alphas.csv (expected a "
                     "dartboard run directory)",
                     path);
            return -1;
        }
        return 0;
    }
    if (!file_exists(path)) {
        snprintf(msg, msglen, "%s: %s", path,
                 access(path, F_OK) == 0 ? "not a file or directory" : strerror(ENOENT));
        return -1;
    }
    if (read_genotype(s, path, msg, msglen) != 0)
        return -1;
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(s->dir, sizeof s->dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(s->dir, sizeof s->dir, ".");
    if (!*s->dir)
        snprintf(s->dir, sizeof s->dir, "/");
    snprintf(s->stem, sizeof s->stem, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(s->stem, '.');
    if (dot && dot != s->stem)
        *dot = '\0';
    return 0;
}

/* ----------------------------------------------------------------- writing */

typedef struct WriteJob {
    ExportFormat fmt;
    const Source *src;
    DiagramCell cell;
    int standalone;
} WriteJob;

static int write_rnn_job(FILE *f, const WriteJob *j)
{
    const Source *s = j->src;
    const float *w = s->rnn_alphas.present ? s->rnn_alphas.w : NULL;
    switch (j->fmt) {
    case EXPORT_PY:
        return rnn_genotype_write_py(f, &s->rnn);
    case EXPORT_JSON:
        return rnn_genotype_write_json(f, &s->rnn, w);
    case EXPORT_YAML:
        return rnn_genotype_write_yaml(f, &s->rnn, w);
    case EXPORT_DOT:
        return diagram_write_rnn_dot(f, &s->rnn);
    case EXPORT_TIKZ:
        return diagram_write_rnn_tikz(f, &s->rnn, j->standalone);
    case EXPORT_SVG:
        return diagram_write_rnn_svg(f, &s->rnn, NULL);
    default:
        return -1;
    }
}

static int write_job(FILE *f, const WriteJob *j)
{
    const Source *s = j->src;
    if (s->kind == GENOTYPE_KIND_RECURRENT)
        return write_rnn_job(f, j);
    const float *wn = s->alphas.present ? s->alphas.normal : NULL;
    const float *wr = s->alphas.present ? s->alphas.reduce : NULL;
    switch (j->fmt) {
    case EXPORT_PY:
        return genotype_write_py(f, &s->g);
    case EXPORT_JSON:
        return genotype_write_json(f, &s->g, wn, wr);
    case EXPORT_YAML:
        return genotype_write_yaml(f, &s->g, wn, wr);
    case EXPORT_DOT:
        return diagram_write_dot(f, &s->g, j->cell);
    case EXPORT_TIKZ:
        return diagram_write_tikz(f, &s->g, j->cell, j->standalone);
    case EXPORT_SVG:
        return diagram_write_svg(f, &s->g, j->cell, NULL);
    default:
        return -1;
    }
}

static int fill_job(FILE *f, void *ctx)
{
    return write_job(f, ctx);
}

/* path "-" is stdout; else through the one atomic path. */
static int save(const char *path, const WriteJob *j, Report *rep, char *msg, size_t msglen)
{
    if (strcmp(path, "-") == 0) {
        if (write_job(stdout, j) != 0 || fflush(stdout) != 0) {
            snprintf(msg, msglen, "stdout: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    if (atomic_file_write(path, fill_job, (void *)j, msg, msglen) != 0)
        return -1;
    report_wrote(rep, path);
    return 0;
}

/* PDF or PNG through Graphviz: the DOT source and dot's output are both
 * private temporaries beside the output; the output is committed whole. */
static int render(const char *path, const WriteJob *j, Report *rep, char *msg, size_t msglen)
{
    char dot[PATH_LEN + 32], out[PATH_LEN + 32];
    WriteJob dj = *j;
    dj.fmt = EXPORT_DOT;
    if (atomic_file_reserve(path, dot, sizeof dot, msg, msglen) != 0)
        return -1;
    if (atomic_file_write(dot, fill_job, &dj, msg, msglen) != 0) {
        atomic_file_abandon(dot);
        return -1;
    }
    if (atomic_file_reserve(path, out, sizeof out, msg, msglen) != 0) {
        atomic_file_abandon(dot);
        return -1;
    }
    int rc = diagram_render(dot, format_names[j->fmt], out, msg, msglen);
    atomic_file_abandon(dot);
    if (rc != 0) {
        atomic_file_abandon(out);
        return -1;
    }
    if (atomic_file_commit(out, path, msg, msglen) != 0)
        return -1;
    report_wrote(rep, path);
    return 0;
}

static const char *format_ext(ExportFormat fmt)
{
    return fmt == EXPORT_TIKZ ? "tex" : format_names[fmt];
}

/* Output path of one cell: out given and a single cell -> out; out given
 * for both cells -> out's stem + _normal/_reduce + extension; no out ->
 * DIR/cell_normal.EXT (run directory) or DIR/STEM_normal.EXT (file). */
static int cell_path(char *path, const Source *s, const char *out, int single,
                     const char *cell_name, const char *ext, char *msg, size_t msglen)
{
    int n;
    if (out && single) {
        n = snprintf(path, PATH_LEN, "%s", out);
    } else if (out) {
        char stem[PATH_LEN];
        snprintf(stem, sizeof stem, "%s", out);
        char *dot = strrchr(stem, '.');
        char *slash = strrchr(stem, '/');
        if (dot && (!slash || dot > slash + 1))
            *dot = '\0';
        n = snprintf(path, PATH_LEN, "%s_%s.%s", stem, cell_name, ext);
    } else {
        n = snprintf(path, PATH_LEN, "%s/%s_%s.%s", s->dir, *s->stem ? s->stem : "cell", cell_name,
                     ext);
    }
    if (n >= PATH_LEN) {
        snprintf(msg, msglen, "output path too long");
        return -1;
    }
    return 0;
}

static int refuse_overwrite(const Source *s, const char *path, char *msg, size_t msglen)
{
    struct stat a, b;
    if (!s->is_run_dir && stat(path, &a) == 0 && stat(s->path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        snprintf(msg, msglen, "%s: would overwrite the input (expected -o FILE)", path);
        return -1;
    }
    return 0;
}

/* One frame of the alpha history as SVG, on a canvas shared by all frames. */
typedef struct Frame {
    const Genotype *g;
    DiagramCell cell;
    const char *caption;
    double width, height;
} Frame;

static int fill_frame(FILE *f, void *ctx)
{
    const Frame *fr = ctx;
    return diagram_write_svg_canvas(f, fr->g, fr->cell, fr->caption, fr->width, fr->height);
}

static int export_frames(const Source *s, const char *out_dir, Report *rep, char *msg,
                         size_t msglen)
{
    char csv[PATH_LEN], dir[PATH_LEN];
    if (join(csv, s->dir, "alphas.csv", msg, msglen) != 0)
        return -1;
    if (out_dir)
        snprintf(dir, sizeof dir, "%s", out_dir);
    else if (join(dir, s->dir, "frames", msg, msglen) != 0)
        return -1;
    AlphaHistory h;
    if (run_alphas_load(csv, &h, msg, msglen) != 0)
        return -1;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, msglen, "%s: %s", dir, strerror(errno));
        run_alphas_free(&h);
        return -1;
    }
    Source fs = *s;
    int rc = 0;
    /* One canvas size per cell for all frames, so an animation does not jump. */
    double cw[DIAGRAM_CELL_COUNT] = {0}, ch[DIAGRAM_CELL_COUNT] = {0};
    for (int i = 0; i < h.n; i++) {
        genotype_derive(&fs.g, h.frames[i].normal, h.frames[i].reduce, h.nodes);
        for (int c = 0; c < DIAGRAM_CELL_COUNT; c++) {
            double w, hh;
            diagram_svg_size(&fs.g, (DiagramCell)c, "caption", &w, &hh);
            cw[c] = fmax(cw[c], w);
            ch[c] = fmax(ch[c], hh);
        }
    }
    for (int i = 0; i < h.n && rc == 0; i++) {
        genotype_derive(&fs.g, h.frames[i].normal, h.frames[i].reduce, h.nodes);
        for (int c = 0; c < DIAGRAM_CELL_COUNT && rc == 0; c++) {
            char path[PATH_LEN + 64], caption[96];
            snprintf(path, sizeof path, "%s/%s_%04d.svg", dir, diagram_cell_names[c], i + 1);
            snprintf(caption, sizeof caption, "%s cell, step %lld", diagram_cell_names[c],
                     (long long)h.frames[i].step);
            Frame frame = {&fs.g, (DiagramCell)c, caption, cw[c], ch[c]};
            rc = atomic_file_write(path, fill_frame, &frame, msg, msglen);
        }
    }
    int frames = h.n;
    run_alphas_free(&h);
    if (rc == 0) {
        char what[PATH_LEN + 64];
        snprintf(what, sizeof what, "%s/{normal,reduce}_0001..%04d.svg", dir, frames);
        report_wrote(rep, what);
    }
    return rc;
}

static int export_one(const Source *s, ExportFormat fmt, const char *out, int cell_only,
                      Report *rep, char *msg, size_t msglen)
{
    char path[PATH_LEN];
    WriteJob j = {.fmt = fmt, .src = s};
    switch (fmt) {
    case EXPORT_PY:
    case EXPORT_JSON:
    case EXPORT_YAML:
        if (out)
            snprintf(path, sizeof path, "%s", out);
        else if (snprintf(path, sizeof path, "%s/%s.%s", s->dir, *s->stem ? s->stem : "genotype",
                          format_names[fmt]) >= (int)sizeof path) {
            snprintf(msg, msglen, "output path too long");
            return -1;
        }
        if (refuse_overwrite(s, path, msg, msglen) != 0)
            return -1;
        return save(path, &j, rep, msg, msglen);
    case EXPORT_DOT:
    case EXPORT_TIKZ:
    case EXPORT_SVG:
    case EXPORT_PDF:
    case EXPORT_PNG:
        if ((fmt == EXPORT_PDF || fmt == EXPORT_PNG) && out && strcmp(out, "-") == 0) {
            snprintf(msg, msglen, "%s is binary: not written to stdout (expected -o FILE)",
                     format_names[fmt]);
            return -1;
        }
        for (int c = 0; c < DIAGRAM_CELL_COUNT; c++) {
            int recurrent = s->kind == GENOTYPE_KIND_RECURRENT;
            if (recurrent ? c > 0 : cell_only >= 0 && c != cell_only)
                continue;
            j.cell = (DiagramCell)c;
            if (cell_path(path, s, out, recurrent || cell_only >= 0,
                          recurrent ? "recurrent" : diagram_cell_names[c], format_ext(fmt), msg,
                          msglen) != 0 ||
                refuse_overwrite(s, path, msg, msglen) != 0)
                return -1;
            if (fmt == EXPORT_PDF || fmt == EXPORT_PNG) {
                if (render(path, &j, rep, msg, msglen) != 0)
                    return -1;
                continue;
            }
            j.standalone = 1;
            if (save(path, &j, rep, msg, msglen) != 0)
                return -1;
            if (fmt == EXPORT_TIKZ && strcmp(path, "-") != 0) {
                /* the \input-able fragment beside the standalone document */
                char frag[PATH_LEN + 8];
                snprintf(frag, sizeof frag, "%s", path);
                char *dot = strrchr(frag, '.');
                char *slash = strrchr(frag, '/');
                if (dot && (!slash || dot > slash))
                    *dot = '\0';
                strcat(frag, ".tikz");
                j.standalone = 0;
                if (save(frag, &j, rep, msg, msglen) != 0)
                    return -1;
            }
        }
        return 0;
    case EXPORT_FRAMES:
    case EXPORT_PLOTS:
        if (!s->is_run_dir) {
            snprintf(msg, msglen,
                     "%s: --format %s needs a run directory (expected a directory "
                     "with alphas.csv%s)",
                     s->path, format_names[fmt], fmt == EXPORT_PLOTS ? " and metrics.csv" : "");
            return -1;
        }
        if (fmt == EXPORT_FRAMES && s->kind == GENOTYPE_KIND_RECURRENT) {
            snprintf(msg, msglen,
                     "%s: --format frames draws the alphas.csv of a CNN search, and this run's "
                     "genotype is recurrent (expected a CNN run directory)",
                     s->path);
            return -1;
        }
        if (fmt == EXPORT_FRAMES)
            return export_frames(s, out, rep, msg, msglen);
        {
            char pm[1024];
            int rc = out ? plots_write_to(s->dir, out, NULL, pm, sizeof pm)
                         : plots_write(s->dir, NULL, pm, sizeof pm);
            if (rc != 0) {
                snprintf(msg, msglen, "%s", pm);
                return -1;
            }
            /* plots_write says "wrote N figures in DIR": keep its wording */
            report_wrote(rep, strncmp(pm, "wrote ", 6) == 0 ? pm + 6 : pm);
            return 0;
        }
    default:
        return -1;
    }
}

static int parse_format(const char *name)
{
    for (int f = 0; f < EXPORT_FORMAT_COUNT; f++)
        if (strcmp(name, format_names[f]) == 0)
            return f;
    return -1;
}

static void format_list(char *buf, size_t n)
{
    buf[0] = '\0';
    for (int f = 0; f < EXPORT_FORMAT_COUNT; f++) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", f ? "|" : "", format_names[f]);
    }
}

/* Runs every format of a comma-separated list; stops at the first error. */
static int export_formats(const Source *s, const char *formats, const char *out, int cell_only,
                          char *msg, size_t msglen)
{
    char list[256];
    if (snprintf(list, sizeof list, "%s", formats) >= (int)sizeof list) {
        snprintf(msg, msglen, "format list too long");
        return -1;
    }
    int fmts[EXPORT_FORMAT_COUNT * 2], n = 0;
    for (char *save_ptr = NULL, *tok = strtok_r(list, ", ", &save_ptr); tok;
         tok = strtok_r(NULL, ", ", &save_ptr)) {
        int f = parse_format(tok);
        if (f < 0 || n == (int)(sizeof fmts / sizeof fmts[0])) {
            char names[128];
            format_list(names, sizeof names);
            snprintf(msg, msglen, "unknown format '%s' (expected %s)", tok, names);
            return -1;
        }
        fmts[n++] = f;
    }
    if (n == 0) {
        snprintf(msg, msglen, "no format given (expected e.g. svg)");
        return -1;
    }
    if (n > 1 && out) {
        snprintf(msg, msglen, "several formats with one output file (expected one format with -o)");
        return -1;
    }
    int recurrent = s->kind == GENOTYPE_KIND_RECURRENT;
    if (cell_only >= 0 && recurrent != (cell_only == CELL_RECURRENT)) {
        snprintf(msg, msglen,
                 recurrent ? "%s: a recurrent genotype has one cell (expected --cell recurrent or "
                             "no --cell)"
                           : "%s: a CNN genotype has no recurrent cell (expected --cell normal or "
                             "reduce)",
                 s->path);
        return -1;
    }
    char *body = malloc(msglen);
    if (!body) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    body[0] = '\0';
    Report rep = {.buf = body, .cap = msglen, .dir = s->dir};
    for (int i = 0; i < n; i++) {
        if (export_one(s, (ExportFormat)fmts[i], out, cell_only, &rep, msg, msglen) != 0) {
            free(body);
            return -1;
        }
    }
    report_message(&rep, msg, msglen);
    free(body);
    return 0;
}

int export_run_dir(const char *run_dir, const char *format, const char *out_path, char *msg,
                   size_t msglen)
{
    Source *s = malloc(sizeof *s);
    if (!s) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    int rc = load_source(s, run_dir, msg, msglen);
    if (rc == 0)
        rc = export_formats(s, format, out_path, -1, msg, msglen);
    free(s);
    return rc;
}

/* ----------------------------------------------------------------- the CLI */

static void usage(FILE *f)
{
    char names[128];
    format_list(names, sizeof names);
    fprintf(
        f,
        "usage: dartboard export RUN_DIR|GENOTYPE_FILE --format FORMAT[,FORMAT...] "
        "[-o FILE] [--cell normal|reduce|recurrent]\n"
        "  FORMAT is %s\n"
        "  py json yaml   the genotype (GENOTYPE_FILE may be any of these, or the\n"
        "                 nested-list, (op, input, node) or (op, input, weight) dialect\n"
        "                 of other DARTS code bases; see dartboard(1))\n"
        "  dot tikz svg   a diagram per cell (tikz: a standalone .tex and a .tikz fragment);\n"
        "                 a recurrent genotype (Genotype(recurrent=...)) has one, 'recurrent'\n"
        "  pdf png        the diagrams rendered by Graphviz dot\n"
        "  frames         one SVG per report of alphas.csv, for an animation\n"
        "  plots          gnuplot figures (PDF, PNG, SVG + scripts) in RUN_DIR/plots\n"
        "  -o FILE        output file (- for stdout); for diagrams of both cells, a stem:\n"
        "                 FILE_normal.EXT and FILE_reduce.EXT; for frames and plots a directory\n"
        "  --cell CELL    only the normal or the reduce cell (recurrent: the only one)\n"
        "Without -o, files go to the run directory (genotype.*, cell_normal.*, ...) or\n"
        "beside GENOTYPE_FILE.\n",
        names);
}

/* The value of an option given as "NAME VALUE" or "NAME=VALUE" (long
 * names only), or NULL when argv[*i] is not that option. *missing is set
 * when the option is there without its value. */
static const char *option(char **argv, int argc, int *i, const char *name, int *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=' && name[1] == '-')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int export_main(int argc, char **argv)
{
    const char *source = NULL, *format = NULL, *out = NULL, *cell = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((v = option(argv, argc, &i, "--format", &missing)) ||
            (v = option(argv, argc, &i, "-f", &missing))) {
            format = v;
        } else if ((v = option(argv, argc, &i, "--output", &missing)) ||
                   (v = option(argv, argc, &i, "-o", &missing))) {
            out = v;
        } else if ((v = option(argv, argc, &i, "--cell", &missing))) {
            cell = v;
        } else if (missing) {
            fprintf(stderr, "dartboard: export: %s needs a value\n", a);
            usage(stderr);
            return 2;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "dartboard: export: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!source) {
            source = a;
        } else {
            fprintf(stderr,
                    "dartboard: export: a second source '%s' (expected one RUN_DIR or "
                    "GENOTYPE_FILE)\n",
                    a);
            return 2;
        }
    }
    int cell_only = -1;
    if (cell) {
        cell_only = strcmp(cell, "normal") == 0      ? 0
                    : strcmp(cell, "reduce") == 0    ? 1
                    : strcmp(cell, "recurrent") == 0 ? CELL_RECURRENT
                                                     : -1;
        if (cell_only < 0) {
            fprintf(stderr,
                    "dartboard: export: unknown cell '%s' (expected normal, reduce or recurrent)\n",
                    cell);
            return 2;
        }
    }
    if (!source || !format) {
        fprintf(stderr, "dartboard: export: %s\n",
                !source ? "no RUN_DIR or GENOTYPE_FILE given" : "no --format given");
        usage(stderr);
        return 2;
    }
    char names[128];
    format_list(names, sizeof names);
    char list[256];
    snprintf(list, sizeof list, "%s", format);
    for (char *sp = NULL, *tok = strtok_r(list, ", ", &sp); tok; tok = strtok_r(NULL, ", ", &sp)) {
        if (parse_format(tok) < 0) {
            fprintf(stderr, "dartboard: export: unknown format '%s' (expected %s)\n", tok, names);
            return 2;
        }
    }
    if (out && strchr(format, ',')) {
        fprintf(stderr, "dartboard: export: -o takes one format (got '%s')\n", format);
        return 2;
    }
    Source *s = malloc(sizeof *s);
    char msg[4096];
    if (!s) {
        fprintf(stderr, "dartboard: out of memory\n");
        return 1;
    }
    /* Without -o the files go into the run directory: its one writer is
     * this process for now, or the search that holds it. */
    RunDir rd = {.lock_fd = -1};
    int rc = 0;
    if (is_dir(source) && !out && rundir_lock(&rd, source, 0, msg, sizeof msg) != 0) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n,
                 "; export from its live screen (x), or write elsewhere with -o FILE");
        rc = -1;
    }
    if (rc == 0)
        rc = load_source(s, source, msg, sizeof msg);
    if (rc == 0)
        rc = export_formats(s, format, out, cell_only, msg, sizeof msg);
    rundir_unlock(&rd);
    free(s);
    if (rc != 0) {
        fprintf(stderr, "dartboard: %s\n", msg);
        return 1;
    }
    if (!(out && strcmp(out, "-") == 0))
        printf("%s\n", msg);
    return 0;
}
