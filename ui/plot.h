/* plot: the `g` key: the run's metrics and alphas through gnuplot, off the UI
 * thread. The scripts and their data come from plots.h; this module only
 * chooses which and runs them in a helper thread.
 *
 * With $DISPLAY: a gnuplot window (plots_window: its default terminal,
 * -persist) with the loss and accuracy curves; when that terminal cannot
 * open a window (gnuplot-nox), the files as below. Without one (SSH): the figures of plots.h (loss,
 * accuracy, alpha evolution, heatmaps as PDF, PNG and SVG in RUN_DIR/plots)
 * and a `dumb` text plot the UI shows in a dialog. gnuplot runs in a helper
 * thread the main loop polls, so keys stay responsive; a missing or failing
 * gnuplot is a message, never a crash.
 */
#ifndef DARTBOARD_UI_PLOT_H
#define DARTBOARD_UI_PLOT_H

#include <pthread.h>

#include "ui/view.h"

typedef struct Plot {
    pthread_t thread;
    int running; /* a helper thread exists (UI thread only) */
    pthread_mutex_t lock;
    int done; /* under lock: the helper finished */
    /* Inputs, set before the thread starts. */
    char run_dir[512];
    int window;
    int width, height; /* of the text plot */
    /* Results, written by the helper before done is set. */
    int failed;
    char msg[1024];
    char text[VIEW_PLOT_TEXT];
} Plot;

void plot_init(Plot *p);
/* 1 when the run has no metrics row to plot yet, with msg saying when its
 * first comes (a training run's at the end of its first epoch). */
int plot_nothing_yet(const Snapshot *s, char *msg, size_t len);
/* Starts gnuplot for run_dir; the text plot fits a rows x cols screen. */
void plot_start(Plot *p, const char *run_dir, int rows, int cols, UiView *v);
/* Returns 1 when a run finished (and the view has its message and plot). */
int plot_poll(Plot *p, UiView *v);
/* Waits for a run still going. */
void plot_finish(Plot *p);

#endif
