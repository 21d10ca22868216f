/* dartboard: entry point. Parses the command line and hands over to the
 * subcommand: a search (live UI or headless), bench, export, presets. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "dartboard/bench_kernels.h"
#include "dartboard/bench_rnn.h"
#include "dartboard/bench_step.h"
#include "dartboard/bench_train.h"
#include "dartboard/corpus_cache.h"
#include "dartboard/dist.h"
#include "dartboard/export.h"
#include "dartboard/feed.h"
#include "dartboard/parallel.h"
#include "dartboard/rundir.h"
#include "dartboard/session.h"
#include "dartboard/ui.h"
#include "headless.h"
#include "server.h"
#include "viewers.h"

static Session *signal_session;

/* Ctrl-C / SIGTERM: ask the worker to checkpoint and finish. The handler
 * resets itself, so a second signal ends the process the default way. */
static void on_stop_signal(int sig)
{
    (void)sig;
    static const char note[] =
        "dartboard: stopping after this step with a checkpoint (again to abort)\n";
    if (signal_session)
        session_request_stop(signal_session);
    ssize_t n = write(STDERR_FILENO, note, sizeof note - 1);
    (void)n;
}

static void install_stop_signals(Session *s)
{
    signal_session = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The live UI when stdout is a terminal and --headless was not given. */
static int wants_ui(const CliOptions *o)
{
    return !o->headless && !o->detach && isatty(STDOUT_FILENO);
}

/* The one place that picks the front-end: the live UI (which gets --ascii
 * and --no-color; NO_COLOR it reads itself), otherwise progress lines. */
static int run_front_end(Session *s, const CliOptions *o, int *detached, int *train)
{
    if (wants_ui(o)) {
        UiOptions u = {.ascii = o->ascii,
                       .no_color = o->no_color,
                       .batch_frames = 0,
                       .train_requested = train};
        Feed f;
        feed_session(&f, s);
        return ui_run_feed(&f, &u, detached);
    }
    return headless_run(s, stdout);
}

/* ---- viewers: a search outlives its terminal (docs/ARCHITECTURE.md, Viewers) ---- */

/* An error before the search runs: on stderr, or to the parent that waits
 * for a detached search to start. */
static int search_error(int report, int status, const char *msg)
{
    if (report < 0) {
        fprintf(stderr, "dartboard: %s\n", msg);
    } else {
        detach_failed(report, status, msg);
    }
    return status;
}

/* DIR/outcome, for dartboard ls: how the search process ended. */
static void record_outcome(Session *s, Snapshot *p)
{
    char err[1024];
    session_snapshot(s, p);
    /* A run refused before its first step (a bad checkpoint, a full disk)
     * leaves its directory as it was. */
    if (p->state == SESSION_ERROR && p->step == 0)
        return;
    const char *state = p->state == SESSION_ERROR  ? "error"
                        : p->step < p->total_steps ? "stopped"
                                                   : "done";
    /* After an error the disk may well refuse this too: the error said enough. */
    if (rundir_write_outcome(p->run_dir, state, p->step, p->total_steps, err, sizeof err) != 0 &&
        p->state != SESSION_ERROR)
        fprintf(stderr, "dartboard: %s\n", err);
}

/* `d` in the UI of a search started on this terminal: the search was
 * stopped with a checkpoint; it goes on, bit for bit, in a detached search
 * resumed from it (the same program, so the shell gets its prompt back). */
static int continue_detached(const CliOptions *o, const char *run_dir, int paused)
{
    char self[4096], steps[32], epochs[32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (size_t)n >= sizeof self - 1) {
        fprintf(stderr,
                "dartboard: cannot find the program to continue; resume with: dartboard "
                "%s --resume %s --detach\n",
                o->command == CLI_TRAIN ? "train" : "search", run_dir);
        return 1;
    }
    self[n] = '\0';
    char *argv[12];
    int k = 0;
    argv[k++] = (char *)"dartboard";
    argv[k++] = (char *)(o->command == CLI_TRAIN ? "train" : "search");
    argv[k++] = (char *)"--resume";
    argv[k++] = (char *)run_dir;
    argv[k++] = (char *)"--detach";
    if (paused)
        argv[k++] = (char *)"--paused";
    if (o->steps) {
        snprintf(steps, sizeof steps, "--steps=%lld", (long long)o->steps);
        argv[k++] = steps;
    }
    if (o->epochs) {
        snprintf(epochs, sizeof epochs, "--epochs=%d", o->epochs);
        argv[k++] = epochs;
    }
    argv[k] = NULL;
    fflush(NULL);
    parallel_widen_affinity();
    execv(self, argv);
    fprintf(stderr, "dartboard: %s: %s\n", self, strerror(errno));
    return 1;
}

static int run_attach(const CliOptions *o)
{
    char dir[RUNDIR_PATH_MAX], err[4096];
    if (!isatty(STDOUT_FILENO)) {
        fprintf(stderr, "dartboard: attach shows the live UI and needs a terminal\n");
        return 2;
    }
    if (o->target)
        snprintf(dir, sizeof dir, "%s", o->target);
    else if (viewers_pick(NULL, dir, sizeof dir, err, sizeof err) != 0) {
        fprintf(stderr, "dartboard: %s\n", err);
        return 1;
    }
    Client *c = client_connect(dir, o->read_only, 5000, err, sizeof err);
    if (!c) {
        fprintf(stderr, "dartboard: %s\n", err);
        return 1;
    }
    Feed f;
    client_feed(c, &f);
    UiOptions u = {.ascii = o->ascii, .no_color = o->no_color, .batch_frames = 0};
    int status = ui_run_feed(&f, &u, NULL);
    client_close(c);
    return status;
}

/* ---- end of viewers ---- */

/* t in the UI after a search: `dartboard train --genotype RUN_DIR` in this
 * terminal, as a new program image (the search's lock is released by then). */
static int exec_training(const char *run_dir, const CliOptions *o)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (size_t)n >= sizeof self - 1) {
        fprintf(stderr, "dartboard: cannot find the program to start the training\n");
        return 1;
    }
    self[n] = '\0';
    char *argv[8];
    int k = 0;
    argv[k++] = "dartboard";
    argv[k++] = "train";
    argv[k++] = "--genotype";
    argv[k++] = (char *)run_dir;
    if (o->ascii)
        argv[k++] = "--ascii";
    if (o->no_color)
        argv[k++] = "--no-color";
    argv[k] = NULL;
    parallel_widen_affinity();
    execv(self, argv);
    perror("dartboard: cannot start the training");
    return 1;
}

/* A search, or with `train` the training of a derived cell from scratch. */
static int run_session(const CliOptions *o)
{
    char err[1024];
    int report = -1; /* --detach: the pipe to the parent waiting for the start */
    if (o->detach && detach_begin(&report) != 0) {
        fprintf(stderr, "dartboard: cannot start in the background: %s\n", strerror(errno));
        return 1;
    }
    Config cfg;
    if (cli_config(o, &cfg, err, sizeof err) != 0)
        return search_error(report, 2, err);
    /* The cell is checked before the run directory exists: a genotype
     * that does not parse or fit writes nothing. */
    Genotype g;
    RnnGenotype rg; /* a recurrent cell when the preset's data.set is text */
    const int recurrent = o->command == CLI_TRAIN && config_is_recurrent(&cfg);
    if (o->command == CLI_TRAIN && cli_genotype(o, &cfg, &g, &rg, err, sizeof err) != 0)
        return search_error(report, 2, err);
    SessionOptions so = {
        .genotype = o->command == CLI_TRAIN && !recurrent ? &g : NULL,
        .rnn_genotype = recurrent ? &rg : NULL,
        .out_dir = o->out_dir,
        .resume_dir = o->resume_dir,
        .max_steps = o->steps,
        .max_epochs = o->epochs,
        .start_paused = o->paused,
        /* The UI stays open after the run ends (export, checkpoint) until q. */
        .linger = wants_ui(o),
    };
    Session *s = session_create(&cfg, &so, err, sizeof err);
    if (!s) /* An unusable checkpoint is a runtime failure; the rest is usage. */
        return search_error(report, o->resume_dir ? 1 : 2, err);
    Snapshot *p = malloc(sizeof *p);
    if (!p) {
        session_free(s);
        return search_error(report, 1, "out of memory");
    }
    session_snapshot(s, p); /* its run directory */
    /* The socket before the word to a --detach parent: once it has printed
     * "dartboard attach DIR", attach finds the search. */
    char sv_err[2048];
    Server *sv = server_start(s, p->run_dir, sv_err, sizeof sv_err);
    if (report >= 0 && detach_ready(report, p->run_dir, err, sizeof err) != 0) {
        server_stop(sv);
        session_free(s);
        free(p);
        return search_error(report, 1, err);
    }
    if (!sv) /* a search that cannot have one still runs; into the log when detached */
        fprintf(stderr, "dartboard: no viewer can attach: %s\n", sv_err);
    install_stop_signals(s);
    if (session_start(s) != 0) {
        fprintf(stderr, "dartboard: cannot start the worker thread\n");
        server_stop(sv);
        session_free(s);
        free(p);
        return 1;
    }
    int detached = 0, was_paused = 0, train = 0;
    int front = run_front_end(s, o, &detached, &train);
    if (detached) { /* d: stop here with a checkpoint, go on in the background */
        session_snapshot(s, p);
        was_paused = p->state == SESSION_PAUSED;
        Command stop = {.kind = CMD_STOP};
        session_command(s, &stop);
    }
    int status = session_join(s);
    record_outcome(s, p);
    server_stop(sv);
    signal_session = NULL;
    session_free(s);
    if (detached && status == 0 && p->state == SESSION_DONE && p->step < p->total_steps) {
        char dir[RUNDIR_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", p->run_dir);
        free(p);
        return continue_detached(o, dir, was_paused);
    }
    if (train && status == 0 && front == 0) {
        char dir[RUNDIR_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", p->run_dir);
        free(p);
        return exec_training(dir, o);
    }
    free(p);
    return status ? status : front;
}

/* dartboard corpus: the text corpus of a recurrent search, prepared (the KJV
 * cache) or read (--data), and a short summary to check it by eye. */
static int run_corpus(const CliOptions *o)
{
    char err[1024];
    Corpus c;
    if (corpus_load(&c, o->data_dir, o->cache_dir, stderr, err, sizeof err) != 0) {
        fprintf(stderr, "dartboard: %s\n", err);
        return 1;
    }
    corpus_print_summary(&c, stdout);
    corpus_free(&c);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The environment the numeric libraries read only when they load, so the
 * program execs itself once when it changes any of it:
 * - how long an OpenMP thread spins for the next region before it sleeps.
 *   A step opens thousands of short regions; waking a sleeping thread for
 *   each costs 14 % of a config C step on 2 threads, yet libgomp's default
 *   (300000 spins, about a millisecond) steals the cores from the step's own
 *   threads as soon as anything else runs (a 2-core box running a build:
 *   7.5 s instead of 0.5 s per step). 30000 spins (~0.1 ms) bridge the gaps
 *   between regions and bound the loss under load (1.4x, BENCHMARKS.md);
 * - an OpenBLAS kernel set that matches the CPU (parallel_blas_core_wanted).
 * A variable the user set is left alone, but for an OPENBLAS_CORETYPE this
 * CPU cannot run: that one would kill the run at its first product. */
static void choose_library_environment(char **argv)
{
    int change = 0;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        change |= setenv("GOMP_SPINCOUNT", "30000", 1) == 0;
    const char *set = getenv("OPENBLAS_CORETYPE");
    const char *missing = set ? parallel_blas_core_unfit(set) : NULL;
    if (missing) {
        if (dist_launch_rank() == 0) /* under mpirun every rank sees it */
            fprintf(stderr,
                    "dartboard: OPENBLAS_CORETYPE=%.40s needs %s, which this CPU lacks; "
                    "ignored (the BLAS chooses its kernels)\n",
                    set, missing);
        change |= unsetenv("OPENBLAS_CORETYPE") == 0;
    }
    const char *core = getenv("OPENBLAS_CORETYPE") ? NULL : parallel_blas_core_wanted();
    if (core)
        change |= setenv("OPENBLAS_CORETYPE", core, 1) == 0;
    if (!change)
        return;
    /* Exec the binary by its own path, not /proc/self/exe: the kernel names
     * the process after the file executed, and ps, top, pgrep and killall
     * look for "dartboard", not "exe". */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0 && (size_t)n < sizeof self - 1) {
        self[n] = '\0';
        parallel_widen_affinity();
        execv(self, argv);
    }
    /* no /proc or the exec failed: run on with the libraries as they are */
}

int main(int argc, char **argv)
{
    choose_library_environment(argv);
    /* Under mpirun, every rank but 0 follows rank 0's run (dist.h). */
    if (dist_init(&argc, &argv) > 0)
        return dist_follow();
    CliOptions o;
    char err[512];
    if (cli_parse(&o, argc, argv, err, sizeof err) != 0) {
        fprintf(stderr, "dartboard: %s\nTry 'dartboard --help'.\n", err);
        return 2;
    }
    switch (o.command) {
    case CLI_HELP:
        cli_usage(stdout);
        return 0;
    case CLI_VERSION:
        printf("dartboard %s\n", PACKAGE_VERSION);
        return 0;
    case CLI_PRESETS:
        if (config_list_presets(stdout) > 0)
            return 0;
        fprintf(stderr, "dartboard: no presets found in %s\n", config_preset_dir());
        return 1;
    case CLI_EXPORT:
        return export_main(o.rest_argc, o.rest_argv);
    case CLI_BENCH: {
        char line[96];
        parallel_set_threads(o.threads);
        printf("BLAS kernels: %s\n", parallel_blas_core());
        if (parallel_blas_weaker(line, sizeof line))
            printf("note: %s\n", line);
        if (parallel_cpu_shortage(o.threads, line, sizeof line))
            printf("warning: %s\n", line);
        if (o.bench_kernels)
            return bench_kernels(stdout, o.threads) == 0 ? 0 : 1;
        if (o.bench_rnn && o.bench_train) /* the paper's training shape unless given */
            return bench_rnn_train(
                       stdout, o.bench_steps, 1, o.threads, o.bench_ntoken ? o.bench_ntoken : 10000,
                       o.bench_size ? o.bench_size : 850, o.bench_batch ? o.bench_batch : 64,
                       o.bench_bptt ? o.bench_bptt : 35) == 0
                       ? 0
                       : 1;
        if (o.bench_train) {
            Genotype g;
            if (cli_bench_genotype(o.bench_genotype, &g, err, sizeof err) != 0) {
                fprintf(stderr, "dartboard: bench: %s\n", err);
                return 2; /* as train's --genotype */
            }
            return bench_train(stdout, &g, o.bench_genotype, o.bench_shape, o.bench_batch,
                               o.bench_steps, 2, o.threads, o.bench_profile) == 0
                       ? 0
                       : 1;
        }
        if (o.bench_rnn) /* the published search shape unless given */
            return bench_rnn(stdout, o.bench_order, o.bench_steps, 1, o.threads,
                             o.bench_ntoken ? o.bench_ntoken : 10000,
                             o.bench_size ? o.bench_size : 300, o.bench_batch ? o.bench_batch : 256,
                             o.bench_bptt ? o.bench_bptt : 35) == 0
                       ? 0
                       : 1;
        switch (bench_step_with(stdout, o.bench_config, o.bench_order, o.bench_steps, 2, o.threads,
                                o.bench_batch, o.bench_profile, o.sets, o.n_sets)) {
        case 0:
            return 0;
        case -2:
            return 2;
        default:
            return 1;
        }
    }
    case CLI_SEARCH:
    case CLI_TRAIN:
        return run_session(&o);
    case CLI_CORPUS:
        return run_corpus(&o);
    case CLI_ATTACH:
        return run_attach(&o);
    case CLI_LS:
        return viewers_ls(stdout, o.target);
    case CLI_COMMAND_COUNT:
        break;
    }
    return 2;
}
