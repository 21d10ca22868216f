/* corpus: PTB-style text and the KJV verses as token ids; batchify and BPTT
 * windows (include/dartboard/corpus.h has the rules each follows). */
#include "dartboard/corpus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const split_names[CORPUS_SPLITS] = {"train", "valid", "test"};

const char *corpus_split_name(CorpusSplit s)
{
    return (unsigned)s < CORPUS_SPLITS ? split_names[s] : "?";
}

/* ---------------------------------------------------------------- vocabulary */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static size_t vocab_len(const Vocab *v, int32_t id)
{
    int64_t end = id + 1 < v->count ? v->offset[id + 1] : v->pool_len;
    return (size_t)(end - v->offset[id] - 1);
}

static int32_t vocab_lookup(const Vocab *v, const char *s, size_t n)
{
    if (!v->table_size)
        return -1;
    uint32_t mask = (uint32_t)v->table_size - 1;
    for (uint32_t k = (uint32_t)hash_bytes(s, n) & mask;; k = (k + 1) & mask) {
        int32_t id = v->table[k];
        if (id < 0)
            return -1;
        if (vocab_len(v, id) == n && memcmp(v->pool + v->offset[id], s, n) == 0)
            return id;
    }
}

static int vocab_rehash(Vocab *v, int32_t size)
{
    int32_t *t = malloc((size_t)size * sizeof *t);
    if (!t)
        return -1;
    memset(t, 0xff, (size_t)size * sizeof *t);
    uint32_t mask = (uint32_t)size - 1;
    for (int32_t id = 0; id < v->count; id++) {
        uint32_t k = (uint32_t)hash_bytes(v->pool + v->offset[id], vocab_len(v, id)) & mask;
        while (t[k] >= 0)
            k = (k + 1) & mask;
        t[k] = id;
    }
    free(v->table);
    v->table = t;
    v->table_size = size;
    return 0;
}

/* The id of word s[0, n), added when new: >= 0, -1 out of memory, -2 over
 * CORPUS_MAX_VOCAB. */
static int32_t vocab_add(Vocab *v, const char *s, size_t n)
{
    int32_t id = vocab_lookup(v, s, n);
    if (id >= 0)
        return id;
    if (v->count >= CORPUS_MAX_VOCAB)
        return -2;
    if ((int64_t)(v->count + 1) * 2 > v->table_size &&
        vocab_rehash(v, v->table_size ? v->table_size * 2 : 1024) != 0)
        return -1;
    if (v->count == v->offset_cap) {
        int32_t cap = v->offset_cap ? v->offset_cap * 2 : 1024;
        int64_t *o = realloc(v->offset, (size_t)cap * sizeof *o);
        if (!o)
            return -1;
        v->offset = o;
        v->offset_cap = cap;
    }
    if (v->pool_len + (int64_t)n + 1 > v->pool_cap) {
        int64_t cap = v->pool_cap ? v->pool_cap : 8192;
        while (cap < v->pool_len + (int64_t)n + 1)
            cap *= 2;
        char *p = realloc(v->pool, (size_t)cap);
        if (!p)
            return -1;
        v->pool = p;
        v->pool_cap = cap;
    }
    id = v->count++;
    v->offset[id] = v->pool_len;
    memcpy(v->pool + v->pool_len, s, n);
    v->pool[v->pool_len + (int64_t)n] = '\0';
    v->pool_len += (int64_t)n + 1;
    uint32_t mask = (uint32_t)v->table_size - 1;
    uint32_t k = (uint32_t)hash_bytes(s, n) & mask;
    while (v->table[k] >= 0)
        k = (k + 1) & mask;
    v->table[k] = id;
    return id;
}

static void vocab_free(Vocab *v)
{
    free(v->offset);
    free(v->pool);
    free(v->table);
    memset(v, 0, sizeof *v);
}

/* ---------------------------------------------------------------- corpus */

void corpus_init(Corpus *c)
{
    memset(c, 0, sizeof *c);
}

void corpus_free(Corpus *c)
{
    vocab_free(&c->vocab);
    for (int s = 0; s < CORPUS_SPLITS; s++)
        free(c->ids[s]);
    corpus_init(c);
}

const char *corpus_word(const Corpus *c, int32_t id)
{
    return id >= 0 && id < c->vocab.count ? c->vocab.pool + c->vocab.offset[id] : NULL;
}

int32_t corpus_find(const Corpus *c, const char *word)
{
    return vocab_lookup(&c->vocab, word, strlen(word));
}

static int append_id(Corpus *c, CorpusSplit s, int32_t id)
{
    if (c->len[s] == c->cap[s]) {
        int64_t cap = c->cap[s] ? c->cap[s] * 2 : 4096;
        int32_t *p = realloc(c->ids[s], (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        c->ids[s] = p;
        c->cap[s] = cap;
    }
    c->ids[s][c->len[s]++] = id;
    return 0;
}

/* Adds word s[0, n) to split sp; 0 or -1 + err naming source and line. */
static int add_word(Corpus *c, CorpusSplit sp, const char *s, size_t n, const char *source,
                    int64_t line, char *err, size_t errlen)
{
    if (n > CORPUS_MAX_WORD) {
        snprintf(err, errlen,
                 "%s:%lld: a word of %zu bytes (expected words of at most %d bytes separated by "
                 "whitespace: is this a text corpus?)",
                 source, (long long)line, n, CORPUS_MAX_WORD);
        return -1;
    }
    int32_t id = vocab_add(&c->vocab, s, n);
    if (id == -2) {
        snprintf(err, errlen,
                 "%s:%lld: more than %d distinct words (expected a vocabulary within the limit "
                 "of %d words)",
                 source, (long long)line, CORPUS_MAX_VOCAB, CORPUS_MAX_VOCAB);
        return -1;
    }
    if (id < 0 || append_id(c, sp, id) != 0) {
        snprintf(err, errlen, "%s:%lld: out of memory", source, (long long)line);
        return -1;
    }
    return 0;
}

int corpus_seed_eos(Corpus *c, char *err, size_t errlen)
{
    if (vocab_add(&c->vocab, "<eos>", 5) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* One UTF-8 code point at s[i, n): its length (1-4) and value, or 0 when
 * the bytes are not UTF-8 as Python's strict decoder reads it (overlong
 * forms, surrogates and values past U+10FFFF refused). */
static int utf8_next(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned char b = s[i];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    int len;
    uint32_t v, min;
    if (b >= 0xc2 && b <= 0xdf)
        len = 2, v = b & 0x1f, min = 0x80;
    else if (b >= 0xe0 && b <= 0xef)
        len = 3, v = b & 0x0f, min = 0x800;
    else if (b >= 0xf0 && b <= 0xf4)
        len = 4, v = b & 0x07, min = 0x10000;
    else
        return 0;
    if (i + (size_t)len > n)
        return 0;
    for (int k = 1; k < len; k++) {
        if ((s[i + k] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i + k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Python's str.isspace(), which str.split() splits on. */
static int py_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The code point at i, or -1 + err naming the byte when it is not text. */
static int text_next(const char *buf, size_t len, size_t i, int64_t line, const char *source,
                     uint32_t *cp, char *err, size_t errlen)
{
    const unsigned char *s = (const unsigned char *)buf;
    int k = utf8_next(s, len, i, cp);
    if (k == 0) {
        snprintf(err, errlen,
                 "%s:%lld: byte 0x%02x at offset %zu is not UTF-8 (expected a UTF-8 text file)",
                 source, (long long)line, s[i], i);
        return -1;
    }
    if (*cp == 0) {
        snprintf(err, errlen,
                 "%s:%lld: a NUL byte at offset %zu (expected a text file, not binary data)",
                 source, (long long)line, i);
        return -1;
    }
    return k;
}

int corpus_add_text(Corpus *c, CorpusSplit s, const char *buf, size_t len, const char *source,
                    char *err, size_t errlen)
{
    snprintf(c->source[s], sizeof c->source[s], "%s", source);
    size_t i = 0;
    int64_t line = 1;
    while (i < len) {
        size_t word = 0, word_len = 0;
        int in_word = 0, end = 0;
        while (i < len && !end) {
            uint32_t cp;
            int k = text_next(buf, len, i, line, source, &cp, err, errlen);
            if (k < 0)
                return -1;
            /* Python's text files end a line at \n, \r\n or \r. */
            if (cp == '\n' || cp == '\r') {
                end = 1;
                if (cp == '\r' && i + 1 < len && buf[i + 1] == '\n')
                    k = 2;
            }
            if (end || py_space(cp)) {
                if (in_word && add_word(c, s, buf + word, word_len, source, line, err, errlen))
                    return -1;
                in_word = 0;
            } else if (in_word) {
                word_len += (size_t)k;
            } else {
                in_word = 1;
                word = i;
                word_len = (size_t)k;
            }
            i += (size_t)k;
        }
        if (in_word && add_word(c, s, buf + word, word_len, source, line, err, errlen))
            return -1;
        if (add_word(c, s, "<eos>", 5, source, line, err, errlen))
            return -1;
        line++;
    }
    return 0;
}

/* The whole file into *buf (NUL-terminated); -1 + err naming it. */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        /* a directory, a device or a pipe: no text file, and maybe endless */
        snprintf(err, errlen, "%s: not a regular file (expected a text file)", path);
        fclose(f);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    int failed = !b;
    while (!failed) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                failed = 1;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (failed)
        snprintf(err, errlen, "%s: out of memory reading it", path);
    else if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        failed = 1;
    }
    fclose(f);
    if (failed) {
        free(b);
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int corpus_read_files(Corpus *c, const char *const paths[CORPUS_SPLITS], int eos_first, char *err,
                      size_t errlen)
{
    corpus_init(c);
    if (eos_first && corpus_seed_eos(c, err, errlen) != 0)
        return -1;
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        char *buf;
        size_t len;
        if (read_file(paths[s], &buf, &len, err, errlen) != 0)
            goto fail;
        if (len == 0) {
            snprintf(err, errlen, "%s: empty (expected the %s split as text, a sentence a line)",
                     paths[s], split_names[s]);
            free(buf);
            goto fail;
        }
        int r = corpus_add_text(c, (CorpusSplit)s, buf, len, paths[s], err, errlen);
        free(buf);
        if (r != 0)
            goto fail;
    }
    return 0;
fail:
    corpus_free(c);
    return -1;
}

static int is_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
           stat(path, &st) == 0;
}

int corpus_read_dir(Corpus *c, const char *dir, char *err, size_t errlen)
{
    static const char *const ptb[CORPUS_SPLITS] = {"ptb.train.txt", "ptb.valid.txt",
                                                   "ptb.test.txt"};
    static const char *const wiki[CORPUS_SPLITS] = {"wiki.train.tokens", "wiki.valid.tokens",
                                                    "wiki.test.tokens"};
    static const char expected[] =
        "expected the Penn Treebank's ptb.train.txt, ptb.valid.txt, ptb.test.txt or "
        "WikiText-2's wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens";
    corpus_init(c);
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "%s: %s (%s in a directory)", dir, strerror(errno), expected);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory (%s in a directory)", dir, expected);
        return -1;
    }
    int has_ptb = is_file(dir, ptb[0]), has_wiki = is_file(dir, wiki[0]);
    if (has_ptb == has_wiki) {
        snprintf(err, errlen, "%s: %s (%s, one of the two)", dir,
                 has_ptb ? "holds both ptb.train.txt and wiki.train.tokens"
                         : "no ptb.train.txt or wiki.train.tokens",
                 expected);
        return -1;
    }
    const char *const *names = has_ptb ? ptb : wiki;
    char paths[CORPUS_SPLITS][4096];
    const char *p[CORPUS_SPLITS];
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        if (snprintf(paths[s], sizeof paths[s], "%s/%s", dir, names[s]) >= (int)sizeof paths[s]) {
            snprintf(err, errlen, "%s: path too long", dir);
            return -1;
        }
        p[s] = paths[s];
    }
    return corpus_read_files(c, p, 0, err, errlen);
}

/* ---------------------------------------------------------------- KJV */

/* Python's str.splitlines() line ends (after \r, a \n belongs to it). */
static int py_line_break(uint32_t cp)
{
    return cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c || cp == 0x1d ||
           cp == 0x1e || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

typedef struct Verses {
    int32_t *tok;   /* raw word ids, verse after verse */
    int64_t *start; /* n + 1: verse v is tok[start[v], start[v + 1]) */
    int64_t n, ntok, tok_cap, start_cap;
} Verses;

static int verses_push_tok(Verses *v, int32_t id)
{
    if (v->ntok == v->tok_cap) {
        int64_t cap = v->tok_cap ? v->tok_cap * 2 : 1 << 16;
        int32_t *p = realloc(v->tok, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        v->tok = p;
        v->tok_cap = cap;
    }
    v->tok[v->ntok++] = id;
    return 0;
}

static int verses_end(Verses *v)
{
    if (v->n + 2 > v->start_cap) {
        int64_t cap = v->start_cap ? v->start_cap * 2 : 1 << 12;
        int64_t *p = realloc(v->start, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        v->start = p;
        v->start_cap = cap;
        if (v->n == 0)
            p[0] = 0;
    }
    v->start[++v->n] = v->ntok;
    return 0;
}

/* The verse's text lowered as Python's str.lower() does, reduced to what the
 * reference's pattern can match: a-z, 0-9, ' and ' ' for anything else
 * (U+212A KELVIN SIGN lowers to k, U+0130 to i + a combining dot; no other
 * character lowers to ASCII). */
static size_t lower_verse(const char *buf, size_t len, size_t i, size_t end, char *out)
{
    size_t n = 0;
    while (i < end) {
        uint32_t cp;
        int k = utf8_next((const unsigned char *)buf, len, i, &cp);
        char ch = ' ';
        if (cp >= 'A' && cp <= 'Z')
            ch = (char)(cp + 32);
        else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '\'')
            ch = (char)cp;
        else if (cp == 0x212a)
            ch = 'k';
        else if (cp == 0x130) {
            out[n++] = 'i';
            ch = ' ';
        }
        out[n++] = ch;
        i += (size_t)k;
    }
    return n;
}

#define IS_LOWER(ch) ((ch) >= 'a' && (ch) <= 'z')
#define IS_DIGIT(ch) ((ch) >= '0' && (ch) <= '9')

/* re.findall(r"[a-z]+(?:'[a-z]+)?|[0-9]+") over the lowered verse, numbers
 * as "N", each word into the raw vocabulary and the verse. */
static int verse_words(Vocab *raw, Verses *v, const char *t, size_t n, const char *source,
                       int64_t line, char *err, size_t errlen)
{
    size_t p = 0;
    while (p < n) {
        size_t q = p;
        const char *w = t + p;
        if (IS_LOWER(t[p])) {
            while (q < n && IS_LOWER(t[q]))
                q++;
            if (q + 1 < n && t[q] == '\'' && IS_LOWER(t[q + 1])) {
                q++;
                while (q < n && IS_LOWER(t[q]))
                    q++;
            }
        } else if (IS_DIGIT(t[p])) {
            while (q < n && IS_DIGIT(t[q]))
                q++;
            w = "N";
        } else {
            p++;
            continue;
        }
        size_t wl = w == t + p ? q - p : 1;
        if (wl > CORPUS_MAX_WORD) {
            snprintf(err, errlen, "%s:%lld: a word of %zu bytes (expected at most %d)", source,
                     (long long)line, wl, CORPUS_MAX_WORD);
            return -1;
        }
        int32_t id = vocab_add(raw, w, wl);
        if (id == -2) {
            snprintf(err, errlen, "%s:%lld: more than %d distinct words (the vocabulary limit)",
                     source, (long long)line, CORPUS_MAX_VOCAB);
            return -1;
        }
        if (id < 0 || verses_push_tok(v, id) != 0) {
            snprintf(err, errlen, "%s: out of memory", source);
            return -1;
        }
        p = q;
    }
    return 0;
}

static CorpusSplit verse_split(int64_t i)
{
    return i % 20 == 18 ? CORPUS_VALID : i % 20 == 19 ? CORPUS_TEST : CORPUS_TRAIN;
}

typedef struct Rank {
    int64_t count, first;
    int32_t id;
} Rank;

/* Counter.most_common: by count, equal counts in first-seen order. */
static int by_frequency(const void *a, const void *b)
{
    const Rank *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* Splits the text into verses (Python's splitlines) of raw word ids. */
static int bible_verses(Vocab *raw, Verses *v, const char *text, size_t len, const char *source,
                        char *err, size_t errlen)
{
    char *lowered = malloc(2 * len + 1);
    if (!lowered) {
        snprintf(err, errlen, "%s: out of memory", source);
        return -1;
    }
    size_t i = 0;
    int64_t line = 1;
    int rc = 0;
    while (i < len && rc == 0) {
        size_t space = 0, end = len, next = len;
        int has_space = 0;
        while (i < len) {
            uint32_t cp;
            int k = text_next(text, len, i, line, source, &cp, err, errlen);
            if (k < 0) {
                rc = -1;
                break;
            }
            if (py_line_break(cp)) {
                end = i;
                next = i + (size_t)k;
                if (cp == '\r' && next < len && text[next] == '\n')
                    next++;
                break;
            }
            if (cp == ' ' && !has_space) {
                has_space = 1;
                space = i;
            }
            i += (size_t)k;
        }
        if (rc)
            break;
        /* The reference: line.split(' ', 1)[1], the text after the verse's reference. */
        if (has_space) {
            size_t n = lower_verse(text, len, space + 1, end, lowered);
            rc = verse_words(raw, v, lowered, n, source, line, err, errlen);
        }
        if (rc == 0 && verses_end(v) != 0) {
            snprintf(err, errlen, "%s: out of memory", source);
            rc = -1;
        }
        i = next;
        line++;
    }
    free(lowered);
    return rc;
}

int corpus_from_bible(Corpus *c, const char *text, size_t len, int32_t vocab_size,
                      const char *source, char *err, size_t errlen)
{
    corpus_init(c);
    if (vocab_size < 3 || vocab_size > CORPUS_MAX_VOCAB) {
        snprintf(err, errlen, "vocabulary size %d (expected 3 to %d)", (int)vocab_size,
                 CORPUS_MAX_VOCAB);
        return -1;
    }
    Vocab raw = {0};
    Verses v = {0};
    Rank *rank = NULL;
    unsigned char *kept = NULL;
    int rc = -1;
    if (bible_verses(&raw, &v, text, len, source, err, errlen) != 0)
        goto done;
    if (v.n == 0) {
        snprintf(err, errlen, "%s: no verses (expected one verse a line)", source);
        goto done;
    }
    rank = calloc((size_t)raw.count + 1, sizeof *rank);
    kept = calloc((size_t)raw.count + 1, 1);
    if (!rank || !kept) {
        snprintf(err, errlen, "%s: out of memory", source);
        goto done;
    }
    for (int32_t id = 0; id < raw.count; id++)
        rank[id].id = id;
    int64_t pos = 0;
    for (int64_t i = 0; i < v.n; i++)
        if (verse_split(i) == CORPUS_TRAIN)
            for (int64_t t = v.start[i]; t < v.start[i + 1]; t++, pos++)
                if (rank[v.tok[t]].count++ == 0)
                    rank[v.tok[t]].first = pos;
    qsort(rank, (size_t)raw.count, sizeof *rank, by_frequency);
    for (int32_t r = 0; r < raw.count && r < vocab_size - 2 && rank[r].count > 0; r++)
        kept[rank[r].id] = 1;

    if (corpus_seed_eos(c, err, errlen) != 0)
        goto done;
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        snprintf(c->source[s], sizeof c->source[s], "%s", source);
        for (int64_t i = 0; i < v.n; i++) {
            if (verse_split(i) != (CorpusSplit)s)
                continue;
            for (int64_t t = v.start[i]; t < v.start[i + 1]; t++) {
                int32_t r = v.tok[t];
                const char *w = kept[r] ? raw.pool + raw.offset[r] : "<unk>";
                if (add_word(c, (CorpusSplit)s, w, strlen(w), source, i + 1, err, errlen))
                    goto done;
            }
            if (append_id(c, (CorpusSplit)s, 0) != 0) {
                snprintf(err, errlen, "%s: out of memory", source);
                goto done;
            }
        }
    }
    rc = 0;
done:
    if (rc != 0)
        corpus_free(c);
    vocab_free(&raw);
    free(v.tok);
    free(v.start);
    free(rank);
    free(kept);
    return rc;
}

int corpus_write_text(const Corpus *c, CorpusSplit s, FILE *f)
{
    int32_t eos = corpus_find(c, "<eos>");
    int open = 0;
    for (int64_t t = 0; t < c->len[s]; t++) {
        int32_t id = c->ids[s][t];
        if (!open)
            fputc(' ', f);
        if (id == eos) {
            fputs(" \n", f);
            open = 0;
            continue;
        }
        if (open)
            fputc(' ', f);
        fputs(corpus_word(c, id), f);
        open = 1;
    }
    if (open)
        fputs(" \n", f);
    return ferror(f) ? -1 : 0;
}

/* ---------------------------------------------------------------- batches */

int corpus_batchify(const Corpus *c, CorpusSplit s, int32_t bsz, Batches *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (bsz < 1) {
        snprintf(err, errlen, "batch size %d (expected at least 1)", (int)bsz);
        return -1;
    }
    int64_t nbatch = c->len[s] / bsz;
    if (nbatch < 1) {
        snprintf(err, errlen,
                 "%s: the %s split has %lld tokens, fewer than one row of batch %d (expected at "
                 "least %d tokens)",
                 c->source[s], split_names[s], (long long)c->len[s], (int)bsz, (int)bsz);
        return -1;
    }
    out->data = malloc((size_t)nbatch * (size_t)bsz * sizeof *out->data);
    if (!out->data) {
        snprintf(err, errlen, "%s: out of memory for the %s batches", c->source[s], split_names[s]);
        return -1;
    }
    for (int64_t t = 0; t < nbatch; t++)
        for (int32_t b = 0; b < bsz; b++)
            out->data[t * bsz + b] = c->ids[s][(int64_t)b * nbatch + t];
    out->nbatch = nbatch;
    out->bsz = bsz;
    return 0;
}

void batches_free(Batches *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int corpus_get_batch(const Batches *b, int64_t i, int32_t seq_len, BpttWindow *w)
{
    if (i < 0 || i >= b->nbatch - 1 || seq_len < 1)
        return 0;
    int64_t n = b->nbatch - 1 - i;
    w->seq_len = seq_len < n ? seq_len : (int32_t)n;
    w->row = i;
    w->x = b->data + i * b->bsz;
    w->y = b->data + (i + 1) * b->bsz;
    return 1;
}

void bptt_begin(BpttIter *it, const Batches *b, int evaluation)
{
    it->b = b;
    it->i = 0;
    it->evaluation = evaluation;
}

int bptt_next(BpttIter *it, int32_t seq_len, BpttWindow *w)
{
    /* train_search.py: while i < train_data.size(0) - 1 - 1;
     * evaluate(): for i in range(0, data_source.size(0) - 1, bptt). */
    int64_t last = it->b->nbatch - (it->evaluation ? 1 : 2);
    if (it->i >= last || !corpus_get_batch(it->b, it->i, seq_len, w))
        return 0;
    it->i += seq_len;
    return 1;
}

int32_t corpus_bptt_draw(Rng *rng, int32_t bptt, int32_t max_delta)
{
    double mean = rng_uniform(rng) < 0.95f ? (double)bptt : bptt / 2.0;
    double v = mean + 5.0 * rng_normal(rng);
    int64_t len = v > 1e9 ? 1000000000 : v < -1e9 ? -1000000000 : (int64_t)v; /* int(): toward 0 */
    if (len < 5)
        len = 5;
    if (len > (int64_t)bptt + max_delta)
        len = (int64_t)bptt + max_delta;
    return (int32_t)len;
}

int corpus_check_window(const Corpus *c, CorpusSplit s, int32_t bsz, int32_t bptt, char *err,
                        size_t errlen)
{
    int64_t rows = bsz > 0 ? c->len[s] / bsz : 0;
    if (bsz < 1 || bptt < 1 || rows < (int64_t)bptt + 1) {
        snprintf(err, errlen,
                 "%s: the %s split has %lld tokens, %lld rows at batch %d; one BPTT window of %d "
                 "needs %d rows (expected at least %lld tokens)",
                 c->source[s], split_names[s], (long long)c->len[s], (long long)rows, (int)bsz,
                 (int)bptt, (int)bptt + 1, ((long long)bptt + 1) * (bsz > 0 ? bsz : 1));
        return -1;
    }
    return 0;
}
