/* test_corpus_kjv: the KJV corpus prepared from Debian's bible-kjv into a
 * fresh cache directory is the PyTorch reference's --corpus (738,859 /
 * 40,540 / 41,387 tokens, the same 10,000 words in the same id order, the
 * same files byte for byte: tests/fixtures/corpus/kjv.*), and loading it again
 * from the cache gives the same ids without preparing. Skipped when the
 * `bible` program is not installed (./quickstart installs it). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dartboard/corpus_cache.h"
#include "dartboard/tool.h"
#include "fixture.h"
#include "tap.h"

static uint32_t fnv1a32(const void *data, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)data)[i]) * 16777619u;
    return h;
}

static uint32_t file_fnv(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint32_t h = 2166136261u;
    int ch;
    if (!f)
        return 0;
    while ((ch = getc(f)) != EOF)
        h = (h ^ (unsigned char)ch) * 16777619u;
    fclose(f);
    return h;
}

static void compare(const Corpus *c, const Fixture *f, const char *cache, const char *when)
{
    const int32_t *tokens = fixture_ints(f, "tokens");
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        const char *name = corpus_split_name(s);
        char key[64], path[4200];
        ok(tokens && c->len[s] == tokens[s], "%s: %s has %lld tokens (want %d)", when, name,
           (long long)c->len[s], tokens ? tokens[s] : -1);
        snprintf(key, sizeof key, "%s_first", name);
        const int32_t *first = fixture_ints(f, key);
        snprintf(key, sizeof key, "%s_last", name);
        const int32_t *last = fixture_ints(f, key);
        ok(first && last && c->len[s] >= 64 && memcmp(c->ids[s], first, 64 * sizeof *first) == 0 &&
               memcmp(c->ids[s] + c->len[s] - 64, last, 64 * sizeof *last) == 0,
           "%s: %s: the first and last 64 ids are the reference's", when, name);
        snprintf(key, sizeof key, "%s_ids_fnv", name);
        const int32_t *ids_fnv = fixture_ints(f, key);
        ok(ids_fnv && fnv1a32(c->ids[s], (size_t)c->len[s] * 4) == (uint32_t)ids_fnv[0],
           "%s: %s: every id is the reference's (hash of the stream)", when, name);
        snprintf(key, sizeof key, "%s_file_fnv", name);
        const int32_t *file = fixture_ints(f, key);
        snprintf(path, sizeof path, "%s/kjv.%s.txt", cache, name);
        ok(file && file_fnv(path) == (uint32_t)file[0],
           "%s: kjv.%s.txt is the file the reference's --corpus writes", when, name);
    }
    FILE *v = fopen(tap_srcpath("tests/fixtures/corpus/kjv.vocab"), "r");
    char line[CORPUS_MAX_WORD + 2];
    int32_t id = 0, same = v != NULL;
    while (same && fgets(line, sizeof line, v)) {
        line[strcspn(line, "\n")] = '\0';
        const char *w = corpus_word(c, id);
        same = w && strcmp(w, line) == 0;
        if (!same)
            diag("word %d: got '%s', want '%s'", id, w ? w : "(none)", line);
        id++;
    }
    if (v)
        fclose(v);
    ok(same && id == CORPUS_KJV_VOCAB && c->vocab.count == CORPUS_KJV_VOCAB,
       "%s: the 10000 words in the reference's id order", when);
}

int main(void)
{
    if (!tool_available("bible"))
        skip_all("the bible program is not installed (apt-get install bible-kjv)");
    Fixture *f = fixture_load(tap_srcpath("tests/fixtures/corpus/kjv.fix"));
    if (!f)
        return 99;
    char cache[512];
    snprintf(cache, sizeof cache, "%s/dartboard-kjv-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(cache)) {
        perror("mkdtemp");
        return 99;
    }
    char dir[600], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/a/kjv", cache); /* made on the way */

    char *log = NULL;
    size_t loglen = 0;
    FILE *progress = open_memstream(&log, &loglen);
    Corpus c;
    int prepared = 0;
    int rc = corpus_load_kjv(&c, dir, progress, &prepared, err, sizeof err);
    fclose(progress);
    if (!ok(rc == 0 && prepared, "prepared into a fresh cache (%s)", err))
        return tap_done();
    ok(strstr(log, "preparing the KJV corpus in") && strstr(log, "KJV corpus ready"),
       "a progress line before and after");
    compare(&c, f, dir, "prepared");
    corpus_free(&c);

    DIR *d = opendir(dir);
    int files = 0, others = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strncmp(e->d_name, "kjv.", 4) == 0)
            files++;
        else
            others++; /* a temporary (.NAME.tmp-*) or bible's output left behind */
    }
    if (d)
        closedir(d);
    ok(files == 3 && others == 0, "the cache holds the three files, no temporaries (%d, %d)", files,
       others);

    log = NULL;
    progress = open_memstream(&log, &loglen);
    rc = corpus_load_kjv(&c, dir, progress, &prepared, err, sizeof err);
    fclose(progress);
    ok(rc == 0 && !prepared && loglen == 0, "loaded again from the cache, silently (%s)", err);
    free(log);
    if (rc == 0) {
        compare(&c, f, dir, "from the cache");
        corpus_free(&c);
    }
    fixture_free(f);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    if (system(cmd) != 0)
        diag("could not remove %s", cache);
    return tap_done();
}
