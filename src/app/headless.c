/* headless: see headless.h */
#include "config.h"
#include "headless.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "dartboard/genotype_io.h"
#include "dartboard/rundir.h"

#define POLL_NS (100 * 1000 * 1000)

static void print_row(FILE *out, const Snapshot *p, const MetricRow *r)
{
    if (p->training && p->recurrent) { /* val_acc, train_acc: perplexities (session.h) */
        fprintf(out,
                "epoch %d/%d  lr %.5g  train %.4f ppl %.2f  valid %.4f ppl %.2f%s  %.1f ms/step  "
                "%.0f tokens/s\n",
                r->epoch + 1, p->epochs, r->lr, r->train_loss, r->train_acc, r->val_loss,
                r->val_acc, p->asgd ? "  ASGD" : "", p->ms_per_step, p->images_per_s);
        return;
    }
    if (p->training) {
        fprintf(out,
                "epoch %d/%d  lr %.5f  drop-path %.3f  train %.4f %6.2f%%  test %.4f %6.2f%%  "
                "%.1f ms/step  %.0f img/s\n",
                r->epoch + 1, p->epochs, r->lr, r->drop_path, r->train_loss, r->train_acc,
                r->val_loss, r->val_acc, p->ms_per_step, p->images_per_s);
        return;
    }
    if (p->recurrent) { /* train_acc and val_acc hold the perplexities */
        fprintf(out,
                "step %" PRId64 "/%" PRId64 "  epoch %d/%d  lr %.4g  train %.4f ppl %.2f  "
                "valid %.4f ppl %.2f  %.1f ms/step  %.0f tokens/s\n",
                r->step, p->total_steps, r->epoch + 1, p->epochs, r->lr, r->train_loss,
                r->train_acc, r->val_loss, r->val_acc, p->ms_per_step, p->tokens_per_s);
        return;
    }
    fprintf(out,
            "step %" PRId64 "/%" PRId64 "  epoch %d/%d  lr %.5f  train %.4f %6.2f%%  "
            "val %.4f %6.2f%%  %.1f ms/step  %.0f img/s\n",
            r->step, p->total_steps, r->epoch + 1, p->epochs, r->lr, r->train_loss, r->train_acc,
            r->val_loss, r->val_acc, p->ms_per_step, p->images_per_s);
}

/* A training run between its epoch rows: the epoch so far. */
static void print_progress(FILE *out, const Snapshot *p, const TrainProgress *g)
{
    char eta[32];
    duration_text(eta, sizeof eta, g->eta_seconds);
    if (p->recurrent)
        fprintf(out,
                "step %" PRId64 "/%" PRId64 "  epoch %d/%d  lr %.5g  train %.4f ppl %.2f so far  "
                "%.1f ms/step  %.0f tokens/s  ETA %s\n",
                g->step, p->total_steps, g->epoch + 1, p->epochs, (double)g->lr,
                (double)g->train_loss, (double)g->train_acc, g->ms_per_step, g->per_s, eta);
    else
        fprintf(out,
                "step %" PRId64 "/%" PRId64 "  epoch %d/%d  lr %.5f  train %.4f %6.2f%% so far  "
                "%.1f ms/step  %.0f img/s  ETA %s\n",
                g->step, p->total_steps, g->epoch + 1, p->epochs, (double)g->lr,
                (double)g->train_loss, (double)g->train_acc, g->ms_per_step, g->per_s, eta);
}

void headless_print_messages(FILE *out, const Snapshot *p, uint64_t *seen)
{
    if (p->message_seq <= *seen)
        return;
    uint64_t first = *seen + 1;
    if (p->message_seq - *seen > SNAPSHOT_MESSAGES) {
        first = p->message_seq - SNAPSHOT_MESSAGES + 1;
        fprintf(out, "dartboard: %" PRIu64 " messages missed (this log fell behind)\n",
                first - *seen - 1);
    }
    for (uint64_t n = first; n <= p->message_seq; n++) {
        const char *m = snapshot_message(p, n);
        if (n == p->message_seq && p->state == SESSION_ERROR) { /* the error that ended the run */
            fflush(out);
            fprintf(stderr, "dartboard: %s\n", m);
        } else {
            fprintf(out, "%s\n", m);
        }
    }
    *seen = p->message_seq;
}

static void print_monitor(FILE *out, const Snapshot *p, const MonitorRow *m)
{
    fprintf(out,
            "step %" PRId64 " monitor  lambda_max %.5g (%d products, change %.2g)  skips %d  "
            "param-free %d  entropy %.3f/%.3f  none %.4f  %.0f ms\n",
            m->step, (double)m->lambda_max, m->lambda_iters, (double)m->lambda_change,
            m->skips_normal, m->param_free_normal, (double)m->entropy_normal,
            (double)m->entropy_reduce, (double)m->none_weight, p->monitor_ms);
}

int headless_run(Session *s, FILE *out)
{
    Snapshot *p = malloc(sizeof *p);
    if (!p) {
        fprintf(stderr, "dartboard: out of memory\n");
        return 1;
    }
    uint64_t seen = 0, message_seen = 0;
    int64_t printed = -1; /* rows printed so far (-1: not started) */
    int64_t monitors_printed = 0, progress_printed = 0;
    struct timespec pause = {0, POLL_NS};
    for (;;) {
        if (session_seq(s) == seen) {
            nanosleep(&pause, NULL);
            continue;
        }
        seen = session_snapshot(s, p);
        if (printed < 0 && p->state != SESSION_STARTING) {
            /* Rows of a resumed run were printed back then; a run that fails
             * before it starts has no rows to print, only its error. */
            printed = p->state == SESSION_ERROR ? p->rows_total : p->rows_resumed;
            if (p->state != SESSION_ERROR && p->training && p->recurrent) {
                char line[1024];
                rundir_rnn_genotype_line(&p->rnn_genotype, line, sizeof line);
                fprintf(out,
                        "dartboard train: %s, run directory %s, step %" PRId64
                        " (%d epochs)\n%lld weights; recurrent cell %s\n",
                        p->preset, p->run_dir, p->step, p->epochs, p->params, line);
            } else if (p->state != SESSION_ERROR && p->training) {
                fprintf(out,
                        "dartboard train: %s, run directory %s, step %" PRId64 " of %" PRId64
                        " (%d epochs)\ncell ",
                        p->preset, p->run_dir, p->step, p->total_steps, p->epochs);
                genotype_write_py(out, &p->genotype);
            } else if (p->state != SESSION_ERROR)
                fprintf(out,
                        "dartboard: %s, run directory %s, step %" PRId64 " of %" PRId64
                        " (%d epochs)\n",
                        p->preset, p->run_dir, p->step, p->total_steps, p->epochs);
        }
        /* Metric and monitor rows in step order (a metric row first at a
         * tie); a training run's progress points before the row of their epoch. */
        int64_t i = printed < 0 ? p->rows_total : printed;
        if (p->progress_total - progress_printed > SNAPSHOT_PROGRESS) /* left the window */
            progress_printed = p->progress_total - SNAPSHOT_PROGRESS;
        while (i < p->rows_total || monitors_printed < p->monitors_total ||
               progress_printed < p->progress_total) {
            int64_t k = p->n_rows - (p->rows_total - i);
            int64_t j = p->n_monitors - (p->monitors_total - monitors_printed);
            const MetricRow *r = i < p->rows_total && k >= 0 ? &p->rows[k] : NULL;
            const MonitorRow *m =
                monitors_printed < p->monitors_total && j >= 0 ? &p->monitors[j] : NULL;
            const TrainProgress *g = progress_printed < p->progress_total
                                         ? &p->progress[(progress_printed + 1) % SNAPSHOT_PROGRESS]
                                         : NULL;
            if (g && (!r || g->epoch <= r->epoch)) {
                print_progress(out, p, g);
                progress_printed++;
            } else if (r && (!m || r->step <= m->step)) {
                print_row(out, p, r);
                i++;
            } else if (m) {
                print_monitor(out, p, m);
                monitors_printed++;
            } else { /* rows that left the snapshot's window unprinted */
                i += i < p->rows_total;
                monitors_printed += monitors_printed < p->monitors_total;
            }
        }
        if (printed >= 0)
            printed = p->rows_total;
        headless_print_messages(out, p, &message_seen);
        fflush(out);
        if (p->state == SESSION_DONE || p->state == SESSION_ERROR)
            break;
    }
    /* A session that lingers for a UI would wait for this. */
    Command stop = {.kind = CMD_STOP};
    session_command(s, &stop);
    int status = p->state == SESSION_DONE ? 0 : 1;
    if (status == 0 && p->es_stopped) {
        fprintf(out,
                "DARTS-ES stopped the search at step %" PRId64 "; genotype (step %" PRId64
                ", epoch %.1f): ",
                p->es_stop_step, p->es_keep_step, p->es_keep_epoch);
        genotype_write_py(out, &p->es_genotype);
        fprintf(out, "run directory: %s\n", p->run_dir);
    }
    if (status == 0 && p->step < p->total_steps)
        fprintf(out,
                "stopped at step %" PRId64 " of %" PRId64
                "; continue with: dartboard %s --resume %s\n",
                p->step, p->total_steps, p->training ? "train" : "search", p->run_dir);
    else if (status == 0 && p->training) {
        fprintf(out, "run directory: %s\n", p->run_dir);
    } else if (status == 0 && p->step > 0) {
        fprintf(out, "genotype (step %" PRId64 "): ", p->step);
        if (p->recurrent)
            rnn_genotype_write_py(out, &p->rnn_genotype);
        else
            genotype_write_py(out, &p->genotype);
        fprintf(out, "run directory: %s\n", p->run_dir);
        char line[SESSION_TRAIN_COMMAND_MAX];
        session_train_command(p->run_dir, line, sizeof line);
        fprintf(out, "train this cell from scratch: %s\n", line);
        fflush(out);
    }
    free(p);
    return status;
}
