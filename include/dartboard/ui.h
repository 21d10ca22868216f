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

#endif
