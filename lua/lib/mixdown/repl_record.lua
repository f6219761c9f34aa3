-- How every node of a session was made, so that a chain can be built again
-- in a fresh graph ("replayed").
--
-- A node belongs to one graph, and a graph renders all of its outputs at
-- once. The REPL therefore never renders the graph a user builds in: open()
-- puts sources in a sketch graph that is never run, and render(), analyze()
-- and ab() build a fresh graph for each job by replaying the chain that ends
-- at the node, then add their own output (a file, a meter) and run it. So a
-- chain can be rendered any number of times, to different files, after
-- changing parameters with set(), and nothing accumulates.
--
-- To know the chain, install() wraps the __index of the node and graph
-- metatables: every method call that returns a new node is recorded (the
-- method, the node it was called on, a copy of the arguments), and set() and
-- label() calls are recorded as changes of their node. Nodes made by Lua
-- methods (x:loudness{}) are recorded as that one call, so the replay calls
-- it again and gets its whole behaviour (its multi-pass run) in the new graph.
local core = require "mixdown.core"

local R = {}

-- node -> {op = "graph"|"node", method, self, args, changes}; weak keys, and
-- as an ephemeron table a record keeps its parents alive only while the
-- child is alive
local records = setmetatable({}, {__mode = "k"})
R.records = records

local CHANGES = {set = true, label = true}

-- a deep copy of argument tables (the caller may change them later);
-- nodes, graphs, functions and other values are kept as they are
local function copy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local t = {}
  seen[v] = t
  for k, x in pairs(v) do t[k] = copy(x, seen) end
  return setmetatable(t, getmetatable(v))
end

local function has_position(msg)
  return msg:match("^[^%s:]+:%d+: ") or msg:match('^%[string ".-"%]:%d+: ')
end

-- re-raises an error caught around a C function: a message without a
-- position gets the position of the wrapper's caller, as luaL_error would
-- have given it without the wrapper in between
local function rethrow(err)
  if type(err) == "string" and not has_position(err) then error(err, 3) end
  error(err, 0)
end

local function wrap(f, key, op)
  return function(self, ...)
    local args = table.pack(...)
    local r = table.pack(pcall(f, self, ...))
    if not r[1] then rethrow(r[2]) end
    local res = r[2]
    if core.is_node(res) and not rawequal(res, self) then
      records[res] = {op = op, method = key, self = self, args = copy(args)}
    elseif CHANGES[key] and op == "node" and records[self] and args.n > 0 then
      local rec = records[self]
      rec.changes = rec.changes or {}
      table.insert(rec.changes, {method = key, args = copy(args)})
    end
    return table.unpack(r, 2, r.n)
  end
end

local function wrap_index(mt, op)
  local orig = mt.__index
  mt.__index = function(self, key)
    local ok, v = pcall(orig, self, key)
    if not ok then rethrow(v) end
    if type(v) == "function" then return wrap(v, key, op) end
    return v
  end
end

--- Starts recording (once per Lua state).
function R.install()
  local reg = debug.getregistry()
  local node_mt, graph_mt = reg["mixdown.Node"], reg["mixdown.Graph"]
  if not node_mt or rawget(node_mt, "__md_recorded") then return end
  node_mt.__md_recorded = true
  wrap_index(node_mt, "node")
  wrap_index(graph_mt, "graph")
end

--- The record of a node, or nil.
function R.record(n) return records[n] end

--- Builds the chain that ends at node again in graph g; returns the new
--- node. Raises an error when a node of the chain was not recorded.
function R.replay(node, g)
  local memo = {}
  local build, map
  function build(n)
    local done = memo[n]
    if done then return done end
    local rec = records[n]
    if not rec then
      error("this node was made before the session started recording; build it again "
            .. "from open(...)", 0)
    end
    local args = map(rec.args)
    local res
    if rec.op == "graph" then
      res = g[rec.method](g, table.unpack(args, 1, args.n))
    else
      local p = build(rec.self)
      res = p[rec.method](p, table.unpack(args, 1, args.n))
    end
    for _, c in ipairs(rec.changes or {}) do
      local a = map(c.args)
      res[c.method](res, table.unpack(a, 1, a.n))
    end
    memo[n] = res
    return res
  end
  function map(v)
    if core.is_node(v) then return build(v) end
    if type(v) ~= "table" then return v end
    local t = {}
    for k, x in pairs(v) do t[k] = map(x) end
    return setmetatable(t, getmetatable(v))
  end
  return build(node)
end

--- The file sources at the start of the chain that ends at node (paths).
function R.sources(node)
  local out, seen = {}, {}
  local function walk(v)
    if core.is_node(v) then
      if seen[v] then return end
      seen[v] = true
      local rec = records[v]
      if not rec then return end
      if rec.op == "graph" and rec.method == "file" then out[#out + 1] = rec.args[1] end
      if rec.self then walk(rec.self) end
      walk(rec.args)
    elseif type(v) == "table" then
      for _, x in pairs(v) do walk(x) end
    end
  end
  walk(node)
  return out
end

return R
