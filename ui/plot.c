/* plot: gnuplot in a helper thread (see plot.h). */
#include "ui/plot.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/plots.h"

void plot_init(Plot *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
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
    char window_msg[sizeof p->msg - 16];
    int rc;
    if (!p->window) {
        rc = plot_files(p, "");
    } else if ((rc = plots_window(p->run_dir, window_msg, sizeof window_msg)) == 1) {
        p->window = 0;
        rc = plot_files(p, "no window terminal (gnuplot-qt or gnuplot-x11 has one); ");
    } else {
        snprintf(p->msg, sizeof p->msg, "gnuplot: %s", window_msg);
    }
    p->failed = rc != 0;
    pthread_mutex_lock(&p->lock);
    p->done = 1;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int plot_nothing_yet(const Snapshot *s, char *msg, size_t len)
{
    if (s->rows_total > 0)
        return 0;
    if (s->training && s->epochs > 0) /* a recurrent cell's epochs vary: an estimate */
        snprintf(msg, len, "g plots finished epochs: the first ends at %sstep %lld",
                 s->recurrent ? "about " : "", (long long)(s->total_steps / s->epochs));
    else
        snprintf(msg, len, "g plots the reports: the first comes at step %d",
                 s->config.run.report_every);
    return 1;
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
