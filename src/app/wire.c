/* wire: see wire.h */
#include "config.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

uint32_t wire_layout(void)
{
    return WIRE_SNAPSHOT_LAYOUT << 24 | (uint32_t)(sizeof(Snapshot) & 0xffffff);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t get_u16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

void wire_header(unsigned char *out, WireType type, uint32_t length)
{
    uint16_t version = WIRE_VERSION, t = (uint16_t)type;
    put_u32(out, WIRE_MAGIC);
    memcpy(out + 4, &version, 2);
    memcpy(out + 6, &t, 2);
    put_u32(out + 8, length);
    put_u32(out + 12, wire_layout());
}

size_t wire_hello(unsigned char out[WIRE_HEADER + 4], uint32_t flags)
{
    wire_header(out, WIRE_HELLO, 4);
    put_u32(out + WIRE_HEADER, flags);
    return WIRE_HEADER + 4;
}

size_t wire_welcome(unsigned char out[WIRE_HEADER + 4], uint32_t pid)
{
    wire_header(out, WIRE_WELCOME, 4);
    put_u32(out + WIRE_HEADER, pid);
    return WIRE_HEADER + 4;
}

size_t wire_command(unsigned char out[WIRE_CLIENT_MAX], const Command *cmd)
{
    wire_header(out, WIRE_COMMAND, WIRE_COMMAND_PAYLOAD);
    unsigned char *p = out + WIRE_HEADER;
    put_u32(p, (uint32_t)cmd->kind);
    memset(p + 4, 0, 128);
    memcpy(p + 4, cmd->key, strnlen(cmd->key, 63));
    memcpy(p + 68, cmd->value, strnlen(cmd->value, 63));
    return WIRE_HEADER + WIRE_COMMAND_PAYLOAD;
}

/* The one payload length each type has. */
static uint32_t payload_length(WireType t)
{
    switch (t) {
    case WIRE_HELLO:
    case WIRE_WELCOME:
        return 4;
    case WIRE_COMMAND:
        return WIRE_COMMAND_PAYLOAD;
    case WIRE_SNAPSHOT:
        return (uint32_t)sizeof(Snapshot);
    default:
        return 0;
    }
}

/* A NUL within the n bytes at p. */
static int terminated(const char *p, size_t n)
{
    return memchr(p, '\0', n) != NULL;
}

WireParse wire_parse(const unsigned char *buf, size_t len, int from_server, WireMsg *msg,
                     size_t *used, char *err, size_t errlen)
{
    /* Each header field is checked as soon as its bytes are in, so garbage
     * is refused at once rather than after waiting for a length it claims. */
    static const unsigned char magic[4] = {'D', 'B', 'V', '1'};
    size_t m = len < 4 ? len : 4;
    if (memcmp(buf, magic, m) != 0) {
        snprintf(err, errlen, "not a dartboard viewer message (bad magic)");
        return WIRE_BAD;
    }
    if (len < WIRE_HEADER)
        return WIRE_NEED_MORE;
    uint16_t version = get_u16(buf + 4), type = get_u16(buf + 6);
    uint32_t length = get_u32(buf + 8), layout = get_u32(buf + 12);
    if (version != WIRE_VERSION) {
        snprintf(err, errlen, "protocol version %u (expected %u)", version, WIRE_VERSION);
        return WIRE_BAD;
    }
    if (layout != wire_layout()) {
        snprintf(err, errlen, "snapshot layout %#x (expected %#x: another dartboard build)", layout,
                 wire_layout());
        return WIRE_BAD;
    }
    int allowed = from_server ? (type == WIRE_WELCOME || type == WIRE_SNAPSHOT)
                              : (type == WIRE_HELLO || type == WIRE_COMMAND);
    if (!allowed) {
        snprintf(err, errlen, "message type %u not expected from the %s", type,
                 from_server ? "search" : "viewer");
        return WIRE_BAD;
    }
    if (length != payload_length((WireType)type)) {
        snprintf(err, errlen, "message of %u bytes (type %u takes %u)", length, type,
                 payload_length((WireType)type));
        return WIRE_BAD;
    }
    if (len - WIRE_HEADER < length)
        return WIRE_NEED_MORE;
    const unsigned char *p = buf + WIRE_HEADER;
    memset(msg, 0, sizeof *msg);
    msg->type = (WireType)type;
    switch (msg->type) {
    case WIRE_HELLO:
        msg->flags = get_u32(p);
        if (msg->flags & ~WIRE_READ_ONLY) {
            snprintf(err, errlen, "hello with unknown flags %#x", msg->flags);
            return WIRE_BAD;
        }
        break;
    case WIRE_WELCOME:
        msg->pid = get_u32(p);
        break;
    case WIRE_COMMAND: {
        uint32_t kind = get_u32(p);
        if (kind > CMD_STOP) {
            snprintf(err, errlen, "command kind %u (expected 0 to %d)", kind, CMD_STOP);
            return WIRE_BAD;
        }
        if (!terminated((const char *)p + 4, 64) || !terminated((const char *)p + 68, 64)) {
            snprintf(err, errlen, "command key or value not terminated within 64 bytes");
            return WIRE_BAD;
        }
        msg->command.kind = (CommandKind)kind;
        memcpy(msg->command.key, p + 4, 64);
        memcpy(msg->command.value, p + 68, 64);
        break;
    }
    case WIRE_SNAPSHOT:
        msg->payload = p;
        break;
    default:
        break;
    }
    *used = WIRE_HEADER + length;
    return WIRE_OK;
}

static int genotype_ok(const Genotype *g, int nodes)
{
    if (g->nodes == 0)
        return 1; /* not derived yet (a search still starting) */
    if (g->nodes != nodes)
        return 0;
    for (int i = 0; i < 2 * nodes; i++) {
        const GenoEdge *cells[2] = {&g->normal[i], &g->reduce[i]};
        for (int c = 0; c < 2; c++)
            if (cells[c]->op < 0 || cells[c]->op >= OP_COUNT || cells[c]->input < 0 ||
                cells[c]->input >= 2 + i / 2)
                return 0;
    }
    int counts[2] = {g->normal_concat_count, g->reduce_concat_count};
    const int *concat[2] = {g->normal_concat, g->reduce_concat};
    for (int c = 0; c < 2; c++) {
        if (counts[c] < 0 || counts[c] > nodes + 2)
            return 0;
        for (int i = 0; i < counts[c]; i++)
            if (concat[c][i] < 0 || concat[c][i] >= nodes + 2)
                return 0;
    }
    return 1;
}

static int messages_terminated(const Snapshot *s)
{
    for (int i = 0; i < SNAPSHOT_MESSAGES; i++)
        if (!terminated(s->messages[i], sizeof s->messages[i]))
            return 0;
    return 1;
}

int wire_snapshot_check(const Snapshot *s, char *err, size_t errlen)
{
    const char *what = NULL;
    if ((unsigned)s->state >= SESSION_STATE_COUNT)
        what = "state";
    else if (!terminated(s->preset, sizeof s->preset) || !messages_terminated(s) ||
             !terminated(s->run_dir, sizeof s->run_dir) ||
             !terminated(s->message, sizeof s->message) ||
             !terminated(s->config.preset, sizeof s->config.preset) ||
             !terminated(s->config.data.set, sizeof s->config.data.set) ||
             !terminated(s->config.data.dir, sizeof s->config.data.dir))
        what = "a string";
    else if (s->nodes < 1 || s->nodes > GENOTYPE_MAX_NODES ||
             s->edges != genotype_edge_count(s->nodes) || s->config.model.nodes != s->nodes)
        what = "node or edge count";
    else if (s->n_rows < 0 || s->n_rows > SNAPSHOT_ROWS || s->rows_total < s->n_rows ||
             s->rows_resumed < 0 || s->rows_resumed > s->rows_total)
        what = "row count";
    else if (s->n_monitors < 0 || s->n_monitors > SNAPSHOT_MONITORS ||
             s->monitors_total < s->n_monitors)
        what = "monitor row count";
    else if (s->order < 0 || s->order > 2 || s->config.arch.order < 0 || s->config.arch.order > 2)
        what = "order";
    else if (s->step < 0 || s->total_steps < 0 || s->epoch < 0 || s->epochs < 0 ||
             s->progress_total < 0)
        what = "progress";
    else if (!genotype_ok(&s->genotype, s->nodes) || !genotype_ok(&s->prev_genotype, s->nodes) ||
             (s->es_stopped && !genotype_ok(&s->es_genotype, s->nodes)))
        what = "genotype";
    if (!what)
        return 0;
    snprintf(err, errlen, "snapshot with an invalid %s", what);
    return -1;
}
