/* help: the key table, the key bar and the help overlay (see help.h). */
#include "ui/help.h"

#include <stdio.h>

#include "ui/heatmap.h"

/* clang-format off: one key per line reads as the table it is */
static const KeyHelp key_table[] = {
    {ACT_PAUSE, {' ', 0}, "space", "pause", 0, "pause or resume the search"},
    {ACT_STEP, {'n', 0}, "n", "step", 1, "run one step while paused"},
    {ACT_EDIT, {'e', 0}, "e", "edit", 0, "edit hyperparameters (applied at the next step)"},
    {ACT_PLOT,
     {'g', 0},
     "g",
     "plot",
     0,
     "gnuplot: a window, or figures in the run dir and a text plot"},
    {ACT_EXPORT, {'x', 0}, "x", "export", 0, "export the genotype and cell diagrams"},
    {ACT_CHECKPOINT, {'s', 0}, "s", "ckpt", 0, "write a checkpoint now"},
    {ACT_NEXT_PANEL, {'\t', 0}, "tab", "panel", 0, "next panel (overview, curves, cells, log)"},
    {ACT_PANEL,
     {'1', '2', '3', '4'},
     "1-4",
     NULL,
     0,
     "show panel 1 overview, 2 curves, 3 cells, 4 log"},
    {ACT_NUMBERS, {'v', 0}, "v", "nums", 1, "heatmap weights as numbers / colours"},
    {ACT_REDRAW, {KEY_CTRL('l'), 0}, "Ctrl-L", NULL, 0, "redraw the screen"},
    {ACT_HELP, {'?', 0}, "?", "help", 0, "this help"},
    {ACT_CLOSE, {KEY_ESCAPE, 0}, "Esc", NULL, 0, "close a dialog (never quits)"},
    {ACT_DETACH, {'d', 0}, "d", NULL, 0, "detach: leave the search running (dartboard attach)"},
    {ACT_QUIT, {'q', 0}, "q", "quit", 0, "quit: asks, then checkpoints and exits"},
    {ACT_TRAIN, {'t', 0}, "t", NULL, 0, "search done: train the cell found from scratch"},
};
/* clang-format on */

#define KEY_TABLE_COUNT ((int)(sizeof key_table / sizeof key_table[0]))

const KeyHelp *help_keys(int *count)
{
    *count = KEY_TABLE_COUNT;
    return key_table;
}

UiAction help_action(int key)
{
    for (int i = 0; i < KEY_TABLE_COUNT; i++)
        for (int k = 0; k < 4 && key_table[i].keys[k]; k++)
            if (key_table[i].keys[k] == key)
                return key_table[i].action;
    return ACT_NONE;
}

void help_draw_keybar(WINDOW *w, Rect r)
{
    if (rect_empty(r))
        return;
    draw_fill(w, r, colors_attr(ROLE_KEYBAR));
    /* Entries marked optional make room for the rest on narrow screens. */
    int total = 0;
    for (int i = 0; i < KEY_TABLE_COUNT; i++)
        if (key_table[i].bar)
            total += glyphs_width(key_table[i].name) + 1 + glyphs_width(key_table[i].bar) + 2;
    int room = total - 2 <= r.w;
    int x = r.x;
    for (int i = 0; i < KEY_TABLE_COUNT; i++) {
        const KeyHelp *k = &key_table[i];
        if (!k->bar || (k->optional && !room))
            continue;
        int need = glyphs_width(k->name) + 1 + glyphs_width(k->bar);
        if (x + need > r.x + r.w)
            break;
        x = draw_text(w, r, r.y, x, k->name, colors_attr(ROLE_KEY));
        x = draw_text(w, r, r.y, x + 1, k->bar, colors_attr(ROLE_KEYBAR));
        x += 2;
    }
}

void help_draw_overlay(WINDOW *w, int rows, int cols, const Style *st)
{
    Rect r = layout_dialog(rows, cols, KEY_TABLE_COUNT + 6, 72);
    if (rect_empty(r))
        return;
    attr_t a = colors_attr(ROLE_DIALOG);
    draw_fill(w, r, a);
    draw_frame(w, r, st, "keys", a);
    Rect in = draw_inner(r);
    for (int i = 0; i < KEY_TABLE_COUNT; i++) {
        draw_text(w, in, in.y + i, in.x + 1, key_table[i].name, colors_attr(ROLE_KEY) | A_BOLD);
        draw_text(w, in, in.y + i, in.x + 9, key_table[i].what, a);
    }
    draw_textf(w, in, in.y + KEY_TABLE_COUNT + 1, in.x + 1, a,
               "heatmaps: %s strongest op (none excluded), %s edge the cell keeps", st->g->winner,
               st->g->kept);
    draw_textf(w, in, in.y + KEY_TABLE_COUNT + 2, in.x + 1, a,
               "%s strongest op has no parameters (pool, skip): a sign of collapse",
               HEAT_PARAM_FREE_MARK);
    draw_text(w, in, in.y + KEY_TABLE_COUNT + 3, in.x + 1, "any key closes this help", a);
}
