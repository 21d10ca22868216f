/* fuzz/config.c: the preset loader and --set.
 *
 * Input: a YAML preset, optionally followed by FUZZ_SEPARATOR and --set
 * assignments, one per line. The preset is loaded over the defaults, the
 * assignments applied, the result validated.
 * Checks: a refused preset's message names the file; a configuration that
 * validates is written by config_write_yaml (as a run's config.yaml) and
 * reads back with every key the same.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "dartboard/config.h"

static void same_after_round_trip(const Config *c)
{
    char path[1024], err[512], *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || config_write_yaml(c, f) != 0 || fclose(f) != 0)
        abort();
    fuzz_write("config.yaml", text, len);
    free(text);
    snprintf(path, sizeof path, "%s", fuzz_path("config.yaml"));
    Config back;
    config_defaults(&back);
    if (config_load_file(&back, path, err, sizeof err) != 0) {
        fprintf(stderr, "config_write_yaml wrote a file that does not load: %s\n", err);
        abort();
    }
    int n;
    const ConfigKey *keys = config_keys(&n);
    for (int i = 0; i < n; i++) {
        char a[CONFIG_STR + 8], b[CONFIG_STR + 8];
        config_get(c, keys[i].name, a, sizeof a);
        config_get(&back, keys[i].name, b, sizeof b);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "%s: '%s' written, '%s' read back\n", keys[i].name, a, b);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[2];
    size_t len[2];
    int parts = fuzz_split(data, size, part, len, 2);
    fuzz_write("preset.yaml", part[0], len[0]);
    char path[1024], err[512] = "", name[64];
    snprintf(path, sizeof path, "%s", fuzz_path("preset.yaml"));

    Config c;
    config_defaults(&c);
    if (config_load_file(&c, path, err, sizeof err) != 0 && strncmp(err, path, strlen(path)) != 0) {
        fprintf(stderr, "a refusal that does not start with the file name: '%s'\n", err);
        abort();
    }
    config_saved_preset(path, name, sizeof name);
    if (parts == 2) {
        char *sets = fuzz_strndup(part[1], len[1]), *save = NULL;
        for (char *line = strtok_r(sets, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            if (config_set_assignment(&c, line, err, sizeof err) != 0 &&
                strncmp(err, "--set ", 6) != 0) {
                fprintf(stderr, "a --set refusal without '--set ': '%s'\n", err);
                abort();
            }
        free(sets);
    }
    if (config_validate(&c, err, sizeof err) == 0)
        same_after_round_trip(&c);
    return 0;
}
