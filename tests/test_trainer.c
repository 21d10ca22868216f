/* test_trainer: training a derived cell from scratch (src/train/trainer.c)
 * on small synthetic images (1x28x28, so the auxiliary head after cell 2 of
 * 3 sees 7x7), with drop-path, cutout, augmentation and the head on:
 * - the same seed gives the same bits; a saved state resumed mid-run gives
 *   the bits of the uninterrupted run;
 * - a step allocates nothing (malloc, calloc and realloc interposed, as
 *   tests/test_search_noalloc.c);
 * - a non-finite loss returns -1 and leaves the state as it was;
 * - a genotype whose node count is not model.nodes, or a state of another
 *   network, is refused with a message naming what differs.
 */
#define _GNU_SOURCE
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/config.h"
#include "dartboard/cutout.h"
#include "dartboard/trainer.h"
#include "tap.h"

#ifndef __SANITIZE_ADDRESS__
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static volatile int counting;
static volatile long allocations;

void *malloc(size_t n)
{
    if (counting)
        allocations++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (counting)
        allocations++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (counting)
        allocations++;
    return __libc_realloc(p, n);
}
#endif

static Dataset train, test;

static void base_config(Config *c)
{
    config_defaults(c);
    snprintf(c->data.set, sizeof c->data.set, "synthetic");
    c->data.synthetic_size = 64;
    c->data.synthetic_image = 28;
    c->data.synthetic_channels = 1;
    c->data.classes = 4;
    c->data.batch_size = 8;
    c->data.augment = 1;
    c->model.init_channels = 4;
    c->model.layers = 3;
    c->model.nodes = 4;
    c->model.stem_multiplier = 3;
    c->optim.lr = 0.05;
    c->optim.lr_min = 0.0;
    c->train.drop_path = 0.3;
    c->train.auxiliary = 1;
    c->train.aux_weight = 0.4;
    c->train.cutout = 8;
    c->run.epochs = 4;
    c->run.seed = 5;
}

static Trainer *make(const Config *c)
{
    char err[512];
    Genotype g;
    genotype_published("DARTS_V2", &g);
    Trainer *t = trainer_create(c, &g, &train, &test, err, sizeof err);
    if (!t)
        diag("trainer_create: %s", err);
    return t;
}

/* The state as bytes (free it). */
static char *state_of(const Trainer *t, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    int rc = trainer_save_state(t, f);
    fclose(f);
    if (rc != 0 || *len != trainer_state_bytes(t)) {
        diag("save: rc %d, %zu bytes, trainer_state_bytes %zu", rc, *len, trainer_state_bytes(t));
        free(buf);
        return NULL;
    }
    return buf;
}

static int load_from(Trainer *t, const char *buf, size_t len, char *err, size_t errlen)
{
    FILE *f = fmemopen((void *)buf, len, "rb");
    int rc = trainer_load_state(t, f, err, errlen);
    fclose(f);
    return rc;
}

static int steps(Trainer *t, const Config *c, int count)
{
    char err[256];
    for (int k = 0; k < count; k++)
        if (trainer_step(t, c, NULL, err, sizeof err) != 0) {
            diag("step: %s", err);
            return -1;
        }
    return 0;
}

static void test_determinism_and_resume(void)
{
    Config c;
    base_config(&c);
    Trainer *a = make(&c), *b = make(&c), *r = make(&c);
    if (!a || !b || !r) {
        ok(0, "trainers built");
        return;
    }
    int spe = trainer_steps_per_epoch(a);
    ok(spe == 8 && trainer_epoch(a) == 0 && trainer_step_count(a) == 0,
       "64 images, batch 8: %d steps per epoch, epoch 0, step 0", spe);
    TrainStats st;
    char err[256];
    int rc = trainer_step(a, &c, &st, err, sizeof err);
    ok(rc == 0 && st.new_epoch && st.batch == 8 && st.drop_path == 0.0f && st.aux_loss > 0.0f &&
           isfinite(st.loss) && st.lr == 0.05f && st.grad_norm > 0.0f,
       "first step: new epoch, lr 0.05, drop-path 0 in epoch 0, both losses (%.4f, %.4f)", st.loss,
       st.aux_loss);
    rc = steps(a, &c, 2 * spe - 1);
    trainer_step(a, &c, &st, err, sizeof err);
    ok(rc == 0 && st.new_epoch && fabsf(st.drop_path - 0.3f * 2 / 4) < 1e-6f &&
           fabsf(st.lr - (float)(0.05 * (1 + cos(M_PI * 2 / 4)) / 2)) < 1e-7f &&
           trainer_epoch(a) == 2,
       "epoch 2: drop-path %.3f = 0.3 * 2/4, cosine lr %.5f", st.drop_path, st.lr);

    steps(b, &c, 2 * spe + 1);
    size_t la, lb;
    char *sa = state_of(a, &la), *sb = state_of(b, &lb);
    ok(sa && sb && la == lb && memcmp(sa, sb, la) == 0,
       "same seed: the same state bits after %d steps (%zu bytes)", 2 * spe + 1, la);

    /* resume: r loads b's state after 5 steps and both go on */
    free(sb);
    Trainer *b2 = make(&c);
    steps(b2, &c, 5);
    sb = state_of(b2, &lb);
    rc = sb ? load_from(r, sb, lb, err, sizeof err) : -1;
    ok(rc == 0 && trainer_step_count(r) == 5, "a state saved at step 5 loads (step %lld)",
       (long long)trainer_step_count(r));
    steps(r, &c, 2 * spe + 1 - 5);
    free(sb);
    sb = state_of(r, &lb);
    ok(sa && sb && la == lb && memcmp(sa, sb, la) == 0,
       "resumed at step 5: the bits of the uninterrupted run at step %d", 2 * spe + 1);

    TestResult tr;
    trainer_test(a, 12, &tr);
    ok(tr.samples == 12 && tr.classes == 4 && isfinite(tr.loss) && tr.acc >= 0 && tr.acc <= 100,
       "test on 12 images: loss %.4f, accuracy %.1f%%", tr.loss, tr.acc);
    free(sa);
    free(sb);
    trainer_free(a);
    trainer_free(b);
    trainer_free(b2);
    trainer_free(r);
}

static void test_noalloc(void)
{
#ifdef __SANITIZE_ADDRESS__
    ok(1, "# SKIP AddressSanitizer owns malloc");
#else
    Config c;
    base_config(&c);
    c.run.epochs = 1;
    Trainer *t = make(&c);
    if (!t) {
        ok(0, "trainer built");
        return;
    }
    int rc = steps(t, &c, 2); /* warm-up: the OpenMP runtime settles */
    TestResult tr;
    trainer_test(t, 12, &tr);
    counting = 1;
    allocations = 0;
    rc |= steps(t, &c, 3);
    trainer_test(t, 12, &tr);
    counting = 0;
    ok(rc == 0 && allocations == 0, "3 steps and a test pass: %ld allocations", allocations);
    trainer_free(t);
#endif
}

static void test_refusals(void)
{
    Config c;
    base_config(&c);
    char err[512] = "";
    Genotype g;
    genotype_published("DARTS_V2", &g);
    c.model.nodes = 3;
    Trainer *t = trainer_create(&c, &g, &train, &test, err, sizeof err);
    ok(!t && strstr(err, "4 nodes") && strstr(err, "model.nodes is 3"),
       "a 4-node genotype with model.nodes 3 is refused: %s", err);
    trainer_free(t);

    base_config(&c);
    Trainer *a = make(&c);
    c.model.init_channels = 6;
    Trainer *b = make(&c);
    size_t len;
    char *s = a ? state_of(a, &len) : NULL;
    int rc = s && b ? load_from(b, s, len, err, sizeof err) : 0;
    ok(rc == -1 && strstr(err, "init_channels is 4"), "a state of another network is refused: %s",
       err);
    trainer_free(b);

    /* a NaN classifier bias makes the loss NaN; a NaN stem weight only the
     * gradient (every path from the stem opens with a ReLU, which maps NaN
     * to 0): either way the step fails and nothing moves */
    base_config(&c);
    const size_t weights_at = 8 + 4 + 12 * 8 + 8 + 4;
    struct {
        const char *what;
        size_t weight;
    } cases[] = {{"the loss", trainer_param_count(a, 1) - 1}, {"the gradient", 0}};
    for (int k = 0; k < 2; k++) {
        char *bad = malloc(len);
        memcpy(bad, s, len);
        memcpy(bad + weights_at + 4 * cases[k].weight, &(float){NAN}, 4);
        rc = load_from(a, bad, len, err, sizeof err);
        size_t l2, l3;
        char *before = state_of(a, &l2);
        TrainStats st;
        int step_rc = trainer_step(a, &c, &st, err, sizeof err);
        char *after = state_of(a, &l3);
        ok(rc == 0 && step_rc == -1 && strstr(err, cases[k].what) && strstr(err, "not finite") &&
               before && after && l2 == l3 && memcmp(before, after, l2) == 0 &&
               trainer_step_count(a) == 0,
           "a NaN weight %zu: -1 (%s), the state unchanged", cases[k].weight, err);
        free(before);
        free(after);
        free(bad);
    }
    free(s);
    trainer_free(a);
}

/* cutout_apply: the square of the reference's cutout(), clipped at the
 * border, zero in every channel, nothing else touched. */
static void test_cutout(void)
{
    enum { N = 40, C = 2, H = 9, W = 7, L = 4 };
    static float x[N * C * H * W];
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        x[i] = 1.0f;
    Rng rng, replay;
    rng_seed(&rng, 9);
    replay = rng;
    cutout_apply(x, N, C, H, W, L, &rng);
    int good = 1, clipped = 0;
    for (int i = 0; i < N; i++) {
        int cy = (int)rng_below(&replay, H), cx = (int)rng_below(&replay, W);
        int y0 = cy - L / 2 < 0 ? 0 : cy - L / 2, y1 = cy + L / 2 > H ? H : cy + L / 2;
        int x0 = cx - L / 2 < 0 ? 0 : cx - L / 2, x1 = cx + L / 2 > W ? W : cx + L / 2;
        clipped += (y1 - y0) * (x1 - x0) < L * L;
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) {
                    int inside = y >= y0 && y < y1 && xx >= x0 && xx < x1;
                    good &= x[((i * C + c) * H + y) * W + xx] == (inside ? 0.0f : 1.0f);
                }
    }
    ok(good && clipped > 0 && clipped < N,
       "cutout: a %dx%d square at a random centre, clipped at the border (%d of %d clipped), "
       "zero in every channel",
       L, L, clipped, N);
    Rng before = rng;
    cutout_apply(x, N, C, H, W, 0, &rng);
    ok(memcmp(&before, &rng, sizeof rng) == 0, "cutout of side 0 draws nothing");
}

int main(void)
{
    test_cutout();
    Config c;
    char err[512];
    base_config(&c);
    if (dataset_load(&train, &c, DATA_TRAIN, err, sizeof err) != 0 ||
        dataset_load(&test, &c, DATA_TEST, err, sizeof err) != 0) {
        printf("Bail out! synthetic data: %s\n", err);
        return 99;
    }
    test_determinism_and_resume();
    test_noalloc();
    test_refusals();
    dataset_free(&train);
    dataset_free(&test);
    return tap_done();
}
