/* plot: gnuplot in a helper thread (see plot.h). */
#include "ui/plot.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dartboard/plots.h"
#include "dartboard/tool.h"

void plot_init(Plot *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
}

/* `s` as the inside of a single-quoted gnuplot string (quotes doubled). */
static void gp_quote(char *out, size_t len, const char *s)
{
    size_t n = 0;
    for (; *s && n + 3 < len; s++) {
        if (*s == '\'')
            out[n++] = '\'';
        out[n++] = *s;
    }
    out[n] = 0;
}

/* gnuplot exits with this when its default terminal cannot open a window
 * (gnuplot-nox: "unknown"); the figures and the text plot are made instead. */
#define NO_WINDOW_STATUS 3

/* A window: loss and accuracy of metrics.csv in gnuplot's default terminal.
 * Returns 0, 1 when there is no window terminal, -1 on an error (p->msg). */
static int plot_window(Plot *p)
{
    const char *dir = getenv("TMPDIR");
    char script[600];
    snprintf(script, sizeof script, "%s/dartboard-plot-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(script);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(p->msg, sizeof p->msg, "gnuplot: cannot write a script: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char run[1100], csv[1200];
    gp_quote(run, sizeof run, p->run_dir);
    snprintf(csv, sizeof csv, "%s/metrics.csv", run);
    fprintf(f,
            "if (GPVAL_TERM eq 'unknown' || GPVAL_TERM eq 'dumb') exit status %d\n"
            "set datafile separator ','\nset xlabel 'step'\nset key top right\n"
            "set multiplot layout 2,1 title 'dartboard: %s'\n"
            "set title 'loss'\n"
            "plot '%s' using 1:4 skip 1 with lines title 'train', '' using 1:6 skip 1 with lines "
            "title 'val'\n"
            "set title 'accuracy (%%)'\n"
            "plot '%s' using 1:5 skip 1 with lines title 'train', '' using 1:7 skip 1 with lines "
            "title 'val'\n"
            "unset multiplot\n",
            NO_WINDOW_STATUS, run, csv, csv);
    fclose(f);
    const char *argv[] = {"gnuplot", "-persist", script, NULL};
    int rc = tool_run(argv, NULL, NULL, "gnuplot-x11", p->msg, sizeof p->msg);
    unlink(script);
    char no_window[32];
    snprintf(no_window, sizeof no_window, "(exit status %d)", NO_WINDOW_STATUS);
    if (rc != 0 && strstr(p->msg, no_window))
        return 1;
    if (rc == 0)
        snprintf(p->msg, sizeof p->msg, "gnuplot: window opened");
    return rc;
}

/* Figures into RUN_DIR/plots and the text plot for the dialog. */
static int plot_files(Plot *p, const char *why)
{
    char files[400] = "", text_msg[400] = "";
    int rc = plots_write(p->run_dir, NULL, files, sizeof files);
    if (rc != 0)
        snprintf(p->msg, sizeof p->msg, "gnuplot: %s", files);
    else if (plots_dumb(p->run_dir, p->width, p->height, p->text, sizeof p->text, text_msg,
                        sizeof text_msg) == 0)
        snprintf(p->msg, sizeof p->msg, "gnuplot: %s%s", why, files);
    else
        snprintf(p->msg, sizeof p->msg, "gnuplot: %s%s; no text plot: %s", why, files, text_msg);
    return rc;
}

static void *plot_main(void *arg)
{
    Plot *p = arg;
    int rc;
    if (!p->window) {
        rc = plot_files(p, "");
    } else if ((rc = plot_window(p)) == 1) {
        p->window = 0;
        rc = plot_files(p, "no window terminal (gnuplot-qt or gnuplot-x11 has one); ");
    }
    p->failed = rc != 0;
    pthread_mutex_lock(&p->lock);
    p->done = 1;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void plot_start(Plot *p, const char *run_dir, int rows, int cols, UiView *v)
{
    if (p->running) {
        view_message(v, 0, "gnuplot is still drawing");
        return;
    }
    const char *display = getenv("DISPLAY");
    snprintf(p->run_dir, sizeof p->run_dir, "%s", run_dir);
    p->window = display && *display;
    /* Inside the dialog, and within the view's text buffer. */
    p->width = cols - 6 < 40 ? 40 : cols - 6 > 150 ? 150 : cols - 6;
    p->height = rows - 4 < 12 ? 12 : rows - 4 > 50 ? 50 : rows - 4;
    p->failed = 0;
    p->done = 0;
    p->msg[0] = 0;
    p->text[0] = 0;
    /* The helper must not take the UI's signals (SIGINT means quit). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, plot_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        view_message(v, 1, "gnuplot: cannot start a thread: %s", strerror(rc));
        return;
    }
    p->running = 1;
    view_message(v, 0, "gnuplot: plotting %s", run_dir);
}

int plot_poll(Plot *p, UiView *v)
{
    if (!p->running)
        return 0;
    pthread_mutex_lock(&p->lock);
    int done = p->done;
    pthread_mutex_unlock(&p->lock);
    if (!done)
        return 0;
    pthread_join(p->thread, NULL);
    p->running = 0;
    view_message(v, p->failed, "%s", p->msg);
    if (!p->failed && !p->window && p->text[0]) {
        snprintf(v->plot_text, sizeof v->plot_text, "%s", p->text);
        v->plot_open = 1;
    }
    return 1;
}

void plot_finish(Plot *p)
{
    if (p->running) {
        pthread_join(p->thread, NULL);
        p->running = 0;
    }
    pthread_mutex_destroy(&p->lock);
}
