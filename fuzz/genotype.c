/* fuzz/genotype.c: the genotype reader, every dialect (the official
 * Genotype(...) line, nested lists, 3-tuples, weighted tuples, JSON, YAML).
 *
 * Input: the text of a genotype file.
 * Checks: a refusal names the file; a genotype that parses is written in
 * each format (py, json, yaml) and parses back equal.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Genotype g;
    static GenotypeAlphas alphas;
    char err[512] = "";
    if (genotype_parse(NAME, (const char *)data, size, &g, &alphas, err, sizeof err) != 0) {
        if (strncmp(err, NAME, sizeof NAME - 1) != 0) {
            fprintf(stderr, "a refusal that does not start with the file name: '%s'\n", err);
            abort();
        }
        return 0;
    }
    same_after_round_trip(&g, &alphas);
    return 0;
}
