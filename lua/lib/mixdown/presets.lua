-- Mastering presets: finding, loading (sandboxed), checking and applying
-- them, and the `mixdown presets` command.
--
--   local presets = require "mixdown.presets"
--   local pop = presets.load("pop")                  -- or a path: "my/warm.lua"
--   local values = pop:values{intensity = 0.7}      -- checked, defaults filled
--   local y = pop:apply(x, values)                   -- x: a node; y: the chain's end
--
-- Where presets come from: built-in names first (recipes/presets/NAME.lua,
-- embedded in the binary), then $XDG_CONFIG_HOME/mixdown/presets/NAME.lua
-- (~/.config when unset); a reference containing '/' or ending in .lua is a
-- file. Every preset file, whatever its origin, is evaluated in the sandbox
-- (lua/src/sandbox.h): its build runs there against stand-in nodes that
-- record the chain, and apply() builds the real nodes from that record.
-- The format is documented in lua/lib/mixdown/recipe.lua.
local core = require "mixdown.core"
local sandbox = require "mixdown.sandbox"
local recipe = require "mixdown.recipe"

local P = {}
P.BUILTIN = "recipes/presets/"

local Preset = {}
Preset.__index = Preset

local function fail(msg) error(msg, 0) end

function P.user_dir()
  local base = os.getenv("XDG_CONFIG_HOME")
  if base == nil or base == "" then base = (os.getenv("HOME") or "") .. "/.config" end
  return base .. "/mixdown/presets"
end

--- Names of the built-in presets, sorted.
function P.builtin_names()
  local out = {}
  for _, f in ipairs(sandbox.embedded(P.BUILTIN)) do
    local n = f:match("^" .. P.BUILTIN:gsub("%p", "%%%0") .. "([%w_%-]+)%.lua$")
    if n then out[#out + 1] = n end
  end
  return out
end

--- Names of the user's presets (files NAME.lua in P.user_dir()), sorted.
function P.user_names()
  local list = sandbox.listdir(P.user_dir())
  local out = {}
  for _, f in ipairs(list or {}) do
    local n = f:match("^([%w_%-]+)%.lua$")
    if n then out[#out + 1] = n end
  end
  table.sort(out)
  return out
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  if not s then return nil, path .. ": cannot read" end
  return s
end

local function is_path(ref) return ref:find("/", 1, true) ~= nil or ref:match("%.lua$") ~= nil end

--- Finds a preset: {name, file, source, builtin}. Raises with the nearest
--- name when there is none.
function P.find(ref)
  if type(ref) ~= "string" or ref == "" then fail("preset: expected a name or a file, got " .. tostring(ref)) end
  if is_path(ref) then
    local src, err = read_file(ref)
    if not src then fail(string.format("preset file %s: %s", ref, (err:gsub("^" .. ref:gsub("%p", "%%%0") .. ": ", "")))) end
    local stem = ref:match("([^/]*)$"):gsub("%.lua$", "")
    return {name = stem, file = ref, source = src, builtin = false}
  end
  local src = core.embedded(P.BUILTIN .. ref .. ".lua")
  if src then return {name = ref, file = P.BUILTIN .. ref .. ".lua", source = src, builtin = true} end
  if ref:match("^[%w_%-]+$") then
    local path = P.user_dir() .. "/" .. ref .. ".lua"
    local usrc = read_file(path)
    if usrc then return {name = ref, file = path, source = usrc, builtin = false} end
  end
  local all = P.builtin_names()
  for _, n in ipairs(P.user_names()) do all[#all + 1] = n end
  local s = recipe.nearest(ref, all)
  fail(string.format("unknown preset '%s'%s; `mixdown presets` lists them (built in: %s; yours go in %s)",
                     ref, s and (" (did you mean '" .. s .. "'?)") or "",
                     table.concat(P.builtin_names(), ", "), P.user_dir()))
end

--- Evaluates arg in the sandbox (recipe.evaluate); raises "preset 'NAME': ..."
local function evaluate(name, arg)
  arg.version = core.version
  local r, msg, kind = sandbox.run{module = "mixdown.recipe", entry = "evaluate", arg = arg}
  if r == nil then
    if kind == "cancelled" then fail("interrupted") end
    if msg:match("stack overflow$") then msg = msg .. " (recursion too deep for Lua's stack)" end
    fail(string.format("preset '%s': %s", name, msg))
  end
  return r
end

--- Loads and checks a preset by name or path, its `extends` resolved.
function P.load(ref, seen)
  seen = seen or {}
  local f = P.find(ref)
  if seen[f.file] then
    fail(string.format("%s: preset '%s': extends loops back to %s", f.file, f.name, ref))
  end
  seen[f.file] = true
  seen.depth = (seen.depth or 0) + 1
  if seen.depth > 8 then fail(string.format("%s: preset '%s': extends is nested more than 8 deep", f.file, f.name)) end
  local desc = evaluate(f.name, {mode = "describe",
                                 sources = {{source = f.source, chunk = "@" .. f.file, file = f.file, name = f.name}}})
  local spec = recipe.validate(desc, {name = f.name, file = f.file, source = f.source, builtin = f.builtin})
  if spec.extends then
    local ext = spec.extends
    if is_path(ext) and not ext:match("^/") and f.file:find("/") then
      ext = f.file:match("^(.*)/[^/]*$") .. "/" .. ext -- relative to the preset's own file
    end
    local ok, base = pcall(P.load, ext, seen)
    if not ok then
      fail(string.format("%s: preset '%s': extends = \"%s\": %s", f.file, f.name, spec.extends, base))
    end
    spec = recipe.merge(base, spec)
  end
  spec.ref = ref
  return setmetatable(spec, Preset)
end

--- Checked values of every parameter. given: a table NAME -> value (from
--- Lua) or a list of "KEY=VALUE" strings (from --set).
function Preset:values(given)
  given = given or {}
  local vals, origin = {}, {}
  if #given > 0 and type(given[1]) == "string" then
    for _, s in ipairs(given) do
      local k, v = recipe.parse_set(s)
      vals[k] = v
      origin[k] = "--set " .. s
    end
  else
    for k, v in pairs(given) do vals[k] = v end
  end
  return recipe.check_values(self, vals, origin)
end

--- The recorded chain for these values (sandboxed build): {records,
--- output, target, ceiling}; values default to the parameters' defaults;
--- info = {channels, rate} of the input (default 2, 44100).
function Preset:plan(values, info)
  values = values or self:values()
  info = info or {}
  local plan = evaluate(self.name, {mode = "build", sources = self.sources, values = values,
                                    info = {channels = info.channels or 2, rate = info.rate or 44100}})
  recipe.check_plan(plan, self, function(n)
    local t = core.nodes(n)
    return t and t.kind == "processor" and n ~= "mix" and "processor" or nil
  end)
  plan.values = values
  return plan
end

--- True when the chain is the input itself (nothing to render).
function P.is_identity(plan) return plan.output == 1 end

local function resolve(v, real, limit)
  if type(v) ~= "table" then return v end
  if v.__node ~= nil then
    local id = v.__node
    if math.type(id) ~= "integer" or id < 1 or id >= limit then error("malformed node reference", 0) end
    return real[id]
  end
  local out = {}
  for k, x in pairs(v) do out[k] = resolve(x, real, limit) end
  return out
end

--- Builds the real nodes of a plan after the node x; returns the end of the chain.
function P.build(plan, x, spec)
  local g = x:graph()
  local real = {x}
  local name = spec and spec.name or "?"
  for i = 2, #plan.records do
    local r = plan.records[i]
    local ok, res
    if r.type == "mix" then
      local items = {}
      for k, it in ipairs(r.inputs) do items[k] = {real[it[1]], gain = it[2]} end
      ok, res = pcall(g.mix, g, items)
    else
      -- free-text parameters name files (a region's path): not a preset's to give
      local t = core.nodes(r.type)
      for _, pd in ipairs(t and t.params or {}) do
        if pd.type == "string" and r.params[pd.name] ~= nil then
          fail(string.format("%s: preset '%s': %s: presets cannot set '%s' (it names a file)",
                             r.where or "?", name, r.type, pd.name))
        end
      end
      local okp, params = pcall(resolve, r.params, real, i)
      if not okp then fail(string.format("preset '%s': %s: %s", name, r.where or "?", params)) end
      local src = real[r.input]
      ok, res = pcall(function() return src[r.type](src, params) end)
    end
    if not ok then
      -- the engine's message ("compressor: ratio must be >= 1, got 0.5") at the preset's line
      res = tostring(res):gsub("^[^:\n]*%.lua:%d+: ", "")
      fail(string.format("%s: preset '%s': %s", r.where or (spec and spec.file or "?"), name, res))
    end
    real[i] = res
  end
  -- the nodes too (indexed like plan.records), so `master --report` can plot
  -- the gain reduction of the preset's own dynamics
  return real[plan.output], real
end

--- x -> the preset's chain for values (checked; a plan is accepted too).
function Preset:apply(x, values)
  local plan = values
  if not (type(values) == "table" and values.records) then
    -- the input's channels and rate, when the node comes from a file
    plan = self:plan(self:values(values), nil)
  end
  return P.build(plan, x, self)
end

-- --- `mixdown presets` ----------------------------------------------------------

P.help = [[
Usage: mixdown presets [NAME|FILE.lua] [--json]

Without a name, lists the presets: the built-in ones first, then yours
(files NAME.lua in $XDG_CONFIG_HOME/mixdown/presets, ~/.config when unset).
With a name, shows the preset's description, file, target and parameters
(set them with `mixdown master --preset NAME --set KEY=VALUE`).
--json prints the same as one JSON object.

Writing a preset: a Lua file returning {name, description, params = {NAME =
{default, min, max, unit, doc}}, build = function(input, p) ... end, target,
ceiling, extends}; see a built-in one (`mixdown presets pop` names the file)
and the format notes in lua/lib/mixdown/recipe.lua. Presets run in a sandbox:
no os, io, require or debug, and bounds on memory, instructions and time.
]]

local function first_sentence(s)
  s = (s or ""):gsub("%s+", " ")
  return s:match("^(.-%.)%s") or s
end

local function json(v, out)
  out = out or {}
  local t = type(v)
  if t == "table" then
    if #v > 0 then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        json(x, out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        json(k, out)
        out[#out + 1] = ":"
        json(v[k], out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c)
      local m = {['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r"}
      return m[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif math.type(v) == "integer" then out[#out + 1] = tostring(v)
    else out[#out + 1] = string.format("%.10g", v) end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  else
    out[#out + 1] = "null"
  end
  return out
end
P.json = function(v) return table.concat(json(v)) end

local function range_text(p)
  if p.type == "number" then return string.format("%g..%g", p.min, p.max) end
  if p.type == "boolean" then return "true|false" end
  if p.choices then return table.concat(p.choices, "|") end
  return "a name"
end

local function show(ref, as_json)
  local spec = P.load(ref)
  local plan = spec:plan()
  if as_json then
    local params = {}
    for _, n in ipairs(spec.names) do
      local p = spec.params[n]
      params[n] = {default = p.default, min = p.min, max = p.max, unit = p.unit, doc = p.doc, choices = p.choices}
    end
    io.write(P.json{name = spec.name, title = spec.title, description = spec.description, file = spec.file,
                    builtin = spec.builtin or false, extends = spec.extends, target = plan.target,
                    ceiling = plan.ceiling, target_depends = spec.target_fn or false,
                    platform = spec.platform, params = params, intent = spec.intent,
                    nodes = #plan.records - 1}, "\n")
    return 0
  end
  local w = {}
  w[#w + 1] = string.format("%s - %s", spec.name, spec.description ~= "" and spec.description or "(no description)")
  w[#w + 1] = ""
  w[#w + 1] = string.format("file:     %s%s", spec.file, spec.builtin and " (built in)" or "")
  if spec.extends then w[#w + 1] = string.format("extends:  %s", spec.extends) end
  local tgt
  if plan.target then
    tgt = string.format("%g LUFS%s", plan.target, spec.target_fn and " at the defaults (depends on the parameters)" or "")
  elseif spec.platform then
    tgt = "platform " .. spec.platform
  else
    tgt = "none (master's default: spotify, -14 LUFS)"
  end
  w[#w + 1] = "target:   " .. tgt
  if plan.ceiling then w[#w + 1] = string.format("ceiling:  %g dBTP", plan.ceiling) end
  w[#w + 1] = string.format("chain:    %d node%s before master's gain and true-peak limiter", #plan.records - 1,
                            #plan.records == 2 and "" or "s")
  if spec.intent then
    local parts = {}
    for _, k in ipairs{"crest", "tilt", "lra"} do
      local r = spec.intent[k]
      if r then
        local unit = k == "crest" and " dB" or k == "tilt" and " dB/oct" or "x the input's"
        parts[#parts + 1] = string.format("%s %+g..%+g%s", k, r[1], r[2], unit)
      end
    end
    w[#w + 1] = "intent:   " .. table.concat(parts, ", ") .. " (on the demo song, default intensity)"
  end
  w[#w + 1] = ""
  if #spec.names == 0 then
    w[#w + 1] = "No parameters."
  else
    w[#w + 1] = "Parameters (--set NAME=VALUE):"
    w[#w + 1] = string.format("  %-14s %-6s %-16s %-9s %s", "parameter", "unit", "range", "default", "meaning")
    for _, n in ipairs(spec.names) do
      local p = spec.params[n]
      w[#w + 1] = string.format("  %-14s %-6s %-16s %-9s %s", n, p.unit, range_text(p), tostring(p.default), p.doc)
    end
  end
  io.write(table.concat(w, "\n"), "\n")
  return 0
end

local function list()
  local rows = {}
  for _, n in ipairs(P.builtin_names()) do
    local ok, spec = pcall(P.load, n)
    rows[#rows + 1] = string.format("  %-12s %s", n, ok and first_sentence(spec.description) or ("(broken: " .. spec .. ")"))
  end
  local user = P.user_names()
  local w = {"Built-in presets (mixdown master --preset NAME):"}
  for _, r in ipairs(rows) do w[#w + 1] = r end
  if #user > 0 then
    w[#w + 1] = ""
    w[#w + 1] = "Your presets (" .. P.user_dir() .. "):"
    local builtin = {}
    for _, n in ipairs(P.builtin_names()) do builtin[n] = true end
    for _, n in ipairs(user) do
      local ok, spec = pcall(P.load, P.user_dir() .. "/" .. n .. ".lua")
      local text = ok and first_sentence(spec.description) or ("(broken: " .. tostring(spec) .. ")")
      if builtin[n] then text = text .. " (hidden by the built-in '" .. n .. "': use its path)" end
      w[#w + 1] = string.format("  %-12s %s", n, text)
    end
  end
  w[#w + 1] = ""
  w[#w + 1] = "`mixdown presets NAME` shows one preset's parameters."
  io.write(table.concat(w, "\n"), "\n")
  return 0
end

function P.main(args)
  local name, as_json
  for _, a in ipairs(args) do
    if a == "-h" or a == "--help" then io.write(P.help); return 0
    elseif a == "--json" then as_json = true
    elseif a:sub(1, 1) == "-" then fail("presets: unknown option '" .. a .. "' (see mixdown presets --help)")
    elseif name then fail("presets: one preset at a time (got '" .. name .. "' and '" .. a .. "')")
    else name = a end
  end
  if name then return show(name, as_json) end
  return list()
end

return P
