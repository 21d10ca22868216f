/* tap.h: a tiny Test Anything Protocol emitter for the C unit tests.
 *
 *   ok(cond, "name %d", i);          one test point
 *   close_enough(got, want, rtol, floor, "name")  relative comparison of doubles
 *   skip_all("reason")               the whole program is skipped
 *   return tap_done();               prints the plan; exit status 1 if a point failed
 *
 * Fixture paths come from $top_srcdir so `make distcheck` works: tap_srcpath().
 */
#ifndef DARTBOARD_TAP_H
#define DARTBOARD_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failed;

static inline int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond)
        tap_failed++;
    fflush(stdout);
    return cond;
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* |got - want| <= rtol * max(|want|, floor): relative, with an absolute floor
 * so values near zero do not fail on rounding noise. */
static inline int close_enough(double got, double want, double rtol, double floor_abs,
                               const char *what)
{
    double scale = fabs(want) > floor_abs ? fabs(want) : floor_abs;
    int good = fabs(got - want) <= rtol * scale;
    if (!good)
        diag("%s: got %.9g, want %.9g (rel. error %.3g > %.3g)", what, got, want,
             fabs(got - want) / scale, rtol);
    return good;
}

static inline void skip_all(const char *reason)
{
    printf("1..0 # SKIP %s\n", reason);
    exit(0);
}

/* The plan line; 1 when a point failed (so `return tap_done();` fails the
 * program even where its output is not read as TAP), else 0. */
static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    if (tap_failed)
        printf("# %d of %d failed\n", tap_failed, tap_count);
    return tap_failed ? 1 : 0;
}

/* $top_srcdir/rel, or rel when the variable is unset (running by hand). */
static inline const char *tap_srcpath(const char *rel)
{
    static char buf[4096];
    const char *top = getenv("top_srcdir");
    snprintf(buf, sizeof buf, "%s/%s", top && *top ? top : ".", rel);
    return buf;
}

#endif
