/* plot: the `g` key: metrics of the run through gnuplot, without blocking.
 *
 * With $DISPLAY, a gnuplot window (its default terminal, -persist). Without
 * one (SSH), SVG, PNG and PDF files in RUN_DIR/plots and a `dumb` text plot
 * the UI shows in a dialog. gnuplot runs as a child process the main loop
 * polls; a missing or failing gnuplot is a message, never a crash.
 */
#ifndef DARTBOARD_UI_PLOT_H
#define DARTBOARD_UI_PLOT_H

#include <sys/types.h>

#include "ui/view.h"

typedef struct Plot {
    pid_t pid;        /* running gnuplot, 0 when none */
    int window;       /* drawing into a window, not files */
    char script[512]; /* temporary gnuplot script */
    char text[512];   /* temporary dumb-terminal output */
    char errors[512]; /* temporary gnuplot stderr */
    char out_dir[600];
} Plot;

void plot_init(Plot *p);
/* Starts gnuplot on run_dir/metrics.csv; the text plot fits rows x cols. */
void plot_start(Plot *p, const char *run_dir, int rows, int cols, UiView *v);
/* Returns 1 when a gnuplot run finished (and the view has its result). */
int plot_poll(Plot *p, UiView *v);
/* Ends a gnuplot run still going and removes temporary files. */
void plot_finish(Plot *p);

#endif
