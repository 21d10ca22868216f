/* balance: see include/dartboard/balance.h */
#include "config.h"
#include "dartboard/balance.h"

#include <math.h>
#include <string.h>

/* Thread t's first unit in the even share: as schedule(static), the first
 * units % team threads one unit more. */
static int even_first(int units, int team, int t)
{
    const int q = units / team, r = units % team;
    return t * q + (t < r ? t : r);
}

void balance_init(Balance *b, int units, int threads)
{
    if (units < 1)
        units = 1;
    if (units > BALANCE_MAX_UNITS)
        units = BALANCE_MAX_UNITS;
    *b = (Balance){.units = units, .threads = threads < 1 ? 1 : threads};
    if (b->threads <= units)
        for (int t = 0; t <= b->threads; t++)
            b->first[t] = even_first(units, b->threads, t);
}

static int balanced(const Balance *b, int team)
{
    return team == b->threads && team <= b->units;
}

void balance_range(const Balance *b, int t, int team, int *u0, int *u1)
{
    if (balanced(b, team)) {
        *u0 = b->first[t];
        *u1 = b->first[t + 1];
    } else {
        *u0 = even_first(b->units, team, t);
        *u1 = even_first(b->units, team, t + 1);
    }
}

void balance_record(Balance *b, int t, int team, double busy, double work)
{
    if (balanced(b, team)) {
        b->last[t].busy = busy;
        b->last[t].work = work;
    }
}

int balance_update(Balance *b, double window, double hysteresis)
{
    const int team = b->threads;
    if (!balanced(b, team) || team < 2)
        return 0;
    double rate[BALANCE_MAX_UNITS], sum = 0.0, busy = 0.0;
    int whole = 1;
    for (int t = 0; t < team; t++) {
        whole &= b->last[t].work > 0.0 && b->last[t].busy > 0.0;
        if (whole) {
            rate[t] = b->last[t].work / b->last[t].busy;
            sum += rate[t];
            busy += b->last[t].busy;
        }
        b->last[t].work = 0.0;
    }
    if (!whole)
        return 0;
    for (int t = 0; t < team; t++)
        b->speed[t] += busy * rate[t] * team / sum;
    b->weight += busy;
    if (b->weight < window)
        return 0;
    int first[BALANCE_MAX_UNITS + 1] = {0}, moved = 0;
    double share = 0.0;
    first[team] = b->units;
    for (int t = 1; t < team; t++) {
        share += b->speed[t - 1] / (team * b->weight);
        const double at = share * b->units;
        moved |= fabs(at - b->first[t]) > hysteresis;
        int u = (int)lround(at);
        if (u < first[t - 1] + 1)
            u = first[t - 1] + 1;
        if (u > b->units - (team - t))
            u = b->units - (team - t);
        first[t] = u;
    }
    if (moved)
        memcpy(b->first, first, sizeof first);
    memset(b->speed, 0, sizeof b->speed);
    b->weight = 0.0;
    return moved;
}
