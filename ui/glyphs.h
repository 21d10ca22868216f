/* glyphs: the characters the UI draws with, as a UTF-8 table and a parallel
 * ASCII table.
 *
 * UTF-8 is used only with ncursesw and a UTF-8 locale (LC_CTYPE), and never
 * with --ascii; everything else (C locale, plain ncurses) gets ASCII. Every
 * glyph is one terminal column wide, so widths are code-point counts.
 */
#ifndef DARTBOARD_UI_GLYPHS_H
#define DARTBOARD_UI_GLYPHS_H

#define GLYPH_SHADES 5

typedef struct Glyphs {
    int utf8;
    const char *arrow_in;            /* heatmap labels: n0←c_{k-2} */
    const char *input_s0, *input_s1; /* names of the cell inputs */
    const char *cell_out;            /* the cell's output state */
    const char *kept;                /* edge kept in the derived cell */
    const char *winner;              /* strongest (non-none) op of an edge */
    const char *changed;             /* genotype edge changed since the last report */
    const char *shade[GLYPH_SHADES]; /* monochrome heat, light to dark */
    const char *hline, *vline, *tl, *tr, *bl, *br, *tee_down, *tee_up, *arrow_head;
    const char *ellipsis;
    const char *train_mark, *val_mark, *both_mark; /* ASCII curves (braille in UTF-8) */
} Glyphs;

const Glyphs *glyphs_get(int utf8);
/* Whether the current LC_CTYPE is UTF-8 and the curses library can draw it. */
int glyphs_locale_utf8(void);
/* The braille cell with dots `bits` (bit 0..7 = dots 1..8), NUL-terminated. */
void glyphs_braille(char out[4], unsigned bits);
/* Bit of the braille dot at column dx (0-1) and row dy (0-3) of a cell. */
unsigned glyphs_braille_bit(int dx, int dy);
/* Terminal columns of a UTF-8 string (every glyph we draw is one column). */
int glyphs_width(const char *s);
/* Byte length of the UTF-8 sequence starting at s (1 for stray bytes). */
int glyphs_char_len(const char *s);

#endif
