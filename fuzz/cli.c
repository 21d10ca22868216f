/* fuzz/cli.c: the command line, cli_parse then (for a search) cli_config.
 *
 * Input: the arguments after the program name, each ended by a NUL byte.
 * Each input runs in the harness's temporary directory, which holds
 * config.yaml (so `--resume .` and `--preset ./config.yaml` read a real
 * run's configuration); inputs naming a path outside it (an absolute path or
 * "..") are skipped, so a fuzzed --preset never opens a device.
 * Checks: no crash; every refusal comes with a message.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "cli.h"

#include <fcntl.h>

#define MAX_ARGS 64

static int start_dir; /* libFuzzer's own paths are relative to it */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    Config cfg;
    config_defaults(&cfg);
    snprintf(cfg.preset, sizeof cfg.preset, "saved");
    FILE *f = fopen(fuzz_path("config.yaml"), "w");
    if (!f || config_write_yaml(&cfg, f) != 0 || fclose(f) != 0)
        abort();
    start_dir = open(".", O_RDONLY | O_DIRECTORY);
    if (start_dir < 0)
        abort();
    return 0;
}

static int outside(const char *arg)
{
    const char *eq = strchr(arg, '=');
    return arg[0] == '/' || (eq && eq[1] == '/') || strstr(arg, "..") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    char *argv[MAX_ARGS + 1] = {"dartboard"};
    int argc = 1;
    for (size_t at = 0; at < size && argc < MAX_ARGS; at += strlen(text + at) + 1) {
        if (outside(text + at)) {
            free(text);
            return 0;
        }
        argv[argc++] = text + at;
    }
    argv[argc] = NULL;

    CliOptions o;
    Config cfg;
    char err[1024] = "";
    if (chdir(fuzz_dir()) != 0)
        abort();
    int rc = cli_parse(&o, argc, argv, err, sizeof err);
    if (rc == 0 && o.command == CLI_SEARCH)
        rc = cli_config(&o, &cfg, err, sizeof err);
    if (fchdir(start_dir) != 0)
        abort();
    if (rc != 0 && !err[0]) {
        fprintf(stderr, "a refusal without a message\n");
        abort();
    }
    free(text);
    return 0;
}
