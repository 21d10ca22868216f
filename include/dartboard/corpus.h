/* corpus: the text corpora of the recurrent search as token ids, and their
 * BPTT batches.
 *
 * Two sources, one in-memory form (a vocabulary and three int32 id streams):
 *
 * - PTB-style text: the Penn Treebank as distributed (ptb.{train,valid,test}.txt)
 *   or WikiText-2 (wiki.{train,valid,test}.tokens), read as the official DARTS
 *   rnn/data.py does: each line (\n, \r\n or \r ends one, as Python's text
 *   files do) split on whitespace (Python's str.split(): the Unicode spaces
 *   included) plus "<eos>"; the vocabulary in order of first appearance over
 *   train, valid, test. A file must be UTF-8 text: invalid UTF-8 (Python's
 *   decode would fail) and NUL bytes (a binary file) are refused, naming the
 *   file, line and byte.
 * - The King James Bible as the `bible` program of Debian's bible-kjv prints it
 *   (one verse a line, "Ge1:1 In the beginning..."), turned into the corpus the
 *   PyTorch reference's `--corpus` writes (darts_rnn_ref.py): the verse's text
 *   after the first space, lowercased, words [a-z]+('[a-z]+)? and numbers
 *   [0-9]+ -> "N", all else dropped; verse i goes to valid when i % 20 == 18,
 *   to test when i % 20 == 19, else to train; the vocab_size - 2 most frequent
 *   training words (equal counts: the first seen in train first) are kept,
 *   every other word becomes "<unk>"; each verse ends in "<eos>". Its ids
 *   are those of the reference's read_corpus: "<eos>" is 0, then first
 *   appearance over train, valid, test.
 *
 * Limits: CORPUS_MAX_VOCAB distinct words, words of at most CORPUS_MAX_WORD
 * bytes; beyond them the file is refused (it is not a word corpus).
 *
 * Running `bible` and the cache of the prepared KJV corpus are io's
 * (include/dartboard/corpus_cache.h); this module only computes.
 */
#ifndef DARTBOARD_CORPUS_H
#define DARTBOARD_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/rng.h"

#define CORPUS_MAX_VOCAB (1 << 20)
#define CORPUS_MAX_WORD 1024 /* bytes */
#define CORPUS_KJV_VOCAB 10000

typedef enum CorpusSplit { CORPUS_TRAIN, CORPUS_VALID, CORPUS_TEST, CORPUS_SPLITS } CorpusSplit;

/* id -> word and word -> id. */
typedef struct Vocab {
    int32_t count;
    int64_t *offset; /* count: where word id starts in pool (NUL-terminated) */
    char *pool;      /* the words, each followed by NUL */
    int64_t pool_len, pool_cap;
    int32_t *table; /* open addressing, -1 empty; table_size a power of 2 */
    int32_t table_size, offset_cap;
} Vocab;

typedef struct Corpus {
    Vocab vocab;
    int32_t *ids[CORPUS_SPLITS];
    int64_t len[CORPUS_SPLITS], cap[CORPUS_SPLITS];
    char source[CORPUS_SPLITS][4096]; /* per split: the file it came from, for messages */
} Corpus;

const char *corpus_split_name(CorpusSplit s); /* "train", "valid", "test" */

void corpus_init(Corpus *c);
void corpus_free(Corpus *c);
/* The word of id (NULL when out of range); the id of a word, or -1. */
const char *corpus_word(const Corpus *c, int32_t id);
int32_t corpus_find(const Corpus *c, const char *word);
/* Adds "<eos>" as id 0 (the reference's read_corpus order); call on an
 * empty corpus before the splits are added. */
int corpus_seed_eos(Corpus *c, char *err, size_t errlen);

/* Appends the PTB-style text buf[0, len) to split s, new words to the
 * vocabulary; `source` (a file name) is remembered for messages and named in
 * every error. 0, or -1 + err ("SOURCE:LINE: what is wrong (expected ...)");
 * on error the corpus is left valid but incomplete (free it). */
int corpus_add_text(Corpus *c, CorpusSplit s, const char *buf, size_t len, const char *source,
                    char *err, size_t errlen);

/* Reads the three files (train, valid, test) in that order into an empty
 * corpus: missing, unreadable or empty files are errors naming them.
 * eos_first: corpus_seed_eos first (the KJV cache's order). */
int corpus_read_files(Corpus *c, const char *const paths[CORPUS_SPLITS], int eos_first, char *err,
                      size_t errlen);
/* --data DIR: ptb.{train,valid,test}.txt, else wiki.{train,valid,test}.tokens,
 * in the official data.py order (no "<eos>" first). A directory with neither
 * (or both) is an error naming what was expected. */
int corpus_read_dir(Corpus *c, const char *dir, char *err, size_t errlen);

/* The KJV corpus from the output of `bible -f Gen1:1-Rev22:21` (text, len);
 * vocab_size includes "<unk>" and "<eos>" (CORPUS_KJV_VOCAB for the
 * reference's corpus). `source` names the text in errors. */
int corpus_from_bible(Corpus *c, const char *text, size_t len, int32_t vocab_size,
                      const char *source, char *err, size_t errlen);

/* Writes split s as the reference's --corpus does: per "<eos>"-ended line,
 * " " + the words joined by " " + " \n" (a trailing line without "<eos>" is
 * written as if it had one). 0 or -1 on a write error. */
int corpus_write_text(const Corpus *c, CorpusSplit s, FILE *f);

/* The official batchify(data, bsz): the first nbatch = len / bsz * bsz ids
 * (the rest dropped), as nbatch rows of bsz columns (row-major), column b
 * being the b-th contiguous slice: data[t * bsz + b] = ids[b * nbatch + t]. */
typedef struct Batches {
    int32_t *data;
    int64_t nbatch; /* rows */
    int32_t bsz;    /* columns */
} Batches;

/* 0, or -1 + err when bsz < 1, the split gives no row, or memory fails. */
int corpus_batchify(const Corpus *c, CorpusSplit s, int32_t bsz, Batches *out, char *err,
                    size_t errlen);
void batches_free(Batches *b);

/* The official get_batch(source, i, seq_len): seq_len = min(seq_len,
 * nbatch - 1 - i) rows of inputs from row i and their targets one row
 * later, both (seq_len, bsz) row-major views into the batches. */
typedef struct BpttWindow {
    const int32_t *x, *y;
    int64_t row; /* i */
    int32_t seq_len;
} BpttWindow;

/* 1 with the window, or 0 when i is past the last row that has a target. */
int corpus_get_batch(const Batches *b, int64_t i, int32_t seq_len, BpttWindow *w);

/* Walks a split in windows, each asking for its own seq_len. Training
 * (evaluation = 0) as the official train_search.py loop: while
 * i < nbatch - 2, window of seq_len, i += seq_len (the window's clamped
 * length); evaluation as its evaluate(): i over range(0, nbatch - 1, bptt). */
typedef struct BpttIter {
    const Batches *b;
    int64_t i;
    int evaluation;
} BpttIter;

void bptt_begin(BpttIter *it, const Batches *b, int evaluation);
/* 1 with the next window, 0 at the end of the split. */
int bptt_next(BpttIter *it, int32_t seq_len, BpttWindow *w);

/* The official training loop's sequence length: bptt with probability
 * 0.95, else bptt / 2; then max(5, (int)N(that, 5)), at most
 * bptt + max_delta (the official max_seq_len_delta is 20). Draws
 * rng_uniform then rng_normal. */
int32_t corpus_bptt_draw(Rng *rng, int32_t bptt, int32_t max_delta);

/* -1 + err naming the split's file when split s at batch bsz has fewer rows
 * than one window of bptt inputs and its targets needs (bptt + 1). */
int corpus_check_window(const Corpus *c, CorpusSplit s, int32_t bsz, int32_t bptt, char *err,
                        size_t errlen);

#endif
