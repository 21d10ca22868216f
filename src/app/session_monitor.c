/* session_monitor: the collapse monitors in a CNN search's worker
 * (docs/ARCHITECTURE.md, Collapse monitors): every monitor.every steps a
 * row into monitors.csv and the snapshot, a message (the UI's message line
 * and event log, a headless line) when lambda_max or the skip count crosses
 * its threshold, and DARTS-ES (monitor.es) deciding whether to stop, or
 * with remedy.adaptive_wd to roll back and raise the weight decay. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "session_internal.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void session_monitor_init(Session *s)
{
    early_stop_init(&s->es, s->cfg.monitor.es_window, s->cfg.monitor.es_ratio,
                    s->cfg.monitor.es_start);
}

static void push_monitor(Snapshot *p, const MonitorRow *row)
{
    if (p->n_monitors == SNAPSHOT_MONITORS) {
        memmove(p->monitors, p->monitors + 1, sizeof p->monitors[0] * (SNAPSHOT_MONITORS - 1));
        p->n_monitors--;
    }
    p->monitors[p->n_monitors++] = *row;
    p->monitors_total++;
}

/* Once per crossing, not at every row past the threshold. */
static void warn_crossings(Session *s, const MonitorRow *row)
{
    int lambda_high = row->lambda_max > s->cfg.monitor.lambda_warn;
    int skips_high = row->skips_normal >= MONITOR_SKIPS_WARN;
    char what[256] = "";
    if (lambda_high && !s->lambda_high)
        snprintf(what, sizeof what, "lambda_max %.4g crossed monitor.lambda_warn %g",
                 (double)row->lambda_max, s->cfg.monitor.lambda_warn);
    if (skips_high && !s->skips_high) {
        size_t used = strlen(what);
        snprintf(what + used, sizeof what - used,
                 "%s%d skip connections in the derived normal cell", used ? "; " : "",
                 row->skips_normal);
    }
    if (what[0])
        session_say(s, "step %lld: %s (collapse ahead?)", (long long)row->step, what);
    s->lambda_high = lambda_high;
    s->skips_high = skips_high;
}

int session_monitor_step(Session *s, MonitorAction *act)
{
    *act = MONITOR_CONTINUE;
    int64_t step = search_step_count(s->search);
    if (s->cfg.monitor.every <= 0 || step % s->cfg.monitor.every != 0)
        return 0;
    char err[ERR_LEN];
    MonitorRow row;
    double t0 = now_seconds();
    if (search_monitor(s->search, s->cfg.monitor.iters, &row, err, sizeof err) != 0) {
        /* The step itself decides whether the search diverged. */
        session_say(s, "%s (no monitor row)", err);
        return 0;
    }
    if (rundir_append_monitors(&s->rd, &row, err, sizeof err) != 0)
        return session_write_failure(s, err);
    Snapshot *p = &s->priv;
    push_monitor(p, &row);
    p->monitor_ms = (now_seconds() - t0) * 1e3;
    warn_crossings(s, &row);

    /* Every row feeds DARTS-ES, so turning monitor.es on mid-run decides
     * on the whole history. */
    Genotype g;
    EarlyStopVerdict v;
    search_genotype(s->search, &g);
    early_stop_update(&s->es, step, (double)step / s->steps_per_epoch, row.lambda_max, &g, &v);
    if (!s->cfg.monitor.es || !v.stop)
        return 0;
    /* RobustDARTS's adaptive regularisation (its train_search.py, early_stop
     * 3): back to the earlier centre with the weight decay multiplied, until
     * it reaches the cap; a trigger there stops as DARTS-ES. */
    double wd = s->cfg.optim.weight_decay, factor = s->cfg.remedy.adaptive_wd;
    double raised =
        wd * factor < s->cfg.remedy.adaptive_wd_max ? wd * factor : s->cfg.remedy.adaptive_wd_max;
    if (factor > 0.0 && raised > wd) {
        char old_value[32];
        snprintf(old_value, sizeof old_value, "%g", wd);
        int rc = session_rollback(s, v.keep_step, raised);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            session_say(s,
                        "step %lld: the local average of lambda_max grew %.2fx (over "
                        "monitor.es_ratio %g) since step %lld: rolled back to step %lld, "
                        "optim.weight_decay %s -> %g (remedy.adaptive_wd %g)",
                        (long long)step, v.current / v.prior, s->cfg.monitor.es_ratio,
                        (long long)v.keep_step, (long long)v.keep_step, old_value, raised, factor);
            *act = MONITOR_ROLLED_BACK;
            return 0;
        }
    }
    p->es_stopped = 1;
    p->es_stop_step = step;
    p->es_keep_step = v.keep_step;
    p->es_keep_epoch = v.keep_epoch;
    p->es_growth = v.current / v.prior;
    p->es_genotype = v.keep;
    *act = MONITOR_STOP;
    return 0;
}

int session_monitor_finish(Session *s)
{
    const Snapshot *p = &s->priv;
    char err[ERR_LEN];
    if (rundir_write_genotype(&s->rd, &p->es_genotype, NULL, NULL, err, sizeof err) != 0)
        return session_write_failure(s, err);
    char why[160] = ""; /* adaptive_wd on: why this trigger did not roll back */
    if (s->cfg.remedy.adaptive_wd > 0.0 &&
        s->cfg.optim.weight_decay >= s->cfg.remedy.adaptive_wd_max)
        snprintf(why, sizeof why, "; optim.weight_decay %g is at remedy.adaptive_wd_max",
                 s->cfg.optim.weight_decay);
    else if (s->cfg.remedy.adaptive_wd > 0.0)
        snprintf(why, sizeof why,
                 "; no state of step %lld kept to roll back to (monitor.es_window grew?)",
                 (long long)p->es_keep_step);
    session_say(s,
                "DARTS-ES: stopped at step %lld, the local average of lambda_max grew %.2fx "
                "(over monitor.es_ratio %g) since step %lld (epoch %.1f); its genotype is the "
                "result (genotype.py, genotype.json)%s",
                (long long)p->es_stop_step, p->es_growth, s->cfg.monitor.es_ratio,
                (long long)p->es_keep_step, p->es_keep_epoch, why);
    return 0;
}
