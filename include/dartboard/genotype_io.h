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

#endif
