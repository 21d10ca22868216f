/* atomic_file: the one way dartboard writes a file, so that it is either the
 * old version or the new one, never torn, and never written through a link
 * someone planted.
 *
 * The content goes to a private temporary beside the target, named
 * ".NAME.tmp-XXXXXX" and created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW: a
 * planted file or symlink of that name makes the creation fail, never
 * redirects it); the temporary is fsynced, renamed over NAME, and the
 * directory is fsynced so the rename itself survives a crash. A kill -9 at
 * any moment leaves at most a stray temporary, which atomic_file_clean_dir()
 * removes. Every error message names the file and the reason (errno).
 */
#ifndef DARTBOARD_ATOMIC_FILE_H
#define DARTBOARD_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Fills the content (a memory stream); returns 0, or -1 to abandon the write. */
typedef int (*AtomicFill)(FILE *f, void *ctx);

/* Writes `path` through `fill`. On any failure the old file is untouched,
 * the temporary is removed and err names the file and the reason. */
int atomic_file_write(const char *path, AtomicFill fill, void *ctx, char *err, size_t errlen);
/* The same for a byte buffer. */
int atomic_file_write_bytes(const char *path, const void *data, size_t len, char *err,
                            size_t errlen);

/* For a file another program writes (gnuplot, dot): creates the private
 * temporary for `path` and puts its name in `tmp`. The program writes to
 * tmp; atomic_file_commit() then fsyncs it and renames it over path (the
 * same guarantees as atomic_file_write), atomic_file_abandon() removes it. */
int atomic_file_reserve(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen);
int atomic_file_commit(const char *tmp, const char *path, char *err, size_t errlen);
void atomic_file_abandon(const char *tmp);

/* Removes the temporaries an interrupted writer left in `dir` (and the
 * NAME.tmp / NAME.tmp.<pid> ones of older versions); returns how many.
 * Only for a directory this process holds the lock of (rundir_lock). */
int atomic_file_clean_dir(const char *dir);

#endif
