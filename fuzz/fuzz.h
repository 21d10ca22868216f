/* fuzz.h: what the libFuzzer harnesses share.
 *
 *   fuzz_path("metrics.csv")          a file in this process's private temporary directory
 *   fuzz_write("metrics.csv", p, n)   write it (the readers under test take paths)
 *   fuzz_split(data, size, part, len, max)   cut an input at FUZZ_SEPARATOR
 *
 * Inputs that stand for several files (a CSV pair, an image file and its
 * labels, the arguments of a command line) hold them one after the other,
 * separated by FUZZ_SEPARATOR; fuzz/make_corpus.sh builds the seeds that way.
 * A harness aborts (a crash for libFuzzer) only when a property it checks
 * fails; every refusal by the code under test is a normal return.
 */
#ifndef DARTBOARD_FUZZ_H
#define DARTBOARD_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_SEPARATOR "\n--8<--\n"
#define FUZZ_SEPARATOR_LEN 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_dir_name[512];

/* Removes the files the harness wrote, then the directory (at exit). */
static inline void fuzz_cleanup(void)
{
    DIR *d = opendir(fuzz_dir_name);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", fuzz_dir_name, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(fuzz_dir_name);
}

/* A private directory under $TMPDIR (or /tmp), made on first use. */
static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_name[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir_name, sizeof fuzz_dir_name, "%s/dartboard-fuzz.XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir_name)) {
            perror(fuzz_dir_name);
            abort();
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir_name;
}

/* "DIR/name" in a static buffer (one per call site is enough: copy it to keep it). */
static inline const char *fuzz_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    return path;
}

static inline void fuzz_write(const char *name, const void *data, size_t len)
{
    const char *path = fuzz_path(name);
    /* A new file each time: ext4 flushes a file rewritten in place when it is
     * closed, which would make the disk, not the parser, set the pace. */
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Cuts data at FUZZ_SEPARATOR into at most max parts (the last one takes the
 * rest, separators included); returns how many. */
static inline int fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len,
                             int max)
{
    int n = 0;
    for (;;) {
        const uint8_t *at =
            n + 1 < max ? memmem(data, size, FUZZ_SEPARATOR, FUZZ_SEPARATOR_LEN) : NULL;
        part[n] = data;
        len[n] = at ? (size_t)(at - data) : size;
        n++;
        if (!at)
            return n;
        size -= len[n - 1] + FUZZ_SEPARATOR_LEN;
        data = at + FUZZ_SEPARATOR_LEN;
    }
}

/* A NUL-terminated copy (the caller frees it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

#endif
