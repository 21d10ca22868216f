/* test_evalnet: the evaluation network's parameter counts against the
 * PyTorch reference's --params. */
#include "config.h"

#include <stdio.h>

#include "dartboard/evalnet.h"
#include "tap.h"

static void test_counts(void)
{
    static const struct {
        const char *geno;
        int in_ch, img, C, layers;
        size_t without, with;
    } cases[] = {
        {"DARTS_V2", 3, 32, 36, 20, 3349342, 3825768},
        {"DARTS_V1", 3, 32, 36, 20, 3169414, 3645840},
        {"DARTS_V2", 1, 28, 16, 8, 245242, 680708},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Genotype g;
        genotype_published(cases[i].geno, &g);
        EvalSpec sp = {.in_channels = cases[i].in_ch, .height = cases[i].img,
                       .width = cases[i].img, .classes = 10, .init_channels = cases[i].C,
                       .layers = cases[i].layers, .stem_multiplier = 3, .auxiliary = 1,
                       .batch = 1};
        size_t w = 0, wn = 0, bytes = 0;
        char err[256] = "";
        int rc = evalnet_measure(&sp, &g, &w, &wn, &bytes, err, sizeof err);
        ok(rc == 0 && w == cases[i].with && wn == cases[i].without,
           "%s %dx%dx%d C%d %d cells: %zu weights, %zu without aux (want %zu, %zu) %s",
           cases[i].geno, cases[i].in_ch, cases[i].img, cases[i].img, cases[i].C,
           cases[i].layers, w, wn, cases[i].with, cases[i].without, err);
    }
}

int main(void)
{
    test_counts();
    return tap_done();
}
