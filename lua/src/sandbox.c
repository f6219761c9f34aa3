/* sandbox.c - untrusted Lua in a forked child with memory, instruction and
 * time limits; plain-data serialization between the child and the parent.
 * The design and its reasons are in sandbox.h. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- byte buffer ---------------------------------------------------------------- */

void md_sbuf_free(md_sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int sbuf_put(md_sbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* --- plain data: pack and unpack ------------------------------------------------
 * One tag byte per value: 'n' nil, 'f' false, 't' true, 'i' int64, 'd' double,
 * 's' u32 length + bytes, 'T' u32 pair count + key/value pairs. Native byte
 * order: both ends are the same program on the same machine. */

#define PACK_MAX_DEPTH 32

static int pack_value(lua_State *L, int idx, md_sbuf *b, int depth, char *err, size_t errlen,
                      int is_key);

static int pack_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int pack_table(lua_State *L, int idx, md_sbuf *b, int depth, char *err, size_t errlen)
{
    if (depth >= PACK_MAX_DEPTH)
        return pack_fail(err, errlen, "data nested more than %d levels (a cycle?)", PACK_MAX_DEPTH);
    if (!lua_checkstack(L, 4))
        return pack_fail(err, errlen, "out of stack space");
    /* count the pairs first: the count precedes them */
    uint32_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        lua_pop(L, 1);
    }
    char tag = 'T';
    if (sbuf_put(b, &tag, 1) || sbuf_put(b, &count, sizeof count))
        return pack_fail(err, errlen, "out of memory");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int top = lua_gettop(L);
        if (pack_value(L, top - 1, b, depth + 1, err, errlen, 1) ||
            pack_value(L, top, b, depth + 1, err, errlen, 0)) {
            lua_pop(L, 2);
            return -1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int pack_value(lua_State *L, int idx, md_sbuf *b, int depth, char *err, size_t errlen,
                      int is_key)
{
    idx = lua_absindex(L, idx);
    char tag;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        tag = 'n';
        return sbuf_put(b, &tag, 1) ? pack_fail(err, errlen, "out of memory") : 0;
    case LUA_TBOOLEAN:
        tag = lua_toboolean(L, idx) ? 't' : 'f';
        return sbuf_put(b, &tag, 1) ? pack_fail(err, errlen, "out of memory") : 0;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            int64_t v = (int64_t)lua_tointeger(L, idx);
            tag = 'i';
            if (sbuf_put(b, &tag, 1) || sbuf_put(b, &v, sizeof v))
                return pack_fail(err, errlen, "out of memory");
        } else {
            double v = (double)lua_tonumber(L, idx);
            tag = 'd';
            if (sbuf_put(b, &tag, 1) || sbuf_put(b, &v, sizeof v))
                return pack_fail(err, errlen, "out of memory");
        }
        return 0;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len > UINT32_MAX)
            return pack_fail(err, errlen, "string too long");
        uint32_t n = (uint32_t)len;
        tag = 's';
        if (sbuf_put(b, &tag, 1) || sbuf_put(b, &n, sizeof n) || sbuf_put(b, s, len))
            return pack_fail(err, errlen, "out of memory");
        return 0;
    }
    case LUA_TTABLE:
        if (is_key)
            return pack_fail(err, errlen, "a table used as a key");
        return pack_table(L, idx, b, depth, err, errlen);
    default:
        return pack_fail(err, errlen, "a %s value cannot leave the sandbox (plain data only)",
                         luaL_typename(L, idx));
    }
}

int md_sandbox_pack(lua_State *L, int idx, md_sbuf *b, char *err, size_t errlen)
{
    return pack_value(L, idx, b, 0, err, errlen, 0);
}

typedef struct reader {
    const char *p, *end;
} reader;

static int rd(reader *r, void *dst, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(dst, r->p, n);
    r->p += n;
    return 0;
}

/* pushes one value; -1 on malformed input (the stack is restored by the caller) */
static int unpack_value(lua_State *L, reader *r, int depth)
{
    char tag;
    if (depth > PACK_MAX_DEPTH || rd(r, &tag, 1) || !lua_checkstack(L, 4))
        return -1;
    switch (tag) {
    case 'n':
        lua_pushnil(L);
        return 0;
    case 'f':
    case 't':
        lua_pushboolean(L, tag == 't');
        return 0;
    case 'i': {
        int64_t v;
        if (rd(r, &v, sizeof v))
            return -1;
        lua_pushinteger(L, (lua_Integer)v);
        return 0;
    }
    case 'd': {
        double v;
        if (rd(r, &v, sizeof v))
            return -1;
        lua_pushnumber(L, (lua_Number)v);
        return 0;
    }
    case 's': {
        uint32_t n;
        if (rd(r, &n, sizeof n) || (size_t)(r->end - r->p) < n)
            return -1;
        lua_pushlstring(L, r->p, n);
        r->p += n;
        return 0;
    }
    case 'T': {
        uint32_t n;
        if (rd(r, &n, sizeof n) || n > (size_t)(r->end - r->p) / 2)
            return -1;
        lua_createtable(L, 0, (int)(n < 1024 ? n : 1024));
        for (uint32_t i = 0; i < n; i++) {
            if (unpack_value(L, r, depth + 1))
                return -1;
            if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && isnan(lua_tonumber(L, -1))))
                return -1;
            if (unpack_value(L, r, depth + 1))
                return -1;
            lua_rawset(L, -3);
        }
        return 0;
    }
    default:
        return -1;
    }
}

int md_sandbox_unpack(lua_State *L, const char *data, size_t len, char *err, size_t errlen)
{
    reader r = {data, data + len};
    int top = lua_gettop(L);
    if (unpack_value(L, &r, 0) || r.p != r.end) {
        lua_settop(L, top);
        snprintf(err, errlen, "malformed data from the sandbox");
        return -1;
    }
    return 0;
}

static int tripped(void); /* a limit has been reached (the child's hook state) */

/* --- guarded library functions ---------------------------------------------------
 * Each calls the original C function (upvalue 1) after checking its arguments;
 * luaL_error puts the preset's file:line in front of the message. */

static int call_original(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static int g_getmetatable(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING)
        return luaL_error(L, "the string metatable is not available in presets");
    return call_original(L);
}

static int g_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods (finalizers) are not allowed in presets");
        lua_pop(L, 1);
    }
    return call_original(L);
}

/* xpcall's message handler runs inside the hook when the hook raises, and a
 * hook runs with hooks off: a looping handler would never be stopped. So
 * the preset's handler is called through this one, which, once a limit is
 * reached, returns the message without running it. */
static int xpcall_handler(lua_State *L)
{
    if (tripped())
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int g_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_handler, 1);
    lua_replace(L, 2);
    return call_original(L);
}

static int g_collectgarbage(lua_State *L)
{
    static const char *const allowed[] = {"collect", "count", "step", "isrunning", NULL};
    const char *opt = luaL_optstring(L, 1, "collect");
    for (int i = 0; allowed[i]; i++)
        if (strcmp(opt, allowed[i]) == 0)
            return call_original(L);
    return luaL_error(L, "collectgarbage('%s') is not available in presets", opt);
}

/* string.rep runs in C: string.rep("", 1e12) would loop for minutes while
 * allocating nothing, so the count is bounded as well as the size. */
static int g_rep(lua_State *L)
{
    size_t l, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n > 0) {
        double total = (double)l * (double)n + (double)lsep * (double)(n - 1);
        if ((double)n > (double)MD_SANDBOX_MAX_STRING || total > (double)MD_SANDBOX_MAX_STRING) {
            char m[160];
            snprintf(m, sizeof m,
                     "string.rep: %lld repetitions (%.0f bytes) exceed the limit "
                     "of presets (%d MiB)",
                     (long long)n, total, (int)(MD_SANDBOX_MAX_STRING >> 20));
            return luaL_error(L, "%s", m);
        }
    }
    return call_original(L);
}

/* Pattern matching backtracks in C: bound the pattern's length, its number
 * of repetition items and the subject's length. What stays slow within these
 * bounds is stopped by the wall-clock watchdog of the parent. */
static void check_pattern(lua_State *L, int subject, int pattern)
{
    size_t ls, lp;
    luaL_checklstring(L, subject, &ls);
    const char *p = luaL_checklstring(L, pattern, &lp);
    if (ls > MD_SANDBOX_MAX_SUBJECT)
        luaL_error(L, "pattern matching: a subject of %d bytes exceeds the limit of presets (%d)",
                   (int)ls, (int)MD_SANDBOX_MAX_SUBJECT);
    if (lp > MD_SANDBOX_MAX_PATTERN)
        luaL_error(L,
                   "pattern matching: a pattern of %d characters exceeds the limit of presets "
                   "(%d)",
                   (int)lp, MD_SANDBOX_MAX_PATTERN);
    int q = 0;
    for (size_t i = 0; i < lp; i++) {
        char c = p[i];
        if (c == '%') {
            i++;
            if (i < lp && p[i] == 'b')
                i += 2;
        } else if (c == '[') {
            i++;
            if (i < lp && p[i] == '^')
                i++;
            if (i < lp && p[i] == ']')
                i++;
            while (i < lp && p[i] != ']') {
                if (p[i] == '%')
                    i++;
                i++;
            }
        } else if (c == '*' || c == '+' || c == '-' || c == '?') {
            q++;
        }
    }
    if (q > MD_SANDBOX_MAX_QUANTIFIERS)
        luaL_error(L, "pattern matching: %d repetition items exceed the limit of presets (%d)", q,
                   MD_SANDBOX_MAX_QUANTIFIERS);
}

static int g_pattern(lua_State *L)
{
    check_pattern(L, 1, 2);
    return call_original(L);
}

/* The element range [i, j] of table.concat, unpack, move, insert, remove and
 * sort: these loop in C, calling metamethods that may be C functions too. */
static void check_range(lua_State *L, lua_Integer i, lua_Integer j, const char *what)
{
    if (j >= i && (lua_Unsigned)j - (lua_Unsigned)i >= (lua_Unsigned)MD_SANDBOX_MAX_RANGE)
        luaL_error(L, "%s: %I elements exceed the limit of presets (%d)", what,
                   (lua_Integer)((lua_Unsigned)j - (lua_Unsigned)i + 1u), MD_SANDBOX_MAX_RANGE);
}

static int g_concat(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    lua_Integer j = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
    check_range(L, i, j, "table.concat");
    return call_original(L);
}

static int g_unpack(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_Integer i = luaL_optinteger(L, 2, 1);
    lua_Integer j = lua_isnoneornil(L, 3) ? luaL_len(L, 1) : luaL_checkinteger(L, 3);
    check_range(L, i, j, "table.unpack");
    return call_original(L);
}

static int g_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    check_range(L, f, e, "table.move");
    return call_original(L);
}

static int g_whole(lua_State *L)
{
    luaL_checkany(L, 1);
    check_range(L, 1, luaL_len(L, 1), lua_tostring(L, lua_upvalueindex(2)));
    return call_original(L);
}

/* copies the table at src into a new table, wrapping the listed functions */
typedef struct guard {
    const char *name;
    lua_CFunction f; /* NULL: leave the function out */
} guard;

static void push_copy(lua_State *L, int src, const guard *guards)
{
    src = lua_absindex(L, src);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, src)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    for (const guard *g = guards; g && g->name; g++) {
        lua_getfield(L, src, g->name);
        if (g->f == NULL || lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushnil(L);
        } else {
            lua_pushfstring(L, "%s", g->name);
            lua_pushcclosure(L, g->f, 2);
        }
        lua_setfield(L, -2, g->name);
    }
}

static const guard base_guards[] = {
    {"getmetatable", g_getmetatable},
    {"setmetatable", g_setmetatable},
    {"collectgarbage", g_collectgarbage},
    {"xpcall", g_xpcall},
    {NULL, NULL},
};
static const guard string_guards[] = {
    {"dump", NULL},        {"rep", g_rep},      {"find", g_pattern}, {"match", g_pattern},
    {"gmatch", g_pattern}, {"gsub", g_pattern}, {NULL, NULL},
};
static const guard table_guards[] = {
    {"concat", g_concat}, {"unpack", g_unpack}, {"move", g_move}, {"insert", g_whole},
    {"remove", g_whole},  {"sort", g_whole},    {NULL, NULL},
};

static const char *const base_names[] = {
    "assert", "error",    "ipairs",       "next",         "pairs",          "pcall",    "rawequal",
    "rawget", "rawlen",   "rawset",       "select",       "tonumber",       "tostring", "type",
    "xpcall", "_VERSION", "getmetatable", "setmetatable", "collectgarbage", NULL,
};

static const char LIB_KEY[] = "mixdown.sandbox.lib";

void md_sandbox_pushlib(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, LIB_KEY) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_newtable(L); /* the base subset */
    int lib = lua_gettop(L);
    for (int i = 0; base_names[i]; i++) {
        lua_getfield(L, g, base_names[i]);
        lua_setfield(L, lib, base_names[i]);
    }
    push_copy(L, lib, base_guards);
    lua_replace(L, lib);

    lua_getfield(L, g, "string");
    int str = lua_gettop(L);
    push_copy(L, str, string_guards);
    lua_setfield(L, lib, "string");
    /* strings' methods: the shared metatable's __index becomes a guarded copy
     * that no preset can reach, and getmetatable("") sees only `false` */
    push_copy(L, str, string_guards);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 4);

    lua_getfield(L, g, "table");
    push_copy(L, -1, table_guards);
    lua_setfield(L, lib, "table");
    lua_pop(L, 1);
    for (int i = 0; i < 2; i++) {
        const char *name = i == 0 ? "math" : "utf8";
        lua_getfield(L, g, name);
        push_copy(L, -1, NULL);
        lua_setfield(L, lib, name);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lib);
    lua_setfield(L, LUA_REGISTRYINDEX, LIB_KEY);
    lua_remove(L, g);
}

void md_sandbox_where(lua_State *L, int level, char *buf, size_t len)
{
    lua_Debug ar;
    buf[0] = '\0';
    for (int lv = level; lv < level + 50 && lua_getstack(L, lv, &ar); lv++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

/* --- the child: allocator, hook, limits ------------------------------------------- */

enum { TRIP_NONE, TRIP_INSTRUCTIONS, TRIP_TIME };
#define HOOK_STEP 1000

typedef struct sb_child {
    char last_line[200];
    size_t used, limit;
    unsigned long alloc_failures;
    uint64_t executed, max_instructions;
    double deadline, seconds;
    int trip;
    char where[200];
} sb_child;

static sb_child sb; /* one sandbox per child process */

static int tripped(void)
{
    return sb.trip != TRIP_NONE;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (ptr == NULL)
        osize = 0; /* osize then encodes the object's type */
    if (nsize == 0) {
        free(ptr);
        sb.used -= osize;
        return NULL;
    }
    if (nsize > osize && sb.used + (nsize - osize) > sb.limit) {
        sb.alloc_failures++;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) {
        sb.alloc_failures++;
        return NULL;
    }
    sb.used = sb.used - osize + nsize;
    return p;
}

static void trip_message(char *buf, size_t len)
{
    const char *pre = sb.where[0] ? sb.where : "";
    const char *sep = sb.where[0] ? ": " : "";
    if (sb.trip == TRIP_INSTRUCTIONS)
        snprintf(buf, len, "%s%sstopped: exceeded the instruction limit (%llu instructions)", pre,
                 sep, (unsigned long long)sb.max_instructions);
    else
        snprintf(buf, len, "%s%sstopped: exceeded the wall-clock limit (%g s)", pre, sep,
                 sb.seconds);
}

/* Once a limit is reached the hook fires at every instruction and raises each
 * time, so an error handler or a pcall loop cannot keep the script alive. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    if (ar->event == LUA_HOOKLINE || ar->event == LUA_HOOKRET) {
        /* a new line in a file chunk, or a return into one (whose line then
         * goes on without a line event) */
        lua_Debug caller, *at = ar;
        if (ar->event == LUA_HOOKRET)
            at = lua_getstack(L, 1, &caller) ? &caller : NULL;
        if (sb.trip == TRIP_NONE && at && lua_getinfo(L, "Sl", at) && at->source[0] == '@' &&
            at->currentline > 0)
            snprintf(sb.last_line, sizeof sb.last_line, "%s:%d", at->short_src, at->currentline);
        if (sb.trip == TRIP_NONE)
            return;
    }
    if (sb.trip == TRIP_NONE) {
        sb.executed += HOOK_STEP;
        if (sb.executed >= sb.max_instructions)
            sb.trip = TRIP_INSTRUCTIONS;
        else if (now_s() >= sb.deadline)
            sb.trip = TRIP_TIME;
        if (sb.trip != TRIP_NONE && lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(sb.where, sizeof sb.where, "%s:%d", ar->short_src, ar->currentline);
    }
    if (sb.trip != TRIP_NONE) {
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        lua_pushliteral(L, "stopped by a limit of the sandbox");
        lua_error(L);
    }
}

void md_sandbox_trace_lines(lua_State *L, int on)
{
    if (sb.trip != TRIP_NONE)
        return;
    lua_sethook(L, count_hook, LUA_MASKCOUNT | (on ? LUA_MASKLINE | LUA_MASKRET : 0), HOOK_STEP);
}

const char *md_sandbox_last_line(void)
{
    return sb.last_line;
}

/* Message handler of the child: strings pass, anything else is described
 * without running its metamethods (an error object's __tostring is the
 * preset's code). */
static int child_msgh(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING)
        return 1;
    char where[200];
    md_sandbox_where(L, 1, where, sizeof where);
    lua_pushfstring(L,
                    "%s%serror object is a %s value, not a message (raise a string: "
                    "error(\"what went wrong\"))",
                    where, where[0] ? ": " : "", luaL_typename(L, 1));
    return 1;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            _exit(3);
        }
        c += w;
        n -= (size_t)w;
    }
}

static void send_msg(int fd, char tag, const char *msg)
{
    send_all(fd, &tag, 1);
    send_all(fd, msg, strlen(msg));
}

static void set_limit(int resource, rlim_t value)
{
    struct rlimit rl = {value, value};
    setrlimit(resource, &rl);
}

static size_t current_vm_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void child_limits(const md_sandbox_limits *lim)
{
    size_t vm = current_vm_bytes();
    if (vm > 0)
        set_limit(RLIMIT_AS, (rlim_t)(vm + lim->memory_bytes + ((size_t)256 << 20)));
    rlim_t cpu = (rlim_t)ceil(lim->seconds) + 3; /* after the parent's deadline: a backstop */
    struct rlimit rl = {cpu, cpu + 1};
    setrlimit(RLIMIT_CPU, &rl);
    set_limit(RLIMIT_FSIZE, 0); /* no file can grow: nothing is written */
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_NPROC, 0);  /* no process can be created */
    set_limit(RLIMIT_NOFILE, 0); /* no file can be opened */
}

static void child_main(int fd, const md_sandbox_limits *lim, lua_CFunction job, void *ud)
{
    char msg[512];
    child_limits(lim);
    memset(&sb, 0, sizeof sb);
    sb.limit = lim->memory_bytes;
    sb.max_instructions = lim->instructions;
    sb.seconds = lim->seconds;
    sb.deadline = now_s() + lim->seconds;
    lua_State *L = lua_newstate(sb_alloc, NULL);
    if (!L) {
        send_msg(fd, 'E', "not enough memory to start the sandbox");
        _exit(0);
    }
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL},
    };
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    md_sandbox_pushlib(L); /* built from the originals before they go */
    lua_pop(L, 1);
    static const char *const drop[] = {"dofile", "loadfile", "print", "collectgarbage", NULL};
    for (int i = 0; drop[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
    lua_pushcfunction(L, child_msgh);
    lua_pushcfunction(L, job);
    lua_pushlightuserdata(L, ud);
    int status = lua_pcall(L, 1, 1, 1);
    lua_sethook(L, NULL, 0, 0);
    sb.limit = (size_t)-1;
    if (sb.trip != TRIP_NONE) {
        trip_message(msg, sizeof msg);
        send_msg(fd, 'L', msg);
    } else if (status != LUA_OK && (status == LUA_ERRMEM || sb.alloc_failures > 0)) {
        snprintf(msg, sizeof msg, "stopped: exceeded the memory limit (%g MiB)",
                 (double)lim->memory_bytes / (1 << 20));
        send_msg(fd, 'L', msg);
    } else if (status != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        send_msg(fd, 'E', m ? m : "error (no message)");
    } else {
        md_sbuf b = {0};
        char tag = 'R';
        if (sbuf_put(&b, &tag, 1) || md_sandbox_pack(L, -1, &b, msg, sizeof msg)) {
            send_msg(fd, 'E', msg);
        } else {
            send_all(fd, b.data, b.len);
        }
    }
    _exit(0); /* no lua_close: no finalizer of the script ever runs */
}

/* --- the parent: fork, read with a deadline, decode ---------------------------------- */

#define MAX_REPLY ((size_t)64 << 20)

static void kill_child(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

md_sandbox_status md_sandbox_run(const md_sandbox_limits *lim, lua_CFunction job, void *ud,
                                 volatile const sig_atomic_t *cancel, md_sbuf *out, char *msg,
                                 size_t msglen)
{
    memset(out, 0, sizeof *out);
    msg[0] = '\0';
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(msg, msglen, "cannot start the sandbox: %s", strerror(errno));
        return MD_SANDBOX_FAILED;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "cannot start the sandbox: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return MD_SANDBOX_FAILED;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], lim, job, ud);
        _exit(0);
    }
    close(fds[1]);

    /* the child's own hook stops Lua code at lim->seconds; the grace second
     * lets it report first, the kill covers code stuck in C */
    double deadline = now_s() + lim->seconds + 1.0;
    md_sbuf reply = {0};
    int timed_out = 0, cancelled = 0, failed = 0;
    char buf[65536];
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        if (cancel && *cancel) {
            cancelled = 1;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int wait_ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;
        int r = poll(&p, 1, wait_ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            failed = 1;
            break;
        }
        if (r == 0)
            continue;
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            failed = 1;
            break;
        }
        if (n == 0)
            break;
        if (reply.len + (size_t)n > MAX_REPLY || sbuf_put(&reply, buf, (size_t)n)) {
            failed = 1;
            break;
        }
    }
    close(fds[0]);
    if (timed_out || cancelled || failed) {
        kill_child(pid);
        md_sbuf_free(&reply);
        if (cancelled) {
            snprintf(msg, msglen, "interrupted");
            return MD_SANDBOX_CANCELLED;
        }
        if (timed_out) {
            snprintf(msg, msglen, "stopped: exceeded the wall-clock limit (%g s)", lim->seconds);
            return MD_SANDBOX_LIMIT;
        }
        snprintf(msg, msglen, "the sandbox's reply was lost or too large");
        return MD_SANDBOX_FAILED;
    }
    /* EOF: the child is exiting; do not wait forever for it anyway */
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            st = 0;
            break;
        }
        if (now_s() > deadline) {
            kill_child(pid);
            st = 0;
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (WIFSIGNALED(st)) {
        md_sbuf_free(&reply);
        int sig = WTERMSIG(st);
        if (sig == SIGXCPU) {
            snprintf(msg, msglen, "stopped: exceeded the CPU-time limit (%g s)",
                     ceil(lim->seconds) + 3);
            return MD_SANDBOX_LIMIT;
        }
        snprintf(msg, msglen, "the sandbox process died (signal %d)", sig);
        return MD_SANDBOX_FAILED;
    }
    if (reply.len == 0) {
        md_sbuf_free(&reply);
        snprintf(msg, msglen, "the sandbox process ended without a result");
        return MD_SANDBOX_FAILED;
    }
    char tag = reply.data[0];
    if (tag == 'R') {
        memmove(reply.data, reply.data + 1, reply.len - 1);
        reply.len--;
        *out = reply;
        return MD_SANDBOX_OK;
    }
    size_t n = reply.len - 1 < msglen - 1 ? reply.len - 1 : msglen - 1;
    memcpy(msg, reply.data + 1, n);
    msg[n] = '\0';
    md_sbuf_free(&reply);
    return tag == 'L' ? MD_SANDBOX_LIMIT : MD_SANDBOX_ERROR;
}
