-- Sessions: a mix described as a Lua table, rendered by `mixdown mix`.
--
-- A session script returns a table: tracks (stem files or edited regions,
-- each with a chain of processors, a fader, a pan, sends), buses (groups and
-- effect returns) and the master section. `mixdown mix song.lua -o mix.wav`
-- renders it; relative file names are relative to the session file (or to
-- --stems DIR).
--
--   -- song.lua
--   local md = require "mixdown"
--   return {
--     rate = 48000,                       -- default: the first track's file rate
--     tracks = {
--       { name = "drums", file = "stems/drums.wav", volume = -3,
--         chain = function(x) return x:compressor{threshold = -18, ratio = 3} end,
--         bus = "band", sends = { {to = "room", level = -18} } },
--       { name = "bass", file = "stems/bass.wav", volume = -5, bus = "band",
--         chain = { {"highpass", freq = 35}, {"compressor", threshold = -20, ratio = 4} } },
--       { name = "lead", pan = -0.2,
--         volume = md.envelope{ {0, -60}, {2, -4} },           -- fades in over 2 s
--         regions = {                                         -- edited from two takes
--           {file = "stems/lead.wav", at = 0, from = 0, to = 8, fade_in = 0.01},
--           {file = "stems/lead2.wav", at = 7.5, from = 16, to = 30,   -- 0.5 s crossfade
--            fade_out = {3, "log"}},
--         },
--         sends = { {to = "echo", level = -12, pre = true} } },  -- pre-fader
--       { name = "pad", file = "stems/pad.wav", width = 1.4,
--         pan = function(t) return 0.3 * math.sin(2 * math.pi * t / 8) end },
--       { name = "guide", file = "stems/click.wav", mute = true },
--     },
--     buses = {
--       { name = "band", chain = function(x) return x:compressor{threshold = -12, ratio = 2} end },
--       { name = "room", chain = function(x) return x:reverb{decay = 1.6, mix = 1} end },
--       { name = "echo", chain = { {"delay", ms = 375, feedback = 0.35, mix = 1},
--                                  {"highpass", freq = 300} }, volume = -6 },
--     },
--     master = { chain = function(x) return x:eq{ {type = "highshelf", freq = 10000, gain = 1} } end,
--                preset = "pop", target = -14 },  -- optional: mastering preset, loudness target
--   }
--
-- Session: rate (Hz; default the first track's file rate), dir (base of
-- relative file names; default the session file's directory, --stems wins),
-- length (s: at least this long; default the end of the last track, muted
-- ones included), tracks, buses/returns, master.
--
-- Tracks (array of tables, or a table keyed by name):
--   name      the track's name (in errors, plans, --solo/--mute)
--   file      a stem (any format and rate, mono or stereo; resampled to the
--             session rate)  -- or --
--   regions   a list of regions, each {file, at, from, to | length, fade_in,
--             fade_out, fade, curve, gain}: `at` places it on the timeline
--             (s), `from`/`to` trim the file (s), fades are seconds or
--             {seconds, curve} with curve "linear", "equal_power" or "log",
--             `gain` is a clip gain (dB). Regions that overlap on a track
--             crossfade over the overlap (equal-power; the track's
--             `crossfade = "linear"` for copies of one take), unless the
--             fades are given.
--   chain     function(node) -> node, or a list of steps {"type", params...}
--             (or functions)
--   volume    fader, dB (default 0)   pan  -1..1 (default 0; a mono track is
--             panned with constant power, -3 dB each side at the center; a
--             stereo one balanced)   width  0..2 (stereo tracks)
--   mute, solo  booleans; with any solo, the tracks without are silent
--             (buses and returns keep playing)
--   bus       the bus it feeds (default: the mix bus)
--   sends     { {to = BUS, level = dB, pre = true|false, tap = "input"|"pre"|"post"} }
--             or {BUS = level}: "post" (default) after fader and pan, "pre"
--             after the chain before the fader, "input" before the chain
--             (a dry parallel path)
-- Buses and returns (`buses` and `returns` are the same thing; a return is a
-- bus that sends feed): name, chain, volume, pan, width, mute, bus, sends.
-- Buses feeding buses are fine; a loop is an error.
-- Master: chain, volume, and optionally preset (a mastering preset's name or
-- file), set = {param = value}, target (LUFS), ceiling (dBTP), platform: with
-- any of these the rendered mix is then mastered as `mixdown master` does it
-- (the command line's --preset/--target/... win over the session's).
--
-- Any volume, pan, width or send level may be a number, an md.envelope{...}
-- (breakpoints in seconds) or a function of time in seconds (sampled every 64
-- frames before the render). Processors inside chains take envelopes too:
-- x:highpass{freq = md.envelope{ {0, 20}, {4, 200, "exp"} }}.
--
-- Signal flow of a track:
--   file|regions -> [input] -> chain -> [pre] -> gain{volume} -> width -> pan -> [post] -> bus
-- Latency (lookahead limiters, linear-phase filters) is compensated wherever
-- paths meet, so parallel paths stay sample-aligned.
local md = require "mixdown"
local fs = require "mixdown.fs"

local S = {}

local TRACK_KEYS = {"name", "file", "regions", "chain", "volume", "pan", "width", "mute", "solo",
                    "bus", "sends", "crossfade"}
local BUS_KEYS = {"name", "chain", "volume", "pan", "width", "mute", "bus", "sends"}
local REGION_KEYS = {"file", "at", "from", "to", "length", "fade_in", "fade_out", "fade", "curve",
                     "gain"}
local SEND_KEYS = {"to", "level", "pre", "tap"}
local MASTER_KEYS = {"chain", "volume", "preset", "set", "target", "ceiling", "platform"}
local SESSION_KEYS = {"rate", "tracks", "buses", "returns", "master", "dir", "length"}
local CURVES = {linear = "linear", lin = "linear", equal_power = "equal_power",
                ["equal-power"] = "equal_power", log = "log", logarithmic = "log"}

local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function suggest(word, list)
  local best, bd = nil, 4
  for _, w in ipairs(list) do
    local d = distance(word, w)
    if d < bd then best, bd = w, d end
  end
  return best
end

-- a session error: "<file>: <where>: <what>"
local function fail(ctx, what, msg)
  error(string.format("%s: %s%s", ctx.file, what ~= "" and (what .. ": ") or "", msg), 0)
end

local function check_keys(ctx, what, t, keys)
  local known = {}
  for _, k in ipairs(keys) do known[k] = true end
  for k in pairs(t) do
    if type(k) ~= "string" then
      fail(ctx, what, string.format("unexpected value at position %s (fields are named: %s)",
                                    tostring(k), table.concat(keys, ", ")))
    elseif not known[k] then
      local s = suggest(k, keys)
      fail(ctx, what, string.format("unknown key '%s'%s", k,
                                    s and (" (did you mean '" .. s .. "'?)") or
                                    (" (known: " .. table.concat(keys, ", ") .. ")")))
    end
  end
end

local function is_auto(v)
  return type(v) == "function" or (type(v) == "table" and getmetatable(v) == md.envelope_mt)
end

-- a number, an envelope or a function; envelopes given as plain point lists
-- become envelopes. Returns the value or nil when absent.
local function level(ctx, what, key, v, lo, hi)
  if v == nil then return nil end
  if type(v) == "number" then
    if v ~= v or v < lo or v > hi then
      fail(ctx, what, string.format("%s must be within %g..%g, got %g", key, lo, hi, v))
    end
    return v
  end
  if is_auto(v) then return v end
  if type(v) == "table" then
    local ok, env = pcall(md.envelope, v)
    if ok then return env end
    fail(ctx, what, key .. ": " .. tostring(env):gsub("^[^:]*:%d+: ", ""))
  end
  fail(ctx, what, string.format("%s must be a number, md.envelope{...} or a function of time, got %s",
                                key, type(v)))
end

-- named list: array of {name = ...} or a table keyed by name -> array, sorted for maps
local function named_list(ctx, key, t)
  if t == nil then return {} end
  if type(t) ~= "table" then fail(ctx, "", key .. " must be a list of tables, got " .. type(t)) end
  local out = {}
  if #t > 0 then
    for i, item in ipairs(t) do
      if type(item) ~= "table" then
        fail(ctx, "", string.format("%s[%d] must be a table, got %s", key, i, type(item)))
      end
      if type(item.name) ~= "string" or item.name == "" then
        fail(ctx, "", string.format("%s[%d] needs a name", key, i))
      end
      out[#out + 1] = item
    end
  else
    local names = {}
    for k in pairs(t) do
      if type(k) ~= "string" then fail(ctx, "", key .. " must be a list or a table keyed by name") end
      names[#names + 1] = k
    end
    table.sort(names)
    for _, k in ipairs(names) do
      local item = t[k]
      if type(item) ~= "table" then
        fail(ctx, "", string.format("%s.%s must be a table, got %s", key, k, type(item)))
      end
      if item.name ~= nil and item.name ~= k then
        fail(ctx, "", string.format("%s.%s has name '%s'", key, k, tostring(item.name)))
      end
      local copy = {}
      for kk, vv in pairs(item) do copy[kk] = vv end
      copy.name = k
      out[#out + 1] = copy
    end
  end
  return out
end

local function resolve_path(ctx, p)
  if type(p) ~= "string" or p == "" then return nil end
  if p:sub(1, 1) == "/" then return p end
  return ctx.dir .. "/" .. p
end

local function probe(ctx, what, path)
  local info = ctx.probes[path]
  if info then return info end
  local err
  info, err = md.probe(path)
  if not info then fail(ctx, what, err) end
  if not info.frames then fail(ctx, what, path .. ": cannot tell its length") end
  ctx.probes[path] = info
  return info
end

-- --- validation -----------------------------------------------------------------

local function fade_of(ctx, what, key, v, default_curve)
  if v == nil then return nil end
  local len, curve = v, default_curve
  if type(v) == "table" then len, curve = v[1], v[2] or default_curve end
  if type(len) ~= "number" or len ~= len or len < 0 then
    fail(ctx, what, string.format("%s must be seconds >= 0 or {seconds, curve}, got %s", key, tostring(len)))
  end
  if not CURVES[curve] then
    fail(ctx, what, string.format("%s: curve must be linear, equal_power or log, got %s", key, tostring(curve)))
  end
  return {len = len, curve = CURVES[curve]}
end

local function check_region(ctx, tname, i, r)
  local what = string.format("track '%s': region %d", tname, i)
  if type(r) ~= "table" then fail(ctx, what, "must be a table, got " .. type(r)) end
  check_keys(ctx, what, r, REGION_KEYS)
  local path = resolve_path(ctx, r.file)
  if not path then fail(ctx, what, "needs a file") end
  local info = probe(ctx, what, path)
  local dur = info.frames / info.rate
  local function secs(key, v, default)
    if v == nil then return default end
    if type(v) ~= "number" or v ~= v or v < 0 then
      fail(ctx, what, string.format("%s must be seconds >= 0, got %s", key, tostring(v)))
    end
    return v
  end
  local at, from = secs("at", r.at, 0), secs("from", r.from, 0)
  if from >= dur then
    fail(ctx, what, string.format("from (%g s) is past the end of %s (%g s)", from, r.file, dur))
  end
  if r.to ~= nil and r.length ~= nil then fail(ctx, what, "give to or length, not both") end
  local to = secs("to", r.to, nil)
  if r.length ~= nil then to = from + secs("length", r.length, 0) end
  to = math.min(to or dur, dur)
  if to <= from then fail(ctx, what, string.format("to (%g s) must be after from (%g s)", to, from)) end
  local curve = r.curve or "linear"
  if not CURVES[curve] then
    fail(ctx, what, "curve must be linear, equal_power or log, got " .. tostring(curve))
  end
  local fade = fade_of(ctx, what, "fade", r.fade, curve)
  if r.gain ~= nil and (type(r.gain) ~= "number" or r.gain < -120 or r.gain > 24) then
    fail(ctx, what, "gain must be a number of dB within -120..24, got " .. tostring(r.gain))
  end
  return {path = path, file = r.file, at = at, from = from, to = to, dur = to - from,
          fade_in = fade_of(ctx, what, "fade_in", r.fade_in, curve) or fade,
          fade_out = fade_of(ctx, what, "fade_out", r.fade_out, curve) or fade,
          gain = r.gain, channels = info.channels, rate = info.rate}
end

-- overlapping regions crossfade over the overlap unless their fades are given
local function crossfades(track, regions)
  table.sort(regions, function(a, b) return a.at < b.at end)
  local curve = CURVES[track.crossfade or "equal_power"]
  for i = 2, #regions do
    local a, b = regions[i - 1], regions[i]
    local overlap = math.min(a.at + a.dur, b.at + b.dur) - b.at
    if overlap > 0 then
      a.fade_out = a.fade_out or {len = overlap, curve = curve}
      b.fade_in = b.fade_in or {len = overlap, curve = curve}
    end
  end
end

local function check_sends(ctx, what, sends)
  if sends == nil then return {} end
  if type(sends) ~= "table" then fail(ctx, what, "sends must be a list, got " .. type(sends)) end
  local out = {}
  if #sends == 0 then
    local names = {}
    for k in pairs(sends) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do out[#out + 1] = {to = k, level = sends[k]} end
  else
    for i, s in ipairs(sends) do
      if type(s) ~= "table" then fail(ctx, what, string.format("send %d must be a table, got %s", i, type(s))) end
      check_keys(ctx, string.format("%s: send %d", what, i), s, SEND_KEYS)
      out[#out + 1] = s
    end
  end
  local res = {}
  for i, s in ipairs(out) do
    local sw = string.format("%s: send %d", what, i)
    if type(s.to) ~= "string" then fail(ctx, sw, "needs to = the name of a bus or return") end
    local tap = s.tap or (s.pre and "pre" or "post")
    if tap ~= "input" and tap ~= "pre" and tap ~= "post" then
      fail(ctx, sw, "tap must be input, pre or post, got " .. tostring(tap))
    end
    res[#res + 1] = {to = s.to, level = level(ctx, sw, "level", s.level or 0, -120, 24), tap = tap}
  end
  return res
end

local function check_chain(ctx, what, chain)
  if chain == nil or type(chain) == "function" then return chain end
  if type(chain) ~= "table" then
    fail(ctx, what, "chain must be a function(node) or a list of steps, got " .. type(chain))
  end
  for i, step in ipairs(chain) do
    if type(step) ~= "function" and not (type(step) == "table" and type(step[1]) == "string") then
      fail(ctx, what, string.format("chain step %d must be {\"node\", params...} or a function", i))
    end
  end
  return chain
end

local function check_strip(ctx, what, t, keys)
  check_keys(ctx, what, t, keys)
  return {
    name = t.name,
    chain = check_chain(ctx, what, t.chain),
    volume = level(ctx, what, "volume", t.volume, -120, 48),
    pan = level(ctx, what, "pan", t.pan, -1, 1),
    width = level(ctx, what, "width", t.width, 0, 2),
    mute = t.mute == true,
    solo = t.solo == true,
    bus = t.bus,
    sends = check_sends(ctx, what, t.sends),
  }
end

--- Validates a session table; returns a normalized copy. opts: file (for
-- messages), dir (base of relative paths), solo/mute (lists of names).
function S.check(spec, opts)
  opts = opts or {}
  local ctx = {file = opts.file or "session", dir = opts.dir or ".", probes = {}}
  if type(spec) ~= "table" then fail(ctx, "", "a session must return a table, got " .. type(spec)) end
  check_keys(ctx, "", spec, SESSION_KEYS)
  if spec.dir ~= nil and not opts.dir_forced then
    if type(spec.dir) ~= "string" then fail(ctx, "", "dir must be a string") end
    ctx.dir = resolve_path(ctx, spec.dir)
  end
  local s = {ctx = ctx, tracks = {}, buses = {}, byname = {}}
  if spec.rate ~= nil and (type(spec.rate) ~= "number" or spec.rate < 1000 or spec.rate > 768000) then
    fail(ctx, "", "rate must be a sample rate in Hz, got " .. tostring(spec.rate))
  end
  s.rate = spec.rate
  if spec.length ~= nil and (type(spec.length) ~= "number" or spec.length < 0) then
    fail(ctx, "", "length must be seconds >= 0, got " .. tostring(spec.length))
  end

  local names = {}
  local function claim(kind, name)
    if names[name] then fail(ctx, "", string.format("two %s named '%s'", kind, name)) end
    if name == "mix" or name == "master" then
      fail(ctx, "", string.format("'%s' is reserved (the mix bus is where tracks go by default)", name))
    end
    names[name] = kind
  end
  for _, key in ipairs{"buses", "returns"} do
    for _, b in ipairs(named_list(ctx, key, spec[key])) do
      local what = string.format("bus '%s'", b.name)
      claim("buses", b.name)
      local bus = check_strip(ctx, what, b, BUS_KEYS)
      bus.kind = "bus"
      s.buses[#s.buses + 1] = bus
      s.byname[bus.name] = bus
    end
  end
  local tracks = named_list(ctx, "tracks", spec.tracks)
  if #tracks == 0 then fail(ctx, "", "no tracks (tracks = { {name = ..., file = ...}, ... })") end
  local length = spec.length or 0
  for _, t in ipairs(tracks) do
    local what = string.format("track '%s'", t.name)
    claim("tracks", t.name)
    local tr = check_strip(ctx, what, t, TRACK_KEYS)
    tr.kind = "track"
    if t.crossfade ~= nil and not CURVES[t.crossfade] then
      fail(ctx, what, "crossfade must be linear, equal_power or log, got " .. tostring(t.crossfade))
    end
    tr.crossfade = t.crossfade
    if (t.file == nil) == (t.regions == nil) then
      fail(ctx, what, "give either file or regions")
    end
    if t.file ~= nil then
      tr.path = resolve_path(ctx, t.file)
      if not tr.path then fail(ctx, what, "file must be a file name, got " .. tostring(t.file)) end
      local info = probe(ctx, what, tr.path)
      tr.channels, tr.file_rate = info.channels, info.rate
      tr["end"] = info.frames / info.rate
    else
      if type(t.regions) ~= "table" or #t.regions == 0 then
        fail(ctx, what, "regions must be a non-empty list of {file, at, from, to, ...}")
      end
      tr.regions = {}
      tr.channels = 1
      tr["end"] = 0
      for i, r in ipairs(t.regions) do
        local reg = check_region(ctx, t.name, i, r)
        tr.regions[i] = reg
        tr.channels = math.max(tr.channels, reg.channels)
        tr.file_rate = tr.file_rate or reg.rate
        tr["end"] = math.max(tr["end"], reg.at + reg.dur)
      end
      crossfades(tr, tr.regions)
    end
    if tr.width ~= nil and tr.channels ~= 2 then
      fail(ctx, what, "width needs a stereo track, this one has " .. tr.channels .. " channel(s)")
    end
    length = math.max(length, tr["end"])
    s.tracks[#s.tracks + 1] = tr
    s.byname[tr.name] = tr
  end
  s.length = length

  -- routing targets exist
  for _, list in ipairs{s.tracks, s.buses} do
    for _, x in ipairs(list) do
      local what = string.format("%s '%s'", x.kind, x.name)
      if x.bus ~= nil then
        local b = s.byname[x.bus]
        if not b or b.kind ~= "bus" then
          local all = {}
          for _, bb in ipairs(s.buses) do all[#all + 1] = bb.name end
          local sug = suggest(tostring(x.bus), all)
          fail(ctx, what, string.format("bus '%s' does not exist%s", tostring(x.bus),
                                        sug and (" (did you mean '" .. sug .. "'?)") or ""))
        end
      end
      for i, snd in ipairs(x.sends) do
        local b = s.byname[snd.to]
        if not b or b.kind ~= "bus" then
          local all = {}
          for _, bb in ipairs(s.buses) do all[#all + 1] = bb.name end
          local sug = suggest(snd.to, all)
          fail(ctx, string.format("%s: send %d", what, i),
               string.format("'%s' is not a bus or return%s", snd.to,
                             sug and (" (did you mean '" .. sug .. "'?)") or ""))
        end
        if b == x then fail(ctx, string.format("%s: send %d", what, i), "a bus cannot send to itself") end
      end
    end
  end

  -- solo and mute from the command line
  for _, key in ipairs{"solo", "mute"} do
    for _, name in ipairs(opts[key] or {}) do
      local x = s.byname[name]
      if not x then
        local all = {}
        for n in pairs(s.byname) do all[#all + 1] = n end
        table.sort(all)
        local sug = suggest(name, all)
        fail(ctx, "", string.format("--%s: no track or bus named '%s'%s", key, name,
                                    sug and (" (did you mean '" .. sug .. "'?)") or ""))
      end
      if key == "solo" and x.kind ~= "track" then
        fail(ctx, "", string.format("--solo: '%s' is a bus; solo applies to tracks", name))
      end
      x[key] = true
    end
  end

  local m = spec.master or {}
  if type(m) ~= "table" then fail(ctx, "", "master must be a table, got " .. type(m)) end
  check_keys(ctx, "master", m, MASTER_KEYS)
  s.master = {
    chain = check_chain(ctx, "master", m.chain),
    volume = level(ctx, "master", "volume", m.volume, -120, 48),
    preset = m.preset, set = m.set, target = m.target, ceiling = m.ceiling, platform = m.platform,
  }
  if m.preset ~= nil and type(m.preset) ~= "string" then fail(ctx, "master", "preset must be a name or a file") end
  if m.set ~= nil and type(m.set) ~= "table" then fail(ctx, "master", "set must be a table {param = value}") end
  for _, k in ipairs{"target", "ceiling"} do
    if m[k] ~= nil and type(m[k]) ~= "number" then fail(ctx, "master", k .. " must be a number") end
  end
  return s
end

-- --- building the graph -------------------------------------------------------------

local function apply_chain(ctx, what, x, chain)
  if chain == nil then return x end
  if type(chain) == "function" then
    local y = chain(x)
    if not md.is_node(y) then
      fail(ctx, what, "chain must return a node, got " .. type(y))
    end
    return y
  end
  for i, step in ipairs(chain) do
    if type(step) == "function" then
      x = step(x)
      if not md.is_node(x) then fail(ctx, what, string.format("chain step %d must return a node", i)) end
    else
      -- {"eq", band, band, ...} -> x:eq{band, band}; named fields stay named
      local params = {}
      for k, v in pairs(step) do
        if math.type(k) == "integer" then
          if k > 1 then params[k - 1] = v end
        else
          params[k] = v
        end
      end
      local ok, y = pcall(function() return x[step[1]](x, params) end)
      if not ok then
        fail(ctx, string.format("%s: chain step %d", what, i),
             tostring(y):gsub("^[^:]*mixdown%.session%.lua:%d+: ", ""))
      end
      x = y
    end
  end
  return x
end

-- Runs f(...); an error raised from this file's own calls (the engine's
-- message with our position in front) gets the session's file and the
-- track's name instead; errors with the user's position pass unchanged.
local function guard(ctx, what, f, ...)
  local ok, a, b = pcall(f, ...)
  if ok then return a, b end
  local msg = tostring(a)
  local bare = msg:match("^mixdown%.session%.lua:%d+: (.*)$")
  if bare then error(string.format("%s: %s: %s", ctx.file, what, bare), 0) end
  error(a, 0)
end

-- the fader section of a track or bus: volume, width, pan; returns the output
local function fader(strip, x, channels)
  local gain = x:gain{db = strip.volume or 0}
  gain:label(strip.name .. " volume")
  x = gain
  if strip.width ~= nil then x = x:width{amount = strip.width} end
  if strip.pan ~= nil or channels == 1 then
    x = x:pan{pos = strip.pan or 0}
    x:label(strip.name .. " pan")
  end
  return x
end

-- a send level: a static gain on the mix edge, or a gain node when automated
local function send_input(tapnode, snd)
  if is_auto(snd.level) then
    return {tapnode:gain{db = snd.level}, gain = 0}
  end
  return {tapnode, gain = snd.level}
end

--- Builds the graph of a checked session (S.check). Returns the graph, the
-- master node (before any output) and a summary.
function S.build(s)
  local ctx = s.ctx
  local g = md.graph{rate = s.rate or s.tracks[1].file_rate}
  local inputs = {}           -- bus name (or "mix") -> list of {node, gain = dB}
  local function feed(target, entry)
    local key = target or "mix"
    inputs[key] = inputs[key] or {}
    table.insert(inputs[key], entry)
  end
  local any_solo = false
  for _, t in ipairs(s.tracks) do any_solo = any_solo or t.solo end
  local active = 0
  for _, t in ipairs(s.tracks) do
    local what = string.format("track '%s'", t.name)
    local silent = t.mute or (any_solo and not t.solo)
    if not silent then
      active = active + 1
      local src
      if t.path then
        src = g:file(t.path)
        src:label(t.name)
      else
        local regs = {}
        for i, r in ipairs(t.regions) do
          local params = {path = r.path, at = r.at, from = r.from, to = r.to, gain = r.gain}
          if r.fade_in then params.fade_in, params.fade_in_curve = r.fade_in.len, r.fade_in.curve end
          if r.fade_out then params.fade_out, params.fade_out_curve = r.fade_out.len, r.fade_out.curve end
          local node = g:region(params)
          node:label(string.format("%s region %d", t.name, i))
          regs[#regs + 1] = node
        end
        src = #regs == 1 and regs[1] or g:mix(regs)
        if #regs > 1 then src:label(t.name .. " regions") end
      end
      local taps = {input = src}
      local x = apply_chain(ctx, what, src, t.chain)
      taps.pre = x
      x = guard(ctx, what, fader, t, x, t.channels)
      taps.post = x
      feed(t.bus, {x})
      for i, snd in ipairs(t.sends) do
        feed(snd.to, guard(ctx, what .. ": send " .. i, send_input, taps[snd.tap], snd))
      end
    end
  end
  if active == 0 then fail(ctx, "", "nothing to mix: every track is muted") end

  -- buses in dependency order (a bus is built once everything feeding it is)
  local feeds = {} -- bus -> buses it feeds
  for _, b in ipairs(s.buses) do
    local out = {}
    if b.bus then out[#out + 1] = b.bus end
    for _, snd in ipairs(b.sends) do out[#out + 1] = snd.to end
    feeds[b.name] = out
  end
  local state, order = {}, {}
  local function visit(name, path)
    if state[name] == 2 then return end
    if state[name] == 1 then
      fail(ctx, "", "buses feed each other in a loop: " .. table.concat(path, " -> ") .. " -> " .. name)
    end
    state[name] = 1
    path[#path + 1] = name
    -- upstream: every bus that feeds this one
    for _, b in ipairs(s.buses) do
      for _, target in ipairs(feeds[b.name]) do
        if target == name then visit(b.name, path) end
      end
    end
    path[#path] = nil
    state[name] = 2
    order[#order + 1] = name
  end
  for _, b in ipairs(s.buses) do visit(b.name, {}) end
  for _, name in ipairs(order) do
    local b = s.byname[name]
    local list = inputs[name]
    if list and #list > 0 and not b.mute then
      local what = string.format("bus '%s'", name)
      local x = g:mix(list)
      x:label(name)
      local taps = {input = x}
      x = apply_chain(ctx, what, x, b.chain)
      taps.pre = x
      x = guard(ctx, what, fader, b, x, 2)
      taps.post = x
      feed(b.bus, {x})
      for i, snd in ipairs(b.sends) do
        feed(snd.to, guard(ctx, what .. ": send " .. i, send_input, taps[snd.tap], snd))
      end
    end
  end

  -- the mix bus, held to the session's length (muted tracks included) by silence
  local list = inputs.mix or {}
  if s.length > 0 then list[#list + 1] = {g:silence{duration = s.length}} end
  local mix = g:mix(list)
  mix:label("mix")
  local x = apply_chain(ctx, "master", mix, s.master.chain)
  if s.master.volume ~= nil then
    x = guard(ctx, "master", function() return x:gain{db = s.master.volume} end)
    x:label("master volume")
  end
  return g, x, {length = s.length, tracks = active}
end

-- --- mastering at the end: `mixdown master` on the rendered mix ----------------------

--- The arguments of `mixdown master` that finish this session, or nil when it
-- has no mastering (no preset, target, ceiling or platform). opts (the
-- command line's preset, set = {"K=V", ...}, target, ceiling, platform, bits,
-- rate) win over the session's master table, which wins over the preset's own
-- target, which wins over spotify (the DESIGN precedence).
function S.master_args(s, opts)
  opts = opts or {}
  local m = s.master
  local preset = opts.preset or m.preset
  local target, platform, ceiling = m.target, m.platform, m.ceiling
  if opts.target or opts.platform then target, platform = opts.target, opts.platform end
  if opts.ceiling then ceiling = opts.ceiling end
  if not (preset or target or platform or ceiling) then return nil end
  local args = {}
  local function add(...) for _, v in ipairs{...} do args[#args + 1] = tostring(v) end end
  if preset then add("--preset", preset) end
  local names = {}
  for k in pairs(m.set or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do add("--set", k .. "=" .. tostring(m.set[k])) end
  for _, kv in ipairs(opts.set or {}) do add("--set", kv) end
  if target then add("--target", target) end
  if platform then add("--platform", platform) end
  if ceiling then add("--ceiling", ceiling) end
  if opts.bits then add("--bits", opts.bits) end
  if opts.rate then add("--rate", opts.rate) end
  add("--quiet")
  return args
end

local function temp_beside(path)
  local dir, base = path:match("^(.*)/([^/]*)$")
  if not dir then dir, base = ".", path end
  if dir == "" then dir = "/" end
  return string.format("%s/.%s.%d.mix.wav", dir, base:gsub("%.[^.]*$", ""), fs.pid())
end

--- Renders the mix (a checked session's graph g, ending at x) to out, through
-- `mixdown master` when margs (S.master_args) is given: the mix goes to a
-- 32-bit float file beside out, which master reads and removes. Returns the
-- exit code (master's: 1 when a delivered file misses its target).
function S.deliver(g, x, out, wopts, margs, progress)
  if not margs then
    x:write(out, wopts or {})
    g:run{progress = progress}
    return 0
  end
  local tmp = temp_beside(out)
  local ok, res = pcall(function()
    x:write(tmp, {bits = "32f"})
    g:run{progress = progress}
    local args = {tmp, "-o", out}
    for _, a in ipairs(margs) do args[#args + 1] = a end
    return require("mixdown.master").main(args)
  end)
  fs.remove(tmp)
  if not ok then error(res, 0) end
  return res or 0
end

-- --- loading ---------------------------------------------------------------------------

local function dirname(path)
  local d = path:match("^(.*)/[^/]*$")
  if d == nil then return "." end
  if d == "" then return "/" end
  return d
end

--- Loads a session script (a file, or a session embedded in the binary by
-- name: "band" -> recipes/sessions/band.lua). Returns the table it returns,
-- the name for messages and its directory.
function S.load(path)
  local chunk, err
  local dir = dirname(path)
  if fs.stat(path) == "file" then
    chunk, err = loadfile(path, "t")
  else
    local name = path:match("^([%w_%-]+)$") and ("recipes/sessions/" .. path .. ".lua") or path
    local src = md.embedded(name)
    if not src then
      error(string.format("%s: cannot open: No such file or directory%s", path,
                          path:match("^[%w_%-]+$") and " (nor a built-in session of that name)" or ""), 0)
    end
    chunk, err = load(src, "@" .. name, "t")
    dir = "."
  end
  if not chunk then error(err, 0) end
  local spec = chunk()
  return spec, path, dir
end

--- Renders a session to a file. spec: a table or a path; opts: out (path),
-- write (node:write options: bits, rate), dir, solo, mute, and the mastering
-- options of S.master_args (preset, set, target, ceiling, platform);
-- progress; dry_run (returns the plan, renders nothing). Returns a summary
-- table and the exit code.
function S.render(spec, opts)
  opts = opts or {}
  local file, dir = opts.file, opts.dir
  if type(spec) == "string" then
    local d
    spec, file, d = S.load(spec)
    dir = dir or d
  end
  local s = S.check(spec, {file = file or "session", dir = dir or ".", dir_forced = opts.dir ~= nil,
                           solo = opts.solo, mute = opts.mute})
  local g, x, info = S.build(s)
  local w = opts.write or {}
  local margs = S.master_args(s, {preset = opts.preset, set = opts.set, target = opts.target,
                                  ceiling = opts.ceiling, platform = opts.platform,
                                  bits = w.bits, rate = w.rate})
  info.master = margs
  if opts.dry_run then
    info.plan = g:plan()
    return info, 0
  end
  local code = S.deliver(g, x, opts.out, w, margs, opts.progress)
  return info, code
end

S.fail = fail
return S
