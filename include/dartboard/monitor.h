/* monitor: the signs of DARTS collapse, measured without disturbing the
 * search (docs/ARCHITECTURE.md, Collapse monitors), and the DARTS-ES early
 * stop that reads them.
 *
 * One MonitorRow every monitor.every steps: lambda_max, the dominant
 * eigenvalue of the alpha Hessian of the loss on a fixed batch (hessian.h;
 * RobustDARTS, Zela et al., ICLR 2020) with the power iteration's
 * convergence; the skip connections and parameter-free ops (skip, pools) in
 * the derived normal cell; the mean entropy of the edges' softmax per cell;
 * the mean weight of `none` over the edges of both cells.
 *
 * DARTS-ES as RobustDARTS's code runs it (EVLocalAvg): the local average of
 * lambda_max over `window` evaluations (a growing one until there are
 * `window`), centred floor(window/2) evaluations back; the search stops when
 * the newest local average over the one MONITOR_ES_DELTA evaluations earlier
 * exceeds `ratio`, provided the earlier one's centre is at epoch `start` or
 * later. The result is the genotype of that centre.
 */
#ifndef DARTBOARD_MONITOR_H
#define DARTBOARD_MONITOR_H

#include <stdint.h>

#include "dartboard/genotype.h"

/* Skip connections in the derived normal cell that earn a warning: collapse
 * ends with the normal cell all skips (RobustDARTS, DARTS-). */
#define MONITOR_SKIPS_WARN 3

typedef struct MonitorRow {
    int64_t step;
    float lambda_max;
    int lambda_iters;      /* Hessian-vector products taken */
    float lambda_change;   /* |lambda_k - lambda_(k-1)| / |lambda_k| of the last two */
    float lambda_residual; /* ||H v - lambda v|| / |lambda| of the last one */
    int skips_normal, param_free_normal;
    float entropy_normal, entropy_reduce, none_weight;
} MonitorRow;

/* The alpha statistics of row from softmaxed weights (edges x OP_COUNT per
 * cell) of a cell with `nodes` intermediate nodes. */
void monitor_alpha_stats(const float *normal, const float *reduce, int nodes, MonitorRow *row);
/* 1 when op is parameter-free and not none: skip_connect, max or avg pool. */
int monitor_param_free(int op);

/* ---- DARTS-ES ----------------------------------------------------------- */

#define MONITOR_ES_DELTA 4       /* local averages between the two compared */
#define MONITOR_ES_MAX_WINDOW 64 /* largest monitor.es_window */
#define MONITOR_ES_RING (MONITOR_ES_MAX_WINDOW + MONITOR_ES_DELTA + 1)

typedef struct EarlyStop {
    int window;    /* evaluations per local average */
    double ratio;  /* stop above this ratio of local averages */
    double start;  /* the earlier centre's epoch must be at least this */
    int64_t evals; /* evaluations so far */
    /* the newest MONITOR_ES_RING evaluations, evaluation i at i % RING */
    double lambda[MONITOR_ES_RING], epoch[MONITOR_ES_RING];
    int64_t step[MONITOR_ES_RING];
    Genotype genotype[MONITOR_ES_RING];
} EarlyStop;

/* What an evaluation decided. */
typedef struct EarlyStopVerdict {
    int stop;              /* 1: stop the search */
    double current, prior; /* the two local averages compared (0 until there are both) */
    int64_t keep_step;     /* stop: the step of the earlier centre ... */
    double keep_epoch;     /* ... its epoch ... */
    Genotype keep;         /* ... and its genotype, the result */
} EarlyStopVerdict;

void early_stop_init(EarlyStop *es, int window, double ratio, double start);
/* One evaluation: lambda_max at `step` (epoch: step / steps per epoch), with
 * the genotype derived then. */
void early_stop_update(EarlyStop *es, int64_t step, double epoch, double lambda, const Genotype *g,
                       EarlyStopVerdict *v);
/* The first evaluation a later update may keep (its centre): the ones
 * before it can no longer be kept or rolled back to. */
int64_t early_stop_next_centre(const EarlyStop *es);

#endif
