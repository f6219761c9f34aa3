#!/usr/bin/env bash
# test_sandbox.sh - presets loaded through --preset run sandboxed: one hostile
# preset per capability or limit, each refused or stopped within 10 s with
# exit 1 and one stderr line naming the preset and what it hit; nothing is
# written outside the outputs (and not the output either).
source "$(dirname "$0")/lib.sh"
export XDG_CONFIG_HOME=$T/config
sox -n -r 44100 -c 2 -b 24 "$T/in.wav" synth 3 pinknoise vol 0.3 || { bad "sox missing"; finish; exit 1; }
mkdir -p "$T/out"

# (The endless loops stop at the instruction limit, 1e8, in about half a
# second, or at the 5 s wall-clock limit on a loaded machine: either names a
# limit. tests/lua/test_recipe_presets.lua checks each limit on its own.)
# hostile NAME PATTERN: the preset $T/NAME.lua (written by the caller) is
# refused: exit 1, one line naming preset 'NAME' and matching PATTERN, in 10 s
hostile() {
  local name=$1 pat=$2 start=$SECONDS
  expect_fail "$name" 1 "preset '$name'.*$pat" "$MD" master "$T/in.wav" -o "$T/out/$name.wav" --preset "$T/$name.lua"
  local took=$((SECONDS - start))
  [ "$took" -le 10 ] && ok "$name: stopped in $took s" || bad "$name: took $took s"
  [ ! -e "$T/out/$name.wav" ] && ok "$name: no output written" || bad "$name: output written"
}
w() { printf '%s\n' "$2" > "$T/$1.lua"; }

w os "os.execute('touch $T/pwned_os')"
hostile os "'os' is not available in presets"
w io "local f = io.open('$T/pwned_io', 'w') f:write('x') f:close()"
hostile io "'io' is not available in presets"
w req "local os = require('os')"
hostile req "'require' is not available in presets"
w pkg "local l = package.loaded"
hostile pkg "'package' is not available in presets"
w dbg "debug.sethook()"
hostile dbg "'debug' is not available in presets"
w dof "dofile('/etc/passwd')"
hostile dof "'dofile' is not available in presets"
w lf "local f = loadfile('/etc/passwd')"
hostile lf "'loadfile' is not available in presets"
# the header of a Lua 5.4 binary chunk, then garbage: never reaches the undumper
w bin 'local f = load("\27LuaT\0\25\147\r\n\26\n\4\8\8xV\0\0\0\0\0\0\0\0\0\0\0(w@\1")'
hostile bin "load: binary chunks are not allowed in presets"
w binmode 'local f = load("return 1", "x", "b")'
hostile binmode "binary chunks are not allowed in presets"
w dump "local s = string.dump(function() end)"
hostile dump "string.dump is not available in presets"
w smt 'getmetatable("").__index = {upper = function() return "pwned" end}'
hostile smt "the string metatable is not available in presets"
w gsmt 'local mt = getmetatable("x")'
hostile gsmt "the string metatable is not available in presets"
w file 'return {build = function(x) return x:graph():file("/etc/passwd") end}'
hostile file "presets cannot open files"
w write "return {build = function(x) x:write('$T/pwned_write.wav'); return x end}"
hostile write "presets cannot write files"
w loop 'while true do end'
hostile loop "exceeded the (instruction|wall-clock) limit"
w ploop 'while true do pcall(function() while true do end end) end'
hostile ploop "exceeded the (instruction|wall-clock) limit"
# a message handler that loops: called from the hook that raises, it would run
# with hooks off; once a limit is reached it is skipped
w xloop 'while true do xpcall(function() while true do end end, function() while true do end end) end'
hostile xloop "exceeded the (instruction|wall-clock) limit"
w xerr 'xpcall(function() error("x") end, function() while true do end end)'
hostile xerr "exceeded the (instruction|wall-clock) limit"
w bloop 'return {build = function(x) while true do end end}'
hostile bloop "exceeded the (instruction|wall-clock) limit"
w gc 'setmetatable({}, {__gc = function() while true do end end})'
hostile gc "__gc metamethods \\(finalizers\\) are not allowed"
w rep 'local s = string.rep("", 1e12)'
hostile rep "string.rep: .* exceed the limit of presets"
w rep2 'local s = ("x"):rep(1e9)'
hostile rep2 "string.rep: .* exceed the limit of presets"
w concat 'local t = setmetatable({}, {__index = rawequal, __len = function() return 1e12 end}) local s = table.concat(t)'
hostile concat "table.concat: .* exceed the limit of presets"
w pat 'local s = ("a"):rep(40); s:match(("a?"):rep(40) .. ("a"):rep(40))'
hostile pat "repetition items exceed the limit of presets"
# few repetition items, a long subject: backtracking in C, stopped by the watchdog
w pat2 'local s = ("a"):rep(100000); s:find(".-.-.-.-.-b")'
hostile pat2 "exceeded the wall-clock limit"
w mem 'local t = {} for i = 1, 1e9 do t[i] = {i} end'
hostile mem "exceeded the memory limit"
w mem2 'local s = "x" while true do s = s .. s end'
hostile mem2 "exceeded the memory limit"
w rec 'local function f(n) return 1 + f(n + 1) end f(1)'
hostile rec "stack overflow"
w errt 'error({code = 1})'
hostile errt "error object is a table value"
w errt2 'error(setmetatable({}, {__tostring = function() while true do end end}))'
hostile errt2 "error object is a table value"
w cg 'collectgarbage("stop")'
hostile cg "collectgarbage\\('stop'\\) is not available"
w co 'coroutine.wrap(function() end)()'
hostile co "'coroutine' is not available in presets"
w prt 'print("hello")'
hostile prt "'print' is not available in presets"

ls "$T"/pwned_* >/dev/null 2>&1 && bad "a hostile preset wrote a file: $(ls "$T"/pwned_*)" || ok "no file written by any hostile preset"
[ -z "$(ls -A "$T/out")" ] && ok "the output directory is empty" || bad "left in the output directory: $(ls -A "$T/out")"

# what a preset may do: string methods (through the guarded metatable),
# math, table functions, pcall, load of a text chunk in its own environment,
# and changing its own copy of string without affecting the others
cat > "$T/good.lua" <<'LUA'
string.upper = nil -- its own copy: the methods of strings keep working
local name = ("gain"):lower()
local f = assert(load("return 2 * ...", "expr", "t"))
local ok, err = pcall(error, "caught")
assert(not ok and err == "caught")
local ok2, err2 = xpcall(function() error("deep", 0) end, function(m) return "handled " .. m end)
assert(not ok2 and err2 == "handled deep")
local t = {}
for i = 1, 10 do t[#t + 1] = tostring(i) end
assert(table.concat(t, ","):find("10", 1, true))
assert(("abc"):upper() == "ABC")
return {
  description = "allowed features",
  params = {db = {default = -3, min = -12, max = 0, unit = "dB", doc = "level"}},
  build = function(x, p)
    return x[name](x, {db = f(p.db) / 2})
  end,
}
LUA
expect_ok "a preset using the allowed features" "$MD" master "$T/in.wav" -o "$T/good.wav" --preset "$T/good.lua"
# a built-in preset is sandboxed too: its name is in the messages of a user
# preset that extends it and misbehaves
mkdir -p "$T/config/mixdown/presets"
cat > "$T/config/mixdown/presets/sneaky.lua" <<'LUA'
return {extends = "pop", build = function(x, p, base) return base(x, p):graph():file("/etc/passwd") end}
LUA
expect_fail "user preset by name is sandboxed" 1 "preset 'sneaky'.*presets cannot open files" \
  "$MD" master "$T/in.wav" -o "$T/sneaky.wav" --preset sneaky
# `mixdown run` keeps the full language for the user's own scripts
printf 'assert(os.time() and io.open and require and debug)\nprint("full")\n' > "$T/full.lua"
out=$("$MD" run "$T/full.lua" 2>&1) && [ "$out" = full ] && ok "mixdown run has the full library" || bad "run: $out"
finish
