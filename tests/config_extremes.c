/* config_extremes: the values tests/test_config_extremes.sh runs, one line
 * each, "KEY VALUE EXPECT", from the key table itself so that a key added
 * later is tried too. Every numeric key at the ends of its documented range:
 * EXPECT "valid" for a value inside it, "refused" for the excluded end of a
 * half-open range (then the smallest value above it is listed as valid). */
#include <math.h>
#include <stdio.h>

#include "dartboard/config.h"

static void print_double(const char *key, double v, const char *expect)
{
    printf("%s %.17g %s\n", key, v, expect);
}

int main(void)
{
    int n;
    const ConfigKey *keys = config_keys(&n);
    for (int i = 0; i < n; i++) {
        const ConfigKey *k = &keys[i];
        switch (k->type) {
        case CONFIG_INT:
            printf("%s %.0f valid\n%s %.0f valid\n", k->name, k->min, k->name, k->max);
            break;
        case CONFIG_UINT64:
            printf("%s 0 valid\n%s 18446744073709551615 valid\n", k->name, k->name);
            break;
        case CONFIG_DOUBLE:
            if (k->min_open) {
                print_double(k->name, k->min, "refused");
                print_double(k->name, nextafter(k->min, INFINITY), "valid");
            } else {
                print_double(k->name, k->min, "valid");
            }
            print_double(k->name, k->max, "valid");
            break;
        case CONFIG_BOOL:
        case CONFIG_STRING:
        case CONFIG_CHOICE:
            break;
        }
    }
    return 0;
}
