/* atomic_file: see include/dartboard/atomic_file.h */
#define _GNU_SOURCE /* open_memstream */
#include "config.h"
#include "dartboard/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TMP_MARK ".tmp-"
#define TMP_RANDOM 6
#define PATH_CAP 4096

/* Splits path into its directory ("." when none) and base name. */
static int split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dirlen, ".");
        *base = path;
        return 0;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= dirlen)
        return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    *base = slash + 1;
    return 0;
}

/* fsync of the directory holding `path`, so a completed rename is durable.
 * EINVAL: file systems that cannot sync a directory have nothing to lose. */
static int sync_parent_dir(const char *path, char *err, size_t errlen)
{
    char dir[PATH_CAP];
    const char *base;
    if (split_path(path, dir, sizeof dir, &base) != 0)
        return 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open its directory to sync the rename (%s)", path,
                 strerror(errno));
        return -1;
    }
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && saved != EINVAL) {
        snprintf(err, errlen, "%s: cannot sync its directory (%s)", path, strerror(saved));
        return -1;
    }
    return 0;
}

/* Six letters no two concurrent temporaries share: the pid, a per-process
 * counter and the clock, mixed. */
static void random_suffix(char *out)
{
    static atomic_uint counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^
                 (uint64_t)atomic_fetch_add(&counter, 1) * 0xBF58476D1CE4E5B9ull ^
                 (uint64_t)ts.tv_nsec * 0x94D049BB133111EBull ^ (uint64_t)ts.tv_sec;
    x ^= x >> 31;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < TMP_RANDOM; i++, x /= 36)
        out[i] = alphabet[x % 36];
    out[TMP_RANDOM] = '\0';
}

/* Creates DIR/.BASE.tmp-XXXXXX exclusively; returns the descriptor. */
static int create_tmp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    char dir[PATH_CAP];
    const char *base;
    if (split_path(path, dir, sizeof dir, &base) != 0 || !*base) {
        snprintf(err, errlen, "%s: not a file path", path);
        return -1;
    }
    for (int attempt = 0; attempt < 64; attempt++) {
        char suffix[TMP_RANDOM + 1];
        random_suffix(suffix);
        int n = strchr(path, '/') ? snprintf(tmp, tmplen, "%s/.%s" TMP_MARK "%s", dir, base, suffix)
                                  : snprintf(tmp, tmplen, ".%s" TMP_MARK "%s", base, suffix);
        if (n < 0 || (size_t)n >= tmplen) {
            snprintf(err, errlen, "%s: path too long", path);
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create a temporary file beside it (%s)", path,
                     strerror(errno));
            return -1;
        }
    }
    snprintf(err, errlen, "%s: cannot create a temporary file beside it (every name taken)", path);
    return -1;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync, close, rename over path, sync the directory; removes tmp on failure. */
static int finish(int fd, const char *tmp, const char *path, char *err, size_t errlen)
{
    if (fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        snprintf(err, errlen, "%s: write failed (%s)", path, strerror(saved));
        return -1;
    }
    if (close(fd) != 0) {
        int saved = errno;
        unlink(tmp);
        snprintf(err, errlen, "%s: write failed (%s)", path, strerror(saved));
        return -1;
    }
    if (rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        snprintf(err, errlen, "%s: cannot rename into place (%s)", path, strerror(saved));
        return -1;
    }
    return sync_parent_dir(path, err, errlen);
}

int atomic_file_write_bytes(const char *path, const void *data, size_t len, char *err,
                            size_t errlen)
{
    char tmp[PATH_CAP];
    int fd = create_tmp(path, tmp, sizeof tmp, err, errlen);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        snprintf(err, errlen, "%s: write failed (%s)", path, strerror(saved));
        return -1;
    }
    return finish(fd, tmp, path, err, errlen);
}

int atomic_file_write(const char *path, AtomicFill fill, void *ctx, char *err, size_t errlen)
{
    /* The content is made in memory first: a writer that gives up halfway
     * never touches the disk, and the bytes reach it through one path. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int bad = fill(mem, ctx) != 0;
    bad |= ferror(mem) != 0;
    bad |= fclose(mem) != 0;
    int rc;
    if (bad) {
        snprintf(err, errlen, "%s: not written (its content could not be produced)", path);
        rc = -1;
    } else {
        rc = atomic_file_write_bytes(path, buf, len, err, errlen);
    }
    free(buf);
    return rc;
}

int atomic_file_reserve(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    int fd = create_tmp(path, tmp, tmplen, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int atomic_file_commit(const char *tmp, const char *path, char *err, size_t errlen)
{
    int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: its temporary is gone (%s)", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return finish(fd, tmp, path, err, errlen);
}

void atomic_file_abandon(const char *tmp)
{
    unlink(tmp);
}

/* ".NAME.tmp-XXXXXX" (ours), "NAME.tmp" or "NAME.tmp.<digits>" (older versions). */
static int is_temporary(const char *name)
{
    size_t n = strlen(name);
    const char *mark = strstr(name, TMP_MARK);
    if (name[0] == '.' && mark && mark > name + 1 && strlen(mark) == strlen(TMP_MARK) + TMP_RANDOM)
        return 1;
    if (n > 4 && strcmp(name + n - 4, ".tmp") == 0)
        return 1;
    const char *dot = strstr(name, ".tmp.");
    if (!dot || dot == name || !dot[5])
        return 0;
    for (const char *p = dot + 5; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

int atomic_file_clean_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_temporary(e->d_name))
            continue;
        char path[PATH_CAP];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        if (unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
