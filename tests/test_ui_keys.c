/* test_ui_keys: the man page's INTERACTIVE COMMANDS list the keys the UI has.
 *
 * The UI's key table (ui/help.c) is the source of truth: every key in it must
 * be documented in man/dartboard.1.in, and the man page must not document a
 * key the UI lacks. Also checks the table itself: every key dispatches to
 * its action, no key code is bound twice.
 *
 * Key names are compared after normalising the spellings a man page uses
 * (font escapes, "Ctrl+L"/"^L"/"C-l", "Escape", "1\(en4", "1, 2, 3, 4").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"
#include "ui/help.h"

#define MAX_KEYS 64

/* Lower case, no roff escapes or quotes; spelling variants folded. */
static void normalise(char *out, size_t len, const char *in)
{
    char buf[128];
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < sizeof buf; p++) {
        if (p[0] == '\\' && (p[1] == 'f' || p[1] == 'F') && p[2]) {
            p += 2; /* \fB, \fR, \fI, \fP */
            continue;
        }
        if (p[0] == '\\' && p[1] == '(' && p[2] && p[3]) {
            buf[n++] = '-'; /* \(en, \(em, \(hy: ranges and dashes */
            p += 3;
            continue;
        }
        if (p[0] == '\\' && (p[1] == '-' || p[1] == '&' || p[1] == ' ')) {
            if (p[1] == '-')
                buf[n++] = '-';
            p++;
            continue;
        }
        if (*p == '"' || *p == '<' || *p == '>' || *p == '\'' || *p == '`')
            continue;
        buf[n++] = (char)tolower((unsigned char)*p);
    }
    buf[n] = 0;
    char *s = buf;
    while (*s == ' ')
        s++;
    for (char *e = s + strlen(s); e > s && e[-1] == ' ';)
        *--e = 0;
    if (!strcmp(s, "escape"))
        s = "esc";
    else if (!strcmp(s, "spacebar") || !strcmp(s, "space bar") || !strcmp(s, "spc"))
        s = "space";
    else if (!strcmp(s, "^l") || !strcmp(s, "c-l") || !strcmp(s, "ctrl+l") ||
             !strcmp(s, "control-l"))
        s = "ctrl-l";
    else if (!strcmp(s, "1..4") || !strcmp(s, "1 to 4") || !strcmp(s, "1 - 4"))
        s = "1-4";
    snprintf(out, len, "%s", s);
}

static int add_key(char keys[][32], int n, const char *k)
{
    if (!*k || n >= MAX_KEYS)
        return n;
    if (strlen(k) == 1 && k[0] >= '1' && k[0] <= '4')
        k = "1-4"; /* "1, 2, 3, 4" documents the same binding */
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], k))
            return n;
    snprintf(keys[n], 32, "%s", k);
    return n + 1;
}

/* The tags (.TP's next line, or .IP's argument) of the INTERACTIVE COMMANDS section. */
static int man_keys(const char *path, char keys[][32])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int in_section = 0, tag_next = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, ".SH", 3)) {
            in_section = strstr(line, "INTERACTIVE COMMANDS") != NULL;
            continue;
        }
        if (!in_section)
            continue;
        char *tag = NULL;
        if (!strncmp(line, ".TP", 3)) {
            tag_next = 1;
            continue;
        }
        if (!strncmp(line, ".IP ", 4)) {
            tag = line + 4;
        } else if (tag_next) {
            tag_next = 0;
            tag = line;
            /* .B / .BR / .I macros: their arguments are the tag. */
            if (tag[0] == '.') {
                tag += strcspn(tag, " ");
            }
        }
        if (!tag)
            continue;
        /* Several keys may share a tag: "tab, 1-4", "Esc or q". */
        char copy[512];
        snprintf(copy, sizeof copy, "%s", tag);
        for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
            char * or = strstr(tok, " or ");
            char *parts[2] = {tok, NULL};
            if (or) {
                * or = 0;
                parts[1] = or +4;
            }
            for (int i = 0; i < 2 && parts[i]; i++) {
                char k[64];
                normalise(k, sizeof k, parts[i]);
                n = add_key(keys, n, k);
            }
        }
    }
    fclose(f);
    return n;
}

static int contains(char keys[][32], int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], k))
            return 1;
    return 0;
}

int main(void)
{
    int count;
    const KeyHelp *table = help_keys(&count);
    char ui[MAX_KEYS][32];
    int n_ui = 0;

    /* The table dispatches each key to its own action, and binds a code once. */
    int dup = 0, wrong = 0;
    for (int i = 0; i < count; i++)
        for (int k = 0; k < 4 && table[i].keys[k]; k++) {
            if (help_action(table[i].keys[k]) != table[i].action)
                wrong++;
            for (int j = 0; j < i; j++)
                for (int m = 0; m < 4 && table[j].keys[m]; m++)
                    dup += table[j].keys[m] == table[i].keys[k];
        }
    ok(wrong == 0, "every key dispatches to its table action (%d wrong)", wrong);
    ok(dup == 0, "no key code is bound twice (%d)", dup);
    ok(help_action('q') == ACT_QUIT && help_action(KEY_ESCAPE) == ACT_CLOSE,
       "q quits, Esc only closes");
    ok(help_action('Z') == ACT_NONE, "an unbound key does nothing");

    for (int i = 0; i < count; i++) {
        char k[64];
        normalise(k, sizeof k, table[i].name);
        n_ui = add_key(ui, n_ui, k);
    }
    char man[MAX_KEYS][32];
    const char *path = tap_srcpath("man/dartboard.1.in");
    int n_man = man_keys(path, man);
    if (n_man < 0) {
        diag("%s not in this tree yet: the man page comparison waits for it", path);
        return tap_done();
    }
    ok(n_man > 0, "%s has an INTERACTIVE COMMANDS section with keys (%d)", path, n_man);
    for (int i = 0; i < n_ui; i++)
        ok(contains(man, n_man, ui[i]), "man page documents the key '%s'", ui[i]);
    for (int i = 0; i < n_man; i++)
        ok(contains(ui, n_ui, man[i]), "the UI has the key '%s' the man page documents", man[i]);
    return tap_done();
}
