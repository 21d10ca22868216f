/* test_checkpoint: the checkpoint.bin container and atomic files.
 *
 * Round trip of header, extra block and body; every kind of damage (a flipped
 * byte anywhere, truncation at any length, foreign magic, another network's
 * fingerprint) is refused with a message naming the file; a failed write
 * leaves the previous file whole and no *.tmp behind.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/atomic_file.h"
#include "dartboard/checkpoint.h"
#include "helpers.h"
#include "tap.h"

#define DIR_NAME "test_checkpoint.dir"
#define PATH DIR_NAME "/checkpoint.bin"
#define BODY_LEN 5000

static unsigned char body[BODY_LEN];

static int write_body(const void *ctx, FILE *f)
{
    (void)ctx;
    return fwrite(body, 1, BODY_LEN, f) == BODY_LEN ? 0 : -1;
}

static int failing_body(const void *ctx, FILE *f)
{
    (void)ctx;
    fwrite(body, 1, 100, f);
    return -1;
}

static int count_tmp(void)
{
    DIR *d = opendir(DIR_NAME);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp"))
            n++;
    closedir(d);
    return n;
}

static int refused(uint64_t fp, const char *want, const char *what)
{
    Checkpoint c;
    char err[512] = "";
    int rc = checkpoint_read(&c, PATH, fp, SIZE_MAX, err, sizeof err);
    int good = rc == -1 && strstr(err, PATH) != NULL && strstr(err, want) != NULL;
    if (!good)
        diag("%s: rc %d, message '%s' (wanted one naming %s and saying '%s')", what, rc, err, PATH,
             want);
    return good;
}

int main(void)
{
    if (test_fresh_dir(DIR_NAME) != 0)
        return 99;
    for (int i = 0; i < BODY_LEN; i++)
        body[i] = (unsigned char)(i * 131 + 7);
    const unsigned char extra[] = "session bookkeeping";
    const uint64_t fp = 0x1234567890abcdefull;
    char err[512];

    ok(checkpoint_save(PATH, fp, 4242, extra, sizeof extra, write_body, NULL, err, sizeof err) == 0,
       "save");
    ok(count_tmp() == 0, "no temporary file left after a save");

    Checkpoint c;
    int rc = checkpoint_read(&c, PATH, fp, SIZE_MAX, err, sizeof err);
    ok(rc == 0, "read back (%s)", rc ? err : "ok");
    if (rc == 0) {
        ok(c.step == 4242 && c.version == CHECKPOINT_VERSION && c.fingerprint == fp,
           "header fields round-trip");
        ok(c.extra_len == sizeof extra && memcmp(c.extra, extra, sizeof extra) == 0,
           "extra block round-trips");
        ok(c.body_len == BODY_LEN && memcmp(c.body, body, BODY_LEN) == 0, "body round-trips");
        FILE *f = checkpoint_body_stream(&c);
        unsigned char back[BODY_LEN + 1];
        size_t n = f ? fread(back, 1, sizeof back, f) : 0;
        if (f)
            fclose(f);
        ok(n == BODY_LEN && memcmp(back, body, BODY_LEN) == 0, "body stream yields the body");
        checkpoint_release(&c);
    }

    ok(refused(fp ^ 1, "different network", "fingerprint"),
       "another network's checkpoint is refused");

    size_t len;
    unsigned char *good = (unsigned char *)test_read_file(PATH, &len);
    ok(good != NULL && len == 8 + 4 + 4 + 8 + 8 + 8 + 8 + sizeof extra + BODY_LEN + 4,
       "file size is header + extra + body + crc");

    /* A flipped bit anywhere is caught (magic damage says so, the rest by CRC). */
    int all_flips = 1;
    for (size_t pos = 0; pos < len; pos += (pos < 64 ? 1 : 97)) {
        unsigned char *bad = malloc(len);
        memcpy(bad, good, len);
        bad[pos] ^= 0x10;
        test_write_file(PATH, bad, len);
        free(bad);
        Checkpoint x;
        char e[512] = "";
        if (checkpoint_read(&x, PATH, fp, SIZE_MAX, e, sizeof e) == 0 || !strstr(e, PATH)) {
            diag("flip at byte %zu not refused: '%s'", pos, e);
            all_flips = 0;
            if (e[0] == '\0')
                checkpoint_release(&x);
        }
    }
    ok(all_flips, "a flipped bit at any position is refused, naming the file");
    good[len / 2] ^= 1;
    test_write_file(PATH, good, len);
    ok(refused(fp, "CRC32", "flip in the body"),
       "a flipped body byte is reported as a CRC mismatch");
    good[len / 2] ^= 1;

    int all_cuts = 1;
    for (size_t cut = 0; cut < len; cut += (cut < 80 ? 1 : 211)) {
        test_write_file(PATH, good, cut);
        Checkpoint x;
        char e[512] = "";
        if (checkpoint_read(&x, PATH, fp, SIZE_MAX, e, sizeof e) == 0 || !strstr(e, PATH)) {
            diag("truncation to %zu bytes not refused: '%s'", cut, e);
            all_cuts = 0;
        }
    }
    ok(all_cuts, "a checkpoint truncated to any length is refused, naming the file");
    test_write_file(PATH, good, len - 100);
    ok(refused(fp, "truncated", "truncated body"), "truncation is reported as such");
    static const char foreign[] = "PK\003\004 not ours at all, but longer than a header.....";
    test_write_file(PATH, (const unsigned char *)foreign, sizeof foreign - 1);
    ok(refused(fp, "not a dartboard checkpoint", "foreign"), "a foreign file is refused");
    unlink(PATH);
    ok(refused(fp, "cannot open", "missing"), "a missing checkpoint is refused");

    /* A failing writer leaves the previous file untouched and no temp file. */
    test_write_file(PATH, good, len);
    ok(checkpoint_save(PATH, fp, 1, NULL, 0, failing_body, NULL, err, sizeof err) == -1 &&
           strstr(err, PATH) != NULL,
       "a failing body writer is an error naming the file");
    size_t len2;
    unsigned char *after = (unsigned char *)test_read_file(PATH, &len2);
    ok(after && len2 == len && memcmp(after, good, len) == 0,
       "the previous checkpoint is untouched by a failed save");
    ok(count_tmp() == 0, "no temporary file left after a failed save");
    free(after);

    /* A stray temp file (a writer killed mid-write) is cleaned up. */
    test_write_file(DIR_NAME "/metrics.csv.tmp", good, 10);
    ok(atomic_file_clean_dir(DIR_NAME) == 1 && count_tmp() == 0, "stray *.tmp files are removed");

    /* Fingerprints follow the network shape, not the optimiser settings. */
    Config a, b;
    config_defaults(&a);
    b = a;
    b.optim.lr = a.optim.lr / 2;
    b.run.threads = a.run.threads + 1;
    ok(checkpoint_fingerprint(&a) == checkpoint_fingerprint(&b),
       "fingerprint ignores optim.lr and run.threads");
    b = a;
    b.model.layers = a.model.layers + 1;
    ok(checkpoint_fingerprint(&a) != checkpoint_fingerprint(&b), "fingerprint sees model.layers");
    b = a;
    b.data.batch_size = a.data.batch_size + 1;
    ok(checkpoint_fingerprint(&a) != checkpoint_fingerprint(&b),
       "fingerprint sees data.batch_size");
    b = a;
    snprintf(b.data.dir, sizeof b.data.dir, "/elsewhere");
    ok(checkpoint_fingerprint(&a) == checkpoint_fingerprint(&b),
       "fingerprint ignores data.dir (a moved dataset still resumes)");

    free(good);
    return tap_done();
}
