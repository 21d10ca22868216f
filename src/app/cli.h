/* cli: the command line of dartboard (docs/ARCHITECTURE.md, Command line), parsed into
 * options, and the configuration it describes. Parsing never exits: errors
 * come back as text for main to print with exit status 2.
 */
#ifndef DARTBOARD_CLI_H
#define DARTBOARD_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dartboard/config.h"
#include "dartboard/genotype.h"
#include "dartboard/rnn_genotype.h"

typedef enum CliCommand {
    CLI_SEARCH,
    CLI_TRAIN,
    CLI_BENCH,
    CLI_EXPORT,
    CLI_PRESETS,
    CLI_HELP,
    CLI_VERSION,
    CLI_CORPUS,
    CLI_ATTACH, /* a viewer on a running search */
    CLI_LS,     /* the runs under a directory */
    CLI_COMMAND_COUNT
} CliCommand;

#define CLI_MAX_SETS 64

typedef struct CliOptions {
    CliCommand command;
    /* search */
    const char *preset, *data_dir, *out_dir, *resume_dir;
    const char *sets[CLI_MAX_SETS];
    int n_sets;
    int headless, ascii, no_color; /* no_color: --no-color, or NO_COLOR set */
    int64_t steps;                 /* 0: not given */
    int epochs, threads;           /* 0: not given */
    int have_seed;
    uint64_t seed;
    /* train */
    const char *genotype; /* --genotype */
    /* bench */
    char bench_config; /* 'A' | 'B' | 'C' */
    int bench_order, bench_steps, bench_kernels;
    int bench_profile;          /* per-op-family time of the timed steps */
    int bench_batch;            /* 0: the config's own */
    int bench_train;            /* time training steps of a derived cell instead */
    const char *bench_genotype; /* --train: as train's --genotype (cli_bench_genotype) */
    char bench_shape[16];       /* --train: fashion|cifar */
    int bench_rnn;              /* --rnn: the recurrent search (bench_rnn.h) */
    int bench_bptt, bench_size, bench_ntoken;
    /* corpus: --data DIR (data_dir) and --cache DIR */
    const char *cache_dir;
    /* viewers: search --detach; attach [RUN_DIR] --read-only; ls [DIR] */
    int detach, read_only;
    int paused;         /* search --paused: start paused (how `d` hands on a paused search) */
    const char *target; /* attach's RUN_DIR, ls's DIR (NULL: runs/) */
    /* export: the arguments after the word "export" */
    int rest_argc;
    char **rest_argv;
} CliOptions;

/* 0, or -1 with err (a usage error). */
int cli_parse(CliOptions *o, int argc, char **argv, char *err, size_t errlen);
void cli_usage(FILE *f);
/* The configuration of a search: the preset (default "demo") or, with
 * --resume, the run's config.yaml; then --set, --data, --seed, --threads in
 * that order. 0, or -1 with err naming the file/key and what was expected. */
int cli_config(const CliOptions *o, Config *cfg, char *err, size_t errlen);

/* The cell `dartboard train` trains, of the kind the configuration's data
 * says (text: a recurrent cell into rg, images: a CNN cell into g):
 * --genotype as a published name (DARTS_V1, DARTS_V2 = DARTS), a run
 * directory (its genotype.py) or a genotype file in any dialect; with
 * --resume, the run's genotype.py. A CNN cell must have model.nodes
 * intermediate nodes. 0, or -1 with err naming the file and what was
 * expected. */
int cli_genotype(const CliOptions *o, const Config *cfg, Genotype *g, RnnGenotype *rg, char *err,
                 size_t errlen);

/* bench --train's cell: --genotype as for train (a published name, a run
 * directory or a genotype file), a CNN cell of any node count. 0, or -1
 * with err naming the file and the reason. */
int cli_bench_genotype(const char *src, Genotype *g, char *err, size_t errlen);
#endif
