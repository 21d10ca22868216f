/* plots: gnuplot figures of a run directory, for papers and for the UI's
 * `g` key. Every gnuplot script dartboard runs is written here.
 *
 * Figures (each NAME.gp script + NAME.dat data beside NAME.pdf/.png/.svg, so
 * a user can restyle and rerun `gnuplot NAME.gp` in that directory):
 *   loss               train/val loss per step (metrics.csv)
 *   accuracy           train/val accuracy per step (metrics.csv)
 *   alphas_normal      evolution of every edge's op weights, one panel per
 *   alphas_reduce      edge (small multiples) (alphas.csv)
 *   heatmap_normal     final softmaxed alphas, edges x ops (alphas.csv)
 *   heatmap_reduce
 * Scripts select their outputs from the variable `formats` ("pdf png svg"
 * by default; gnuplot -e "formats='png'" NAME.gp to make one). Each figure
 * reaches its file through atomic_file: gnuplot writes a reserved temporary
 * that is renamed over NAME.EXT only when gnuplot succeeded.
 *
 * gnuplot runs by fork/exec on the script file, in the script's directory,
 * so no script names a directory: data and outputs are plain file names.
 * When gnuplot is missing the functions fail with a message naming the
 * Debian package (gnuplot-nox). Figures whose input file is absent (no
 * metrics.csv yet) are skipped and named in msg; everything else failing is
 * an error.
 */
#ifndef DARTBOARD_PLOTS_H
#define DARTBOARD_PLOTS_H

#include <stddef.h>

/* Writes the figures into RUN_DIR/plots. formats: a space- or comma-separated
 * subset of "pdf png svg" (NULL = all three). Returns 0 with msg "wrote N
 * figures in DIR", or -1 with msg the error. */
int plots_write(const char *run_dir, const char *formats, char *msg, size_t msglen);
/* The same into out_dir (created if missing). */
int plots_write_to(const char *run_dir, const char *out_dir, const char *formats, char *msg,
                   size_t msglen);

/* Loss curves rendered by gnuplot's `dumb` terminal into buf (width x height
 * characters, rows separated by '\n', NUL-terminated), for the UI over SSH.
 * Scripts and data go to RUN_DIR/plots as above. Returns 0 or -1 with msg. */
int plots_dumb(const char *run_dir, int width, int height, char *buf, size_t buflen, char *msg,
               size_t msglen);

/* Loss and accuracy in a gnuplot window (its default terminal, -persist):
 * RUN_DIR/plots/window.gp, titled with the run directory. Returns 0 when the
 * window opened, 1 when gnuplot has no window terminal (gnuplot-nox), -1
 * with msg on an error, among them a run directory whose name holds a
 * control character. */
int plots_window(const char *run_dir, char *msg, size_t msglen);

/* The one way text goes into a gnuplot script: s as a single-quoted gnuplot
 * string ('it''s'). Inside single quotes gnuplot substitutes nothing (no
 * `command`, no @macro, no backslash escape; checked with gnuplot 5.4), but
 * a newline ends the command, so a control character is refused: -1 and msg
 * "'s' (control characters shown as \n, \xNN): ...". Returns 0, or -1 also
 * when out (outlen bytes) is too small. */
int plots_gnuplot_string(char *out, size_t outlen, const char *s, char *msg, size_t msglen);

#endif
