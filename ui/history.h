/* history: every metric row of the run, for the curves, in a bounded buffer;
 * and the epoch a training run has under way.
 *
 * A snapshot carries only the newest SNAPSHOT_ROWS rows; a long run (the demo
 * reports ~900 times) would lose its start from the curves. The UI keeps its
 * own flat buffer: rows are appended as snapshots bring them, and when it is
 * full every other row is dropped and from then on only every second (4th,
 * ...) row is kept, so the whole run stays in view at an even resolution.
 * The newest row is always shown.
 */
#ifndef DARTBOARD_UI_HISTORY_H
#define DARTBOARD_UI_HISTORY_H

#include <stdint.h>

#include "dartboard/session.h"

#define HISTORY_CAP 1024

typedef struct History {
    MetricRow rows[HISTORY_CAP]; /* kept rows, oldest first */
    int n;
    int64_t stride;    /* a row is kept when its index is a multiple of stride */
    int64_t taken;     /* rows taken so far (the index of the next one) */
    int64_t rows_seen; /* the snapshot's rows_total already taken */
    MetricRow newest;
} History;

void history_reset(History *h);
/* Takes the rows of `s` not seen yet (a run that starts over resets). */
void history_update(History *h, const Snapshot *s);
/* The rows to draw: the kept ones and the newest; returns how many (<= cap). */
int history_rows(const History *h, MetricRow *out, int cap);

/* A training run's epoch under way: the snapshot's progress points of it
 * (session.h) into out (room for SNAPSHOT_PROGRESS), oldest first; returns
 * how many. None outside a training run, nor between an epoch's row and the
 * next epoch's first point. */
int history_epoch_points(const Snapshot *s, const TrainProgress **out);

#endif
