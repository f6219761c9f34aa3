/* cli.c - the command line: global flags, verbs, exit codes.
 *
 *   mixdown VERB [ARGS...]    run, master, mix, analyze, presets, nodes
 *   mixdown                   REPL on a terminal; a script from a pipe
 *   mixdown -                 the script on stdin
 * --help, --version and --debug work everywhere. Most verbs live in the
 * embedded Lua module mixdown.cli; `analyze` is pure C (cmd_analyze.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lualib.h>
#include "cli.h"
#include "cmd_analyze.h"
#include "cmd_report.h"
#include "host.h"
#include "repl.h"

static int run_lua_cli(int argc, char **argv)
{
    lua_State *L = md_host_new();
    if (!L) {
        fprintf(stderr, "mixdown: out of memory\n");
        return MD_EXIT_INTERNAL;
    }
    int status;
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.cli");
    status = md_host_call(L, 1, 1);
    if (status == LUA_OK) {
        lua_getfield(L, -1, "main");
        lua_newtable(L);
        for (int i = 0; i < argc; i++) {
            lua_pushstring(L, argv[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_pushboolean(L, md_host_debug);
        status = md_host_call(L, 2, 1);
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

int md_cli_main(int argc, char **argv)
{
    /* strip --debug wherever it is; it changes how errors are reported */
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--debug") == 0)
            md_host_debug = 1;
        else
            argv[n++] = argv[i];
    }
    argc = n;
    argv[argc] = NULL;
    md_host_signals();

    /* --version anywhere (for `run`, only before the script: what follows the
     * script is the script's own arguments) */
    for (int i = 1; i < argc; i++) {
        if (i >= 3 && strcmp(argv[1], "run") == 0)
            break;
        if (strcmp(argv[i], "--version") == 0) {
            printf("mixdown %s\n", MD_VERSION);
            return MD_EXIT_OK;
        }
    }
    if (argc >= 2 && strcmp(argv[1], "analyze") == 0) /* --report: Lua (cmd_report.c) */
        return md_cmd_wants_report(argc - 1, argv + 1) ? md_cmd_analyze_report(argc - 1, argv + 1)
                                                       : md_cmd_analyze(argc - 1, argv + 1);
    if (argc == 1 || (argc >= 2 && strcmp(argv[1], "-") == 0)) {
        if (argc == 1 && isatty(0))
            return md_repl_main();
        return md_repl_script_stdin();
    }
    return run_lua_cli(argc - 1, argv + 1);
}
