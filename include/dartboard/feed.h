/* feed: what a front-end draws from and steers through, a search in this
 * process (a Session) or one in another process (a viewer's connection,
 * dartboard attach). The UI sees only this, so it draws both the same way.
 */
#ifndef DARTBOARD_FEED_H
#define DARTBOARD_FEED_H

#include <stdint.h>

#include "dartboard/session.h"

typedef struct Feed {
    void *ctx;
    /* Seq of the newest snapshot (to skip redraws); a remote feed reads what
     * has arrived, never waiting. */
    uint64_t (*seq)(void *ctx);
    /* Copies the newest snapshot; returns its seq. */
    uint64_t (*snapshot)(void *ctx, Snapshot *out);
    /* Sends a command (a read-only remote feed drops it). */
    void (*command)(void *ctx, const Command *cmd);
    /* 0 while the search can be reached; -1 once a remote feed lost it (the
     * search ended or was killed), with the reason in *why. */
    int (*status)(void *ctx, const char **why);
    /* After CMD_STOP: waits for the search to finish; its exit status. */
    int (*finish)(void *ctx);
    int remote;    /* the search runs in another process: leaving it detaches */
    int read_only; /* commands are dropped (dartboard attach --read-only) */
} Feed;

/* A feed on a session of this process. */
void feed_session(Feed *f, Session *s);

#endif
