/* bench_rnn: timing of recurrent search steps, behind `dartboard bench --rnn`.
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

#endif
