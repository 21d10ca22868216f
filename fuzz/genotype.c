/* fuzz/genotype.c: the genotype reader, every dialect (the official
 * Genotype(...) line, nested lists, 3-tuples, weighted tuples, JSON, YAML)
 * and both kinds (CNN and recurrent).
 *
 * Input: the text of a genotype file.
 * Checks: a refusal names the file; the CNN-only reader agrees with the
 * reader of either kind; a genotype that parses is written in each format
 * (py, json, yaml) and parses back equal, as the same kind.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "dartboard/genotype_io.h"

static const char NAME[] = "genotype.txt";

static void same_after_round_trip(const Genotype *g, const GenotypeAlphas *alphas)
{
    for (int fmt = 0; fmt < GENOTYPE_FORMAT_COUNT; fmt++) {
        char *text = NULL, err[512];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        const float *wn = alphas->present ? alphas->normal : NULL;
        const float *wr = alphas->present ? alphas->reduce : NULL;
        if (!f || genotype_write(f, (GenotypeFormat)fmt, g, wn, wr) != 0 || fclose(f) != 0) {
            fprintf(stderr, "format %d: a parsed genotype could not be written\n", fmt);
            abort();
        }
        Genotype back;
        if (genotype_parse("written", text, len, &back, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "format %d: the written genotype does not parse: %s\n%s\n", fmt, err,
                    text);
            abort();
        }
        if (!genotype_equal(g, &back)) {
            fprintf(stderr, "format %d: the genotype changed on the way:\n%s\n", fmt, text);
            abort();
        }
        free(text);
    }
}

static void rnn_same_after_round_trip(const RnnGenotype *g, const RnnGenotypeAlphas *alphas)
{
    static AnyGenotype back;
    for (int fmt = 0; fmt < GENOTYPE_FORMAT_COUNT; fmt++) {
        char *text = NULL, err[512];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f ||
            rnn_genotype_write(f, (GenotypeFormat)fmt, g, alphas->present ? alphas->w : NULL) !=
                0 ||
            fclose(f) != 0) {
            fprintf(stderr, "format %d: a parsed recurrent genotype could not be written\n", fmt);
            abort();
        }
        if (genotype_parse_any("written", text, len, &back, err, sizeof err) != 0) {
            fprintf(stderr, "format %d: the written recurrent genotype does not parse: %s\n%s\n",
                    fmt, err, text);
            abort();
        }
        if (back.kind != GENOTYPE_KIND_RECURRENT || !rnn_genotype_equal(g, &back.rnn)) {
            fprintf(stderr, "format %d: the recurrent genotype changed on the way:\n%s\n", fmt,
                    text);
            abort();
        }
        free(text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Genotype g;
    static GenotypeAlphas alphas;
    static AnyGenotype any;
    char err[512] = "", any_err[512] = "";
    int rc = genotype_parse(NAME, (const char *)data, size, &g, &alphas, err, sizeof err);
    int any_rc = genotype_parse_any(NAME, (const char *)data, size, &any, any_err, sizeof any_err);
    if (rc != 0 && strncmp(err, NAME, sizeof NAME - 1) != 0) {
        fprintf(stderr, "a refusal that does not start with the file name: '%s'\n", err);
        abort();
    }
    if (any_rc != 0 && strncmp(any_err, NAME, sizeof NAME - 1) != 0) {
        fprintf(stderr, "a refusal (either kind) that does not start with the file name: '%s'\n",
                any_err);
        abort();
    }
    /* the CNN reader accepts exactly what the reader of either kind reads as CNN */
    int any_cnn = any_rc == 0 && any.kind == GENOTYPE_KIND_CNN;
    if ((rc == 0) != any_cnn || (rc == 0 && !genotype_equal(&g, &any.cnn))) {
        fprintf(stderr, "the two readers disagree: '%s' / '%s'\n", err, any_err);
        abort();
    }
    if (rc == 0)
        same_after_round_trip(&g, &alphas);
    else if (any_rc == 0)
        rnn_same_after_round_trip(&any.rnn, &any.rnn_alphas);
    return 0;
}
