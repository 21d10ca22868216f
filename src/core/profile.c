/* profile: see include/dartboard/profile.h
 *
 * One row of totals per OpenMP thread number: kernels are called either by
 * the master outside any region or by the lane threads of one region, whose
 * numbers differ, so no two threads ever charge the same row at once. */
#include "config.h"
#include "dartboard/profile.h"

#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dartboard/parallel.h"

#define PROFILE_ROWS 64

int profile_enabled;
static ProfTotals rows[PROFILE_ROWS];

void profile_set(int on)
{
    memset(rows, 0, sizeof rows);
    profile_enabled = on;
}

double profile_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void profile_charge(ProfFamily f, double started, double flops)
{
    profile_charge_seconds(f, profile_clock() - started, flops);
}

void profile_charge_seconds(ProfFamily f, double dt, double flops)
{
    int row = 0, held = parallel_threads();
#ifdef _OPENMP
    if (omp_in_parallel()) {
        row = omp_get_thread_num() % PROFILE_ROWS;
        held = 1;
    }
#endif
    rows[row].seconds[f] += dt * held;
    rows[row].flops[f] += flops;
    rows[row].calls[f]++;
}

void profile_totals(ProfTotals *t)
{
    memset(t, 0, sizeof *t);
    for (int r = 0; r < PROFILE_ROWS; r++)
        for (int f = 0; f < PROF_FAMILIES; f++) {
            t->seconds[f] += rows[r].seconds[f];
            t->flops[f] += rows[r].flops[f];
            t->calls[f] += rows[r].calls[f];
        }
}

const char *profile_family_name(ProfFamily f)
{
    static const char *const names[PROF_FAMILIES] = {
        "depthwise conv", "pointwise conv", "stem conv",  "batch norm",
        "pooling",        "elementwise",    "classifier",
    };
    return f >= 0 && f < PROF_FAMILIES ? names[f] : "?";
}
