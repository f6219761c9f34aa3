-- mixdown.report: one self-contained HTML page of measurements and plots
-- (inline SVG; no network, no JavaScript), for `analyze --report` and
-- `master --report`.
--
-- Measuring:
--   report.measure(path)            -> meas: a file measured with a plots meter
--   report.from_meter(m, label)     -> meas from a meter{plots = true} after g:run()
--   meas = {label, path, result = m:result(), spectrum = m:spectrum(),
--           bands = m:bands(), series = m:series(), envelope = m:envelope()}
--   report.gr_recorder(nodes[, every]) -> rec; g:run{every = rec.every,
--           on_block = rec.on_block}; rec.series = { {name, t = {}, db = {}} }
--
-- Pages:
--   report.analysis_page{files = {meas, ...}}                      -> html
--   report.master_page{input = path, output = path, before = meas, after = meas,
--           chain = {nodes or strings}, gr = rec or rec.series, params = {...},
--           targets = {target, ceiling, platform}, preset = name, notes = {...}} -> html
--   report.write(path, html | {files = ...} | {before = ..., after = ...})
--   report.master_report{path = FILE.html, ...master_page fields...}
--
-- Every plot's <svg> carries data-* attributes with its axes (value ranges
-- and the plot area in SVG units) and every drawn series its name and
-- extremes, so a test can read the plotted values back.
local md = require "mixdown"
local manifest = require "mixdown.manifest"

local R = {}

R.WIDTH = 1200 -- SVG units; the page is at most 1280 px wide
local COLORS = {before = "#4c78a8", after = "#e45756", single = "#4c78a8"}
local GR_COLORS = {"#e45756", "#4c78a8", "#54a24b", "#b279a2", "#f58518", "#72b7b2", "#9d755d"}

---------------------------------------------------------------------- measuring

--- Measurements and plot data of a meter{plots = true} after its render.
function R.from_meter(m, label, path)
  local result = m:result()
  result.sample_peak_per_channel = m:peaks().sample
  return {
    label = label, path = path,
    result = result,
    spectrum = m:spectrum(), bands = m:bands(), series = m:series(), envelope = m:envelope(),
  }
end

--- Measures a file (true peak included) and keeps what the plots need.
function R.measure(path, opts)
  opts = opts or {}
  local g = md.graph()
  local m = g:file(path):meter{plots = true, true_peak = opts.true_peak ~= false}
  g:run{progress = opts.progress == true}
  local meas = R.from_meter(m, opts.label or path, path)
  meas.result.file = path
  return meas
end

R.collect_before = R.measure
R.collect_after = R.measure

--- Records the gain reduction of dynamics nodes during a render:
--- g:run{every = rec.every, on_block = rec.on_block}. Each node gives a
--- series {name, t = {s}, db = {dB of reduction, >= 0}}: the largest
--- reduction of the last block before each time.
function R.gr_recorder(nodes, every)
  local rec = {every = every or 0.05, series = {}}
  for i, n in ipairs(nodes) do
    local name = n:label()
    if name == n:type() then name = string.format("%s #%d", name, i) end
    rec.series[i] = {name = name, node = tostring(n), t = {}, db = {}}
  end
  function rec.on_block(t)
    for i, n in ipairs(nodes) do
      local _, peak = n:gain_reduction()
      local s = rec.series[i]
      s.t[#s.t + 1] = t
      s.db[#s.db + 1] = peak == peak and peak or 0
    end
  end
  function rec.reset()
    for _, s in ipairs(rec.series) do s.t, s.db = {}, {} end
  end
  return rec
end

---------------------------------------------------------------------- text

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                                         ['"'] = "&quot;", ["'"] = "&#39;"}))
end

local function num(v, d)
  -- compact SVG coordinates and attribute values
  local s = string.format("%." .. (d or 2) .. "f", v)
  s = s:gsub("(%..-)0+$", "%1"):gsub("%.$", "")
  if s == "-0" then s = "0" end
  return s
end

local function finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

local function hz_label(f)
  if f >= 1000 then
    local k = f / 1000
    return (k == math.floor(k) and string.format("%dk", k) or num(k, 2) .. "k")
  end
  return f == math.floor(f) and string.format("%d", f) or num(f, 1)
end

local function time_label(s, minutes)
  if minutes then return string.format("%d:%02d", math.floor(s / 60), math.floor(s % 60 + 0.5)) end
  return num(s, 2)
end

---------------------------------------------------------------------- axes

local function nice_step(range, n)
  local raw = range / n
  local p = 10 ^ math.floor(math.log(raw, 10))
  for _, m in ipairs{1, 2, 2.5, 5, 10} do
    if raw <= m * p then return m * p end
  end
  return 10 * p
end

local function linear_ticks(lo, hi, n)
  local step = nice_step(hi - lo, n or 8)
  local t, v = {}, math.ceil(lo / step - 1e-9) * step
  while v <= hi + 1e-9 * step do
    t[#t + 1] = math.abs(v) < 1e-12 and 0 or v
    v = v + step
  end
  return t, step
end

local function time_ticks(lo, hi)
  if hi - lo < 120 then return linear_ticks(lo, hi, 10) end
  -- minutes and seconds: steps of 10 s, 15 s, 30 s, 1, 2, 5, 10 min
  local span = hi - lo
  local step = 600
  for _, s in ipairs{10, 15, 30, 60, 120, 300, 600} do
    if span / s <= 12 then step = s; break end
  end
  local t, v = {}, math.ceil(lo / step) * step
  while v <= hi + 1e-9 do t[#t + 1] = v; v = v + step end
  return t, step
end

local LOG_MAJOR = {10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000}

---------------------------------------------------------------------- plot

-- p = {id, title, width, height, x = {label, min, max, log, ticks, tick_label, band_labels},
--      y = {label, min, max}, series = { {name, color, kind = "line"|"area"|"bars",
--      x = {...}, y = {...}, dash, opacity, width, base} }, note}
local function plot(p)
  local W, H = p.width or R.WIDTH, p.height or 360
  local L, Rm, B = 80, 24, 60
  -- the legend sits under the title, in rows, never over the data
  local entries, rows, row_w = {}, {{}}, 0
  for _, s in ipairs(p.series) do
    if not s.no_legend then
      local w = 36 + 7.2 * #s.name + 18
      if row_w + w > W - L - Rm and #rows[#rows] > 0 then
        rows[#rows + 1] = {}
        row_w = 0
      end
      table.insert(rows[#rows], {s = s, x = row_w})
      row_w = row_w + w
      entries[#entries + 1] = s
    end
  end
  local T = 58 + 18 * (#rows - 1)
  H = H + 18 * (#rows - 1)
  local pw, ph = W - L - Rm, H - T - B
  local xa, ya = p.x, p.y
  local lx0, lx1 = xa.log and math.log(xa.min) or 0, xa.log and math.log(xa.max) or 0
  local function X(v)
    if xa.log then return L + (math.log(v) - lx0) / (lx1 - lx0) * pw end
    return L + (v - xa.min) / (xa.max - xa.min) * pw
  end
  local function Y(v)
    if not finite(v) or v < ya.min then v = ya.min end
    if v > ya.max then v = ya.max end
    return T + (ya.max - v) / (ya.max - ya.min) * ph
  end
  local o = {}
  local function add(...) for _, s in ipairs{...} do o[#o + 1] = s end end
  add(string.format('<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 %d %d" ' ..
    'width="100%%" role="img" aria-labelledby="%s-title" data-plot="%s" data-x-label="%s" ' ..
    'data-y-label="%s" data-x-min="%s" data-x-max="%s" data-x-log="%s" data-y-min="%s" ' ..
    'data-y-max="%s" data-left="%d" data-top="%d" data-width="%d" data-height="%d">',
    W, H, p.id, p.id, esc(xa.label), esc(ya.label), num(xa.min, 6), num(xa.max, 6),
    xa.log and "true" or "false", num(ya.min, 6), num(ya.max, 6), L, T, pw, ph))
  add(string.format('<title id="%s-title">%s</title>', p.id, esc(p.title)))
  add(string.format('<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>', W, H))
  add(string.format('<text class="ptitle" x="%d" y="22">%s</text>', L, esc(p.title)))
  add(string.format('<clipPath id="%s-clip"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath>',
                    p.id, L, T, pw, ph))
  -- grid and ticks
  add('<g class="grid">')
  local yt = linear_ticks(ya.min, ya.max, ph / 40)
  for _, v in ipairs(yt) do
    local y = Y(v)
    add(string.format('<line x1="%d" x2="%d" y1="%s" y2="%s"/>', L, L + pw, num(y), num(y)))
    add(string.format('<text class="yt" x="%d" y="%s">%s</text>', L - 8, num(y + 4),
                      (ya.tick_label or num)(v)))
  end
  if xa.band_labels then
    local n = #xa.band_labels
    for i, lab in ipairs(xa.band_labels) do
      local x = L + (i - 0.5) / n * pw
      add(string.format('<text class="xt" x="%s" y="%d">%s</text>', num(x), T + ph + 18, esc(lab)))
    end
  elseif xa.log then
    for _, v in ipairs(LOG_MAJOR) do
      if v >= xa.min * 0.999 and v <= xa.max * 1.001 then
        local x = X(v)
        add(string.format('<line x1="%s" x2="%s" y1="%d" y2="%d"/>', num(x), num(x), T, T + ph))
        add(string.format('<text class="xt" x="%s" y="%d">%s</text>', num(x), T + ph + 18,
                          hz_label(v)))
      end
    end
    -- minor lines at 2..9 x each decade
    local d = 10 ^ math.floor(math.log(xa.min, 10))
    while d < xa.max do
      for m = 2, 9 do
        local v = m * d
        if v > xa.min and v < xa.max then
          local x = X(v)
          add(string.format('<line class="minor" x1="%s" x2="%s" y1="%d" y2="%d"/>', num(x),
                            num(x), T, T + ph))
        end
      end
      d = d * 10
    end
  else
    local ticks = xa.ticks or linear_ticks(xa.min, xa.max, 10)
    for _, v in ipairs(ticks) do
      local x = X(v)
      add(string.format('<line x1="%s" x2="%s" y1="%d" y2="%d"/>', num(x), num(x), T, T + ph))
      add(string.format('<text class="xt" x="%s" y="%d">%s</text>', num(x), T + ph + 18,
                        (xa.tick_label or num)(v)))
    end
  end
  add('</g>')
  add(string.format('<rect class="frame" x="%d" y="%d" width="%d" height="%d"/>', L, T, pw, ph))
  add(string.format('<text class="axis" x="%s" y="%d">%s</text>', num(L + pw / 2), H - 14,
                    esc(xa.label)))
  add(string.format('<text class="axis" transform="translate(20,%s) rotate(-90)">%s</text>',
                    num(T + ph / 2), esc(ya.label)))
  -- data
  add(string.format('<g clip-path="url(#%s-clip)">', p.id))
  local nsets = 0
  for _, s in ipairs(p.series) do if s.kind == "bars" then nsets = nsets + 1 end end
  local bar_i = 0
  for _, s in ipairs(p.series) do
    local lo, hi = math.huge, -math.huge
    for _, v in ipairs(s.y) do
      if finite(v) then lo = math.min(lo, v); hi = math.max(hi, v) end
    end
    local attrs = string.format('data-series="%s" data-points="%d"%s%s', esc(s.name), #s.y,
                                hi >= lo and string.format(' data-max="%s" data-min="%s"',
                                                           num(hi, 4), num(lo, 4)) or "",
                                s.role and string.format(' data-role="%s"', s.role) or "")
    if s.kind == "bars" then
      bar_i = bar_i + 1
      local n = #s.y
      local slot = pw / n
      local bw = slot * 0.8 / nsets
      add(string.format('<g %s fill="%s" fill-opacity="%s">', attrs, s.color, num(s.opacity or 0.85)))
      for i, v in ipairs(s.y) do
        if finite(v) then
          local x = L + (i - 1) * slot + slot * 0.1 + (bar_i - 1) * bw
          local y = Y(v)
          add(string.format('<rect x="%s" y="%s" width="%s" height="%s" data-value="%s"/>', num(x),
                            num(y), num(bw), num(T + ph - y), num(v, 4)))
        end
      end
      add('</g>')
    else
      local pts = {}
      for i, xv in ipairs(s.x) do
        pts[#pts + 1] = num(X(xv)) .. "," .. num(Y(s.y[i]))
      end
      if s.kind == "area" and #pts > 0 then
        local base = num(Y(s.base or ya.min))
        add(string.format('<path %s d="M%s,%s L%s L%s,%s Z" fill="%s" fill-opacity="%s" stroke="none"/>',
                          attrs, num(X(s.x[1])), base, table.concat(pts, " L"), num(X(s.x[#s.x])),
                          base, s.color, num(s.opacity or 0.35)))
      elseif #pts > 0 then
        add(string.format('<polyline %s fill="none" stroke="%s" stroke-width="%s"%s points="%s"/>',
                          attrs, s.color, num(s.width or 1.6),
                          s.dash and string.format(' stroke-dasharray="%s"', s.dash) or "",
                          table.concat(pts, " ")))
      end
    end
  end
  add('</g>')
  -- legend
  if #entries > 0 then
    add('<g class="legend">')
    for r, row in ipairs(rows) do
      local y = 40 + 18 * (r - 1)
      for _, e in ipairs(row) do
        local s, x = e.s, L + e.x
        if s.kind == "line" or s.kind == nil then
          add(string.format('<line x1="%s" x2="%s" y1="%d" y2="%d" stroke="%s" stroke-width="2.5"%s/>',
                            num(x), num(x + 24), y - 4, y - 4, s.color,
                            s.dash and string.format(' stroke-dasharray="%s"', s.dash) or ""))
        else
          add(string.format('<rect x="%s" y="%d" width="24" height="10" fill="%s" fill-opacity="%s"/>',
                            num(x), y - 9, s.color, num(math.max(s.opacity or 0.5, 0.5))))
        end
        add(string.format('<text x="%s" y="%d">%s</text>', num(x + 30), y, esc(s.name)))
      end
    end
    add('</g>')
  end
  if p.note then
    add(string.format('<text class="note" x="%d" y="%d">%s</text>', L + pw, 22, esc(p.note)))
  end
  add('</svg>')
  return table.concat(o, "\n")
end

R.plot = plot

---------------------------------------------------------------------- data for plots

local function db_to_pow(v) return finite(v) and 10 ^ (v / 10) or 0 end
local function pow_to_db(p) return p > 0 and 10 * math.log(p, 10) or -math.huge end

-- Log-spaced points of a spectrum: the highest bin within 1/48 octave of
-- each point (at least the nearest bin), so a tone keeps its level (the
-- spectrum is sine-calibrated) and averaged noise rises only a little.
local function log_spectrum(spec, fmin, fmax, n)
  local xs, ys = {}, {}
  local df = spec.bin_hz
  local nb = #spec.db
  for i = 0, n - 1 do
    local f = fmin * (fmax / fmin) ^ (i / (n - 1))
    local lo, hi = f * 2 ^ (-1 / 48), f * 2 ^ (1 / 48)
    local k0, k1 = math.max(1, math.ceil(lo / df)), math.min(nb - 1, math.floor(hi / df))
    local sum, cnt = 0, 0
    for k = k0, k1 do
      local p = db_to_pow(spec.db[k + 1])
      if p > sum then sum = p end
      cnt = cnt + 1
    end
    if cnt == 0 then
      local k = math.min(nb - 1, math.max(1, math.floor(f / df + 0.5)))
      sum = db_to_pow(spec.db[k + 1])
    end
    xs[#xs + 1] = f
    ys[#ys + 1] = pow_to_db(sum)
  end
  return xs, ys
end

-- Groups points into at most `cols` columns of time: per column the maximum
-- (mode "max") or the energy mean ("energy") of the values, at the time of
-- the column's first point.
local function by_columns(t, v, t0, t1, cols, mode)
  local xs, ys = {}, {}
  local cur, acc, cnt, tx = nil, nil, 0, nil
  local function flush()
    if cur == nil then return end
    xs[#xs + 1] = tx
    if mode == "energy" then ys[#ys + 1] = pow_to_db(acc / cnt) else ys[#ys + 1] = acc end
  end
  for i = 1, #t do
    local c = math.floor((t[i] - t0) / (t1 - t0) * cols)
    if c ~= cur then
      flush()
      cur, cnt, tx = c, 0, t[i]
      acc = mode == "energy" and 0 or -math.huge
    end
    if mode == "energy" then acc = acc + db_to_pow(v[i])
    elseif v[i] > acc then acc = v[i] end
    cnt = cnt + 1
  end
  flush()
  return xs, ys
end

local function range_of(lists, floor_db)
  local lo, hi = math.huge, -math.huge
  for _, l in ipairs(lists) do
    for _, v in ipairs(l) do
      if finite(v) and v > (floor_db or -math.huge) then
        lo = math.min(lo, v); hi = math.max(hi, v)
      end
    end
  end
  return lo, hi
end

local function duration_of(sets)
  local d = 0
  for _, m in ipairs(sets) do d = math.max(d, m.result.duration_s or 0) end
  return d > 0 and d or 1
end

-- sets = { {meas = meas, name = "before", color = ...}, ... }
local function spectrum_plot(id, sets)
  local nyq = 0
  for _, s in ipairs(sets) do nyq = math.max(nyq, s.meas.result.sample_rate / 2) end
  local fmax = math.min(20000, nyq)
  local series, all = {}, {}
  for _, s in ipairs(sets) do
    local xs, ys = log_spectrum(s.meas.spectrum, 20, fmax, 480)
    series[#series + 1] = {name = s.name, color = s.color, kind = "line", x = xs, y = ys,
                           role = "spectrum"}
    all[#all + 1] = ys
  end
  local _, hi = range_of(all)
  local silent = hi == -math.huge
  if silent then hi = -60 end
  local ymax = math.ceil((hi + 3) / 10) * 10
  return plot{
    id = id, title = "Long-term average spectrum (Welch, Hann; highest bin per 1/24 octave)",
    note = silent and "digital silence: nothing to draw" or nil,
    x = {label = "Frequency (Hz)", min = 20, max = fmax, log = true},
    y = {label = "Level (dBFS, sine-calibrated)", min = ymax - 100, max = ymax},
    series = series,
  }
end

local function bands_plot(id, sets)
  local series, all, labels = {}, {}, {}
  for i, c in ipairs(sets[1].meas.bands.centre) do labels[i] = hz_label(c) end
  for _, s in ipairs(sets) do
    series[#series + 1] = {name = s.name, color = s.color, kind = "bars", y = s.meas.bands.db,
                           x = {}, role = "bands"}
    all[#all + 1] = s.meas.bands.db
  end
  local lo, hi = range_of(all)
  if hi == -math.huge then lo, hi = -100, -40 end
  local ymax = math.ceil((hi + 3) / 10) * 10
  local ymin = math.max(math.floor((lo - 5) / 10) * 10, ymax - 90)
  local cut
  for _, s in ipairs(sets) do
    -- the 20 kHz band reaches 22.39 kHz
    if s.meas.result.sample_rate < 2 * 20000 * 10 ^ 0.05 then cut = s.meas.result.sample_rate end
  end
  return plot{
    id = id, title = "1/3-octave band levels (IEC 61260-1 nominal centres)", height = 320,
    note = cut and string.format("bands above %s Hz are cut at the Nyquist frequency", hz_label(cut / 2)),
    x = {label = "Band centre frequency (Hz)", min = 0, max = 31, band_labels = labels},
    y = {label = "Band level (dBFS)", min = ymin, max = ymax},
    series = series,
  }
end

local function loudness_plot(id, sets)
  local dur = duration_of((function() local l = {} for _, s in ipairs(sets) do l[#l + 1] = s.meas end return l end)())
  local cols = R.WIDTH - 104
  local series, all = {}, {}
  for _, s in ipairs(sets) do
    local se = s.meas.series
    local xm, ym = by_columns(se.t, se.momentary, 0, dur, cols, "max")
    local xs, ys = by_columns(se.t, se.short_term, 0, dur, cols, "max")
    local sfx = #sets > 1 and (" (" .. s.name .. ")") or ""
    series[#series + 1] = {name = "momentary" .. sfx, color = s.color, kind = "line",
                           x = xm, y = ym, width = 1.1, dash = "4,3",
                           role = "momentary"}
    series[#series + 1] = {name = "short-term" .. sfx, color = s.color, kind = "line",
                           x = xs, y = ys, width = 2.2, role = "short_term"}
    all[#all + 1] = ys
    all[#all + 1] = ym
  end
  local lo, hi = range_of(all, -90)
  local silent = hi == -math.huge
  if silent then lo, hi = -60, -10 end
  local ymax = math.ceil((hi + 2) / 5) * 5
  local ymin = math.max(math.floor((lo - 2) / 5) * 5, ymax - 50)
  local minutes = dur >= 120
  local ticks = time_ticks(0, dur)
  return plot{
    id = id, title = "Loudness over time (short-term 3 s, momentary 400 ms; BS.1770-4)",
    note = silent and "no loudness: the signal is silent or too short" or nil,
    x = {label = minutes and "Time (min:s)" or "Time (s)", min = 0, max = dur, ticks = ticks,
         tick_label = function(v) return time_label(v, minutes) end},
    y = {label = "Loudness (LUFS)", min = ymin, max = ymax},
    series = series,
  }
end

local function envelope_plot(id, sets)
  local metas = {}
  for _, s in ipairs(sets) do metas[#metas + 1] = s.meas end
  local dur = duration_of(metas)
  local cols = R.WIDTH - 104
  local series, peaks = {}, {}
  for _, s in ipairs(sets) do
    local e = s.meas.envelope
    local xp, yp = by_columns(e.t, e.peak_db, 0, dur, cols, "max")
    local xr, yr = by_columns(e.t, e.rms_db, 0, dur, cols, "energy")
    local sfx = #sets > 1 and (" (" .. s.name .. ")") or ""
    series[#series + 1] = {name = "sample peak" .. sfx, color = s.color, kind = "area",
                           x = xp, y = yp, opacity = #sets > 1 and 0.3 or 0.35, role = "peak"}
    series[#series + 1] = {name = "RMS" .. sfx, color = s.color, kind = "line",
                           x = xr, y = yr, width = 1.2, role = "rms"}
    peaks[#peaks + 1] = yp
  end
  local _, hi = range_of(peaks)
  local silent = hi == -math.huge
  if silent then hi = -60 end
  local ymax = math.max(0, math.ceil(hi))
  local ymin = hi > -42 and -60 or math.floor((hi - 24) / 6) * 6
  local minutes = dur >= 120
  return plot{
    id = id, title = "Waveform envelope (peak and RMS per pixel column)",
    note = silent and "digital silence: nothing to draw" or nil,
    x = {label = minutes and "Time (min:s)" or "Time (s)", min = 0, max = dur,
         ticks = time_ticks(0, dur), tick_label = function(v) return time_label(v, minutes) end},
    y = {label = "Level (dBFS)", min = ymin, max = ymax},
    series = series,
  }
end

local function gr_plot(id, gr, dur)
  local series, all = {}, {}
  local cols = R.WIDTH - 104
  for i, s in ipairs(gr) do
    local neg = {}
    for k, v in ipairs(s.db) do neg[k] = -v end
    -- per column the deepest reduction (the minimum of -dB)
    local pos = {}
    for k, v in ipairs(neg) do pos[k] = -v end
    local xs, ys = by_columns(s.t, pos, 0, dur, cols, "max")
    for k, v in ipairs(ys) do ys[k] = -v end
    series[#series + 1] = {name = s.name, color = GR_COLORS[(i - 1) % #GR_COLORS + 1],
                           kind = "line", x = xs, y = ys, width = 1.6, role = "gain_reduction"}
    all[#all + 1] = ys
  end
  local lo = range_of(all)
  if lo == math.huge then lo = 0 end
  local ymin = math.min(-1, math.floor(lo - 0.5))
  local minutes = dur >= 120
  return plot{
    id = id, title = "Gain reduction of the dynamics processors", height = 300,
    x = {label = minutes and "Time (min:s)" or "Time (s)", min = 0, max = dur,
         ticks = time_ticks(0, dur), tick_label = function(v) return time_label(v, minutes) end},
    y = {label = "Gain change (dB)", min = ymin, max = 0.5},
    series = series,
  }
end

---------------------------------------------------------------------- tables

local ROWS = {
  {"integrated_lufs", "Integrated loudness", "LUFS", 2},
  {"loudness_range_lu", "Loudness range (LRA)", "LU", 2},
  {"max_momentary_lufs", "Max momentary loudness", "LUFS", 2},
  {"max_short_term_lufs", "Max short-term loudness", "LUFS", 2},
  {"true_peak_dbtp", "True peak", "dBTP", 2},
  {"sample_peak_dbfs", "Sample peak", "dBFS", 2},
  {"rms_dbfs", "RMS", "dBFS", 2},
  {"crest_db", "Crest factor", "dB", 2},
  {"dc_offset", "DC offset", "", 6},
  {"clipped_samples", "Clipped samples", "", 0},
  {"nonfinite_samples", "Non-finite samples", "", 0},
  {"correlation", "Stereo correlation", "", 3},
  {"balance_db", "Balance (L-R)", "dB", 2},
  {"duration_s", "Duration", "s", 3},
  {"sample_rate", "Sample rate", "Hz", 0},
  {"channels", "Channels", "", 0},
}

local function cell(v, d)
  if not finite(v) then return "n/a" end
  if d == 0 then return string.format("%d", math.floor(v + 0.5)) end
  local s = string.format("%." .. d .. "f", v)
  if tonumber(s) == 0 then s = string.format("%." .. d .. "f", 0) end
  return s
end

local function measurement_table(cols)
  local o = {'<table class="meas"><thead><tr><th>Measurement</th><th>Unit</th>'}
  for _, c in ipairs(cols) do o[#o + 1] = "<th>" .. esc(c.name) .. "</th>" end
  if #cols == 2 then o[#o + 1] = "<th>Change</th>" end
  o[#o + 1] = "</tr></thead><tbody>"
  for _, row in ipairs(ROWS) do
    local key, label, unit, d = row[1], row[2], row[3], row[4]
    o[#o + 1] = string.format('<tr data-key="%s"><td>%s</td><td>%s</td>', key, esc(label), esc(unit))
    for _, c in ipairs(cols) do
      local v = c.result[key]
      o[#o + 1] = string.format('<td class="num"%s>%s</td>',
                                finite(v) and string.format(' data-value="%s"', num(v, 6)) or "",
                                cell(v, d))
    end
    if #cols == 2 then
      local a, b = cols[1].result[key], cols[2].result[key]
      local delta = (finite(a) and finite(b) and unit ~= "Hz" and key ~= "channels")
                    and string.format("%+." .. d .. "f", b - a) or ""
      o[#o + 1] = '<td class="num">' .. delta .. "</td>"
    end
    o[#o + 1] = "</tr>"
  end
  o[#o + 1] = "</tbody></table>"
  return table.concat(o)
end

---------------------------------------------------------------------- page

local CSS = [[
*{box-sizing:border-box}
body{margin:0 auto;max-width:1280px;padding:16px 24px 48px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330;background:#f4f5f7}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ccd;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}.meta{color:#556;font-size:13px}
figure{margin:12px 0;background:#fff;border:1px solid #dde;border-radius:6px;padding:4px}
figure svg{display:block}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:14px}
th,td{border:1px solid #dde;padding:4px 10px;text-align:left}th{background:#eef0f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre,code{font:13px/1.4 "DejaVu Sans Mono",Menlo,Consolas,monospace}
ol.chain{background:#fff;border:1px solid #dde;border-radius:6px;padding:8px 8px 8px 40px}
ol.chain li{font:13px/1.6 "DejaVu Sans Mono",Menlo,Consolas,monospace}
.plot text{font-family:system-ui,"DejaVu Sans",sans-serif;fill:#1d2330}
.plot .ptitle{font-size:16px;font-weight:600}.plot .note{font-size:12px;text-anchor:end;fill:#556}
.plot .axis{font-size:14px;text-anchor:middle}
.plot .xt{font-size:12px;text-anchor:middle}.plot .yt{font-size:12px;text-anchor:end}
.plot .grid line{stroke:#e3e6ec;stroke-width:1}.plot .grid line.minor{stroke:#f0f2f5}
.plot .frame{fill:none;stroke:#889;stroke-width:1}
.plot .legend text{font-size:12.5px}
]]

local function page(title, subtitle, body, data)
  local json = manifest.json(data or {}):gsub("<", "\\u003c")
  return table.concat{
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<link rel="icon" href="data:,">\n',
    "<title>", esc(title), "</title>\n<style>\n", CSS, "</style>\n</head>\n<body>\n",
    "<h1>", esc(title), "</h1>\n",
    '<p class="meta">', esc(subtitle), "</p>\n",
    body,
    '\n<script type="application/json" id="mixdown-data">', json, "</script>\n",
    "</body>\n</html>\n",
  }
end

local function stamp()
  return string.format("mixdown %s, %s", md.version, os.date("!%Y-%m-%d %H:%M UTC"))
end

local function data_of(meas)
  return manifest.measurements(meas.result)
end

--- The page for `analyze --report`: one section per file.
function R.analysis_page(o)
  local files = o.files or o
  local body = {}
  local data = manifest.array()
  for i, meas in ipairs(files) do
    local r = meas.result
    local id = "f" .. i
    local base = tostring(meas.path or meas.label or "file"):match("([^/]*)$")
    local sets = {{meas = meas, name = base, color = COLORS.single}}
    body[#body + 1] = string.format('<section id="%s" data-file="%s">\n<h2>%s</h2>\n', id,
                                    esc(meas.path or meas.label), esc(meas.label or meas.path))
    body[#body + 1] = string.format('<p class="meta">%d Hz, %d channel%s, %s s</p>\n',
                                    r.sample_rate, r.channels, r.channels == 1 and "" or "s",
                                    cell(r.duration_s, 3))
    body[#body + 1] = measurement_table{{name = "Value", result = r}}
    body[#body + 1] = "<figure>" .. loudness_plot(id .. "-loudness", sets) .. "</figure>\n"
    body[#body + 1] = "<figure>" .. envelope_plot(id .. "-envelope", sets) .. "</figure>\n"
    body[#body + 1] = "<figure>" .. spectrum_plot(id .. "-spectrum", sets) .. "</figure>\n"
    body[#body + 1] = "<figure>" .. bands_plot(id .. "-bands", sets) .. "</figure>\n"
    body[#body + 1] = "</section>\n"
    data[i] = manifest.ordered({"file", "measurements"},
                               {file = meas.path or meas.label, measurements = data_of(meas)})
  end
  return page("mixdown analysis", stamp(), table.concat(body),
              manifest.ordered({"kind", "files"}, {kind = "analysis", files = data}))
end

local function chain_items(chain)
  local o = {}
  for _, n in ipairs(chain or {}) do
    o[#o + 1] = "<li>" .. esc(type(n) == "string" and n or tostring(n)) .. "</li>"
  end
  return o
end

local function kv_table(t, title)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  if #keys == 0 then return "" end
  table.sort(keys)
  local o = {"<h3>" .. esc(title) .. "</h3><table><tbody>"}
  for _, k in ipairs(keys) do
    o[#o + 1] = string.format("<tr><th>%s</th><td><code>%s</code></td></tr>", esc(k), esc(tostring(t[k])))
  end
  o[#o + 1] = "</tbody></table>"
  return table.concat(o)
end

-- One delivery: before/after of one output. ids: prefix for the plot ids.
local function delivery_section(d, prefix, several)
  local before, after = d.before, d.after
  local sets = {
    {meas = before, name = "before", color = COLORS.before},
    {meas = after, name = "after", color = COLORS.after},
  }
  local input, output = d.input or before.path or "?", d.output or after.path or "?"
  local body = {}
  local function add(s) body[#body + 1] = s end
  local h = several and "h3" or "h2"
  add(string.format('<section id="%s" data-input="%s" data-output="%s">\n', prefix .. "master",
                    esc(input), esc(output)))
  if several then add(string.format("<h2>%s</h2>\n", esc(output))) end
  add(string.format('<p class="meta">input <code>%s</code> &rarr; output <code>%s</code></p>\n',
                    esc(input), esc(output)))
  if d.targets then
    local t = d.targets
    add(string.format('<p>Target: %s%s LUFS integrated, true-peak ceiling %s dBTP.</p>\n',
                      t.platform and (esc(t.platform) .. ", ") or "",
                      esc(tostring(t.target or "?")), esc(tostring(t.ceiling or "?"))))
  end
  local function head(text) add(string.format("<%s>%s</%s>\n", h, text, h)) end
  head("Measurements")
  add(measurement_table{{name = "Before", result = before.result}, {name = "After", result = after.result}})
  head("Loudness")
  add("<figure>" .. loudness_plot(prefix .. "loudness", sets) .. "</figure>\n")
  head("Waveform")
  add("<figure>" .. envelope_plot(prefix .. "envelope", sets) .. "</figure>\n")
  head("Spectrum")
  add("<figure>" .. spectrum_plot(prefix .. "spectrum", sets) .. "</figure>\n")
  add("<figure>" .. bands_plot(prefix .. "bands", sets) .. "</figure>\n")
  head("Dynamics")
  local gr = d.gr and (d.gr.series or d.gr) or {}
  local gr_data = manifest.array()
  if #gr > 0 then
    add("<figure>" .. gr_plot(prefix .. "gain-reduction", gr, duration_of{before, after}) .. "</figure>\n")
    for i, s in ipairs(gr) do
      local mx = 0
      for _, v in ipairs(s.db) do if v > mx then mx = v end end
      gr_data[i] = manifest.ordered({"name", "max_reduction_db"}, {name = s.name, max_reduction_db = mx})
    end
  else
    add("<p>No compressor, limiter, gate or expander was recorded in this chain.</p>\n")
  end
  head("Recipe")
  if d.preset then add("<p>Preset: <code>" .. esc(d.preset) .. "</code></p>\n") end
  local items = chain_items(d.chain)
  if #items > 0 then
    add('<ol class="chain">' .. table.concat(items) .. "</ol>\n")
  end
  add(kv_table(d.params, "Parameters"))
  add(kv_table(d.render, "Output"))
  for _, n in ipairs(d.notes or {}) do add("<p>" .. esc(n) .. "</p>\n") end
  add("</section>\n")
  local data = manifest.ordered(
    {"input", "output", "before", "after", "gain_reduction"},
    {input = input, output = output, before = data_of(before), after = data_of(after),
     gain_reduction = gr_data})
  return table.concat(body), data
end

--- The page for `master --report`: before/after of each delivery.
--- o: the fields of one delivery {input, output, before, after, targets, gr,
--- chain, params, render, preset, notes}, or o.deliveries = {such tables}
--- (several platforms or inputs: one section each; fields missing in a
--- delivery are taken from o).
function R.master_page(o)
  local list = o.deliveries or {o}
  local body, data = {}, manifest.array()
  for i, d in ipairs(list) do
    if d ~= o then setmetatable(d, {__index = o}) end
    local prefix = #list > 1 and string.format("d%d-", i) or ""
    local html, dd = delivery_section(d, prefix, #list > 1)
    body[#body + 1] = html
    data[i] = dd
  end
  local first = getmetatable(data[1]).__jsonvalues
  local top = manifest.ordered(
    {"kind", "input", "output", "before", "after", "gain_reduction", "deliveries"},
    {kind = "master", input = first.input, output = first.output, before = first.before,
     after = first.after, gain_reduction = first.gain_reduction, deliveries = data})
  return page("mixdown master report", stamp(), table.concat(body), top)
end

--- Writes a page atomically. data: the HTML text, {files = {meas...}} for
--- an analysis, or the fields of master_page.
function R.write(path, data)
  local html = data
  if type(data) == "table" then
    if data.files then html = R.analysis_page(data)
    else html = R.master_page(data) end
  end
  return manifest.write_text(path, html)
end

--- master_page written to o.path.
function R.master_report(o)
  return R.write(assert(o.path, "report.master_report: path is required"), o)
end

---------------------------------------------------------------------- analyze --report

local HELP = [[
usage: mixdown analyze FILE... --report FILE.html [--json]

Measures each file (as `mixdown analyze`) and writes one HTML page with a
section per file: the measurements, loudness over time, the waveform
envelope, the long-term spectrum and 1/3-octave band levels. The page is
self-contained (inline SVG, no network, no JavaScript).
]]

local function print_table(path, info, r)
  local fmt = string.format("%s, %s", (info.format or "?"):upper(), (info.subtype or "?"):upper())
  io.write(path, "\n")
  io.write(string.format("  %-20s %s, %d Hz, %d channel%s, %.3f s\n", "format", fmt,
                         r.sample_rate, r.channels, r.channels == 1 and "" or "s", r.duration_s))
  local function row(label, v, d, unit)
    if finite(v) then
      if math.abs(v) < 0.5 * 10 ^ -d then v = 0 end
      io.write(string.format("  %-20s %12." .. d .. "f%s%s\n", label, v, unit ~= "" and " " or "", unit))
    else
      io.write(string.format("  %-20s %12s\n", label, "n/a"))
    end
  end
  row("integrated loudness", r.integrated_lufs, 2, "LUFS")
  row("loudness range", r.loudness_range_lu, 2, "LU")
  row("max momentary", r.max_momentary_lufs, 2, "LUFS")
  row("max short-term", r.max_short_term_lufs, 2, "LUFS")
  row("true peak", r.true_peak_dbtp, 2, "dBTP")
  row("sample peak", r.sample_peak_dbfs, 2, "dBFS")
  row("rms", r.rms_dbfs, 2, "dBFS")
  row("crest", r.crest_db, 2, "dB")
  if finite(r.dc_offset) then
    io.write(string.format("  %-20s %12.6f\n", "dc offset", r.dc_offset))
  else
    io.write(string.format("  %-20s %12s\n", "dc offset", "n/a"))
  end
  io.write(string.format("  %-20s %12d\n", "clipped samples", r.clipped_samples))
  io.write(string.format("  %-20s %12d\n", "non-finite samples", r.nonfinite_samples))
  row("correlation", r.correlation, 3, "")
  row("balance (L-R)", r.balance_db, 2, "dB")
end

local function print_json(path, info, r)
  local function n(v, d)
    if not finite(v) then return "null" end
    return string.format("%." .. d .. "f", v)
  end
  local tp, sp = {}, {}
  for i, v in ipairs(r.true_peak_per_channel or {}) do tp[i] = v and n(v, 4) or "null" end
  for i, v in ipairs(r.sample_peak_per_channel or {}) do sp[i] = n(v, 4) end
  io.write(string.format(
    '{"file":%s,"format":%s,"subtype":%s,"sample_rate":%d,"channels":%d,"frames":%d,' ..
    '"duration_s":%s,"integrated_lufs":%s,"loudness_range_lu":%s,"max_momentary_lufs":%s,' ..
    '"max_short_term_lufs":%s,"sample_peak_dbfs":%s,"true_peak_dbtp":%s,' ..
    '"true_peak_per_channel":[%s],"sample_peak_per_channel":[%s],"rms_dbfs":%s,' ..
    '"crest_db":%s,"dc_offset":%s,' ..
    '"clipped_samples":%d,"nonfinite_samples":%d,"correlation":%s,"balance_db":%s}\n',
    manifest.json(path), manifest.json((info.format or ""):lower()),
    manifest.json((info.subtype or ""):lower()), r.sample_rate, r.channels, r.frames,
    n(r.duration_s, 6), n(r.integrated_lufs, 4), n(r.loudness_range_lu, 4),
    n(r.max_momentary_lufs, 4), n(r.max_short_term_lufs, 4), n(r.sample_peak_dbfs, 4),
    n(r.true_peak_dbtp, 4), table.concat(tp, ","), table.concat(sp, ","), n(r.rms_dbfs, 4),
    n(r.crest_db, 4),
    finite(r.dc_offset) and string.format("%.6g", r.dc_offset) or "null",
    r.clipped_samples, r.nonfinite_samples, n(r.correlation, 6), n(r.balance_db, 4)))
end

--- `mixdown analyze FILE... --report FILE.html [--json]` (cli.c routes here
--- when --report is given). Returns the exit code.
function R.analyze_main(args)
  local files, out, json = {}, nil, false
  local i, only_files = 1, false
  while i <= #args do
    local a = args[i]
    if only_files then files[#files + 1] = a
    elseif a == "--" then only_files = true
    elseif a == "--help" or a == "-h" then io.write(HELP); return 0
    elseif a == "--json" then json = true
    elseif a == "--report" then
      out = args[i + 1]
      if not out or out == "" then
        error("analyze: --report needs a file name (e.g. --report report.html)", 0)
      end
      i = i + 1
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      error(string.format("analyze: unknown option '%s' (try 'mixdown analyze --help')", a), 0)
    else files[#files + 1] = a end
    i = i + 1
  end
  if #files == 0 then error("analyze: no input file (try 'mixdown analyze --help')", 0) end
  local code, measured = 0, {}
  for _, path in ipairs(files) do
    if path == "-" then
      io.stderr:write(string.format("mixdown: analyze: --report reads files, not standard input (%s not written)\n", out))
      code = 1
    else
      local info, perr = md.probe(path)
      local ok, meas = false, perr
      if info then
        ok, meas = pcall(R.measure, path, {progress = true})
      end
      if ok then
        measured[#measured + 1] = meas
        if json then print_json(path, info, meas.result) else print_table(path, info, meas.result) end
        io.stdout:flush()
      else
        if md.cancelled() then error("interrupted", 0) end
        local msg = tostring(meas):gsub("^[^:]*:%d+: ", "")
        io.stderr:write(string.format("mixdown: analyze: %s (%s not written)\n", msg, out))
        code = 1
      end
    end
  end
  if code ~= 0 then return code end
  R.write(out, {files = measured})
  return 0
end

return R
