/* run_csv: read back the CSV logs of a run directory (docs/ARCHITECTURE.md, Run directory)
 * for the exports and the gnuplot figures.
 *
 *   metrics.csv  step,epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds
 *   alphas.csv   step,cell,edge,op,weight   (one block per report; cell is
 *                normal|reduce; op is a name or a column index)
 *
 * Columns are found by their header names, so extra columns are ignored.
 * Errors are "FILE:LINE:COL: what is wrong (expected ...)".
 */
#ifndef DARTBOARD_RUN_CSV_H
#define DARTBOARD_RUN_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/genotype.h"

typedef struct RunMetric {
    int64_t step;
    int epoch;
    double lr, train_loss, train_acc, val_loss, val_acc, seconds;
} RunMetric;

typedef struct RunMetrics {
    int n;
    RunMetric *rows;
} RunMetrics;

/* The alphas of one report: both cells, edges x OP_COUNT, softmaxed. */
typedef struct AlphaFrame {
    int64_t step;
    float normal[GENOTYPE_MAX_EDGES * OP_COUNT];
    float reduce[GENOTYPE_MAX_EDGES * OP_COUNT];
} AlphaFrame;

typedef struct AlphaHistory {
    int nodes, edges; /* from the largest edge index seen */
    int n;            /* frames, in file order (ascending step) */
    AlphaFrame *frames;
} AlphaHistory;

int run_metrics_load(const char *path, RunMetrics *m, char *err, size_t errlen);
void run_metrics_free(RunMetrics *m);

/* Every report block must list every (cell, edge, op) once. */
int run_alphas_load(const char *path, AlphaHistory *h, char *err, size_t errlen);
void run_alphas_free(AlphaHistory *h);

#endif
