-- Tab completion for the REPL, in Lua so it can be tested without a terminal.
--
--   complete(line) -> start, candidates
--
-- line is the text of the input line up to the cursor. The candidates (sorted,
-- without duplicates) are replacements for line:sub(start); the C side
-- (repl_complete.c) inserts the single candidate or the candidates' common
-- prefix, or lists them. What is completed depends on where the cursor is:
--
--   x:comp|              node methods and processors   -> x:compressor
--   md.gr|  stri|        table fields, globals and keywords
--   x:limiter{ce|        parameters of the node the table belongs to
--   x:eq{ {ty|           fields of a list item (an eq band)
--   x:saturate{type = "t|   choices of an enum parameter
--   open "so|            file names (directories end in "/")
--   help "lim|  preset "p|  set(x, "ra|   help topics, presets, parameters
--
-- Nothing here runs user code: names are resolved with rawget only.
local core = require "mixdown.core"

local C = {}

-- the directory lister (a parameter so tests can give their own)
C.listdir = core.listdir

local KEYWORDS = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
                  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
                  "true", "until", "while"}

local node_cache
local function nodes()
  if not node_cache then
    local c = {processors = {}, sources = {}, all = {}, byname = {}}
    for _, t in ipairs(core.nodes()) do
      c.byname[t.name] = t
      c.all[#c.all + 1] = t.name
      if t.kind == "processor" and t.name ~= "mix" then
        c.processors[#c.processors + 1] = t.name
      elseif t.kind == "source" then
        c.sources[#c.sources + 1] = t.name
      end
    end
    node_cache = c
  end
  return node_cache
end

local function param_of(t, name)
  for _, p in ipairs(t.params) do
    if p.name == name then return p end
  end
end

local function the_list(t)
  local found
  for _, p in ipairs(t.params) do
    if p.type == "list" then
      if found then return nil end
      found = p
    end
  end
  return found
end

-- sorted, unique candidates of names that start with prefix
local function filter(names, prefix, out)
  out = out or {}
  for _, n in ipairs(names) do
    if type(n) == "string" and n:sub(1, #prefix) == prefix then out[#out + 1] = n end
  end
  return out
end

local function finish(list)
  table.sort(list)
  local out, last = {}, nil
  for _, v in ipairs(list) do
    if v ~= last then out[#out + 1] = v end
    last = v
  end
  return out
end

local function keys_of(t, want_functions, out)
  out = out or {}
  local seen = {}
  local depth = 0
  while type(t) == "table" and depth < 4 and not seen[t] do
    seen[t] = true
    for k, v in next, t do
      if type(k) == "string" and k:match("^[%a_][%w_]*$") and not k:match("^__")
         and (not want_functions or type(v) == "function") then
        out[#out + 1] = k
      end
    end
    local mt = getmetatable(t)
    t = type(mt) == "table" and rawget(mt, "__index") or nil
    depth = depth + 1
  end
  return out
end

local function field(v, name)
  if type(v) ~= "table" then return nil end
  local seen = {}
  while type(v) == "table" and not seen[v] do
    seen[v] = true
    local x = rawget(v, name)
    if x ~= nil then return x end
    local mt = getmetatable(v)
    v = type(mt) == "table" and rawget(mt, "__index") or nil
  end
  return nil
end

-- value of a dotted global name ("md.nodes", "x"), or nil
local function resolve(expr)
  local v = _G
  for name in expr:gmatch("[^.]+") do
    if not name:match("^[%a_][%w_]*$") then return nil end
    v = field(v, name)
    if v == nil then return nil end
  end
  return v
end

local function node_methods()
  local out = keys_of(core.node_methods, false)
  for _, n in ipairs(nodes().processors) do out[#out + 1] = n end
  return out
end

local function graph_methods()
  local out = keys_of(core.graph_methods, false)
  for _, n in ipairs(nodes().sources) do out[#out + 1] = n end
  return out
end

local function methods_of(v)
  if core.is_node(v) then return node_methods() end
  if core.is_graph(v) then return graph_methods() end
  if type(v) == "string" then return keys_of(string, true) end
  if type(v) == "table" then return keys_of(v, true) end
  return {}
end

local function param_names(t)
  local out = {}
  for _, p in ipairs(t.params) do out[#out + 1] = p.name end
  return out
end

--- The help topics: node names, the REPL's functions and the guides.
function C.help_topics()
  local out = {}
  for _, n in ipairs(nodes().all) do out[#out + 1] = n end
  local ok, help = pcall(require, "mixdown.help")
  if ok and type(help.topics) == "function" then
    for _, n in ipairs(help.topics()) do out[#out + 1] = n end
  end
  return out
end

--- Names of the presets: built in (embedded), then the user's directory.
function C.preset_names()
  local out = {}
  local ok, P = pcall(require, "mixdown.presets")
  if ok and type(P) == "table" then
    for _, lister in ipairs{P.builtin_names, P.user_names} do
      local ok2, list = pcall(lister)
      if ok2 and type(list) == "table" then
        for _, v in ipairs(list) do out[#out + 1] = v end
      end
    end
  end
  if #out == 0 and core.embedded_names then
    for _, f in ipairs(core.embedded_names("recipes/presets/")) do
      out[#out + 1] = f:match("([^/]+)%.lua$")
    end
    local cfg = os.getenv("XDG_CONFIG_HOME")
    if not cfg or cfg == "" then cfg = (os.getenv("HOME") or "") .. "/.config" end
    local list = C.listdir and C.listdir(cfg .. "/mixdown/presets")
    for _, f in ipairs(list or {}) do out[#out + 1] = f:match("^(.+)%.lua$") end
  end
  return out
end

-- Scans line: returns the state at its end ("code", "string", "comment"),
-- the position of an open string's first character, and the stack of open
-- brackets {ch, pos} outside strings and comments.
local function scan(line)
  local stack = {}
  local i, n = 1, #line
  while i <= n do
    local c = line:sub(i, i)
    if c == '"' or c == "'" then
      local j = i + 1
      while true do
        local d = line:sub(j, j)
        if d == "" then return "string", i + 1, stack end
        if d == "\\" then j = j + 2
        elseif d == c then break
        else j = j + 1 end
      end
      i = j + 1
    elseif c == "[" and line:match("^%[=*%[", i) then
      local eq = line:match("^%[(=*)%[", i)
      local close = line:find("]" .. eq .. "]", i, true)
      if not close then return "string", i + #eq + 2, stack end
      i = close + #eq + 2
    elseif c == "-" and line:sub(i + 1, i + 1) == "-" then
      local eq = line:match("^%-%-%[(=*)%[", i)
      if eq then
        local close = line:find("]" .. eq .. "]", i, true)
        if not close then return "comment", nil, stack end
        i = close + #eq + 2
      else
        return "comment", nil, stack
      end
    elseif c == "(" or c == "{" or c == "[" then
      stack[#stack + 1] = {ch = c, pos = i}
      i = i + 1
    elseif c == ")" or c == "}" or c == "]" then
      stack[#stack] = nil
      i = i + 1
    else
      i = i + 1
    end
  end
  return "code", nil, stack
end

-- What the innermost open bracket is, as far as parameter tables go:
-- {node = type, level = "params"|"list"|"item", list = param} or nil.
local function table_context(line, stack)
  local ctx
  for _, b in ipairs(stack) do
    local c
    if b.ch == "{" then
      local before = line:sub(1, b.pos - 1)
      local name = before:match("[.:]%s*([%a_][%w_]*)%s*$")
      local t = name and nodes().byname[name]
      if t then
        c = {node = t, level = "params"}
      elseif ctx and ctx.level == "params" then
        local key = before:match("([%a_][%w_]*)%s*=%s*$")
        if key then
          local p = param_of(ctx.node, key)
          if p and p.type == "list" then c = {node = ctx.node, level = "list", list = p} end
        elseif before:match("[{,;]%s*$") then
          local lp = the_list(ctx.node)
          if lp then c = {node = ctx.node, level = "item", list = lp} end
        end
      elseif ctx and ctx.level == "list" and before:match("[{,;]%s*$") then
        c = {node = ctx.node, level = "item", list = ctx.list}
      end
    end
    ctx = c
  end
  return ctx
end

local function complete_path(word, start)
  local dir, base = word:match("^(.*/)([^/]*)$")
  if not dir then dir, base = "", word end
  local real = dir
  if real:sub(1, 2) == "~/" then real = (os.getenv("HOME") or "~") .. real:sub(2) end
  local list = C.listdir and C.listdir(real == "" and "." or real) or {}
  local out = {}
  for _, name in ipairs(list) do
    if name:sub(1, #base) == base and (base:sub(1, 1) == "." or name:sub(1, 1) ~= ".") then
      out[#out + 1] = name
    end
  end
  return start + #dir, finish(out)
end

local function complete_string(line, q, stack)
  local word = line:sub(q)
  local before = line:sub(1, q - 2) -- up to the quote
  local head = before:gsub("%s+$", "")
  -- help "lim", help("lim"
  if head:match("[^%w_.:]help%s*%(?$") or head:match("^help%s*%(?$") then
    return q, finish(filter(C.help_topics(), word))
  end
  if head:match("[^%w_.:]preset%s*%(?$") or head:match("^preset%s*%(?$") then
    return q, finish(filter(C.preset_names(), word))
  end
  if head:match("nodes%s*%($") then
    return q, finish(filter(nodes().all, word))
  end
  -- set(x, "ra   x:set("ra   x:get("ra
  local target = head:match("set%s*%(%s*([%a_][%w_.]*)%s*,$")
                 or head:match("([%a_][%w_.]*)%s*:%s*[sg]et%s*%($")
  if target then
    local v = resolve(target)
    if core.is_node(v) then
      local t = nodes().byname[v:type()]
      if t then return q, finish(filter(param_names(t), word)) end
    end
  end
  -- KEY = "ch  inside a node's table: the choices of an enum parameter
  local key = head:match("([%a_][%w_]*)%s*=$")
  if key then
    local ctx = table_context(line, stack)
    if ctx then
      local params = ctx.level == "item" and ctx.list.fields or ctx.node.params
      local p
      for _, x in ipairs(params) do if x.name == key then p = x end end
      if p and p.choices then return q, finish(filter(p.choices, word)) end
    end
  end
  return complete_path(word, q)
end

local function complete_code(line, stack)
  local word = line:match("[%w_.:]*$")
  if word:match("^%d") then return #line + 1, {} end
  local start = #line - #word + 1
  local k = word:match("^.*()[.:]")
  if not k then
    -- a key inside a parameter table?
    local before = line:sub(1, start - 1)
    local inner = stack[#stack]
    if inner and inner.ch == "{" and before:match("[{,;]%s*$") then
      local ctx = table_context(line, stack)
      if ctx and ctx.level == "params" then
        return start, finish(filter(param_names(ctx.node), word))
      elseif ctx and ctx.level == "item" then
        return start, finish(filter(param_names({params = ctx.list.fields}), word))
      end
    end
    if word == "" then return start, {} end -- a value to type, not a name to finish
    local out = filter(keys_of(_G, false), word)
    filter(KEYWORDS, word, out)
    return start, finish(out)
  end
  local base, sep, partial = word:sub(1, k - 1), word:sub(k, k), word:sub(k + 1)
  start = #line - #partial + 1
  local names
  if base == "" then
    -- open("a.wav"):hi  - the value is a call's result: in this REPL, a node
    names = sep == ":" and node_methods() or {}
  elseif base:find(":", 1, true) then
    names = {}
  else
    local v = resolve(base)
    if sep == ":" then
      names = methods_of(v)
    else
      names = (type(v) == "table") and keys_of(v, false) or {}
    end
  end
  local out = {}
  for _, n in ipairs(filter(names, partial)) do
    if n:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_" then out[#out + 1] = n end
  end
  return start, finish(out)
end

--- Completion candidates for the text before the cursor (see the top).
function C.complete(line)
  local state, q, stack = scan(line)
  if state == "comment" then return #line + 1, {} end
  if state == "string" then return complete_string(line, q, stack) end
  return complete_code(line, stack)
end

return C
