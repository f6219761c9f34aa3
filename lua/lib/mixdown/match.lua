-- match.lua - reference mastering: measure one or more reference recordings
-- and an input, and build the `match` node that moves the input's tonal
-- balance, stereo width and loudness toward the references.
--
--   local match = require "mixdown.match"
--   local ref  = match.measure({"ref1.wav", {path = "ref2.wav", weight = 2}})
--   local inp  = match.measure({"song.wav"})
--   local d    = match.design(inp, ref, {tone = 0.8, width = 0.5, loudness = 1})
--   x = match.apply(x, d)                     -- x:match{...}, or x itself if d changes nothing
--   print(match.summary_text(d))              -- or match.summary_json(d), match.summary(d)
--
-- What is measured (one streaming pass per file through the engine's meters,
-- memory independent of the file's length: no whole-file FFT):
--   * the long-term spectrum (the meter's Welch average, 16384-point Hann
--     frames at 44.1/48 kHz, power averaged over channels), reduced to a
--     1/6-octave grid: centres 1000 * 2^(i/6) Hz from 19.7 Hz to 20.2 kHz,
--     each the mean power density between centre * 2^(-+1/12), bins weighted
--     by the part of them inside the band;
--   * for a stereo file the same for the mid (L+R)/2 alone, so the side's
--     spectrum is the difference, and the width: side/mid energy ratio in dB;
--   * integrated loudness (BS.1770-4, the meter's).
-- Several references: each spectrum is first normalized (its mean over
-- 40 Hz..16 kHz removed, so a loud reference does not weigh more), then the
-- spectra (dB), loudness (LUFS) and widths (dB) are averaged with the weights.
--
-- The match (design):
--   width:    side gain = width amount x (reference width - input width) dB,
--             limited by max_boost/max_cut and to the node's 0..2 factor;
--   tone:     curve = reference spectrum - the input's spectrum as the new
--             width leaves it (mid + side x width^2), minus its mean over
--             40 Hz..16 kHz, held flat outside lo..hi (default 30 Hz..16 kHz:
--             rumble and a lossy reference's empty top octave are not
--             copied), smoothed (a Gaussian in log frequency, `smooth`
--             octaves at half height, default 1/6: neighbouring bands weigh
--             6 %; 1/3 gives a broader, gentler curve), then scaled by the tone amount and limited to
--             -max_cut..+max_boost (default 12 dB each) in the node;
--   loudness: gain = loudness amount x (reference loudness - the input's
--             loudness after the curve and width), the change of loudness of
--             the curve and width being estimated from the input's spectrum
--             weighted by the BS.1770 K-filter.
-- With `mixdown master` the loudness is not set by this gain (design with
-- loudness = 0) but through master's target, which still applies after the
-- match: target = reference loudness x amount + platform target x (1 - amount)
-- (match.target), and the preset's or platform's true-peak ceiling holds.
local md = require "mixdown"

local M = {}

M.defaults = {tone = 1, width = 1, loudness = 1, max_boost = 12, max_cut = 12,
              smooth = 1 / 6, lo = 30, hi = 16000}

-- distances and normalization use the bands from 40 Hz to 16 kHz
M.DIST_LO, M.DIST_HI = 40, 16000

-- the 1/6-octave grid
local GRID = {}
for i = -34, 26 do GRID[#GRID + 1] = 1000 * 2 ^ (i / 6) end
M.grid = GRID

-- level as error()'s, counted from the function that calls fail; none: no position
local function fail(msg, level) error(msg, level and level + 1 or 0) end

local function db10(p) if p and p > 0 then return 10 * math.log(p, 10) end return nil end

-- Mean power density of the bins (power per bin p[k] at k * bin_hz) over each
-- grid band; nil above the Nyquist frequency or where there is no power.
local function bands(p, bin_hz, nyquist)
  local out = {}
  local nb = #p
  for i, fc in ipairs(GRID) do
    local lo, hi = fc * 2 ^ (-1 / 12), fc * 2 ^ (1 / 12)
    if hi <= nyquist then
      local sum = 0
      local k0, k1 = math.max(0, math.floor(lo / bin_hz)), math.min(nb - 1, math.ceil(hi / bin_hz) + 1)
      for k = k0, k1 do
        local a, b = math.max(lo, (k - 0.5) * bin_hz), math.min(hi, (k + 0.5) * bin_hz)
        if b > a then sum = sum + p[k + 1] * (b - a) end
      end
      out[i] = db10(sum / (hi - lo))
    end
  end
  return out
end

local function spectrum_power(m)
  local s = m:spectrum()
  local p = {}
  for k, v in ipairs(s.db) do p[k] = v == -math.huge and 0 or 10 ^ (v / 10) end
  return p, s.bin_hz
end

-- mean of the defined values of db over the distance range
local function mean_in_range(db)
  local s, n = 0, 0
  for i, f in ipairs(GRID) do
    if f >= M.DIST_LO * 0.99 and f <= M.DIST_HI * 1.01 and db[i] then s = s + db[i]; n = n + 1 end
  end
  return n > 0 and s / n or nil
end

--- Measures one file: {file, rate, channels, duration_s, lufs, width_db,
--- db (1/6-octave spectrum, dB re its own mean over 40 Hz..16 kHz),
--- mid_db, side_db (stereo, same reference), bins (per-bin powers for the
--- loudness estimate)}. Raises "FILE: ..." for an unreadable file.
function M.measure_file(path, opts)
  local info, err = md.probe(path)
  if not info then fail(err) end
  local g = md.graph{rate = info.rate}
  local x = g:file(path)
  local m = x:meter{plots = true, true_peak = false}
  local mm
  if info.channels == 2 then mm = x:width{amount = 0}:meter{plots = true, true_peak = false} end
  g:run{progress = opts and opts.progress or false}
  local r = m:result()
  local plr, bin_hz = spectrum_power(m)
  local nyq = info.rate / 2
  local prof = {file = path, rate = info.rate, channels = info.channels, duration_s = r.duration_s,
                lufs = r.integrated_lufs, grid = GRID}
  prof.db = bands(plr, bin_hz, nyq)
  local pm, ps
  if mm then
    pm = spectrum_power(mm)
    ps = {}
    for k = 1, #plr do ps[k] = math.max(0, plr[k] - pm[k]) end
    local rm = mm:result()
    if r.rms_dbfs and rm.rms_dbfs then
      -- L^2 + R^2 = 2 (M^2 + S^2): the mean square of L, R is that of M plus that of S
      local e_lr, e_m = 10 ^ (r.rms_dbfs / 10), 10 ^ (rm.rms_dbfs / 10)
      prof.width_db = db10(math.max(0, e_lr - e_m) / e_m)
    end
    prof.mid_db = bands(pm, bin_hz, nyq)
    prof.side_db = bands(ps, bin_hz, nyq)
  end
  local mean = mean_in_range(prof.db)
  if not mean then fail(path .. ": no signal between 40 Hz and 16 kHz to match") end
  for _, t in ipairs({prof.db, prof.mid_db or {}, prof.side_db or {}}) do
    for i in pairs(t) do t[i] = t[i] - mean end
  end
  prof.bins = {hz = bin_hz, lr = plr, mid = pm, side = ps}
  return prof
end

--- "REF.wav" or "REF.wav:WEIGHT" -> {path, weight}. A path that exists as
--- given is taken whole, even with a colon in it.
function M.parse_reference(s)
  local path, w = s:match("^(.*):([^:/]+)$")
  local f = io.open(s, "rb")
  if f then f:close(); return {path = s, weight = 1} end
  if path and path ~= "" then
    local n = tonumber(w)
    if not n or not (n > 0) or n == math.huge then
      fail(string.format("master: --reference weight must be a number > 0, got '%s'", w))
    end
    return {path = path, weight = n}
  end
  return {path = s, weight = 1}
end

--- Measures references (paths, {path, weight} tables or "PATH:WEIGHT"
--- strings; weights also from the optional `weights` list) and returns their
--- weighted average profile, with `references` listing each one's figures.
function M.measure(refs, weights, opts)
  if type(refs) == "string" then refs = {refs} end
  if type(refs) ~= "table" or #refs == 0 then fail("match: no reference given", 2) end
  local list = {}
  for i, r in ipairs(refs) do
    local item = type(r) == "table" and {path = r.path or r[1], weight = r.weight}
                 or M.parse_reference(tostring(r))
    item.weight = (weights and weights[i]) or item.weight or 1
    if type(item.weight) ~= "number" or not (item.weight > 0) then
      fail(string.format("match: weight of %s must be a number > 0, got %s", tostring(item.path),
                         tostring(item.weight)), 2)
    end
    item.profile = M.measure_file(item.path, opts)
    list[#list + 1] = item
  end
  if #list == 1 then
    local p = list[1].profile
    p.references = {{file = p.file, weight = list[1].weight, lufs = p.lufs, width_db = p.width_db}}
    return p
  end
  local avg = {db = {}, grid = GRID, references = {}}
  local function wmean(get)
    local s, w = 0, 0
    for _, it in ipairs(list) do
      local v = get(it.profile)
      if v then s = s + it.weight * v; w = w + it.weight end
    end
    return w > 0 and s / w or nil
  end
  for i = 1, #GRID do avg.db[i] = wmean(function(p) return p.db[i] end) end
  avg.lufs = wmean(function(p) return p.lufs end)
  avg.width_db = wmean(function(p) return p.width_db end)
  for _, it in ipairs(list) do
    local p = it.profile
    avg.references[#avg.references + 1] = {file = p.file, weight = it.weight, lufs = p.lufs,
                                           width_db = p.width_db}
  end
  return avg
end

-- |H| of a biquad (a0 = 1) at w = 2 pi f / rate
local function biquad_mag2(b0, b1, b2, a1, a2, w)
  local c1, c2 = math.cos(w), math.cos(2 * w)
  local num = b0 * b0 + b1 * b1 + b2 * b2 + 2 * (b0 * b1 + b1 * b2) * c1 + 2 * b0 * b2 * c2
  local den = 1 + a1 * a1 + a2 * a2 + 2 * (a1 + a1 * a2) * c1 + 2 * a2 * c2
  return den > 0 and num / den or 0
end

-- Power response of the BS.1770-4 K-weighting at f: the high-shelf pre-filter
-- and the RLB high-pass, designed for the rate from their analog parameters
-- (f0, gain, Q of the 48 kHz coefficients in ITU-R BS.1770-4, tables 1 and 2).
local function k_weight(rate)
  local K = math.tan(math.pi * 1681.974450955533 / rate)
  local Q = 0.7071752369554196
  local Vh = 10 ^ (3.999843853973347 / 20)
  local Vb = Vh ^ 0.4996667741545416
  local a0 = 1 + K / Q + K * K
  local sb0, sb1, sb2 = (Vh + Vb * K / Q + K * K) / a0, 2 * (K * K - Vh) / a0, (Vh - Vb * K / Q + K * K) / a0
  local sa1, sa2 = 2 * (K * K - 1) / a0, (1 - K / Q + K * K) / a0
  local K2 = math.tan(math.pi * 38.13547087602444 / rate)
  local Q2 = 0.5003270373238773
  local d = 1 + K2 / Q2 + K2 * K2
  local ha1, ha2 = 2 * (K2 * K2 - 1) / d, (1 - K2 / Q2 + K2 * K2) / d
  return function(f)
    local w = 2 * math.pi * f / rate
    return biquad_mag2(sb0, sb1, sb2, sa1, sa2, w) * biquad_mag2(1, -2, 1, ha1, ha2, w)
  end
end

-- gain in dB of a curve of points {freq, gain} at f, as the node interpolates it
local function curve_at(pts, f)
  if f <= pts[1][1] then return pts[1][2] end
  if f >= pts[#pts][1] then return pts[#pts][2] end
  local lo, hi = 1, #pts
  while hi - lo > 1 do
    local mid = (lo + hi) // 2
    if pts[mid][1] <= f then lo = mid else hi = mid end
  end
  local f0, f1 = pts[lo][1], pts[hi][1]
  local t = math.log(f / f0) / math.log(f1 / f0)
  return pts[lo][2] + t * (pts[hi][2] - pts[lo][2])
end
M.curve_at = curve_at

local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

local function check_opts(o)
  local r = {}
  for k, v in pairs(M.defaults) do r[k] = v end
  for k, v in pairs(o or {}) do
    if M.defaults[k] == nil then fail(string.format("match: unknown option '%s'", tostring(k)), 3) end
    if type(v) ~= "number" or v ~= v then
      fail(string.format("match: %s must be a number, got %s", k, tostring(v)), 3)
    end
    r[k] = v
  end
  for _, k in ipairs({"tone", "width", "loudness"}) do
    if r[k] < 0 or r[k] > 1 then fail(string.format("match: %s must be 0..1, got %g", k, r[k]), 3) end
  end
  if r.max_boost < 0 or r.max_boost > 24 then fail(string.format("match: max_boost must be 0..24 dB, got %g", r.max_boost), 3) end
  if r.max_cut < 0 or r.max_cut > 48 then fail(string.format("match: max_cut must be 0..48 dB, got %g", r.max_cut), 3) end
  if r.smooth < 0 or r.smooth > 2 then fail(string.format("match: smooth must be 0..2 octaves, got %g", r.smooth), 3) end
  if not (r.lo > 0 and r.hi > r.lo) then fail(string.format("match: lo and hi must be 0 < lo < hi, got %g, %g", r.lo, r.hi), 3) end
  return r
end

-- distance (mean absolute difference after removing the mean, dB) of a and b over 40 Hz..16 kHz
local function distance(a, b)
  local d, n = {}, 0
  for i, f in ipairs(GRID) do
    if f >= M.DIST_LO * 0.99 and f <= M.DIST_HI * 1.01 and a[i] and b[i] then
      n = n + 1; d[n] = a[i] - b[i]
    end
  end
  if n == 0 then return nil end
  local mean = 0
  for i = 1, n do mean = mean + d[i] end
  mean = mean / n
  local s = 0
  for i = 1, n do s = s + math.abs(d[i] - mean) end
  return s / n
end
M.distance = distance

--- Builds the match of input (a profile of match.measure/measure_file, with
--- bins) toward ref (a profile) with opts {tone, width, loudness (0..1),
--- max_boost, max_cut (dB), smooth (octaves), lo, hi (Hz)}. Returns a design:
--- {params = the match node's parameters, identity = true when it would
--- change nothing, and the figures match.summary reports}.
function M.design(input, ref, opts)
  local o = check_opts(opts)
  if not (input and input.db and input.bins) then fail("match: design needs the input's profile (match.measure_file)", 2) end
  if not (ref and ref.db) then fail("match: design needs a reference profile (match.measure)", 2) end
  local d = {opts = o, input = input, ref = ref}

  -- width
  local side_db, wf = 0, 1
  if o.width > 0 and input.width_db and ref.width_db and input.mid_db then
    side_db = clamp(o.width * (ref.width_db - input.width_db), -o.max_cut, o.max_boost)
    wf = clamp(10 ^ (side_db / 20), 0, 2)
    side_db = 20 * math.log(wf, 10)
  end
  d.side_gain_db, d.width_factor = side_db, wf

  -- the input's spectrum as the new width leaves it
  local expect = {}
  for i = 1, #GRID do
    if input.mid_db and input.mid_db[i] and wf ~= 1 then
      local pm = 10 ^ (input.mid_db[i] / 10)
      local ps = input.side_db[i] and 10 ^ (input.side_db[i] / 10) or 0
      expect[i] = 10 * math.log(pm + wf * wf * ps, 10)
    else
      expect[i] = input.db[i]
    end
  end

  -- tone: reference - input, mean removed, held outside lo..hi, gaps filled
  local raw = {}
  for i, f in ipairs(GRID) do
    if f >= o.lo * 0.99 and f <= o.hi * 1.01 and expect[i] and ref.db[i] then raw[i] = ref.db[i] - expect[i] end
  end
  local mean = mean_in_range(raw)
  local curve, pts = {}, {}
  if mean then
    local first, last
    for i = 1, #GRID do if raw[i] then first = first or i; last = i end end
    for i = 1, #GRID do
      local v = raw[i]
      if not v then -- outside lo..hi or unmeasured: the nearest measured band's value
        local best
        for j = 1, #GRID do
          if raw[j] and (not best or math.abs(j - i) < math.abs(best - i)) then best = j end
        end
        v = raw[best]
      end
      curve[i] = v - mean
    end
    if o.smooth > 0 then
      -- Gaussian in log frequency, full width at half maximum `smooth` octaves
      local sigma = o.smooth * 6 / (2 * math.sqrt(2 * math.log(2))) -- in grid steps
      local reach = math.ceil(3 * sigma)
      local sm = {}
      for i = 1, #GRID do
        local s, w = 0, 0
        for j = math.max(1, i - reach), math.min(#GRID, i + reach) do
          local wj = math.exp(-0.5 * ((j - i) / sigma) ^ 2)
          s = s + wj * curve[j]; w = w + wj
        end
        sm[i] = s / w
      end
      curve = sm
    end
    local nyq = input.rate / 2
    for i, f in ipairs(GRID) do
      if f < nyq then pts[#pts + 1] = {freq = f, gain = clamp(curve[i], -48, 48)} end
    end
    d.first_band, d.last_band = first, last
  end
  d.raw_curve = curve

  -- the curve as the node applies it: x tone, limited
  local eff = {}
  local node_pts = {}
  for _, p in ipairs(pts) do node_pts[#node_pts + 1] = {p.freq, p.gain} end
  local function eff_at(f)
    if #node_pts == 0 then return 0 end
    return clamp(o.tone * curve_at(node_pts, f), -o.max_cut, o.max_boost)
  end
  local flat = true
  for i, f in ipairs(GRID) do
    eff[i] = eff_at(f)
    if eff[i] ~= 0 then flat = false end
  end
  d.curve = eff
  d.eff_at = eff_at

  -- loudness: the K-weighted power of the input through the curve and width
  local gain = 0
  d.eq_loudness_db = 0
  local b = input.bins
  local kw = k_weight(input.rate)
  local num, den = 0, 0
  for k = 2, #b.lr do
    local f = (k - 1) * b.hz
    local wk = kw(f)
    local before = b.lr[k]
    local after = before
    if b.mid and wf ~= 1 then after = b.mid[k] + wf * wf * b.side[k] end
    if not flat then after = after * 10 ^ (eff_at(f) / 10) end
    num = num + wk * after
    den = den + wk * before
  end
  if den > 0 and num > 0 then d.eq_loudness_db = 10 * math.log(num / den, 10) end
  if o.loudness > 0 and input.lufs and ref.lufs then
    gain = clamp(o.loudness * (ref.lufs - (input.lufs + d.eq_loudness_db)), -48, 24)
  end
  d.gain_db = gain

  -- the distances to the reference, before and as predicted after
  local after = {}
  for i = 1, #GRID do after[i] = expect[i] and expect[i] + eff[i] end
  d.expected = after
  d.distance_before_db = distance(input.db, ref.db)
  d.distance_after_db = distance(after, ref.db)

  d.flat = flat
  d.identity = flat and wf == 1 and gain == 0
  d.params = {curve = pts, amount = o.tone, max_boost = o.max_boost, max_cut = o.max_cut,
              gain = gain, width = wf}
  return d
end

--- node:match{...} with the design's parameters; node itself when the
--- design changes nothing (amounts 0: the signal is untouched, no latency).
function M.apply(node, d)
  if d.identity then return node end
  return node:match(d.params)
end

--- Replaces the design's estimated loudness change by a measured one: renders
--- path (the input the design was made from) through the match without gain,
--- measures its integrated loudness and sets the gain from it. The estimate
--- of match.design misses what gating does (a curve that lifts the loud parts
--- more than the quiet ones moves the gated loudness further); one pass over
--- the input fixes that. Returns d.
function M.calibrate(d, path)
  if d.opts.loudness <= 0 or not d.ref.lufs or not d.input.lufs then return d end
  local info, err = md.probe(path)
  if not info then fail(err) end
  local g = md.graph{rate = info.rate}
  local x = g:file(path)
  local p = {}
  for k, v in pairs(d.params) do p[k] = v end
  p.gain = 0
  x = x:match(p)
  local m = x:meter{true_peak = false}
  g:run{progress = false}
  local l = m:result().integrated_lufs
  if l then
    d.eq_loudness_db = l - d.input.lufs
    d.gain_db = clamp(d.opts.loudness * (d.ref.lufs - l), -48, 24)
    d.params.gain = d.gain_db
    d.loudness_measured = true
    d.identity = d.flat and d.width_factor == 1 and d.gain_db == 0
  end
  return d
end

--- Measures input_path and refs, designs with opts, calibrates the loudness
--- and applies to node: returns the new node and the design.
function M.match(node, input_path, refs, opts)
  check_opts(opts)
  local ref = M.measure(refs)
  local inp = M.measure_file(input_path)
  local d = M.calibrate(M.design(inp, ref, opts), input_path)
  return M.apply(node, d), d
end

--- master's loudness target with a reference: the reference's integrated
--- loudness x amount + the platform target x (1 - amount). amount 0..1.
function M.target(ref, platform_target, amount)
  if not (ref and ref.lufs) or not amount or amount <= 0 then return platform_target end
  return ref.lufs * amount + platform_target * (1 - amount)
end

-- --- options of `mixdown master` ------------------------------------------------------

M.help = [[
Reference mastering (see `mixdown nodes match`):
  --reference FILE[:W] match a reference recording (repeatable; W: its weight,
                       default 1; several references are averaged)
  --match-tone PCT     how much of the tonal difference to correct (default 100)
  --match-width PCT    how much of the stereo width difference (default 100)
  --match-loudness PCT how far to move the loudness target toward the reference's
                       (default 100: target = reference loudness x PCT + the
                       platform's target x (100 - PCT))
  --match DIM=PCT,..   the same at once, e.g. --match tone=80,width=50,loudness=0
  --max-boost DB       largest boost of the matching EQ (default 12)
  --max-cut DB         largest cut of the matching EQ (default 12)
]]

local DIMS = {tone = true, width = true, loudness = true}

--- "80" -> 0.8, for --match-NAME: raises a master: message otherwise.
function M.parse_percent(option, s)
  local n = tonumber(s)
  if not n or n ~= n or n < 0 or n > 100 then
    fail(string.format("master: %s must be a percentage 0..100, got '%s'", option, tostring(s)))
  end
  return n / 100
end

--- "tone=80,width=50" -> {tone = 0.8, width = 0.5} (merged into into, if given).
function M.parse_amounts(s, into)
  local t = into or {}
  for item in tostring(s):gmatch("[^,]+") do
    local k, v = item:match("^%s*([%a_]+)%s*=%s*(.-)%s*$")
    if not k then fail(string.format("master: --match takes DIM=PERCENT,..., got '%s'", item)) end
    if not DIMS[k] then
      fail(string.format("master: --match: unknown dimension '%s' (tone, width, loudness)", k))
    end
    t[k] = M.parse_percent("--match " .. k, v)
  end
  return t
end

--- Consumes a reference-mastering option of `mixdown master` at args[i]:
--- returns the next index, or nil when args[i] is not one. o.references
--- (list of {path, weight}), o.match (amounts 0..1), o.max_boost, o.max_cut.
function M.parse_option(o, args, i)
  local a = args[i]
  local function value()
    local v = args[i + 1]
    if v == nil then fail("master: " .. a .. " needs a value (see mixdown master --help)") end
    return v
  end
  local function db(v, max)
    local n = tonumber(v)
    if not n or n ~= n or n < 0 or n > max then
      fail(string.format("master: %s must be a number of dB 0..%g, got '%s'", a, max, v))
    end
    return n
  end
  o.match = o.match or {}
  if a == "--reference" then
    o.references = o.references or {}
    o.references[#o.references + 1] = M.parse_reference(value())
  elseif a == "--match" then M.parse_amounts(value(), o.match)
  elseif a == "--match-tone" or a == "--match-width" or a == "--match-loudness" then
    o.match[a:sub(9)] = M.parse_percent(a, value())
  elseif a == "--max-boost" then o.max_boost = db(value(), 24)
  elseif a == "--max-cut" then o.max_cut = db(value(), 48)
  else return nil end
  return i + 2
end

--- The design options for master from its parsed options: the node gets no
--- loudness gain (master's target does it, see match.target).
function M.master_opts(o)
  local m = o.match or {}
  return {tone = m.tone or 1, width = m.width or 1, loudness = 0,
          max_boost = o.max_boost or M.defaults.max_boost, max_cut = o.max_cut or M.defaults.max_cut}
end

--- The loudness amount for master (default 1).
function M.master_loudness(o)
  local m = o.match or {}
  return m.loudness or 1
end

-- --- summary ------------------------------------------------------------------------

M.SUMMARY_HZ = {31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000}

local function round(v, n)
  if v == nil then return nil end
  local m = 10 ^ (n or 2)
  return math.floor(v * m + 0.5) / m
end

--- What the match changes, as a table: references, input, tone (amount,
--- limits, the curve at SUMMARY_HZ as applied, bands at a limit), width,
--- loudness and the 1/6-octave distances to the reference (dB).
function M.summary(d, master_target)
  local o = d.opts
  local pts = {}
  for _, f in ipairs(M.SUMMARY_HZ) do
    if f < d.input.rate / 2 then pts[#pts + 1] = {freq = f, gain_db = round(d.eff_at(f), 2)} end
  end
  local limited, maxb, maxc = 0, 0, 0
  for _, g in ipairs(d.curve) do
    if g >= o.max_boost - 1e-9 and o.max_boost > 0 and g > 0 then limited = limited + 1 end
    if g <= -o.max_cut + 1e-9 and o.max_cut > 0 and g < 0 then limited = limited + 1 end
    maxb, maxc = math.max(maxb, g), math.min(maxc, g)
  end
  local refs = {}
  for _, r in ipairs(d.ref.references or {}) do
    refs[#refs + 1] = {file = r.file, weight = r.weight, lufs = round(r.lufs, 2), width_db = round(r.width_db, 2)}
  end
  return {
    references = refs,
    input = {file = d.input.file, lufs = round(d.input.lufs, 2), width_db = round(d.input.width_db, 2)},
    tone = {amount = o.tone, max_boost_db = o.max_boost, max_cut_db = o.max_cut, curve = pts,
            largest_boost_db = round(maxb, 2), largest_cut_db = round(maxc, 2), bands_at_limit = limited},
    width = {amount = o.width, input_db = round(d.input.width_db, 2), reference_db = round(d.ref.width_db, 2),
             side_gain_db = round(d.side_gain_db, 2), factor = round(d.width_factor, 4)},
    loudness = {amount = o.loudness, input_lufs = round(d.input.lufs, 2), reference_lufs = round(d.ref.lufs, 2),
                eq_change_db = round(d.eq_loudness_db, 2), gain_db = round(d.gain_db, 2),
                target_lufs = master_target and round(master_target, 2) or nil},
    distance_db = {before = round(d.distance_before_db, 2), expected_after = round(d.distance_after_db, 2)},
  }
end

local function fmtv(v, f) return v == nil and "n/a" or string.format(f, v) end

--- The summary as lines of text.
function M.summary_text(d, master_target)
  local s = M.summary(d, master_target)
  local w = {}
  for _, r in ipairs(s.references) do
    w[#w + 1] = string.format("reference %s%s: %s LUFS, width %s dB", r.file,
                              #s.references > 1 and string.format(" (weight %g)", r.weight) or "",
                              fmtv(r.lufs, "%.1f"), fmtv(r.width_db, "%.1f"))
  end
  local parts = {}
  for _, p in ipairs(s.tone.curve) do
    parts[#parts + 1] = string.format("%s %+.1f", p.freq >= 1000 and string.format("%gk", p.freq / 1000) or string.format("%g", p.freq), p.gain_db)
  end
  w[#w + 1] = string.format("match tone %d%%: EQ (dB at Hz) %s; limits +%g/-%g dB%s", math.floor(s.tone.amount * 100 + 0.5),
                            table.concat(parts, ", "), s.tone.max_boost_db, s.tone.max_cut_db,
                            s.tone.bands_at_limit > 0 and string.format(" (%d bands at a limit)", s.tone.bands_at_limit) or "")
  w[#w + 1] = string.format("match width %d%%: side/mid %s -> reference %s dB: side %+.1f dB (x%.2f)",
                            math.floor(s.width.amount * 100 + 0.5), fmtv(s.width.input_db, "%.1f"),
                            fmtv(s.width.reference_db, "%.1f"), s.width.side_gain_db, s.width.factor)
  local l = s.loudness
  if l.target_lufs then
    w[#w + 1] = string.format("match loudness %d%%: %s LUFS, reference %s LUFS: target %.1f LUFS",
                              math.floor(l.amount * 100 + 0.5), fmtv(l.input_lufs, "%.1f"), fmtv(l.reference_lufs, "%.1f"), l.target_lufs)
  else
    w[#w + 1] = string.format("match loudness %d%%: %s LUFS, reference %s LUFS, EQ and width %+.1f dB%s: gain %+.1f dB",
                              math.floor(l.amount * 100 + 0.5), fmtv(l.input_lufs, "%.1f"), fmtv(l.reference_lufs, "%.1f"),
                              l.eq_change_db, d.loudness_measured and " (measured)" or " (estimated)", l.gain_db)
  end
  w[#w + 1] = string.format("spectral distance to the reference: %s dB -> %s dB (1/6 octave, 40 Hz-16 kHz)",
                            fmtv(s.distance_db.before, "%.2f"), fmtv(s.distance_db.expected_after, "%.2f"))
  return table.concat(w, "\n")
end

-- a small JSON writer: keys sorted, nil/NaN/inf as null
local function json(v)
  local t = type(v)
  if v == nil then return "null" end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.14g", v)
  end
  if t == "boolean" then return tostring(v) end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return c == '"' and '\\"' or c == "\\" and "\\\\" or string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  if t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for i = 1, #v do parts[i] = json(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = json(k) .. ":" .. json(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return json(tostring(v))
end

--- The summary as one line of JSON.
function M.summary_json(d, master_target)
  return json(M.summary(d, master_target))
end

--- The three spectra a report draws (1/6 octave, dB): reference, input and
--- the input as the match is expected to leave it.
function M.spectra(d)
  return {hz = GRID, reference = d.ref.db, before = d.input.db, after = d.expected}
end

return M
