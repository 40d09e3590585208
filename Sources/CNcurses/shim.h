/* ncursesw for Swift: wide characters on, C globals and macros wrapped as functions
   (Swift 6 rejects mutable C globals and does not import function-like macros). */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <string.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *dafl_stdscr(void) { return stdscr; }
static inline int dafl_lines(void) { return LINES; }
static inline int dafl_cols(void) { return COLS; }
static inline int dafl_colors(void) { return COLORS; }
static inline int dafl_color_pairs(void) { return COLOR_PAIRS; }
static inline int dafl_key_resize(void) { return KEY_RESIZE; }
static inline attr_t dafl_a_bold(void) { return A_BOLD; }
static inline attr_t dafl_a_dim(void) { return A_DIM; }
static inline attr_t dafl_a_reverse(void) { return A_REVERSE; }
static inline attr_t dafl_a_normal(void) { return A_NORMAL; }
static inline int dafl_getch(void) { return wgetch(stdscr); }
static inline void dafl_timeout(int ms) { wtimeout(stdscr, ms); }
static inline int dafl_keypad(void) { return keypad(stdscr, TRUE); }
static inline int dafl_attr_set(attr_t a, short pair) { return attr_set(a, pair, NULL); }
static inline int dafl_mvaddnwstr(int y, int x, const wchar_t *s, int n) { return mvaddnwstr(y, x, s, n); }
static inline int dafl_erase(void) { return erase(); }
static inline int dafl_refresh(void) { return refresh(); }
static inline int dafl_clearok(void) { return clearok(stdscr, TRUE); }
static inline int dafl_resize_term(int lines, int cols) { return resize_term(lines, cols); }
/* Whether the C library's current codeset is UTF-8 (after setlocale). */
static inline int dafl_codeset_is_utf8(void) {
    const char *c = nl_langinfo(CODESET);
    return c && (strcmp(c, "UTF-8") == 0 || strcmp(c, "utf8") == 0);
}
