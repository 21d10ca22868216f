/* editor: the hyperparameter form (see editor.h). */
#include "ui/editor.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ui/help.h"

void editor_open(Editor *ed, const Config *live, int training)
{
    int count;
    const ConfigKey *keys = config_keys(&count);
    memset(ed, 0, sizeof *ed);
    ed->open = 1;
    ed->work = *live;
    for (int i = 0; i < count && ed->n < EDITOR_MAX_FIELDS; i++)
        if (keys[i].live && config_key_applies(&keys[i], training, config_is_recurrent(live)))
            ed->fields[ed->n++] = &keys[i];
    snprintf(ed->status, sizeof ed->status, "Enter edits the selected value");
}

void editor_sync(Editor *ed, const Config *live)
{
    for (int i = 0; i < ed->n; i++) {
        char now[EDITOR_BUF], want[EDITOR_BUF], err[256];
        const char *name = ed->fields[i]->name;
        if (config_get(live, name, now, sizeof now) != 0)
            continue;
        if (ed->pending[i]) {
            if (config_get(&ed->work, name, want, sizeof want) == 0 && strcmp(now, want) == 0)
                ed->pending[i] = 0;
            continue;
        }
        config_set(&ed->work, name, now, err, sizeof err);
    }
}

static void start_edit(Editor *ed, const char *initial)
{
    ed->editing = 1;
    snprintf(ed->buf, sizeof ed->buf, "%s", initial);
    snprintf(ed->status, sizeof ed->status, "Enter applies, Esc cancels, Ctrl-U clears");
    ed->status_error = 0;
}

/* Validates ed->buf for the selected field on a copy of the configuration. */
static EditorResult commit(Editor *ed, Command *cmd)
{
    const ConfigKey *k = ed->fields[ed->selected];
    Config trial = ed->work;
    char err[256], old[EDITOR_BUF], now[EDITOR_BUF];
    config_get(&ed->work, k->name, old, sizeof old);
    ed->editing = 0;
    if (config_set(&trial, k->name, ed->buf, err, sizeof err) != 0 ||
        config_validate(&trial, err, sizeof err) != 0) {
        snprintf(ed->status, sizeof ed->status, "refused: %s", err);
        ed->status_error = 1;
        return EDITOR_KEEP;
    }
    config_get(&trial, k->name, now, sizeof now);
    if (strcmp(old, now) == 0) {
        snprintf(ed->status, sizeof ed->status, "%s unchanged (%s)", k->name, now);
        ed->status_error = 0;
        return EDITOR_KEEP;
    }
    ed->work = trial;
    ed->pending[ed->selected] = 1;
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = CMD_SET;
    snprintf(cmd->key, sizeof cmd->key, "%s", k->name);
    snprintf(cmd->value, sizeof cmd->value, "%s", now);
    snprintf(ed->status, sizeof ed->status, "%s %s -> %s (at the next step)", k->name, old, now);
    ed->status_error = 0;
    return EDITOR_SEND;
}

static EditorResult key_editing(Editor *ed, int key, Command *cmd)
{
    size_t len = strlen(ed->buf);
    switch (key) {
    case KEY_ESCAPE:
        ed->editing = 0;
        snprintf(ed->status, sizeof ed->status, "edit cancelled");
        ed->status_error = 0;
        return EDITOR_KEEP;
    case '\n':
    case '\r':
    case KEY_ENTER:
        return commit(ed, cmd);
    case KEY_BACKSPACE:
    case 127:
    case 8:
        if (len > 0)
            ed->buf[len - 1] = 0;
        return EDITOR_KEEP;
    case KEY_CTRL('u'):
        ed->buf[0] = 0;
        return EDITOR_KEEP;
    default:
        if (key >= 32 && key < 127 && len + 1 < sizeof ed->buf) {
            ed->buf[len] = (char)key;
            ed->buf[len + 1] = 0;
        }
        return EDITOR_KEEP;
    }
}

EditorResult editor_key(Editor *ed, int key, Command *cmd)
{
    if (!ed->open || ed->n == 0) {
        ed->open = 0;
        return EDITOR_CLOSED;
    }
    if (ed->editing)
        return key_editing(ed, key, cmd);
    switch (key) {
    case KEY_ESCAPE:
    case 'e':
        ed->open = 0;
        return EDITOR_CLOSED;
    case KEY_UP:
    case 'k':
        ed->selected = (ed->selected + ed->n - 1) % ed->n;
        return EDITOR_KEEP;
    case KEY_DOWN:
    case 'j':
    case '\t':
        ed->selected = (ed->selected + 1) % ed->n;
        return EDITOR_KEEP;
    case '\n':
    case '\r':
    case KEY_ENTER: {
        char cur[EDITOR_BUF];
        if (config_get(&ed->work, ed->fields[ed->selected]->name, cur, sizeof cur) != 0)
            cur[0] = 0;
        start_edit(ed, cur);
        return EDITOR_KEEP;
    }
    default:
        if (key < 127 && (isdigit(key) || key == '.' || key == '-')) {
            char first[2] = {(char)key, 0};
            start_edit(ed, first);
        }
        return EDITOR_KEEP;
    }
}

void editor_draw(WINDOW *w, int rows, int cols, const Style *st, const Editor *ed)
{
    if (!ed->open)
        return;
    /* The frame, a blank line and three lines under the keys take 7 rows;
     * when the keys do not all fit, a window of them that holds the
     * selected one, with marks where more are above or below. */
    const int shown = ed->n + 7 <= rows ? ed->n : rows - 7 < 1 ? 1 : rows - 7;
    int first = ed->selected - shown / 2;
    first = first + shown > ed->n ? ed->n - shown : first;
    first = first < 0 ? 0 : first;
    Rect r = layout_dialog(rows, cols, shown + 7, 72);
    if (rect_empty(r))
        return;
    attr_t a = colors_attr(ROLE_DIALOG);
    draw_fill(w, r, a);
    draw_frame(w, r, st, "edit hyperparameters", a);
    Rect in = draw_inner(r);
    for (int k = 0; k < shown && first + k < ed->n; k++) {
        const int i = first + k, y = in.y + k;
        char val[EDITOR_BUF + 2];
        if (i == ed->selected && ed->editing)
            snprintf(val, sizeof val, "%s_", ed->buf);
        else if (config_get(&ed->work, ed->fields[i]->name, val, sizeof val) != 0)
            snprintf(val, sizeof val, "?");
        attr_t line = i == ed->selected ? colors_attr(ROLE_SELECTED) : a;
        if (i == ed->selected)
            draw_repeat(w, in, y, in.x, " ", in.w, line);
        draw_textf(w, in, y, in.x + 1, line, "%-22s %-16s%s", ed->fields[i]->name, val,
                   ed->pending[i] ? " (pending)" : "");
        if ((k == 0 && first > 0) || (k == shown - 1 && first + shown < ed->n))
            draw_text(w, in, y, in.x + in.w - 2, k == 0 ? "^" : "v", line);
    }
    int y = in.y + shown + 1;
    if (ed->n > 0)
        draw_text(w, in, y, in.x + 1, ed->fields[ed->selected]->description, a);
    draw_text(w, in, y + 1, in.x + 1, ed->status,
              ed->status_error ? colors_attr(ROLE_DIALOG_ERROR) : a);
    draw_text(w, in, y + 2, in.x + 1, "Up/Down select  Enter edit  Esc close", a);
}
