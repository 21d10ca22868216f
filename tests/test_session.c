/* test_session: a Session driven through its command queue, as the UI does.
 *
 * Starts the `test` preset paused, then: the step counter stays still while
 * paused, one CMD_STEP_ONCE runs exactly one step, CMD_SET applies a valid
 * value (snapshot, changes.log, config.yaml) and refuses an invalid or a
 * non-live one without changing anything, resume/pause move and stop the
 * counter, CMD_CHECKPOINT writes checkpoint.bin, CMD_STOP checkpoints and
 * the join returns 0. Every wait polls against a deadline. Then a training
 * run of `train-test` (DARTS_V2): its progress points between the epoch
 * rows say how much of their epoch is done, which the UI's curves place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dartboard/checkpoint.h"
#include "dartboard/genotype.h"
#include "dartboard/session.h"
#include "helpers.h"
#include "tap.h"

#define RUN_DIR "test_session.run"
#define TRAIN_DIR "test_session_train.run"

static Snapshot snap;

static int wait_for(Session *s, TestCond cond, const void *arg)
{
    return test_wait(s, &snap, cond, arg);
}

/* Sends CMD_SET and waits for the worker's answer in the message line. */
static int set_and_wait(Session *s, const char *key, const char *value)
{
    session_snapshot(s, &snap);
    uint64_t before = snap.message_seq;
    test_send(s, CMD_SET, key, value);
    return wait_for(s, test_message_after, &before);
}

/* The text of a run directory's file, kept until the next call. */
static const char *run_file(const char *name)
{
    static char *text;
    char path[256];
    free(text);
    snprintf(path, sizeof path, RUN_DIR "/%s", name);
    text = test_read_file(path, NULL);
    return text;
}

static int count_lines(const char *name)
{
    const char *t = run_file(name);
    int n = 0;
    for (const char *p = t; p && *p; p++)
        n += *p == '\n';
    return t ? n : -1;
}

/* train-test: 16 steps an epoch, a point every 4 steps but at an epoch's
 * end; all 9 of the run's points stay in the ring (SNAPSHOT_PROGRESS). */
static void check_training_progress(void)
{
    char err[1024];
    Config cfg;
    Genotype g;
    config_defaults(&cfg);
    if (config_load_preset(&cfg, "train-test", err, sizeof err) != 0 ||
        genotype_published("DARTS_V2", &g) != 0 || test_remove_tree(TRAIN_DIR) != 0) {
        ok(0, "train-test and DARTS_V2 (%s)", err);
        return;
    }
    SessionOptions opt = {.out_dir = TRAIN_DIR, .genotype = &g};
    Session *s = session_create(&cfg, &opt, err, sizeof err);
    if (!ok(s != NULL && session_start(s) == 0, "a training session starts (%s)", s ? "ok" : err))
        return;
    ok(session_join(s) == 0, "and trains its 3 epochs");
    session_snapshot(s, &snap);
    const int64_t spe = snap.total_steps / snap.epochs;
    int good = snap.training && spe == 16 && snap.progress_total == 9;
    for (int64_t k = 1; good && k <= snap.progress_total; k++) {
        const TrainProgress *p = &snap.progress[k % SNAPSHOT_PROGRESS];
        good = p->step % spe != 0 && p->epoch == p->step / spe &&
               p->epoch_done == (float)(p->step % spe) / (float)spe;
        if (!good)
            diag("point %lld: step %lld epoch %d done %g", (long long)k, (long long)p->step,
                 p->epoch, (double)p->epoch_done);
    }
    ok(good, "its %lld progress points: the part of their epoch done (steps per epoch %lld)",
       (long long)snap.progress_total, (long long)spe);
    session_free(s);
    test_remove_tree(TRAIN_DIR);
}

int main(void)
{
    char err[1024];
    Config cfg;
    /* Long enough that it never ends by itself during the test. */
    test_preset(&cfg, "run.epochs=50", "run.report_every=2", "run.threads=1", NULL);
    if (test_remove_tree(RUN_DIR) != 0)
        return 99;

    SessionOptions opt = {.out_dir = RUN_DIR, .start_paused = 1};
    Session *s = session_create(&cfg, &opt, err, sizeof err);
    ok(s != NULL, "session_create (%s)", s ? "ok" : err);
    if (!s)
        return tap_done();
    ok(session_start(s) == 0, "session_start");

    SessionState paused = SESSION_PAUSED, running = SESSION_RUNNING;
    ok(wait_for(s, test_is_state, &paused), "starts PAUSED with start_paused");
    uint64_t seq0 = snap.seq;
    ok(snap.step == 0 && snap.total_steps > 0, "step 0 of %lld", (long long)snap.total_steps);
    Checkpoint c;
    int rc = checkpoint_read(&c, RUN_DIR "/checkpoint.bin", checkpoint_fingerprint(&cfg), SIZE_MAX,
                             err, sizeof err);
    ok(rc == 0 && c.step == 0,
       "a new run is resumable before its first step: checkpoint of step 0 "
       "(%s)",
       rc ? err : "ok");
    if (rc == 0)
        checkpoint_release(&c);
    ok(access(RUN_DIR "/lock", F_OK) == 0, "the run directory is locked while the session lives");
    SessionOptions again = {.resume_dir = RUN_DIR};
    Session *second = session_create(&cfg, &again, err, sizeof err);
    ok(second == NULL && strstr(err, "in use by another dartboard"),
       "a second session on the same run is refused: %s", second ? "(created)" : err);
    session_free(second);
    test_nap(300);
    session_snapshot(s, &snap);
    ok(snap.step == 0, "paused: the step counter stays at 0");
    ok(strcmp(session_state_names[snap.state], "PAUSED") == 0, "state name PAUSED");

    test_send(s, CMD_STEP_ONCE, NULL, NULL);
    int64_t one = 1;
    ok(wait_for(s, test_step_at_least, &one), "CMD_STEP_ONCE runs a step");
    test_nap(300);
    session_snapshot(s, &snap);
    ok(snap.step == 1 && snap.state == SESSION_PAUSED, "exactly one step, still paused");
    ok(snap.seq > seq0, "seq grows with publishes");
    ok(isfinite(snap.step_train_loss) && snap.step_train_loss > 0, "per-step train loss %g",
       snap.step_train_loss);
    float sum = 0;
    for (int o = 0; o < OP_COUNT; o++)
        sum += snap.alpha_normal[0][o];
    ok(fabsf(sum - 1.0f) < 1e-4f, "alphas in the snapshot are softmaxed (edge 0 sums to %g)", sum);
    ok(snap.genotype.nodes == cfg.model.nodes && snap.edges == genotype_edge_count(cfg.model.nodes),
       "genotype and edge count follow model.nodes");

    /* A valid change: applied, logged, written to config.yaml. */
    char old_lr[64];
    config_get(&cfg, "optim.lr", old_lr, sizeof old_lr);
    ok(set_and_wait(s, "optim.lr", "0.0123"), "CMD_SET optim.lr answers");
    ok(strstr(snap.message, "optim.lr") && strstr(snap.message, "0.0123"),
       "message reports the change: %s", snap.message);
    ok(fabs(snap.config.optim.lr - 0.0123) < 1e-12, "snapshot config has the new lr");
    char want[256];
    snprintf(want, sizeof want, "step 1: optim.lr %s -> 0.0123\n", old_lr);
    const char *log = run_file("changes.log");
    ok(log && strcmp(log, want) == 0, "changes.log: '%s' (want '%s')", log ? log : "(missing)",
       want);
    Config back;
    config_defaults(&back);
    ok(config_load_file(&back, RUN_DIR "/config.yaml", err, sizeof err) == 0 &&
           fabs(back.optim.lr - 0.0123) < 1e-12,
       "config.yaml holds the new lr");

    /* Invalid values and shape keys change nothing. */
    ok(set_and_wait(s, "optim.lr", "-5"), "CMD_SET optim.lr=-5 answers");
    ok(strstr(snap.message, "refused") != NULL, "refused with a reason: %s", snap.message);
    ok(fabs(snap.config.optim.lr - 0.0123) < 1e-12, "lr unchanged after the refusal");
    ok(set_and_wait(s, "optim.lrx", "0.1"), "CMD_SET of an unknown key answers");
    ok(strstr(snap.message, "refused") != NULL, "unknown key refused: %s", snap.message);
    ok(set_and_wait(s, "model.layers", "3"), "CMD_SET model.layers answers");
    ok(strstr(snap.message, "cannot change") != NULL &&
           snap.config.model.layers == cfg.model.layers,
       "a shape key is refused while running: %s", snap.message);
    ok(count_lines("changes.log") == 1, "changes.log still has one line");
    ok(config_load_file(&back, RUN_DIR "/config.yaml", err, sizeof err) == 0 &&
           fabs(back.optim.lr - 0.0123) < 1e-12 && back.model.layers == cfg.model.layers,
       "config.yaml unchanged by refusals");
    ok(snap.step == 1, "no steps ran while paused");

    /* Resume: the counter moves; pause: it stops. */
    test_send(s, CMD_RESUME, NULL, NULL);
    int64_t three = 3;
    int moved = wait_for(s, test_step_at_least, &three);
    ok(moved, "running again after CMD_RESUME (step %lld)", (long long)snap.step);
    ok(snap.state == SESSION_RUNNING || wait_for(s, test_is_state, &running), "state RUNNING");
    ok(snap.n_rows >= 1 && snap.rows[snap.n_rows - 1].step % 2 == 0,
       "metric rows arrive every report_every steps");
    ok(snap.rows_total >= 1 && fabsf(snap.rows[0].lr - 0.0123f) < 1e-6f,
       "the next metric row uses the new lr (%g)", snap.n_rows ? snap.rows[0].lr : -1.0f);
    test_send(s, CMD_TOGGLE_PAUSE, NULL, NULL);
    ok(wait_for(s, test_is_state, &paused), "CMD_TOGGLE_PAUSE pauses");
    int64_t held = snap.step;
    test_nap(400);
    session_snapshot(s, &snap);
    ok(snap.step == held, "paused again: step stays at %lld", (long long)held);

    uint64_t before = snap.message_seq;
    test_send(s, CMD_CHECKPOINT, NULL, NULL);
    ok(wait_for(s, test_message_after, &before) && strstr(snap.message, "checkpoint written"),
       "CMD_CHECKPOINT: %s", snap.message);
    ok(access(RUN_DIR "/checkpoint.bin", F_OK) == 0, "checkpoint.bin exists");

    before = snap.message_seq;
    test_send(s, CMD_EXPORT, NULL, NULL);
    ok(wait_for(s, test_message_after, &before) && strstr(snap.message, "wrote"), "CMD_EXPORT: %s",
       snap.message);
    ok(access(RUN_DIR "/genotype.yaml", F_OK) == 0 &&
           access(RUN_DIR "/cell_normal.dot", F_OK) == 0 &&
           access(RUN_DIR "/cell_reduce.svg", F_OK) == 0,
       "export wrote the genotype and the cell diagrams into the run directory");
    const char *py = run_file("genotype.py");
    ok(py && strncmp(py, "Genotype(normal=[", 17) == 0,
       "genotype.py holds the official Genotype line after the export");

    unlink(RUN_DIR "/checkpoint.bin");
    test_send(s, CMD_STOP, NULL, NULL);
    ok(session_join(s) == 0, "CMD_STOP: join returns 0");
    session_snapshot(s, &snap);
    ok(snap.state == SESSION_DONE, "state DONE after stop");
    rc = checkpoint_read(&c, RUN_DIR "/checkpoint.bin", checkpoint_fingerprint(&cfg), SIZE_MAX, err,
                         sizeof err);
    ok(rc == 0 && c.step == held, "stop wrote a valid checkpoint at step %lld (%s)",
       (long long)held, rc ? err : "ok");
    if (rc == 0)
        checkpoint_release(&c);
    ok(system("ls -A " RUN_DIR " | grep -q 'tmp'") != 0, "no temporary file left");
    session_free(s);
    ok(access(RUN_DIR "/lock", F_OK) != 0, "the lock file goes with the session");

    /* A second session may not write over the run. */
    s = session_create(&cfg, &opt, err, sizeof err);
    ok(s == NULL && strstr(err, "already holds a run"), "an existing run is not overwritten: %s",
       s ? "(created)" : err);
    session_free(s);
    check_training_progress();
    return tap_done();
}
