/* config: the key table, YAML presets (libyaml events), --set overrides and
 * the commented YAML a run writes back; see include/dartboard/config.h.
 *
 * Every key lives in one X-macro list, which gives both the public ConfigKey
 * table and where each value sits in a Config. Defaults are parsed from the
 * table's default text with the same code that parses files and --set, so
 * the text shown to users is exactly what a run gets.
 */
#include "dartboard/config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "dartboard/remedy.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* X(name, type, field, min, max, min_open, choices, default, live, description) */
#define CONFIG_KEY_LIST(X)                                                                         \
    X("data.set", CONFIG_CHOICE, data.set, 0, 0, 0, "fashion-mnist|cifar10|synthetic|kjv|text",    \
      "fashion-mnist", 0,                                                                          \
      "dataset: images (a CNN cell) or text (kjv, or text: PTB/WikiText-2 in data.dir; a "         \
      "recurrent cell)")                                                                           \
    X("data.dir", CONFIG_STRING, data.dir, 0, 0, 0, NULL, FASHION_MNIST_DIR, 0,                    \
      "directory of the dataset files (--data DIR)")                                               \
    X("data.train_portion", CONFIG_DOUBLE, data.train_portion, 0.05, 0.95, 0, NULL, "0.5", 0,      \
      "fraction of the training set that trains the weights; the rest trains the alphas")          \
    X("data.train_images", CONFIG_INT, data.train_images, 0, 1000000, 0, NULL, "0", 0,             \
      "use only the first N images of the training split (0: all of them), for short trials")      \
    X("data.batch_size", CONFIG_INT, data.batch_size, 1, 1024, 0, NULL, "64", 0,                   \
      "images per batch (weight step and alpha step alike)")                                       \
    X("data.augment", CONFIG_BOOL, data.augment, 0, 1, 0, NULL, "true", 0,                         \
      "random crop with 4 px padding and horizontal flip on both halves")                          \
    X("data.synthetic_size", CONFIG_INT, data.synthetic_size, 8, 60000, 0, NULL, "1024", 0,        \
      "synthetic data: images in the training set (the test set has a quarter)")                   \
    X("data.synthetic_image", CONFIG_INT, data.synthetic_image, 4, 64, 0, NULL, "16", 0,           \
      "synthetic data: image height and width in pixels (a multiple of 4)")                        \
    X("data.synthetic_channels", CONFIG_INT, data.synthetic_channels, 1, 3, 0, NULL, "1", 0,       \
      "synthetic data: image channels")                                                            \
    X("data.classes", CONFIG_INT, data.classes, 2, 10, 0, NULL, "10", 0,                           \
      "classes of synthetic data (Fashion-MNIST and CIFAR-10 have 10)")                            \
    X("model.init_channels", CONFIG_INT, model.init_channels, 1, 256, 0, NULL, "16", 0,            \
      "channels C of the first cells (doubled at each reduction)")                                 \
    X("model.layers", CONFIG_INT, model.layers, 3, 64, 0, NULL, "8", 0,                            \
      "cells in the supernet; reductions at layers/3 and 2*layers/3")                              \
    X("model.nodes", CONFIG_INT, model.nodes, 1, 8, 0, NULL, "4", 0,                               \
      "intermediate nodes per cell")                                                               \
    X("model.stem_multiplier", CONFIG_INT, model.stem_multiplier, 1, 8, 0, NULL, "3", 0,           \
      "the stem convolution outputs stem_multiplier * C channels")                                 \
    X("optim.lr", CONFIG_DOUBLE, optim.lr, 0, 100, 1, NULL, "0.025", 1,                            \
      "weight learning rate (SGD) at the start of the cosine schedule (text: the constant lr, "    \
      "20 in the paper)")                                                                          \
    X("optim.lr_min", CONFIG_DOUBLE, optim.lr_min, 0, 10, 0, NULL, "0.001", 1,                     \
      "weight learning rate at the end of the cosine schedule")                                    \
    X("optim.momentum", CONFIG_DOUBLE, optim.momentum, 0, 0.999, 0, NULL, "0.9", 1,                \
      "SGD momentum of the weights")                                                               \
    X("optim.weight_decay", CONFIG_DOUBLE, optim.weight_decay, 0, 1, 0, NULL, "3e-4", 1,           \
      "L2 weight decay of the weights")                                                            \
    X("optim.grad_clip", CONFIG_DOUBLE, optim.grad_clip, 0, 1000, 1, NULL, "5", 1,                 \
      "clip the weight gradient to this global norm")                                              \
    X("arch.order", CONFIG_INT, arch.order, 0, 2, 0, NULL, "1", 1,                                 \
      "0: train weights only, 1: first-order DARTS, 2: second-order (unrolled) DARTS")             \
    X("arch.lr", CONFIG_DOUBLE, arch.lr, 0, 1, 1, NULL, "3e-4", 1,                                 \
      "Adam learning rate of the architecture weights (alphas)")                                   \
    X("arch.weight_decay", CONFIG_DOUBLE, arch.weight_decay, 0, 1, 0, NULL, "1e-3", 1,             \
      "weight decay of the alphas (added to their gradient)")                                      \
    X("arch.beta1", CONFIG_DOUBLE, arch.beta1, 0, 0.9999, 0, NULL, "0.5", 0,                       \
      "Adam beta1 of the alphas")                                                                  \
    X("arch.beta2", CONFIG_DOUBLE, arch.beta2, 0, 0.99999, 0, NULL, "0.999", 0,                    \
      "Adam beta2 of the alphas")                                                                  \
    X("remedy.beta_lambda", CONFIG_DOUBLE, remedy.beta_lambda, 0, 1000, 0, NULL, "0", 1,           \
      "beta-DARTS: alpha loss + lambda * mean over edges of logsumexp(alpha), lambda ramped "      \
      "linearly to this at the last epoch (the paper: 50; 0: off)")                                \
    X("remedy.sdarts_eps", CONFIG_DOUBLE, remedy.sdarts_eps, 0, 1, 0, NULL, "0", 1,                \
      "SDARTS-RS: the weight step sees softmax(alpha) + uniform noise in [-eps, eps], eps ramped " \
      "from 0.03 to this (the paper: 0.3; 0: off)")                                                \
    X("remedy.darts_minus_beta", CONFIG_DOUBLE, remedy.darts_minus_beta, 0, 10, 0, NULL, "0", 0,   \
      "DARTS-: every mixed op adds beta * x (FactorizedReduce when strided), beta decaying "       \
      "linearly from this to 0 over the epochs (the paper: 1; 0: off)")                            \
    X("remedy.fair_darts", CONFIG_BOOL, remedy.fair_darts, 0, 1, 0, NULL, "false", 0,              \
      "Fair DARTS: op weights sigmoid(alpha) instead of softmax, no none op, the alpha loss "      \
      "gains the zero-one loss")                                                                   \
    X("remedy.fair_zero_one", CONFIG_DOUBLE, remedy.fair_zero_one, 0, 1000, 0, NULL, "10", 1,      \
      "Fair DARTS: weight of the zero-one loss -mean((sigmoid(alpha) - 0.5)^2) (the paper: 10)")   \
    X("remedy.pc_k", CONFIG_INT, remedy.pc_k, 0, 64, 0, NULL, "0", 0,                              \
      "PC-DARTS: 1/K of each edge's channels go through the ops, the rest bypass them, then a "    \
      "channel shuffle; K divides model.init_channels (the paper: 4; 0 or 1: off)")                \
    X("remedy.edge_norm", CONFIG_BOOL, remedy.edge_norm, 0, 1, 0, NULL, "false", 0,                \
      "PC-DARTS: edge normalisation, each edge weighted by a softmax of betas over its node's "    \
      "incoming edges, also when the cell is derived")                                             \
    X("remedy.pc_warmup", CONFIG_INT, remedy.pc_warmup, 0, 100000, 0, NULL, "0", 0,                \
      "epochs of weight training before the alphas (and betas) are updated (the paper: 15)")       \
    X("remedy.adaptive_wd", CONFIG_DOUBLE, remedy.adaptive_wd, 0, 100, 0, NULL, "0", 1,            \
      "RobustDARTS's adaptive regularisation: a DARTS-ES trigger rolls back to its earlier point " \
      "and multiplies optim.weight_decay by this (the paper: 3; 0: off)")                          \
    X("remedy.adaptive_wd_max", CONFIG_DOUBLE, remedy.adaptive_wd_max, 0, 1, 1, NULL, "0.0243", 1, \
      "RobustDARTS's adaptive regularisation: the largest weight decay; a trigger there stops "    \
      "the search as DARTS-ES does (the paper: 0.0243 = 3e-4 * 3^4)")                              \
    X("train.drop_path", CONFIG_DOUBLE, train.drop_path, 0, 0.95, 0, NULL, "0.2", 1,               \
      "dartboard train: drop-path probability at the last epoch (grows linearly from 0)")          \
    X("train.auxiliary", CONFIG_BOOL, train.auxiliary, 0, 1, 0, NULL, "true", 0,                   \
      "dartboard train: auxiliary classifier after cell 2*layers/3 (training only)")               \
    X("train.aux_weight", CONFIG_DOUBLE, train.aux_weight, 0, 10, 0, NULL, "0.4", 1,               \
      "dartboard train: weight of the auxiliary classifier's loss")                                \
    X("train.cutout", CONFIG_INT, train.cutout, 0, 64, 0, NULL, "16", 0,                           \
      "dartboard train: side of the square cut out of each training image (0: no cutout)")         \
    X("rnn.size", CONFIG_INT, rnn.size, 2, 4096, 0, NULL, "300", 0,                                \
      "text: embedding = hidden size of the recurrent cell (the decoder is tied to the "           \
      "embedding)")                                                                                \
    X("rnn.bptt", CONFIG_INT, rnn.bptt, 2, 1000, 0, NULL, "35", 0,                                 \
      "text: tokens per truncated back-propagation window (halved with probability 0.05)")         \
    X("rnn.dropout", CONFIG_DOUBLE, rnn.dropout, 0, 0.95, 0, NULL, "0.75", 1,                      \
      "text: locked dropout on the cell's output")                                                 \
    X("rnn.dropout_hidden", CONFIG_DOUBLE, rnn.dropout_hidden, 0, 0.95, 0, NULL, "0.25", 1,        \
      "text: dropout on the hidden state inside the cell (mh)")                                    \
    X("rnn.dropout_x", CONFIG_DOUBLE, rnn.dropout_x, 0, 0.95, 0, NULL, "0.75", 1,                  \
      "text: dropout on the cell's input (mx)")                                                    \
    X("rnn.dropout_input", CONFIG_DOUBLE, rnn.dropout_input, 0, 0.95, 0, NULL, "0.2", 1,           \
      "text: locked dropout on the embedding's output")                                            \
    X("rnn.dropout_embed", CONFIG_DOUBLE, rnn.dropout_embed, 0, 0.95, 0, NULL, "0", 1,             \
      "text: word dropout (whole embedding rows)")                                                 \
    X("rnn.tar", CONFIG_DOUBLE, rnn.tar, 0, 100, 0, NULL, "1e-3", 1,                               \
      "text: weight of the temporal activation regularisation mean((h_t - h_{t-1})^2)")            \
    X("rnn.nonmono", CONFIG_INT, rnn.nonmono, 0, 1000, 0, NULL, "5", 1,                            \
      "text, dartboard train: epochs without a better validation loss before averaged SGD "        \
      "(0: never)")                                                                                \
    X("run.epochs", CONFIG_INT, run.epochs, 1, 100000, 0, NULL, "50", 1,                           \
      "epochs of the run (the cosine schedule spans them)")                                        \
    X("run.seed", CONFIG_UINT64, run.seed, 0, 18446744073709551615.0, 0, NULL, "2", 0,             \
      "seed of the weights, alphas, data order, augmentation and synthetic data")                  \
    X("run.threads", CONFIG_INT, run.threads, 1, 256, 0, NULL, "2", 0,                             \
      "compute threads (--threads)")                                                               \
    X("run.report_every", CONFIG_INT, run.report_every, 1, 1000000, 0, NULL, "50", 1,              \
      "steps between metric rows and progress lines")                                              \
    X("run.checkpoint_every", CONFIG_INT, run.checkpoint_every, 0, 1000000000, 0, NULL, "200", 1,  \
      "steps between checkpoints (0: only when the run ends or stops)")                            \
    X("run.eval_samples", CONFIG_INT, run.eval_samples, 1, 1000000, 0, NULL, "10000", 0,           \
      "val-split images evaluated (eval-mode BN) at the end of each epoch and of the run")         \
    X("run.sync_bn", CONFIG_BOOL, run.sync_bn, 0, 1, 0, NULL, "false", 0,                          \
      "under mpirun: BatchNorm statistics over the global batch (else per process)")               \
    X("monitor.every", CONFIG_INT, monitor.every, 0, 1000000000, 0, NULL, "500", 0,                \
      "steps between collapse monitor rows (lambda_max, skips) in monitors.csv (0: off)")          \
    X("monitor.iters", CONFIG_INT, monitor.iters, 1, 1000, 0, NULL, "20", 1,                       \
      "power iterations (Hessian-vector products) per lambda_max")                                 \
    X("monitor.lambda_warn", CONFIG_DOUBLE, monitor.lambda_warn, 0, 1e9, 1, NULL, "1", 1,          \
      "lambda_max above which the search warns of collapse")                                       \
    X("monitor.es", CONFIG_BOOL, monitor.es, 0, 1, 0, NULL, "false", 1,                            \
      "DARTS-ES: stop when lambda_max's local average grows by monitor.es_ratio")                  \
    X("monitor.es_window", CONFIG_INT, monitor.es_window, 1, 64, 0, NULL, "5", 0,                  \
      "DARTS-ES: monitor rows per local average of lambda_max")                                    \
    X("monitor.es_ratio", CONFIG_DOUBLE, monitor.es_ratio, 1, 1e6, 0, NULL, "1.3", 0,              \
      "DARTS-ES: stop above this ratio of the local average over the one 4 rows earlier")          \
    X("monitor.es_start", CONFIG_DOUBLE, monitor.es_start, 0, 100000, 0, NULL, "10", 0,            \
      "DARTS-ES: the earlier local average must be centred at this epoch or later")

#define KEY_ENTRY(name, type, field, lo, hi, open, choices, def, live, desc)                       \
    {name, type, lo, hi, choices, desc, def, live, open},
#define KEY_OFFSET(name, type, field, lo, hi, open, choices, def, live, desc)                      \
    offsetof(Config, field),
#define KEY_SIZE(name, type, field, lo, hi, open, choices, def, live, desc)                        \
    sizeof(((Config *)0)->field),

static const ConfigKey keys[] = {CONFIG_KEY_LIST(KEY_ENTRY)};
static const size_t key_offsets[] = {CONFIG_KEY_LIST(KEY_OFFSET)};
static const size_t key_sizes[] = {CONFIG_KEY_LIST(KEY_SIZE)};

enum { KEY_COUNT = sizeof keys / sizeof keys[0] };

static const char *const sections[] = {"data",  "model", "optim", "arch",   "remedy",
                                       "train", "rnn",   "run",   "monitor"};
enum { SECTION_COUNT = sizeof sections / sizeof sections[0] };

const ConfigKey *config_keys(int *count)
{
    if (count)
        *count = KEY_COUNT;
    return keys;
}

static int key_index(const char *name)
{
    for (int i = 0; i < KEY_COUNT; i++)
        if (strcmp(keys[i].name, name) == 0)
            return i;
    return -1;
}

int config_is_recurrent(const Config *c)
{
    return strcmp(c->data.set, "kjv") == 0 || strcmp(c->data.set, "text") == 0;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int config_key_applies(const ConfigKey *k, int training, int recurrent)
{
    if (has_prefix(k->name, training ? "arch." : "train."))
        return 0;
    if (has_prefix(k->name, "remedy.")      /* the CNN search's step only */
        || has_prefix(k->name, "monitor.")) /* the collapse monitors watch a CNN search */
        return !training && !recurrent;
    if (recurrent) /* the recurrent cell has its own shape and regularisers */
        return !has_prefix(k->name, "model.") && !has_prefix(k->name, "train.") &&
               !has_prefix(k->name, "data.synthetic") && strcmp(k->name, "data.augment") != 0 &&
               strcmp(k->name, "data.classes") != 0 && strcmp(k->name, "data.train_images") != 0;
    return !has_prefix(k->name, "rnn.");
}

const ConfigKey *config_key_find(const char *name)
{
    int i = key_index(name);
    return i < 0 ? NULL : &keys[i];
}

static void *key_field(Config *c, int i)
{
    return (char *)c + key_offsets[i];
}

static const void *key_field_const(const Config *c, int i)
{
    return (const char *)c + key_offsets[i];
}

/* The part of "section.key" after the dot, as the range messages use it. */
static const char *short_name(const char *name)
{
    const char *dot = strchr(name, '.');
    return dot ? dot + 1 : name;
}

/* ---------------------------------------------------------------- values */

static void range_text(const ConfigKey *k, char *buf, size_t len)
{
    snprintf(buf, len, "expected %.10g %s %s <= %.10g", k->min,
             k->min_open ? "<" : "<=", short_name(k->name), k->max);
}

static int in_range(const ConfigKey *k, double v)
{
    return (k->min_open ? v > k->min : v >= k->min) && v <= k->max;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int choice_ok(const char *choices, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && n > 0 && strncmp(p, s, n) == 0)
            return 1;
        p += len + (bar ? 1 : 0);
    }
    return 0;
}

/* Bytes in the valid UTF-8 sequence at p (1..4), or 0: YAML files must be
 * UTF-8, so text that goes into one is checked where it comes in. */
static int utf8_sequence(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
            : p[0] >= 0xe0 && p[0] <= 0xef ? 3
            : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                           : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* no overlong forms, surrogates or code points beyond U+10FFFF */
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
        return 0;
    return n;
}

/* Parses `text` for key i into the field of *c. -1 with `why` = "expected
 * ..." when the text is not a valid value of the key. */
static int parse_value(Config *c, int i, const char *text, char *why, size_t whylen)
{
    const ConfigKey *k = &keys[i];
    void *field = key_field(c, i);
    char *end;
    while (isspace((unsigned char)*text))
        text++;
    switch (k->type) {
    case CONFIG_INT: {
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (end == text || *end || errno) {
            snprintf(why, whylen, "expected an integer");
            return -1;
        }
        if (!in_range(k, (double)v)) {
            range_text(k, why, whylen);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case CONFIG_UINT64: {
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (end == text || *end || errno || *text == '-' || *text == '+') {
            snprintf(why, whylen, "expected an integer from 0 to 18446744073709551615");
            return -1;
        }
        *(uint64_t *)field = (uint64_t)v;
        return 0;
    }
    case CONFIG_DOUBLE: {
        double v = strtod(text, &end);
        /* ERANGE is not checked: an underflow still gives the nearest
         * double (0 or a subnormal), which the range judges; an overflow
         * gives infinity */
        if (end == text || *end || !isfinite(v)) {
            snprintf(why, whylen, "expected a number");
            return -1;
        }
        if (!in_range(k, v)) {
            range_text(k, why, whylen);
            return -1;
        }
        *(double *)field = v;
        return 0;
    }
    case CONFIG_BOOL:
        if (parse_bool(text, (int *)field) < 0) {
            snprintf(why, whylen, "expected true or false");
            return -1;
        }
        return 0;
    case CONFIG_CHOICE:
        if (!choice_ok(k->choices, text)) {
            snprintf(why, whylen, "expected one of %s", k->choices);
            return -1;
        }
        snprintf(field, key_sizes[i], "%s", text);
        return 0;
    case CONFIG_STRING:
        if (strlen(text) >= key_sizes[i]) {
            snprintf(why, whylen, "expected at most %zu characters", key_sizes[i] - 1);
            return -1;
        }
        if (!*text) {
            snprintf(why, whylen, "expected a non-empty text");
            return -1;
        }
        for (const char *p = text; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                snprintf(why, whylen, "expected text without control characters");
                return -1;
            }
        for (const unsigned char *p = (const unsigned char *)text; *p;) {
            int len = utf8_sequence(p);
            if (!len) {
                snprintf(why, whylen, "expected UTF-8 text");
                return -1;
            }
            p += len;
        }
        snprintf(field, key_sizes[i], "%s", text);
        return 0;
    }
    snprintf(why, whylen, "unhandled key type");
    return -1;
}

/* The shortest decimal that reads back as exactly v. */
static void format_double(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 1e15) { /* "50", not the shorter "5e+01" */
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

int config_get(const Config *c, const char *key, char *buf, size_t buflen)
{
    int i = key_index(key);
    if (i < 0 || buflen == 0)
        return -1;
    const void *field = key_field_const(c, i);
    switch (keys[i].type) {
    case CONFIG_INT:
        snprintf(buf, buflen, "%d", *(const int *)field);
        break;
    case CONFIG_UINT64:
        snprintf(buf, buflen, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case CONFIG_DOUBLE:
        format_double(*(const double *)field, buf, buflen);
        break;
    case CONFIG_BOOL:
        snprintf(buf, buflen, "%s", *(const int *)field ? "true" : "false");
        break;
    case CONFIG_CHOICE:
    case CONFIG_STRING:
        snprintf(buf, buflen, "%s", (const char *)field);
        break;
    }
    return 0;
}

void config_defaults(Config *c)
{
    char why[128];
    memset(c, 0, sizeof *c);
    for (int i = 0; i < KEY_COUNT; i++)
        if (parse_value(c, i, keys[i].default_text, why, sizeof why) < 0)
            abort(); /* a default outside its own range: the table is wrong */
}

/* ---------------------------------------------------------------- suggestions */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The key a mistyped name most likely meant, or NULL: the same key name in
 * another section first, else the nearest name by edit distance if it is
 * near enough to be a typo. */
static const char *nearest_key(const char *name)
{
    for (int i = 0; i < KEY_COUNT; i++)
        if (strcmp(short_name(keys[i].name), short_name(name)) == 0)
            return keys[i].name;
    size_t best = (size_t)-1;
    const char *found = NULL;
    for (int i = 0; i < KEY_COUNT; i++) {
        size_t d = edit_distance(name, keys[i].name);
        if (d < best) {
            best = d;
            found = keys[i].name;
        }
    }
    return best <= 2 + strlen(name) / 4 ? found : NULL;
}

static const char *nearest_section(const char *name)
{
    size_t best = (size_t)-1;
    const char *found = NULL;
    for (int i = 0; i < SECTION_COUNT; i++) {
        size_t d = edit_distance(name, sections[i]);
        if (d < best) {
            best = d;
            found = sections[i];
        }
    }
    return best <= 1 + strlen(name) / 3 ? found : NULL;
}

/* "unknown key 'x' (did you mean 'y'?)" or, with no near key, the keys of
 * the section (or the sections). */
static void unknown_key_text(const char *name, char *buf, size_t len)
{
    for (int s = 0; s < SECTION_COUNT; s++)
        if (strchr(name, '.') && strcmp(short_name(name), sections[s]) == 0) {
            snprintf(buf, len,
                     "unknown key '%s' ('%s' is a section: check the indentation, sections "
                     "start in the first column)",
                     name, sections[s]);
            return;
        }
    const char *near = nearest_key(name);
    if (near) {
        snprintf(buf, len, "unknown key '%s' (did you mean '%s'?)", name, near);
        return;
    }
    const char *dot = strchr(name, '.');
    size_t sec_len = dot ? (size_t)(dot - name) : 0;
    int used = snprintf(buf, len, "unknown key '%s' (expected one of", name);
    int listed = 0;
    for (int i = 0; i < KEY_COUNT && used > 0 && (size_t)used < len; i++) {
        if (sec_len && strncmp(keys[i].name, name, sec_len + 1) != 0)
            continue;
        used += snprintf(buf + used, len - (size_t)used, "%s%s", listed ? ", " : " ",
                         sec_len ? short_name(keys[i].name) : keys[i].name);
        listed++;
    }
    if (!listed) { /* no such section either */
        const char *sec = NULL;
        char head[64];
        snprintf(head, sizeof head, "%.*s", (int)(sec_len < 63 ? sec_len : 63), name);
        sec = nearest_section(head);
        if (sec)
            snprintf(buf, len, "unknown key '%s' (no section '%s'; did you mean '%s'?)", name, head,
                     sec);
        else
            snprintf(buf, len,
                     "unknown key '%s' (expected section.key with a section of "
                     "data, model, optim, arch, remedy, train, rnn, run, monitor)",
                     name);
        return;
    }
    if (used > 0 && (size_t)used < len)
        snprintf(buf + used, len - (size_t)used, ")");
}

/* ---------------------------------------------------------------- set */

static void set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int config_set(Config *c, const char *key, const char *value, char *err, size_t errlen)
{
    char why[160];
    int i = key_index(key);
    if (i < 0) {
        unknown_key_text(key, why, sizeof why);
        set_error(err, errlen, "%s", why);
        return -1;
    }
    Config tmp = *c;
    if (parse_value(&tmp, i, value, why, sizeof why) < 0) {
        set_error(err, errlen, "%s=%s: %s", key, value, why);
        return -1;
    }
    *c = tmp;
    return 0;
}

int config_set_assignment(Config *c, const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        set_error(err, errlen, "--set %s: expected KEY=VALUE (e.g. optim.lr=0.01)", assignment);
        return -1;
    }
    char key[128], inner[256];
    size_t klen = (size_t)(eq - assignment);
    while (klen > 0 && isspace((unsigned char)assignment[klen - 1]))
        klen--;
    if (klen >= sizeof key) {
        set_error(err, errlen, "--set %s: key too long", assignment);
        return -1;
    }
    memcpy(key, assignment, klen);
    key[klen] = '\0';
    if (config_set(c, key, eq + 1, inner, sizeof inner) < 0) {
        /* config_set's message starts with "KEY=VALUE: " for bad values. */
        if (key_index(key) >= 0)
            set_error(err, errlen, "--set %s", inner);
        else
            set_error(err, errlen, "--set %s: %s", assignment, inner);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- validate */

int config_validate(const Config *c, char *err, size_t errlen)
{
    char text[CONFIG_STR + 8], why[160];
    for (int i = 0; i < KEY_COUNT; i++) {
        Config tmp = *c;
        config_get(c, keys[i].name, text, sizeof text);
        if (parse_value(&tmp, i, text, why, sizeof why) < 0) {
            set_error(err, errlen, "%s=%s: %s", keys[i].name, text, why);
            return -1;
        }
    }
    if (c->optim.lr_min > c->optim.lr) {
        set_error(err, errlen, "optim.lr_min=%g is larger than optim.lr=%g (expected lr_min <= lr)",
                  c->optim.lr_min, c->optim.lr);
        return -1;
    }
    const struct {
        const char *key;
        double value;
    } remedies[] = {{"beta_lambda", c->remedy.beta_lambda},
                    {"sdarts_eps", c->remedy.sdarts_eps},
                    {"darts_minus_beta", c->remedy.darts_minus_beta},
                    {"fair_darts", c->remedy.fair_darts},
                    {"pc_k", c->remedy.pc_k},
                    {"edge_norm", c->remedy.edge_norm},
                    {"pc_warmup", c->remedy.pc_warmup}};
    for (size_t i = 0; config_is_recurrent(c) && i < sizeof remedies / sizeof remedies[0]; i++)
        if (remedies[i].value != 0.0) {
            set_error(err, errlen,
                      "remedy.%s=%g with data.set=%s (expected 0: the remedies apply to the CNN "
                      "search only)",
                      remedies[i].key, remedies[i].value, c->data.set);
            return -1;
        }
    if (c->remedy.sdarts_eps != 0.0 && c->remedy.sdarts_eps < REMEDY_SDARTS_EPS_START) {
        set_error(err, errlen,
                  "remedy.sdarts_eps=%g is below the ramp's start %g (expected 0 (off) or %g <= "
                  "sdarts_eps <= 1)",
                  c->remedy.sdarts_eps, REMEDY_SDARTS_EPS_START, REMEDY_SDARTS_EPS_START);
        return -1;
    }
    if (c->remedy.pc_k > 1 && c->model.init_channels % c->remedy.pc_k) {
        set_error(err, errlen,
                  "remedy.pc_k=%d does not divide model.init_channels=%d, the channels of the "
                  "first cells (expected a divisor of it; every later cell has a multiple)",
                  c->remedy.pc_k, c->model.init_channels);
        return -1;
    }
    if ((c->remedy.pc_k > 1 || c->remedy.edge_norm) &&
        (c->remedy.darts_minus_beta > 0.0 || c->remedy.fair_darts)) {
        set_error(err, errlen,
                  "remedy.pc_k=%d, remedy.edge_norm=%s with remedy.%s (expected PC-DARTS or that "
                  "remedy, not both)",
                  c->remedy.pc_k, c->remedy.edge_norm ? "true" : "false",
                  c->remedy.fair_darts ? "fair_darts=true" : "darts_minus_beta > 0");
        return -1;
    }
    if (c->remedy.adaptive_wd != 0.0) {
        const char *wrong = c->remedy.adaptive_wd <= 1.0 ? "expected 0 (off) or a factor > 1"
                            : config_is_recurrent(c)
                                ? "expected 0: it acts on a CNN search's DARTS-ES"
                            : !c->monitor.es || c->monitor.every <= 0
                                ? "it acts on DARTS-ES's trigger: expected monitor.es true and "
                                  "monitor.every > 0"
                            : c->optim.weight_decay <= 0.0
                                ? "it multiplies optim.weight_decay, which is 0 (expected > 0)"
                                : NULL;
        if (wrong) {
            set_error(err, errlen, "remedy.adaptive_wd=%g: %s", c->remedy.adaptive_wd, wrong);
            return -1;
        }
    }
    int synthetic = strcmp(c->data.set, "synthetic") == 0;
    if (!synthetic && !config_is_recurrent(c) && c->data.classes != 10) {
        set_error(err, errlen,
                  "data.classes=%d with data.set=%s (expected 10: only synthetic data has a "
                  "configurable number of classes)",
                  c->data.classes, c->data.set);
        return -1;
    }
    if (synthetic) {
        int weights_half = (int)(c->data.synthetic_size * c->data.train_portion);
        int alpha_half = c->data.synthetic_size - weights_half;
        int smaller = weights_half < alpha_half ? weights_half : alpha_half;
        if (smaller < c->data.batch_size) {
            set_error(err, errlen,
                      "data.batch_size=%d is larger than a split of the synthetic training set "
                      "(%d images for the weights, %d for the alphas; expected "
                      "data.synthetic_size * data.train_portion and the rest >= batch_size)",
                      c->data.batch_size, weights_half, alpha_half);
            return -1;
        }
        /* the supernet halves the image at each of its two reduction cells */
        if (c->data.synthetic_image % 4 != 0) {
            set_error(err, errlen,
                      "data.synthetic_image=%d cannot be halved at both reduction cells "
                      "(expected a multiple of 4)",
                      c->data.synthetic_image);
            return -1;
        }
        if (c->data.synthetic_size < c->data.classes) {
            set_error(err, errlen,
                      "data.synthetic_size=%d is smaller than data.classes=%d (expected at least "
                      "one image per class)",
                      c->data.synthetic_size, c->data.classes);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- YAML */

typedef struct Loader {
    const char *path;
    yaml_parser_t parser;
    Config cfg;                 /* values land here; copied out on success */
    size_t key_line[KEY_COUNT]; /* 1-based line of the first value, 0 = unset */
    size_t section_line[SECTION_COUNT];
    char *err;
    size_t errlen;
} Loader;

static void load_error(Loader *L, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void load_error(Loader *L, yaml_mark_t mark, const char *fmt, ...)
{
    if (!L->err || L->errlen == 0)
        return;
    int n = snprintf(L->err, L->errlen, "%s:%zu:%zu: ", L->path, mark.line + 1, mark.column + 1);
    if (n < 0 || (size_t)n >= L->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The next event; on a syntax error, the message and -1. */
static int next_event(Loader *L, yaml_event_t *ev)
{
    if (yaml_parser_parse(&L->parser, ev))
        return 0;
    yaml_parser_t *p = &L->parser;
    const char *problem = p->problem ? p->problem : "malformed input";
    if (p->error == YAML_READER_ERROR) {
        /* The reader knows only a byte offset, not a line. */
        if (L->err && L->errlen)
            snprintf(L->err, L->errlen, "%s: byte %zu: unreadable YAML: %s (expected UTF-8 text)",
                     L->path, p->problem_offset + 1, problem);
    } else if (p->context) {
        load_error(L, p->problem_mark, "YAML syntax error: %s (%s at line %zu)", problem,
                   p->context, p->context_mark.line + 1);
    } else {
        load_error(L, p->problem_mark, "YAML syntax error: %s", problem);
    }
    return -1;
}

static const char *event_what(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT:
        return "a list";
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    case YAML_ALIAS_EVENT:
        return "an alias";
    default:
        return "no value";
    }
}

/* The value event of key `name` (already read as key_ev): checks and stores. */
static int load_value(Loader *L, const char *name, const yaml_event_t *key_ev)
{
    char why[160];
    int i = key_index(name);
    if (i < 0) {
        unknown_key_text(name, why, sizeof why);
        load_error(L, key_ev->start_mark, "%s", why);
        return -1;
    }
    if (L->key_line[i]) {
        load_error(L, key_ev->start_mark, "duplicate key '%s' (first given at line %zu)", name,
                   L->key_line[i]);
        return -1;
    }
    L->key_line[i] = key_ev->start_mark.line + 1;

    yaml_event_t ev;
    if (next_event(L, &ev) < 0)
        return -1;
    int rc = 0;
    if (ev.type != YAML_SCALAR_EVENT) {
        char expected[160];
        if (keys[i].type == CONFIG_DOUBLE || keys[i].type == CONFIG_INT) {
            Config scratch = L->cfg;
            parse_value(&scratch, i, "", expected, sizeof expected);
        } else {
            snprintf(expected, sizeof expected, "expected a single value");
        }
        load_error(L, ev.start_mark, "%s is %s (%s)", name, event_what(&ev), expected);
        rc = -1;
    } else {
        const char *text = (const char *)ev.data.scalar.value;
        if (parse_value(&L->cfg, i, text, why, sizeof why) < 0) {
            load_error(L, ev.start_mark, "bad value '%s' for %s (%s)", text, name, why);
            rc = -1;
        }
    }
    yaml_event_delete(&ev);
    return rc;
}

static int load_section(Loader *L, const char *section)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(L, &ev) < 0)
            return -1;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            load_error(L, ev.start_mark, "a key of section '%s' is %s (expected a key name)",
                       section, event_what(&ev));
            yaml_event_delete(&ev);
            return -1;
        }
        char name[160];
        snprintf(name, sizeof name, "%s.%s", section, (const char *)ev.data.scalar.value);
        int rc = load_value(L, name, &ev);
        yaml_event_delete(&ev);
        if (rc < 0)
            return -1;
    }
}

static int load_top(Loader *L)
{
    for (;;) {
        yaml_event_t key;
        if (next_event(L, &key) < 0)
            return -1;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            return 0;
        }
        if (key.type != YAML_SCALAR_EVENT) {
            load_error(L, key.start_mark,
                       "a section name is %s (expected one of data, model, "
                       "optim, arch, remedy, train, rnn, run, monitor)",
                       event_what(&key));
            yaml_event_delete(&key);
            return -1;
        }
        const char *name = (const char *)key.data.scalar.value;
        int rc = -1;
        if (strchr(name, '.')) { /* flat "optim.lr: 0.01" */
            rc = load_value(L, name, &key);
            yaml_event_delete(&key);
            if (rc < 0)
                return -1;
            continue;
        }
        int s = -1;
        for (int j = 0; j < SECTION_COUNT; j++)
            if (strcmp(sections[j], name) == 0)
                s = j;
        if (s < 0) {
            const char *near = nearest_section(name);
            if (near)
                load_error(L, key.start_mark, "unknown section '%s' (did you mean '%s'?)", name,
                           near);
            else
                load_error(L, key.start_mark,
                           "unknown section '%s' (expected one of data, model, optim, arch, "
                           "remedy, train, rnn, run, monitor)",
                           name);
        } else if (L->section_line[s]) {
            load_error(L, key.start_mark, "duplicate section '%s' (first given at line %zu)", name,
                       L->section_line[s]);
        } else {
            L->section_line[s] = key.start_mark.line + 1;
            yaml_event_t value;
            if (next_event(L, &value) == 0) {
                if (value.type == YAML_MAPPING_START_EVENT) {
                    rc = load_section(L, sections[s]);
                } else if (value.type == YAML_SCALAR_EVENT && value.data.scalar.length == 0 &&
                           value.data.scalar.plain_implicit) {
                    rc = 0; /* "run:" with nothing under it */
                } else {
                    load_error(L, value.start_mark,
                               "section '%s' holds %s (expected a mapping of keys, e.g. "
                               "'%s: { key: value }')",
                               name,
                               value.type == YAML_SCALAR_EVENT ? "a single value"
                                                               : event_what(&value),
                               name);
                }
                yaml_event_delete(&value);
            }
        }
        yaml_event_delete(&key);
        if (rc < 0)
            return -1;
    }
}

static int load_stream(Loader *L)
{
    yaml_event_t ev;
    int documents = 0;
    for (;;) {
        if (next_event(L, &ev) < 0)
            return -1;
        yaml_event_type_t type = ev.type;
        yaml_mark_t mark = ev.start_mark;
        int rc = 0;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (type == YAML_DOCUMENT_START_EVENT && ++documents > 1) {
            load_error(L, mark, "a second YAML document (expected one document per file)");
            rc = -1;
        } else if (type == YAML_MAPPING_START_EVENT) {
            rc = load_top(L);
        } else if (type == YAML_SCALAR_EVENT) {
            if (ev.data.scalar.length > 0 || !ev.data.scalar.plain_implicit) {
                load_error(L, mark,
                           "the document is a single value (expected sections such as "
                           "'optim: { lr: 0.01 }')");
                rc = -1;
            }
        } else if (type == YAML_SEQUENCE_START_EVENT || type == YAML_ALIAS_EVENT) {
            load_error(L, mark,
                       "the document is %s (expected sections such as "
                       "'optim: { lr: 0.01 }')",
                       event_what(&ev));
            rc = -1;
        }
        yaml_event_delete(&ev);
        if (rc < 0)
            return -1;
    }
}

int config_load_file(Config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    Loader *L = calloc(1, sizeof *L);
    if (!L) {
        fclose(f);
        set_error(err, errlen, "%s: out of memory", path);
        return -1;
    }
    L->path = path;
    L->cfg = *c;
    L->err = err;
    L->errlen = errlen;
    int rc = -1;
    if (!yaml_parser_initialize(&L->parser)) {
        set_error(err, errlen, "%s: cannot start the YAML parser", path);
    } else {
        yaml_parser_set_input_file(&L->parser, f);
        rc = load_stream(L);
        yaml_parser_delete(&L->parser);
    }
    if (rc == 0 && ferror(f)) {
        set_error(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    if (rc == 0)
        *c = L->cfg;
    free(L);
    return rc;
}

/* ---------------------------------------------------------------- presets */

static int same_directory(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && S_ISDIR(sa.st_mode) &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The build tree's programs (dartboard, tests/, bench/) read the source
 * tree's presets, so `make check` and a run before `make install` see the
 * presets they were built with; any other copy -- the installed one in
 * $(bindir) -- reads only the installed directory: a build tree left behind
 * (or someone else's) must not change what an installed program loads. A
 * program is in the build tree when the directory holding it, or that
 * directory's parent, is the build directory configure ran in. */
const char *config_preset_dir(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash || slash == exe)
                break;
            *slash = '\0';
            if (same_directory(exe, DARTBOARD_BUILDDIR))
                return DARTBOARD_SRC_PRESETDIR;
        }
    }
    return DARTBOARD_PRESETDIR;
}

typedef struct PresetList {
    char (*names)[64];
    char (*paths)[CONFIG_STR + 80];
    int count, cap;
} PresetList;

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Every NAME.yaml of the preset directory. */
static void preset_list(PresetList *pl)
{
    memset(pl, 0, sizeof *pl);
    const char *preset_dir = config_preset_dir();
    DIR *dir = opendir(preset_dir);
    if (dir) {
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            size_t len = strlen(de->d_name);
            if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".yaml") || len - 5 >= 64)
                continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len - 5), de->d_name);
            if (pl->count == pl->cap) {
                int cap = pl->cap ? 2 * pl->cap : 16;
                void *n = realloc(pl->names, (size_t)cap * sizeof *pl->names);
                if (!n)
                    break;
                pl->names = n;
                void *p = realloc(pl->paths, (size_t)cap * sizeof *pl->paths);
                if (!p)
                    break;
                pl->paths = p;
                pl->cap = cap;
            }
            snprintf(pl->names[pl->count], sizeof pl->names[0], "%s", name);
            snprintf(pl->paths[pl->count], sizeof pl->paths[0], "%s/%s", preset_dir, de->d_name);
            pl->count++;
        }
        closedir(dir);
    }
    /* Sort names and paths together: sort an index of rows. */
    for (int i = 1; i < pl->count; i++)
        for (int j = i; j > 0 && compare_names(pl->names[j - 1], pl->names[j]) > 0; j--) {
            char tn[64], tp[sizeof pl->paths[0]];
            memcpy(tn, pl->names[j], sizeof tn);
            memcpy(pl->names[j], pl->names[j - 1], sizeof tn);
            memcpy(pl->names[j - 1], tn, sizeof tn);
            memcpy(tp, pl->paths[j], sizeof tp);
            memcpy(pl->paths[j], pl->paths[j - 1], sizeof tp);
            memcpy(pl->paths[j - 1], tp, sizeof tp);
        }
}

static void preset_list_free(PresetList *pl)
{
    free(pl->names);
    free(pl->paths);
    memset(pl, 0, sizeof *pl);
}

/* c->preset = the first len bytes of name, cut at a character boundary;
 * bytes that are not UTF-8 become '?' (the name is a label, and it goes into
 * config.yaml, which must stay UTF-8). */
static void set_preset_name(Config *c, const char *name, size_t len)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)name, *end = p + len;
    while (p < end && *p) {
        int seq = utf8_sequence(p);
        if (seq && p + seq > end)
            seq = 0;
        size_t take = seq ? (size_t)seq : 1;
        if (n + take >= sizeof c->preset)
            break;
        if (seq)
            memcpy(c->preset + n, p, take);
        else
            c->preset[n] = '?';
        n += take;
        p += take;
    }
    c->preset[n] = '\0';
}

int config_load_preset(Config *c, const char *name_or_path, char *err, size_t errlen)
{
    const char *name = name_or_path;
    int rc;
    if (strchr(name, '/') || has_suffix(name, ".yaml") || has_suffix(name, ".yml")) {
        rc = config_load_file(c, name, err, errlen);
        if (rc == 0) {
            const char *base = strrchr(name, '/');
            base = base ? base + 1 : name;
            size_t len = strlen(base);
            if (has_suffix(base, ".yaml"))
                len -= 5;
            else if (has_suffix(base, ".yml"))
                len -= 4;
            set_preset_name(c, base, len);
        }
        return rc;
    }
    const char *preset_dir = config_preset_dir();
    char path[CONFIG_STR + 80];
    snprintf(path, sizeof path, "%s/%s.yaml", preset_dir, name);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        rc = config_load_file(c, path, err, errlen);
        if (rc == 0)
            set_preset_name(c, name, strlen(name));
        return rc;
    }
    PresetList pl;
    preset_list(&pl);
    int n = snprintf(err, errlen, "unknown preset '%s' in %s (available:", name, preset_dir);
    for (int i = 0; i < pl.count && n > 0 && (size_t)n < errlen; i++)
        n += snprintf(err + n, errlen - (size_t)n, "%s%s", i ? ", " : " ", pl.names[i]);
    if (!pl.count && n > 0 && (size_t)n < errlen)
        n += snprintf(err + n, errlen - (size_t)n, " none");
    if (n > 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, "; or give a path to a .yaml file)");
    preset_list_free(&pl);
    return -1;
}

/* The first line of a preset if it is a comment, without the "# ". */
static void preset_description(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    if (fgets(line, sizeof line, f) && line[0] == '#') {
        const char *p = line + 1;
        while (*p == ' ' || *p == '#')
            p++;
        snprintf(buf, len, "%s", p);
        size_t n = strlen(buf);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
            buf[--n] = '\0';
    }
    fclose(f);
}

int config_list_presets(FILE *out)
{
    PresetList pl;
    preset_list(&pl);
    int width = 0; /* the names' column: the longest name, so no name runs into its line */
    for (int i = 0; i < pl.count; i++)
        if ((int)strlen(pl.names[i]) > width)
            width = (int)strlen(pl.names[i]);
    for (int i = 0; i < pl.count; i++) {
        char desc[512];
        preset_description(pl.paths[i], desc, sizeof desc);
        fprintf(out, "  %-*s  %s\n", width, pl.names[i], desc);
    }
    int n = pl.count;
    preset_list_free(&pl);
    return n;
}

/* ---------------------------------------------------------------- writing */

#define CONFIG_HEADER "# effective configuration of a dartboard search (preset "

/* s as a YAML double-quoted scalar into buf (at least 4 * strlen(s) + 3
 * bytes): quotes, backslashes and control characters escaped, so no text
 * can end the line, the string or the comment it sits in. A byte that is
 * not UTF-8 (config_set and the presets never let one in) is written as '?',
 * as set_preset_name does, so the file stays readable. */
static void yaml_quote(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 8 < len;) {
        int seq = utf8_sequence(p);
        if (*p == '"' || *p == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)*p++;
        } else if (*p == '\n' || *p == '\t' || *p == '\r') {
            buf[n++] = '\\';
            buf[n++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            n += (size_t)snprintf(buf + n, len - n, "\\x%02X", *p++);
        } else if (!seq) {
            buf[n++] = '?';
            p++;
        } else {
            memcpy(buf + n, p, (size_t)seq);
            n += (size_t)seq;
            p += seq;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

/* The value of a yaml_quote string at s into out; the character after the
 * closing quote, or NULL when s is not such a string. */
static const char *yaml_unquote(const char *s, char *out, size_t len)
{
    size_t n = 0;
    if (*s++ != '"')
        return NULL;
    for (; *s && *s != '"'; s++) {
        char ch = *s;
        if (ch == '\\') {
            s++;
            if (*s == 'n' || *s == 't' || *s == 'r' || *s == '"' || *s == '\\') {
                ch = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s;
            } else if (*s == 'x' && isxdigit((unsigned char)s[1]) &&
                       isxdigit((unsigned char)s[2])) {
                char hex[3] = {s[1], s[2], '\0'};
                ch = (char)strtol(hex, NULL, 16);
                s += 2;
            } else {
                return NULL;
            }
        }
        if (n + 1 < len)
            out[n++] = ch;
    }
    out[n] = '\0';
    return *s == '"' ? s + 1 : NULL;
}

int config_saved_preset(const char *path, char *name, size_t len)
{
    char line[CONFIG_STR * 2];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int found = 0;
    if (fgets(line, sizeof line, f) && strncmp(line, CONFIG_HEADER, strlen(CONFIG_HEADER)) == 0) {
        const char *start = line + strlen(CONFIG_HEADER), *end;
        if (*start == '"') {
            end = yaml_unquote(start, name, len);
            found = end && *end == ')';
        } else if ((end = strrchr(start, ')')) && end > start &&
                   !(end - start == 4 && strncmp(start, "none", 4) == 0)) {
            /* written before names were quoted */
            snprintf(name, len, "%.*s", (int)(end - start), start);
            found = 1;
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

int config_write_yaml(const Config *c, FILE *f)
{
    char quoted[4 * CONFIG_STR + 8];
    if (c->preset[0])
        yaml_quote(c->preset, quoted, sizeof quoted);
    fprintf(f, CONFIG_HEADER "%s)\n", c->preset[0] ? quoted : "none");
    fprintf(f, "# Reload it with --preset FILE; override keys with --set section.key=value.\n");
    char section[16] = "";
    for (int i = 0; i < KEY_COUNT; i++) {
        const ConfigKey *k = &keys[i];
        int sec_len = (int)(short_name(k->name) - 1 - k->name);
        if ((int)strlen(section) != sec_len || strncmp(section, k->name, (size_t)sec_len) != 0) {
            snprintf(section, sizeof section, "%.*s", sec_len, k->name);
            fprintf(f, "%s:\n", section);
        }
        char value[CONFIG_STR + 8], line[sizeof quoted + 64], range[96] = "";
        config_get(c, k->name, value, sizeof value);
        if (k->type == CONFIG_STRING || k->type == CONFIG_CHOICE)
            yaml_quote(value, quoted, sizeof quoted);
        else
            snprintf(quoted, sizeof quoted, "%s", value);
        snprintf(line, sizeof line, "  %s: %s", short_name(k->name), quoted);
        if (k->type == CONFIG_INT || k->type == CONFIG_DOUBLE)
            snprintf(range, sizeof range, " [%.10g %s %s <= %.10g]", k->min,
                     k->min_open ? "<" : "<=", short_name(k->name), k->max);
        else if (k->type == CONFIG_CHOICE)
            snprintf(range, sizeof range, " [%s]", k->choices);
        fprintf(f, "%-34s # %s%s%s\n", line, k->description, range, k->live ? " (live)" : "");
    }
    fflush(f);
    return ferror(f) ? -1 : 0;
}
