-- The preset (recipe) format: validation in mixdown's own state, evaluation
-- in the sandbox.
--
-- A preset file returns a table:
--
--   return {
--     name = "warm",                          -- shown by `mixdown presets`
--     description = "Warm, gentle glue for acoustic mixes.",
--     params = {                              -- --set NAME=VALUE, each documented
--       intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works"},
--       air       = {0, -3, 3, "dB", "high shelf at 10 kHz"},   -- positional form
--       color     = {default = "tape", choices = {"tape", "tube"}, doc = "saturation"},
--       bright    = {default = false, doc = "a boolean"},
--     },
--     build = function(x, p)                   -- x: the input node, p: the values
--       x = x:eq{ {type = "highshelf", freq = 10000, gain = p.air} }
--       return x:compressor{threshold = -20 - 6 * p.intensity, ratio = 2}
--     end,
--     target = -14,                           -- LUFS, or function(p) return ... end
--     ceiling = -1,                           -- dBTP, or a function of p
--     platform = "audiobook-acx",             -- optional: a platform as the default target
--     extends = "pop",                        -- optional: build on another preset
--     intent = {crest = {-6, -2}, tilt = {0, 0.3}, lra = {0.5, 1}},  -- optional figures
--   }
--
-- build works on the node it is given and returns the node that ends its
-- chain; `mixdown master` adds the gain and the true-peak limiter that reach
-- the loudness target after it, and stages the input at -18 LUFS integrated
-- before it (so compressor thresholds in a preset mean the same for every
-- song). Nodes are the processors of `mixdown nodes` (x:NAME{...}); parallel
-- paths meet in mixdown.mix{a, {b, gain = -6}} (or x:graph():mix{...}).
-- x:channels() and x:rate() tell the input's channel count and sample rate
-- (e.g. width{} needs stereo: `if x:channels() == 2 then ... end`).
-- Inside a preset the globals are the safe base functions, string (no dump),
-- table, math, utf8 and `mixdown` (alias `md`): mix, lerp, clamp, version.
--
-- extends = "NAME" (a built-in or user preset, or a path ending in .lua):
-- the child's params are added to the base's (a child entry replaces the
-- base entry of the same name), target, ceiling and platform are inherited
-- unless given. A child without build uses the base's; a child with build
-- receives the base's build as its third argument:
--   build = function(x, p, base) return base(x, p):eq{ {type = "highshelf", freq = 8000, gain = 1} } end
--
-- intent: the figures a preset promises on the demo song at its default
-- intensity, each {low, high}: crest (change of the crest factor, dB),
-- tilt (change of the spectral slope 63 Hz..12.5 kHz, dB/octave), lra (the
-- loudness range, output over input). tests/cli/test_presets.sh checks them.
--
-- Trust: presets run in a sandbox (lua/src/sandbox.h): the file is evaluated
-- in a separate child process with memory, instruction and time limits, and
-- build runs there against stand-in nodes that only RECORD the chain (node
-- type, parameters, inputs, file:line). The record comes back as plain data;
-- this module checks it and presets.lua builds the real nodes. So engine
-- objects, files and mixdown's state are out of a preset's reach.
local type, next, rawget, rawset, rawlen = type, next, rawget, rawset, rawlen
local setmetatable, error, tostring, tonumber = setmetatable, error, tostring, tonumber
local ipairs, pairs, load, select = ipairs, pairs, load, select
local sfmt, ssub, sbyte, sfind, smatch, sgmatch, slower = string.format, string.sub, string.byte,
  string.find, string.match, string.gmatch, string.lower
local tsort, tconcat = table.sort, table.concat
local huge, floor, abs = math.huge, math.floor, math.abs

local M = {}

M.LEVEL = -18 -- LUFS: where `master` stages the input of a preset's build

local FIELDS = {"name", "description", "params", "build", "target", "ceiling", "platform",
                "extends", "intent"}
local INTENT_KEYS = {"crest", "tilt", "lra"}

-- --- helpers usable on both sides -------------------------------------------------

local function distance(a, b)
  local la, lb = #a, #b
  if abs(la - lb) > 3 then return 99 end
  local prev = {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    local cur = {[0] = i}
    local ca = sbyte(a, i)
    for j = 1, lb do
      local cost = (ca == sbyte(b, j)) and 0 or 1
      local v = prev[j] + 1
      if cur[j - 1] + 1 < v then v = cur[j - 1] + 1 end
      if prev[j - 1] + cost < v then v = prev[j - 1] + cost end
      cur[j] = v
    end
    prev = cur
  end
  return prev[lb]
end

--- The closest of names to name (edit distance, at most a third of its
--- length and 3), or nil.
function M.nearest(name, names)
  if type(name) ~= "string" then return nil end
  local best, bd = nil, huge
  local limit = #name <= 3 and 1 or (#name < 9 and 2 or 3)
  for _, n in ipairs(names) do
    local d = distance(slower(name), slower(n))
    if d < bd or (d == bd and best and n < best) then best, bd = n, d end
  end
  if bd <= limit then return best end
  return nil
end

local function did_you_mean(name, names)
  local s = M.nearest(name, names)
  return s and sfmt(" (did you mean '%s'?)", s) or ""
end

local function is_finite(v) return type(v) == "number" and v == v and v > -huge and v < huge end

local function sorted_keys(t)
  local out = {}
  for k in next, t do out[#out + 1] = k end
  tsort(out, function(a, b) return tostring(a) < tostring(b) end)
  return out
end

-- =================================================================================
-- Validation (mixdown's own state)
-- =================================================================================

--- Line of the first `name =` in source, after the line holding `after`
--- when given (the params table), or nil.
function M.find_line(source, name, after)
  if type(source) ~= "string" then return nil end
  local n, armed = 0, after == nil
  for line in sgmatch(source .. "\n", "([^\n]*)\n") do
    n = n + 1
    if not armed then
      if sfind(line, after, 1, true) then armed = true end
    end
    if armed and (smatch(line, "^%s*" .. name .. "%s*=") or smatch(line, "[{,]%s*" .. name .. "%s*=")) then
      return n
    end
  end
  return nil
end

-- "file:line: preset 'name': " for a field or parameter of the preset
local function place(ctx, key, in_params)
  local line = M.find_line(ctx.source, key, in_params and "params" or nil)
  return sfmt("%s%s: preset '%s': ", ctx.file, line and (":" .. line) or "", ctx.name)
end

local function fail(ctx, key, in_params, fmt, ...)
  error(place(ctx, key, in_params) .. sfmt(fmt, ...), 0)
end

local function is_fn(v) return type(v) == "table" and v.__function == true end

local function check_param(ctx, name, spec)
  local function bad(fmt, ...) fail(ctx, name, true, "parameter '%s': " .. fmt, name, ...) end
  if type(name) ~= "string" or not smatch(name, "^[%a_][%w_]*$") then
    fail(ctx, "params", false, "parameter names must be identifiers, got %s", tostring(name))
  end
  if type(spec) ~= "table" then bad("must be a table {default, min, max, unit, doc}, got %s", type(spec)) end
  local p = {
    name = name,
    default = spec.default, min = spec.min, max = spec.max, unit = spec.unit, doc = spec.doc,
    choices = spec.choices,
  }
  -- positional form {default, min, max, unit, doc}
  if p.default == nil then p.default = spec[1] end
  if p.min == nil and type(spec[2]) == "number" then p.min = spec[2] end
  if p.max == nil and type(spec[3]) == "number" then p.max = spec[3] end
  if p.unit == nil and type(spec[4]) == "string" then p.unit = spec[4] end
  if p.doc == nil and type(spec[5]) == "string" then p.doc = spec[5] end
  if p.unit == nil then p.unit = "" end
  if p.doc == nil then p.doc = "" end
  if type(p.unit) ~= "string" then bad("unit must be a string, got %s", type(p.unit)) end
  if type(p.doc) ~= "string" then bad("doc must be a string, got %s", type(p.doc)) end
  for k in next, spec do
    if type(k) == "string" and k ~= "default" and k ~= "min" and k ~= "max" and k ~= "unit"
       and k ~= "doc" and k ~= "choices" then
      bad("unknown field '%s'%s", k, did_you_mean(k, {"default", "min", "max", "unit", "doc", "choices"}))
    end
  end
  local d = p.default
  if d == nil then bad("has no default") end
  if type(d) == "number" then
    p.type = "number"
    if not is_finite(d) then bad("default must be a finite number, got %s", tostring(d)) end
    if p.min == nil or p.max == nil then bad("a number needs min and max (its range)") end
    if not is_finite(p.min) then bad("min must be a finite number, got %s", tostring(p.min)) end
    if not is_finite(p.max) then bad("max must be a finite number, got %s", tostring(p.max)) end
    if p.min > p.max then bad("min %g is greater than max %g", p.min, p.max) end
    if d < p.min or d > p.max then bad("default %g is outside its range %g..%g", d, p.min, p.max) end
  elseif type(d) == "boolean" then
    p.type = "boolean"
    if p.min ~= nil or p.max ~= nil then bad("a boolean takes no min or max") end
  elseif type(d) == "string" then
    p.type = "string"
    if p.choices ~= nil then
      if type(p.choices) ~= "table" or #p.choices == 0 then bad("choices must be a list of names") end
      local found = false
      for i = 1, #p.choices do
        if type(p.choices[i]) ~= "string" then bad("choices must be names (strings)") end
        if p.choices[i] == d then found = true end
      end
      if not found then bad("default '%s' is not one of its choices (%s)", d, tconcat(p.choices, ", ")) end
    end
  else
    bad("default must be a number, a boolean or a string, got %s", is_fn(d) and "function" or type(d))
  end
  return p
end

local function check_range_pair(ctx, key, v)
  if type(v) ~= "table" or not is_finite(v[1]) or not is_finite(v[2]) or v[1] > v[2] then
    fail(ctx, key, false, "intent.%s must be {low, high} with low <= high", key)
  end
  return {v[1], v[2]}
end

--- Checks a described preset (plain data from the sandbox: functions appear
--- as {__function = true}) and returns its spec. ctx = {name, file, source}.
function M.validate(desc, ctx)
  if type(desc) ~= "table" then
    error(sfmt("%s: preset '%s': the file must return a table, got %s", ctx.file, ctx.name, type(desc)), 0)
  end
  for k in next, desc do
    if type(k) ~= "string" then fail(ctx, "return", false, "the table's keys must be names") end
    local known = false
    for _, f in ipairs(FIELDS) do if f == k then known = true end end
    if not known then fail(ctx, k, false, "unknown field '%s'%s", k, did_you_mean(k, FIELDS)) end
  end
  local spec = {name = ctx.name, file = ctx.file, builtin = ctx.builtin, params = {}, names = {}}
  if desc.name ~= nil then
    if type(desc.name) ~= "string" then fail(ctx, "name", false, "name must be a string") end
    spec.title = desc.name
  end
  spec.description = desc.description or ""
  if type(spec.description) ~= "string" then fail(ctx, "description", false, "description must be a string") end
  if desc.params ~= nil then
    if type(desc.params) ~= "table" or is_fn(desc.params) then
      fail(ctx, "params", false, "params must be a table {NAME = {default, min, max, unit, doc}}")
    end
    for _, name in ipairs(sorted_keys(desc.params)) do
      spec.params[name] = check_param(ctx, name, desc.params[name])
      spec.names[#spec.names + 1] = name
    end
  end
  spec.has_build = is_fn(desc.build)
  if desc.build ~= nil and not spec.has_build then
    fail(ctx, "build", false, "build must be a function(input, p), got %s", type(desc.build))
  end
  for _, f in ipairs{"target", "ceiling"} do
    local v = desc[f]
    if is_fn(v) then
      spec[f .. "_fn"] = true
    elseif v ~= nil then
      local lo, hi = -70, 0
      if f == "ceiling" then lo = -30 end
      if not is_finite(v) or v < lo or v > hi then
        fail(ctx, f, false, "%s must be a number within %g..%g (%s) or a function of the parameters, got %s",
             f, lo, hi, f == "target" and "LUFS" or "dBTP", tostring(v))
      end
      spec[f] = v
    end
  end
  if desc.platform ~= nil then
    if type(desc.platform) ~= "string" then fail(ctx, "platform", false, "platform must be a name") end
    spec.platform = desc.platform
  end
  if desc.extends ~= nil then
    if type(desc.extends) ~= "string" or desc.extends == "" then
      fail(ctx, "extends", false, "extends must be the name of a preset")
    end
    spec.extends = desc.extends
  end
  if desc.intent ~= nil then
    if type(desc.intent) ~= "table" then fail(ctx, "intent", false, "intent must be a table") end
    spec.intent = {}
    for k, v in next, desc.intent do
      local ok = false
      for _, n in ipairs(INTENT_KEYS) do if n == k then ok = true end end
      if not ok then fail(ctx, tostring(k), false, "unknown intent '%s'%s", tostring(k), did_you_mean(k, INTENT_KEYS)) end
      spec.intent[k] = check_range_pair(ctx, k, v)
    end
  end
  if not spec.has_build and not spec.extends then
    fail(ctx, "return", false, "a preset needs build = function(input, p) ... end (or extends = \"NAME\")")
  end
  spec.sources = {{source = ctx.source, chunk = "@" .. ctx.file, file = ctx.file, name = ctx.name}}
  spec.lines = {}
  for _, name in ipairs(spec.names) do spec.lines[name] = M.find_line(ctx.source, name, "params") end
  return spec
end

--- A preset built on base: base's params, then child's; inherited target,
--- ceiling and platform; both sources, base first.
function M.merge(base, child)
  local out = {}
  for k, v in next, child do out[k] = v end
  out.params, out.names, out.lines = {}, {}, {}
  for _, s in ipairs{base, child} do
    for _, name in ipairs(s.names) do
      if out.params[name] == nil then out.names[#out.names + 1] = name end
      out.params[name] = s.params[name]
      local l = s.lines[name]
      if type(l) == "number" then l = {file = s.file, line = l} end
      out.lines[name] = l
    end
  end
  tsort(out.names)
  for _, f in ipairs{"target", "ceiling", "platform", "description", "title"} do
    if child[f] == nil or child[f] == "" then out[f] = base[f] end
  end
  if not child.target and not child.target_fn then out.target_fn = base.target_fn; out.target = base.target end
  if not child.ceiling and not child.ceiling_fn then out.ceiling_fn = base.ceiling_fn; out.ceiling = base.ceiling end
  out.has_build = child.has_build or base.has_build
  out.sources = {}
  for _, s in ipairs(base.sources) do out.sources[#out.sources + 1] = s end
  out.sources[#out.sources + 1] = child.sources[#child.sources]
  out.base = base
  return out
end

--- "KEY=VALUE" -> key, value: a number when it parses as one, true/false,
--- else the string. Raises on a malformed argument.
function M.parse_set(arg)
  local k, v = smatch(arg, "^%s*([%a_][%w_]*)%s*=%s*(.-)%s*$")
  if not k then
    error(sfmt("--set %s: expected KEY=VALUE, e.g. --set intensity=0.7", arg), 0)
  end
  if v == "true" then return k, true end
  if v == "false" then return k, false end
  local n = tonumber(v)
  if n ~= nil then return k, n end
  return k, v
end

local function where_param(spec, name)
  local l = spec.lines and spec.lines[name]
  if type(l) == "table" then return sfmt("%s:%d", l.file, l.line) end
  if l then return sfmt("%s:%d", spec.file, l) end
  return spec.file
end

--- Checks the given values (a table NAME -> value; origin[name] describes
--- where each came from, e.g. "--set intensity=2") and returns every
--- parameter's value, defaults filled in.
function M.check_values(spec, given, origin)
  origin = origin or {}
  local out = {}
  for _, name in ipairs(spec.names) do out[name] = spec.params[name].default end
  for _, name in ipairs(sorted_keys(given)) do
    local v = given[name]
    local from = origin[name] and (origin[name] .. ": ") or ""
    local p = spec.params[name]
    if type(name) ~= "string" or p == nil then
      local hint = did_you_mean(name, spec.names)
      error(sfmt("%s: %spreset '%s' has no parameter '%s'%s; `mixdown presets %s` lists them (%s)",
                 spec.file, from, spec.name, tostring(name), hint, spec.name,
                 #spec.names > 0 and tconcat(spec.names, ", ") or "it has none"), 0)
    end
    local at = where_param(spec, name)
    local function bad(fmt, ...)
      error(sfmt("%s: %s%s ", at, from, name) .. sfmt(fmt, ...) .. sfmt(" (`mixdown presets %s` shows the parameters)", spec.name), 0)
    end
    if p.type == "number" then
      if type(v) ~= "number" then bad("must be a number (%s), got %s '%s'", p.unit ~= "" and p.unit or "no unit", type(v), tostring(v)) end
      if not is_finite(v) then bad("must be a finite number, got %s", tostring(v)) end
      if v < p.min or v > p.max then bad("must be within %g..%g%s, got %s", p.min, p.max, p.unit ~= "" and (" " .. p.unit) or "", tostring(v)) end
    elseif p.type == "boolean" then
      if type(v) ~= "boolean" then bad("must be true or false, got %s '%s'", type(v), tostring(v)) end
    else
      if type(v) ~= "string" then bad("must be a name (a string), got %s", type(v)) end
      if p.choices then
        local ok = false
        for _, c in ipairs(p.choices) do if c == v then ok = true end end
        if not ok then bad("must be one of %s, got '%s'%s", tconcat(p.choices, ", "), v, did_you_mean(v, p.choices)) end
      end
    end
    out[name] = v
  end
  return out
end

--- Checks a recorded chain from the sandbox: {records, output, target,
--- ceiling}. node_kind(name) -> "processor"|... (the host's registry).
function M.check_plan(plan, spec, node_kind)
  local function bad(msg) error(sfmt("%s: preset '%s': %s", spec.file, spec.name, msg), 0) end
  if type(plan) ~= "table" or type(plan.records) ~= "table" then bad("the build produced no chain") end
  local recs = plan.records
  local n = #recs
  if n < 1 or type(recs[1]) ~= "table" or recs[1].type ~= "input" then bad("malformed chain") end
  local function id_ok(id, i) return math.type(id) == "integer" and id >= 1 and id < i end
  for i = 2, n do
    local r = recs[i]
    if type(r) ~= "table" or type(r.type) ~= "string" then bad("malformed chain record " .. i) end
    if r.type == "mix" then
      if type(r.inputs) ~= "table" or #r.inputs == 0 then bad("malformed mix") end
      for _, it in ipairs(r.inputs) do
        if type(it) ~= "table" or not id_ok(it[1], i) or not is_finite(it[2]) then bad("malformed mix input") end
      end
    else
      if node_kind(r.type) ~= "processor" then
        bad(sfmt("%s: '%s' is not a processor", r.where or "?", r.type))
      end
      if not id_ok(r.input, i) or type(r.params) ~= "table" then bad("malformed chain record " .. i) end
    end
  end
  if not id_ok(plan.output, n + 1) then bad("build must return a node") end
  for _, f in ipairs{"target", "ceiling"} do
    local v = plan[f]
    if v ~= nil then
      local lo = f == "target" and -70 or -30
      if not is_finite(v) or v < lo or v > 0 then
        bad(sfmt("%s evaluated to %s, outside %g..0 %s", f, tostring(v), lo, f == "target" and "LUFS" or "dBTP"))
      end
    end
  end
  return plan
end

-- =================================================================================
-- Evaluation (the sandbox's child process; trusted code, see sandbox.h)
-- Everything here uses the locals captured above, never a global a preset
-- could have changed.
-- =================================================================================

local FORBIDDEN = {
  os = "'os' is not available in presets (a preset only transforms the node it is given)",
  io = "'io' is not available in presets: a preset cannot open files (the host opens the input and writes the outputs)",
  package = "'package' is not available in presets (build on another preset with extends = \"NAME\")",
  require = "'require' is not available in presets (build on another preset with extends = \"NAME\"; the library is the global 'mixdown')",
  debug = "'debug' is not available in presets",
  dofile = "'dofile' is not available in presets: a preset cannot open files",
  loadfile = "'loadfile' is not available in presets: a preset cannot open files",
  loadstring = "'loadstring' is not available in presets (use load with a text chunk)",
  print = "'print' is not available in presets",
  coroutine = "'coroutine' is not available in presets",
}

local MAX_NODES = 2000
local MAX_ITEMS = 20000

local function runtime(arg, caps)
  local records, ids = {}, {}
  local info = arg.info or {}
  if type(info.channels) ~= "number" then info.channels = 2 end
  if type(info.rate) ~= "number" then info.rate = 44100 end
  local node_mt, graph_proxy = {}, nil
  local current = {file = "?"}

  local function new_node(rec)
    local id = #records + 1
    if id > MAX_NODES then error(sfmt("%s: too many nodes (the limit of presets is %d)", rec.where or current.file, MAX_NODES), 0) end
    rec.id = id
    records[id] = rec
    local proxy = setmetatable({}, node_mt)
    ids[proxy] = id
    return proxy
  end

  -- parameters as plain data; nodes become {__node = id}
  local function copy(v, depth, budget, where, what)
    local tv = type(v)
    if tv == "number" or tv == "boolean" then return v end
    if tv == "string" then
      if #v > 65536 then error(sfmt("%s: %s: a string of %d bytes is too long", where, what, #v), 0) end
      return v
    end
    if tv == "table" then
      local id = ids[v]
      if id then return {__node = id} end
      if depth > 8 then error(sfmt("%s: %s: parameters nested too deep", where, what), 0) end
      local out = {}
      for k, x in next, v do
        budget[1] = budget[1] + 1
        if budget[1] > MAX_ITEMS then error(sfmt("%s: %s: too many parameter values", where, what), 0) end
        local tk = type(k)
        if tk ~= "string" and tk ~= "number" then
          error(sfmt("%s: %s: parameter keys must be names or positions, got a %s", where, what, tk), 0)
        end
        out[k] = copy(x, depth + 1, budget, where, what)
      end
      return out
    end
    error(sfmt("%s: %s: a %s cannot be a parameter (numbers, strings, booleans, tables and nodes only)",
               where, what, tv), 0)
  end

  local function mix(items, where)
    if type(items) ~= "table" or ids[items] then
      error(sfmt("%s: mix: expected a list {a, b, {c, gain = -6}}, got %s", where, type(items)), 0)
    end
    local inputs = {}
    local n = rawlen(items)
    if n == 0 then error(where .. ": mix: needs at least one input, e.g. mixdown.mix{a, b}", 0) end
    if n > MAX_NODES then error(where .. ": mix: too many inputs", 0) end
    for i = 1, n do
      local it = rawget(items, i)
      local id, gain = ids[it], 0
      if not id and type(it) == "table" then
        id = ids[rawget(it, 1)]
        gain = rawget(it, "gain")
        if gain == nil then gain = 0 end
      end
      if not id then error(sfmt("%s: mix: input %d must be a node or {node, gain = dB}", where, i), 0) end
      if not is_finite(gain) then error(sfmt("%s: mix: input %d: gain must be a number (dB)", where, i), 0) end
      inputs[i] = {id, gain}
    end
    local ch = 1
    for _, it in ipairs(inputs) do
      if records[it[1]].channels > ch then ch = records[it[1]].channels end
    end
    return new_node{type = "mix", inputs = inputs, where = where, channels = ch}
  end

  local processors = {}
  local function processor(name)
    local f = processors[name]
    if f then return f end
    f = function(self, params)
      local where = caps.where(2) or current.file
      local id = ids[self]
      if not id then error(sfmt("%s: %s: call it as a method of a node: x:%s{...}", where, name, name), 0) end
      if params ~= nil and type(params) ~= "table" then
        error(sfmt("%s: %s: parameters must be a table, got %s", where, name, type(params)), 0)
      end
      local p = params == nil and {} or copy(params, 0, {0}, where, name)
      local ch = records[id].channels
      if name == "reverb" or (name == "pan" and ch == 1) then ch = 2 end
      return new_node{type = name, input = id, params = p, where = where, channels = ch}
    end
    processors[name] = f
    return f
  end

  local node_methods = {
    graph = function() return graph_proxy end,
    type = function(self) local id = ids[self]; return id and records[id].type end,
    channels = function(self) local id = ids[self]; return id and records[id].channels end,
    rate = function() return info.rate end,
  }
  local refused = {
    write = "presets cannot write files: `mixdown master` writes the output",
    meter = "presets cannot measure: `mixdown analyze` and `master` do",
    result = "presets cannot measure: `mixdown analyze` and `master` do",
    loudness = "the loudness stage is added by `mixdown master` after the preset's chain (set target = LUFS instead)",
    set = "nodes of a preset are set once, by their parameter table",
  }
  node_mt.__index = function(self, k)
    local m = node_methods[k]
    if m then return m end
    if refused[k] then error(refused[k], 2) end
    if type(k) ~= "string" then error("nodes have no field " .. tostring(k), 2) end
    local kind = caps.node_kind(k)
    if kind == "processor" then return processor(k) end
    if k == "file" then error("presets cannot open files: the host gives build its input node", 2) end
    if kind == "source" then error(sfmt("presets cannot add sources (%s): build transforms the node it is given", k), 2) end
    if kind == "sink" then error(sfmt("presets cannot add outputs (%s): `mixdown master` writes the output", k), 2) end
    if kind == "mix" then error("use mixdown.mix{a, b} to sum nodes", 2) end
    local s = caps.suggest(k)
    error(sfmt("unknown node '%s'%s", k, s and sfmt(" (did you mean '%s'?)", s) or " (`mixdown nodes` lists them)"), 2)
  end
  node_mt.__newindex = function() error("nodes are read-only", 2) end
  node_mt.__tostring = function(self) local id = ids[self]; return sfmt("node %s", id and records[id].type or "?") end
  node_mt.__metatable = false

  graph_proxy = setmetatable({}, {
    __index = function(_, k)
      if k == "mix" then return function(_, items) return mix(items, caps.where(2) or current.file) end end
      if k == "file" then error("presets cannot open files: the host gives build its input node", 2) end
      error(sfmt("graph:%s is not available in presets (only graph:mix{...})", tostring(k)), 2)
    end,
    __newindex = function() error("the graph is read-only", 2) end,
    __metatable = false,
  })

  local api = {
    mix = function(items) return mix(items, caps.where(2) or current.file) end,
    lerp = function(a, b, t) return a + (b - a) * t end,
    clamp = function(v, lo, hi) if v < lo then return lo elseif v > hi then return hi end return v end,
    version = arg.version,
  }

  local function library_copy(t, libname)
    local c = {}
    for k, v in next, t do c[k] = v end
    return setmetatable(c, {__index = function(_, k)
      if libname == "string" and k == "dump" then error("string.dump is not available in presets", 2) end
      return nil
    end, __metatable = false})
  end

  local function new_env()
    local env = {}
    for k, v in next, caps.lib do
      if type(v) == "table" then env[k] = library_copy(v, k) else env[k] = v end
    end
    local m = {}
    for k, v in next, api do m[k] = v end
    env.mixdown, env.md = m, m
    env._G = env
    env.load = function(chunk, name, mode, e)
      if mode ~= nil and mode ~= "t" then
        error("load: binary chunks are not allowed in presets (mode must be \"t\")", 2)
      end
      if type(chunk) == "string" and sbyte(chunk, 1) == 27 then
        error("load: binary chunks are not allowed in presets", 2)
      end
      if e == nil then e = env end
      return load(chunk, name, "t", e)
    end
    local names = {}
    for k in next, env do names[#names + 1] = k end
    return setmetatable(env, {
      __index = function(_, k)
        if FORBIDDEN[k] then error(FORBIDDEN[k], 2) end
        error(sfmt("undefined global '%s'%s", tostring(k), did_you_mean(k, names)), 2)
      end,
      __metatable = false,
    })
  end

  local function run_source(s)
    current = s
    local env = new_env()
    local chunk, err = load(s.source, s.chunk, "t", env)
    if not chunk then error(err, 0) end
    local t = chunk()
    if type(t) ~= "table" then
      error(sfmt("%s: a preset must return a table {name, description, params, build, ...}, got %s",
                 s.file, type(t)), 0)
    end
    return t
  end

  local function describe(v, depth, budget, file)
    local tv = type(v)
    if tv == "function" then return {__function = true} end
    if tv ~= "table" then
      if tv == "number" or tv == "string" or tv == "boolean" then return v end
      error(sfmt("%s: the preset's table holds a %s value (plain data and functions only)", file, tv), 0)
    end
    if ids[v] then error(file .. ": the preset's table holds a node", 0) end
    if depth > 8 then error(file .. ": the preset's table is nested too deep", 0) end
    local out = {}
    for k, x in next, v do
      budget[1] = budget[1] + 1
      if budget[1] > MAX_ITEMS then error(file .. ": the preset's table is too large", 0) end
      local tk = type(k)
      if tk ~= "string" and tk ~= "number" then error(sfmt("%s: the preset's table has a %s key", file, tk), 0) end
      out[k] = describe(x, depth + 1, budget, file)
    end
    return out
  end

  local function values_view(values, names)
    local p = {}
    for k, v in next, values do p[k] = v end
    return setmetatable(p, {
      __index = function(_, k)
        error(sfmt("no parameter '%s'%s", tostring(k), did_you_mean(k, names)), 2)
      end,
      __newindex = function() error("the parameters are read-only", 2) end,
      __metatable = false,
    })
  end

  local R = {}

  function R.describe()
    local s = arg.sources[1]
    return describe(run_source(s), 0, {0}, s.file)
  end

  function R.build()
    local chain = {}
    for i, s in ipairs(arg.sources) do chain[i] = {t = run_source(s), s = s} end
    local names = {}
    for k in next, arg.values do names[#names + 1] = k end
    local p = values_view(arg.values, names)
    local function level(i)
      if i < 1 then return nil end
      local t, s = chain[i].t, chain[i].s
      local b = rawget(t, "build")
      local base = level(i - 1)
      if b == nil then return base end
      if type(b) ~= "function" then error(s.file .. ": build must be a function(input, p)", 0) end
      return function(x, pp)
        if not ids[x] then error("build: the first argument must be a node", 2) end
        current = s
        local out = b(x, pp or p, base)
        if not ids[out] then
          error(sfmt("%s: build must return a node (the end of its chain), got %s", s.file, type(out)), 0)
        end
        return out
      end
    end
    local top = level(#chain)
    local file = arg.sources[#arg.sources].file
    if not top then error(file .. ": the preset has no build function", 0) end
    local input = new_node{type = "input", channels = info.channels}
    -- positions of calls made as tail calls (return x:eq{...}) need the line hook
    if caps.trace then caps.trace(true) end
    local out = top(input, p)
    if caps.trace then caps.trace(false) end
    local result = {records = records, output = ids[out]}
    for _, f in ipairs{"target", "ceiling"} do
      for i = #chain, 1, -1 do
        local v = rawget(chain[i].t, f)
        if v ~= nil then
          if type(v) == "function" then current = chain[i].s; v = v(p) end
          if type(v) ~= "number" then
            error(sfmt("%s: %s must be a number or a function of the parameters returning one, got %s",
                       chain[i].s.file, f, type(v)), 0)
          end
          result[f] = v
          break
        end
      end
    end
    return result
  end

  return R
end

--- Entry point in the sandbox's child: arg = {mode = "describe"|"build",
--- sources = {{source, chunk, file, name}...} base first, values = {...}}.
function M.evaluate(arg, caps)
  local R = runtime(arg, caps)
  if arg.mode == "describe" then return R.describe() end
  return R.build()
end

return M
