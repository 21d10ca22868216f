/* test_search: the search engine's behaviour on the synthetic set.
 *
 * Resume bit-identity through the state payload, refusal of a foreign or
 * damaged payload, rollback of a diverging step, the lr schedule and epochs,
 * live changes of arch.order, evaluation without side effects, the derived
 * genotype, determinism, and that a tiny supernet actually learns.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/optim.h"
#include "dartboard/parallel.h"
#include "dartboard/search.h"
#include "tap.h"

static Dataset data;

#include "tiny_search.h"

/* The whole state as bytes (a payload in a temporary file). */
static char *state_bytes(const Search *s, long *len)
{
    FILE *f = tmpfile();
    if (!f || search_save_state(s, f) != 0)
        exit(99);
    *len = ftell(f);
    char *buf = malloc((size_t)*len);
    rewind(f);
    if (fread(buf, 1, (size_t)*len, f) != (size_t)*len)
        exit(99);
    fclose(f);
    return buf;
}

static int same_state(const Search *a, const Search *b)
{
    long la, lb;
    char *sa = state_bytes(a, &la), *sb = state_bytes(b, &lb);
    int same = la == lb && memcmp(sa, sb, (size_t)la) == 0;
    free(sa);
    free(sb);
    return same;
}

static void test_resume(int order)
{
    char err[512];
    Config c;
    base_config(&c);
    c.arch.order = order;
    const int n = 14, k = 5; /* 6 steps per epoch: the run crosses two epoch boundaries */
    Search *straight = make(&c);
    StepStats st_straight, st_resumed;
    ok(run(straight, &c, n, &st_straight) == 0, "order %d: %d steps straight", order, n);

    Search *first = make(&c);
    run(first, &c, k, NULL);
    FILE *f = fopen("test_search_state.bin", "w+b");
    ok(f && search_save_state(first, f) == 0, "order %d: state saved after %d steps", order, k);
    rewind(f);
    Search *second = make(&c);
    int rc = search_load_state(second, f, err, sizeof err);
    ok(rc == 0, "order %d: state loaded into a fresh search (%s)", order, rc ? err : "ok");
    fclose(f);
    remove("test_search_state.bin");
    ok(search_step_count(second) == k, "order %d: the step count is restored", order);
    run(second, &c, n - k, &st_resumed);

    Supernet *a = search_net(straight), *b = search_net(second);
    size_t nw = supernet_weight_count(a), nr = supernet_running_count(a);
    size_t na = 2 * (size_t)supernet_edges(a) * OP_COUNT;
    ok(memcmp(supernet_weights(a), supernet_weights(b), nw * sizeof(float)) == 0,
       "order %d: weights bit-identical after resume", order);
    ok(memcmp(supernet_alphas(a), supernet_alphas(b), na * sizeof(float)) == 0,
       "order %d: alphas bit-identical after resume", order);
    ok(memcmp(supernet_running_stats(a), supernet_running_stats(b), nr * sizeof(float)) == 0,
       "order %d: running statistics bit-identical after resume", order);
    ok(st_straight.train_loss == st_resumed.train_loss &&
           st_straight.val_loss == st_resumed.val_loss,
       "order %d: the last step's losses are identical", order);
    ok(same_state(straight, second), "order %d: the whole state is identical", order);
    search_free(straight);
    search_free(first);
    search_free(second);
}

static void test_refusal(void)
{
    char err[512];
    Config c, other;
    base_config(&c);
    Search *s = make(&c);
    run(s, &c, 2, NULL);
    long len;
    char *payload = state_bytes(s, &len);

    other = c;
    other.model.layers = 4;
    Search *t = make(&other);
    long before_len;
    char *before = state_bytes(t, &before_len);
    FILE *f = fmemopen(payload, (size_t)len, "rb");
    int rc = search_load_state(t, f, err, sizeof err);
    fclose(f);
    ok(rc == -1 && strstr(err, "model.layers") && strstr(err, "3") && strstr(err, "4"),
       "a payload of another shape is refused, naming the key: %s", err);
    long after_len;
    char *after = state_bytes(t, &after_len);
    ok(after_len == before_len && memcmp(before, after, (size_t)len) == 0,
       "a refused payload leaves the state alone");
    free(after);
    free(before);
    search_free(t);

    other = c;
    other.model.init_channels = 6;
    t = make(&other);
    f = fmemopen(payload, (size_t)len, "rb");
    rc = search_load_state(t, f, err, sizeof err);
    fclose(f);
    ok(rc == -1 && strstr(err, "model.init_channels"), "other channels are refused: %s", err);
    search_free(t);

    /* Truncated: everything but the last 100 bytes. */
    t = make(&c);
    before = state_bytes(t, &before_len);
    f = fmemopen(payload, (size_t)len - 100, "rb");
    rc = search_load_state(t, f, err, sizeof err);
    fclose(f);
    ok(rc == -1 && strstr(err, "truncated"), "a truncated payload is refused: %s", err);
    after = state_bytes(t, &after_len);
    ok(memcmp(before, after, (size_t)before_len) == 0,
       "a truncated payload leaves the state alone");
    free(after);
    free(before);

    /* Not a payload at all. */
    char junk[64] = "DBFIX001 this is some other file";
    f = fmemopen(junk, sizeof junk, "rb");
    rc = search_load_state(t, f, err, sizeof err);
    fclose(f);
    ok(rc == -1 && strstr(err, "not a search state"), "a foreign file is refused: %s", err);

    /* A flipped byte in a sampler permutation (past the shape and floats). */
    payload[len - 8 - 32 - 1] = (char)0x7f; /* top byte of the last perm entry */
    f = fmemopen(payload, (size_t)len, "rb");
    rc = search_load_state(t, f, err, sizeof err);
    fclose(f);
    ok(rc == -1, "a corrupt sampler state is refused: %s", err);
    search_free(t);
    free(payload);
    search_free(s);
}

static void test_divergence(void)
{
    char err[512] = "";
    Config c;
    base_config(&c);
    c.arch.order = 2;
    Search *s = make(&c);
    run(s, &c, 2, NULL);
    c.optim.lr = c.optim.lr_min = 1e30; /* absurd */
    int failed_at = -1;
    for (int k = 0; k < 8 && failed_at < 0; k++) {
        long len;
        char *before = state_bytes(s, &len);
        int64_t steps = search_step_count(s);
        StepStats st;
        if (search_step(s, &c, &st, err, sizeof err) != 0) {
            failed_at = k;
            long len2;
            char *after = state_bytes(s, &len2);
            ok(len == len2 && memcmp(before, after, (size_t)len) == 0 &&
                   search_step_count(s) == steps,
               "a diverged step leaves weights, alphas, optimizers and samplers as they were");
            free(after);
        }
        free(before);
    }
    ok(failed_at >= 0, "an absurd lr makes a step fail (after %d good steps): %s", failed_at, err);
    ok(strstr(err, "not finite") || strstr(err, "loss is"), "the message says what went wrong");

    /* A finite gradient, but an update beyond float range. */
    Config big;
    base_config(&big);
    Search *u = make(&big);
    run(u, &big, 1, NULL);
    long ulen, ulen2;
    char *ubefore = state_bytes(u, &ulen);
    big.optim.lr = big.optim.lr_min = 1e39;
    int urc = search_step(u, &big, NULL, err, sizeof err);
    char *uafter = state_bytes(u, &ulen2);
    ok(urc == -1 && strstr(err, "overflowed") && ulen == ulen2 &&
           memcmp(ubefore, uafter, (size_t)ulen) == 0,
       "an update that overflows the weights is refused and undone: %s", err);
    free(ubefore);
    free(uafter);
    search_free(u);

    /* The same failure on the batch path. */
    Config c1;
    base_config(&c1);
    Search *t = make(&c1);
    Supernet *net = search_net(t);
    size_t nw = supernet_weight_count(net);
    float *w0 = malloc(nw * sizeof(float));
    size_t img = 8 * 8;
    float *x = calloc(8 * img, sizeof(float));
    int y[8] = {0, 1, 2, 3, 0, 1, 2, 3};
    for (size_t i = 0; i < 8 * img; i++)
        x[i] = (float)((i * 7919) % 13) - 6.0f;
    x[5] = NAN;
    memcpy(w0, supernet_weights(net), nw * sizeof(float));
    StepStats st;
    int rc = search_step_batches(t, &c1, x, y, x, y, 8, &st, err, sizeof err);
    ok(rc == -1 && memcmp(w0, supernet_weights(net), nw * sizeof(float)) == 0 &&
           search_step_count(t) == 0,
       "a NaN input returns -1 and leaves the weights unchanged: %s", err);
    free(x);
    free(w0);
    search_free(t);
    search_free(s);
}

static void test_schedule_and_order(void)
{
    Config c;
    base_config(&c);
    c.arch.order = 0;
    Search *s = make(&c);
    Supernet *net = search_net(s);
    size_t na = 2 * (size_t)supernet_edges(net) * OP_COUNT;
    float *a0 = malloc(na * sizeof(float));
    memcpy(a0, supernet_alphas(net), na * sizeof(float));
    int spe = search_steps_per_epoch(s);
    ok(spe == 48 / 8, "steps per epoch = weights split / batch (%d)", spe);
    int good_lr = 1, good_epoch = 1;
    for (int k = 0; k < 2 * spe + 1; k++) {
        StepStats st;
        float lr_next = search_current_lr(s);
        run(s, &c, 1, &st);
        int e = k / spe;
        float want = (float)optim_cosine_lr(c.optim.lr, c.optim.lr_min, e, c.run.epochs);
        good_lr &= st.lr == want && lr_next == want;
        good_epoch &= st.new_epoch == (k % spe == 0) && st.alpha_step == 0;
    }
    ok(good_lr, "the lr is cosine-annealed per epoch");
    ok(good_epoch && search_epoch(s) == 2, "epochs start every %d steps (epoch now %d)", spe,
       search_epoch(s));
    ok(memcmp(a0, supernet_alphas(net), na * sizeof(float)) == 0, "order 0 leaves alphas alone");

    /* arch.order is read at every step */
    StepStats st;
    c.arch.order = 1;
    run(s, &c, 1, &st);
    ok(st.alpha_step == 1 && memcmp(a0, supernet_alphas(net), na * sizeof(float)) != 0,
       "switching to order 1 moves the alphas");
    memcpy(a0, supernet_alphas(net), na * sizeof(float));
    c.arch.order = 2;
    ok(run(s, &c, 1, &st) == 0 && st.alpha_step == 1 &&
           memcmp(a0, supernet_alphas(net), na * sizeof(float)) != 0,
       "switching to order 2 moves the alphas");
    c.arch.lr = 0.0;
    c.arch.weight_decay = 0.0;
    memcpy(a0, supernet_alphas(net), na * sizeof(float));
    run(s, &c, 1, &st);
    ok(memcmp(a0, supernet_alphas(net), na * sizeof(float)) == 0,
       "arch.lr is read at every step (0 freezes the alphas)");
    free(a0);
    search_free(s);
}

static void test_evaluate_and_genotype(void)
{
    Config c;
    base_config(&c);
    Search *s = make(&c);
    run(s, &c, 3, NULL);
    long len;
    char *before = state_bytes(s, &len);
    float loss, acc, loss2, acc2;
    search_evaluate(s, 20, &loss, &acc);
    search_evaluate(s, 20, &loss2, &acc2);
    ok(isfinite(loss) && loss > 0 && acc >= 0 && acc <= 100, "evaluate: loss %.4f acc %.1f%%", loss,
       acc);
    ok(loss == loss2 && acc == acc2, "evaluate is repeatable");
    long len2;
    char *after = state_bytes(s, &len2);
    ok(len == len2 && memcmp(before, after, (size_t)len) == 0,
       "evaluate changes no state (running statistics, samplers, rng)");
    free(before);
    free(after);
    float whole_loss, whole_acc;
    search_evaluate(s, 0, &whole_loss, &whole_acc);
    ok(isfinite(whole_loss), "evaluate over the whole alpha split (%.4f)", whole_loss);

    Supernet *net = search_net(s);
    int edges = supernet_edges(net);
    float wn[GENOTYPE_MAX_EDGES * OP_COUNT], wr[GENOTYPE_MAX_EDGES * OP_COUNT];
    search_alpha_weights(s, wn, wr);
    int rows_ok = 1;
    for (int e = 0; e < edges; e++) {
        double sn = 0, sr = 0;
        for (int o = 0; o < OP_COUNT; o++) {
            sn += wn[e * OP_COUNT + o];
            sr += wr[e * OP_COUNT + o];
        }
        rows_ok &= fabs(sn - 1) < 1e-5 && fabs(sr - 1) < 1e-5;
    }
    /* softmax is monotone: the largest weight sits on the largest alpha */
    const float *a = supernet_alphas(net);
    int am = 0, wm = 0;
    for (int o = 1; o < OP_COUNT; o++) {
        am = a[o] > a[am] ? o : am;
        wm = wn[o] > wn[wm] ? o : wm;
    }
    ok(rows_ok && am == wm, "alpha weights are the row-wise softmax");
    Genotype g, want;
    search_genotype(s, &g);
    genotype_derive(&want, wn, wr, c.model.nodes);
    ok(genotype_equal(&g, &want) && g.nodes == 4, "the genotype is derived from the alpha weights");
    search_free(s);
}

static void test_create_errors(void)
{
    char err[512] = "";
    Config c;
    base_config(&c);
    c.data.batch_size = 64; /* the splits have 48 images each */
    Search *s = search_create(&c, &data, err, sizeof err);
    ok(!s && strstr(err, "data.batch_size=64") && strstr(err, "48"),
       "a batch larger than a split is refused: %s", err);
    base_config(&c);
    c.data.train_portion = 0.95;
    s = search_create(&c, &data, err, sizeof err);
    ok(!s && strstr(err, "data.train_portion"), "a split too small is refused: %s", err);
    Dataset wide = data;
    wide.width = data.width * 2;
    wide.count = data.count / 2;
    base_config(&c);
    s = search_create(&c, &wide, err, sizeof err);
    ok(!s && strstr(err, "square"), "non-square images are refused: %s", err);
}

static void test_determinism(void)
{
    Config c;
    base_config(&c);
    c.arch.order = 2;
    Search *a = make(&c), *b = make(&c);
    run(a, &c, 4, NULL);
    run(b, &c, 4, NULL);
    ok(same_state(a, b), "same seed, same steps: identical state");
    search_free(a);
    search_free(b);

    /* Static partitions: two threads are as repeatable as one. */
    parallel_set_threads(2);
    a = make(&c);
    b = make(&c);
    run(a, &c, 3, NULL);
    run(b, &c, 3, NULL);
    ok(same_state(a, b), "with 2 threads too: identical state");
    parallel_set_threads(1);
    search_free(a);
    search_free(b);
}

/* The `test` preset over its whole budget (run.epochs epochs). */
static void test_learning(const Config *c)
{
    Search *s = make(c);
    const int steps = c->run.epochs * search_steps_per_epoch(s), window = 12;
    double first = 0, last = 0;
    int correct_last = 0, seen_last = 0, done = 0;
    for (int k = 0; k < steps; k++) {
        StepStats st;
        if (run(s, c, 1, &st) != 0)
            break;
        done++;
        if (k < window)
            first += st.train_loss / window;
        if (k >= steps - window) {
            last += st.train_loss / window;
            correct_last += st.train_correct;
            seen_last += st.batch;
        }
    }
    float loss, acc;
    search_evaluate(s, c->run.eval_samples, &loss, &acc);
    double chance = 100.0 / c->data.classes;
    double train_acc = 100.0 * correct_last / (seen_last ? seen_last : 1);
    diag("test preset, %d steps: training loss %.3f -> %.3f, training acc %.1f%%, alpha-split acc "
         "%.1f%% (chance %.0f%%)",
         steps, first, last, train_acc, acc, chance);
    ok(done == steps, "the test preset runs its %d steps", steps);
    ok(last < 0.7 * first, "the training loss falls by over 30%%");
    ok(train_acc > 1.5 * chance, "training accuracy is well above chance");
    ok(acc > 1.5 * chance, "accuracy on the held-out alpha split is well above chance");
    search_free(s);
}

int main(void)
{
    char err[512];
    Config c;
    base_config(&c);
    if (dataset_load(&data, &c, DATA_TRAIN, err, sizeof err) != 0) {
        printf("Bail out! synthetic data: %s\n", err);
        return 99;
    }
    test_resume(1);
    test_resume(2);
    test_refusal();
    test_divergence();
    test_schedule_and_order();
    test_evaluate_and_genotype();
    test_create_errors();
    test_determinism();
    dataset_free(&data);

    config_defaults(&c);
    if (config_load_preset(&c, "test", err, sizeof err) != 0 ||
        dataset_load(&data, &c, DATA_TRAIN, err, sizeof err) != 0) {
        printf("Bail out! the test preset: %s\n", err);
        return 99;
    }
    test_learning(&c);
    dataset_free(&data);
    return tap_done();
}
