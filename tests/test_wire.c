/* test_wire: the viewers' messages (src/app/wire.c) as each side parses them:
 * round trips, every header field refused when wrong, a 2 GiB length refused
 * at its header, a prefix asking for more, commands validated, and snapshots
 * refused unless every state, count, genotype and string is in range. */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "wire.h"

static unsigned char buf[2 * WIRE_CLIENT_MAX]; /* room for two messages */

static WireParse parse(const unsigned char *b, size_t len, int from_server, WireMsg *m,
                       size_t *used)
{
    char err[200] = "";
    WireParse r = wire_parse(b, len, from_server, m, used, err, sizeof err);
    if (r == WIRE_BAD && !err[0])
        ok(0, "a refusal without a reason");
    return r;
}

static Snapshot *valid_snapshot(void)
{
    static Snapshot s;
    memset(&s, 0, sizeof s);
    s.state = SESSION_RUNNING;
    s.nodes = s.config.model.nodes = 4;
    s.edges = genotype_edge_count(4);
    s.order = s.config.arch.order = 1;
    s.n_rows = 3;
    s.rows_total = 10;
    s.genotype.nodes = 4;
    for (int i = 0; i < 8; i++)
        s.genotype.normal[i] = s.genotype.reduce[i] = (GenoEdge){OP_SEP_CONV_3X3, i / 2 + 1};
    s.genotype.normal_concat_count = s.genotype.reduce_concat_count = 4;
    for (int i = 0; i < 4; i++)
        s.genotype.normal_concat[i] = s.genotype.reduce_concat[i] = 2 + i;
    return &s;
}

static int snapshot_ok(const Snapshot *s)
{
    char err[200];
    return wire_snapshot_check(s, err, sizeof err) == 0;
}

int main(void)
{
    WireMsg m;
    size_t used, n;

    n = wire_hello(buf, WIRE_READ_ONLY);
    ok(parse(buf, n, 0, &m, &used) == WIRE_OK && m.type == WIRE_HELLO &&
           m.flags == WIRE_READ_ONLY && used == n,
       "hello: round trip, read-only flag");
    int more = 1;
    for (size_t k = 0; k < n; k++)
        more &= parse(buf, k, 0, &m, &used) == WIRE_NEED_MORE;
    ok(more, "every prefix of a hello asks for more");
    ok(parse(buf, n, 1, &m, &used) == WIRE_BAD, "a hello is not expected from the search");

    Command c = {.kind = CMD_SET};
    snprintf(c.key, sizeof c.key, "optim.lr");
    snprintf(c.value, sizeof c.value, "0.0123");
    n = wire_command(buf, &c);
    ok(parse(buf, n, 0, &m, &used) == WIRE_OK && m.type == WIRE_COMMAND &&
           m.command.kind == CMD_SET && strcmp(m.command.key, "optim.lr") == 0 &&
           strcmp(m.command.value, "0.0123") == 0,
       "command: round trip");

    unsigned char bad[WIRE_CLIENT_MAX];
    memcpy(bad, buf, n);
    bad[0] = 'G';
    ok(parse(bad, 1, 0, &m, &used) == WIRE_BAD, "a wrong magic is refused at its first byte");
    memcpy(bad, buf, n);
    bad[4] = 9;
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "another protocol version is refused");
    memcpy(bad, buf, n);
    bad[12] ^= 1;
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "another snapshot layout is refused");
    memcpy(bad, buf, n);
    bad[6] = 77;
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "an unknown type is refused");
    wire_header(bad, WIRE_COMMAND, 0x80000000u);
    ok(parse(bad, WIRE_HEADER, 0, &m, &used) == WIRE_BAD,
       "a 2 GiB length is refused at its header");
    wire_header(bad, WIRE_SNAPSHOT, (uint32_t)sizeof(Snapshot));
    ok(parse(bad, WIRE_HEADER, 0, &m, &used) == WIRE_BAD, "a viewer may not send a snapshot");
    memcpy(bad, buf, n);
    memset(bad + WIRE_HEADER + 4, 'k', 64);
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "an unterminated key is refused");
    memcpy(bad, buf, n);
    memset(bad + WIRE_HEADER + 68, 'v', 64);
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "an unterminated value is refused");
    memcpy(bad, buf, n);
    bad[WIRE_HEADER] = CMD_STOP + 1;
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "an unknown command kind is refused");
    n = wire_hello(bad, 0x10);
    ok(parse(bad, n, 0, &m, &used) == WIRE_BAD, "unknown hello flags are refused");

    /* Two messages in one read: the first, then the rest. */
    size_t a = wire_hello(buf, 0);
    size_t b = wire_command(buf + a, &c);
    ok(parse(buf, a + b, 0, &m, &used) == WIRE_OK && used == a &&
           parse(buf + used, b, 0, &m, &used) == WIRE_OK && m.type == WIRE_COMMAND,
       "two messages in one buffer parse one after the other");

    n = wire_welcome(buf, 1234);
    ok(parse(buf, n, 1, &m, &used) == WIRE_OK && m.type == WIRE_WELCOME && m.pid == 1234,
       "welcome: round trip");

    Snapshot *s = valid_snapshot();
    ok(snapshot_ok(s), "a valid snapshot passes");
    s->genotype.nodes = 0;
    ok(snapshot_ok(s), "a genotype not derived yet passes");
    static const char *const spoils[] = {
        "a state out of range",
        "a negative state",
        "an unterminated preset",
        "an unterminated run_dir",
        "an unterminated message",
        "an unterminated data.dir",
        "nodes 0",
        "nodes 9",
        "edges not of the nodes",
        "n_rows above 512",
        "n_rows negative",
        "rows_total below n_rows",
        "order 3",
        "a negative step",
        "a genotype op out of range",
        "a genotype input ahead of its node",
        "a concat count too large",
        "an unterminated message in the ring",
        "a negative progress count",
    };
    int count = (int)(sizeof spoils / sizeof spoils[0]);
    for (int k = 0; k < count; k++) {
        s = valid_snapshot();
        switch (k) {
        case 0:
            s->state = SESSION_STATE_COUNT;
            break;
        case 1:
            s->state = (SessionState)-1;
            break;
        case 2:
            memset(s->preset, 'p', sizeof s->preset);
            break;
        case 3:
            memset(s->run_dir, 'r', sizeof s->run_dir);
            break;
        case 4:
            memset(s->message, 'm', sizeof s->message);
            break;
        case 5:
            memset(s->config.data.dir, 'd', sizeof s->config.data.dir);
            break;
        case 6:
            s->nodes = 0;
            break;
        case 7:
            s->nodes = GENOTYPE_MAX_NODES + 1;
            break;
        case 8:
            s->edges = GENOTYPE_MAX_EDGES;
            break;
        case 9:
            s->n_rows = SNAPSHOT_ROWS + 1;
            s->rows_total = 1000;
            break;
        case 10:
            s->n_rows = -1;
            break;
        case 11:
            s->rows_total = 2;
            break;
        case 12:
            s->order = 3;
            break;
        case 13:
            s->step = -1;
            break;
        case 14:
            s->prev_genotype = s->genotype;
            s->prev_genotype.reduce[3].op = OP_COUNT;
            break;
        case 15:
            s->genotype.normal[0].input = 2;
            break;
        case 16:
            s->genotype.reduce_concat_count = 7;
            break;
        case 17:
            memset(s->messages[SNAPSHOT_MESSAGES - 1], 'm', sizeof s->messages[0]);
            break;
        default:
            s->progress_total = -1;
            break;
        }
        ok(!snapshot_ok(s), "snapshot with %s: refused", spoils[k]);
    }
    return tap_done();
}
