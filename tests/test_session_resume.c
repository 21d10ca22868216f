/* test_session_resume: a hyperparameter changed through CMD_SET survives an
 * interruption. Run A: five single steps, CMD_SET optim.lr, then on to the
 * end. Run B: the same, but stopped soon after the change and resumed from
 * its run directory (config.yaml now holds the new lr). Both must write the
 * same metric rows (wall-clock column aside), alpha blocks and genotype.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dartboard/session.h"
#include "tap.h"

#define STEPS 16
#define DEADLINE_S 60.0

static Snapshot snap;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void send(Session *s, CommandKind kind, const char *key, const char *value)
{
    Command c = {.kind = kind};
    if (key)
        snprintf(c.key, sizeof c.key, "%s", key);
    if (value)
        snprintf(c.value, sizeof c.value, "%s", value);
    session_command(s, &c);
}

/* Waits until the snapshot says step >= n, or with `for_message`, until a
 * message newer than msg arrives. */
static int wait_until(Session *s, int64_t n, int for_message, uint64_t msg)
{
    double until = now() + DEADLINE_S;
    do {
        session_snapshot(s, &snap);
        if (for_message ? snap.message_seq > msg : snap.step >= n)
            return 1;
        nap(5);
    } while (now() < until);
    return 0;
}

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
    for (int i = 1; i <= 5 && good; i++) {
        send(s, CMD_STEP_ONCE, NULL, NULL);
        good = wait_until(s, i, 0, 0);
    }
    session_snapshot(s, &snap);
    uint64_t msg = snap.message_seq;
    send(s, CMD_SET, "optim.lr", "0.02");
    good = good && wait_until(s, 0, 1, msg) && strstr(snap.message, "0.02") != NULL;
    send(s, CMD_RESUME, NULL, NULL);
    if (stop_early) {
        wait_until(s, 7, 0, 0);
        send(s, CMD_STOP, NULL, NULL);
    }
    int status = session_join(s);
    session_snapshot(s, &snap);
    session_free(s);
    if (!good || status != 0)
        diag("%s: status %d, message '%s'", dir, status, snap.message);
    return good && status == 0 ? 0 : -1;
}

static char *slurp(const char *path, int mask_seconds)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    int c, commas = 0;
    while ((c = fgetc(f)) != EOF && n + 1 < cap) {
        if (c == '\n')
            commas = 0;
        else if (c == ',')
            commas++;
        if (mask_seconds && commas >= 7 && c != '\n')
            continue; /* the wall-clock column */
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
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
    config_defaults(&cfg);
    if (config_load_preset(&cfg, "test", err, sizeof err) != 0) {
        printf("not ok 1 - load the test preset: %s\n1..1\n", err);
        return 1;
    }
    config_set(&cfg, "run.report_every", "2", err, sizeof err);
    config_set(&cfg, "run.threads", "1", err, sizeof err);
    if (system("rm -rf test_session_resume_a.run test_session_resume_b.run") != 0)
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
    Session *s = session_create(&resumed, &opt, err, sizeof err);
    ok(s != NULL, "resume run B (%s)", s ? "ok" : err);
    if (s) {
        session_start(s);
        ok(session_join(s) == 0, "resumed run B finishes");
        session_free(s);
    }
    ok(same_file("metrics.csv", 1), "metrics.csv identical (seconds masked)");
    ok(same_file("alphas.csv", 0), "alphas.csv identical");
    ok(same_file("genotype.py", 0), "genotype.py identical");
    ok(same_file("changes.log", 0), "changes.log identical");
    return tap_done();
}
