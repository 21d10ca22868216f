/* plots: the `dumb` terminal rendering for the UI (text of the requested
 * size with the curves' key), and clear errors for a missing gnuplot, a
 * directory without metrics and a bad size. Needs $GNUPLOT (else skipped);
 * works on a copy of the fixture run directory in the build tree. */
#include "dartboard/plots.h"
#include "helpers.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int main(void)
{
    const char *gp = getenv("GNUPLOT");
    if (!gp || !*gp)
        skip_all("gnuplot not installed (Debian package gnuplot-nox)");
    const char *run = "test_plots.run";
    if (test_fresh_dir(run) != 0)
        return 99;
    int copied =
        copy_file(tap_srcpath("tests/fixtures/rundir/metrics.csv"), "test_plots.run/metrics.csv");
    copied |=
        copy_file(tap_srcpath("tests/fixtures/rundir/alphas.csv"), "test_plots.run/alphas.csv");
    ok(copied == 0, "fixture run directory copied");

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
    return tap_done();
}
