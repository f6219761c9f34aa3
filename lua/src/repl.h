/* repl.h - the interactive session and the stdin-script mode.
 *
 * repl.c           the loop: libedit line editing, history, multi-line input,
 *                  =expr, results shown by mixdown.repl's show(), Ctrl-C
 * repl_complete.c  Tab completion: libedit glue around mixdown.repl_complete
 * bind_repl.c      listdir and embedded_names for the Lua side
 */
#ifndef MD_REPL_H
#define MD_REPL_H

#include <lua.h>

/* Interactive: line editing (libedit), history, multi-line input, =expr. */
int md_repl_main(void);
/* Runs standard input as one script, without prompts or escape codes. */
int md_repl_script_stdin(void);

/* Adds core.listdir(dir) and core.embedded_names(prefix) to the loaded
 * mixdown.core table (a no-op when it is not loaded). */
void md_repl_bind(lua_State *L);

struct editline;
/* Binds Tab on el to completion through mixdown.repl_complete.complete(line)
 * evaluated in L. Returns 0, or -1 when the module cannot be loaded (Tab then
 * keeps libedit's default). */
int md_repl_complete_install(struct editline *el, lua_State *L);

#endif
