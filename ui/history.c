/* history: the run's metric rows, decimated to fit (see history.h). */
#include "ui/history.h"

#include <string.h>

void history_reset(History *h)
{
    memset(h, 0, sizeof *h);
    h->stride = 1;
}

static void history_push(History *h, const MetricRow *r)
{
    h->newest = *r;
    if (h->taken++ % h->stride != 0)
        return;
    if (h->n == HISTORY_CAP) {
        /* Keep rows 0, 2, 4, ...: the kept indices become multiples of 2 * stride. */
        for (int i = 0; i < HISTORY_CAP / 2; i++)
            h->rows[i] = h->rows[2 * i];
        h->n = HISTORY_CAP / 2;
        h->stride *= 2;
        if ((h->taken - 1) % h->stride != 0)
            return;
    }
    h->rows[h->n++] = *r;
}

void history_update(History *h, const Snapshot *s)
{
    if (s->rows_total < h->rows_seen)
        history_reset(h);
    int64_t fresh = s->rows_total - h->rows_seen;
    int avail = s->n_rows < 0 ? 0 : s->n_rows > SNAPSHOT_ROWS ? SNAPSHOT_ROWS : s->n_rows;
    int take = fresh < avail ? (int)fresh : avail;
    for (int i = avail - take; i < avail; i++)
        history_push(h, &s->rows[i]);
    h->rows_seen = s->rows_total;
}

int history_epoch_points(const Snapshot *s, const TrainProgress **out)
{
    int n = 0;
    if (!s->training)
        return 0;
    int64_t first = s->progress_total - SNAPSHOT_PROGRESS + 1;
    for (int64_t k = first > 1 ? first : 1; k <= s->progress_total; k++) {
        const TrainProgress *g = &s->progress[k % SNAPSHOT_PROGRESS];
        if (g->epoch == s->epoch)
            out[n++] = g;
    }
    return n;
}

int history_rows(const History *h, MetricRow *out, int cap)
{
    int n = h->n < cap ? h->n : cap;
    memcpy(out, h->rows, (size_t)n * sizeof *out);
    if (h->taken > 0 && (n == 0 || out[n - 1].step != h->newest.step)) {
        if (n == cap)
            n--;
        out[n++] = h->newest;
    }
    return n;
}
