/* feed: see dartboard/feed.h; the local one, a Session of this process. */
#include "config.h"

#include "dartboard/feed.h"

static uint64_t local_seq(void *ctx)
{
    return session_seq(ctx);
}

static uint64_t local_snapshot(void *ctx, Snapshot *out)
{
    return session_snapshot(ctx, out);
}

static void local_command(void *ctx, const Command *cmd)
{
    session_command(ctx, cmd);
}

static int local_status(void *ctx, const char **why)
{
    (void)ctx;
    *why = "";
    return 0;
}

static int local_finish(void *ctx)
{
    return session_join(ctx);
}

void feed_session(Feed *f, Session *s)
{
    *f = (Feed){.ctx = s,
                .seq = local_seq,
                .snapshot = local_snapshot,
                .command = local_command,
                .status = local_status,
                .finish = local_finish};
}
