/* curses: the one place that decides which curses header to include.
 *
 * With ncursesw (HAVE_NCURSESW from configure) the wide-character API is
 * enabled so UTF-8 glyphs can be drawn; otherwise plain ncurses, and the UI
 * uses its ASCII tables. Every other ui/ file includes this, never curses.h.
 */
#ifndef DARTBOARD_UI_CURSES_H
#define DARTBOARD_UI_CURSES_H

#include "config.h"

#ifdef HAVE_NCURSESW
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <ncursesw/curses.h>
#else
#include <ncurses.h>
#endif

#endif
