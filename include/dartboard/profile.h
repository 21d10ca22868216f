/* profile: where a search step's time goes, by op family.
 *
 * Off by default (one predictable branch per kernel call). When on, every
 * kernel entry point charges its wall time and its counted floating-point
 * work to its family. Time is charged in thread-seconds: a call made outside
 * any parallel region holds the whole team (its wall time times
 * parallel_threads(), idle threads included), a call from inside one (an
 * edge's lane) holds one thread. So the families of a step add up to at most
 * its wall time times the thread count; the rest is work no kernel claims
 * (optimizer, alpha updates) and lanes waiting for each other.
 * `dartboard bench --profile` prints it beside the sgemm peak.
 */
#ifndef DARTBOARD_PROFILE_H
#define DARTBOARD_PROFILE_H

typedef enum ProfFamily {
    PROF_DEPTHWISE,   /* depthwise convolutions */
    PROF_POINTWISE,   /* 1x1 convolutions (FactorizedReduce's included) */
    PROF_DENSE_CONV,  /* the stem's 3x3 convolution */
    PROF_BN,          /* batch norm, forward and backward */
    PROF_POOL,        /* 3x3 max and average pools, global pooling */
    PROF_ELEMENTWISE, /* ReLU, the MixedOp sums, zeroing, copies, alpha dots */
    PROF_CLASSIFIER,  /* linear layer and softmax cross-entropy */
    PROF_FAMILIES
} ProfFamily;

typedef struct ProfTotals {
    double seconds[PROF_FAMILIES]; /* thread-seconds */
    double flops[PROF_FAMILIES];
    long calls[PROF_FAMILIES];
} ProfTotals;

extern int profile_enabled;

/* Starts counting from zero (on) or stops (off). Not while kernels run. */
void profile_set(int on);
/* The totals since profile_set(1), summed over threads. */
void profile_totals(ProfTotals *t);
const char *profile_family_name(ProfFamily f);

double profile_clock(void);
void profile_charge(ProfFamily f, double started, double flops);
/* The same for time measured by the caller (a kernel running two families). */
void profile_charge_seconds(ProfFamily f, double seconds, double flops);

/* Around a kernel body: PROFILE_BEGIN; ... PROFILE_END(family, flops); */
#define PROFILE_BEGIN const double profile_t0_ = profile_enabled ? profile_clock() : 0.0
#define PROFILE_END(family, flops)                                                                 \
    do {                                                                                           \
        if (profile_enabled)                                                                       \
            profile_charge((family), profile_t0_, (double)(flops));                                \
    } while (0)

#endif
