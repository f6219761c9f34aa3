-- jazz: natural, open and warm; the performance's dynamics left alone.
--
-- What it does, in order:
--   1. a gentle 20 Hz high-pass (6 dB/octave): upright bass and kick
--      drum keep their full body;
--   2. tone: a broad +2 dB of warmth below 150 Hz, 2 dB out of 2.8 kHz
--      (where cymbals and horns get hard), +1.5 dB of air above 12 kHz:
--      the room's sound, slightly flattered;
--   3. a parallel RMS compressor (ratio 1.2..2, 60 ms attack, 500 ms
--      release, 60 % blended): it raises the quiet passages a little
--      rather than holding down the loud ones;
--   4. a fast peak compressor high up (2:1..4:1, 1 ms, 2 ms lookahead):
--      only the snare hits and horn stabs that stick out touch it, so the
--      limiter after it has little to do.
--
-- Loudness: -18 LUFS at intensity 0 to -13.5 LUFS at 1 (-15.75 by default):
-- jazz is listened to at home, and its dynamics are the music.
--
-- Intent in figures (the demo song, default intensity): crest factor 0.5
-- to 5.5 dB lower than the input's, spectral tilt -0.45..+0.05 dB/octave
-- (warmer), loudness range 50..105 % of the input's.
local function lerp(a, b, t) return a + (b - a) * t end

return {
  name = "jazz",
  description = "Natural, open, warm jazz master: parallel compression and peak shaving, dynamics kept.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: parallel compression, peak shaving and loudness"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 20, order = 1}
    x = x:eq{
      {type = "lowshelf", freq = 150, gain = 2.0, q = 0.7},
      {type = "bell", freq = 2800, gain = -2.0, q = 0.7},
      {type = "highshelf", freq = 12000, gain = 1.5},
    }
    x = x:compressor{detector = "rms", threshold = lerp(-22, -32, i), ratio = lerp(1.2, 2.0, i),
                     attack = 60, release = 500, knee = 12, mix = 0.6}
    x = x:compressor{threshold = lerp(-6, -18, i), ratio = lerp(2, 4, i), attack = 1, release = 100, knee = 6,
                     lookahead = 2}
    return x
  end,
  target = function(p) return -18 + 4.5 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-5.5, -0.5}, tilt = {-0.45, 0.05}, lra = {0.5, 1.05}},
}
