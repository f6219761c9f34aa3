-- `mixdown mix SESSION.lua -o OUT`: renders a session (mixdown.session).
local md = require "mixdown"
local optargs = require "mixdown.args"
local session = require "mixdown.session"
local fs = require "mixdown.fs"

local M = {}

M.help = [[
Usage: mixdown mix SESSION.lua -o OUT [options]

Renders a mix session: a Lua script returning its tracks (stems or edited
regions), chains, faders, pans, sends, buses and master section. See
lua/lib/mixdown/session.lua (or the README) for the format; built-in examples:
`mixdown mix band --stems DIR` with the demo's stems (mixdown run
recipes/demo.lua --stems DIR).

Options:
  -o FILE              output file (format from the extension)
  --bits 16|24|32|32f  output word length (default 24; 16 and 24 are dithered)
  --rate HZ            output sample rate (resampled at the end)
  --stems DIR          directory of the stems (default: the session file's)
  --solo NAME[,NAME]   play only these tracks (buses and returns stay)
  --mute NAME[,NAME]   silence these tracks or buses
  --preset NAME|FILE   finish with a mastering preset (and its loudness target)
  --set KEY=VALUE      a preset parameter (repeatable)
  --platform NAME      loudness target and ceiling of a platform (spotify, ...)
  --target LUFS        bring the mix to this integrated loudness
  --ceiling DBTP       true-peak ceiling with --target (default -1)
  --dry-run            print the processing graph, render nothing
  --dot FILE           write the graph as Graphviz DOT
  --quiet              no summary line

Without --preset/--platform/--target/--ceiling (or the session's
master.preset, target, platform or ceiling) the mix is written as it sums,
with no loudness processing. With them, the mix is rendered to a 32-bit float
file beside OUT, mastered exactly as `mixdown master` does (staging, preset
chain, closed-loop loudness, true-peak check), and that file is removed.

Exit codes: 0 written, 1 bad usage or a bad session (the file and the problem
on stderr), 2 internal, 130 Ctrl-C (no partial output).
]]

local function fail(msg) error(msg, 0) end

local function list(v)
  local out = {}
  for name in v:gmatch("[^,]+") do out[#out + 1] = name end
  return out
end

local function parse(args)
  local o = {sets = {}, solo = {}, mute = {}, bits = 24}
  local i = 1
  local function value(name)
    local v
    v, i = optargs.value("mix", args, i, name)
    return v
  end
  local function number(name)
    local n
    n, i = optargs.number("mix", args, i, name)
    return n
  end
  while i <= #args do
    local a = args[i]
    if a == "-h" or a == "--help" then o.help = true; i = i + 1
    elseif a == "-o" or a == "--output" then o.out = value(a)
    elseif a == "--bits" then
      local b = value(a)
      if b == "32f" then o.bits = "32f"
      elseif b == "16" or b == "24" or b == "32" then o.bits = tonumber(b)
      else fail("mix: --bits must be 16, 24, 32 or 32f, got '" .. b .. "'") end
    elseif a == "--rate" then o.rate = number(a)
    elseif a == "--stems" then o.dir = value(a)
    elseif a == "--solo" then for _, n in ipairs(list(value(a))) do o.solo[#o.solo + 1] = n end
    elseif a == "--mute" then for _, n in ipairs(list(value(a))) do o.mute[#o.mute + 1] = n end
    elseif a == "--preset" then o.preset = value(a)
    elseif a == "--set" then
      local kv = value(a)
      if not kv:match("^[%w_]+=") then fail("mix: --set needs KEY=VALUE, got '" .. kv .. "'") end
      o.sets[#o.sets + 1] = kv
    elseif a == "--platform" then o.platform = value(a)
    elseif a == "--target" then o.target = number(a)
    elseif a == "--ceiling" then o.ceiling = number(a)
    elseif a == "--dry-run" then o.dry_run = true; i = i + 1
    elseif a == "--dot" then o.dot = value(a)
    elseif a == "--quiet" then o.quiet = true; i = i + 1
    elseif a:sub(1, 1) == "-" and #a > 1 then
      fail("mix: unknown option '" .. a .. "' (see mixdown mix --help)")
    else
      if o.session then fail("mix: one session at a time, got '" .. o.session .. "' and '" .. a .. "'") end
      o.session = a
      i = i + 1
    end
  end
  return o
end

local function fmt(v, unit)
  if v == nil then return "-inf " .. unit end
  return string.format("%.1f %s", v, unit)
end

function M.main(args)
  local o = parse(args)
  if o.help then io.write(M.help); return 0 end
  if not o.session then fail("mix: no session given (usage: mixdown mix SESSION.lua -o OUT)") end
  if not o.out and not o.dry_run then fail("mix: no output: give -o FILE") end
  if o.target and not (o.target >= -70 and o.target <= 0) then
    fail(string.format("mix: --target must be within -70..0 LUFS, got %g", o.target))
  end
  if o.ceiling and not (o.ceiling >= -30 and o.ceiling <= 0) then
    fail(string.format("mix: --ceiling must be within -30..0 dBTP, got %g", o.ceiling))
  end
  if o.out then
    local dir = o.out:match("^(.*)/[^/]*$") or "."
    if dir == "" then dir = "/" end
    if fs.stat(dir) ~= "dir" then
      fail(string.format("%s: cannot write: directory %s does not exist", o.out, dir))
    end
    if fs.stat(o.out) == "dir" then fail(string.format("%s: is a directory; -o takes a file name", o.out)) end
  end

  local spec, file, dir = session.load(o.session)
  local s = session.check(spec, {file = file, dir = o.dir or dir, dir_forced = o.dir ~= nil,
                                 solo = o.solo, mute = o.mute})
  if o.out and fs.same_file(o.out, file) then
    fail(string.format("%s: the output is the session file; choose another name", o.out))
  end
  if o.out then
    for path in pairs(s.ctx.probes) do
      if fs.same_file(path, o.out) then
        fail(string.format("%s: the output is one of the session's stems; choose another name (inputs are never overwritten)", o.out))
      end
    end
  end
  local g, x, info = session.build(s)
  local margs = session.master_args(s, {preset = o.preset, set = o.sets, target = o.target,
                                        ceiling = o.ceiling, platform = o.platform,
                                        bits = o.bits, rate = o.rate})
  if #o.sets > 0 and not (margs and (o.preset or s.master.preset)) then
    fail("mix: --set " .. o.sets[1] .. ": give a preset (--preset NAME or master.preset in the session)")
  end
  if o.dry_run or o.dot then
    -- a meter as the graph's output, so it compiles without writing anything
    x:meter{true_peak = false}
  end
  if o.dot then
    local f, err = io.open(o.dot, "w")
    if not f then fail(err) end
    f:write(g:dot())
    f:close()
  end
  if o.dry_run then
    io.write(g:plan())
    io.write(string.format("session %s: %d track(s) playing, %.2f s of material\n", file, info.tracks,
                           info.length))
    if margs then
      local shown = {}
      for _, a in ipairs(margs) do if a ~= "--quiet" then shown[#shown + 1] = a end end
      io.write("then: mixdown master MIX -o " .. (o.out or "OUT") .. " " .. table.concat(shown, " ") .. "\n")
    end
    return 0
  end
  local w = {bits = o.bits}
  local ext = (o.out:match("%.([^./]+)$") or ""):lower()
  if ext == "ogg" or ext == "opus" or ext == "mp3" or ext == "oga" then w.bits = nil end
  if o.rate then w.rate = o.rate end
  local code = session.deliver(g, x, o.out, w, margs)
  if not o.quiet and fs.stat(o.out) == "file" then
    local r = md.analyze(o.out)
    io.write(string.format("%s -> %s: %d track(s), %.2f s, %s, true peak %s%s\n", file, o.out,
                           info.tracks, r.duration_s or 0, fmt(r.integrated_lufs, "LUFS"),
                           fmt(r.true_peak_dbtp, "dBTP"),
                           margs and (o.preset or s.master.preset) and (", preset " .. (o.preset or s.master.preset)) or ""))
  end
  return code
end

return M
