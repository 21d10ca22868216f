/* plots: the `dumb` terminal rendering for the UI (text of the requested
 * size with the curves' key), and clear errors for a missing gnuplot, a
 * directory without metrics and a bad size. Run directories with hostile
 * names (quotes, backquotes, $(...), backslash, ';', '#', a leading '|',
 * '<', '~' or '-') give figures and a window script gnuplot runs, and no
 * command hidden in the name runs; a control character is refused with
 * the directory named. A failing gnuplot leaves the old figures and no
 * temporaries. Needs $GNUPLOT (else skipped); works on copies of the
 * fixture run directory in the build tree. */
#include "dartboard/plots.h"
#include "dartboard/tool.h"
#include "helpers.h"
#include "tap.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CANARY "test_plots.canary"

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    if (!in || !out) {
        if (in)
            fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out);
}

/* A run directory with the fixture's metrics.csv (and alphas.csv). */
static int make_run(const char *dir, int alphas)
{
    char to[PATH_MAX];
    test_remove_tree(dir);
    if (mkdir(dir, 0777) != 0)
        return -1;
    snprintf(to, sizeof to, "%s/metrics.csv", dir);
    int rc = copy_file(tap_srcpath("tests/fixtures/rundir/metrics.csv"), to);
    snprintf(to, sizeof to, "%s/alphas.csv", dir);
    if (alphas)
        rc |= copy_file(tap_srcpath("tests/fixtures/rundir/alphas.csv"), to);
    return rc;
}

static int exists(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
           lstat(path, &st) == 0;
}

/* A canary a command in a name would have touched: gnuplot runs in
 * RUN/plots, the test in the build directory. */
static int canary_anywhere(const char *run)
{
    char plots[PATH_MAX];
    snprintf(plots, sizeof plots, "%s/plots", run);
    return exists(".", CANARY) || exists(run, CANARY) || exists(plots, CANARY);
}

/* Temporaries (".NAME.tmp-XXXXXX") left in dir. */
static int temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] == '.' && strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_quote(void)
{
    char out[64], msg[512] = "";
    ok(plots_gnuplot_string(out, sizeof out, "it's `x` $(y) \\ ;#", msg, sizeof msg) == 0 &&
           strcmp(out, "'it''s `x` $(y) \\ ;#'") == 0,
       "quoted: only the quote doubled: %s", out);
    ok(plots_gnuplot_string(out, sizeof out, "a\nb\tc\x7f", msg, sizeof msg) == -1 &&
           strstr(msg, "'a\\nb\\tc\\x7f': a control character (byte 2)"),
       "control characters refused, shown escaped: %s", msg);
    ok(plots_gnuplot_string(out, 8, "abcdefgh", msg, sizeof msg) == -1 && strstr(msg, "too long"),
       "a string too long for the buffer: %s", msg);
}

/* Every name gives figures, a text plot and a window script that gnuplot
 * runs, and nothing in it runs as a command. */
static void test_hostile_names(void)
{
    static const char *const names[] = {
        "test_plots.q'uote",
        "test_plots.d\"quote",
        "test_plots.`touch " CANARY "`",
        "test_plots.$(touch " CANARY ")",
        "test_plots.back\\slash",
        "test_plots.semi;touch " CANARY,
        "test_plots.hash#mark",
        "|touch " CANARY,
        "<touch " CANARY,
        "~test_plots.tilde",
        "-test_plots.dash",
    };
    static char buf[1 << 16];
    char msg[1024] = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *run = names[i];
        char plots[PATH_MAX], png[PATH_MAX];
        snprintf(plots, sizeof plots, "%s/plots", run);
        snprintf(png, sizeof png, "%s/plots/accuracy.png", run);
        if (make_run(run, i == 2) != 0) {
            ok(0, "%s: run directory made", run);
            continue;
        }
        int rc = plots_write(run, "png", msg, sizeof msg);
        ok(rc == 0 && file_size(png) > 0, "%s: figures (%s)", run, msg);
        rc = plots_dumb(run, 60, 20, buf, sizeof buf, msg, sizeof msg);
        ok(rc == 0 && strstr(buf, "validation"), "%s: text plot (%s)", run, msg);
        /* No window terminal here: the script is written, gnuplot says so. */
        setenv("GNUTERM", "unknown", 1);
        rc = plots_window(run, msg, sizeof msg);
        ok(rc == 1 && exists(plots, "window.gp"), "%s: window script, no window (%d %s)", run, rc,
           msg);
        /* ...and it runs whole on a terminal that draws. */
        setenv("GNUTERM", "svg", 1);
        const char *argv[] = {"gnuplot", "window.gp", NULL};
        char svg[PATH_MAX + 16];
        snprintf(svg, sizeof svg, "%s/window.svg", run);
        rc = tool_run(argv, plots, svg, NULL, msg, sizeof msg);
        ok(rc == 0 && file_size(svg) > 1000, "%s: window.gp runs (%s)", run, rc ? msg : "ok");
        unsetenv("GNUTERM");
        ok(!canary_anywhere(run), "%s: nothing in the name ran", run);
        ok(temporaries(plots) == 0, "%s: no temporaries left", run);
        test_remove_tree(run);
        remove(CANARY);
    }

    /* A newline ends a gnuplot command: the window script, the one script
     * that names the directory, refuses it. The figures never name it. */
    const char *run = "test_plots.new\nline`touch " CANARY "`";
    make_run(run, 0);
    int rc = plots_window(run, msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "run directory 'test_plots.new\\nline`touch " CANARY "`': a control "
                               "character (byte 15) cannot go into a gnuplot script"),
       "a newline in the name is refused, the directory named: %s", msg);
    ok(!exists(run, "plots/window.gp"), "...and no window script written");
    rc = plots_write(run, "svg", msg, sizeof msg);
    ok(rc == 0 && !canary_anywhere(run), "the figures of that directory are made (%s)", msg);
    test_remove_tree(run);
    remove(CANARY);
}

/* A fake gnuplot in PATH: `exit 1`, or success without drawing. */
static void fake_gnuplot(const char *bin, const char *body)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gnuplot", bin);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "#!/bin/sh\n%s\n", body);
        fclose(f);
    }
    chmod(path, 0755);
}

/* gnuplot failing halfway: the figures of before stay, no temporary stays. */
static void test_failing_gnuplot(const char *run)
{
    char cwd[PATH_MAX], bin[PATH_MAX + 32], path[2 * PATH_MAX + 64], msg[1024] = "";
    if (!getcwd(cwd, sizeof cwd))
        return;
    snprintf(bin, sizeof bin, "%s/test_plots.bin", cwd);
    mkdir(bin, 0777);
    long before = file_size("test_plots.run/plots/loss.png");
    const char *saved_path = getenv("PATH");
    char *saved = saved_path ? strdup(saved_path) : NULL;
    snprintf(path, sizeof path, "%s:%s", bin, saved ? saved : "/usr/bin:/bin");
    setenv("PATH", path, 1);

    fake_gnuplot(bin, "for a; do :; done; echo 'line 9: broken' >&2; exit 1");
    int rc = plots_write(run, "png", msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "gnuplot failed (exit status 1): line 9: broken"),
       "a failing gnuplot is reported: %s", msg);
    ok(before > 0 && file_size("test_plots.run/plots/loss.png") == before &&
           temporaries("test_plots.run/plots") == 0,
       "...the old figure is untouched and no temporary is left");

    fake_gnuplot(bin, "exit 0");
    rc = plots_write(run, "png", msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "plots/loss.png: gnuplot wrote nothing"),
       "a gnuplot that draws nothing is an error: %s", msg);
    ok(file_size("test_plots.run/plots/loss.png") == before &&
           temporaries("test_plots.run/plots") == 0,
       "...the old figure is untouched and no temporary is left");

    if (saved) {
        setenv("PATH", saved, 1);
        free(saved);
    }
    test_remove_tree(bin);
}

int main(void)
{
    const char *gp = getenv("GNUPLOT");
    if (!gp || !*gp)
        skip_all("gnuplot not installed (Debian package gnuplot-nox)");
    const char *run = "test_plots.run";
    ok(make_run(run, 1) == 0, "fixture run directory copied");

    static char buf[1 << 16];
    char msg[512] = "";
    int rc = plots_dumb(run, 80, 24, buf, sizeof buf, msg, sizeof msg);
    ok(rc == 0, "dumb plot renders (%s)", msg);
    int lines = 0, widest = 0, w = 0;
    for (const char *p = buf; *p; p++) {
        if (*p == '\n') {
            lines++;
            widest = w > widest ? w : widest;
            w = 0;
        } else {
            w++;
        }
    }
    ok(lines >= 22 && lines <= 25 && widest <= 80, "80x24 text (%d lines, widest %d)", lines,
       widest);
    ok(strstr(buf, "train") && strstr(buf, "validation"), "the key names both curves");
    ok(strchr(buf, '\f') == NULL, "no form feed left in the text");

    rc = plots_dumb(run, 10, 5, buf, sizeof buf, msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "too small"), "a tiny size is refused: %s", msg);
    rc = plots_dumb("test_plots.nowhere", 80, 24, buf, sizeof buf, msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "test_plots.nowhere/metrics.csv"), "a missing run is named: %s",
       msg);

    rc = plots_write(run, "png", msg, sizeof msg);
    struct stat st;
    ok(rc == 0 && stat("test_plots.run/plots/heatmap_reduce.png", &st) == 0 && st.st_size > 0,
       "plots_write with one format: %s", msg);
    rc = plots_write(run, "gif", msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "unknown figure format 'gif'"), "unknown figure format: %s", msg);

    test_failing_gnuplot(run);

    const char *path = getenv("PATH");
    char *saved = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1);
    rc = plots_write(run, NULL, msg, sizeof msg);
    ok(rc == -1 && strstr(msg, "gnuplot-nox"), "no gnuplot: names the package: %s", msg);
    if (saved) {
        setenv("PATH", saved, 1);
        free(saved);
    }
    test_remove_tree(run);

    test_quote();
    test_hostile_names();
    return tap_done();
}
