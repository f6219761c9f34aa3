/* bind_fs.c - the few file-system facts the Lua library needs and plain Lua
 * lacks: does a path exist, is it a directory, are two paths the same file
 * (symlinks and hard links included), and an atomic rename. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lauxlib.h>
#include "host.h"

/* md.fs.stat(path) -> "file"|"dir"|"other" or nil, message */
static int fs_stat(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : "other");
    return 1;
}

/* md.fs.same_file(a, b) -> true when both name the same inode */
static int fs_same_file(lua_State *L)
{
    const char *a = luaL_checkstring(L, 1), *b = luaL_checkstring(L, 2);
    struct stat sa, sb;
    lua_pushboolean(L, stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
                           sa.st_ino == sb.st_ino);
    return 1;
}

/* md.fs.rename(from, to) -> true or nil, message (atomic within a file system) */
static int fs_rename(lua_State *L)
{
    const char *from = luaL_checkstring(L, 1), *to = luaL_checkstring(L, 2);
    if (rename(from, to) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: cannot rename to %s: %s", from, to, strerror(errno));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* md.fs.remove(path) -> true (also when it did not exist) */
static int fs_remove(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_pushboolean(L, unlink(path) == 0 || errno == ENOENT);
    return 1;
}

/* md.fs.pid() -> process id, for unique temporary names */
static int fs_pid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)getpid());
    return 1;
}

static int fs_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

static const luaL_Reg fs_funcs[] = {
    {"stat", fs_stat},     {"same_file", fs_same_file}, {"rename", fs_rename},
    {"remove", fs_remove}, {"pid", fs_pid},             {"isatty", fs_isatty},
    {NULL, NULL},
};

int luaopen_mixdown_fs(lua_State *L)
{
    luaL_newlib(L, fs_funcs);
    return 1;
}
