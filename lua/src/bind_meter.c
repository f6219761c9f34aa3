/* bind_meter.c - a meter's plots in Lua (meters made with plots = true):
 *
 *   m:spectrum() -> {freq = {Hz...}, db = {...}, bin_hz = Hz}
 *   m:bands()    -> {centre = {20, 25, ... 20000}, exact = {Hz...}, db = {...}}
 *   m:series()   -> {t = {s...}, momentary = {LUFS...}, short_term = {LUFS...}}
 *   m:envelope() -> {t = {s...}, peak_db = {dBFS...}, rms_db = {dBFS...}, column_s = s}
 *   m:peaks()    -> {sample = {dBFS per channel}, true_peak = {dBTP per channel}}
 *                   (any meter, after its render)
 *
 * Silence is -math.huge in these arrays (an array cannot hold nil);
 * md_meter.h says what each figure means. */
#include "bind_report.h"
#include "host.h"
#include <lauxlib.h>
#include <math.h>

/* The node userdata of bind.c ("mixdown.Node"): its first member is the node. */
typedef struct node_handle {
    md_node *n;
} node_handle;

static md_node *check_meter(lua_State *L)
{
    node_handle *u = luaL_checkudata(L, 1, "mixdown.Node");
    if (!u->n)
        luaL_error(L, "attempt to use a released node");
    return u->n;
}

static int raise_err(lua_State *L, const md_error *e)
{
    md_host_last_status = e->status;
    return luaL_error(L, "%s", e->msg);
}

static void push_array(lua_State *L, const double *v, size_t stride, unsigned n, const char *key)
{
    lua_createtable(L, (int)n, 0);
    for (unsigned i = 0; i < n; i++) {
        double x = v[(size_t)i * stride];
        lua_pushnumber(L, isnan(x) ? -HUGE_VAL : x);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, key);
}

static int meter_spectrum(lua_State *L)
{
    md_node *n = check_meter(L);
    md_error e;
    unsigned bins;
    double hz;
    if (md_meter_spectrum(n, NULL, 0, &bins, &hz, &e) != MD_OK)
        return raise_err(L, &e);
    /* scratch owned by Lua: a memory error while building the tables frees it */
    double *db = lua_newuserdatauv(L, sizeof(double) * bins * 2, 0);
    if (md_meter_spectrum(n, db, bins, &bins, &hz, &e) != MD_OK)
        return raise_err(L, &e);
    double *freq = db + bins;
    for (unsigned k = 0; k < bins; k++)
        freq[k] = k * hz;
    lua_createtable(L, 0, 3);
    push_array(L, freq, 1, bins, "freq");
    push_array(L, db, 1, bins, "db");
    lua_pushnumber(L, hz);
    lua_setfield(L, -2, "bin_hz");
    return 1; /* the table; the scratch below it is garbage now */
}

static int meter_bands(lua_State *L)
{
    md_node *n = check_meter(L);
    md_error e;
    md_meter_band_levels b;
    if (md_meter_bands(n, &b, &e) != MD_OK)
        return raise_err(L, &e);
    lua_createtable(L, 0, 3);
    push_array(L, b.nominal_hz, 1, MD_METER_BANDS, "centre");
    push_array(L, b.exact_hz, 1, MD_METER_BANDS, "exact");
    push_array(L, b.db, 1, MD_METER_BANDS, "db");
    return 1;
}

static int meter_series(lua_State *L)
{
    md_node *n = check_meter(L);
    md_error e;
    static md_meter_loudness_point pts[MD_METER_SERIES_MAX]; /* Lua runs on one thread */
    unsigned count;
    if (md_meter_series(n, pts, MD_METER_SERIES_MAX, &count, &e) != MD_OK)
        return raise_err(L, &e);
    const size_t stride = sizeof pts[0] / sizeof(double);
    lua_createtable(L, 0, 3);
    push_array(L, &pts[0].t_s, stride, count, "t");
    push_array(L, &pts[0].momentary_lufs, stride, count, "momentary");
    push_array(L, &pts[0].short_term_lufs, stride, count, "short_term");
    return 1;
}

static int meter_envelope(lua_State *L)
{
    md_node *n = check_meter(L);
    md_error e;
    static md_meter_envelope_point pts[MD_METER_ENVELOPE_MAX];
    unsigned count;
    double column_s;
    if (md_meter_envelope(n, pts, MD_METER_ENVELOPE_MAX, &count, &column_s, &e) != MD_OK)
        return raise_err(L, &e);
    const size_t stride = sizeof pts[0] / sizeof(double);
    lua_createtable(L, 0, 4);
    push_array(L, &pts[0].t_s, stride, count, "t");
    push_array(L, &pts[0].peak_dbfs, stride, count, "peak_db");
    push_array(L, &pts[0].rms_dbfs, stride, count, "rms_db");
    lua_pushnumber(L, column_s);
    lua_setfield(L, -2, "column_s");
    return 1;
}

static int meter_peaks(lua_State *L)
{
    md_node *n = check_meter(L);
    md_error e;
    md_analysis a;
    if (md_meter_result(n, &a, &e) != MD_OK)
        return raise_err(L, &e);
    lua_createtable(L, 0, 2);
    push_array(L, a.sample_peak_ch_dbfs, 1, a.channels, "sample");
    push_array(L, a.true_peak_ch_dbtp, 1, a.channels, "true_peak");
    return 1;
}

static const luaL_Reg meter_methods[] = {
    {"spectrum", meter_spectrum}, {"bands", meter_bands}, {"series", meter_series},
    {"envelope", meter_envelope}, {"peaks", meter_peaks}, {NULL, NULL},
};

void md_bind_meter_register(lua_State *L, int core)
{
    (void)core;
    luaL_getmetatable(L, "mixdown.Node");
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, meter_methods, 0);
    lua_pop(L, 2);
}

void md_bind_report_register(lua_State *L, int core)
{
    core = lua_absindex(L, core);
    md_bind_meter_register(L, core);
    md_bind_hash_register(L, core);
    md_bind_tags_register(L, core);
}
