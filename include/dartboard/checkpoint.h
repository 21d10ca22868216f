/* checkpoint: the checkpoint.bin container of a run directory.
 *
 * Layout (little-endian): 8-byte magic "DBCKPT\r\n", uint32 format version,
 * uint32 zero, uint64 fingerprint of the network/data shape, int64 step,
 * uint64 extra length, uint64 body length, the extra bytes (the session's own
 * bookkeeping), the body (search_save_state), then a zlib CRC32 of every
 * byte before it. Written atomically (atomic_file), so a crash leaves the
 * previous checkpoint whole. Reading verifies everything before anything is
 * handed to search_load_state, and every refusal names the file.
 */
#ifndef DARTBOARD_CHECKPOINT_H
#define DARTBOARD_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config.h"

#define CHECKPOINT_VERSION 1u

/* Writes the body into f; 0 or -1. */
typedef int (*CheckpointBodyWriter)(const void *ctx, FILE *f);

/* Hash of the configuration keys that shape the network and its data
 * (data.* except the directory, model.*): a checkpoint only loads into a
 * search built from the same ones. */
uint64_t checkpoint_fingerprint(const Config *cfg);
/* Is configuration key `name` one checkpoint_fingerprint hashes (model.*,
 * data.* but data.dir)? */
int checkpoint_key_shapes(const char *name);
/* h with one more 32-bit value mixed in (little-endian bytes, the same
 * FNV-1a): what a worker adds to the fingerprint (its kind, its cell). */
uint64_t checkpoint_fingerprint_u32(uint64_t h, uint32_t v);

int checkpoint_save(const char *path, uint64_t fingerprint, int64_t step, const void *extra,
                    size_t extra_len, CheckpointBodyWriter body, const void *ctx, char *err,
                    size_t errlen);

/* A verified checkpoint in memory. */
typedef struct Checkpoint {
    uint32_t version;
    uint64_t fingerprint;
    int64_t step;
    const unsigned char *extra, *body; /* point into data */
    size_t extra_len, body_len;
    unsigned char *data;
    size_t len;
} Checkpoint;

/* The file size of a checkpoint with these block lengths. */
size_t checkpoint_size(size_t extra_len, size_t body_len);

/* Reads and verifies magic, version, length and CRC, and that the
 * fingerprint equals `fingerprint`. A file that is not regular, or larger
 * than max_len (what the run's shape implies: checkpoint_size), is refused
 * before it is read. -1 + err ("FILE: what is wrong") on a missing,
 * truncated, corrupt or incompatible file. */
int checkpoint_read(Checkpoint *c, const char *path, uint64_t fingerprint, size_t max_len,
                    char *err, size_t errlen);
/* The body as a read-only stream (for search_load_state); fclose it. */
FILE *checkpoint_body_stream(const Checkpoint *c);
void checkpoint_release(Checkpoint *c);

#endif
