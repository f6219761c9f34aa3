-- x:loudness{target = LUFS, ceiling = dBTP}: bring x to an integrated loudness
-- under a true-peak ceiling, inside any recipe.
--
-- It adds gain -> limiter{true_peak} after x and a meter on the limiter's
-- output. g:run() then renders the whole graph, reads the meter, corrects the
-- gain (secant steps, since the limiter makes loudness a concave function of
-- gain) and renders again until the loudness is within 0.05 LU, at most 8
-- passes; it raises an error naming the figures when the target cannot be
-- reached. Every pass re-renders the graph (`mixdown master` instead caches
-- the chain before the gain stage in a file).
local core = require "mixdown.core"

local L = {}
local stages = setmetatable({}, {__mode = "k"}) -- graph -> list of stages

local function loudness(x, opts)
  opts = opts or {}
  local target = opts.target or -14
  local ceiling = opts.ceiling or -1
  if type(target) ~= "number" or target > 0 or target < -70 then
    error("loudness: target must be a number within -70..0 LUFS, got " .. tostring(target), 2)
  end
  if type(ceiling) ~= "number" or ceiling > 0 or ceiling < -30 then
    error("loudness: ceiling must be a number within -30..0 dBTP, got " .. tostring(ceiling), 2)
  end
  local gain = x:gain{db = 0}
  local lim = gain:limiter{ceiling = ceiling, true_peak = true, release = opts.release or 50}
  local meter = lim:meter{true_peak = false}
  local g = x:graph()
  stages[g] = stages[g] or {}
  table.insert(stages[g], {gain = gain, meter = meter, target = target, ceiling = ceiling,
                           db = 0})
  return lim
end

local plain_run = core.graph_methods.run

local function run(g, opts)
  local list = stages[g]
  if not list then
    -- called through pcall the C function's message carries no position of
    -- ours; error(..., 2) puts the recipe's file:line in front
    local ok, err = pcall(plain_run, g, opts)
    if not ok then error(err, 2) end
    return err
  end
  for _, s in ipairs(list) do s.prev = nil end
  for pass = 1, 8 do
    local ok, err = pcall(plain_run, g, opts)
    if not ok then error(err, 2) end
    local done = true
    for _, s in ipairs(list) do
      local got = s.meter:result().integrated_lufs
      if got == nil then error("loudness: the signal is silent: no loudness to bring to " .. s.target, 2) end
      local miss = s.target - got
      if math.abs(miss) > 0.05 then
        local slope = 1
        if s.prev and s.prev.db ~= s.db and s.prev.got ~= got then
          slope = (got - s.prev.got) / (s.db - s.prev.db)
        end
        if slope < 0.05 or s.db >= 48 then
          error(string.format("loudness: cannot reach %g LUFS under a %g dBTP ceiling: %.2f LUFS at +%.1f dB of gain",
                              s.target, s.ceiling, got, s.db), 2)
        end
        s.prev = {db = s.db, got = got}
        s.db = math.min(48, math.max(-120, s.db + miss / slope))
        s.gain:set("db", s.db)
        done = false
      end
    end
    if done then return true end
  end
  error("loudness: no convergence after 8 passes", 2)
end

function L.install()
  core.node_methods.loudness = loudness
  core.graph_methods.run = run
end

return L
