/* test_ui_batch: ui_run() end to end on a real session, without tmux.
 *
 * The `test` preset runs in the worker; ui_run draws into a file standing in
 * for the terminal (TERM=xterm-256color, 80x24) and reads keys from a pipe
 * that a feeder thread fills the way a user types: once the search runs,
 * pause, one step, resume, the panels and toggles, help, the editor (lr_min
 * to 0.0123, then an invalid value), checkpoint, then q, n (stays), q, y.
 * Checks: exit status 0, the checkpoint and the change reached the run
 * directory, the screen showed the panels. tests/test_ui_tsan.sh builds this
 * same program with ThreadSanitizer.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/config.h"
#include "dartboard/session.h"
#include "dartboard/ui.h"
#include "helpers.h"
#include "tap.h"

#define RUN_DIR "test_ui_batch.run"
#define SCREEN_FILE "test_ui_batch.screen"

typedef struct Feeder {
    Session *s;
    int fd;      /* write end of the key pipe */
    int running; /* the search was seen RUNNING */
    int changed; /* the lr_min change was seen in a snapshot */
} Feeder;

static void type(Feeder *f, const char *keys)
{
    for (const char *k = keys; *k; k++) {
        if (write(f->fd, k, 1) != 1)
            return;
        test_nap(30);
    }
}

static void wait_state(Session *s, Snapshot *snap, SessionState want)
{
    test_wait(s, snap, test_is_state, &want);
}

static int running_from_step_2(const Snapshot *snap, const void *arg)
{
    (void)arg;
    return snap->state == SESSION_RUNNING && snap->step >= 2;
}

static int lr_min_changed(const Snapshot *snap, const void *arg)
{
    (void)arg;
    return snap->config.optim.lr_min == 0.0123;
}

static void *feed(void *arg)
{
    Feeder *f = arg;
    Snapshot *snap = malloc(sizeof *snap);
    test_wait(f->s, snap, running_from_step_2, NULL);
    f->running = snap->state == SESSION_RUNNING;
    /* Each state is waited for, so a slow (sanitized) worker sees the same keys. */
    type(f, " ");
    wait_state(f->s, snap, SESSION_PAUSED);
    test_nap(300); /* at least one frame shows PAUSED */
    type(f, "n");
    test_nap(300);
    type(f, " ");
    wait_state(f->s, snap, SESSION_RUNNING);
    type(f, "\tv2341?x");
    type(f, "ej\r\0250.0123\r");
    f->changed = test_wait(f->s, snap, lr_min_changed, NULL);
    type(f, "\r\025-1\r\033");
    test_nap(200);
    type(f, "sqnqy");
    free(snap);
    close(f->fd);
    return NULL;
}

int main(void)
{
    char err[1024];
    Config cfg;
    test_preset(&cfg, "run.epochs=1000", "run.report_every=1", "run.checkpoint_every=0", NULL);
    if (test_remove_tree(RUN_DIR) != 0)
        diag("could not clear " RUN_DIR);
    SessionOptions so = {.out_dir = RUN_DIR, .linger = 1};
    Session *s = session_create(&cfg, &so, err, sizeof err);
    if (!ok(s != NULL, "session created") || !ok(session_start(s) == 0, "session started")) {
        diag("%s", err);
        return tap_done();
    }

    int keys[2];
    if (pipe(keys) != 0)
        return 99;
    Feeder f = {s, keys[1], 0, 0};
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    int screen = open(SCREEN_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    fflush(stdout);
    dup2(keys[0], STDIN_FILENO);
    close(keys[0]);
    dup2(screen, STDOUT_FILENO);
    close(screen);
    setenv("TERM", "xterm-256color", 1);
    setenv("LINES", "24", 1);
    setenv("COLUMNS", "80", 1);
    unsetenv("NO_COLOR");

    pthread_t feeder;
    pthread_create(&feeder, NULL, feed, &f);
    UiOptions u = {.ascii = 1, .no_color = 0, .batch_frames = 100000};
    double t0 = test_now();
    int status = ui_run(s, &u);
    double took = test_now() - t0;
    pthread_join(feeder, NULL);
    fflush(stdout);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_in, STDIN_FILENO);

    ok(f.running, "the search reached RUNNING");
    ok(status == 0, "ui_run returns 0 after q y (got %d, %.1f s)", status, took);
    ok(f.changed, "the editor's lr_min reached the worker");
    struct stat st;
    ok(stat(RUN_DIR "/checkpoint.bin", &st) == 0 && st.st_size > 0, "quit wrote checkpoint.bin");
    ok(test_file_has(RUN_DIR "/changes.log", "optim.lr_min"), "changes.log records the edit");
    ok(test_file_has(SCREEN_FILE, "RUNNING") && test_file_has(SCREEN_FILE, "PAUSED"),
       "the screen showed RUNNING and PAUSED");
    ok(test_file_has(SCREEN_FILE, "n3<-n2") && test_file_has(SCREEN_FILE, "reduce"),
       "the screen showed the heatmaps");
    ok(test_file_has(SCREEN_FILE, "edit hyperparameters") &&
           test_file_has(SCREEN_FILE, "refused: "),
       "the editor opened and refused -1");
    ok(test_file_has(SCREEN_FILE, "Quit? (y/n)"), "q asked before quitting");
    session_free(s);
    /* Leave the evidence only when something failed (distcheck wants a clean tree). */
    if (tap_failed == 0) {
        unlink(SCREEN_FILE);
        if (test_remove_tree(RUN_DIR) != 0)
            diag("could not remove " RUN_DIR);
    }
    return tap_done();
}
