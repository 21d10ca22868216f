/* editor: the hyperparameter form (`e`).
 *
 * The fields are the configuration keys marked `live` in config_keys(). An
 * edited value is validated exactly as a preset value is (config_set, then
 * config_validate on a copy of the live configuration); a refused value
 * leaves everything unchanged and shows the reason. An accepted one becomes a
 * CMD_SET for the worker, which applies it at the next step boundary. Keys
 * come in, a Command may go out: no session, so it is tested without one.
 */
#ifndef DARTBOARD_UI_EDITOR_H
#define DARTBOARD_UI_EDITOR_H

#include "dartboard/config.h"
#include "dartboard/session.h"
#include "ui/draw.h"

#define EDITOR_MAX_FIELDS 24
#define EDITOR_BUF 64

typedef struct Editor {
    int open;
    int n;
    const ConfigKey *fields[EDITOR_MAX_FIELDS];
    int pending[EDITOR_MAX_FIELDS]; /* sent, not yet seen in a snapshot */
    Config work;                    /* the live configuration plus pending edits */
    int selected;
    int editing;
    char buf[EDITOR_BUF];
    char status[320];
    int status_error;
} Editor;

typedef enum EditorResult { EDITOR_KEEP, EDITOR_CLOSED, EDITOR_SEND } EditorResult;

/* training: the keys of a training run (no arch.*), else of a search. */
void editor_open(Editor *ed, const Config *live, int training);
/* Refreshes the fields from the newest live configuration (pending edits stay). */
void editor_sync(Editor *ed, const Config *live);
/* EDITOR_SEND: *cmd holds the CMD_SET to send and ed->status says what changed. */
EditorResult editor_key(Editor *ed, int key, Command *cmd);
void editor_draw(WINDOW *w, int rows, int cols, const Style *st, const Editor *ed);

#endif
