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

return H
