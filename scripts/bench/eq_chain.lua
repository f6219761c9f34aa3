-- eq_chain.lua - the benchmark's EQ chain (issue: engine foundation):
-- highpass 30 Hz, lowshelf +2 dB 100 Hz, bell -2 dB 300 Hz Q 1,
-- bell +1.5 dB 3 kHz Q 1, highshelf +2 dB 10 kHz; 24-bit out.
--   mixdown run eq_chain.lua IN OUT
local md = require "mixdown"
local g = md.graph()
g:file(arg[1])
 :highpass{freq = 30}
 :eq{ {type = "lowshelf", freq = 100, gain = 2},
      {type = "bell", freq = 300, gain = -2, q = 1},
      {type = "bell", freq = 3000, gain = 1.5, q = 1},
      {type = "highshelf", freq = 10000, gain = 2} }
 :write(arg[2], {bits = 24})
g:run{progress = false}
