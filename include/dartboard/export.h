/* export: the `dartboard export` subcommand and the exports of a run
 * directory (genotype files, cell diagrams, gnuplot figures), shared by the
 * command line and the UI's `x` key.
 *
 * Formats: py json yaml (genotype), dot tikz svg pdf png (cell diagrams, one
 * file per cell), frames (one SVG per report block of alphas.csv, for an
 * animation), plots (gnuplot figures in RUN_DIR/plots).
 */
#ifndef DARTBOARD_EXPORT_H
#define DARTBOARD_EXPORT_H

#include <stddef.h>

/* `dartboard export RUN_DIR|GENOTYPE_FILE --format py|json|yaml|dot|tikz|svg|pdf|png|plots [-o
 * FILE]`; argv[0] is "export". Returns the exit status (0, 1 runtime error, 2 usage). */
int export_main(int argc, char **argv);

/* Exports the run directory's genotype (genotype.json, else genotype.py,
 * else derived from the last block of alphas.csv) in `format`, which may be
 * a comma-separated list ("py,json,svg") when out_path is NULL.
 * out_path NULL = default names in run_dir. msg gets "wrote PATH..." or the
 * error. Returns 0 or -1. */
int export_run_dir(const char *run_dir, const char *format, const char *out_path, char *msg,
                   size_t msglen);

#endif
