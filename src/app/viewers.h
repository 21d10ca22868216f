/* viewers: what lets a search outlive its terminal (docs/ARCHITECTURE.md,
 * Viewers): `search --detach` (a daemon), `dartboard ls`, and finding the
 * run `dartboard attach` means.
 */
#ifndef DARTBOARD_APP_VIEWERS_H
#define DARTBOARD_APP_VIEWERS_H

#include <stddef.h>
#include <stdio.h>

/* `search --detach`: forks the daemon (its own session, stdin /dev/null,
 * stdout and stderr /dev/null until it has a run directory) and returns in
 * it, with *report the descriptor detach_ready/detach_failed write to. The
 * calling process never returns: it waits for that word, says where the
 * search runs and how to attach (or prints the daemon's error), and exits
 * with the status the search would have started with. -1 if the fork failed. */
int detach_begin(int *report);
/* In the daemon, once the run directory is locked: stdout and stderr to
 * DIR/dartboard.log (rundir_open_log), then the waiting parent is told. */
int detach_ready(int report, const char *run_dir, char *err, size_t errlen);
void detach_failed(int report, int status, const char *message);

/* `dartboard ls [DIR]`: one line per run directory under DIR (default
 * runs): name, state, pid, preset, step/total, val accuracy, age, socket.
 * Returns the exit status. */
int viewers_ls(FILE *out, const char *dir);
/* The run `dartboard attach` means without RUN_DIR: the most recent
 * running one under runs/. 0 with it in buf; -1 with err (none running, or
 * several: err lists them). */
int viewers_pick(const char *dir, char *buf, size_t len, char *err, size_t errlen);

#endif
