/* atomic_file: see include/dartboard/atomic_file.h */
#include "config.h"
#include "dartboard/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define TMP_SUFFIX ".tmp"

/* fsync of the directory holding `path`, so a completed rename is durable. */
static void sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int atomic_file_write(const char *path, AtomicFill fill, void *ctx, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s" TMP_SUFFIX, path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create (%s)", tmp, strerror(errno));
        return -1;
    }
    int bad = fill(f, ctx) != 0;
    int saved_errno = errno;
    if (!bad && fflush(f) != 0) {
        bad = 1;
        saved_errno = errno;
    }
    if (!bad && fsync(fileno(f)) != 0) {
        bad = 1;
        saved_errno = errno;
    }
    if (ferror(f) && !bad) {
        bad = 1;
        saved_errno = EIO;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved_errno = errno;
    }
    if (bad) {
        unlink(tmp);
        snprintf(err, errlen, "%s: write failed (%s)", path,
                 saved_errno ? strerror(saved_errno) : "the writer gave up");
        return -1;
    }
    if (rename(tmp, path) != 0) {
        saved_errno = errno;
        unlink(tmp);
        snprintf(err, errlen, "%s: cannot rename into place (%s)", path, strerror(saved_errno));
        return -1;
    }
    sync_parent_dir(path);
    return 0;
}

typedef struct Bytes {
    const void *data;
    size_t len;
} Bytes;

static int fill_bytes(FILE *f, void *ctx)
{
    const Bytes *b = ctx;
    return b->len && fwrite(b->data, 1, b->len, f) != b->len ? -1 : 0;
}

int atomic_file_write_bytes(const char *path, const void *data, size_t len, char *err,
                            size_t errlen)
{
    Bytes b = {data, len};
    return atomic_file_write(path, fill_bytes, &b, err, errlen);
}

int atomic_file_clean_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    size_t suffix = strlen(TMP_SUFFIX);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n <= suffix || strcmp(e->d_name + n - suffix, TMP_SUFFIX) != 0)
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        if (unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
