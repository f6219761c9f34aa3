/* repl.c - interactive Lua session with the mixdown library preloaded.
 *
 * As lua.c: a line that fails to compile because it ends early ("<eof>")
 * continues on the next line; "=expr" and bare expressions print their
 * values (through mixdown.repl's show(), which prints chains, files and
 * measurements readably); errors print a traceback and never end the
 * session; Ctrl-D exits.
 *
 * Line editing is libedit's own API (not its readline emulation), which
 * tells Ctrl-C apart from end of input and lets Tab call our completion.
 * Ctrl-C: the SIGINT handler of host.c only sets md_host_cancel. At the
 * prompt, el_gets then returns NULL with count -1: the line is dropped and a
 * new prompt shown. During a render the engine polls the flag and stops (no
 * file written). During Lua code a count hook polls it and raises
 * "interrupted", so `while true do end` can be stopped too.
 */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <histedit.h>
#include <lauxlib.h>
#include <lualib.h>
#include "cli.h"
#include "host.h"
#include "repl.h"

#define HISTORY_SIZE 2000

static void history_path(char *buf, size_t size)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char dir[1024];
    if (state && *state)
        snprintf(dir, sizeof dir, "%s/mixdown", state);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.local/state/mixdown", home);
    else {
        buf[0] = '\0';
        return;
    }
    /* mkdir -p, quietly: a missing history is not worth an error */
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

/* values base+1..top through repl.show (print when it is missing) */
static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n <= 0)
        return;
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.repl");
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
        lua_getfield(L, -1, "show");
        lua_remove(L, -2);
    } else {
        lua_pop(L, 1);
        lua_getglobal(L, "print");
    }
    lua_insert(L, base + 1);
    if (md_host_call(L, n, 0) != LUA_OK) {
        fprintf(stderr, "error printing the result: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

/* Polls md_host_cancel while Lua code runs: Ctrl-C stops loops as well as
 * renders. It raises again on every check until the chunk ends, so a pcall
 * in a loop cannot swallow it. */
static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (md_host_cancel)
        luaL_error(L, "interrupted");
}

static int setup(lua_State *L)
{
    md_repl_bind(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.repl");
    int status = md_host_call(L, 1, 0);
    if (status != LUA_OK) {
        md_host_report(L, status);
        return -1;
    }
    lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, 10000);
    return 0;
}

/* --- the interactive loop -------------------------------------------------------- */

static const char *prompt = "> ";

/* SIGTERM ends the session (after cancelling a render); host.c's handler
 * alone would make it look like Ctrl-C at the prompt */
static volatile sig_atomic_t quit_requested = 0;

static void on_term(int sig)
{
    (void)sig;
    quit_requested = 1;
    md_host_cancel = 1;
}

static char *prompt_fn(EditLine *el)
{
    (void)el;
    return (char *)prompt;
}

static void report_error(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    if (!msg)
        msg = "(error object is not a string)";
    if (md_host_cancel) {
        /* Ctrl-C: the message's first line without the position, no traceback */
        const char *nl = strchr(msg, '\n');
        int len = nl ? (int)(nl - msg) : (int)strlen(msg);
        const char *p = strstr(msg, "interrupted");
        if (p && p < msg + len) {
            len -= (int)(p - msg);
            msg = p;
        }
        if (isatty(2))
            fputs("\r\033[K", stderr); /* the progress bar's line */
        fprintf(stderr, "%.*s\n", len, msg);
    } else {
        fprintf(stderr, "%s\n", msg);
    }
    fflush(stderr);
}

static int has(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Message handler of the session: the message and a traceback without the
 * frames of the recording wrappers (repl_record.lua), which are not the
 * user's code, nor the C `error` that re-raised through them. */
static int msghandler(lua_State *L)
{
    static const char wrapper[] = "mixdown.repl_record.lua:";
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    const char *line = lua_tostring(L, -1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        const char *next = line + len;
        int skip = has(line, len, wrapper);
        if (!skip && has(line, len, "[C]: in function 'error'")) {
            const char *n = next + strspn(next, " \t");
            skip = strncmp(n, wrapper, sizeof wrapper - 1) == 0;
        }
        if (!skip)
            luaL_addlstring(&b, line, len);
        line = next;
    }
    luaL_pushresult(&b);
    return 1;
}

/* Runs one complete chunk on top of the stack; prints results or the error. */
static void run_chunk(lua_State *L, int base)
{
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base + 1);
    int status = lua_pcall(L, 0, LUA_MULTRET, base + 1);
    lua_remove(L, base + 1);
    fflush(stdout);
    if (status == LUA_OK)
        print_results(L, base);
    else
        report_error(L);
    lua_settop(L, base);
    md_host_last_status = MD_OK;
}

static char *join_lines(char *pending, const char *line)
{
    if (!pending)
        return strdup(line);
    size_t len = strlen(pending) + strlen(line) + 2;
    char *code = malloc(len);
    if (code)
        snprintf(code, len, "%s\n%s", pending, line);
    free(pending);
    return code;
}

int md_repl_main(void)
{
    setlocale(LC_CTYPE, ""); /* libedit: UTF-8 input in a UTF-8 terminal */
    lua_State *L = md_host_new();
    if (!L)
        return MD_EXIT_INTERNAL;
    md_host_debug = 1; /* a person is reading: tracebacks */
    if (setup(L) != 0) {
        lua_close(L);
        return MD_EXIT_INTERNAL;
    }

    char hist_file[1200];
    history_path(hist_file, sizeof hist_file);
    HistEvent ev;
    History *hist = history_init();
    history(hist, &ev, H_SETSIZE, HISTORY_SIZE);
    history(hist, &ev, H_SETUNIQUE, 1);
    if (hist_file[0])
        history(hist, &ev, H_LOAD, hist_file);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);

    EditLine *el = el_init("mixdown", stdin, stdout, stderr);
    if (!el) {
        fprintf(stderr, "mixdown: cannot start line editing (out of memory)\n");
        history_end(hist);
        lua_close(L);
        return MD_EXIT_INTERNAL;
    }
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_SIGNAL, 1);
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_HIST, history, hist);
    el_source(el, NULL); /* the user's ~/.editrc */
    md_repl_complete_install(el, L);

    printf("mixdown %s - Lua %s.%s. help() lists what there is; Ctrl-D exits.\n", MD_VERSION,
           LUA_VERSION_MAJOR, LUA_VERSION_MINOR);
    fflush(stdout);
    char *pending = NULL;
    for (;;) {
        md_host_cancel = 0;
        prompt = pending ? ">> " : "> ";
        int count = 0;
        errno = 0;
        const char *got = quit_requested ? NULL : el_gets(el, &count);
        if (!got) {
            if (!quit_requested && count < 0 && (md_host_cancel || errno == EINTR)) {
                /* Ctrl-C at the prompt: drop the line (and a pending statement) */
                fputs("\n", stdout);
                fflush(stdout);
                free(pending);
                pending = NULL;
                el_reset(el);
                continue;
            }
            break; /* Ctrl-D or end of input */
        }
        size_t len = strlen(got);
        while (len > 0 && (got[len - 1] == '\n' || got[len - 1] == '\r'))
            len--;
        char *line = malloc(len + 1);
        if (!line)
            break;
        memcpy(line, got, len);
        line[len] = '\0';
        if (len > 0) {
            history(hist, &ev, H_ENTER, line);
            if (hist_file[0])
                history(hist, &ev, H_SAVE, hist_file);
        }
        char *code = join_lines(pending, line);
        free(line);
        pending = NULL;
        if (!code)
            break;
        int base = lua_gettop(L);
        int status = load_line(L, code);
        if (incomplete(L, status)) {
            pending = code;
            continue;
        }
        free(code);
        if (status == LUA_OK)
            run_chunk(L, base);
        else {
            report_error(L);
            lua_settop(L, base);
        }
        if (quit_requested)
            break;
    }
    free(pending);
    if (hist_file[0])
        history(hist, &ev, H_SAVE, hist_file);
    el_end(el);
    history_end(hist);
    printf("\n");
    lua_close(L);
    return quit_requested ? MD_EXIT_INTERRUPTED : MD_EXIT_OK;
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
