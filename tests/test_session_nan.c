/* test_session_nan: a loss that stops being finite stops the search.
 *
 * Runs the `test` preset to a checkpoint, then rewrites that checkpoint with
 * every weight set to NaN (a valid container: fresh CRC) and resumes it.
 * The first step's loss is NaN: the session ends in ERROR with a message,
 * session_join returns 1, and checkpoint.bin is left exactly as it was (the
 * last good one is never overwritten by a broken state).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/checkpoint.h"
#include "dartboard/session.h"
#include "helpers.h"
#include "tap.h"

#define RUN_DIR "test_session_nan.run"
#define CKPT RUN_DIR "/checkpoint.bin"
/* search_save_state's payload: "DBSEARCH", u32 version, 13 x i64 shape (the
 * weight count is shape[8]), i64 step, i32 epoch, i32 has_mom, i64 adam_t,
 * then the weights. */
#define PAYLOAD_SHAPE 12
#define PAYLOAD_WEIGHTS (8 + 4 + 13 * 8 + 8 + 4 + 4 + 8)

static unsigned char *body_copy;
static size_t body_len;

static int write_copy(const void *ctx, FILE *f)
{
    (void)ctx;
    return fwrite(body_copy, 1, body_len, f) == body_len ? 0 : -1;
}

int main(void)
{
    char err[1024];
    Config cfg;
    test_preset(&cfg, "run.report_every=2", "run.threads=1", NULL);
    if (test_remove_tree(RUN_DIR) != 0)
        return 99;
    static Snapshot snap;
    SessionOptions opt = {.out_dir = RUN_DIR, .max_steps = 4};
    ok(test_session_run(&cfg, &opt, &snap, err, sizeof err) == 0 && snap.step == 4,
       "a good run to step 4");

    uint64_t fp = checkpoint_fingerprint(&cfg);
    Checkpoint c;
    int rc = checkpoint_read(&c, CKPT, fp, SIZE_MAX, err, sizeof err);
    ok(rc == 0, "its checkpoint reads (%s)", rc ? err : "ok");
    if (rc != 0)
        return tap_done();
    int64_t nw = 0;
    if (c.body_len > PAYLOAD_WEIGHTS && memcmp(c.body, "DBSEARCH", 8) == 0)
        memcpy(&nw, c.body + PAYLOAD_SHAPE + 8 * 8, sizeof nw);
    ok(nw > 0 && PAYLOAD_WEIGHTS + (size_t)nw * sizeof(float) <= c.body_len,
       "the search payload has the expected layout (%lld weights)", (long long)nw);
    if (!(nw > 0 && PAYLOAD_WEIGHTS + (size_t)nw * sizeof(float) <= c.body_len))
        return tap_done();
    body_len = c.body_len;
    body_copy = malloc(body_len);
    memcpy(body_copy, c.body, body_len);
    float nan = NAN;
    for (int64_t i = 0; i < nw; i++)
        memcpy(body_copy + PAYLOAD_WEIGHTS + (size_t)i * sizeof(float), &nan, sizeof nan);
    ok(checkpoint_save(CKPT, fp, c.step, c.extra, c.extra_len, write_copy, NULL, err, sizeof err) ==
           0,
       "checkpoint rewritten with NaN weights");
    checkpoint_release(&c);
    size_t before_len, after_len, metrics_after_len;
    unsigned char *before = (unsigned char *)test_read_file(CKPT, &before_len);

    SessionOptions again = {.resume_dir = RUN_DIR, .max_steps = 8};
    int status = test_session_run(&cfg, &again, &snap, err, sizeof err);
    ok(status == 1, "the resumed search fails with status 1 (got %d)", status);
    ok(snap.state == SESSION_ERROR, "state ERROR (%s)", session_state_names[snap.state]);
    ok((strstr(snap.message, "nan") || strstr(snap.message, "not finite")) &&
           strstr(snap.message, "step 5") && strstr(snap.message, "checkpoint"),
       "the message names the step and the cause: %s", snap.message);
    ok(snap.step == 4, "no step counted past the bad one");
    unsigned char *after = (unsigned char *)test_read_file(CKPT, &after_len);
    ok(after && after_len == before_len && memcmp(after, before, before_len) == 0,
       "checkpoint.bin untouched (the last checkpoint is kept)");
    /* (The resume may rewrite step 4's end-of-run row as the ordinary
     * report row an uninterrupted run has there; nothing may come after.) */
    unsigned char *metrics_after =
        (unsigned char *)test_read_file(RUN_DIR "/metrics.csv", &metrics_after_len);
    const char *last = NULL;
    for (size_t i = 0; metrics_after && i + 1 < metrics_after_len; i++)
        if (metrics_after[i] == '\n')
            last = (const char *)metrics_after + i + 1;
    ok(last && strncmp(last, "4,", 2) == 0, "no metric row after the last good step");
    free(before);
    free(after);
    free(metrics_after);
    free(body_copy);
    return tap_done();
}
