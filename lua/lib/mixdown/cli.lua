-- The command line's verbs (all but `analyze`, which is C). main(args, debug)
-- returns the exit code or raises an error with a one-line message.
local help = require "mixdown.help"

local CLI = {}

local function has_help(args)
  for _, a in ipairs(args) do
    if a == "--help" or a == "-h" then return true end
  end
  return false
end

local function usage_error(msg)
  error(msg, 0)
end

function CLI.run(args)
  if has_help(args) and (args[1] == nil or args[1]:match("^%-")) then
    io.write(help.run)
    return 0
  end
  local script = args[1]
  if not script then usage_error("run: no script given (usage: mixdown run SCRIPT.lua [ARGS...])") end
  local chunk, err = loadfile(script, "t")
  if not chunk then error(err, 0) end
  local a = {[0] = script}
  for i = 2, #args do a[i - 1] = args[i] end
  _G.arg = a
  chunk(table.unpack(a))
  return 0
end

function CLI.nodes(args)
  if has_help(args) then
    io.write(help.nodes)
    return 0
  end
  if args[1] then
    local text, err = help.node(args[1])
    if not text then usage_error("nodes: " .. err) end
    io.write(text)
  else
    io.write(help.node_list())
  end
  return 0
end

local verbs = {
  run = CLI.run,
  nodes = CLI.nodes,
}

-- verbs implemented in their own modules, loaded on demand
local lazy = {master = "mixdown.master", mix = "mixdown.mixcmd", presets = "mixdown.presets"}

function CLI.main(args, debug)
  local verb = table.remove(args, 1)
  if verb == nil or verb == "--help" or verb == "-h" or verb == "help" then
    io.write(help.main)
    return 0
  end
  local f = verbs[verb]
  if not f and lazy[verb] then
    local ok, mod = pcall(require, lazy[verb])
    if ok then f = mod.main end
    if not f then
      usage_error(verb .. ": not available in this build")
    end
  end
  if not f then
    local names = {"master", "mix", "run", "analyze", "presets", "nodes"}
    local best
    for _, n in ipairs(names) do
      if n:sub(1, 2) == verb:sub(1, 2) then best = n end
    end
    if verb:match("%.lua$") then
      usage_error(string.format("unknown command '%s' (to run a script: mixdown run %s)", verb, verb))
    end
    usage_error(string.format("unknown command '%s'%s; `mixdown --help` lists the commands", verb,
                              best and (" (did you mean '" .. best .. "'?)") or ""))
  end
  return f(args, debug) or 0
end

return CLI
