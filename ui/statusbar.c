/* statusbar: the state line and the message line (see statusbar.h). */
#include "ui/statusbar.h"

#include <stdio.h>
#include <string.h>

#include "ui/history.h"

static const ColorRole state_roles[SESSION_STATE_COUNT] = {
    [SESSION_STARTING] = ROLE_STARTING, [SESSION_RUNNING] = ROLE_RUNNING,
    [SESSION_PAUSED] = ROLE_PAUSED,     [SESSION_DONE] = ROLE_DONE,
    [SESSION_ERROR] = ROLE_ERROR,
};

/* Weights as "245,242" (or "3.35M" when long). */
static void format_count(char *buf, size_t len, long long n)
{
    if (n >= 10000000)
        snprintf(buf, len, "%.2fM", (double)n / 1e6);
    else if (n >= 1000000)
        snprintf(buf, len, "%lld,%03lld,%03lld", n / 1000000, n / 1000 % 1000, n % 1000);
    else if (n >= 1000)
        snprintf(buf, len, "%lld,%03lld", n / 1000, n % 1000);
    else
        snprintf(buf, len, "%lld", n);
}

/* "ms/step  rate  ETA" from x on line y; the rate (unit per second) is left
 * out when it would push the ETA off the line and may_drop says it can go. */
static void draw_speed(WINDOW *w, Rect r, int y, int x, const Snapshot *s, const char *unit,
                       int may_drop)
{
    attr_t bar = colors_attr(ROLE_STATUS);
    char eta[32], speed[32], rate[32];
    duration_text(eta, sizeof eta, s->eta_seconds);
    if (s->ms_per_step <= 0.0) { /* no step timed yet */
        draw_textf(w, r, y, x + 2, bar, "-- ms/step  -- %s/s  ETA --", unit);
        return;
    }
    snprintf(speed, sizeof speed, "%.1f ms/step", s->ms_per_step);
    snprintf(rate, sizeof rate, "%.0f %s/s", s->images_per_s, unit);
    int need = x + 2 + (int)strlen(speed) + 2 + (int)strlen(rate) + 2 + 4 + (int)strlen(eta);
    x = draw_text(w, r, y, x + 2, speed, bar);
    if (!may_drop || need <= r.x + r.w)
        x = draw_text(w, r, y, x + 2, rate, bar);
    draw_textf(w, r, y, x + 2, bar, "ETA %s", eta);
}

/* The rest of the two lines for `dartboard train`, after the state at x. */
static void statusbar_draw_training(WINDOW *w, Rect r, const Snapshot *s, int x)
{
    attr_t bar = colors_attr(ROLE_STATUS);
    int epoch = s->epoch < s->epochs ? s->epoch + 1 : s->epochs;
    char params[32];
    format_count(params, sizeof params, s->params);
    x = draw_textf(w, r, r.y, x + 1, bar | A_BOLD, "%s", s->preset);
    x = draw_textf(w, r, r.y, x + 2, bar, "epoch %d/%d", epoch, s->epochs);
    x = draw_textf(w, r, r.y, x + 2, bar, "lr %.4g", (double)s->lr);
    if (s->recurrent) /* a recurrent cell: the optimizer instead of drop-path */
        x = draw_textf(w, r, r.y, x + 2, bar, "%s", s->asgd ? "ASGD" : "SGD");
    else
        x = draw_textf(w, r, r.y, x + 2, bar, "drop-path %.3f", (double)s->drop_path);
    /* whole or not at all: the count is printed at start, the epoch says
     * where the run is */
    char item[64];
    int n = snprintf(item, sizeof item, "%s params", params);
    if (x + 2 + n <= r.x + r.w)
        x = draw_text(w, r, r.y, x + 2, item, bar);
    n = snprintf(item, sizeof item, "step %lld/%lld", (long long)s->step,
                 (long long)s->total_steps);
    if (x + 2 + n <= r.x + r.w)
        draw_text(w, r, r.y, x + 2, item, bar);
    if (r.h < 2)
        return;
    /* The train figures of the epoch under way once it has a progress point
     * ("so far"), else of the last epoch; the test (valid) ones of the last
     * epoch. A recurrent cell's *_acc hold perplexities (session.h). */
    const TrainProgress *points[SNAPSHOT_PROGRESS];
    const int n_points = history_epoch_points(s, points);
    const TrainProgress *now = n_points ? points[n_points - 1] : NULL;
    const char *held = s->recurrent ? "valid" : "test";
    char train[48] = "train --", test[48];
    float loss = now ? now->train_loss : s->train_loss, acc = now ? now->train_acc : s->train_acc;
    if (now || s->rows_total > 0)
        snprintf(train, sizeof train,
                 s->recurrent ? "train %.3f ppl %.1f%s" : "train %.3f %.1f%%%s", (double)loss,
                 (double)acc, now ? " so far" : "");
    if (s->rows_total > 0)
        snprintf(test, sizeof test, s->recurrent ? "%s %.3f ppl %.2f" : "%s %.3f %.2f%%", held,
                 (double)s->val_loss, (double)s->val_acc);
    else
        snprintf(test, sizeof test, "%s --", held);
    int y = r.y + 1;
    x = draw_text(w, r, y, r.x + 1, train, bar);
    x = draw_text(w, r, y, x + 2, test, bar);
    draw_speed(w, r, y, x, s, s->recurrent ? "tokens" : "img", 1);
}

void statusbar_draw(WINDOW *w, Rect r, const Snapshot *s)
{
    if (rect_empty(r))
        return;
    attr_t bar = colors_attr(ROLE_STATUS);
    draw_fill(w, r, bar);
    SessionState state = s->state < SESSION_STATE_COUNT ? s->state : SESSION_ERROR;
    int x = draw_textf(w, r, r.y, r.x, colors_attr(state_roles[state]), " %s ",
                       s->training && state == SESSION_RUNNING ? "TRAINING"
                                                               : session_state_names[state]);
    if (s->training) {
        statusbar_draw_training(w, r, s, x);
        return;
    }
    x = draw_textf(w, r, r.y, x + 1, bar | A_BOLD, "%s", s->preset);
    x = draw_textf(w, r, r.y, x + 2, bar, "step %lld/%lld", (long long)s->step,
                   (long long)s->total_steps);
    /* The snapshot counts finished epochs; people count the one under way. */
    int epoch = s->epoch < s->epochs ? s->epoch + 1 : s->epochs;
    x = draw_textf(w, r, r.y, x + 2, bar, "epoch %d/%d", epoch, s->epochs);
    x = draw_textf(w, r, r.y, x + 2, bar, "lr %.4g", (double)s->lr);
    x = draw_textf(w, r, r.y, x + 2, bar, "arch lr %.3g", (double)s->arch_lr);
    draw_textf(w, r, r.y, x + 2, bar, "order %d", s->order);
    if (r.h < 2)
        return;
    int y = r.y + 1;
    char eta[32];
    duration_text(eta, sizeof eta, s->eta_seconds);
    x = r.x + 1;
    if (s->recurrent) { /* the rows carry perplexities where a CNN search has accuracies */
        if (s->rows_total > 0) {
            x = draw_textf(w, r, y, x, bar, "train ppl %.1f", (double)s->train_acc);
            x = draw_textf(w, r, y, x + 2, bar, "valid ppl %.1f", (double)s->val_acc);
        } else {
            x = draw_text(w, r, y, x, "train ppl --  valid ppl --", bar);
        }
        if (s->ms_per_step > 0.0) {
            x = draw_textf(w, r, y, x + 2, bar, "%.0f ms/step", s->ms_per_step);
            x = draw_textf(w, r, y, x + 2, bar, "%.0f tokens/s", s->tokens_per_s);
            draw_textf(w, r, y, x + 2, bar, "ETA %s", eta);
        } else {
            draw_text(w, r, y, x + 2, "-- ms/step  -- tokens/s  ETA --", bar);
        }
        return;
    }
    if (s->rows_total > 0) {
        x = draw_textf(w, r, y, x, bar, "train %.3f %.1f%%", (double)s->train_loss,
                       (double)s->train_acc);
        x = draw_textf(w, r, y, x + 2, bar, "val %.3f %.1f%%", (double)s->val_loss,
                       (double)s->val_acc);
    } else {
        x = draw_text(w, r, y, x, "train --  val --", bar);
    }
    /* The newest collapse monitor row (monitor.h): lambda_max and the skips
     * of the derived normal cell, bold past their thresholds; DARTS-ES's
     * stop instead once it stopped. On a narrow screen they take the place
     * of img/s. */
    char mon[48] = "";
    attr_t mon_attr = bar;
    if (s->es_stopped) {
        snprintf(mon, sizeof mon, "ES stop, kept step %lld", (long long)s->es_keep_step);
        mon_attr |= A_BOLD;
    } else if (s->n_monitors > 0) {
        const MonitorRow *m = &s->monitors[s->n_monitors - 1];
        snprintf(mon, sizeof mon, "lam %.3g sk %d", (double)m->lambda_max, m->skips_normal);
        if (m->lambda_max > s->config.monitor.lambda_warn || m->skips_normal >= MONITOR_SKIPS_WARN)
            mon_attr |= A_BOLD;
    }
    /* remedy.adaptive_wd: the weight decay its rollbacks raised */
    if (!s->es_stopped && s->config.remedy.adaptive_wd > 0.0) {
        size_t used = strlen(mon);
        snprintf(mon + used, sizeof mon - used, "%swd %.2g", used ? " " : "",
                 s->config.optim.weight_decay);
    }
    if (mon[0])
        x = draw_text(w, r, y, x + 2, mon, mon_attr);
    draw_speed(w, r, y, x, s, "img", mon[0] != 0);
}

void statusbar_draw_message(WINDOW *w, Rect r, const char *msg, int is_error)
{
    if (rect_empty(r))
        return;
    draw_text(w, r, r.y, r.x, msg, colors_attr(is_error ? ROLE_ERROR : ROLE_MESSAGE));
}
