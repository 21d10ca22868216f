/* view: UI choices and the message log (see view.h). */
#include "ui/view.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void view_init(UiView *v, int monochrome)
{
    memset(v, 0, sizeof *v);
    v->panel = PANEL_OVERVIEW;
    history_reset(&v->history);
    /* Without colour the weights are only readable as numbers. */
    v->show_numbers = monochrome;
}

void view_message(UiView *v, int is_error, const char *fmt, ...)
{
    int slot = v->log_count % VIEW_LOG_LINES;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->log[slot], sizeof v->log[slot], fmt, ap);
    va_end(ap);
    v->log_error[slot] = is_error;
    v->log_count++;
}

const char *view_log_line(const UiView *v, int i, int *is_error)
{
    if (i < 0 || i >= v->log_count || i >= VIEW_LOG_LINES)
        return NULL;
    int slot = (v->log_count - 1 - i) % VIEW_LOG_LINES;
    if (is_error)
        *is_error = v->log_error[slot];
    return v->log[slot];
}

void view_take_message(UiView *v, const Snapshot *s)
{
    if (s->message_seq == v->seen_message_seq)
        return;
    /* Every message said since the last redraw goes into the event log (the
     * snapshot's ring keeps the newest few), the newest also on the message
     * line. A viewer that attaches late, or a session restarted behind it,
     * logs the ring's messages it never saw. */
    uint64_t n = v->seen_message_seq + 1;
    if (v->seen_message_seq > s->message_seq ||
        s->message_seq - v->seen_message_seq > SNAPSHOT_MESSAGES)
        n = s->message_seq >= SNAPSHOT_MESSAGES ? s->message_seq - SNAPSHOT_MESSAGES + 1 : 1;
    for (; n < s->message_seq; n++) {
        const char *older = snapshot_message(s, n);
        if (older && older[0])
            view_message(v, 0, "%s", older);
    }
    v->seen_message_seq = s->message_seq;
    if (s->message[0])
        view_message(v, s->state == SESSION_ERROR, "%s", s->message);
}
