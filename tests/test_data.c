/* test_data: dataset parsing (committed fixture files, and the real
 * Fashion-MNIST when installed), synthetic data, augmentation, sampler. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dartboard/config.h"
#include "dartboard/data.h"
#include "tap.h"

#define REAL_FMNIST "/usr/share/datasets/fashion-mnist"

static Config config_for(const char *set, const char *fixture_dir)
{
    Config c;
    config_defaults(&c);
    snprintf(c.data.set, sizeof c.data.set, "%s", set);
    if (fixture_dir) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/fixtures/data/%s", fixture_dir);
        const char *path = tap_srcpath(rel);
        if (strlen(path) >= sizeof c.data.dir)
            diag("fixture path too long: %s", path);
        memcpy(c.data.dir, path, strlen(path) < sizeof c.data.dir ? strlen(path) + 1 : 0);
    }
    return c;
}

/* How many times `needle` occurs in `s`. */
static int occurrences(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Loading fixture DIR fails with "DIR/FILE: " + want, the file named once. */
static void expect_error(const char *set, const char *dir, DataSplit split, const char *file,
                         const char *want)
{
    Config c = config_for(set, dir);
    Dataset d;
    char err[1024] = "", expected[2100], path[1024];
    snprintf(path, sizeof path, "%s/%s", c.data.dir, file);
    snprintf(expected, sizeof expected, "%s: %s", path, want);
    int rc = dataset_load(&d, &c, split, err, sizeof err);
    int good = rc == -1 && strcmp(err, expected) == 0;
    ok(good, "%s/%s: %s", dir, file, want);
    if (!good)
        diag("got rc %d: '%s'", rc, err);
    ok(occurrences(err, path) == 1, "%s/%s: the message names the file once", dir, file);
    ok(d.images == NULL && d.labels == NULL && d.count == 0, "%s: nothing left allocated", dir);
}

static void test_fashion_fixtures(void)
{
    static const uint8_t train_labels[] = {3, 1, 4, 1, 5, 9}, test_labels[] = {2, 6, 5};
    Config c = config_for("fashion-mnist", "fmnist-good");
    Dataset d;
    char err[1024] = "";
    int rc = dataset_load(&d, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == 0, "fixture Fashion-MNIST train split loads (%s)", err);
    if (rc == 0) {
        ok(d.count == 6 && d.channels == 1 && d.height == 28 && d.width == 28 && d.classes == 10,
           "6 images of 1x28x28, 10 classes");
        ok(memcmp(d.labels, train_labels, 6) == 0, "labels as written");
        int bad = 0;
        for (int i = 0; i < 6; i++)
            for (int p = 0; p < 784; p++)
                bad += d.images[i * 784 + p] != (uint8_t)((31 * i + p) % 256);
        ok(bad == 0, "pixels as written, row-major");
        ok(d.mean[0] == 0.2860f && d.std[0] == 0.3530f, "the reference's mean/std 0.2860/0.3530");
        ok(strcmp(d.name, "fashion-mnist") == 0, "named fashion-mnist");
        dataset_free(&d);
    }
    rc = dataset_load(&d, &c, DATA_TEST, err, sizeof err);
    ok(rc == 0 && d.count == 3 && memcmp(d.labels, test_labels, 3) == 0,
       "the t10k files give the test split");
    if (rc == 0)
        dataset_free(&d);

    expect_error("fashion-mnist", "fmnist-truncated", DATA_TRAIN, "train-images-idx3-ubyte.gz",
                 "truncated: expected 4704 bytes of image data (6 items) after the header, got "
                 "1000");
    expect_error("fashion-mnist", "fmnist-magic", DATA_TRAIN, "train-images-idx3-ubyte.gz",
                 "not an IDX image file (magic 0x00000801, expected 0x00000803)");
    expect_error("fashion-mnist", "fmnist-label", DATA_TRAIN, "train-labels-idx1-ubyte.gz",
                 "item 3 has label 12 (expected 0..9)");
    expect_error("fashion-mnist", "fmnist-dims", DATA_TRAIN, "train-images-idx3-ubyte.gz",
                 "images are 32x32 (expected 28x28 Fashion-MNIST images)");
    {
        Config cc = config_for("fashion-mnist", "fmnist-count");
        char want[1024];
        snprintf(want, sizeof want,
                 "5 labels for the 6 images of %s/train-images-idx3-ubyte.gz (expected the same "
                 "count)",
                 cc.data.dir);
        expect_error("fashion-mnist", "fmnist-count", DATA_TRAIN, "train-labels-idx1-ubyte.gz",
                     want);
    }
    expect_error("fashion-mnist", "fmnist-truncated", DATA_TEST, "t10k-images-idx3-ubyte.gz",
                 "cannot open: No such file or directory (expected Fashion-MNIST from Debian's "
                 "dataset-fashion-mnist; pass --data DIR for another copy)");

    /* A gzip stream cut short: zlib's complaint, and the file named. */
    c = config_for("fashion-mnist", "fmnist-gzcut");
    rc = dataset_load(&d, &c, DATA_TRAIN, err, sizeof err);
    char named[1024];
    snprintf(named, sizeof named, "%s/train-images-idx3-ubyte.gz: ", c.data.dir);
    ok(rc == -1 && strncmp(err, named, strlen(named)) == 0 && strstr(err, "truncated") &&
           strstr(err, "the gzip stream is cut short"),
       "a damaged gzip stream is refused: %s", err);
    ok(occurrences(err, c.data.dir) == 1, "a cut gzip stream: the file named once: %s", err);

    /* A bad CRC is a gzread error: zlib's own message already starts with
     * the path, which must not be printed twice. */
    expect_error("fashion-mnist", "fmnist-gzcrc", DATA_TRAIN, "train-images-idx3-ubyte.gz",
                 "incorrect data check (expected a gzip-compressed IDX file)");

    c = config_for("fashion-mnist", NULL);
    snprintf(c.data.dir, sizeof c.data.dir, "/nonexistent/fashion");
    rc = dataset_load(&d, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == -1 && strcmp(err, "/nonexistent/fashion: no such directory (expected Fashion-MNIST: "
                               "install Debian's dataset-fashion-mnist, or pass --data DIR)") == 0,
       "a missing directory mentions the package and --data: %s", err);
}

static void test_cifar_fixtures(void)
{
    Config c = config_for("cifar10", "cifar-good");
    Dataset d;
    char err[1024] = "";
    int rc = dataset_load(&d, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == 0, "fixture CIFAR-10 train split loads (%s)", err);
    if (rc == 0) {
        ok(d.count == 5 && d.channels == 3 && d.height == 32 && d.width == 32 && d.classes == 10,
           "5 records of 3x32x32 from data_batch_1..5");
        int bad = 0;
        for (int r = 0; r < 5; r++) {
            bad += d.labels[r] != r;
            for (int j = 0; j < 3072; j++)
                bad += d.images[r * 3072 + j] != (uint8_t)((7 * r + j) % 256);
        }
        ok(bad == 0, "labels and CHW pixels in file order");
        ok(fabsf(d.mean[0] - 0.4914f) < 1e-6f && fabsf(d.std[2] - 0.2616f) < 1e-6f,
           "CIFAR-10 per-channel mean/std");
        dataset_free(&d);
    }
    rc = dataset_load(&d, &c, DATA_TEST, err, sizeof err);
    ok(rc == 0 && d.count == 2 && d.labels[0] == 5 && d.labels[1] == 6 &&
           d.images[3072] == (uint8_t)(7 * 6 % 256),
       "test_batch.bin gives the test split");
    if (rc == 0)
        dataset_free(&d);

    expect_error("cifar10", "cifar-size", DATA_TRAIN, "data_batch_1.bin",
                 "size 3173 is not a whole number of records (expected a multiple of 3073 "
                 "bytes: 1 label byte + 3x32x32 pixels)");
    expect_error("cifar10", "cifar-label", DATA_TEST, "test_batch.bin",
                 "record 1 has label 10 (expected 0..9)");
    expect_error("cifar10", "cifar-label", DATA_TRAIN, "data_batch_1.bin",
                 "cannot open: No such file or directory (expected a CIFAR-10 binary batch; pass "
                 "--data DIR)");
    c = config_for("cifar10", NULL);
    snprintf(c.data.dir, sizeof c.data.dir, "/nonexistent/cifar");
    rc = dataset_load(&d, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == -1 && strstr(err, "/nonexistent/cifar: no such directory") == err &&
           strstr(err, "--data DIR"),
       "a missing CIFAR directory says what is expected: %s", err);
}

static void test_real_fashion_mnist(void)
{
    struct stat st;
    if (stat(REAL_FMNIST, &st) != 0) {
        ok(1, "# SKIP " REAL_FMNIST " absent (Debian package dataset-fashion-mnist)");
        return;
    }
    Config c = config_for("fashion-mnist", NULL);
    Dataset d;
    char err[1024] = "";
    int rc = dataset_load(&d, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == 0 && d.count == 60000, "real Fashion-MNIST: 60000 training images (%s)", err);
    if (rc == 0) {
        int per_class[10] = {0};
        double sum = 0, sq = 0;
        for (int i = 0; i < d.count; i++)
            per_class[d.labels[i]]++;
        for (size_t p = 0; p < (size_t)d.count * 784; p++) {
            double v = d.images[p] / 255.0;
            sum += v;
            sq += v * v;
        }
        int balanced = 1;
        for (int k = 0; k < 10; k++)
            balanced &= per_class[k] == 6000;
        ok(balanced, "6000 images per class");
        double n = (double)d.count * 784, mean = sum / n, std = sqrt(sq / n - mean * mean);
        ok(fabs(mean - 0.2860) < 5e-4 && fabs(std - 0.3530) < 5e-4,
           "measured mean %.4f / std %.4f match the constants used", mean, std);
        dataset_free(&d);
    }
    rc = dataset_load(&d, &c, DATA_TEST, err, sizeof err);
    ok(rc == 0 && d.count == 10000, "real Fashion-MNIST: 10000 test images (%s)", err);
    if (rc == 0)
        dataset_free(&d);
}

/* Translation-invariant texture features: mean squared differences at a few
 * pixel shifts, for a nearest-centroid check of learnability. */
#define FEATURES 8
static void texture_features(const Dataset *d, int i, double *f)
{
    static const int shifts[FEATURES][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1},
                                            {2, 0}, {0, 2}, {2, 2}, {2, -2}};
    int S = d->height;
    const uint8_t *img = d->images + (size_t)i * d->channels * S * S;
    for (int k = 0; k < FEATURES; k++) {
        double acc = 0;
        int n = 0;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int y2 = y + shifts[k][1], x2 = x + shifts[k][0];
                if (y2 < 0 || y2 >= S || x2 >= S)
                    continue;
                double diff = (img[y * S + x] - img[y2 * S + x2]) / 255.0;
                acc += diff * diff;
                n++;
            }
        f[k] = acc / n;
    }
}

static double centroid_accuracy(const Dataset *train, const Dataset *test)
{
    double centroid[10][FEATURES] = {{0}}, f[FEATURES];
    int members[10] = {0};
    for (int i = 0; i < train->count; i++) {
        texture_features(train, i, f);
        for (int k = 0; k < FEATURES; k++)
            centroid[train->labels[i]][k] += f[k];
        members[train->labels[i]]++;
    }
    for (int c = 0; c < train->classes; c++)
        for (int k = 0; k < FEATURES; k++)
            centroid[c][k] /= members[c];
    int hits = 0;
    for (int i = 0; i < test->count; i++) {
        texture_features(test, i, f);
        int best = 0;
        double best_d = INFINITY;
        for (int c = 0; c < train->classes; c++) {
            double dist = 0;
            for (int k = 0; k < FEATURES; k++)
                dist += (f[k] - centroid[c][k]) * (f[k] - centroid[c][k]);
            if (dist < best_d) {
                best_d = dist;
                best = c;
            }
        }
        hits += best == test->labels[i];
    }
    return (double)hits / test->count;
}

static void test_synthetic(void)
{
    Config c = config_for("synthetic", NULL);
    char err[1024] = "";
    config_load_preset(&c, "test", err, sizeof err);
    Dataset a, b, t;
    int rc = dataset_load(&a, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == 0 && a.count == c.data.synthetic_size && a.channels == c.data.synthetic_channels &&
           a.height == c.data.synthetic_image && a.width == a.height &&
           a.classes == c.data.classes && strcmp(a.name, "synthetic") == 0,
       "synthetic train split has the configured shape (%s)", err);
    if (rc != 0)
        return;
    rc = dataset_load(&b, &c, DATA_TRAIN, err, sizeof err);
    size_t bytes = (size_t)a.count * a.channels * a.height * a.width;
    ok(rc == 0 && memcmp(a.images, b.images, bytes) == 0 &&
           memcmp(a.labels, b.labels, a.count) == 0 && memcmp(a.mean, b.mean, sizeof a.mean) == 0,
       "same seed, same images, labels and statistics");
    dataset_free(&b);
    c.run.seed = 3;
    rc = dataset_load(&b, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == 0 && memcmp(a.images, b.images, bytes) != 0, "another seed, other images");
    dataset_free(&b);
    c.run.seed = 2;

    c.data.train_images = 40;
    rc = dataset_load(&b, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == 0 && b.count == 40 && memcmp(a.images, b.images, (size_t)40 * bytes / a.count) == 0 &&
           memcmp(a.labels, b.labels, 40) == 0,
       "data.train_images=40: the first 40 images of the same split (%s)", err);
    dataset_free(&b);
    rc = dataset_load(&b, &c, DATA_TEST, err, sizeof err);
    ok(rc == 0 && b.count == c.data.synthetic_size / 4,
       "data.train_images leaves the test split whole");
    dataset_free(&b);
    c.data.train_images = c.data.synthetic_size + 1;
    rc = dataset_load(&b, &c, DATA_TRAIN, err, sizeof err);
    ok(rc == -1 && strstr(err, "data.train_images") && strstr(err, "holds") && b.count == 0,
       "more images than the split holds are refused: %s", err);
    c.data.train_images = 0;

    int balanced = 1;
    for (int i = 0; i < a.count; i++)
        balanced &= a.labels[i] == i % a.classes;
    ok(balanced, "label of image i is i %% classes");

    double sum = 0, sq = 0;
    for (size_t p = 0; p < bytes; p++) {
        sum += a.images[p] / 255.0;
        sq += (a.images[p] / 255.0) * (a.images[p] / 255.0);
    }
    double mean = sum / bytes, std = sqrt(sq / bytes - mean * mean);
    ok(fabs(a.mean[0] - mean) < 1e-5 && fabs(a.std[0] - std) < 1e-5 && std > 0.1,
       "mean/std measured on the train split (%.4f / %.4f)", mean, std);

    rc = dataset_load(&t, &c, DATA_TEST, err, sizeof err);
    ok(rc == 0 && t.count == a.count / 4 &&
           memcmp(t.images, a.images, (size_t)t.count * a.channels * a.height * a.width) != 0 &&
           t.mean[0] == a.mean[0] && t.std[0] == a.std[0],
       "the test split: a quarter as many new images, the train statistics");
    double acc = centroid_accuracy(&a, &t);
    ok(acc > 2.0 / a.classes, "learnable: nearest texture centroid gets %.0f%% of %d classes",
       100 * acc, a.classes);
    dataset_free(&a);
    dataset_free(&t);

    /* Ten classes and three channels. */
    c.data.classes = 10;
    c.data.synthetic_channels = 3;
    c.data.synthetic_size = 600;
    c.data.synthetic_image = 16;
    rc = dataset_load(&a, &c, DATA_TRAIN, err, sizeof err);
    int rc2 = dataset_load(&t, &c, DATA_TEST, err, sizeof err);
    ok(rc == 0 && rc2 == 0 && a.channels == 3 && a.mean[2] > 0 && a.std[2] > 0,
       "3-channel synthetic data with per-channel statistics");
    if (rc == 0 && rc2 == 0) {
        acc = centroid_accuracy(&a, &t);
        ok(acc > 2.0 / a.classes, "10 classes: nearest texture centroid gets %.0f%%", 100 * acc);
        dataset_free(&a);
        dataset_free(&t);
    }
}

/* A 1x6x6 image with pixels 1..36, so padding (raw 0) is recognisable. */
static void tiny_dataset(Dataset *d, uint8_t *images, uint8_t *labels, float mean, float std)
{
    memset(d, 0, sizeof *d);
    d->count = 2;
    d->channels = 1;
    d->height = d->width = 6;
    d->classes = 10;
    for (int i = 0; i < 2 * 36; i++)
        images[i] = (uint8_t)(i % 36 + 1 + (i >= 36 ? 100 : 0));
    labels[0] = 7;
    labels[1] = 2;
    d->images = images;
    d->labels = labels;
    d->mean[0] = mean;
    d->std[0] = std;
}

static void test_augmentation(void)
{
    uint8_t images[72], labels[2];
    Dataset d;
    tiny_dataset(&d, images, labels, 0.5f, 0.25f);
    float x[2 * 36];
    int y[2];
    int32_t idx[2] = {1, 0};
    Rng rng, before;
    rng_seed(&rng, 42);
    before = rng;

    dataset_batch(&d, idx, 2, 0, &rng, x, y);
    int bad = 0;
    for (int p = 0; p < 36; p++) {
        bad += x[p] != ((float)images[36 + p] / 255.0f - 0.5f) / 0.25f;
        bad += x[36 + p] != ((float)images[p] / 255.0f - 0.5f) / 0.25f;
    }
    ok(bad == 0 && y[0] == 2 && y[1] == 7, "without augmentation: (v/255 - mean)/std, in order");
    ok(memcmp(&rng, &before, sizeof rng) == 0, "without augmentation the rng is not used");

    /* Against an explicit pad-crop-flip, replaying the documented draws. */
    int mismatches = 0, flips = 0, offsets_seen[9][9] = {{0}}, padded = 0;
    for (int trial = 0; trial < 400; trial++) {
        Rng replay = rng;
        dataset_batch(&d, idx, 1, 1, &rng, x, y);
        int top = (int)rng_below(&replay, 9), left = (int)rng_below(&replay, 9);
        int flip = rng_uniform(&replay) < 0.5f;
        mismatches += memcmp(&replay, &rng, sizeof rng) != 0;
        flips += flip;
        offsets_seen[top][left]++;
        float pad[14][14];
        for (int r = 0; r < 14; r++)
            for (int col = 0; col < 14; col++) {
                int inside = r >= 4 && r < 10 && col >= 4 && col < 10;
                uint8_t v = inside ? images[36 + (r - 4) * 6 + (col - 4)] : 0;
                pad[r][col] = ((float)v / 255.0f - 0.5f) / 0.25f;
            }
        for (int r = 0; r < 6; r++)
            for (int col = 0; col < 6; col++) {
                float crop = pad[r + top][(flip ? 5 - col : col) + left];
                mismatches += x[r * 6 + col] != crop;
                padded += x[r * 6 + col] == -2.0f;
            }
    }
    int all_offsets = 1;
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++)
            all_offsets &= offsets_seen[i][j] > 0;
    ok(mismatches == 0, "crop (pad 4) then flip equals the explicit construction, 400 draws");
    ok(flips > 150 && flips < 250 && all_offsets, "flip p ~ 0.5 (%d/400), all 81 crops drawn",
       flips);
    ok(padded > 0, "padding is raw 0 normalised: (0 - 0.5)/0.25 = -2");

    Rng r1, r2;
    float x1[72], x2[72];
    rng_seed(&r1, 9);
    rng_seed(&r2, 9);
    dataset_batch(&d, idx, 2, 1, &r1, x1, y);
    dataset_batch(&d, idx, 2, 1, &r2, x2, y);
    ok(memcmp(x1, x2, sizeof x1) == 0 && memcmp(&r1, &r2, sizeof r1) == 0,
       "augmentation is a function of the rng state");

    /* Channels keep their own statistics and stay in CHW order. */
    uint8_t rgb[3 * 16];
    for (int i = 0; i < 48; i++)
        rgb[i] = (uint8_t)(i * 5);
    Dataset d3;
    memset(&d3, 0, sizeof d3);
    d3.count = 1;
    d3.channels = 3;
    d3.height = d3.width = 4;
    d3.classes = 10;
    d3.images = rgb;
    d3.labels = labels;
    const float mean3[3] = {0.1f, 0.2f, 0.3f}, std3[3] = {0.5f, 0.25f, 0.125f};
    memcpy(d3.mean, mean3, sizeof mean3);
    memcpy(d3.std, std3, sizeof std3);
    float x3[48];
    int32_t zero = 0;
    dataset_batch(&d3, &zero, 1, 0, &rng, x3, y);
    bad = 0;
    for (int ch = 0; ch < 3; ch++)
        for (int p = 0; p < 16; p++)
            bad += x3[ch * 16 + p] != ((float)rgb[ch * 16 + p] / 255.0f - mean3[ch]) / std3[ch];
    ok(bad == 0, "per-channel normalisation, CHW");
}

static void test_sampler(void)
{
    Sampler s, t;
    ok(sampler_init(&s, 0, 10, 11, 1) == -1, "sampler_init refuses a batch larger than the range");
    ok(sampler_init(&s, 0, 10, 0, 1) == -1, "sampler_init refuses batch 0");

    ok(sampler_init(&s, 100, 50, 8, 5) == 0, "sampler over [100, 150) in batches of 8");
    ok(sampler_batches_per_epoch(&s) == 6, "6 full batches per epoch (2 left over)");
    int32_t idx[8], prev_epoch[48];
    int bad_range = 0, bad_dupes = 0, bad_flags = 0, same_order = 1;
    for (int e = 0; e < 3; e++) {
        int seen[50] = {0};
        int32_t order[48];
        for (int b = 0; b < 6; b++) {
            int started = sampler_next(&s, idx);
            bad_flags += started != (b == 0);
            for (int i = 0; i < 8; i++) {
                bad_range += idx[i] < 100 || idx[i] >= 150;
                if (idx[i] >= 100 && idx[i] < 150)
                    bad_dupes += seen[idx[i] - 100]++ > 0;
                order[b * 8 + i] = idx[i];
            }
            if (b < 5)
                bad_flags += s.epoch != e;
        }
        bad_flags += s.epoch != e + 1;
        if (e > 0)
            same_order &= memcmp(order, prev_epoch, sizeof order) == 0;
        memcpy(prev_epoch, order, sizeof order);
    }
    ok(bad_range == 0 && bad_dupes == 0, "every batch inside the range, no index twice per epoch");
    ok(bad_flags == 0,
       "sampler_next flags each epoch's first batch; epoch counts completed passes");
    ok(!same_order, "a fresh permutation every epoch");

    /* Same seed, same stream; save mid-epoch and load into another sampler. */
    sampler_init(&t, 100, 50, 8, 5);
    int same = 1;
    sampler_free(&s);
    sampler_init(&s, 100, 50, 8, 5);
    for (int b = 0; b < 20; b++) {
        int32_t a[8], c[8];
        sampler_next(&s, a);
        sampler_next(&t, c);
        same &= memcmp(a, c, sizeof a) == 0;
    }
    ok(same, "same seed, same batches");

    FILE *f = tmpfile();
    ok(f && sampler_save(&s, f) == 0, "sampler_save");
    Sampler u;
    sampler_init(&u, 100, 50, 8, 999);
    rewind(f);
    char err[256] = "";
    int rc = sampler_load(&u, f, err, sizeof err);
    ok(rc == 0 && u.pos == s.pos && u.epoch == s.epoch, "sampler_load restores pos and epoch (%s)",
       err);
    same = 1;
    for (int b = 0; b < 20; b++) {
        int32_t a[8], c[8];
        sampler_next(&s, a);
        sampler_next(&u, c);
        same &= memcmp(a, c, sizeof a) == 0;
    }
    ok(same, "a loaded sampler continues exactly as the saved one");

    Sampler w;
    sampler_init(&w, 100, 50, 10, 5);
    rewind(f);
    rc = sampler_load(&w, f, err, sizeof err);
    ok(rc == -1 && strcmp(err, "sampler state: indices [100, 150) in batches of 8 (expected "
                               "[100, 150) in batches of 10)") == 0,
       "a state for another batch size is refused: %s", err);
    sampler_free(&w);

    /* Corrupt the permutation: two equal entries. */
    fseek(f, 0, SEEK_END);
    long total = ftell(f);
    unsigned char buf[64 + 200];
    rewind(f);
    ok(total == 64 + 200 && fread(buf, 1, sizeof buf, f) == sizeof buf, "state block is 264 bytes");
    memcpy(buf + 64 + 4, buf + 64, 4);
    FILE *g = tmpfile();
    fwrite(buf, 1, sizeof buf, g);
    rewind(g);
    sampler_init(&w, 100, 50, 8, 5);
    rc = sampler_load(&w, g, err, sizeof err);
    ok(rc == -1 && strstr(err, "entry 1 =") && strstr(err, "expected a permutation of [100, 150)"),
       "a damaged permutation is refused: %s", err);
    fclose(g);
    g = tmpfile();
    fwrite(buf, 1, 100, g);
    rewind(g);
    rc = sampler_load(&w, g, err, sizeof err);
    ok(rc == -1 && strcmp(err, "sampler state: truncated permutation (expected 50 entries)") == 0,
       "a truncated state is refused: %s", err);
    fclose(g);
    fclose(f);
    sampler_free(&w);
    sampler_free(&s);
    sampler_free(&t);
    sampler_free(&u);
}

int main(void)
{
    test_fashion_fixtures();
    test_cifar_fixtures();
    test_real_fashion_mnist();
    test_synthetic();
    test_augmentation();
    test_sampler();
    return tap_done();
}
