/* ui: the main loop of the terminal front-end (see dartboard/ui.h).
 *
 * One thread: wait for a key in timeout() (100 ms), copy the newest snapshot
 * when its seq moved, draw, dispatch the key through the key table. While
 * curses owns the screen, stderr goes to a temporary file that is replayed
 * after endwin(), and a crash signal restores the terminal before anything
 * is printed. SIGINT, SIGTERM and SIGHUP are a clean quit with a checkpoint.
 */
#include "config.h"

#include "dartboard/ui.h"

#include "dartboard/feed.h"

#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ui/curses.h"
#include "ui/help.h"
#include "ui/plot.h"
#include "ui/screen.h"

#define FRAME_MS 100

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t curses_active;
static int saved_stderr = -1;    /* the real stderr while curses owns the screen */
static int captured_stderr = -1; /* what was written to stderr meanwhile */

/* Copies what was captured to the real stderr. Async-signal-safe. */
static void replay_stderr(void)
{
    char buf[4096];
    ssize_t n;
    if (captured_stderr < 0)
        return;
    if (lseek(captured_stderr, 0, SEEK_SET) == 0)
        while ((n = read(captured_stderr, buf, sizeof buf)) > 0)
            if (write(STDERR_FILENO, buf, (size_t)n) != n)
                break;
    close(captured_stderr);
    captured_stderr = -1;
}

static void restore_stderr(void)
{
    fflush(stderr);
    if (saved_stderr >= 0) {
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
    replay_stderr();
}

static void capture_stderr(void)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/dartboard-stderr-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return; /* nothing to redirect to: keep stderr as it is */
    unlink(path);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
        close(fd);
        if (saved_stderr >= 0)
            close(saved_stderr);
        saved_stderr = -1;
        return;
    }
    captured_stderr = fd;
}

static void on_quit_signal(int sig)
{
    quit_signal = sig;
}

static void on_fatal_signal(int sig)
{
    static const char msg[] = "dartboard: fatal signal; terminal restored\n";
    if (curses_active) {
        curses_active = 0;
        endwin();
    }
    if (saved_stderr >= 0)
        dup2(saved_stderr, STDERR_FILENO);
    replay_stderr();
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing left to tell */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Someone calls exit() while curses owns the screen (a library's fatal
 * error path): give the terminal and stderr back first. */
static void restore_at_exit(void)
{
    if (curses_active) {
        curses_active = 0;
        endwin();
    }
    if (saved_stderr >= 0)
        restore_stderr();
}

static void install_signals(void)
{
    static int exit_hook;
    if (!exit_hook && atexit(restore_at_exit) == 0)
        exit_hook = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
}

static void restore_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT, SIGBUS, SIGFPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
}

typedef struct Ui {
    Feed *feed;
    Snapshot *snap;
    UiView view;
    Style style;
    Plot plot;
    SCREEN *screen;
    int quit;
    int train_requested; /* t after the search: the caller starts the training */
    int detach;          /* d: leave the search running */
    int can_detach;
} Ui;

static void ui_send(Ui *ui, CommandKind kind)
{
    Command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    ui->feed->command(ui->feed->ctx, &c);
}

static int search_active(const Snapshot *s)
{
    return s->state == SESSION_STARTING || s->state == SESSION_RUNNING ||
           s->state == SESSION_PAUSED;
}

/* The keys that steer the search. */
static int steers(UiAction act)
{
    return act == ACT_PAUSE || act == ACT_STEP || act == ACT_EDIT || act == ACT_EXPORT ||
           act == ACT_CHECKPOINT;
}

static void do_action(Ui *ui, UiAction act, int key)
{
    UiView *v = &ui->view;
    const Snapshot *s = ui->snap;
    if (ui->feed->read_only && steers(act)) {
        view_message(v, 0, "read-only viewer: d or q leaves, the search goes on");
        return;
    }
    switch (act) {
    case ACT_PAUSE:
        ui_send(ui, CMD_TOGGLE_PAUSE);
        view_message(v, 0, "%s", s->state == SESSION_PAUSED ? "resuming" : "pausing");
        break;
    case ACT_STEP:
        if (s->state == SESSION_PAUSED) {
            ui_send(ui, CMD_STEP_ONCE);
            view_message(v, 0, "one step");
        } else {
            view_message(v, 0, "n runs one step while paused (space pauses)");
        }
        break;
    case ACT_EDIT:
        editor_open(&v->editor, &s->config, s->training);
        break;
    case ACT_PLOT: {
        char msg[128];
        if (plot_nothing_yet(s, msg, sizeof msg)) /* gnuplot would only say "no rows" */
            view_message(v, 0, "%s", msg);
        else
            plot_start(&ui->plot, s->run_dir, LINES, COLS, v);
        break;
    }
    case ACT_EXPORT:
        ui_send(ui, CMD_EXPORT);
        view_message(v, 0, "exporting into %s", s->run_dir);
        break;
    case ACT_CHECKPOINT:
        ui_send(ui, CMD_CHECKPOINT);
        view_message(v, 0, "checkpoint requested");
        break;
    case ACT_NEXT_PANEL:
        v->panel = (Panel)((v->panel + 1) % PANEL_COUNT);
        break;
    case ACT_PANEL:
        v->panel = (Panel)(key - '1');
        break;
    case ACT_NUMBERS:
        v->show_numbers = !v->show_numbers;
        break;
    case ACT_REDRAW:
        clearok(curscr, TRUE);
        break;
    case ACT_HELP:
        v->help_open = 1;
        break;
    case ACT_TRAIN:
        if (!s->training && s->state == SESSION_DONE && s->step > 0) {
            ui->train_requested = 1;
            ui->quit = 1;
        } else {
            view_message(v, 0, "t trains the cell found once the search is done");
        }
        break;
    case ACT_DETACH:
        if (ui->feed->remote || ui->can_detach)
            ui->detach = 1;
        else
            view_message(v, 0, "d: this search cannot leave its terminal here");
        break;
    case ACT_QUIT:
        if (ui->feed->read_only || (ui->feed->remote && !search_active(s)))
            ui->detach = 1; /* nothing to stop, or not this viewer's to stop */
        else if (search_active(s))
            v->confirm_quit = 1;
        else
            ui->quit = 1;
        break;
    default:
        break;
    }
}

/* Dialogs take the key first; Esc closes them and never quits. */
static void handle_key(Ui *ui, int key)
{
    UiView *v = &ui->view;
    if (key == KEY_RESIZE) {
        /* ncurses repaints everything only when the size differs from the
         * last one it saw; a resize and back (or one during a draw) also
         * leaves the terminal's contents unknown. */
        clearok(curscr, TRUE);
        return;
    }
    if (v->confirm_quit) {
        v->confirm_quit = 0;
        if (key == 'y' || key == 'Y')
            ui->quit = 1;
        return;
    }
    if (v->help_open) {
        v->help_open = 0;
        return;
    }
    if (v->plot_open) {
        v->plot_open = 0;
        return;
    }
    if (v->editor.open) {
        Command cmd;
        if (editor_key(&v->editor, key, &cmd) == EDITOR_SEND) {
            ui->feed->command(ui->feed->ctx, &cmd);
            view_message(v, 0, "%s", v->editor.status);
        }
        return;
    }
    do_action(ui, help_action(key), key);
}

static void draw(Ui *ui)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    screen_draw(stdscr, rows, cols, &ui->style, ui->snap, &ui->view);
    wnoutrefresh(stdscr);
    doupdate();
}

/* newterm() reads the terminal's size before it installs its SIGWINCH
 * handler, so a resize in between is lost and the screen would keep the old
 * size until the next one. Once the handler is in place, any later resize is
 * seen: compare the size once then. (Not a terminal: no size to follow.) */
static void follow_missed_resize(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
        (ws.ws_row != LINES || ws.ws_col != COLS))
        resizeterm(ws.ws_row, ws.ws_col);
}

static int start_curses(Ui *ui, const UiOptions *opt)
{
    /* On a terminal an exported LINES/COLUMNS would pin the size and defeat
     * resizing (ncurses prefers them to the tty's); elsewhere (tests drawing
     * into a file) they are the size. */
    if (isatty(STDOUT_FILENO)) {
        unsetenv("LINES");
        unsetenv("COLUMNS");
    }
    ui->screen = newterm(NULL, stdout, stdin);
    if (!ui->screen)
        return -1;
    curses_active = 1;
    /* A terminal that cannot move the cursor (TERM=dumb) cannot show panels. */
    char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) {
        curses_active = 0;
        endwin();
        delscreen(ui->screen);
        ui->screen = NULL;
        return -1;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    wtimeout(stdscr, FRAME_MS);
    follow_missed_resize();
    ColorMode mode = colors_init(opt->no_color);
    ui->style.g = glyphs_get(!opt->ascii && glyphs_locale_utf8());
    ui->style.mode = mode;
    return 0;
}

/* The search is gone (a viewer whose search ended or was killed): say
 * where it stood. */
static int report_lost(Ui *ui, const char *why)
{
    const Snapshot *p = ui->snap;
    fprintf(stderr, "dartboard: %s: %s; last seen %s at step %lld\n", p->run_dir, why,
            session_state_names[p->state], (long long)p->step);
    return p->state == SESSION_DONE ? 0 : 1;
}

int ui_run(Session *s, const UiOptions *opt)
{
    Feed f;
    feed_session(&f, s);
    return ui_run_feed(&f, opt, NULL);
}

int ui_run_feed(Feed *f, const UiOptions *opt, int *detached)
{
    Ui ui;
    memset(&ui, 0, sizeof ui);
    ui.feed = f;
    ui.can_detach = detached != NULL;
    if (detached)
        *detached = 0;
    ui.snap = calloc(1, sizeof *ui.snap);
    if (!ui.snap) {
        fprintf(stderr, "dartboard: out of memory\n");
        if (!f->remote) {
            ui_send(&ui, CMD_STOP);
            f->finish(f->ctx);
        }
        return 1;
    }
    /* Only the character type: numbers in files must keep their '.'. */
    setlocale(LC_CTYPE, "");
    quit_signal = 0;
    install_signals();
    capture_stderr();
    if (start_curses(&ui, opt) != 0) {
        restore_stderr();
        restore_signals();
        const char *term = getenv("TERM");
        fprintf(stderr, "dartboard: cannot drive the terminal (TERM=%s); use --headless\n",
                term ? term : "unset");
        if (!f->remote) {
            ui_send(&ui, CMD_STOP);
            f->finish(f->ctx);
        }
        free(ui.snap);
        return 1;
    }
    view_init(&ui.view, ui.style.mode == COLOR_MODE_MONO);
    plot_init(&ui.plot);

    uint64_t shown = UINT64_MAX;
    int dirty = 1, frames = 0;
    const char *lost = NULL;
    SessionState last_state = SESSION_STARTING;
    while (!ui.quit && !ui.detach) {
        if (quit_signal) {
            /* Ctrl-C, SIGTERM, SIGHUP: the same clean quit as q y; a viewer
             * (whose SSH connection may just have dropped) only leaves. */
            if (f->remote)
                ui.detach = 1;
            break;
        }
        if (plot_poll(&ui.plot, &ui.view))
            dirty = 1;
        uint64_t seq = f->seq(f->ctx);
        const char *why;
        if (f->status(f->ctx, &why) != 0) {
            lost = why;
            break;
        }
        if (seq != shown || dirty || opt->batch_frames > 0) {
            shown = f->snapshot(f->ctx, ui.snap);
            view_take_message(&ui.view, ui.snap);
            history_update(&ui.view.history, ui.snap);
            if (ui.snap->state == SESSION_DONE && last_state != SESSION_DONE)
                view_message(&ui.view, 0, "%s done at step %lld: q leaves; %sx, g, s still work",
                             ui.snap->training ? "training" : "search", (long long)ui.snap->step,
                             ui.snap->training ? "" : "t trains the cell found; ");
            last_state = ui.snap->state;
            if (ui.view.editor.open)
                editor_sync(&ui.view.editor, &ui.snap->config);
            draw(&ui);
            dirty = 0;
            if (opt->batch_frames > 0 && ++frames >= opt->batch_frames)
                break;
        }
        int key = wgetch(stdscr);
        if (key == ERR)
            continue;
        handle_key(&ui, key);
        dirty = 1;
    }

    int status = 0;
    if (lost) {
        /* nothing to stop: the search is gone */
    } else if (ui.detach) {
        f->snapshot(f->ctx, ui.snap);
    } else {
        /* Quit: the worker checkpoints and finishes; say so while it does. */
        int rows, cols;
        getmaxyx(stdscr, rows, cols);
        screen_draw_notice(stdscr, rows, cols, &ui.style, "quit", "stopping: writing a checkpoint");
        wnoutrefresh(stdscr);
        doupdate();
        ui_send(&ui, CMD_STOP);
        status = f->finish(f->ctx);
        f->snapshot(f->ctx, ui.snap);
    }
    plot_finish(&ui.plot);

    curses_active = 0;
    endwin();
    delscreen(ui.screen);
    restore_stderr();
    restore_signals();
    if (ui.snap->message[0])
        fprintf(ui.snap->state == SESSION_ERROR ? stderr : stdout, "dartboard: %s\n",
                ui.snap->message);
    printf(
        "dartboard: %s at step %lld; run directory %s\n",
        session_state_names[ui.snap->state < SESSION_STATE_COUNT ? ui.snap->state : SESSION_ERROR],
        (long long)ui.snap->step, ui.snap->run_dir);
    if (!ui.snap->training && ui.snap->state == SESSION_DONE && ui.snap->step > 0) {
        char line[SESSION_TRAIN_COMMAND_MAX];
        session_train_command(ui.snap->run_dir, line, sizeof line);
        printf("dartboard: train the cell found from scratch: %s\n", line);
    }
    if (ui.train_requested && opt->train_requested)
        *opt->train_requested = 1;
    if (lost) {
        status = report_lost(&ui, lost);
    } else if (ui.detach) {
        printf("dartboard: detached; the search goes on (%s at step %lld); attach again with: "
               "dartboard attach %s\n",
               session_state_names[ui.snap->state], (long long)ui.snap->step, ui.snap->run_dir);
        if (detached)
            *detached = 1;
    } else {
        if (ui.snap->message[0])
            fprintf(ui.snap->state == SESSION_ERROR ? stderr : stdout, "dartboard: %s\n",
                    ui.snap->message);
        printf("dartboard: %s at step %lld; run directory %s\n",
               session_state_names[ui.snap->state < SESSION_STATE_COUNT ? ui.snap->state
                                                                        : SESSION_ERROR],
               (long long)ui.snap->step, ui.snap->run_dir);
    }
    fflush(stdout);
    free(ui.snap);
    return status;
}
