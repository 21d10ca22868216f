/* dartboard: entry point. Parses the command line and hands over to the
 * subcommand: a search (live UI or headless), bench, export, presets. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dartboard/bench_kernels.h"
#include "dartboard/bench_step.h"
#include "dartboard/corpus_cache.h"
#include "dartboard/export.h"
#include "dartboard/parallel.h"
#include "dartboard/session.h"
#include "dartboard/ui.h"
#include "headless.h"

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
    return !o->headless && isatty(STDOUT_FILENO);
}

/* The one place that picks the front-end: the live UI (which gets --ascii
 * and --no-color; NO_COLOR it reads itself), otherwise progress lines.
 * *train: the user asked the UI to train the cell the search found. */
static int run_front_end(Session *s, const CliOptions *o, int *train)
{
    if (wants_ui(o)) {
        UiOptions u = {.ascii = o->ascii,
                       .no_color = o->no_color,
                       .batch_frames = 0,
                       .train_requested = train};
        return ui_run(s, &u);
    }
    return headless_run(s, stdout);
}

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
    execv(self, argv);
    perror("dartboard: cannot start the training");
    return 1;
}

/* A search, or with `train` the training of a derived cell from scratch. */
static int run_session(const CliOptions *o)
{
    char err[1024];
    Config cfg;
    if (cli_config(o, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "dartboard: %s\n", err);
        return 2;
    }
    /* The cell is checked before the run directory exists: a genotype
     * that does not parse or fit writes nothing. */
    Genotype g;
    RnnGenotype rg; /* a recurrent cell when the preset's data.set is text */
    const int recurrent = o->command == CLI_TRAIN && config_is_recurrent(&cfg);
    if (o->command == CLI_TRAIN && !recurrent && cli_genotype_is_recurrent(o)) {
        fprintf(stderr,
                "dartboard: --genotype %s is a recurrent cell, but preset %s (data.set %s) "
                "trains a CNN cell (expected a preset of text, e.g. --preset rnn-train-test)\n",
                o->resume_dir ? o->resume_dir : o->genotype, cfg.preset, cfg.data.set);
        return 2;
    }
    if (recurrent ? cli_rnn_genotype(o, &rg, err, sizeof err) != 0
                  : o->command == CLI_TRAIN &&
                        cli_genotype(o, cfg.model.nodes, &g, err, sizeof err) != 0) {
        fprintf(stderr, "dartboard: %s\n", err);
        return 2;
    }
    SessionOptions so = {
        .genotype = o->command == CLI_TRAIN && !recurrent ? &g : NULL,
        .rnn_genotype = recurrent ? &rg : NULL,
        .out_dir = o->out_dir,
        .resume_dir = o->resume_dir,
        .max_steps = o->steps,
        .max_epochs = o->epochs,
        .start_paused = o->start_paused,
        /* The UI stays open after the run ends (export, checkpoint) until q. */
        .linger = wants_ui(o),
    };
    Session *s = session_create(&cfg, &so, err, sizeof err);
    if (!s) {
        fprintf(stderr, "dartboard: %s\n", err);
        /* An unusable checkpoint is a runtime failure; the rest is usage. */
        return o->resume_dir ? 1 : 2;
    }
    install_stop_signals(s);
    if (session_start(s) != 0) {
        fprintf(stderr, "dartboard: cannot start the worker thread\n");
        session_free(s);
        return 1;
    }
    int train = 0;
    int front = run_front_end(s, o, &train);
    int status = session_join(s);
    signal_session = NULL;
    Snapshot *last = train ? malloc(sizeof *last) : NULL;
    if (last)
        session_snapshot(s, last);
    session_free(s);
    if (last && !status && !front) {
        char dir[sizeof last->run_dir];
        memcpy(dir, last->run_dir, sizeof dir);
        free(last);
        return exec_training(dir, o);
    }
    free(last);
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

/* How long an OpenMP thread spins for the next region before it sleeps.
 * A step opens thousands of short regions; waking a sleeping thread for
 * each costs 14 % of a config C step on 2 threads, yet libgomp's default
 * (300000 spins, about a millisecond) steals the cores from the step's own
 * threads as soon as anything else runs (a 2-core box running a build:
 * 7.5 s instead of 0.5 s per step). 30000 spins (~0.1 ms) bridge the gaps
 * between regions and bound the loss under load (1.4x, BENCHMARKS.md).
 * libgomp reads the setting when it loads, before main, so set it by
 * re-executing once. A policy or spin count the user set is left alone. */
static void choose_omp_wait_policy(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    /* Exec the binary by its own path, not /proc/self/exe: the kernel names
     * the process after the file executed, and ps, top, pgrep and killall
     * look for "dartboard", not "exe". */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (size_t)n >= sizeof self - 1)
        return; /* no /proc: run on with the default policy */
    self[n] = '\0';
    if (setenv("GOMP_SPINCOUNT", "30000", 1) != 0)
        return;
    execv(self, argv);
    unsetenv("GOMP_SPINCOUNT"); /* the exec failed: nothing changed after all */
}

int main(int argc, char **argv)
{
    choose_omp_wait_policy(argv);
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
    case CLI_BENCH:
        parallel_set_threads(o.threads);
        if (o.bench_kernels)
            return bench_kernels(stdout, o.threads) == 0 ? 0 : 1;
        return bench_step_batch(stdout, o.bench_config, o.bench_order, o.bench_steps, 2, o.threads,
                                o.bench_batch, o.bench_profile) == 0
                   ? 0
                   : 1;
    case CLI_SEARCH:
    case CLI_TRAIN:
        return run_session(&o);
    case CLI_CORPUS:
        return run_corpus(&o);
    case CLI_COMMAND_COUNT:
        break;
    }
    return 2;
}
