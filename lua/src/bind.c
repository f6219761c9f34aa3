/* bind.c - the mixdown.core Lua module: graphs, nodes, parameters.
 *
 * Graph ("mixdown.Graph") owns the engine graph. Node ("mixdown.Node") is a
 * borrowed handle that keeps its graph alive through its user value.
 * x:NAME{...} for any registered processor adds that node after x; g:NAME{...}
 * for any generator adds a source. Parameter tables are checked key by key
 * against the node's parameter table; errors carry the caller's file:line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bind_report.h"
#include "host.h"
#include "mixdown/md_dynamics.h"

#define GRAPH_MT "mixdown.Graph"
#define NODE_MT "mixdown.Node"

typedef struct lgraph {
    md_graph *g;
} lgraph;

typedef struct lnode {
    md_node *n;
} lnode;

static lgraph *check_graph(lua_State *L, int idx)
{
    lgraph *u = luaL_checkudata(L, idx, GRAPH_MT);
    if (!u->g)
        luaL_error(L, "attempt to use a destroyed graph");
    return u;
}

static lnode *check_node(lua_State *L, int idx)
{
    lnode *u = luaL_checkudata(L, idx, NODE_MT);
    if (!u->n)
        luaL_error(L, "attempt to use a released node");
    return u;
}

static int raise_md(lua_State *L, const md_error *e)
{
    md_host_last_status = e->status;
    return luaL_error(L, "%s", e->msg);
}

/* pushes a node handle whose user value is the graph at graph_idx */
static void push_node(lua_State *L, md_node *n, int graph_idx)
{
    graph_idx = lua_absindex(L, graph_idx);
    lnode *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->n = n;
    luaL_setmetatable(L, NODE_MT);
    lua_pushvalue(L, graph_idx);
    lua_setiuservalue(L, -2, 1);
}

/* --- parameters ------------------------------------------------------------------ */

static const char *value_type(lua_State *L, int idx) { return luaL_typename(L, idx); }

static void set_item(lua_State *L, md_node *n, const md_param_desc *p, unsigned item, int t)
{
    md_error e;
    t = lua_absindex(L, t);
    if (!lua_istable(L, t))
        luaL_error(L, "%s: %s item %u must be a table, got %s", md_node_name(n), p->name,
                   item + 1, value_type(L, t));
    unsigned nf = md_param_count(p->fields);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        const char *field;
        if (lua_type(L, -2) == LUA_TNUMBER) {
            lua_Integer k = lua_tointeger(L, -2);
            if (k < 1 || (lua_Unsigned)k > nf)
                luaL_error(L, "%s: %s item %u has %u fields, got a value at position %d",
                           md_node_name(n), p->name, item + 1, nf, (int)k);
            field = p->fields[k - 1].name;
        } else if (lua_type(L, -2) == LUA_TSTRING) {
            field = lua_tostring(L, -2);
        } else {
            luaL_error(L, "%s: %s item %u: keys must be names", md_node_name(n), p->name,
                       item + 1);
            return;
        }
        md_status s;
        int vt = lua_type(L, -1);
        if (vt == LUA_TNUMBER)
            s = md_node_set_item_number(n, p->name, item, field, lua_tonumber(L, -1), &e);
        else if (vt == LUA_TBOOLEAN)
            s = md_node_set_item_number(n, p->name, item, field, lua_toboolean(L, -1), &e);
        else if (vt == LUA_TSTRING)
            s = md_node_set_item_string(n, p->name, item, field, lua_tostring(L, -1), &e);
        else
            s = md_error_set(&e, MD_ERR_INVALID, "%s: %s %u: %s must be a number or a name, got %s",
                             md_node_name(n), p->name, item + 1, field, value_type(L, -1));
        if (s != MD_OK)
            raise_md(L, &e);
        lua_pop(L, 1);
    }
}

static void set_list(lua_State *L, md_node *n, const md_param_desc *p, int t)
{
    md_error e;
    t = lua_absindex(L, t);
    if (!lua_istable(L, t))
        luaL_error(L, "%s: %s must be a list (a table), got %s", md_node_name(n), p->name,
                   value_type(L, t));
    lua_Unsigned count = lua_rawlen(L, t);
    if (count > p->max_items)
        luaL_error(L, "%s: %s takes at most %u items, got %d", md_node_name(n), p->name,
                   p->max_items, (int)count);
    if (md_node_set_list_count(n, p->name, (unsigned)count, &e) != MD_OK)
        raise_md(L, &e);
    for (lua_Unsigned i = 0; i < count; i++) {
        lua_rawgeti(L, t, (lua_Integer)i + 1);
        if (lua_type(L, -1) == LUA_TNUMBER) {
            /* a bare number is the item's first field: crossovers = {200, 2000} */
            if (md_node_set_item_number(n, p->name, (unsigned)i, p->fields[0].name,
                                        lua_tonumber(L, -1), &e) != MD_OK)
                raise_md(L, &e);
        } else {
            set_item(L, n, p, (unsigned)i, -1);
        }
        lua_pop(L, 1);
    }
}

/* Sets one parameter from the value at index v. */
static void set_param(lua_State *L, md_node *n, const char *name, int v)
{
    md_error e;
    v = lua_absindex(L, v);
    const md_param_desc *params = md_node_type(n)->params;
    int i = md_param_find(params, name);
    if (i < 0) {
        md_node_set_number(n, name, 0, &e); /* composes "unknown parameter ... did you mean" */
        raise_md(L, &e);
    }
    const md_param_desc *p = &params[i];
    md_status s = MD_OK;
    int t = lua_type(L, v);
    switch (p->type) {
    case MD_PT_NUMBER:
    case MD_PT_INT:
        if (t == LUA_TNUMBER)
            s = md_node_set_number(n, name, lua_tonumber(L, v), &e);
        else if (t == LUA_TSTRING && (p->flags & MD_PARAM_AUTO))
            s = md_node_set_string(n, name, lua_tostring(L, v), &e);
        else
            luaL_error(L, "%s: %s must be a number%s, got %s", md_node_name(n), name,
                       (p->flags & MD_PARAM_AUTO) ? " or \"auto\"" : "", value_type(L, v));
        break;
    case MD_PT_BOOL:
        if (t != LUA_TBOOLEAN)
            luaL_error(L, "%s: %s must be true or false, got %s", md_node_name(n), name,
                       value_type(L, v));
        s = md_node_set_number(n, name, lua_toboolean(L, v), &e);
        break;
    case MD_PT_ENUM:
        if (t != LUA_TSTRING)
            luaL_error(L, "%s: %s must be a name (a string), got %s", md_node_name(n), name,
                       value_type(L, v));
        s = md_node_set_string(n, name, lua_tostring(L, v), &e);
        break;
    case MD_PT_STRING:
        if (t != LUA_TSTRING)
            luaL_error(L, "%s: %s must be a string, got %s", md_node_name(n), name,
                       value_type(L, v));
        s = md_node_set_string(n, name, lua_tostring(L, v), &e);
        break;
    case MD_PT_LIST:
        set_list(L, n, p, v);
        break;
    case MD_PT_NODE: {
        lnode *ref = luaL_testudata(L, v, NODE_MT);
        if (!ref || !ref->n)
            luaL_error(L, "%s: %s must be a node, got %s", md_node_name(n), name,
                       value_type(L, v));
        s = md_node_set_node(n, name, ref->n, &e);
        break;
    }
    }
    if (s != MD_OK)
        raise_md(L, &e);
}

/* The single list parameter of a node (eq's bands), or NULL. */
static const md_param_desc *the_list(const md_node *n)
{
    const md_param_desc *found = NULL;
    for (const md_param_desc *p = md_node_type(n)->params; p->name; p++)
        if (p->type == MD_PT_LIST) {
            if (found)
                return NULL;
            found = p;
        }
    return found;
}

static void apply_params(lua_State *L, md_node *n, int t)
{
    if (lua_isnoneornil(L, t))
        return;
    t = lua_absindex(L, t);
    if (!lua_istable(L, t))
        luaL_error(L, "%s: parameters must be a table, got %s", md_node_name(n),
                   value_type(L, t));
    /* array part: the items of the node's list parameter (eq{ {...}, {...} }) */
    lua_Unsigned count = lua_rawlen(L, t);
    if (count > 0) {
        const md_param_desc *lp = the_list(n);
        if (!lp)
            luaL_error(L, "%s: parameters must be named (name = value)", md_node_name(n));
        lua_getfield(L, t, lp->name);
        int has_named = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (has_named)
            luaL_error(L, "%s: give %s either as a list or in the array part, not both",
                       md_node_name(n), lp->name);
        set_list(L, n, lp, t);
    }
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) == LUA_TSTRING)
            set_param(L, n, lua_tostring(L, -2), -1);
        else if (!(lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2) &&
                   lua_tointeger(L, -2) >= 1 && (lua_Unsigned)lua_tointeger(L, -2) <= count))
            luaL_error(L, "%s: parameter names must be strings", md_node_name(n));
        lua_pop(L, 1);
    }
}

/* --- graph --------------------------------------------------------------------------- */

static int l_graph(lua_State *L)
{
    md_graph_config cfg = {0, 0, 0};
    if (lua_istable(L, 1)) {
        lua_getfield(L, 1, "rate");
        cfg.rate_hz = luaL_optnumber(L, -1, 0);
        lua_getfield(L, 1, "block");
        cfg.block_frames = (unsigned)luaL_optinteger(L, -1, 0);
        lua_getfield(L, 1, "tails");
        cfg.no_tails = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
        lua_pop(L, 3);
    }
    lgraph *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->g = NULL;
    luaL_setmetatable(L, GRAPH_MT);
    md_error e;
    u->g = md_graph_create(&cfg, &e);
    if (!u->g)
        return raise_md(L, &e);
    return 1;
}

static int graph_gc(lua_State *L)
{
    lgraph *u = luaL_checkudata(L, 1, GRAPH_MT);
    md_graph_destroy(u->g);
    u->g = NULL;
    return 0;
}

static md_node *add_node(lua_State *L, int graph_idx, const char *type)
{
    lgraph *u = check_graph(L, graph_idx);
    md_error e;
    md_node *n = md_graph_add(u->g, type, &e);
    if (!n)
        raise_md(L, &e);
    return n;
}

/* g:file(path) */
static int graph_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 2);
    md_node *n = add_node(L, 1, "file");
    md_error e;
    if (md_node_set_string(n, "path", path, &e) != MD_OK)
        return raise_md(L, &e);
    const char *base = strrchr(path, '/');
    md_node_set_label(n, base ? base + 1 : path);
    push_node(L, n, 1);
    return 1;
}

/* g:add("type", {params}) - any node type, unconnected */
static int graph_add(lua_State *L)
{
    const char *type = luaL_checkstring(L, 2);
    lua_settop(L, 3);
    md_node *n = add_node(L, 1, type);
    apply_params(L, n, 3);
    push_node(L, n, 1);
    return 1;
}

/* g:mix{ a, b, {c, gain = -3} } */
static int graph_mix(lua_State *L)
{
    lgraph *u = check_graph(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Unsigned count = lua_rawlen(L, 2);
    if (count == 0)
        return luaL_error(L, "mix: needs at least one input, e.g. g:mix{a, b}");
    md_node *m = add_node(L, 1, "mix");
    md_error e;
    for (lua_Unsigned i = 1; i <= count; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i);
        double gain = 0;
        lnode *in = luaL_testudata(L, -1, NODE_MT);
        if (!in && lua_istable(L, -1)) {
            lua_getfield(L, -1, "gain");
            if (!lua_isnil(L, -1)) {
                if (!lua_isnumber(L, -1))
                    return luaL_error(L, "mix: input %d: gain must be a number (dB), got %s",
                                      (int)i, value_type(L, -1));
                gain = lua_tonumber(L, -1);
            }
            lua_pop(L, 1);
            lua_rawgeti(L, -1, 1);
            in = luaL_testudata(L, -1, NODE_MT);
            lua_pop(L, 1);
        }
        if (!in || !in->n)
            return luaL_error(L, "mix: input %d must be a node or {node, gain = dB}, got %s",
                              (int)i, value_type(L, -1));
        if (md_graph_connect(u->g, in->n, m, gain, &e) != MD_OK)
            return raise_md(L, &e);
        lua_pop(L, 1);
    }
    push_node(L, m, 1);
    return 1;
}

/* g:run{on_block = function(seconds) ... end, every = seconds}: a Lua callback
 * between blocks (never inside a node), e.g. to sample gain reductions */
typedef struct run_ctx {
    lua_State *L;
    int fn_ref;
    double rate, every_s, next_s;
    int failed;
} run_ctx;

static int run_after_block(void *user, int64_t done)
{
    run_ctx *c = user;
    double t = done / c->rate;
    if (c->fn_ref == LUA_NOREF || t < c->next_s)
        return 0;
    c->next_s = t + c->every_s;
    lua_rawgeti(c->L, LUA_REGISTRYINDEX, c->fn_ref);
    lua_pushnumber(c->L, t);
    if (lua_pcall(c->L, 1, 0, 0) != LUA_OK) {
        c->failed = 1;
        return 1; /* the message stays on the stack */
    }
    return 0;
}

static void run_progress(void *user, int64_t done, int64_t total)
{
    (void)user;
    md_host_progress(NULL, done, total);
}

static int graph_run(lua_State *L)
{
    lgraph *u = check_graph(L, 1);
    int progress = 1;
    run_ctx ctx = {L, LUA_NOREF, 0, 0.01, 0, 0};
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "progress");
        if (lua_isboolean(L, -1))
            progress = lua_toboolean(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, 2, "every");
        if (lua_isnumber(L, -1) && lua_tonumber(L, -1) > 0)
            ctx.every_s = lua_tonumber(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, 2, "on_block");
        if (lua_isfunction(L, -1))
            ctx.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        else
            lua_pop(L, 1);
    }
    md_render_opts opts = {progress ? run_progress : NULL, &ctx, &md_host_cancel,
                           ctx.fn_ref != LUA_NOREF ? run_after_block : NULL};
    md_error e;
    md_error_clear(&e);
    /* the graph's rate is known once compiled */
    if (ctx.fn_ref != LUA_NOREF && md_graph_compile(u->g, &e) != MD_OK) {
        luaL_unref(L, LUA_REGISTRYINDEX, ctx.fn_ref);
        return raise_md(L, &e);
    }
    ctx.rate = md_graph_rate(u->g);
    md_status s = md_graph_render(u->g, &opts, &e);
    if (ctx.fn_ref != LUA_NOREF)
        luaL_unref(L, LUA_REGISTRYINDEX, ctx.fn_ref);
    if (ctx.failed)
        return lua_error(L);
    if (s != MD_OK) {
        if (s == MD_ERR_CANCELLED)
            snprintf(e.msg, sizeof e.msg, "interrupted: render cancelled, no output written");
        return raise_md(L, &e);
    }
    /* repaired input and output are success with a warning (DESIGN: exit codes) */
    for (unsigned i = 0; i < md_graph_node_count(u->g); i++) {
        md_node *n = md_graph_node(u->g, i);
        int64_t bad = md_source_nonfinite(n);
        if (bad > 0)
            fprintf(stderr, "mixdown: warning: %s: %lld non-finite samples (NaN/Inf) replaced by "
                            "silence\n",
                    md_node_label(n), (long long)bad);
        bad = md_sink_nonfinite(n);
        if (bad > 0)
            fprintf(stderr, "mixdown: warning: %s: %lld non-finite samples produced by the chain "
                            "were written as silence\n",
                    md_node_label(n), (long long)bad);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int graph_compile(lua_State *L)
{
    lgraph *u = check_graph(L, 1);
    md_error e;
    if (md_graph_compile(u->g, &e) != MD_OK)
        return raise_md(L, &e);
    lua_settop(L, 1);
    return 1;
}

static int push_owned_string(lua_State *L, char *s)
{
    if (!s)
        return luaL_error(L, "out of memory");
    lua_pushstring(L, s);
    free(s);
    return 1;
}

static int graph_dot(lua_State *L)
{
    lgraph *u = check_graph(L, 1);
    return push_owned_string(L, md_graph_dot(u->g));
}

static int graph_plan(lua_State *L)
{
    lgraph *u = check_graph(L, 1);
    return push_owned_string(L, md_graph_plan(u->g));
}

static int graph_info(lua_State *L)
{
    lgraph *u = check_graph(L, 1);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, md_graph_rate(u->g));
    lua_setfield(L, -2, "rate");
    lua_pushinteger(L, md_graph_node_count(u->g));
    lua_setfield(L, -2, "nodes");
    lua_pushinteger(L, md_graph_buffer_count(u->g));
    lua_setfield(L, -2, "buffers");
    return 1;
}

/* g:NAME{...} for generators */
static int graph_source_closure(lua_State *L)
{
    const char *type = lua_tostring(L, lua_upvalueindex(1));
    lua_settop(L, 2);
    md_node *n = add_node(L, 1, type);
    apply_params(L, n, 2);
    push_node(L, n, 1);
    return 1;
}

static int graph_index(lua_State *L)
{
    const char *key = luaL_checkstring(L, 2);
    luaL_getmetatable(L, GRAPH_MT);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, key);
    if (!lua_isnil(L, -1))
        return 1;
    const md_node_vtable *vt = md_node_lookup(key);
    if (vt && (vt->flags & MD_NODE_SOURCE) && !(vt->flags & MD_NODE_HIDDEN)) {
        lua_pushstring(L, key);
        lua_pushcclosure(L, graph_source_closure, 1);
        return 1;
    }
    const char *s = md_node_suggest(key);
    if (s)
        return luaL_error(L, "unknown source or method '%s' (did you mean '%s'?)", key, s);
    return luaL_error(L, "unknown source or method '%s' (g:file(path), g:mix{...}, or a "
                         "generator from `mixdown nodes`)", key);
}

/* --- node ---------------------------------------------------------------------------- */

static int node_closure(lua_State *L)
{
    const char *type = lua_tostring(L, lua_upvalueindex(1));
    lua_settop(L, 2);
    lnode *src = check_node(L, 1);
    lua_getiuservalue(L, 1, 1); /* the graph */
    int gi = lua_gettop(L);
    lgraph *g = check_graph(L, gi);
    md_node *n = add_node(L, gi, type);
    md_error e;
    if (md_graph_connect(g->g, src->n, n, 0, &e) != MD_OK)
        return raise_md(L, &e);
    apply_params(L, n, 2);
    push_node(L, n, gi);
    return 1;
}

static int node_index(lua_State *L)
{
    const char *key = luaL_checkstring(L, 2);
    luaL_getmetatable(L, NODE_MT);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, key);
    if (!lua_isnil(L, -1))
        return 1;
    const md_node_vtable *vt = md_node_lookup(key);
    if (vt && !(vt->flags & (MD_NODE_SOURCE | MD_NODE_SINK | MD_NODE_HIDDEN)) &&
        strcmp(key, "mix") != 0) {
        lua_pushstring(L, key);
        lua_pushcclosure(L, node_closure, 1);
        return 1;
    }
    /* x:compresor{} would otherwise say "attempt to call a nil value" */
    const char *s = md_node_suggest(key);
    if (s)
        return luaL_error(L, "unknown node '%s' (did you mean '%s'?)", key, s);
    return luaL_error(L, "unknown node or method '%s' (`mixdown nodes` lists the nodes)", key);
}

static int is_opus(const char *path, const char *format)
{
    if (format && *format)
        return strcmp(format, "opus") == 0;
    const char *dot = strrchr(path, '.');
    return dot && strcmp(dot, ".opus") == 0;
}

/* x:write(path, {bits = 16|24|32|"32f", float, rate, format, dither, seed}) */
static int node_write(lua_State *L)
{
    lua_settop(L, 3);
    lnode *src = check_node(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_getiuservalue(L, 1, 1);
    int gi = lua_gettop(L);
    lgraph *g = check_graph(L, gi);
    md_error e;
    md_node *from = src->n;

    /* rate: resample before the file (Opus holds 48 kHz only) */
    double rate = 0;
    const char *format = NULL;
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "rate");
        if (!lua_isnil(L, -1)) {
            if (!lua_isnumber(L, -1))
                return luaL_error(L, "write: rate must be a number (Hz), got %s",
                                  value_type(L, -1));
            rate = lua_tonumber(L, -1);
        }
        lua_getfield(L, 3, "format");
        format = lua_tostring(L, -1);
        lua_pop(L, 2);
    }
    if (rate == 0 && is_opus(path, format))
        rate = 48000;
    if (rate != 0) {
        md_node *r = md_graph_add(g->g, "resample", &e);
        if (!r || md_node_set_number(r, "rate", rate, &e) != MD_OK ||
            md_graph_connect(g->g, from, r, 0, &e) != MD_OK)
            return raise_md(L, &e);
        from = r;
    }
    md_node *s = add_node(L, gi, "sink");
    if (md_node_set_string(s, "path", path, &e) != MD_OK)
        return raise_md(L, &e);
    const char *base = strrchr(path, '/');
    md_node_set_label(s, base ? base + 1 : path);
    if (lua_istable(L, 3)) {
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            if (!k)
                return luaL_error(L, "write: options must be named");
            if (strcmp(k, "rate") == 0) {
                /* handled above */
            } else if (strcmp(k, "bits") == 0 && lua_type(L, -1) == LUA_TSTRING) {
                const char *b = lua_tostring(L, -1);
                if (strcmp(b, "32f") == 0) {
                    md_node_set_number(s, "bits", 32, &e);
                    md_node_set_number(s, "float", 1, &e);
                } else {
                    return luaL_error(L, "write: bits must be 16, 24, 32 or \"32f\", got '%s'",
                                      b);
                }
            } else if (strcmp(k, "bits") == 0 && lua_type(L, -1) == LUA_TNUMBER) {
                lua_Number b = lua_tonumber(L, -1);
                if (!(b == 8 || b == 16 || b == 24 || b == 32))
                    return luaL_error(L, "write: bits must be 16, 24, 32 or \"32f\", got %g",
                                      (double)b);
                set_param(L, s, k, -1);
            } else {
                set_param(L, s, k, -1);
            }
            lua_pop(L, 1);
        }
    }
    if (md_graph_connect(g->g, from, s, 0, &e) != MD_OK)
        return raise_md(L, &e);
    push_node(L, s, gi);
    return 1;
}

/* x:meter{true_peak = true} -> the meter node (a sink measuring x) */
static int node_meter(lua_State *L)
{
    lua_settop(L, 2);
    lnode *src = check_node(L, 1);
    lua_getiuservalue(L, 1, 1);
    int gi = lua_gettop(L);
    lgraph *g = check_graph(L, gi);
    md_node *m = add_node(L, gi, "meter");
    md_error e;
    apply_params(L, m, 2);
    if (md_graph_connect(g->g, src->n, m, 0, &e) != MD_OK)
        return raise_md(L, &e);
    push_node(L, m, gi);
    return 1;
}

static void set_num(lua_State *L, const char *key, double v)
{
    if (isfinite(v))
        lua_pushnumber(L, v);
    else
        lua_pushnil(L); /* undefined (silence, mono correlation): nil, never a sentinel */
    lua_setfield(L, -2, key);
}

/* m:result() -> table of measurements (keys as in `analyze --json`) */
static int node_result(lua_State *L)
{
    lnode *u = check_node(L, 1);
    md_analysis a;
    md_error e;
    if (md_meter_result(u->n, &a, &e) != MD_OK)
        return raise_md(L, &e);
    lua_createtable(L, 0, 24);
    set_num(L, "sample_rate", a.rate_hz);
    lua_pushinteger(L, a.channels);
    lua_setfield(L, -2, "channels");
    lua_pushinteger(L, (lua_Integer)a.frames);
    lua_setfield(L, -2, "frames");
    set_num(L, "duration_s", a.duration_s);
    set_num(L, "integrated_lufs", a.integrated_lufs);
    set_num(L, "loudness_range_lu", a.loudness_range_lu);
    set_num(L, "max_momentary_lufs", a.max_momentary_lufs);
    set_num(L, "max_short_term_lufs", a.max_short_term_lufs);
    set_num(L, "sample_peak_dbfs", a.sample_peak_dbfs);
    set_num(L, "true_peak_dbtp", a.true_peak_dbtp);
    set_num(L, "rms_dbfs", a.rms_dbfs);
    set_num(L, "crest_db", a.crest_db);
    set_num(L, "dc_offset", a.dc_offset);
    lua_pushinteger(L, (lua_Integer)a.clipped_samples);
    lua_setfield(L, -2, "clipped_samples");
    lua_pushinteger(L, (lua_Integer)a.nonfinite_samples);
    lua_setfield(L, -2, "nonfinite_samples");
    set_num(L, "correlation", a.correlation);
    set_num(L, "balance_db", a.balance_db);
    lua_createtable(L, (int)a.channels, 0);
    for (unsigned c = 0; c < a.channels && c < MD_MAX_CHANNELS; c++) {
        if (isfinite(a.true_peak_ch_dbtp[c]))
            lua_pushnumber(L, a.true_peak_ch_dbtp[c]);
        else
            lua_pushboolean(L, 0);
        lua_rawseti(L, -2, c + 1);
    }
    lua_setfield(L, -2, "true_peak_per_channel");
    return 1;
}

/* x:gain_reduction() -> current and last-block max reduction (dB) of a dynamics node */
static int node_gain_reduction(lua_State *L)
{
    lnode *u = check_node(L, 1);
    lua_pushnumber(L, md_dyn_gain_reduction_db(u->n));
    lua_pushnumber(L, md_dyn_max_reduction_db(u->n));
    return 2;
}

/* x:set(name, value) */
static int node_set(lua_State *L)
{
    lnode *u = check_node(L, 1);
    const char *name = luaL_checkstring(L, 2);
    luaL_checkany(L, 3);
    set_param(L, u->n, name, 3);
    lua_settop(L, 1);
    return 1;
}

/* x:get(name) -> number (scalars) */
static int node_get(lua_State *L)
{
    lnode *u = check_node(L, 1);
    const char *name = luaL_checkstring(L, 2);
    md_error e;
    double v;
    if (md_node_get_number(u->n, name, &v, &e) != MD_OK)
        return raise_md(L, &e);
    const md_param_desc *p = &md_node_type(u->n)->params[md_param_find(md_node_type(u->n)->params, name)];
    if (p->type == MD_PT_ENUM)
        lua_pushstring(L, p->choices[(int)v]);
    else if (p->type == MD_PT_BOOL)
        lua_pushboolean(L, v != 0);
    else if (p->type == MD_PT_STRING)
        lua_pushstring(L, md_node_string(u->n, (unsigned)md_param_find(md_node_type(u->n)->params, name)));
    else if (isnan(v))
        lua_pushstring(L, "auto");
    else
        lua_pushnumber(L, v);
    return 1;
}

static int node_graph(lua_State *L)
{
    check_node(L, 1);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int node_type(lua_State *L)
{
    lnode *u = check_node(L, 1);
    lua_pushstring(L, md_node_name(u->n));
    return 1;
}

static int node_latency(lua_State *L)
{
    lnode *u = check_node(L, 1);
    lua_getiuservalue(L, 1, 1);
    lgraph *g = check_graph(L, -1);
    lua_pushinteger(L, md_graph_path_latency(g->g, u->n));
    return 1;
}

static int node_tostring(lua_State *L)
{
    lnode *u = check_node(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, md_node_name(u->n));
    luaL_addstring(&b, "{");
    const md_param_desc *params = md_node_type(u->n)->params;
    int first = 1;
    for (unsigned i = 0; params[i].name; i++) {
        if (!md_node_isset(u->n, i))
            continue;
        if (!first)
            luaL_addstring(&b, ", ");
        first = 0;
        luaL_addstring(&b, params[i].name);
        luaL_addstring(&b, " = ");
        if (params[i].type == MD_PT_STRING) {
            /* quoted as Lua would (string.format's %q); lua_pushfstring has no %q */
            lua_getglobal(L, "string");
            lua_getfield(L, -1, "format");
            lua_remove(L, -2);
            lua_pushliteral(L, "%q");
            lua_pushstring(L, md_node_string(u->n, i));
            lua_call(L, 2, 1);
            luaL_addvalue(&b);
        } else if (params[i].type == MD_PT_ENUM) {
            luaL_addstring(&b, "\"");
            luaL_addstring(&b, params[i].choices[(int)md_node_value(u->n, i)]);
            luaL_addstring(&b, "\"");
        } else if (params[i].type == MD_PT_BOOL) {
            luaL_addstring(&b, md_node_value(u->n, i) != 0 ? "true" : "false");
        } else if (params[i].type == MD_PT_LIST) {
            lua_pushfstring(L, "<%d items>", (int)md_node_list_count(u->n, i));
            luaL_addvalue(&b);
        } else if (params[i].type == MD_PT_NODE) {
            luaL_addstring(&b, "<node>");
        } else {
            double v = md_node_value(u->n, i);
            if (isnan(v))
                luaL_addstring(&b, "\"auto\"");
            else {
                lua_pushfstring(L, "%s", "");
                lua_pop(L, 1);
                char num[48];
                snprintf(num, sizeof num, "%.6g", v);
                luaL_addstring(&b, num);
            }
        }
    }
    luaL_addstring(&b, "}");
    if (strcmp(md_node_label(u->n), md_node_name(u->n)) != 0) {
        luaL_addstring(&b, " -- ");
        luaL_addstring(&b, md_node_label(u->n));
    }
    luaL_pushresult(&b);
    return 1;
}

static int node_label(lua_State *L)
{
    lnode *u = check_node(L, 1);
    if (lua_gettop(L) >= 2) {
        md_node_set_label(u->n, luaL_checkstring(L, 2));
        lua_settop(L, 1);
        return 1;
    }
    lua_pushstring(L, md_node_label(u->n));
    return 1;
}

static int node_eq(lua_State *L)
{
    lnode *a = luaL_testudata(L, 1, NODE_MT), *b = luaL_testudata(L, 2, NODE_MT);
    lua_pushboolean(L, a && b && a->n == b->n);
    return 1;
}

/* --- registry introspection --------------------------------------------------------- */

static void push_params(lua_State *L, const md_param_desc *params)
{
    lua_newtable(L);
    for (unsigned i = 0; params && params[i].name; i++) {
        const md_param_desc *p = &params[i];
        lua_createtable(L, 0, 10);
        lua_pushstring(L, p->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, p->unit ? p->unit : "");
        lua_setfield(L, -2, "unit");
        lua_pushstring(L, p->doc ? p->doc : "");
        lua_setfield(L, -2, "doc");
        lua_pushstring(L, md_param_type_name(p->type));
        lua_setfield(L, -2, "type");
        if (p->type == MD_PT_NUMBER || p->type == MD_PT_INT) {
            lua_pushnumber(L, p->min);
            lua_setfield(L, -2, "min");
            lua_pushnumber(L, p->max);
            lua_setfield(L, -2, "max");
        }
        if (!(p->flags & MD_PARAM_REQUIRED)) {
            if (p->type == MD_PT_ENUM && p->choices)
                lua_pushstring(L, p->choices[(int)p->def]);
            else if (p->type == MD_PT_BOOL)
                lua_pushboolean(L, p->def != 0);
            else if (p->type == MD_PT_NUMBER || p->type == MD_PT_INT)
                lua_pushnumber(L, p->def);
            else
                lua_pushnil(L);
            lua_setfield(L, -2, "default");
        }
        lua_pushboolean(L, (p->flags & MD_PARAM_REQUIRED) != 0);
        lua_setfield(L, -2, "required");
        lua_pushboolean(L, (p->flags & MD_PARAM_AUTO) != 0);
        lua_setfield(L, -2, "auto");
        lua_pushboolean(L, (p->flags & MD_PARAM_AUTOMATABLE) != 0);
        lua_setfield(L, -2, "automatable");
        if (p->choices) {
            lua_newtable(L);
            for (unsigned c = 0; p->choices[c]; c++) {
                lua_pushstring(L, p->choices[c]);
                lua_rawseti(L, -2, c + 1);
            }
            lua_setfield(L, -2, "choices");
        }
        if (p->type == MD_PT_LIST) {
            push_params(L, p->fields);
            lua_setfield(L, -2, "fields");
            lua_pushinteger(L, p->max_items);
            lua_setfield(L, -2, "max_items");
        }
        lua_rawseti(L, -2, i + 1);
    }
}

static void push_type(lua_State *L, const md_node_vtable *vt)
{
    lua_createtable(L, 0, 6);
    lua_pushstring(L, vt->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, vt->doc ? vt->doc : "");
    lua_setfield(L, -2, "doc");
    const char *kind = (vt->flags & MD_NODE_SOURCE) ? "source"
                       : (vt->flags & MD_NODE_SINK) ? "sink"
                                                    : "processor";
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    lua_pushinteger(L, vt->inputs);
    lua_setfield(L, -2, "inputs");
    push_params(L, vt->params);
    lua_setfield(L, -2, "params");
}

/* md.nodes() -> array of node descriptions; md.nodes(name) -> one or nil */
static int l_nodes(lua_State *L)
{
    const md_node_vtable *const *types = md_node_types();
    if (lua_isstring(L, 1)) {
        const md_node_vtable *vt = md_node_lookup(lua_tostring(L, 1));
        if (!vt || (vt->flags & MD_NODE_HIDDEN)) {
            lua_pushnil(L);
            const char *s = md_node_suggest(lua_tostring(L, 1));
            if (s)
                lua_pushfstring(L, "unknown node '%s' (did you mean '%s'?)", lua_tostring(L, 1), s);
            else
                lua_pushfstring(L, "unknown node '%s'", lua_tostring(L, 1));
            return 2;
        }
        push_type(L, vt);
        return 1;
    }
    lua_newtable(L);
    int k = 1;
    for (unsigned i = 0; types[i]; i++) {
        if (types[i]->flags & MD_NODE_HIDDEN)
            continue;
        push_type(L, types[i]);
        lua_rawseti(L, -2, k++);
    }
    return 1;
}

/* md.probe(path) -> {rate, channels, frames, format, subtype} or nil, message */
static int l_probe(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    md_file_info info;
    md_error e;
    if (md_file_probe(path, &info, &e) != MD_OK) {
        lua_pushnil(L);
        lua_pushstring(L, e.msg);
        return 2;
    }
    lua_createtable(L, 0, 6);
    lua_pushnumber(L, info.rate_hz);
    lua_setfield(L, -2, "rate");
    lua_pushinteger(L, info.channels);
    lua_setfield(L, -2, "channels");
    if (info.frames >= 0)
        lua_pushinteger(L, info.frames);
    else
        lua_pushnil(L);
    lua_setfield(L, -2, "frames");
    lua_pushstring(L, info.format_name);
    lua_setfield(L, -2, "format");
    lua_pushstring(L, info.subtype_name);
    lua_setfield(L, -2, "subtype");
    return 1;
}

static int l_is_node(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, NODE_MT) != NULL);
    return 1;
}

static int l_is_graph(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, GRAPH_MT) != NULL);
    return 1;
}

static int l_cancelled(lua_State *L)
{
    lua_pushboolean(L, md_host_cancel != 0);
    return 1;
}

static int l_embedded(lua_State *L)
{
    size_t len;
    const char *src = md_host_embedded(luaL_checkstring(L, 1), &len);
    if (!src)
        return 0;
    lua_pushlstring(L, src, len);
    return 1;
}

static const luaL_Reg graph_methods[] = {
    {"file", graph_file},   {"add", graph_add},   {"mix", graph_mix},
    {"run", graph_run},     {"dot", graph_dot},   {"plan", graph_plan},
    {"compile", graph_compile}, {"info", graph_info}, {NULL, NULL},
};

static const luaL_Reg node_methods[] = {
    {"write", node_write},   {"set", node_set},     {"get", node_get},
    {"graph", node_graph},   {"type", node_type},   {"latency", node_latency},
    {"label", node_label},   {"meter", node_meter},   {"result", node_result},
    {"gain_reduction", node_gain_reduction}, {NULL, NULL},
};

static const luaL_Reg core_funcs[] = {
    {"graph", l_graph},       {"nodes", l_nodes},         {"probe", l_probe},
    {"is_node", l_is_node},   {"is_graph", l_is_graph},   {"cancelled", l_cancelled},
    {"embedded", l_embedded}, {NULL, NULL},
};

int luaopen_mixdown_core(lua_State *L)
{
    luaL_newmetatable(L, GRAPH_MT);
    luaL_newlib(L, graph_methods);
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, graph_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, graph_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, graph_gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, graph_plan);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    luaL_newmetatable(L, NODE_MT);
    luaL_newlib(L, node_methods);
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, node_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, node_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, node_eq);
    lua_setfield(L, -2, "__eq");
    lua_pop(L, 1);

    luaL_newlib(L, core_funcs);
    /* the method tables, so the pure-Lua library can add methods */
    luaL_getmetatable(L, NODE_MT);
    lua_getfield(L, -1, "methods");
    lua_setfield(L, -3, "node_methods");
    lua_pop(L, 1);
    luaL_getmetatable(L, GRAPH_MT);
    lua_getfield(L, -1, "methods");
    lua_setfield(L, -3, "graph_methods");
    lua_pop(L, 1);
    lua_pushstring(L, MD_VERSION);
    lua_setfield(L, -2, "version");
    md_bind_report_register(L, lua_gettop(L)); /* plots, hashes, tags: bind_report.h */
    { extern int md_bind_luanode(lua_State *L); md_bind_luanode(L); } /* md.node, envelopes */
    return 1;
}
