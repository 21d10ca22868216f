/* client: a viewer's connection to a search in another process (dartboard
 * attach, dartboard ls), as a Feed the UI draws like a local session.
 *
 * It connects to the run's socket (the run directory's, else the per-user
 * fallback: rundir_socket_path), says HELLO, and takes the snapshots the
 * search sends: reading never waits (the UI polls seq every frame), and a
 * snapshot is used only once wire_snapshot_check() accepts it. A malformed
 * message from the search ends the connection like a lost one.
 */
#ifndef DARTBOARD_APP_CLIENT_H
#define DARTBOARD_APP_CLIENT_H

#include <stddef.h>

#include "dartboard/feed.h"

typedef struct Client Client;

/* Connects and waits (at most timeout_ms) for the first snapshot. NULL +
 * err ("DIR: no search is running there", ...) otherwise. */
Client *client_connect(const char *run_dir, int read_only, int timeout_ms, char *err,
                       size_t errlen);
/* The newest snapshot received (valid after client_connect). */
const Snapshot *client_snapshot(const Client *c);
const char *client_socket_path(const Client *c);
void client_feed(Client *c, Feed *f);
void client_close(Client *c);

#endif
