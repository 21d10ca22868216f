/* test_kernels_torch: every kernel's forward and backward against the
 * PyTorch fixtures of tests/reference/make_kernel_fixtures.py (relative error
 * <= 1e-4, with an absolute floor of 1e-2 of the tensor's largest magnitude so
 * entries that cancel to almost zero are judged against the tensor's scale). */
#include "dartboard/activation.h"
#include "dartboard/batchnorm.h"
#include "dartboard/channel.h"
#include "dartboard/conv.h"
#include "dartboard/linear.h"
#include "dartboard/loss.h"
#include "dartboard/parallel.h"
#include "dartboard/pool.h"
#include "fixture.h"
#include "tap.h"

#define RTOL 1e-4

static Fixture *load(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/kernels/%s.fix", name);
    Fixture *f = fixture_load(tap_srcpath(rel));
    ok(f != NULL, "%s: fixture loads", name);
    return f;
}

static const float *T(const Fixture *f, const char *name)
{
    const float *p = fixture_floats(f, name, -1);
    if (!p) {
        fprintf(stderr, "missing tensor %s\n", name);
        exit(1);
    }
    return p;
}

static size_t count_of(const Fixture *f, const char *name)
{
    const FixtureTensor *t = fixture_get(f, name);
    return t ? t->count : 0;
}

static float *zeros(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        abort();
    return p;
}

/* got vs want: max over i of |got - want| / max(|want|, 1e-2 * max|want|). */
static void compare(const char *cname, const char *what, const float *got, const float *want,
                    size_t n)
{
    double mx = 0.0, worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        mx = fabs(want[i]) > mx ? fabs(want[i]) : mx;
    double floor_abs = mx > 0 ? 1e-2 * mx : 1e-30;
    for (size_t i = 0; i < n; i++) {
        double scale = fabs(want[i]) > floor_abs ? fabs(want[i]) : floor_abs;
        double e = fabs((double)got[i] - want[i]) / scale;
        if (e > worst || e != e) {
            worst = e;
            at = i;
        }
    }
    if (!ok(worst <= RTOL, "%s: %s matches PyTorch (max rel. error %.2g)", cname, what, worst))
        diag("  at %zu: got %.9g, want %.9g", at, got[at], want[at]);
}

static void test_conv(const char *name)
{
    Fixture *f = load(name);
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    ConvSpec s = {.c_in = sp[0],
                  .c_out = sp[1],
                  .kh = sp[2],
                  .kw = sp[2],
                  .stride = sp[3],
                  .pad = sp[4],
                  .dilation = sp[5],
                  .groups = sp[6]};
    int n = sp[7], h = sp[8], w = sp[9];
    size_t ny = count_of(f, "y"), nx = count_of(f, "x"), nw = count_of(f, "w");
    ok(nw == conv_weight_count(&s), "%s: weight count %zu", name, nw);
    float *y = zeros(ny), *gx = zeros(nx), *gw = zeros(nw);
    float *scratch = zeros(conv_scratch_floats(&s, n, h, w));
    conv2d_forward(&s, y, T(f, "x"), T(f, "w"), n, h, w, scratch);
    compare(name, "forward", y, T(f, "y"), ny);
    conv2d_backward(&s, gx, gw, T(f, "gy"), T(f, "x"), T(f, "w"), n, h, w, scratch);
    compare(name, "grad input", gx, T(f, "gx"), nx);
    compare(name, "grad weight", gw, T(f, "gw"), nw);
    free(y);
    free(gx);
    free(gw);
    free(scratch);
    fixture_free(f);
}

static void test_pool(const char *name, int avg)
{
    Fixture *f = load(name);
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    int s = sp[0], n = sp[1], c = sp[2], h = sp[3], w = sp[4];
    size_t ny = count_of(f, "y"), nx = count_of(f, "x");
    ok(ny == (size_t)n * c * pool3x3_out_size(h, s) * pool3x3_out_size(w, s), "%s: output size",
       name);
    float *y = zeros(ny), *gx = zeros(nx);
    if (avg) {
        avgpool3x3_forward(y, T(f, "x"), n, c, h, w, s);
        avgpool3x3_backward(gx, T(f, "gy"), n, c, h, w, s);
    } else {
        maxpool3x3_forward(y, T(f, "x"), n, c, h, w, s);
        maxpool3x3_backward(gx, T(f, "gy"), T(f, "x"), n, c, h, w, s);
    }
    compare(name, "forward", y, T(f, "y"), ny);
    compare(name, "grad input", gx, T(f, "gx"), nx);
    free(y);
    free(gx);
    fixture_free(f);
}

static void test_global_pool(void)
{
    Fixture *f = load("pool_global");
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    int n = sp[0], c = sp[1], hw = sp[2] * sp[3];
    float *y = zeros((size_t)n * c), *gx = zeros((size_t)n * c * hw);
    global_avgpool_forward(y, T(f, "x"), n, c, hw);
    global_avgpool_backward(gx, T(f, "gy"), n, c, hw);
    compare("pool_global", "forward", y, T(f, "y"), (size_t)n * c);
    compare("pool_global", "grad input", gx, T(f, "gx"), (size_t)n * c * hw);
    free(y);
    free(gx);
    fixture_free(f);
}

static void test_bn(const char *name)
{
    Fixture *f = load(name);
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    int affine = sp[0], n = sp[1], c = sp[2], hw = sp[3] * sp[4];
    size_t nx = (size_t)n * c * hw;
    const float *gamma = affine ? T(f, "gamma") : NULL, *beta = affine ? T(f, "beta") : NULL;
    float *y = zeros(nx), *gx = zeros(nx), *mean = zeros(c), *invstd = zeros(c);
    float *rm = zeros(c), *rv = zeros(c), *gg = zeros(c), *gb = zeros(c);
    memcpy(rm, T(f, "running_mean0"), c * sizeof *rm);
    memcpy(rv, T(f, "running_var0"), c * sizeof *rv);
    batchnorm_forward_train(y, mean, invstd, T(f, "x"), gamma, beta, rm, rv, n, c, hw, BN_MOMENTUM,
                            BN_EPS);
    compare(name, "train forward", y, T(f, "y"), nx);
    compare(name, "saved mean", mean, T(f, "save_mean"), c);
    compare(name, "saved inverse std", invstd, T(f, "save_invstd"), c);
    compare(name, "running mean update", rm, T(f, "running_mean1"), c);
    compare(name, "running var update (unbiased)", rv, T(f, "running_var1"), c);
    batchnorm_backward(gx, affine ? gg : NULL, affine ? gb : NULL, T(f, "gy"), T(f, "x"), mean,
                       invstd, gamma, n, c, hw);
    compare(name, "grad input", gx, T(f, "gx"), nx);
    if (affine) {
        compare(name, "grad gamma", gg, T(f, "ggamma"), c);
        compare(name, "grad beta", gb, T(f, "gbeta"), c);
    }
    batchnorm_forward_eval(y, T(f, "x"), gamma, beta, rm, rv, n, c, hw, BN_EPS);
    compare(name, "eval forward (running statistics)", y, T(f, "y_eval"), nx);
    /* the virtual step of second-order DARTS passes NULL running pointers */
    float *y2 = zeros(nx);
    batchnorm_forward_train(y2, mean, invstd, T(f, "x"), gamma, beta, NULL, NULL, n, c, hw,
                            BN_MOMENTUM, BN_EPS);
    compare(name, "train forward without running statistics", y2, T(f, "y"), nx);
    free(y2);
    free(y);
    free(gx);
    free(mean);
    free(invstd);
    free(rm);
    free(rv);
    free(gg);
    free(gb);
    fixture_free(f);
}

static void test_relu(void)
{
    Fixture *f = load("relu");
    if (!f)
        return;
    size_t n = count_of(f, "x");
    float *y = zeros(n), *gx = zeros(n);
    relu_forward(y, T(f, "x"), n);
    relu_backward(gx, T(f, "gy"), T(f, "x"), n);
    compare("relu", "forward", y, T(f, "y"), n);
    compare("relu", "grad input", gx, T(f, "gx"), n);
    free(y);
    free(gx);
    fixture_free(f);
}

static void test_linear(void)
{
    Fixture *f = load("linear");
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    int n = sp[0], i = sp[1], o = sp[2];
    float *y = zeros((size_t)n * o), *gx = zeros((size_t)n * i), *gw = zeros((size_t)o * i);
    float *gb = zeros(o);
    linear_forward(y, T(f, "x"), T(f, "w"), T(f, "b"), n, i, o);
    linear_backward(gx, gw, gb, T(f, "gy"), T(f, "x"), T(f, "w"), n, i, o);
    compare("linear", "forward", y, T(f, "y"), (size_t)n * o);
    compare("linear", "grad input", gx, T(f, "gx"), (size_t)n * i);
    compare("linear", "grad weight", gw, T(f, "gw"), (size_t)o * i);
    compare("linear", "grad bias", gb, T(f, "gb"), o);
    free(y);
    free(gx);
    free(gw);
    free(gb);
    fixture_free(f);
}

static void test_xent(void)
{
    Fixture *f = load("xent");
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    int n = sp[0], k = sp[1], correct = -1;
    float *probs = zeros((size_t)n * k), *g = zeros((size_t)n * k), *a = zeros(14 * 8);
    float loss =
        softmax_xent_forward(probs, T(f, "logits"), fixture_ints(f, "labels"), n, k, &correct);
    compare("xent", "loss", &loss, T(f, "loss"), 1);
    compare("xent", "probabilities", probs, T(f, "probs"), (size_t)n * k);
    ok(correct == fixture_ints(f, "correct")[0], "xent: accuracy count %d (PyTorch %d)", correct,
       fixture_ints(f, "correct")[0]);
    softmax_xent_backward(g, probs, fixture_ints(f, "labels"), n, k, 1.0f);
    compare("xent", "grad logits", g, T(f, "glogits"), (size_t)n * k);
    softmax_rows(a, T(f, "alphas"), 14, 8);
    compare("xent", "softmax_rows", a, T(f, "alphas_softmax"), 14 * 8);
    free(probs);
    free(g);
    free(a);
    fixture_free(f);
}

static void test_channel(void)
{
    Fixture *f = load("channel");
    if (!f)
        return;
    const int32_t *sp = fixture_ints(f, "spec");
    int n = sp[0], c1 = sp[1], c2 = sp[2], h = sp[3], w = sp[4], hw = h * w, ct = c1 + c2;
    float *cat = zeros((size_t)n * ct * hw), *ga = zeros((size_t)n * c1 * hw);
    float *gb = zeros((size_t)n * c2 * hw);
    channel_copy(cat, ct, 0, T(f, "a"), c1, 0, c1, n, hw);
    channel_copy(cat, ct, c1, T(f, "b"), c2, 0, c2, n, hw);
    compare("channel", "concat by channel_copy", cat, T(f, "cat"), (size_t)n * ct * hw);
    channel_accumulate(ga, c1, 0, T(f, "gcat"), ct, 0, c1, n, hw);
    channel_accumulate(gb, c2, 0, T(f, "gcat"), ct, c1, c2, n, hw);
    compare("channel", "concat backward (a)", ga, T(f, "ga"), (size_t)n * c1 * hw);
    compare("channel", "concat backward (b)", gb, T(f, "gb"), (size_t)n * c2 * hw);

    float *sh = zeros((size_t)n * c1 * (h - 1) * (w - 1)), *gx = zeros((size_t)n * c1 * hw);
    shift1_forward(sh, T(f, "x"), n, c1, h, w);
    shift1_backward(gx, T(f, "gshift"), n, c1, h, w);
    compare("channel", "shift1 forward", sh, T(f, "shift"), (size_t)n * c1 * (h - 1) * (w - 1));
    compare("channel", "shift1 backward", gx, T(f, "gx"), (size_t)n * c1 * hw);
    for (int off = 0; off < 2; off++) {
        char nm[16], gn[16], zn[16];
        snprintf(nm, sizeof nm, "sub%d", off);
        snprintf(gn, sizeof gn, "gsub%d", off);
        snprintf(zn, sizeof zn, "gz%d", off);
        size_t ns = count_of(f, nm);
        ok(ns == (size_t)n * c1 * ((h - off + 1) / 2) * ((w - off + 1) / 2),
           "channel: subsample2 off %d size", off);
        float *sub = zeros(ns), *gz = zeros((size_t)n * c1 * hw);
        subsample2_forward(sub, T(f, "x"), n, c1, h, w, off);
        subsample2_backward(gz, T(f, gn), n, c1, h, w, off);
        compare("channel", nm, sub, T(f, nm), ns);
        compare("channel", zn, gz, T(f, zn), (size_t)n * c1 * hw);
        free(sub);
        free(gz);
    }
    free(cat);
    free(ga);
    free(gb);
    free(sh);
    free(gx);
    fixture_free(f);
}

int main(void)
{
    static const char *convs[] = {
        "conv_dense3x3", "conv_dense3x3_s2d2", "conv_pw",       "conv_pw_s2",
        "conv_dw3d1_s1", "conv_dw3d1_s2",      "conv_dw5d1_s1", "conv_dw5d1_s2",
        "conv_dw3d2_s1", "conv_dw3d2_s2",      "conv_dw5d2_s1", "conv_dw5d2_s2",
        "conv_dw3_c16",  "conv_dw5d2_c16_s2",
    };
    parallel_set_threads(2);
    for (size_t i = 0; i < sizeof convs / sizeof *convs; i++)
        test_conv(convs[i]);
    test_pool("pool_max_s1", 0);
    test_pool("pool_max_s2", 0);
    test_pool("pool_max_s2_even", 0);
    test_pool("pool_avg_s1", 1);
    test_pool("pool_avg_s2", 1);
    test_pool("pool_avg_s2_even", 1);
    test_global_pool();
    test_bn("bn_affine");
    test_bn("bn_plain");
    test_relu();
    test_linear();
    test_xent();
    test_channel();
    return tap_done();
}
