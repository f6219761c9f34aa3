-- edit.lua - an arrangement cut from the demo song's stems: regions, trims,
-- fades, crossfades and automation.
--
--   mixdown run recipes/demo.lua --seconds 16 --stems stems/
--   mixdown mix edit --stems stems/ -o edit.wav                 (built in)
--
-- A 20-second edit at 120 BPM (a bar is 2 s) rendered at 48 kHz from 44.1 kHz
-- stems (resampled):
--   0-4 s    the chords alone, faded in along a log curve, through a lowpass
--            that opens from 400 Hz to 16 kHz by equal ratios (exp segment)
--   4 s      drums and bass enter; the bass drops out for bar 7 (a hold
--            envelope on its fader) and comes back at 14 s
--   2-18 s   the lead is assembled from three phrases of the stem: bars
--            3-4, then bars 1-2 played again, then bars 5-6, each joined to
--            the next by an equal-power crossfade over the 0.25 s they overlap
--   16-20 s  everything fades out over the last 4 s (master volume envelope)
local md = require "mixdown"

return {
  rate = 48000,
  tracks = {
    { name = "chords", volume = -6,
      regions = { {file = "chords.wav", at = 0, from = 0, length = 16, fade_in = {3, "log"}},
                  {file = "chords.wav", at = 15.75, from = 4, length = 4.25} },  -- loops back
      chain = function(x)
        return x:lowpass{freq = md.envelope{ {0, 400}, {4, 16000, "exp"} }}
      end },
    { name = "drums", volume = -3,
      regions = { {file = "drums.wav", at = 4, from = 4, to = 16, fade_in = 0.005, fade_out = 0.5} } },
    { name = "bass", volume = md.envelope{ {0, -4}, {12, -4}, {12, -120, "hold"}, {14, -4, "hold"} },
      regions = { {file = "bass.wav", at = 4, from = 4, to = 16, fade_in = 0.005},
                  {file = "bass.wav", at = 15.9, from = 4, length = 4.1, fade_out = 0.05} } },
    { name = "lead", pan = 0.1, volume = -5,
      regions = { {file = "lead.wav", at = 2, from = 4, to = 8.25},
                  {file = "lead.wav", at = 6, from = 0, to = 4.25},
                  {file = "lead.wav", at = 10, from = 8, to = 12, fade_out = {1, "equal_power"}} },
      sends = { {to = "verb", level = -14} } },
  },
  returns = {
    { name = "verb", chain = function(x) return x:reverb{decay = 2.2, predelay = 20, mix = 1} end },
  },
  master = {
    volume = md.envelope{ {0, 0}, {16, 0}, {20, -60} },
    chain = function(x) return x:limiter{ceiling = -1} end,
  },
}
