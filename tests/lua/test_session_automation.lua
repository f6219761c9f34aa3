-- test_session_automation.lua - automation in sessions and recipes:
--   - a track's volume envelope -60 -> 0 dB over 2 s, linear in dB, matches
--     20 log10(level) = -60 + 30 t within 0.1 dB at 20 points;
--   - a function of time is sampled (every 64 frames) and follows the
--     function within 0.01 dB;
--   - a pan envelope follows the constant-power law cos/sin((pos + 1) pi / 4);
--   - an automated send level; a filter frequency envelope in a chain;
--   - envelopes behind a lookahead limiter stay on timeline time;
--   - env:at() agrees with the engine; bad envelopes name file, line and value.
local md = require "mixdown"
local S = require "mixdown.session"
local U = dofile(os.getenv("MD_TEST_DIR") .. "/lua/session_util.lua")
local check, near = U.check, U.near
local R = 48000

local half = U.signal(3 * R, function() return 0.5 end)
U.write_wav(U.path("dc.wav"), R, {half, half})
U.write_wav(U.path("dcmono.wav"), R, {half})

local function render(name, spec)
  local out = U.path(name .. ".wav")
  S.render(spec, {out = out, write = {bits = "32f"}, dir = U.dir, file = name .. ".lua", progress = false})
  return U.read_wav(out)
end

-- --- the volume ramp of the issue's test --------------------------------------------
do
  local out = render("ramp", {rate = R, tracks = {
    {name = "t", file = "dc.wav", volume = md.envelope{ {0, -60}, {2, 0} }}}})
  local worst, fails = 0, 0
  for k = 0, 19 do
    local t = 0.05 + 0.1 * k
    local got = U.db(out[1][math.floor(t * R + 0.5) + 1] / 0.5)
    local want = -60 + 30 * t
    worst = math.max(worst, math.abs(got - want))
    if math.abs(got - want) > 0.1 then fails = fails + 1 end
  end
  check("volume envelope -60 -> 0 dB over 2 s: 20 points within 0.1 dB of -60 + 30 t", fails == 0,
        string.format("%d misses, worst %.4f dB", fails, worst))
  print(string.format("     worst deviation %.2e dB", worst))
  check("after the last point the level holds (0 dB at 2.5 s)", near(out[1][2.5 * R] , 0.5, 1e-6), out[1][2.5 * R])
  check("both channels follow", out[2][R + 1] == out[1][R + 1], out[2][R + 1])
  -- "exp" on a dB parameter is the same line in dB (the issue's example)
  local out2 = render("ramp_exp", {rate = R, tracks = {
    {name = "t", file = "dc.wav", volume = md.envelope{ {0, -60}, {2, 0, "exp"} }}}})
  local same = true
  for i = 1, out2.frames, 997 do if out2[1][i] ~= out[1][i] then same = false; break end end
  check("exp segment on a dB parameter equals the line in dB", same)
end

-- --- a function of time ------------------------------------------------------------------
do
  local function f(t) return -20 + 10 * math.sin(2 * math.pi * t) end
  local out = render("fn", {rate = R, tracks = {{name = "t", file = "dc.wav", volume = f}}})
  local worst = 0
  for k = 0, 19 do
    local t = 0.07 + 0.13 * k
    local got = U.db(out[1][math.floor(t * R + 0.5) + 1] / 0.5)
    worst = math.max(worst, math.abs(got - f(math.floor(t * R + 0.5) / R)))
  end
  check("function automation follows the function within 0.01 dB (20 points)", worst < 0.01, worst)
end

-- --- pan law under automation ----------------------------------------------------------
do
  local out = render("pan", {rate = R, tracks = {
    {name = "m", file = "dcmono.wav", pan = md.envelope{ {0, -1}, {2, 1} }}}})
  local worst = 0
  for k = 0, 19 do
    local t = 0.05 + 0.1 * k
    local i = math.floor(t * R + 0.5)
    local pos = -1 + i / R  -- the envelope, again
    local th = (pos + 1) * math.pi / 4
    worst = math.max(worst, math.abs(out[1][i + 1] - 0.5 * math.cos(th)),
                     math.abs(out[2][i + 1] - 0.5 * math.sin(th)))
  end
  check("pan envelope -1 -> 1: L = x cos, R = x sin of (pos + 1) pi/4", worst < 1e-6, worst)
end

-- --- an automated send level, and a chain parameter automated ------------------------------
do
  local out = render("send", {rate = R, tracks = {
    {name = "t", file = "dcmono.wav", volume = -120,
     sends = { {to = "r", pre = true, level = md.envelope{ {0, -40}, {1, -40}, {1, -6, "hold"} }} }}},
    buses = { {name = "r"} }})
  -- the bus is mono (one mono send), copied to both sides of the mix at 0 dB
  check("send level envelope: -40 dB before 1 s (pre-fader, fader at -120)", near(U.db(out[1][R // 2] / 0.5), -40, 0.01), out[1][R // 2])
  check("send level envelope: -6 dB after 1 s (hold)", near(U.db(out[1][R + 100] / out[1][R // 2]), 34, 0.01), out[1][R + 100])

  -- highpass sweeping 20 Hz -> 2 kHz removes DC gradually: a DC input dies once the
  -- filter is in place, but the envelope keeps the start untouched
  local g = md.graph{rate = R}
  local x = g:file(U.path("dcmono.wav")):highpass{freq = md.envelope{ {0, 20}, {1, 2000, "exp"} }}
  x:write(U.path("hp.wav"), {bits = "32f"})
  g:run{progress = false}
  local h = U.read_wav(U.path("hp.wav"))
  check("control-rate automation in a recipe renders (highpass freq envelope)", h.frames == 3 * R and math.abs(h[1][2 * R]) < 1e-3, h[1][2 * R])
end

-- --- timeline time behind a lookahead limiter -----------------------------------------------
do
  -- the track's chain has a limiter (latency 5 ms); its fader steps at exactly 1 s
  local out = render("latency", {rate = R, tracks = {
    {name = "t", file = "dcmono.wav", chain = function(x) return x:limiter{ceiling = 0, lookahead = 5} end,
     volume = md.envelope{ {0, 0}, {1, -20, "hold"} }}}})
  local step
  for i = 2, out.frames do
    if out[1][i] < out[1][i - 1] * 0.5 then step = i - 1; break end
  end
  check("an envelope after a lookahead limiter acts at timeline 1 s (frame 48000)", step == 48000, step)
end

-- --- env:at() and the engine agree ------------------------------------------------------
do
  local env = md.envelope{ {0, 100}, {1, 1600, "exp"}, {2, 200}, {2, 50}, {3, 50, "hold"} }
  check("env:at exp: 400 Hz half way from 100 to 1600", near(env:at(0.5), 400, 1e-9), env:at(0.5))
  check("env:at lin", near(env:at(1.5), 900, 1e-9), env:at(1.5))
  check("env:at after a jump at one time", env:at(2) == 50, env:at(2))
  check("env:at before the first and after the last point", env:at(-1) == 100 and env:at(9) == 50)
  check("tostring(envelope)", tostring(env):match("5 points"))
end

-- --- errors: recipe file and line, the parameter and the value --------------------------
do
  local function run_chunk(src)
    local f = assert(load(src, "=auto.lua", "t", setmetatable({md = md, U = U}, {__index = _G})))
    return f()
  end
  U.checkerr("out-of-range breakpoint names line, param, value and time",
    "^auto%.lua:2: gain: db must be within %-120%.%.48 dB, got 60 %(envelope at 1 s%)$",
    run_chunk, "local g = md.graph{rate = 48000}\nlocal x = g:sine{duration = 1}:gain{db = md.envelope{ {0, 0}, {1, 60} }}")
  U.checkerr("exp segment through zero on a plain parameter",
    "^auto%.lua:2: pan: pos: an exp segment needs two values of one sign",
    run_chunk, "local g = md.graph{rate = 48000}\nlocal x = g:sine{duration = 1}:pan{pos = md.envelope{ {0, -1}, {1, 1, 'exp'} }}")
  U.checkerr("malformed envelope point", "^auto%.lua:1: envelope: point 2: time must be a number of seconds >= 0, got x$",
    run_chunk, "local e = md.envelope{ {0, 1}, {'x', 2} }")
  U.checkerr("decreasing times", "^auto%.lua:1: envelope: point 2: times must not decrease",
    run_chunk, "local e = md.envelope{ {1, 1}, {0.5, 2} }")
  U.checkerr("a non-number parameter cannot be automated",
    "^auto%.lua:2: highpass: order cannot be automated: envelopes need a number",
    run_chunk, "local g = md.graph{rate = 48000}\nlocal x = g:sine{duration = 1}:highpass{freq = 100, order = md.envelope{ {0, 2} }}")
  U.checkerr("x:set with an envelope checks it too",
    "^auto%.lua:2: gain: unknown parameter 'dbb' %(did you mean 'db'%?%)$",
    run_chunk, "local g = md.graph{rate = 48000}\nlocal x = g:sine{duration = 1}:gain{}; x:set('dbb', md.envelope{ {0, 1} })")
  U.checkerr("a function returning a non-number is reported at g:run",
    "^auto%.lua:4: gain: db: the automation function returned nil at 0%.5",
    run_chunk, "local g = md.graph{rate = 48000}\nlocal x = g:sine{duration = 1}:gain{db = function(t) if t < 0.5 then return 0 end end}\n" ..
               "x:write(U.path('nope.wav'))\ng:run{progress = false}")
  local f = io.open(U.path("nope.wav"))
  check("no output after a failing automation function", f == nil)
  if f then f:close() end
  -- session level: the file and the track
  U.checkerr("session: volume out of range names the track",
    "^bad%.lua: track 't': volume must be within %-120%.%.48, got 60$",
    function() S.check({tracks = { {name = "t", file = "dc.wav", volume = 60} }}, {file = "bad.lua", dir = U.dir}) end)
  U.checkerr("session: a plain list of points is taken as an envelope and checked",
    "^bad%.lua: track 't': pan: envelope: point 1",
    function() S.check({tracks = { {name = "t", file = "dc.wav", pan = { {-1, 0} }} }}, {file = "bad.lua", dir = U.dir}) end)
end

U.finish()
