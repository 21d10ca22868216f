/* corpus_cache: the KJV corpus prepared once (bible -> tokens -> three files
 * through atomic_file), and the corpus a recurrent search reads. */
#include "dartboard/corpus_cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dartboard/atomic_file.h"
#include "dartboard/tool.h"

static const char *const kjv_files[CORPUS_SPLITS] = {"kjv.train.txt", "kjv.valid.txt",
                                                     "kjv.test.txt"};

int corpus_cache_dir(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (dir)
        n = snprintf(out, outlen, "%s", dir);
    else if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is ignored */
        n = snprintf(out, outlen, "%s/dartboard/kjv", xdg);
    else if (home && *home)
        n = snprintf(out, outlen, "%s/.cache/dartboard/kjv", home);
    else {
        snprintf(err, errlen,
                 "no cache directory for the KJV corpus: neither XDG_CACHE_HOME nor HOME is set "
                 "(expected one of them, or --cache DIR)");
        return -1;
    }
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "%.200s...: cache directory path too long", dir ? dir : "cache");
        return -1;
    }
    return 0;
}

/* mkdir -p; *created = the length of the first directory it made (0 when
 * all existed), so a failure can take them away again (unmake_dirs). */
static int make_dirs(const char *path, size_t *created, char *err, size_t errlen)
{
    char tmp[CORPUS_CACHE_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    *created = 0;
    for (char *p = tmp + 1;; p++) {
        int end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(tmp, 0777) == 0) {
                if (!*created)
                    *created = strlen(tmp);
            } else if (errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create the cache directory (%s)", tmp,
                         strerror(errno));
                return -1;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory (expected the cache directory)", path);
        return -1;
    }
    return 0;
}

/* Removes the (empty) directories make_dirs created, deepest first. */
static void unmake_dirs(const char *path, size_t created)
{
    char tmp[CORPUS_CACHE_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    while (created && strlen(tmp) >= created && rmdir(tmp) == 0) {
        char *slash = strrchr(tmp, '/');
        if (!slash || slash == tmp)
            break;
        *slash = '\0';
    }
}

/* The output of `bible -f Gen1:1-Rev22:21`, through a private temporary in
 * the cache directory that is removed again. */
static int run_bible(const char *dir, char **text, size_t *len, char *err, size_t errlen)
{
    static const char *const argv[] = {"bible", "-f", "Gen1:1-Rev22:21", NULL};
    char target[CORPUS_CACHE_PATH_MAX + 64], tmp[CORPUS_CACHE_PATH_MAX + 128], msg[1024];
    snprintf(target, sizeof target, "%s/bible.out", dir);
    if (atomic_file_reserve(target, tmp, sizeof tmp, err, errlen) != 0)
        return -1;
    if (tool_run(argv, NULL, tmp, "bible-kjv", msg, sizeof msg) != 0) {
        atomic_file_abandon(tmp);
        snprintf(err, errlen, "cannot prepare the KJV corpus: %s", msg);
        return -1;
    }
    FILE *f = fopen(tmp, "rb");
    char *buf = NULL;
    size_t n = 0;
    int ok = 0;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1))) {
            n = fread(buf, 1, (size_t)size, f);
            ok = n == (size_t)size && !ferror(f);
            buf[n] = '\0';
        }
    }
    int saved = errno;
    if (f)
        fclose(f);
    atomic_file_abandon(tmp);
    if (!ok) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read the output of bible: %s", tmp,
                 saved ? strerror(saved) : "short read");
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

typedef struct SplitWrite {
    const Corpus *c;
    CorpusSplit s;
} SplitWrite;

static int fill_split(FILE *f, void *ctx)
{
    const SplitWrite *w = ctx;
    return corpus_write_text(w->c, w->s, f);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* bible -> tokens -> the three files; the corpus stays loaded in c. */
static int prepare(Corpus *c, const char *dir,
                   char paths[CORPUS_SPLITS][CORPUS_CACHE_PATH_MAX + 64], FILE *progress, char *err,
                   size_t errlen)
{
    double t0 = now();
    if (progress) {
        fprintf(progress, "dartboard: preparing the KJV corpus in %s (once; later runs read it)\n",
                dir);
        fflush(progress);
    }
    size_t created;
    if (make_dirs(dir, &created, err, errlen) != 0)
        return -1;
    char *text;
    size_t len;
    if (run_bible(dir, &text, &len, err, errlen) != 0) {
        unmake_dirs(dir, created);
        return -1;
    }
    int rc = corpus_from_bible(c, text, len, CORPUS_KJV_VOCAB,
                               "the output of bible -f Gen1:1-Rev22:21", err, errlen);
    free(text);
    for (int s = 0; s < CORPUS_SPLITS && rc == 0; s++) {
        SplitWrite w = {c, (CorpusSplit)s};
        rc = atomic_file_write(paths[s], fill_split, &w, err, errlen);
        if (rc != 0)
            for (int k = 0; k < s; k++)
                unlink(paths[k]); /* no partial cache: nothing written */
        snprintf(c->source[s], sizeof c->source[s], "%.3200s", paths[s]);
    }
    if (rc != 0) {
        corpus_free(c);
        unmake_dirs(dir, created);
        return -1;
    }
    if (progress) {
        fprintf(progress,
                "dartboard: KJV corpus ready: train %lld, valid %lld, test %lld tokens, "
                "vocabulary %d (%.1f s)\n",
                (long long)c->len[CORPUS_TRAIN], (long long)c->len[CORPUS_VALID],
                (long long)c->len[CORPUS_TEST], (int)c->vocab.count, now() - t0);
        fflush(progress);
    }
    return 0;
}

int corpus_load_kjv(Corpus *c, const char *dir, FILE *progress, int *prepared, char *err,
                    size_t errlen)
{
    char cache[CORPUS_CACHE_PATH_MAX], paths[CORPUS_SPLITS][CORPUS_CACHE_PATH_MAX + 64];
    const char *p[CORPUS_SPLITS];
    corpus_init(c);
    if (prepared)
        *prepared = 0;
    if (corpus_cache_dir(dir, cache, sizeof cache, err, errlen) != 0)
        return -1;
    int complete = 1;
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        snprintf(paths[s], sizeof paths[s], "%s/%s", cache, kjv_files[s]);
        p[s] = paths[s];
        complete &= access(paths[s], F_OK) == 0;
    }
    if (!complete) {
        if (prepare(c, cache, paths, progress, err, errlen) != 0)
            return -1;
        if (prepared)
            *prepared = 1;
        return 0;
    }
    if (corpus_read_files(c, p, 1, err, errlen) != 0) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, "; remove %s to prepare the KJV corpus again", cache);
        return -1;
    }
    return 0;
}

int corpus_load(Corpus *c, const char *data_dir, const char *cache_dir, FILE *progress, char *err,
                size_t errlen)
{
    if (data_dir)
        return corpus_read_dir(c, data_dir, err, errlen);
    return corpus_load_kjv(c, cache_dir, progress, NULL, err, errlen);
}

/* A word as it is, but control characters (C0, DEL, C1), the byte order
 * mark, backslashes and bytes that are not UTF-8 as \xNN, so a file can
 * neither drive the terminal nor hide a character. */
static int print_word(FILE *f, const char *w)
{
    int n = 0;
    const unsigned char *s = (const unsigned char *)w;
    while (*s) {
        uint32_t cp = *s;
        int len = 1;
        if (*s >= 0xc2 && *s <= 0xdf && (s[1] & 0xc0) == 0x80) {
            len = 2;
            cp = (uint32_t)(*s & 0x1f) << 6 | (s[1] & 0x3f);
        } else if (*s >= 0xe0 && *s <= 0xef && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
            len = 3;
            cp = (uint32_t)(*s & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
        } else if (*s >= 0xf0 && *s <= 0xf4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
                   (s[3] & 0xc0) == 0x80) {
            len = 4;
            cp = 0x10000; /* beyond the controls: shown as it is */
        } else if (*s >= 0x80)
            cp = 0; /* not UTF-8: escaped below */
        int escape =
            cp < 0x20 || cp == 0x7f || cp == '\\' || (cp >= 0x80 && cp < 0xa0) || cp == 0xfeff;
        for (int k = 0; k < len; k++)
            n += escape ? fprintf(f, "\\x%02x", s[k]) : fprintf(f, "%c", s[k]);
        s += len;
    }
    return n;
}

void corpus_print_summary(const Corpus *c, FILE *f)
{
    unsigned char *seen = calloc((size_t)c->vocab.count + 1, 1);
    fprintf(f, "vocabulary: %d words\n", (int)c->vocab.count);
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        int64_t distinct = 0;
        for (int64_t t = 0; seen && t < c->len[s]; t++)
            if (seen[c->ids[s][t]] != s + 1) {
                seen[c->ids[s][t]] = (unsigned char)(s + 1);
                distinct++;
            }
        fprintf(f, "%-5s %9lld tokens, %7lld distinct words, from %s\n", corpus_split_name(s),
                (long long)c->len[s], (long long)distinct, c->source[s]);
        int width = fprintf(f, "      first:");
        for (int64_t t = 0; t < c->len[s] && width < 90; t++) {
            width += fprintf(f, " ");
            width += print_word(f, corpus_word(c, c->ids[s][t]));
        }
        fprintf(f, " ...\n");
    }
    free(seen);
}
