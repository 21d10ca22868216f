/* statusbar: the two top lines: state, preset, progress, hyperparameters,
 * losses and accuracies, throughput and ETA; and the message line. */
#ifndef DARTBOARD_UI_STATUSBAR_H
#define DARTBOARD_UI_STATUSBAR_H

#include <stddef.h>

#include "dartboard/session.h"
#include "ui/draw.h"

void statusbar_draw(WINDOW *w, Rect r, const Snapshot *s);
void statusbar_draw_message(WINDOW *w, Rect r, const char *msg, int is_error);

#endif
