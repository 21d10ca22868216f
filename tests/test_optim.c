/* test_optim: SGD, the virtual SGD step, gradient clipping, Adam and the
 * cosine schedule against values worked out by hand from PyTorch's formulas;
 * the sum of squares (clipping's norm, the finiteness checks) against a long
 * double sum. */
#include <math.h>

#include "dartboard/optim.h"
#include "tap.h"

static void test_cosine(void)
{
    /* lr_min + (lr - lr_min) (1 + cos(pi e / E)) / 2 with lr 0.025, lr_min 0.001, E 50 */
    ok(close_enough(optim_cosine_lr(0.025, 0.001, 0, 50), 0.025, 1e-12, 1e-12, "cos e=0"),
       "cosine: epoch 0 is lr");
    ok(close_enough(optim_cosine_lr(0.025, 0.001, 25, 50), 0.013, 1e-12, 1e-12, "cos e=25"),
       "cosine: half way is the mean");
    ok(close_enough(optim_cosine_lr(0.025, 0.001, 10, 50), 0.02270820393249937, 1e-12, 1e-12,
                    "cos e=10"),
       "cosine: epoch 10 = 0.001 + 0.012 (1 + cos(pi/5))");
    ok(close_enough(optim_cosine_lr(0.025, 0.001, 50, 50), 0.001, 1e-12, 1e-12, "cos e=50"),
       "cosine: the last epoch is lr_min");
    ok(optim_cosine_lr(0.025, 0.001, 70, 50) == optim_cosine_lr(0.025, 0.001, 50, 50),
       "cosine: past the end it stays at lr_min");
}

static void test_sgd(void)
{
    float w = 1.0f, g = 0.5f, buf = 123.0f;
    /* first step: d = 0.5 + 0.1 * 1 = 0.6; buf = d; w = 1 - 0.1 * 0.6 */
    optim_sgd_step(&w, &g, &buf, 1, 0.1, 0.9, 0.1, 0);
    ok(close_enough(buf, 0.6, 1e-6, 1e-9, "buf1") && close_enough(w, 0.94, 1e-6, 1e-9, "w1"),
       "sgd: first step takes buf = g + wd w (got w %.7f buf %.7f)", w, buf);
    /* second: d = 0.5 + 0.094 = 0.594; buf = 0.9 * 0.6 + 0.594 = 1.134; w = 0.94 - 0.1134 */
    optim_sgd_step(&w, &g, &buf, 1, 0.1, 0.9, 0.1, 1);
    ok(close_enough(buf, 1.134, 1e-6, 1e-9, "buf2") && close_enough(w, 0.8266, 1e-6, 1e-9, "w2"),
       "sgd: momentum step (got w %.7f buf %.7f)", w, buf);

    /* momentum 0: plain step, no buffer written */
    float w0 = 1.0f, b0 = 7.0f;
    optim_sgd_step(&w0, &g, &b0, 1, 0.1, 0.0, 0.1, 0);
    ok(close_enough(w0, 0.94, 1e-6, 1e-9, "w0") && b0 == 7.0f, "sgd: momentum 0 keeps no buffer");

    /* virtual step: w' = w - lr (g + wd w + mu buf) = 1 - 0.1 (0.5 + 0.1 + 0.9 * 1.134) */
    float wv = 1.0f, out;
    float bv = 1.134f;
    optim_sgd_virtual(&out, &wv, &g, &bv, 1, 0.1, 0.9, 0.1, 1);
    ok(close_enough(out, 0.83794, 1e-6, 1e-9, "virtual"), "virtual step with momentum (%.7f)", out);
    optim_sgd_virtual(&out, &wv, &g, &bv, 1, 0.1, 0.9, 0.1, 0);
    ok(close_enough(out, 0.94, 1e-6, 1e-9, "virtual0"), "virtual step before any buffer (%.7f)",
       out);
    optim_sgd_virtual(&wv, &wv, &g, &bv, 1, 0.1, 0.9, 0.1, 0);
    ok(close_enough(wv, 0.94, 1e-6, 1e-9, "virtual in place"), "virtual step in place");
}

static void test_clip(void)
{
    float g[2] = {3.0f, 4.0f};
    double n = optim_clip_grad_norm(g, 2, 10.0);
    ok(n == 5.0 && g[0] == 3.0f && g[1] == 4.0f, "clip: below the limit nothing changes");
    n = optim_clip_grad_norm(g, 2, 1.0);
    /* scale 1 / (5 + 1e-6): (0.59999988, 0.79999984) */
    ok(n == 5.0 && close_enough(g[0], 3.0 / (5.0 + 1e-6), 1e-7, 1e-9, "clip0") &&
           close_enough(g[1], 4.0 / (5.0 + 1e-6), 1e-7, 1e-9, "clip1"),
       "clip: scaled by max / (norm + 1e-6) (got %.8f %.8f)", g[0], g[1]);
    ok(g[0] < 0.6f, "clip: the 1e-6 keeps the clipped norm just below the limit");
    float bad[3] = {1.0f, NAN, 2.0f};
    n = optim_clip_grad_norm(bad, 3, 1.0);
    ok(!isfinite(n) && bad[0] == 1.0f && bad[2] == 2.0f,
       "clip: a NaN norm is reported, not applied");
    ok(close_enough(optim_norm(g, 2), 5.0 / (5.0 + 1e-6), 1e-6, 1e-9, "norm"), "norm");
}

/* optim_sum_squares: every length around its blocks of 8 and a long one,
 * against a long double sum; a NaN or inf anywhere, the tail included,
 * makes it not finite. */
static void test_sum_squares(void)
{
    enum { LONG = 1000003 };
    static float g[LONG];
    for (int i = 0; i < LONG; i++)
        g[i] = (float)((long)i * 7919 % 2003 - 1001) / 997.0f;
    const int lengths[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 64, 65, 1000, LONG};
    for (size_t t = 0; t < sizeof lengths / sizeof *lengths; t++) {
        const int n = lengths[t];
        long double want = 0.0L;
        for (int i = 0; i < n; i++)
            want += (long double)g[i] * g[i];
        const double got = optim_sum_squares(g, (size_t)n);
        ok(close_enough(got, (double)want, 1e-12, 0.0, "sum of squares"),
           "sum of squares of %d floats: %.17g against %.17Lg", n, got, want);
    }
    ok(optim_norm(g, 2) == sqrt((double)g[0] * g[0] + (double)g[1] * g[1]), "norm of two");
    for (int at = 0; at < 19; at += 6) { /* in a block of 8, and in the tail */
        float bad[19];
        for (int i = 0; i < 19; i++)
            bad[i] = 1.0f;
        bad[at] = at % 12 ? INFINITY : NAN;
        ok(!isfinite(optim_sum_squares(bad, 19)), "a %s at %d of 19: not finite",
           at % 12 ? "inf" : "NaN", at);
    }
}

static void test_adam(void)
{
    /* p 1, g 0.5, wd 0.1, lr 0.01, betas (0.5, 0.999), eps 1e-8.
     * t=1: g' = 0.6, m = 0.3, v = 0.00036, p -= 0.01 / 0.5 * 0.3 / (0.6 + 1e-8) -> 0.99
     * t=2: g' = 0.599, m = 0.4495, v = 0.000718441, p -> 0.98000278 */
    float p = 1.0f, g = 0.5f, m = 0.0f, v = 0.0f;
    optim_adam_step(&p, &g, &m, &v, 1, 1, 0.01, 0.5, 0.999, 1e-8, 0.1);
    ok(close_enough(m, 0.3, 1e-6, 1e-9, "m1") && close_enough(v, 0.00036, 1e-5, 1e-12, "v1") &&
           close_enough(p, 0.99, 1e-6, 1e-9, "p1"),
       "adam: first step moves by lr (p %.8f)", p);
    optim_adam_step(&p, &g, &m, &v, 1, 2, 0.01, 0.5, 0.999, 1e-8, 0.1);
    ok(close_enough(m, 0.4495, 1e-6, 1e-9, "m2") &&
           close_enough(v, 0.000718441, 1e-5, 1e-12, "v2") &&
           close_enough(p, 0.9800027797338844, 1e-6, 1e-9, "p2"),
       "adam: second step with bias correction (p %.8f)", p);
}

int main(void)
{
    test_cosine();
    test_sgd();
    test_clip();
    test_sum_squares();
    test_adam();
    return tap_done();
}
