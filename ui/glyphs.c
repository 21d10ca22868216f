/* glyphs: UTF-8 and ASCII tables (see glyphs.h). */
#include "ui/glyphs.h"

#include "config.h"

#include <langinfo.h>
#include <string.h>
#include <strings.h>

static const Glyphs glyphs_utf8 = {
    .utf8 = 1,
    .arrow_in = "\u2190",
    .input_s0 = "c_{k-2}",
    .input_s1 = "c_{k-1}",
    .cell_out = "c_{k}",
    .kept = "\u2713",
    .winner = "\u25c6",
    .changed = "\u25cf",
    .shade = {" ", "\u2591", "\u2592", "\u2593", "\u2588"},
    .hline = "\u2500",
    .vline = "\u2502",
    .tl = "\u250c",
    .tr = "\u2510",
    .bl = "\u2514",
    .br = "\u2518",
    .tee_down = "\u252c",
    .tee_up = "\u2534",
    .arrow_head = "\u25ba",
    .ellipsis = "\u2026",
    .train_mark = "\u2500",
    .val_mark = "\u254c",
    .both_mark = "\u2500",
};

static const Glyphs glyphs_ascii = {
    .utf8 = 0,
    .arrow_in = "<-",
    .input_s0 = "k-2",
    .input_s1 = "k-1",
    .cell_out = "k",
    .kept = "+",
    .winner = "*",
    .changed = "!",
    .shade = {" ", ".", ":", "o", "#"},
    .hline = "-",
    .vline = "|",
    .tl = "+",
    .tr = "+",
    .bl = "+",
    .br = "+",
    .tee_down = "+",
    .tee_up = "+",
    .arrow_head = ">",
    .ellipsis = "~",
    .train_mark = "*",
    .val_mark = "o",
    .both_mark = "#",
};

const Glyphs *glyphs_get(int utf8)
{
    return utf8 ? &glyphs_utf8 : &glyphs_ascii;
}

int glyphs_locale_utf8(void)
{
#ifdef HAVE_NCURSESW
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0);
#else
    return 0;
#endif
}

unsigned glyphs_braille_bit(int dx, int dy)
{
    static const unsigned bits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    return bits[dy & 3][dx & 1];
}

void glyphs_braille(char out[4], unsigned bits)
{
    unsigned cp = 0x2800 + (bits & 0xff);
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    out[3] = 0;
}

int glyphs_char_len(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    int n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    for (int i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return i;
    return n;
}

int glyphs_width(const char *s)
{
    int w = 0;
    while (*s) {
        s += glyphs_char_len(s);
        w++;
    }
    return w;
}
