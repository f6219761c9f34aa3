/* bind_repl.c - the few C facts the REPL's Lua side needs and plain Lua lacks:
 * the entries of a directory (file-name completion) and the names of the
 * files embedded in the binary (preset-name completion). md_repl_bind adds
 * them to the mixdown.core table; only the REPL and stdin scripts call it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lauxlib.h>
#include "host.h"
#include "repl.h"

typedef struct md_embedded {
    const char *name;
    const char *src;
    size_t len;
} md_embedded;
extern const md_embedded md_embedded_files[];

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* core.listdir(dir) -> sorted array of names ("." and ".." left out;
 * directories end in "/"), or nil, message */
static int l_listdir(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    DIR *d = opendir(*dir ? dir : ".");
    if (!d) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", dir, strerror(errno));
        return 2;
    }
    lua_newtable(L);
    int n = 0;
    struct dirent *e;
    size_t dlen = strlen(dir);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
            /* some file systems do not fill d_type; symlinks may name directories */
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            luaL_addlstring(&b, *dir ? dir : ".", *dir ? dlen : 1);
            luaL_addchar(&b, '/');
            luaL_addstring(&b, e->d_name);
            luaL_pushresult(&b);
            struct stat st;
            is_dir = stat(lua_tostring(L, -1), &st) == 0 && S_ISDIR(st.st_mode);
            lua_pop(L, 1);
        }
        if (is_dir)
            lua_pushfstring(L, "%s/", e->d_name);
        else
            lua_pushstring(L, e->d_name);
        lua_rawseti(L, -2, ++n);
    }
    closedir(d);
    /* sort in Lua's own table.sort order: plain byte order */
    lua_getglobal(L, "table");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, -3);
        lua_call(L, 1, 0);
    }
    lua_pop(L, 1);
    return 1;
}

/* core.embedded_names(prefix) -> sorted array of embedded file names that
 * start with prefix ("recipes/presets/") */
static int l_embedded_names(lua_State *L)
{
    const char *prefix = luaL_optstring(L, 1, "");
    size_t plen = strlen(prefix);
    size_t count = 0;
    for (const md_embedded *e = md_embedded_files; e->name; e++)
        count += strncmp(e->name, prefix, plen) == 0;
    const char **names = lua_newuserdatauv(L, (count ? count : 1) * sizeof *names, 0);
    size_t k = 0;
    for (const md_embedded *e = md_embedded_files; e->name; e++)
        if (strncmp(e->name, prefix, plen) == 0)
            names[k++] = e->name;
    qsort(names, count, sizeof *names, cmp_names);
    lua_createtable(L, (int)count, 0);
    for (size_t i = 0; i < count; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static const luaL_Reg repl_funcs[] = {
    {"listdir", l_listdir},
    {"embedded_names", l_embedded_names},
    {NULL, NULL},
};

void md_repl_bind(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "mixdown.core");
    if (lua_istable(L, -1))
        luaL_setfuncs(L, repl_funcs, 0);
    lua_pop(L, 2);
}
