/* config_types: the values of a run's configuration, as a plain struct.
 *
 * The numerics (data, search) read these fields and nothing else of the
 * configuration; the loader, the key table and the YAML writer live above
 * them in io (config.h), so the numeric library links without libyaml.
 */
#ifndef DARTBOARD_CONFIG_TYPES_H
#define DARTBOARD_CONFIG_TYPES_H

#include <stdint.h>

#define CONFIG_STR 256

typedef struct Config {
    struct {
        char set[32];         /* fashion-mnist | cifar10 | synthetic */
        char dir[CONFIG_STR]; /* where the dataset files are */
        double train_portion; /* fraction of the training set that trains weights */
        int train_images;     /* the first N training images only (0: all) */
        int batch_size;
        int augment;         /* random crop (pad 4) + horizontal flip */
        int synthetic_size;  /* synthetic: images in the training set */
        int synthetic_image; /* synthetic: height = width */
        int synthetic_channels;
        int classes; /* synthetic: classes (datasets: fixed 10) */
    } data;
    struct {
        int init_channels, layers, nodes, stem_multiplier;
    } model;
    struct {
        double lr, lr_min, momentum, weight_decay, grad_clip;
    } optim;
    struct {
        int order; /* 0 weights only, 1 first order, 2 second order */
        double lr, weight_decay, beta1, beta2;
    } arch;
    struct {
        double beta_lambda; /* beta-DARTS: the regulariser's weight at the last epoch (0: off) */
        double sdarts_eps;  /* SDARTS-RS: the noise amplitude at the last epoch (0: off) */
        double darts_minus_beta; /* DARTS-: the auxiliary skip's weight at epoch 0 (0: off) */
        int fair_darts;          /* Fair DARTS: sigmoid op weights, no none */
        double fair_zero_one;    /* Fair DARTS: the zero-one loss's weight */
        int pc_k;                /* PC-DARTS: 1/pc_k of the channels through the ops (0, 1: off) */
        int edge_norm;           /* PC-DARTS: edge normalisation (betas) */
        int pc_warmup;           /* epochs before the architecture steps start */
        double adaptive_wd;      /* RobustDARTS-ADA: weight decay factor on a DARTS-ES trigger */
        double adaptive_wd_max;  /* ... and the weight decay it stops at */
    } remedy;                    /* remedies against collapse (remedy.h), searches only */
    struct {
        double drop_path;  /* drop-path probability reached at the last epoch */
        int auxiliary;     /* auxiliary head after cell 2*layers/3 */
        double aux_weight; /* weight of its loss */
        int cutout;        /* side of the cutout square in pixels (0: none) */
    } train;               /* training a derived cell from scratch (dartboard train) */
    struct {
        int size; /* embedding = hidden size */
        int bptt; /* tokens per back-propagation window */
        double dropout, dropout_hidden, dropout_x, dropout_input, dropout_embed;
        double tar;  /* temporal activation regularisation weight (beta) */
        int nonmono; /* dartboard train: epochs without improvement before ASGD */
    } rnn;           /* the recurrent (language-model) cell: data.set kjv or text */
    struct {
        int epochs;
        uint64_t seed;
        int threads, report_every, checkpoint_every, eval_samples;
        int sync_bn; /* under mpirun: BN batch statistics over every process */
    } run;
    struct {
        int every, iters;   /* steps between monitor rows (0: off); power iterations */
        double lambda_warn; /* lambda_max that earns a warning */
        int es;             /* DARTS-ES early stopping (monitor.h) */
        int es_window;      /* evaluations per local average */
        double es_ratio;    /* stop when the local average grows by more than this */
        double es_start;    /* ... over one centred at this epoch or later */
    } monitor;              /* collapse monitors (docs/ARCHITECTURE.md) */
    char preset[64];        /* name the configuration came from (for titles, run dir names) */
} Config;

#endif
