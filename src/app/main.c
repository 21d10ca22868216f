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
#include "dartboard/bench_step.h"
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
static int run_front_end(Session *s, const CliOptions *o, int *detached)
{
    if (wants_ui(o)) {
        UiOptions u = {.ascii = o->ascii, .no_color = o->no_color, .batch_frames = 0};
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

/* The viewers' socket; a search that cannot have one still runs. */
static Server *serve_viewers(Session *s, const char *run_dir)
{
    char err[2048];
    Server *sv = server_start(s, run_dir, err, sizeof err);
    if (!sv)
        fprintf(stderr, "dartboard: no viewer can attach: %s\n", err);
    return sv;
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
                "search --resume %s --detach\n",
                run_dir);
        return 1;
    }
    self[n] = '\0';
    char *argv[12];
    int k = 0;
    argv[k++] = (char *)"dartboard";
    argv[k++] = (char *)"search";
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

static int run_search(const CliOptions *o)
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
    SessionOptions so = {
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
    if (report >= 0 && detach_ready(report, p->run_dir, err, sizeof err) != 0) {
        session_free(s);
        free(p);
        return search_error(report, 1, err);
    }
    Server *sv = serve_viewers(s, p->run_dir);
    install_stop_signals(s);
    if (session_start(s) != 0) {
        fprintf(stderr, "dartboard: cannot start the search thread\n");
        server_stop(sv);
        session_free(s);
        free(p);
        return 1;
    }
    int detached = 0, was_paused = 0;
    int front = run_front_end(s, o, &detached);
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
    free(p);
    return status ? status : front;
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
        return run_search(&o);
    case CLI_ATTACH:
        return run_attach(&o);
    case CLI_LS:
        return viewers_ls(stdout, o.target);
    case CLI_COMMAND_COUNT:
        break;
    }
    return 2;
}
