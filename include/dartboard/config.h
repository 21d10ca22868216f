/* config: the search configuration, its YAML presets and `--set` overrides.
 *
 * Every key has a default, a type, a range and a one-line description in one
 * table (config_keys()); loading, `--set`, the UI's editor and `dartboard
 * presets` all go through it, so a value is validated the same way wherever
 * it comes from. Errors are formatted "FILE:LINE:COL: what (expected ...)".
 */
#ifndef DARTBOARD_CONFIG_H
#define DARTBOARD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config_types.h"

typedef enum ConfigType {
    CONFIG_INT,
    CONFIG_UINT64,
    CONFIG_DOUBLE,
    CONFIG_BOOL,
    CONFIG_STRING,
    CONFIG_CHOICE
} ConfigType;

typedef struct ConfigKey {
    const char *name; /* "optim.lr" */
    ConfigType type;
    double min, max;         /* inclusive range for numbers */
    const char *choices;     /* "fashion-mnist|cifar10|synthetic" for CONFIG_CHOICE */
    const char *description; /* one line */
    const char *default_text;
    int live;     /* may change while a search runs (the UI editor) */
    int min_open; /* 1: min itself is excluded ("0 < lr <= 10") */
} ConfigKey;

void config_defaults(Config *c);
const ConfigKey *config_keys(int *count);
const ConfigKey *config_key_find(const char *name);
/* Does key k matter to a search (training 0) or a training run (training 1)
 * of a CNN cell (recurrent 0) or a recurrent one (recurrent 1)? arch.* only
 * the search, train.* only the CNN training, rnn.* only the recurrent cell,
 * model.* and the image keys of data only the CNN cell, monitor.* only the
 * CNN search. */
int config_key_applies(const ConfigKey *k, int training, int recurrent);
/* data.set is text (kjv or text): the run is about a recurrent cell. */
int config_is_recurrent(const Config *c);

/* Load a YAML file over the current values. 0 on success; -1 with `err`
 * naming FILE:LINE:COL, the key and what was expected (and the nearest key
 * name for a typo). The file holds nested sections (`optim: { lr: 0.01 }`,
 * flow or block style); a key may be given once. Relations between keys are
 * not checked here (more --set overrides may follow): call config_validate()
 * once the configuration is complete. */
int config_load_file(Config *c, const char *path, char *err, size_t errlen);
/* A preset by name (NAME.yaml in config_preset_dir()) or by path (contains
 * '/' or ends in .yaml), loaded over the current values like
 * config_load_file (start from config_defaults()). Sets c->preset to the
 * name (a path's base name without .yaml; bytes that are not UTF-8 shown as
 * '?'). An unknown name is an error naming the directory and listing the
 * available presets. */
int config_load_preset(Config *c, const char *name_or_path, char *err, size_t errlen);
/* "section.key" = "value", validated exactly as in a file. On error `err`
 * reads "KEY=VALUE: expected ..." or "unknown key 'KEY' (did you mean ...)";
 * *c is unchanged. */
int config_set(Config *c, const char *key, const char *value, char *err, size_t errlen);
/* "section.key=value" (the --set form); errors read "--set KEY=VALUE: ...". */
int config_set_assignment(Config *c, const char *assignment, char *err, size_t errlen);
/* Current value as text (the form config_set accepts); -1 for an unknown key. */
int config_get(const Config *c, const char *key, char *buf, size_t buflen);
/* Checks every value against its range, then relations between keys
 * (lr_min <= lr, classes 10 for the real datasets, synthetic splits of at
 * least one batch). */
int config_validate(const Config *c, char *err, size_t errlen);
/* The whole configuration as YAML that config_load_file reads back: one
 * commented line per key, the first line a description (so a run's
 * config.yaml is itself a preset). */
int config_write_yaml(const Config *c, FILE *f);
/* The preset name config_write_yaml recorded in its first line, into name;
 * -1 when the file has none (or cannot be read). */
int config_saved_preset(const char *path, char *name, size_t len);
/* Preset names with their first-line descriptions, for `dartboard presets`,
 * sorted. */
int config_list_presets(FILE *out);
/* Where presets are looked up by name: the source tree's presets/ for the
 * programs of the build tree (dartboard, tests, bench), the installed
 * directory for any other copy of the program. */
const char *config_preset_dir(void);

#endif
