-- `mixdown master`: a preset's chain, then gain and a true-peak limiter set so
-- the delivered file reaches a loudness target under a ceiling, verified on
-- the file as written (closed loop).
--
-- How the target is reached: the chain before the gain stage is rendered once
-- (to a 32-bit float file beside the output, unless the preset is
-- transparent, when the input itself is that signal) and measured. The gain is
-- target - measured loudness; when the true peak then stays under the ceiling
-- the result is gain only (the limiter never acts). Otherwise the limiter
-- works, loudness falls short, and the gain is corrected by secant steps
-- until the output is within 0.05 LU. The delivered file is measured again
-- after dither, resampling and encoding (decoded for lossy formats); a true
-- peak over the ceiling lowers the limiter's ceiling by the overshoot and
-- renders again. A file that still misses is reported with figures (exit 1).
local md = require "mixdown"
local fs = require "mixdown.fs"
local platforms = require "mixdown.platforms"

local M = {}

M.help = [[
Usage: mixdown master IN... -o OUT|DIR [options]

Masters each input to a loudness target under a true-peak ceiling and checks
the delivered file. Without --preset the chain is `transparent`: gain and a
true-peak limiter, nothing else.

Options:
  -o FILE|DIR          output file (one input) or directory (DIR/<name>.<ext>)
  --platform NAME[,..] delivery target(s): ]] .. table.concat(platforms.names, ", ") .. [[

                       several platforms write <stem>.<platform>.<ext> each
  --target LUFS        integrated loudness target (overrides the platform's)
  --ceiling DBTP       true-peak ceiling (overrides the platform's)
  --preset NAME|FILE   mastering chain (default: transparent)
  --set KEY=VALUE      a preset parameter (repeatable)
  --bits 16|24|32|32f  output word length (default 24; 16 and 24 are dithered)
  --rate HZ            output sample rate (resampled)
  --format EXT         output format when -o is a directory (default: the input's)
  -j N                 master N files at once (several inputs)
  --dry-run            show the plan and the targets, render nothing
  --quiet              no per-file summary

Precedence: --target/--ceiling, then --platform, then the preset's own target,
then spotify (-14 LUFS, -1 dBTP).

Examples:
  mixdown master song.wav -o song.master.wav
  mixdown master song.wav -o out/ --platform spotify,apple,ebu-r128
  mixdown master a.wav b.wav -o masters/ --target -16 --ceiling -1.5 --bits 16

Exit codes: 0 delivered on target, 1 bad usage/input or a delivered file that
misses its target or ceiling (the figures are printed), 2 internal, 130 Ctrl-C.
]]

local function fail(msg) error(msg, 0) end

local function fmt(v, unit)
  if v == nil then return "-inf " .. unit end
  return string.format("%.1f %s", v, unit)
end

local function parse(args)
  local o = {inputs = {}, sets = {}, platforms = nil, bits = 24, jobs = 1}
  local i = 1
  local function value(name)
    local v = args[i + 1]
    if v == nil then fail("master: " .. name .. " needs a value (see mixdown master --help)") end
    i = i + 2
    return v
  end
  local function number(name)
    local v = value(name)
    local n = tonumber(v)
    if not n or n ~= n or n == math.huge or n == -math.huge then
      fail(string.format("master: %s must be a number, got '%s'", name, v))
    end
    return n
  end
  while i <= #args do
    local a = args[i]
    if a == "-h" or a == "--help" then o.help = true; i = i + 1
    elseif a == "-o" or a == "--output" then o.output = value(a)
    elseif a == "--platform" then o.platforms = value(a)
    elseif a == "--target" then o.target = number(a)
    elseif a == "--ceiling" then o.ceiling = number(a)
    elseif a == "--preset" then o.preset = value(a)
    elseif a == "--set" then o.sets[#o.sets + 1] = value(a)
    elseif a == "--bits" then
      local b = value(a)
      if b == "32f" then o.bits = "32f"
      elseif b == "16" or b == "24" or b == "32" then o.bits = tonumber(b)
      else fail("master: --bits must be 16, 24, 32 or 32f, got '" .. b .. "'") end
    elseif a == "--rate" then o.rate = number(a)
    elseif a == "--format" then o.format = value(a)
    elseif a == "-j" or a == "--jobs" then o.jobs = math.tointeger(number(a)) or 1
    elseif a:match("^%-j%d+$") then o.jobs = tonumber(a:sub(3)); i = i + 1
    elseif a == "--dry-run" then o.dry_run = true; i = i + 1
    elseif a == "--quiet" then o.quiet = true; i = i + 1
    elseif a == "--report" or a == "--manifest" then o[a:sub(3)] = value(a)
    elseif a:sub(1, 1) == "-" and #a > 1 then
      fail("master: unknown option '" .. a .. "' (see mixdown master --help)")
    else o.inputs[#o.inputs + 1] = a; i = i + 1 end
  end
  return o
end

-- the delivery targets, by the DESIGN precedence
local function targets(o, preset)
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
    local p = platforms.table[platforms.default]
    list[1] = {name = nil, target = preset.target or p.target, ceiling = preset.ceiling or p.ceiling,
               spec = (preset.target or preset.ceiling) and {} or p}
  end
  for _, t in ipairs(list) do
    if o.target then t.target = o.target; t.spec = {} end
    if o.ceiling then t.ceiling = o.ceiling end
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

local function write_opts(o, path)
  local w = {}
  if o.bits == "32f" then w.bits = "32f" else w.bits = o.bits end
  if lossy(path) then w.bits = nil end
  if o.rate then w.rate = o.rate end
  return w
end

-- one pass: source -> gain -> limiter -> file, measuring the loudness on the way
local function render_pass(src, gain_db, ceiling, path, wopts, measure_rms)
  local g = md.graph()
  local x = g:file(src):gain{db = gain_db}:limiter{ceiling = ceiling, true_peak = true}
  local m = x:meter{true_peak = false}
  x:write(path, wopts)
  g:run()
  local r = m:result()
  return measure_rms and r.rms_dbfs or r.integrated_lufs
end

local function temp_name(path)
  local dir, stem, ext = split_path(path)
  return string.format("%s/.%s.%d.part.%s", dir, stem, fs.pid(), ext or "wav")
end

-- Reaches one target; returns a summary table or raises.
local function deliver(o, src, before, t, path)
  local rms_mode = t.spec and t.spec.measure == "rms"
  local level0 = rms_mode and before.rms_dbfs or before.integrated_lufs
  if level0 == nil then
    fail(string.format("%s: the input is silent: no loudness to bring to %g %s", path,
                       t.target, rms_mode and "dBFS RMS" or "LUFS"))
  end
  local tmp = temp_name(path)
  local wopts = write_opts(o, path)
  local gain = t.target - level0
  local limit = t.ceiling
  local passes, got, result = 0, nil, nil
  local ok, err = pcall(function()
    for attempt = 1, 4 do
      -- secant iteration on the gain; the limiter makes loudness(gain) concave
      local g0, l0
      for _ = 1, 8 do
        if gain > 48 then gain = 48 end
        passes = passes + 1
        got = render_pass(src, gain, limit, tmp, wopts, rms_mode)
        if got == nil then fail(path .. ": the output is silent") end
        local miss = t.target - got
        if math.abs(miss) <= 0.05 then break end
        local slope = 1
        if g0 and gain ~= g0 and got ~= l0 then slope = (got - l0) / (gain - g0) end
        if slope < 0.05 then
          -- the limiter swallows more gain than it gives: the target is out of reach
          break
        end
        g0, l0 = gain, got
        gain = gain + miss / slope
        if gain >= 48 and g0 >= 48 then break end
      end
      result = analyze(tmp, true)
      local tp = result.true_peak_dbtp
      if tp == nil or tp <= t.ceiling then break end
      -- encoding or dither pushed the peak over: lower the limiter and go again
      limit = limit - (tp - t.ceiling) - 0.05
      if limit < -40 then break end
    end
  end)
  if not ok then
    fs.remove(tmp)
    error(err, 0)
  end
  local level = rms_mode and result.rms_dbfs or result.integrated_lufs
  local peak = rms_mode and result.sample_peak_dbfs or result.true_peak_dbtp
  local misses = {}
  if level == nil or math.abs(level - t.target) > 0.1 + 1e-9 then
    if rms_mode and level and level >= t.spec.rms_min and level <= t.spec.rms_max then
      -- ACX accepts a range of RMS levels
    else
      misses[#misses + 1] = string.format("%s %s (target %g ±0.1)", rms_mode and "RMS" or "loudness",
                                          fmt(level, rms_mode and "dBFS" or "LUFS"), t.target)
    end
  end
  if peak ~= nil and peak > t.ceiling + 1e-9 then
    misses[#misses + 1] = string.format("%s %s over the ceiling %g", rms_mode and "sample peak" or "true peak",
                                        fmt(peak, rms_mode and "dBFS" or "dBTP"), t.ceiling)
  end
  local okr, rerr = fs.rename(tmp, path)
  if not okr then fs.remove(tmp); fail(rerr) end
  return {path = path, result = result, passes = passes, gain = gain, misses = misses, rms = rms_mode}
end

local function master_one(o, input, tlist, several)
  local info, perr = md.probe(input)
  if not info then fail(perr) end
  local paths = outputs_for(o, input, tlist, several)
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
  if o.dry_run then
    io.write(string.format("%s (%d ch, %g Hz)\n  chain: file -> gain -> limiter{true_peak} -> write\n",
                           input, info.channels, info.rate))
    for i, t in ipairs(tlist) do
      io.write(string.format("  -> %s: %g %s, ceiling %g dBTP\n", paths[i], t.target,
                             (t.spec and t.spec.measure == "rms") and "dBFS RMS" or "LUFS", t.ceiling))
    end
    return 0
  end
  local before = analyze(input, true)
  local code = 0
  for i, t in ipairs(tlist) do
    local r = deliver(o, input, before, t, paths[i])
    local a = r.result
    if not o.quiet then
      io.write(string.format("%s -> %s: %s, %s -> %s, %s%s\n", input, r.path,
        fmt(before.integrated_lufs, "LUFS"), fmt(before.true_peak_dbtp, "dBTP"),
        fmt(a.integrated_lufs, "LUFS"), fmt(a.true_peak_dbtp, "dBTP"),
        r.rms and string.format(" (RMS %s, peak %s)", fmt(a.rms_dbfs, "dBFS"), fmt(a.sample_peak_dbfs, "dBFS")) or ""))
    end
    if #r.misses > 0 then
      io.stderr:write(string.format("mixdown: %s: misses its delivery spec: %s\n", r.path,
                                    table.concat(r.misses, "; ")))
      code = 1
    end
  end
  return code
end

local function self_exe()
  return "/proc/self/exe"
end

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

function M.main(args)
  local o = parse(args)
  if o.help then io.write(M.help); return 0 end
  if #o.inputs == 0 then fail("master: no input file (usage: mixdown master IN... -o OUT)") end
  if not o.output then fail("master: no output: give -o FILE (one input) or -o DIR") end
  local preset = {name = "transparent"}
  if o.preset and o.preset ~= "transparent" then
    fail("master: unknown preset '" .. o.preset .. "' (this build has: transparent)")
  end
  if #o.sets > 0 then
    fail("master: --set " .. o.sets[1] .. ": the transparent preset has no parameters")
  end
  local tlist = targets(o, preset)
  local several = #o.inputs > 1
  if several and o.jobs > 1 and not o.dry_run then
    -- one child process per file, at most N at a time
    local exe = self_exe()
    local rest = {}
    for _, k in ipairs{"platform", "target", "ceiling", "bits", "rate", "format"} do
      local v = o[k == "platform" and "platforms" or k]
      if v ~= nil then rest[#rest + 1] = "--" .. k .. " " .. shell_quote(tostring(v)) end
    end
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
  local code = 0
  for _, input in ipairs(o.inputs) do
    local c = master_one(o, input, tlist, several)
    if c > code then code = c end
  end
  return code
end

return M
