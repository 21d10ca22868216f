/* test_session_corrupt: a checkpoint whose CRC is right but whose content is
 * not is refused on resume, with the file named, and nothing is written.
 *
 * Runs the `test` preset to a checkpoint, then rewrites it (a valid
 * container: fresh CRC) with one field of the session's extra block out of
 * range at a time (tail-row flag, running time, learning rate, accumulators,
 * the previous report's genotype), or the search payload's magic or sampler
 * damaged. Each resume ends in ERROR, status 1, "DIR/checkpoint.bin: ..." in
 * the message, and leaves checkpoint.bin and metrics.csv as they were.
 * Byte flips anywhere in the extra block never crash: each is refused or
 * resumes (a plausible value, such as another running time, is legal).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/checkpoint.h"
#include "dartboard/le.h"
#include "dartboard/session.h"
#include "helpers.h"
#include "tap.h"

#define RUN_DIR "test_session_corrupt.run"
#define CKPT RUN_DIR "/checkpoint.bin"

/* The extra block (session.c): i32 version, i32 tail_row, f64 elapsed,
 * f64 last_lr, f64 train_loss, f64 val_loss, i64 train_correct,
 * i64 val_correct, i64 images, i64 batches, i32 nodes, then per slot
 * (normal op, normal input, reduce op, reduce input) x 16, concat lists. */
#define X_TAIL 4
#define X_ELAPSED 8
#define X_LR 16
#define X_TRAIN_LOSS 24
#define X_TRAIN_CORRECT 40
#define X_IMAGES 56
#define X_BATCHES 64
#define X_NODES 72
#define X_OP0 76
#define X_INPUT0 80

static unsigned char *extra, *body;
static size_t extra_len, body_len;
static int64_t step;
static uint64_t fingerprint;

static int write_body(const void *ctx, FILE *f)
{
    (void)ctx;
    return fwrite(body, 1, body_len, f) == body_len ? 0 : -1;
}

/* Writes the checkpoint from (x, b), resumes it, and checks the refusal. */
static void expect_refused(const Config *cfg, const unsigned char *x, const unsigned char *b,
                           const char *what, const char *why)
{
    char err[1024];
    unsigned char *saved_body = body;
    body = (unsigned char *)b;
    int rc =
        checkpoint_save(CKPT, fingerprint, step, x, extra_len, write_body, NULL, err, sizeof err);
    body = saved_body;
    if (rc != 0) {
        ok(0, "%s: checkpoint written (%s)", what, err);
        return;
    }
    size_t ck_len, m_len, ck2_len, m2_len;
    char *ck = test_read_file(CKPT, &ck_len), *m = test_read_file(RUN_DIR "/metrics.csv", &m_len);
    SessionOptions opt = {.resume_dir = RUN_DIR, .max_steps = step + 2};
    static Snapshot snap;
    int status = test_session_run(cfg, &opt, &snap, err, sizeof err);
    char *ck2 = test_read_file(CKPT, &ck2_len),
         *m2 = test_read_file(RUN_DIR "/metrics.csv", &m2_len);
    int unchanged = ck2 && m2 && ck2_len == ck_len && m2_len == m_len &&
                    memcmp(ck, ck2, ck_len) == 0 && memcmp(m, m2, m_len) == 0;
    ok(status == 1 && snap.state == SESSION_ERROR &&
           strncmp(snap.message, CKPT ": ", strlen(CKPT) + 2) == 0 && strstr(snap.message, why) &&
           unchanged,
       "%s: refused, file named, nothing written (status %d: %s)", what, status,
       status == -2 ? err : snap.message);
    free(ck);
    free(m);
    free(ck2);
    free(m2);
}

static void set_i32(unsigned char *x, size_t at, int32_t v)
{
    le_put_u32(x + at, (uint32_t)v);
}

static void set_i64(unsigned char *x, size_t at, int64_t v)
{
    le_put_u64(x + at, (uint64_t)v);
}

static void set_f64(unsigned char *x, size_t at, double v)
{
    le_put_f64(x + at, v);
}

int main(void)
{
    char err[1024];
    Config cfg;
    test_preset(&cfg, "run.report_every=2", "run.threads=1", NULL);
    test_remove_tree(RUN_DIR);
    SessionOptions opt = {.out_dir = RUN_DIR, .max_steps = 4};
    static Snapshot snap;
    ok(test_session_run(&cfg, &opt, &snap, err, sizeof err) == 0, "a good run to step 4 (%s)",
       snap.message);

    fingerprint = checkpoint_fingerprint(&cfg);
    Checkpoint c;
    int rc = checkpoint_read(&c, CKPT, fingerprint, SIZE_MAX, err, sizeof err);
    ok(rc == 0 && c.extra_len > X_INPUT0 + 4, "its checkpoint reads (%s)", rc ? err : "ok");
    if (rc != 0)
        return tap_done();
    step = c.step;
    extra_len = c.extra_len;
    body_len = c.body_len;
    extra = malloc(extra_len);
    body = malloc(body_len);
    memcpy(extra, c.extra, extra_len);
    memcpy(body, c.body, body_len);
    checkpoint_release(&c);
    ok(le_get_u32(extra + X_NODES) == (uint32_t)cfg.model.nodes,
       "the extra block has the layout this test knows (nodes at byte %d)", X_NODES);

    unsigned char *x = malloc(extra_len);
#define MUTATE(what, why, edit)                                                                    \
    do {                                                                                           \
        memcpy(x, extra, extra_len);                                                               \
        edit;                                                                                      \
        expect_refused(&cfg, x, body, what, why);                                                  \
    } while (0)
    MUTATE("tail-row flag 7", "tail-row flag", set_i32(x, X_TAIL, 7));
    MUTATE("running time -1 s", "running time", set_f64(x, X_ELAPSED, -1.0));
    MUTATE("running time NaN", "running time", set_f64(x, X_ELAPSED, NAN));
    MUTATE("learning rate +inf", "learning rate", set_f64(x, X_LR, INFINITY));
    MUTATE("train loss sum NaN", "accumulators", set_f64(x, X_TRAIN_LOSS, NAN));
    MUTATE("-1 batches", "accumulators", set_i64(x, X_BATCHES, -1));
    MUTATE("more correct than images", "accumulators",
           (set_i64(x, X_IMAGES, 10), set_i64(x, X_BATCHES, 1), set_i64(x, X_TRAIN_CORRECT, 11)));
    MUTATE("genotype of 7 nodes", "genotype", set_i32(x, X_NODES, 7));
    MUTATE("genotype op 99", "genotype", set_i32(x, X_OP0, 99));
    MUTATE("genotype op none", "genotype", set_i32(x, X_OP0, 0));
    MUTATE("genotype input from a later node", "genotype", set_i32(x, X_INPUT0, 5));
    MUTATE("unknown version", "version", set_i32(x, 0, 3));

    unsigned char *b = malloc(body_len);
    memcpy(b, body, body_len);
    b[0] ^= 0x20;
    expect_refused(&cfg, extra, b, "search payload magic", "not a search state");
    free(b);

    /* Byte flips anywhere in the block: never a crash; each one is either
     * refused with the file named or resumes. */
    srand(11);
    int flips = 101, handled = 0, refused = 0;
    for (int i = 0; i < flips; i++) {
        memcpy(x, extra, extra_len);
        x[(size_t)rand() % extra_len] ^= (unsigned char)(1u << (rand() % 8));
        if (checkpoint_save(CKPT, fingerprint, step, x, extra_len, write_body, NULL, err,
                            sizeof err) != 0)
            break;
        SessionOptions again = {.resume_dir = RUN_DIR, .max_steps = step};
        int status = test_session_run(&cfg, &again, &snap, err, sizeof err);
        if (status == 1 && strncmp(snap.message, CKPT ": ", strlen(CKPT) + 2) == 0)
            refused++, handled++;
        else if (status == 0)
            handled++;
    }
    ok(handled == flips,
       "%d random bit flips of the block: %d refused with the file named, %d "
       "resumed, none crashed or failed otherwise",
       flips, refused, handled - refused);
    free(x);
    free(extra);
    free(body);
    return tap_done();
}
