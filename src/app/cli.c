/* cli: see cli.h */
#include "config.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/checkpoint.h"
#include "dartboard/config.h"
#include "dartboard/genotype_io.h"
#include "dartboard/rundir.h"

static const char usage[] =
    "Usage: dartboard [search] [OPTION]...      run a DARTS search (live UI on a terminal)\n"
    "       dartboard train --genotype G [OPTION]...\n"
    "                                           train a derived cell from scratch, report\n"
    "                                           its test accuracy (live UI on a terminal)\n"
    "       dartboard bench [OPTION]...         time search steps or kernels\n"
    "       dartboard export RUN_DIR --format FORMAT [-o FILE]\n"
    "       dartboard presets                   list the built-in presets\n"
    "       dartboard corpus [--data DIR] [--cache DIR]\n"
    "                                           prepare or check the text corpus (recurrent)\n"
    "       dartboard attach [RUN_DIR] [--read-only]  watch and steer a running search\n"
    "       dartboard ls [DIR]                  the runs under DIR (default: runs)\n"
    "       dartboard --help | --version\n"
    "\n"
    "Search options:\n"
    "  --preset NAME|FILE   configuration preset (default: demo; see `dartboard presets`)\n"
    "  --set KEY=VALUE      override one key, e.g. --set optim.lr=0.01 (repeatable)\n"
    "  --data DIR           dataset directory (data.dir)\n"
    "  --out DIR            run directory (default: runs/<preset>-<timestamp>)\n"
    "  --resume DIR         continue the run in DIR from its checkpoint\n"
    "  --headless           print progress lines instead of the live UI\n"
    "  --detach             run in the background (log in RUN_DIR/dartboard.log);\n"
    "                       `dartboard attach RUN_DIR` shows it, `d` in the UI leaves it\n"
    "  --paused             start paused (space or a viewer's space resumes)\n"
    "                       (also the default when stdout is not a terminal)\n"
    "  --steps N            stop after global search step N\n"
    "  --epochs N           stop after epoch N\n"
    "  --threads N          numeric threads (run.threads)\n"
    "  --seed N             random seed (run.seed)\n"
    "  --ascii              UI: plain ASCII glyphs\n"
    "  --no-color           UI: no colours (NO_COLOR in the environment does the same)\n"
    "\n"
    "Train options (and every search option above):\n"
    "  --genotype G         the cell: a search run directory (its genotype.py), a genotype\n"
    "                       file (py, json, yaml; the official dialects) or a published\n"
    "                       cell: DARTS_V1, DARTS_V2 (DARTS = DARTS_V2)\n"
    "                       (--preset default: train-fashion-mnist; --resume DIR trains\n"
    "                       DIR's genotype.py); with a text preset (data.set kjv, text)\n"
    "                       a recurrent cell: DARTS_V1, DARTS_V2, a run directory or a\n"
    "                       file with the official Genotype(recurrent=...) line (the\n"
    "                       --preset default is then rnn-train-kjv, or rnn-train-ptb on\n"
    "                       the data of a recurrent search on text)\n"
    "\n"
    "Bench options:\n"
    "  --config A|B|C       A: 3x32x32 C16 8 layers batch 64; B: 1x28x28 C16 8 layers\n"
    "                       batch 64; C: 1x28x28 C8 5 layers batch 32 (default: C)\n"
    "  --order 0|1|2        0 weights only, 1 first order, 2 second order (default: 1)\n"
    "  --steps N            timed steps after warm-up (default: 10, at least 5)\n"
    "  --threads N          numeric threads (default: 2)\n"
    "  --batch N            another batch size than the config's (batch scaling)\n"
    "  --kernels            time the individual kernels instead of whole steps\n"
    "  --profile            after the steps, their time by op family against the sgemm peak\n"
    "  --set KEY=VALUE      a configuration key on top of the config's (e.g. a remedy.*\n"
    "                       key, to time what it costs); repeatable\n"
    "  --train              time training steps of a derived cell from scratch instead\n"
    "  --genotype G         --train: the cell, as train's --genotype: DARTS_V2 (default),\n"
    "                       DARTS_V1, DARTS, a run directory or a genotype file\n"
    "  --shape fashion|cifar  --train: 1x28x28 C16 8 cells batch 64 (default) or\n"
    "                       3x32x32 C36 20 cells batch 96\n"
    "  --rnn                time recurrent search steps instead (vocabulary 10000,\n"
    "                       300/300, batch 256, bptt 35); with --train, steps of a\n"
    "                       recurrent cell's training (size 850, batch 64)\n"
    "  --ntoken N, --size N, --bptt N  --rnn: another vocabulary, size or window\n"
    "\n"
    "Export formats: py json yaml dot tikz svg pdf png frames plots\n"
    "\n"
    "The run directory holds config.yaml, metrics.csv, alphas.csv, genotype.py,\n"
    "genotype.json, checkpoint.bin and changes.log; a training run's holds no\n"
    "alphas.csv, a row per epoch in metrics.csv and, at the end, results.json.\n"
    "Exit status: 0 done, 1 runtime error, 2 usage or configuration error.\n";

void cli_usage(FILE *f)
{
    fputs(usage, f);
}

/* Strict decimal integer in [min, max]. */
static int parse_int(const char *opt, const char *text, long long min, long long max,
                     long long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < min || v > max) {
        snprintf(err, errlen, "%s: '%s' is not valid (expected an integer from %lld to %lld)", opt,
                 text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_seed(const char *text, uint64_t *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-') {
        snprintf(err, errlen, "--seed: '%s' is not valid (expected a non-negative integer)", text);
        return -1;
    }
    *out = v;
    return 0;
}

/* The option's value: "--opt VALUE" or "--opt=VALUE". */
static const char *option_value(const char *name, char **argv, int argc, int *i, char *err,
                                size_t errlen)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (arg[n] == '=')
        return arg + n + 1;
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

/* Does arg name this option (bare or with =VALUE)? */
static int is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* In the option loops: the value of option `name`, or return the error. */
#define VALUE(name)                                                                                \
    do {                                                                                           \
        if (!(v = option_value(name, argv, argc, &i, err, errlen)))                                \
            return -1;                                                                             \
    } while (0)

static int parse_search(CliOptions *o, int argc, char **argv, int i, char *err, size_t errlen)
{
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        long long n;
        if (is_opt(a, "--preset")) {
            VALUE("--preset");
            o->preset = v;
        } else if (is_opt(a, "--set")) {
            VALUE("--set");
            if (o->n_sets == CLI_MAX_SETS) {
                snprintf(err, errlen, "--set: at most %d overrides", CLI_MAX_SETS);
                return -1;
            }
            o->sets[o->n_sets++] = v;
        } else if (is_opt(a, "--data")) {
            VALUE("--data");
            o->data_dir = v;
        } else if (is_opt(a, "--out")) {
            VALUE("--out");
            o->out_dir = v;
        } else if (is_opt(a, "--resume")) {
            VALUE("--resume");
            o->resume_dir = v;
        } else if (strcmp(a, "--headless") == 0) {
            o->headless = 1;
        } else if (strcmp(a, "--detach") == 0) {
            o->detach = 1;
        } else if (strcmp(a, "--paused") == 0) {
            o->paused = 1;
        } else if (strcmp(a, "--ascii") == 0) {
            o->ascii = 1;
        } else if (strcmp(a, "--no-color") == 0 || strcmp(a, "--no-colour") == 0) {
            o->no_color = 1;
        } else if (is_opt(a, "--steps")) {
            VALUE("--steps");
            if (parse_int("--steps", v, 1, INT64_MAX, &n, err, errlen) != 0)
                return -1;
            o->steps = n;
        } else if (is_opt(a, "--epochs")) {
            VALUE("--epochs");
            if (parse_int("--epochs", v, 1, 1000000, &n, err, errlen) != 0)
                return -1;
            o->epochs = (int)n;
        } else if (is_opt(a, "--threads")) {
            VALUE("--threads");
            if (parse_int("--threads", v, 1, 1024, &n, err, errlen) != 0)
                return -1;
            o->threads = (int)n;
        } else if (is_opt(a, "--seed")) {
            VALUE("--seed");
            if (parse_seed(v, &o->seed, err, errlen) != 0)
                return -1;
            o->have_seed = 1;
        } else if (o->command == CLI_TRAIN && is_opt(a, "--genotype")) {
            VALUE("--genotype");
            o->genotype = v;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->command = CLI_HELP;
            return 0;
        } else if (a[0] == '-') {
            snprintf(err, errlen, "unknown option '%s' for %s", a,
                     o->command == CLI_TRAIN ? "train" : "search");
            return -1;
        } else {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return -1;
        }
    }
    if (o->resume_dir && o->out_dir) {
        snprintf(err, errlen, "--resume and --out both name a run directory; give one");
        return -1;
    }
    if (o->resume_dir && o->preset) {
        snprintf(err, errlen,
                 "--resume takes the configuration from %s/config.yaml; --preset does not apply "
                 "(use --set to change a key)",
                 o->resume_dir);
        return -1;
    }
    if (o->command == CLI_TRAIN && o->resume_dir && o->genotype) {
        snprintf(err, errlen,
                 "--resume trains the cell of %s/genotype.py; --genotype does not apply",
                 o->resume_dir);
        return -1;
    }
    if (o->command == CLI_TRAIN && !o->resume_dir && !o->genotype) {
        snprintf(err, errlen,
                 "train needs --genotype (a search run directory, a genotype file, DARTS_V1 or "
                 "DARTS_V2)");
        return -1;
    }
    return 0;
}

static int parse_bench(CliOptions *o, int argc, char **argv, int i, char *err, size_t errlen)
{
    o->bench_config = 'C';
    o->bench_order = 1;
    o->bench_steps = 10;
    o->bench_batch = 0;
    o->bench_genotype = "DARTS_V2";
    snprintf(o->bench_shape, sizeof o->bench_shape, "fashion");
    o->threads = 2; /* as the PyTorch reference's --bench, so the two compare as they are */
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        long long n;
        if (is_opt(a, "--config")) {
            VALUE("--config");
            if (!(v[0] == 'A' || v[0] == 'B' || v[0] == 'C' || v[0] == 'a' || v[0] == 'b' ||
                  v[0] == 'c') ||
                v[1]) {
                snprintf(err, errlen, "--config: '%s' is not valid (expected A, B or C)", v);
                return -1;
            }
            o->bench_config = (char)(v[0] & ~0x20);
        } else if (is_opt(a, "--order")) {
            VALUE("--order");
            if (parse_int("--order", v, 0, 2, &n, err, errlen) != 0)
                return -1;
            o->bench_order = (int)n;
        } else if (is_opt(a, "--steps")) {
            VALUE("--steps");
            if (parse_int("--steps", v, 5, 100000, &n, err, errlen) != 0)
                return -1;
            o->bench_steps = (int)n;
        } else if (is_opt(a, "--threads")) {
            VALUE("--threads");
            if (parse_int("--threads", v, 1, 1024, &n, err, errlen) != 0)
                return -1;
            o->threads = (int)n;
        } else if (is_opt(a, "--batch")) {
            VALUE("--batch");
            if (parse_int("--batch", v, 1, 4096, &n, err, errlen) != 0)
                return -1;
            o->bench_batch = (int)n;
        } else if (strcmp(a, "--rnn") == 0) {
            o->bench_rnn = 1;
        } else if (is_opt(a, "--bptt") || is_opt(a, "--size") || is_opt(a, "--ntoken")) {
            const int which = is_opt(a, "--bptt") ? 0 : is_opt(a, "--size") ? 1 : 2;
            static const char *const names[3] = {"--bptt", "--size", "--ntoken"};
            static const long long lo[3] = {2, 1, 3}, hi[3] = {1000, 4096, 1 << 20};
            VALUE(names[which]);
            if (parse_int(names[which], v, lo[which], hi[which], &n, err, errlen) != 0)
                return -1;
            *(which == 0   ? &o->bench_bptt
              : which == 1 ? &o->bench_size
                           : &o->bench_ntoken) = (int)n;
        } else if (is_opt(a, "--set")) {
            VALUE("--set");
            if (o->n_sets == CLI_MAX_SETS) {
                snprintf(err, errlen, "--set: at most %d overrides", CLI_MAX_SETS);
                return -1;
            }
            o->sets[o->n_sets++] = v;
        } else if (strcmp(a, "--kernels") == 0) {
            o->bench_kernels = 1;
        } else if (strcmp(a, "--profile") == 0) {
            o->bench_profile = 1;
        } else if (strcmp(a, "--train") == 0) {
            o->bench_train = 1;
        } else if (is_opt(a, "--genotype")) {
            VALUE("--genotype");
            o->bench_genotype = v;
        } else if (is_opt(a, "--shape")) {
            VALUE("--shape");
            if (strcmp(v, "fashion") && strcmp(v, "cifar")) {
                snprintf(err, errlen, "--shape: '%s' is not valid (expected fashion or cifar)", v);
                return -1;
            }
            snprintf(o->bench_shape, sizeof o->bench_shape, "%s", v);
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->command = CLI_HELP;
            return 0;
        } else {
            snprintf(err, errlen, "unknown %s '%s' for bench", a[0] == '-' ? "option" : "argument",
                     a);
            return -1;
        }
    }
    if (o->n_sets > 0 && (o->bench_rnn || o->bench_train || o->bench_kernels)) {
        snprintf(err, errlen,
                 "--set is an option of the search step bench (not of --rnn, "
                 "--train or --kernels)");
        return -1;
    }
    if (!o->bench_rnn && (o->bench_bptt || o->bench_size || o->bench_ntoken)) {
        snprintf(err, errlen, "--bptt, --size and --ntoken are options of bench --rnn");
        return -1;
    }
    return 0;
}

/* corpus [--data DIR] [--cache DIR] */
static int parse_corpus(CliOptions *o, int argc, char **argv, int i, char *err, size_t errlen)
{
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (is_opt(a, "--data")) {
            VALUE("--data");
            o->data_dir = v;
        } else if (is_opt(a, "--cache")) {
            VALUE("--cache");
            o->cache_dir = v;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->command = CLI_HELP;
            return 0;
        } else {
            snprintf(err, errlen, "unknown %s '%s' for corpus (expected --data DIR, --cache DIR)",
                     a[0] == '-' ? "option" : "argument", a);
            return -1;
        }
    }
    return 0;
}

#undef VALUE

/* attach [RUN_DIR] [--read-only] [--ascii] [--no-color]; ls [DIR] */
static int parse_viewer(CliOptions *o, int argc, char **argv, int i, char *err, size_t errlen)
{
    const char *cmd = o->command == CLI_ATTACH ? "attach" : "ls";
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (o->command == CLI_ATTACH && strcmp(a, "--read-only") == 0) {
            o->read_only = 1;
        } else if (o->command == CLI_ATTACH && strcmp(a, "--ascii") == 0) {
            o->ascii = 1;
        } else if (o->command == CLI_ATTACH &&
                   (strcmp(a, "--no-color") == 0 || strcmp(a, "--no-colour") == 0)) {
            o->no_color = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->command = CLI_HELP;
            return 0;
        } else if (a[0] == '-' && a[1]) {
            snprintf(err, errlen, "unknown option '%s' for %s", a, cmd);
            return -1;
        } else if (o->target) {
            snprintf(err, errlen, "%s takes one directory (got '%s' and '%s')", cmd, o->target, a);
            return -1;
        } else {
            o->target = a;
        }
    }
    return 0;
}

int cli_parse(CliOptions *o, int argc, char **argv, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->command = CLI_SEARCH;
    /* https://no-color.org: present and not empty. */
    const char *no_color = getenv("NO_COLOR");
    o->no_color = no_color && *no_color;
    int i = 1;
    if (argc > 1) {
        const char *a = argv[1];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
            o->command = CLI_HELP;
            return 0;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            o->command = CLI_VERSION;
            return 0;
        }
        if (strcmp(a, "search") == 0) {
            i = 2;
        } else if (strcmp(a, "train") == 0) {
            o->command = CLI_TRAIN;
            i = 2;
        } else if (strcmp(a, "bench") == 0) {
            o->command = CLI_BENCH;
            return parse_bench(o, argc, argv, 2, err, errlen);
        } else if (strcmp(a, "export") == 0) {
            o->command = CLI_EXPORT;
            o->rest_argc = argc - 1;
            o->rest_argv = argv + 1;
            return 0;
        } else if (strcmp(a, "corpus") == 0) {
            o->command = CLI_CORPUS;
            return parse_corpus(o, argc, argv, 2, err, errlen);
        } else if (strcmp(a, "attach") == 0 || strcmp(a, "ls") == 0) {
            o->command = a[0] == 'a' ? CLI_ATTACH : CLI_LS;
            return parse_viewer(o, argc, argv, 2, err, errlen);
        } else if (strcmp(a, "presets") == 0) {
            o->command = CLI_PRESETS;
            if (argc > 2) {
                snprintf(err, errlen, "presets takes no arguments (got '%s')", argv[2]);
                return -1;
            }
            return 0;
        } else if (a[0] != '-') {
            snprintf(err, errlen,
                     "unknown command '%s' (expected search, train, bench, export, presets, "
                     "corpus, attach or ls)",
                     a);
            return -1;
        }
    }
    return parse_search(o, argc, argv, i, err, errlen);
}

/* `dartboard train` without --preset: the recipe for the kind of cell
 * --genotype holds. A recurrent search's run directory gives the recurrent
 * recipe of its data (rnn-train-kjv, or rnn-train-ptb on its data.dir, so
 * that `t` and the line printed at the end of a search just work); a file
 * holding a recurrent cell gives rnn-train-kjv; anything else a CNN cell's. */
static const char *default_train_preset(const CliOptions *o, char *data_dir, size_t len)
{
    data_dir[0] = '\0';
    struct stat st;
    if (!o->genotype || stat(o->genotype, &st) != 0)
        return "train-fashion-mnist";
    char path[RUNDIR_FILE_MAX], err[256];
    if (S_ISDIR(st.st_mode)) {
        Config *run = malloc(sizeof *run);
        int recurrent = 0;
        if (run && snprintf(path, sizeof path, "%s/config.yaml", o->genotype) < (int)sizeof path) {
            config_defaults(run);
            if (config_load_file(run, path, err, sizeof err) == 0 && config_is_recurrent(run)) {
                recurrent = strcmp(run->data.set, "kjv") == 0 ? 1 : 2;
                if (recurrent == 2)
                    snprintf(data_dir, len, "%s", run->data.dir);
            }
        }
        free(run);
        return recurrent == 1   ? "rnn-train-kjv"
               : recurrent == 2 ? "rnn-train-ptb"
                                : "train-fashion-mnist";
    }
    AnyGenotype *any = malloc(sizeof *any);
    int recurrent = any && genotype_read_file_any(o->genotype, any, err, sizeof err) == 0 &&
                    any->kind == GENOTYPE_KIND_RECURRENT;
    free(any);
    return recurrent ? "rnn-train-kjv" : "train-fashion-mnist";
}

/* Keys that shape a run's weights or data: a resumed run keeps them, or its
 * checkpoint would be refused (those of checkpoint_fingerprint and the
 * workers' own fingerprints and sizes) or, for some, read as another network. */
static int fixed_on_resume(const char *key)
{
    static const char *const fixed[] = {
        "remedy.darts_minus_beta", "remedy.fair_darts", "remedy.pc_k", "remedy.edge_norm",
        "remedy.pc_warmup",        "train.auxiliary",   "rnn.size",    "rnn.bptt"};
    if (checkpoint_key_shapes(key))
        return 1;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(key, fixed[i]) == 0)
            return 1;
    return 0;
}

/* The first fixed key whose value differs between the saved and the new
 * configuration, refused by name with both values. */
static int check_resume_keys(const Config *saved, const Config *cfg, const char *run_dir, char *err,
                             size_t errlen)
{
    int n;
    const ConfigKey *keys = config_keys(&n);
    for (int i = 0; i < n; i++) {
        char was[CONFIG_STR], now[CONFIG_STR];
        if (!fixed_on_resume(keys[i].name) ||
            config_get(saved, keys[i].name, was, sizeof was) != 0 ||
            config_get(cfg, keys[i].name, now, sizeof now) != 0 || strcmp(was, now) == 0)
            continue;
        snprintf(err, errlen,
                 "--set %s=%s: the run in %s was made with %s=%s, and a resumed run keeps the "
                 "keys that shape its network and data (model.*, data.* but data.dir, the "
                 "DARTS-, Fair DARTS and PC-DARTS keys, train.auxiliary, rnn.size, rnn.bptt); "
                 "start a new run with --out instead",
                 keys[i].name, now, run_dir, keys[i].name, was);
        return -1;
    }
    return 0;
}

int cli_config(const CliOptions *o, Config *cfg, char *err, size_t errlen)
{
    config_defaults(cfg);
    char run_data_dir[CONFIG_STR] = "";
    if (o->resume_dir) {
        char path[RUNDIR_FILE_MAX];
        if (snprintf(path, sizeof path, "%s/config.yaml", o->resume_dir) >= (int)sizeof path) {
            snprintf(err, errlen, "--resume: run directory path of %zu bytes (at most %d)",
                     strlen(o->resume_dir), RUNDIR_PATH_MAX - 1);
            return -1;
        }
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            snprintf(err, errlen,
                     "%s: no such file: %s holds no run to resume; start one there with --out %s",
                     path, o->resume_dir, o->resume_dir);
            return -1;
        }
        if (config_load_file(cfg, path, err, errlen) != 0)
            return -1;
        if (!cfg->preset[0] && config_saved_preset(path, cfg->preset, sizeof cfg->preset) != 0) {
            const char *base = strrchr(o->resume_dir, '/');
            snprintf(cfg->preset, sizeof cfg->preset, "%s",
                     base && base[1] ? base + 1 : o->resume_dir);
        }
    } else if (config_load_preset(cfg,
                                  o->preset ? o->preset
                                  : o->command == CLI_TRAIN
                                      ? default_train_preset(o, run_data_dir, sizeof run_data_dir)
                                      : "demo",
                                  err, errlen) != 0) {
        return -1;
    }
    if (run_data_dir[0] && config_set(cfg, "data.dir", run_data_dir, err, errlen) != 0)
        return -1;
    Config saved = *cfg;
    for (int i = 0; i < o->n_sets; i++)
        if (config_set_assignment(cfg, o->sets[i], err, errlen) != 0)
            return -1;
    if (o->resume_dir && check_resume_keys(&saved, cfg, o->resume_dir, err, errlen) != 0)
        return -1;
    if (o->data_dir && config_set(cfg, "data.dir", o->data_dir, err, errlen) != 0)
        return -1;
    char num[32];
    if (o->have_seed) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)o->seed);
        if (config_set(cfg, "run.seed", num, err, errlen) != 0)
            return -1;
    }
    if (o->threads) {
        snprintf(num, sizeof num, "%d", o->threads);
        if (config_set(cfg, "run.threads", num, err, errlen) != 0)
            return -1;
    }
    return config_validate(cfg, err, errlen);
}

/* path = the file holding the cell src names: a run directory's
 * genotype.py (always with run_dir), else src itself. */
static int genotype_path(const char *src, int run_dir, char *path, size_t len, char *err,
                         size_t errlen)
{
    struct stat st;
    if (run_dir || (stat(src, &st) == 0 && S_ISDIR(st.st_mode))) {
        /* A search run directory: the cell it derived (the last report's, or
         * the final one). A training run's directory holds its cell there too. */
        if (snprintf(path, len, "%s/genotype.py", src) >= (int)len) {
            snprintf(err, errlen, "%.60s...: path of %zu bytes (at most %d)", src, strlen(src),
                     RUNDIR_PATH_MAX - 1);
            return -1;
        }
        if (access(path, F_OK) != 0) {
            snprintf(err, errlen,
                     "%s: no such file (expected a run directory holding its derived cell)", path);
            return -1;
        }
        return 0;
    }
    if (access(src, F_OK) != 0) {
        snprintf(err, errlen,
                 "--genotype %s: no such file or directory (expected a search run directory, a "
                 "genotype file, DARTS_V1 or DARTS_V2)",
                 src);
        return -1;
    }
    snprintf(path, len, "%s", src);
    return 0;
}

/* *any = the cell in path (heap: an AnyGenotype is large); NULL on error. */
static AnyGenotype *genotype_read(const char *path, char *err, size_t errlen)
{
    AnyGenotype *any = malloc(sizeof *any);
    if (!any) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (genotype_read_file_any(path, any, err, errlen) != 0) {
        free(any);
        return NULL;
    }
    return any;
}

int cli_genotype(const CliOptions *o, const Config *cfg, Genotype *g, RnnGenotype *rg, char *err,
                 size_t errlen)
{
    const int recurrent = config_is_recurrent(cfg);
    const char *src = o->resume_dir ? o->resume_dir : o->genotype;
    if (!o->resume_dir &&
        (recurrent ? rnn_genotype_published(src, rg) : genotype_published(src, g)) == 0)
        return 0;
    char path[RUNDIR_FILE_MAX];
    if (genotype_path(src, o->resume_dir != NULL, path, sizeof path, err, errlen) != 0)
        return -1;
    AnyGenotype *any = genotype_read(path, err, errlen);
    if (!any)
        return -1;
    int rc = 0;
    if (recurrent != (any->kind == GENOTYPE_KIND_RECURRENT)) {
        if (recurrent)
            snprintf(
                err, errlen,
                "%s: a CNN cell (normal=..., reduce=...), but preset %s (data.set %s) trains "
                "a recurrent cell (expected Genotype(recurrent=[...], concat=...), or a preset "
                "of images)",
                path, cfg->preset, cfg->data.set);
        else
            snprintf(err, errlen,
                     "--genotype %s is a recurrent cell, but preset %s (data.set %s) trains a CNN "
                     "cell (expected a preset of text, e.g. --preset rnn-train-test)",
                     path, cfg->preset, cfg->data.set);
        rc = -1;
    }
    if (rc == 0 && recurrent)
        *rg = any->rnn;
    else if (rc == 0)
        *g = any->cnn;
    free(any);
    if (rc != 0)
        return -1;
    if (!recurrent && g->nodes != cfg->model.nodes) {
        snprintf(err, errlen,
                 "%s: a cell of %d intermediate nodes does not fit model.nodes = %d (expected a "
                 "genotype with %d nodes, or --set model.nodes=%d)",
                 path, g->nodes, cfg->model.nodes, cfg->model.nodes, g->nodes);
        return -1;
    }
    return 0;
}

int cli_bench_genotype(const char *src, Genotype *g, char *err, size_t errlen)
{
    if (genotype_published(src, g) == 0)
        return 0;
    char path[RUNDIR_FILE_MAX];
    if (genotype_path(src, 0, path, sizeof path, err, errlen) != 0)
        return -1;
    AnyGenotype *any = genotype_read(path, err, errlen);
    if (!any)
        return -1;
    const int cnn = any->kind != GENOTYPE_KIND_RECURRENT;
    if (cnn)
        *g = any->cnn;
    else
        snprintf(err, errlen,
                 "--genotype %s is a recurrent cell, but bench --train times CNN cells (expected "
                 "normal=..., reduce=...; bench --rnn --train times a recurrent cell's training)",
                 path);
    free(any);
    return cnn ? 0 : -1;
}
