-- Envelopes: automation of node parameters over time.
--
--   local fade = md.envelope{ {0, -60}, {2, 0} }           -- gain in dB, linear in dB
--   local sweep = md.envelope{ {0, 200}, {8, 4000, "exp"} }  -- Hz, equal ratios per second
--   x:gain{db = fade}:highpass{freq = sweep}
--   x:pan{pos = function(t) return 0.5 * math.sin(2 * math.pi * t / 4) end}
--   x:set("db", md.envelope{ {0, 0}, {10, 0}, {10, -6, "hold"} })
--
-- Breakpoints are {time in seconds, value[, shape]}; the shape belongs to the
-- segment that ends at the point: "lin" (default: a straight line in the
-- parameter's unit, so in dB for dB parameters), "exp" (equal ratios in equal
-- times; the same as "lin" for dB parameters, whose amplitude is already
-- exponential along a line in dB) or "hold" (keep the previous value, jump at
-- the point). Before the first point the value is the first point's, after
-- the last the last's. Times are timeline seconds: 0 is the start of the
-- render, as the written file hears it (latency upstream is accounted for).
--
-- A function of time (seconds -> value) is sampled here, in Lua, every 64
-- frames at the node's rate over the whole render, just before the render
-- (g:run), into linear segments: no Lua runs inside the render for it, and
-- the engine then evaluates those segments per sample, smoothly.
--
-- What follows an envelope is described in engine/include/mixdown/md_automation.h:
-- per sample for parameters read through md_node_fill_param (gain, pan, width,
-- mixes, Lua node params, ...), every 64 frames for the others (filter
-- frequencies, compressor thresholds, ...).
local core = require "mixdown.core"

local E = {}

local mt = core.envelope_mt
local methods = {}
mt.__index = methods

local shapes = {lin = true, linear = true, exp = true, hold = true}

local function num(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

--- md.envelope{ {t, v[, shape]}, ... } -> envelope. Raises (without a
-- position: the caller adds it) when a point is malformed.
function E.new(spec)
  if type(spec) ~= "table" then
    error("envelope: expects a list of points {time, value[, shape]}, got " .. type(spec), 0)
  end
  if getmetatable(spec) == mt then return spec end
  if #spec == 0 then error("envelope: needs at least one point {time, value}", 0) end
  local env = {}
  local last = -math.huge
  for i, p in ipairs(spec) do
    if type(p) ~= "table" then
      error(string.format("envelope: point %d must be {time, value}, got %s", i, type(p)), 0)
    end
    local t, v, s = p[1], p[2], p[3]
    if not num(t) or t < 0 then
      error(string.format("envelope: point %d: time must be a number of seconds >= 0, got %s", i, tostring(t)), 0)
    end
    if t < last then
      error(string.format("envelope: point %d: times must not decrease, got %g s after %g s", i, t, last), 0)
    end
    if not num(v) then
      error(string.format("envelope: point %d: value must be a finite number, got %s", i, tostring(v)), 0)
    end
    if s ~= nil and not shapes[s] then
      error(string.format("envelope: point %d: shape must be \"lin\", \"exp\" or \"hold\", got %s", i, tostring(s)), 0)
    end
    if s == "exp" and i > 1 and not (env[i - 1][2] ~= 0 and v / env[i - 1][2] > 0) then
      -- allowed for dB parameters only: checked again when attached
      env.needs_db = true
    end
    env[i] = {t, v, s}
    last = t
  end
  return setmetatable(env, mt)
end

--- env:at(t[, db]) -> the value at t seconds, as the engine computes it (db:
-- the parameter is in dB, where "exp" segments are straight lines).
function methods.at(env, t, db)
  if t < env[1][1] then return env[1][2] end
  for k = 1, #env - 1 do
    local a, b = env[k], env[k + 1]
    if t < b[1] then
      local span = b[1] - a[1]
      local x = span > 0 and (t - a[1]) / span or 1
      local s = b[3]
      if s == "hold" then return a[2] end
      if s == "exp" and not db then return a[2] * (b[2] / a[2]) ^ x end
      return a[2] + (b[2] - a[2]) * x
    end
  end
  return env[#env][2]
end

--- env:duration() -> time of the last point (s)
function methods.duration(env) return env[#env][1] end

--- env:points() -> a plain copy of the points
function methods.points(env)
  local out = {}
  for i, p in ipairs(env) do out[i] = {p[1], p[2], p[3]} end
  return out
end

mt.__tostring = function(env)
  return string.format("envelope (%d points, %g s)", #env, env[#env][1])
end

--- Samples fn(t) every `every` frames (default 64) at rate Hz over span
-- seconds into an envelope of linear segments; points on a straight line
-- with their neighbours are dropped. what names the parameter in errors.
function E.sample(fn, rate, span, every, what)
  every = every or 64
  local dt = every / rate
  local n = math.max(1, math.ceil(span / dt)) + 1
  local t, v = {}, {}
  for k = 0, n do
    local tk = k * dt
    local ok, val = pcall(fn, tk)
    if not ok then error(val, 0) end
    if not num(val) then
      error(string.format("%s: the automation function returned %s at %.6g s, want a number",
                          what or "envelope", tostring(val), tk), 0)
    end
    t[#t + 1], v[#v + 1] = tk, val
  end
  local pts = {{t[1], v[1]}}
  for k = 2, #t - 1 do
    local a = pts[#pts]
    -- value on the line from the last kept point to the next sample
    local x = (t[k] - a[1]) / (t[k + 1] - a[1])
    local line = a[2] + (v[k + 1] - a[2]) * x
    if math.abs(v[k] - line) > 1e-9 * (1 + math.abs(v[k])) then pts[#pts + 1] = {t[k], v[k]} end
  end
  pts[#pts + 1] = {t[#t], v[#v]}
  return setmetatable(pts, mt)
end

-- functions waiting for the render: graph -> list of {node, name, fn, key}
local pending = setmetatable({}, {__mode = "k"})

--- Called by x:automate(name, fn) (bind_automation.c): sample fn before g:run.
function E.defer(node, name, fn)
  local g = node:graph()
  pending[g] = pending[g] or {}
  local list = pending[g]
  for _, item in ipairs(list) do
    if item.node == node and item.name == name then
      item.fn, item.key = fn, nil
      return
    end
  end
  list[#list + 1] = {node = node, name = name, fn = fn}
end

--- Called by x:automate with an envelope or nil: a deferred function gives way.
function E.cancel(node, name)
  local list = pending[node:graph()]
  if not list then return end
  for i = #list, 1, -1 do
    if list[i].node == node and list[i].name == name then table.remove(list, i) end
  end
end

--- Called by g:run (bind_luanode.c) before it renders: samples every
-- function of time of this graph over the whole render.
function E.before_run(g)
  local list = pending[g]
  if not list or #list == 0 then return end
  g:compile()
  for _, item in ipairs(list) do
    local rate, span = item.node:timeline()
    if not span then
      error(string.format("%s: %s: cannot sample an automation function: the length of a source is unknown",
                          item.node:type(), item.name), 0)
    end
    local key = rate .. ":" .. span
    if item.key ~= key then
      local env = E.sample(item.fn, rate, span, 64, item.node:type() .. ": " .. item.name)
      item.node:automate(item.name, env)
      item.key = key
    end
  end
end

return E
