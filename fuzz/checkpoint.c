/* fuzz/checkpoint.c: the checkpoint container and the search state in it.
 *
 * Input: 'C' then the bytes of a checkpoint.bin (checkpoint_read; a
 * container that verifies has its body loaded), or any other first byte then
 * a search-state payload (search_load_state directly: random bytes never
 * carry a valid CRC, so this is how mutations reach the body's loaders).
 * The search is a tiny one (the test preset, shrunk), made once.
 * Checks: no crash; a refusal names the file; after a state loads, a search
 * step runs on it (it may refuse a non-finite loss, not crash).
 * With DARTBOARD_FUZZ_SEEDS=DIR the harness first writes two seeds there
 * from its own writers: the tiny search's payload and a whole checkpoint.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "dartboard/checkpoint.h"
#include "dartboard/search.h"

static Config cfg;
static Dataset train;
static Search *search;
static uint64_t fingerprint;

static int write_state(const void *ctx, FILE *f)
{
    return search_save_state(ctx, f);
}

static void write_seed(const char *dir, const char *name, char mode, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fputc(mode, f) == EOF || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

static void write_seeds(const char *dir)
{
    char *state = NULL, err[512];
    size_t len = 0;
    FILE *f = open_memstream(&state, &len);
    if (!f || search_save_state(search, f) != 0 || fclose(f) != 0)
        abort();
    write_seed(dir, "seed-state", 'S', state, len);
    free(state);

    char path[1024];
    snprintf(path, sizeof path, "%s", fuzz_path("seed.bin"));
    const char extra[] = "session bookkeeping";
    if (checkpoint_save(path, fingerprint, 1, extra, sizeof extra, write_state, search, err,
                        sizeof err) != 0) {
        fprintf(stderr, "checkpoint_save: %s\n", err);
        abort();
    }
    Checkpoint c;
    if (checkpoint_read(&c, path, fingerprint, SIZE_MAX, err, sizeof err) != 0) {
        fprintf(stderr, "checkpoint_read of a fresh checkpoint: %s\n", err);
        abort();
    }
    write_seed(dir, "seed-checkpoint", 'C', c.data, c.len);
    checkpoint_release(&c);
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const char *const tiny[] = {
        "model.init_channels=2", "model.nodes=1",          "model.stem_multiplier=1",
        "data.synthetic_size=8", "data.synthetic_image=4", "data.batch_size=2",
        "data.classes=2",        "data.augment=false",     "run.threads=1"};
    char err[512];
    config_defaults(&cfg);
    int rc = config_load_preset(&cfg, "test", err, sizeof err);
    for (size_t i = 0; rc == 0 && i < sizeof tiny / sizeof tiny[0]; i++)
        rc = config_set_assignment(&cfg, tiny[i], err, sizeof err);
    if (rc == 0)
        rc = dataset_load(&train, &cfg, DATA_TRAIN, err, sizeof err);
    if (rc == 0 && !(search = search_create(&cfg, &train, err, sizeof err)))
        rc = -1;
    if (rc == 0) /* a step first, so the momentum and Adam state are in use */
        rc = search_step(search, &cfg, NULL, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "the tiny search: %s\n", err);
        abort();
    }
    fingerprint = checkpoint_fingerprint(&cfg);
    const char *seeds = getenv("DARTBOARD_FUZZ_SEEDS");
    if (seeds && *seeds)
        write_seeds(seeds);
    return 0;
}

static void load_state(FILE *body)
{
    char err[512];
    if (search_load_state(search, body, err, sizeof err) == 0)
        search_step(search, &cfg, NULL, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] != 'C') {
        FILE *body =
            size > 1 ? fmemopen((void *)(data + 1), size - 1, "rb") : fopen("/dev/null", "rb");
        if (!body)
            abort();
        load_state(body);
        fclose(body);
        return 0;
    }
    fuzz_write("checkpoint.bin", data + 1, size - 1);
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s", fuzz_path("checkpoint.bin"));
    Checkpoint c;
    if (checkpoint_read(&c, path, fingerprint, SIZE_MAX, err, sizeof err) != 0) {
        if (strncmp(err, path, strlen(path)) != 0) {
            fprintf(stderr, "a refusal that does not start with the file name: '%s'\n", err);
            abort();
        }
        return 0;
    }
    FILE *body = checkpoint_body_stream(&c);
    if (!body)
        abort();
    load_state(body);
    fclose(body);
    checkpoint_release(&c);
    return 0;
}
