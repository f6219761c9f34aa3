-- test_session_edit.lua - editing in sessions: regions land at `at`, start at
-- `from` and stop at `to` on the right frame (+-1), fades follow the
-- documented curves (coded again here), overlapping regions crossfade with
-- constant power (equal_power) or constant amplitude (linear), and a region
-- from a 44.1 kHz file lands at the right frame of a 48 kHz session.
local md = require "mixdown"
local S = require "mixdown.session"
local U = dofile(os.getenv("MD_TEST_DIR") .. "/lua/session_util.lua")
local check, near = U.check, U.near
local R = 48000

-- material, written here (not by mixdown): a ramp whose sample k is
-- (k + 1) / 2^20 on both channels (every value exact in float, each frame
-- names itself), a constant 0.5, and one-sided constants for crossfades
local ramp = U.signal(3 * R, function(k) return (k + 1) / 2 ^ 20 end)
U.write_wav(U.path("ramp.wav"), R, {ramp, ramp})
local half = U.signal(4 * R, function() return 0.5 end)
local zero = U.signal(4 * R, function() return 0 end)
U.write_wav(U.path("dc.wav"), R, {half, half})
U.write_wav(U.path("left.wav"), R, {half, zero})
U.write_wav(U.path("right.wav"), R, {zero, half})

local function render(name, spec)
  local out = U.path(name .. ".wav")
  S.render(spec, {out = out, write = {bits = "32f"}, dir = U.dir, file = name .. ".lua", progress = false})
  return U.read_wav(out)
end

-- the first frame (0-based) whose |value| exceeds eps
local function first_nonzero(x, eps)
  for i = 1, #x do if math.abs(x[i]) > (eps or 0) then return i - 1 end end
  return nil
end
local function last_nonzero(x, eps)
  for i = #x, 1, -1 do if math.abs(x[i]) > (eps or 0) then return i - 1 end end
  return nil
end

-- --- placement and trims -------------------------------------------------------
do
  local out = render("place", {rate = R, tracks = {
    {name = "t", regions = { {file = "ramp.wav", at = 0.5, from = 1.0, to = 2.0} }}}})
  local L = out[1]
  local start, stop = first_nonzero(L), last_nonzero(L)
  check("region starts at at = 0.5 s (frame 24000 +-1)", start and math.abs(start - 24000) <= 1, start)
  check("region ends at at + (to - from) = 1.5 s (last frame 71999 +-1)", stop and math.abs(stop - 71999) <= 1, stop)
  -- the value of the first frame says which file frame it is: from = 1 s -> file frame 48000
  local src = L[start + 1] * 2 ^ 20 - 1
  check("first frame played is file frame 48000 (from = 1 s) +-1", math.abs(src - 48000) <= 1, src)
  local src_end = L[stop + 1] * 2 ^ 20 - 1
  check("last frame played is file frame 95999 (to = 2 s) +-1", math.abs(src_end - 95999) <= 1, src_end)
  local exact = true
  for k = start, stop do
    if L[k + 1] ~= ramp[48000 + (k - start) + 1] then exact = false; break end
  end
  check("region between its ends is the file, sample for sample", exact)
  check("output lasts as long as the region's end (72000 frames)", out.frames == 72000, out.frames)
  check("output rate is the session's", out.rate == R, out.rate)
end

-- `length` instead of `to`, and `to` past the file's end stops at the end
do
  local out = render("length", {rate = R, tracks = {
    {name = "a", regions = { {file = "ramp.wav", at = 0, from = 2.5, length = 0.25} }},
    {name = "b", regions = { {file = "ramp.wav", at = 1, from = 2.9, to = 10} }}}})
  local L = out[1]
  local a_end = nil
  for i = 1, R do if L[i] == 0 then a_end = i - 1; break end end
  check("length = 0.25 s plays 12000 frames", a_end and math.abs(a_end - 12000) <= 1, a_end)
  local stop = last_nonzero(L)
  -- b: file frames 139200..143999 (the file's end), placed at frame 48000
  check("a `to` past the file's end stops at the end", stop and math.abs(stop - (48000 + 4800 - 1)) <= 1, stop)
end

-- --- fades: curves of x = k / N over N = fade x rate frames ------------------------
local curves = {
  linear = function(x) return x end,
  equal_power = function(x) return math.sin(x * math.pi / 2) end,
  log = function(x) return (10 ^ (3 * x) - 1) / 999 end,
}
for _, name in ipairs{"linear", "equal_power", "log"} do
  local f = curves[name]
  local out = render("fade_" .. name, {rate = R, tracks = {
    {name = "t", regions = { {file = "dc.wav", at = 0, from = 0, to = 3,
                              fade_in = {1, name}, fade_out = {0.5, name}} }}}})
  local L = out[1]
  local worst = 0
  for _, k in ipairs{0, 1, 4800, 12000, 24000, 36000, 47000, 47999} do
    local want = 0.5 * f(k / R)
    local err = math.abs(L[k + 1] - want)
    if err > worst then worst = err end
  end
  check(name .. " fade-in follows its curve (8 points, 1 s)", worst < 1e-6, worst)
  check(name .. " fade-in starts silent on frame 0", L[1] == 0, L[1])
  check(name .. " fade-in reaches full level on frame 48000 (+-1)", near(L[48001], 0.5, 1e-6) or near(L[48002], 0.5, 1e-6), L[48001])
  -- fade-out over 0.5 s = 24000 frames ending at 3 s: frame j of it has gain f((N - j) / N)
  worst = 0
  local N, fo = 24000, 3 * R - 24000
  for _, j in ipairs{0, 1, 6000, 12000, 18000, 23999} do
    local want = 0.5 * f((N - j) / N)
    local err = math.abs(L[fo + j + 1] - want)
    if err > worst then worst = err end
  end
  check(name .. " fade-out is the mirror of the fade-in (6 points)", worst < 1e-6, worst)
  check(name .. " region silent after its end", out.frames == 3 * R or L[3 * R + 1] == 0, out.frames)
  if name == "log" then
    local half_db = U.db(L[24001] / 0.5)
    check("log fade is -30.3 dB half way (straight in dB)", near(half_db, 20 * math.log((10 ^ 1.5 - 1) / 999, 10), 0.01), half_db)
  end
end

-- --- crossfades over the overlap -----------------------------------------------------
do
  -- A plays on the left only, B on the right only, so each gain is read alone
  local out = render("xfade", {rate = R, tracks = {
    {name = "eqp", regions = { {file = "left.wav", at = 0, from = 0, to = 1},
                               {file = "right.wav", at = 0.75, from = 0, to = 1} }}}})
  local L, Rr = out[1], out[2]
  local N, s = 12000, 36000 -- overlap of 0.25 s from 0.75 s
  local worst_pow, worst_curve = 0, 0
  for _, k in ipairs{0, 1, 3000, 6000, 9000, 11999} do
    local ga, gb = L[s + k + 1] / 0.5, Rr[s + k + 1] / 0.5
    worst_pow = math.max(worst_pow, math.abs(ga * ga + gb * gb - 1))
    worst_curve = math.max(worst_curve, math.abs(gb - math.sin(k / N * math.pi / 2)))
  end
  check("equal-power crossfade: gA^2 + gB^2 = 1 across the overlap", worst_pow < 1e-5, worst_pow)
  check("equal-power crossfade: B rises along sin(x pi/2)", worst_curve < 1e-6, worst_curve)
  check("before the overlap A plays alone at full level", L[s] == 0.5 and Rr[s] == 0, L[s])
  check("after the overlap B plays alone at full level", Rr[s + N + 1] == 0.5 and L[s + N + 1] == 0,
        tostring(Rr[s + N + 1]) .. " " .. tostring(L[s + N + 1]))
  check("no crossfade outside the overlap: A starts unfaded", L[1] == 0.5, L[1])

  local out2 = render("xfade_lin", {rate = R, tracks = {
    {name = "lin", crossfade = "linear",
     regions = { {file = "left.wav", at = 0, from = 0, to = 1},
                 {file = "right.wav", at = 0.75, from = 0, to = 1} }}}})
  local worst = 0
  for _, k in ipairs{0, 3000, 6000, 9000, 11999} do
    worst = math.max(worst, math.abs(out2[1][s + k + 1] + out2[2][s + k + 1] - 0.5))
  end
  check("linear crossfade: gA + gB = 1 across the overlap", worst < 1e-6, worst)

  -- a fade given explicitly wins over the automatic crossfade
  local out3 = render("xfade_given", {rate = R, tracks = {
    {name = "g", regions = { {file = "left.wav", at = 0, from = 0, to = 1, fade_out = 0.1},
                             {file = "right.wav", at = 0.75, from = 0, to = 1} }}}})
  local fo = R - 4800
  check("an explicit fade_out (0.1 s) replaces the crossfade's", out3[1][fo] == 0.5 and out3[1][fo + 2401] < 0.5 and out3[1][s + 1] == 0.5,
        tostring(out3[1][fo]) .. " " .. tostring(out3[1][s + 1]))
end

-- --- a 44.1 kHz file in a 48 kHz session: resampled, placed on the session's frames --
do
  local imp = U.signal(2 * 44100, function(k) return k == 44100 and 0.9 or 0 end)
  U.write_wav(U.path("imp44.wav"), 44100, {imp})
  local out = render("resampled", {rate = R, tracks = {
    {name = "i", pan = 0, regions = { {file = "imp44.wav", at = 2.0, from = 0.5, to = 1.5} }}}})
  local L = out[1]
  local peak, at = 0, nil
  for i = 1, #L do if math.abs(L[i]) > peak then peak, at = math.abs(L[i]), i - 1 end end
  -- file time 1.0 s, from 0.5 s, at 2.0 s -> session time 2.5 s = frame 120000
  check("resampled region: the impulse lands at frame 120000 +-1", at and math.abs(at - 120000) <= 1, at)
  check("resampled region lasts (to - from) x 48000 frames after at", out.frames == 3 * R, out.frames)
end

-- --- mono and stereo regions on one track, clip gain ------------------------------
do
  local tone = U.signal(R, function(k) return 0.5 end)
  U.write_wav(U.path("mono.wav"), R, {tone})
  local out = render("gain", {rate = R, tracks = {
    {name = "m", regions = { {file = "dc.wav", at = 0, from = 0, to = 0.5, gain = -6},
                             {file = "mono.wav", at = 0.5, from = 0, to = 0.5} }}}})
  check("clip gain -6 dB", near(U.db(out[1][100] / 0.5), -6, 1e-4), out[1][100])
  check("a mono region on a stereo track reaches both channels", out[1][R // 2 + 100] == 0.5 and out[2][R // 2 + 100] == 0.5, out[2][R // 2 + 100])
end

-- --- errors name the session, the track and the region -------------------------------
local function bad(spec) return function() S.check(spec, {file = "bad.lua", dir = U.dir}) end end
U.checkerr("from past the end of the file",
  "^bad%.lua: track 't': region 1: from %(5 s%) is past the end of dc%.wav %(4 s%)$",
  bad{tracks = { {name = "t", regions = { {file = "dc.wav", from = 5} }} }})
U.checkerr("to before from", "^bad%.lua: track 't': region 1: to %(1 s%) must be after from %(2 s%)$",
  bad{tracks = { {name = "t", regions = { {file = "dc.wav", from = 2, to = 1} }} }})
U.checkerr("misspelt region key suggests the right one",
  "^bad%.lua: track 't': region 1: unknown key 'fade_inn' %(did you mean 'fade_in'%?%)$",
  bad{tracks = { {name = "t", regions = { {file = "dc.wav", fade_inn = 1} }} }})
U.checkerr("unknown curve", "curve must be linear, equal_power or log, got cubic",
  bad{tracks = { {name = "t", regions = { {file = "dc.wav", fade_in = {1, "cubic"}} }} }})
U.checkerr("missing file names it", "^bad%.lua: track 't': region 1: .*nothere%.wav",
  bad{tracks = { {name = "t", regions = { {file = "nothere.wav"} }} }})
U.checkerr("file and regions together", "^bad%.lua: track 't': give either file or regions$",
  bad{tracks = { {name = "t", file = "dc.wav", regions = { {file = "dc.wav"} }} }})

-- the region node on its own, from a recipe
do
  local g = md.graph{rate = R}
  local x = g:region{path = U.path("ramp.wav"), at = 0.25, from = 0.5, to = 0.75, fade_in = 0.01}
  x:write(U.path("node.wav"), {bits = "32f"})
  g:run{progress = false}
  local out = U.read_wav(U.path("node.wav"))
  check("g:region{} on its own: 0.5 s long, starts at 12000", out.frames == 24000 and first_nonzero(out[1]) == 12001, out.frames)
  U.checkerr("g:region{} with to before from", "region: to must be after from",
    function()
      local g2 = md.graph{rate = R}
      g2:region{path = U.path("ramp.wav"), from = 1, to = 0.5}:write(U.path("x.wav"))
      g2:run{progress = false}
    end)
end

U.finish()
