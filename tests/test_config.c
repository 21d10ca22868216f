/* test_config: the key table, presets, YAML errors with FILE:LINE:COL,
 * --set, config_get/config_write_yaml round trips and cross-key checks. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dartboard/config.h"
#include "tap.h"

/* Loads tests/fixtures/config/NAME over the defaults; checks that it fails
 * with "PATH:" + `want` and that the config is left as it was. */
static void expect_load_error(const char *name, const char *want)
{
    char rel[256], path[4096], err[512] = "";
    snprintf(rel, sizeof rel, "tests/fixtures/config/%s", name);
    snprintf(path, sizeof path, "%s", tap_srcpath(rel));
    Config c, before;
    config_defaults(&c);
    before = c;
    int rc = config_load_file(&c, path, err, sizeof err);
    size_t n = strlen(path);
    int named = strncmp(err, path, n) == 0 && err[n] == ':';
    ok(rc == -1 && named && strcmp(err + n + 1, want) == 0, "%s: error '%s'", name, want);
    if (!(rc == -1 && named && strcmp(err + n + 1, want) == 0))
        diag("got rc %d, '%s'", rc, err);
    ok(memcmp(&c, &before, sizeof c) == 0, "%s: a failed load changes nothing", name);
}

static void expect_set_error(const char *assignment, const char *want)
{
    Config c, before;
    char err[512] = "";
    config_defaults(&c);
    before = c;
    int rc = config_set_assignment(&c, assignment, err, sizeof err);
    ok(rc == -1 && strcmp(err, want) == 0, "--set %s: '%s'", assignment, want);
    if (!(rc == -1 && strcmp(err, want) == 0))
        diag("got rc %d, '%s'", rc, err);
    ok(memcmp(&c, &before, sizeof c) == 0, "--set %s: a rejected value changes nothing",
       assignment);
}

static void test_key_table(void)
{
    static const char *const design_keys[] = {"data.set",
                                              "data.dir",
                                              "data.train_portion",
                                              "data.train_images",
                                              "data.batch_size",
                                              "data.augment",
                                              "model.init_channels",
                                              "model.layers",
                                              "model.nodes",
                                              "model.stem_multiplier",
                                              "optim.lr",
                                              "optim.lr_min",
                                              "optim.momentum",
                                              "optim.weight_decay",
                                              "optim.grad_clip",
                                              "arch.order",
                                              "arch.lr",
                                              "arch.weight_decay",
                                              "arch.beta1",
                                              "arch.beta2",
                                              "remedy.beta_lambda",
                                              "remedy.sdarts_eps",
                                              "remedy.darts_minus_beta",
                                              "remedy.fair_darts",
                                              "remedy.fair_zero_one",
                                              "remedy.pc_k",
                                              "remedy.edge_norm",
                                              "remedy.pc_warmup",
                                              "remedy.adaptive_wd",
                                              "remedy.adaptive_wd_max",
                                              "train.drop_path",
                                              "train.auxiliary",
                                              "train.aux_weight",
                                              "train.cutout",
                                              "rnn.size",
                                              "rnn.bptt",
                                              "rnn.dropout",
                                              "rnn.dropout_hidden",
                                              "rnn.dropout_x",
                                              "rnn.dropout_input",
                                              "rnn.dropout_embed",
                                              "rnn.tar",
                                              "rnn.nonmono",
                                              "run.epochs",
                                              "run.seed",
                                              "run.threads",
                                              "run.report_every",
                                              "run.checkpoint_every",
                                              "run.eval_samples",
                                              "run.sync_bn",
                                              "data.synthetic_size",
                                              "data.synthetic_image",
                                              "data.synthetic_channels",
                                              "data.classes",
                                              "monitor.every",
                                              "monitor.iters",
                                              "monitor.lambda_warn",
                                              "monitor.es",
                                              "monitor.es_window",
                                              "monitor.es_ratio",
                                              "monitor.es_start"};
    static const char *const live_keys[] = {"optim.lr",
                                            "optim.lr_min",
                                            "optim.momentum",
                                            "optim.weight_decay",
                                            "optim.grad_clip",
                                            "arch.lr",
                                            "arch.weight_decay",
                                            "arch.order",
                                            "remedy.beta_lambda",
                                            "remedy.sdarts_eps",
                                            "remedy.fair_zero_one",
                                            "remedy.adaptive_wd",
                                            "remedy.adaptive_wd_max",
                                            "run.epochs",
                                            "run.report_every",
                                            "run.checkpoint_every",
                                            "train.drop_path",
                                            "train.aux_weight",
                                            "rnn.dropout",
                                            "rnn.dropout_hidden",
                                            "rnn.dropout_x",
                                            "rnn.dropout_input",
                                            "rnn.dropout_embed",
                                            "rnn.tar",
                                            "rnn.nonmono",
                                            "monitor.iters",
                                            "monitor.lambda_warn",
                                            "monitor.es"};
    int n_design = (int)(sizeof design_keys / sizeof design_keys[0]);
    int n_live = (int)(sizeof live_keys / sizeof live_keys[0]);
    int count = 0;
    const ConfigKey *keys = config_keys(&count);
    ok(count == n_design, "the table has the %d documented keys and the struct (%d)", n_design,
       count);
    int missing = 0;
    for (int i = 0; i < n_design; i++)
        if (!config_key_find(design_keys[i])) {
            diag("missing key %s", design_keys[i]);
            missing++;
        }
    ok(missing == 0, "every documented preset key is in the table");
    ok(config_key_find("optim.nope") == NULL, "config_key_find: unknown key is NULL");

    int bad_meta = 0, live_count = 0, wrong_live = 0;
    for (int i = 0; i < count; i++) {
        const ConfigKey *k = &keys[i];
        if (!k->description || !*k->description || !k->default_text || !*k->default_text ||
            k->min > k->max || (k->type == CONFIG_CHOICE && !k->choices)) {
            diag("incomplete entry %s", k->name);
            bad_meta++;
        }
        int should_be_live = 0;
        for (int j = 0; j < n_live; j++)
            should_be_live |= strcmp(live_keys[j], k->name) == 0;
        live_count += k->live != 0;
        if (!!k->live != should_be_live) {
            diag("%s: live = %d", k->name, k->live);
            wrong_live++;
        }
    }
    ok(bad_meta == 0, "every key has a description, a default and a sane range");
    ok(live_count == n_live && wrong_live == 0, "exactly the %d documented keys are live", n_live);
}

static void test_defaults(void)
{
    Config c;
    char err[512] = "", buf[CONFIG_STR];
    config_defaults(&c);
    ok(config_validate(&c, err, sizeof err) == 0, "defaults validate (%s)", err);
    ok(strcmp(c.data.set, "fashion-mnist") == 0 &&
           strcmp(c.data.dir, "/usr/share/datasets/fashion-mnist") == 0 &&
           c.data.train_portion == 0.5 && c.data.batch_size == 64 && c.data.augment == 1,
       "data defaults as documented");
    ok(c.model.init_channels == 16 && c.model.layers == 8 && c.model.nodes == 4 &&
           c.model.stem_multiplier == 3,
       "model defaults as documented");
    ok(c.optim.lr == 0.025 && c.optim.lr_min == 0.001 && c.optim.momentum == 0.9 &&
           c.optim.weight_decay == 3.0e-4 && c.optim.grad_clip == 5.0,
       "optim defaults as documented");
    ok(c.arch.order == 1 && c.arch.lr == 3.0e-4 && c.arch.weight_decay == 1.0e-3 &&
           c.arch.beta1 == 0.5 && c.arch.beta2 == 0.999,
       "arch defaults as documented");
    ok(c.train.drop_path == 0.2 && c.train.auxiliary == 1 && c.train.aux_weight == 0.4 &&
           c.train.cutout == 16,
       "train defaults as the official train.py");
    ok(c.rnn.size == 300 && c.rnn.bptt == 35 && c.rnn.dropout == 0.75 &&
           c.rnn.dropout_hidden == 0.25 && c.rnn.dropout_x == 0.75 && c.rnn.dropout_input == 0.2 &&
           c.rnn.dropout_embed == 0 && c.rnn.tar == 1e-3 && c.rnn.nonmono == 5,
       "rnn defaults as the official rnn/train_search.py");
    ok(c.run.epochs == 50 && c.run.seed == 2 && c.run.threads == 2 && c.run.report_every == 50 &&
           c.run.checkpoint_every == 200 && c.run.eval_samples == 10000,
       "run defaults as documented");

    /* Every value prints as text that sets it back unchanged. */
    int count, bad = 0;
    const ConfigKey *keys = config_keys(&count);
    for (int i = 0; i < count; i++) {
        Config d = c;
        if (config_get(&c, keys[i].name, buf, sizeof buf) < 0 ||
            config_set(&d, keys[i].name, buf, err, sizeof err) < 0 ||
            memcmp(&c, &d, sizeof c) != 0) {
            diag("%s does not round-trip through '%s'", keys[i].name, buf);
            bad++;
        }
    }
    ok(bad == 0, "config_get -> config_set round-trips every key");
    ok(config_get(&c, "optim.lr", buf, sizeof buf) == 0 && strcmp(buf, "0.025") == 0,
       "config_get prints the shortest exact decimal (%s)", buf);
    ok(config_get(&c, "data.augment", buf, sizeof buf) == 0 && strcmp(buf, "true") == 0,
       "config_get prints booleans as true/false");
    ok(config_get(&c, "optim.lrr", buf, sizeof buf) == -1, "config_get refuses an unknown key");
}

static void test_presets(void)
{
    static const char *const presets[] = {
        "demo",         "fashion-mnist", "cifar10-first-order", "cifar10-second-order",
        "test",         "train-test",    "train-fashion-mnist", "train-cifar10",
        "rnn-test",     "rnn-kjv",       "rnn-train-test",      "rnn-train-kjv",
        "rnn-train-ptb"};
    char err[512];
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        Config c;
        config_defaults(&c);
        err[0] = '\0';
        int rc = config_load_preset(&c, presets[i], err, sizeof err);
        ok(rc == 0, "preset %s loads (%s)", presets[i], err);
        err[0] = '\0';
        ok(config_validate(&c, err, sizeof err) == 0, "preset %s validates (%s)", presets[i], err);
        ok(strcmp(c.preset, presets[i]) == 0, "preset %s: c->preset names it", presets[i]);
    }

    Config c;
    config_defaults(&c);
    config_load_preset(&c, "test", err, sizeof err);
    ok(strcmp(c.data.set, "synthetic") == 0 && c.model.init_channels <= 8 &&
           c.data.synthetic_image <= 16 && c.run.report_every <= 10,
       "the test preset is tiny and synthetic");
    config_defaults(&c);
    config_load_preset(&c, "cifar10-second-order", err, sizeof err);
    ok(c.arch.order == 2 && strcmp(c.data.set, "cifar10") == 0 && c.model.init_channels == 16 &&
           c.model.layers == 8 && c.data.batch_size == 64 && c.run.epochs == 50,
       "cifar10-second-order has the paper's settings");
    config_defaults(&c);
    config_load_preset(&c, "demo", err, sizeof err);
    ok(strcmp(c.data.set, "fashion-mnist") == 0 && c.model.init_channels < 16,
       "demo is Fashion-MNIST on a small supernet");
    config_defaults(&c);
    config_load_preset(&c, "train-cifar10", err, sizeof err);
    ok(strcmp(c.data.set, "cifar10") == 0 && c.model.init_channels == 36 && c.model.layers == 20 &&
           c.data.batch_size == 96 && c.run.epochs == 600 && c.train.auxiliary &&
           c.train.aux_weight == 0.4 && c.train.cutout == 16 && c.train.drop_path == 0.2 &&
           c.optim.lr == 0.025 && c.optim.lr_min == 0 && c.optim.weight_decay == 3e-4 &&
           c.optim.grad_clip == 5,
       "train-cifar10 has the published recipe (official train.py)");
    config_defaults(&c);
    config_load_preset(&c, "rnn-train-ptb", err, sizeof err);
    ok(strcmp(c.data.set, "text") == 0 && c.rnn.size == 850 && c.data.batch_size == 64 &&
           c.rnn.bptt == 35 && c.optim.lr == 20 && c.optim.weight_decay == 8e-7 &&
           c.optim.grad_clip == 0.25 && c.rnn.dropout == 0.75 && c.rnn.dropout_hidden == 0.25 &&
           c.rnn.dropout_x == 0.75 && c.rnn.dropout_input == 0.2 && c.rnn.dropout_embed == 0.1 &&
           c.rnn.tar == 1e-3 && c.rnn.nonmono == 5,
       "rnn-train-ptb has the published recipe (official rnn/train.py)");

    /* By path, and the name taken from it. */
    config_defaults(&c);
    int rc =
        config_load_preset(&c, tap_srcpath("tests/fixtures/config/good.yaml"), err, sizeof err);
    ok(rc == 0 && strcmp(c.preset, "good") == 0, "a path loads, preset = its base name");

    config_defaults(&c);
    rc = config_load_preset(&c, "no-such-preset", err, sizeof err);
    ok(rc == -1 && strstr(err, "unknown preset 'no-such-preset'") && strstr(err, "demo") &&
           strstr(err, "cifar10-first-order") && strstr(err, "test"),
       "an unknown preset lists the available ones: %s", err);

    FILE *f = tmpfile();
    int n = config_list_presets(f);
    char text[16384] = "";
    rewind(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = '\0';
    fclose(f);
    ok(n >= 8, "config_list_presets finds the %d presets", n);
    ok(strstr(text, "demo") && strstr(text, "Fashion-MNIST on a small supernet") &&
           strstr(text, "tiny synthetic search for tests"),
       "the listing shows each preset's first comment line");
    ok(strstr(text, "cifar10-first-order") < strstr(text, "demo") &&
           strstr(text, "demo") < strstr(text, "test"),
       "the listing is sorted");
    /* each line: two spaces, the name, at least two spaces, the description,
     * which starts in the same column on every line */
    int column = -1, aligned = 1, lines = 0;
    for (const char *line = text; *line; lines++) {
        const char *end = strchr(line, '\n');
        const char *name_end = line + 2 + strcspn(line + 2, " \n");
        const char *desc = name_end + strspn(name_end, " ");
        aligned &= strncmp(line, "  ", 2) == 0 && desc - name_end >= 2 &&
                   (column < 0 || desc - line == column);
        column = (int)(desc - line);
        line = end ? end + 1 : line + strlen(line);
    }
    ok(lines == n && aligned,
       "the descriptions start in one column, past the longest name (train-fashion-mnist-short)");
}

static void test_good_file(void)
{
    Config c;
    char err[512] = "";
    config_defaults(&c);
    int rc = config_load_file(&c, tap_srcpath("tests/fixtures/config/good.yaml"), err, sizeof err);
    ok(rc == 0, "block, flow and flat keys load (%s)", err);
    ok(strcmp(c.data.set, "synthetic") == 0 && c.data.batch_size == 8 && c.data.augment == 0 &&
           strcmp(c.data.dir, "/tmp/some dir") == 0,
       "data section values");
    ok(c.model.init_channels == 6 && c.model.layers == 4 && c.model.nodes == 4,
       "flow mapping values; keys not given keep their value");
    ok(c.optim.lr == 0.125, "a flat section.key at the top level");
    ok(c.run.seed == 12345678901234567890ULL, "run.seed takes a full 64-bit value");

    config_defaults(&c);
    Config before = c;
    rc = config_load_file(&c, tap_srcpath("tests/fixtures/config/empty.yaml"), err, sizeof err);
    ok(rc == 0 && memcmp(&c, &before, sizeof c) == 0, "a comment-only file changes nothing");

    rc = config_load_file(&c, "/nonexistent/dir/x.yaml", err, sizeof err);
    ok(rc == -1 && strstr(err, "/nonexistent/dir/x.yaml: cannot open"),
       "a missing file is named: %s", err);
}

static void test_file_errors(void)
{
    expect_load_error("syntax.yaml", "6:1: YAML syntax error: did not find expected ',' or '}' "
                                     "(while parsing a flow mapping at line 4)");
    expect_load_error("typo.yaml", "3:3: unknown key 'optim.lrr' (did you mean 'optim.lr'?)");
    expect_load_error("section.yaml", "1:1: unknown section 'optimm' (did you mean 'optim'?)");
    expect_load_error("type.yaml", "2:7: bad value 'abc' for optim.lr (expected a number)");
    expect_load_error("range.yaml", "2:14: bad value '500' for optim.lr (expected 0 < lr <= 100)");
    expect_load_error("choice.yaml", "2:8: bad value 'mnist' for data.set "
                                     "(expected one of fashion-mnist|cifar10|synthetic|kjv|text)");
    expect_load_error("duplicate.yaml", "4:3: duplicate key 'optim.lr' (first given at line 2)");
    expect_load_error("list.yaml", "1:1: the document is a list (expected sections such as "
                                   "'optim: { lr: 0.01 }')");
    expect_load_error("scalar_section.yaml",
                      "1:8: section 'optim' holds a single value (expected a mapping of keys, "
                      "e.g. 'optim: { key: value }')");
    expect_load_error("list_value.yaml", "2:11: run.epochs is a list (expected an integer)");
    expect_load_error("indent.yaml", "3:3: unknown key 'data.model' ('model' is a section: check "
                                     "the indentation, sections start in the first column)");
    expect_load_error("int.yaml", "2:15: bad value '12.5' for data.batch_size "
                                  "(expected an integer)");
}

static void test_set(void)
{
    Config c;
    char err[512] = "";
    config_defaults(&c);
    ok(config_set_assignment(&c, "optim.lr=0.01", err, sizeof err) == 0 && c.optim.lr == 0.01,
       "--set optim.lr=0.01");
    ok(config_set_assignment(&c, "data.set=cifar10", err, sizeof err) == 0 &&
           strcmp(c.data.set, "cifar10") == 0,
       "--set data.set=cifar10");
    ok(config_set_assignment(&c, "data.augment=off", err, sizeof err) == 0 && c.data.augment == 0,
       "--set data.augment=off");
    ok(config_set_assignment(&c, "run.seed=7", err, sizeof err) == 0 && c.run.seed == 7,
       "--set run.seed=7");
    ok(config_set_assignment(&c, "data.dir=/data/a=b", err, sizeof err) == 0 &&
           strcmp(c.data.dir, "/data/a=b") == 0,
       "--set splits at the first '='");
    ok(config_set(&c, "arch.order", "2", err, sizeof err) == 0 && c.arch.order == 2,
       "config_set arch.order 2");

    expect_set_error("optim.lr=abc", "--set optim.lr=abc: expected a number");
    expect_set_error("optim.lr=0", "--set optim.lr=0: expected 0 < lr <= 100");
    expect_set_error("optim.lr=101", "--set optim.lr=101: expected 0 < lr <= 100");
    expect_set_error("optim.lr=nan", "--set optim.lr=nan: expected a number");
    expect_set_error("optim.lr=1e999", "--set optim.lr=1e999: expected a number");
    /* beyond the smallest double the value is 0, and the range says why */
    expect_set_error("optim.lr=1e-999", "--set optim.lr=1e-999: expected 0 < lr <= 100");
    ok(config_set(&c, "optim.lr", "4.9406564584124654e-324", err, sizeof err) == 0 &&
           c.optim.lr > 0.0,
       "the smallest double above 0 is a valid optim.lr (%s)", err);
    expect_set_error("data.batch_size=0", "--set data.batch_size=0: expected 1 <= batch_size "
                                          "<= 1024");
    expect_set_error("data.batch_size=3x", "--set data.batch_size=3x: expected an integer");
    expect_set_error(
        "data.set=mnist",
        "--set data.set=mnist: expected one of fashion-mnist|cifar10|synthetic|kjv|text");
    expect_set_error("data.augment=maybe", "--set data.augment=maybe: expected true or false");
    expect_set_error("run.seed=-1",
                     "--set run.seed=-1: expected an integer from 0 to 18446744073709551615");
    expect_set_error("optim.lrr=0.1",
                     "--set optim.lrr=0.1: unknown key 'optim.lrr' (did you mean 'optim.lr'?)");
    expect_set_error("data.lr=0.1",
                     "--set data.lr=0.1: unknown key 'data.lr' (did you mean 'optim.lr'?)");
    expect_set_error("optim.zzzzzz=1",
                     "--set optim.zzzzzz=1: unknown key 'optim.zzzzzz' (expected one of lr, "
                     "lr_min, momentum, weight_decay, grad_clip)");
    expect_set_error("optim.lr", "--set optim.lr: expected KEY=VALUE (e.g. optim.lr=0.01)");
    expect_set_error("=3", "--set =3: expected KEY=VALUE (e.g. optim.lr=0.01)");

    ok(config_set(&c, "optim.lr", "abc", err, sizeof err) == -1 &&
           strcmp(err, "optim.lr=abc: expected a number") == 0,
       "config_set's message names the key: %s", err);
}

static void test_validate(void)
{
    Config c;
    char err[512] = "";
    config_defaults(&c);
    config_set(&c, "optim.lr_min", "0.1", err, sizeof err);
    ok(config_validate(&c, err, sizeof err) == -1 &&
           strcmp(err, "optim.lr_min=0.1 is larger than optim.lr=0.025 (expected lr_min <= lr)") ==
               0,
       "lr_min > lr is refused: %s", err);

    config_defaults(&c);
    config_set(&c, "data.classes", "4", err, sizeof err);
    ok(config_validate(&c, err, sizeof err) == -1 && strstr(err, "data.classes=4") &&
           strstr(err, "expected 10"),
       "classes other than 10 on Fashion-MNIST are refused: %s", err);
    config_set(&c, "data.set", "synthetic", err, sizeof err);
    ok(config_validate(&c, err, sizeof err) == 0, "synthetic data may have 4 classes");

    config_set(&c, "data.synthetic_size", "100", err, sizeof err);
    ok(config_validate(&c, err, sizeof err) == -1 && strstr(err, "data.batch_size=64") &&
           strstr(err, "50 images for the weights"),
       "a synthetic split smaller than a batch is refused: %s", err);
    config_set(&c, "data.synthetic_size", "1024", err, sizeof err);
    config_set(&c, "data.synthetic_image", "6", err, sizeof err);
    ok(config_validate(&c, err, sizeof err) == -1 && strstr(err, "data.synthetic_image=6") &&
           strstr(err, "multiple of 4"),
       "a synthetic image size the reductions cannot halve twice is refused: %s", err);
    config_set(&c, "data.synthetic_image", "20", err, sizeof err);
    ok(config_validate(&c, err, sizeof err) == 0, "a multiple of 4 is accepted (%s)", err);

    /* A Config changed behind config_set's back is still range-checked. */
    config_defaults(&c);
    c.model.layers = 0;
    ok(config_validate(&c, err, sizeof err) == -1 &&
           strcmp(err, "model.layers=0: expected 3 <= layers <= 64") == 0,
       "validate re-checks ranges: %s", err);
}

static void test_write_yaml(void)
{
    Config c, d;
    char err[512] = "";
    config_defaults(&c);
    config_load_preset(&c, "test", err, sizeof err);
    config_set(&c, "optim.lr", "0.0123456789", err, sizeof err);
    config_set(&c, "data.dir", "/tmp/with \"quotes\" and \\backslash", err, sizeof err);
    config_set(&c, "run.seed", "18446744073709551615", err, sizeof err);
    config_set(&c, "arch.weight_decay", "1e-7", err, sizeof err);
    config_set(&c, "data.augment", "false", err, sizeof err);

    const char *path = "test_config_written.yaml";
    FILE *f = fopen(path, "w");
    ok(f && config_write_yaml(&c, f) == 0, "config_write_yaml writes");
    if (f)
        fclose(f);

    config_defaults(&d);
    int rc = config_load_file(&d, path, err, sizeof err);
    ok(rc == 0, "the written YAML loads back (%s)", err);
    snprintf(d.preset, sizeof d.preset, "%s", c.preset);
    ok(memcmp(&c, &d, sizeof c) == 0, "and gives exactly the same configuration");

    f = fopen(path, "r");
    char line[512] = "", all[8192] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        size_t n = fread(all, 1, sizeof all - 1, f);
        all[n] = '\0';
        fclose(f);
    }
    ok(line[0] == '#' && strstr(line, "(preset \"test\")"), "its first line is a description: %s",
       line);
    char name[64] = "";
    ok(config_saved_preset(path, name, sizeof name) == 0 && strcmp(name, "test") == 0,
       "config_saved_preset reads the preset back from it ('%s')", name);
    c.preset[0] = '\0';
    f = fopen(path, "w");
    if (f) {
        config_write_yaml(&c, f);
        fclose(f);
    }
    ok(config_saved_preset(path, name, sizeof name) == -1,
       "a configuration without a preset records none");
    ok(config_saved_preset("no/such/config.yaml", name, sizeof name) == -1,
       "a missing file has no preset");
    ok(strstr(all, "  lr: 0.0123456789") && strstr(all, "(live)") &&
           strstr(all, "[fashion-mnist|cifar10|synthetic|kjv|text]"),
       "values are commented with description, range and liveness");
    remove(path);
}

/* Preset names and data.dir values that YAML would misread if written raw:
 * each round-trips through config_write_yaml, config_load_file and
 * config_saved_preset. */
/* s with control bytes as \xNN, for one-line TAP descriptions. */
static const char *printable(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 5 < len; s++)
        n += (size_t)snprintf(buf + n, len - n,
                              (unsigned char)*s < 0x20 || *s == 0x7f ? "\\x%02x" : "%c",
                              (unsigned char)*s);
    buf[n] = '\0';
    return buf;
}

static void test_write_yaml_hostile(void)
{
    static const char *const names[] = {"line\nbreak",
                                        "double\"quote",
                                        "single'quote",
                                        "co:lon",
                                        "#hash",
                                        "mid #hash",
                                        "back\\slash",
                                        " leading space",
                                        "trailing space ",
                                        "tab\tbed",
                                        "cr\rhere",
                                        "paren) (preset x)",
                                        "none",
                                        "\"",
                                        "-",
                                        "\xc3\xbcml\xc3\xa4ut",
                                        "bell\a\x7f"};
    const char *path = "test_config_hostile.yaml";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        Config c, d;
        char err[512] = "", name[64] = "", shown[128], got[600];
        const char *ni = printable(names[i], shown, sizeof shown);
        config_defaults(&c);
        snprintf(c.preset, sizeof c.preset, "%s", names[i]);
        int rc = config_set(&c, "data.dir", names[i], err, sizeof err);
        int has_control = 0;
        for (const char *p = names[i]; *p; p++)
            has_control |= (unsigned char)*p < 0x20 || *p == 0x7f;
        ok(has_control ? rc == -1 && strstr(err, "control characters") : rc == 0,
           "data.dir '%s': %s (%s)", ni, has_control ? "refused" : "accepted",
           printable(err, got, sizeof got));
        FILE *f = fopen(path, "w");
        ok(f && config_write_yaml(&c, f) == 0, "preset '%s': config_write_yaml writes", ni);
        if (f)
            fclose(f);
        config_defaults(&d);
        err[0] = '\0';
        rc = config_load_file(&d, path, err, sizeof err);
        ok(rc == 0, "preset '%s': the file loads back (%s)", ni, printable(err, got, sizeof got));
        ok(strcmp(d.data.dir, c.data.dir) == 0, "preset '%s': data.dir reads back", ni);
        rc = config_saved_preset(path, name, sizeof name);
        ok(rc == 0 && strcmp(name, names[i]) == 0,
           "preset '%s': config_saved_preset reads the same name back ('%s')", ni,
           printable(name, got, sizeof got));
    }

    /* Text YAML cannot hold: refused or made readable where it enters. */
    Config c;
    char err[512] = "", shown[600];
    config_defaults(&c);
    int rc = config_set(&c, "data.dir", "/tmp/\xff\xfe", err, sizeof err);
    ok(rc == -1 && strstr(err, "UTF-8"), "a data.dir that is not UTF-8 is refused: %s",
       printable(err, shown, sizeof shown));
    const char *dir = "test_config_hostile.d";
    char file[256];
    mkdir(dir, 0777);
    snprintf(file, sizeof file, "%s/new\nline \"q\" #1.yaml", dir);
    FILE *f = fopen(file, "w");
    if (f) {
        fputs("run: { epochs: 3 }\n", f);
        fclose(f);
    }
    err[0] = '\0';
    rc = config_load_preset(&c, file, err, sizeof err);
    ok(rc == 0 && strcmp(c.preset, "new\nline \"q\" #1") == 0,
       "a preset file with a newline in its name loads, named after it (%s)",
       printable(err, shown, sizeof shown));
    remove(file);
    snprintf(file, sizeof file, "%s/bad\xff\xc3.yaml", dir);
    f = fopen(file, "w");
    if (f) {
        fputs("run: { epochs: 3 }\n", f);
        fclose(f);
    }
    rc = config_load_preset(&c, file, err, sizeof err);
    ok(rc == 0 && strcmp(c.preset, "bad??") == 0,
       "bytes of a preset file name that are not UTF-8 are shown as '?' ('%s')",
       printable(c.preset, shown, sizeof shown));
    remove(file);
    rmdir(dir);

    /* A config.yaml written before names were quoted still names its preset. */
    f = fopen(path, "w");
    if (f) {
        fputs("# effective configuration of a dartboard search (preset old-style)\n", f);
        fclose(f);
    }
    char name[64] = "";
    rc = config_saved_preset(path, name, sizeof name);
    ok(rc == 0 && strcmp(name, "old-style") == 0,
       "an unquoted preset name of an older run reads back ('%s')", name);
    remove(path);
}

int main(void)
{
    test_key_table();
    test_defaults();
    test_presets();
    test_good_file();
    test_file_errors();
    test_set();
    test_validate();
    test_write_yaml();
    test_write_yaml_hostile();
    return tap_done();
}
