-- master_chain.lua - the benchmark's mastering chain (issue: processors):
-- the EQ chain, compressor (-18 dB, 2.5:1, 5/100 ms, knee 6), +6 dB make-up,
-- true-peak limiter at -1 dBTP (release 50 ms); 24-bit out.
--   mixdown run master_chain.lua IN OUT
local md = require "mixdown"
local g = md.graph()
g:file(arg[1])
 :highpass{freq = 30}
 :eq{ {type = "lowshelf", freq = 100, gain = 2},
      {type = "bell", freq = 300, gain = -2, q = 1},
      {type = "bell", freq = 3000, gain = 1.5, q = 1},
      {type = "highshelf", freq = 10000, gain = 2} }
 :compressor{threshold = -18, ratio = 2.5, attack = 5, release = 100, knee = 6}
 :gain{db = 6}
 :limiter{ceiling = -1, release = 50, true_peak = true}
 :write(arg[2], {bits = 24})
g:run{progress = false}
