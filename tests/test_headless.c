/* test_headless: the headless log misses no message of the session.
 *
 * A paused session (the `test` preset) answers every CMD_SET with a message.
 * Several said between two reads of the snapshot are all printed, in the
 * order said; more than the snapshot keeps (SNAPSHOT_MESSAGES) print one
 * line saying how many were missed, then the newest ones in order; a read
 * with nothing new prints nothing. Every wait polls against a deadline.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dartboard/session.h"
#include "headless.h"
#include "helpers.h"
#include "tap.h"

#define RUN_DIR "test_headless.run"

static Snapshot snap;

static int seq_at_least(const Snapshot *s, const void *arg)
{
    return s->message_seq >= *(const uint64_t *)arg;
}

/* The lr of set k: distinct, so each message names its own (no trailing
 * zero, so the message writes it as given). */
static void lr_text(int k, char *buf, size_t len)
{
    snprintf(buf, len, "0.01%02d1", k);
}

/* Sends sets first..last (inclusive) and waits until the worker said them all. */
static int say_sets(Session *s, int first, int last)
{
    session_snapshot(s, &snap);
    uint64_t want = snap.message_seq + (uint64_t)(last - first + 1);
    for (int k = first; k <= last; k++) {
        char v[32];
        lr_text(k, v, sizeof v);
        test_send(s, CMD_SET, "optim.lr", v);
    }
    return test_wait(s, &snap, seq_at_least, &want);
}

/* What headless_print_messages prints for the newest snapshot. */
static char *print_new(Session *s, uint64_t *seen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    session_snapshot(s, &snap);
    headless_print_messages(f, &snap, seen);
    fclose(f);
    return text;
}

/* 1 when text is exactly the lines of sets first..last in order ("step N:
 * optim.lr OLD -> NEW"), after a line holding `missed` when not NULL. */
static int lines_are(const char *text, const char *missed, int first, int last)
{
    const char *p = text;
    if (missed) {
        const char *nl = strchr(p, '\n');
        if (!nl || !strstr(p, missed) || strstr(p, missed) > nl)
            return 0;
        p = nl + 1;
    }
    for (int k = first; k <= last; k++) {
        char want[64];
        char v[32];
        lr_text(k, v, sizeof v);
        snprintf(want, sizeof want, "-> %s\n", v); /* a message ends with the new value */
        const char *nl = strchr(p, '\n');
        const char *at = strstr(p, want);
        if (!nl || !strstr(p, " optim.lr ") || strstr(p, " optim.lr ") > nl || !at ||
            at + strlen(want) - 1 != nl) {
            diag("line for set %d (lr %s) not next in:\n%s", k, v, text);
            return 0;
        }
        p = nl + 1;
    }
    return *p == '\0';
}

int main(void)
{
    char err[1024];
    Config cfg;
    test_preset(&cfg, "run.epochs=50", "run.threads=1", NULL);
    if (test_remove_tree(RUN_DIR) != 0)
        return 99;
    SessionOptions opt = {.out_dir = RUN_DIR, .start_paused = 1};
    Session *s = session_create(&cfg, &opt, err, sizeof err);
    ok(s != NULL, "session_create (%s)", s ? "ok" : err);
    if (!s)
        return tap_done();
    ok(session_start(s) == 0, "session_start");
    SessionState paused = SESSION_PAUSED;
    ok(test_wait(s, &snap, test_is_state, &paused), "starts PAUSED");

    uint64_t seen = 0;
    char *text = print_new(s, &seen); /* whatever the start said */
    free(text);
    text = print_new(s, &seen);
    ok(text && text[0] == '\0', "nothing new: nothing printed");
    free(text);

    ok(say_sets(s, 1, 5), "five messages said between two reads");
    text = print_new(s, &seen);
    ok(text && lines_are(text, NULL, 1, 5), "all five printed, in the order said");
    free(text);

    const int over = SNAPSHOT_MESSAGES + 4;
    ok(say_sets(s, 6, 5 + over), "%d messages said between two reads", over);
    text = print_new(s, &seen);
    ok(text && lines_are(text, "4 messages missed", 10, 5 + over),
       "the missed count, then the newest %d in order", SNAPSHOT_MESSAGES);
    if (text && !lines_are(text, "4 messages missed", 10, 5 + over))
        diag("printed:\n%s", text);
    free(text);
    ok(seen == snap.message_seq, "the reader is level with the session (%llu)",
       (unsigned long long)seen);

    test_send(s, CMD_STOP, NULL, NULL);
    ok(session_join(s) == 0, "stopped with a checkpoint");
    session_free(s);
    test_remove_tree(RUN_DIR);
    return tap_done();
}
