/* tool: external programs run by fork/exec report their failures in one
 * line: a missing program names its Debian package, a failing one its exit
 * status and first line of output; stdout can go to a file, cwd is honoured,
 * and the child does not inherit a blocked signal mask. */
#include "dartboard/tool.h"
#include "helpers.h"
#include "tap.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    char msg[512] = "";
    const char *ok_argv[] = {"sh", "-c", "echo hello", NULL};
    ok(tool_run(ok_argv, NULL, "test_tool.out", NULL, msg, sizeof msg) == 0 &&
           test_file_has("test_tool.out", "hello"),
       "stdout goes to the given file");

    const char *pwd_argv[] = {"sh", "-c", "pwd", NULL};
    ok(tool_run(pwd_argv, "/", "test_tool.out", NULL, msg, sizeof msg) == 0 &&
           test_file_has("test_tool.out", "/\n"),
       "runs in the given directory");

    const char *fail_argv[] = {"sh", "-c", "echo; echo 'line 3: no such plot' >&2; exit 3", NULL};
    ok(tool_run(fail_argv, NULL, NULL, NULL, msg, sizeof msg) == -1 &&
           strcmp(msg, "sh failed (exit status 3): line 3: no such plot") == 0,
       "a failure gives the exit status and the first line of output: %s", msg);

    const char *missing_argv[] = {"dartboard-no-such-tool", NULL};
    ok(tool_run(missing_argv, NULL, NULL, "graphviz", msg, sizeof msg) == -1 &&
           strcmp(msg, "dartboard-no-such-tool: not installed (install the Debian package "
                       "graphviz)") == 0,
       "a missing program names its package: %s", msg);
    ok(!tool_available("dartboard-no-such-tool") && tool_available("sh"), "tool_available");

    /* A child of a thread that blocks every signal still gets SIGTERM. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    const char *sig_argv[] = {"grep", "SigBlk", "/proc/self/status", NULL};
    int rc = tool_run(sig_argv, NULL, "test_tool.out", NULL, msg, sizeof msg);
    sigprocmask(SIG_SETMASK, &old, NULL);
    ok(rc == 0 && test_file_has("test_tool.out", "SigBlk:\t0000000000000000"),
       "the child's signal mask is reset");

    const char *big_argv[] = {"sh", "-c", "yes dartboard | head -c 1000000", NULL};
    ok(tool_run(big_argv, NULL, NULL, NULL, msg, sizeof msg) == 0,
       "a megabyte of output does not block the child");
    unlink("test_tool.out");
    return tap_done();
}
