/* tiny_search.h: the tiny synthetic search the search and remedy tests
 * share (96 images of 8x8, 4 classes, C=4, 3 cells, batch 8). Each test
 * program defines the Dataset `data` the search reads before including it. */
#ifndef DARTBOARD_TINY_SEARCH_H
#define DARTBOARD_TINY_SEARCH_H

#include <stdio.h>
#include <stdlib.h>

#include "dartboard/config.h"
#include "dartboard/search.h"
#include "tap.h"

static void base_config(Config *c)
{
    config_defaults(c);
    snprintf(c->data.set, sizeof c->data.set, "synthetic");
    c->data.synthetic_size = 96;
    c->data.synthetic_image = 8;
    c->data.synthetic_channels = 1;
    c->data.classes = 4;
    c->data.batch_size = 8;
    c->data.train_portion = 0.5;
    c->data.augment = 1;
    c->model.init_channels = 4;
    c->model.layers = 3;
    c->model.nodes = 4;
    c->model.stem_multiplier = 3;
    c->optim.lr = 0.05;
    c->optim.lr_min = 0.001;
    c->arch.order = 1;
    c->arch.lr = 3e-3;
    c->run.epochs = 4;
    c->run.seed = 3;
}

static Search *make(const Config *c)
{
    char err[512];
    Search *s = search_create(c, &data, err, sizeof err);
    if (!s) {
        diag("search_create: %s", err);
        exit(99);
    }
    return s;
}

/* steps search steps; -1 (said) at the first that fails. last: the newest
 * step's statistics, or NULL. */
static int run(Search *s, const Config *c, int steps, StepStats *last)
{
    char err[512];
    for (int k = 0; k < steps; k++)
        if (search_step(s, c, last, err, sizeof err) != 0) {
            diag("step %lld: %s", (long long)search_step_count(s), err);
            return -1;
        }
    return 0;
}

/* from's whole state into to, through a temporary file (what a checkpoint
 * holds); 0, or nonzero with err set when to refuses it. */
static inline int copy_state(Search *from, Search *to, char *err, size_t errlen)
{
    FILE *f = tmpfile();
    int rc = !f || search_save_state(from, f) != 0;
    if (rc)
        snprintf(err, errlen, "could not save the state to a temporary file");
    else {
        rewind(f);
        rc = search_load_state(to, f, err, errlen);
    }
    if (f)
        fclose(f);
    return rc;
}

#endif
