-- test_core.lua - the Lua API end to end: graphs, sources at other rates,
-- write options, meters, latency compensation, error messages.
-- Run by ctest as `mixdown run test_core.lua` in a scratch directory.
local md = require "mixdown"

local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir -p " .. tmp))
local function path(name) return tmp .. "/" .. name end
local failures, passes = 0, 0
local function check(name, cond, msg)
  if cond then passes = passes + 1; print("ok   " .. name)
  else failures = failures + 1; print("FAIL " .. name .. ": " .. tostring(msg)) end
end
local function near(a, b, tol) return a and b and math.abs(a - b) <= tol end

-- material: a 48 kHz stereo sine and a 44.1 kHz mono noise, written by mixdown itself
do
  local g = md.graph{rate = 48000}
  g:sine{freq = 1000, db = -12, duration = 2, channels = 2}:write(path("s48.wav"), {bits = 24})
  g:run{progress = false}
  local g2 = md.graph{rate = 44100}
  g2:noise{color = "pink", db = -30, duration = 3, seed = 7}:write(path("n44.wav"), {bits = 24})
  g2:run{progress = false}
end

-- sources at different rates meet: the second is resampled to the graph rate
do
  local g = md.graph()               -- rate from the first file: 44.1 kHz
  local a = g:file(path("n44.wav"))
  local b = g:file(path("s48.wav"))
  local m = g:mix{a, b}:meter()
  g:mix{a, b}:write(path("mixed.wav"))
  g:run{progress = false}
  local r = m:result()
  check("graph rate comes from the first file", r.sample_rate == 44100, r.sample_rate)
  check("length is the longest source at the graph rate", r.frames == 3 * 44100, r.frames)
  local info = md.probe(path("mixed.wav"))
  check("mixed file is stereo (mono copied to both channels)", info.channels == 2, info.channels)
  -- the 1 kHz tone survives resampling at its level: -12 dBFS peak -> sine RMS -15.01 dBFS
  local g2 = md.graph()
  local t = g2:file(path("s48.wav")):resample{rate = 44100}:meter()
  g2:run{progress = false}
  local rr = t:result()
  check("resample node: length round(2 s x 44100)", math.abs(rr.frames - 88200) <= 1, rr.frames)
  check("resample node: level kept", near(rr.rms_dbfs, -15.01, 0.05), rr.rms_dbfs)
end

-- write{rate = ...} resamples; Opus is written at 48 kHz
do
  local g = md.graph()
  local x = g:file(path("n44.wav"))
  x:write(path("r96.flac"), {rate = 96000, bits = 24})
  x:write(path("o.opus"))
  g:run{progress = false}
  local i1, i2 = md.probe(path("r96.flac")), md.probe(path("o.opus"))
  check("write rate 96 kHz", i1 and i1.rate == 96000 and math.abs(i1.frames - 288000) <= 1, i1 and i1.frames)
  check("opus written at 48 kHz", i2 and i2.rate == 48000, i2 and i2.rate)
end

-- a lookahead limiter and a dry parallel path stay sample-aligned: x - x nulls
do
  local g = md.graph()
  local x = g:file(path("n44.wav"))
  local lim = x:limiter{ceiling = -0.1, lookahead = 5}     -- far above the material: transparent
  local null = g:mix{ lim, {x, gain = 0} }                 -- compensated dry path
  local m1 = null:meter()
  -- aligned, lim + x is x doubled (+6.02 dB); one sample off, noise would sum near +3 dB
  local m0 = x:meter()
  g:run{progress = false}
  local a, b = m1:result().rms_dbfs, m0:result().rms_dbfs
  check("parallel paths aligned (sum = +6.02 dB)", near(a - b, 6.0206, 0.001), a - b)
  check("plan shows the compensation delay", tostring(g):match("delay%)") ~= nil, tostring(g))
end

-- errors carry the script position and the parameter
do
  local ok, err = pcall(function() md.graph():sine{freq = -5} end)
  check("range error names the parameter", not ok and err:match("sine: freq must be >= ") ~= nil, err)
  local ok2, err2 = pcall(function() local g = md.graph(); g:file(path("n44.wav")):eq{ {type = "bel"} } end)
  check("enum error lists the choices", not ok2 and err2:match("must be one of bell") ~= nil, err2)
  local ok3, err3 = pcall(function() local g = md.graph(); g:file(path("n44.wav")):gain{db = 1}; g:run{progress = false} end)
  check("a graph without output is refused", not ok3 and err3:match("no output") ~= nil, err3)
end

-- dot and plan
do
  local g = md.graph()
  g:file(path("n44.wav")):highpass{freq = 40}:write(path("hp.wav"))
  local dot = g:dot()
  check("dot is Graphviz", dot:match("^digraph") and dot:match("n1 %-> n2") ~= nil, dot)
end

os.execute("rm -rf " .. tmp)
print(string.format("%d passed, %d failed", passes, failures))
if failures > 0 then error(failures .. " Lua-level checks failed", 0) end
