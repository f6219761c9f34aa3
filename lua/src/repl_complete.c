/* repl_complete.c - Tab completion: libedit glue around the Lua function
 * mixdown.repl_complete.complete(line), which decides what to complete (see
 * repl_complete.lua). One candidate is inserted; several insert their common
 * prefix, or, when that adds nothing, are listed in columns under the line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <histedit.h>
#include <lauxlib.h>
#include "repl.h"

#define MAX_LISTED 300

static int complete_ref = LUA_NOREF;

/* characters (not bytes) in s[0..len): UTF-8 continuation bytes do not count */
static int utf8_chars(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* length of the common prefix of a and b, cut back to a character boundary */
static size_t common_prefix(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    while (i > 0 && ((unsigned char)a[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static int term_columns(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* the candidates at index t, in columns as ls prints them */
static void list_candidates(lua_State *L, int t, size_t n)
{
    size_t shown = n > MAX_LISTED ? MAX_LISTED : n;
    size_t width = 0;
    for (size_t i = 1; i <= shown; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        size_t len;
        lua_tolstring(L, -1, &len);
        if (len > width)
            width = len;
        lua_pop(L, 1);
    }
    size_t cols = (size_t)term_columns() / (width + 2);
    if (cols == 0)
        cols = 1;
    size_t rows = (shown + cols - 1) / cols;
    fputc('\n', stdout);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            size_t i = c * rows + r;
            if (i >= shown)
                break;
            lua_rawgeti(L, t, (lua_Integer)i + 1);
            const char *s = lua_tostring(L, -1);
            int last = c + 1 == cols || (c + 1) * rows + r >= shown;
            printf("%-*s", last ? 0 : (int)(width + 2), s ? s : "");
            lua_pop(L, 1);
        }
        fputc('\n', stdout);
    }
    if (shown < n)
        printf("... and %zu more\n", n - shown);
    fflush(stdout);
}

static unsigned char on_tab(EditLine *el, int ch)
{
    (void)ch;
    lua_State *L = NULL;
    if (el_get(el, EL_CLIENTDATA, &L) != 0 || !L || complete_ref == LUA_NOREF)
        return CC_ERROR;
    const LineInfo *li = el_line(el);
    size_t upto = (size_t)(li->cursor - li->buffer);
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, complete_ref);
    lua_pushlstring(L, li->buffer, upto);
    if (lua_pcall(L, 1, 2, 0) != LUA_OK || !lua_isinteger(L, -2) || !lua_istable(L, -1)) {
        lua_settop(L, top);
        return CC_ERROR; /* beeps */
    }
    lua_Integer start = lua_tointeger(L, -2);
    int t = lua_gettop(L);
    size_t n = lua_rawlen(L, t);
    if (n == 0 || start < 1 || (size_t)start > upto + 1) {
        lua_settop(L, top);
        return CC_ERROR;
    }
    const char *word = li->buffer + start - 1;
    size_t wlen = upto - (size_t)(start - 1);
    /* what to put in place of word: the one candidate, or the common prefix */
    lua_rawgeti(L, t, 1);
    const char *first = lua_tostring(L, -1);
    size_t plen = strlen(first);
    for (size_t i = 2; i <= n; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        size_t c = common_prefix(first, lua_tostring(L, -1));
        if (c < plen)
            plen = c;
        lua_pop(L, 1);
    }
    unsigned char ret;
    if (plen > wlen || (plen == wlen && memcmp(first, word, plen) != 0)) {
        char *ins = malloc(plen + 1);
        if (!ins) {
            lua_settop(L, top);
            return CC_ERROR;
        }
        memcpy(ins, first, plen);
        ins[plen] = '\0';
        el_deletestr(el, utf8_chars(word, wlen));
        el_insertstr(el, ins);
        free(ins);
        ret = CC_REFRESH;
    } else if (n > 1) {
        list_candidates(L, t, n);
        ret = CC_REDISPLAY;
    } else {
        ret = CC_NORM; /* already complete */
    }
    lua_settop(L, top);
    return ret;
}

int md_repl_complete_install(EditLine *el, lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.repl_complete");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        return -1;
    }
    lua_getfield(L, -1, "complete");
    lua_remove(L, -2);
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        return -1;
    }
    complete_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    el_set(el, EL_CLIENTDATA, (void *)L);
    /* the wide call: libedit's narrow EL_ADDFN copies both strings and never
     * frees them */
    el_wset(el, EL_ADDFN, L"md-complete", L"complete names, parameters and file names",
            on_tab);
    el_set(el, EL_BIND, "^I", "md-complete", NULL);
    return 0;
}
