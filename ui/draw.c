/* draw: clipped text and frames (see draw.h). */
#include "ui/draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int draw_text(WINDOW *w, Rect clip, int y, int x, const char *s, attr_t attr)
{
    if (y < clip.y || y >= clip.y + clip.h)
        return x + glyphs_width(s);
    while (*s) {
        int n = glyphs_char_len(s);
        if (x >= clip.x + clip.w)
            break;
        if (x >= clip.x) {
            char buf[8];
            memcpy(buf, s, (size_t)n);
            buf[n] = 0;
            wattrset(w, attr);
            mvwaddstr(w, y, x, buf);
        }
        s += n;
        x++;
    }
    wattrset(w, A_NORMAL);
    return x + glyphs_width(s);
}

int draw_textf(WINDOW *w, Rect clip, int y, int x, attr_t attr, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return draw_text(w, clip, y, x, buf, attr);
}

int draw_repeat(WINDOW *w, Rect clip, int y, int x, const char *s, int n, attr_t attr)
{
    for (int i = 0; i < n; i++)
        x = draw_text(w, clip, y, x, s, attr);
    return x;
}

void draw_fill(WINDOW *w, Rect r, attr_t attr)
{
    for (int y = r.y; y < r.y + r.h; y++)
        draw_repeat(w, r, y, r.x, " ", r.w, attr);
}

void draw_frame(WINDOW *w, Rect r, const Style *st, const char *title, attr_t attr)
{
    const Glyphs *g = st->g;
    if (r.h < 2 || r.w < 2)
        return;
    int bottom = r.y + r.h - 1, right = r.x + r.w - 1;
    draw_text(w, r, r.y, r.x, g->tl, attr);
    draw_repeat(w, r, r.y, r.x + 1, g->hline, r.w - 2, attr);
    draw_text(w, r, r.y, right, g->tr, attr);
    for (int y = r.y + 1; y < bottom; y++) {
        draw_text(w, r, y, r.x, g->vline, attr);
        draw_text(w, r, y, right, g->vline, attr);
    }
    draw_text(w, r, bottom, r.x, g->bl, attr);
    draw_repeat(w, r, bottom, r.x + 1, g->hline, r.w - 2, attr);
    draw_text(w, r, bottom, right, g->br, attr);
    if (title && r.w > 6) {
        Rect t = {r.y, r.x + 2, 1, r.w - 4};
        draw_textf(w, t, r.y, r.x + 2, attr | A_BOLD, " %s ", title);
    }
}

Rect draw_inner(Rect r)
{
    Rect in = {r.y + 1, r.x + 1, r.h - 2, r.w - 2};
    if (in.h < 0)
        in.h = 0;
    if (in.w < 0)
        in.w = 0;
    return in;
}
