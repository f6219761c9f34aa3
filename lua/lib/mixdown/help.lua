-- Help texts of the command line, and the node reference printed from the
-- engine's parameter tables (the one source for docs, help and validation).
local core = require "mixdown.core"

local H = {}

H.main = [[
mixdown - scriptable audio mixing and mastering

Usage:
  mixdown master IN... -o OUT|DIR [--preset NAME] [--platform NAME] [--target LUFS]
  mixdown mix SESSION.lua -o OUT      mix stems from a session script
  mixdown run SCRIPT.lua [ARGS...]    run your own recipe (full Lua)
  mixdown analyze FILE... [--json]    loudness, peaks, RMS, correlation of files
  mixdown presets [NAME]              list mastering presets, or show one
  mixdown nodes [NAME]                list processors, or show one's parameters
  mixdown                             interactive session (REPL)

Options everywhere: --help, --version, --debug (tracebacks on errors).

Examples:
  mixdown nodes eq                    the parameters of the eq node
  mixdown run recipes/demo.lua -o demo.wav --seconds 20
  mixdown analyze demo.wav --json

A recipe is a Lua script:
  local md = require "mixdown"
  local g  = md.graph()
  g:file("song.wav"):highpass{freq = 30}:gain{db = -1}:write("out.wav", {bits = 24})
  g:run()

Exit codes: 0 success, 1 bad usage or bad input, 2 internal failure, 130 interrupted.
]]

H.run = [[
Usage: mixdown run SCRIPT.lua [ARGS...]

Runs a Lua 5.4 script with the full standard library and the mixdown module
(`local md = require "mixdown"`). The script's arguments are in `arg`
(arg[0] is the script) and in `...`.

Example script (save as chain.lua, run `mixdown run chain.lua in.wav out.wav`):
  local md = require "mixdown"
  local g = md.graph()
  g:file(arg[1]):highpass{freq = 30}:eq{ {type = "lowshelf", freq = 100, gain = 2} }
   :write(arg[2], {bits = 24})
  g:run()

Errors name the script, the line and the parameter at fault, e.g.
  chain.lua:3: highpass: unknown parameter 'frq' (did you mean 'freq'?)
]]

H.nodes = [[
Usage: mixdown nodes [NAME]

Without NAME: every node type with one line each (sources, processors, sinks).
With NAME: its parameters with units, ranges, defaults and what they do.
In a recipe, a processor is a method of the node before it: x:NAME{param = value};
a source is a method of the graph: g:NAME{...}.
]]

local function fmt_num(v)
  if v == nil then return "" end
  if v ~= v then return "auto" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 1e15 then
    return string.format("%d", v)
  end
  return string.format("%.6g", v)
end

local function param_line(p, indent)
  local range, default = "", ""
  if p.type == "choice" then
    range = table.concat(p.choices or {}, "|")
    default = p.default or ""
  elseif p.min then
    range = fmt_num(p.min) .. ".." .. fmt_num(p.max)
    default = fmt_num(p.default)
    if p.auto then range = range .. " or auto" end
  elseif p.type == "boolean" then
    range = "true|false"
    default = tostring(p.default)
  elseif p.type == "list" then
    range = "up to " .. p.max_items .. " items"
  elseif p.type == "node" then
    range = "a node"
  elseif p.type == "string" then
    range = "text"
  end
  if p.required then default = "(required)" end
  local unit = p.unit ~= "" and p.unit or ""
  return string.format("%s%-14s %-5s %-26s %-10s %s", indent, p.name, unit, range,
                       default, p.doc)
end

function H.node(name)
  local t, err = core.nodes(name)
  if not t then return nil, err end
  local out = {}
  local function add(s) out[#out + 1] = s end
  local usage
  if t.kind == "source" then usage = "g:" .. t.name .. "{...}"
  elseif t.kind == "sink" then usage = "x:write(path, {...})"
  else usage = "x:" .. t.name .. "{...}" end
  add(t.name .. " (" .. t.kind .. ")  " .. usage)
  add("")
  add(t.doc)
  add("")
  if #t.params == 0 then
    add("No parameters.")
  else
    add(string.format("  %-14s %-5s %-26s %-10s %s", "parameter", "unit", "range", "default", "meaning"))
    for _, p in ipairs(t.params) do
      add(param_line(p, "  "))
      if p.type == "list" then
        for _, f in ipairs(p.fields) do add(param_line(f, "      ")) end
      end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

function H.node_list()
  local groups = {source = {}, processor = {}, sink = {}}
  for _, t in ipairs(core.nodes()) do
    table.insert(groups[t.kind], t)
  end
  local out = {}
  for _, kind in ipairs{"source", "processor", "sink"} do
    out[#out + 1] = ({source = "Sources (g:NAME{...}):", processor = "Processors (x:NAME{...}):",
                      sink = "Outputs:"})[kind]
    table.sort(groups[kind], function(a, b) return a.name < b.name end)
    for _, t in ipairs(groups[kind]) do
      local line = t.doc:match("^(.-%.)%s") or t.doc
      out[#out + 1] = string.format("  %-12s %s", t.name, line)
    end
    out[#out + 1] = ""
  end
  out[#out + 1] = "`mixdown nodes NAME` shows a node's parameters."
  return table.concat(out, "\n") .. "\n"
end

-- --- the REPL's help: help(), help "TOPIC" -----------------------------------------

H.repl = [[
In this session (help "NAME" for any of them):
  x = open "song.wav"          a file as the start of a chain (prints format, loudness)
  y = x:highpass{freq = 30}:compressor{ratio = 2}:limiter{ceiling = -1}
                               build a chain: x:NODE{param = value}, any processor
  y                            shows the chain and its compiled plan
  render(y, "out.wav")         renders the chain to a file (progress bar; Ctrl-C cancels)
  analyze(y)  analyze "f.wav"  loudness, peaks, RMS, ... of a chain or a file
  compare(a, b)                two chains or files side by side, and the difference
  set(node, "ratio", 3)        change a parameter; again() renders the last render again
  ab(a, b)                     writes ab.A.wav and ab.B.wav at the same loudness
  p = preset "pop"             a mastering preset: p shows it, p(x) applies it to x
  help "compressor"            a node's parameters (help(node) too); help "nodes" lists them
  help "presets"  help "recipe"   the presets, and how to write your own
  md                           the whole library (md.graph(), md.nodes(), md.analyze(), ...)
Tab completes names, methods, parameters, presets and file names in strings.
Errors leave the session as it was; Ctrl-C cancels a render or clears the line; Ctrl-D exits.
]]

H.recipe = [[
A recipe (a preset) is a Lua file that returns a table:

  return {
    name = "warm",
    description = "gentle glue and a little air for acoustic mixes",
    params = {                    -- each: default, min, max, unit, doc
      intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works"},
      air = {default = 1.5, min = 0, max = 6, unit = "dB", doc = "high shelf at 10 kHz"},
    },
    target = -14,                 -- integrated loudness to reach, LUFS (optional)
    ceiling = -1,                 -- true-peak ceiling, dBTP (optional)
    build = function(x, p)        -- x: the input node, p: the parameter values
      return x:highpass{freq = 25}
              :compressor{threshold = -24, ratio = 1.5 + p.intensity, attack = 20,
                          release = 200, knee = 6}
              :eq{ {type = "highshelf", freq = 10000, gain = p.air} }
    end,
  }

build() receives the input node and returns the output node; it only chains
nodes (the host opens the input, writes the outputs and reaches the target
with gain and a true-peak limiter). A recipe can start from another one with
`extends = "pop"`. Save it as $XDG_CONFIG_HOME/mixdown/presets/warm.lua (or
anywhere) and use it:
  mixdown master song.wav -o song.master.wav --preset warm --set air=2
  mixdown master song.wav -o out.wav --preset ./warm.lua
  p = preset "warm"; y = p(open "song.wav", {air = 2}); render(y, "out.wav")
Presets run in a sandbox: no os, io, require or files of their own.
]]

H.functions = {
  open = [[
open(path) -> node
  A file as the source of a chain (in the session's sketch graph, which is
  never rendered itself). Printing it shows the format, duration and loudness.
  Example: x = open "song.wav"; y = x:highpass{freq = 30}]],
  render = [[
render(node, path [, options]) -> file
  Renders the chain that ends at node into a new file: the chain is built again
  in a fresh graph each time, so render as often as you like. options are
  write's: {bits = 16|24|32|"32f", rate = HZ, format = "flac", dither = "tpdf"}.
  Shows a progress bar; Ctrl-C cancels and leaves no file. Refuses to write
  over one of the chain's input files.
  Example: render(y, "out.wav", {bits = 24})]],
  analyze = [[
analyze(x) -> measurements
  Loudness (BS.1770 / EBU R128), true and sample peak, RMS, crest, DC,
  clipping, correlation of a chain (rendered, nothing written), a rendered
  file or a path. Prints as the `mixdown analyze` table; the fields are the
  keys of `mixdown analyze --json` (r.integrated_lufs, r.true_peak_dbtp, ...).]],
  compare = [[
compare(a, b) -> comparison
  Measures a and b (chains, files or paths) and prints them side by side with
  the difference b - a. c.a, c.b and c.diff hold the numbers.]],
  set = [[
set(node, "param", value) -> node
  Changes a parameter of a node of a chain (the same checks as in a recipe).
  Then again() renders the last render with the new value.]],
  again = [[
again() -> file
  Renders the last render(node, path) again, with the parameters as they are now.]],
  ab = [[
ab(a, b [, name]) -> {a = file, b = file}
  Writes NAME.A.wav and NAME.B.wav (default name "ab") from two chains, files or
  paths, the louder turned down to the quieter's integrated loudness, so you
  can judge them without "louder sounds better". Prints the gain applied.]],
  preset = [[
preset "name" -> preset
  A mastering preset (built in, or from $XDG_CONFIG_HOME/mixdown/presets, or a
  path ending in .lua). Printing it shows its description, parameters and
  target. y = p(x [, {param = value}]) builds what `mixdown master` would:
  x brought to -18 LUFS (the level presets are voiced for), the preset's chain,
  then x:loudness{} to its target (-14 LUFS, -1 dBTP when it has none; a third
  argument {target =, ceiling =} or {loudness = false} changes that).
  Render y as any chain: render(y, "master.wav").]],
  help = [[
help() lists what there is; help "NAME" explains a node (help "limiter"),
a function of this session (help "render"), help "nodes", help "presets"
or help "recipe".]],
}

--- Names help() knows besides node names (for completion).
function H.topics()
  local out = {"nodes", "presets", "recipe"}
  for k in pairs(H.functions) do out[#out + 1] = k end
  table.sort(out)
  return out
end

--- The presets with their descriptions (`mixdown presets`), from mixdown.presets.
function H.presets()
  local ok, P = pcall(require, "mixdown.presets")
  if not ok or type(P) ~= "table" or type(P.main) ~= "function" then
    return "No presets in this build (the mixdown.presets module is missing).\n"
  end
  local buf, write = {}, io.write
  io.write = function(...)
    for i = 1, select("#", ...) do buf[#buf + 1] = tostring((select(i, ...))) end
    return io.stdout
  end
  local ok2, err = pcall(P.main, {})
  io.write = write
  if not ok2 then return "presets: " .. tostring(err) .. "\n" end
  return table.concat(buf) .. 'In this session: p = preset "NAME" shows one; p(x) applies it after x.\n'
      .. 'help "recipe" explains how to write your own.\n'
end

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

--- Text for help "NAME", or nil, message.
function H.topic(name)
  if name == "recipe" or name == "recipes" then return H.recipe end
  if name == "presets" then return H.presets() end
  if name == "nodes" then return H.node_list() end
  if H.functions[name] then return H.functions[name] .. "\n" end
  local text = H.node(name)
  if text then return text end
  local names = H.topics()
  for _, t in ipairs(core.nodes()) do names[#names + 1] = t.name end
  local best, dist = nil, math.min(3, #name - 1)
  for _, t in ipairs(names) do
    local d = distance(name, t)
    if d <= dist and (not best or d < distance(name, best)) then best = t end
  end
  return nil, string.format("unknown topic or node '%s'%s; help() lists the topics", name,
                            best and (" (did you mean '" .. best .. "'?)") or "")
end

return H
