/* statusbar: the two top lines: state, preset, progress, hyperparameters,
 * losses and accuracies, throughput and ETA; and the message line. */
#ifndef DARTBOARD_UI_STATUSBAR_H
#define DARTBOARD_UI_STATUSBAR_H

#include <stddef.h>

#include "dartboard/session.h"
#include "ui/draw.h"

/* "1:02:03", "4:05", or "--" when unknown. */
void statusbar_duration(char *buf, size_t len, double seconds);
void statusbar_draw(WINDOW *w, Rect r, const Snapshot *s);
void statusbar_draw_message(WINDOW *w, Rect r, const char *msg, int is_error);

#endif
