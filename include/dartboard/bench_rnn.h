/* bench_rnn: timing of recurrent search steps, behind `dartboard bench --rnn`,
 * and of a recurrent cell's training steps (`--rnn --train`).
 *
 * The work of `darts_rnn_ref.py --bench` of the PyTorch reference: whole
 * steps of the recurrent search (rnnsearch_step: the window's length drawn,
 * the alpha step of `order` on a valid window, the weight step with the
 * activation regularisation, the clip and SGD) on a synthetic corpus of
 * uniformly drawn words, vocabulary `ntoken`, embedding = hidden = `size`.
 */
#ifndef DARTBOARD_BENCH_RNN_H
#define DARTBOARD_BENCH_RNN_H

#include <stdio.h>

/* Times `steps` steps after `warmup` untimed ones with `threads` threads.
 * Prints each step's time, then one line
 *   RESULT rnn-bench ntoken=10000 emsize=300 nhid=300 batch=256 bptt=35 threads=2 order=1
 *          weights=... median_ms=... tokens_per_s=... peak_rss_mib=...
 * (the reference's fields, and order and weights). Returns 0, or -1 after a
 * message on stderr. */
int bench_rnn(FILE *out, int order, int steps, int warmup, int threads, int ntoken, int size,
              int batch, int bptt);

/* `dartboard bench --rnn --train`: steps of `dartboard train` of the DARTS_V2
 * recurrent cell (rnntrain.h) with the rnn-train-ptb recipe at the given
 * shape: each draws its window length (about bptt) and masks, runs forward
 * and backward through time, clips and updates, on the synthetic corpus.
 * Prints each step, then
 *   RESULT rnn-train ntoken=... size=... batch=... bptt=... threads=... params=...
 *          median_ms=... tokens_per_s=... peak_rss_mib=...
 * (tokens per second over the timed steps, whose windows vary in length). */
int bench_rnn_train(FILE *out, int steps, int warmup, int threads, int ntoken, int size, int batch,
                    int bptt);

#endif
