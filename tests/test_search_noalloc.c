/* test_search_noalloc: a search step allocates nothing.
 *
 * malloc, calloc and realloc are interposed (glibc's __libc_* underneath) and
 * counted while steps of each order run, after warm-up steps have let the
 * thread runtime settle. Everything a step needs is planned in search_create.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/parallel.h"
#include "dartboard/search.h"
#include "helpers.h"
#include "noalloc.h"
#include "tap.h"

int main(void)
{
#if !NOALLOC_COUNTS
    skip_all("AddressSanitizer owns malloc; the interposed counter would fight it");
#else
    char err[512];
    Config c;
    Dataset data;
    test_preset(&c, NULL);
    c.monitor.every = 1; /* plans the collapse monitor too */
    if (dataset_load(&data, &c, DATA_TRAIN, err, sizeof err) != 0) {
        printf("Bail out! the test preset's data: %s\n", err);
        return 99;
    }
    const long probe = noalloc_probe();
    ok(probe == 1, "the interposed malloc counts (%ld)", probe);

    Search *s = search_create(&c, &data, err, sizeof err);
    if (!s) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    for (int order = 0; order <= 2; order++) {
        c.arch.order = order;
        int good = search_step(s, &c, NULL, err, sizeof err) == 0;
        noalloc_begin();
        for (int k = 0; k < 3; k++)
            good &= search_step(s, &c, NULL, err, sizeof err) == 0;
        const long allocations = noalloc_end();
        ok(good && allocations == 0, "order %d: 3 steps, %ld allocations", order, allocations);
        noalloc_explain();
    }
    /* the remedies: beta-DARTS's regulariser, SDARTS-RS's noise, DARTS-'s skip */
    Config rc = c;
    rc.remedy.beta_lambda = 50;
    rc.remedy.sdarts_eps = 0.3;
    rc.remedy.darts_minus_beta = 1;
    Search *rs = search_create(&rc, &data, err, sizeof err);
    if (!rs) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    for (int order = 1; order <= 2; order++) {
        rc.arch.order = order;
        int good = search_step(rs, &rc, NULL, err, sizeof err) == 0;
        noalloc_begin();
        good &= search_step(rs, &rc, NULL, err, sizeof err) == 0;
        const long allocations = noalloc_end();
        ok(good && allocations == 0, "order %d with the remedies: %ld allocations", order,
           allocations);
        noalloc_explain();
    }
    search_free(rs);
    /* PC-DARTS: partial channels, edge normalisation; its monitor row */
    Config pc = c;
    pc.remedy.pc_k = 2;
    pc.remedy.edge_norm = 1;
    Search *ps = search_create(&pc, &data, err, sizeof err);
    if (!ps) {
        printf("Bail out! %s\n", err);
        return 99;
    }
    for (int order = 1; order <= 2; order++) {
        pc.arch.order = order;
        int good = search_step(ps, &pc, NULL, err, sizeof err) == 0;
        noalloc_begin();
        good &= search_step(ps, &pc, NULL, err, sizeof err) == 0;
        const long allocations = noalloc_end();
        ok(good && allocations == 0, "order %d with PC-DARTS: %ld allocations", order, allocations);
        noalloc_explain();
    }
    MonitorRow prow;
    int pgood = search_monitor(ps, 3, &prow, err, sizeof err) == 0;
    noalloc_begin();
    pgood &= search_monitor(ps, 3, &prow, err, sizeof err) == 0;
    long pallocations = noalloc_end();
    ok(pgood && pallocations == 0 && isfinite(prow.lambda_max),
       "a monitor row with PC-DARTS: %ld allocations", pallocations);
    noalloc_explain();
    search_free(ps);
    parallel_set_threads(2);
    c.arch.order = 2;
    /* two warm-up steps: the OpenMP runtime sizes its teams' bookkeeping */
    int good = search_step(s, &c, NULL, err, sizeof err) == 0;
    good &= search_step(s, &c, NULL, err, sizeof err) == 0;
    noalloc_begin();
    good &= search_step(s, &c, NULL, err, sizeof err) == 0;
    long allocations = noalloc_end();
    ok(good && allocations == 0, "order 2 with 2 threads: %ld allocations", allocations);
    noalloc_explain();
    parallel_set_threads(1);

    float loss, acc;
    search_evaluate(s, 40, &loss, &acc); /* first use of the eval path */
    noalloc_begin();
    search_evaluate(s, 40, &loss, &acc);
    allocations = noalloc_end();
    ok(allocations == 0, "evaluation: %ld allocations", allocations);
    noalloc_explain();

    MonitorRow row;
    good = search_monitor(s, 3, &row, err, sizeof err) == 0; /* first use */
    noalloc_begin();
    good &= search_monitor(s, 3, &row, err, sizeof err) == 0;
    allocations = noalloc_end();
    ok(good && allocations == 0,
       "a collapse monitor row (3 Hessian-vector products): %ld allocations", allocations);
    noalloc_explain();
    search_free(s);
    dataset_free(&data);
    return tap_done();
#endif
}
