/* test_corpus: the text corpora (src/data/corpus.c) against what the official
 * DARTS data.py and the PyTorch reference's --corpus make of the same text
 * (tests/fixtures/corpus, from tests/reference/make_corpus_fixtures.py), the
 * refusals of bad input, batchify and the BPTT windows. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/corpus.h"
#include "fixture.h"
#include "tap.h"

static char tmpdir[512];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = cap * 2 + 8192;
            buf = realloc(buf, cap);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The corpus has the ids of the fixture NAME.fix and the words of NAME.vocab. */
static void expect_fixture(const Corpus *c, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "tests/fixtures/corpus/%s.fix", name);
    Fixture *f = fixture_load(tap_srcpath(path));
    snprintf(path, sizeof path, "tests/fixtures/corpus/%s.vocab", name);
    size_t len;
    char *vocab = slurp(tap_srcpath(path), &len);
    if (!ok(f && vocab, "%s: the fixture loads", name)) {
        fixture_free(f);
        free(vocab);
        return;
    }
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        const FixtureTensor *t = fixture_get(f, corpus_split_name(s));
        int same = t && (int64_t)t->count == c->len[s] &&
                   memcmp(t->data, c->ids[s], t->count * sizeof(int32_t)) == 0;
        ok(same, "%s: the %s ids are the reference's (%lld tokens, want %zu)", name,
           corpus_split_name(s), (long long)c->len[s], t ? t->count : 0);
    }
    int32_t id = 0, words_ok = 1;
    for (char *line = vocab, *nl; *line; line = nl + 1, id++) {
        nl = strchr(line, '\n');
        *nl = '\0';
        const char *w = corpus_word(c, id);
        if (!w || strcmp(w, line) != 0) {
            diag("word %d: got '%s', want '%s'", id, w ? w : "(none)", line);
            words_ok = 0;
            break;
        }
    }
    ok(words_ok && id == c->vocab.count, "%s: the %d words in the reference's order", name,
       (int)id);
    fixture_free(f);
    free(vocab);
}

static void test_ptb_wiki(void)
{
    char err[1024] = "";
    Corpus c;
    ok(corpus_read_dir(&c, tap_srcpath("tests/fixtures/corpus/ptb"), err, sizeof err) == 0,
       "ptb: ptb.{train,valid,test}.txt read (%s)", err);
    expect_fixture(&c, "ptb");
    ok(corpus_find(&c, "<eos>") > 0, "ptb: <eos> takes its place of first appearance, not 0");
    ok(strstr(c.source[CORPUS_VALID], "ptb/ptb.valid.txt") != NULL,
       "ptb: each split remembers its file");
    corpus_free(&c);
    ok(corpus_read_dir(&c, tap_srcpath("tests/fixtures/corpus/wiki"), err, sizeof err) == 0,
       "wiki: wiki.{train,valid,test}.tokens read (%s)", err);
    expect_fixture(&c, "wiki");
    ok(corpus_find(&c, "caf\xc3\xa9") >= 0 && corpus_find(&c, "lait") >= 0 &&
           corpus_find(&c, "here") >= 0 && corpus_find(&c, "\xef\xbb\xbf") >= 0,
       "wiki: split on Unicode spaces; the byte order mark is a word, as in Python");
    corpus_free(&c);
}

static void test_bible(const char *name, int32_t vocab_size)
{
    size_t len;
    char *text = slurp(tap_srcpath("tests/fixtures/corpus/bible_small.txt"), &len);
    char err[1024] = "";
    Corpus c;
    if (!ok(text && corpus_from_bible(&c, text, len, vocab_size, "bible_small.txt", err,
                                      sizeof err) == 0,
            "%s: the verses tokenized (%s)", name, err)) {
        free(text);
        return;
    }
    expect_fixture(&c, name);
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        char *out = NULL, path[256];
        size_t outlen = 0, wantlen;
        FILE *f = open_memstream(&out, &outlen);
        int rc = corpus_write_text(&c, s, f);
        fclose(f);
        snprintf(path, sizeof path, "tests/fixtures/corpus/%s.%s.txt", name, corpus_split_name(s));
        char *want = slurp(tap_srcpath(path), &wantlen);
        ok(rc == 0 && want && outlen == wantlen && memcmp(out, want, outlen) == 0,
           "%s: the %s file is byte for byte the reference's", name, corpus_split_name(s));
        free(out);
        free(want);
    }
    corpus_free(&c);
    free(text);
}

/* Writes name in tmpdir (len bytes of data) and returns its path. */
static const char *put(const char *name, const char *data, size_t len)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
    return path;
}

/* Reading a PTB directory whose valid split is `valid` (len bytes) fails with
 * a message holding every string of `want`. */
static void expect_refusal(const char *what, const char *valid, size_t len, const char *want1,
                           const char *want2)
{
    put("ptb.train.txt", " a b c \n", 8);
    put("ptb.test.txt", " a b \n", 6);
    put("ptb.valid.txt", valid, len);
    Corpus c;
    char err[1024] = "";
    int rc = corpus_read_dir(&c, tmpdir, err, sizeof err);
    int good = rc == -1 && strstr(err, want1) && (!want2 || strstr(err, want2));
    if (!ok(good, "refused: %s", what))
        diag("message: %s", err);
    if (rc == 0)
        corpus_free(&c);
}

static void test_refusals(void)
{
    Corpus c;
    char err[1024] = "", path[1024];
    ok(corpus_read_dir(&c, "/nonexistent/ptb", err, sizeof err) == -1 &&
           strstr(err, "/nonexistent/ptb: No such file") && strstr(err, "ptb.train.txt"),
       "refused: a missing directory, naming it and the files expected");
    ok(corpus_read_dir(&c, tmpdir, err, sizeof err) == -1 &&
           strstr(err, "no ptb.train.txt or wiki.train.tokens"),
       "refused: a directory with neither corpus");
    put("ptb.train.txt", " a \n", 4);
    put("wiki.train.tokens", " a \n", 4);
    ok(corpus_read_dir(&c, tmpdir, err, sizeof err) == -1 && strstr(err, "both"),
       "refused: a directory with both corpora");
    snprintf(path, sizeof path, "%s/wiki.train.tokens", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/ptb.valid.txt", tmpdir);
    unlink(path);
    ok(corpus_read_dir(&c, tmpdir, err, sizeof err) == -1 && strstr(err, path) &&
           strstr(err, "No such file"),
       "refused: a missing valid split, naming its file");
    if (symlink("/dev/zero", path) == 0)
        ok(corpus_read_dir(&c, tmpdir, err, sizeof err) == -1 && strstr(err, path) &&
               strstr(err, "not a regular file"),
           "refused: a valid split that is a device, before reading it");
    unlink(path);

    snprintf(path, sizeof path, "%s/ptb.valid.txt", tmpdir);
    expect_refusal("an empty file", "", 0, path, ": empty (expected the valid split");
    expect_refusal("a NUL byte", " a\n b \0 c\n", 10, ":2: a NUL byte at offset 6", "not binary");
    expect_refusal("invalid UTF-8 (a stray continuation byte)", " a \n\x80\n", 6,
                   ":2: byte 0x80 at offset 4 is not UTF-8", path);
    expect_refusal("invalid UTF-8 (an overlong form)", "\xc0\xaf\n", 3, "byte 0xc0", NULL);
    expect_refusal("invalid UTF-8 (a surrogate)", "x \xed\xa0\x80\n", 6, "byte 0xed", NULL);
    expect_refusal("invalid UTF-8 (cut short at the end)", "x \xe2\x82", 4, "byte 0xe2", NULL);
    char *longword = malloc(CORPUS_MAX_WORD + 3);
    memset(longword, 'w', CORPUS_MAX_WORD + 1);
    memcpy(longword + CORPUS_MAX_WORD + 1, "\n", 2);
    expect_refusal("a word over the length limit", longword, CORPUS_MAX_WORD + 2,
                   ":1: a word of 1025 bytes", "at most 1024");
    memcpy(longword + CORPUS_MAX_WORD, "\n", 2);
    put("ptb.valid.txt", longword, CORPUS_MAX_WORD + 1);
    ok(corpus_read_dir(&c, tmpdir, err, sizeof err) == 0 &&
           strlen(corpus_word(&c, c.ids[CORPUS_VALID][0])) == CORPUS_MAX_WORD,
       "a word of exactly the limit is read");
    corpus_free(&c);
    free(longword);

    /* CORPUS_MAX_VOCAB + 1 distinct words, with "<eos>" the limit is passed
     * one word earlier: the refusal names the line where it happens. */
    size_t cap = (size_t)(CORPUS_MAX_VOCAB + 1) * 9, n = 0;
    char *many = malloc(cap);
    for (int i = 0; i < CORPUS_MAX_VOCAB + 1; i++)
        n += (size_t)sprintf(many + n, "%x%c", i, i % 16 == 15 ? '\n' : ' ');
    expect_refusal("a vocabulary over the limit", many, n, "more than 1048576 distinct words",
                   "ptb.valid.txt:65536:");
    free(many);
}

static void test_text_rules(void)
{
    Corpus c;
    corpus_init(&c);
    char err[256];
    /* \r\n and \r end lines; \x0b, \x1c, U+0085, U+00A0 split words; U+200B
     * (zero width space) is not a space for Python either. */
    static const char text[] = "a b\r\nc\rd\x0b"
                               "e\x1c"
                               "f\xc2\x85g\xc2\xa0h\xe2\x80\x8bi\n\n";
    ok(corpus_add_text(&c, CORPUS_TRAIN, text, sizeof text - 1, "t", err, sizeof err) == 0,
       "text with mixed line ends read");
    static const char *const want[] = {"a", "b", "<eos>",          "c",     "<eos>", "d", "e",
                                       "f", "g", "h\xe2\x80\x8bi", "<eos>", "<eos>"};
    int same = c.len[CORPUS_TRAIN] == 12;
    for (int i = 0; same && i < 12; i++)
        same = strcmp(corpus_word(&c, c.ids[CORPUS_TRAIN][i]), want[i]) == 0;
    ok(same, "lines end at \\n, \\r\\n, \\r; words split on Python's whitespace only");
    corpus_free(&c);
}

static void test_batches(void)
{
    Corpus c;
    corpus_init(&c);
    char err[512] = "", text[256];
    int n = 0;
    for (int i = 0; i < 26; i++)
        n += sprintf(text + n, "%d ", i);
    /* words 0..25 are ids 0..25, then "<eos>" 26: 27 tokens */
    ok(corpus_add_text(&c, CORPUS_TRAIN, text, (size_t)n, "nums", err, sizeof err) == 0 &&
           c.len[CORPUS_TRAIN] == 27,
       "27 tokens");
    Batches b;
    ok(corpus_batchify(&c, CORPUS_TRAIN, 4, &b, err, sizeof err) == 0 && b.nbatch == 6 &&
           b.bsz == 4,
       "batchify(27 tokens, 4): 6 rows of 4, 3 tokens dropped");
    int layout = 1;
    for (int t = 0; t < 6; t++)
        for (int k = 0; k < 4; k++)
            layout &= b.data[t * 4 + k] == k * 6 + t;
    ok(layout, "column b holds tokens b*nbatch .. b*nbatch + nbatch - 1, row-major");

    BpttWindow w;
    ok(corpus_get_batch(&b, 1, 3, &w) && w.seq_len == 3 && w.x == b.data + 4 && w.y == b.data + 8 &&
           w.x[0] == 1 && w.y[0] == 2,
       "get_batch(i=1, 3): rows 1-3, targets rows 2-4");
    ok(corpus_get_batch(&b, 3, 35, &w) && w.seq_len == 2,
       "get_batch clamps seq_len to nbatch - 1 - i");
    ok(!corpus_get_batch(&b, 5, 1, &w) && !corpus_get_batch(&b, -1, 1, &w),
       "get_batch at the last row (no targets) or before the first: no window");

    BpttIter it;
    int64_t rows[8];
    int32_t lens[8];
    int k = 0;
    bptt_begin(&it, &b, 0);
    while (k < 8 && bptt_next(&it, 2, &w)) {
        rows[k] = w.row;
        lens[k++] = w.seq_len;
    }
    ok(k == 2 && rows[0] == 0 && rows[1] == 2 && lens[1] == 2,
       "training windows: while i < nbatch - 2 (rows 0, 2)");
    k = 0;
    bptt_begin(&it, &b, 1);
    while (k < 8 && bptt_next(&it, 2, &w)) {
        rows[k] = w.row;
        lens[k++] = w.seq_len;
    }
    ok(k == 3 && rows[2] == 4 && lens[2] == 1,
       "evaluation windows: range(0, nbatch - 1, bptt), the last one clamped");
    k = 0;
    bptt_begin(&it, &b, 0);
    static const int32_t asks[] = {1, 3, 7};
    while (k < 3 && bptt_next(&it, asks[k], &w))
        rows[k++] = w.row;
    ok(k == 2 && rows[0] == 0 && rows[1] == 1, "each training window asks its own seq_len");
    batches_free(&b);

    ok(corpus_check_window(&c, CORPUS_TRAIN, 4, 5, err, sizeof err) == 0,
       "6 rows hold one window of 5");
    ok(corpus_check_window(&c, CORPUS_TRAIN, 4, 6, err, sizeof err) == -1 &&
           strstr(err, "nums: the train split has 27 tokens, 6 rows at batch 4") &&
           strstr(err, "at least 28 tokens"),
       "a split too short for one window is refused, naming the file (%s)", err);
    ok(corpus_batchify(&c, CORPUS_TRAIN, 28, &b, err, sizeof err) == -1 && strstr(err, "nums"),
       "batchify with fewer tokens than one row is refused");
    corpus_free(&c);

    Rng rng;
    rng_seed(&rng, 1);
    int in_range = 1, short_ones = 0;
    for (int i = 0; i < 10000; i++) {
        int32_t len = corpus_bptt_draw(&rng, 35, 20);
        in_range &= len >= 5 && len <= 55;
        short_ones += len < 22;
    }
    ok(in_range, "drawn seq_len within [5, bptt + 20]");
    ok(short_ones > 300 && short_ones < 600,
       "about 5%% of the draws around bptt / 2 (%d of 10000 below 22)", short_ones);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/dartboard-corpus-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 99;
    }
    test_ptb_wiki();
    test_bible("bible12", 12);
    test_bible("bible1000", 1000);
    test_text_rules();
    test_refusals();
    test_batches();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    return tap_done();
}
