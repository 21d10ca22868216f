/* help: the key table, the single source of truth for keys.
 *
 * The main loop dispatches through help_action(), the key bar and the `?`
 * overlay are drawn from the same table, and a test checks the man page's
 * INTERACTIVE COMMANDS against help_keys(), so a key cannot exist in one
 * place and not the others.
 */
#ifndef DARTBOARD_UI_HELP_H
#define DARTBOARD_UI_HELP_H

#include "ui/draw.h"

typedef enum UiAction {
    ACT_NONE,
    ACT_PAUSE, /* pause / resume */
    ACT_STEP,  /* one step while paused */
    ACT_EDIT,
    ACT_PLOT,
    ACT_EXPORT,
    ACT_CHECKPOINT,
    ACT_NEXT_PANEL,
    ACT_PANEL, /* 1-4: the panel is the key's digit */
    ACT_NUMBERS,
    ACT_REDRAW,
    ACT_HELP,
    ACT_CLOSE, /* Esc: closes a dialog, never quits */
    ACT_QUIT,
    ACT_TRAIN,  /* a search that is done: train its cell from scratch */
    ACT_DETACH, /* d: leave the search running (dartboard attach finds it again) */
    ACT_COUNT
} UiAction;

#define KEY_CTRL(c) ((c)&0x1f)
#define KEY_ESCAPE 27

typedef struct KeyHelp {
    UiAction action;
    int keys[4];      /* key codes, 0-terminated */
    const char *name; /* as the man page spells it: "space", "Ctrl-L", "1-4" */
    const char *bar;  /* one word for the key bar, NULL: not in the bar */
    int optional;     /* left out of the key bar when it does not all fit */
    const char *what; /* the help line */
} KeyHelp;

const KeyHelp *help_keys(int *count);
UiAction help_action(int key);
/* The bottom key bar, as many entries as fit. */
void help_draw_keybar(WINDOW *w, Rect r);
/* The `?` overlay, centred on a rows x cols screen. */
void help_draw_overlay(WINDOW *w, int rows, int cols, const Style *st);

#endif
