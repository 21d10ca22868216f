/* checkpoint: see include/dartboard/checkpoint.h */
#define _GNU_SOURCE /* fmemopen, open_memstream */
#include "config.h"
#include "dartboard/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dartboard/atomic_file.h"
#include "dartboard/le.h"

static const unsigned char MAGIC[8] = {'D', 'B', 'C', 'K', 'P', 'T', '\r', '\n'};
#define HEADER_BYTES (8 + 4 + 4 + 8 + 8 + 8 + 8)
#define CRC_BYTES 4

/* FNV-1a, 64 bit: stable across machines, enough to tell shapes apart. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t checkpoint_fingerprint_u32(uint64_t h, uint32_t v)
{
    unsigned char b[4];
    le_put_u32(b, v);
    for (int i = 0; i < 4; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

int checkpoint_key_shapes(const char *name)
{
    return strncmp(name, "model.", 6) == 0 ||
           (strncmp(name, "data.", 5) == 0 && strcmp(name, "data.dir") != 0);
}

uint64_t checkpoint_fingerprint(const Config *cfg)
{
    uint64_t h = 14695981039346656037ull;
    int n;
    const ConfigKey *keys = config_keys(&n);
    for (int i = 0; i < n; i++) {
        const char *name = keys[i].name;
        if (!checkpoint_key_shapes(name))
            continue;
        char value[CONFIG_STR];
        if (config_get(cfg, name, value, sizeof value) != 0)
            value[0] = '\0';
        /* A key added later counts only when set, so older checkpoints resume. */
        if (strcmp(name, "data.train_images") == 0 && strcmp(value, "0") == 0)
            continue;
        h = fnv1a(h, name);
        h = fnv1a(h, "=");
        h = fnv1a(h, value);
        h = fnv1a(h, "\n");
    }
    return h;
}

int checkpoint_save(const char *path, uint64_t fingerprint, int64_t step, const void *extra,
                    size_t extra_len, CheckpointBodyWriter body, const void *ctx, char *err,
                    size_t errlen)
{
    /* The body goes to memory first: its length and CRC belong in the file,
     * and the file itself must appear in one rename. */
    char *body_buf = NULL;
    size_t body_len = 0;
    FILE *mem = open_memstream(&body_buf, &body_len);
    if (!mem) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int bad = body(ctx, mem) != 0;
    if (fclose(mem) != 0)
        bad = 1;
    if (bad) {
        free(body_buf);
        snprintf(err, errlen, "%s: could not serialise the search state", path);
        return -1;
    }

    size_t total = HEADER_BYTES + extra_len + body_len + CRC_BYTES;
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(body_buf);
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", path, total);
        return -1;
    }
    unsigned char *p = buf;
    memcpy(p, MAGIC, 8);
    le_put_u32(p + 8, CHECKPOINT_VERSION);
    le_put_u32(p + 12, 0);
    le_put_u64(p + 16, fingerprint);
    le_put_u64(p + 24, (uint64_t)step);
    le_put_u64(p + 32, extra_len);
    le_put_u64(p + 40, body_len);
    p += HEADER_BYTES;
    if (extra_len)
        memcpy(p, extra, extra_len);
    p += extra_len;
    if (body_len)
        memcpy(p, body_buf, body_len);
    p += body_len;
    free(body_buf);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32_z(crc, buf, total - CRC_BYTES);
    le_put_u32(p, (uint32_t)crc);

    int rc = atomic_file_write_bytes(path, buf, total, err, errlen);
    free(buf);
    return rc;
}

/* Reads a regular file of at most max_len bytes whole: a device, a FIFO or
 * a file larger than the checkpoint can be is refused before anything is
 * allocated for it. */
static unsigned char *slurp(const char *path, size_t max_len, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open checkpoint (%s)", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (expected a checkpoint)", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max_len) {
        snprintf(err, errlen,
                 "%s: %lld bytes, more than a checkpoint of this run can be (%zu); refusing to "
                 "resume",
                 path, (long long)st.st_size, max_len);
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory reading the checkpoint (%zu bytes)", path, n);
        close(fd);
        return NULL;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "%s: read error (%s)", path,
                     r < 0 ? strerror(errno) : "the file shrank while being read");
            free(buf);
            close(fd);
            return NULL;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = n;
    return buf;
}

size_t checkpoint_size(size_t extra_len, size_t body_len)
{
    return HEADER_BYTES + extra_len + body_len + CRC_BYTES;
}

int checkpoint_read(Checkpoint *c, const char *path, uint64_t fingerprint, size_t max_len,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    size_t len;
    unsigned char *data = slurp(path, max_len, &len, err, errlen);
    if (!data)
        return -1;
    if (len < 8 || memcmp(data, MAGIC, 8) != 0) {
        snprintf(err, errlen, "%s: not a dartboard checkpoint (bad magic)", path);
        goto fail;
    }
    if (len < HEADER_BYTES + CRC_BYTES) {
        snprintf(err, errlen, "%s: truncated checkpoint (%zu bytes, header alone is %d)", path, len,
                 HEADER_BYTES + CRC_BYTES);
        goto fail;
    }
    uint32_t version = le_get_u32(data + 8);
    uint64_t extra_len = le_get_u64(data + 32), body_len = le_get_u64(data + 40);
    /* Lengths beyond 2^62 are damage, and would overflow the sum below. */
    int sane = extra_len < (1ull << 62) && body_len < (1ull << 62);
    uint64_t want = HEADER_BYTES + extra_len + body_len + CRC_BYTES;
    if (sane && want > len) {
        snprintf(err, errlen,
                 "%s: truncated checkpoint (%zu bytes, expected %llu); refusing to resume", path,
                 len, (unsigned long long)want);
        goto fail;
    }
    uLong crc = crc32_z(crc32(0L, Z_NULL, 0), data, len - CRC_BYTES);
    if (!sane || want != len || (uint32_t)crc != le_get_u32(data + len - CRC_BYTES)) {
        snprintf(err, errlen, "%s: corrupt checkpoint (CRC32 mismatch); refusing to resume", path);
        goto fail;
    }
    if (version != CHECKPOINT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint format version %u, this dartboard reads version %u",
                 path, version, CHECKPOINT_VERSION);
        goto fail;
    }
    uint64_t fp = le_get_u64(data + 16);
    if (fp != fingerprint) {
        snprintf(err, errlen,
                 "%s: checkpoint was made for a different network or data configuration "
                 "(model.* / data.* differ from config.yaml)",
                 path);
        goto fail;
    }
    c->version = version;
    c->fingerprint = fp;
    c->step = (int64_t)le_get_u64(data + 24);
    c->extra = data + HEADER_BYTES;
    c->extra_len = (size_t)extra_len;
    c->body = c->extra + extra_len;
    c->body_len = (size_t)body_len;
    c->data = data;
    c->len = len;
    return 0;
fail:
    free(data);
    return -1;
}

FILE *checkpoint_body_stream(const Checkpoint *c)
{
    if (c->body_len == 0)
        return fopen("/dev/null", "rb");
    return fmemopen((void *)c->body, c->body_len, "rb");
}

void checkpoint_release(Checkpoint *c)
{
    free(c->data);
    memset(c, 0, sizeof *c);
}
