/* run_csv: the metrics table writes exactly the bytes metrics.csv always
 * had and reads them back; the readers report malformed rows with their
 * position (also rundir_metric_rows, which resuming relies on) and refuse
 * what is not a regular file or exceeds the bounds, without blocking or
 * growing; a recurrent search's rows and alphas.csv (cell recurrent). Works
 * in test_run_csv.dir in the build tree. */
#include "dartboard/run_csv.h"
#include "dartboard/rundir.h"
#include "tap.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR "test_run_csv.dir"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The writer is the table: the same bytes as the printf format metrics.csv
 * was written with before the table, for rows of every magnitude. */
static void test_writer(void)
{
    ok(strcmp(METRICS_CSV_HEADER,
              "step,epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n") == 0,
       "the header is metrics.csv's: %s", METRICS_CSV_HEADER);
    ok(METRIC_COLUMN_COUNT == 8 && strcmp(metric_column_names[METRIC_VAL_ACC], "val_acc") == 0 &&
           metric_column_number(METRIC_STEP) == 1 && metric_column_number(METRIC_VAL_LOSS) == 6,
       "column names and gnuplot numbers follow the table");
    srand(7);
    int same = 0, tried = 0;
    for (int i = 0; i < 2000; i++, tried++) {
        MetricRow r = {.step = (int64_t)rand() * (i % 3 ? 1 : 100000),
                       .epoch = rand() % 1000,
                       .lr = (float)rand() / (float)RAND_MAX * (i % 5 ? 0.1f : 10.0f),
                       .train_loss = (float)rand() / (float)RAND_MAX * 12,
                       .train_acc = (float)rand() / (float)RAND_MAX * 100,
                       .val_loss = i % 97 ? (float)rand() / (float)RAND_MAX * 3 : NAN,
                       .val_acc = (float)rand() / (float)RAND_MAX * 100,
                       .seconds = (double)rand() / 1000.0};
        char want[512], got[METRIC_ROW_MAX];
        snprintf(want, sizeof want, "%" PRId64 ",%d,%.6g,%.6f,%.4f,%.6f,%.4f,%.3f\n", r.step,
                 r.epoch, r.lr, r.train_loss, r.train_acc, r.val_loss, r.val_acc, r.seconds);
        int n = metric_row_format(&r, ",", got, sizeof got);
        if (n == (int)strlen(want) && strcmp(got, want) == 0)
            same++;
        else if (tried - same == 1)
            diag("want %s got  %s", want, got);
    }
    ok(same == tried, "%d of %d random rows written byte for byte as before", same, tried);
    MetricRow big = {.step = INT64_MIN,
                     .epoch = INT32_MIN,
                     .lr = -FLT_MAX,
                     .train_loss = -FLT_MAX,
                     .train_acc = -FLT_MAX,
                     .val_loss = -FLT_MAX,
                     .val_acc = -FLT_MAX,
                     .seconds = -DBL_MAX};
    char buf[METRIC_ROW_MAX], tiny[8];
    int n = metric_row_format(&big, ",", buf, sizeof buf);
    ok(n > 0, "the widest row fits METRIC_ROW_MAX (%d bytes)", n);
    ok(metric_row_format(&big, ",", tiny, sizeof tiny) == -1, "a row that does not fit is -1");
}

static void test_round_trip(void)
{
    MetricRow rows[3] = {{25, 0, 0.025f, 2.302585f, 10.5f, 2.4f, 9.75f, 12.5, 0.0f},
                         {50, 1, 0.0249f, 1.9f, 30.25f, 2.0f, 28.0f, 25.125, 0.0f},
                         {75, 1, 0.02f, 1.5f, 45.0f, 1.75f, 40.5f, 37.75, 0.0f}};
    char text[1024];
    snprintf(text, sizeof text, "%s", METRICS_CSV_HEADER);
    for (int i = 0; i < 3; i++)
        metric_row_format(&rows[i], ",", text + strlen(text), sizeof text - strlen(text));
    write_text(DIR "/metrics.csv", text);
    RunMetrics m;
    char err[512] = "";
    int rc = run_metrics_load(DIR "/metrics.csv", &m, err, sizeof err);
    ok(rc == 0 && m.n == 3 && m.rows[2].step == 75 && m.rows[1].epoch == 1 &&
           m.rows[0].train_loss == 2.302585f && m.rows[1].seconds == 25.125,
       "written rows read back (%s)", err);
    if (rc == 0)
        run_metrics_free(&m);
    MetricRow tail[2];
    int64_t total = 0;
    rc = run_metrics_tail("mem.csv", text, strlen(text), tail, 2, &total, err, sizeof err);
    ok(rc == 2 && total == 3 && tail[0].step == 50 && tail[1].val_acc == 40.5f,
       "the newest two from memory (%d, %s)", rc, err);
}

/* Malformed rows: the file, line and column, and what was expected. */
static void test_malformed(void)
{
    static const struct {
        const char *row, *want;
    } cases[] = {
        {"50,0,0.1,2,x,2,10,1\n", "bad.csv:3:12: 'x' is not a number"},
        {"50,0.5,0.1,2,10,2,10,1\n", "bad.csv:3:4: '0.5' is not an integer"},
        {"50,0,0.1,2,10,2,10\n", "bad.csv:3: row has 7 fields (expected at least 8)"},
        {"5,0,0.1,2,10,2,10,1\n", "bad.csv:3:1: step 5 after step 25 (expected ascending steps)"},
        {"50,99999999999,0.1,2,10,2,10,1\n", "bad.csv:3:4: 99999999999 out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, "%s25,0,0.1,2,10,2,10,1\n%s", METRICS_CSV_HEADER, cases[i].row);
        write_text("bad.csv", text);
        RunMetrics m;
        int rc = run_metrics_load("bad.csv", &m, err, sizeof err);
        ok(rc == -1 && strstr(err, cases[i].want), "malformed metrics row: %s", err);
    }
    char err[512] = "";
    RunMetrics m;
    char line[RUN_CSV_MAX_LINE + 64];
    memset(line, '1', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    FILE *f = fopen("bad.csv", "w");
    fprintf(f, "%s%s\n", METRICS_CSV_HEADER, line);
    fclose(f);
    ok(run_metrics_load("bad.csv", &m, err, sizeof err) == -1 &&
           strstr(err, "bad.csv:2: line longer than 4096 bytes"),
       "an overlong line: %s", err);
    f = fopen("bad.csv", "w");
    fputs(METRICS_CSV_HEADER, f);
    fwrite("25,0\0,0.1", 1, 9, f);
    fclose(f);
    ok(run_metrics_load("bad.csv", &m, err, sizeof err) == -1 &&
           strstr(err, "bad.csv:2:5: a NUL byte (expected text)"),
       "a NUL byte: %s", err);
    remove("bad.csv");
}

/* What is not a regular file is refused at once: a read of /dev/zero or a
 * FIFO would grow or block. */
static void test_not_regular(void)
{
    char err[512] = "";
    RunMetrics m;
    AlphaHistory h;
    unlink(DIR "/zero.csv");
    if (symlink("/dev/zero", DIR "/zero.csv") == 0) {
        ok(run_metrics_load(DIR "/zero.csv", &m, err, sizeof err) == -1 &&
               strstr(err, DIR "/zero.csv: a character device (expected a regular file"),
           "metrics.csv -> /dev/zero: %s", err);
        ok(run_alphas_load(DIR "/zero.csv", &h, err, sizeof err) == -1 &&
               strstr(err, "zero.csv: a character device"),
           "alphas.csv -> /dev/zero: %s", err);
    } else {
        ok(0, "symlink: %s", strerror(errno));
    }
    unlink(DIR "/fifo.csv");
    if (mkfifo(DIR "/fifo.csv", 0600) == 0) {
        /* No writer: a blocking open would hang here. */
        ok(run_alphas_load(DIR "/fifo.csv", &h, err, sizeof err) == -1 &&
               strstr(err, DIR "/fifo.csv: a FIFO"),
           "a FIFO, not opened for a writer: %s", err);
    } else {
        ok(0, "mkfifo: %s", strerror(errno));
    }
    ok(run_metrics_load(DIR, &m, err, sizeof err) == -1 && strstr(err, "a directory"),
       "a directory: %s", err);
    /* Larger than the bound: refused by its size, before a byte is read
     * (a sparse file, so it takes no disk). */
    FILE *f = fopen(DIR "/huge.csv", "w");
    int sized = f && ftruncate(fileno(f), RUN_CSV_MAX_BYTES + 1) == 0;
    if (f)
        fclose(f);
    ok(sized && run_metrics_load(DIR "/huge.csv", &m, err, sizeof err) == -1 &&
           strstr(err, "huge.csv: 1073741825 bytes (expected at most 1073741824"),
       "a file over the bound: %s", err);
    unlink(DIR "/huge.csv");
    unlink(DIR "/zero.csv");
    unlink(DIR "/fifo.csv");
}

/* rundir_metric_rows: the newest rows, and a malformed row is an error
 * that names the file, line and column (resuming refuses the run). */
static void test_rundir_rows(void)
{
    char err[512] = "";
    RunDir rd;
    system("rm -rf " DIR "/run");
    int rc = rundir_lock(&rd, DIR "/run", 1, err, sizeof err);
    if (rc == 0)
        rc = rundir_create(&rd, err, sizeof err);
    ok(rc == 0, "rundir_create (%s)", err);
    for (int i = 1; rc == 0 && i <= 10; i++) {
        MetricRow r = {.step = 10 * i,
                       .epoch = i / 4,
                       .lr = 0.025f,
                       .train_loss = 2.0f / i,
                       .train_acc = 10.0f * i,
                       .val_loss = 2.5f / i,
                       .val_acc = 9.0f * i,
                       .seconds = i};
        rc = rundir_append_metrics(&rd, &r, err, sizeof err);
    }
    MetricRow rows[12];
    int64_t total = -1;
    int n = rc == 0 ? rundir_metric_rows(&rd, rows, 4, &total, err, sizeof err) : -1;
    ok(n == 4 && total == 10 && rows[0].step == 70 && rows[3].step == 100 &&
           rows[3].val_acc == 90.0f,
       "the newest 4 of 10 rows, oldest first (%d, total %lld)", n, (long long)total);
    int right = 0;
    for (int max = 1; rc == 0 && max <= 12; max++) {
        n = rundir_metric_rows(&rd, rows, max, &total, err, sizeof err);
        int good = n == (max < 10 ? max : 10) && total == 10;
        for (int i = 0; good && i < n; i++)
            good = rows[i].step == 10 * (10 - n + 1 + i);
        right += good;
    }
    ok(right == 12, "every room from 1 to 12 rows keeps the newest in order (%d of 12)", right);
    rundir_free(&rd);

    write_text(DIR "/run/metrics.csv",
               "step,epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n"
               "10,0,0.025,2.0,10.0,2.5,9.0,1.000\n"
               "20,0,0.025,1.9,oops,2.4,9.5,2.000\n");
    rc = rundir_open(&rd, 20, 1, err, sizeof err);
    n = rc == 0 ? rundir_metric_rows(&rd, rows, 4, &total, err, sizeof err) : 0;
    ok(rc == 0 && n == -1 && strstr(err, DIR "/run/metrics.csv:3:16: 'oops' is not a number"),
       "a malformed row is reported, not skipped: %s", err);
    rundir_free(&rd);
    rundir_unlock(&rd);
    system("rm -rf " DIR "/run");
}

/* A recurrent search's files: its row format and reader round-trip, and
 * the alphas.csv of cell `recurrent` is read whole; a CNN cell, an unknown
 * op or an incomplete block is refused with its line. */
static void test_recurrent(void)
{
    RnnRow r = {120, 1, 20.0f, 5.25f, 190.566f, 5.5f, 244.692f, 12.5};
    char line[METRIC_ROW_MAX];
    rnn_row_format(&r, ",", line, sizeof line);
    ok(strcmp(line, "120,1,20,5.250000,190.566,5.500000,244.692,12.500\n") == 0,
       "a recurrent row: %s", line);
    char text[1024];
    snprintf(text, sizeof text, "%s%s", RNN_CSV_HEADER, line);
    write_text(DIR "/rnn.csv", text);
    RunRnn rr;
    char err[512] = "";
    ok(run_rnn_load(DIR "/rnn.csv", &rr, err, sizeof err) == 0 && rr.n == 1 &&
           rr.rows[0].step == 120 && rr.rows[0].val_ppl == 244.692f,
       "read back (%s)", err);
    run_rnn_free(&rr);
    FILE *f = fopen(DIR "/alphas.csv", "w");
    fputs("step,cell,edge,op,weight\n", f);
    for (int step = 10; step <= 20; step += 10)
        for (int e = 0; e < RNN_EDGES; e++)
            for (int o = 0; o < RNN_OP_COUNT; o++)
                fprintf(f, "%d,recurrent,%d,%s,%.6f\n", step, e, rnn_op_names[o],
                        0.2 + 0.001 * (o - 2) * (step / 10));
    fclose(f);
    RnnAlphaHistory h;
    int rc = run_rnn_alphas_load(DIR "/alphas.csv", &h, err, sizeof err);
    ok(rc == 0 && h.n == 2 && h.frames[1].step == 20 &&
           fabsf(h.frames[1].weights[35 * RNN_OP_COUNT + 4] - 0.204f) < 1e-6f,
       "alphas.csv of cell recurrent: 2 blocks of 36 x 5 (%s)", rc ? err : "ok");
    run_rnn_alphas_free(&h);
    AlphaHistory cnn;
    ok(run_alphas_load(DIR "/alphas.csv", &cnn, err, sizeof err) != 0 && strstr(err, "recurrent"),
       "the CNN reader refuses it, naming the cell: %s", err);
    write_text(DIR "/bad.csv", "step,cell,edge,op,weight\n1,normal,0,none,0.2\n");
    ok(run_rnn_alphas_load(DIR "/bad.csv", &h, err, sizeof err) != 0 && strstr(err, "bad.csv:2:") &&
           strstr(err, "expected recurrent"),
       "a CNN cell refused: %s", err);
    write_text(DIR "/bad.csv", "step,cell,edge,op,weight\n1,recurrent,0,sep_conv_3x3,0.2\n");
    ok(run_rnn_alphas_load(DIR "/bad.csv", &h, err, sizeof err) != 0 && strstr(err, "unknown op"),
       "an unknown op refused: %s", err);
    write_text(DIR "/bad.csv", "step,cell,edge,op,weight\n1,recurrent,0,tanh,0.2\n");
    ok(run_rnn_alphas_load(DIR "/bad.csv", &h, err, sizeof err) != 0 && strstr(err, "incomplete"),
       "an incomplete block refused: %s", err);
}

int main(void)
{
    system("rm -rf " DIR);
    mkdir(DIR, 0777);
    test_writer();
    test_round_trip();
    test_malformed();
    test_not_regular();
    test_rundir_rows();
    test_recurrent();
    system("rm -rf " DIR);
    return tap_done();
}
