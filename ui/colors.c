/* colors: the role table and the heat ramp (see colors.h). */
#include "ui/colors.h"

#include <math.h>
#include <stdlib.h>

const char *const color_mode_names[COLOR_MODE_COUNT] = {"mono", "8", "256"};

typedef struct RoleColors {
    attr_t mono;
    short fg8, bg8;
    attr_t attr8;
    short fg256, bg256;
    attr_t attr256;
} RoleColors;

#define DEF (-1)

/* Heat ramps: 256 colours a smooth blue -> green -> yellow run; 8 colours
 * five steps. The 8-colour column repeats colours across adjacent steps. */
static const RoleColors role_table[ROLE_COUNT] = {
    [ROLE_NORMAL] = {A_NORMAL, DEF, DEF, A_NORMAL, DEF, DEF, A_NORMAL},
    [ROLE_STATUS] = {A_REVERSE, COLOR_WHITE, COLOR_BLUE, A_NORMAL, 255, 24, A_NORMAL},
    [ROLE_STARTING] = {A_REVERSE, COLOR_BLACK, COLOR_WHITE, A_BOLD, 16, 250, A_BOLD},
    [ROLE_RUNNING] = {A_REVERSE | A_BOLD, COLOR_BLACK, COLOR_GREEN, A_BOLD, 16, 40, A_BOLD},
    [ROLE_PAUSED] = {A_REVERSE | A_BOLD | A_BLINK, COLOR_BLACK, COLOR_YELLOW, A_BOLD, 16, 220,
                     A_BOLD},
    [ROLE_DONE] = {A_REVERSE | A_BOLD, COLOR_BLACK, COLOR_CYAN, A_BOLD, 16, 45, A_BOLD},
    [ROLE_ERROR] = {A_REVERSE | A_BOLD, COLOR_WHITE, COLOR_RED, A_BOLD, 231, 160, A_BOLD},
    [ROLE_TITLE] = {A_BOLD, COLOR_CYAN, DEF, A_BOLD, 81, DEF, A_BOLD},
    [ROLE_LABEL] = {A_NORMAL, DEF, DEF, A_NORMAL, 250, DEF, A_NORMAL},
    [ROLE_AXIS] = {A_NORMAL, COLOR_BLUE, DEF, A_BOLD, 244, DEF, A_NORMAL},
    [ROLE_TRAIN] = {A_NORMAL, COLOR_GREEN, DEF, A_BOLD, 113, DEF, A_NORMAL},
    [ROLE_VAL] = {A_BOLD, COLOR_MAGENTA, DEF, A_BOLD, 213, DEF, A_NORMAL},
    [ROLE_KEPT] = {A_BOLD, COLOR_GREEN, DEF, A_BOLD, 113, DEF, A_BOLD},
    [ROLE_WINNER] = {A_REVERSE | A_BOLD, COLOR_WHITE, DEF, A_BOLD, 231, DEF, A_BOLD},
    [ROLE_CHANGED] = {A_BOLD | A_UNDERLINE, COLOR_YELLOW, DEF, A_BOLD, 214, DEF, A_BOLD},
    [ROLE_MESSAGE] = {A_NORMAL, COLOR_YELLOW, DEF, A_NORMAL, 223, DEF, A_NORMAL},
    [ROLE_KEY] = {A_BOLD, COLOR_CYAN, DEF, A_BOLD, 81, DEF, A_BOLD},
    [ROLE_KEYBAR] = {A_NORMAL, DEF, DEF, A_NORMAL, 250, DEF, A_NORMAL},
    [ROLE_DIALOG] = {A_NORMAL, COLOR_WHITE, COLOR_BLUE, A_NORMAL, 255, 236, A_NORMAL},
    [ROLE_DIALOG_ERROR] = {A_BOLD, COLOR_RED, COLOR_BLUE, A_BOLD, 203, 236, A_BOLD},
    [ROLE_SELECTED] = {A_REVERSE, COLOR_BLACK, COLOR_CYAN, A_NORMAL, 16, 81, A_NORMAL},
    [ROLE_HEAT_0 + 0] = {A_NORMAL, COLOR_WHITE, COLOR_BLUE, A_NORMAL, 255, 17, A_NORMAL},
    [ROLE_HEAT_0 + 1] = {A_NORMAL, COLOR_WHITE, COLOR_BLUE, A_NORMAL, 255, 18, A_NORMAL},
    [ROLE_HEAT_0 + 2] = {A_NORMAL, COLOR_WHITE, COLOR_BLUE, A_NORMAL, 255, 19, A_NORMAL},
    [ROLE_HEAT_0 + 3] = {A_NORMAL, COLOR_BLACK, COLOR_CYAN, A_NORMAL, 255, 25, A_NORMAL},
    [ROLE_HEAT_0 + 4] = {A_NORMAL, COLOR_BLACK, COLOR_CYAN, A_NORMAL, 255, 31, A_NORMAL},
    [ROLE_HEAT_0 + 5] = {A_NORMAL, COLOR_BLACK, COLOR_CYAN, A_NORMAL, 255, 37, A_NORMAL},
    [ROLE_HEAT_0 + 6] = {A_NORMAL, COLOR_BLACK, COLOR_GREEN, A_NORMAL, 16, 43, A_NORMAL},
    [ROLE_HEAT_0 + 7] = {A_NORMAL, COLOR_BLACK, COLOR_GREEN, A_NORMAL, 16, 78, A_NORMAL},
    [ROLE_HEAT_0 + 8] = {A_NORMAL, COLOR_BLACK, COLOR_YELLOW, A_NORMAL, 16, 149, A_NORMAL},
    [ROLE_HEAT_0 + 9] = {A_NORMAL, COLOR_BLACK, COLOR_YELLOW, A_NORMAL, 16, 185, A_NORMAL},
    [ROLE_HEAT_0 + 10] = {A_NORMAL, COLOR_WHITE, COLOR_RED, A_BOLD, 16, 220, A_NORMAL},
    [ROLE_HEAT_0 + 11] = {A_NORMAL, COLOR_WHITE, COLOR_RED, A_BOLD, 16, 226, A_NORMAL},
};

static ColorMode current_mode = COLOR_MODE_MONO;

ColorMode colors_init(int no_color)
{
    const char *env = getenv("NO_COLOR");
    current_mode = COLOR_MODE_MONO;
    if (no_color || (env && env[0]) || !has_colors())
        return current_mode;
    start_color();
    use_default_colors();
    current_mode = COLORS >= 256 && COLOR_PAIRS > ROLE_COUNT ? COLOR_MODE_256 : COLOR_MODE_8;
    if (COLORS < 8 || COLOR_PAIRS <= ROLE_COUNT) {
        current_mode = COLOR_MODE_MONO;
        return current_mode;
    }
    for (int r = 1; r < ROLE_COUNT; r++) {
        const RoleColors *c = &role_table[r];
        if (current_mode == COLOR_MODE_256)
            init_pair((short)r, c->fg256, c->bg256);
        else
            init_pair((short)r, c->fg8, c->bg8);
    }
    return current_mode;
}

attr_t colors_attr(ColorRole role)
{
    const RoleColors *c = &role_table[role];
    switch (current_mode) {
    case COLOR_MODE_256:
        return c->attr256 | (role ? COLOR_PAIR(role) : 0);
    case COLOR_MODE_8:
        return c->attr8 | (role ? COLOR_PAIR(role) : 0);
    default:
        return c->mono;
    }
}

int colors_heat_step(float weight, int ops)
{
    if (!(weight > 0.0f))
        return 0;
    /* log2(weight * ops) runs -3 .. log2(ops); map [-3, 3] onto the ramp. */
    double t = (log2((double)weight * ops) + 3.0) / 6.0;
    int k = (int)floor(t * HEAT_STEPS);
    return k < 0 ? 0 : k >= HEAT_STEPS ? HEAT_STEPS - 1 : k;
}
