/* server: the viewers of a search (dartboard attach), served from a thread
 * of the search's process (docs/ARCHITECTURE.md, Viewers).
 *
 * It listens on the run's Unix socket (rundir_socket_path: created 0600 in
 * a directory only the user can write), accepts only peers of our own uid
 * (SO_PEERCRED), and in a poll loop of its own sends each viewer the newest
 * snapshot whenever its seq moved and the viewer has taken the previous one,
 * and hands the viewers' commands to the session (session_command: the same
 * validated queue the local UI uses; a read-only viewer's are dropped). It
 * uses only session.h. Nothing a viewer does can block it: sockets are
 * non-blocking, a viewer that does not read simply gets no newer snapshot,
 * and one that sends a malformed or oversized message, or says nothing
 * within WIRE_HELLO_SECONDS, is closed with one line on stderr.
 */
#ifndef DARTBOARD_APP_SERVER_H
#define DARTBOARD_APP_SERVER_H

#include <stddef.h>

#include "dartboard/session.h"

#define SERVER_MAX_VIEWERS 16
#define SERVER_HELLO_SECONDS 2

typedef struct Server Server;

/* Binds the socket of the run directory `run_dir` (which this process has
 * locked, so a socket file left there is stale and replaced) and starts the
 * thread. NULL + err when there is no socket to be had. */
Server *server_start(Session *s, const char *run_dir, char *err, size_t errlen);
/* Sends the newest snapshot to every viewer (the search's last state),
 * closes them, removes the socket and joins the thread. */
void server_stop(Server *sv);

#endif
