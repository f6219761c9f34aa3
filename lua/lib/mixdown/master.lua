-- `mixdown master`: a preset's chain, then gain and a true-peak limiter set so
-- the delivered file reaches a loudness target under a ceiling, verified on
-- the file as written (closed loop).
--
-- The preset (default `transparent`) is loaded and built in the sandbox once
-- per run (presets.lua): its build records a chain, which is checked here and
-- turned into real nodes. Its input is staged at the working level
-- (recipe.LEVEL, -18 LUFS integrated; with --album one gain for every track)
-- so that thresholds in a preset mean the same for every song.
--
-- How the target is reached: the chain before the gain stage is rendered once
-- (to a 32-bit float file beside the output, unless the chain is empty, when
-- the input itself is that signal) and measured. The gain is target -
-- measured loudness; when the true peak then stays under the ceiling the
-- result is gain only (the limiter never acts). Otherwise the limiter works,
-- loudness falls short, and the gain is corrected by secant steps until the
-- output is within 0.05 LU. The delivered file is measured again after
-- dither, resampling and encoding (decoded for lossy formats); a true peak
-- over the ceiling lowers the limiter's ceiling by the overshoot and renders
-- again. A file that still misses is reported with figures (exit 1).
--
-- --album: every track gets the same gain, so their loudness differences
-- stay as they are: the album's loudness (the duration-weighted energy mean
-- of the tracks' integrated loudness) is brought to the target by the same
-- secant steps, rendering every track at each step.
local md = require "mixdown"
local optargs = require "mixdown.args"
local fs = require "mixdown.fs"
local platforms = require "mixdown.platforms"
local presets = require "mixdown.presets"
local recipe = require "mixdown.recipe"
local report = require "mixdown.report"
local manifest = require "mixdown.manifest"
local meta = require "mixdown.metadata"
local match = require "mixdown.match"

local M = {}

M.help = [[
Usage: mixdown master IN... -o OUT|DIR [options]

Masters each input with a preset's chain, then brings it to a loudness target
under a true-peak ceiling and checks the delivered file.

Options:
  -o FILE|DIR          output file (one input) or directory (DIR/<name>.<ext>)
  --preset NAME|FILE   mastering preset (default: transparent, gain and a
                       true-peak limiter only); `mixdown presets` lists them
  --set KEY=VALUE      a preset parameter (repeatable), e.g. --set intensity=0.7
  --platform NAME[,..] delivery target(s): ]] .. table.concat(platforms.names, ", ") .. [[

                       several platforms write <stem>.<platform>.<ext> each
  --target LUFS        integrated loudness target
  --ceiling DBTP       true-peak ceiling
  --album              one gain for every input: their loudness differences are
                       kept and the album as a whole reaches the target
  --bits 16|24|32|32f  output word length (default 24; 16 and 24 are dithered)
  --rate HZ            output sample rate (resampled)
  --format EXT         output format when -o is a directory (default: the input's)
  -j N                 master N files at once (several inputs; with --report or
                       --manifest the files are mastered one after another)
  --dry-run            show the plan (chain, parameters, targets), render nothing
  --quiet              no per-file summary

Delivery documents and metadata:
  --report FILE.html   one page: before/after measurements and plots of every
                       delivered file, gain reduction, chain and parameters
  --manifest FILE.json what it takes to render again: command, preset hash,
                       parameters, targets, chain, SHA-256 and figures of files
  --tag KEY=VALUE      a tag of every output (repeatable; the input's own tags
                       are carried over), e.g. --tag title="Song"
  --isrc CODE          the recording's ISRC (CC-XXX-YY-NNNNN); WAV outputs also
                       get a BWF bext chunk with the measured loudness

]] .. match.help .. [[

Targets: --target/--ceiling, then --platform, then the preset's own target and
ceiling, then spotify (-14 LUFS, -1 dBTP).

Examples:
  mixdown master song.wav -o song.master.wav --preset pop
  mixdown master song.wav -o out/ --preset rock --set intensity=0.8 --platform spotify,apple
  mixdown master a.wav b.wav c.wav -o album/ --album --preset jazz
  mixdown master a.wav b.wav -o masters/ --target -16 --ceiling -1.5 --bits 16 -j 2
  mixdown master song.wav -o out.wav --reference ref.wav --match tone=80,width=50
  mixdown master song.wav -o out.wav --report out.html --manifest out.json --tag title=Song

Exit codes: 0 delivered on target, 1 bad usage/input/preset or a delivered
file that misses its target or ceiling (the figures are printed), 2 internal,
130 Ctrl-C.
]]

local function fail(msg) error(msg, 0) end

local function fmt(v, unit)
  if v == nil then return "-inf " .. unit end
  return string.format("%.1f %s", v, unit)
end

local function parse(args)
  local o = {inputs = {}, sets = {}, platforms = nil, bits = 24, jobs = 1, tag_args = {}, match_args = {}}
  local i = 1
  local function value(name)
    local v
    v, i = optargs.value("master", args, i, name)
    return v
  end
  local function number(name)
    local n
    n, i = optargs.number("master", args, i, name)
    return n
  end
  while i <= #args do
    local a = args[i]
    local ni = match.parse_option(o, args, i)
    if a == "-h" or a == "--help" then o.help = true; i = i + 1
    elseif a == "-o" or a == "--output" then o.output = value(a)
    elseif a == "--platform" then o.platforms = value(a)
    elseif a == "--target" then o.target = number(a)
    elseif a == "--ceiling" then o.ceiling = number(a)
    elseif a == "--preset" then o.preset = value(a)
    elseif a == "--set" then o.sets[#o.sets + 1] = value(a)
    elseif a == "--album" then o.album = true; i = i + 1
    elseif a == "--bits" then
      local b = value(a)
      if b == "32f" then o.bits = "32f"
      elseif b == "16" or b == "24" or b == "32" then o.bits = tonumber(b)
      else fail("master: --bits must be 16, 24, 32 or 32f, got '" .. b .. "'") end
    elseif a == "--rate" then o.rate = number(a)
    elseif a == "--format" then o.format = value(a)
    elseif a == "-j" or a == "--jobs" then
      local n = number(a)
      o.jobs = math.tointeger(n)
      if not o.jobs or o.jobs < 1 then fail(string.format("master: -j must be a whole number >= 1, got %g", n)) end
    elseif a:match("^%-j%d+$") then o.jobs = tonumber(a:sub(3)); i = i + 1
    elseif a == "--dry-run" then o.dry_run = true; i = i + 1
    elseif a == "--quiet" then o.quiet = true; i = i + 1
    elseif a == "--report" or a == "--manifest" then o[a:sub(3)] = value(a)
    elseif a == "--tag" then
      local raw = value(a)
      local k, v = meta.parse_tag(raw)
      o.tags = o.tags or {}
      o.tags[k] = v
      o.tag_args[#o.tag_args + 1] = raw
    elseif a == "--isrc" then o.isrc = meta.parse_isrc(value(a))
    elseif ni then
      -- reference mastering (match.lua), kept as given for the workers of -j
      for k = i, ni - 1 do o.match_args[#o.match_args + 1] = args[k] end
      i = ni
    elseif a:sub(1, 1) == "-" and #a > 1 then
      fail("master: unknown option '" .. a .. "' (see mixdown master --help)")
    else o.inputs[#o.inputs + 1] = a; i = i + 1 end
  end
  return o
end

-- the delivery targets, by the DESIGN precedence
local function targets(o, preset, plan)
  local list = {}
  if o.platforms then
    for name in o.platforms:gmatch("[^,]+") do
      local p = platforms.table[name]
      if not p then
        fail(string.format("master: unknown platform '%s' (known: %s)", name,
                           table.concat(platforms.names, ", ")))
      end
      list[#list + 1] = {name = name, target = p.target, ceiling = p.ceiling, spec = p}
    end
  else
    local pname = preset.platform or platforms.default
    local p = platforms.table[pname]
    if not p then
      fail(string.format("%s: preset '%s': unknown platform '%s' (known: %s)", preset.file, preset.name,
                         pname, table.concat(platforms.names, ", ")))
    end
    local t = {name = nil, target = p.target, ceiling = p.ceiling, spec = p}
    if plan.target then t.target = plan.target; t.spec = {} end
    if plan.ceiling then t.ceiling = plan.ceiling end
    list[1] = t
  end
  for _, t in ipairs(list) do
    if o.target then t.target = o.target; t.spec = {} end
    if o.ceiling then t.ceiling = o.ceiling end
    -- a reference moves the loudness target (not an RMS spec's); the ceiling holds
    if o.ref and not (t.spec and t.spec.measure == "rms") then
      t.target = match.target(o.ref, t.target, match.master_loudness(o))
    end
    if not (t.target >= -70 and t.target <= 0) then
      fail(string.format("master: --target must be within -70..0 LUFS, got %g", t.target))
    end
    if not (t.ceiling >= -30 and t.ceiling <= 0) then
      fail(string.format("master: --ceiling must be within -30..0 dBTP, got %g", t.ceiling))
    end
  end
  return list
end

local function split_path(path)
  local dir, base = path:match("^(.*)/([^/]*)$")
  if not dir then dir, base = ".", path end
  if dir == "" then dir = "/" end
  local stem, ext = base:match("^(.*)%.([^.]+)$")
  if not stem or stem == "" then stem, ext = base, nil end
  return dir, stem, ext
end

-- output paths for one input: {platform target -> path}
local function outputs_for(o, input, tlist, several_inputs)
  local out = o.output
  local is_dir = fs.stat(out) == "dir" or out:sub(-1) == "/"
  if several_inputs and not is_dir then
    fail("master: with several inputs, -o must be a directory, got '" .. out .. "'")
  end
  local paths = {}
  local _, istem, iext = split_path(input)
  for _, t in ipairs(tlist) do
    local dir, stem, ext
    if is_dir then
      dir, stem, ext = out:gsub("/+$", ""), istem, o.format or iext or "wav"
      if dir == "" then dir = "/" end
    else
      dir, stem, ext = split_path(out)
      ext = ext or o.format or "wav"
    end
    local name = stem .. ((#tlist > 1 and t.name) and ("." .. t.name) or "") .. "." .. ext
    paths[#paths + 1] = dir .. "/" .. name
  end
  return paths
end

local function lossy(path)
  local ext = (path:match("%.([^./]+)$") or ""):lower()
  return ext == "ogg" or ext == "opus" or ext == "mp3" or ext == "oga"
end

local function analyze(path, true_peak)
  local g = md.graph()
  local m = g:file(path):meter{true_peak = true_peak ~= false}
  g:run{progress = false}
  return m:result()
end

-- input: the ORIGINAL input (its tags are carried over; src may be a temp file)
local function write_opts(o, path, input)
  local w = {}
  if o.bits == "32f" then w.bits = "32f" else w.bits = o.bits end
  if lossy(path) then w.bits = nil end
  if o.rate then w.rate = o.rate end
  return meta.write_options(input, {tags = o.tags, isrc = o.isrc}, w)
end

-- the nodes whose gain reduction a report can plot
local DYNAMICS = {compressor = true, limiter = true, gate = true, expander = true}

-- one pass: source -> gain -> limiter -> file, measuring the loudness on the
-- way; with gr (a table) the limiter's gain reduction goes to gr.series.
-- Without path the pass only measures (no file written).
local function render_pass(src, gain_db, ceiling, path, wopts, gr)
  local g = md.graph()
  local lim = g:file(src):gain{db = gain_db}:limiter{ceiling = ceiling, true_peak = true}
  local m = lim:meter{true_peak = false}
  if path then lim:write(path, wopts) end
  if gr and path then
    local rec = report.gr_recorder({lim})
    g:run{every = rec.every, on_block = rec.on_block}
    gr.series = rec.series
  else
    g:run()
  end
  return m:result()
end

local function temp_name(path, what)
  local dir, stem, ext = split_path(path)
  return string.format("%s/.%s.%d.%s.%s", dir, stem, fs.pid(), what, (what == "chain" or what == "match") and "wav" or (ext or "wav"))
end

local function level_of(r, rms_mode)
  if rms_mode then return r.rms_dbfs end
  return r.integrated_lufs
end

local function clamp(v, lo, hi) return math.max(lo, math.min(hi, v)) end

-- Secant steps on one gain for a set of tracks: measure(gain) renders them and
-- returns the level to bring to the target. Returns the gain and the passes.
-- measure(gain, write): write tells whether this pass is expected to be the
-- last (every pass but the first, and the first when first_write): a caller
-- may then write its output in the same pass.
local function converge(measure, gain, target, first_write)
  local passes, g0, l0 = 0, nil, nil
  for _ = 1, 8 do
    gain = math.min(gain, 48)
    passes = passes + 1
    local got = measure(gain, passes > 1 or first_write == true)
    if got == nil then fail("the output is silent") end
    local miss = target - got
    if math.abs(miss) <= 0.05 then break end
    local slope = 1
    if g0 and gain ~= g0 and got ~= l0 then slope = (got - l0) / (gain - g0) end
    -- the limiter swallows more gain than it gives: the target is out of reach
    if slope < 0.05 then break end
    if gain >= 48 and g0 and g0 >= 48 then break end
    g0, l0 = gain, got
    gain = gain + miss / slope
  end
  return gain, passes
end

-- figures that miss the delivery spec, as text
local function misses_of(result, t)
  local rms_mode = t.spec and t.spec.measure == "rms"
  local level = level_of(result, rms_mode)
  local peak = rms_mode and result.sample_peak_dbfs or result.true_peak_dbtp
  local misses = {}
  if level == nil or math.abs(level - t.target) > 0.1 + 1e-9 then
    if not (rms_mode and level and level >= t.spec.rms_min and level <= t.spec.rms_max) then
      misses[#misses + 1] = string.format("%s %s (target %g ±0.1)", rms_mode and "RMS" or "loudness",
                                          fmt(level, rms_mode and "dBFS" or "LUFS"), t.target)
    end
  end
  if peak ~= nil and peak > t.ceiling + 1e-9 then
    misses[#misses + 1] = string.format("%s %s over the ceiling %g", rms_mode and "sample peak" or "true peak",
                                        fmt(peak, rms_mode and "dBFS" or "dBTP"), t.ceiling)
  end
  return misses
end

-- Reaches one target for one source; returns a summary table or raises.
-- input: the original input (tags). With --report, r.after holds the plots
-- measurement of the delivered file and r.gr the limiter's last pass.
local function deliver(o, src, before, t, path, input)
  local rms_mode = t.spec and t.spec.measure == "rms"
  local level0 = level_of(before, rms_mode)
  if level0 == nil then
    fail(string.format("%s: the input is silent: no loudness to bring to %g %s", path,
                       t.target, rms_mode and "dBFS RMS" or "LUFS"))
  end
  local tmp = temp_name(path, "part")
  local wopts = write_opts(o, path, input)
  local gain, limit, passes, result, after = t.target - level0, t.ceiling, 0, nil, nil
  local gr = o.report and {} or nil
  local ok, err = pcall(function()
    -- aim: the level the in-graph meter must read for the FILE to read the
    -- target (they differ after lossy encoding, which moves loudness a little)
    local aim = t.target
    -- the secant passes only measure, except a pass that is expected to be
    -- the last, which writes the file too; the file is rendered at the final
    -- gain when the last pass did not write it. The first pass writes when
    -- the limiter will likely stay idle (the sample peak under the ceiling).
    local peak0 = before.sample_peak_dbfs
    local first_write = peak0 ~= nil and peak0 + gain < limit - 0.5
    for round = 1, 4 do
      local n, written
      gain, n = converge(function(gdb, write)
        local r = render_pass(src, gdb, limit, write and tmp or nil, wopts, write and gr or nil)
        written = write and gdb or nil
        return level_of(r, rms_mode)
      end, gain, aim, first_write or round > 1)
      passes = passes + n
      if written ~= gain then
        render_pass(src, gain, limit, tmp, wopts, gr)
        passes = passes + 1
      end
      if o.report then
        after = report.measure(tmp)
        result = after.result
      else
        result = analyze(tmp, true)
      end
      local again = false
      local tp = result.true_peak_dbtp
      if tp ~= nil and tp > t.ceiling then
        -- encoding or dither pushed the peak over: lower the limiter and go again
        limit = limit - (tp - t.ceiling) - 0.05
        again = true
      end
      local got = level_of(result, rms_mode)
      if got ~= nil and math.abs(got - t.target) > 0.05 then
        aim = aim + (t.target - got)
        again = true
      end
      if not again or limit < -40 then break end
    end
    -- the BWF loudness fields (WAV) from the file as written
    meta.finish(tmp, result)
  end)
  if not ok then
    fs.remove(tmp)
    error(err, 0)
  end
  local okr, rerr = fs.rename(tmp, path)
  if not okr then fs.remove(tmp); fail(rerr) end
  if after then after.path, after.label, after.result.file = path, path, path end
  return {path = path, result = result, passes = passes, gain = gain, misses = misses_of(result, t), rms = rms_mode,
          after = after, gr = gr and gr.series, limit = limit}
end

-- the chain of the preset, rendered once to a float file: returns the
-- source of the loudness passes and its measurements
-- source of the loudness passes and its measurements. With gr (a table) the
-- gain reduction of the chain's dynamics nodes goes to gr.series, when
-- presets.build hands back its nodes (a second result).
local function render_chain(input, plan, preset, pregain, chain_path, gr)
  local g = md.graph()
  local x = g:file(input)
  if pregain ~= 0 then x = x:gain{db = clamp(pregain, -100, 24)} end
  local y, nodes = presets.build(plan, x, preset)
  -- only its loudness (and RMS, sample peak) sets the gain stage
  local m = y:meter{true_peak = false}
  y:write(chain_path, {bits = "32f"})
  local dyn = {}
  if gr and type(nodes) == "table" then
    for i = 2, #plan.records do
      local n = nodes[i]
      if n and plan.records[i].type and DYNAMICS[plan.records[i].type] then dyn[#dyn + 1] = n end
    end
  end
  if #dyn > 0 then
    local rec = report.gr_recorder(dyn)
    g:run{every = rec.every, on_block = rec.on_block}
    gr.series = rec.series
  else
    g:run()
  end
  return m:result()
end

-- The reference match (--reference) of src, the signal before the gain
-- stage: returns the source to use (a float temp file beside out_path, or
-- src when the design changes nothing), its measurements (or nil: src's
-- stand), and the design.
local function render_match(o, src, out_path)
  local d = match.design(match.measure_file(src), o.ref, match.master_opts(o))
  -- the node gets no loudness gain (master's target moves instead): the
  -- summary states the amount that moved the target
  d.opts.loudness = match.master_loudness(o)
  if d.identity then return src, nil, d, nil end
  local path = temp_name(out_path, "match")
  local ok, err = pcall(function()
    local info, perr = md.probe(src)
    if not info then fail(perr) end
    local g = md.graph{rate = info.rate}
    local y = g:file(src):match(d.params)
    local m = y:meter{true_peak = true}
    y:write(path, {bits = "32f"})
    g:run()
    return m:result()
  end)
  if not ok then fs.remove(path); error(err, 0) end
  return path, err, d, path
end

local function check_paths(input, paths)
  for i, p in ipairs(paths) do
    if fs.same_file(p, input) then
      fail(string.format("%s: the output is the input file; choose another name (the input is never overwritten)", p))
    end
    for j = 1, i - 1 do
      if paths[j] == p then fail("master: two outputs would be named " .. p) end
    end
    local dir = split_path(p)
    if fs.stat(dir) ~= "dir" then
      fail(string.format("%s: cannot write: directory %s does not exist", p, dir))
    end
  end
end

local function summary(o, input, before, r, preset)
  if o.quiet then return end
  local a = r.result
  io.write(string.format("%s -> %s: %s, %s -> %s, %s%s%s\n", input, r.path,
    fmt(before.integrated_lufs, "LUFS"), fmt(before.true_peak_dbtp, "dBTP"),
    fmt(a.integrated_lufs, "LUFS"), fmt(a.true_peak_dbtp, "dBTP"),
    r.rms and string.format(" (RMS %s, peak %s)", fmt(a.rms_dbfs, "dBFS"), fmt(a.sample_peak_dbfs, "dBFS")) or "",
    preset.name ~= "transparent" and (" [" .. preset.name .. "]") or ""))
end

local function report_misses(r)
  if #r.misses > 0 then
    io.stderr:write(string.format("mixdown: %s: misses its delivery spec: %s\n", r.path,
                                  table.concat(r.misses, "; ")))
    return 1
  end
  return 0
end

-- --- dry run ---------------------------------------------------------------------

local function value_text(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "number" then return string.format("%g", v) end
  if type(v) ~= "table" then return tostring(v) end
  if v.__node then return "#" .. v.__node end
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = value_text(v[i]) end
  local keys = {}
  for k in pairs(v) do if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. " = " .. value_text(v[k]) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function plan_lines(plan)
  local w = {}
  for i = 2, #plan.records do
    local r = plan.records[i]
    local text
    if r.type == "mix" then
      local parts = {}
      for _, it in ipairs(r.inputs) do
        parts[#parts + 1] = "#" .. it[1] .. (it[2] ~= 0 and string.format(" %+g dB", it[2]) or "")
      end
      text = "mix{" .. table.concat(parts, ", ") .. "}"
    else
      text = r.type .. value_text(r.params)
      if r.input ~= i - 1 then text = text .. "  <- #" .. r.input end
    end
    w[#w + 1] = string.format("    #%-3d %s%s", i, text, r.where and ("   -- " .. r.where) or "")
  end
  if plan.output ~= #plan.records then w[#w + 1] = "    (the chain ends at #" .. plan.output .. ")" end
  return w
end

local function dry_run(o, preset, plan_for, tlist)
  local w = {}
  local vals = {}
  local values = plan_for({channels = 2, rate = 44100}).values
  for _, n in ipairs(preset.names) do vals[#vals + 1] = n .. " = " .. value_text(values[n]) end
  w[#w + 1] = string.format("preset %s (%s)%s", preset.name, preset.file,
                            #vals > 0 and (": " .. table.concat(vals, ", ")) or "")
  for _, input in ipairs(o.inputs) do
    local info, perr = md.probe(input)
    if not info then fail(perr) end
    local paths = outputs_for(o, input, tlist, #o.inputs > 1)
    check_paths(input, paths)
    w[#w + 1] = string.format("%s (%d ch, %g Hz)", input, info.channels, info.rate)
    local plan = plan_for(info)
    w[#w + 1] = "  #1   file" .. (presets.is_identity(plan) and "" or string.format(
      " -> gain to the working level (%g LUFS%s)", recipe.LEVEL, o.album and ", one gain for the album" or ""))
    for _, l in ipairs(plan_lines(plan)) do w[#w + 1] = l end
    if o.ref then
      local m = match.master_opts(o)
      w[#w + 1] = string.format("  then match toward the reference%s (tone %g%%, width %g%%, EQ +%g/-%g dB), designed by measuring",
                                #o.references > 1 and "s" or "", m.tone * 100, m.width * 100, m.max_boost, m.max_cut)
    end
    w[#w + 1] = "  then gain (set by measuring) -> limiter{true_peak = true} -> write"
    for i, t in ipairs(tlist) do
      local rms = t.spec and t.spec.measure == "rms"
      local wo = write_opts(o, paths[i], input)
      w[#w + 1] = string.format("  -> %s: %.1f %s, ceiling %g %s, %s bits%s%s", paths[i], t.target,
                                rms and "dBFS RMS" or "LUFS", t.ceiling, rms and "dBFS sample peak" or "dBTP",
                                tostring(wo.bits or "codec"), wo.rate and string.format(", %g Hz", wo.rate) or "",
                                o.album and " (album gain)" or "")
    end
  end
  io.write(table.concat(w, "\n"), "\n")
  return 0
end

-- --- one file ----------------------------------------------------------------------

-- The chain of one delivery, as text (report and manifest).
local function chain_text(plan, d, r)
  local list = {"file"}
  if not presets.is_identity(plan) then
    list[#list + 1] = string.format("gain (to the working level, %g LUFS)", recipe.LEVEL)
    for _, l in ipairs(plan_lines(plan)) do list[#list + 1] = (l:gsub("^%s+", "")) end
  end
  if d and not d.identity then
    list[#list + 1] = string.format("match{reference EQ %d%%, width %d%%: side x%.2f}",
                                    math.floor(d.opts.tone * 100 + 0.5), math.floor(d.opts.width * 100 + 0.5),
                                    d.width_factor or 1)
  end
  list[#list + 1] = string.format("gain{db = %.2f}", r.gain or 0)
  list[#list + 1] = string.format("limiter{ceiling = %.2f, true_peak = true}", r.limit or 0)
  return list
end

-- Keeps what --report and --manifest say of one delivered file.
local function record(ctx, o, input, bm, r, t, chain, d, chain_gr)
  local out = {path = r.path, result = r.result, gain_db = r.gain, passes = r.passes, platform = t.name,
               target = t.target, ceiling = t.ceiling}
  if d then out.match = match.summary(d, t.target) end
  ctx.outputs[#ctx.outputs + 1] = out
  ctx.chain = ctx.chain or chain
  if o.report then
    local gr = {}
    for _, s in ipairs(chain_gr and chain_gr.series or {}) do gr[#gr + 1] = s end
    for _, s in ipairs(r.gr or {}) do gr[#gr + 1] = s end
    local notes
    if d then
      notes = {}
      for line in match.summary_text(d, t.target):gmatch("[^\n]+") do notes[#notes + 1] = line end
    end
    ctx.deliveries[#ctx.deliveries + 1] = {input = input, before = bm, output = r.path, after = r.after,
      targets = {target = t.target, ceiling = t.ceiling, platform = t.name}, gr = gr, chain = chain,
      notes = notes}
  end
end

local function master_one(o, input, tlist, several, preset, plan_for, ctx)
  local info, perr = md.probe(input)
  if not info then fail(perr) end
  local plan = plan_for(info)
  local paths = outputs_for(o, input, tlist, several)
  check_paths(input, paths)
  local bm = o.report and report.measure(input) or nil
  -- the input's true peak is only printed (summary) and recorded (manifest)
  local before = bm and bm.result or analyze(input, not o.quiet or o.manifest ~= nil)
  local src, chain_meas, temps = input, before, {}
  local ok, err = pcall(function()
    local chain_gr = o.report and {} or nil
    if not presets.is_identity(plan) then
      local chain_path = temp_name(paths[1], "chain")
      temps[#temps + 1] = chain_path
      local pregain = before.integrated_lufs and (recipe.LEVEL - before.integrated_lufs) or 0
      chain_meas = render_chain(input, plan, preset, pregain, chain_path, chain_gr)
      src = chain_path
    end
    local d
    if o.ref then
      local msrc, mmeas, design, mtemp = render_match(o, src, paths[1])
      if mtemp then temps[#temps + 1] = mtemp end
      src, d = msrc, design
      if mmeas then chain_meas = mmeas end
      if not o.quiet then io.write(match.summary_text(d, tlist[1].target), "\n") end
    end
    ctx.inputs[#ctx.inputs + 1] = {path = input, result = before}
    local code = 0
    for i, t in ipairs(tlist) do
      local r = deliver(o, src, chain_meas, t, paths[i], input)
      summary(o, input, before, r, preset)
      code = math.max(code, report_misses(r))
      record(ctx, o, input, bm, r, t, chain_text(plan, d, r), d, chain_gr)
    end
    return code
  end)
  for _, p in ipairs(temps) do fs.remove(p) end
  if not ok then error(err, 0) end
  return err
end

-- --- album -------------------------------------------------------------------------

-- duration-weighted energy mean of the tracks' levels (silent tracks left out)
local function album_level(results, rms_mode)
  local e, d = 0, 0
  for _, r in ipairs(results) do
    local l = level_of(r, rms_mode)
    if l ~= nil then
      local dur = r.duration_s or 1
      e = e + dur * 10 ^ (l / 10)
      d = d + dur
    end
  end
  if d == 0 then return nil end
  return 10 * math.log(e / d, 10)
end

local function master_album(o, tlist, preset, plan_for, ctx)
  local tracks = {}
  for _, input in ipairs(o.inputs) do
    local info, perr = md.probe(input)
    if not info then fail(perr) end
    local paths = outputs_for(o, input, tlist, true)
    check_paths(input, paths)
    local bm = o.report and report.measure(input) or nil
    tracks[#tracks + 1] = {input = input, paths = paths, bm = bm, before = bm and bm.result or analyze(input, true),
                           plan = plan_for(info)}
  end
  local befores = {}
  for i, tr in ipairs(tracks) do befores[i] = tr.before end
  local temps = {}
  local function cleanup() for _, p in ipairs(temps) do fs.remove(p) end end
  local ok, code = pcall(function()
    -- one staging gain for every track: the chain sees their real differences
    local lin = album_level(befores, false)
    local pregain = lin and (recipe.LEVEL - lin) or 0
    for _, tr in ipairs(tracks) do
      tr.src, tr.meas = tr.input, tr.before
      tr.chain_gr = o.report and {} or nil
      if not presets.is_identity(tr.plan) then
        tr.src = temp_name(tr.paths[1], "chain")
        temps[#temps + 1] = tr.src
        tr.meas = render_chain(tr.input, tr.plan, preset, pregain, tr.src, tr.chain_gr)
      end
      ctx.inputs[#ctx.inputs + 1] = {path = tr.input, result = tr.before}
    end
    local code = 0
    for ti, t in ipairs(tlist) do
      local rms_mode = t.spec and t.spec.measure == "rms"
      local meas = {}
      for i, tr in ipairs(tracks) do meas[i] = tr.meas end
      local l0 = album_level(meas, rms_mode)
      if l0 == nil then fail("master: the album is silent: no loudness to bring to " .. t.target) end
      local tmps = {}
      for i, tr in ipairs(tracks) do
        tmps[i] = temp_name(tr.paths[ti], "part")
        temps[#temps + 1] = tmps[i]
      end
      local gain, limit, results, passes = t.target - l0, t.ceiling, nil, 0
      local grs, afters = {}, {}
      for i in ipairs(tracks) do grs[i] = o.report and {} or nil end
      for _ = 1, 4 do
        local n
        gain, n = converge(function(gdb)
          local outs = {}
          for i, tr in ipairs(tracks) do
            outs[i] = render_pass(tr.src, gdb, limit, tmps[i], write_opts(o, tr.paths[ti], tr.input), grs[i])
          end
          return album_level(outs, rms_mode)
        end, gain, t.target)
        passes = passes + n
        results = {}
        local worst = -math.huge
        for i in ipairs(tracks) do
          if o.report then
            afters[i] = report.measure(tmps[i])
            results[i] = afters[i].result
          else
            results[i] = analyze(tmps[i], true)
          end
          worst = math.max(worst, results[i].true_peak_dbtp or -math.huge)
        end
        if worst <= t.ceiling then break end
        limit = limit - (worst - t.ceiling) - 0.05
        if limit < -40 then break end
      end
      -- the BWF loudness fields (WAV) from the files as written
      for i in ipairs(tracks) do meta.finish(tmps[i], results[i]) end
      local alevel = album_level(results, rms_mode)
      for i, tr in ipairs(tracks) do
        local okr, rerr = fs.rename(tmps[i], tr.paths[ti])
        if not okr then fail(rerr) end
        local after = afters[i]
        if after then after.path, after.label, after.result.file = tr.paths[ti], tr.paths[ti], tr.paths[ti] end
        local r = {path = tr.paths[ti], result = results[i], rms = rms_mode, gain = gain, passes = passes,
                   limit = limit, after = after, gr = grs[i] and grs[i].series}
        record(ctx, o, tr.input, tr.bm, r, t, chain_text(tr.plan, nil, r), nil, tr.chain_gr)
        -- the album, not each track, is held to the target; every track to the ceiling
        local miss = misses_of(results[i], {target = level_of(results[i], rms_mode) or t.target,
                                             ceiling = t.ceiling, spec = t.spec})
        r.misses = miss
        summary(o, tr.input, tr.before, r, preset)
        code = math.max(code, report_misses(r))
      end
      local amiss = misses_of({integrated_lufs = alevel, rms_dbfs = alevel, true_peak_dbtp = -math.huge,
                               sample_peak_dbfs = -math.huge}, t)
      if not o.quiet then
        io.write(string.format("album: %d tracks, %s%s, one gain of %+.2f dB\n", #tracks,
                               fmt(alevel, rms_mode and "dBFS RMS" or "LUFS"),
                               t.name and (" (" .. t.name .. ")") or "", gain))
      end
      if #amiss > 0 then
        io.stderr:write("mixdown: album misses its delivery spec: " .. table.concat(amiss, "; ") .. "\n")
        code = 1
      end
    end
    return code
  end)
  cleanup()
  if not ok then error(code, 0) end
  return code
end

-- --- main --------------------------------------------------------------------------

-- this program, for the workers: /proc/PID/exe runs the same binary from a
-- shell (/proc/self/exe there would be the shell)
local function self_exe()
  return "/proc/" .. fs.pid() .. "/exe"
end

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function run_jobs(o)
  local exe = self_exe()
  local rest = {}
  for _, k in ipairs{"platform", "target", "ceiling", "bits", "rate", "format", "preset"} do
    local v = o[k == "platform" and "platforms" or k]
    if v ~= nil then rest[#rest + 1] = "--" .. k .. " " .. shell_quote(tostring(v)) end
  end
  for _, s in ipairs(o.sets) do rest[#rest + 1] = "--set " .. shell_quote(s) end
  for _, s in ipairs(o.tag_args) do rest[#rest + 1] = "--tag " .. shell_quote(s) end
  if o.isrc then rest[#rest + 1] = "--isrc " .. shell_quote(o.isrc) end
  for _, s in ipairs(o.match_args) do rest[#rest + 1] = shell_quote(s) end
  if o.quiet then rest[#rest + 1] = "--quiet" end
  local code, running, idx = 0, {}, 1
  local function reap(h)
    local out = h:read("a")
    io.write(out)
    local _, _, st = h:close()
    if st ~= 0 then code = math.max(code, st or 1) end
  end
  while idx <= #o.inputs or #running > 0 do
    while idx <= #o.inputs and #running < o.jobs do
      local dir = o.output:gsub("/+$", "") .. "/"
      local cmd = string.format("%s master %s -o %s %s", shell_quote(exe), shell_quote(o.inputs[idx]),
                                shell_quote(dir), table.concat(rest, " "))
      running[#running + 1] = io.popen(cmd, "r")
      idx = idx + 1
    end
    reap(table.remove(running, 1))
  end
  return code
end

-- the text of the preset as given (a built-in's is inside the program)
local function preset_source(ref)
  local ok, f = pcall(presets.find, ref or "transparent")
  return ok and f and f.source or nil
end

function M.main(args)
  local o = parse(args)
  if o.help then io.write(M.help); return 0 end
  if #o.inputs == 0 then fail("master: no input file (usage: mixdown master IN... -o OUT)") end
  if not o.output then fail("master: no output: give -o FILE (one input) or -o DIR") end
  local preset = presets.load(o.preset or "transparent")
  local values = preset:values(o.sets)
  -- one recorded chain per kind of input (a preset may look at x:channels())
  local plans = {}
  local function plan_for(info)
    local key = info.channels .. "/" .. info.rate
    if not plans[key] then plans[key] = preset:plan(values, info) end
    return plans[key]
  end
  if o.references then
    if o.album then
      fail("master: --reference does not go with --album (one gain for the album, one match per track); master the tracks without --album")
    end
    o.ref = match.measure(o.references)
  end
  local tlist = targets(o, preset, plan_for({channels = 2, rate = 44100}))
  if o.dry_run then return dry_run(o, preset, plan_for, tlist) end
  local ctx = {deliveries = {}, inputs = {}, outputs = {}}
  local code = 0
  local several = #o.inputs > 1
  -- a name collision between outputs is refused, never overwritten silently
  if several then
    local seen = {}
    for _, input in ipairs(o.inputs) do
      for _, p in ipairs(outputs_for(o, input, tlist, several)) do
        if seen[p] then
          fail(string.format("master: %s and %s would both be written to %s; rename one or use separate runs",
                             seen[p], input, p))
        end
        seen[p] = input
      end
    end
  end
  if o.album then
    code = master_album(o, tlist, preset, plan_for, ctx)
  elseif several and o.jobs > 1 and not (o.report or o.manifest) then
    -- (with --report/--manifest the files are mastered here, one after another:
    -- one page and one manifest cover them all)
    return run_jobs(o)
  else
    for _, input in ipairs(o.inputs) do
      local c = master_one(o, input, tlist, several, preset, plan_for, ctx)
      if c > code then code = c end
    end
  end
  local first = ctx.outputs[1] and ctx.outputs[1].path or ""
  local render = {bits = tostring(o.bits), rate = o.rate, format = first:match("%.([^./]+)$"),
                  dither = "none"}
  if (o.bits == 16 or o.bits == 24) and not lossy(first) then render.dither, render.seed = "tpdf", 1 end
  if o.report and #ctx.deliveries > 0 then
    report.write(o.report, {deliveries = ctx.deliveries, preset = preset.name, params = values, render = render})
    if not o.quiet then io.write("report: ", o.report, "\n") end
  end
  if o.manifest then
    local tl = manifest.array()
    for i, t in ipairs(tlist) do tl[i] = {target = t.target, ceiling = t.ceiling, platform = t.name} end
    manifest.write(o.manifest, {
      command = {"master", table.unpack(args)},
      recipe = {name = preset.name, path = preset.file, source = preset.source or preset_source(o.preset)},
      params = values, targets = #tl == 1 and tl[1] or tl, render = render, chain = ctx.chain,
      inputs = ctx.inputs, outputs = ctx.outputs,
    })
    if not o.quiet then io.write("manifest: ", o.manifest, "\n") end
  end
  return code
end

return M
