/* bind_report.h - Lua access to what reports and deliveries need: a meter's
 * plots (bind_meter.c), file hashes (bind_hash.c), tags and the bext chunk
 * (bind_tags.c). luaopen_mixdown_core calls md_bind_report_register once. */
#ifndef MD_BIND_REPORT_H
#define MD_BIND_REPORT_H

#include <lua.h>

/* Adds everything below; core is the stack index of the mixdown.core table. */
void md_bind_report_register(lua_State *L, int core);

/* m:spectrum(), m:bands(), m:series(), m:envelope() on meter nodes. */
void md_bind_meter_register(lua_State *L, int core);
/* mixdown.fs.hash(path), mixdown.fs.hash_string(s): SHA-256, lowercase hex. */
void md_bind_hash_register(lua_State *L, int core);
/* core.tags(path), core.bext(path), core.bext_loudness(path, figures), core.isrc(s). */
void md_bind_tags_register(lua_State *L, int core);

#endif
