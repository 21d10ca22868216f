/* tool: run an external program (Graphviz dot, gnuplot) and report how it
 * went, for the exports. fork/exec, never a shell: paths with spaces or
 * quotes need no escaping.
 */
#ifndef DARTBOARD_TOOL_H
#define DARTBOARD_TOOL_H

#include <stddef.h>

/* Runs argv[0] (looked up in PATH) with argv (NULL-terminated) in directory
 * cwd (NULL = the current one), stdin from /dev/null. stdout goes to
 * stdout_path when not NULL, else it is collected with stderr. Returns 0
 * when the program exited with status 0; else -1 and msg gets
 * "PROGRAM: not installed (install the Debian package PACKAGE)" or
 * "PROGRAM failed (exit status N): first line of its output". package may be
 * NULL. */
int tool_run(const char *const argv[], const char *cwd, const char *stdout_path,
             const char *package, char *msg, size_t msglen);

/* 1 when `name` is an executable in PATH. */
int tool_available(const char *name);

#endif
