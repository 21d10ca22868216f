/* atomic_file: files that are either the old version or the new one, never torn.
 *
 * Everything dartboard writes into a run directory goes through here: the
 * content is written to NAME.tmp in the same directory, flushed and fsynced,
 * then renamed over NAME, and the directory is fsynced so the rename itself
 * survives a crash. A kill -9 at any moment leaves at most a stray NAME.tmp,
 * which atomic_file_clean_dir() removes.
 */
#ifndef DARTBOARD_ATOMIC_FILE_H
#define DARTBOARD_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Fills the temporary file; returns 0, or -1 to abandon the write. */
typedef int (*AtomicFill)(FILE *f, void *ctx);

/* Writes `path` through `fill`. On any failure the old file is untouched,
 * the temporary file is removed and err names the file and the reason. */
int atomic_file_write(const char *path, AtomicFill fill, void *ctx, char *err, size_t errlen);
/* The same for a byte buffer. */
int atomic_file_write_bytes(const char *path, const void *data, size_t len, char *err,
                            size_t errlen);
/* Removes NAME.tmp files left in `dir` by an interrupted writer; returns how many. */
int atomic_file_clean_dir(const char *dir);

#endif
