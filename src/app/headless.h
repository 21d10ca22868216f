/* headless: the front-end without a screen (--headless, or stdout is not a
 * terminal). Prints one line per metric row (and, training, a progress line
 * every run.report_every steps between them), every message of the session,
 * and the genotype at the end; errors go to stderr as "dartboard: ...".
 */
#ifndef DARTBOARD_HEADLESS_H
#define DARTBOARD_HEADLESS_H

#include <stdio.h>

#include "dartboard/session.h"

/* Follows a started session until it is done or failed (polling its
 * snapshot every 100 ms). Returns 0 when it finished, 1 on an error. */
int headless_run(Session *s, FILE *out);
/* Prints the messages of p said after message *seen, in order (the newest
 * to stderr as "dartboard: ..." when p failed), or a line saying how many
 * were missed when the snapshot no longer holds them; *seen becomes
 * p->message_seq. */
void headless_print_messages(FILE *out, const Snapshot *p, uint64_t *seen);

#endif
