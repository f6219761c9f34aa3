/* bind_automation.c - envelopes from Lua: md.envelope{...}, x:automate(name, env),
 * and envelopes or functions as values of any number parameter:
 *
 *   x:gain{db = md.envelope{ {0, -60}, {2, 0} }}
 *   x:pan{pos = function(t) return math.sin(t) end}
 *   x:set("freq", md.envelope{ {0, 200}, {8, 4000, "exp"} })
 *
 * bind.c's node constructors take plain values; this file wraps the Node
 * metatable's __index so that the constructor it returns takes envelope values
 * out of the parameter table, builds the node, then attaches them. An envelope
 * is a table whose metatable is "mixdown.Envelope" (made by envelope.lua's
 * md.envelope), holding points {time_s, value[, "lin"|"exp"|"hold"]}; a
 * plain array of such points is accepted by x:automate too. A function of time
 * is handed to envelope.lua, which samples it into breakpoints before the
 * render (no Lua runs inside the render for it).
 *
 * Every wrapper calls bind.c's function in protected mode and puts the
 * recipe's file:line in front of its message (bind.c's luaL_error sees a C
 * caller, so its own message has none).
 */
#include <math.h>
#include <string.h>
#include <lauxlib.h>
#include "host.h"
#include "mixdown/md_automation.h"

#define NODE_MT "mixdown.Node"
#define GRAPH_MT "mixdown.Graph"
#define ENV_MT "mixdown.Envelope"

/* bind.c's Node handle holds one pointer; this mirrors it */
typedef struct node_ud {
    md_node *n;
} node_ud;

int md_bind_automation(lua_State *L);
/* bind_luanode.c: non-zero while a Lua node's process() runs */
int md_luanode_busy(void);

static md_node *check_node(lua_State *L, int idx)
{
    node_ud *u = luaL_checkudata(L, idx, NODE_MT);
    if (!u->n)
        luaL_error(L, "attempt to use a released node");
    return u->n;
}

static void refuse_when_busy(lua_State *L)
{
    if (md_luanode_busy())
        luaL_error(L, "a Lua node's process() cannot build, change or run graphs");
}

/* Calls the function below nargs arguments on the stack (protected); on error
 * raises the message with the caller's position in front. */
static void call_here(lua_State *L, int nargs, int nres)
{
    if (lua_pcall(L, nargs, nres, 0) == LUA_OK)
        return;
    if (lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    lua_error(L);
}

static int is_envelope(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return 0;
    luaL_getmetatable(L, ENV_MT);
    int eq = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return eq;
}

/* an automation value: an envelope or a function of time */
static int is_automation(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TFUNCTION || is_envelope(L, idx);
}

static md_env_shape shape_of(lua_State *L, md_node *n, const char *name, int idx, unsigned k)
{
    if (lua_isnoneornil(L, idx))
        return MD_ENV_LIN;
    const char *s = lua_tostring(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (strcmp(s, "lin") == 0 || strcmp(s, "linear") == 0)
            return MD_ENV_LIN;
        if (strcmp(s, "exp") == 0)
            return MD_ENV_EXP;
        if (strcmp(s, "hold") == 0)
            return MD_ENV_HOLD;
    }
    luaL_error(L, "%s: %s: envelope point %d: shape must be \"lin\", \"exp\" or \"hold\", got %s",
               md_node_name(n), name, (int)k, s ? s : luaL_typename(L, idx));
    return MD_ENV_LIN;
}

/* Attaches the automation value at vidx to parameter name of node handle
 * hidx: an envelope or an array of points, a function (deferred to
 * envelope.lua), or nil to remove. */
static void automate(lua_State *L, int hidx, const char *name, int vidx)
{
    hidx = lua_absindex(L, hidx);
    vidx = lua_absindex(L, vidx);
    md_node *n = check_node(L, hidx);
    md_error e;
    if (lua_type(L, vidx) == LUA_TFUNCTION) {
        /* check the parameter now (a one-point envelope at its minimum), so
         * the error points at the recipe line */
        const md_param_desc *params = md_node_type(n)->params;
        int idx = md_param_find(params, name);
        md_env_point probe = {0, idx >= 0 ? params[idx].min : 0, MD_ENV_LIN};
        if (md_node_automate(n, name, &probe, 1, &e) != MD_OK)
            luaL_error(L, "%s", e.msg);
        md_node_automate(n, name, NULL, 0, &e);
        lua_getglobal(L, "require");
        lua_pushstring(L, "mixdown.envelope");
        lua_call(L, 1, 1);
        lua_getfield(L, -1, "defer");
        lua_pushvalue(L, hidx);
        lua_pushstring(L, name);
        lua_pushvalue(L, vidx);
        lua_call(L, 3, 0);
        lua_pop(L, 1);
        return;
    }
    /* a function deferred earlier for this parameter gives way */
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, "mixdown.envelope") == LUA_TTABLE) {
        lua_getfield(L, -1, "cancel");
        lua_pushvalue(L, hidx);
        lua_pushstring(L, name);
        lua_call(L, 2, 0);
    }
    lua_pop(L, 2);
    if (lua_isnil(L, vidx)) {
        if (md_node_automate(n, name, NULL, 0, &e) != MD_OK)
            luaL_error(L, "%s", e.msg);
        return;
    }
    if (lua_type(L, vidx) != LUA_TTABLE)
        luaL_error(L, "%s: %s: an automation must be md.envelope{...}, a list of points or a "
                      "function of time, got %s",
                   md_node_name(n), name, luaL_typename(L, vidx));
    lua_Unsigned count = lua_rawlen(L, vidx);
    if (count == 0)
        luaL_error(L, "%s: %s: an envelope needs at least one point {time, value}",
                   md_node_name(n), name);
    if (count > MD_ENV_MAX_POINTS)
        luaL_error(L, "%s: %s: an envelope holds at most %d points, got %d", md_node_name(n),
                   name, (int)MD_ENV_MAX_POINTS, (int)count);
    /* a userdata, so that an error below frees it with the rest */
    md_env_point *pts = lua_newuserdatauv(L, sizeof *pts * count, 0);
    for (lua_Unsigned k = 1; k <= count; k++) {
        if (lua_rawgeti(L, vidx, (lua_Integer)k) != LUA_TTABLE)
            luaL_error(L, "%s: %s: envelope point %d must be {time, value}, got %s",
                       md_node_name(n), name, (int)k, luaL_typename(L, -1));
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        lua_rawgeti(L, -3, 3);
        if (!lua_isnumber(L, -3) || !lua_isnumber(L, -2))
            luaL_error(L, "%s: %s: envelope point %d must be {time (s), value}, got {%s, %s}",
                       md_node_name(n), name, (int)k, luaL_typename(L, -3),
                       luaL_typename(L, -2));
        pts[k - 1].time_s = lua_tonumber(L, -3);
        pts[k - 1].value = lua_tonumber(L, -2);
        pts[k - 1].shape = shape_of(L, n, name, -1, (unsigned)k);
        lua_pop(L, 4);
    }
    md_status s = md_node_automate(n, name, pts, (unsigned)count, &e);
    lua_pop(L, 1);
    if (s != MD_OK)
        luaL_error(L, "%s", e.msg);
}

/* x:automate(name, envelope | points | function | nil) -> x */
static int node_automate(lua_State *L)
{
    refuse_when_busy(L);
    check_node(L, 1);
    const char *name = luaL_checkstring(L, 2);
    luaL_checkany(L, 3);
    automate(L, 1, name, 3);
    lua_settop(L, 1);
    return 1;
}

/* x:automated(name) -> boolean */
static int node_automated(lua_State *L)
{
    md_node *n = check_node(L, 1);
    lua_pushboolean(L, md_node_automated(n, luaL_checkstring(L, 2)));
    return 1;
}

/* x:timeline() -> rate (Hz), span (s, or nil) of the compiled graph, for
 * sampling functions of time */
static int node_timeline(lua_State *L)
{
    md_node *n = check_node(L, 1);
    lua_pushnumber(L, md_node_out(n)->rate_hz);
    double span = md_node_span(n);
    if (span >= 0)
        lua_pushnumber(L, span);
    else
        lua_pushnil(L);
    return 2;
}

/* the constructor bind.c returned for x:NAME{...}, with envelope values
 * taken out of the parameter table and attached after (upvalue 1) */
static int ctor_wrap(lua_State *L)
{
    refuse_when_busy(L);
    lua_settop(L, 2);
    int auto_count = 0;
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) == LUA_TSTRING && is_automation(L, -1))
                auto_count++;
            lua_pop(L, 1);
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    if (auto_count == 0) {
        lua_pushvalue(L, 2);
        call_here(L, 2, 1);
        return 1;
    }
    /* 3: the constructor, 4: x, 5: params without automation, 6: the automation */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        if (lua_type(L, -2) == LUA_TSTRING && is_automation(L, -1))
            lua_rawset(L, 6);
        else
            lua_rawset(L, 5);
    }
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 4);
    lua_pushvalue(L, 5);
    call_here(L, 2, 1);
    int node = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, 6)) {
        const char *name = lua_tostring(L, -2);
        /* automate raises with luaL_error: its position is ours, the recipe's */
        lua_pushcfunction(L, node_automate);
        lua_pushvalue(L, node);
        lua_pushstring(L, name);
        lua_pushvalue(L, -4);
        call_here(L, 3, 0);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, node);
    return 1;
}

/* Node __index: bind.c's (upvalue 1); node constructors come back wrapped */
static int node_index_wrap(lua_State *L)
{
    const char *key = lua_tostring(L, 2);
    refuse_when_busy(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    call_here(L, 2, 1);
    const md_node_vtable *vt = key ? md_node_lookup(key) : NULL;
    if (vt && lua_tocfunction(L, -1) != NULL && lua_getupvalue(L, -1, 1) != NULL) {
        /* bind.c's node constructors are closures over the type name */
        int is_ctor = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), key) == 0;
        lua_pop(L, 1);
        if (is_ctor)
            lua_pushcclosure(L, ctor_wrap, 1);
    }
    return 1;
}

/* Graph __index: refused inside a Lua node's process() */
static int graph_index_wrap(lua_State *L)
{
    refuse_when_busy(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    call_here(L, 2, 1);
    return 1;
}

/* x:set(name, value): envelopes and functions go to x:automate (upvalue 1:
 * bind.c's set) */
static int set_wrap(lua_State *L)
{
    refuse_when_busy(L);
    if (is_automation(L, 3)) {
        check_node(L, 1);
        automate(L, 1, luaL_checkstring(L, 2), 3);
        lua_settop(L, 1);
        return 1;
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    call_here(L, n, 1);
    return 1;
}

/* md.envelope(...) -> require("mixdown.envelope").new(...) */
static int l_envelope(lua_State *L)
{
    int n = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "mixdown.envelope");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "new");
    lua_remove(L, -2);
    lua_insert(L, 1);
    call_here(L, n, 1); /* envelope.lua raises without a position: ours is the recipe's */
    return 1;
}

/* Wraps field key of the table at t with a C closure over its old value. */
static void wrap_field(lua_State *L, int t, const char *key, lua_CFunction f)
{
    t = lua_absindex(L, t);
    lua_getfield(L, t, key);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, t, key);
}

/* Called from md_bind_luanode with the mixdown.core table on top. */
int md_bind_automation(lua_State *L)
{
    int core = lua_gettop(L);
    luaL_newmetatable(L, ENV_MT);
    lua_setfield(L, core, "envelope_mt");
    lua_pushcfunction(L, l_envelope);
    lua_setfield(L, core, "envelope");

    luaL_getmetatable(L, NODE_MT);
    int mt = lua_gettop(L);
    wrap_field(L, mt, "__index", node_index_wrap);
    lua_getfield(L, mt, "methods");
    wrap_field(L, -1, "set", set_wrap);
    lua_pushcfunction(L, node_automate);
    lua_setfield(L, -2, "automate");
    lua_pushcfunction(L, node_automated);
    lua_setfield(L, -2, "automated");
    lua_pushcfunction(L, node_timeline);
    lua_setfield(L, -2, "timeline");
    lua_settop(L, core);

    luaL_getmetatable(L, GRAPH_MT);
    wrap_field(L, -1, "__index", graph_index_wrap);
    lua_settop(L, core);
    return 0;
}
