/* wire: the messages between a search and its viewers (dartboard attach),
 * over a Unix domain socket on one machine (docs/ARCHITECTURE.md, Viewers).
 *
 * Every message is a 16-byte header then a payload:
 *
 *   u32 magic "DBV1"  u16 protocol version  u16 type  u32 payload length  u32 layout
 *
 * in the host's byte order (both ends run on the same machine). `layout` is
 * the Snapshot's layout version and size (wire_layout()), so a viewer built
 * from other sources is refused rather than misread. Each type has a fixed
 * payload length: anything else (a wrong magic, version or layout, an
 * unknown type, a length that is not the type's) is malformed, and the peer
 * that sent it is closed. The parsers never trust a byte: a snapshot is used
 * only after wire_snapshot_check().
 *
 *   viewer -> search   HELLO    u32 flags (WIRE_READ_ONLY)
 *                      COMMAND  u32 kind, char key[64], char value[64], NUL-terminated
 *   search -> viewer   WELCOME  u32 pid of the search
 *                      SNAPSHOT the Snapshot, sizeof(Snapshot) bytes
 */
#ifndef DARTBOARD_APP_WIRE_H
#define DARTBOARD_APP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "dartboard/session.h"

#define WIRE_MAGIC 0x31564244u /* "DBV1" */
#define WIRE_VERSION 1
#define WIRE_HEADER 16
#define WIRE_READ_ONLY 1u
/* Bumped when a Snapshot field changes meaning without changing its size;
 * 3: the message ring and the training progress points; 4: how much of its
 * epoch a progress point has done. */
#define WIRE_SNAPSHOT_LAYOUT 4u

typedef enum WireType {
    WIRE_HELLO = 1,
    WIRE_COMMAND,
    WIRE_WELCOME,
    WIRE_SNAPSHOT,
    WIRE_TYPE_END
} WireType;

#define WIRE_COMMAND_PAYLOAD (4 + 64 + 64)
/* The largest message a viewer may send (the server's input buffer). */
#define WIRE_CLIENT_MAX (WIRE_HEADER + WIRE_COMMAND_PAYLOAD)
#define WIRE_SNAPSHOT_FRAME (WIRE_HEADER + sizeof(Snapshot))

typedef struct WireMsg {
    WireType type;
    uint32_t flags;               /* HELLO */
    uint32_t pid;                 /* WELCOME */
    Command command;              /* COMMAND, validated */
    const unsigned char *payload; /* SNAPSHOT: sizeof(Snapshot) bytes inside the input */
} WireMsg;

typedef enum WireParse {
    WIRE_NEED_MORE, /* a prefix of a valid message: read more */
    WIRE_OK,        /* *used bytes hold one message */
    WIRE_BAD        /* malformed; err says how */
} WireParse;

/* The layout word of every header: WIRE_SNAPSHOT_LAYOUT and sizeof(Snapshot). */
uint32_t wire_layout(void);
/* Parses the first message in buf[0..len): from_server picks which types
 * may come (a viewer never sends a snapshot). */
WireParse wire_parse(const unsigned char *buf, size_t len, int from_server, WireMsg *msg,
                     size_t *used, char *err, size_t errlen);
/* Writes a header into out (WIRE_HEADER bytes). */
void wire_header(unsigned char *out, WireType type, uint32_t length);
/* Whole messages into out; returns their length. */
size_t wire_hello(unsigned char out[WIRE_HEADER + 4], uint32_t flags);
size_t wire_welcome(unsigned char out[WIRE_HEADER + 4], uint32_t pid);
size_t wire_command(unsigned char out[WIRE_CLIENT_MAX], const Command *cmd);
/* 0 when a snapshot that came over the wire is safe to draw: its state and
 * counts in range, its strings terminated, its genotypes cells of its node
 * count; else -1 with err. */
int wire_snapshot_check(const Snapshot *s, char *err, size_t errlen);

#endif
