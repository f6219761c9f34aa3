-- mixdown: the recipe library. `local md = require "mixdown"`.
--
--   local g = md.graph()
--   local x = g:file("song.wav"):highpass{freq = 30}:eq{ {type = "bell", freq = 300, gain = -2} }
--   x:write("out.wav", {bits = 24})
--   g:run()
--
-- The graph and node types come from the C core (mixdown.core); this file adds
-- the pure-Lua conveniences.
local core = require "mixdown.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

M.version = core.version

-- x:loudness{target, ceiling} and the multi-pass g:run() it needs
require("mixdown.loudness").install()

--- Measurements of a file (the figures of `mixdown analyze --json`).
function M.analyze(path, opts)
  local g = core.graph()
  local m = g:file(path):meter{true_peak = not (opts and opts.true_peak == false)}
  g:run{progress = opts and opts.progress}
  local r = m:result()
  r.file = path
  return r
end

--- One-line description of a node type, for listings.
function M.summary(name)
  local t = core.nodes(name)
  if not t then return nil end
  return (t.doc:match("^[^.]*%.?") or t.doc)
end

return M
