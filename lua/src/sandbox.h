/* sandbox.h - evaluating untrusted Lua (presets) in a forked child process.
 *
 * Design: a preset loaded through --preset may come from anyone, so it never
 * runs in mixdown's own Lua state. md_sandbox_run() forks; the child builds a
 * fresh lua_State with
 *   - a counting allocator (memory bound),
 *   - a count hook that stops the script after an instruction budget or a
 *     wall-clock deadline and, once fired, fires again at EVERY instruction, so
 *     a pcall loop cannot swallow the error (Redis luaMaskCountHook),
 *   - only safe libraries (md_sandbox_pushlib): no os, io, package, debug,
 *     dofile/loadfile, string.dump; xpcall's handler skipped once a limit is
 *     reached (raised from the hook, the error would run it with hooks off);
 *     string.rep, pattern matching, table.concat
 *     and table.move bounded, because they run in C where no hook reaches;
 *     setmetatable refuses __gc (finalizers run with hooks off), getmetatable
 *     refuses strings (the string metatable is shared by the whole state),
 *   - resource limits (setrlimit): CPU seconds, no file may be written or
 *     opened, no process created, address space bounded,
 * runs the job function, serializes its result as plain data (md_sandbox_pack)
 * down a pipe and _exits without lua_close (so no finalizer ever runs). The
 * parent reads the pipe with a deadline and kills the child when it passes:
 * the child may be stuck in C code (a pattern bomb), which nothing inside the
 * child could interrupt. Engine objects never enter the sandbox: a preset's
 * build only records a description of its chain, which the parent validates
 * and turns into real nodes (lua/lib/mixdown/recipe.lua, presets.lua).
 */
#ifndef MD_SANDBOX_H
#define MD_SANDBOX_H

#include <lua.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct md_sandbox_limits {
    size_t memory_bytes;   /* Lua heap of the child (counting lua_Alloc) */
    uint64_t instructions; /* Lua VM instructions (count hook) */
    double seconds;        /* wall clock: the hook stops Lua code, the parent kills */
} md_sandbox_limits;

#define MD_SANDBOX_MEMORY_DEFAULT ((size_t)64 << 20)
#define MD_SANDBOX_INSTRUCTIONS_DEFAULT ((uint64_t)100000000)
#define MD_SANDBOX_SECONDS_DEFAULT 5.0

/* Bounds of the C functions wrapped in the sandbox's libraries. */
#define MD_SANDBOX_MAX_STRING ((size_t)16 << 20) /* string.rep result, table.concat */
#define MD_SANDBOX_MAX_PATTERN 256               /* pattern length */
#define MD_SANDBOX_MAX_QUANTIFIERS 8             /* *, +, -, ? items in a pattern */
#define MD_SANDBOX_MAX_SUBJECT ((size_t)1 << 20) /* subject of a pattern match */
#define MD_SANDBOX_MAX_RANGE 1000000             /* table.concat/move/unpack element count */

/* A growable byte buffer (malloc). */
typedef struct md_sbuf {
    char *data;
    size_t len, cap;
} md_sbuf;

void md_sbuf_free(md_sbuf *b);

/* Serializes the value at idx (nil, booleans, numbers, strings and tables of
 * them, nested at most 32 deep; keys strings, numbers or booleans) into b,
 * reading tables raw (no metamethod runs). Returns 0, or -1 with a message in
 * err (a function, userdata, a cycle, too deep). */
int md_sandbox_pack(lua_State *L, int idx, md_sbuf *b, char *err, size_t errlen);
/* Pushes the value packed in data[0..len). Returns 0, or -1 with nothing
 * pushed and a message in err when the bytes are malformed. */
int md_sandbox_unpack(lua_State *L, const char *data, size_t len, char *err, size_t errlen);

/* Pushes a new table of the safe library for a preset's environment: assert,
 * error, ipairs, next, pairs, pcall, rawequal, rawget, rawlen, rawset,
 * select, tonumber, tostring, type, xpcall, _VERSION, getmetatable and
 * setmetatable (guarded), collectgarbage ("collect", "count", "step",
 * "isrunning" only), and copies of string (no dump; bounded rep, find, match,
 * gmatch, gsub), table (bounded concat, move, unpack), math and utf8. Also
 * points the string metatable's __index at its own guarded copy and hides
 * it from getmetatable. The state must have base, string, table, math and
 * utf8 open. Child side only. */
void md_sandbox_pushlib(lua_State *L);

/* Outcome of md_sandbox_run. */
typedef enum md_sandbox_status {
    MD_SANDBOX_OK = 0,        /* out holds the packed result */
    MD_SANDBOX_ERROR = 1,     /* the job raised an error: msg */
    MD_SANDBOX_LIMIT = 2,     /* a limit stopped it: msg names the limit */
    MD_SANDBOX_FAILED = 3,    /* fork/pipe failed or the child died oddly: msg */
    MD_SANDBOX_CANCELLED = 4, /* *cancel became non-zero while waiting */
} md_sandbox_status;

/* Runs job(L) in a forked child under the limits, in a fresh state that has
 * base, string, table, math and utf8 open (without dofile, loadfile, print),
 * with the hook and allocator armed; job receives ud as a light userdata
 * argument and returns one value, which is packed and sent back. On OK, out
 * holds the packed bytes (free with md_sbuf_free). msg always ends in '\0'.
 * cancel (may be NULL) is polled while waiting; when set, the child is killed. */
md_sandbox_status md_sandbox_run(const md_sandbox_limits *lim, lua_CFunction job, void *ud,
                                 volatile const sig_atomic_t *cancel, md_sbuf *out, char *msg,
                                 size_t msglen);

/* Child side, for job functions: "file:line" of the first Lua function at or
 * above stack level `level`, into buf (empty when there is none). */
void md_sandbox_where(lua_State *L, int level, char *buf, size_t len);
/* Child side: while on, line and return hooks record the last line run in a
 * chunk loaded from a file ("@..."), entered or returned to, which
 * md_sandbox_last_line returns ("" before any): the position of a call
 * made as a tail call, whose caller's frame is gone from the stack. */
void md_sandbox_trace_lines(lua_State *L, int on);
const char *md_sandbox_last_line(void);

#endif
