/* fuzz/dataset.c: the dataset readers, through dataset_load on a --data
 * directory of temporary files.
 *
 * Input: a digit, then the files separated by FUZZ_SEPARATOR. The digit's
 * low two bits choose the set: 0 Fashion-MNIST train (images, labels),
 * 1 Fashion-MNIST test (images, labels), 2 CIFAR-10 train (data_batch_1..5),
 * 3 CIFAR-10 test (test_batch); with bit 2 the Fashion-MNIST files are
 * gzip-compressed by the harness (the fuzzer mutates the IDX content),
 * without it they are written as given (zlib reads plain files too, and a
 * damaged gzip stream tests the decompression errors). Files the input does
 * not hold are absent.
 * Checks: no crash; a refusal names a file or the directory; a loaded set
 * gives a batch of its first and last image.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <zlib.h>

#include "dartboard/config.h"
#include "dartboard/data.h"

static void put(const char *name, const uint8_t *data, size_t len, int compress)
{
    if (!compress) {
        fuzz_write(name, data, len);
        return;
    }
    gzFile gz = gzopen(fuzz_path(name), "wb1");
    if (!gz || (len && gzwrite(gz, data, (unsigned)len) != (int)len) || gzclose(gz) != Z_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[4][5] = {
        {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
        {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
        {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
         "data_batch_5.bin"},
        {"test_batch.bin"}};
    static const int nfiles[4] = {2, 2, 5, 1};
    if (size == 0)
        return 0;
    int set = data[0] & 3, compress = set < 2 && (data[0] & 4);
    const uint8_t *part[5];
    size_t len[5];
    int parts = fuzz_split(data + 1, size - 1, part, len, nfiles[set]);
    for (int i = 0; i < nfiles[set]; i++) {
        if (i < parts)
            put(files[set][i], part[i], len[i], compress);
        else
            unlink(fuzz_path(files[set][i]));
    }

    Config cfg;
    config_defaults(&cfg);
    snprintf(cfg.data.set, sizeof cfg.data.set, "%s", set < 2 ? "fashion-mnist" : "cifar10");
    snprintf(cfg.data.dir, sizeof cfg.data.dir, "%s", fuzz_dir());
    Dataset d;
    char err[512] = "";
    if (dataset_load(&d, &cfg, (set & 1) ? DATA_TEST : DATA_TRAIN, err, sizeof err) != 0) {
        if (!strstr(err, fuzz_dir())) {
            fprintf(stderr, "a refusal that names no file: '%s'\n", err);
            abort();
        }
        return 0;
    }
    int32_t idx[2] = {0, d.count - 1};
    size_t image = (size_t)d.channels * d.height * d.width;
    float *x = malloc(2 * image * sizeof *x);
    int y[2];
    if (!x)
        abort();
    dataset_batch(&d, idx, 2, 0, NULL, x, y);
    free(x);
    dataset_free(&d);
    return 0;
}
