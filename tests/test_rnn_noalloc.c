/* test_rnn_noalloc: a forward and backward of the recurrent search network
 * allocate nothing.
 *
 * malloc, calloc and realloc are interposed (glibc's __libc_* underneath) and
 * counted while training forwards, backwards (weights and alphas, alphas
 * alone) and an evaluation forward run, after a warm-up pass has let the
 * thread runtime settle, with 1 and 2 threads. Everything is planned in
 * rnn_create. The shape is small but its products are big enough to take
 * OpenBLAS's ordinary path, like the real ones.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "dartboard/rnnnet.h"
#include "noalloc.h"
#include "tap.h"

static int pass(RnnNet *net, const int32_t *words, float *h, int T)
{
    int good = 1;
    RnnLoss l = rnn_forward(net, words, words + 1, T, h, h, 1, 1e-3f);
    good &= rnn_backward(net, 1, 1) == 0 && l.total == l.total;
    l = rnn_forward(net, words, words + 1, T - 1, h, h, 1, 0.0f);
    good &= rnn_backward(net, 0, 1) == 0 && l.total == l.total;
    l = rnn_forward(net, words, words + 1, T, h, h, 0, 0.0f);
    return good && l.loss == l.loss;
}

int main(void)
{
#if !NOALLOC_COUNTS
    skip_all("AddressSanitizer owns malloc; the interposed counter would fight it");
#else
    char err[512];
    const long probe = noalloc_probe();
    ok(probe == 1, "the interposed malloc counts (%ld)", probe);

    const RnnShape shape = {1000, 64, 64, 32, 6};
    RnnNet *net = rnn_create(&shape, err, sizeof err);
    if (!net) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    Rng r;
    rng_seed(&r, 1);
    rnn_init(net, &r);
    rnn_draw_masks(net, &r);
    const int T = shape.bptt_max, B = shape.batch;
    int32_t *words = malloc(((size_t)T * B + 1) * sizeof(int32_t));
    float *h = calloc((size_t)B * shape.nhid, sizeof(float));
    for (int i = 0; i <= T * B; i++)
        words[i] = (int32_t)rng_below(&r, shape.ntoken);
    for (int threads = 1; threads <= 2; threads++) {
        parallel_set_threads(threads);
        /* two warm-up passes: the OpenMP runtime sizes its teams' bookkeeping */
        int good = pass(net, words, h, T) && pass(net, words, h, T);
        noalloc_begin();
        good &= pass(net, words, h, T);
        const long allocations = noalloc_end();
        ok(good && allocations == 0,
           "%d thread(s): forward, backward (weights and alphas, alphas alone), evaluation: %ld "
           "allocations",
           threads, allocations);
        noalloc_explain();
    }
    parallel_set_threads(1);
    free(words);
    free(h);
    rnn_free(net);
    return tap_done();
#endif
}
