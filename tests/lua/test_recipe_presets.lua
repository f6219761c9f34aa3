-- test_recipe_presets.lua - presets from Lua (lua/lib/mixdown/presets.lua) and
-- the sandbox module underneath: loading, values from Lua, the recorded
-- chain, building real nodes, extends, limits, plain-data transfer.
-- Run: mixdown run test_recipe_presets.lua
local md = require "mixdown"
local presets = require "mixdown.presets"
local sandbox = require "mixdown.sandbox"

local passed, failed = 0, 0
local function ok(cond, name)
  if cond then passed = passed + 1 else failed = failed + 1; print("FAIL " .. name) end
end
local function checkerr(pattern, f, ...)
  local good, msg = pcall(f, ...)
  if good then
    failed = failed + 1
    print("FAIL no error, expected " .. pattern)
  elseif not tostring(msg):match(pattern) then
    failed = failed + 1
    print("FAIL message '" .. tostring(msg) .. "' does not match '" .. pattern .. "'")
  else
    passed = passed + 1
  end
end

local tmp = io.popen("mktemp -d /tmp/mixdown-recipe.XXXXXX"):read("l")
local function write(name, text)
  local f = assert(io.open(tmp .. "/" .. name, "w"))
  f:write(text)
  f:close()
  return tmp .. "/" .. name
end

-- built-in presets: twelve, each with intensity and a chain that checks
local names = presets.builtin_names()
ok(#names == 12, "twelve built-in presets, got " .. #names)
for _, n in ipairs(names) do
  local p = presets.load(n)
  ok(p.params.intensity and p.params.intensity.default == 0.5 and p.params.intensity.min == 0
     and p.params.intensity.max == 1, n .. ": intensity 0..1, default 0.5")
  local plan = p:plan()
  ok(plan.records[1].type == "input", n .. ": the chain starts at the input")
  for i = 2, #plan.records do
    local r = plan.records[i]
    ok(r.where and r.where:match("^recipes/presets/" .. n .. "%.lua:%d+$"), n .. ": record " .. i .. " has its line")
  end
  ok(n == "audiobook" or n == "transparent" or plan.target, n .. ": a target")
end

-- values from Lua are checked like --set
local pop = presets.load("pop")
local v = pop:values{intensity = 0.7}
ok(v.intensity == 0.7 and v.air == 1.5, "values from Lua, defaults filled")
checkerr("no parameter 'intensty' %(did you mean 'intensity'%?%)", pop.values, pop, {intensty = 1})
checkerr("pop%.lua:%d+: intensity must be within 0%.%.1, got 1%.5", pop.values, pop, {intensity = 1.5})
ok(pop:plan(pop:values{intensity = 1}).target == -10, "target follows intensity (-13 + 3 i)")
ok(pop:plan(pop:values{intensity = 0}).target == -13, "target at intensity 0")

-- the chain adapts to the input: no width{} on a mono input
local function has(plan, t)
  for _, r in ipairs(plan.records) do if r.type == t then return true end end
  return false
end
ok(has(pop:plan(nil, {channels = 2}), "width") and not has(pop:plan(nil, {channels = 1}), "width"),
   "x:channels() tells the build the input's channels")

-- apply builds real nodes; a short render through the chain is finite and
-- leaves the level near the input's (the chain has no loudness stage)
local g = md.graph()
local x = g:sine{freq = 440, db = -20, duration = 1}:pan{pos = 0}
local y = pop:apply(x, {intensity = 0.5})
local m = y:meter{true_peak = false}
g:run{progress = false}
local r = m:result()
ok(r.nonfinite_samples == 0 and r.integrated_lufs and r.integrated_lufs > -40 and r.integrated_lufs < -10,
   "pop applied to a sine renders, " .. tostring(r.integrated_lufs) .. " LUFS")

-- a user preset that extends pop: base's build and parameters available
local child = write("warm.lua", [[
return {
  extends = "pop",
  description = "pop, darker",
  params = {dark = {default = 2, min = 0, max = 6, unit = "dB", doc = "cut above 6 kHz"}},
  build = function(x, p, base)
    return base(x, p):eq{ {type = "highshelf", freq = 6000, gain = -p.dark} }
  end,
}
]])
local warm = presets.load(child)
ok(warm.params.dark and warm.params.intensity and warm.params.air, "extends: parameters merged")
local wplan = warm:plan(warm:values{dark = 4})
local last = wplan.records[wplan.output]
ok(last.type == "eq" and last.params[1].gain == -4 and last.where:match("warm%.lua:6$"), "extends: the child's stage last, at its line")
ok(#wplan.records == #pop:plan().records + 1, "extends: the base's chain, then the child's")
ok(wplan.target == -11.5, "extends: the base's target inherited")

-- errors found while building name the preset's file and line, also after a tail call
local bad = write("bad.lua", "return {\n  build = function(x, p)\n    return x:compressor{ratio = 0.5}\n  end,\n}\n")
local bp = presets.load(bad)
local g2 = md.graph()
checkerr("bad%.lua:3: preset 'bad': compressor: ratio must be >= 1", bp.apply, bp, g2:sine{duration = 0.1})

-- the sandbox directly: plain data in and out, exactly
local src = [[
return {params = {a = {default = 1, min = 0, max = 2}}, description = "x\0y",
        build = function(x) return x end, intent = {crest = {-1.5, 3}}}
]]
local res, msg = sandbox.run{module = "mixdown.recipe", entry = "evaluate",
  arg = {mode = "describe", sources = {{source = src, chunk = "@d.lua", file = "d.lua", name = "d"}}}}
ok(res and res.description == "x\0y" and math.type(res.params.a.default) == "integer"
   and math.type(res.intent.crest[1]) == "float" and res.intent.crest[1] == -1.5
   and res.build.__function == true, "describe: plain data carried exactly " .. tostring(msg))

-- limits given to sandbox.run: small budgets stop sooner, with their kind
local function run(source, limits)
  local job = {module = "mixdown.recipe", entry = "evaluate",
               arg = {mode = "describe", sources = {{source = source, chunk = "@l.lua", file = "l.lua", name = "l"}}}}
  for k2, v2 in pairs(limits) do job[k2] = v2 end
  return sandbox.run(job)
end
local t0 = os.time()
local r1, m1, k1 = run("while true do end", {instructions = 1e6})
ok(r1 == nil and k1 == "limit" and m1:match("instruction limit %(1000000 instructions%)"), "instruction limit: " .. tostring(m1))
local r2, m2, k2 = run("local t = {} for i = 1, 1e8 do t[i] = i end", {memory = 4 * 1024 * 1024})
ok(r2 == nil and k2 == "limit" and m2:match("memory limit %(4 MiB%)"), "memory limit: " .. tostring(m2))
local r3, m3, k3 = run(("local s = ('a'):rep(100000) s:find('.-.-.-.-.-b')"), {seconds = 1})
ok(r3 == nil and k3 == "limit" and m3:match("wall%-clock limit %(1 s%)"), "wall-clock limit: " .. tostring(m3))
ok(os.time() - t0 <= 9, "the three limits took " .. (os.time() - t0) .. " s")
local r4, m4, k4 = run("error('plain failure')", {})
ok(r4 == nil and k4 == "error" and m4 == "l.lua:1: plain failure", "an error keeps its position: " .. tostring(m4))
checkerr("sandbox%.run: arg: a function value cannot leave the sandbox",
         sandbox.run, {module = "mixdown.recipe", entry = "evaluate", arg = {f = print}})
ok(sandbox.limits.memory == 64 * 1024 * 1024 and sandbox.limits.seconds == 5, "default limits")

-- presets that do not exist
checkerr("unknown preset 'jaz' %(did you mean 'jazz'%?%)", presets.load, "jaz")
checkerr("preset file " .. tmp:gsub("%p", "%%%0") .. "/none%.lua: No such file", presets.load, tmp .. "/none.lua")

os.execute("rm -rf '" .. tmp .. "'")
print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then os.exit(1) end
