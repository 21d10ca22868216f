/* draw: clipped text and frames, shared by every panel.
 *
 * Panels draw only inside their Rect: every helper here clips to it, so a
 * panel that is too small loses text at its edge instead of spilling into
 * its neighbour.
 */
#ifndef DARTBOARD_UI_DRAW_H
#define DARTBOARD_UI_DRAW_H

#include "ui/colors.h"
#include "ui/curses.h"
#include "ui/glyphs.h"
#include "ui/layout.h"

/* What the panels draw with: the glyph table and the colour mode in use. */
typedef struct Style {
    const Glyphs *g;
    ColorMode mode;
} Style;

/* Writes UTF-8 `s` at (y, x) of the screen, clipped to `clip`; returns the
 * column after the last one written (x + columns). */
int draw_text(WINDOW *w, Rect clip, int y, int x, const char *s, attr_t attr);
int draw_textf(WINDOW *w, Rect clip, int y, int x, attr_t attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* `s` repeated n times. */
int draw_repeat(WINDOW *w, Rect clip, int y, int x, const char *s, int n, attr_t attr);
/* Fills the rectangle with blanks in `attr`. */
void draw_fill(WINDOW *w, Rect r, attr_t attr);
/* A frame around r with `title` in its top edge. */
void draw_frame(WINDOW *w, Rect r, const Style *st, const char *title, attr_t attr);
/* Rectangle inside a frame. */
Rect draw_inner(Rect r);

#endif
