/* view: what the user has chosen to look at, and the event log.
 *
 * Everything the screen shows besides the snapshot: the panel, the number
 * toggle, open dialogs (help, editor, quit confirmation, text plot) and the
 * messages of this session (the last one is the message line, the panel
 * `log` lists them). Owned by the UI thread.
 */
#ifndef DARTBOARD_UI_VIEW_H
#define DARTBOARD_UI_VIEW_H

#include <stdint.h>

#include "dartboard/session.h"
#include "ui/editor.h"
#include "ui/history.h"
#include "ui/layout.h"

#define VIEW_LOG_LINES 64
#define VIEW_MESSAGE 256
#define VIEW_PLOT_TEXT 8192

typedef struct UiView {
    Panel panel;
    int show_numbers;
    int help_open;
    int confirm_quit;
    int plot_open;
    char plot_text[VIEW_PLOT_TEXT]; /* a gnuplot `dumb` plot shown in a dialog */
    Editor editor;
    char log[VIEW_LOG_LINES][VIEW_MESSAGE]; /* ring of messages, newest at log_count - 1 */
    int log_error[VIEW_LOG_LINES];
    int log_count;
    uint64_t seen_message_seq; /* the snapshot message already logged */
    History history;           /* the whole run's rows for the curves (empty: the snapshot's) */
} UiView;

void view_init(UiView *v, int monochrome);
/* Appends to the log (it becomes the message line). */
void view_message(UiView *v, int is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The i-th newest message (0 = newest), NULL past the end. */
const char *view_log_line(const UiView *v, int i, int *is_error);
/* Logs the snapshot's message if it is new (message_seq changed). */
void view_take_message(UiView *v, const Snapshot *s);

#endif
