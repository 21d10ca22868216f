/* fuzz/wire.c: the messages between a search and its viewers (src/app/wire.c),
 * as each side parses them.
 *
 * Input: a first byte, then the bytes.
 *   'v' (the search reading a viewer): the bytes arrive as a stream in chunks
 *       whose sizes the bytes themselves pick, into the server's buffer of
 *       WIRE_CLIENT_MAX bytes, parsed as server.c does.
 *   anything else (a viewer reading the search): the bytes after the first
 *       four are laid over a valid snapshot frame at the offset the first four
 *       give, then parsed and checked as client.c does.
 * Checks: no crash; a parsed command has its kind in range and its strings
 * terminated; a parse never claims more bytes than it had; a snapshot that
 * wire_snapshot_check accepts can be drawn: every string ends, every count
 * indexes inside its array.
 *
 * With DARTBOARD_FUZZ_SEEDS=DIR the harness first writes its seeds there from
 * the real writers (their headers carry this build's snapshot layout): a
 * hello then a command, each cut anywhere; a valid snapshot frame.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include "wire.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "wire: %s\n", what);
        abort();
    }
}

static void from_viewer(const uint8_t *data, size_t size)
{
    unsigned char in[WIRE_CLIENT_MAX];
    size_t in_len = 0, at = 0;
    while (at < size) {
        size_t chunk = 1 + data[at] % 64; /* how much one recv brings */
        if (chunk > size - at)
            chunk = size - at;
        if (chunk > sizeof in - in_len)
            chunk = sizeof in - in_len;
        memcpy(in + in_len, data + at, chunk);
        in_len += chunk;
        at += chunk;
        for (;;) {
            WireMsg m;
            size_t used = 0;
            char err[160] = "";
            WireParse r = wire_parse(in, in_len, 0, &m, &used, err, sizeof err);
            if (r == WIRE_BAD) {
                check(err[0] != '\0', "a refusal without a reason");
                return; /* the server closes such a viewer */
            }
            if (r == WIRE_NEED_MORE) {
                check(in_len < sizeof in, "a full buffer that still needs more");
                break;
            }
            check(used >= WIRE_HEADER && used <= in_len, "a message longer than its input");
            check(m.type == WIRE_HELLO || m.type == WIRE_COMMAND, "a viewer sent a search's type");
            if (m.type == WIRE_COMMAND) {
                check(m.command.kind >= CMD_PAUSE && m.command.kind <= CMD_STOP, "command kind");
                check(memchr(m.command.key, 0, sizeof m.command.key) &&
                          memchr(m.command.value, 0, sizeof m.command.value),
                      "an unterminated command string");
            }
            memmove(in, in + used, in_len - used);
            in_len -= used;
        }
    }
}

/* What a UI reads of a snapshot: strings to their end, rows, genotypes. */
static size_t touch(const Snapshot *s)
{
    size_t n = strlen(s->preset) + strlen(s->run_dir) + strlen(s->message) +
               strlen(session_state_names[s->state]);
    for (int i = 0; i < SNAPSHOT_MESSAGES; i++)
        n += strlen(s->messages[i]);
    if (s->n_rows > 0)
        n += (size_t)s->rows[s->n_rows - 1].epoch;
    for (int e = 0; e < s->edges; e++)
        n += (size_t)(s->alpha_normal[e][0] > 0.5f);
    const Genotype *g[2] = {&s->genotype, &s->prev_genotype};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 2 * g[k]->nodes; i++)
            n += strlen(op_names[g[k]->normal[i].op]) + strlen(op_names[g[k]->reduce[i].op]);
    return n;
}

static unsigned char *frame;
static volatile size_t touched;

static void from_search(const uint8_t *data, size_t size)
{
    if (!frame) {
        frame = calloc(1, WIRE_SNAPSHOT_FRAME);
        check(frame != NULL, "out of memory");
    }
    /* A valid frame: a starting search of four nodes. */
    Snapshot base;
    memset(&base, 0, sizeof base);
    base.nodes = base.config.model.nodes = 4;
    base.edges = genotype_edge_count(4);
    base.order = base.config.arch.order = 1;
    wire_header(frame, WIRE_SNAPSHOT, (uint32_t)sizeof base);
    memcpy(frame + WIRE_HEADER, &base, sizeof base);
    size_t len = WIRE_SNAPSHOT_FRAME;
    if (size >= 4) {
        uint32_t off;
        memcpy(&off, data, 4);
        off %= (uint32_t)WIRE_SNAPSHOT_FRAME;
        size_t n = size - 4 < WIRE_SNAPSHOT_FRAME - off ? size - 4 : WIRE_SNAPSHOT_FRAME - off;
        memcpy(frame + off, data + 4, n);
        if (off == 0 && n < 8)
            len = n; /* a short read */
    }
    WireMsg m;
    size_t used = 0;
    char err[200] = "";
    WireParse r = wire_parse(frame, len, 1, &m, &used, err, sizeof err);
    if (r != WIRE_OK) {
        check(r == WIRE_NEED_MORE || err[0], "a refusal without a reason");
        return;
    }
    check(used <= len, "a message longer than its input");
    if (m.type != WIRE_SNAPSHOT)
        return;
    Snapshot *s = malloc(sizeof *s);
    check(s != NULL, "out of memory");
    memcpy(s, m.payload, sizeof *s);
    if (wire_snapshot_check(s, err, sizeof err) == 0)
        touched = touch(s); /* kept, so the reads are made; any sum is fine (it may wrap) */
    else
        check(err[0] != '\0', "a refusal without a reason");
    free(s);
}

static void seed(const char *dir, const char *name, const void *a, size_t alen, const void *b,
                 size_t blen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen || fwrite(b, 1, blen, f) != blen || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = getenv("DARTBOARD_FUZZ_SEEDS");
    if (!dir || !*dir)
        return 0;
    unsigned char msgs[1 + WIRE_HEADER + 4 + WIRE_CLIENT_MAX];
    msgs[0] = 'v';
    size_t n = 1 + wire_hello(msgs + 1, 0);
    Command set = {.kind = CMD_SET};
    snprintf(set.key, sizeof set.key, "optim.lr");
    snprintf(set.value, sizeof set.value, "0.01");
    n += wire_command(msgs + n, &set);
    seed(dir, "viewer", msgs, n, "", 0);
    seed(dir, "viewer-cut", msgs, n - 7, "", 0);
    unsigned char head[5] = {'s', 0, 0, 0, 0}; /* offset 0: the frame's own header */
    unsigned char hdr[WIRE_HEADER];
    wire_header(hdr, WIRE_SNAPSHOT, (uint32_t)sizeof(Snapshot));
    seed(dir, "snapshot", head, sizeof head, hdr, sizeof hdr);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 'v')
        from_viewer(data + 1, size - 1);
    else
        from_search(data + 1, size - 1);
    return 0;
}
