/* repl.c - interactive Lua session with the mixdown library preloaded.
 *
 * As lua.c: a line that fails to compile because it ends early ("<eof>")
 * continues on the next line; "=expr" and bare expressions print their
 * values; errors print a traceback and never end the session; Ctrl-D exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <editline/readline.h>
#include <lauxlib.h>
#include <lualib.h>
#include "cli.h"
#include "host.h"
#include "repl.h"

static void history_path(char *buf, size_t size)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char dir[1024];
    if (state && *state)
        snprintf(dir, sizeof dir, "%s/mixdown", state);
    else if (home)
        snprintf(dir, sizeof dir, "%s/.local/state/mixdown", home);
    else {
        buf[0] = '\0';
        return;
    }
    /* mkdir -p, quietly */
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    mkdir(dir, 0700);
    snprintf(buf, size, "%s/history", dir);
}

static int incomplete(lua_State *L, int status)
{
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        if (lmsg >= 5 && strcmp(msg + lmsg - 5, "<eof>") == 0) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

/* compiles line as "return line" first, then as a statement */
static int load_line(lua_State *L, const char *code)
{
    const char *src = code[0] == '=' ? code + 1 : code;
    lua_pushfstring(L, "return %s;", src);
    int status = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin");
    lua_remove(L, -2);
    if (status == LUA_OK)
        return status;
    lua_pop(L, 1);
    return luaL_loadbuffer(L, code, strlen(code), "=stdin");
}

static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n <= 0)
        return;
    lua_getglobal(L, "print");
    lua_insert(L, base + 1);
    if (lua_pcall(L, n, 0, 0) != LUA_OK) {
        fprintf(stderr, "error calling print: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

static int setup(lua_State *L)
{
    /* md = require "mixdown", plus the REPL helpers */
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.repl");
    int status = md_host_call(L, 1, 0);
    if (status != LUA_OK) {
        md_host_report(L, status);
        return -1;
    }
    return 0;
}

int md_repl_main(void)
{
    lua_State *L = md_host_new();
    if (!L)
        return MD_EXIT_INTERNAL;
    md_host_debug = 1; /* a person is reading: tracebacks */
    if (setup(L) != 0) {
        lua_close(L);
        return MD_EXIT_INTERNAL;
    }
    char hist[1200];
    history_path(hist, sizeof hist);
    using_history();
    if (hist[0])
        read_history(hist);
    printf("mixdown %s - Lua %s.%s. help() lists what there is; Ctrl-D exits.\n", MD_VERSION,
           LUA_VERSION_MAJOR, LUA_VERSION_MINOR);
    char *line;
    luaL_Buffer *unused = NULL;
    (void)unused;
    char *pending = NULL;
    for (;;) {
        md_host_cancel = 0;
        line = readline(pending ? ">> " : "> ");
        if (!line)
            break;
        char *code;
        if (pending) {
            size_t len = strlen(pending) + strlen(line) + 2;
            code = malloc(len);
            snprintf(code, len, "%s\n%s", pending, line);
            free(pending);
            pending = NULL;
        } else {
            code = strdup(line);
        }
        free(line);
        if (!code)
            break;
        int base = lua_gettop(L);
        int status = load_line(L, code);
        if (incomplete(L, status)) {
            pending = code;
            continue;
        }
        if (code[0])
            add_history(code);
        free(code);
        if (status == LUA_OK)
            status = md_host_call(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L, base);
        else {
            fprintf(stderr, "%s\n", lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)");
            lua_pop(L, 1);
        }
        lua_settop(L, base);
    }
    free(pending);
    if (hist[0])
        write_history(hist);
    printf("\n");
    lua_close(L);
    return MD_EXIT_OK;
}

int md_repl_script_stdin(void)
{
    lua_State *L = md_host_new();
    if (!L)
        return MD_EXIT_INTERNAL;
    int status = LUA_OK;
    if (setup(L) != 0)
        status = LUA_ERRRUN;
    if (status == LUA_OK) {
        status = luaL_loadfilex(L, NULL, "t");
        if (status == LUA_OK)
            status = md_host_call(L, 0, 0);
        md_host_report(L, status);
    }
    int code = md_host_exit_code(status);
    lua_close(L);
    return code;
}
