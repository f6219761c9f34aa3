/* host.c - Lua state, embedded modules, signals, error reporting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lualib.h>
#include "cli.h"
#include "host.h"

typedef struct md_embedded {
    const char *name;
    const char *src;
    size_t len;
} md_embedded;
extern const md_embedded md_embedded_files[];

volatile sig_atomic_t md_host_cancel = 0;
md_status md_host_last_status = MD_OK;
int md_host_debug = 0;

static void on_signal(int sig)
{
    (void)sig;
    md_host_cancel = 1;
}

void md_host_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* a file-size limit makes writes fail with EFBIG instead of killing us */
    signal(SIGXFSZ, SIG_IGN);
}

const char *md_host_embedded(const char *name, size_t *len)
{
    for (const md_embedded *e = md_embedded_files; e->name; e++)
        if (strcmp(e->name, name) == 0) {
            if (len)
                *len = e->len;
            return e->src;
        }
    return NULL;
}

int md_host_load_embedded(lua_State *L, const char *name)
{
    size_t len;
    const char *src = md_host_embedded(name, &len);
    if (!src)
        return -1;
    char chunk[256];
    if (strncmp(name, "recipes/", 8) == 0)
        snprintf(chunk, sizeof chunk, "@%s", name);
    else
        snprintf(chunk, sizeof chunk, "@%s.lua", name);
    if (luaL_loadbufferx(L, src, len, chunk, "t") != LUA_OK)
        return lua_error(L);
    return 0;
}

/* package.searchers entry: modules embedded in the binary */
static int search_embedded(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (md_host_load_embedded(L, name) != 0) {
        lua_pushfstring(L, "no embedded module '%s'", name);
        return 1;
    }
    lua_pushstring(L, name);
    return 2;
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    if (md_host_debug)
        luaL_traceback(L, L, msg, 1);
    else
        lua_pushstring(L, msg);
    return 1;
}

int md_host_call(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

lua_State *md_host_new(void)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return NULL;
    luaL_openlibs(L);
    luaL_requiref(L, "mixdown.core", luaopen_mixdown_core, 0);
    lua_pop(L, 1);
    luaL_requiref(L, "mixdown.fs", luaopen_mixdown_fs, 0);
    lua_pop(L, 1);
    luaL_requiref(L, "mixdown.sandbox", luaopen_mixdown_sandbox, 0);
    lua_pop(L, 1);
    /* put the embedded searcher right after the preload searcher */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = n; i >= 2; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushcfunction(L, search_embedded);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
    return L;
}

int md_host_exit_code(int lua_status)
{
    if (lua_status == LUA_OK)
        return MD_EXIT_OK;
    if (md_host_cancel || md_host_last_status == MD_ERR_CANCELLED)
        return MD_EXIT_INTERRUPTED;
    if (lua_status == LUA_ERRMEM || md_host_last_status == MD_ERR_INTERNAL ||
        md_host_last_status == MD_ERR_NOMEM)
        return MD_EXIT_INTERNAL;
    return MD_EXIT_USAGE;
}

void md_host_report(lua_State *L, int status)
{
    if (status == LUA_OK)
        return;
    const char *msg = lua_tostring(L, -1);
    if (!msg)
        msg = "(error object is not a string)";
    if (md_host_debug) {
        fprintf(stderr, "mixdown: %s\n", msg);
    } else {
        /* one line: the first line of the message */
        const char *nl = strchr(msg, '\n');
        int len = nl ? (int)(nl - msg) : (int)strlen(msg);
        fprintf(stderr, "mixdown: %.*s\n", len, msg);
    }
    fflush(stderr);
}

/* --- progress ----------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct progress_state {
    double start;
    int shown;
} progress_state;

void md_host_progress(void *user, int64_t done, int64_t total)
{
    static progress_state st;
    const char *what = user ? (const char *)user : "rendering";
    if (!isatty(2))
        return;
    double t = now_s();
    if (done == 0 || st.start == 0) {
        st.start = t;
        st.shown = 0;
    }
    double elapsed = t - st.start;
    if (!st.shown && elapsed < 0.3 && !(total >= 0 && done >= total))
        return;
    if (total > 0 && done >= total) {
        if (st.shown)
            fprintf(stderr, "\r\033[K");
        st.start = 0;
        st.shown = 0;
        return;
    }
    st.shown = 1;
    if (total > 0) {
        int width = 30, fill = (int)(width * (double)done / total);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[width] = '\0';
        double eta = done > 0 ? elapsed * (double)(total - done) / done : 0;
        fprintf(stderr, "\r%s [%s] %3d%%  eta %.0f s  (Ctrl-C cancels)\033[K", what, bar,
                (int)(100.0 * done / total), eta);
    } else {
        fprintf(stderr, "\r%s %.1f s of audio  (Ctrl-C cancels)\033[K", what, elapsed);
    }
    fflush(stderr);
}
