-- band.lua - a mix of the demo song's four stems: groups, effect returns,
-- sends, automation and a mastering finish.
--
--   mixdown run recipes/demo.lua --seconds 30 --stems stems/
--   mixdown mix band --stems stems/ -o band.wav                 (built in)
--   mixdown mix recipes/sessions/band.lua --stems stems/ -o band.wav --preset pop
--
-- Drums and bass share a "rhythm" group with gentle glue compression; the
-- chords are widened and drift slowly across the stereo field; the lead
-- rides in over the first two bars, sits a little left, and feeds a tempo
-- delay (a dotted eighth at 120 BPM) before its fader. Everything but the
-- bass sends some signal to one room reverb. The master is a light tilt EQ,
-- 8 dB of gain into a true-peak limiter at -1 dBTP; --preset/--target on the
-- command line then master that mix like `mixdown master` would.
local md = require "mixdown"

return {
  rate = 44100,
  tracks = {
    { name = "drums", file = "drums.wav", volume = -2, bus = "rhythm",
      chain = function(x)
        return x:highpass{freq = 30}
                :compressor{threshold = -16, ratio = 3, attack = 10, release = 120}
      end,
      sends = { {to = "room", level = -20} } },
    { name = "bass", file = "bass.wav", volume = -4, bus = "rhythm",
      chain = { {"highpass", freq = 35, order = 4},
                {"eq", {type = "bell", freq = 220, gain = -2, q = 1.2}},
                {"compressor", threshold = -22, ratio = 4, attack = 15, release = 150} } },
    { name = "chords", file = "chords.wav", volume = -7, width = 1.3,
      pan = function(t) return 0.25 * math.sin(2 * math.pi * t / 16) end,  -- a slow drift
      chain = function(x) return x:highpass{freq = 150}:eq{ {type = "highshelf", freq = 6000, gain = -1.5} } end,
      sends = { {to = "room", level = -12} } },
    { name = "lead", file = "lead.wav", pan = -0.15,
      volume = md.envelope{ {0, -40}, {4, -5} },       -- rides in over two bars
      chain = function(x) return x:highpass{freq = 200}:compressor{threshold = -20, ratio = 2.5} end,
      sends = { {to = "echo", level = -10, pre = true}, {to = "room", level = -14} } },
  },
  buses = {
    { name = "rhythm", volume = -1,
      chain = function(x) return x:compressor{threshold = -14, ratio = 2, attack = 30, release = 200} end },
    { name = "room", chain = function(x) return x:reverb{decay = 1.4, size = 0.6, damping = 0.6, mix = 1} end },
    { name = "echo", volume = -4,
      chain = { {"delay", bpm = 120, note = "1/8.", feedback = 0.3, mix = 1},
                {"highpass", freq = 400}, {"lowpass", freq = 6000} },
      sends = { {to = "room", level = -10} } },
  },
  master = {
    chain = function(x)
      return x:eq{ {type = "lowshelf", freq = 90, gain = 0.5}, {type = "highshelf", freq = 9000, gain = 1} }
              :gain{db = 8}
              :limiter{ceiling = -1, true_peak = true, release = 80}
    end,
  },
}
