/* statusbar: the state line and the message line (see statusbar.h). */
#include "ui/statusbar.h"

#include <stdio.h>
#include <string.h>

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
    x = draw_textf(w, r, r.y, x + 2, bar, "%s params", params);
    char step[64];
    int n = snprintf(step, sizeof step, "step %lld/%lld", (long long)s->step,
                     (long long)s->total_steps);
    if (x + 2 + n <= r.x + r.w) /* whole or not at all: the epoch says where it is */
        draw_text(w, r, r.y, x + 2, step, bar);
    if (r.h < 2)
        return;
    int y = r.y + 1;
    x = r.x + 1;
    if (s->recurrent && s->rows_total > 0) { /* *_acc hold perplexities (session.h) */
        x = draw_textf(w, r, y, x, bar, "train %.3f ppl %.1f", (double)s->train_loss,
                       (double)s->train_acc);
        x = draw_textf(w, r, y, x + 2, bar, "valid %.3f ppl %.2f", (double)s->val_loss,
                       (double)s->val_acc);
    } else if (s->recurrent) {
        x = draw_text(w, r, y, x, "train --  valid --", bar);
    } else if (s->rows_total > 0) {
        x = draw_textf(w, r, y, x, bar, "train %.3f %.1f%%", (double)s->train_loss,
                       (double)s->train_acc);
        x = draw_textf(w, r, y, x + 2, bar, "test %.3f %.2f%%", (double)s->val_loss,
                       (double)s->val_acc);
    } else {
        x = draw_text(w, r, y, x, "train --  test --", bar);
    }
    char eta[32];
    duration_text(eta, sizeof eta, s->eta_seconds);
    if (s->ms_per_step > 0.0) {
        x = draw_textf(w, r, y, x + 2, bar, "%.1f ms/step", s->ms_per_step);
        x = draw_textf(w, r, y, x + 2, bar, "%.0f %s/s", s->images_per_s,
                       s->recurrent ? "tokens" : "img");
        draw_textf(w, r, y, x + 2, bar, "ETA %s", eta);
    } else {
        draw_text(w, r, y, x + 2, "-- ms/step  -- img/s  ETA --", bar);
    }
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
    if (s->ms_per_step > 0.0) {
        char speed[32], rate[32];
        snprintf(speed, sizeof speed, "%.1f ms/step", s->ms_per_step);
        snprintf(rate, sizeof rate, "%.0f img/s", s->images_per_s);
        int need = x + 2 + (int)strlen(speed) + 2 + (int)strlen(rate) + 2 + 4 + (int)strlen(eta);
        x = draw_textf(w, r, y, x + 2, bar, "%s", speed);
        if (!mon[0] || need <= r.x + r.w)
            x = draw_textf(w, r, y, x + 2, bar, "%s", rate);
        draw_textf(w, r, y, x + 2, bar, "ETA %s", eta);
    } else {
        draw_text(w, r, y, x + 2, "-- ms/step  -- img/s  ETA --", bar); /* no step timed yet */
    }
}

void statusbar_draw_message(WINDOW *w, Rect r, const char *msg, int is_error)
{
    if (rect_empty(r))
        return;
    draw_text(w, r, r.y, r.x, msg, colors_attr(is_error ? ROLE_ERROR : ROLE_MESSAGE));
}
