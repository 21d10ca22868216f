/* plot: gnuplot as a polled child process (see plot.h). */
#include "ui/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void plot_init(Plot *p)
{
    memset(p, 0, sizeof *p);
}

static int temp_file(char *path, size_t len, const char *what)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/dartboard-%s-XXXXXX", dir && *dir ? dir : "/tmp", what);
    int fd = mkstemp(path);
    if (fd < 0)
        path[0] = 0;
    return fd;
}

static void remove_temps(Plot *p)
{
    char *paths[3] = {p->script, p->text, p->errors};
    for (int i = 0; i < 3; i++)
        if (paths[i][0]) {
            unlink(paths[i]);
            paths[i][0] = 0;
        }
}

/* The two panels (loss, accuracy) of metrics.csv. */
static void write_plots(FILE *f, const char *csv)
{
    fprintf(f, "set title 'loss'\n"
               "plot '%s' using 1:4 skip 1 with lines title 'train', "
               "'' using 1:6 skip 1 with lines title 'val'\n",
            csv);
    fprintf(f, "set title 'accuracy'\n"
               "plot '%s' using 1:($5*100) skip 1 with lines title 'train', "
               "'' using 1:($7*100) skip 1 with lines title 'val'\n",
            csv);
}

static int write_script(Plot *p, FILE *f, const char *csv, int rows, int cols)
{
    fprintf(f, "set datafile separator ','\nset xlabel 'step'\nset key top right\n");
    if (p->window) {
        fprintf(f, "set multiplot layout 2,1 title 'dartboard'\n");
        write_plots(f, csv);
        fprintf(f, "unset multiplot\n");
        return 0;
    }
    static const char *const terms[][2] = {{"svg size 1000,700", "svg"},
                                           {"pngcairo size 1000,700", "png"},
                                           {"pdfcairo size 10in,7in", "pdf"}};
    for (int i = 0; i < 3; i++) {
        fprintf(f, "set terminal %s\nset output '%s/metrics.%s'\n", terms[i][0], p->out_dir,
                terms[i][1]);
        fprintf(f, "set multiplot layout 2,1 title 'dartboard'\n");
        write_plots(f, csv);
        fprintf(f, "unset multiplot\nset output\n");
    }
    int w = cols - 6 < 40 ? 40 : cols - 6, h = rows - 4 < 20 ? 20 : rows - 4;
    fprintf(f, "set terminal dumb size %d,%d\nset output '%s'\nunset xlabel\n", w, h, p->text);
    fprintf(f, "set multiplot layout 2,1\n");
    write_plots(f, csv);
    fprintf(f, "unset multiplot\nset output\n");
    return 0;
}

void plot_start(Plot *p, const char *run_dir, int rows, int cols, UiView *v)
{
    char csv[600];
    if (p->pid > 0) {
        view_message(v, 0, "gnuplot is still drawing");
        return;
    }
    if (strpbrk(run_dir, "'\n")) {
        view_message(v, 1, "gnuplot: the run directory name has a quote or newline");
        return;
    }
    snprintf(csv, sizeof csv, "%s/metrics.csv", run_dir);
    if (access(csv, R_OK) != 0) {
        view_message(v, 1, "gnuplot: no %s yet (wait for the first report)", csv);
        return;
    }
    const char *display = getenv("DISPLAY");
    p->window = display && *display;
    snprintf(p->out_dir, sizeof p->out_dir, "%s/plots", run_dir);
    if (!p->window && mkdir(p->out_dir, 0777) != 0 && errno != EEXIST) {
        view_message(v, 1, "gnuplot: cannot create %s: %s", p->out_dir, strerror(errno));
        return;
    }
    int sfd = temp_file(p->script, sizeof p->script, "plot");
    int tfd = temp_file(p->text, sizeof p->text, "dumb");
    int efd = temp_file(p->errors, sizeof p->errors, "gnuplot-err");
    FILE *f = sfd >= 0 ? fdopen(sfd, "w") : NULL;
    if (tfd >= 0)
        close(tfd);
    if (efd >= 0)
        close(efd);
    if (!f || tfd < 0 || efd < 0) {
        if (f)
            fclose(f);
        else if (sfd >= 0)
            close(sfd);
        remove_temps(p);
        view_message(v, 1, "gnuplot: cannot create a temporary file: %s", strerror(errno));
        return;
    }
    write_script(p, f, csv, rows, cols);
    fclose(f);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, p->errors, O_WRONLY | O_TRUNC, 0);
    char *argv_window[] = {"gnuplot", "-persist", p->script, NULL};
    char *argv_files[] = {"gnuplot", p->script, NULL};
    int rc = posix_spawnp(&p->pid, "gnuplot", &fa, NULL, p->window ? argv_window : argv_files,
                          environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        p->pid = 0;
        remove_temps(p);
        view_message(v, 1, "gnuplot: cannot run it (%s); install gnuplot-nox", strerror(rc));
        return;
    }
    view_message(v, 0, "gnuplot: plotting %s", csv);
}

/* The first line gnuplot wrote to stderr, for the message line. */
static void first_error(const Plot *p, char *buf, size_t len)
{
    FILE *f = fopen(p->errors, "r");
    buf[0] = 0;
    if (f) {
        if (fgets(buf, (int)len, f))
            buf[strcspn(buf, "\n")] = 0;
        fclose(f);
    }
}

int plot_poll(Plot *p, UiView *v)
{
    int status;
    if (p->pid <= 0 || waitpid(p->pid, &status, WNOHANG) != p->pid)
        return 0;
    p->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char err[200];
        first_error(p, err, sizeof err);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            view_message(v, 1, "gnuplot not found; install gnuplot-nox");
        else
            view_message(v, 1, "gnuplot failed: %s", err[0] ? err : "no message");
    } else if (p->window) {
        view_message(v, 0, "gnuplot: window opened");
    } else {
        FILE *f = fopen(p->text, "r");
        size_t n = f ? fread(v->plot_text, 1, sizeof v->plot_text - 1, f) : 0;
        if (f)
            fclose(f);
        v->plot_text[n] = 0;
        /* dumb starts with a form feed; the dialog wants plain lines. */
        for (size_t i = 0; i < n; i++)
            if (v->plot_text[i] == '\f')
                v->plot_text[i] = ' ';
        v->plot_open = n > 0;
        view_message(v, 0, "gnuplot: wrote %s/metrics.{svg,png,pdf}", p->out_dir);
    }
    remove_temps(p);
    return 1;
}

void plot_finish(Plot *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
    remove_temps(p);
}
