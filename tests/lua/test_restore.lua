-- test_restore.lua - mixdown.restore.noise_profile and denoise/dehum from Lua:
-- the measured noise spectrum against the known level of the noise, denoise
-- with it (noise = ...) and with a span (profile = {start, stop}), errors.
-- Run by ctest as `mixdown run test_restore.lua` in a scratch directory.
local md = require "mixdown"
local restore = require "mixdown.restore"

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

-- material: 8 s of stereo white noise at -40 dBFS RMS, 44.1 kHz, float
do
  local g = md.graph{rate = 44100}
  g:noise{color = "white", db = -40, duration = 8, channels = 2, seed = 3}
   :write(path("hiss.wav"), {bits = 32, float = true})
  g:run{progress = false}
end

-- the profile of 5..7 s: white noise of RMS r reads 20 log10 r - 10 log10(fs / 2)
-- dB per Hz at every frequency
local prof = restore.noise_profile(path("hiss.wav"), 5, 7)
do
  local want = -40 - 10 * math.log(22050, 10)
  local sum, n, worst = 0, 0, 0
  for _, p in ipairs(prof) do
    if p.freq > 100 and p.freq < 20000 then
      sum, n = sum + p.db, n + 1
      worst = math.max(worst, math.abs(p.db - want))
    end
  end
  check("profile points from 20 Hz to Nyquist", #prof > 200 and prof[#prof].freq > 20000, #prof)
  check("profile level: mean within 0.3 dB of the noise's", near(sum / n, want, 0.3), sum / n - want)
  check("profile level: every 1/24 octave within 3 dB", worst < 3, worst)
  local rising = true
  for i = 2, #prof do rising = rising and prof[i].freq > prof[i - 1].freq end
  check("profile frequencies rise", rising)
end

-- denoise with the measured noise takes the hiss down to its floor, at once
-- (no delay: latency is the STFT's only)
do
  local g = md.graph()
  local x = g:file(path("hiss.wav"))
  local d = x:denoise{noise = prof, amount = 1, floor = -24}
  local m = d:meter()
  local m0 = x:meter()
  g:run{progress = false}
  local a, b = m:result().rms_dbfs, m0:result().rms_dbfs
  check("denoise{noise = profile}: hiss down 24 dB", near(a - b, -24, 1.0), a - b)
end

-- denoise{profile = {start, stop}} learns the span in the stream: the same
do
  local g = md.graph()
  local x = g:file(path("hiss.wav"))
  local m = x:denoise{profile = {1, 3}, amount = 1, floor = -24}:meter()
  local m0 = x:meter()
  g:run{progress = false}
  local r = m:result()
  check("denoise{profile = {1, 3}}: hiss down 24 dB",
        near(r.rms_dbfs - m0:result().rms_dbfs, -24, 1.0), r.rms_dbfs - m0:result().rms_dbfs)
  check("denoise with a span: the output keeps the input's length", r.frames == 8 * 44100, r.frames)
end

-- dehum from Lua: freq = "auto" accepted, a 60 Hz hum (3 harmonics) found and removed
do
  local g = md.graph{rate = 44100}
  g:mix{ g:sine{freq = 60, db = -20, duration = 6, channels = 2},
         g:sine{freq = 120, db = -26, duration = 6, channels = 2},
         g:sine{freq = 180, db = -30, duration = 6, channels = 2},
         g:noise{db = -40, duration = 6, channels = 2, seed = 4} }
   :write(path("hum.wav"), {bits = 32, float = true})
  g:run{progress = false}
  local g2 = md.graph()
  g2:file(path("hum.wav")):dehum{freq = "auto", harmonics = 3}:write(path("dehummed.wav"), {bits = 32, float = true})
  g2:run{progress = false}
  -- from 1 s on (the notches settle with a time constant of q / (pi f) = 0.16 s),
  -- what is left is the -40 dBFS noise (minus the notched slivers)
  local g3 = md.graph()
  local m = g3:region{path = path("dehummed.wav"), from = 1, to = 6}:meter()
  g3:run{progress = false}
  check("dehum{freq = 'auto'}: the 60 Hz hum is gone", near(m:result().rms_dbfs, -40, 0.3),
        m:result().rms_dbfs)
end

-- errors name the function and the values; positions are the caller's
do
  local ok, err = pcall(restore.noise_profile, path("hiss.wav"), 3, 2)
  check("stop before start refused", not ok and err:match("noise_profile: needs 0 <= start < stop") ~= nil, err)
  ok, err = pcall(function()
    local g = md.graph()
    g:noise{duration = 1}:denoise{profile = {1}}:meter()
    g:run{progress = false}
  end)
  check("a profile of one value is refused", not ok and err:match("denoise: profile must be {start, stop}") ~= nil, err)
  ok, err = pcall(function() md.graph():noise{duration = 1}:denoise{mode = "voice"} end)
  check("bad mode names the parameter", not ok and err:match("denoise: mode") ~= nil, err)
end

os.execute("rm -rf " .. tmp)
print(string.format("%d passed, %d failed", passes, failures))
if failures > 0 then error(failures .. " Lua-level checks failed", 0) end
