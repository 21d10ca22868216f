/* balance: fixed units of work shared by the threads of a team as runs of
 * consecutive units, the runs sized by the threads' measured speeds.
 *
 * Why: the vCPUs of a shared host do not keep one speed. On the 2-vCPU
 * Xeon of BENCHMARKS.md one of them ran the training step's work 30 % slower
 * than the other for seconds at a time while the other kept its speed; with
 * halves, every region then waits for the slow thread. The units stay the
 * same (a partial sum each, added in unit order), so which thread runs a
 * unit changes no bit; a run of consecutive units keeps a thread on the
 * data it had in the region before, which a dynamic schedule loses.
 *
 * Use: before each region, in one thread, balance_update; in the region,
 * each thread takes balance_range and, done, reports its time with
 * balance_record.
 */
#ifndef DARTBOARD_BALANCE_H
#define DARTBOARD_BALANCE_H

#define BALANCE_MAX_UNITS 16

typedef struct Balance {
    int units, threads;               /* threads: the team the split is for */
    int first[BALANCE_MAX_UNITS + 1]; /* thread t runs units first[t] .. first[t + 1] - 1 */
    double speed[BALANCE_MAX_UNITS];  /* speeds over the team's mean, summed by weight */
    double weight;                    /* thread-seconds those sums span */
    struct {
        double busy, work;
    } last[BALANCE_MAX_UNITS]; /* by thread, the last region's; work 0: none */
} Balance;

/* units (1 .. BALANCE_MAX_UNITS) shared evenly by a team of `threads`. A
 * team larger than `units` keeps the even share (some threads idle). */
void balance_init(Balance *b, int units, int threads);

/* Thread t's units u0 .. u1 - 1 in a region of `team` threads: the split,
 * or the even share when the team is not the one it is for. */
void balance_range(const Balance *b, int t, int team, int *u0, int *u1);

/* Thread t of a region of `team` threads spent busy seconds on its units,
 * `work` in all (images, say). Each thread writes only its own record. */
void balance_record(Balance *b, int t, int team, double busy, double work);

/* In one thread, between regions: the last region's records (where every
 * thread of the team worked) added to the speeds; once they span `window`
 * thread-seconds, each boundary moved to where the speeds put it, if one
 * of them is more than `hysteresis` units from there (a moved unit's data
 * changes caches). Every thread keeps a unit, to be timed. Returns 1 when
 * the split moved. */
int balance_update(Balance *b, double window, double hysteresis);

#endif
