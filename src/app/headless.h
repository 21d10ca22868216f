/* headless: the front-end without a screen (--headless, or stdout is not a
 * terminal). Prints one line per metric row, the session's messages, and the
 * genotype at the end; errors go to stderr as "dartboard: ...".
 */
#ifndef DARTBOARD_HEADLESS_H
#define DARTBOARD_HEADLESS_H

#include <stdio.h>

#include "dartboard/session.h"

/* Follows a started session until it is done or failed (polling its
 * snapshot every 100 ms). Returns 0 when it finished, 1 on an error. */
int headless_run(Session *s, FILE *out);

#endif
