/* ui: the live ncurses front-end of a search session.
 *
 * The UI thread is the only one that calls curses. It reads the session's
 * published snapshots and sends commands; it never touches a tensor and never
 * blocks the worker. Nothing outside ui/ includes curses.
 */
#ifndef DARTBOARD_UI_H
#define DARTBOARD_UI_H

#include "dartboard/session.h"

typedef struct UiOptions {
    int ascii;        /* force the ASCII glyph tables (--ascii) */
    int no_color;     /* monochrome (--no-color; NO_COLOR in the environment does the same) */
    int batch_frames; /* > 0: draw that many frames, then stop the search and quit (CI, sanitizers)
                       */
    int *train_requested; /* may be NULL; set to 1 when the user pressed t after a search to
                             train the cell found (the caller starts `dartboard train`) */
} UiOptions;

/* Runs the terminal UI until the user quits (or batch_frames are drawn). On
 * quit it sends CMD_STOP (the worker checkpoints), joins the session and
 * returns its exit status: 0 done, 1 error. The caller still owns `s` and
 * frees it. */
int ui_run(Session *s, const UiOptions *opt);

/* The same on any feed: a local session or a viewer's connection
 * (dartboard attach). `d` leaves the search running: a remote feed just
 * disconnects; a local one only when `detached` is given (the caller then
 * moves the search to the background), and *detached is set. A viewer's
 * quit (q y) stops the search; Ctrl-C, SIGTERM and SIGHUP only disconnect
 * it, and a read-only viewer's q leaves without asking. */
struct Feed;
int ui_run_feed(struct Feed *f, const UiOptions *opt, int *detached);

#endif
