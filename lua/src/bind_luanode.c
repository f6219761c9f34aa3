/* bind_luanode.c - md.node{...}: processors written in Lua, for experiments.
 *
 *   local tremolo = md.node{
 *     name = "tremolo",                                  -- x:tremolo{...} from now on
 *     params = {rate = {default = 5, min = 0.1, max = 20, unit = "Hz"},
 *               depth = {default = 0.5, min = 0, max = 1}},
 *     init = function(self, stream) self.phase = 0 end,  -- stream.rate, .channels, .max_frames
 *     process = function(self, block)
 *       local w = 2 * math.pi * self.rate / block.rate
 *       for i = 1, block.frames do
 *         local g = 1 - self.depth * (0.5 + 0.5 * math.sin(self.phase))
 *         self.phase = self.phase + w
 *         for c = 1, block.channels do block[c][i] = block[c][i] * g end
 *       end
 *     end,
 *   }
 *   x = x:tremolo{rate = 4}        -- or tremolo(x, {rate = 4})
 *
 * process(self, block) gets the block in place: block[c][i] reads and writes
 * sample i of channel c (also block:get(c, i), block:set(c, i, v)); whole
 * channels come and go as Lua arrays with block:read(c) and block:write(c, t).
 * block.frames, block.channels, block.rate, block.pos (timeline frame of the
 * first sample) and block.time (the same in seconds). self.NAME holds each
 * parameter's value at the block's first frame; block:param(NAME, i) the value
 * at frame i (parameters are smoothed and take envelopes like any other).
 * init(self, stream) may set self.latency and self.tail (frames).
 *
 * The slow path: every block calls into the Lua interpreter, and every sample
 * access is a metamethod call. scripts/bench.sh measures a gain written this
 * way against the gain node in C (60 s of stereo at 48 kHz, CPU time, on the
 * 2-core development machine): about 60 ns per sample with block[c][i],
 * 30 ns with block:read/write, 170 ns with block:get/set, against 0.1 ns
 * for the C gain (vectorized) - some 250 to 1400 times the cost, and still
 * 15 to 80 times faster than real time for a stereo stream. It is also the one exception to "no allocation in process()":
 * Lua code may allocate and collect garbage while the render runs. Its vtable
 * is MD_NODE_HIDDEN and never registered, so the node contract test (which
 * checks process() for allocations) does not see it.
 *
 * An error in process() stops the render (through the host's cancel flag, so
 * no output file is left) and g:run() raises the error, naming the node. A
 * process() may not build, change or run graphs (refused with an error).
 *
 * Calls run on one Lua thread per node type, so a render started inside a
 * coroutine does not run Lua code on another thread's stack.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "host.h"
#include "mixdown/md_automation.h"

#define NODE_MT "mixdown.Node"
#define GRAPH_MT "mixdown.Graph"
#define TYPE_MT "mixdown.LuaNodeType"
#define BLOCK_MT "mixdown.Block"
#define CHAN_MT "mixdown.BlockChannel"
#define ERR_KEY "mixdown.luanode.error"
#define MAX_PARAMS 64

/* bind.c's Graph and Node handles hold one pointer each; these mirror them */
typedef struct graph_ud {
    md_graph *g;
} graph_ud;
typedef struct node_ud {
    md_node *n;
} node_ud;

typedef struct ltype {
    md_node_vtable vt;     /* first: md_node_type(n) is the ltype */
    md_param_desc *params; /* nparams + 1, in the same block of memory */
    unsigned nparams;
    int def_ref;           /* registry: the definition table */
    int mt_ref;            /* registry: metatable of self tables {__index = def} */
    int thread_ref;        /* registry: the thread calls run on */
    lua_State *T;
} ltype;

typedef struct lblock {
    float *ch[MD_MAX_CHANNELS]; /* the node's output, in place; NULL outside process */
    unsigned channels, frames, max_frames;
    double rate;
    int64_t pos;                /* timeline frame of the first sample */
    const float *params;        /* nparams x max_frames per-sample values */
    const ltype *type;
} lblock;

typedef struct lchan {
    lblock *b;
    unsigned c;
} lchan;

typedef struct lpriv {
    int self_ref, block_ref; /* registry refs (0 = none: the priv starts zeroed) */
    lblock *block;
    float *pbuf;
    unsigned latency, tail;
    int failed;
} lpriv;

int md_bind_luanode(lua_State *L);
int md_bind_automation(lua_State *L); /* bind_automation.c */

static int busy; /* a process() is running: graphs may not be touched */

int md_luanode_busy(void) { return busy; }

static md_status ln_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err);

static const ltype *type_of(const md_node *n) { return (const ltype *)md_node_type(n); }

static int is_luanode(const md_node *n) { return md_node_type(n)->prepare == ln_prepare; }

static int type_method(lua_State *L);

/* --- the block seen by process() ------------------------------------------------- */

static lblock *check_block(lua_State *L, int idx)
{
    lblock *b = luaL_checkudata(L, idx, BLOCK_MT);
    if (!b->ch[0])
        luaL_error(L, "block: used outside process()");
    return b;
}

static unsigned check_channel(lua_State *L, lblock *b, int idx)
{
    lua_Integer c = luaL_checkinteger(L, idx);
    if (c < 1 || (lua_Unsigned)c > b->channels)
        luaL_error(L, "block: channel must be within 1..%d, got %d", (int)b->channels, (int)c);
    return (unsigned)c - 1;
}

static unsigned check_index(lua_State *L, const lblock *b, int idx)
{
    int ok;
    lua_Integer i = lua_tointegerx(L, idx, &ok);
    if (!ok || i < 1 || (lua_Unsigned)i > b->frames)
        luaL_error(L, "block: sample index must be within 1..%d, got %s", (int)b->frames,
                   luaL_tolstring(L, idx, NULL));
    return (unsigned)i - 1;
}

static float check_sample(lua_State *L, int idx)
{
    int ok;
    lua_Number v = lua_tonumberx(L, idx, &ok);
    if (!ok)
        luaL_error(L, "block: a sample must be a number, got %s", luaL_typename(L, idx));
    return (float)v;
}

/* block:get(c, i) */
static int block_get(lua_State *L)
{
    lblock *b = check_block(L, 1);
    unsigned c = check_channel(L, b, 2);
    lua_pushnumber(L, b->ch[c][check_index(L, b, 3)]);
    return 1;
}

/* block:set(c, i, v) */
static int block_set(lua_State *L)
{
    lblock *b = check_block(L, 1);
    unsigned c = check_channel(L, b, 2);
    unsigned i = check_index(L, b, 3);
    b->ch[c][i] = check_sample(L, 4);
    return 0;
}

/* block:read(c) -> array of the channel's samples */
static int block_read(lua_State *L)
{
    lblock *b = check_block(L, 1);
    const float *x = b->ch[check_channel(L, b, 2)];
    lua_createtable(L, (int)b->frames, 0);
    for (unsigned i = 0; i < b->frames; i++) {
        lua_pushnumber(L, x[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* block:write(c, array) */
static int block_write(lua_State *L)
{
    lblock *b = check_block(L, 1);
    float *x = b->ch[check_channel(L, b, 2)];
    luaL_checktype(L, 3, LUA_TTABLE);
    if (lua_rawlen(L, 3) != b->frames)
        luaL_error(L, "block: write needs %d samples, got %d", (int)b->frames,
                   (int)lua_rawlen(L, 3));
    for (unsigned i = 0; i < b->frames; i++) {
        lua_rawgeti(L, 3, (lua_Integer)i + 1);
        x[i] = check_sample(L, -1);
        lua_pop(L, 1);
    }
    return 0;
}

/* block:param(name, i) -> value of a parameter at frame i (1 by default) */
static int block_param(lua_State *L)
{
    lblock *b = check_block(L, 1);
    const char *name = luaL_checkstring(L, 2);
    unsigned i = lua_isnoneornil(L, 3) ? 0 : check_index(L, b, 3);
    int k = md_param_find(b->type->params, name);
    if (k < 0)
        return luaL_error(L, "block: %s has no parameter '%s'", b->type->vt.name, name);
    lua_pushnumber(L, b->params[(size_t)k * b->max_frames + i]);
    return 1;
}

/* The metamethods below are reachable only through their metatables (whose
 * __metatable field hides them from getmetatable), so their first argument is
 * always of their type: lua_touserdata, no check, on the per-sample path. */
static int block_index(lua_State *L)
{
    lblock *b = lua_touserdata(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        if (!b->ch[0])
            return luaL_error(L, "block: used outside process()");
        lua_Integer c = lua_tointeger(L, 2);
        if (c < 1 || (lua_Unsigned)c > b->channels)
            return luaL_error(L, "block: channel must be within 1..%d, got %s", (int)b->channels,
                              luaL_tolstring(L, 2, NULL));
        lua_getiuservalue(L, 1, 1);
        lua_rawgeti(L, -1, c);
        return 1;
    }
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) /* a method */
        return 1;
    lua_pop(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "frames") == 0)
        lua_pushinteger(L, b->frames);
    else if (strcmp(k, "channels") == 0)
        lua_pushinteger(L, b->channels);
    else if (strcmp(k, "rate") == 0)
        lua_pushnumber(L, b->rate);
    else if (strcmp(k, "pos") == 0)
        lua_pushinteger(L, (lua_Integer)b->pos);
    else if (strcmp(k, "time") == 0)
        lua_pushnumber(L, (double)b->pos / b->rate);
    else
        return luaL_error(L, "block: no field '%s' (frames, channels, rate, pos, time, "
                             "get, set, read, write, param)",
                          k);
    return 1;
}

static lblock *chan_block(lua_State *L, lchan **out)
{
    lchan *ch = lua_touserdata(L, 1);
    if (!ch->b->ch[0])
        luaL_error(L, "block: used outside process()");
    *out = ch;
    return ch->b;
}

static int chan_index(lua_State *L)
{
    lchan *ch;
    lblock *b = chan_block(L, &ch);
    lua_pushnumber(L, b->ch[ch->c][check_index(L, b, 2)]);
    return 1;
}

static int chan_newindex(lua_State *L)
{
    lchan *ch;
    lblock *b = chan_block(L, &ch);
    unsigned i = check_index(L, b, 2);
    b->ch[ch->c][i] = check_sample(L, 3);
    return 0;
}

static int chan_len(lua_State *L)
{
    lchan *ch = lua_touserdata(L, 1);
    lua_pushinteger(L, ch->b->frames);
    return 1;
}

/* --- the vtable --------------------------------------------------------------------- */

static void unref(lua_State *T, int *ref)
{
    if (*ref > 0)
        luaL_unref(T, LUA_REGISTRYINDEX, *ref);
    *ref = 0;
}

static void ln_release(md_node *n)
{
    lpriv *p = md_node_priv(n);
    if (p->block) {
        p->block->frames = 0;
        p->block->ch[0] = NULL;
        p->block = NULL;
    }
    unref(type_of(n)->T, &p->block_ref);
    md_aligned_free(p->pbuf);
    p->pbuf = NULL;
}

/* Calls def[fname](self, extra?) on the type's thread; returns 0 or leaves
 * the error message on top of T and returns -1. 0 also when there is no such
 * function. */
static int call_hook(md_node *n, const char *fname, int with_stream)
{
    const ltype *t = type_of(n);
    lpriv *p = md_node_priv(n);
    lua_State *T = t->T;
    lua_rawgeti(T, LUA_REGISTRYINDEX, t->def_ref);
    lua_getfield(T, -1, fname);
    lua_remove(T, -2);
    if (lua_type(T, -1) != LUA_TFUNCTION) {
        lua_pop(T, 1);
        return 0;
    }
    lua_rawgeti(T, LUA_REGISTRYINDEX, p->self_ref);
    int nargs = 1;
    if (with_stream) {
        const md_stream *in = md_node_in(n);
        lua_createtable(T, 0, 3);
        lua_pushnumber(T, in->rate_hz);
        lua_setfield(T, -2, "rate");
        lua_pushinteger(T, in->channels);
        lua_setfield(T, -2, "channels");
        lua_pushinteger(T, in->max_frames);
        lua_setfield(T, -2, "max_frames");
        nargs = 2;
    }
    busy++;
    int st = lua_pcall(T, nargs, 0, 0);
    busy--;
    return st == LUA_OK ? 0 : -1;
}

/* self.key as a frame count, or 0 */
static unsigned self_frames(lua_State *T, int self, const char *key)
{
    lua_getfield(T, self, key);
    lua_Number v = lua_tonumber(T, -1);
    lua_pop(T, 1);
    return (v >= 1 && v < 1e9) ? (unsigned)v : 0;
}

static md_status ln_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    const ltype *t = type_of(n);
    lpriv *p = md_node_priv(n);
    lua_State *T = t->T;
    (void)out;
    if (p->self_ref <= 0)
        return md_error_set(err, MD_ERR_INTERNAL, "%s: a Lua node without its Lua state",
                            t->vt.name);
    size_t np = t->nparams ? t->nparams : 1;
    p->pbuf = md_aligned_alloc(sizeof(float) * np * in->max_frames);
    if (!p->pbuf || !lua_checkstack(T, 20))
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", t->vt.name);
    int top = lua_gettop(T);
    lblock *b = lua_newuserdatauv(T, sizeof *b, 1);
    memset(b, 0, sizeof *b);
    b->channels = in->channels;
    b->max_frames = in->max_frames;
    b->rate = in->rate_hz;
    b->type = t;
    luaL_setmetatable(T, BLOCK_MT);
    lua_createtable(T, (int)in->channels, 0);
    for (unsigned c = 0; c < in->channels; c++) {
        lchan *ch = lua_newuserdatauv(T, sizeof *ch, 0);
        ch->b = b;
        ch->c = c;
        luaL_setmetatable(T, CHAN_MT);
        lua_rawseti(T, -2, (lua_Integer)c + 1);
    }
    lua_setiuservalue(T, -2, 1);
    p->block_ref = luaL_ref(T, LUA_REGISTRYINDEX);
    p->block = b;
    p->failed = 0;
    if (call_hook(n, "init", 1) != 0) {
        md_error_set(err, MD_ERR_INVALID, "%s: init: %s", t->vt.name,
                     lua_isstring(T, -1) ? lua_tostring(T, -1) : "(error object is not a string)");
        lua_settop(T, top);
        ln_release(n);
        return err ? err->status : MD_ERR_INVALID;
    }
    lua_rawgeti(T, LUA_REGISTRYINDEX, p->self_ref);
    p->latency = self_frames(T, lua_gettop(T), "latency");
    p->tail = self_frames(T, lua_gettop(T), "tail");
    lua_settop(T, top);
    return MD_OK;
}

static void fail(md_node *n, lua_State *T);

static void ln_reset(md_node *n)
{
    lua_State *T = type_of(n)->T;
    int top = lua_gettop(T);
    if (call_hook(n, "reset", 0) != 0)
        fail(n, T); /* stops the render that follows, which reports it */
    lua_settop(T, top);
}

static void fail(md_node *n, lua_State *T)
{
    lpriv *p = md_node_priv(n);
    if (md_host_cancel) {
        /* Ctrl-C stopped the Lua code (cancel_hook): an interrupt, not an error */
        p->failed = 1;
        return;
    }
    const char *msg = lua_isstring(T, -1) ? lua_tostring(T, -1) : NULL;
    lua_pushfstring(T, "%s: %s", type_of(n)->vt.name,
                    msg ? msg : "process raised an error object that is not a string");
    lua_setfield(T, LUA_REGISTRYINDEX, ERR_KEY);
    p->failed = 1;
    md_host_cancel = 1; /* stops the render; g:run() reports the error above */
}

static void ln_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    const ltype *t = type_of(n);
    lpriv *p = md_node_priv(n);
    lblock *b = p->block;
    unsigned nch = md_node_out(n)->channels;
    for (unsigned c = 0; c < nch; c++)
        if (out[c] != in[c])
            memcpy(out[c], in[c], sizeof(float) * frames);
    if (p->failed || frames == 0) {
        if (p->failed)
            for (unsigned c = 0; c < nch; c++)
                memset(out[c], 0, sizeof(float) * frames);
        return;
    }
    for (unsigned k = 0; k < t->nparams; k++)
        md_node_fill_param(n, k, p->pbuf + (size_t)k * b->max_frames, frames, 0);
    for (unsigned c = 0; c < nch; c++)
        b->ch[c] = out[c];
    b->frames = frames;
    b->pos = md_node_position(n) - (int64_t)md_node_input_latency(n);
    b->params = p->pbuf;

    lua_State *T = t->T;
    int top = lua_gettop(T);
    lua_rawgeti(T, LUA_REGISTRYINDEX, t->def_ref);
    lua_getfield(T, -1, "process");
    lua_rawgeti(T, LUA_REGISTRYINDEX, p->self_ref);
    for (unsigned k = 0; k < t->nparams; k++) {
        lua_pushnumber(T, p->pbuf[(size_t)k * b->max_frames]);
        lua_setfield(T, -2, t->params[k].name);
    }
    lua_rawgeti(T, LUA_REGISTRYINDEX, p->block_ref);
    busy++;
    int st = lua_pcall(T, 2, 0, 0);
    busy--;
    if (st != LUA_OK) {
        fail(n, T);
        for (unsigned c = 0; c < nch; c++)
            memset(out[c], 0, sizeof(float) * frames);
    }
    lua_settop(T, top);
    b->frames = 0;
    memset(b->ch, 0, sizeof(float *) * nch);
}

static unsigned ln_latency(const md_node *n) { return ((lpriv *)md_node_priv(n))->latency; }
static unsigned ln_tail(const md_node *n) { return ((lpriv *)md_node_priv(n))->tail; }

/* --- md.node{...}: a type ------------------------------------------------------------- */

/* Lets Ctrl-C stop a process() that loops: the render then ends as cancelled. */
static void cancel_hook(lua_State *T, lua_Debug *ar)
{
    (void)ar;
    if (md_host_cancel)
        luaL_error(T, "interrupted");
}

static int valid_name(const char *s)
{
    if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return 0;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* reads spec field key as a number (default def); raises when not a finite number */
static double spec_number(lua_State *L, int spec, const char *pname, const char *key, double def)
{
    lua_getfield(L, spec, key);
    double v = def;
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1) || !isfinite(lua_tonumber(L, -1)))
            luaL_error(L, "md.node: params.%s.%s must be a finite number, got %s", pname, key,
                       luaL_tolstring(L, -1, NULL));
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

static const char *spec_string(lua_State *L, int spec, const char *pname, const char *key)
{
    lua_getfield(L, spec, key);
    const char *s = "";
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "md.node: params.%s.%s must be a string, got %s", pname, key,
                       luaL_typename(L, -1));
        s = lua_tostring(L, -1);
    }
    lua_pop(L, 1); /* the string stays alive in the spec table */
    return s;
}

static size_t round_up(size_t v) { return (v + 15) & ~(size_t)15; }

/* copies s into the arena at *pos */
static const char *arena_str(char *base, size_t *pos, const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = base + *pos;
    memcpy(d, s, len);
    *pos += len;
    return d;
}

/* md.node{name, doc, params, init, process, reset} -> a node type: call it as
 * T(x, {params}) or, with a name, x:NAME{params} */
static int l_define(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "process");
    if (lua_type(L, -1) != LUA_TFUNCTION)
        return luaL_error(L, "md.node: process must be a function(self, block), got %s",
                          luaL_typename(L, -1));
    lua_pop(L, 1);
    for (const char *const *h = (const char *const[]){"init", "reset", NULL}; *h; h++) {
        lua_getfield(L, 1, *h);
        if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TFUNCTION)
            return luaL_error(L, "md.node: %s must be a function, got %s", *h,
                              luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    lua_getfield(L, 1, "name"); /* 2 */
    const char *name = "luanode";
    int named = !lua_isnil(L, 2);
    if (named) {
        name = lua_tostring(L, 2);
        if (lua_type(L, 2) != LUA_TSTRING || !valid_name(name))
            return luaL_error(L, "md.node: name must be a Lua identifier, got %s",
                              luaL_tolstring(L, 2, NULL));
        luaL_getmetatable(L, NODE_MT);
        lua_getfield(L, -1, "methods");
        /* another md.node of that name may be replaced (the REPL redefines) */
        int taken = lua_getfield(L, -1, name) != LUA_TNIL && lua_tocfunction(L, -1) != type_method;
        lua_pop(L, 3);
        if (taken || md_node_lookup(name))
            return luaL_error(L, "md.node: name '%s' is taken by a built-in node or method",
                              name);
    }
    lua_getfield(L, 1, "doc"); /* 3 */
    const char *doc = lua_type(L, 3) == LUA_TSTRING ? lua_tostring(L, 3) : "A node written in Lua.";
    lua_getfield(L, 1, "params"); /* 4 */
    const char *pnames[MAX_PARAMS];
    unsigned np = 0;
    size_t strbytes = strlen(name) + strlen(doc) + 2;
    if (!lua_isnil(L, 4)) {
        luaL_argexpected(L, lua_istable(L, 4), 1, "params as a table");
        lua_pushnil(L);
        while (lua_next(L, 4)) {
            if (lua_type(L, -2) != LUA_TSTRING || !valid_name(lua_tostring(L, -2)))
                return luaL_error(L, "md.node: parameter names must be identifiers, got %s",
                                  luaL_tolstring(L, -2, NULL));
            if (np == MAX_PARAMS)
                return luaL_error(L, "md.node: at most %d parameters", MAX_PARAMS);
            pnames[np++] = lua_tostring(L, -2);
            if (lua_type(L, -1) != LUA_TNUMBER && lua_type(L, -1) != LUA_TTABLE)
                return luaL_error(L, "md.node: params.%s must be a default value or {default, "
                                     "min, max, unit, doc}, got %s",
                                  lua_tostring(L, -2), luaL_typename(L, -1));
            lua_pop(L, 1);
        }
        qsort(pnames, np, sizeof *pnames, cmp_str);
    }
    md_param_desc descs[MAX_PARAMS + 1];
    memset(descs, 0, sizeof descs);
    for (unsigned k = 0; k < np; k++) {
        md_param_desc *d = &descs[k];
        d->name = pnames[k];
        d->type = MD_PT_NUMBER;
        d->flags = MD_PARAM_AUTOMATABLE;
        d->unit = "";
        d->doc = "";
        d->min = -1e12;
        d->max = 1e12;
        lua_getfield(L, 4, pnames[k]);
        int spec = lua_gettop(L);
        if (lua_type(L, spec) == LUA_TNUMBER) {
            d->def = lua_tonumber(L, spec);
        } else {
            lua_rawgeti(L, spec, 1);
            double def = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0.0;
            lua_pop(L, 1);
            d->def = spec_number(L, spec, pnames[k], "default", def);
            d->min = spec_number(L, spec, pnames[k], "min", d->min);
            d->max = spec_number(L, spec, pnames[k], "max", d->max);
            d->unit = spec_string(L, spec, pnames[k], "unit");
            d->doc = spec_string(L, spec, pnames[k], "doc");
        }
        if (!isfinite(d->def) || !(d->min <= d->def && d->def <= d->max))
            return luaL_error(L, "md.node: params.%s: default %f must be within %f..%f",
                              pnames[k], d->def, d->min, d->max);
        if (strcmp(d->unit, "dB") == 0)
            d->flags |= MD_PARAM_DB;
        strbytes += strlen(d->name) + strlen(d->unit) + strlen(d->doc) + 3;
        lua_pop(L, 1);
    }

    /* one block of Lua memory holds the type, its table and its strings; it is
     * anchored in the registry for good, so graphs never outlive it */
    size_t off_params = round_up(sizeof(ltype));
    size_t off_str = off_params + round_up(sizeof(md_param_desc) * (np + 1));
    char *mem = lua_newuserdatauv(L, off_str + strbytes, 0); /* 5 */
    memset(mem, 0, off_str + strbytes);
    ltype *t = (ltype *)mem;
    size_t pos = off_str;
    t->params = (md_param_desc *)(mem + off_params);
    t->nparams = np;
    for (unsigned k = 0; k < np; k++) {
        t->params[k] = descs[k];
        t->params[k].name = arena_str(mem, &pos, descs[k].name);
        t->params[k].unit = arena_str(mem, &pos, descs[k].unit);
        t->params[k].doc = arena_str(mem, &pos, descs[k].doc);
    }
    t->vt.name = arena_str(mem, &pos, name);
    t->vt.doc = arena_str(mem, &pos, doc);
    t->vt.params = t->params;
    t->vt.priv_size = sizeof(lpriv);
    t->vt.flags = MD_NODE_HIDDEN;
    t->vt.inputs = 1;
    t->vt.prepare = ln_prepare;
    t->vt.reset = ln_reset;
    t->vt.process = ln_process;
    t->vt.latency = ln_latency;
    t->vt.tail = ln_tail;
    t->vt.release = ln_release;
    luaL_setmetatable(L, TYPE_MT);

    lua_newtable(L); /* a copy of the definition: later changes to it do not reach us */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_pushvalue(L, -1);
    t->def_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, 0, 1); /* metatable of self tables */
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");
    t->mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    t->T = lua_newthread(L);
    t->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_sethook(t->T, cancel_hook, LUA_MASKCOUNT, 10000);

    luaL_getsubtable(L, LUA_REGISTRYINDEX, "mixdown.luanode.types");
    lua_pushvalue(L, 5);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);

    if (named) {
        luaL_getmetatable(L, NODE_MT);
        lua_getfield(L, -1, "methods");
        lua_pushvalue(L, 5);
        lua_pushcclosure(L, type_method, 1);
        lua_setfield(L, -2, name);
        lua_pop(L, 2);
    }
    lua_settop(L, 5);
    return 1;
}

/* T(x, {params}) or x:NAME{params}: t at ti, the input node at xi */
static int instantiate(lua_State *L, int ti, int xi, int pi)
{
    ltype *t = luaL_checkudata(L, ti, TYPE_MT);
    if (busy)
        return luaL_error(L, "a Lua node's process() cannot build, change or run graphs");
    node_ud *src = luaL_testudata(L, xi, NODE_MT);
    if (!src || !src->n)
        return luaL_error(L, "%s: the input must be a node, got %s", t->vt.name,
                          luaL_typename(L, xi));
    if (!lua_isnoneornil(L, pi) && !lua_istable(L, pi))
        return luaL_error(L, "%s: parameters must be a table, got %s", t->vt.name,
                          luaL_typename(L, pi));
    lua_getiuservalue(L, xi, 1);
    int gi = lua_gettop(L);
    graph_ud *gu = luaL_checkudata(L, gi, GRAPH_MT);
    if (!gu->g)
        return luaL_error(L, "attempt to use a destroyed graph");
    md_error e;
    md_node *n = md_graph_add_vt(gu->g, &t->vt, &e);
    if (!n)
        return luaL_error(L, "%s", e.msg);
    lpriv *p = md_node_priv(n);
    lua_newtable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->mt_ref);
    lua_setmetatable(L, -2);
    p->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (md_graph_connect(gu->g, src->n, n, 0, &e) != MD_OK)
        return luaL_error(L, "%s", e.msg);
    node_ud *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->n = n;
    luaL_setmetatable(L, NODE_MT);
    lua_pushvalue(L, gi);
    lua_setiuservalue(L, -2, 1);
    int hi = lua_gettop(L);
    if (lua_istable(L, pi)) {
        lua_pushnil(L);
        while (lua_next(L, pi)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "%s: parameter names must be strings", t->vt.name);
            const char *k = lua_tostring(L, -2);
            if (lua_type(L, -1) == LUA_TNUMBER) {
                if (md_node_set_number(n, k, lua_tonumber(L, -1), &e) != MD_OK)
                    return luaL_error(L, "%s", e.msg);
            } else if (lua_type(L, -1) == LUA_TTABLE || lua_type(L, -1) == LUA_TFUNCTION) {
                /* an envelope or a function of time: x:automate */
                lua_getfield(L, hi, "automate");
                lua_pushvalue(L, hi);
                lua_pushvalue(L, -4);
                lua_pushvalue(L, -4);
                if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
                    luaL_where(L, 1);
                    lua_insert(L, -2);
                    lua_concat(L, 2);
                    return lua_error(L);
                }
            } else {
                if (md_param_find(t->params, k) < 0) {
                    md_node_set_number(n, k, 0, &e); /* "unknown parameter ... did you mean" */
                    return luaL_error(L, "%s", e.msg);
                }
                return luaL_error(L, "%s: %s must be a number, got %s", t->vt.name, k,
                                  luaL_typename(L, -1));
            }
            lua_pop(L, 1);
        }
    }
    md_node_set_label(n, t->vt.name);
    lua_settop(L, hi);
    return 1;
}

static int type_call(lua_State *L) { return instantiate(L, 1, 2, 3); }

/* x:NAME{params}: upvalue 1 is the type */
static int type_method(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    return instantiate(L, 3, 1, 2);
}

static int type_tostring(lua_State *L)
{
    ltype *t = luaL_checkudata(L, 1, TYPE_MT);
    lua_pushfstring(L, "md.node %s (%d parameters)", t->vt.name, (int)t->nparams);
    return 1;
}

/* --- g:run() and the graph's __gc --------------------------------------------------- */

/* g:run(opts): samples deferred function automation (envelope.lua), renders,
 * and reports a Lua node's error instead of the cancellation it caused
 * (upvalue 1: bind.c's run) */
static int run_wrap(lua_State *L)
{
    if (busy)
        return luaL_error(L, "a Lua node's process() cannot build, change or run graphs");
    int n = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "mixdown.envelope");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "before_run");
        lua_pushvalue(L, 1);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
            return lua_error(L);
        }
    }
    lua_settop(L, n);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, ERR_KEY);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    if (lua_pcall(L, n, LUA_MULTRET, 0) == LUA_OK)
        return lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, ERR_KEY) == LUA_TSTRING) {
        md_host_cancel = 0;
        md_host_last_status = MD_ERR_INVALID; /* a bad recipe, not an interrupt */
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, ERR_KEY);
    } else {
        lua_pop(L, 1);
    }
    if (lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* the graph's __gc/__close: drops the Lua nodes' self tables first
 * (upvalue 1: bind.c's function) */
static int graph_gc_wrap(lua_State *L)
{
    graph_ud *gu = luaL_testudata(L, 1, GRAPH_MT);
    if (gu && gu->g) {
        for (unsigned i = 0; i < md_graph_node_count(gu->g); i++) {
            md_node *n = md_graph_node(gu->g, i);
            if (is_luanode(n)) {
                lpriv *p = md_node_priv(n);
                unref(type_of(n)->T, &p->self_ref);
            }
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

static void wrap_field(lua_State *L, int t, const char *key, lua_CFunction f)
{
    t = lua_absindex(L, t);
    lua_getfield(L, t, key);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, t, key);
}

static const luaL_Reg block_methods[] = {
    {"get", block_get}, {"set", block_set},     {"read", block_read},
    {"write", block_write}, {"param", block_param}, {NULL, NULL},
};

/* Called once from luaopen_mixdown_core with the core table on top:
 * md.node, the Lua node metatables, and (bind_automation.c) envelopes. */
int md_bind_luanode(lua_State *L)
{
    int core = lua_gettop(L);
    luaL_newmetatable(L, TYPE_MT);
    lua_pushcfunction(L, type_call);
    lua_setfield(L, -2, "__call");
    lua_pushcfunction(L, type_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newmetatable(L, BLOCK_MT);
    luaL_newlib(L, block_methods);
    lua_pushcclosure(L, block_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, BLOCK_MT);
    lua_setfield(L, -2, "__metatable");
    luaL_newmetatable(L, CHAN_MT);
    lua_pushcfunction(L, chan_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, chan_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, chan_len);
    lua_setfield(L, -2, "__len");
    lua_pushliteral(L, CHAN_MT);
    lua_setfield(L, -2, "__metatable");
    lua_settop(L, core);

    lua_pushcfunction(L, l_define);
    lua_setfield(L, core, "node");

    luaL_getmetatable(L, GRAPH_MT);
    wrap_field(L, -1, "__gc", graph_gc_wrap);
    wrap_field(L, -1, "__close", graph_gc_wrap);
    lua_getfield(L, -1, "methods");
    wrap_field(L, -1, "run", run_wrap);
    lua_settop(L, core);

    md_bind_automation(L);
    lua_settop(L, core);
    return 0;
}
