-- Tab completion of the REPL (mixdown.repl_complete), without a terminal:
-- for a line typed so far, the start of the word replaced and the candidates.
-- Run: mixdown run tests/lua/test_repl_complete.lua
md = require "mixdown"
local C = require "mixdown.repl_complete"

local pass, fail = 0, 0
local function check(line, want_start, want)
  local start, got = C.complete(line)
  local ok = start == want_start and #got == #want
  for i = 1, #want do ok = ok and got[i] == want[i] end
  if ok then
    pass = pass + 1
  else
    fail = fail + 1
    print(string.format("FAIL %q: got %s {%s}, want %s {%s}", line, tostring(start),
                        table.concat(got, ", "), want_start, table.concat(want, ", ")))
  end
end
-- the candidates include (at least) these
local function check_has(line, want_start, names)
  local start, got = C.complete(line)
  local set = {}
  for _, n in ipairs(got) do set[n] = true end
  local ok = start == want_start
  for _, n in ipairs(names) do ok = ok and set[n] end
  if ok then pass = pass + 1 else
    fail = fail + 1
    print(string.format("FAIL %q: got %s {%s}, want %s with %s", line, tostring(start),
                        table.concat(got, ", "), want_start, table.concat(names, ", ")))
  end
end

-- globals the lines refer to (completion resolves names with rawget)
local g = md.graph()
x = g:sine{duration = 1}
comp = x:compressor{ratio = 2}
gr = g

-- methods and processors of a node: x:comp -> x:compressor
check("x:comp", 3, {"compressor"})
check("y = x:comp", 7, {"compressor"})
check_has("x:l", 3, {"label", "latency", "limiter", "loudness", "lowpass"})
check("x:compressor{ratio = 2}:lim", 25, {"limiter"})    -- after a call: a node
check('open("a.wav"):hi', 15, {"highpass"})
check("gr:si", 4, {"silence", "sine"})                   -- sources of a graph
check_has("gr:", 4, {"file", "mix", "run", "noise"})
-- parameters inside a node's table
check("x:limiter{ce", 11, {"ceiling"})
check("x:limiter{ceiling = -1, re", 25, {"release"})
check("x:limiter{ceiling = -", 22, {})                  -- a value, not a key
check("x:eq{ {ty", 8, {"type"})                          -- an eq band's fields
check("x:eq{bands = { {fr", 17, {"freq"})
check('x:saturate{type = "t', 20, {"tape", "tube"})      -- an enum's choices
check('x:eq{ {type = "low', 16, {"lowpass", "lowshelf"})
check('set(comp, "ra', 12, {"ratio"})
check('comp:set("thr', 11, {"threshold"})
-- help topics and node names in strings
check('help "lim', 7, {"limiter"})
check('help("rec', 7, {"recipe"})
check_has('help "', 7, {"compressor", "presets", "recipe", "render"})
-- fields, globals and keywords
check("string.fo", 8, {"format"})
check_has("md.gr", 4, {"graph"})
check("pri", 1, {"print"})
check("whi", 1, {"while"})
check("local t = tab", 11, {"table"})
check("math.pi + mat", 11, {"math"})
-- nothing in comments and numbers; closed strings are skipped
check("-- x:comp", 10, {})
check("3.1", 4, {})
check('print("x:comp", x:comp', 19, {"compressor"})
check("", 1, {})                                         -- nothing typed: nothing listed

-- file names inside strings, with a stand-in directory lister
local dirs = {
  ["."] = {".hidden", "dir/", "song.wav", "song2.flac", "vox.wav"},
  ["dir/"] = {"a.wav", "sub/"},
}
C.listdir = function(d) return dirs[d] end
check('open "so', 7, {"song.wav", "song2.flac"})
check('open "v', 7, {"vox.wav"})
check('x = open("di', 11, {"dir/"})
check('open "dir/', 11, {"a.wav", "sub/"})
check('open "dir/a', 11, {"a.wav"})
check('open ".h', 7, {".hidden"})
check_has('open "', 7, {"dir/", "song.wav"})
local start, list = C.complete('open "')
for _, n in ipairs(list) do
  if n == ".hidden" then fail = fail + 1; print("FAIL hidden files listed without a dot") end
end

print(string.format("%d passed, %d failed", pass, fail))
if fail > 0 then os.exit(1) end
