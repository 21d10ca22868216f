/* test_session_resume: a hyperparameter changed through CMD_SET survives an
 * interruption. Run A: five single steps, CMD_SET optim.lr, then on to the
 * end. Run B: the same, but stopped soon after the change and resumed from
 * its run directory (config.yaml now holds the new lr). Both must write the
 * same metric rows (wall-clock column aside), alpha blocks and genotype.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dartboard/session.h"
#include "helpers.h"
#include "tap.h"

#define STEPS 16

static Snapshot snap;

/* Five single steps, then lr 0.02; `stop_early`: stop right after. */
static int drive(const Config *cfg, const char *dir, int stop_early)
{
    char err[1024];
    SessionOptions opt = {.out_dir = dir, .max_steps = STEPS, .start_paused = 1};
    Session *s = session_create(cfg, &opt, err, sizeof err);
    if (!s) {
        diag("%s", err);
        return -1;
    }
    session_start(s);
    int good = 1;
    for (int64_t i = 1; i <= 5 && good; i++) {
        test_send(s, CMD_STEP_ONCE, NULL, NULL);
        good = test_wait(s, &snap, test_step_at_least, &i);
    }
    session_snapshot(s, &snap);
    uint64_t msg = snap.message_seq;
    test_send(s, CMD_SET, "optim.lr", "0.02");
    good = good && test_wait(s, &snap, test_message_after, &msg) &&
           strstr(snap.message, "0.02") != NULL;
    test_send(s, CMD_RESUME, NULL, NULL);
    if (stop_early) {
        const int64_t seven = 7;
        test_wait(s, &snap, test_step_at_least, &seven);
        test_send(s, CMD_STOP, NULL, NULL);
    }
    int status = session_join(s);
    session_snapshot(s, &snap);
    session_free(s);
    if (!good || status != 0)
        diag("%s: status %d, message '%s'", dir, status, snap.message);
    return good && status == 0 ? 0 : -1;
}

/* The file's text; with mask_seconds, without metrics.csv's wall-clock
 * column (the eighth). */
static char *slurp(const char *path, int mask_seconds)
{
    char *text = test_read_file(path, NULL);
    if (!text || !mask_seconds)
        return text;
    char *out = text;
    int commas = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            commas = 0;
        else if (*p == ',')
            commas++;
        if (commas >= 7 && *p != '\n')
            continue;
        *out++ = *p;
    }
    *out = '\0';
    return text;
}

static int same_file(const char *name, int mask)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "test_session_resume_a.run/%s", name);
    snprintf(b, sizeof b, "test_session_resume_b.run/%s", name);
    char *x = slurp(a, mask), *y = slurp(b, mask);
    int same = x && y && strcmp(x, y) == 0;
    if (!same)
        diag("%s and %s differ", a, b);
    free(x);
    free(y);
    return same;
}

int main(void)
{
    char err[1024];
    Config cfg;
    test_preset(&cfg, "run.report_every=2", "run.threads=1", NULL);
    if (test_remove_tree("test_session_resume_a.run") != 0 ||
        test_remove_tree("test_session_resume_b.run") != 0)
        return 99;

    int a = drive(&cfg, "test_session_resume_a.run", 0);
    ok(a == 0 && snap.step == STEPS, "run A: five steps, lr changed, on to step %d", STEPS);
    int b = drive(&cfg, "test_session_resume_b.run", 1);
    ok(b == 0 && snap.step < STEPS, "run B: the same, stopped at step %lld", (long long)snap.step);

    Config resumed;
    config_defaults(&resumed);
    ok(config_load_file(&resumed, "test_session_resume_b.run/config.yaml", err, sizeof err) == 0 &&
           resumed.optim.lr == 0.02,
       "run B's config.yaml holds the new lr");
    SessionOptions opt = {.resume_dir = "test_session_resume_b.run", .max_steps = STEPS};
    int status = test_session_run(&resumed, &opt, &snap, err, sizeof err);
    ok(status != -2, "resume run B (%s)", status != -2 ? "ok" : err);
    ok(status == 0, "resumed run B finishes");
    ok(same_file("metrics.csv", 1), "metrics.csv identical (seconds masked)");
    ok(same_file("alphas.csv", 0), "alphas.csv identical");
    ok(same_file("genotype.py", 0), "genotype.py identical");
    ok(same_file("changes.log", 0), "changes.log identical");
    return tap_done();
}
