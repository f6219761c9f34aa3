/* cmd_report.c - `mixdown analyze FILE... --report FILE.html`: runs
 * mixdown.report.analyze_main(args) in a fresh Lua state. */
#include "cmd_report.h"
#include "cli.h"
#include "host.h"
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

int md_cmd_wants_report(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--report") == 0)
            return 1;
    }
    return 0;
}

int md_cmd_analyze_report(int argc, char **argv)
{
    lua_State *L = md_host_new();
    if (!L) {
        fprintf(stderr, "mixdown: out of memory\n");
        return MD_EXIT_INTERNAL;
    }
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.report");
    int status = md_host_call(L, 1, 1);
    if (status == LUA_OK) {
        lua_getfield(L, -1, "analyze_main");
        lua_createtable(L, argc - 1, 0);
        for (int i = 1; i < argc; i++) {
            lua_pushstring(L, argv[i]);
            lua_rawseti(L, -2, i);
        }
        status = md_host_call(L, 1, 1);
    }
    int code;
    if (status == LUA_OK) {
        code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : MD_EXIT_OK;
    } else {
        md_host_report(L, status);
        code = md_host_exit_code(status);
    }
    lua_close(L);
    if (md_host_cancel && code != MD_EXIT_OK)
        code = MD_EXIT_INTERRUPTED;
    return code;
}
