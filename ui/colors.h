/* colors: colours named by role, one table with a monochrome, an 8-colour
 * and a 256-colour column.
 *
 * The terminal's own background stays (use_default_colors, never
 * init_color). NO_COLOR, --no-color and terminals without colour (vt100)
 * get the monochrome column: attributes only.
 */
#ifndef DARTBOARD_UI_COLORS_H
#define DARTBOARD_UI_COLORS_H

#include "ui/curses.h"

typedef enum ColorMode {
    COLOR_MODE_MONO,
    COLOR_MODE_8,
    COLOR_MODE_256,
    COLOR_MODE_COUNT
} ColorMode;

extern const char *const color_mode_names[COLOR_MODE_COUNT];

#define HEAT_STEPS 12

typedef enum ColorRole {
    ROLE_NORMAL,
    ROLE_STATUS, /* the status bar background */
    ROLE_STARTING,
    ROLE_RUNNING,
    ROLE_PAUSED,
    ROLE_DONE,
    ROLE_ERROR,
    ROLE_TITLE, /* panel titles */
    ROLE_LABEL, /* heatmap row labels, axis numbers */
    ROLE_AXIS,
    ROLE_TRAIN,
    ROLE_VAL,
    ROLE_KEPT,    /* edges kept in the derived cell */
    ROLE_WINNER,  /* the strongest op of an edge */
    ROLE_CHANGED, /* genotype edges changed since the last report */
    ROLE_MESSAGE,
    ROLE_KEY, /* key names in the key bar and help */
    ROLE_KEYBAR,
    ROLE_DIALOG,
    ROLE_DIALOG_ERROR,
    ROLE_SELECTED,
    ROLE_HEAT_0, /* HEAT_STEPS roles, cold to hot */
    ROLE_COUNT = ROLE_HEAT_0 + HEAT_STEPS
} ColorRole;

/* Picks the mode (mono when no_color, $NO_COLOR is set or the terminal has no
 * colours) and sets up the colour pairs. Call after newterm/initscr. */
ColorMode colors_init(int no_color);
/* Attributes (colour pair included) to draw `role` with. */
attr_t colors_attr(ColorRole role);
/* Heat step 0..HEAT_STEPS-1 for a softmax weight over `ops` ops: a log scale
 * centred on the uniform weight 1/ops, so early, near-uniform alphas sit mid
 * ramp and the ramp spans 1/(8 ops) .. 1. */
int colors_heat_step(float weight, int ops);

#endif
