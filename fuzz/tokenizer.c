/* fuzz/tokenizer.c: the text corpora's tokenizers (src/data/corpus.c), on
 * buffers: PTB-style text (corpus_add_text) and the output of `bible`
 * (corpus_from_bible).
 *
 * Input: a first byte, then the text. Bit 0 of the first byte chooses the
 * reader: 0 PTB-style text, 1 bible output, with a vocabulary of
 * 3 + (first byte >> 1) % 32 words.
 * Checks: no crash; a refusal names the source; every id is a word of the
 * vocabulary; PTB text ends every line in "<eos>"; bible output written as the
 * reference's files and read back as text gives the same ids; batchify and
 * the BPTT windows stay inside the split.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "dartboard/corpus.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "property failed: %s\n", what);
        abort();
    }
}

static void check_ids(const Corpus *c)
{
    for (int s = 0; s < CORPUS_SPLITS; s++)
        for (int64_t t = 0; t < c->len[s]; t++)
            check(corpus_word(c, c->ids[s][t]) != NULL, "an id outside the vocabulary");
}

/* Windows over split s of c at a small batch: inside the rows, targets one
 * row after their inputs. */
static void check_windows(const Corpus *c, CorpusSplit s)
{
    Batches b;
    char err[256];
    if (corpus_batchify(c, s, 2, &b, err, sizeof err) != 0)
        return;
    for (int evaluation = 0; evaluation < 2; evaluation++) {
        BpttIter it;
        BpttWindow w;
        bptt_begin(&it, &b, evaluation);
        int32_t seq = 1;
        while (bptt_next(&it, seq, &w)) {
            check(w.seq_len >= 1 && w.row + w.seq_len < b.nbatch, "a window past the last row");
            check(w.y == w.x + b.bsz, "targets not one row after the inputs");
            seq = seq % 5 + 1;
        }
    }
    batches_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[1024] = "";
    Corpus c;
    if (!(data[0] & 1)) {
        corpus_init(&c);
        if (corpus_add_text(&c, CORPUS_TRAIN, text, len, "fuzz.txt", err, sizeof err) != 0) {
            check(strstr(err, "fuzz.txt") != NULL, "a refusal that names no file");
            corpus_free(&c);
            return 0;
        }
        check_ids(&c);
        int32_t eos = corpus_find(&c, "<eos>");
        int64_t n = c.len[CORPUS_TRAIN];
        check(len == 0 || (n > 0 && c.ids[CORPUS_TRAIN][n - 1] == eos),
              "text that does not end in <eos>");
        check_windows(&c, CORPUS_TRAIN);
        corpus_free(&c);
        return 0;
    }
    int32_t vocab = 3 + (data[0] >> 1) % 32;
    if (corpus_from_bible(&c, text, len, vocab, "bible", err, sizeof err) != 0) {
        check(strstr(err, "bible") != NULL, "a refusal that names no source");
        return 0;
    }
    check_ids(&c);
    check(c.vocab.count <= vocab, "more words than the vocabulary size");
    check(corpus_find(&c, "<eos>") == 0, "<eos> is not id 0");
    Corpus back;
    corpus_init(&back);
    check(corpus_seed_eos(&back, err, sizeof err) == 0, "<eos> first");
    for (int s = 0; s < CORPUS_SPLITS; s++) {
        char *out = NULL;
        size_t outlen = 0;
        FILE *f = open_memstream(&out, &outlen);
        check(f && corpus_write_text(&c, s, f) == 0, "writing a split");
        fclose(f);
        check(corpus_add_text(&back, s, out, outlen, "written", err, sizeof err) == 0,
              "the written split does not read back");
        check(back.len[s] == c.len[s] &&
                  (c.len[s] == 0 ||
                   memcmp(back.ids[s], c.ids[s], (size_t)c.len[s] * sizeof *c.ids[s]) == 0),
              "the written split reads back to other ids");
        free(out);
        check_windows(&c, s);
    }
    check(back.vocab.count == c.vocab.count, "the written corpus has another vocabulary");
    corpus_free(&back);
    corpus_free(&c);
    return 0;
}
