/* host.h - the Lua host: state creation, embedded modules, error reporting. */
#ifndef MD_HOST_H
#define MD_HOST_H

#include <signal.h>
#include <lua.h>
#include "mixdown/md.h"

/* Set by SIGINT/SIGTERM; renders poll it and stop with MD_ERR_CANCELLED. */
extern volatile sig_atomic_t md_host_cancel;
/* Status of the last engine failure raised into Lua (maps to the exit code). */
extern md_status md_host_last_status;
/* --debug: tracebacks on errors. */
extern int md_host_debug;

/* A new state with the standard libraries and the embedded mixdown modules
 * reachable through require. NULL when out of memory. */
lua_State *md_host_new(void);
/* Installs SIGINT/SIGTERM handlers that set md_host_cancel. */
void md_host_signals(void);
/* Runs the chunk on top of the stack with nargs arguments under a message
 * handler that adds a traceback when md_host_debug is set. Returns a Lua status. */
int md_host_call(lua_State *L, int nargs, int nresults);
/* Loads an embedded file ("recipes/demo.lua", "mixdown.help") onto the stack;
 * returns 0 or pushes nothing and returns -1. */
int md_host_load_embedded(lua_State *L, const char *name);
/* Source text of an embedded file, or NULL. */
const char *md_host_embedded(const char *name, size_t *len);
/* Maps md_host_last_status and a Lua status to an exit code. */
int md_host_exit_code(int lua_status);
/* Prints "mixdown: <message>" (first line only unless --debug) to stderr. */
void md_host_report(lua_State *L, int status);

/* The mixdown.core module (graph, nodes, files). */
int luaopen_mixdown_core(lua_State *L);
/* mixdown.fs: stat, same_file, rename, remove (bind_fs.c). */
int luaopen_mixdown_fs(lua_State *L);
/* mixdown.sandbox: presets evaluated in a forked, limited child (sandbox.c). */
int luaopen_mixdown_sandbox(lua_State *L);

/* Progress bar on stderr when it is a terminal. */
void md_host_progress(void *user, int64_t done, int64_t total);

#endif
