/* curves: train and val series over steps, drawn in a terminal rectangle.
 *
 * Braille dots (2x4 per character) in UTF-8, one mark per character in ASCII;
 * y labels on the left, the step range below, a legend in the title row.
 * The scale follows the data, so the plot rescales as reports arrive. A
 * training run's train series goes on past its last epoch row through the
 * epoch under way (its running means), so the first epoch is not a blank.
 */
#ifndef DARTBOARD_UI_CURVES_H
#define DARTBOARD_UI_CURVES_H

#include "dartboard/session.h"
#include "ui/draw.h"

/* CURVE_PPL: a recurrent search's perplexities, which its rows carry in
 * train_acc and val_acc (session.h). */
/* CURVE_LAMBDA: the collapse monitor's lambda_max, one series carried in
 * train_loss (curves_monitor_rows); its legend adds the power iteration's
 * final relative change, carried in val_loss. */
typedef enum CurveKind {
    CURVE_LOSS,
    CURVE_ACC,
    CURVE_PPL,
    CURVE_LAMBDA,
    CURVE_KIND_COUNT
} CurveKind;

/* Whose rows: a search's, a training run's (epochs, the test split), a
 * recurrent search's (the valid split) or a recurrent cell's training
 * (epochs, the valid split). */
enum { CURVES_SEARCH, CURVES_TRAINING, CURVES_RECURRENT, CURVES_RECURRENT_TRAINING };

/* What a plot shows: rows at x = their step (a training run's: the epoch
 * number, from 1), and a training run's epoch under way (tail: its progress
 * points, history_epoch_points) at x = epochs done + the part of this one
 * done, which continue the train series. */
typedef struct Curve {
    const MetricRow *rows;
    int n;
    const TrainProgress *const *tail;
    int n_tail;
} Curve;

/* The y range the plot uses for this curve (padded, never empty). */
void curves_range(const Curve *c, CurveKind kind, double *lo, double *hi);

/* A legend's value (percent for CURVE_ACC) in at most 7 columns: 4
 * significant digits where they fit, 2 for the tiny and the huge. */
void curves_format_value(char *buf, size_t len, double y, CurveKind kind);

/* The monitor rows as the rows CURVE_LAMBDA draws (n at most SNAPSHOT_MONITORS). */
void curves_monitor_rows(const MonitorRow *m, int n, MetricRow *out);

/* run: CURVES_*. A training run's rows are epochs, the second series the
 * test split (labels "test" and "epoch" instead of "val" and "step"); a
 * recurrent search's second series is "valid". */
void curves_draw(WINDOW *w, Rect r, const Style *st, CurveKind kind, const Curve *c, int run);

#endif
