/* fail_writes: an LD_PRELOAD library that makes the file system under one
 * directory fail the way a full or read-only disk does, for the tests of
 * what dartboard does then (tests/test_rundir.sh).
 *
 *   FAIL_WRITES_DIR=DIR     only files under DIR are affected
 *   FAIL_WRITES_AFTER=K     the first K operations succeed, every later one fails
 *   FAIL_WRITES_ERRNO=ENOSPC  write() fails with ENOSPC (a full disk), or
 *                  =EROFS   open(O_CREAT) fails with EROFS (a read-only mount)
 *
 * dartboard writes run files with open + write (atomic_file.c), which pass
 * through here; stdio's internal writes would not, and it uses none for them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long operations;

/* 1 when `path` lies under FAIL_WRITES_DIR (not the lock file, which a
 * read-only mount would refuse too, but which is not what is tested). */
static int affected_path(const char *path)
{
    const char *dir = getenv("FAIL_WRITES_DIR");
    if (!dir || !*dir || !path)
        return 0;
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return 0;
    const char *base = strrchr(path, '/');
    return !(base && strcmp(base + 1, "lock") == 0);
}

static int affected_fd(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return affected_path(path);
}

static int mode_is(const char *name)
{
    const char *e = getenv("FAIL_WRITES_ERRNO");
    return e && strcmp(e, name) == 0;
}

/* Counts one operation; 1 when it must fail. */
static int must_fail(void)
{
    const char *after = getenv("FAIL_WRITES_AFTER");
    long k = after ? atol(after) : 0;
    return atomic_fetch_add(&operations, 1) >= k;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (mode_is("ENOSPC") && fd > 2 && affected_fd(fd) && must_fail()) {
        errno = ENOSPC;
        return -1;
    }
    return real(fd, buf, len);
}

int open(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
        char abs[4096];
        const char *p = path;
        if (path[0] != '/' && getcwd(abs, sizeof abs)) {
            size_t n = strlen(abs);
            snprintf(abs + n, sizeof abs - n, "/%s", path);
            p = abs;
        }
        if (mode_is("EROFS") && affected_path(p) && must_fail()) {
            errno = EROFS;
            return -1;
        }
    }
    return real(path, flags, mode);
}
