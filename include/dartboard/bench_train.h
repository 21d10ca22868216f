/* bench_train: timing of training steps of a derived cell from scratch,
 * behind `dartboard bench --train`.
 *
 * The evaluation network of a cell (a published one or any genotype the
 * command line read) on a fixed synthetic batch of 10 classes, as the
 * PyTorch reference's `darts_eval_ref.py --bench [--genotype FILE]`:
 * drop-path 0.2, the auxiliary head (weight 0.4), SGD with momentum 0.9 and
 * weight decay 3e-4, gradient clip 5.
 *   shape "fashion": 1x28x28, C16, 8 cells, batch 64 (default)
 *   shape "cifar":   3x32x32, C36, 20 cells, batch 96
 */
#ifndef DARTBOARD_BENCH_TRAIN_H
#define DARTBOARD_BENCH_TRAIN_H

#include <stdio.h>

#include "dartboard/genotype.h"

/* Times `steps` training steps (forward, backward, clip, SGD) after `warmup`
 * untimed ones on `threads` threads; batch 0 keeps the shape's. `name`
 * says which cell g is (its bytes outside [A-Za-z0-9._/+-] print as '_', so
 * the RESULT line stays one word per key). Prints each step's time and ends
 * with one line
 *   RESULT train-bench genotype=DARTS_V2 in_ch=1 img=28 C=16 layers=8 batch=64
 *          threads=2 params=680708 median_ms=... images_per_s=... peak_rss_mib=...
 * With `profile`, the time per op family of the timed steps follows, with
 * its rates against the sgemm peak and the floor (bench_profile_report,
 * RESULT profile train ... lines). 0, or -1 after a message on stderr
 * (unknown shape, a cell the network cannot hold, out of memory). */
int bench_train(FILE *out, const Genotype *g, const char *name, const char *shape, int batch,
                int steps, int warmup, int threads, int profile);

#endif
