-- mixdown.manifest: `--manifest FILE.json`, what it takes to render a master
-- again exactly, and the JSON writer the reports share.
--
--   local manifest = require "mixdown.manifest"
--   local t = manifest.build{
--     command = args,                         -- the command line (array of strings)
--     recipe = {name = "pop", path = "recipes/presets/pop.lua", source = text},
--     params = {drive = 2, ...},              -- every resolved preset parameter
--     targets = {target = -14, ceiling = -1, platform = "spotify"},
--     render = {bits = 24, rate = 48000, dither = "tpdf", seed = 1, format = "wav"},
--     chain = {"highpass{freq = 30}", ...},   -- tostring(node) of each node, or nodes
--     inputs = { {path = "song.wav", result = before} },   -- m:result() tables
--     outputs = { {path = "song.master.wav", result = after, gain_db = 3.2, passes = 2} },
--   }
--   manifest.write("song.json", t)
--
-- Files are identified by SHA-256 (FIPS 180-4, mixdown.fs.hash); the recipe
-- by the SHA-256 of its source text. Measurements use the keys of
-- `mixdown analyze --json`, undefined values as null.
local fs = require "mixdown.fs"
local core = require "mixdown.core"

local M = {}

M.SCHEMA = "mixdown-manifest/1"

-- the measurement keys of `analyze --json`, in its order
M.MEASUREMENT_KEYS = {
  "sample_rate", "channels", "frames", "duration_s", "integrated_lufs", "loudness_range_lu",
  "max_momentary_lufs", "max_short_term_lufs", "sample_peak_dbfs", "true_peak_dbtp",
  "rms_dbfs", "crest_db", "dc_offset", "clipped_samples", "nonfinite_samples", "correlation",
  "balance_db",
}

---------------------------------------------------------------------- JSON

local NULL = setmetatable({}, {__name = "json.null", __tostring = function() return "null" end})
M.null = NULL

--- Marks t as a JSON array (so an empty table prints [] rather than {}).
function M.array(t)
  return setmetatable(t or {}, {__jsonarray = true})
end

--- An object whose keys print in the given order.
function M.ordered(keys, values)
  return setmetatable({}, {__jsonkeys = keys, __jsonvalues = values})
end

local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function number(v)
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%.0f", v) end
  -- the shortest of %.15g / %.17g that reads back as the same double
  local s = string.format("%.15g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return s
end

local function is_array(t)
  local mt = getmetatable(t)
  if mt and mt.__jsonarray then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local encode

local function encode_table(t, indent, depth, seen)
  if seen[t] then error("json: a table refers to itself", 0) end
  seen[t] = true
  local nl, pad, pad_in, sep = "", "", "", ","
  if indent then
    nl = "\n"
    pad = string.rep(indent, depth)
    pad_in = string.rep(indent, depth + 1)
  end
  local parts = {}
  local mt = getmetatable(t)
  local open, close
  if is_array(t) then
    open, close = "[", "]"
    for i = 1, #t do parts[#parts + 1] = pad_in .. encode(t[i], indent, depth + 1, seen) end
  else
    open, close = "{", "}"
    local keys, values = nil, t
    if mt and mt.__jsonkeys then
      keys, values = mt.__jsonkeys, mt.__jsonvalues
    else
      keys = {}
      for k in pairs(t) do
        if type(k) ~= "string" and type(k) ~= "number" then
          error("json: keys must be strings, got " .. type(k), 0)
        end
        keys[#keys + 1] = k
      end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    end
    local colon = indent and ": " or ":"
    for _, k in ipairs(keys) do
      local v = values[k]
      parts[#parts + 1] = pad_in .. quote(tostring(k)) .. colon .. encode(v, indent, depth + 1, seen)
    end
  end
  seen[t] = nil
  if #parts == 0 then return open .. close end
  return open .. nl .. table.concat(parts, sep .. nl) .. nl .. pad .. close
end

encode = function(v, indent, depth, seen)
  local t = type(v)
  if v == nil or v == NULL then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then return number(v)
  elseif t == "string" then return quote(v)
  elseif t == "table" then return encode_table(v, indent, depth, seen)
  elseif t == "userdata" then return quote(tostring(v))
  end
  error("json: cannot encode a " .. t, 0)
end

--- JSON text of v: compact, or indented with `indent` (e.g. "  ").
function M.json(v, indent)
  return encode(v, indent, 0, {})
end

---------------------------------------------------------------------- files

--- Writes text to path atomically (a temporary name beside it, then rename).
function M.write_text(path, text)
  local dir = path:match("^(.*)/[^/]*$") or "."
  local tmp = string.format("%s/.%s.%d.tmp", dir, path:match("([^/]*)$"), fs.pid())
  local f, err = io.open(tmp, "wb")
  if not f then error(string.format("%s: cannot write: %s", path, err), 0) end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  if not ok or not closed then
    fs.remove(tmp)
    error(string.format("%s: write failed: %s", path, tostring(werr or cerr)), 0)
  end
  local renamed, rerr = fs.rename(tmp, path)
  if not renamed then
    fs.remove(tmp)
    error(rerr, 0)
  end
  return true
end

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

--- SHA-256 of a file, or raises naming it.
function M.hash(path)
  local h, err = fs.hash(path)
  if not h then error(err, 0) end
  return h
end

--- The measurement keys of a m:result() table, in order, undefined as null.
function M.measurements(r)
  if not r then return NULL end
  local keys, values = {}, {}
  for _, k in ipairs(M.MEASUREMENT_KEYS) do
    keys[#keys + 1] = k
    values[k] = r[k]
  end
  local tp = r.true_peak_per_channel
  if tp then
    keys[#keys + 1] = "true_peak_per_channel"
    local list = M.array()
    for i, v in ipairs(tp) do list[i] = v or NULL end
    values.true_peak_per_channel = list
  end
  return M.ordered(keys, values)
end

local function chain_list(chain)
  local out = M.array()
  for i, n in ipairs(chain or {}) do out[i] = type(n) == "string" and n or tostring(n) end
  return out
end

local function utc_now()
  return os.date("!%Y-%m-%dT%H:%M:%SZ")
end

--- The manifest table (see the top of this file for the fields).
function M.build(o)
  o = o or {}
  local recipe = o.recipe or {}
  local src = recipe.source
  if not src and recipe.path then
    local f = io.open(recipe.path, "rb")
    if f then src = f:read("a"); f:close() end
  end
  -- {path, bytes, sha256, measurements, then any other field of f, sorted}
  local function file_entry(f)
    local keys = {"path", "bytes", "sha256", "measurements"}
    local values = {path = f.path, bytes = file_size(f.path), sha256 = M.hash(f.path),
                    measurements = M.measurements(f.result)}
    local extra = {}
    for k in pairs(f) do
      if k ~= "path" and k ~= "result" then extra[#extra + 1] = k end
    end
    table.sort(extra)
    for _, k in ipairs(extra) do keys[#keys + 1] = k; values[k] = f[k] end
    return M.ordered(keys, values)
  end
  local inputs, outputs = M.array(), M.array()
  for i, f in ipairs(o.inputs or {}) do inputs[i] = file_entry(f) end
  for i, f in ipairs(o.outputs or {}) do outputs[i] = file_entry(f) end
  local command = M.array()
  for i, a in ipairs(o.command or {}) do command[i] = a end
  return M.ordered(
    {"schema", "mixdown_version", "created", "command", "recipe", "parameters", "targets",
     "render", "chain", "inputs", "outputs"},
    {
      schema = M.SCHEMA,
      mixdown_version = core.version,
      created = o.created or utc_now(),
      command = command,
      recipe = M.ordered({"name", "path", "sha256"}, {
        name = recipe.name or NULL,
        path = recipe.path or NULL,
        sha256 = src and fs.hash_string(src) or NULL,
      }),
      parameters = o.params or {},
      targets = o.targets or {},
      render = o.render or {},
      chain = chain_list(o.chain),
      inputs = inputs,
      outputs = outputs,
    })
end

--- Writes a manifest (a table from build(), or the options of build()).
function M.write(path, t)
  if getmetatable(t) == nil or not getmetatable(t).__jsonkeys then t = M.build(t) end
  return M.write_text(path, M.json(t, "  ") .. "\n")
end

return M
