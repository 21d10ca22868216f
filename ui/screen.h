/* screen: one frame, composed from a snapshot and the view.
 *
 * Lays the panels out for the window's size and draws each into its
 * rectangle, then the open dialog on top. The same function draws the live
 * UI and the golden-file tests, so what the tests see is what users see.
 */
#ifndef DARTBOARD_UI_SCREEN_H
#define DARTBOARD_UI_SCREEN_H

#include "dartboard/session.h"
#include "ui/draw.h"
#include "ui/view.h"

void screen_draw(WINDOW *w, int rows, int cols, const Style *st, const Snapshot *s,
                 const UiView *v);
/* A dialog with a few lines of text (quit confirmation, "stopping..."). */
void screen_draw_notice(WINDOW *w, int rows, int cols, const Style *st, const char *title,
                        const char *text);

#endif
