/* genotype_io: a derived cell (Genotype) to and from the text formats that
 * DARTS codebases exchange.
 *
 * Writers: the official DARTS line (genotypes.py), JSON and YAML. JSON and
 * YAML also carry the op order ("ops") and, when given, the final softmaxed
 * alphas, because other tools order their op lists differently.
 *
 * Readers never evaluate code: a small tokenizer and recursive-descent
 * parser accept the Python-literal dialects below, and JSON/YAML go through
 * libyaml (JSON is a subset of YAML 1.2 for what we read).
 *
 *   official   Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), ...)
 *              (quark0/darts genotypes.py and its many forks; concat as
 *              range(a, b) or [2, 3, 4, 5]; an optional `NAME = ` before it;
 *              positional arguments in namedtuple order also work)
 *   nested     normal=[[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], [...], ...]
 *              one list (or tuple) of two edges per node: khanrc/pt.darts
 *              prints its searched genotypes this way, D-X-Y/AutoDL-Projects
 *              writes tuples of tuples
 *   3-tuple    ('sep_conv_3x3', 0, 2) = (op, input, node), node numbered as
 *              the state it feeds (2 = first intermediate node), edges in any
 *              order: guoyongcs/NAT genotypes.py, CNAS's
 *              Genotype.from_arch(normal_arch=..., reduced_arch=...) and
 *              aw_nas genotype strings (`normal_0=[...], reduce_1=[...]`, a
 *              bare keyword list, also accepted)
 *   weighted   ('sep_conv_3x3', 0, 0.223) = (op, input, weight) with a float
 *              third element, as GDAS prints a cell with its probabilities:
 *              read as the official list, the weights ignored
 *
 * All functions return 0 on success and -1 on failure; readers fill err with
 * "FILE:LINE:COL: what is wrong (expected ...)".
 */
#ifndef DARTBOARD_GENOTYPE_IO_H
#define DARTBOARD_GENOTYPE_IO_H

#include <stddef.h>
#include <stdio.h>

#include "dartboard/genotype.h"
#include "dartboard/rnn_genotype.h"

typedef enum GenotypeFormat {
    GENOTYPE_FORMAT_PY, /* the official one-line Genotype(...) */
    GENOTYPE_FORMAT_JSON,
    GENOTYPE_FORMAT_YAML,
    GENOTYPE_FORMAT_COUNT
} GenotypeFormat;

/* The official DARTS line, with a trailing newline:
 * Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), reduce=[...],
 * reduce_concat=range(2, 6)) */
int genotype_write_py(FILE *f, const Genotype *g);
/* w_normal, w_reduce: softmaxed alphas, edges x OP_COUNT (edges =
 * genotype_edge_count(g->nodes)); either may be NULL (then no "alphas"). */
int genotype_write_json(FILE *f, const Genotype *g, const float *w_normal, const float *w_reduce);
int genotype_write_yaml(FILE *f, const Genotype *g, const float *w_normal, const float *w_reduce);
int genotype_write(FILE *f, GenotypeFormat fmt, const Genotype *g, const float *w_normal,
                   const float *w_reduce);
/* Writes path through atomic_file_write(): the old file or the new one, never torn. */
int genotype_save(const char *path, GenotypeFormat fmt, const Genotype *g, const float *w_normal,
                  const float *w_reduce, char *err, size_t errlen);

/* Optional alphas found in a JSON/YAML genotype. */
typedef struct GenotypeAlphas {
    int present;                                 /* both cells were given */
    float normal[GENOTYPE_MAX_EDGES * OP_COUNT]; /* edges x OP_COUNT, dartboard op order */
    float reduce[GENOTYPE_MAX_EDGES * OP_COUNT];
} GenotypeAlphas;

/* Parses text (len bytes, need not be NUL-terminated) of any dialect above;
 * `name` is the file name used in messages. alphas may be NULL. */
int genotype_parse(const char *name, const char *text, size_t len, Genotype *g,
                   GenotypeAlphas *alphas, char *err, size_t errlen);
/* Reads and parses a file, detecting the dialect from its content. */
int genotype_read_file(const char *path, Genotype *g, char *err, size_t errlen);
int genotype_read_file_alphas(const char *path, Genotype *g, GenotypeAlphas *alphas, char *err,
                              size_t errlen);

/* ---- Recurrent cells (the RNN half of DARTS, rnn/genotypes.py).
 *
 *   official   Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ...], concat=range(1, 9))
 *              (an optional `NAME = ` before it; concat as range(a, b), a list
 *              or list(range(...)); positional arguments (recurrent, concat))
 *   JSON/YAML  {"nodes": 8, "ops": [...], "recurrent": [["sigmoid", 0], ...],
 *              "concat": [1, ..., 8], "alphas": [[5 weights] x 36]}; nodes,
 *              ops and alphas optional; the alpha columns follow "ops"
 *
 * Exactly RNN_NODES (op, predecessor) pairs, node i (1-based) taking a
 * predecessor 0..i-1 with a recurrent op other than none; concat lists
 * distinct states 1..8.
 */

typedef enum GenotypeKind {
    GENOTYPE_KIND_CNN,      /* a Genotype: normal and reduce cells */
    GENOTYPE_KIND_RECURRENT /* an RnnGenotype */
} GenotypeKind;

/* The softmaxed alphas of a recurrent search, RNN_EDGES x RNN_OP_COUNT in
 * dartboard's recurrent op order. */
typedef struct RnnGenotypeAlphas {
    int present;
    float w[RNN_EDGES * RNN_OP_COUNT];
} RnnGenotypeAlphas;

/* A genotype of either kind, as read from a file: `kind` says which of the
 * pairs (cnn, cnn_alphas) or (rnn, rnn_alphas) holds it. */
typedef struct AnyGenotype {
    GenotypeKind kind;
    Genotype cnn;
    GenotypeAlphas cnn_alphas;
    RnnGenotype rnn;
    RnnGenotypeAlphas rnn_alphas;
} AnyGenotype;

/* Parses a genotype of either kind in any dialect (the CNN ones above or
 * the recurrent ones): a `recurrent` field makes it recurrent. */
int genotype_parse_any(const char *name, const char *text, size_t len, AnyGenotype *out, char *err,
                       size_t errlen);
/* Reads and parses a file of either kind (at most 1 MiB). */
int genotype_read_file_any(const char *path, AnyGenotype *out, char *err, size_t errlen);

/* The official line, with a trailing newline:
 * Genotype(recurrent=[('sigmoid', 0), ...], concat=range(1, 9)) */
int rnn_genotype_write_py(FILE *f, const RnnGenotype *g);
/* weights: softmaxed alphas, RNN_EDGES x RNN_OP_COUNT, or NULL (no "alphas"). */
int rnn_genotype_write_json(FILE *f, const RnnGenotype *g, const float *weights);
int rnn_genotype_write_yaml(FILE *f, const RnnGenotype *g, const float *weights);
int rnn_genotype_write(FILE *f, GenotypeFormat fmt, const RnnGenotype *g, const float *weights);
/* Writes path through atomic_file_write(). */
int rnn_genotype_save(const char *path, GenotypeFormat fmt, const RnnGenotype *g,
                      const float *weights, char *err, size_t errlen);

#endif
