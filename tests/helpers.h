/* helpers.h: what the C tests share besides TAP (tap.h).
 *
 *   test_now(), test_nap(ms)                  monotonic seconds; sleep
 *   test_read_file(path, &len)                the whole file, NUL-terminated (free it)
 *   test_write_file(path, data, len)          0 or -1
 *   test_file_has(path, text)                 the file contains text (bytes, NULs allowed)
 *   test_remove_tree(path), test_fresh_dir(path)   rm -rf; rm -rf then mkdir
 *   test_preset(&cfg, "key=value", ..., NULL) the test preset with overrides (exit 99 if not)
 *
 * and for tests that drive a Session:
 *
 *   test_send(s, CMD_SET, key, value)         one command
 *   test_wait(s, &snap, cond, arg)            poll snapshots until cond holds (60 s at most)
 *   test_is_state, test_step_at_least, test_message_after   conditions for test_wait
 *   test_session_run(&cfg, &opt, &snap, err, errlen)  create, start, join, free
 *
 * Everything is static inline, so a test links only what it uses.
 */
#ifndef DARTBOARD_TEST_HELPERS_H
#define DARTBOARD_TEST_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dartboard/config.h"
#include "dartboard/session.h"

#define TEST_DEADLINE_S 60.0

static inline double test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline void test_nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* NULL when the file cannot be read; len may be NULL. */
static inline char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, 2 * cap);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline int test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int bad = fwrite(data, 1, len, f) != len;
    return fclose(f) != 0 || bad ? -1 : 0;
}

static inline int test_file_has(const char *path, const char *text)
{
    size_t n, k = strlen(text);
    char *buf = test_read_file(path, &n);
    int found = 0;
    for (size_t i = 0; buf && !found && i + k <= n; i++)
        found = memcmp(buf + i, text, k) == 0;
    free(buf);
    return found;
}

/* rm -rf path (symbolic links are removed, not followed); 0 when it is gone. */
static inline int test_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t len = strlen(path) + strlen(e->d_name) + 2;
            char *child = malloc(len);
            if (child) {
                snprintf(child, len, "%s/%s", path, e->d_name);
                test_remove_tree(child);
                free(child);
            }
        }
        if (d)
            closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

/* An empty directory at path (what was there is removed); 0 or -1. */
static inline int test_fresh_dir(const char *path)
{
    if (test_remove_tree(path) != 0 || mkdir(path, 0777) != 0) {
        printf("# cannot make a fresh %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The `test` preset, then each "key=value" up to NULL. A failure is not the
 * test's subject: "Bail out!" and exit status 99. */
static inline void test_preset(Config *cfg, ...)
{
    char err[1024];
    config_defaults(cfg);
    int rc = config_load_preset(cfg, "test", err, sizeof err);
    va_list ap;
    va_start(ap, cfg);
    for (const char *set; rc == 0 && (set = va_arg(ap, const char *)) != NULL;)
        rc = config_set_assignment(cfg, set, err, sizeof err);
    va_end(ap);
    if (rc != 0) {
        printf("Bail out! the test preset: %s\n", err);
        exit(99);
    }
}

static inline void test_send(Session *s, CommandKind kind, const char *key, const char *value)
{
    Command c = {.kind = kind};
    if (key)
        snprintf(c.key, sizeof c.key, "%s", key);
    if (value)
        snprintf(c.value, sizeof c.value, "%s", value);
    session_command(s, &c);
}

typedef int (*TestCond)(const Snapshot *snap, const void *arg);

/* Polls snapshots into snap until cond holds (1) or TEST_DEADLINE_S passes (0). */
static inline int test_wait(Session *s, Snapshot *snap, TestCond cond, const void *arg)
{
    double until = test_now() + TEST_DEADLINE_S;
    do {
        session_snapshot(s, snap);
        if (cond(snap, arg))
            return 1;
        test_nap(10);
    } while (test_now() < until);
    return 0;
}

/* arg: a SessionState */
static inline int test_is_state(const Snapshot *snap, const void *arg)
{
    return snap->state == *(const SessionState *)arg;
}

/* arg: an int64_t step */
static inline int test_step_at_least(const Snapshot *snap, const void *arg)
{
    return snap->step >= *(const int64_t *)arg;
}

/* arg: a uint64_t message_seq seen before (a newer message arrived) */
static inline int test_message_after(const Snapshot *snap, const void *arg)
{
    return snap->message_seq > *(const uint64_t *)arg;
}

/* A whole session: its join status (0 done, 1 error), or -2 when it cannot
 * be created (err says why); the last snapshot in snap. */
static inline int test_session_run(const Config *cfg, const SessionOptions *opt, Snapshot *snap,
                                   char *err, size_t errlen)
{
    Session *s = session_create(cfg, opt, err, errlen);
    if (!s)
        return -2;
    session_start(s);
    int status = session_join(s);
    session_snapshot(s, snap);
    session_free(s);
    return status;
}

#endif
