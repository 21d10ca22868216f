/* corpus_cache: the text corpus of a recurrent search, from --data or from the
 * King James Bible prepared once into a cache directory.
 *
 * The KJV corpus is made from the output of `bible -f Gen1:1-Rev22:21`
 * (Debian's bible-kjv, run by fork/exec through tool_run) the first time it is
 * needed, and kept as kjv.train.txt, kjv.valid.txt, kjv.test.txt: byte for
 * byte what the PyTorch reference's `--corpus` writes, each file written
 * through atomic_file. Later loads read those files (the reference's
 * read_corpus order: "<eos>" is id 0). A cache missing any of the three is
 * prepared again; a damaged one is an error naming the file.
 */
#ifndef DARTBOARD_CORPUS_CACHE_H
#define DARTBOARD_CORPUS_CACHE_H

#include <stddef.h>
#include <stdio.h>

#include "dartboard/corpus.h"

/* The longest cache directory path, in bytes with its NUL. */
#define CORPUS_CACHE_PATH_MAX 3072

/* The cache directory: `dir` when not NULL, else $XDG_CACHE_HOME/dartboard/kjv
 * (an absolute XDG_CACHE_HOME), else $HOME/.cache/dartboard/kjv. 0, or -1 +
 * err when there is no HOME either or the path is too long (outlen is at most
 * CORPUS_CACHE_PATH_MAX). */
int corpus_cache_dir(const char *dir, char *out, size_t outlen, char *err, size_t errlen);

/* The KJV corpus from the cache directory `dir` (see corpus_cache_dir),
 * prepared into it first when it is not complete, with a line on `progress`
 * (may be NULL) before and after. *prepared (may be NULL) = 1 when it was
 * prepared now. 0, or -1 + err; a failure writes nothing. */
int corpus_load_kjv(Corpus *c, const char *dir, FILE *progress, int *prepared, char *err,
                    size_t errlen);

/* --data DIR when data_dir is not NULL (corpus_read_dir), else the KJV
 * corpus from cache_dir. */
int corpus_load(Corpus *c, const char *data_dir, const char *cache_dir, FILE *progress, char *err,
                size_t errlen);

/* Per split: its tokens, the distinct words it uses and its first words;
 * the vocabulary size. Control characters, the byte order mark, backslashes
 * and bytes that are not UTF-8 are shown as \xNN. */
void corpus_print_summary(const Corpus *c, FILE *f);

#endif
