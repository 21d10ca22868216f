/* dataset: Fashion-MNIST (gzip IDX), CIFAR-10 binary batches and synthetic
 * textures, loaded as uint8 NCHW; batches normalised and augmented on the
 * fly. See include/dartboard/data.h. */
#include "dartboard/data.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define CLASSES 10
#define PAD 4 /* augmentation: crop padding in pixels */
#define MAX_IMAGES 10000000

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void dataset_free(Dataset *d)
{
    free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int check_labels(const uint8_t *labels, int count, int classes, const char *path,
                        const char *what, char *err, size_t errlen)
{
    for (int i = 0; i < count; i++)
        if (labels[i] >= classes) {
            fail(err, errlen, "%s: %s %d has label %d (expected 0..%d)", path, what, i, labels[i],
                 classes - 1);
            return -1;
        }
    return 0;
}

/* ---------------------------------------------------------------- Fashion-MNIST */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads exactly len bytes; *got = bytes read. 0 or -1 with a gzip error. */
static int gz_read_all(gzFile gz, void *buf, size_t len, size_t *got, const char *path, char *err,
                       size_t errlen)
{
    *got = 0;
    while (*got < len) {
        size_t chunk = len - *got > (1u << 30) ? (1u << 30) : len - *got;
        int n = gzread(gz, (char *)buf + *got, (unsigned)chunk);
        if (n < 0) {
            int code;
            const char *msg = gzerror(gz, &code);
            /* zlib prefixes its message with the path it was opened with;
             * ours already names the file */
            size_t plen = strlen(path);
            if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
                msg += plen + 2;
            fail(err, errlen, "%s: %s (expected a gzip-compressed IDX file)", path,
                 code == Z_ERRNO ? strerror(errno) : msg);
            return -1;
        }
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* An IDX file of unsigned bytes: images (magic 0x803, n x rows x cols) or
 * labels (magic 0x801, n). *data gets the payload, *count the items. */
static int read_idx(const char *path, int images, int *count, uint8_t **data, char *err,
                    size_t errlen)
{
    *data = NULL;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fail(err, errlen,
             "%s: cannot open: %s (expected Fashion-MNIST from Debian's dataset-fashion-mnist; "
             "pass --data DIR for another copy)",
             path, errno ? strerror(errno) : "gzopen failed");
        return -1;
    }
    int rc = -1;
    uint32_t magic_want = images ? 0x00000803u : 0x00000801u;
    size_t header = images ? 16 : 8, got;
    unsigned char h[16];
    uint8_t *buf = NULL;
    if (gz_read_all(gz, h, header, &got, path, err, errlen) < 0)
        goto out;
    if (got < 4 || be32(h) != magic_want) {
        if (got < 4)
            fail(err, errlen, "%s: not an IDX %s file (only %zu bytes; expected magic 0x%08x)",
                 path, images ? "image" : "label", got, magic_want);
        else
            fail(err, errlen, "%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)", path,
                 images ? "image" : "label", be32(h), magic_want);
        goto out;
    }
    if (got < header) {
        fail(err, errlen, "%s: truncated: expected a %zu-byte IDX header, got %zu bytes", path,
             header, got);
        goto out;
    }
    uint32_t n = be32(h + 4);
    if (n == 0 || n > MAX_IMAGES) {
        fail(err, errlen, "%s: implausible item count %u (expected 1..%d)", path, n, MAX_IMAGES);
        goto out;
    }
    size_t item = 1;
    if (images) {
        uint32_t rows = be32(h + 8), cols = be32(h + 12);
        if (rows != 28 || cols != 28) {
            fail(err, errlen, "%s: images are %ux%u (expected 28x28 Fashion-MNIST images)", path,
                 rows, cols);
            goto out;
        }
        item = 28 * 28;
    }
    /* The buffer grows as the data arrives: a damaged header may announce
     * gigabytes that a file of a few bytes does not hold. */
    size_t want = (size_t)n * item, cap = 0;
    got = 0;
    while (got < want) {
        if (got == cap) {
            cap = cap ? 2 * cap : 1u << 24;
            cap = cap < want ? cap : want;
            uint8_t *bigger = realloc(buf, cap);
            if (!bigger) {
                fail(err, errlen, "%s: out of memory for %zu bytes", path, cap);
                goto out;
            }
            buf = bigger;
        }
        size_t part;
        if (gz_read_all(gz, buf + got, cap - got, &part, path, err, errlen) < 0)
            goto out;
        got += part;
        if (got < cap)
            break; /* the end of the file */
    }
    if (got < want) {
        int code;
        gzerror(gz, &code);
        fail(err, errlen,
             "%s: truncated: expected %zu bytes of %s data (%u items) after the header, got %zu%s",
             path, want, images ? "image" : "label", n, got,
             code == Z_BUF_ERROR ? " (the gzip stream is cut short)" : "");
        goto out;
    }
    unsigned char extra;
    if (gz_read_all(gz, &extra, 1, &got, path, err, errlen) < 0)
        goto out;
    if (got) {
        fail(err, errlen, "%s: trailing data after the %u items the header announces", path, n);
        goto out;
    }
    *count = (int)n;
    *data = buf;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    gzclose(gz);
    return rc;
}

static int load_fashion_mnist(Dataset *d, const char *dir, DataSplit split, char *err,
                              size_t errlen)
{
    if (!is_directory(dir)) {
        fail(err, errlen,
             "%s: no such directory (expected Fashion-MNIST: install Debian's "
             "dataset-fashion-mnist, or pass --data DIR)",
             dir);
        return -1;
    }
    const char *prefix = split == DATA_TRAIN ? "train" : "t10k";
    char images_path[CONFIG_STR + 64], labels_path[CONFIG_STR + 64];
    snprintf(images_path, sizeof images_path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels_path, sizeof labels_path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    int n_images, n_labels;
    uint8_t *images, *labels;
    if (read_idx(images_path, 1, &n_images, &images, err, errlen) < 0)
        return -1;
    if (read_idx(labels_path, 0, &n_labels, &labels, err, errlen) < 0) {
        free(images);
        return -1;
    }
    if (n_labels != n_images) {
        fail(err, errlen, "%s: %d labels for the %d images of %s (expected the same count)",
             labels_path, n_labels, n_images, images_path);
        goto bad;
    }
    if (check_labels(labels, n_labels, CLASSES, labels_path, "item", err, errlen) < 0)
        goto bad;
    snprintf(d->name, sizeof d->name, "fashion-mnist");
    d->count = n_images;
    d->channels = 1;
    d->height = d->width = 28;
    d->classes = CLASSES;
    d->images = images;
    d->labels = labels;
    d->mean[0] = 0.2860f;
    d->std[0] = 0.3530f;
    return 0;
bad:
    free(images);
    free(labels);
    return -1;
}

/* ---------------------------------------------------------------- CIFAR-10 */

#define CIFAR_PIXELS (3 * 32 * 32)
#define CIFAR_RECORD (1 + CIFAR_PIXELS)

static int load_cifar10(Dataset *d, const char *dir, DataSplit split, char *err, size_t errlen)
{
    if (!is_directory(dir)) {
        fail(err, errlen,
             "%s: no such directory (expected the CIFAR-10 binary version: data_batch_1.bin .. "
             "data_batch_5.bin and test_batch.bin, from cifar-10-binary.tar.gz; pass --data DIR)",
             dir);
        return -1;
    }
    char paths[5][CONFIG_STR + 32];
    long records[5];
    int files = split == DATA_TRAIN ? 5 : 1;
    long total = 0;
    for (int i = 0; i < files; i++) {
        if (split == DATA_TRAIN)
            snprintf(paths[i], sizeof paths[i], "%s/data_batch_%d.bin", dir, i + 1);
        else
            snprintf(paths[i], sizeof paths[i], "%s/test_batch.bin", dir);
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fail(err, errlen,
                 "%s: cannot open: %s (expected a CIFAR-10 binary batch; pass --data DIR)",
                 paths[i], strerror(errno));
            return -1;
        }
        if (st.st_size == 0 || st.st_size % CIFAR_RECORD != 0) {
            fail(err, errlen,
                 "%s: size %lld is not a whole number of records (expected a multiple of %d "
                 "bytes: 1 label byte + 3x32x32 pixels)",
                 paths[i], (long long)st.st_size, CIFAR_RECORD);
            return -1;
        }
        records[i] = (long)(st.st_size / CIFAR_RECORD);
        total += records[i];
    }
    if (total > MAX_IMAGES) {
        fail(err, errlen, "%s: %ld records (expected at most %d)", dir, total, MAX_IMAGES);
        return -1;
    }
    uint8_t *images = malloc((size_t)total * CIFAR_PIXELS);
    uint8_t *labels = malloc((size_t)total);
    uint8_t *record = malloc(CIFAR_RECORD);
    if (!images || !labels || !record) {
        fail(err, errlen, "%s: out of memory for %ld images", dir, total);
        goto bad;
    }
    long at = 0;
    for (int i = 0; i < files; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f) {
            fail(err, errlen, "%s: cannot open: %s", paths[i], strerror(errno));
            goto bad;
        }
        for (long r = 0; r < records[i]; r++, at++) {
            if (fread(record, 1, CIFAR_RECORD, f) != CIFAR_RECORD) {
                fail(err, errlen, "%s: truncated while reading record %ld of %ld", paths[i], r,
                     records[i]);
                fclose(f);
                goto bad;
            }
            if (record[0] >= CLASSES) {
                fail(err, errlen, "%s: record %ld has label %d (expected 0..%d)", paths[i], r,
                     record[0], CLASSES - 1);
                fclose(f);
                goto bad;
            }
            labels[at] = record[0];
            memcpy(images + (size_t)at * CIFAR_PIXELS, record + 1, CIFAR_PIXELS);
        }
        fclose(f);
    }
    free(record);
    snprintf(d->name, sizeof d->name, "cifar10");
    d->count = (int)total;
    d->channels = 3;
    d->height = d->width = 32;
    d->classes = CLASSES;
    d->images = images;
    d->labels = labels;
    static const float mean[3] = {0.4914f, 0.4822f, 0.4465f}, std[3] = {0.2470f, 0.2435f, 0.2616f};
    memcpy(d->mean, mean, sizeof mean);
    memcpy(d->std, std, sizeof std);
    return 0;
bad:
    free(images);
    free(labels);
    free(record);
    return -1;
}

/* ---------------------------------------------------------------- synthetic */

enum {
    TEXTURE_HSTRIPES,
    TEXTURE_VSTRIPES,
    TEXTURE_CHECKER,
    TEXTURE_LATTICE,
    TEXTURE_RINGS,
    TEXTURE_COUNT
};

/* Fills d->images/labels with `count` textured images from rng. */
static void synth_fill(Dataset *d, int count, Rng *rng)
{
    const int S = d->height, C = d->channels;
    const double two_pi = 6.283185307179586;
    for (int i = 0; i < count; i++) {
        int label = i % d->classes;
        int texture = label % TEXTURE_COUNT;
        double period = label < TEXTURE_COUNT ? S / 2.0 : S / 4.0;
        if (period < 3.0)
            period = label < TEXTURE_COUNT ? 4.0 : 3.0;
        double k = two_pi / period;
        double phase1 = two_pi * rng_uniform(rng), phase2 = two_pi * rng_uniform(rng);
        double base = 0.35 + 0.3 * rng_uniform(rng);
        double contrast = 0.22 + 0.13 * rng_uniform(rng);
        double cx = S * rng_uniform(rng), cy = S * rng_uniform(rng);
        uint8_t *img = d->images + (size_t)i * C * S * S;
        d->labels[i] = (uint8_t)label;
        for (int c = 0; c < C; c++) {
            double gain = 1.0 - 0.25 * c;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    double p;
                    switch (texture) {
                    case TEXTURE_HSTRIPES:
                        p = cos(k * y + phase1);
                        break;
                    case TEXTURE_VSTRIPES:
                        p = cos(k * x + phase1);
                        break;
                    case TEXTURE_CHECKER:
                        p = cos(k * x + phase1) * cos(k * y + phase2);
                        break;
                    case TEXTURE_LATTICE:
                        p = cos(k * (x + y) / 1.4142135623730951 + phase1) *
                            cos(k * (x - y) / 1.4142135623730951 + phase2);
                        break;
                    default:
                        p = cos(k * hypot(x - cx, y - cy) + phase1);
                        break;
                    }
                    double v = base + contrast * gain * p + 0.08 * rng_normal(rng);
                    v = v < 0 ? 0 : v > 1 ? 1 : v;
                    img[((size_t)c * S + y) * S + x] = (uint8_t)floor(v * 255.0 + 0.5);
                }
        }
    }
}

static int synth_alloc(Dataset *d, const Config *cfg, int count, char *err, size_t errlen)
{
    int S = cfg->data.synthetic_image, C = cfg->data.synthetic_channels;
    snprintf(d->name, sizeof d->name, "synthetic");
    d->count = count;
    d->channels = C;
    d->height = d->width = S;
    d->classes = cfg->data.classes;
    d->images = malloc((size_t)count * C * S * S);
    d->labels = malloc((size_t)count);
    if (!d->images || !d->labels) {
        fail(err, errlen, "synthetic data: out of memory for %d images of %dx%dx%d", count, C, S,
             S);
        dataset_free(d);
        return -1;
    }
    return 0;
}

/* Splits draw from streams derived from run.seed, so the test images are not
 * a prefix of the training images and neither equals the search's streams. */
static void synth_rng(Rng *r, const Config *cfg, DataSplit split)
{
    rng_seed(r,
             cfg->run.seed ^ (split == DATA_TRAIN ? 0x53594e5448545241ULL : 0x53594e5448544553ULL));
}

static void measure_stats(const Dataset *d, float *mean, float *std)
{
    size_t plane = (size_t)d->height * d->width;
    for (int c = 0; c < d->channels; c++) {
        double sum = 0, sq = 0;
        for (int i = 0; i < d->count; i++) {
            const uint8_t *p = d->images + ((size_t)i * d->channels + c) * plane;
            for (size_t j = 0; j < plane; j++) {
                double v = p[j] / 255.0;
                sum += v;
                sq += v * v;
            }
        }
        double n = (double)d->count * plane;
        double m = sum / n, var = sq / n - m * m;
        mean[c] = (float)m;
        std[c] = (float)sqrt(var > 1e-12 ? var : 1e-12);
    }
}

static int load_synthetic(Dataset *d, const Config *cfg, DataSplit split, char *err, size_t errlen)
{
    int train_count = cfg->data.synthetic_size;
    if (train_count < cfg->data.classes || cfg->data.classes < 2 || cfg->data.classes > CLASSES ||
        cfg->data.synthetic_image < 4 || cfg->data.synthetic_channels < 1 ||
        cfg->data.synthetic_channels > 3) {
        fail(err, errlen,
             "synthetic data: %d images of %dx%dx%d in %d classes (expected 2..10 classes, at "
             "least one image per class, 1..3 channels, images of 4x4 or more)",
             train_count, cfg->data.synthetic_channels, cfg->data.synthetic_image,
             cfg->data.synthetic_image, cfg->data.classes);
        return -1;
    }
    Rng rng;
    Dataset train;
    memset(&train, 0, sizeof train);
    if (synth_alloc(&train, cfg, train_count, err, errlen) < 0)
        return -1;
    synth_rng(&rng, cfg, DATA_TRAIN);
    synth_fill(&train, train_count, &rng);
    measure_stats(&train, train.mean, train.std);
    if (split == DATA_TRAIN) {
        *d = train;
        return 0;
    }
    int test_count = train_count / 4 > cfg->data.classes ? train_count / 4 : cfg->data.classes;
    if (synth_alloc(d, cfg, test_count, err, errlen) < 0) {
        dataset_free(&train);
        return -1;
    }
    synth_rng(&rng, cfg, DATA_TEST);
    synth_fill(d, test_count, &rng);
    memcpy(d->mean, train.mean, sizeof d->mean);
    memcpy(d->std, train.std, sizeof d->std);
    dataset_free(&train);
    return 0;
}

/* ---------------------------------------------------------------- public */

int dataset_load(Dataset *d, const Config *cfg, DataSplit split, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    int rc;
    if (strcmp(cfg->data.set, "fashion-mnist") == 0)
        rc = load_fashion_mnist(d, cfg->data.dir, split, err, errlen);
    else if (strcmp(cfg->data.set, "cifar10") == 0)
        rc = load_cifar10(d, cfg->data.dir, split, err, errlen);
    else if (strcmp(cfg->data.set, "synthetic") == 0)
        rc = load_synthetic(d, cfg, split, err, errlen);
    else {
        fail(err, errlen, "data.set '%s' (expected one of fashion-mnist|cifar10|synthetic)",
             cfg->data.set);
        rc = -1;
    }
    if (rc < 0) {
        memset(d, 0, sizeof *d);
        return rc;
    }
    int keep = cfg->data.train_images;
    if (split == DATA_TRAIN && keep > 0) {
        if (keep > d->count) {
            fail(err, errlen,
                 "data.train_images=%d but the training split of %s holds %d images (expected "
                 "at most %d, or 0 for all)",
                 keep, d->name, d->count, d->count);
            dataset_free(d);
            return -1;
        }
        d->count = keep; /* a prefix: the files' own order, the same on every run */
    }
    return 0;
}

void dataset_batch(const Dataset *d, const int32_t *idx, int n, int augment, Rng *rng, float *x,
                   int *y)
{
    const int C = d->channels, H = d->height, W = d->width;
    const size_t plane = (size_t)H * W;
    /* v/255 - mean then / std, in float as the reference computes it. */
    float lut[3][256];
    for (int c = 0; c < C; c++)
        for (int v = 0; v < 256; v++)
            lut[c][v] = ((float)v / 255.0f - d->mean[c]) / d->std[c];

    for (int i = 0; i < n; i++) {
        const uint8_t *src = d->images + (size_t)idx[i] * C * plane;
        float *dst = x + (size_t)i * C * plane;
        y[i] = d->labels[idx[i]];
        int top = PAD, left = PAD, flip = 0;
        if (augment) {
            top = (int)rng_below(rng, 2 * PAD + 1);
            left = (int)rng_below(rng, 2 * PAD + 1);
            flip = rng_uniform(rng) < 0.5f;
        }
        /* out(y, x) = in(y + top - PAD, x' + left - PAD), x' = W-1-x when
         * flipped (crop first, then flip); outside the image: raw 0. */
        for (int c = 0; c < C; c++) {
            const uint8_t *sp = src + (size_t)c * plane;
            float *dp = dst + (size_t)c * plane;
            for (int yy = 0; yy < H; yy++) {
                int sy = yy + top - PAD;
                for (int xx = 0; xx < W; xx++) {
                    int sx = (flip ? W - 1 - xx : xx) + left - PAD;
                    int inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
                    dp[yy * W + xx] = lut[c][inside ? sp[sy * W + sx] : 0];
                }
            }
        }
    }
}
