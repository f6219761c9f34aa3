/* bind_tags.c - delivery metadata in Lua (md_tags.h):
 *
 *   md.tags(path)       -> {title = ..., artist = ..., ...} (only tags present)
 *                          or nil, message
 *   md.bext(path)       -> {version, description, originator, ..., integrated_lufs,
 *                          loudness_range_lu, true_peak_dbtp, max_momentary_lufs,
 *                          max_short_term_lufs} (unset loudness fields nil),
 *                          false when the file has no bext chunk, or nil, message
 *   md.bext_loudness(path, figures) -> true, or nil, message: fills the bext
 *                          loudness fields from a table with the keys of
 *                          m:result() (missing keys: "not set")
 *   md.isrc(s)          -> "CCXXXYYNNNNN" or nil when s is not an ISRC
 *   md.tag_names        -> {"title", "artist", ...}
 */
#include "bind_report.h"
#include "host.h"
#include "mixdown/md_tags.h"
#include <lauxlib.h>
#include <math.h>
#include <string.h>

static int fail(lua_State *L, const md_error *e)
{
    lua_pushnil(L);
    lua_pushstring(L, e->msg);
    return 2;
}

static int l_tags(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    md_tags *t = lua_newuserdatauv(L, sizeof *t, 0); /* 10 kB: not on the C stack */
    md_error e;
    if (md_file_tags(path, t, &e) != MD_OK)
        return fail(L, &e);
    lua_createtable(L, 0, MD_TAG_COUNT);
    for (int i = 0; i < MD_TAG_COUNT; i++)
        if (t->value[i][0]) {
            lua_pushstring(L, t->value[i]);
            lua_setfield(L, -2, md_tag_name((md_tag)i));
        }
    return 1;
}

static void set_str(lua_State *L, const char *key, const char *v)
{
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

static void set_db(lua_State *L, const char *key, double v)
{
    if (isfinite(v)) {
        lua_pushnumber(L, v);
        lua_setfield(L, -2, key);
    }
}

static int l_bext(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    md_bext b;
    md_error e;
    if (md_bext_read(path, &b, &e) != MD_OK)
        return fail(L, &e);
    if (!b.present) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_createtable(L, 0, 12);
    lua_pushinteger(L, b.version);
    lua_setfield(L, -2, "version");
    set_str(L, "description", b.description);
    set_str(L, "originator", b.originator);
    set_str(L, "originator_reference", b.originator_reference);
    set_str(L, "origination_date", b.origination_date);
    set_str(L, "origination_time", b.origination_time);
    set_str(L, "coding_history", b.coding_history);
    set_db(L, "integrated_lufs", b.loudness.integrated_lufs);
    set_db(L, "loudness_range_lu", b.loudness.range_lu);
    set_db(L, "true_peak_dbtp", b.loudness.true_peak_dbtp);
    set_db(L, "max_momentary_lufs", b.loudness.max_momentary_lufs);
    set_db(L, "max_short_term_lufs", b.loudness.max_short_term_lufs);
    return 1;
}

static double get_db(lua_State *L, int t, const char *key)
{
    lua_getfield(L, t, key);
    double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : NAN;
    lua_pop(L, 1);
    return v;
}

static int l_bext_loudness(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    md_bext_loudness v = {
        get_db(L, 2, "integrated_lufs"),     get_db(L, 2, "loudness_range_lu"),
        get_db(L, 2, "true_peak_dbtp"),      get_db(L, 2, "max_momentary_lufs"),
        get_db(L, 2, "max_short_term_lufs"),
    };
    md_error e;
    if (md_bext_write_loudness(path, &v, &e) != MD_OK)
        return fail(L, &e);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_isrc(lua_State *L)
{
    char code[13];
    if (!md_isrc_normalize(luaL_checkstring(L, 1), code))
        return 0;
    lua_pushstring(L, code);
    return 1;
}

static const luaL_Reg tag_funcs[] = {
    {"tags", l_tags}, {"bext", l_bext}, {"bext_loudness", l_bext_loudness},
    {"isrc", l_isrc}, {NULL, NULL},
};

void md_bind_tags_register(lua_State *L, int core)
{
    core = lua_absindex(L, core);
    lua_pushvalue(L, core);
    luaL_setfuncs(L, tag_funcs, 0);
    lua_createtable(L, MD_TAG_COUNT, 0);
    for (int i = 0; i < MD_TAG_COUNT; i++) {
        lua_pushstring(L, md_tag_name((md_tag)i));
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "tag_names");
    lua_pop(L, 1);
}
