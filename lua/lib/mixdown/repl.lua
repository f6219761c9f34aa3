-- The REPL's session: md, help(), open(), render(), analyze(), compare(),
-- set(), again(), ab() and preset() as globals, and show(), which prints
-- results (repl.c calls it for every value an input line returns).
--
-- Chains are built in a sketch graph and rendered by replaying them into a
-- fresh graph for every job (see repl_record.lua): render(y, "a.wav") and
-- render(y, "b.wav") are two independent renders of the same chain.
local md = require "mixdown"
local core = require "mixdown.core"
local fs = require "mixdown.fs"
local help = require "mixdown.help"
local rec = require "mixdown.repl_record"
local show_ = require "mixdown.repl_show"

rec.install()

local M = {}
local session = {graph = nil, last = nil}
M.session = session

local FILE = {__name = "mixdown.File"}
local ANALYSIS = {__name = "mixdown.Analysis"}
local COMPARISON = {__name = "mixdown.Comparison"}
local PRESET = {__name = "mixdown.Preset"}
local AB = {__name = "mixdown.AB", __tostring = function(p) return p.text end}

-- measurements of files by path, dropped when a render writes the path
local measured = {}

-- errors carry the position of the first caller outside this file (the
-- user's line), however deep in here they are raised
local SELF = debug.getinfo(1, "S").source

local function raise(msg)
  local level = 2 -- as error() counts: 1 is this function, 2 its caller
  while true do
    local info = debug.getinfo(level, "S")
    if not info then error(msg, 0) end
    if info.source ~= SELF then error(msg, level) end
    level = level + 1
  end
end

local function fail(fname, msg) raise(fname .. ": " .. msg) end

local function strip_position(msg)
  if type(msg) == "string" then msg = msg:gsub("^[^%s:]+:%d+: ", "") end
  return msg
end

local function is_file(v) return getmetatable(v) == FILE end

local function file_object(path, analysis)
  local info = md.probe(path)
  if analysis then
    analysis.file = path
    if info then
      analysis.format, analysis.subtype = info.format, info.subtype
    end
    measured[path] = setmetatable(analysis, ANALYSIS)
  end
  return setmetatable({path = path, info = info}, FILE)
end

FILE.__tostring = function(f)
  local r = measured[f.path]
  return show_.file(f.path, f.info, r)
end
FILE.__index = {
  analysis = function(f) return M.analyze(f) end,
}

ANALYSIS.__tostring = show_.analysis
COMPARISON.__tostring = function(c) return c.text end

-- --- chains -------------------------------------------------------------------

local function sketch()
  if not session.graph then session.graph = md.graph() end
  return session.graph
end

--- open(path) -> a file source node in the session's sketch graph
function M.open(path)
  if is_file(path) then path = path.path end
  if type(path) ~= "string" then
    fail("open", "path must be a string, got " .. type(path))
  end
  local info, err = md.probe(path)
  if not info then fail("open", err) end
  return sketch():file(path)
end

-- a chain from a node, a rendered file or a path (the last two in a new sketch)
local function as_chain(fname, v, argn)
  if core.is_node(v) then return v end
  if is_file(v) then v = v.path end
  if type(v) == "string" then
    local info, err = md.probe(v)
    if not info then fail(fname, err) end
    return md.graph():file(v)
  end
  fail(fname, string.format("argument #%d must be a node, a file or a path, got %s", argn,
                            type(v)))
end

local function replay(fname, node)
  local g = md.graph()
  local ok, y = pcall(rec.replay, node, g)
  if not ok then fail(fname, strip_position(tostring(y))) end
  return g, y
end

local function run(g)
  local ok, err = pcall(g.run, g, {progress = true})
  if not ok then
    raise(strip_position(err)) -- the engine's message at the user's line
  end
end

--- render(node, path [, options]) -> file
function M.render(node, path, opts)
  node = as_chain("render", node, 1)
  if type(path) ~= "string" or path == "" then
    fail("render", "path must be a file name, got " .. type(path))
  end
  if opts ~= nil and type(opts) ~= "table" then
    fail("render", "options must be a table ({bits = 24, ...}), got " .. type(opts))
  end
  for _, src in ipairs(rec.sources(node)) do
    if fs.same_file(src, path) then
      fail("render", string.format("%s is an input of this chain; refusing to overwrite it", path))
    end
  end
  local g, y = replay("render", node)
  y:write(path, opts)
  local m = y:meter{true_peak = true}
  measured[path] = nil
  run(g)
  session.last = {node = node, path = path, opts = opts}
  return file_object(path, m:result())
end

--- again() -> renders the last render(node, path, options) again
function M.again()
  local last = session.last
  if not last then fail("again", "nothing rendered yet (render(node, \"out.wav\") first)") end
  return M.render(last.node, last.path, last.opts)
end

--- set(node, name, value) -> node
function M.set(node, name, value)
  if not core.is_node(node) then fail("set", "argument #1 must be a node, got " .. type(node)) end
  if type(name) ~= "string" then fail("set", "argument #2 must be a parameter name, got " .. type(name)) end
  local ok, err = pcall(node.set, node, name, value)
  if not ok then raise(strip_position(err)) end
  return node
end

local function measure(fname, v)
  if getmetatable(v) == ANALYSIS then return v end
  if is_file(v) then v = v.path end
  if type(v) == "string" then
    if measured[v] then return measured[v] end
    local info, err = md.probe(v)
    if not info then fail(fname, err) end
    local ok, r = pcall(md.analyze, v, {progress = true})
    if not ok then raise(strip_position(r)) end
    r.format, r.subtype = info.format, info.subtype
    measured[v] = setmetatable(r, ANALYSIS)
    return measured[v]
  end
  if not core.is_node(v) then
    fail(fname, "needs a node, a file or a path, got " .. type(v))
  end
  local r0 = rec.record(v)
  if r0 and r0.op == "graph" and r0.method == "file" then return measure(fname, r0.args[1]) end
  local g, y = replay(fname, v)
  local m = y:meter{true_peak = true}
  run(g)
  local r = m:result()
  r.title = "chain: " .. show_.chain(v):gsub("\n%s*", " ")
  return setmetatable(r, ANALYSIS)
end

--- analyze(x) -> measurements of a chain, a file or a path
function M.analyze(x)
  return measure("analyze", x)
end

local function name_of(v, default)
  if is_file(v) then return v.path end
  if type(v) == "string" then return v end
  if getmetatable(v) == ANALYSIS and v.file then return v.file end
  if core.is_node(v) then
    local r = rec.record(v)
    if r and r.op == "graph" and r.method == "file" then return r.args[1] end
    return default .. ": " .. v:type()
  end
  return default
end

--- compare(a, b) -> side-by-side measurements and b - a
function M.compare(a, b)
  local ra, rb = measure("compare", a), measure("compare", b)
  local na, nb = name_of(a, "a"), name_of(b, "b")
  if na == nb then na, nb = "a: " .. na, "b: " .. nb end
  local text, diff = show_.comparison(ra, rb, na, nb)
  return setmetatable({a = ra, b = rb, diff = diff, text = text}, COMPARISON)
end

--- ab(a, b [, name]) -> {a = file, b = file}, loudness-matched
function M.ab(a, b, name)
  name = name or "ab"
  if type(name) ~= "string" then fail("ab", "name must be a string, got " .. type(name)) end
  local ca, cb = as_chain("ab", a, 1), as_chain("ab", b, 2)
  local la = measure("ab", ca).integrated_lufs
  local lb = measure("ab", cb).integrated_lufs
  if la == nil or lb == nil then fail("ab", "a side is silent: no loudness to match") end
  -- turn the louder one down (never up: no new clipping)
  local ga, gb = math.min(0, lb - la), math.min(0, la - lb)
  local out = {}
  for _, side in ipairs{{"a", ca, ga, name .. ".A.wav"}, {"b", cb, gb, name .. ".B.wav"}} do
    local key, chain, gain, path = side[1], side[2], side[3], side[4]
    for _, src in ipairs(rec.sources(chain)) do
      if fs.same_file(src, path) then fail("ab", path .. " is an input; choose another name") end
    end
    local g, y = replay("ab", chain)
    y = y:gain{db = gain}
    y:write(path, {bits = 24})
    local m = y:meter{true_peak = true}
    measured[path] = nil
    run(g)
    out[key] = file_object(path, m:result())
  end
  out.text = string.format("A %s (%+.1f dB)\nB %s (%+.1f dB)", tostring(out.a), ga,
                           tostring(out.b), gb)
  return setmetatable(out, AB)
end

-- --- presets ----------------------------------------------------------------------
--
-- p = preset "pop" wraps the preset module's spec (mixdown.presets: loaded
-- and built in its sandbox). p(x, values) does what `mixdown master` does
-- before its final stage: the input staged at the working level
-- (recipe.LEVEL LUFS integrated), the preset's chain, then x:loudness{} to
-- the preset's target and ceiling (-14 LUFS / -1 dBTP, master's default,
-- when it has none); opts = {target =, ceiling =} or {loudness = false}.

local function presets_module()
  local ok, P = pcall(require, "mixdown.presets")
  if not ok or type(P) ~= "table" or type(P.load) ~= "function" then
    fail("preset", "presets are not available in this build (no mixdown.presets module)")
  end
  return P
end

local function capture(f, ...)
  local buf, write = {}, io.write
  io.write = function(...)
    for i = 1, select("#", ...) do buf[#buf + 1] = tostring((select(i, ...))) end
    return io.stdout
  end
  local ok, err = pcall(f, ...)
  io.write = write
  if not ok then error(err, 0) end
  return table.concat(buf)
end

PRESET.__index = {
  apply = function(p, x, values, opts)
    local P = presets_module()
    x = as_chain("apply", x, 1)
    if values ~= nil and type(values) ~= "table" then
      fail("apply", "parameters must be a table ({intensity = 0.7}), got " .. type(values))
    end
    opts = opts or {}
    local info
    local r0 = rec.record(x)
    if r0 and r0.op == "graph" and r0.method == "file" then
      local i = md.probe(r0.args[1])
      if i then info = {channels = i.channels, rate = i.rate} end
    end
    local ok, plan = pcall(function() return p.spec:plan(p.spec:values(values), info) end)
    if not ok then raise(strip_position(plan)) end
    local staged = x
    local okr, recipe = pcall(require, "mixdown.recipe")
    if okr and type(recipe) == "table" and recipe.LEVEL then
      local lufs = measure("preset", x).integrated_lufs
      if lufs then staged = x:gain{db = recipe.LEVEL - lufs} end
    end
    local okb, y = pcall(P.build, plan, staged, p.spec)
    if not okb then raise(strip_position(y)) end
    if opts.loudness ~= false then
      y = y:loudness{target = opts.target or plan.target or -14,
                     ceiling = opts.ceiling or plan.ceiling or -1}
    end
    return y
  end,
}
PRESET.__call = function(p, x, values, opts) return p:apply(x, values, opts) end
PRESET.__tostring = function(p)
  local P = presets_module()
  local ok, text = pcall(capture, P.main, {p.ref})
  if not ok then text = "preset " .. tostring(p.spec.name) .. "\n" end
  return text .. "In this session: y = p(x [, {param = value}]) applies it after the node x:\n"
              .. "the input staged at -18 LUFS, the chain, then loudness to the target."
end

--- preset "name" -> the preset, to inspect (print it) or apply (p(x))
function M.preset(name)
  if type(name) ~= "string" then fail("preset", "name must be a string, got " .. type(name)) end
  local P = presets_module()
  local ok, spec = pcall(P.load, name)
  if not ok then raise(strip_position(spec)) end
  return setmetatable({ref = name, spec = spec}, PRESET)
end

-- --- help and printing -------------------------------------------------------------

function M.help(what)
  if what == nil then
    io.write(help.repl)
    return
  end
  if core.is_node(what) then what = what:type() end
  if type(what) == "function" then
    for k, f in pairs(M) do
      if f == what then what = k end
    end
  end
  local text, err = help.topic(tostring(what))
  io.write(text or ("help: " .. err .. "\n"))
end

local function show_node(n)
  local r = rec.record(n)
  if r and r.op == "graph" and r.method == "file" then
    local path = r.args[1]
    local info = md.probe(path)
    local ok, a = pcall(measure, "show", path)
    return show_.file(path, info, ok and a or nil)
  end
  local out = {show_.chain(n)}
  if r then
    local ok, g = pcall(function()
      local g, y = replay("show", n)
      y:meter{true_peak = false}:label("(plan only)")
      g:compile()
      return g
    end)
    if ok then
      out[#out + 1] = "plan: " .. tostring(g)
    else
      out[#out + 1] = "plan: not compiled: " .. tostring(g):gsub("^[^%s:]+:%d+: ", "")
    end
  end
  return table.concat(out, "\n")
end

--- The text the REPL prints for a value.
function M.show_value(v)
  if core.is_node(v) then return show_node(v) end
  if core.is_graph(v) then return tostring(v) end
  local mt = getmetatable(v)
  if type(v) == "table" and (mt == nil or rawget(mt, "__tostring") == nil) then
    return show_.table(v)
  end
  return tostring(v)
end

--- Prints the values an input line returned (as lua.c, but readable).
function M.show(...)
  local n = select("#", ...)
  local parts, multiline = {}, false
  for i = 1, n do
    local ok, s = pcall(M.show_value, (select(i, ...)))
    if not ok then s = tostring((select(i, ...))) end
    parts[#parts + 1] = s
    multiline = multiline or s:find("\n", 1, true) ~= nil
  end
  if n > 0 then print(table.concat(parts, multiline and "\n" or "\t")) end
end

-- the session's globals
_G.md = md
for _, k in ipairs{"help", "open", "render", "analyze", "compare", "set", "again", "ab", "preset"} do
  _G[k] = M[k]
end

return M
